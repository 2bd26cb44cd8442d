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

mod plans;
mod products;
mod usage;
mod values;

use crate::base::names::name_key;
use crate::model::RateDef;
use crate::table::{
    CellId, GrantEntry, LimitKindEntry, PlanEntry, PlanId, PriceEntry, PricingEntry, ProductEntry,
    ProductId, RateCell, RatingTable, UnitEntry, UnitId,
};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::collections::BTreeMap;

use plans::*;
use products::*;
pub use usage::{
    Amount, BadLine, LineIssue, PlanUsage, UsageDiff, UsageLine, UsageTotal, price_usage,
};
pub use values::percent;
use values::*;

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
#[non_exhaustive]
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
#[non_exhaustive]
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
