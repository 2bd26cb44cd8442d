//! Usage summed per account and billing period before it is priced: tiers over the period price
//! the period's total, and `bill at most ... per period` caps the period's charges.

use super::{RateKey, Rater};
use crate::table::{ProductId, RatingTable, UnitId};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One account's usage of one rate key in one period (a calendar month of the events' times;
/// `i64::MIN` when the file has no times, so the whole file is one period).
pub(super) type PeriodKey = (String, String, RateKey, i64);

/// What one [`PeriodKey`] used: base units (each event admitted and rounded), the sum of its
/// events' exact charges (for a cap on the period's charges), and the number of events.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PeriodUsage {
    pub(super) quantity: Decimal,
    pub(super) charged: Decimal,
    pub(super) events: u64,
}

/// (account, group, product, month): one account's charges for a product in one period, over
/// the product's cells.
type ProductPeriod = (String, String, ProductId, i64);

/// What a [`ProductPeriod`] charged before its cap: the charge, its unit (`None`: free) and its
/// events.
#[derive(Debug, Clone, Copy)]
struct PeriodCharge {
    charge: Decimal,
    unit: Option<UnitId>,
    events: u64,
}

/// Prices each account's period totals once, whatever order their events came in (tiers over the
/// period price the total; other products sum their events' exact charges), caps the period's
/// charges by the product's `bill at most ... per period` over its cells, and adds the result
/// to `merged` (group, unit) -> (unused, amount) and `events` (group -> events).
pub(super) fn price_periods(
    table: &RatingTable,
    rater: &Rater<'_>,
    period_usage: BTreeMap<PeriodKey, PeriodUsage>,
    merged: &mut BTreeMap<(String, UnitId), (i128, Decimal)>,
    events: &mut BTreeMap<String, u64>,
) -> Result<(), String> {
    let mut by_product: BTreeMap<ProductPeriod, PeriodCharge> = BTreeMap::new();
    for ((account, group, key, period), usage) in period_usage {
        let Some((plan, product, _)) = rater.key_target(key) else {
            continue;
        };
        let (charge, unit) = match table.period_price(plan, product, usage.quantity) {
            Some(priced) => {
                let (c, u) = priced.map_err(|r| {
                    format!(
                        "the usage of `{account}` this period cannot be priced: {}",
                        r.reason
                    )
                })?;
                (c, Some(u))
            }
            None => (usage.charged, table.products[product as usize].charge_unit),
        };
        let e = by_product
            .entry((account.clone(), group, product, period))
            .or_insert(PeriodCharge {
                charge: Decimal::ZERO,
                unit,
                events: 0,
            });
        e.charge = crate::base::money::add_exact(e.charge, charge).ok_or_else(|| {
            format!("arithmetic overflow while summing the charges of `{account}` this period")
        })?;
        e.events += usage.events;
    }
    for ((_, group, product, _), c) in by_product {
        let charge = match &table.products[product as usize].bill.cap_period {
            Some(cap) => c.charge.min(cap.base),
            None => c.charge,
        };
        let Some(unit) = c.unit else {
            *events.entry(group).or_default() += c.events;
            continue;
        };
        let e = merged
            .entry((group.clone(), unit))
            .or_insert((0, Decimal::ZERO));
        e.1 = crate::base::money::add_exact(e.1, charge).ok_or_else(|| {
            format!(
                "arithmetic overflow while summing the total of `{group}` in `{}`",
                table.unit_name(unit)
            )
        })?;
        *events.entry(group).or_default() += c.events;
    }
    Ok(())
}
