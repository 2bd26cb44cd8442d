//! The abstract syntax tree: an owned, spanned mirror of a pricebook file.
//!
//! Blocks keep their statements in source order (rather than folding them into fields) so the
//! checker can point at a duplicated statement and the formatter can keep comments in place.
//! Spans are excluded from equality: two trees that differ only in layout compare equal, which is
//! what the `parse(fmt(x)) == parse(x)` round trip relies on.

use rust_decimal::Decimal;

pub use crate::base::span::{Span, Spanned};

/// A name: a slug, a unit, a dimension.
pub type Name = Spanned<String>;

/// A decimal literal as written.
pub type Number = Spanned<Decimal>;

/// `20 minute`, `5400 credit`, `30 USD`.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub value: Number,
    pub unit: Name,
}

/// `7 credit / second`, `15 credit / 1000 character`, `1 api_credit / 5 minute`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub amount: Quantity,
    /// The N in `/ N unit`; `None` when written without one (meaning 1).
    pub per: Option<Number>,
    pub per_unit: Name,
}

/// `30 USD / month`, `100 USD`, `100 USD / 16000 credit`.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceExpr {
    pub amount: Quantity,
    pub per: Option<(Option<Number>, Name)>,
}

/// A whole file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Book {
    pub items: Vec<Spanned<Item>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Header(Header),
    Contract(ContractHeader),
    Unit(UnitDecl),
    Dimension(DimensionDecl),
    Attribute(AttributeDecl),
    Product(Product),
    Plan(Plan),
    Pack(Pack),
    Billing(BillingBlock),
    Recharge(RechargeBlock),
    Floor(Rate),
    /// `existing subscribers move at renewal`.
    Moves(ExistingMoves),
    Allow(Allow),
    Test(TestBlock),
    /// Text the parser could not read; a syntax diagnostic was reported for it.
    Error(String),
}

/// How accounts that subscribed before this version took effect move to it.
#[derive(Debug, Clone, PartialEq)]
pub enum ExistingMoves {
    /// `at once`: from the effective date.
    AtOnce,
    /// `at renewal`: at their next billing cycle on or after it.
    AtRenewal,
    /// `on 2025-09-01`: grandfathered on the previous version until that day.
    On(Spanned<String>),
}

/// `pricebook hedra version "2026-06" effective 2026-06-04 currency USD`
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub vendor: Name,
    /// `list api`: the vendor's price list this book is a version of; `None` is the main list.
    pub list: Option<Name>,
    pub version: Spanned<String>,
    pub effective: Spanned<String>,
    pub currency: Name,
}

/// `contract "Acme" as acme for heygen list enterprise version "acme-2026" effective 2026-01-01`
#[derive(Debug, Clone, PartialEq)]
pub struct ContractHeader {
    pub display: Spanned<String>,
    pub slug: Name,
    pub vendor: Name,
    /// The price list of the book it layers on; `None` is the main list.
    pub list: Option<Name>,
    pub version: Option<Spanned<String>>,
    pub effective: Spanned<String>,
}

/// `unit credit`, `unit credit = 60 credit_second`, or `unit gigabyte divisible`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitDecl {
    pub name: Name,
    pub equals: Option<Quantity>,
    /// `divisible`: quantities of this count unit may be fractional.
    pub divisible: Option<Spanned<()>>,
}

/// `dimension resolution { 540p, 720p, 1080p, 4K }`
#[derive(Debug, Clone, PartialEq)]
pub struct DimensionDecl {
    pub name: Name,
    pub values: Vec<Spanned<String>>,
    /// `default 1080p`: the value of a usage that gives none.
    pub default: Option<Spanned<String>>,
}

/// `attribute script length`: a value a usage event may carry besides its quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDecl {
    pub name: Vec<Name>,
}

impl AttributeDecl {
    /// The name as written, words joined by spaces.
    pub fn display_name(&self) -> String {
        join_words(&self.name)
    }
}

fn join_words(words: &[Name]) -> String {
    words
        .iter()
        .map(|n| n.node.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `allow unused-product "reason"`
#[derive(Debug, Clone, PartialEq)]
pub struct Allow {
    pub code: Name,
    pub reason: Spanned<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub display: Spanned<String>,
    pub slug: Name,
    pub body: Vec<Spanned<ProductStmt>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProductStmt {
    Measure(Name),
    /// `rate 7 credit / second` (no key) or `rate 1080p, 30 fps = 0.10 USD / minute`; a
    /// position of the key may list several values (`720p | 1080p, 30 fps = ...`).
    Rate {
        key: Vec<CellValues>,
        rate: Option<Rate>,
    },
    Tiers {
        mode: TierMode,
        /// `per event` or `per period` as written; `None` is the default, the billing period.
        scope: Option<TierScope>,
        tiers: Vec<Spanned<Tier>>,
    },
    /// `flat 7 USD per video`: a fixed charge per usage event.
    Flat {
        amount: Quantity,
        per: Option<Name>,
    },
    Free,
    Round {
        mode: RoundMode,
        to: Quantity,
    },
    Prorate,
    Min(Quantity),
    Max(Quantity),
    /// `bill at least 2 second`, `bill at most 500 credit per period`: the quantity or the
    /// charge an event is billed is raised or capped (never rejected, unlike `min` and `max`).
    Bill {
        bound: BillBound,
        amount: Quantity,
        /// `per event` or `per period` as written; `None` is per event.
        scope: Option<TierScope>,
    },
    Fee(Fee),
    OutsideWallet,
    Dims(Vec<Name>),
    /// `rate unpublished`: offered, but the vendor publishes no price (quotes are rejected).
    Unpublished,
    /// `aka "Video Generation", "Avatar IV"`: other names of the product.
    Aka(Vec<Spanned<String>>),
    Allow(Allow),
    Error(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierMode {
    Graduated,
    Volume,
}

/// One position of a matrix cell's key: a value, or several (`720p | 1080p`), never none.
pub type CellValues = Vec<Spanned<String>>;

/// `bill at least` raises, `bill at most` caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillBound {
    AtLeast,
    AtMost,
}

/// What a product's tiers count: each event on its own, or the account's usage over the billing
/// period (each event priced as the slice it adds). Also what a `bill at most` cap counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierScope {
    Event,
    Period,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundMode {
    Up,
    Down,
    Nearest,
}

/// `0 second .. 1000 second : 0.01 USD / second`; an open upper bound is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    pub from: Quantity,
    pub to: Option<Quantity>,
    pub rate: Rate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub display: Spanned<String>,
    pub slug: Name,
    pub based_on: Option<Name>,
    pub body: Vec<Spanned<PlanStmt>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Price {
    Custom,
    Unpublished,
    Amount(PriceExpr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cadence {
    Once,
    Every(Name),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expiry {
    Never,
    CycleEnd,
    ContractEnd,
    After(Quantity),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// For `grant custom credit`, a zero at the `custom` keyword, in the unit written.
    pub amount: Quantity,
    /// `grant custom <unit>`: the amount is left to each contract (at the span of `custom`).
    pub contract_set: Option<Spanned<()>>,
    pub cadence: Option<Spanned<Cadence>>,
    pub expiry: Vec<Spanned<Expiry>>,
    pub priority: Vec<Number>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LimitValue {
    Quantity(Quantity),
    Number(Number),
    DimValue(Spanned<String>),
}

/// How a limit compares: `<`, `<=`, `>`, `>=`, `==`, or `between A and B` (both inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Between,
}

impl LimitOp {
    /// The operator as written (`between` for a range).
    pub fn as_str(self) -> &'static str {
        match self {
            LimitOp::Lt => "<",
            LimitOp::Le => "<=",
            LimitOp::Gt => ">",
            LimitOp::Ge => ">=",
            LimitOp::Eq => "==",
            LimitOp::Between => "between",
        }
    }

    pub fn parse(s: &str) -> Option<LimitOp> {
        Some(match s {
            "<" => LimitOp::Lt,
            "<=" => LimitOp::Le,
            ">" => LimitOp::Gt,
            ">=" => LimitOp::Ge,
            "==" => LimitOp::Eq,
            _ => return None,
        })
    }
}

/// `limit video length <= 5 minute on video-generate`, `limit speed between 0.5 and 2.0`,
/// `limit concurrent jobs >= 20 informational`
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub name: Vec<Name>,
    pub op: LimitOp,
    /// The bound, or the lower end of a `between`.
    pub value: Spanned<LimitValue>,
    /// The upper end of a `between`.
    pub upper: Option<Spanned<LimitValue>>,
    pub window: Option<Name>,
    pub scope: Vec<Name>,
    /// Stated for the reader, never enforced (what no usage event carries: concurrency).
    pub informational: bool,
}

impl Limit {
    /// The limit's name as written, words joined by spaces.
    pub fn display_name(&self) -> String {
        join_words(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum FeatureValue {
    Quantity(Quantity),
    Number(Number),
    Text(String),
    Word(String),
}

/// `allowance 5 video per day on video, then reject`: what a plan includes of some products per
/// window, before the wallet.
#[derive(Debug, Clone, PartialEq)]
pub struct Allowance {
    pub amount: Quantity,
    /// `day`, `week`, `month`, `year` (or `hour`).
    pub window: Name,
    /// The products it covers; empty for every product it can measure.
    pub scope: Vec<Name>,
    /// What happens beyond it; `None` is `wallet`.
    pub beyond: Option<Spanned<Beyond>>,
}

/// `fee "Studio Avatar setup" between 1000 USD and 2000 USD once`: a charge that is not usage.
#[derive(Debug, Clone, PartialEq)]
pub struct Fee {
    pub name: Spanned<String>,
    pub amount: FeeAmount,
    pub cadence: Spanned<Cadence>,
}

/// A fee's amount as the vendor states it.
#[derive(Debug, Clone, PartialEq)]
pub enum FeeAmount {
    /// `50 USD`.
    Exact(Quantity),
    /// `between 1000 USD and 2000 USD`.
    Between(Quantity, Quantity),
    /// `at least 1000 USD` ("often over $1,000").
    AtLeast(Quantity),
}

/// `top up USD, minimum 5 USD, maximum 10000 USD, never expires`: a prepaid money balance.
#[derive(Debug, Clone, PartialEq)]
pub struct TopUp {
    pub currency: Name,
    pub minimum: Option<Quantity>,
    pub maximum: Option<Quantity>,
    pub expiry: Vec<Spanned<Expiry>>,
}

/// What happens to usage beyond an allowance.
#[derive(Debug, Clone, PartialEq)]
pub enum Beyond {
    /// The event is refused.
    Reject,
    /// Priced as usual and paid from the wallet (by the plan's `when empty` rule).
    Wallet,
    /// Billed at this rate as a money line.
    Overage(Rate),
}

#[derive(Debug, Clone, PartialEq)]
pub enum EmptyRule {
    Reject,
    Overage(Option<Rate>),
    AutoRecharge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlanStmt {
    Price {
        price: Spanned<Price>,
        minimum: Option<PriceExpr>,
    },
    Billing(Vec<Name>),
    Grant(Grant),
    Packs(bool),
    Products(Option<Vec<Name>>),
    Deny(Vec<Name>),
    Limit(Limit),
    Allowance(Allowance),
    TopUp(TopUp),
    Fee(Fee),
    Feature {
        name: Name,
        value: Spanned<FeatureValue>,
    },
    WhenEmpty(Spanned<EmptyRule>),
    Commit {
        amount: Quantity,
        per: Name,
    },
    Includes {
        amount: Quantity,
        at: Option<Rate>,
    },
    Overage(Rate),
    RateOverride {
        product: Name,
        rate: Rate,
    },
    Allow(Allow),
    Error(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pack {
    pub display: Spanned<String>,
    pub slug: Name,
    pub body: Vec<Spanned<PackStmt>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PackStmt {
    Price {
        price: Spanned<Price>,
        minimum: Option<PriceExpr>,
    },
    Grant(Grant),
    For(Vec<Name>),
    Allow(Allow),
    Error(String),
}

/// `billing annual { front-load 12 month }` (rules of annual billing), or `billing { periods
/// calendar ... }` (how the book's subscriptions are billed): `period` is `None` for the latter.
#[derive(Debug, Clone, PartialEq)]
pub struct BillingBlock {
    pub period: Option<Name>,
    pub body: Vec<Spanned<BillingStmt>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BillingStmt {
    FrontLoad(Quantity),
    /// `periods calendar` (or `anniversary`): where billing periods start.
    Periods(Name),
    /// `first period prorated` (or `whole`): how a first, partial period is billed.
    FirstPeriod(Name),
    /// `plan changes at renewal` or `plan changes at once prorated`.
    PlanChanges(PlanChanges),
    Error(String),
}

/// When a plan change takes effect, as a book's `billing { plan changes ... }` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanChanges {
    AtRenewal,
    /// At the change; `prorated`: the rest of the cycle is re-priced (the book must say so).
    AtOnce {
        prorated: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RechargeBlock {
    pub body: Vec<Spanned<RechargeStmt>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RechargeField {
    Below,
    Refill,
    Cap,
}

// Statements are built once per line of source; boxing would cost more than the padding.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum RechargeStmt {
    Below(Quantity),
    RefillTo(Quantity),
    Cap {
        amount: Quantity,
        per: Option<Name>,
    },
    Minimum {
        field: RechargeField,
        amount: Quantity,
    },
    Price {
        price: Spanned<Price>,
        minimum: Option<PriceExpr>,
    },
    /// `for creator, professional`: the plans that may auto-recharge.
    For(Vec<Name>),
    Error(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestBlock {
    pub name: Spanned<String>,
    pub body: Vec<Spanned<TestStmt>>,
}

/// `plan creator product hedra-avatar`, or `product "Video Generation"` (a display name or an
/// alias, written as a string; the node holds the name either way).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub plan: Option<Name>,
    pub product: Name,
}

/// `dim 540p` or `dim resolution = 540p`
#[derive(Debug, Clone, PartialEq)]
pub struct DimArg {
    pub dimension: Option<Name>,
    pub value: Spanned<String>,
}

/// `attr scenes = 51`, `attr "script length" = 4500 character` in a test's usage.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrArg {
    pub name: Spanned<String>,
    pub value: AttrValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Quantity(Quantity),
    Number(Number),
}

#[derive(Debug, Clone, PartialEq)]
pub enum QuoteExpect {
    Charge {
        charge: Quantity,
        money: Option<Quantity>,
    },
    /// `rejects [<kind>] ["<text>"]`: rejected, of that kind, for a reason that mentions the text.
    Rejects {
        kind: Option<Name>,
        text: Option<Spanned<String>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum BillOption {
    Billing(Name),
    From(Spanned<String>),
    Periods(Number),
    Recharge {
        below: Quantity,
        to: Quantity,
        cap: Option<Quantity>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum BillStmt {
    Use {
        time: Spanned<String>,
        product: Name,
        dims: Vec<Spanned<DimArg>>,
        quantity: Quantity,
    },
    Buy {
        time: Spanned<String>,
        pack: Name,
    },
    /// `top up 50 USD`: money added to a prepaid balance.
    TopUp {
        time: Spanned<String>,
        amount: Quantity,
    },
    /// `change plan professional`: the account's plan from the next billing cycle.
    ChangePlan {
        time: Spanned<String>,
        plan: Name,
    },
    /// `change billing annual`: the billing cycle from the next cycle's start.
    ChangeBilling {
        time: Spanned<String>,
        billing: Name,
    },
    /// `cancel`: the subscription ends at the end of the current period.
    Cancel {
        time: Spanned<String>,
    },
    Expect {
        subject: Vec<Spanned<String>>,
        value: ExpectValue,
    },
    Error(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExpectValue {
    Quantity(Quantity),
    Number(Number),
}

#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a book holds a few hundred worked examples at most, built once per parse"
)]
pub enum TestStmt {
    Quote {
        target: Target,
        dims: Vec<Spanned<DimArg>>,
        attrs: Vec<Spanned<AttrArg>>,
        /// `used 1000 item`: the account's usage of the product earlier in the billing period.
        used: Option<Quantity>,
        quantity: Quantity,
        at: Option<Spanned<String>>,
        expect: Spanned<QuoteExpect>,
    },
    Capacity {
        target: Target,
        dims: Vec<Spanned<DimArg>>,
        at: Option<Spanned<String>>,
        expect: Quantity,
    },
    Bill {
        plan: Option<Name>,
        options: Vec<Spanned<BillOption>>,
        body: Vec<Spanned<BillStmt>>,
    },
    Error(String),
}
