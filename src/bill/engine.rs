//! The engine: one bill's periods, events, grants, overage and recharges.

use super::proration::Share;
use super::*;
use crate::table::{ExpiryRule, GrantEntry, PlanEntry};

// ------------------------------------------------------------------------------------------------
// Money lines of one period, accumulated exactly

#[derive(Debug, Default)]
pub(super) struct PeriodLines {
    /// (kind, description, quantity text, exact amount or None), in order of first appearance.
    pub(super) fixed: Vec<BillLine>,
    /// Overage: shortfall in base units per (rate key), priced once at the close.
    pub(super) overage: Vec<(OverageKey, Decimal)>,
    /// Carve-outs: exact charges per product (money), rounded once at the close.
    pub(super) carve_outs: Vec<(ProductId, Decimal, Decimal)>,
    /// Recharges: credits bought and exact money.
    pub(super) recharge: Option<(Decimal, Option<Decimal>, u32)>,
    /// Money spent on recharges this period (for the cap).
    pub(super) recharge_spent: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct OverageKey {
    pub(super) amount: Decimal,
    pub(super) per_base: Decimal,
    pub(super) per_unit: UnitId,
    pub(super) text: String,
}

/// What an allowance made of an event.
pub(super) enum Allowed {
    /// No allowance covers the product.
    NotCovered,
    /// The allowance paid for all of it.
    Covered,
    /// Handled: refused, or billed as overage beyond the allowance.
    Done,
    /// Partly or not at all covered: the wallet pays `charge`.
    Beyond { charge: Decimal },
}

/// The start of the calendar window holding `time`: an hour, day, week (from Monday), month or
/// year, numbered from the epoch.
pub(super) fn window_start(window: &str, time: i64) -> i64 {
    let days = time.div_euclid(86_400);
    match window {
        "hour" => time.div_euclid(3600),
        "week" => (days + 3).div_euclid(7),
        "month" => {
            let d = Date::from_days(days);
            i64::from(d.year) * 12 + i64::from(d.month)
        }
        "year" => i64::from(Date::from_days(days).year),
        _ => days,
    }
}

/// Parameters of one bill, resolved.
pub(super) struct Engine<'t, 'r> {
    /// The version pricing the account now ([`versions`](Self::versions)`[current]`).
    pub(super) table: &'t RatingTable,
    pub(super) rater: &'r Rater<'t>,
    /// Every version the bill may price with, in effective order.
    pub(super) versions: &'r [BillVersion<'r>],
    pub(super) current: usize,
    /// The versions that priced the bill, in order.
    pub(super) used_versions: Vec<VersionRef>,
    /// The account's auto-recharge settings, in the current version's units.
    pub(super) recharge: Option<RechargeSettings>,
    pub(super) plan: PlanId,
    pub(super) request: &'t BillRequest,
    pub(super) wallet: Wallet,
    pub(super) lines: Vec<BillLine>,
    pub(super) rejected: Vec<RejectedEvent>,
    /// Window limits: (limit index, window start) -> used so far.
    pub(super) windows: HashMap<(usize, i64), Decimal>,
    /// Usage this period of products whose tiers count the period: (product, cell) -> base
    /// units billed so far. Cleared when a period opens.
    pub(super) period_usage: HashMap<(ProductId, CellId), Decimal>,
    /// Charges this period of products with `bill at most ... per period`, before the cap:
    /// product -> exact charge. Cleared when a period opens.
    pub(super) period_charged: HashMap<ProductId, Decimal>,
    /// What [`period_charged`](Self::period_charged) held before the current event, so that
    /// a refused event takes its charge back.
    pub(super) charged_undo: Option<(ProductId, Decimal)>,
    /// `bill --explain`: each usage event and how it was paid.
    pub(super) ledger: Vec<LedgerEntry>,
    /// The billing cycle in force, and the period its current run of cycles started at.
    pub(super) billing: Billing,
    pub(super) cycle_from: u32,
    /// Changes asked for, taking effect at the next cycle's start: (what, when asked).
    pub(super) pending_plan: Option<(PlanId, Instant)>,
    pub(super) pending_billing: Option<(Billing, Instant)>,
    /// The subscription was cancelled: (when it ends, when it was asked).
    pub(super) ends: Option<(Instant, Instant)>,
    /// Grants renewed every day or week: (plan grant index, start of its next issue).
    pub(super) day_grants: Vec<(usize, Instant)>,
    /// Allowances: (allowance index, window start) -> used so far (base units or events).
    pub(super) allowance_use: HashMap<(usize, i64), Decimal>,
    /// What each allowance covered, per period, in order of first use.
    pub(super) allowances: Vec<AllowanceReport>,
    /// The account's auto-recharge threshold and ceiling in base units of the wallet.
    pub(super) recharge_base: Option<(Decimal, Decimal)>,
    /// Products whose one-time fee this bill has charged.
    pub(super) product_fees_charged: Vec<ProductId>,
}

/// What a plan bills when a billing cycle of `billing` starts: its commitment, and its
/// subscription line (a description, and no amount when the price is not published). Opening a
/// period bills them; a plan change at once prorates them.
pub(super) struct CycleFees {
    pub(super) commitment: Option<Decimal>,
    pub(super) subscription: Option<(String, Option<Decimal>)>,
}

impl CycleFees {
    /// What the cycle bills in all, exactly; `None` when no part of it has a published amount.
    pub(super) fn total(&self) -> Option<Decimal> {
        let sub = self.subscription.as_ref().and_then(|(_, a)| *a);
        match (self.commitment, sub) {
            (Some(c), Some(s)) => c.checked_add(s),
            (c, s) => c.or(s),
        }
    }
}

/// A plan's grants renewed by days or weeks, each next due at `from`: (grant index, due).
pub(super) fn day_grants(plan: &PlanEntry, from: Instant) -> Vec<(usize, Instant)> {
    plan.grants
        .iter()
        .enumerate()
        .filter(|(_, g)| g.every_days.is_some())
        .map(|(i, _)| (i, from))
        .collect()
}

pub(super) fn cycle_fees(plan: &PlanEntry, billing: Billing) -> Result<CycleFees, BillError> {
    let annual = billing == Billing::Annual;
    let commitment = match &plan.commit {
        Some(c) => {
            let times = (billing.months() / c.months.max(1)).max(1);
            Some(
                c.amount
                    .checked_mul(Decimal::from(times))
                    .ok_or_else(|| overflow("a commitment"))?,
            )
        }
        None => None,
    };
    let subscription = match (&plan.price, annual) {
        (PriceEntry::Amount { amount, months }, false) if *months <= 1 => Some((
            format!("{} monthly subscription", plan.display),
            Some(*amount),
        )),
        (PriceEntry::Amount { amount, months: 12 }, true) => Some((
            format!("{} annual subscription", plan.display),
            Some(*amount),
        )),
        (PriceEntry::Amount { amount, months: 12 }, false) => Some((
            format!(
                "{} subscription (yearly price, billed monthly)",
                plan.display
            ),
            Some(*amount / Decimal::from(12)),
        )),
        (PriceEntry::Amount { .. }, true) => Some((
            format!(
                "{} annual subscription: the annual price is not published",
                plan.display
            ),
            None,
        )),
        // With a commitment, the commitment is the fee.
        (PriceEntry::Custom | PriceEntry::Unpublished, _) if plan.commit.is_some() => None,
        (PriceEntry::Custom, _) => Some((
            format!("{} subscription: custom price (sales-led)", plan.display),
            None,
        )),
        (PriceEntry::Unpublished, _) if plan.commit.is_none() => Some((
            format!("{} subscription: price not published", plan.display),
            None,
        )),
        _ => None,
    };
    Ok(CycleFees {
        commitment,
        subscription,
    })
}

/// A fee's bill line: its exact amount, or, for a range or a lower bound, an informational line
/// without one (never in the total).
fn fee_line(f: &crate::table::FeeEntry, currency: &str, whose: &str) -> BillLine {
    let description = match f.billed() {
        Some(_) => format!("{} ({whose}, {})", f.name, f.cadence()),
        None => format!(
            "{} ({whose}, {}): {}, not billed",
            f.name,
            f.cadence(),
            f.stated(currency)
        ),
    };
    BillLine {
        period: String::new(),
        kind: "fee",
        description,
        quantity: None,
        amount: f.billed().map(|a| round_charge(a, currency)),
        version: String::new(),
    }
}

pub(super) fn overflow(what: &'static str) -> BillError {
    BillError::Overflow { what }
}

pub(super) fn dimension_of(table: &RatingTable, unit: UnitId) -> &str {
    &table.units[unit as usize].dimension
}

pub(super) fn factor_of(table: &RatingTable, unit: UnitId) -> Decimal {
    table.units[unit as usize].factor
}

/// Expiry instant of a grant issued at `at` for a cycle that ends at `cycle_end`; `None` for a
/// grant that never expires.
pub(super) fn expiry(
    g: &GrantEntry,
    at: Instant,
    cycle_end: Instant,
    contract_end: Instant,
) -> Result<Option<Instant>, BillError> {
    let date = Date::from_days(at.div_euclid(86_400));
    let secs = at.rem_euclid(86_400);
    let Some(rule) = g.expiry_rule() else {
        return Err(BillError::TableInvalid {
            reason: format!("a grant expiry reads `{}`", g.expiry),
        });
    };
    Ok(match rule {
        ExpiryRule::Never => None,
        ExpiryRule::CycleEnd => Some(cycle_end),
        ExpiryRule::ContractEnd => Some(contract_end),
        ExpiryRule::AfterMonths(n) => Some(
            date.add_months(i64::from(n))
                .instant()
                .checked_add(secs)
                .ok_or_else(|| overflow("a grant's expiry"))?,
        ),
        ExpiryRule::AfterDays(n) => Some(
            i64::from(n)
                .checked_mul(86_400)
                .and_then(|d| at.checked_add(d))
                .ok_or_else(|| overflow("a grant's expiry"))?,
        ),
    })
}

impl<'t> Engine<'t, '_> {
    pub(super) fn unit_name(&self, u: UnitId) -> &str {
        self.table.unit_name(u)
    }

    /// A quantity in base units, shown in `unit`.
    pub(super) fn show(&self, base: Decimal, unit: UnitId) -> String {
        match base.checked_div(factor_of(self.table, unit)) {
            Some(v) => format!("{} {}", v.normalize(), self.unit_name(unit)),
            // Too large to show in `unit`: show it in base units, which is still exact.
            None => {
                let base_unit = self.table.base_unit(dimension_of(self.table, unit));
                format!("{} {base_unit}", base.normalize())
            }
        }
    }

    /// Issues `times` of a plan's grant `g` at `at` (at `share` of it when prorated).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn issue_grant(
        &mut self,
        name: String,
        g: &GrantEntry,
        times: u32,
        share: Option<Share>,
        at: Instant,
        cycle_end: Instant,
        contract_end: Instant,
    ) -> Result<(), BillError> {
        let amount = self
            .grant_amount(g, times, share)?
            .checked_mul(factor_of(self.table, g.unit))
            .ok_or_else(|| overflow("a grant"))?;
        self.wallet.issue(Grant {
            name,
            unit: g.unit,
            dimension: dimension_of(self.table, g.unit).to_string(),
            granted: amount,
            consumed: Decimal::ZERO,
            expired: Decimal::ZERO,
            expires: expiry(g, at, cycle_end, contract_end)?,
            priority: g.priority,
            seq: 0,
            with_subscription: false,
            // Renewed by months: a plan's grant for its cycle, which a change at once ends.
            cycle_grant: g.every_months.is_some() && g.every_days.is_none(),
        })
    }

    /// Issues every grant renewed by days whose day (or week) has begun by `now`, within the
    /// bill: a day's grant is spendable from its start, never before. Days count from the
    /// bill's first day.
    pub(super) fn issue_due(&mut self, now: Instant) -> Result<(), BillError> {
        let table = self.table;
        let plan = &table.plans[self.plan as usize];
        let end = self.request.period_start(self.request.periods).instant();
        for k in 0..self.day_grants.len() {
            let (gi, mut next) = self.day_grants[k];
            let Some(g) = plan.grants.get(gi) else {
                continue;
            };
            let len = i64::from(g.every_days.unwrap_or(1).max(1)) * 86_400;
            while next <= now && next < end {
                let day = Date::from_days(next.div_euclid(86_400));
                let name = match g.every_days {
                    Some(1) => format!("plan {} {day}", plan.slug),
                    _ => format!("plan {} week of {day}", plan.slug),
                };
                self.issue_grant(name, g, 1, None, next, next + len, end)?;
                next += len;
            }
            self.day_grants[k].1 = next;
        }
        Ok(())
    }

    /// The account is on `plan` from `from`: the new plan's windows, allowances and daily grants
    /// count from there.
    pub(super) fn switch_plan(&mut self, plan: PlanId, from: Instant) {
        self.plan = plan;
        self.windows.clear();
        self.allowance_use.clear();
        self.day_grants = day_grants(&self.table.plans[plan as usize], from);
    }

    /// Whether period `k` starts a billing cycle of the billing in force (a renewal).
    pub(super) fn renews(&self, k: u32) -> bool {
        k.checked_sub(self.cycle_from)
            .is_some_and(|since| since % self.billing.months() == 0)
    }

    pub(super) fn reject(&mut self, e: &UsageEvent, r: Rejection) {
        let product = match &e.usage {
            Usage::Use { product, .. } => Some(self.table.products[*product as usize].slug.clone()),
            Usage::Buy { pack } => Some(self.table.packs[*pack as usize].slug.clone()),
            Usage::NotInVersion { product, .. } => Some(product.clone()),
            _ => None,
        };
        self.rejected.push(RejectedEvent {
            line: e.line,
            time: Some(format_instant(e.time)),
            product,
            reason: r.reason,
            kind: "rule",
            rejection: Some(r.kind.name()),
            rule_line: r.line,
        });
    }

    /// Starts period `k`: plan charges and recurring grants.
    pub(super) fn open_period(
        &mut self,
        k: u32,
        start: Instant,
        lines: &mut PeriodLines,
    ) -> Result<(), BillError> {
        let table = self.table;
        let period = self.request.period_start(k);
        // Tiers over the period start again from nothing.
        self.period_usage.clear();
        self.period_charged.clear();
        let contract_end = self.request.period_start(self.request.periods).instant();
        // Changes asked for take effect when a cycle starts (seed 000: "at the next billing
        // cycle").
        if k > 0 && self.renews(k) {
            self.apply_changes(k, start, lines);
        }
        let plan = &table.plans[self.plan as usize];
        let annual = self.billing == Billing::Annual;
        let billing_months = self.billing.months();
        let starts_cycle = (k - self.cycle_from) % billing_months == 0;
        let cycle_end = self.request.period_start(k + billing_months).instant();

        // A first, partial period under `first period prorated` bills its share of the cycle.
        let fee_share = self.first_share(k, cycle_end);
        let prorated = |d: String| match fee_share {
            Some(s) => format!(
                "{d}, prorated ({}, to {})",
                s.describe(),
                self.request.period_start(billing_months)
            ),
            None => d,
        };
        let charge = |a: Decimal| -> Result<Decimal, BillError> {
            match fee_share {
                Some(s) => s.money(a, &table.currency),
                None => Ok(round_charge(a, &table.currency)),
            }
        };
        // The plan's price (or its commitment) for the billing cycle.
        if starts_cycle {
            let fees = cycle_fees(plan, self.billing)?;
            if let Some(amount) = fees.commitment {
                lines.fixed.push(BillLine {
                    period: String::new(),
                    kind: "commitment",
                    description: prorated(format!("{} minimum commitment", plan.display)),
                    quantity: None,
                    amount: Some(charge(amount)?),
                    version: String::new(),
                });
            }
            if let Some((description, amount)) = fees.subscription {
                lines.fixed.push(BillLine {
                    period: String::new(),
                    kind: "subscription",
                    description: prorated(description),
                    quantity: None,
                    amount: amount.map(charge).transpose()?,
                    version: String::new(),
                });
            }
        }

        // Fees that are not usage: a one-time fee when the bill starts the subscription (a bill
        // that continues from a wallet state does not), a recurring one on its cadence.
        for f in &plan.fees {
            let due = match f.every_months {
                None => k == 0 && !self.request.continues,
                Some(m) => k % m.max(1) == 0,
            };
            if due {
                lines
                    .fixed
                    .push(fee_line(f, &table.currency, &plan.display));
            }
        }

        // Recurring grants: monthly billing issues each on its cadence; annual billing
        // front-loads the year's grants at the start of the cycle.
        let front = table.annual_front_load.unwrap_or(12);
        for (i, g) in plan.grants.iter().enumerate() {
            // Grants renewed by days are issued as their days come (`issue_due`).
            if g.every_days.is_some() {
                continue;
            }
            let Some(every) = g.every_months else {
                if k == 0 {
                    let name = format!("plan {} grant {}", plan.slug, i + 1);
                    self.issue_grant(name, g, 1, None, start, cycle_end, contract_end)?;
                }
                continue;
            };
            let label = format!("{}-{:02}", period.year, period.month);
            if annual {
                if starts_cycle {
                    let times = (front / every.max(1)).max(1);
                    let name = format!(
                        "plan {} {label} (annual, {times} x front-loaded)",
                        plan.slug
                    );
                    let share = self.first_share(k, cycle_end);
                    self.issue_grant(name, g, times, share, start, cycle_end, contract_end)?;
                }
            } else if k % every == 0 {
                let grant_end = self.request.period_start(k + every).instant();
                let name = format!("plan {} {label}", plan.slug);
                let share = self.first_share(k, grant_end);
                self.issue_grant(name, g, 1, share, start, grant_end, contract_end)?;
            }
        }
        if let Some(c) = &plan.commit {
            if let Some((q, u)) = c.included {
                let label = format!("{}-{:02}", period.year, period.month);
                let entry = GrantEntry {
                    amount: q,
                    contract_set: false,
                    unit: u,
                    every_months: Some(c.months),
                    every_days: None,
                    expiry: "cycle-end".into(),
                    priority: 1,
                    line: 0,
                };
                let end = self.request.period_start(k + c.months.max(1)).instant();
                let share = self.first_share(k, end);
                self.issue_grant(
                    format!("contract {} included {label}", plan.slug),
                    &entry,
                    1,
                    share,
                    start,
                    end,
                    contract_end,
                )?;
            }
        }
        Ok(())
    }

    /// Closes a period: prices accumulated lines once and appends them.
    pub(super) fn close_period(
        &mut self,
        period: Date,
        mut lines: PeriodLines,
    ) -> Result<(), BillError> {
        let table = self.table;
        let label = format!("{}-{:02}", period.year, period.month);
        for mut l in lines.fixed.drain(..) {
            l.period = label.clone();
            l.version = table.version.clone();
            self.lines.push(l);
        }
        if let Some((bought, money, unit)) = lines.recharge {
            self.lines.push(BillLine {
                period: label.clone(),
                kind: "recharge",
                description: "auto recharge".into(),
                quantity: Some(self.show(bought, unit)),
                amount: money.map(|m| round_charge(m, &table.currency)),
                version: table.version.clone(),
            });
        }
        for (key, shortfall) in &lines.overage {
            let amount = shortfall
                .checked_mul(key.amount)
                .and_then(|v| {
                    div_round(
                        v,
                        key.per_base,
                        crate::base::money::charge_dp(&table.currency),
                    )
                })
                .map(|v| round_charge(v, &table.currency))
                .ok_or_else(|| overflow("an overage charge"))?;
            self.lines.push(BillLine {
                period: label.clone(),
                kind: "overage",
                description: key.text.clone(),
                quantity: Some(self.show(*shortfall, key.per_unit)),
                amount: Some(amount),
                version: table.version.clone(),
            });
        }
        for (product, quantity, money) in &lines.carve_outs {
            let p = &table.products[*product as usize];
            let base = table.base_unit(&p.measure).to_string();
            self.lines.push(BillLine {
                period: label.clone(),
                kind: "carve-out",
                description: format!("{} (billed outside the wallet)", p.display),
                quantity: Some(format!("{} {base}", quantity.normalize())),
                amount: Some(round_charge(*money, &table.currency)),
                version: table.version.clone(),
            });
        }
        Ok(())
    }

    pub(super) fn use_event(
        &mut self,
        e: &UsageEvent,
        attrs: &[EventAttr],
        product: ProductId,
        cell: CellId,
        quantity: Decimal,
        lines: &mut PeriodLines,
    ) -> Result<(), BillError> {
        let table = self.table;
        let plan = &table.plans[self.plan as usize];
        let p = &table.products[product as usize];
        let key = self.rater.key(Some(self.plan), product, cell);
        let by_period = key.is_some_and(|k| self.rater.prices_by_period(k));
        let used = match by_period {
            true => self
                .period_usage
                .get(&(product, cell))
                .copied()
                .unwrap_or(Decimal::ZERO),
            false => Decimal::ZERO,
        };
        let quote = match key {
            Some(k) => self.rater.quote_in_period(k, used, quantity),
            None => Err(Rejection::new(RejectionKind::Unknown, "no such rate cell")),
        };
        // Attribute limits apply to a usage its price accepts, as in a quote.
        let quote = quote.and_then(|q| {
            table
                .check_attributes(Some(self.plan), product, attrs)
                .map(|()| q)
        });
        let q = match quote {
            Ok(q) => q,
            Err(r) => {
                self.reject(e, r);
                return Ok(());
            }
        };
        // Windowed limits (items per day, ...): check them all, then count the event in each.
        let window_uses = || {
            plan.limits.iter().enumerate().filter_map(move |(li, l)| {
                window_use(l, product, &p.measure, quantity, e.time).map(|u| (li, l, u))
            })
        };
        for (li, l, w) in window_uses() {
            let used = self
                .windows
                .get(&(li, w.start))
                .copied()
                .unwrap_or(Decimal::ZERO);
            // A sum beyond decimal range is beyond any limit.
            if crate::base::money::add_exact(used, w.add)
                .is_none_or(|total| total > w.max || (w.strict && total == w.max))
            {
                let reason = format!(
                    "limit {} per {} on plan `{}` (already {used})",
                    l.describe(),
                    w.window,
                    plan.slug
                );
                self.reject(
                    e,
                    Rejection::new(RejectionKind::Limit, reason).with_line(l.line),
                );
                return Ok(());
            }
        }
        for (li, _, w) in window_uses() {
            // Within its limit, so the sum fits.
            let used = self.windows.entry((li, w.start)).or_insert(Decimal::ZERO);
            *used = used.saturating_add(w.add);
        }
        // A product's one-time fee, at its first use the plan accepts.
        if !p.fees.is_empty()
            && !self.request.continues
            && !self.product_fees_charged.contains(&product)
        {
            self.product_fees_charged.push(product);
            for f in &p.fees {
                lines.fixed.push(fee_line(f, &table.currency, &p.display));
            }
        }
        // Allowances: what the plan includes per window is used before the wallet.
        let mut q = q;
        let rejected_before = self.rejected.len();
        match self.allowance(e, product, &q, lines)? {
            Allowed::Covered => {
                self.note(e, product, &q, "allowance", Vec::new(), None);
                return Ok(());
            }
            Allowed::Done => {
                // Refused (listed with the rejections), or billed as overage beyond it.
                if self.rejected.len() == rejected_before {
                    self.note(e, product, &q, "overage", Vec::new(), None);
                }
                return Ok(());
            }
            Allowed::Beyond { charge } => q.exact = charge,
            Allowed::NotCovered => {}
        }
        // The event's slice of the period's tiers is now its to pay; a later event is the next
        // slice. (If the wallet then refuses it, the slice is taken back below.)
        if by_period {
            let Some(total) = crate::base::money::add_exact(used, q.quantity) else {
                self.reject(
                    e,
                    Rejection::new(
                        RejectionKind::Overflow,
                        "the period's usage is too large to compute exactly",
                    ),
                );
                return Ok(());
            };
            self.period_usage.insert((product, cell), total);
        }
        // `bill at most ... per period`: the event pays its share of what the cap leaves (tiers
        // over the period were capped by the quote, which knew the period's usage).
        self.charged_undo = None;
        if let (Some(cap), false) = (&p.bill.cap_period, by_period) {
            if q.unit.is_some() && q.unit == p.charge_unit {
                let before = self
                    .period_charged
                    .get(&product)
                    .copied()
                    .unwrap_or(Decimal::ZERO);
                let (Some(after), Some(slice)) = (
                    crate::base::money::add_exact(before, q.exact),
                    crate::table::cap_slice(cap.base, before, q.exact),
                ) else {
                    self.undo_period_usage(by_period, product, cell, used);
                    self.reject(
                        e,
                        Rejection::new(
                            RejectionKind::Overflow,
                            "the period's charges are too large to compute exactly",
                        ),
                    );
                    return Ok(());
                };
                self.period_charged.insert(product, after);
                self.charged_undo = Some((product, before));
                q.exact = slice;
            }
        }
        let Some(unit) = q.unit else {
            self.note(e, product, &q, "free", Vec::new(), None);
            return Ok(());
        };
        let u = &table.units[unit as usize];
        let too_large = |what: &str| {
            Rejection::new(
                RejectionKind::Overflow,
                format!("{what} is too large to compute exactly"),
            )
        };
        // Carve-outs are money lines outside the wallet.
        if p.outside_wallet {
            // Not a matrix cell (a tiered carve-out): its rounded charge is exact.
            let exact = q.exact;
            match lines.carve_outs.iter_mut().find(|c| c.0 == product) {
                Some(c) => match (
                    crate::base::money::add_exact(c.1, quantity),
                    crate::base::money::add_exact(c.2, exact),
                ) {
                    (Some(total_quantity), Some(total_money)) => {
                        (c.1, c.2) = (total_quantity, total_money);
                    }
                    _ => {
                        self.undo_period_usage(by_period, product, cell, used);
                        self.reject(e, too_large("the period's carve-out total"));
                    }
                },
                None => lines.carve_outs.push((product, quantity, exact)),
            }
            self.note(e, product, &q, "outside-wallet", Vec::new(), None);
            return Ok(());
        }
        // Pay from the wallet.
        // Money is drawn exact; rounding happens once per line (top-ups, overage, carve-outs).
        let Some(need) = q.exact.checked_mul(u.factor) else {
            self.undo_period_usage(by_period, product, cell, used);
            self.reject(e, too_large("the event's charge in base units"));
            return Ok(());
        };
        let dim: &'t str = &table.units[unit as usize].dimension;
        // A negative slice (volume tiers: reaching a cheaper tier lowers the price of the whole
        // period) is credited back: first the period's overage in that unit, then the grants it
        // was drawn from.
        if need < Decimal::ZERO {
            self.credit(dim, -need, e.time, lines);
            self.note(e, product, &q, "credit", Vec::new(), None);
            return Ok(());
        }
        let mut balance = self.wallet.balance(dim);
        if balance < need {
            self.recharge(e.time, dim, need, lines)?;
            balance = self.wallet.balance(dim);
        }
        if balance >= need {
            let mut taken = Vec::new();
            let trace = self.request.explain.then_some(&mut taken);
            self.wallet.draw_traced(dim, need, trace);
            self.note(e, product, &q, "wallet", taken, None);
            return self.after_draw(e.time, dim, lines);
        }
        match &plan.when_empty {
            EmptyEntry::Overage { rate: Some(rate) }
                if dimension_of(table, rate.per_unit) == dim =>
            {
                // Both are non-negative and need > balance: the difference fits.
                let shortfall = need - balance;
                let key = OverageKey {
                    amount: rate.amount,
                    per_base: rate.per_base,
                    per_unit: rate.per_unit,
                    text: format!("overage at {}", table.describe_rate(rate)),
                };
                match lines.overage.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, s)) => match crate::base::money::add_exact(*s, shortfall) {
                        Some(total) => *s = total,
                        None => {
                            self.reject(e, too_large("the period's overage"));
                            return Ok(());
                        }
                    },
                    None => lines.overage.push((key, shortfall)),
                }
                let mut taken = Vec::new();
                let trace = self.request.explain.then_some(&mut taken);
                self.wallet.draw_traced(dim, balance, trace);
                let over = Some(self.show(shortfall, unit));
                self.note(e, product, &q, "overage", taken, over);
            }
            _ => {
                self.undo_period_usage(by_period, product, cell, used);
                let reason = format!(
                    "the wallet holds {} but the event needs {}: short by {} (the plan rejects usage when the wallet cannot pay)",
                    self.show(balance, unit),
                    self.show(need, unit),
                    self.show(need - balance, unit)
                );
                self.reject(
                    e,
                    Rejection::new(RejectionKind::WalletEmpty, reason).with_line(plan.line),
                );
            }
        }
        Ok(())
    }

    /// An event refused after its slice of the period's tiers was counted: the period's usage
    /// goes back to what it was before it.
    fn undo_period_usage(
        &mut self,
        by_period: bool,
        product: ProductId,
        cell: CellId,
        used: Decimal,
    ) {
        if by_period {
            self.period_usage.insert((product, cell), used);
        }
        if let Some((p, before)) = self.charged_undo.take() {
            self.period_charged.insert(p, before);
        }
    }

    /// Credits `amount` base units of `dim` back: the period's overage in that dimension first
    /// (the last units were paid there), then the wallet's grants it was drawn from, latest
    /// first. What was drawn from a grant that has since expired cannot be returned.
    fn credit(&mut self, dim: &str, amount: Decimal, now: Instant, lines: &mut PeriodLines) {
        let table = self.table;
        let mut left = amount;
        for (key, shortfall) in lines.overage.iter_mut().rev() {
            if dimension_of(table, key.per_unit) == dim && left > Decimal::ZERO {
                let back = (*shortfall).min(left);
                *shortfall -= back;
                left -= back;
            }
        }
        if left > Decimal::ZERO {
            self.wallet.refund(dim, left, now);
        }
    }

    /// After a drawdown, a balance below the threshold triggers a recharge.
    pub(super) fn after_draw(
        &mut self,
        at: Instant,
        dim: &str,
        lines: &mut PeriodLines,
    ) -> Result<(), BillError> {
        if let (Some(r), Some((below, _))) = (&self.recharge, self.recharge_base) {
            if dimension_of(self.table, r.unit) == dim && self.wallet.balance(dim) < below {
                self.recharge(at, dim, Decimal::ZERO, lines)?;
            }
        }
        Ok(())
    }

    pub(super) fn buy(
        &mut self,
        e: &UsageEvent,
        pack: PackId,
        lines: &mut PeriodLines,
    ) -> Result<(), BillError> {
        let table = self.table;
        let plan = &table.plans[self.plan as usize];
        let Some(p) = table.packs.get(pack as usize) else {
            self.reject(e, Rejection::new(RejectionKind::Unknown, "unknown pack"));
            return Ok(());
        };
        if !plan.packs_allowed || !p.plans.contains(&self.plan) {
            self.reject(
                e,
                Rejection::new(
                    RejectionKind::NotAvailable,
                    format!("pack `{}` is not offered on plan `{}`", p.slug, plan.slug),
                )
                .with_line(p.line),
            );
            return Ok(());
        }
        let amount = match p.price {
            PriceEntry::Amount { amount, .. } => Some(amount),
            _ => None,
        };
        lines.fixed.push(BillLine {
            period: String::new(),
            kind: "pack",
            description: match amount {
                Some(_) => format!("{} bought {}", p.display, format_instant(e.time)),
                None => format!(
                    "{} bought {} (price not published)",
                    p.display,
                    format_instant(e.time)
                ),
            },
            quantity: None,
            amount: amount.map(|a| round_charge(a, &table.currency)),
            version: String::new(),
        });
        let contract_end = self.request.period_start(self.request.periods).instant();
        for g in &p.grants {
            let name = format!("pack {} {}", p.slug, format_instant(e.time));
            let before = self.wallet.grants.len();
            self.issue_grant(name, g, 1, None, e.time, contract_end, contract_end)?;
            for issued in &mut self.wallet.grants[before..] {
                issued.with_subscription = true;
            }
        }
        Ok(())
    }
}

impl Engine<'_, '_> {
    /// A top-up: money added to the plan's prepaid balance, within its bounds, billed as a
    /// `top-up` line.
    pub(super) fn top_up(
        &mut self,
        e: &UsageEvent,
        amount: Decimal,
        currency: UnitId,
        lines: &mut PeriodLines,
    ) -> Result<(), BillError> {
        let table = self.table;
        let plan = &table.plans[self.plan as usize];
        let Some(t) = plan.top_up.as_ref().filter(|t| t.unit == currency) else {
            let reason = format!(
                "plan `{}` takes no top-ups of {}",
                plan.slug,
                table.unit_name(currency)
            );
            self.reject(
                e,
                Rejection::new(RejectionKind::NotAvailable, reason).with_line(plan.line),
            );
            return Ok(());
        };
        let unit = table.unit_name(t.unit);
        if amount <= Decimal::ZERO {
            let reason = format!("a top-up of {amount} {unit} is not positive");
            self.reject(e, Rejection::new(RejectionKind::Negative, reason));
            return Ok(());
        }
        if let Some(min) = t.minimum.filter(|m| amount < *m) {
            let reason =
                format!("a top-up of {amount} {unit} is below the minimum of {min} {unit}");
            self.reject(
                e,
                Rejection::new(RejectionKind::Minimum, reason).with_line(t.line),
            );
            return Ok(());
        }
        if let Some(max) = t.maximum.filter(|m| amount > *m) {
            let reason =
                format!("a top-up of {amount} {unit} is above the maximum of {max} {unit}");
            self.reject(
                e,
                Rejection::new(RejectionKind::Maximum, reason).with_line(t.line),
            );
            return Ok(());
        }
        lines.fixed.push(BillLine {
            period: String::new(),
            kind: "top-up",
            description: format!("top-up {}", format_instant(e.time)),
            quantity: None,
            amount: Some(round_charge(amount, &table.currency)),
            version: String::new(),
        });
        let contract_end = self.request.period_start(self.request.periods).instant();
        let grant = GrantEntry {
            amount,
            contract_set: false,
            unit: t.unit,
            every_months: None,
            every_days: None,
            expiry: t.expiry.clone(),
            priority: 1,
            line: t.line,
        };
        let name = format!("top-up {}", format_instant(e.time));
        self.issue_grant(name, &grant, 1, None, e.time, contract_end, contract_end)
    }
}

/// What a usage adds to a windowed limit of the plan.
pub(super) struct WindowUse<'t> {
    /// The window it falls in: hour, day or month number.
    pub(super) start: i64,
    pub(super) add: Decimal,
    pub(super) max: Decimal,
    /// The total must stay below `max`, not only reach it.
    pub(super) strict: bool,
    /// `hour`, `day` or `month`.
    pub(super) window: &'t str,
}

/// `None` when the limit is not windowed, not for this product, or counts another dimension.
pub(super) fn window_use<'t>(
    limit: &'t crate::table::LimitEntry,
    product: ProductId,
    measure: &str,
    quantity: Decimal,
    time: i64,
) -> Option<WindowUse<'t>> {
    let LimitKindEntry::Window {
        max,
        strict,
        dimension,
        window,
    } = &limit.kind
    else {
        return None;
    };
    if !limit.scope.is_empty() && !limit.scope.contains(&product) {
        return None;
    }
    let add = match dimension {
        Some(d) if d == measure => quantity,
        Some(_) => return None,
        None => Decimal::ONE,
    };
    let start = window_start(window, time);
    Some(WindowUse {
        start,
        add,
        max: *max,
        strict: *strict,
        window,
    })
}
