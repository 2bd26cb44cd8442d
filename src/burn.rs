//! Burn tables: how much of each product each plan's recurring grant buys, in the product's own
//! unit and in a friendly one ("214 second (3.6 min)"), so a buyer can read "$30 = 5,400
//! credits" as minutes of video. Every figure is [`crate::answer::capacity`]'s, what `pricebook
//! capacity` answers.
//!
//! ```
//! let book = pricebook::open("pricebooks/hedra".as_ref(), None).expect("the bundled books");
//! let b = pricebook::burn::burn(&book, &["basic".into()], &["hedra-avatar".into()]).expect("a burn table");
//! let row = &b.rows[0];
//! assert_eq!((row.quantity.as_deref(), row.unit.as_str()), (Some("214"), "second"));
//! assert_eq!(row.friendly.as_deref(), Some("3.6 min"));
//! assert!(pricebook::burn::to_csv(&b).starts_with("plan,product,quantity,unit,"));
//! ```

use crate::answer::{self, AnswerError, CapacityQuestion, Dim};
use crate::load::Opened;
use crate::snapshot::words;
use crate::table::{PlanId, ProductId, RatingTable};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::fmt::Write as _;

/// A plan of a burn table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BurnPlan {
    pub plan: String,
    pub display: String,
    /// `30 USD / month`, `custom`.
    pub price: String,
    /// Its recurring grants: `5400 credit every month`.
    pub grants: Vec<String>,
}

/// What one plan's recurring grant buys of one product (in one cell of its dimensions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BurnRow {
    pub plan: String,
    pub product: String,
    /// The product's display name.
    pub display: String,
    /// Dimension values, by dimension.
    pub dims: serde_json::Map<String, serde_json::Value>,
    /// What the plan charges for it: `7 credit / second`.
    pub rate: Option<String>,
    /// Whole units bought per billing period; `null` when the grant buys none (see `note`).
    pub quantity: Option<String>,
    /// The unit the product is rated per.
    pub unit: String,
    /// The quantity in a larger unit a person reads at a glance (`3.6 min`), when there is one.
    pub friendly: Option<String>,
    /// Why there is no quantity: the plan has no recurring grant in the product's unit, the
    /// product is paid in money outside the wallet, it is free, not offered, not on the plan.
    pub note: Option<String>,
}

/// A burn table: every plan asked x every product asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Burn {
    pub vendor: String,
    pub version: String,
    pub effective: String,
    pub source: String,
    pub plans: Vec<BurnPlan>,
    pub rows: Vec<BurnRow>,
}

/// The burn table of `book` for the plans and products named (all when none are): plans in
/// the book's order, products and their cells in the book's order.
pub fn burn(book: &Opened, plans: &[String], products: &[String]) -> Result<Burn, AnswerError> {
    let t = &book.table;
    let plan_ids: Vec<PlanId> = if plans.is_empty() {
        (0..t.plans().len() as PlanId).collect()
    } else {
        plans
            .iter()
            .map(|p| t.find_plan(p).map_err(AnswerError::from))
            .collect::<Result<_, _>>()?
    };
    let product_ids: Vec<ProductId> = if products.is_empty() {
        (0..t.products().len() as ProductId).collect()
    } else {
        products
            .iter()
            .map(|p| t.find_product(p).map_err(AnswerError::from))
            .collect::<Result<_, _>>()?
    };
    let mut rows = Vec::new();
    for plan in &plan_ids {
        let pl = &t.plans()[*plan as usize];
        for product in &product_ids {
            let p = &t.products()[*product as usize];
            for (cell, values) in words::cells(t, p) {
                let mut q = CapacityQuestion::new(p.slug.clone());
                q.plan = Some(pl.slug.clone());
                q.dims = values
                    .iter()
                    .map(|(n, v)| Dim {
                        name: Some(n.clone()),
                        value: v.clone(),
                    })
                    .collect();
                let mut row = BurnRow {
                    plan: pl.slug.clone(),
                    product: p.slug.clone(),
                    display: p.display.clone(),
                    dims: values
                        .iter()
                        .map(|(n, v)| (n.clone(), serde_json::Value::from(v.as_str())))
                        .collect(),
                    rate: words::rate_on_plan(t, Some(pl), *product, cell),
                    quantity: None,
                    unit: String::new(),
                    friendly: None,
                    note: None,
                };
                match answer::capacity(book, &q) {
                    Ok(a) => {
                        row.unit = a.quantity.unit.clone();
                        row.quantity = a.quantity.value.clone();
                        row.note = a.rejected.map(|r| r.reason);
                        row.friendly = row
                            .quantity
                            .as_deref()
                            .and_then(|v| v.parse().ok())
                            .and_then(|v| friendly(t, &p.measure, v, &row.unit));
                    }
                    // A free product: a grant buys any amount of it.
                    Err(e) => row.note = Some(e.message().to_string()),
                }
                if p.outside_wallet && row.quantity.is_none() {
                    row.note = Some("paid in money, outside the wallet".into());
                }
                rows.push(row);
            }
        }
    }
    let plans = plan_ids
        .iter()
        .map(|p| {
            let pl = &t.plans()[*p as usize];
            BurnPlan {
                plan: pl.slug.clone(),
                display: pl.display.clone(),
                price: words::price(t, &pl.price),
                grants: pl
                    .grants
                    .iter()
                    .filter(|g| g.every_months.is_some() || g.every_days.is_some())
                    .map(|g| {
                        let amount = if g.contract_set {
                            "custom".to_string()
                        } else {
                            words::grouped(g.amount)
                        };
                        format!(
                            "{amount} {} {}",
                            t.unit_name(g.unit),
                            words::cadence(g.every_months, g.every_days)
                        )
                    })
                    // A commitment's included pool is spent like a recurring grant.
                    .chain(pl.commit.iter().filter_map(|c| {
                        let (n, u) = c.included?;
                        let per = words::period(c.months).unwrap_or_else(|| "term".into());
                        Some(format!(
                            "{} {} included every {per}",
                            words::grouped(n),
                            t.unit_name(u)
                        ))
                    }))
                    .collect(),
            }
        })
        .collect();
    Ok(Burn {
        vendor: t.vendor().to_string(),
        version: t.version().to_string(),
        effective: t.effective().to_string(),
        source: book.path.display().to_string(),
        plans,
        rows,
    })
}

/// A quantity of time in the largest unit it is at least one of, to a tenth: 214 seconds is
/// `3.6 min`. `None` for other measures, and when that unit is the quantity's own.
pub fn friendly(t: &RatingTable, measure: &str, value: Decimal, unit: &str) -> Option<String> {
    if measure != "time" {
        return None;
    }
    let factor = t.units().iter().find(|u| u.name == unit)?.factor;
    let base = value.checked_mul(factor)?;
    // A year of 365 days reads better than hundreds of weeks; it is a reading aid only.
    const TIME: [(&str, i64, &str, &str); 6] = [
        ("year", 31_536_000, "year", "years"),
        ("week", 604_800, "week", "weeks"),
        ("day", 86_400, "day", "days"),
        ("hour", 3_600, "h", "h"),
        ("minute", 60, "min", "min"),
        ("second", 1, "s", "s"),
    ];
    let (name, seconds, one, many) = TIME
        .iter()
        .find(|(_, s, ..)| base >= Decimal::from(*s))
        .copied()?;
    if name == unit {
        return None;
    }
    let v = (base / Decimal::from(seconds))
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    Some(format!(
        "{} {}",
        words::grouped(v),
        if v == Decimal::ONE { one } else { many }
    ))
}

impl BurnRow {
    /// `Hedra Avatar`, `Video Generation (Digital Twin, IV)`.
    pub fn label(&self) -> String {
        if self.dims.is_empty() {
            self.display.clone()
        } else {
            let values: Vec<&str> = self.dims.values().filter_map(|v| v.as_str()).collect();
            format!("{} ({})", self.display, values.join(", "))
        }
    }

    /// `214 second (3.6 min)`, or `-`.
    pub fn text(&self) -> String {
        match (&self.quantity, &self.friendly) {
            (Some(q), Some(f)) => format!(
                "{} {} ({f})",
                q.parse().map_or(q.clone(), words::grouped),
                self.unit
            ),
            (Some(q), None) => format!(
                "{} {}",
                q.parse().map_or(q.clone(), words::grouped),
                self.unit
            ),
            (None, _) => "-".into(),
        }
    }
}

/// The products and cells of a burn table, in order, each with its rows (one per plan).
fn by_product(b: &Burn) -> Vec<(String, Vec<&BurnRow>)> {
    let mut out: Vec<(String, Vec<&BurnRow>)> = Vec::new();
    for r in &b.rows {
        let key = format!("{}{:?}", r.product, r.dims);
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, rows)) => rows.push(r),
            None => out.push((key, vec![r])),
        }
    }
    out
}

/// Markdown's table cells: `|` and line breaks escaped.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown table: a row per product (and cell), a column per plan. Products no plan's grant
/// buys (money outside the wallet, free, not offered) and plans whose grant buys nothing are
/// left out of the table and listed under it with the reason.
pub fn to_markdown(b: &Burn) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "What each plan's recurring grant buys per billing period: {} {} (effective {}).\n",
        b.vendor, b.version, b.effective
    );
    let products = by_product(b);
    let buys = |plan: &str| {
        b.rows
            .iter()
            .any(|r| r.plan == plan && r.quantity.is_some())
    };
    let plans: Vec<&BurnPlan> = b.plans.iter().filter(|p| buys(&p.plan)).collect();
    let (shown, left): (Vec<_>, Vec<_>) = products
        .iter()
        .partition(|(_, rows)| rows.iter().any(|r| r.quantity.is_some()));
    if plans.is_empty() || shown.is_empty() {
        out.push_str("No plan's recurring grant buys any of these products.\n");
    } else {
        out.push_str("| Product | Rate |");
        for p in &plans {
            let grants = if p.grants.is_empty() {
                String::new()
            } else {
                format!(" ({})", p.grants.join(" + "))
            };
            let _ = write!(out, " {}{} |", cell(&p.display), cell(&grants));
        }
        out.push_str("\n|---|---|");
        for _ in &plans {
            out.push_str("--:|");
        }
        out.push('\n');
        for (_, rows) in &shown {
            let first = rows[0];
            let rate = first.rate.as_deref().unwrap_or("-");
            let _ = write!(out, "| {} | {} |", cell(&first.label()), cell(rate));
            for p in &plans {
                let text = rows
                    .iter()
                    .find(|r| r.plan == p.plan)
                    .map_or("-".to_string(), |r| r.text());
                let _ = write!(out, " {} |", cell(&text));
            }
            out.push('\n');
        }
    }
    let mut notes = Vec::new();
    for p in b.plans.iter().filter(|p| !buys(&p.plan)) {
        let why = b
            .rows
            .iter()
            .find(|r| r.plan == p.plan)
            .and_then(|r| r.note.clone())
            .unwrap_or_else(|| "no recurring grant".into());
        notes.push(format!("{} ({}): {why}", p.display, p.price));
    }
    for (_, rows) in &left {
        let why = rows
            .iter()
            .find_map(|r| r.note.clone())
            .unwrap_or_else(|| "no plan's grant buys it".into());
        notes.push(format!("{}: {why}", rows[0].label()));
    }
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            let _ = writeln!(out, "- {n}");
        }
    }
    out
}

/// A CSV field, quoted when it must be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV, a row per plan x product (x cell): `plan,product,quantity,unit,dims,friendly,note`;
/// `dims` is the cell's values (`Digital Twin, IV`), `quantity` empty when `note` says why.
pub fn to_csv(b: &Burn) -> String {
    let mut out = String::from("plan,product,quantity,unit,dims,friendly,note\n");
    for r in &b.rows {
        let dims: Vec<&str> = r.dims.values().filter_map(|v| v.as_str()).collect();
        let fields = [
            r.plan.as_str(),
            r.product.as_str(),
            r.quantity.as_deref().unwrap_or(""),
            r.unit.as_str(),
            &dims.join(", "),
            r.friendly.as_deref().unwrap_or(""),
            r.note.as_deref().unwrap_or(""),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_reads_in_the_largest_unit_it_fills() {
        let table = crate::pipeline::compile_source(
            "pricebook a version \"1\" effective 2026-01-01 currency USD\nunit credit\nproduct \"X\" as x { measure time  rate 1 credit / second }\nplan \"P\" as p { price 1 USD / month  grant 10 credit every month, expires at cycle end }\n",
        )
        .expect("compiles");
        let f = |v: i64, u: &str| friendly(&table, "time", Decimal::from(v), u);
        assert_eq!(f(214, "second").as_deref(), Some("3.6 min"));
        assert_eq!(f(21, "second"), None);
        assert_eq!(f(7200, "second").as_deref(), Some("2 h"));
        assert_eq!(f(12_000_000, "second").as_deref(), Some("19.8 weeks"));
        assert_eq!(f(86_400, "second").as_deref(), Some("1 day"));
        assert_eq!(f(3, "minute"), None);
        assert_eq!(
            friendly(&table, "text", Decimal::from(5000), "character"),
            None
        );
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
