//! Allowances: what a plan includes per window, used before the wallet; beyond it, the
//! allowance's rule (refuse, the wallet, or overage).

use super::engine::*;
use super::*;
use crate::table::BeyondEntry;

impl Engine<'_, '_> {
    /// Applies the plan's first allowance that covers `product` to a priced event: what the
    /// allowance has left this window is free; beyond it, the allowance's rule.
    pub(super) fn allowance(
        &mut self,
        e: &UsageEvent,
        product: ProductId,
        q: &crate::table::TableQuote,
        lines: &mut PeriodLines,
    ) -> Result<Allowed, BillError> {
        let table = self.table;
        let plan = &table.plans[self.plan as usize];
        let measure = &table.products[product as usize].measure;
        let Some((ai, a)) = plan
            .allowances
            .iter()
            .enumerate()
            .find(|(_, a)| a.covers(product, measure, dimension_of(table, a.unit)))
        else {
            return Ok(Allowed::NotCovered);
        };
        let window = window_start(&a.window, e.time);
        let used = self
            .allowance_use
            .get(&(ai, window))
            .copied()
            .unwrap_or(Decimal::ZERO);
        let left = (a.amount - used).max(Decimal::ZERO);
        // How much of the event the allowance covers, and how much is beyond it.
        let (covered, beyond) = if a.counts_events {
            if left >= Decimal::ONE {
                (Decimal::ONE, Decimal::ZERO)
            } else {
                (Decimal::ZERO, Decimal::ONE)
            }
        } else {
            let covered = left.min(q.quantity);
            (covered, q.quantity - covered)
        };
        let period = Date::month_of(e.time);
        let label = format!("{}-{:02}", period.year, period.month);
        let report_at = match self
            .allowances
            .iter()
            .position(|r| r.allowance == a.text && r.period == label)
        {
            Some(i) => i,
            None => {
                self.allowances.push(AllowanceReport {
                    allowance: a.text.clone(),
                    period: label,
                    unit: table.unit_name(a.unit).to_string(),
                    used: Decimal::ZERO,
                    beyond_events: 0,
                });
                self.allowances.len() - 1
            }
        };
        let in_unit = |v: Decimal| {
            if a.counts_events {
                v
            } else {
                (v / factor_of(table, a.unit)).normalize()
            }
        };
        if beyond.is_zero() {
            self.allowance_use.insert((ai, window), used + covered);
            self.allowances[report_at].used += in_unit(covered);
            return Ok(Allowed::Covered);
        }
        match &a.beyond {
            BeyondEntry::Reject => {
                let reason = format!(
                    "beyond the allowance {} on plan `{}` ({} {} used this {})",
                    a.text,
                    plan.slug,
                    in_unit(used).normalize(),
                    table.unit_name(a.unit),
                    a.window
                );
                self.allowances[report_at].beyond_events += 1;
                self.reject(
                    e,
                    Rejection::new(RejectionKind::Limit, reason).with_line(a.line),
                );
                Ok(Allowed::Done)
            }
            BeyondEntry::Wallet => {
                self.allowance_use.insert((ai, window), used + covered);
                self.allowances[report_at].used += in_unit(covered);
                self.allowances[report_at].beyond_events += 1;
                // The part beyond the allowance pays its share of the event's charge.
                let charge = if covered.is_zero() || q.quantity.is_zero() {
                    q.exact
                } else {
                    let dp = q.unit.map_or(2, |u| table.exact_dp(u));
                    q.exact
                        .checked_mul(beyond)
                        .and_then(|v| div_round(v, q.quantity, dp))
                        .ok_or_else(|| overflow("a charge beyond an allowance"))?
                        .normalize()
                };
                Ok(Allowed::Beyond { charge })
            }
            BeyondEntry::Overage { rate } => {
                self.allowance_use.insert((ai, window), used + covered);
                self.allowances[report_at].used += in_unit(covered);
                self.allowances[report_at].beyond_events += 1;
                // Counted in the rate's unit: a count allowance bills one unit per event.
                let amount = if a.counts_events {
                    factor_of(table, rate.per_unit)
                } else {
                    beyond
                };
                let key = OverageKey {
                    amount: rate.amount,
                    per_base: rate.per_base,
                    per_unit: rate.per_unit,
                    text: format!(
                        "beyond the allowance {} at {}",
                        a.text,
                        table.describe_rate(rate)
                    ),
                };
                match lines.overage.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, s)) => {
                        *s = crate::base::money::add_exact(*s, amount)
                            .ok_or_else(|| overflow("the period's overage"))?;
                    }
                    None => lines.overage.push((key, amount)),
                }
                Ok(Allowed::Done)
            }
        }
    }
}
