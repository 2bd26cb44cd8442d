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

mod allowance;
mod engine;
mod ledger;
mod proration;
mod recharge;
mod report;
mod request;
mod subscription;
mod versions;
mod wallet;

use crate::base::date::{Date, Instant, format_instant};
use crate::base::money::{div_round, round_charge};
use crate::base::rejection::{Rejection, RejectionKind};
use crate::rate::Rater;
use crate::table::{
    CellId, EmptyEntry, EventAttr, LimitKindEntry, PackId, PlanId, PriceEntry, ProductId,
    RatingTable, UnitId,
};
use engine::{Engine, PeriodLines, dimension_of, factor_of};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
pub(crate) use versions::translate_cell;
pub use versions::{BillVersion, Moves, VersionUsage, bill_tables};
use wallet::{Grant, Wallet};

/// Monthly or annual billing of the plan's price and grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub enum Billing {
    Monthly,
    Annual,
}

impl Billing {
    /// The months of one billing cycle.
    pub(crate) fn months(self) -> u32 {
        match self {
            Billing::Annual => 12,
            Billing::Monthly => 1,
        }
    }
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
#[non_exhaustive]
pub struct BillRequest {
    pub plan: PlanId,
    pub billing: Billing,
    pub from: Date,
    pub periods: u32,
    pub recharge: Option<RechargeSettings>,
    /// Grants carried over from an earlier bill's closing wallet.
    pub opening: Vec<WalletGrant>,
    /// The bill continues an earlier one (a wallet state was given, even an empty one): the
    /// subscription has started, so its one-time fees are not billed again.
    pub continues: bool,
    /// Keep the [`Bill::ledger`]: each usage event's charge and the grants that paid it.
    pub explain: bool,
    /// Where periods start: on `from`'s day of the month (anniversary, the default) or on the
    /// 1st (calendar, after a first partial period from `from`).
    pub align: PeriodAlign,
    /// Bill only what happened by this instant (an invoice preview, `bill --as-of`): events
    /// after it have not happened, periods starting after it are not opened, and grants expire
    /// only if their expiry has passed by then.
    pub as_of: Option<Instant>,
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
            continues: false,
            explain: false,
            as_of: None,
            align: PeriodAlign::Anniversary,
        }
    }

    /// The first day of period `k` (period `periods` is the day after the bill): `from` plus `k`
    /// months (anniversary), or the 1st of `from`'s month plus `k` months after a first period
    /// that starts on `from` (calendar).
    pub fn period_start(&self, k: u32) -> Date {
        match (self.align, k) {
            (_, 0) => self.from,
            (PeriodAlign::Anniversary, k) => self.from.add_months(i64::from(k)),
            (PeriodAlign::Calendar, k) => Date {
                day: 1,
                ..self.from
            }
            .add_months(i64::from(k)),
        }
    }

    /// How many periods reach `last` (1 without one; at most 1,200).
    pub fn periods_reaching(&self, last: Option<Instant>) -> u32 {
        let Some(t) = last else { return 1 };
        let mut n = 1;
        while n < 1200 && self.period_start(n).instant() <= t {
            n += 1;
        }
        n
    }
}

/// Where a bill's periods start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub enum PeriodAlign {
    /// On the subscription's start day each month (June 15, July 15, ...).
    #[default]
    Anniversary,
    /// On the 1st of each month, after a first period from the start to the next 1st.
    Calendar,
}

impl PeriodAlign {
    /// Where the book's `billing { periods ... }` says periods start, if it says: what a bill
    /// takes when its request does not say (a command line's `--align` does).
    pub fn declared(table: &RatingTable) -> Option<PeriodAlign> {
        use crate::model::PeriodRule;
        table.subscription_rules().periods.map(|p| match p {
            PeriodRule::Anniversary => PeriodAlign::Anniversary,
            PeriodRule::Calendar => PeriodAlign::Calendar,
        })
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
#[non_exhaustive]
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
    /// Money added to the plan's prepaid balance (`top up 50 USD`), in `currency`'s unit.
    TopUp {
        amount: Decimal,
        currency: UnitId,
    },
    /// The account moves to `plan` at the next billing cycle's start (seed 000: "changes take
    /// effect at the next billing cycle").
    ChangePlan {
        plan: PlanId,
    },
    /// The account's billing cycle becomes `billing` at the next cycle's start.
    ChangeBilling {
        billing: Billing,
    },
    /// The subscription ends at the end of the current period: no later fee or grant, packs
    /// expire with it, and later usage is refused.
    Cancel,
    /// An event this version of the book cannot price (a product launched in a later version):
    /// when the version is in force for the account at the event's time, it is rejected with
    /// `reason`.
    NotInVersion {
        product: String,
        reason: String,
    },
}

/// A money line of the invoice.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct BillLine {
    /// `2026-06` (the period's first day, as a month).
    pub period: String,
    /// subscription, commitment, pack, recharge, overage or carve-out.
    pub kind: &'static str,
    pub description: String,
    pub quantity: Option<String>,
    /// `None` when the price is not published.
    #[serde(with = "opt_decimal_str")]
    #[cfg_attr(feature = "serve", schema(value_type = Option<String>))]
    pub amount: Option<Decimal>,
    /// The book version that priced the line (`2026-06`).
    pub version: String,
}

/// A grant's account over the bill.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct GrantReport {
    pub grant: String,
    pub unit: String,
    #[serde(with = "decimal_str")]
    #[cfg_attr(feature = "serve", schema(value_type = String))]
    pub granted: Decimal,
    #[serde(with = "decimal_str")]
    #[cfg_attr(feature = "serve", schema(value_type = String))]
    pub consumed: Decimal,
    #[serde(with = "decimal_str")]
    #[cfg_attr(feature = "serve", schema(value_type = String))]
    pub expired: Decimal,
    #[serde(with = "decimal_str")]
    #[cfg_attr(feature = "serve", schema(value_type = String))]
    pub remaining: Decimal,
    pub expires: Option<String>,
}

/// An event that was not billed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
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

/// One usage event of the bill and how it was paid (`bill --explain`, `ledger` in JSON): its
/// charge, and what each grant gave, in drawdown order, with what the grant had left after.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct LedgerEntry {
    /// The usage file's line.
    pub line: u64,
    pub time: String,
    /// The product's slug.
    pub product: String,
    /// `90 second`, in the product's base unit, after rounding.
    pub quantity: String,
    /// `630 credit`: the exact charge; `None` for a free usage.
    pub charge: Option<String>,
    /// How it was paid: `wallet`, `overage` (part or all beyond the wallet), `allowance`
    /// (covered by a plan's allowance), `outside-wallet` (a carve-out billed as money),
    /// `credit` (a slice of volume tiers that lowered the period's price, credited back) or
    /// `free`.
    pub paid_by: &'static str,
    /// The grants drawn, in drawdown order.
    pub draws: Vec<LedgerDraw>,
    /// What the wallet could not pay and overage billed, in the charge unit.
    pub overage: Option<String>,
}

/// What one grant gave to one usage event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct LedgerDraw {
    pub grant: String,
    pub unit: String,
    /// Drawn, in `unit`.
    #[serde(with = "decimal_str")]
    #[cfg_attr(feature = "serve", schema(value_type = String))]
    pub amount: Decimal,
    /// What the grant had left after, in `unit`.
    #[serde(with = "decimal_str")]
    #[cfg_attr(feature = "serve", schema(value_type = String))]
    pub left: Decimal,
}

/// What an allowance covered in one period of the bill.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct AllowanceReport {
    /// As the book writes it: `5 video per day on video`.
    pub allowance: String,
    /// `2026-06`.
    pub period: String,
    /// The allowance's unit (events of the products for a count they are not measured in).
    pub unit: String,
    /// How much of it usage took this period, in `unit`.
    #[serde(with = "decimal_str")]
    #[cfg_attr(feature = "serve", schema(value_type = String))]
    pub used: Decimal,
    /// Events (or parts of events) beyond it this period.
    pub beyond_events: u64,
}

/// A grant carried between bills (the closing wallet of one is the opening of the next).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct WalletGrant {
    pub grant: String,
    pub unit: String,
    #[serde(with = "decimal_str")]
    #[cfg_attr(feature = "serve", schema(value_type = String))]
    pub remaining: Decimal,
    pub expires: Option<String>,
    pub priority: u32,
}

/// The closing wallet: what carries over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct WalletState {
    pub as_of: String,
    pub grants: Vec<WalletGrant>,
}

/// A computed bill.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Bill {
    pub total: Decimal,
    pub currency: String,
    pub lines: Vec<BillLine>,
    pub wallet: Vec<GrantReport>,
    /// What the plan's allowances covered, per allowance and period.
    pub allowances: Vec<AllowanceReport>,
    pub rejected: Vec<RejectedEvent>,
    pub closing: WalletState,
    /// Period start dates.
    pub periods: Vec<Date>,
    /// The book versions that priced the bill.
    pub versions: Vec<VersionRef>,
    /// Each usage event and how it was paid, in the order events were billed; empty unless
    /// [`BillRequest::explain`].
    pub ledger: Vec<LedgerEntry>,
    /// The bill was asked to explain itself: its JSON carries `ledger`.
    pub explained: bool,
}

/// A book version, as a bill names the one that priced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
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
/// block) and either names the plan in the block's `for` list or, when it names none, the plan
/// sells top-ups (`packs allowed`, or `when empty auto recharge`). A plan that may not never
/// buys credits, whatever the account asks.
pub fn may_auto_recharge(table: &RatingTable, plan: PlanId) -> Result<(), BillError> {
    let Some(p) = table.plans.get(plan as usize) else {
        return Err(BillError::UnknownPlan { plan });
    };
    let Some(recharge) = &table.recharge else {
        return Err(BillError::NoAutoRecharge {
            vendor: table.vendor.clone(),
            version: table.version.clone(),
        });
    };
    if let Some(allowed) = &recharge.plans {
        if allowed.contains(&plan) {
            return Ok(());
        }
        return Err(BillError::RechargeNotForPlan {
            plan: p.slug.clone(),
            allowed: allowed
                .iter()
                .filter_map(|i| table.plans.get(*i as usize))
                .map(|p| p.slug.clone())
                .collect(),
        });
    }
    if !p.packs_allowed && p.when_empty != EmptyEntry::AutoRecharge {
        return Err(BillError::NoTopUps {
            plan: p.slug.clone(),
        });
    }
    Ok(())
}

/// Why a bill could not be computed at all (as opposed to events it rejected, which are part of
/// the bill). Each says what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BillError {
    #[error("unknown plan (id {plan} is not in the table)")]
    UnknownPlan { plan: PlanId },
    #[error(
        "plan `{plan}` leaves its grant to each contract (`grant custom`): bill it with its contract layered, `pricebook bill BOOK --contract FILE`"
    )]
    ContractSetGrant { plan: String },
    #[error("a bill covers at least one period")]
    NoPeriods,
    #[error("the table's effective date `{effective}` is not a date; recompile the table")]
    BadEffectiveDate { effective: String },
    #[error(
        "the bill starts {from} but `{vendor}` {version} is in force from {effective}; bill from a period that includes that day or later, or bill the vendor's directory so each period gets its version"
    )]
    BeforeEffective {
        from: Date,
        vendor: String,
        version: String,
        effective: Date,
    },
    #[error("`{vendor}` {version} offers no auto recharge (the book has no `auto recharge` block)")]
    NoAutoRecharge { vendor: String, version: String },
    #[error(
        "plan `{plan}` sells no top-ups (`packs not allowed`, and its wallet does not recharge when empty), so it cannot auto-recharge"
    )]
    NoTopUps { plan: String },
    /// The book's `auto recharge` block names the plans that may use it, and this is not one.
    #[error("plan `{plan}` may not auto-recharge: the book's `auto recharge` is for {}; bill without a recharge setting, or on one of those plans", allowed_list(.allowed))]
    RechargeNotForPlan { plan: String, allowed: Vec<String> },
    #[error("auto-recharge {setting}= is below the book's minimum of {minimum}")]
    RechargeBelowMinimum {
        /// `below`, `to` or `cap`.
        setting: &'static str,
        /// The minimum with its unit: `5 credit`, `10 USD`.
        minimum: String,
    },
    /// A version the account moves to during the bill lacks what the account holds.
    #[error(
        "the account moves to `{vendor}` {version} (in force from {effective}) during the bill, but that version has no {what}; bill up to the day before it, or change the account's plan first"
    )]
    NotInVersion {
        what: String,
        vendor: String,
        version: String,
        effective: String,
    },
    #[error("the opening wallet has a grant in unknown unit `{unit}`")]
    OpeningUnit { unit: String },
    #[error("the opening wallet has a bad expiry time `{time}`; write it as 2026-01-31T00:00:00Z")]
    OpeningExpiry { time: String },
    #[error("{what} is too large to compute exactly; bill fewer periods or smaller quantities")]
    Overflow { what: &'static str },
    /// The rater given to [`bill_with`] was built without keys the events need.
    #[error(
        "the rater has no keys for plan id {plan} and product id {product}; build it with `Rater::new`, or `Rater::for_usage` with that pair"
    )]
    RaterWithoutKeys { plan: PlanId, product: ProductId },
    /// A table that breaks the invariants every loaded or compiled table keeps (cannot happen
    /// through this crate's constructors).
    #[error("the rating table is inconsistent: {reason}; recompile it with `pricebook compile`")]
    TableInvalid { reason: String },
}

/// `` `creator` and `professional` ``, or `no plan` for an empty list.
fn allowed_list(allowed: &[String]) -> String {
    if allowed.is_empty() {
        return "no plan".into();
    }
    crate::base::names::quoted_list(allowed, "and")
}

impl BillError {
    /// The error's code, as the CLI and the JSON errors name it.
    pub fn code(&self) -> crate::diagnostic::Code {
        use crate::diagnostic::Code;
        match self {
            BillError::BeforeEffective { .. } => Code::NotInForce,
            BillError::OpeningUnit { .. } => Code::UnknownReference,
            BillError::OpeningExpiry { .. } | BillError::BadEffectiveDate { .. } => {
                Code::InvalidDate
            }
            BillError::Overflow { .. } => Code::NumberRange,
            BillError::ContractSetGrant { .. } => Code::ContractTermUnset,
            BillError::NotInVersion { .. } => Code::NotInForce,
            _ => Code::InvalidValue,
        }
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

/// Bills `events` (in any order; ties keep their order) for one account.
pub fn bill(
    table: &RatingTable,
    request: &BillRequest,
    events: &[UsageEvent],
) -> Result<Bill, BillError> {
    bill_with(
        &Rater::for_usage(table, usage_keys(request, events)),
        request,
        events,
    )
}

/// The (plan, product) keys a bill needs: its products on the account's plan and on every plan
/// it changes to.
fn usage_keys(request: &BillRequest, events: &[UsageEvent]) -> Vec<(Option<PlanId>, ProductId)> {
    keys_for_plan(Some(request.plan), events)
}

/// [`usage_keys`] for the account's plan in one version of the book (`None` when that version
/// does not have it: only the plans the events change to).
fn keys_for_plan(plan: Option<PlanId>, events: &[UsageEvent]) -> Vec<(Option<PlanId>, ProductId)> {
    let mut plans: Vec<PlanId> = plan.into_iter().collect();
    for e in events {
        if let Usage::ChangePlan { plan } = e.usage {
            if !plans.contains(&plan) {
                plans.push(plan);
            }
        }
    }
    let mut keys = Vec::new();
    for e in events {
        if let Usage::Use { product, .. } = e.usage {
            keys.extend(plans.iter().map(|p| (Some(*p), product)));
        }
    }
    keys
}

/// [`bill`] for events that carry attributes: `attrs[i]` are event `i`'s (see
/// [`bill_with_attrs`]).
pub fn bill_attrs(
    table: &RatingTable,
    request: &BillRequest,
    events: &[UsageEvent],
    attrs: &[Vec<EventAttr>],
) -> Result<Bill, BillError> {
    let keys = usage_keys(request, events);
    bill_with_attrs(&Rater::for_usage(table, keys), request, events, attrs)
}

/// [`bill`] with a rater built once for the table, for callers that bill many times (worked
/// examples, invoice runs). The rater must have the keys of the request's plan for every
/// product the events use ([`Rater::new`] has every key; [`Rater::for_plans`] and
/// [`Rater::for_usage`] the ones they are given).
pub fn bill_with(
    rater: &Rater<'_>,
    request: &BillRequest,
    events: &[UsageEvent],
) -> Result<Bill, BillError> {
    bill_with_attrs(rater, request, events, &[])
}

/// [`bill_with`] for events that carry attributes (`"attrs": {"scenes": 51}` in a usage file):
/// `attrs[i]` are event `i`'s, checked against the plan's limits on them after its price
/// accepts it, as a quote checks them; an event beyond `attrs.len()` carries none.
pub fn bill_with_attrs(
    rater: &Rater<'_>,
    request: &BillRequest,
    events: &[UsageEvent],
    attrs: &[Vec<EventAttr>],
) -> Result<Bill, BillError> {
    bill_versions(&[BillVersion::new(rater, events, attrs)], request)
}

/// Bills with a vendor's versions by date ([`BillVersion`]): each event is priced by the
/// version in force for the account at its time, each period's fee and grants by the version
/// in force at its start. The bill starts on `versions[0]` (the request's plan and units are
/// its); later versions take over as their [`Moves`] say. `versions` are in effective order and
/// hold the same events.
pub fn bill_versions(
    versions: &[BillVersion<'_>],
    request: &BillRequest,
) -> Result<Bill, BillError> {
    let first = versions::first(versions)?;
    if versions
        .iter()
        .any(|v| v.events.len() != first.events.len())
    {
        return Err(BillError::TableInvalid {
            reason: "every version of a bill must hold the same events".into(),
        });
    }
    let current = 0;
    let BillVersion { rater, events, .. } = versions[current];
    let table = rater.table();
    let Some(plan) = table.plans.get(request.plan as usize) else {
        return Err(BillError::UnknownPlan { plan: request.plan });
    };
    if plan.grants.iter().any(|g| g.contract_set) {
        return Err(BillError::ContractSetGrant {
            plan: plan.slug.clone(),
        });
    }
    for (plan, product) in usage_keys(request, events) {
        let (Some(plan), exists) = (plan, (product as usize) < table.products.len()) else {
            continue;
        };
        if (plan as usize) >= table.plans.len() {
            return Err(BillError::UnknownPlan { plan });
        }
        if exists && rater.key(Some(plan), product, 0).is_none() {
            return Err(BillError::RaterWithoutKeys { plan, product });
        }
    }
    if request.periods == 0 {
        return Err(BillError::NoPeriods);
    }
    let effective = Date::parse(&table.effective).ok_or_else(|| BillError::BadEffectiveDate {
        effective: table.effective.clone(),
    })?;
    let first_end = request.period_start(1);
    if first_end <= effective {
        return Err(BillError::BeforeEffective {
            from: request.from,
            vendor: table.vendor.clone(),
            version: table.version.clone(),
            effective,
        });
    }
    let recharge_base = match &request.recharge {
        Some(r) => {
            may_auto_recharge(table, request.plan)?;
            check_recharge_minimums(table, r)?;
            let f = factor_of(table, r.unit);
            let base = |v: Decimal| {
                v.checked_mul(f).ok_or(BillError::Overflow {
                    what: "an auto-recharge setting",
                })
            };
            Some((base(r.below)?, base(r.to)?))
        }
        None => None,
    };
    let mut engine = Engine {
        table,
        rater,
        versions,
        current,
        used_versions: vec![VersionRef::of(table)],
        recharge: request.recharge.clone(),
        plan: request.plan,
        request,
        wallet: Wallet::default(),
        lines: Vec::new(),
        rejected: Vec::new(),
        windows: HashMap::default(),
        period_usage: HashMap::default(),
        period_charged: HashMap::default(),
        charged_undo: None,
        ledger: Vec::new(),
        billing: request.billing,
        cycle_from: 0,
        pending_plan: None,
        pending_billing: None,
        ends: None,
        day_grants: engine::day_grants(plan, request.from.instant()),
        allowance_use: HashMap::default(),
        allowances: Vec::new(),
        recharge_base,
        product_fees_charged: Vec::new(),
    };
    let start = request.from.instant();
    for g in &request.opening {
        let unit = table
            .unit_id(&g.unit)
            .ok_or_else(|| BillError::OpeningUnit {
                unit: g.unit.clone(),
            })?;
        let expires = match &g.expires {
            Some(t) => Some(
                crate::base::date::parse_instant(t)
                    .ok_or_else(|| BillError::OpeningExpiry { time: t.clone() })?,
            ),
            None => None,
        };
        engine.wallet.issue(Grant {
            name: format!("{} (carried over)", g.grant),
            unit,
            dimension: dimension_of(table, unit).to_string(),
            granted: g.remaining.checked_mul(factor_of(table, unit)).ok_or(
                BillError::Overflow {
                    what: "an opening grant",
                },
            )?,
            consumed: Decimal::ZERO,
            expired: Decimal::ZERO,
            expires,
            priority: g.priority,
            seq: 0,
            with_subscription: false,
            cycle_grant: false,
        })?;
    }
    // Events in time order; ties keep file order.
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|i| (events[*i].time, *i));
    let end = request.period_start(request.periods).instant();
    // A preview stops at its instant; events after it have not happened yet.
    let cut = request.as_of.unwrap_or(Instant::MAX);
    let mut next = 0;
    let mut periods = Vec::new();
    for k in 0..request.periods {
        let period = request.period_start(k);
        let (p_start, p_end) = (period.instant(), request.period_start(k + 1).instant());
        if p_start > cut || engine.ends.is_some_and(|(end, _)| p_start >= end) {
            break;
        }
        let in_force = effective.instant();
        periods.push(period);
        engine.wallet.expire(p_start);
        // A version that takes over at the period's start gives its fee and grants.
        engine.advance(p_start, k > 0 && engine.renews(k), None)?;
        let mut lines = PeriodLines::default();
        engine.open_period(k, p_start, &mut lines)?;
        while next < order.len()
            && events[order[next]].time < p_end
            && events[order[next]].time <= cut
        {
            let index = order[next];
            let e = &events[index];
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
            engine.advance(e.time, false, Some((period, &mut lines)))?;
            // The event as the version now pricing the account reads it.
            let version = &versions[engine.current];
            let (e, attrs) = (&version.events[index], version.attrs);
            engine.issue_due(e.time)?;
            match &e.usage {
                Usage::Use {
                    product,
                    cell,
                    quantity,
                } => {
                    let attrs = attrs.get(index).map_or(&[][..], Vec::as_slice);
                    engine.use_event(e, attrs, *product, *cell, *quantity, &mut lines)?
                }
                Usage::NotInVersion { reason, .. } => {
                    engine.reject(e, Rejection::new(RejectionKind::NotInForce, reason.clone()))
                }
                Usage::Buy { pack } => engine.buy(e, *pack, &mut lines)?,
                Usage::TopUp { amount, currency } => {
                    engine.top_up(e, *amount, *currency, &mut lines)?
                }
                Usage::ChangePlan { .. } | Usage::ChangeBilling { .. } | Usage::Cancel => {
                    engine.subscription_event(e, k, p_end, &mut lines)?
                }
            }
        }
        // The period's remaining days still issue their grants (and expire them unused).
        engine.issue_due((p_end - 1).min(cut))?;
        engine.close_period(period, lines)?;
    }
    for e in order[next..]
        .iter()
        .map(|i| &events[*i])
        .filter(|e| e.time <= cut)
    {
        let reason = match engine.ends {
            Some((ended, asked)) if e.time >= ended => format!(
                "after the subscription ended {} (cancelled {})",
                format_instant(ended),
                format_instant(asked)
            ),
            _ => format!(
                "after the bill's last period (ends {})",
                format_instant(end)
            ),
        };
        engine.reject(e, Rejection::new(RejectionKind::OutsidePeriod, reason));
    }
    let mut end = end.min(cut);
    // A cancelled subscription ends at its period's end: packs expire with it.
    if let Some((ended, _)) = engine.ends {
        if ended <= end {
            end = ended;
            engine.wallet.end_subscription(ended);
        }
    }
    engine.wallet.expire(end);
    // Reports are in the units of the version the bill ends on (a switch carries every grant).
    let table = engine.table;

    let overflow = |what| BillError::Overflow { what };
    let mut total = Decimal::ZERO;
    for amount in engine.lines.iter().filter_map(|l| l.amount) {
        total = crate::base::money::add_exact(total, amount)
            .ok_or_else(|| overflow("the bill's total"))?;
    }
    total.rescale(crate::base::money::charge_dp(&table.currency));
    // Wallet amounts are kept in base units; reports show them in the unit granted.
    let in_unit = |v: Decimal, unit: UnitId| {
        v.checked_div(factor_of(table, unit))
            .map(|v| v.normalize())
            .ok_or_else(|| overflow("a wallet amount"))
    };
    let mut wallet = Vec::with_capacity(engine.wallet.grants.len());
    let mut closing = Vec::new();
    for g in &engine.wallet.grants {
        let remaining = in_unit(g.remaining(), g.unit)?;
        wallet.push(GrantReport {
            grant: g.name.clone(),
            unit: table.unit_name(g.unit).to_string(),
            granted: in_unit(g.granted, g.unit)?,
            consumed: in_unit(g.consumed, g.unit)?,
            expired: in_unit(g.expired, g.unit)?,
            remaining,
            expires: g.expires.map(format_instant),
        });
        if g.remaining() > Decimal::ZERO {
            closing.push(WalletGrant {
                grant: g.name.trim_end_matches(" (carried over)").to_string(),
                unit: table.unit_name(g.unit).to_string(),
                remaining,
                expires: g.expires.map(format_instant),
                priority: g.priority,
            });
        }
    }
    let closing = WalletState {
        as_of: format_instant(end),
        grants: closing,
    };
    let mut rejected = engine.rejected;
    rejected.sort_by_key(|r| r.line);
    Ok(Bill {
        total,
        currency: table.currency.clone(),
        lines: engine.lines,
        wallet,
        allowances: engine.allowances,
        rejected,
        closing,
        periods,
        versions: engine.used_versions,
        ledger: engine.ledger,
        explained: request.explain,
    })
}

/// The account's recharge settings may not go under the minimums the book declares.
fn check_recharge_minimums(table: &RatingTable, r: &RechargeSettings) -> Result<(), BillError> {
    let Some(book) = &table.recharge else {
        return Ok(());
    };
    let overflow = BillError::Overflow {
        what: "an auto-recharge setting",
    };
    let in_base = |q: Decimal, u: UnitId| q.checked_mul(factor_of(table, u));
    let checks = [
        ("below", book.min_below, r.below),
        ("to", book.min_refill, r.to),
    ];
    for (setting, min, given) in checks {
        if let Some((min, min_unit)) = min {
            let given = in_base(given, r.unit).ok_or_else(|| overflow.clone())?;
            let floor = in_base(min, min_unit).ok_or_else(|| overflow.clone())?;
            if given < floor {
                return Err(BillError::RechargeBelowMinimum {
                    setting,
                    minimum: format!("{} {}", min.normalize(), table.unit_name(min_unit)),
                });
            }
        }
    }
    if let (Some(min), Some(cap)) = (book.min_cap, r.cap) {
        if cap < min {
            return Err(BillError::RechargeBelowMinimum {
                setting: "cap",
                minimum: format!("{} {}", min.normalize(), table.currency),
            });
        }
    }
    Ok(())
}
