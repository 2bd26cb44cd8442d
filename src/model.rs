//! The checked model: what a book means, with every name resolved to an index and every quantity
//! converted to its dimension's base unit, and the facts derived from it (what a plan's wallet
//! unit costs, what its grants give per period). Built by the checker, read by the compiler, the
//! reference evaluator and the worked examples; it still carries spans so that rejections can
//! cite the rule's source line.

use crate::base::date::Date;
pub use crate::base::interval::Interval;
use crate::base::rejection::RejectionKind;
use crate::base::span::Span;
use crate::base::units::{Dimension, UnitTable};
use crate::syntax::ast::{RoundMode, TierMode};
use rust_decimal::Decimal;

/// A resolved rate: `amount unit` per `per_base` base units of the product's measure.
#[derive(Debug, Clone, PartialEq)]
pub struct RateDef {
    pub amount: Decimal,
    /// The charge unit (`credit`, `USD`).
    pub unit: String,
    /// The N in `/ N unit`, as written.
    pub per: Decimal,
    /// The unit after the slash, as written.
    pub per_unit: String,
    /// `per` converted to base units of the measured dimension (`/ 5 minute` -> 300).
    pub per_base: Decimal,
    pub span: Span,
}

impl RateDef {
    /// Whether two rates charge the same for every quantity (`0.10 USD / minute` and
    /// `1 USD / 10 minute`).
    pub fn same_price(&self, other: &RateDef) -> bool {
        self.unit == other.unit
            && ((self.amount == other.amount && self.per_base == other.per_base)
                || match (
                    self.amount.checked_mul(other.per_base),
                    other.amount.checked_mul(self.per_base),
                ) {
                    (Some(a), Some(b)) => a == b,
                    // Too large to compare exactly: only rates written alike are the same.
                    _ => false,
                })
    }

    /// The rate as written: `7 credit / second`, `15 credit / 1000 character`.
    pub fn describe(&self) -> String {
        if self.per == Decimal::ONE {
            format!("{} {} / {}", self.amount, self.unit, self.per_unit)
        } else {
            format!(
                "{} {} / {} {}",
                self.amount, self.unit, self.per, self.per_unit
            )
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DimensionDef {
    pub name: String,
    /// Values in declared order, lowest first (limits compare by this order).
    pub values: Vec<String>,
    /// `default 1080p`: the value of a usage that gives none.
    pub default: Option<usize>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// One value index per product dimension, in the product's `dims` order.
    pub key: Vec<usize>,
    /// `None` for `not offered`.
    pub rate: Option<RateDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TierDef {
    pub from: Decimal,
    pub to: Option<Decimal>,
    pub rate: RateDef,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Pricing {
    Single(RateDef),
    Matrix(Vec<Cell>),
    Tiered {
        mode: TierMode,
        tiers: Vec<TierDef>,
        /// `per event`: each event on its own; otherwise the account's usage over the billing
        /// period, each event priced as the slice it adds.
        per_event: bool,
    },
    /// A fixed charge per usage event.
    Flat {
        amount: Decimal,
        unit: String,
        per: Option<String>,
        span: Span,
    },
    Free {
        span: Span,
    },
    /// `rate unpublished`: offered, but no source states the price; every quote is rejected.
    Unpublished {
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rounding {
    pub mode: RoundMode,
    /// Step in base units of the measure.
    pub step: Decimal,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub base: Decimal,
    pub text: String,
    pub span: Span,
}

/// A product's `bill at least` and `bill at most` statements: unlike `min` and `max`, they never
/// reject. Quantity bounds are in base units of the product's measure; charge bounds are in the
/// product's charge unit (the checker requires that unit).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BillBounds {
    /// `bill at least 2 second`: a shorter event is billed as this quantity.
    pub raise_quantity: Option<Bound>,
    /// `bill at most 60 second`: a longer event is billed as this quantity.
    pub cap_quantity: Option<Bound>,
    /// `bill at least 0.01 USD`: an event's charge is at least this.
    pub raise_charge: Option<Bound>,
    /// `bill at most 5 credit`: an event's charge is at most this.
    pub cap_charge: Option<Bound>,
    /// `bill at most 500 credit per period`: an account's charges for the product in one
    /// billing period add up to at most this.
    pub cap_period: Option<Bound>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProductDef {
    pub slug: String,
    pub display: String,
    /// Other names of the product (`aka "Video Generation"`), as written.
    pub aliases: Vec<String>,
    pub measure: Dimension,
    pub pricing: Pricing,
    pub rounding: Option<Rounding>,
    pub min: Option<Bound>,
    pub max: Option<Bound>,
    /// `bill at least` / `bill at most`: what an admitted event is billed is raised or capped.
    pub bill: BillBounds,
    pub outside_wallet: bool,
    /// Quantities are whole base units (`clip`, `character`): a fractional one is rejected.
    pub whole: bool,
    /// Indexes into [`Model::dimensions`].
    pub dims: Vec<usize>,
    /// One-time fees charged at the product's first use (`fee`).
    pub fees: Vec<FeeDef>,
    pub span: Span,
    pub slug_span: Span,
}

impl ProductDef {
    /// The value each of the product's dimensions takes when a usage gives none (`None`: it
    /// must be given): the dimension's `default`; its only value; or, when its value changes
    /// the price of no cell (every value of it offered at the same rate, whatever the other
    /// dimensions), its first value.
    pub fn dimension_fills(&self, dimensions: &[DimensionDef]) -> Vec<Option<usize>> {
        let Pricing::Matrix(cells) = &self.pricing else {
            return self.dims.iter().map(|_| None).collect();
        };
        self.dims
            .iter()
            .enumerate()
            .map(|(pos, d)| {
                let def = dimensions.get(*d)?;
                if def.default.is_some() {
                    return def.default;
                }
                if def.values.len() == 1 {
                    return Some(0);
                }
                // Cells that differ only in this dimension must carry one price.
                let rest = |c: &Cell| {
                    let mut k = c.key.clone();
                    k.remove(pos);
                    k
                };
                let uniform = cells.iter().all(|c| {
                    cells
                        .iter()
                        .filter(|o| rest(o) == rest(c))
                        .all(|o| match (&c.rate, &o.rate) {
                            (Some(a), Some(b)) => a.same_price(b),
                            (None, None) => true,
                            _ => false,
                        })
                });
                uniform.then_some(0)
            })
            .collect()
    }

    /// The unit charges are in (every rate of a product shares it; the checker enforces that).
    pub fn charge_unit(&self) -> Option<&str> {
        match &self.pricing {
            Pricing::Single(r) => Some(&r.unit),
            Pricing::Matrix(cells) => cells
                .iter()
                .find_map(|c| c.rate.as_ref())
                .map(|r| r.unit.as_str()),
            Pricing::Tiered { tiers, .. } => tiers.first().map(|t| t.rate.unit.as_str()),
            Pricing::Flat { unit, .. } => Some(unit),
            Pricing::Free { .. } | Pricing::Unpublished { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlanPrice {
    Custom,
    Unpublished,
    /// Money per period (`months` billing months; 0 for a one-off price).
    Amount {
        amount: Decimal,
        currency: String,
        months: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantCadence {
    Once,
    /// Every `n` months.
    EveryMonths(u32),
    /// Every `n` days (`every day`, `every week`).
    EveryDays(u32),
}

impl GrantCadence {
    /// Issues per billing period of `period_months` months (a month counts 30 days); `None` for
    /// a one-off grant.
    pub fn issues_per_period(&self, period_months: u32) -> Option<Decimal> {
        match *self {
            GrantCadence::Once => None,
            GrantCadence::EveryMonths(m) => {
                crate::base::date::issues_per_period(period_months, Some(m), None)
            }
            GrantCadence::EveryDays(d) => {
                crate::base::date::issues_per_period(period_months, None, Some(d))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum GrantExpiry {
    Never,
    CycleEnd,
    ContractEnd,
    AfterMonths(u32),
    AfterDays(u32),
}

#[derive(Debug, Clone, PartialEq)]
pub struct GrantDef {
    /// Zero when `contract_set`.
    pub amount: Decimal,
    /// `grant custom <unit>`: each contract states the amount; until one does, the plan's
    /// grant is unknown (no money equivalent, no capacity, no bill).
    pub contract_set: bool,
    pub unit: String,
    pub cadence: GrantCadence,
    pub expiry: GrantExpiry,
    pub priority: u32,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LimitKind {
    /// Base units of the measured dimension one usage event may have.
    PerEvent {
        dimension: Dimension,
        bound: Interval<Decimal>,
    },
    /// The values of an ordered dimension allowed, as an inclusive range of value indexes.
    DimensionRange {
        dimension: usize,
        lo: usize,
        hi: usize,
    },
    /// At most this many events (or base units, for a quantity) per window.
    Window {
        max: Decimal,
        /// `<`: the window's total must stay below `max`.
        strict: bool,
        dimension: Option<Dimension>,
        window: String,
    },
    /// A declared attribute of the event (`attribute scenes`), compared in base units of
    /// `dimension` (a bare number when `None`); a value given without a unit is in the unit the
    /// limit is written in, `factor` base units each.
    Attribute {
        attribute: usize,
        dimension: Option<Dimension>,
        factor: Decimal,
        bound: Interval<Decimal>,
    },
    /// Stated, not enforced by rating (concurrency, guarantees): shown, carried along.
    Informational,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LimitDef {
    pub name: String,
    /// `<`, `<=`, `>`, `>=`, `==` or `between`.
    pub op: String,
    /// The value as written (the lower end of a `between`), for messages.
    pub value_text: String,
    /// The upper end of a `between`, as written.
    pub upper_text: Option<String>,
    pub kind: LimitKind,
    /// Products the limit applies to; empty means all.
    pub scope: Vec<usize>,
    pub span: Span,
}

impl LimitDef {
    /// `video length <= 3 minute`, `speed between 0.5 and 2.0`: how messages name the limit.
    pub fn describe(&self) -> String {
        crate::base::interval::describe_limit(
            &self.name,
            &self.op,
            &self.value_text,
            self.upper_text.as_deref(),
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum EmptyRuleDef {
    Reject,
    Overage(Option<RateDef>),
    AutoRecharge,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommitDef {
    pub amount: Decimal,
    pub currency: String,
    pub months: u32,
    pub included: Option<(Decimal, String)>,
    pub contract_rate: Option<RateDef>,
    pub overage: Option<RateDef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanDef {
    pub slug: String,
    pub display: String,
    pub based_on: Option<String>,
    pub price: PlanPrice,
    pub price_span: Span,
    pub billing: Vec<String>,
    pub grants: Vec<GrantDef>,
    pub packs_allowed: bool,
    /// Whether each product (by index) is available on this plan.
    pub available: Vec<bool>,
    pub limits: Vec<LimitDef>,
    /// What the plan includes of some products per window, before the wallet.
    pub allowances: Vec<AllowanceDef>,
    /// A prepaid money balance the account tops up (`top up USD`).
    pub top_up: Option<TopUpDef>,
    /// Charges that are not usage (`fee`).
    pub fees: Vec<FeeDef>,
    pub features: Vec<(String, String)>,
    pub when_empty: EmptyRuleDef,
    pub when_empty_span: Span,
    pub commit: Option<CommitDef>,
    /// Plan-specific rates: product index -> rate.
    pub overrides: Vec<(usize, RateDef)>,
    pub span: Span,
    pub slug_span: Span,
}

/// `allowance 5 video per day on video, then reject`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct AllowanceDef {
    /// In base units of the unit's dimension, or a number of events when `counts_events`.
    pub amount: Decimal,
    /// The unit written (`video`, `minute`).
    pub unit: String,
    /// The unit is a count the products are not measured in: the allowance counts events.
    pub counts_events: bool,
    /// `hour`, `day`, `week`, `month` or `year`.
    pub window: String,
    /// Product indexes it covers; empty for every product it can measure.
    pub scope: Vec<usize>,
    pub beyond: BeyondDef,
    /// The statement as written, for reports: `5 video per day on video`.
    pub text: String,
    pub span: Span,
}

/// `fee "Setup" between 1000 USD and 2000 USD once`, checked: in the book's currency.
#[derive(Debug, Clone, PartialEq)]
pub struct FeeDef {
    pub name: String,
    pub amount: FeeAmountDef,
    /// `None` for a one-time fee; the months between charges otherwise.
    pub every_months: Option<u32>,
    pub span: Span,
}

/// A fee's amount as stated: exact, or only bounded (then it is never billed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeAmountDef {
    Exact(Decimal),
    Between(Decimal, Decimal),
    AtLeast(Decimal),
}

/// `top up USD, minimum 5 USD, maximum 10000 USD, never expires`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct TopUpDef {
    /// The currency of the balance (the book's).
    pub currency: String,
    pub minimum: Option<Decimal>,
    pub maximum: Option<Decimal>,
    pub expiry: GrantExpiry,
    pub span: Span,
}

/// What happens to usage beyond an allowance.
#[derive(Debug, Clone, PartialEq)]
pub enum BeyondDef {
    Reject,
    Wallet,
    Overage(RateDef),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PackDef {
    pub slug: String,
    pub display: String,
    pub price: PlanPrice,
    pub grants: Vec<GrantDef>,
    /// Plans (by index) that may buy the pack.
    pub plans: Vec<usize>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RechargeDef {
    pub below: Option<(Decimal, String)>,
    pub refill_to: Option<(Decimal, String)>,
    pub cap: Option<(Decimal, String)>,
    pub minimums: Vec<(crate::syntax::ast::RechargeField, Decimal, String)>,
    /// Money per `per` wallet units, when published.
    pub price: Option<(Decimal, String, Decimal, String)>,
    /// `for creator, professional`: the plans (by slug) that may auto-recharge; `None` when the
    /// book does not say (every plan that sells top-ups may).
    pub plans: Option<Vec<String>>,
    pub span: Span,
}

/// A worked example (`test "<name>" { ... }`) with every name resolved: what the examples stage
/// runs against the compiled table.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleDef {
    pub name: String,
    pub name_span: Span,
    /// The whole `test` block.
    pub span: Span,
    pub stmts: Vec<ExampleStmt>,
}

/// An attribute value a worked example's usage carries.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrDef {
    /// Index into [`Model::attributes`].
    pub attribute: usize,
    pub value: Decimal,
    /// The unit written after the value, if any (resolved by the checker).
    pub unit: Option<String>,
}

/// What a worked example prices: a plan (or none), a product and one value per dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleTarget {
    pub plan: Option<usize>,
    pub product: usize,
    /// One value index per product dimension, in the product's `dims` order.
    pub dims: Vec<usize>,
}

/// An expected amount, in a unit of the book (canonical name), with the text as written.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedAmount {
    pub value: Decimal,
    pub unit: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QuoteExpectation {
    Charge {
        charge: ExpectedAmount,
        money: Option<ExpectedAmount>,
    },
    /// The usage must be rejected: of this kind, when one is given, and for a reason containing
    /// the text, when one is given.
    Rejects {
        kind: Option<RejectionKind>,
        text: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExampleStmt {
    Quote {
        target: ExampleTarget,
        /// In base units of the product's measure.
        quantity: Decimal,
        /// `attr scenes = 51`: the event's attributes.
        attrs: Vec<AttrDef>,
        /// `used 1000 item`: the account's usage earlier in the period, in base units.
        used: Decimal,
        expect: QuoteExpectation,
        span: Span,
        expect_span: Span,
    },
    Capacity {
        plan: usize,
        product: usize,
        dims: Vec<usize>,
        expect: ExpectedAmount,
        span: Span,
        expect_span: Span,
    },
    Bill(BillExample),
}

/// A `bill` statement of a worked example.
#[derive(Debug, Clone, PartialEq)]
pub struct BillExample {
    pub plan: usize,
    pub annual: bool,
    pub from: Option<Date>,
    pub periods: Option<u32>,
    /// `recharge below <q> to <q> [cap <money>]`: amounts in `unit`.
    pub recharge: Option<ExampleRecharge>,
    pub events: Vec<BillEventDef>,
    pub expects: Vec<BillExpectDef>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExampleRecharge {
    pub below: Decimal,
    pub to: Decimal,
    pub unit: String,
    pub cap: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BillEventDef {
    /// Seconds since the epoch.
    pub time: i64,
    pub usage: BillUsageDef,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BillUsageDef {
    /// `quantity` in base units of the product's measure.
    Use {
        product: usize,
        dims: Vec<usize>,
        quantity: Decimal,
    },
    Buy {
        pack: usize,
    },
    /// Money added to a prepaid balance, in `currency`.
    TopUp {
        amount: Decimal,
        currency: String,
    },
    /// The subscription's own events (`change plan`, `change billing`, `cancel`).
    ChangePlan {
        plan: usize,
    },
    ChangeBilling {
        annual: bool,
    },
    Cancel,
}

/// `expect <subject> == <value>` in a worked bill.
#[derive(Debug, Clone, PartialEq)]
pub struct BillExpectDef {
    pub subject: BillSubject,
    /// The subject as written, for messages.
    pub subject_text: String,
    pub value: Decimal,
    /// The value's unit (canonical), when it has one.
    pub unit: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletMeasure {
    Granted,
    Consumed,
    Expired,
    Remaining,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BillSubject {
    Total,
    Rejected,
    /// How many fee lines the bill has, billed or not (a fee without an exact amount has no
    /// amount to compare).
    Fees,
    /// What the plan's allowances covered over the bill, in the expectation's unit (events when
    /// it has none).
    Allowance,
    /// The lines of a kind (`overage`), or a product's carve-out lines (by its display name).
    Line {
        kind: Option<String>,
        product: Option<usize>,
    },
    /// Grants of the wallet: `plan credits`, `pack`, `recharge`, `contract`, a pack's slug, a
    /// unit, or every grant (`None`).
    Wallet {
        measure: WalletMeasure,
        what: Option<GrantSelector>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum GrantSelector {
    Plan,
    Packs,
    Recharge,
    Contract,
    TopUp,
    Pack(String),
    Unit(String),
}

/// The price list a book is a version of when its header names none.
pub const MAIN_LIST: &str = "main";

/// The list a header's `list NAME` names, [`MAIN_LIST`] when it names none.
pub fn list_name(list: Option<&crate::syntax::ast::Name>) -> String {
    list.map_or(MAIN_LIST, |l| l.node.as_str()).to_string()
}

/// A checked book.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub vendor: String,
    /// The vendor's price list this book is a version of: `main` unless the header names one
    /// (`pricebook heygen list api ...`).
    pub list: String,
    pub version: String,
    pub effective: Date,
    pub currency: String,
    /// A contract file (`contract ...`) rather than a public book.
    pub is_contract: bool,
    pub units: UnitTable,
    pub dimensions: Vec<DimensionDef>,
    /// Declared event attributes (`attribute scenes`), by name as written.
    pub attributes: Vec<String>,
    pub products: Vec<ProductDef>,
    pub plans: Vec<PlanDef>,
    pub packs: Vec<PackDef>,
    /// Periods of grants an annual subscription receives at purchase.
    pub annual_front_load: Option<u32>,
    /// How accounts that subscribed before this version took effect move to it (`None`: the
    /// book does not say, so at once).
    pub existing_moves: Option<MoveRule>,
    /// `billing { ... }`: how the book's subscriptions are billed, where it says.
    pub subscription: SubscriptionRules,
    pub recharge: Option<RechargeDef>,
    pub floor: Option<RateDef>,
    /// The worked examples, in book order.
    pub examples: Vec<ExampleDef>,
}

/// A book's `billing { ... }` rules, as a table stores them (`{"periods": "calendar",
/// "first_period": "prorated", "plan_changes": "at-once-prorated"}`); each is `None` where the
/// book does not say, and a bill takes its default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SubscriptionRules {
    /// `periods anniversary | calendar` (default: anniversary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periods: Option<PeriodRule>,
    /// `first period whole | prorated` (default: whole, as the seeds state no proration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_period: Option<FirstPeriodRule>,
    /// `plan changes at renewal | at once prorated` (default: at renewal, seed 000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_changes: Option<PlanChangeRule>,
}

impl SubscriptionRules {
    /// The book says none of them.
    pub fn is_empty(&self) -> bool {
        *self == SubscriptionRules::default()
    }
}

/// Where a book's billing periods start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeriodRule {
    /// On the subscription's start day each month.
    Anniversary,
    /// On the 1st, after a first period from the start.
    Calendar,
}

/// How a first period shorter than a whole cycle is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirstPeriodRule {
    /// Its whole fee and grants.
    Whole,
    /// Its share of the cycle's fee and recurring grants, by time.
    Prorated,
}

/// When a plan change takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanChangeRule {
    /// At the next billing cycle's start.
    AtRenewal,
    /// At the change: the rest of the cycle is credited on the old plan and billed on the new.
    AtOnceProrated,
}

/// `existing subscribers move at once | at renewal | on DATE`, as a table stores it
/// (`"at-once"`, `"at-renewal"`, `{"on": "2025-09-01"}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MoveRule {
    AtOnce,
    AtRenewal,
    /// Grandfathered on the previous version until this day (`YYYY-MM-DD`).
    On(String),
}

impl PartialEq for UnitTable {
    fn eq(&self, other: &Self) -> bool {
        self.units == other.units
    }
}

impl Model {
    pub fn product_index(&self, slug: &str) -> Option<usize> {
        self.products.iter().position(|p| p.slug == slug)
    }
    pub fn plan_index(&self, slug: &str) -> Option<usize> {
        self.plans.iter().position(|p| p.slug == slug)
    }
    pub fn pack_index(&self, slug: &str) -> Option<usize> {
        self.packs.iter().position(|p| p.slug == slug)
    }
    /// Base units per one `unit`, if the unit is known.
    pub fn factor(&self, unit: &str) -> Option<Decimal> {
        self.units.get(unit).map(|u| u.factor)
    }
    pub fn dimension_of(&self, unit: &str) -> Option<&Dimension> {
        self.units.get(unit).map(|u| &u.dimension)
    }

    /// What one unit of the plan's wallet costs: (money per period, wallet units per period).
    pub fn plan_unit_price(
        &self,
        plan: &PlanDef,
        unit: &str,
    ) -> Option<(Decimal, Decimal, String)> {
        let model = self;
        // A commitment prices its included pool at the contract rate: money per `per` units.
        if let Some(rate) = plan.commit.as_ref().and_then(|c| c.contract_rate.as_ref()) {
            if model.dimension_of(&rate.per_unit) == model.dimension_of(unit) {
                // `amount` money buys `per_base` base units: money per `unit` is amount x factor, per
                // `per_base` units; kept as two exact numbers rather than one rounded quotient.
                let price = rate.amount.checked_mul(model.factor(unit)?)?;
                return Some((price, rate.per_base, rate.unit.clone()));
            }
        }
        let PlanPrice::Amount {
            amount,
            currency,
            months,
        } = &plan.price
        else {
            return None;
        };
        if *months == 0 {
            return None;
        }
        let dim = model.dimension_of(unit)?;
        let factor = model.factor(unit)?;
        // Wallet units granted per billing period of the price, in `unit`.
        let mut granted = Decimal::ZERO;
        for g in &plan.grants {
            let Some(times) = g.cadence.issues_per_period(*months) else {
                continue;
            };
            if model.dimension_of(&g.unit) != Some(dim) {
                continue;
            }
            let in_unit = g
                .amount
                .checked_mul(model.factor(&g.unit)?)?
                .checked_div(factor)?;
            granted = granted.checked_add(in_unit.checked_mul(times)?)?;
        }
        (!granted.is_zero()).then(|| (*amount, granted, currency.clone()))
    }

    /// Wallet units (in `unit`) a plan's recurring grants and included commitment pool give per
    /// billing period: the period of its price, or a month when it has none; grants on other
    /// cadences are scaled to that period.
    pub fn recurring_budget(&self, plan: &PlanDef, unit: &str) -> Option<Decimal> {
        let model = self;
        let period = match plan.price {
            PlanPrice::Amount { months, .. } if months > 0 => months,
            _ => 1,
        };
        let dim = model.dimension_of(unit)?;
        let mut total = Decimal::ZERO;
        for g in &plan.grants {
            let Some(times) = g.cadence.issues_per_period(period) else {
                continue;
            };
            if model.dimension_of(&g.unit) != Some(dim) {
                continue;
            }
            let in_unit = g
                .amount
                .checked_mul(model.factor(&g.unit)?)?
                .checked_div(model.factor(unit)?)?;
            total = total.checked_add(in_unit.checked_mul(times)?)?;
        }
        // A commitment's included pool (`includes 600000 credit_second`) is spent like a grant
        // renewed every commitment period (seed 002: "a pool of API credit-seconds per month").
        if let Some(CommitDef {
            months,
            included: Some((amount, pool_unit)),
            ..
        }) = &plan.commit
        {
            if *months > 0 && model.dimension_of(pool_unit) == Some(dim) {
                let in_unit = amount
                    .checked_mul(model.factor(pool_unit)?)?
                    .checked_div(model.factor(unit)?)?;
                total = total.checked_add(
                    in_unit
                        .checked_mul(Decimal::from(period))?
                        .checked_div(Decimal::from(*months))?,
                )?;
            }
        }
        Some(total)
    }
}
