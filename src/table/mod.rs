//! The compiled rating table: what services load to answer cost questions.
//!
//! A table is a self-describing serde artifact (schema version, vendor, version, effective date,
//! a hash of the source book, a checksum of its own content). Names are interned to dense ids:
//! products, plans, units and dimension values are indexes, rate cells of a matrix are laid out
//! row-major so a cell is one multiply-add away, and source positions are plain line numbers.
//! Nothing on the quoting path touches a string.
//!
//! ```
//! use pricebook::table::RatingTable;
//! let book = r#"
//! pricebook acme version "1" effective 2026-01-01 currency USD
//! unit credit
//! product "Render" as render { measure time  rate 2 credit / second  round up to 1 second }
//! plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
//! "#;
//! let table = pricebook::pipeline::compile_source(book).expect("a clean book");
//! let json = table.to_json();
//! let table = RatingTable::from_json(&json).expect("checksum holds");
//! let (plan, product) = (table.plan_id("Pro").unwrap(), table.product_id("render").unwrap());
//! let cell = table.cell_id(product, &[]).unwrap();
//! let q = table.quote(Some(plan), product, cell, "90.5".parse().unwrap()).unwrap();
//! assert_eq!(q.charge.to_string(), "182"); // 91 seconds after rounding up
//! assert_eq!(q.money.unwrap().to_string(), "3.64");
//! ```

use crate::base::interval::Interval;
use crate::base::money::{EXACT_MONEY_DP, charge_dp, div_round, round_charge};
use crate::base::names::{NameError, find_named, find_named_with_aliases, same_key};
use crate::base::rejection::{Rejection, RejectionKind, contract_set_reason, unpublished_reason};
use crate::base::units::resolve_unit;
use crate::diagnostic::{Code, Diagnostic};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::path::Path;

mod attrs;
pub mod availability;
mod binary;
mod capacity;
mod explain;
mod json;
mod load;
mod names;
mod pricing_json;
mod quote;
mod text_hash;
mod wire;
pub use quote::cap_slice;

pub use binary::{BINARY_MAGIC, BINARY_VERSION, is_binary};
pub use load::{LoadError, reseal, sha256_hex};

/// The schema this build reads and writes. Bump on any incompatible change (7: a book's price
/// list, and fees: an older reader would bill without them; 8: products' `bill` bounds and
/// dimension `fills`, `aliases`, products whose rate is `unpublished`, and the plans an `auto
/// recharge` is `for`; 9: a plan's `available` as one packed string, see [`availability`]; 10: the
/// book's `billing { ... }` rules, `subscription`: an older reader would bill without them).
pub const SCHEMA_VERSION: u32 = 10;

/// The oldest schema this build still reads: tables written since differ from this build's in
/// their layout ([`availability`]) and in rules they cannot hold (a schema 8 or 9 table has no
/// `subscription` rules, so its bills take the defaults), so they load and bill the same.
pub const OLDEST_READ_SCHEMA_VERSION: u32 = 8;

/// How a product's tiers apply. The table's own type (not the book's), so its JSON spelling is
/// part of this schema and changes only with [`SCHEMA_VERSION`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TierMode {
    /// Each tier's rate applies to the part of the quantity inside it.
    Graduated,
    /// The tier the whole quantity falls in prices all of it.
    Volume,
}

fn main_list() -> String {
    crate::model::MAIN_LIST.to_string()
}

/// What a product's tiers count. The table's own type, spelled `period` or `event` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TierScope {
    /// The account's usage of the product over the billing period: each event is priced as
    /// the slice of the running total it adds (the price after it less the price before it).
    Period,
    /// Each event on its own.
    Event,
}

/// Which way a quantity rounds to its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoundMode {
    Up,
    Down,
    /// To the nearest step, halves away from zero.
    Nearest,
}

pub type ProductId = u32;
pub type PackId = u32;
pub type PlanId = u32;
pub type UnitId = u32;
/// An event attribute declared by the book (`attribute scenes`).
pub type AttributeId = u32;
/// A rate cell within one product (row-major over its dimensions; 0 for an undimensioned one).
pub type CellId = u32;

/// A compiled price list. Every table that exists is valid: it is compiled from a book
/// ([`compile_source`](crate::compile_source), [`open`](crate::open)) or loaded
/// ([`RatingTable::from_json`], or any serde deserializer), and each way checks that
/// every id in it points somewhere and every cell array has its size, so quoting from it never
/// indexes out of bounds. Its content is read through the accessors below; it is changed only by
/// compiling a book again.
///
/// Deserializing with serde checks the schema version and the ids; [`from_json`](Self::from_json)
/// and [`from_path`](Self::from_path) also check the checksum, so use them for files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TableData")]
pub struct RatingTable {
    pub(crate) schema_version: u32,
    pub(crate) vendor: String,
    /// The vendor's price list this table is a version of (`main` unless the book names one).
    #[serde(default = "main_list")]
    pub(crate) list: String,
    pub(crate) version: String,
    pub(crate) effective: String,
    pub(crate) currency: String,
    /// SHA-256 of the source book, hex.
    pub(crate) source_hash: String,
    /// The book this table was compiled from, as named to the compiler: what explanations and
    /// rejections cite with a rule's line. Empty when the book had no name (standard input).
    pub(crate) source: String,
    /// SHA-256 of this table's JSON with `checksum` empty, hex.
    pub(crate) checksum: String,
    pub(crate) units: Vec<UnitEntry>,
    pub(crate) dimensions: Vec<DimensionEntry>,
    /// Declared event attributes, by name as written.
    pub(crate) attributes: Vec<String>,
    pub(crate) products: Vec<ProductEntry>,
    pub(crate) plans: Vec<PlanEntry>,
    pub(crate) packs: Vec<PackEntry>,
    pub(crate) annual_front_load: Option<u32>,
    /// `existing subscribers move ...` (`None`: at once).
    pub(crate) existing_moves: Option<crate::model::MoveRule>,
    /// `billing { ... }`: how the book's subscriptions are billed, where it says.
    pub(crate) subscription: crate::model::SubscriptionRules,
    pub(crate) recharge: Option<RechargeEntry>,
}

/// A table as read, before it is checked: what [`RatingTable`] deserializes through.
#[derive(Deserialize)]
pub(crate) struct TableData {
    pub(crate) schema_version: u32,
    pub(crate) vendor: String,
    /// The vendor's price list this table is a version of (`main` unless the book names one).
    #[serde(default = "main_list")]
    pub(crate) list: String,
    pub(crate) version: String,
    pub(crate) effective: String,
    pub(crate) currency: String,
    /// SHA-256 of the source book, hex.
    pub(crate) source_hash: String,
    /// The book this table was compiled from, as named to the compiler: what explanations and
    /// rejections cite with a rule's line. Empty when the book had no name (standard input).
    pub(crate) source: String,
    /// SHA-256 of this table's JSON with `checksum` empty, hex.
    pub(crate) checksum: String,
    pub(crate) units: Vec<UnitEntry>,
    pub(crate) dimensions: Vec<DimensionEntry>,
    /// Declared event attributes, by name as written.
    pub(crate) attributes: Vec<String>,
    pub(crate) products: Vec<ProductEntry>,
    pub(crate) plans: Vec<PlanEntry>,
    pub(crate) packs: Vec<PackEntry>,
    pub(crate) annual_front_load: Option<u32>,
    /// Absent in tables of books that do not say (and in tables before it existed).
    #[serde(default)]
    pub(crate) existing_moves: Option<crate::model::MoveRule>,
    /// Absent in tables of books that say none (and in tables before schema 10).
    #[serde(default)]
    pub(crate) subscription: crate::model::SubscriptionRules,
    pub(crate) recharge: Option<RechargeEntry>,
}

impl RatingTable {
    /// The schema version it was written with ([`SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> u32 {
        self.schema_version
    }
    /// The vendor's slug, from the book's header.
    pub fn vendor(&self) -> &str {
        &self.vendor
    }
    /// The book's version label.
    /// The vendor's price list this table is a version of: `main` unless the book's header
    /// names one (`pricebook heygen list api ...`).
    pub fn list(&self) -> &str {
        &self.list
    }

    pub fn version(&self) -> &str {
        &self.version
    }
    /// The day the book is in force from, `YYYY-MM-DD`.
    pub fn effective(&self) -> &str {
        &self.effective
    }
    /// The ISO 4217 currency the book bills in.
    pub fn currency(&self) -> &str {
        &self.currency
    }
    /// SHA-256 of the source book, hex.
    pub fn source_hash(&self) -> &str {
        &self.source_hash
    }
    /// The book's file as named to the compiler; empty for standard input.
    pub fn source(&self) -> &str {
        &self.source
    }
    /// SHA-256 of the table's JSON with an empty checksum, hex, as stored (empty in the table of
    /// a [`BookCheck`](crate::pipeline::BookCheck), which is only priced from in memory).
    pub fn checksum(&self) -> &str {
        &self.checksum
    }
    /// Units, by [`UnitId`].
    pub fn units(&self) -> &[UnitEntry] {
        &self.units
    }
    /// Dimensions of rate matrices.
    pub fn dimensions(&self) -> &[DimensionEntry] {
        &self.dimensions
    }
    /// Products, by [`ProductId`].
    pub fn products(&self) -> &[ProductEntry] {
        &self.products
    }
    /// Plans, by [`PlanId`].
    pub fn plans(&self) -> &[PlanEntry] {
        &self.plans
    }
    /// Packs, by [`PackId`].
    pub fn packs(&self) -> &[PackEntry] {
        &self.packs
    }
    /// Months of grants an annual plan issues up front, when the book says.
    pub fn annual_front_load(&self) -> Option<u32> {
        self.annual_front_load
    }
    /// How accounts that subscribed before this version took effect move to it (`None`: the
    /// book does not say, so at once).
    pub fn existing_moves(&self) -> Option<&crate::model::MoveRule> {
        self.existing_moves.as_ref()
    }
    /// The book's `billing { ... }` rules: where periods start, how a first partial period is
    /// billed, when plan changes take effect (each `None` where the book does not say).
    pub fn subscription_rules(&self) -> &crate::model::SubscriptionRules {
        &self.subscription
    }

    /// The book's auto-recharge rules, if it offers auto recharge.
    pub fn recharge(&self) -> Option<&RechargeEntry> {
        self.recharge.as_ref()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitEntry {
    pub name: String,
    /// `time`, `text`, `area`, `period`, `money:USD`, `count:credit`.
    pub dimension: String,
    /// Base units per one of this unit.
    pub factor: Decimal,
    /// Decimal places a charge in this unit is rounded to.
    pub charge_dp: u32,
    pub is_money: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionEntry {
    pub name: String,
    pub values: Vec<String>,
}

/// An exact rate: `amount` per `per_base` base units of the product's measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateCell {
    pub amount: Decimal,
    pub unit: UnitId,
    pub per: Decimal,
    pub per_unit: UnitId,
    pub per_base: Decimal,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierEntry {
    pub from: Decimal,
    pub to: Option<Decimal>,
    pub rate: RateCell,
}

/// Read by hand (`pricing_json.rs`, without buffering), written by the derive: `kind` first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PricingEntry {
    /// One cell for a plain rate; the cross product of dimension values for a matrix.
    /// `None` marks a cell that is not offered.
    Cells {
        cells: Vec<Option<RateCell>>,
    },
    Tiered {
        mode: TierMode,
        scope: TierScope,
        tiers: Vec<TierEntry>,
    },
    /// A fixed charge per event; `per` is what an event is counted in (`video`), if declared.
    Flat {
        amount: Decimal,
        unit: UnitId,
        per: Option<UnitId>,
        line: u32,
    },
    Free {
        line: u32,
    },
    /// `rate unpublished`: offered, but no source states the price; every quote is rejected.
    Unpublished {
        line: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundEntry {
    pub base: Decimal,
    pub text: String,
    pub line: u32,
}

/// A product's `bill at least` and `bill at most`: quantity bounds in base units of its measure,
/// charge bounds in its charge unit ([`ProductEntry::charge_unit`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BillBoundsEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raise_quantity: Option<BoundEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_quantity: Option<BoundEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raise_charge: Option<BoundEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_charge: Option<BoundEntry>,
    /// The cap of an account's charges for the product in one billing period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_period: Option<BoundEntry>,
}

impl BillBoundsEntry {
    pub fn is_empty(&self) -> bool {
        self.raise_quantity.is_none()
            && self.cap_quantity.is_none()
            && self.raise_charge.is_none()
            && self.cap_charge.is_none()
            && self.cap_period.is_none()
    }

    /// Whether an event's billed quantity or charge is bounded on its own (the rater's integer
    /// path leaves such events to the exact quote).
    pub fn bounds_events(&self) -> bool {
        self.raise_quantity.is_some()
            || self.cap_quantity.is_some()
            || self.raise_charge.is_some()
            || self.cap_charge.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundingEntry {
    pub mode: RoundMode,
    pub step: Decimal,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductEntry {
    pub slug: String,
    pub display: String,
    /// Other names of the product (`aka "Video Generation"`), matched like the display name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Dimension name of what is measured (`time`, `text`, ...), as in [`UnitEntry::dimension`].
    pub measure: String,
    /// Dimension ids, in cell order.
    pub dims: Vec<u32>,
    /// Row-major strides of `dims`.
    pub strides: Vec<u32>,
    /// The value index each dimension takes when a usage gives none (its `default`, its only
    /// value, or the first when its value changes no price); `null` where it must be given.
    /// Empty when no dimension can be left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fills: Vec<Option<u32>>,
    pub pricing: PricingEntry,
    pub charge_unit: Option<UnitId>,
    pub rounding: Option<RoundingEntry>,
    pub min: Option<BoundEntry>,
    pub max: Option<BoundEntry>,
    /// `bill at least` / `bill at most`: what an admitted event is billed is raised or capped.
    #[serde(default, skip_serializing_if = "BillBoundsEntry::is_empty")]
    pub bill: BillBoundsEntry,
    pub outside_wallet: bool,
    /// Quantities are whole base units (counts such as `clip`); a fractional one is rejected.
    pub whole: bool,
    /// One-time fees charged at the product's first use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fees: Vec<FeeEntry>,
    pub line: u32,
}

/// `fee "Setup" between 1000 USD and 2000 USD once`: a charge that is not usage, in the book's
/// currency. Only an exact amount is billed; a range or lower bound is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeeEntry {
    pub name: String,
    pub amount: crate::model::FeeAmountDef,
    /// `None` once; the months between charges otherwise (plans only).
    pub every_months: Option<u32>,
    pub line: u32,
}

impl FeeEntry {
    /// The amount to bill: `None` when the vendor states only a range or a lower bound.
    pub fn billed(&self) -> Option<Decimal> {
        match self.amount {
            crate::model::FeeAmountDef::Exact(a) => Some(a),
            _ => None,
        }
    }

    /// The amount as the vendor states it: `50`, `between 1000 and 2000`, `at least 1000`, then
    /// the currency.
    pub fn stated(&self, currency: &str) -> String {
        match self.amount {
            crate::model::FeeAmountDef::Exact(a) => format!("{a} {currency}"),
            crate::model::FeeAmountDef::Between(lo, hi) => {
                format!("between {lo} and {hi} {currency}")
            }
            crate::model::FeeAmountDef::AtLeast(lo) => format!("at least {lo} {currency}"),
        }
    }

    /// `once`, `every month`, `every 12 months`.
    pub fn cadence(&self) -> String {
        match self.every_months {
            None => "once".into(),
            Some(1) => "every month".into(),
            Some(12) => "every year".into(),
            Some(n) => format!("every {n} months"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PriceEntry {
    Custom,
    Unpublished,
    Amount { amount: Decimal, months: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantEntry {
    /// Zero when `contract_set`.
    pub amount: Decimal,
    /// `grant custom <unit>`: each contract sets the amount; a table without the contract
    /// cannot bill or size this grant.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub contract_set: bool,
    pub unit: UnitId,
    /// `None` for a one-off grant (or one renewed by days).
    pub every_months: Option<u32>,
    /// `every day` (1), `every week` (7): renewed at each calendar day or week (from Monday).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_days: Option<u32>,
    /// `never`, `cycle-end`, `contract-end`, `months:N`, `days:N`.
    pub expiry: String,
    pub priority: u32,
    pub line: u32,
}

impl GrantEntry {
    /// The grant's expiry rule; `None` when the table spells it some other way (a loaded table
    /// is validated, so only a table built by hand can get there).
    pub fn expiry_rule(&self) -> Option<ExpiryRule> {
        ExpiryRule::parse(&self.expiry)
    }
}

/// When a grant expires: [`GrantEntry::expiry`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryRule {
    Never,
    CycleEnd,
    ContractEnd,
    AfterMonths(u32),
    AfterDays(u32),
}

impl ExpiryRule {
    /// Reads `never`, `cycle-end`, `contract-end`, `months:N` or `days:N`.
    pub fn parse(s: &str) -> Option<ExpiryRule> {
        Some(match s {
            "never" => ExpiryRule::Never,
            "cycle-end" => ExpiryRule::CycleEnd,
            "contract-end" => ExpiryRule::ContractEnd,
            _ => match s.split_once(':')? {
                ("months", n) => ExpiryRule::AfterMonths(n.parse().ok()?),
                ("days", n) => ExpiryRule::AfterDays(n.parse().ok()?),
                _ => return None,
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LimitKindEntry {
    /// Base units of the measured dimension one event may have.
    PerEvent {
        dimension: String,
        bound: Interval<Decimal>,
    },
    /// The values of an ordered dimension allowed: value indexes `lo..=hi`.
    DimensionRange {
        dimension: u32,
        lo: u32,
        hi: u32,
    },
    Window {
        max: Decimal,
        /// The window's total must stay below `max` (`<`), not reach past it (`<=`).
        strict: bool,
        dimension: Option<String>,
        window: String,
    },
    /// An event attribute, in base units of `dimension` (a bare number when `None`); a value
    /// given without a unit is in the unit the limit is written in, `factor` base units each.
    Attribute {
        attribute: AttributeId,
        dimension: Option<String>,
        factor: Decimal,
        bound: Interval<Decimal>,
    },
    Informational,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitEntry {
    pub name: String,
    /// `<`, `<=`, `>`, `>=`, `==` or `between`.
    pub op: String,
    /// The value as written (the lower end of a `between`).
    pub value: String,
    /// The upper end of a `between`, as written.
    pub upper: Option<String>,
    pub kind: LimitKindEntry,
    /// Product ids the limit applies to; empty for all.
    pub scope: Vec<ProductId>,
    pub line: u32,
}

impl LimitEntry {
    /// `video length <= 3 minute`: the limit as the book states it.
    pub fn describe(&self) -> String {
        crate::base::interval::describe_limit(
            &self.name,
            &self.op,
            &self.value,
            self.upper.as_deref(),
        )
    }
}

/// `allowance 5 video per day on video, then reject`: what a plan includes per window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllowanceEntry {
    /// In base units of the unit's dimension, or a number of events when `counts_events`.
    pub amount: Decimal,
    pub unit: UnitId,
    pub counts_events: bool,
    /// `hour`, `day`, `week`, `month` or `year`.
    pub window: String,
    /// Products it covers; empty for every product it can measure.
    pub scope: Vec<ProductId>,
    pub beyond: BeyondEntry,
    /// As written: `5 video per day on video`.
    pub text: String,
    pub line: u32,
}

impl AllowanceEntry {
    /// Whether it covers usage of `product` (measured in `measure`), given the unit's dimension.
    pub fn covers(&self, product: ProductId, measure: &str, unit_dimension: &str) -> bool {
        if self.scope.is_empty() {
            self.counts_events || measure == unit_dimension
        } else {
            self.scope.contains(&product)
        }
    }
}

/// `top up USD, minimum 5 USD, maximum 10000 USD`: a prepaid money balance of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopUpEntry {
    /// The currency's unit.
    pub unit: UnitId,
    pub minimum: Option<Decimal>,
    pub maximum: Option<Decimal>,
    /// As [`GrantEntry::expiry`]: `never`, `cycle-end`, `contract-end`, `months:N`, `days:N`.
    pub expiry: String,
    pub line: u32,
}

/// What happens to usage beyond an allowance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BeyondEntry {
    Reject,
    Wallet,
    Overage { rate: RateCell },
}

/// A value a usage event carries besides its quantity (`scenes = 51`, `script length = 4500
/// character`), for the limits of that attribute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventAttr {
    pub attribute: AttributeId,
    pub value: Decimal,
    /// The unit it is given in; `None` for a bare number (in the unit each limit is written in).
    pub unit: Option<UnitId>,
}

/// What one wallet unit costs on a plan: `price` money buys `granted` units per period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalletPrice {
    pub unit: UnitId,
    pub price: Decimal,
    pub granted: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EmptyEntry {
    Reject,
    Overage { rate: Option<RateCell> },
    AutoRecharge,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitEntry {
    pub amount: Decimal,
    pub months: u32,
    pub included: Option<(Decimal, UnitId)>,
    pub contract_rate: Option<RateCell>,
    pub overage: Option<RateCell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanEntry {
    pub slug: String,
    pub display: String,
    pub price: PriceEntry,
    pub price_line: u32,
    pub billing: Vec<String>,
    pub grants: Vec<GrantEntry>,
    pub packs_allowed: bool,
    /// Availability per product id (written as [`availability`] says).
    #[serde(with = "availability")]
    pub available: Vec<bool>,
    pub limits: Vec<LimitEntry>,
    pub allowances: Vec<AllowanceEntry>,
    /// A prepaid money balance the account tops up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_up: Option<TopUpEntry>,
    /// Charges that are not usage: one-time at the subscription's start, or recurring.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fees: Vec<FeeEntry>,
    pub features: Vec<(String, String)>,
    pub when_empty: EmptyEntry,
    pub commit: Option<CommitEntry>,
    /// Plan rates replacing a product's own (product id, rate).
    pub overrides: Vec<(ProductId, RateCell)>,
    /// Money per wallet unit, for every wallet unit the plan grants.
    pub wallet_prices: Vec<WalletPrice>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackEntry {
    pub slug: String,
    pub display: String,
    pub price: PriceEntry,
    pub grants: Vec<GrantEntry>,
    pub plans: Vec<PlanId>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RechargeEntry {
    /// Money per `per` wallet units, when published: (amount, per, unit).
    pub price: Option<(Decimal, Decimal, UnitId)>,
    pub below: Option<(Decimal, UnitId)>,
    pub refill_to: Option<(Decimal, UnitId)>,
    pub cap: Option<Decimal>,
    /// The smallest threshold, ceiling and cap an account may choose (`minimum below ...`).
    pub min_below: Option<(Decimal, UnitId)>,
    pub min_refill: Option<(Decimal, UnitId)>,
    pub min_cap: Option<Decimal>,
    /// The plans that may auto-recharge (`for creator, professional`); `None` when the book
    /// does not say, and then every plan that sells top-ups may.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plans: Option<Vec<PlanId>>,
    pub line: u32,
}

/// A priced usage, by ids.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct TableQuote {
    /// The charge, rounded once for display (money to its minor unit).
    pub charge: Decimal,
    /// The charge as it is kept and summed: money exact to
    /// [`EXACT_MONEY_DP`](crate::base::money::EXACT_MONEY_DP) places; equal to `charge` in any
    /// other unit. Bills draw and rated totals add this, and round once per line or total.
    pub exact: Decimal,
    /// The quantity priced, in base units of the product's measure, after rounding (what a
    /// running total over the billing period counts).
    pub quantity: Decimal,
    /// The charge unit; `None` for a free product.
    pub unit: Option<UnitId>,
    /// Money equivalent on the plan, in the table's currency.
    pub money: Option<Decimal>,
}

/// One step of a quote's explanation: what was applied and the source line of its rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplainStep {
    pub step: String,
    pub line: Option<u32>,
}

/// A compiled dimension name as a person reads it: `time`, `clip`, `money (USD)`.
pub fn describe_dimension(d: &str) -> String {
    match d.split_once(':') {
        Some(("count", u)) => u.to_string(),
        Some(("money", c)) => format!("money ({c})"),
        _ => d.to_string(),
    }
}

pub(crate) fn round_step(q: Decimal, r: &RoundingEntry) -> Option<Decimal> {
    let blocks = q.checked_div(r.step)?;
    let whole = match r.mode {
        RoundMode::Up => blocks.ceil(),
        RoundMode::Down => blocks.floor(),
        RoundMode::Nearest => {
            blocks.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        }
    };
    whole.checked_mul(r.step)
}

/// A rejection by the rule on `line` of the book (0: no rule).
fn reject(kind: RejectionKind, reason: impl Into<String>, line: u32) -> Rejection {
    Rejection::new(kind, reason).with_line(line)
}
