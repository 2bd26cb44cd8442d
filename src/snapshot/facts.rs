//! The facts of a snapshot, one kind per function: the book, products, plans, packs, the
//! cells of every plan x product x dimension values (rate, money, capacity), quotes of standard
//! quantities, and worked examples. Each fact is one `key | value` line; a new kind of fact the
//! table learns is one more function here, called from [`collect`].
//!
//! Rates, money, capacities and quotes come from [`crate::answer`], so they are exactly what
//! `pricebook quote` and `pricebook capacity` answer for the same question.

use super::words;
use super::{Example, Options, StandardQuantity};
use crate::answer::{self, CapacityQuestion, Dim, QuoteAnswer, QuoteQuestion};
use crate::load::Opened;
use crate::table::{
    CellId, PackEntry, PlanEntry, PlanId, PricingEntry, ProductEntry, ProductId, RatingTable,
};

/// The lines of a snapshot, before they are sorted.
#[derive(Default)]
pub(super) struct Facts {
    lines: Vec<(String, String)>,
}

impl Facts {
    fn add(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.lines.push((key.into(), value.into()));
    }

    /// `key | value` lines, sorted, so the order of a book's items never shows.
    pub(super) fn into_text(mut self) -> String {
        self.lines.sort();
        self.lines.dedup();
        let mut out = String::new();
        for (k, v) in &self.lines {
            out.push_str(k);
            out.push_str(" | ");
            out.push_str(v);
            out.push('\n');
        }
        out
    }
}

/// Every fact of `book` that `options` asks for.
pub(super) fn collect(book: &Opened, options: &Options) -> Facts {
    let t = &book.table;
    let mut facts = Facts::default();
    book_facts(t, &mut facts);
    for (id, p) in t.products().iter().enumerate() {
        product_facts(t, id as ProductId, p, &mut facts);
    }
    let plans: Vec<PlanId> = (0..t.plans().len() as PlanId)
        .filter(|p| options.plans.as_ref().is_none_or(|only| only.contains(p)))
        .collect();
    for plan in &plans {
        plan_facts(t, &t.plans()[*plan as usize], &mut facts);
    }
    for pack in t.packs() {
        pack_facts(t, pack, &mut facts);
    }
    // A book without plans is priced without one.
    let slots: Vec<Option<PlanId>> = if t.plans().is_empty() {
        vec![None]
    } else {
        plans.into_iter().map(Some).collect()
    };
    for plan in slots {
        for (product, p) in t.products().iter().enumerate() {
            for (cell, values) in words::cells(t, p) {
                let at = Cell {
                    plan,
                    product: product as ProductId,
                    cell,
                    values: &values,
                };
                if cell_facts(book, &at, &mut facts) {
                    quote_facts(book, &at, &options.quantities, &mut facts);
                }
            }
        }
    }
    for e in &options.examples {
        example_facts(e, &mut facts);
    }
    facts
}

/// The header, declared units, dimensions, attributes and the book-wide billing rules.
fn book_facts(t: &RatingTable, facts: &mut Facts) {
    facts.add(
        "book",
        format!(
            "{} {}{}, effective {}, currency {}",
            t.vendor(),
            t.version(),
            if t.list() == crate::model::MAIN_LIST {
                String::new()
            } else {
                format!(" (list {})", t.list())
            },
            t.effective(),
            t.currency()
        ),
    );
    for u in t.units().iter().filter(|u| words::is_declared(&u.name)) {
        let base = t.base_unit(&u.dimension);
        let value = if base == u.name {
            "declared".to_string()
        } else {
            format!("{} {base}", u.factor.normalize())
        };
        facts.add(format!("unit {}", u.name), value);
    }
    for d in t.dimensions() {
        facts.add(format!("dimension {}", d.name), d.values.join(", "));
    }
    if let Some(n) = t.annual_front_load() {
        facts.add("billing annual", format!("front-load {n} month"));
    }
    for (rule, said) in words::subscription_rules(t.subscription_rules()) {
        facts.add(format!("billing {rule}"), said);
    }
    if let Some(r) = t.recharge() {
        facts.add("auto recharge", words::recharge(t, r));
    }
}

/// A product's name, measure, pricing kind, rates or tiers, rounding and bounds.
fn product_facts(t: &RatingTable, id: ProductId, p: &ProductEntry, facts: &mut Facts) {
    let key = |what: &str| format!("product {} {what}", p.slug);
    facts.add(
        format!("product {}", p.slug),
        format!(
            "\"{}\", measure {}",
            p.display,
            crate::table::describe_dimension(&p.measure)
        ),
    );
    if !p.aliases.is_empty() {
        let quoted: Vec<String> = p.aliases.iter().map(|a| format!("\"{a}\"")).collect();
        facts.add(key("aka"), quoted.join(", "));
    }
    facts.add(key("pricing"), words::pricing_kind(t, p));
    for f in &p.fees {
        facts.add(
            key(&format!("fee \"{}\"", f.name)),
            format!("{}, {}", f.stated(t.currency()), f.cadence()),
        );
    }
    match &p.pricing {
        PricingEntry::Cells { cells } => {
            for (cell, values) in words::cells(t, p) {
                let rate = cells
                    .get(cell as usize)
                    .and_then(|c| c.as_ref())
                    .map_or("not offered".to_string(), |r| words::rate(t, r));
                facts.add(
                    format!("{}{}", key("rate"), words::cell_label(&values)),
                    rate,
                );
            }
        }
        PricingEntry::Tiered { tiers, .. } => {
            for (i, tier) in tiers.iter().enumerate() {
                facts.add(
                    key(&format!("tier {}", i + 1)),
                    words::tier(t, &p.measure, tier),
                );
            }
        }
        PricingEntry::Unpublished { .. } => facts.add(key("rate"), "unpublished".to_string()),
        PricingEntry::Flat { .. } | PricingEntry::Free { .. } => {
            if let Some(rate) = words::rate_on_plan(t, None, id, 0) {
                facts.add(key("rate"), rate);
            }
        }
    }
    if let Some(r) = words::rounding(t, p) {
        facts.add(key("round"), r);
    }
    if let Some(b) = &p.min {
        facts.add(key("min"), b.text.clone());
    }
    if let Some(b) = &p.max {
        facts.add(key("max"), b.text.clone());
    }
    if p.outside_wallet {
        facts.add(key("outside wallet"), "yes");
    }
}

/// A plan's price, billing, grants, what a wallet unit is worth, packs, products, limits,
/// allowances, features, commitment and what happens when its wallet is empty.
fn plan_facts(t: &RatingTable, pl: &PlanEntry, facts: &mut Facts) {
    let key = |what: &str| format!("plan {} {what}", pl.slug);
    facts.add(format!("plan {}", pl.slug), format!("\"{}\"", pl.display));
    facts.add(key("price"), words::price(t, &pl.price));
    facts.add(key("billing"), pl.billing.join(", "));
    for g in &pl.grants {
        facts.add(key("grant"), words::grant(t, g));
    }
    for w in &pl.wallet_prices {
        let unit = t.unit_name(w.unit);
        let value = match words::worth(w.price, w.granted) {
            Some(v) => format!(
                "{v} {} ({} {} / {} {unit})",
                t.currency(),
                w.price.normalize(),
                t.currency(),
                w.granted.normalize()
            ),
            None => "-".to_string(),
        };
        facts.add(key(&format!("1 {unit} is worth")), value);
    }
    facts.add(
        key("packs"),
        if pl.packs_allowed {
            "allowed"
        } else {
            "not allowed"
        },
    );
    let offered: Vec<&str> = t
        .products()
        .iter()
        .zip(&pl.available)
        .filter(|(_, a)| **a)
        .map(|(p, _)| p.slug.as_str())
        .collect();
    let products = if offered.len() == t.products().len() {
        "all".to_string()
    } else if offered.is_empty() {
        "none".to_string()
    } else {
        offered.join(", ")
    };
    facts.add(key("products"), products);
    facts.add(key("when empty"), words::when_empty(t, &pl.when_empty));
    for l in &pl.limits {
        facts.add(key(&format!("limit {}", l.name)), words::limit(t, l));
    }
    for a in &pl.allowances {
        facts.add(key("allowance"), words::allowance(t, a));
    }
    for f in &pl.fees {
        facts.add(
            key(&format!("fee \"{}\"", f.name)),
            format!("{}, {}", f.stated(t.currency()), f.cadence()),
        );
    }
    if let Some(u) = &pl.top_up {
        let mut text = format!("any amount of {}", t.unit_name(u.unit));
        if let Some(m) = u.minimum {
            text.push_str(&format!(", minimum {m}"));
        }
        if let Some(m) = u.maximum {
            text.push_str(&format!(", maximum {m}"));
        }
        text.push_str(&format!(", expires {}", u.expiry));
        facts.add(key("top up"), text);
    }
    for (name, value) in &pl.features {
        facts.add(key(&format!("feature {name}")), value.clone());
    }
    if let Some(c) = &pl.commit {
        facts.add(key("commit"), words::commit(t, c));
    }
}

/// A pack's price, grants and the plans that may buy it.
fn pack_facts(t: &RatingTable, pack: &PackEntry, facts: &mut Facts) {
    let key = |what: &str| format!("pack {} {what}", pack.slug);
    facts.add(
        format!("pack {}", pack.slug),
        format!("\"{}\"", pack.display),
    );
    facts.add(key("price"), words::price(t, &pack.price));
    for g in &pack.grants {
        facts.add(key("grant"), words::grant(t, g));
    }
    let plans: Vec<&str> = pack
        .plans
        .iter()
        .filter_map(|p| t.plans().get(*p as usize).map(|p| p.slug.as_str()))
        .collect();
    facts.add(
        key("for"),
        if plans.is_empty() {
            "no plan".to_string()
        } else {
            plans.join(", ")
        },
    );
}

/// One plan x product x dimension values.
pub(crate) struct Cell<'a> {
    pub(crate) plan: Option<PlanId>,
    pub(crate) product: ProductId,
    pub(crate) cell: CellId,
    pub(crate) values: &'a [(String, String)],
}

impl Cell<'_> {
    /// `creator hedra-avatar`, `mmc-1000 video-generation [Digital Twin, IV]`.
    fn label(&self, t: &RatingTable) -> String {
        let plan = self
            .plan
            .and_then(|p| t.plans().get(p as usize))
            .map_or("(no plan)", |p| p.slug.as_str());
        let product = t
            .products()
            .get(self.product as usize)
            .map_or("?", |p| p.slug.as_str());
        format!("{plan} {product}{}", words::cell_label(self.values))
    }

    fn dims(&self) -> Vec<Dim> {
        self.values
            .iter()
            .map(|(name, value)| Dim {
                name: Some(name.clone()),
                value: value.clone(),
            })
            .collect()
    }

    pub(crate) fn quote(&self, book: &Opened, quantity: &str) -> Result<QuoteAnswer, String> {
        let t = &book.table;
        let mut q = QuoteQuestion::new(
            t.products()
                .get(self.product as usize)
                .map_or("", |p| p.slug.as_str()),
            quantity,
        );
        q.plan = self
            .plan
            .and_then(|p| t.plans().get(p as usize))
            .map(|p| p.slug.clone());
        q.dims = self.dims();
        answer::quote(book, &q).map_err(|e| e.message().to_string())
    }
}

/// What a priced quote says: `420 credit, 4.20 USD`, or why it has no money equivalent, or why
/// the book refuses it.
pub(crate) fn quote_text(a: &QuoteAnswer) -> String {
    if let Some(r) = &a.rejected {
        return format!("rejected ({}): {}", r.kind, r.reason);
    }
    let charge = a
        .charge
        .as_ref()
        .map_or(String::new(), |c| format!("{} {}", c.amount, c.unit));
    let charge = charge.trim_end();
    match (&a.money, &a.money_note) {
        (Some(Some(m)), _) if charge.ends_with(&m.currency) => charge.to_string(),
        (Some(Some(m)), _) => format!("{charge}, {} {}", m.amount, m.currency),
        (_, Some(Some(note))) => format!("{charge}, no money equivalent: {note}"),
        _ => charge.to_string(),
    }
}

/// The quantity a rate is per, to quote the rate's money equivalent: `1 second`, `1000
/// character`; `None` for a free product.
pub(crate) fn rate_quantity(
    t: &RatingTable,
    pl: Option<&PlanEntry>,
    c: &Cell<'_>,
) -> Option<String> {
    let p = t.products().get(c.product as usize)?;
    let per =
        |per: rust_decimal::Decimal, unit| format!("{} {}", per.normalize(), t.unit_name(unit));
    if let Some((_, r)) = pl.and_then(|pl| pl.overrides.iter().find(|(i, _)| *i == c.product)) {
        return Some(per(r.per, r.per_unit));
    }
    match &p.pricing {
        PricingEntry::Cells { cells } => cells
            .get(c.cell as usize)
            .and_then(|r| r.as_ref())
            .map(|r| per(r.per, r.per_unit)),
        PricingEntry::Tiered { tiers, .. } => {
            tiers.first().map(|r| per(r.rate.per, r.rate.per_unit))
        }
        PricingEntry::Flat { .. } => Some(format!("1 {}", t.base_unit(&p.measure))),
        PricingEntry::Free { .. } | PricingEntry::Unpublished { .. } => None,
    }
}

/// The rate a plan charges in one cell, its money equivalent (the quote of the quantity the
/// rate is per) and what the plan's recurring grant buys of it. `false` when the plan does not
/// offer the cell, so nothing else about it is a price.
fn cell_facts(book: &Opened, c: &Cell<'_>, facts: &mut Facts) -> bool {
    let t = &book.table;
    let label = c.label(t);
    let pl = c.plan.and_then(|p| t.plans().get(p as usize));
    if pl.is_some_and(|pl| {
        !pl.available
            .get(c.product as usize)
            .copied()
            .unwrap_or(false)
    }) {
        facts.add(format!("cell {label} rate"), "not available on this plan");
        return false;
    }
    let Some(rate) = words::rate_on_plan(t, pl, c.product, c.cell) else {
        facts.add(format!("cell {label} rate"), "not offered");
        return false;
    };
    facts.add(format!("cell {label} rate"), rate);
    if let Some(quantity) = rate_quantity(t, pl, c) {
        let value = match c.quote(book, &quantity) {
            Ok(a) => money_text(&a),
            Err(e) => format!("not quoted: {e}"),
        };
        facts.add(format!("cell {label} money per {quantity}"), value);
    }
    if let Some(pl) = pl {
        facts.add(format!("cell {label} capacity"), capacity_text(book, pl, c));
    }
    true
}

/// The money of a quote: `0.04 USD`, or why there is none.
pub(crate) fn money_text(a: &QuoteAnswer) -> String {
    if let Some(r) = &a.rejected {
        return format!("rejected ({}): {}", r.kind, r.reason);
    }
    match (&a.money, &a.money_note) {
        (Some(Some(m)), _) => format!("{} {}", m.amount, m.currency),
        (_, Some(Some(note))) => format!("none: {note}"),
        _ => "none".into(),
    }
}

/// What `pricebook capacity` answers for the cell, in the unit the product is rated per.
pub(crate) fn capacity_text(book: &Opened, pl: &PlanEntry, c: &Cell<'_>) -> String {
    let t = &book.table;
    let mut q = CapacityQuestion::new(
        t.products()
            .get(c.product as usize)
            .map_or("", |p| p.slug.as_str()),
    );
    q.plan = Some(pl.slug.clone());
    q.dims = c.dims();
    match answer::capacity(book, &q) {
        Ok(a) => match (&a.quantity.value, &a.rejected) {
            (Some(v), _) => format!("{v} {}", a.quantity.unit),
            (None, Some(r)) => format!("none ({}): {}", r.kind, r.reason),
            (None, None) => "none".into(),
        },
        Err(e) => format!("none: {}", e.message()),
    }
}

/// The quantities a product is quoted at: the ones asked for in its measure, or a minute of
/// time, 1,000 characters of text, one megapixel, one of anything counted.
pub(super) fn standard_quantities(
    t: &RatingTable,
    p: &ProductEntry,
    asked: &[StandardQuantity],
) -> Vec<String> {
    let mine: Vec<String> = asked
        .iter()
        .filter(|q| {
            t.find_unit(&q.unit)
                .ok()
                .and_then(|u| t.units().get(u as usize))
                .is_some_and(|u| u.dimension == p.measure)
        })
        .map(|q| format!("{} {}", q.value, q.unit))
        .collect();
    if !mine.is_empty() {
        return mine;
    }
    vec![match p.measure.as_str() {
        "time" => "1 minute".to_string(),
        "text" => "1000 character".to_string(),
        "area" => "1 megapixel".to_string(),
        other => format!("1 {}", t.base_unit(other)),
    }]
}

/// The quote of each standard quantity of the cell's product on its plan.
fn quote_facts(book: &Opened, c: &Cell<'_>, asked: &[StandardQuantity], facts: &mut Facts) {
    let t = &book.table;
    let Some(p) = t.products().get(c.product as usize) else {
        return;
    };
    let label = c.label(t);
    for quantity in standard_quantities(t, p, asked) {
        let value = match c.quote(book, &quantity) {
            Ok(a) => quote_text(&a),
            Err(e) => format!("not quoted: {e}"),
        };
        facts.add(format!("quote {label} {quantity}"), value);
    }
}

/// A worked example's statements, in the canonical layout.
fn example_facts(e: &Example, facts: &mut Facts) {
    for s in &e.statements {
        facts.add(format!("example \"{}\"", e.name), s.clone());
    }
}
