//! What hovering shows: on a product, its rate and what one unit of it costs on each plan, in
//! its unit and in money; on a plan, its price, grants, what a wallet unit is worth and how much
//! of each product its grant buys; on a pack, its price and grant and what a unit of it costs
//! beside the plans' own; on a unit, its conversions; on a dimension value, its dimension; on a
//! test expectation, the actual value; on a test, whether it passes. Every figure is an answer
//! of [`crate::answer`], as `pricebook quote` and `pricebook capacity` print it.

use super::analysis::{Analysis, TestState};
use super::symbols::{At, Def, Expectation, Kind};
use crate::answer::{self, Attr, CapacityQuestion, Dim, QuoteQuestion};
use crate::base::span::Span;
use crate::load::Opened;
use crate::syntax::ast::{AttrValue, Item, QuoteExpect, TestStmt};
use crate::table::{PricingEntry, ProductId, RatingTable};
use std::fmt::Write as _;

/// At most this many rows in a table of plans or products.
const ROWS: usize = 40;

/// The hover at a byte offset: markdown, and the span it is about.
pub(super) fn hover(a: &Analysis, offset: usize) -> Option<(String, Span)> {
    if let Some(e) = a.symbols().expectation_at(offset) {
        return Some((expectation(a, e), e.expect));
    }
    let Some(at) = a.symbols().at(offset) else {
        return by_words(a, offset);
    };
    let span = at.span();
    let (def, in_book) = match at {
        At::Def(d) => (Some(d), false),
        At::Ref(r) => match a.resolve(r.kind, &r.name, r.parent.as_deref()) {
            Some((d, b)) => (Some(d), b),
            None => (None, false),
        },
    };
    let text = match at.kind() {
        Kind::Product => product(a, def?, in_book),
        Kind::Plan => plan(a, def?, in_book),
        Kind::Pack => pack(a, def?, in_book),
        Kind::Unit => unit(a, at.name(), def),
        Kind::Dimension => dimension(a, def?, in_book),
        Kind::DimValue => {
            let d = def?;
            format!(
                "value `{}` of dimension `{}`",
                d.name,
                d.parent.as_deref().unwrap_or("?")
            )
        }
        Kind::Attribute => format!(
            "attribute `{}`: a value a usage may carry (`--attr`, `attr` in a test), which the plans' limits of the same name compare",
            def.map_or(at.name(), |d| d.name.as_str())
        ),
        Kind::Test => test(a, def?),
        Kind::Vendor => vendor(a)?,
    };
    Some((text, span))
}

/// A name in what the parser could not read (a `test` block still being written, unclosed):
/// the word before it says what it names (`product x`, `use x`, `plan x`, `buy x`), and it is
/// hovered as the declaration it resolves to.
fn by_words(a: &Analysis, offset: usize) -> Option<(String, Span)> {
    use super::lex::{self, TokKind};
    let text = a.text();
    let line_end = text
        .get(offset..)
        .and_then(|rest| rest.find('\n'))
        .map_or(text.len(), |i| offset + i);
    let toks = lex::tokens(text, line_end);
    let i = toks
        .iter()
        .position(|t| t.kind == TokKind::Word && t.span.start <= offset && offset < t.span.end)?;
    let word = |k: usize| toks.get(k).and_then(|t| text.get(t.span.start..t.span.end));
    let kind = match word(i.checked_sub(1)?)? {
        "product" | "use" => Kind::Product,
        "plan" => Kind::Plan,
        "buy" => Kind::Pack,
        _ => return None,
    };
    let (def, in_book) = a.resolve(kind, word(i)?, None)?;
    let hover = match kind {
        Kind::Product => product(a, def, in_book),
        Kind::Plan => plan(a, def, in_book),
        _ => pack(a, def, in_book),
    };
    Some((hover, toks.get(i)?.span))
}

/// The source of a declaration: in the file, or in a contract's book.
fn source_of(a: &Analysis, in_book: bool) -> &str {
    match (&a.book, in_book) {
        (Some(b), true) => &b.source.text,
        _ => a.text(),
    }
}

fn note_partial(a: &Analysis, out: &mut String) {
    if a.partial() {
        out.push_str("\n_From the part of the book that checks: the file has errors._\n");
    }
}

/// The statements of an item, as written, one a line (at most `ROWS`).
fn body_lines(text: &str, def: &Def) -> String {
    let item = text
        .get(def.item.start..def.item.end.min(text.len()))
        .unwrap_or("");
    let inner = match (item.find('{'), item.rfind('}')) {
        (Some(a), Some(b)) if a < b => &item[a + 1..b],
        _ => "",
    };
    let lines: Vec<&str> = inner
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut out: String = lines.iter().take(ROWS).map(|l| format!("{l}\n")).collect();
    if lines.len() > ROWS {
        let _ = writeln!(out, "# ... {} more", lines.len() - ROWS);
    }
    out
}

fn code_block(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!("```pricebook\n{body}```\n")
    }
}

fn heading(kind: &str, def: &Def) -> String {
    match &def.display {
        Some(d) => format!("**{d}** · {kind} `{}`\n\n", def.name),
        None => format!("{kind} `{}`\n\n", def.name),
    }
}

/// The dimension values of a cell, by name.
fn cell_dims(t: &RatingTable, product: ProductId, cell: u32) -> Vec<Dim> {
    let Some(p) = t.products.get(product as usize) else {
        return Vec::new();
    };
    p.dims
        .iter()
        .zip(&p.strides)
        .filter_map(|(d, s)| {
            let dim = t.dimensions.get(*d as usize)?;
            let n = dim.values.len().max(1) as u32;
            let v = dim.values.get(((cell / s.max(&1)) % n) as usize)?;
            Some(Dim {
                name: Some(dim.name.clone()),
                value: v.clone(),
            })
        })
        .collect()
}

/// The first offered cell of a product, and the quantity its rate is per (`1 second`,
/// `1000 character`).
fn first_cell(t: &RatingTable, product: ProductId) -> Option<(u32, String)> {
    let p = t.products.get(product as usize)?;
    match &p.pricing {
        PricingEntry::Cells { cells } => cells.iter().enumerate().find_map(|(i, c)| {
            let c = c.as_ref()?;
            Some((
                i as u32,
                format!("{} {}", c.per.normalize(), t.unit_name(c.per_unit)),
            ))
        }),
        PricingEntry::Tiered { tiers, .. } => tiers.first().map(|tier| {
            (
                0,
                format!(
                    "{} {}",
                    tier.rate.per.normalize(),
                    t.unit_name(tier.rate.per_unit)
                ),
            )
        }),
        PricingEntry::Flat { per, .. } => {
            Some((0, format!("1 {}", per.map_or("event", |u| t.unit_name(u)))))
        }
        PricingEntry::Free { .. } | PricingEntry::Unpublished { .. } => None,
    }
}

fn product(a: &Analysis, def: &Def, in_book: bool) -> String {
    let mut out = heading("product", def);
    out.push_str(&code_block(&body_lines(source_of(a, in_book), def)));
    let Some(opened) = a.pricing() else {
        return out;
    };
    let t = &opened.table;
    let Ok(pid) = t.find_product(&def.name) else {
        return out;
    };
    let Some((cell, per)) = first_cell(t, pid) else {
        return out;
    };
    let dims = cell_dims(t, pid, cell);
    let plans: Vec<_> = t
        .plans
        .iter()
        .filter(|p| p.available.get(pid as usize).copied().unwrap_or(false))
        .collect();
    if plans.is_empty() {
        out.push_str("\nNo plan offers it.\n");
        return out;
    }
    let cell_note = if dims.is_empty() {
        String::new()
    } else {
        let values: Vec<&str> = dims.iter().map(|d| d.value.as_str()).collect();
        format!(" ({})", values.join(", "))
    };
    let _ = write!(
        out,
        "\n| plan | {per}{cell_note} | money |\n|---|---|---|\n"
    );
    for p in plans.iter().take(ROWS) {
        let mut q = QuoteQuestion::new(def.name.clone(), per.clone());
        q.plan = Some(p.slug.clone());
        q.dims = dims.clone();
        let (charge, money) = match answer::quote(opened, &q) {
            Ok(ans) => match (&ans.charge, &ans.rejected) {
                (Some(c), _) => (
                    format!("{} {}", c.amount, c.unit),
                    match &ans.money {
                        Some(Some(m)) => format!("{} {}", m.amount, m.currency),
                        _ => "-".into(),
                    },
                ),
                (None, Some(r)) => (format!("rejected: {}", r.reason), "-".into()),
                (None, None) => ("-".into(), "-".into()),
            },
            Err(e) => (e.message().to_string(), "-".into()),
        };
        let _ = writeln!(out, "| {} | {charge} | {money} |", p.display);
    }
    if plans.len() > ROWS {
        let _ = writeln!(out, "\n... and {} more plans", plans.len() - ROWS);
    }
    note_partial(a, &mut out);
    out
}

/// The statements of a plan or pack that say what it costs and grants, as written.
fn price_and_grants(text: &str, def: &Def) -> String {
    body_lines(text, def)
        .lines()
        .filter(|l| {
            let w = l.split_whitespace().next().unwrap_or("");
            matches!(
                w,
                "price" | "grant" | "commit" | "includes" | "top" | "allowance"
            )
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

fn plan(a: &Analysis, def: &Def, in_book: bool) -> String {
    let mut out = heading("plan", def);
    out.push_str(&code_block(&price_and_grants(source_of(a, in_book), def)));
    let Some(opened) = a.pricing() else {
        return out;
    };
    let t = &opened.table;
    let Some(p) = t.plans.iter().find(|p| p.slug == def.name) else {
        return out;
    };
    for w in &p.wallet_prices {
        if let Some(v) = crate::base::money::div_round(w.price, w.granted, 6) {
            let _ = writeln!(
                out,
                "\n1 {} is worth {} {} on this plan ({} {} buys {} {}).",
                t.unit_name(w.unit),
                v.normalize(),
                t.currency,
                w.price.normalize(),
                t.currency,
                w.granted.normalize(),
                t.unit_name(w.unit)
            );
        }
    }
    if p.grants
        .iter()
        .all(|g| g.every_months.is_none() && g.every_days.is_none())
        && p.commit.as_ref().is_none_or(|c| c.included.is_none())
    {
        note_partial(a, &mut out);
        return out;
    }
    // The seed's burn table (`pricebook burn`): what the grant buys of each product it offers.
    let offered: Vec<String> = t
        .products
        .iter()
        .enumerate()
        .filter(|(i, _)| p.available.get(*i).copied().unwrap_or(false))
        .map(|(_, product)| product.slug.clone())
        .collect();
    let asked: Vec<String> = offered.iter().take(ROWS).cloned().collect();
    if let Ok(b) = crate::burn::burn(opened, std::slice::from_ref(&p.slug), &asked) {
        let mut rows = String::new();
        for r in b.rows.iter().filter(|r| r.quantity.is_some()).take(ROWS) {
            let dims: Vec<&str> = r.dims.values().filter_map(|v| v.as_str()).collect();
            let name = if dims.is_empty() {
                r.display.clone()
            } else {
                format!("{} ({})", r.display, dims.join(", "))
            };
            let buys = match (&r.quantity, &r.friendly) {
                (Some(q), Some(f)) => format!("{q} {} ({f})", r.unit),
                (Some(q), None) => format!("{q} {}", r.unit),
                _ => continue,
            };
            let _ = writeln!(
                rows,
                "| {name} | {} | {buys} |",
                r.rate.as_deref().unwrap_or("-")
            );
        }
        if !rows.is_empty() {
            let grants = b
                .plans
                .first()
                .map(|bp| bp.grants.join(", "))
                .unwrap_or_default();
            let _ = write!(
                out,
                "
What {grants} buys:

| product | rate | buys |
|---|---|---|
{rows}"
            );
            if offered.len() > ROWS {
                let _ = writeln!(
                    out,
                    "
... and {} more products",
                    offered.len() - ROWS
                );
            }
        }
    }
    note_partial(a, &mut out);
    out
}

fn pack(a: &Analysis, def: &Def, in_book: bool) -> String {
    let mut out = heading("pack", def);
    out.push_str(&code_block(&body_lines(source_of(a, in_book), def)));
    let Some(opened) = a.pricing() else {
        return out;
    };
    let t = &opened.table;
    let Some(pack) = t.packs.iter().find(|p| p.slug == def.name) else {
        return out;
    };
    // What a unit of its grant costs, beside what the same unit is worth on each plan that may
    // buy it: whether the pack is dearer than the plan's own grant shows at a glance.
    if let (crate::table::PriceEntry::Amount { amount, .. }, [grant]) =
        (&pack.price, pack.grants.as_slice())
    {
        if let Some(v) = crate::base::money::div_round(*amount, grant.amount, 6) {
            let unit = t.unit_name(grant.unit);
            let _ = writeln!(
                out,
                "\n1 {unit} of this pack costs {} {} ({} {} buys {} {unit}).",
                v.normalize(),
                t.currency,
                amount.normalize(),
                t.currency,
                grant.amount.normalize(),
            );
            let mut rows = String::new();
            for plan in pack.plans.iter().filter_map(|p| t.plans.get(*p as usize)) {
                let worth = plan
                    .wallet_prices
                    .iter()
                    .find(|w| w.unit == grant.unit)
                    .and_then(|w| crate::base::money::div_round(w.price, w.granted, 6));
                if let Some(w) = worth {
                    let _ = writeln!(
                        rows,
                        "| {} | {} {} |",
                        plan.display,
                        w.normalize(),
                        t.currency
                    );
                }
            }
            if !rows.is_empty() {
                let _ = write!(
                    out,
                    "\n| plan | 1 {unit} of the plan's grant |\n|---|---|\n{rows}"
                );
            }
        }
    }
    note_partial(a, &mut out);
    out
}

fn unit(a: &Analysis, written: &str, def: Option<&Def>) -> String {
    let name = def.map_or(written, |d| d.name.as_str());
    let mut out = format!("unit `{name}`\n\n");
    let units: Vec<(String, String, rust_decimal::Decimal)> = match a.pricing() {
        Some(o) => o
            .table
            .units
            .iter()
            .map(|u| (u.name.clone(), u.dimension.clone(), u.factor))
            .collect(),
        None => crate::base::units::builtin_units()
            .into_iter()
            .map(|u| (u.name, u.dimension.describe(), u.factor))
            .collect(),
    };
    let Ok(i) = crate::base::units::resolve_unit(written, units.iter().map(|u| u.0.as_str()))
    else {
        return out;
    };
    let (uname, dim, factor) = &units[i];
    // The table names a counted unit's dimension `count:<unit>`: a unit of its own.
    match dim.strip_prefix("count:") {
        Some(own) => {
            let _ = writeln!(out, "a count of its own (`{own}`)");
        }
        None => {
            let _ = writeln!(out, "measures {dim}");
        }
    }
    for (other, d, f) in &units {
        if d != dim || other == uname || f.is_zero() || factor.is_zero() {
            continue;
        }
        let line = if factor >= f {
            factor
                .checked_div(*f)
                .map(|r| format!("1 {uname} = {} {other}", r.normalize()))
        } else {
            f.checked_div(*factor)
                .map(|r| format!("1 {other} = {} {uname}", r.normalize()))
        };
        if let Some(l) = line {
            let _ = write!(out, "\n- {l}");
        }
    }
    out
}

fn dimension(a: &Analysis, def: &Def, in_book: bool) -> String {
    let text = source_of(a, in_book);
    let decl = text
        .get(def.item.start..def.item.end.min(text.len()))
        .unwrap_or("");
    format!("dimension `{}`\n\n```pricebook\n{decl}\n```\n", def.name)
}

fn vendor(a: &Analysis) -> Option<String> {
    let t = a.pricing().map(|o| &o.table)?;
    Some(format!(
        "**{}** version \"{}\", in force from {}, priced in {}",
        t.vendor, t.version, t.effective, t.currency
    ))
}

fn test(a: &Analysis, def: &Def) -> String {
    let Some(t) = a.tests.iter().find(|t| t.name_span == def.span) else {
        return format!("test \"{}\"", def.name);
    };
    match &t.state {
        TestState::Passed => format!("test \"{}\": **passed**", t.name),
        TestState::NotRun(why) => format!("test \"{}\": not run: {why}", t.name),
        TestState::Failed(fs) => {
            let mut out = format!("test \"{}\": **failed**\n", t.name);
            for f in fs {
                let _ = write!(out, "\n- {}", f.message);
            }
            out
        }
    }
}

/// The source text of a span.
fn slice(text: &str, s: Span) -> String {
    text.get(s.start..s.end.min(text.len()))
        .unwrap_or("")
        .to_string()
}

/// The actual value of an expectation: the answer to its question, or, for a bill's
/// expectation, what the worked example found.
fn expectation(a: &Analysis, e: &Expectation) -> String {
    let text = a.text();
    let expected = slice(text, e.expect);
    let mut out = format!("expected `{expected}`\n\n");
    let stmt = a.parsed.book.items.iter().find_map(|i| match &i.node {
        Item::Test(t) => t.body.iter().find(|s| s.span == e.stmt),
        _ => None,
    });
    let failure = a.tests.iter().find_map(|t| match &t.state {
        TestState::Failed(fs) => fs.iter().find(|d| {
            d.span().is_some_and(|s| {
                s.start.checked_sub(a.checked.base) == Some(e.expect.start)
                    || (s.start >= a.checked.base + e.stmt.start
                        && s.start < a.checked.base + e.stmt.end)
            })
        }),
        _ => None,
    });
    let actual = match (stmt.map(|s| &s.node), a.pricing()) {
        (
            Some(TestStmt::Quote {
                target,
                dims,
                attrs,
                used,
                quantity,
                expect,
                ..
            }),
            Some(o),
        ) => {
            let mut q = QuoteQuestion::new(
                target.product.node.clone(),
                slice(
                    text,
                    Span::new(quantity.value.span.start, quantity.unit.span.end),
                ),
            );
            q.plan = target.plan.as_ref().map(|p| p.node.clone());
            q.dims = dims
                .iter()
                .map(|d| Dim {
                    name: d.node.dimension.as_ref().map(|n| n.node.clone()),
                    value: d.node.value.node.clone(),
                })
                .collect();
            q.attrs = attrs
                .iter()
                .map(|x| Attr {
                    name: x.node.name.node.clone(),
                    value: match &x.node.value {
                        AttrValue::Quantity(v) => {
                            slice(text, Span::new(v.value.span.start, v.unit.span.end))
                        }
                        AttrValue::Number(n) => n.node.to_string(),
                    },
                })
                .collect();
            q.used = used
                .as_ref()
                .map(|u| slice(text, Span::new(u.value.span.start, u.unit.span.end)));
            Some(quote_actual(
                o,
                &q,
                matches!(expect.node, QuoteExpect::Rejects { .. }),
            ))
        }
        (
            Some(TestStmt::Capacity {
                target,
                dims,
                expect,
                ..
            }),
            Some(o),
        ) => {
            let mut q = CapacityQuestion::new(target.product.node.clone());
            q.plan = target.plan.as_ref().map(|p| p.node.clone());
            q.unit = Some(expect.unit.node.clone());
            q.dims = dims
                .iter()
                .map(|d| Dim {
                    name: d.node.dimension.as_ref().map(|n| n.node.clone()),
                    value: d.node.value.node.clone(),
                })
                .collect();
            Some(match answer::capacity(o, &q) {
                Ok(ans) => match (&ans.quantity.value, &ans.rejected) {
                    (Some(v), _) => format!("actual `{v} {}`", ans.quantity.unit),
                    (None, Some(r)) => format!("rejected ({}): {}", r.kind, r.reason),
                    (None, None) => "no capacity".into(),
                },
                Err(e) => e.message().to_string(),
            })
        }
        _ => None,
    };
    match (actual, failure) {
        (Some(act), f) => {
            out.push_str(&act);
            if let Some(f) = f {
                let _ = write!(out, "\n\n**fails**: {}", f.message);
            }
        }
        (None, Some(f)) => {
            let _ = write!(out, "**fails**: {}", f.message);
        }
        (None, None) => {
            let holds = a
                .tests
                .iter()
                .any(|t| t.name == e.test && t.state == TestState::Passed);
            out.push_str(if holds {
                "holds: the actual value is the expected one"
            } else {
                "not run"
            });
        }
    }
    note_partial(a, &mut out);
    out
}

fn quote_actual(o: &Opened, q: &QuoteQuestion, expects_rejection: bool) -> String {
    match answer::quote(o, q) {
        Ok(ans) => match (&ans.charge, &ans.rejected) {
            (Some(c), _) => {
                let mut s = format!("actual `{} {}`", c.amount, c.unit);
                if let Some(Some(m)) = &ans.money {
                    let _ = write!(s, ", money `{} {}`", m.amount, m.currency);
                }
                if expects_rejection {
                    s.push_str(" (priced, not rejected)");
                }
                s
            }
            (None, Some(r)) => format!("rejected `{}`: {}", r.kind, r.reason),
            (None, None) => "no answer".into(),
        },
        Err(e) => e.message().to_string(),
    }
}
