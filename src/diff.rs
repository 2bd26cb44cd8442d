//! Comparing two versions of a price list: what changed, by how much, and what a usage costs
//! before and after.
//!
//! Both sides are [`RatingTable`]s (a book compiles to one in memory), so a book can be compared
//! with a book or a compiled table. Items are matched by slug: products, plans and packs that only
//! one side has are added or removed; for the others every field that differs is a [`Change`]
//! with the old and new value as written and, when both are numbers in one dimension, the
//! percent change. The result is plain data, serialisable to JSON (decimals as strings).
//!
//! ```
//! use pricebook::pipeline::compile_source;
//! use pricebook::diff::{Side, diff};
//! let old = compile_source(r#"
//! pricebook acme version "1" effective 2026-01-01 currency USD
//! unit credit
//! product "Render" as render { measure time  rate 2 credit / second }
//! plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
//! "#).expect("a clean book");
//! let new = compile_source(r#"
//! pricebook acme version "2" effective 2026-07-01 currency USD
//! unit credit
//! product "Render" as render { measure time  rate 3 credit / second }
//! plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
//! "#).expect("a clean book");
//! let d = diff(&Side::table(&old, "v1"), &Side::table(&new, "v2"));
//! let change = &d.products.changed[0].changes[0];
//! assert_eq!(change.what, "rate");
//! assert_eq!(change.old.as_deref(), Some("2 credit / second"));
//! assert_eq!(change.new.as_deref(), Some("3 credit / second"));
//! assert_eq!(change.percent.map(|p| p.to_string()).as_deref(), Some("50"));
//! ```

use crate::base::names::name_key;
use crate::model::RateDef;
use crate::table::{
    CellId, GrantEntry, LimitKindEntry, PlanEntry, PlanId, PriceEntry, PricingEntry, ProductEntry,
    ProductId, RateCell, RatingTable, UnitEntry, UnitId,
};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::collections::BTreeMap;

/// One side of a comparison.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub table: &'a RatingTable,
    /// The book's `floor`: `Some(None)` for a book without one, `None` when it is not known (a
    /// compiled table does not carry the floor).
    pub floor: Option<Option<&'a RateDef>>,
    /// What to call this side in reports (a file name).
    pub source: &'a str,
}

impl<'a> Side<'a> {
    /// A compiled table, whose floor is not known.
    pub fn table(table: &'a RatingTable, source: &'a str) -> Self {
        Side {
            table,
            floor: None,
            source,
        }
    }
}

/// Which version a side is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionInfo {
    pub source: String,
    pub vendor: String,
    pub version: String,
    pub effective: String,
    pub currency: String,
}

/// The comparison of two versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub old: VersionInfo,
    pub new: VersionInfo,
    pub products: Section,
    pub plans: Section,
    pub packs: Section,
    /// Book-wide changes: currency, units, dimensions, annual front-loading, auto recharge, floor.
    pub book: Vec<Change>,
    /// What the comparison could not do or should warn about.
    pub notes: Vec<String>,
    /// The cost of a usage file under each plan, before and after (see [`price_usage`]).
    pub usage: Option<UsageDiff>,
}

impl Diff {
    /// Whether the two versions price anything differently.
    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
            && self.plans.is_empty()
            && self.packs.is_empty()
            && self.book.is_empty()
    }
}

/// Added, removed and changed items of one kind.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Section {
    pub added: Vec<Named>,
    pub removed: Vec<Named>,
    pub changed: Vec<ItemChanges>,
}

impl Section {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Named {
    pub slug: String,
    pub display: String,
}

/// The changes of one item present on both sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemChanges {
    pub slug: String,
    pub display: String,
    pub changes: Vec<Change>,
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The field: `rate`, `rate 720p`, `price`, `grant amount`, `limit video length`, ...
    pub what: String,
    /// The old value as written; `None` when the old side does not have it.
    pub old: Option<String>,
    pub new: Option<String>,
    /// `(new - old) / old x 100`, rounded to 2 decimals; only when both values are numbers of one
    /// dimension (converted to its base unit) and the old one is not zero.
    pub percent: Option<Decimal>,
    /// Why there is no percent (units differ), or what else to know.
    pub note: Option<String>,
}

// ------------------------------------------------------------------------------------------------
// Values

/// A value as written, and when it is a number, its value in base units with what it measures.
struct Val {
    text: String,
    /// (value in base units, comparison key, units as written for notes)
    num: Option<(Decimal, String, String)>,
}

impl Val {
    fn text(text: impl Into<String>) -> Val {
        Val {
            text: text.into(),
            num: None,
        }
    }
    fn num(text: impl Into<String>, base: Option<Decimal>, key: String, units: String) -> Val {
        Val {
            text: text.into(),
            num: base.map(|b| (b, key, units)),
        }
    }
}

/// `(new - old) / old x 100`, rounded half away from zero to 2 decimals.
pub fn percent(old: Decimal, new: Decimal) -> Option<Decimal> {
    if old.is_zero() {
        return None;
    }
    let p = new
        .checked_sub(old)?
        .checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(old)?;
    Some(
        p.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
            .normalize(),
    )
}

fn change(what: impl Into<String>, old: Option<Val>, new: Option<Val>) -> Option<Change> {
    let same = match (&old, &new) {
        (Some(a), Some(b)) => a.text == b.text,
        (None, None) => true,
        _ => false,
    };
    if same {
        return None;
    }
    let (mut pct, mut note) = (None, None);
    if let (Some(Val { num: Some(a), .. }), Some(Val { num: Some(b), .. })) = (&old, &new) {
        if a.1 == b.1 {
            pct = percent(a.0, b.0);
            if pct.is_none() && a.0.is_zero() {
                note = Some("no percent change from zero".to_string());
            }
        } else {
            note = Some(format!("units differ: {} -> {}", a.2, b.2));
        }
    }
    Some(Change {
        what: what.into(),
        old: old.map(|v| v.text),
        new: new.map(|v| v.text),
        percent: pct,
        note,
    })
}

fn push(out: &mut Vec<Change>, c: Option<Change>) {
    out.extend(c);
}

/// A decimal as written in the book (`0.50` stays `0.50`).
fn dec(d: Decimal) -> String {
    d.to_string()
}

/// A computed decimal, without trailing zeros.
fn norm(d: Decimal) -> String {
    d.normalize().to_string()
}

/// The table helpers a comparison needs.
struct T<'a>(&'a RatingTable);

impl<'a> T<'a> {
    fn unit(&self, id: UnitId) -> Option<&'a UnitEntry> {
        self.0.units.get(id as usize)
    }
    fn unit_name(&self, id: UnitId) -> &'a str {
        self.unit(id).map_or("", |u| u.name.as_str())
    }
    fn unit_dim(&self, id: UnitId) -> &'a str {
        self.unit(id).map_or("", |u| u.dimension.as_str())
    }
    fn factor(&self, id: UnitId) -> Decimal {
        self.unit(id).map_or(Decimal::ONE, |u| u.factor)
    }
    fn product_slug(&self, id: ProductId) -> &'a str {
        self.0
            .products
            .get(id as usize)
            .map_or("?", |p| p.slug.as_str())
    }
    fn plan_slug(&self, id: PlanId) -> &'a str {
        self.0
            .plans
            .get(id as usize)
            .map_or("?", |p| p.slug.as_str())
    }

    /// `7 credit / second`, `15 credit / 1000 character`.
    fn rate_text(&self, r: &RateCell) -> String {
        let (unit, per_unit) = (self.unit_name(r.unit), self.unit_name(r.per_unit));
        if r.per == Decimal::ONE {
            format!("{} {unit} / {per_unit}", dec(r.amount))
        } else {
            format!("{} {unit} / {} {per_unit}", dec(r.amount), dec(r.per))
        }
    }

    /// A rate, compared per base unit of what it charges and of what it is per.
    fn rate(&self, r: &RateCell) -> Val {
        let base = r
            .amount
            .checked_mul(self.factor(r.unit))
            .and_then(|a| a.checked_div(r.per_base));
        Val::num(
            self.rate_text(r),
            base,
            format!("{}/{}", self.unit_dim(r.unit), self.unit_dim(r.per_unit)),
            format!(
                "{} / {}",
                self.unit_name(r.unit),
                self.unit_name(r.per_unit)
            ),
        )
    }

    /// An amount of a unit: `5400 credit`, `1 hour`.
    fn amount(&self, amount: Decimal, unit: UnitId) -> Val {
        Val::num(
            format!("{} {}", dec(amount), self.unit_name(unit)),
            amount.checked_mul(self.factor(unit)),
            self.unit_dim(unit).to_string(),
            self.unit_name(unit).to_string(),
        )
    }

    /// An amount of the book's currency.
    fn money(&self, amount: Decimal) -> Val {
        let c = &self.0.currency;
        Val::num(
            format!("{} {c}", dec(amount)),
            Some(amount),
            format!("money:{c}"),
            c.clone(),
        )
    }

    /// The largest unit of a dimension that every value (in base units) is a whole number of;
    /// the base unit when all are zero or none fits.
    fn unit_for(&self, dimension: &str, values: &[Decimal]) -> (String, Decimal) {
        let base = (self.0.base_unit(dimension).to_string(), Decimal::ONE);
        if values.iter().all(|v| v.is_zero()) {
            return base;
        }
        self.0
            .units
            .iter()
            .filter(|u| u.dimension == dimension && !u.factor.is_zero())
            .filter(|u| {
                values
                    .iter()
                    .all(|v| v.checked_div(u.factor).is_some_and(|n| n.fract().is_zero()))
            })
            .max_by_key(|u| u.factor)
            .map_or(base, |u| (u.name.clone(), u.factor))
    }

    /// A quantity given in base units of a dimension, written in the largest unit of that
    /// dimension it is a whole number of (`60` seconds -> `1 minute`).
    fn base_qty(&self, dimension: &str, base: Decimal) -> String {
        let (name, factor) = self.unit_for(dimension, &[base]);
        format!("{} {name}", norm(base / factor))
    }

    fn base_val(&self, dimension: &str, base: Decimal) -> Val {
        Val::num(
            self.base_qty(dimension, base),
            Some(base),
            dimension.to_string(),
            self.0.base_unit(dimension).to_string(),
        )
    }

    fn price(&self, p: &PriceEntry) -> Val {
        match p {
            PriceEntry::Custom => Val::text("custom"),
            PriceEntry::Unpublished => Val::text("unpublished"),
            PriceEntry::Amount { amount, months } => {
                let c = &self.0.currency;
                let period = period(*months);
                let text = match &period {
                    Some(p) => format!("{} {c} / {p}", dec(*amount)),
                    None => format!("{} {c}", dec(*amount)),
                };
                let units = match &period {
                    Some(p) => format!("{c} / {p}"),
                    None => format!("{c} once"),
                };
                Val::num(text, Some(*amount), format!("money:{c}/{months}"), units)
            }
        }
    }

    fn grant_text(&self, g: &GrantEntry) -> String {
        format!(
            "{} {} {}, {}, priority {}",
            dec(g.amount),
            self.unit_name(g.unit),
            cadence(g.every_months),
            expiry(&g.expiry),
            g.priority
        )
    }
}

fn period(months: u32) -> Option<String> {
    match months {
        0 => None,
        1 => Some("month".into()),
        12 => Some("year".into()),
        n => Some(format!("{n} month")),
    }
}

fn cadence(every: Option<u32>) -> String {
    match every {
        None => "once".into(),
        Some(1) => "every month".into(),
        Some(12) => "every year".into(),
        Some(n) => format!("every {n} months"),
    }
}

fn expiry(e: &str) -> String {
    match e.split_once(':') {
        Some(("months", n)) => format!("expires after {n} month"),
        Some(("days", n)) => format!("expires after {n} day"),
        _ => match e {
            "never" => "never expires".into(),
            "cycle-end" => "expires at cycle end".into(),
            "contract-end" => "expires at contract end".into(),
            other => other.into(),
        },
    }
}

/// `time`, `character`, `USD`: a dimension name as a reader knows it.
fn measure_name(dimension: &str) -> String {
    match dimension.split_once(':') {
        Some((_, u)) => u.to_string(),
        None => dimension.to_string(),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

// ------------------------------------------------------------------------------------------------
// The comparison

/// Compares two versions.
pub fn diff(old: &Side<'_>, new: &Side<'_>) -> Diff {
    let (a, b) = (T(old.table), T(new.table));
    let info = |s: &Side<'_>| VersionInfo {
        source: s.source.to_string(),
        vendor: s.table.vendor.clone(),
        version: s.table.version.clone(),
        effective: s.table.effective.clone(),
        currency: s.table.currency.clone(),
    };
    let mut notes = Vec::new();
    if old.table.vendor != new.table.vendor {
        notes.push(format!(
            "the books are of different vendors (`{}` and `{}`)",
            old.table.vendor, new.table.vendor
        ));
    }
    if new.table.effective <= old.table.effective {
        notes.push(format!(
            "the new version is not later than the old one (effective {} vs {})",
            new.table.effective, old.table.effective
        ));
    }

    let products = section(
        &old.table.products,
        &new.table.products,
        |p| (&p.slug, &p.display),
        |p, q| product_changes(&a, p, &b, q),
    );
    let plans = section(
        &old.table.plans,
        &new.table.plans,
        |p| (&p.slug, &p.display),
        |p, q| plan_changes(&a, p, &b, q),
    );
    let packs = section(
        &old.table.packs,
        &new.table.packs,
        |p| (&p.slug, &p.display),
        |p, q| {
            let mut out = Vec::new();
            push(
                &mut out,
                change(
                    "name",
                    Some(Val::text(&p.display)),
                    Some(Val::text(&q.display)),
                ),
            );
            push(
                &mut out,
                change("price", Some(a.price(&p.price)), Some(b.price(&q.price))),
            );
            grant_changes(&a, &p.grants, &b, &q.grants, &mut out);
            let for_a: Vec<&str> = p.plans.iter().map(|i| a.plan_slug(*i)).collect();
            let for_b: Vec<&str> = q.plans.iter().map(|i| b.plan_slug(*i)).collect();
            let list = |v: &[&str]| {
                if v.is_empty() {
                    "no plan".to_string()
                } else {
                    v.join(", ")
                }
            };
            push(
                &mut out,
                change(
                    "for",
                    Some(Val::text(list(&for_a))),
                    Some(Val::text(list(&for_b))),
                ),
            );
            out
        },
    );

    let mut book = Vec::new();
    push(
        &mut book,
        change(
            "currency",
            Some(Val::text(&old.table.currency)),
            Some(Val::text(&new.table.currency)),
        ),
    );
    // Units a book declares (built-in ones are in every table, so only declared ones differ).
    let unit_text = |t: &T<'_>, u: &UnitEntry| {
        if u.factor == Decimal::ONE {
            format!("unit {}", u.name)
        } else {
            format!(
                "unit {} = {} {}",
                u.name,
                dec(u.factor),
                t.0.base_unit(&u.dimension)
            )
        }
    };
    let units_a: BTreeMap<&str, &UnitEntry> = old
        .table
        .units
        .iter()
        .map(|u| (u.name.as_str(), u))
        .collect();
    let units_b: BTreeMap<&str, &UnitEntry> = new
        .table
        .units
        .iter()
        .map(|u| (u.name.as_str(), u))
        .collect();
    for name in ordered_keys(
        old.table.units.iter().map(|u| u.name.as_str()),
        new.table.units.iter().map(|u| u.name.as_str()),
    ) {
        push(
            &mut book,
            change(
                format!("unit {name}"),
                units_a.get(name).map(|u| Val::text(unit_text(&a, u))),
                units_b.get(name).map(|u| Val::text(unit_text(&b, u))),
            ),
        );
    }
    let dims_a: BTreeMap<&str, String> = old
        .table
        .dimensions
        .iter()
        .map(|d| (d.name.as_str(), d.values.join(", ")))
        .collect();
    let dims_b: BTreeMap<&str, String> = new
        .table
        .dimensions
        .iter()
        .map(|d| (d.name.as_str(), d.values.join(", ")))
        .collect();
    for name in ordered_keys(
        old.table.dimensions.iter().map(|d| d.name.as_str()),
        new.table.dimensions.iter().map(|d| d.name.as_str()),
    ) {
        push(
            &mut book,
            change(
                format!("dimension {name}"),
                dims_a.get(name).map(Val::text),
                dims_b.get(name).map(Val::text),
            ),
        );
    }
    let front = |n: Option<u32>| {
        n.map(|n| {
            Val::num(
                format!("{n} month"),
                Some(Decimal::from(n)),
                "months".into(),
                "month".into(),
            )
        })
    };
    push(
        &mut book,
        change(
            "billing annual front-load",
            front(old.table.annual_front_load),
            front(new.table.annual_front_load),
        ),
    );
    recharge_changes(&a, &b, &mut book);
    match (old.floor, new.floor) {
        (Some(fa), Some(fb)) => {
            let floor = |t: &T<'_>, r: Option<&RateDef>| {
                r.map(|r| {
                    let unit = t.0.units.iter().find(|u| u.name == r.unit);
                    let per = t.0.units.iter().find(|u| u.name == r.per_unit);
                    let base = unit
                        .and_then(|u| r.amount.checked_mul(u.factor))
                        .and_then(|a| a.checked_div(r.per_base));
                    let dim =
                        |u: Option<&UnitEntry>| u.map_or(String::new(), |u| u.dimension.clone());
                    Val::num(
                        r.describe(),
                        base,
                        format!("{}/{}", dim(unit), dim(per)),
                        format!("{} / {}", r.unit, r.per_unit),
                    )
                })
            };
            push(&mut book, change("floor", floor(&a, fa), floor(&b, fb)));
        }
        _ => notes.push(
            "the floor is not compared: a compiled table does not carry it; compare the books"
                .to_string(),
        ),
    }

    Diff {
        old: info(old),
        new: info(new),
        products,
        plans,
        packs,
        book,
        notes,
        usage: None,
    }
}

/// Keys of the old side in order, then the new side's new ones in order.
fn ordered_keys<'k>(
    a: impl Iterator<Item = &'k str>,
    b: impl Iterator<Item = &'k str>,
) -> Vec<&'k str> {
    let mut out: Vec<&str> = Vec::new();
    for k in a.chain(b) {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

fn section<'x, I>(
    old: &'x [I],
    new: &'x [I],
    names: impl Fn(&'x I) -> (&'x String, &'x String),
    compare: impl Fn(&'x I, &'x I) -> Vec<Change>,
) -> Section {
    let named = |i: &'x I| {
        let (slug, display) = names(i);
        Named {
            slug: slug.clone(),
            display: display.clone(),
        }
    };
    let mut s = Section::default();
    for o in old {
        match new.iter().find(|n| names(n).0 == names(o).0) {
            None => s.removed.push(named(o)),
            Some(n) => {
                let changes = compare(o, n);
                if !changes.is_empty() {
                    s.changed.push(ItemChanges {
                        slug: names(n).0.clone(),
                        display: names(n).1.clone(),
                        changes,
                    });
                }
            }
        }
    }
    for n in new {
        if !old.iter().any(|o| names(o).0 == names(n).0) {
            s.added.push(named(n));
        }
    }
    s
}

/// The kind of pricing, for saying that it changed: `rate`, `matrix by resolution`, ...
fn pricing_kind(t: &T<'_>, p: &ProductEntry) -> String {
    match &p.pricing {
        PricingEntry::Cells { .. } if p.dims.is_empty() => "rate".into(),
        PricingEntry::Cells { .. } => format!("matrix by {}", dim_names(t, p).join(", ")),
        PricingEntry::Tiered { mode, .. } => format!("{mode:?} tiers").to_lowercase(),
        PricingEntry::Flat { .. } => "flat".into(),
        PricingEntry::Free { .. } => "free".into(),
    }
}

fn dim_names<'a>(t: &T<'a>, p: &ProductEntry) -> Vec<&'a str> {
    p.dims
        .iter()
        .filter_map(|d| t.0.dimensions.get(*d as usize).map(|d| d.name.as_str()))
        .collect()
}

/// Every cell of a product: (label, key for matching, cell id), row-major.
fn cells(t: &T<'_>, p: &ProductEntry) -> Vec<(String, String, CellId)> {
    let mut out = vec![(String::new(), String::new(), 0u32)];
    for (d, stride) in p.dims.iter().zip(&p.strides) {
        let Some(dim) = t.0.dimensions.get(*d as usize) else {
            continue;
        };
        let mut next = Vec::new();
        for (label, key, id) in &out {
            for (i, v) in dim.values.iter().enumerate() {
                let join = |a: &str, b: &str| {
                    if a.is_empty() {
                        b.to_string()
                    } else {
                        format!("{a}, {b}")
                    }
                };
                next.push((
                    join(label, v),
                    join(key, &name_key(v)),
                    id + i as u32 * stride,
                ));
            }
        }
        out = next;
    }
    out
}

fn cell_val(t: &T<'_>, cells: &[Option<RateCell>], id: CellId) -> Option<Val> {
    match cells.get(id as usize) {
        Some(Some(r)) => Some(t.rate(r)),
        Some(None) => Some(Val::text("not offered")),
        None => None,
    }
}

/// The whole pricing of a product as one line, for a change of pricing kind.
fn pricing_text(t: &T<'_>, p: &ProductEntry) -> String {
    match &p.pricing {
        PricingEntry::Cells { cells: c } if p.dims.is_empty() => c
            .first()
            .and_then(|r| r.as_ref())
            .map_or("not offered".into(), |r| t.rate_text(r)),
        PricingEntry::Cells { cells: c } => {
            let body: Vec<String> = cells(t, p)
                .iter()
                .map(|(label, _, id)| {
                    let v = cell_val(t, c, *id).map_or("-".into(), |v| v.text);
                    format!("{label} = {v}")
                })
                .collect();
            format!("{}: {}", pricing_kind(t, p), body.join("; "))
        }
        PricingEntry::Tiered { tiers, .. } => {
            let all = bounds(tiers);
            let body: Vec<String> = tiers
                .iter()
                .map(|tier| {
                    format!(
                        "{}: {}",
                        tier_bounds(t, p, tier, &all),
                        t.rate_text(&tier.rate)
                    )
                })
                .collect();
            format!("{}: {}", pricing_kind(t, p), body.join("; "))
        }
        PricingEntry::Flat {
            amount, unit, per, ..
        } => match per {
            Some(per) => format!(
                "flat {} {} / {}",
                dec(*amount),
                t.unit_name(*unit),
                t.unit_name(*per)
            ),
            None => format!("flat {} {}", dec(*amount), t.unit_name(*unit)),
        },
        PricingEntry::Free { .. } => "free".into(),
    }
}

/// `0 minute .. 100 minute`, in one unit for every bound in `all`.
fn tier_bounds(
    t: &T<'_>,
    p: &ProductEntry,
    tier: &crate::table::TierEntry,
    all: &[Decimal],
) -> String {
    let (name, factor) = t.unit_for(&p.measure, all);
    let q = |v: Decimal| format!("{} {name}", norm(v / factor));
    match tier.to {
        Some(to) => format!("{} .. {}", q(tier.from), q(to)),
        None => format!("{} ..", q(tier.from)),
    }
}

fn bounds(tiers: &[crate::table::TierEntry]) -> Vec<Decimal> {
    tiers
        .iter()
        .flat_map(|t| std::iter::once(t.from).chain(t.to))
        .collect()
}

fn product_changes(a: &T<'_>, p: &ProductEntry, b: &T<'_>, q: &ProductEntry) -> Vec<Change> {
    let mut out = Vec::new();
    push(
        &mut out,
        change(
            "name",
            Some(Val::text(&p.display)),
            Some(Val::text(&q.display)),
        ),
    );
    push(
        &mut out,
        change(
            "measure",
            Some(Val::text(measure_name(&p.measure))),
            Some(Val::text(measure_name(&q.measure))),
        ),
    );
    let (kind_a, kind_b) = (pricing_kind(a, p), pricing_kind(b, q));
    match (&p.pricing, &q.pricing) {
        (PricingEntry::Cells { cells: ca }, PricingEntry::Cells { cells: cb }) => {
            if kind_a != kind_b {
                push(
                    &mut out,
                    change(
                        "pricing",
                        Some(Val::text(&kind_a)),
                        Some(Val::text(&kind_b)),
                    ),
                );
            }
            let (la, lb) = (cells(a, p), cells(b, q));
            if p.dims.is_empty() || q.dims.is_empty() {
                // A single rate against each cell of the other side (or against the single rate).
                let single = |t: &T<'_>, c: &[Option<RateCell>]| cell_val(t, c, 0);
                let many = if p.dims.is_empty() { &lb } else { &la };
                for (label, _, id) in many {
                    let what = if label.is_empty() {
                        "rate".to_string()
                    } else {
                        format!("rate {label}")
                    };
                    let (o, n) = if p.dims.is_empty() {
                        (single(a, ca), cell_val(b, cb, *id))
                    } else {
                        (cell_val(a, ca, *id), single(b, cb))
                    };
                    push(&mut out, change(what, o, n));
                }
            } else if kind_a == kind_b {
                for key in ordered_keys(
                    la.iter().map(|c| c.1.as_str()),
                    lb.iter().map(|c| c.1.as_str()),
                ) {
                    let ia = la.iter().find(|c| c.1 == key);
                    let ib = lb.iter().find(|c| c.1 == key);
                    let label = ib.or(ia).map_or(key, |c| c.0.as_str());
                    push(
                        &mut out,
                        change(
                            format!("rate {label}"),
                            ia.and_then(|c| cell_val(a, ca, c.2)),
                            ib.and_then(|c| cell_val(b, cb, c.2)),
                        ),
                    );
                }
            } else {
                push(
                    &mut out,
                    change(
                        "rates",
                        Some(Val::text(pricing_text(a, p))),
                        Some(Val::text(pricing_text(b, q))),
                    ),
                );
            }
        }
        (PricingEntry::Tiered { tiers: ta, .. }, PricingEntry::Tiered { tiers: tb, .. })
            if kind_a == kind_b =>
        {
            // One unit for the bounds of both sides when they measure the same thing.
            let (mut ba, mut bb) = (bounds(ta), bounds(tb));
            if p.measure == q.measure {
                ba.extend(bounds(tb));
                bb = ba.clone();
            }
            for i in 0..ta.len().max(tb.len()) {
                let (x, y) = (ta.get(i), tb.get(i));
                push(
                    &mut out,
                    change(
                        format!("tier {} bounds", i + 1),
                        x.map(|x| Val::text(tier_bounds(a, p, x, &ba))),
                        y.map(|y| Val::text(tier_bounds(b, q, y, &bb))),
                    ),
                );
                push(
                    &mut out,
                    change(
                        format!("tier {} rate", i + 1),
                        x.map(|x| a.rate(&x.rate)),
                        y.map(|y| b.rate(&y.rate)),
                    ),
                );
            }
        }
        (
            PricingEntry::Flat {
                amount: xa,
                unit: ua,
                ..
            },
            PricingEntry::Flat {
                amount: xb,
                unit: ub,
                ..
            },
        ) => {
            let val = |t: &T<'_>, p: &ProductEntry, amount: Decimal, unit: UnitId| {
                let mut v = t.amount(amount, unit);
                v.text = pricing_text(t, p);
                v
            };
            push(
                &mut out,
                change("flat", Some(val(a, p, *xa, *ua)), Some(val(b, q, *xb, *ub))),
            );
        }
        (PricingEntry::Free { .. }, PricingEntry::Free { .. }) => {}
        _ => {
            let mut c = change(
                "pricing",
                Some(Val::text(pricing_text(a, p))),
                Some(Val::text(pricing_text(b, q))),
            );
            if let Some(c) = &mut c {
                c.note = Some(format!("{kind_a} -> {kind_b}"));
            }
            push(&mut out, c);
        }
    }
    let rounding = |t: &T<'_>, p: &ProductEntry| match &p.rounding {
        Some(r) => Val::text(format!(
            "round {} to {}",
            format!("{:?}", r.mode).to_lowercase(),
            t.base_qty(&p.measure, r.step)
        )),
        None => Val::text("prorate"),
    };
    push(
        &mut out,
        change("rounding", Some(rounding(a, p)), Some(rounding(b, q))),
    );
    let bound = |t: &T<'_>, p: &ProductEntry, b: &Option<crate::table::BoundEntry>| {
        b.as_ref().map(|b| {
            let mut v = t.base_val(&p.measure, b.base);
            v.text = b.text.clone();
            v
        })
    };
    push(
        &mut out,
        change("min", bound(a, p, &p.min), bound(b, q, &q.min)),
    );
    push(
        &mut out,
        change("max", bound(a, p, &p.max), bound(b, q, &q.max)),
    );
    push(
        &mut out,
        change(
            "outside wallet",
            Some(Val::text(yes_no(p.outside_wallet))),
            Some(Val::text(yes_no(q.outside_wallet))),
        ),
    );
    out
}

fn grant_changes(
    a: &T<'_>,
    ga: &[GrantEntry],
    b: &T<'_>,
    gb: &[GrantEntry],
    out: &mut Vec<Change>,
) {
    let n = ga.len().max(gb.len());
    for i in 0..n {
        let what = if n == 1 {
            "grant".to_string()
        } else {
            format!("grant {}", i + 1)
        };
        match (ga.get(i), gb.get(i)) {
            (Some(x), Some(y)) => {
                push(
                    out,
                    change(
                        format!("{what} amount"),
                        Some(a.amount(x.amount, x.unit)),
                        Some(b.amount(y.amount, y.unit)),
                    ),
                );
                push(
                    out,
                    change(
                        format!("{what} cadence"),
                        Some(Val::text(cadence(x.every_months))),
                        Some(Val::text(cadence(y.every_months))),
                    ),
                );
                push(
                    out,
                    change(
                        format!("{what} expiry"),
                        Some(Val::text(expiry(&x.expiry))),
                        Some(Val::text(expiry(&y.expiry))),
                    ),
                );
                push(
                    out,
                    change(
                        format!("{what} priority"),
                        Some(Val::text(x.priority.to_string())),
                        Some(Val::text(y.priority.to_string())),
                    ),
                );
            }
            (x, y) => push(
                out,
                change(
                    what,
                    x.map(|g| Val::text(a.grant_text(g))),
                    y.map(|g| Val::text(b.grant_text(g))),
                ),
            ),
        }
    }
}

fn limit_val(t: &T<'_>, l: &crate::table::LimitEntry) -> Val {
    let scope: Vec<&str> = l.scope.iter().map(|i| t.product_slug(*i)).collect();
    let window = match &l.kind {
        LimitKindEntry::Window { window, .. } => format!(" per {window}"),
        _ => String::new(),
    };
    let on = if scope.is_empty() {
        String::new()
    } else {
        format!(" on {}", scope.join(", "))
    };
    let text = format!("<= {}{window}{on}", l.value);
    match &l.kind {
        LimitKindEntry::PerEvent { dimension, max } => Val::num(
            text,
            Some(*max),
            format!("per-event:{dimension}"),
            measure_name(dimension),
        ),
        LimitKindEntry::Window {
            max,
            dimension,
            window,
        } => Val::num(
            text,
            Some(*max),
            format!("window:{}:{window}", dimension.as_deref().unwrap_or("")),
            format!(
                "{} per {window}",
                dimension.as_deref().map_or("events".into(), measure_name)
            ),
        ),
        LimitKindEntry::Informational => {
            let n = crate::base::money::parse_decimal(l.value.trim());
            Val::num(text, n, "informational".into(), String::new())
        }
        LimitKindEntry::DimensionMax { .. } => Val::text(text),
    }
}

fn plan_changes(a: &T<'_>, p: &PlanEntry, b: &T<'_>, q: &PlanEntry) -> Vec<Change> {
    let mut out = Vec::new();
    push(
        &mut out,
        change(
            "name",
            Some(Val::text(&p.display)),
            Some(Val::text(&q.display)),
        ),
    );
    push(
        &mut out,
        change("price", Some(a.price(&p.price)), Some(b.price(&q.price))),
    );
    push(
        &mut out,
        change(
            "billing",
            Some(Val::text(p.billing.join(", "))),
            Some(Val::text(q.billing.join(", "))),
        ),
    );
    grant_changes(a, &p.grants, b, &q.grants, &mut out);
    // What one unit of the plan's grants is worth on it (price / units granted per period).
    let worth = |t: &T<'_>, pl: &PlanEntry| -> Vec<(String, Val)> {
        pl.wallet_prices
            .iter()
            .filter(|w| pl.grants.iter().any(|g| g.unit == w.unit))
            .map(|w| {
                let name = t.unit_name(w.unit).to_string();
                let per = w.price.checked_div(w.granted);
                let text = per.map_or("-".into(), |v| {
                    format!(
                        "{} {}",
                        norm(v.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)),
                        t.0.currency
                    )
                });
                let key = format!("money:{}", t.0.currency);
                (name, Val::num(text, per, key, t.0.currency.clone()))
            })
            .collect()
    };
    let (mut wa, mut wb) = (worth(a, p), worth(b, q));
    let names: Vec<String> = wa.iter().chain(wb.iter()).map(|w| w.0.clone()).collect();
    let mut done: Vec<String> = Vec::new();
    for name in names {
        if done.contains(&name) {
            continue;
        }
        let x = wa
            .iter()
            .position(|w| w.0 == name)
            .map(|i| wa.swap_remove(i).1);
        let y = wb
            .iter()
            .position(|w| w.0 == name)
            .map(|i| wb.swap_remove(i).1);
        push(&mut out, change(format!("1 {name} is worth"), x, y));
        done.push(name);
    }
    push(
        &mut out,
        change(
            "packs",
            Some(Val::text(if p.packs_allowed {
                "allowed"
            } else {
                "not allowed"
            })),
            Some(Val::text(if q.packs_allowed {
                "allowed"
            } else {
                "not allowed"
            })),
        ),
    );
    // Availability of the products both versions have.
    for (i, prod) in a.0.products.iter().enumerate() {
        let Some(j) = b.0.products.iter().position(|x| x.slug == prod.slug) else {
            continue;
        };
        let (x, y) = (
            p.available.get(i).copied().unwrap_or(false),
            q.available.get(j).copied().unwrap_or(false),
        );
        push(
            &mut out,
            change(
                format!("offers {}", prod.slug),
                Some(Val::text(yes_no(x))),
                Some(Val::text(yes_no(y))),
            ),
        );
    }
    // Plan rates replacing a product's own, by product slug.
    let over = |t: &T<'_>, pl: &PlanEntry, slug: &str| {
        pl.overrides
            .iter()
            .find(|(i, _)| t.product_slug(*i) == slug)
            .map(|(_, r)| t.rate(r))
    };
    for slug in ordered_keys(
        p.overrides.iter().map(|(i, _)| a.product_slug(*i)),
        q.overrides.iter().map(|(i, _)| b.product_slug(*i)),
    ) {
        push(
            &mut out,
            change(format!("rate {slug}"), over(a, p, slug), over(b, q, slug)),
        );
    }
    for key in ordered_keys(
        p.limits.iter().map(|l| l.name.as_str()),
        q.limits.iter().map(|l| l.name.as_str()),
    ) {
        let find = |t: &T<'_>, pl: &PlanEntry| {
            pl.limits
                .iter()
                .find(|l| name_key(&l.name) == name_key(key))
                .map(|l| limit_val(t, l))
        };
        push(
            &mut out,
            change(format!("limit {key}"), find(a, p), find(b, q)),
        );
    }
    for key in ordered_keys(
        p.features.iter().map(|f| f.0.as_str()),
        q.features.iter().map(|f| f.0.as_str()),
    ) {
        let find = |pl: &PlanEntry| {
            pl.features
                .iter()
                .find(|f| f.0 == key)
                .map(|f| Val::text(&f.1))
        };
        push(&mut out, change(format!("feature {key}"), find(p), find(q)));
    }
    let empty = |t: &T<'_>, pl: &PlanEntry| match &pl.when_empty {
        crate::table::EmptyEntry::Reject => Val::text("reject"),
        crate::table::EmptyEntry::AutoRecharge => Val::text("auto recharge"),
        crate::table::EmptyEntry::Overage { rate: None } => Val::text("overage"),
        // The commitment's own overage rate: compared under `overage` below.
        crate::table::EmptyEntry::Overage { rate: Some(r) }
            if pl.commit.as_ref().and_then(|c| c.overage.as_ref()) == Some(r) =>
        {
            Val::text("overage")
        }
        crate::table::EmptyEntry::Overage { rate: Some(r) } => {
            let mut v = t.rate(r);
            v.text = format!("overage {}", v.text);
            v
        }
    };
    push(
        &mut out,
        change("when empty", Some(empty(a, p)), Some(empty(b, q))),
    );
    let (ca, cb) = (p.commit.as_ref(), q.commit.as_ref());
    let commit = |t: &T<'_>, c: &crate::table::CommitEntry| {
        t.price(&PriceEntry::Amount {
            amount: c.amount,
            months: c.months,
        })
    };
    push(
        &mut out,
        change("commit", ca.map(|c| commit(a, c)), cb.map(|c| commit(b, c))),
    );
    push(
        &mut out,
        change(
            "includes",
            ca.and_then(|c| c.included).map(|(n, u)| a.amount(n, u)),
            cb.and_then(|c| c.included).map(|(n, u)| b.amount(n, u)),
        ),
    );
    push(
        &mut out,
        change(
            "contract rate",
            ca.and_then(|c| c.contract_rate.as_ref()).map(|r| a.rate(r)),
            cb.and_then(|c| c.contract_rate.as_ref()).map(|r| b.rate(r)),
        ),
    );
    push(
        &mut out,
        change(
            "overage",
            ca.and_then(|c| c.overage.as_ref()).map(|r| a.rate(r)),
            cb.and_then(|c| c.overage.as_ref()).map(|r| b.rate(r)),
        ),
    );
    out
}

fn recharge_changes(a: &T<'_>, b: &T<'_>, out: &mut Vec<Change>) {
    let (ra, rb) = (a.0.recharge.as_ref(), b.0.recharge.as_ref());
    if ra.is_none() != rb.is_none() {
        push(
            out,
            change(
                "auto recharge",
                ra.map(|_| Val::text("offered")),
                rb.map(|_| Val::text("offered")),
            ),
        );
    }
    let price = |t: &T<'_>, r: Option<&crate::table::RechargeEntry>| {
        r.and_then(|r| r.price).map(|(amount, per, unit)| {
            let c = &t.0.currency;
            let base = per
                .checked_mul(t.factor(unit))
                .and_then(|n| amount.checked_div(n));
            Val::num(
                format!("{} {c} / {} {}", dec(amount), dec(per), t.unit_name(unit)),
                base,
                format!("money:{c}/{}", t.unit_dim(unit)),
                format!("{c} / {}", t.unit_name(unit)),
            )
        })
    };
    push(
        out,
        change("auto recharge price", price(a, ra), price(b, rb)),
    );
    push(
        out,
        change(
            "auto recharge below",
            ra.and_then(|r| r.below).map(|(n, u)| a.amount(n, u)),
            rb.and_then(|r| r.below).map(|(n, u)| b.amount(n, u)),
        ),
    );
    push(
        out,
        change(
            "auto recharge refill to",
            ra.and_then(|r| r.refill_to).map(|(n, u)| a.amount(n, u)),
            rb.and_then(|r| r.refill_to).map(|(n, u)| b.amount(n, u)),
        ),
    );
    let cap = |t: &T<'_>, r: Option<&crate::table::RechargeEntry>| {
        r.and_then(|r| r.cap).map(|c| {
            let mut v = t.money(c);
            v.text = format!("{} / month", v.text);
            v
        })
    };
    push(out, change("auto recharge cap", cap(a, ra), cap(b, rb)));
}

// ------------------------------------------------------------------------------------------------
// Usage before and after

/// One line of a usage file: a product, a quantity and dimension values.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageLine {
    /// The line number in the usage file, for reports.
    pub line: u64,
    /// Slug or display name.
    pub product: String,
    pub value: Decimal,
    /// The quantity's unit; `None` means the base unit of the product's measure.
    pub unit: Option<String>,
    /// `(Some(dimension), value)` or a bare `(None, value)`.
    pub dims: Vec<(Option<String>, String)>,
}

/// A usage file priced under each plan of both versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageDiff {
    pub lines: usize,
    /// Lines one version cannot price on any plan: a product it does not have, a unit or a
    /// dimension value it does not know.
    pub unpriced_old: Vec<LineIssue>,
    pub unpriced_new: Vec<LineIssue>,
    pub plans: Vec<PlanUsage>,
    /// Lines of the usage file that could not be read (filled in by the reader of the file).
    pub bad_lines: Vec<BadLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadLine {
    pub line: u64,
    pub reason: String,
}

/// The cost of the usage on one plan, before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanUsage {
    /// The plan's slug (`-` for a book without plans).
    pub plan: String,
    pub display: String,
    /// `None` when that version has no plan of this slug.
    pub old: Option<UsageTotal>,
    pub new: Option<UsageTotal>,
    /// Percent change of the money totals, when both are known.
    pub money_percent: Option<Decimal>,
    /// Percent change of the charge, when both sides charge one unit of one dimension.
    pub charge_percent: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageTotal {
    /// Charges summed per unit, in the order first seen.
    pub charges: Vec<Amount>,
    /// The money equivalent of the priced lines, when every one of them has one.
    pub money: Option<Amount>,
    /// Lines priced on this plan.
    pub priced: usize,
    /// Priced lines without a money equivalent (a plan with no published price per credit).
    pub without_money: usize,
    pub rejected: Vec<LineIssue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Amount {
    pub amount: Decimal,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineIssue {
    pub line: u64,
    pub product: String,
    pub reason: String,
}

/// A usage line resolved against one table.
struct Resolved {
    line: u64,
    product_name: String,
    product: ProductId,
    cell: CellId,
    quantity: Decimal,
}

fn resolve_lines(t: &RatingTable, lines: &[UsageLine]) -> (Vec<Resolved>, Vec<LineIssue>) {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for l in lines {
        let issue = |reason: String| LineIssue {
            line: l.line,
            product: l.product.clone(),
            reason,
        };
        let Some(product) = t.product_id(&l.product) else {
            bad.push(issue(format!(
                "no product `{}` in {} {}",
                l.product, t.vendor, t.version
            )));
            continue;
        };
        let p = &t.products[product as usize];
        let unit = l
            .unit
            .clone()
            .unwrap_or_else(|| t.base_unit(&p.measure).to_string());
        let quantity = match t.base_quantity(product, l.value, &unit) {
            Ok(q) => q,
            Err(e) => {
                bad.push(issue(e.to_string()));
                continue;
            }
        };
        // Only the dimension values this version prices the product by: a usage export written
        // for a matrix product still prices on a version where it had one rate.
        let names: Vec<&str> = p
            .dims
            .iter()
            .filter_map(|d| t.dimensions.get(*d as usize))
            .map(|d| d.name.as_str())
            .collect();
        let belongs = |v: &str| {
            p.dims.iter().any(|d| {
                t.dimensions
                    .get(*d as usize)
                    .is_some_and(|d| d.values.iter().any(|x| name_key(x) == name_key(v)))
            })
        };
        let args: Vec<(Option<&str>, &str)> = l
            .dims
            .iter()
            .filter(|(k, v)| match k {
                Some(k) => names.iter().any(|n| n.eq_ignore_ascii_case(k)),
                None => belongs(v),
            })
            .map(|(k, v)| (k.as_deref(), v.as_str()))
            .collect();
        match t.resolve_cell(product, &args) {
            Ok(cell) => ok.push(Resolved {
                line: l.line,
                product_name: l.product.clone(),
                product,
                cell,
                quantity,
            }),
            Err(e) => bad.push(issue(e.to_string())),
        }
    }
    (ok, bad)
}

fn total(t: &RatingTable, plan: Option<PlanId>, lines: &[Resolved]) -> UsageTotal {
    let mut charges: Vec<Amount> = Vec::new();
    let mut money = Decimal::ZERO;
    let (mut priced, mut without_money) = (0usize, 0usize);
    let mut rejected = Vec::new();
    for l in lines {
        let reject = |reason: String| LineIssue {
            line: l.line,
            product: l.product_name.clone(),
            reason,
        };
        match t.quote(plan, l.product, l.cell, l.quantity) {
            Ok(q) => {
                let unit = q.unit.map_or("", |u| t.unit_name(u)).to_string();
                let sum = match charges.iter_mut().find(|c| c.unit == unit) {
                    Some(c) => c.amount.checked_add(q.charge).map(|s| c.amount = s),
                    None => {
                        if !unit.is_empty() {
                            charges.push(Amount {
                                amount: q.charge,
                                unit,
                            });
                        }
                        Some(())
                    }
                };
                let m = match (q.money, q.unit) {
                    (Some(m), _) => Some(m),
                    (None, None) => Some(Decimal::ZERO),
                    (None, Some(_)) => None,
                };
                match m {
                    Some(m) => match money.checked_add(m) {
                        Some(s) => money = s,
                        None => {
                            rejected.push(reject("the money total overflows".into()));
                            continue;
                        }
                    },
                    None => without_money += 1,
                }
                if sum.is_none() {
                    rejected.push(reject("the total overflows".into()));
                    continue;
                }
                priced += 1;
            }
            Err(r) => rejected.push(reject(r.reason)),
        }
    }
    // One order on both sides of a diff, whichever unit a usage file charges first: wallet units
    // by name, then money.
    let is_money = |u: &str| t.unit_id(u).is_some_and(|i| t.units[i as usize].is_money);
    charges.sort_by(|a, b| (is_money(&a.unit), &a.unit).cmp(&(is_money(&b.unit), &b.unit)));
    UsageTotal {
        charges,
        money: (priced > 0 && without_money == 0).then(|| Amount {
            amount: money,
            unit: t.currency.clone(),
        }),
        priced,
        without_money,
        rejected,
    }
}

/// Prices every usage line under each plan of the old and of the new version (plans matched by
/// slug), with [`RatingTable::quote`].
pub fn price_usage(old: &RatingTable, new: &RatingTable, lines: &[UsageLine]) -> UsageDiff {
    let (ra, unpriced_old) = resolve_lines(old, lines);
    let (rb, unpriced_new) = resolve_lines(new, lines);
    let plan_names = |t: &RatingTable| -> Vec<(Option<PlanId>, String, String)> {
        if t.plans.is_empty() {
            vec![(None, "-".into(), "no plan".into())]
        } else {
            t.plans
                .iter()
                .enumerate()
                .map(|(i, p)| (Some(i as PlanId), p.slug.clone(), p.display.clone()))
                .collect()
        }
    };
    let (pa, pb) = (plan_names(old), plan_names(new));
    let mut plans = Vec::new();
    for slug in ordered_keys(
        pa.iter().map(|p| p.1.as_str()),
        pb.iter().map(|p| p.1.as_str()),
    ) {
        let x = pa.iter().find(|p| p.1 == slug);
        let y = pb.iter().find(|p| p.1 == slug);
        let display = y.or(x).map_or(String::new(), |p| p.2.clone());
        let to = x.map(|p| total(old, p.0, &ra));
        let tn = y.map(|p| total(new, p.0, &rb));
        let money_percent = match (&to, &tn) {
            (Some(o), Some(n)) => match (&o.money, &n.money) {
                (Some(a), Some(b)) => percent(a.amount, b.amount),
                _ => None,
            },
            _ => None,
        };
        let charge_percent = match (&to, &tn) {
            (Some(o), Some(n)) => match (o.charges.as_slice(), n.charges.as_slice()) {
                ([a], [b]) => {
                    fn base(t: &RatingTable, c: &Amount) -> Option<(Decimal, String)> {
                        let u = t.units.iter().find(|u| u.name == c.unit)?;
                        Some((c.amount.checked_mul(u.factor)?, u.dimension.clone()))
                    }
                    match (base(old, a), base(new, b)) {
                        (Some((x, dx)), Some((y, dy))) if dx == dy => percent(x, y),
                        _ => None,
                    }
                }
                _ => None,
            },
            _ => None,
        };
        plans.push(PlanUsage {
            plan: slug.to_string(),
            display,
            old: to,
            new: tn,
            money_percent,
            charge_percent,
        });
    }
    UsageDiff {
        lines: lines.len(),
        unpriced_old,
        unpriced_new,
        plans,
        bad_lines: Vec::new(),
    }
}
