//! The billing engine: one account's usage over whole billing periods.
//!
//! A bill runs on a compiled [`RatingTable`]: every usage event is priced by the [`Rater`] (the
//! same answer as a quote), then paid from the wallet. The wallet is a list of grants kept in
//! drawdown order (priority, then soonest expiry, then issue order), with amounts in base units
//! of their dimension. Period boundaries issue recurring grants and expire what is due; what
//! cannot be paid follows the plan's rule (reject, overage, auto-recharge). Every money line is
//! accumulated exactly and rounded once, when its period closes.
//!
//! ```
//! use pricebook::bill::{bill, BillRequest, Billing, UsageEvent, Usage};
//! use pricebook::base::date::{Date, parse_instant};
//! let table = pricebook::pipeline::compile_source(r#"
//! pricebook acme version "1" effective 2026-01-01 currency USD
//! unit credit
//! product "Render" as render { measure time  rate 2 credit / second }
//! plan "Pro" as pro {
//!   price 20 USD / month
//!   grant 1000 credit every month, expires at cycle end
//!   when empty reject
//! }
//! "#).unwrap();
//! let events = vec![UsageEvent {
//!     line: 1,
//!     time: parse_instant("2026-01-05T10:00:00Z").unwrap(),
//!     usage: Usage::Use { product: 0, cell: 0, quantity: 300.into() },
//! }];
//! let request = BillRequest::new(0, Date::parse("2026-01-01").unwrap(), 1);
//! let b = bill(&table, &request, &events).unwrap();
//! assert_eq!(b.total.to_string(), "20.00");
//! assert_eq!(b.wallet[0].consumed.to_string(), "600");
//! assert_eq!(b.wallet[0].expired.to_string(), "400");
//! ```

use crate::base::date::{Date, Instant, format_instant};
use crate::base::money::{div_round, round_charge};
use crate::base::rejection::{Rejection, RejectionKind};
use crate::rate::Rater;
use crate::table::{
    CellId, EmptyEntry, GrantEntry, LimitKindEntry, PackId, PlanId, PriceEntry, PricingEntry,
    ProductId, RatingTable, UnitId,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Monthly or annual billing of the plan's price and grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Billing {
    Monthly,
    Annual,
}

/// An account's auto-recharge settings: when the balance falls below `below`, buy up to `to`,
/// spending at most `cap` money per period.
#[derive(Debug, Clone, PartialEq)]
pub struct RechargeSettings {
    pub below: Decimal,
    pub to: Decimal,
    pub unit: UnitId,
    pub cap: Option<Decimal>,
}

/// What to bill.
#[derive(Debug, Clone)]
pub struct BillRequest {
    pub plan: PlanId,
    pub billing: Billing,
    pub from: Date,
    pub periods: u32,
    pub recharge: Option<RechargeSettings>,
    /// Grants carried over from an earlier bill's closing wallet.
    pub opening: Vec<WalletGrant>,
}

impl BillRequest {
    pub fn new(plan: PlanId, from: Date, periods: u32) -> Self {
        BillRequest {
            plan,
            billing: Billing::Monthly,
            from,
            periods,
            recharge: None,
            opening: Vec::new(),
        }
    }
}

/// One usage file event, with names resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageEvent {
    /// Line in the usage file (for reports).
    pub line: u64,
    pub time: Instant,
    pub usage: Usage,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Usage {
    /// `quantity` in base units of the product's measure.
    Use {
        product: ProductId,
        cell: CellId,
        quantity: Decimal,
    },
    Buy {
        pack: PackId,
    },
}

/// A money line of the invoice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BillLine {
    /// `2026-06` (the period's first day, as a month).
    pub period: String,
    /// subscription, commitment, pack, recharge, overage or carve-out.
    pub kind: &'static str,
    pub description: String,
    pub quantity: Option<String>,
    /// `None` when the price is not published.
    #[serde(with = "opt_decimal_str")]
    pub amount: Option<Decimal>,
}

/// A grant's account over the bill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrantReport {
    pub grant: String,
    pub unit: String,
    #[serde(with = "decimal_str")]
    pub granted: Decimal,
    #[serde(with = "decimal_str")]
    pub consumed: Decimal,
    #[serde(with = "decimal_str")]
    pub expired: Decimal,
    #[serde(with = "decimal_str")]
    pub remaining: Decimal,
    pub expires: Option<String>,
}

/// An event that was not billed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RejectedEvent {
    pub line: u64,
    pub time: Option<String>,
    pub product: Option<String>,
    pub reason: String,
    /// `rule` (a business outcome: a limit, an empty wallet) or `bad-line` (malformed input).
    pub kind: &'static str,
    /// For a `rule`, the kind of rejection (`limit`, `wallet-empty`, ...; see
    /// [`RejectionKind`]).
    pub rejection: Option<&'static str>,
    /// The rule's source line in the book, when a rule rejected it.
    pub rule_line: Option<u32>,
}

/// A grant carried between bills (the closing wallet of one is the opening of the next).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalletGrant {
    pub grant: String,
    pub unit: String,
    #[serde(with = "decimal_str")]
    pub remaining: Decimal,
    pub expires: Option<String>,
    pub priority: u32,
}

/// The closing wallet: what carries over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalletState {
    pub as_of: String,
    pub grants: Vec<WalletGrant>,
}

/// A computed bill.
#[derive(Debug, Clone, PartialEq)]
pub struct Bill {
    pub total: Decimal,
    pub currency: String,
    pub lines: Vec<BillLine>,
    pub wallet: Vec<GrantReport>,
    pub rejected: Vec<RejectedEvent>,
    pub closing: WalletState,
    /// Period start dates.
    pub periods: Vec<Date>,
    /// The book versions that priced the bill.
    pub versions: Vec<VersionRef>,
}

/// A book version, as a bill names the one that priced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionRef {
    pub vendor: String,
    pub version: String,
    pub effective: String,
    /// The book's file, when the table records it.
    pub source: Option<String>,
}

impl VersionRef {
    pub fn of(table: &RatingTable) -> VersionRef {
        VersionRef {
            vendor: table.vendor.clone(),
            version: table.version.clone(),
            effective: table.effective.clone(),
            source: (!table.source.is_empty()).then(|| table.source.clone()),
        }
    }
}

/// Whether an account on `plan` may auto-recharge: the book offers it (an `auto recharge`
/// block) and the plan sells top-ups (`packs allowed`, or `when empty auto recharge`). A plan
/// that sells no top-ups never buys credits, whatever the account asks.
pub fn may_auto_recharge(table: &RatingTable, plan: PlanId) -> Result<(), String> {
    let Some(p) = table.plans.get(plan as usize) else {
        return Err("unknown plan".into());
    };
    if table.recharge.is_none() {
        return Err(format!(
            "`{}` {} offers no auto recharge (the book has no `auto recharge` block)",
            table.vendor, table.version
        ));
    }
    if !p.packs_allowed && p.when_empty != EmptyEntry::AutoRecharge {
        return Err(format!(
            "plan `{}` sells no top-ups (`packs not allowed`, and its wallet does not recharge when empty), so it cannot auto-recharge",
            p.slug
        ));
    }
    Ok(())
}

/// Why a bill could not be computed at all (as opposed to rejected events).
#[derive(Debug, Clone, PartialEq)]
pub struct BillError(pub String);

impl std::fmt::Display for BillError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

mod decimal_str {
    use rust_decimal::Decimal;
    pub fn serialize<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_string())
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        crate::base::money::parse_decimal(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a decimal")))
    }
}

mod opt_decimal_str {
    use rust_decimal::Decimal;
    pub fn serialize<S: serde::Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.to_string()),
            None => s.serialize_none(),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// The wallet

#[derive(Debug, Clone)]
struct Grant {
    name: String,
    /// The unit it was granted in (for reports); amounts are in base units of its dimension.
    unit: UnitId,
    dimension: String,
    granted: Decimal,
    consumed: Decimal,
    expired: Decimal,
    expires: Option<Instant>,
    priority: u32,
    seq: usize,
}

impl Grant {
    fn remaining(&self) -> Decimal {
        self.granted - self.consumed - self.expired
    }
}

/// The grants of one account. Per event the work is independent of how many grants were ever
/// issued: balances are kept per dimension as grants are issued, drawn and expired; expiry only
/// scans when the earliest pending expiry has passed; exhausted grants leave the drawdown order.
#[derive(Debug)]
struct Wallet {
    /// Every grant ever issued, in issue order (reports keep this order).
    grants: Vec<Grant>,
    /// Indexes into `grants` with something left, in drawdown order.
    order: Vec<usize>,
    /// Spendable balance per dimension, in base units.
    balances: Vec<(String, Decimal)>,
    /// No grant with something left expires before this.
    next_expiry: Instant,
}

impl Default for Wallet {
    fn default() -> Self {
        Wallet {
            grants: Vec::new(),
            order: Vec::new(),
            balances: Vec::new(),
            next_expiry: Instant::MAX,
        }
    }
}

impl Wallet {
    fn balance_mut(&mut self, dimension: &str) -> &mut Decimal {
        let i = match self.balances.iter().position(|(d, _)| d == dimension) {
            Some(i) => i,
            None => {
                self.balances.push((dimension.to_string(), Decimal::ZERO));
                self.balances.len() - 1
            }
        };
        &mut self.balances[i].1
    }

    fn issue(&mut self, mut g: Grant) {
        g.seq = self.grants.len();
        *self.balance_mut(&g.dimension) += g.remaining();
        if let Some(e) = g.expires {
            self.next_expiry = self.next_expiry.min(e);
        }
        let key = |g: &Grant| (g.priority, g.expires.unwrap_or(Instant::MAX), g.seq);
        let k = key(&g);
        let pos = self.order.partition_point(|i| key(&self.grants[*i]) <= k);
        self.grants.push(g);
        self.order.insert(pos, self.grants.len() - 1);
    }

    /// Expires every grant due at or before `now`.
    fn expire(&mut self, now: Instant) {
        if now < self.next_expiry {
            return;
        }
        let mut next = Instant::MAX;
        let mut lost: Vec<(usize, Decimal)> = Vec::new();
        for (i, g) in self.grants.iter_mut().enumerate() {
            let r = g.remaining();
            if r.is_zero() {
                continue;
            }
            match g.expires {
                Some(e) if e <= now => {
                    g.expired += r;
                    lost.push((i, r));
                }
                Some(e) => next = next.min(e),
                None => {}
            }
        }
        for (i, r) in lost {
            let dim = self.grants[i].dimension.clone();
            *self.balance_mut(&dim) -= r;
        }
        let grants = &self.grants;
        self.order.retain(|i| !grants[*i].remaining().is_zero());
        self.next_expiry = next;
    }

    /// Spendable balance in `dimension`, in base units.
    fn balance(&self, dimension: &str) -> Decimal {
        self.balances
            .iter()
            .find(|(d, _)| d == dimension)
            .map_or(Decimal::ZERO, |(_, b)| *b)
    }

    /// Draws `amount` base units in drawdown order; the caller checked the balance.
    fn draw(&mut self, dimension: &str, amount: Decimal) {
        *self.balance_mut(dimension) -= amount;
        let mut left = amount;
        let mut exhausted = false;
        for &i in &self.order {
            if left.is_zero() {
                break;
            }
            let g = &mut self.grants[i];
            if g.dimension != dimension {
                continue;
            }
            let take = g.remaining().min(left);
            if take > Decimal::ZERO {
                g.consumed += take;
                left -= take;
            }
            exhausted |= g.remaining().is_zero();
        }
        if exhausted {
            let grants = &self.grants;
            self.order.retain(|i| !grants[*i].remaining().is_zero());
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Money lines of one period, accumulated exactly

#[derive(Debug, Default)]
struct PeriodLines {
    /// (kind, description, quantity text, exact amount or None), in order of first appearance.
    fixed: Vec<BillLine>,
    /// Overage: shortfall in base units per (rate key), priced once at the close.
    overage: Vec<(OverageKey, Decimal)>,
    /// Carve-outs: exact charges per product (money), rounded once at the close.
    carve_outs: Vec<(ProductId, Decimal, Decimal)>,
    /// Recharges: credits bought and exact money.
    recharge: Option<(Decimal, Option<Decimal>, u32)>,
    /// Money spent on recharges this period (for the cap).
    recharge_spent: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
struct OverageKey {
    amount: Decimal,
    per_base: Decimal,
    per_unit: UnitId,
    text: String,
}

/// Parameters of one bill, resolved.
struct Engine<'t, 'r> {
    table: &'t RatingTable,
    rater: &'r Rater<'t>,
    plan: PlanId,
    request: &'t BillRequest,
    wallet: Wallet,
    lines: Vec<BillLine>,
    rejected: Vec<RejectedEvent>,
    /// Window limits: (limit index, window start) -> used so far.
    windows: HashMap<(usize, i64), Decimal>,
}

fn dimension_of(table: &RatingTable, unit: UnitId) -> &str {
    &table.units[unit as usize].dimension
}

fn factor_of(table: &RatingTable, unit: UnitId) -> Decimal {
    table.units[unit as usize].factor
}

/// Expiry instant of a grant issued at `at` for a cycle that ends at `cycle_end`.
fn expiry(
    g: &GrantEntry,
    at: Instant,
    cycle_end: Instant,
    contract_end: Instant,
) -> Option<Instant> {
    let date = Date::from_days(at.div_euclid(86_400));
    let secs = at.rem_euclid(86_400);
    match g.expiry.as_str() {
        "never" => None,
        "cycle-end" => Some(cycle_end),
        "contract-end" => Some(contract_end),
        e => {
            let (kind, n) = e.split_once(':')?;
            let n: i64 = n.parse().ok()?;
            match kind {
                "months" => Some(date.add_months(n).instant() + secs),
                "days" => Some(at + n * 86_400),
                _ => None,
            }
        }
    }
}

impl<'t> Engine<'t, '_> {
    fn unit_name(&self, u: UnitId) -> &str {
        self.table.unit_name(u)
    }

    /// A quantity in base units, shown in `unit`.
    fn show(&self, base: Decimal, unit: UnitId) -> String {
        let v = base
            .checked_div(factor_of(self.table, unit))
            .unwrap_or(base)
            .normalize();
        format!("{v} {}", self.unit_name(unit))
    }

    fn issue_grant(
        &mut self,
        name: String,
        g: &GrantEntry,
        times: u32,
        at: Instant,
        cycle_end: Instant,
        contract_end: Instant,
    ) {
        let amount = g.amount * Decimal::from(times) * factor_of(self.table, g.unit);
        self.wallet.issue(Grant {
            name,
            unit: g.unit,
            dimension: dimension_of(self.table, g.unit).to_string(),
            granted: amount,
            consumed: Decimal::ZERO,
            expired: Decimal::ZERO,
            expires: expiry(g, at, cycle_end, contract_end),
            priority: g.priority,
            seq: 0,
        });
    }

    fn reject(&mut self, e: &UsageEvent, r: Rejection) {
        let product = match &e.usage {
            Usage::Use { product, .. } => Some(self.table.products[*product as usize].slug.clone()),
            Usage::Buy { pack } => Some(self.table.packs[*pack as usize].slug.clone()),
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
    fn open_period(&mut self, k: u32, start: Instant, lines: &mut PeriodLines) {
        let table = self.table;
        let plan = &table.plans[self.plan as usize];
        let period = self.request.from.add_months(i64::from(k));
        let contract_end = self
            .request
            .from
            .add_months(i64::from(self.request.periods))
            .instant();
        let annual = self.request.billing == Billing::Annual;
        let billing_months: u32 = if annual { 12 } else { 1 };
        let starts_cycle = k % billing_months == 0;
        let cycle_end = period.add_months(i64::from(billing_months)).instant();

        // The plan's price (or its commitment) for the billing cycle.
        if starts_cycle {
            if let Some(c) = &plan.commit {
                let times = billing_months / c.months.max(1);
                lines.fixed.push(BillLine {
                    period: String::new(),
                    kind: "commitment",
                    description: format!("{} minimum commitment", plan.display),
                    quantity: None,
                    amount: Some(round_charge(
                        c.amount * Decimal::from(times.max(1)),
                        &table.currency,
                    )),
                });
            }
            let sub = match (&plan.price, annual) {
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
            if let Some((description, amount)) = sub {
                lines.fixed.push(BillLine {
                    period: String::new(),
                    kind: "subscription",
                    description,
                    quantity: None,
                    amount: amount.map(|a| round_charge(a, &table.currency)),
                });
            }
        }

        // Recurring grants: monthly billing issues each on its cadence; annual billing
        // front-loads the year's grants at the start of the cycle.
        let front = table.annual_front_load.unwrap_or(12);
        for (i, g) in plan.grants.iter().enumerate() {
            let Some(every) = g.every_months else {
                if k == 0 {
                    let name = format!("plan {} grant {}", plan.slug, i + 1);
                    self.issue_grant(name, g, 1, start, cycle_end, contract_end);
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
                    self.issue_grant(name, g, times, start, cycle_end, contract_end);
                }
            } else if k % every == 0 {
                let grant_end = period.add_months(i64::from(every)).instant();
                let name = format!("plan {} {label}", plan.slug);
                self.issue_grant(name, g, 1, start, grant_end, contract_end);
            }
        }
        if let Some(c) = &plan.commit {
            if let Some((q, u)) = c.included {
                let label = format!("{}-{:02}", period.year, period.month);
                let entry = GrantEntry {
                    amount: q,
                    unit: u,
                    every_months: Some(c.months),
                    expiry: "cycle-end".into(),
                    priority: 1,
                    line: 0,
                };
                let end = period.add_months(i64::from(c.months.max(1))).instant();
                self.issue_grant(
                    format!("contract {} included {label}", plan.slug),
                    &entry,
                    1,
                    start,
                    end,
                    contract_end,
                );
            }
        }
    }

    /// Closes a period: prices accumulated lines once and appends them.
    fn close_period(&mut self, period: Date, mut lines: PeriodLines) {
        let table = self.table;
        let label = format!("{}-{:02}", period.year, period.month);
        for mut l in lines.fixed.drain(..) {
            l.period = label.clone();
            self.lines.push(l);
        }
        if let Some((bought, money, unit)) = lines.recharge {
            self.lines.push(BillLine {
                period: label.clone(),
                kind: "recharge",
                description: "auto recharge".into(),
                quantity: Some(self.show(bought, unit)),
                amount: money.map(|m| round_charge(m, &table.currency)),
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
                .map(|v| round_charge(v, &table.currency));
            self.lines.push(BillLine {
                period: label.clone(),
                kind: "overage",
                description: format!("overage at {}", key.text),
                quantity: Some(self.show(*shortfall, key.per_unit)),
                amount,
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
            });
        }
    }

    fn use_event(
        &mut self,
        e: &UsageEvent,
        product: ProductId,
        cell: CellId,
        quantity: Decimal,
        lines: &mut PeriodLines,
    ) {
        let table = self.table;
        let plan = &table.plans[self.plan as usize];
        let p = &table.products[product as usize];
        let key = self.rater.key(Some(self.plan), product, cell);
        let quote = match key {
            Some(k) => self.rater.quote(k, quantity),
            None => Err(Rejection::new(RejectionKind::Unknown, "no such rate cell")),
        };
        let q = match quote {
            Ok(q) => q,
            Err(r) => return self.reject(e, r),
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
            if used.checked_add(w.add).is_none_or(|total| total > w.max) {
                let reason = format!(
                    "limit {} <= {} per {} on plan `{}` (already {used})",
                    l.name, l.value, w.window, plan.slug
                );
                return self.reject(
                    e,
                    Rejection::new(RejectionKind::Limit, reason).with_line(l.line),
                );
            }
        }
        for (li, _, w) in window_uses() {
            // Within its limit, so the sum fits.
            let used = self.windows.entry((li, w.start)).or_insert(Decimal::ZERO);
            *used = used.saturating_add(w.add);
        }
        let Some(unit) = q.unit else { return };
        let u = &table.units[unit as usize];
        // Carve-outs are money lines outside the wallet.
        if p.outside_wallet {
            let exact = exact_charge(p, cell, quantity).unwrap_or(q.charge);
            match lines.carve_outs.iter_mut().find(|c| c.0 == product) {
                Some(c) => {
                    c.1 += quantity;
                    c.2 += exact;
                }
                None => lines.carve_outs.push((product, quantity, exact)),
            }
            return;
        }
        // Pay from the wallet.
        let need = q.charge * u.factor;
        let dim: &'t str = &table.units[unit as usize].dimension;
        let mut balance = self.wallet.balance(dim);
        if balance < need {
            self.recharge(e.time, dim, need, lines);
            balance = self.wallet.balance(dim);
        }
        if balance >= need {
            self.wallet.draw(dim, need);
            self.after_draw(e.time, dim, lines);
            return;
        }
        match &plan.when_empty {
            EmptyEntry::Overage { rate: Some(rate) }
                if dimension_of(table, rate.per_unit) == dim =>
            {
                self.wallet.draw(dim, balance);
                let shortfall = need - balance;
                let key = OverageKey {
                    amount: rate.amount,
                    per_base: rate.per_base,
                    per_unit: rate.per_unit,
                    text: describe(table, rate),
                };
                match lines.overage.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, s)) => *s += shortfall,
                    None => lines.overage.push((key, shortfall)),
                }
            }
            _ => {
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
    }

    /// After a drawdown, a balance below the threshold triggers a recharge.
    fn after_draw(&mut self, at: Instant, dim: &str, lines: &mut PeriodLines) {
        if let Some(r) = &self.request.recharge {
            if dimension_of(self.table, r.unit) == dim {
                let below = r.below * factor_of(self.table, r.unit);
                if self.wallet.balance(dim) < below {
                    self.recharge(at, dim, Decimal::ZERO, lines);
                }
            }
        }
    }

    /// Buys credits up to the ceiling (at least `need`), within the period's money cap.
    fn recharge(&mut self, at: Instant, dim: &str, need: Decimal, lines: &mut PeriodLines) {
        let table = self.table;
        // The account's settings apply where the book offers auto recharge (a book-level
        // `auto recharge` block, or a plan that recharges when empty).
        let plan = &table.plans[self.plan as usize];
        if table.recharge.is_none() && plan.when_empty != EmptyEntry::AutoRecharge {
            return;
        }
        let Some(r) = self.request.recharge.clone() else {
            return;
        };
        if dimension_of(table, r.unit) != dim {
            return;
        }
        let f = factor_of(table, r.unit);
        let balance = self.wallet.balance(dim);
        let mut buy = (r.to * f - balance).max(need - balance);
        if buy <= Decimal::ZERO {
            return;
        }
        // Price per base unit of the wallet, from the book's recharge price.
        let price = table
            .recharge
            .as_ref()
            .and_then(|rc| rc.price)
            .map(|(amount, per, unit)| (amount, per * factor_of(table, unit)));
        if let (Some(cap), Some((amount, per_base))) = (r.cap, price) {
            let left = cap - lines.recharge_spent;
            // Whole wallet units only, never above the cap.
            let affordable = (left * per_base / amount / f).floor() * f;
            if affordable < buy {
                buy = affordable;
            }
            if buy < need - balance || buy <= Decimal::ZERO {
                return;
            }
        }
        let money = price.map(|(amount, per_base)| buy * amount / per_base);
        if let Some(m) = money {
            lines.recharge_spent += m;
        }
        let entry = GrantEntry {
            amount: buy / f,
            unit: r.unit,
            every_months: None,
            expiry: "never".into(),
            priority: 2,
            line: 0,
        };
        let name = format!("recharge {}", format_instant(at));
        self.issue_grant(name, &entry, 1, at, at, at);
        let slot = lines
            .recharge
            .get_or_insert((Decimal::ZERO, Some(Decimal::ZERO), r.unit));
        slot.0 += buy;
        slot.1 = match (slot.1, money) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }

    fn buy(&mut self, e: &UsageEvent, pack: PackId, lines: &mut PeriodLines) {
        let table = self.table;
        let plan = &table.plans[self.plan as usize];
        let Some(p) = table.packs.get(pack as usize) else {
            return self.reject(e, Rejection::new(RejectionKind::Unknown, "unknown pack"));
        };
        if !plan.packs_allowed || !p.plans.contains(&self.plan) {
            return self.reject(
                e,
                Rejection::new(
                    RejectionKind::NotAvailable,
                    format!("pack `{}` is not offered on plan `{}`", p.slug, plan.slug),
                )
                .with_line(p.line),
            );
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
        });
        let contract_end = self
            .request
            .from
            .add_months(i64::from(self.request.periods))
            .instant();
        for g in &p.grants {
            let name = format!("pack {} {}", p.slug, format_instant(e.time));
            self.issue_grant(name, g, 1, e.time, contract_end, contract_end);
        }
    }
}

/// What a usage adds to a windowed limit of the plan.
struct WindowUse<'t> {
    /// The window it falls in: hour, day or month number.
    start: i64,
    add: Decimal,
    max: Decimal,
    /// `hour`, `day` or `month`.
    window: &'t str,
}

/// `None` when the limit is not windowed, not for this product, or counts another dimension.
fn window_use<'t>(
    limit: &'t crate::table::LimitEntry,
    product: ProductId,
    measure: &str,
    quantity: Decimal,
    time: i64,
) -> Option<WindowUse<'t>> {
    let LimitKindEntry::Window {
        max,
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
    let start = match window.as_str() {
        "hour" => time.div_euclid(3600),
        "month" => {
            let d = Date::from_days(time.div_euclid(86_400));
            i64::from(d.year) * 12 + i64::from(d.month)
        }
        _ => time.div_euclid(86_400),
    };
    Some(WindowUse {
        start,
        add,
        max: *max,
        window,
    })
}

fn describe(table: &RatingTable, r: &crate::table::RateCell) -> String {
    if r.per == Decimal::ONE {
        format!(
            "{} {} / {}",
            r.amount,
            table.unit_name(r.unit),
            table.unit_name(r.per_unit)
        )
    } else {
        format!(
            "{} {} / {} {}",
            r.amount,
            table.unit_name(r.unit),
            r.per,
            table.unit_name(r.per_unit)
        )
    }
}

/// The unrounded charge of a carve-out event (rounded once per line at the period's close).
fn exact_charge(
    p: &crate::table::ProductEntry,
    cell: CellId,
    quantity: Decimal,
) -> Option<Decimal> {
    let q = match &p.rounding {
        Some(r) => crate::table::round_step(quantity, r)?,
        None => quantity,
    };
    match &p.pricing {
        PricingEntry::Cells { cells } => {
            let r = cells.get(cell as usize)?.as_ref()?;
            q.checked_mul(r.amount)?.checked_div(r.per_base)
        }
        _ => None,
    }
}

/// Bills `events` (in any order; ties keep their order) for one account.
pub fn bill(
    table: &RatingTable,
    request: &BillRequest,
    events: &[UsageEvent],
) -> Result<Bill, BillError> {
    bill_with(&Rater::new(table), request, events)
}

/// [`bill`] with a rater built once for the table, for callers that bill many times (worked
/// examples, invoice runs).
pub fn bill_with(
    rater: &Rater<'_>,
    request: &BillRequest,
    events: &[UsageEvent],
) -> Result<Bill, BillError> {
    let table = rater.table();
    if table.plans.get(request.plan as usize).is_none() {
        return Err(BillError("unknown plan".into()));
    }
    if request.periods == 0 {
        return Err(BillError("a bill covers at least one period".into()));
    }
    let effective = Date::parse(&table.effective).ok_or_else(|| {
        BillError(format!(
            "the table's effective date `{}` is not a date",
            table.effective
        ))
    })?;
    let first_end = request.from.add_months(1);
    if first_end <= effective {
        return Err(BillError(format!(
            "the bill starts {} but `{}` {} is in force from {effective}; bill from a period that includes that day or later, or bill the vendor's directory so each period gets its version",
            request.from, table.vendor, table.version
        )));
    }
    if let Some(r) = &request.recharge {
        may_auto_recharge(table, request.plan).map_err(BillError)?;
        check_recharge_minimums(table, r)?;
    }
    let mut engine = Engine {
        table,
        rater,
        plan: request.plan,
        request,
        wallet: Wallet::default(),
        lines: Vec::new(),
        rejected: Vec::new(),
        windows: HashMap::new(),
    };
    let start = request.from.instant();
    for g in &request.opening {
        let unit = table.unit_id(&g.unit).ok_or_else(|| {
            BillError(format!(
                "the opening wallet has a grant in unknown unit `{}`",
                g.unit
            ))
        })?;
        let expires = match &g.expires {
            Some(t) => Some(crate::base::date::parse_instant(t).ok_or_else(|| {
                BillError(format!("the opening wallet has a bad expiry time `{t}`"))
            })?),
            None => None,
        };
        engine.wallet.issue(Grant {
            name: format!("{} (carried over)", g.grant),
            unit,
            dimension: dimension_of(table, unit).to_string(),
            granted: g.remaining * factor_of(table, unit),
            consumed: Decimal::ZERO,
            expired: Decimal::ZERO,
            expires,
            priority: g.priority,
            seq: 0,
        });
    }
    // Events in time order; ties keep file order.
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|i| (events[*i].time, *i));
    let end = request
        .from
        .add_months(i64::from(request.periods))
        .instant();
    let mut next = 0;
    let mut periods = Vec::new();
    for k in 0..request.periods {
        let period = request.from.add_months(i64::from(k));
        let (p_start, p_end) = (
            period.instant(),
            request.from.add_months(i64::from(k) + 1).instant(),
        );
        let in_force = effective.instant();
        periods.push(period);
        engine.wallet.expire(p_start);
        let mut lines = PeriodLines::default();
        engine.open_period(k, p_start, &mut lines);
        while next < order.len() && events[order[next]].time < p_end {
            let e = &events[order[next]];
            next += 1;
            if e.time < in_force {
                engine.reject(
                    e,
                    Rejection::new(
                        RejectionKind::NotInForce,
                        format!(
                            "before `{}` {} is in force (from {effective}): no price applies",
                            table.vendor, table.version
                        ),
                    ),
                );
                continue;
            }
            if e.time < start {
                engine.reject(
                    e,
                    Rejection::new(
                        RejectionKind::OutsidePeriod,
                        format!("before the bill's first period ({})", request.from),
                    ),
                );
                continue;
            }
            engine.wallet.expire(e.time);
            match &e.usage {
                Usage::Use {
                    product,
                    cell,
                    quantity,
                } => engine.use_event(e, *product, *cell, *quantity, &mut lines),
                Usage::Buy { pack } => engine.buy(e, *pack, &mut lines),
            }
        }
        engine.close_period(period, lines);
    }
    for e in order[next..].iter().map(|i| &events[*i]) {
        engine.reject(
            e,
            Rejection::new(
                RejectionKind::OutsidePeriod,
                format!(
                    "after the bill's last period (ends {})",
                    format_instant(end)
                ),
            ),
        );
    }
    engine.wallet.expire(end);

    let total = engine
        .lines
        .iter()
        .filter_map(|l| l.amount)
        .sum::<Decimal>();
    let mut total = total;
    total.rescale(crate::base::money::charge_dp(&table.currency));
    let wallet: Vec<GrantReport> = engine
        .wallet
        .grants
        .iter()
        .map(|g| {
            let f = factor_of(table, g.unit);
            let show = |v: Decimal| (v / f).normalize();
            GrantReport {
                grant: g.name.clone(),
                unit: table.unit_name(g.unit).to_string(),
                granted: show(g.granted),
                consumed: show(g.consumed),
                expired: show(g.expired),
                remaining: show(g.remaining()),
                expires: g.expires.map(format_instant),
            }
        })
        .collect();
    let closing = WalletState {
        as_of: format_instant(end),
        grants: engine
            .wallet
            .grants
            .iter()
            .filter(|g| g.remaining() > Decimal::ZERO)
            .map(|g| WalletGrant {
                grant: g.name.trim_end_matches(" (carried over)").to_string(),
                unit: table.unit_name(g.unit).to_string(),
                remaining: (g.remaining() / factor_of(table, g.unit)).normalize(),
                expires: g.expires.map(format_instant),
                priority: g.priority,
            })
            .collect(),
    };
    let mut rejected = engine.rejected;
    rejected.sort_by_key(|r| r.line);
    Ok(Bill {
        total,
        currency: table.currency.clone(),
        lines: engine.lines,
        wallet,
        rejected,
        closing,
        periods,
        versions: vec![VersionRef::of(table)],
    })
}

/// The account's recharge settings may not go under the minimums the book declares.
fn check_recharge_minimums(table: &RatingTable, r: &RechargeSettings) -> Result<(), BillError> {
    let Some(book) = &table.recharge else {
        return Ok(());
    };
    let f = factor_of(table, r.unit);
    let in_base = |(q, u): (Decimal, UnitId)| q * factor_of(table, u);
    let checks = [
        ("below", book.min_below, Some(r.below * f)),
        ("to", book.min_refill, Some(r.to * f)),
    ];
    for (field, min, given) in checks {
        if let (Some(min), Some(given)) = (min, given) {
            if given < in_base(min) {
                return Err(BillError(format!(
                    "auto-recharge {field}= is below the book's minimum of {} {}",
                    min.0.normalize(),
                    table.unit_name(min.1)
                )));
            }
        }
    }
    if let (Some(min), Some(cap)) = (book.min_cap, r.cap) {
        if cap < min {
            return Err(BillError(format!(
                "auto-recharge cap= is below the book's minimum of {} {}",
                min.normalize(),
                table.currency
            )));
        }
    }
    Ok(())
}

impl Bill {
    /// The bill as the JSON contract: `{"total", "lines", "wallet", "rejected", "closing_wallet"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "versions": self.versions,
            "total": {"amount": self.total.to_string(), "currency": self.currency},
            "lines": self.lines,
            "wallet": self.wallet,
            "rejected": self.rejected,
            "closing_wallet": self.closing,
        })
    }

    /// A human invoice: per period an invoice table and the wallet ledger, then rejections.
    /// Columns are as wide as their longest entry, so long grant names keep the table aligned.
    pub fn to_human(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let money = |a: &Option<Decimal>| {
            a.map_or("not published".to_string(), |a| {
                format!("{a} {}", self.currency)
            })
        };
        let kind_w = self
            .lines
            .iter()
            .map(|l| l.kind.len())
            .max()
            .unwrap_or(0)
            .max(12);
        let desc_w = self
            .lines
            .iter()
            .map(|l| l.description.chars().count())
            .max()
            .unwrap_or(0)
            .max(58);
        let qty_w = self
            .lines
            .iter()
            .map(|l| l.quantity.as_deref().map_or(0, |q| q.chars().count()))
            .max()
            .unwrap_or(0)
            .max(18);
        let amount_w = self
            .lines
            .iter()
            .map(|l| money(&l.amount).chars().count())
            .max()
            .unwrap_or(0)
            .max(16);
        for p in &self.periods {
            let label = format!("{}-{:02}", p.year, p.month);
            let lines: Vec<&BillLine> = self.lines.iter().filter(|l| l.period == label).collect();
            let _ = writeln!(out, "period {label}");
            if lines.is_empty() {
                let _ = writeln!(out, "  (no charges)");
            }
            for l in lines {
                let _ = writeln!(
                    out,
                    "  {:<kind_w$} {:<desc_w$} {:>qty_w$} {:>amount_w$}",
                    l.kind,
                    l.description,
                    l.quantity.as_deref().unwrap_or(""),
                    money(&l.amount)
                );
            }
        }
        let _ = writeln!(out, "total {} {}", self.total, self.currency);
        let _ = writeln!(out, "\nwallet");
        let names: Vec<String> = self
            .wallet
            .iter()
            .map(|g| format!("{} ({})", g.grant, g.unit))
            .collect();
        let name_w = names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .max(52);
        let num_w = self
            .wallet
            .iter()
            .flat_map(|g| [g.granted, g.consumed, g.expired, g.remaining])
            .map(|v| v.to_string().len())
            .max()
            .unwrap_or(0)
            .max(12);
        let _ = writeln!(
            out,
            "  {:<name_w$} {:>num_w$} {:>num_w$} {:>num_w$} {:>num_w$}  expires",
            "grant", "granted", "consumed", "expired", "remaining"
        );
        for (g, name) in self.wallet.iter().zip(&names) {
            let _ = writeln!(
                out,
                "  {:<name_w$} {:>num_w$} {:>num_w$} {:>num_w$} {:>num_w$}  {}",
                name,
                g.granted,
                g.consumed,
                g.expired,
                g.remaining,
                g.expires.as_deref().unwrap_or("never")
            );
        }
        if !self.rejected.is_empty() {
            let _ = writeln!(out, "\nrejected");
            for r in &self.rejected {
                let _ = writeln!(out, "  line {}: {} ({})", r.line, r.reason, r.kind);
            }
        }
        out
    }
}
