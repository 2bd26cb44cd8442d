//! Worked examples across versions: a `bill` example is billed by the versions of its book's
//! price list in force over its periods, as `pricebook bill` bills on the vendor's directory.
//! The version in force on the bill's first day starts it (an earlier one when the bill starts
//! before the book takes effect), and each later version that takes effect before the bill
//! ends takes over as it says (`existing subscribers move ...`). The example's events name the
//! book's own products, plans and packs; each version reads them by name, and an event a
//! version has no name for (a product launched later) is rejected while that version prices
//! the account.

use crate::base::date::Date;
use crate::bill::{
    Bill, BillError, BillRequest, Moves, Usage, UsageEvent, VersionUsage, bill_tables,
    translate_cell,
};
use crate::model::{BillExample, Model};
use crate::table::RatingTable;

/// Another version of a book's price list, for its worked examples: `table` is `None` when the
/// version does not compile (its own check reports why).
#[derive(Debug, Clone, Copy)]
pub struct ExampleVersion<'a> {
    pub effective: Date,
    /// The file (or label) it was read from, to say which version a failing bill ran into.
    pub name: &'a str,
    pub table: Option<&'a RatingTable>,
}

/// The first day of a bill example and the day after its last period: `from`, else the month
/// of its first event, else the book's effective date; periods are months.
pub fn bill_dates(model: &Model, b: &BillExample) -> (Date, Date) {
    let first_month = b.events.iter().map(|e| e.time).min().map(Date::month_of);
    let from = b.from.or(first_month).unwrap_or(model.effective);
    let end = from.add_months(i64::from(b.periods.unwrap_or(1)));
    (from, end)
}

/// Which of `effective` (ascending) are in force over `[from, end)`: the last that takes effect
/// on or before `from` (the first when none does) through the last that takes effect before
/// `end`.
pub fn in_force_over(effective: &[Date], from: Date, end: Date) -> std::ops::Range<usize> {
    let start = effective.iter().rposition(|d| *d <= from).unwrap_or(0);
    let last = effective
        .iter()
        .rposition(|d| *d < end)
        .unwrap_or(start)
        .max(start);
    start..last + 1
}

/// Why a bill example cannot be billed across versions.
pub(super) enum AcrossError {
    /// A version it runs into does not compile.
    Broken {
        name: String,
        effective: Date,
    },
    /// The bill's plan is not in the version in force on its first day.
    NoPlan {
        plan: String,
        name: String,
    },
    Bill(BillError),
}

/// Bills `events` (read against `own`, the book's table) by `chain`, the versions in force over
/// the bill in effective order, with `request` on `own`'s plan ids.
pub(super) fn bill_across(
    own: &RatingTable,
    chain: &[ExampleVersion<'_>],
    request: &BillRequest,
    events: &[UsageEvent],
) -> Result<Bill, AcrossError> {
    let mut tables = Vec::with_capacity(chain.len());
    for v in chain {
        match v.table {
            Some(t) => tables.push(t),
            None => {
                return Err(AcrossError::Broken {
                    name: v.name.to_string(),
                    effective: v.effective,
                });
            }
        }
    }
    let Some(first) = tables.first().copied() else {
        return Err(AcrossError::Bill(BillError::TableInvalid {
            reason: "a bill needs at least one version of the book".into(),
        }));
    };
    let slug = own
        .plans
        .get(request.plan as usize)
        .map_or("", |p| p.slug.as_str());
    let Some(plan) = first.plan_id(slug) else {
        return Err(AcrossError::NoPlan {
            plan: slug.to_string(),
            name: chain.first().map_or("", |v| v.name).to_string(),
        });
    };
    let mut request = request.clone();
    request.plan = plan;
    if let Some(r) = &mut request.recharge {
        let unit = own.unit_name(r.unit);
        r.unit = first.unit_id(unit).ok_or_else(|| AcrossError::NoPlan {
            plan: format!("{slug}` (its wallet unit `{unit}` is not there)"),
            name: chain.first().map_or("", |v| v.name).to_string(),
        })?;
    }
    let mut versions = Vec::with_capacity(tables.len());
    for t in tables {
        versions.push(VersionUsage {
            table: t,
            moves: Moves::of(t).map_err(AcrossError::Bill)?,
            events: events.iter().map(|e| read_in(own, t, e)).collect(),
            attrs: Vec::new(),
        });
    }
    bill_tables(&versions, &request).map_err(AcrossError::Bill)
}

/// `e` (read against `own`) as `table` reads it: the same products, cells, packs, plans and
/// currency by name, or [`Usage::NotInVersion`] where `table` has none of that name.
fn read_in(own: &RatingTable, table: &RatingTable, e: &UsageEvent) -> UsageEvent {
    if std::ptr::eq(own, table) {
        return e.clone();
    }
    let missing = |kind: &str, name: &str| Usage::NotInVersion {
        product: name.to_string(),
        reason: format!(
            "not in `{}` {}, the version pricing the account at the event's time: no {kind} `{name}`",
            table.vendor, table.version
        ),
    };
    let usage = match &e.usage {
        Usage::Use {
            product,
            cell,
            quantity,
        } => {
            let slug = own
                .products
                .get(*product as usize)
                .map_or("", |p| p.slug.as_str());
            match table.product_id(slug) {
                Some(np) => match translate_cell(own, table, *product, np, *cell) {
                    Some(cell) => Usage::Use {
                        product: np,
                        cell,
                        quantity: *quantity,
                    },
                    None => missing("rate cell of product", slug),
                },
                None => missing("product", slug),
            }
        }
        Usage::Buy { pack } => {
            let slug = own
                .packs
                .get(*pack as usize)
                .map_or("", |p| p.slug.as_str());
            match table.packs.iter().position(|p| p.slug == slug) {
                Some(p) => Usage::Buy { pack: p as u32 },
                None => missing("pack", slug),
            }
        }
        Usage::ChangePlan { plan } => {
            let slug = own
                .plans
                .get(*plan as usize)
                .map_or("", |p| p.slug.as_str());
            match table.plan_id(slug) {
                Some(plan) => Usage::ChangePlan { plan },
                None => missing("plan", slug),
            }
        }
        Usage::TopUp { amount, currency } => {
            let name = own.unit_name(*currency);
            match table.unit_id(name) {
                Some(currency) => Usage::TopUp {
                    amount: *amount,
                    currency,
                },
                None => missing("currency", name),
            }
        }
        other @ (Usage::ChangeBilling { .. } | Usage::Cancel | Usage::NotInVersion { .. }) => {
            other.clone()
        }
    };
    UsageEvent {
        line: e.line,
        time: e.time,
        usage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).expect("a date")
    }

    #[test]
    fn the_versions_in_force_over_a_bill() {
        let eff = [
            d("2024-11-17"),
            d("2025-05-17"),
            d("2025-07-22"),
            d("2026-06-01"),
        ];
        // Inside one version.
        assert_eq!(in_force_over(&eff, d("2025-06-01"), d("2025-07-01")), 1..2);
        // Across the July 2025 change.
        assert_eq!(in_force_over(&eff, d("2025-07-01"), d("2025-08-01")), 1..3);
        // A version taking effect on the day the bill ends does not price it.
        assert_eq!(in_force_over(&eff, d("2025-06-22"), d("2025-07-22")), 1..2);
        // One taking effect on the bill's first day starts it.
        assert_eq!(in_force_over(&eff, d("2025-07-22"), d("2025-08-22")), 2..3);
        // Over every version.
        assert_eq!(in_force_over(&eff, d("2025-01-01"), d("2026-07-01")), 0..4);
        // Before the first: the first.
        assert_eq!(in_force_over(&eff, d("2024-01-01"), d("2024-02-01")), 0..1);
    }
}
