//! Auto recharge: when the balance falls below the account's threshold, buy up to its ceiling
//! at the book's recharge price, within the period's spending cap.

use super::engine::*;
use super::*;
use crate::table::GrantEntry;

impl Engine<'_, '_> {
    /// Buys credits up to the ceiling (at least `need`), within the period's money cap.
    pub(super) fn recharge(
        &mut self,
        at: Instant,
        dim: &str,
        need: Decimal,
        lines: &mut PeriodLines,
    ) -> Result<(), BillError> {
        let table = self.table;
        // The account's settings apply where the book offers auto recharge (a book-level
        // `auto recharge` block, or a plan that recharges when empty).
        let plan = &table.plans[self.plan as usize];
        if table.recharge.is_none() && plan.when_empty != EmptyEntry::AutoRecharge {
            return Ok(());
        }
        let (Some(r), Some((_, to))) = (self.recharge.clone(), self.recharge_base) else {
            return Ok(());
        };
        if dimension_of(table, r.unit) != dim {
            return Ok(());
        }
        let f = factor_of(table, r.unit);
        let balance = self.wallet.balance(dim);
        // All non-negative: the differences fit.
        let mut buy = (to - balance).max(need - balance);
        if buy <= Decimal::ZERO {
            return Ok(());
        }
        // Price per base unit of the wallet, from the book's recharge price.
        let price = match table.recharge.as_ref().and_then(|rc| rc.price) {
            Some((amount, per, unit)) => Some((
                amount,
                per.checked_mul(factor_of(table, unit))
                    .ok_or_else(|| overflow("the recharge price"))?,
            )),
            None => None,
        };
        if let (Some(cap), Some((amount, per_base))) = (r.cap, price) {
            let left = cap - lines.recharge_spent;
            // Whole wallet units only, never above the cap.
            let affordable = left
                .checked_mul(per_base)
                .and_then(|v| v.checked_div(amount))
                .and_then(|v| v.checked_div(f))
                .and_then(|v| v.floor().checked_mul(f))
                .ok_or_else(|| overflow("the recharge cap"))?;
            if affordable < buy {
                buy = affordable;
            }
            if buy < need - balance || buy <= Decimal::ZERO {
                return Ok(());
            }
        }
        let money = match price {
            Some((amount, per_base)) => Some(
                buy.checked_mul(amount)
                    .and_then(|v| v.checked_div(per_base))
                    .ok_or_else(|| overflow("a recharge's price"))?,
            ),
            None => None,
        };
        if let Some(m) = money {
            lines.recharge_spent = crate::base::money::add_exact(lines.recharge_spent, m)
                .ok_or_else(|| overflow("the period's recharges"))?;
        }
        let entry = GrantEntry {
            amount: buy.checked_div(f).ok_or_else(|| overflow("a recharge"))?,
            contract_set: false,
            unit: r.unit,
            every_months: None,
            every_days: None,
            expiry: "never".into(),
            priority: 2,
            line: 0,
        };
        let name = format!("recharge {}", format_instant(at));
        self.issue_grant(name, &entry, 1, None, at, at, at)?;
        let slot = lines
            .recharge
            .get_or_insert((Decimal::ZERO, Some(Decimal::ZERO), r.unit));
        slot.0 = crate::base::money::add_exact(slot.0, buy)
            .ok_or_else(|| overflow("the period's recharges"))?;
        slot.1 = match (slot.1, money) {
            (Some(a), Some(b)) => Some(
                crate::base::money::add_exact(a, b)
                    .ok_or_else(|| overflow("the period's recharges"))?,
            ),
            _ => None,
        };
        Ok(())
    }
}
