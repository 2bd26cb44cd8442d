//! Proration: a part of a billing cycle billed its share of the cycle's fee and given its share
//! of the cycle's recurring grants. Two rules of a book's `billing { ... }` use it: a first,
//! partial period (`first period prorated`, with calendar periods) and a plan change at once
//! (`plan changes at once prorated`). The seeds state no proration, so neither is a default.
//!
//! A share is a ratio of whole seconds, so it is exact; a fee's share is rounded once, to the
//! currency, and a grant's share is rounded down to a whole unit of the grant (a cent of a money
//! balance): a vendor gives whole credits, and never more than the cycle's.

use super::*;
use crate::base::money::charge_dp;
use crate::table::{GrantEntry, UnitEntry};
use rust_decimal::RoundingStrategy;

/// The part `[from, end)` of a whole cycle `[whole_from, end)`: `num` of its `den` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Share {
    num: i64,
    den: i64,
}

impl Share {
    /// The share of `[whole_from, end)` from `from` on, the whole of it included; `None` for
    /// none of it (nothing to bill).
    pub(super) fn of(from: Instant, end: Instant, whole_from: Instant) -> Option<Share> {
        let (num, den) = (end.checked_sub(from)?, end.checked_sub(whole_from)?);
        (num > 0 && den > 0 && num <= den).then_some(Share { num, den })
    }

    /// `amount` times the share, rounded once to `currency`.
    pub(super) fn money(self, amount: Decimal, currency: &str) -> Result<Decimal, BillError> {
        amount
            .checked_mul(Decimal::from(self.num))
            .and_then(|v| div_round(v, Decimal::from(self.den), charge_dp(currency)))
            .map(|v| round_charge(v, currency))
            .ok_or_else(|| engine::overflow("a prorated fee"))
    }

    /// `amount` of a grant in `unit` times the share, rounded down to a whole `unit` (to the
    /// currency's minor unit for money).
    pub(super) fn grant(self, amount: Decimal, unit: &UnitEntry) -> Result<Decimal, BillError> {
        let dp = if unit.is_money { unit.charge_dp } else { 0 };
        amount
            .checked_mul(Decimal::from(self.num))
            .and_then(|v| v.checked_div(Decimal::from(self.den)))
            .map(|v| v.round_dp_with_strategy(dp, RoundingStrategy::ToZero))
            .ok_or_else(|| engine::overflow("a prorated grant"))
    }

    /// `16 of 30 days` (hours, or seconds, when the share is not whole days).
    pub(super) fn describe(self) -> String {
        for (len, unit) in [(86_400, "days"), (3_600, "hours")] {
            if self.num % len == 0 && self.den % len == 0 {
                return format!("{} of {} {unit}", self.num / len, self.den / len);
            }
        }
        format!("{} of {} seconds", self.num, self.den)
    }
}

impl Engine<'_, '_> {
    /// The share a bill's first period is billed, under `first period prorated`: a calendar
    /// period starting after the 1st is the part of the cycle (ending at `end`) from the bill's
    /// start. A bill that continues an earlier one starts no subscription, so nothing is prorated.
    pub(super) fn first_share(&self, k: u32, end: Instant) -> Option<Share> {
        let prorated = self.table.subscription_rules().first_period
            == Some(crate::model::FirstPeriodRule::Prorated);
        if k != 0 || !prorated || self.request.continues {
            return None;
        }
        if self.request.align != PeriodAlign::Calendar || self.request.from.day == 1 {
            return None;
        }
        // Calendar periods end on a 1st, whole months after the 1st of the start's month: the
        // whole cycle would have started then (and the start is after it, so this is a part).
        let start = self.request.from;
        Share::of(start.instant(), end, Date { day: 1, ..start }.instant())
    }

    /// A grant's amount in its own unit for `times` issues, at `share` of it when prorated.
    pub(super) fn grant_amount(
        &self,
        g: &GrantEntry,
        times: u32,
        share: Option<Share>,
    ) -> Result<Decimal, BillError> {
        let whole = g
            .amount
            .checked_mul(Decimal::from(times))
            .ok_or_else(|| engine::overflow("a grant"))?;
        match share {
            Some(s) => s.grant(whole, &self.table.units[g.unit as usize]),
            None => Ok(whole),
        }
    }

    /// `plan changes at once prorated`: the account moves to `plan` at `now`, inside period `k`.
    /// The rest of the billing cycle is credited at the old plan's fee and billed at the new
    /// one's; the old plan's recurring grants expire now (what is left of them is recorded as
    /// expired) and the new plan's are issued for the rest of their cycle, prorated.
    pub(super) fn change_plan_now(
        &mut self,
        plan: PlanId,
        k: u32,
        now: Instant,
        asked: Instant,
        lines: &mut PeriodLines,
    ) -> Result<(), BillError> {
        let table = self.table;
        let old = self.plan;
        if plan == old {
            return Ok(());
        }
        let months = self.billing.months();
        let cycle_k = k - (k - self.cycle_from) % months;
        let cycle_end = self.request.period_start(cycle_k + months);
        let whole_from = cycle_end.add_months(-i64::from(months)).instant();
        let share = Share::of(now, cycle_end.instant(), whole_from);
        let (old_p, new_p) = (&table.plans[old as usize], &table.plans[plan as usize]);
        lines.fixed.push(BillLine {
            period: String::new(),
            kind: "change",
            description: format!(
                "plan changes from {} to {} at once, prorated (asked {})",
                old_p.display,
                new_p.display,
                format_instant(asked)
            ),
            quantity: None,
            amount: None,
            version: String::new(),
        });
        if let Some(share) = share {
            let rest = format!("{}, to {cycle_end}", share.describe());
            // What each plan bills for the cycle, as opening a period bills it.
            let old_fee = engine::cycle_fees(old_p, self.billing)?.total();
            let new_fee = engine::cycle_fees(new_p, self.billing)?.total();
            lines.fixed.push(BillLine {
                period: String::new(),
                kind: "proration",
                description: format!("unused time on {} ({rest})", old_p.display),
                quantity: None,
                amount: old_fee
                    .map(|f| share.money(f, &table.currency).map(|v| -v))
                    .transpose()?,
                version: String::new(),
            });
            lines.fixed.push(BillLine {
                period: String::new(),
                kind: "subscription",
                description: format!(
                    "{} subscription for the rest of the cycle ({rest})",
                    new_p.display
                ),
                quantity: None,
                amount: new_fee
                    .map(|f| share.money(f, &table.currency))
                    .transpose()?,
                version: String::new(),
            });
        }
        self.wallet.end_cycle_grants(now);
        self.pending_plan = None;
        self.switch_plan(plan, now);
        // The new plan's recurring grants, for the rest of the cycle each belongs to.
        let contract_end = self.request.period_start(self.request.periods).instant();
        let front = table.annual_front_load.unwrap_or(12);
        for g in &new_p.grants {
            let Some(every) = g.every_months.filter(|_| g.every_days.is_none()) else {
                continue;
            };
            let (times, span) = if months == 12 {
                ((front / every.max(1)).max(1), 12)
            } else {
                (1, every.max(1))
            };
            let first = if months == 12 { cycle_k } else { k - k % span };
            let end = self.request.period_start(first + span);
            let whole_from = end.add_months(-i64::from(span)).instant();
            let Some(share) = Share::of(now, end.instant(), whole_from) else {
                continue;
            };
            let name = format!(
                "plan {} from {} ({}, prorated)",
                new_p.slug,
                format_instant(now),
                share.describe()
            );
            self.issue_grant(
                name,
                g,
                times,
                Some(share),
                now,
                end.instant(),
                contract_end,
            )?;
        }
        Ok(())
    }
}
