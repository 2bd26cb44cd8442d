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

use crate::base::money::{charge_dp, div_round, round_charge};
use crate::base::names::{NameError, find_named, same_key};
use crate::base::rejection::{Rejection, RejectionKind};
use crate::base::units::resolve_unit;
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::ast::{RoundMode, TierMode};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::path::Path;

mod explain;

/// The schema this build reads and writes. Bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

pub type ProductId = u32;
pub type PackId = u32;
pub type PlanId = u32;
pub type UnitId = u32;
/// A rate cell within one product (row-major over its dimensions; 0 for an undimensioned one).
pub type CellId = u32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingTable {
    pub schema_version: u32,
    pub vendor: String,
    pub version: String,
    pub effective: String,
    pub currency: String,
    /// SHA-256 of the source book, hex.
    pub source_hash: String,
    /// The book this table was compiled from, as named to the compiler: what explanations and
    /// rejections cite with a rule's line. Empty when the book had no name (standard input).
    pub source: String,
    /// SHA-256 of this table's JSON with `checksum` empty, hex.
    pub checksum: String,
    pub units: Vec<UnitEntry>,
    pub dimensions: Vec<DimensionEntry>,
    pub products: Vec<ProductEntry>,
    pub plans: Vec<PlanEntry>,
    pub packs: Vec<PackEntry>,
    pub annual_front_load: Option<u32>,
    pub recharge: Option<RechargeEntry>,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PricingEntry {
    /// One cell for a plain rate; the cross product of dimension values for a matrix.
    /// `None` marks a cell that is not offered.
    Cells {
        cells: Vec<Option<RateCell>>,
    },
    Tiered {
        mode: TierMode,
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundEntry {
    pub base: Decimal,
    pub text: String,
    pub line: u32,
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
    /// Dimension name of what is measured (`time`, `text`, ...), as in [`UnitEntry::dimension`].
    pub measure: String,
    /// Dimension ids, in cell order.
    pub dims: Vec<u32>,
    /// Row-major strides of `dims`.
    pub strides: Vec<u32>,
    pub pricing: PricingEntry,
    pub charge_unit: Option<UnitId>,
    pub rounding: Option<RoundingEntry>,
    pub min: Option<BoundEntry>,
    pub max: Option<BoundEntry>,
    pub outside_wallet: bool,
    /// Quantities are whole base units (counts such as `clip`); a fractional one is rejected.
    pub whole: bool,
    pub line: u32,
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
    pub amount: Decimal,
    pub unit: UnitId,
    /// `None` for a one-off grant.
    pub every_months: Option<u32>,
    /// `never`, `cycle-end`, `contract-end`, `months:N`, `days:N`.
    pub expiry: String,
    pub priority: u32,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LimitKindEntry {
    PerEvent {
        dimension: String,
        max: Decimal,
    },
    DimensionMax {
        dimension: u32,
        max: u32,
    },
    Window {
        max: Decimal,
        dimension: Option<String>,
        window: String,
    },
    Informational,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitEntry {
    pub name: String,
    pub value: String,
    pub kind: LimitKindEntry,
    /// Product ids the limit applies to; empty for all.
    pub scope: Vec<ProductId>,
    pub line: u32,
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
    /// Availability per product id.
    pub available: Vec<bool>,
    pub limits: Vec<LimitEntry>,
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
    pub line: u32,
}

/// A priced usage, by ids.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableQuote {
    pub charge: Decimal,
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

/// Receives explanation steps; the no-op recorder compiles away on the hot path.
trait Recorder {
    fn record(&mut self, step: impl FnOnce() -> String, line: u32);
    /// Several steps at once (the slices of graduated tiers).
    fn record_many(&mut self, steps: impl FnOnce() -> Vec<(String, u32)>);
}

struct NoRecord;

impl Recorder for NoRecord {
    #[inline(always)]
    fn record(&mut self, _: impl FnOnce() -> String, _: u32) {}
    #[inline(always)]
    fn record_many(&mut self, _: impl FnOnce() -> Vec<(String, u32)>) {}
}

impl Recorder for Vec<ExplainStep> {
    fn record(&mut self, step: impl FnOnce() -> String, line: u32) {
        self.push(ExplainStep {
            step: step(),
            line: (line > 0).then_some(line),
        });
    }
    fn record_many(&mut self, steps: impl FnOnce() -> Vec<(String, u32)>) {
        for (step, line) in steps() {
            self.record(|| step, line);
        }
    }
}

/// Why a table could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    Io(String),
    Json(String),
    Schema { found: u32, expected: u32 },
    Checksum { stored: String, computed: String },
    Invalid(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "cannot read the table: {e}"),
            LoadError::Json(e) => write!(f, "the table is not valid rating-table JSON: {e}"),
            LoadError::Schema { found, expected } => write!(
                f,
                "the table has schema version {found}, but this pricebook reads version {expected}; recompile it with `pricebook compile`"
            ),
            LoadError::Checksum { stored, computed } => write!(
                f,
                "the table's checksum does not match its content (stored {stored}, computed {computed}); it was truncated or edited by hand: recompile it with `pricebook compile`"
            ),
            LoadError::Invalid(e) => write!(
                f,
                "the table is inconsistent: {e}; recompile it with `pricebook compile`"
            ),
        }
    }
}

impl std::error::Error for LoadError {}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The table's fields in declaration order with a given checksum: the same JSON as the table
/// itself, serialized without copying the table.
#[derive(Serialize)]
struct View<'a> {
    schema_version: u32,
    vendor: &'a str,
    version: &'a str,
    effective: &'a str,
    currency: &'a str,
    source_hash: &'a str,
    source: &'a str,
    checksum: &'a str,
    units: &'a [UnitEntry],
    dimensions: &'a [DimensionEntry],
    products: &'a [ProductEntry],
    plans: &'a [PlanEntry],
    packs: &'a [PackEntry],
    annual_front_load: Option<u32>,
    recharge: &'a Option<RechargeEntry>,
}

impl RatingTable {
    fn view<'a>(&'a self, checksum: &'a str) -> View<'a> {
        View {
            schema_version: self.schema_version,
            vendor: &self.vendor,
            version: &self.version,
            effective: &self.effective,
            currency: &self.currency,
            source_hash: &self.source_hash,
            source: &self.source,
            checksum,
            units: &self.units,
            dimensions: &self.dimensions,
            products: &self.products,
            plans: &self.plans,
            packs: &self.packs,
            annual_front_load: self.annual_front_load,
            recharge: &self.recharge,
        }
    }

    /// The checksum of the table's content (its compact JSON with an empty `checksum`).
    pub fn compute_checksum(&self) -> String {
        use sha2::Digest;
        struct Hashing(sha2::Sha256);
        impl std::io::Write for Hashing {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.update(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let view = self.view("");
        // serde_json writes a few bytes at a time; buffering them halves the cost of hashing.
        let mut h = std::io::BufWriter::with_capacity(1 << 16, Hashing(sha2::Sha256::new()));
        // Writing plain data into a hash cannot fail.
        let _ = serde_json::to_writer(&mut h, &view);
        let digest = match h.into_inner() {
            Ok(h) => h.0.finalize(),
            Err(_) => return String::new(), // unreachable: flushing into a hash cannot fail
        };
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Pretty JSON, with the checksum filled in. Objects are indented one field per line; arrays
    /// of plain values (a plan's availability list, a dimension's values) stay on one line, which
    /// keeps a large table's file less than half the size and quicker to load.
    pub fn to_json(&self) -> String {
        let checksum = self.compute_checksum();
        let mut out = Vec::with_capacity(1 << 16);
        let mut ser = serde_json::Serializer::with_formatter(&mut out, TableFormatter::default());
        // Serializing plain data into memory cannot fail.
        if self.view(&checksum).serialize(&mut ser).is_err() {
            return String::new();
        }
        // serde_json writes only valid UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Loads a table from JSON, refusing another schema version, a checksum that does not match
    /// and ids that point nowhere.
    pub fn from_json(json: &str) -> Result<RatingTable, LoadError> {
        let schema = |found: u32| LoadError::Schema {
            found,
            expected: SCHEMA_VERSION,
        };
        // One pass straight into the table (a generic JSON tree first would take as long again).
        // Only when that fails is the text read as plain JSON, so a table of another schema
        // version gets the schema message rather than a parse error.
        let table: RatingTable = match serde_json::from_str(json) {
            Ok(t) => t,
            Err(e) => {
                let probe: serde_json::Value =
                    serde_json::from_str(json).map_err(|e| LoadError::Json(e.to_string()))?;
                let found = probe
                    .get("schema_version")
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0) as u32;
                return Err(if found != SCHEMA_VERSION {
                    schema(found)
                } else {
                    LoadError::Json(e.to_string())
                });
            }
        };
        if table.schema_version != SCHEMA_VERSION {
            return Err(schema(table.schema_version));
        }
        let computed = table.compute_checksum();
        if computed != table.checksum {
            return Err(LoadError::Checksum {
                stored: table.checksum.clone(),
                computed,
            });
        }
        table.validate()?;
        Ok(table)
    }

    pub fn from_path(path: impl AsRef<Path>) -> Result<RatingTable, LoadError> {
        let text = std::fs::read_to_string(path.as_ref())
            .map_err(|e| LoadError::Io(format!("{}: {e}", path.as_ref().display())))?;
        Self::from_json(&text)
    }

    /// Every id in range, every cell table the right size: a table that passes can be quoted
    /// without bounds failures.
    fn validate(&self) -> Result<(), LoadError> {
        let bad = |m: String| Err(LoadError::Invalid(m));
        let nu = self.units.len() as u32;
        let unit_ok = |u: UnitId| u < nu;
        let cell_ok =
            |c: &RateCell| unit_ok(c.unit) && unit_ok(c.per_unit) && !c.per_base.is_zero();
        // Tiers as the checker leaves them: from 0, each starting where the previous one ends,
        // increasing, only the last open (quoting subtracts bounds, which must not overflow).
        let tiers_ok = |tiers: &[TierEntry]| {
            tiers.first().is_some_and(|t| t.from.is_zero())
                && tiers.windows(2).all(|w| w[0].to == Some(w[1].from))
                && tiers.iter().all(|t| t.to.is_none_or(|to| to > t.from))
        };
        for p in &self.products {
            if p.dims.len() != p.strides.len()
                || p.dims.iter().any(|d| {
                    self.dimensions
                        .get(*d as usize)
                        .is_none_or(|d| d.values.is_empty())
                })
            {
                return bad(format!("product `{}` has bad dimensions", p.slug));
            }
            // Row-major strides, as compiled; the number of cells fits a cell id.
            let mut cells = 1u32;
            for (d, stride) in p.dims.iter().zip(&p.strides).rev() {
                let size = u32::try_from(self.dimensions[*d as usize].values.len()).ok();
                match size.and_then(|n| cells.checked_mul(n)) {
                    Some(n) if *stride == cells => cells = n,
                    _ => return bad(format!("product `{}` has bad dimensions", p.slug)),
                }
            }
            let cells = cells as usize;
            match &p.pricing {
                PricingEntry::Cells { cells: c }
                    if c.len() != cells || c.iter().flatten().any(|c| !cell_ok(c)) =>
                {
                    return bad(format!("product `{}` has a bad rate table", p.slug));
                }
                PricingEntry::Tiered { tiers, .. }
                    if !tiers_ok(tiers) || tiers.iter().any(|t| !cell_ok(&t.rate)) =>
                {
                    return bad(format!("product `{}` has bad tiers", p.slug));
                }
                PricingEntry::Flat { unit, .. } if !unit_ok(*unit) => {
                    return bad(format!("product `{}` has a bad unit", p.slug));
                }
                _ => {}
            }
            if p.charge_unit.is_some_and(|u| !unit_ok(u)) {
                return bad(format!("product `{}` has a bad charge unit", p.slug));
            }
            if p.rounding.as_ref().is_some_and(|r| r.step <= Decimal::ZERO) {
                return bad(format!("product `{}` has a bad rounding step", p.slug));
            }
        }
        let grants_ok = |g: &[GrantEntry]| g.iter().all(|g| unit_ok(g.unit));
        for p in &self.plans {
            let commit_ok = p.commit.as_ref().is_none_or(|c| {
                c.included.is_none_or(|(_, u)| unit_ok(u))
                    && c.contract_rate.as_ref().is_none_or(cell_ok)
                    && c.overage.as_ref().is_none_or(cell_ok)
            });
            let empty_ok = match &p.when_empty {
                EmptyEntry::Overage { rate: Some(r) } => cell_ok(r),
                _ => true,
            };
            if !grants_ok(&p.grants) || !commit_ok || !empty_ok {
                return bad(format!(
                    "plan `{}` refers to things that do not exist",
                    p.slug
                ));
            }
            if p.available.len() != self.products.len()
                || p.overrides
                    .iter()
                    .any(|(i, c)| *i as usize >= self.products.len() || !cell_ok(c))
                || p.wallet_prices
                    .iter()
                    .any(|w| !unit_ok(w.unit) || w.granted.is_zero())
                || p.limits
                    .iter()
                    .any(|l| l.scope.iter().any(|i| *i as usize >= self.products.len()))
            {
                return bad(format!(
                    "plan `{}` refers to things that do not exist",
                    p.slug
                ));
            }
            for l in &p.limits {
                if let LimitKindEntry::DimensionMax { dimension, .. } = l.kind {
                    if dimension as usize >= self.dimensions.len() {
                        return bad(format!("plan `{}` has a bad limit", p.slug));
                    }
                }
            }
        }
        for p in &self.packs {
            if !grants_ok(&p.grants) || p.plans.iter().any(|i| *i as usize >= self.plans.len()) {
                return bad(format!(
                    "pack `{}` refers to things that do not exist",
                    p.slug
                ));
            }
        }
        if let Some(r) = &self.recharge {
            let units = [
                r.price.map(|p| p.2),
                r.below.map(|b| b.1),
                r.refill_to.map(|b| b.1),
                r.min_below.map(|b| b.1),
                r.min_refill.map(|b| b.1),
            ];
            if units.iter().flatten().any(|u| !unit_ok(*u)) {
                return bad("the auto recharge refers to units that do not exist".into());
            }
        }
        if self.units.iter().any(|u| u.factor <= Decimal::ZERO) {
            return bad("a unit has a non-positive factor".into());
        }
        // A charge keeps at most the 28 decimals an exact decimal has.
        if self.units.iter().any(|u| u.charge_dp > 28) {
            return bad("a unit has more than 28 charge decimals".into());
        }
        // Money is rounded to the currency's minor unit, which must be known.
        if crate::base::units::currency_digits(&self.currency).is_none() {
            return bad(format!("unknown currency `{}`", self.currency));
        }
        Ok(())
    }

    // --------------------------------------------------------------------------------------------
    // Names -> ids (once, off the hot path)

    /// The product a written name means: its slug or display name in any case, spacing or
    /// punctuation (`Sora 2 pro`, `sora2pro`).
    pub fn find_product(&self, name: &str) -> Result<ProductId, NameError> {
        let items = self
            .products
            .iter()
            .map(|p| (p.slug.as_str(), p.display.as_str()));
        find_named("product", name, items).map(|i| i as ProductId)
    }

    /// The plan a written name means (as [`find_product`](Self::find_product)).
    pub fn find_plan(&self, name: &str) -> Result<PlanId, NameError> {
        let items = self
            .plans
            .iter()
            .map(|p| (p.slug.as_str(), p.display.as_str()));
        find_named("plan", name, items).map(|i| i as PlanId)
    }

    /// The pack a written name means (as [`find_product`](Self::find_product)).
    pub fn find_pack(&self, name: &str) -> Result<PackId, NameError> {
        let items = self
            .packs
            .iter()
            .map(|p| (p.slug.as_str(), p.display.as_str()));
        find_named("pack", name, items).map(|i| i as PackId)
    }

    /// The unit a written name means: any case, plural, or a common abbreviation (`min`).
    pub fn find_unit(&self, name: &str) -> Result<UnitId, NameError> {
        resolve_unit(name, self.units.iter().map(|u| u.name.as_str())).map(|i| i as UnitId)
    }

    /// A product by name, as [`find_product`](Self::find_product) finds it.
    pub fn product_id(&self, name: &str) -> Option<ProductId> {
        self.find_product(name).ok()
    }

    /// A plan by name, as [`find_plan`](Self::find_plan) finds it.
    pub fn plan_id(&self, name: &str) -> Option<PlanId> {
        self.find_plan(name).ok()
    }

    /// The unit of exactly this name (a table's own unit names, as compiled).
    pub fn unit_id(&self, name: &str) -> Option<UnitId> {
        self.units
            .iter()
            .position(|u| u.name == name)
            .map(|i| i as UnitId)
    }

    pub fn unit_name(&self, id: UnitId) -> &str {
        self.units.get(id as usize).map_or("", |u| u.name.as_str())
    }

    /// The cell of `product` for dimension value indexes given in the product's `dims` order.
    pub fn cell_id(&self, product: ProductId, values: &[u32]) -> Option<CellId> {
        let p = self.products.get(product as usize)?;
        if values.len() != p.dims.len() {
            return None;
        }
        let mut cell = 0u32;
        for ((v, d), s) in values.iter().zip(&p.dims).zip(&p.strides) {
            if *v as usize >= self.dimensions[*d as usize].values.len() {
                return None;
            }
            cell += v * s;
        }
        Some(cell)
    }

    /// The cell for dimension arguments: `(Some("resolution"), "4K")` or a bare `(None, "4K")`
    /// when the value names its dimension unambiguously. Names and values match as people write
    /// them (`30FPS` is `30 fps`).
    pub fn resolve_cell(
        &self,
        product: ProductId,
        args: &[(Option<&str>, &str)],
    ) -> Result<CellId, Diagnostic> {
        let p = self.products.get(product as usize).ok_or_else(|| {
            Diagnostic::new(
                Code::UnknownReference,
                format!("no product with id {product}"),
            )
        })?;
        let name_of = |d: &u32| self.dimensions[*d as usize].name.clone();
        let mut values: Vec<Option<u32>> = vec![None; p.dims.len()];
        for (dim, value) in args {
            if p.dims.is_empty() {
                let given = match dim {
                    Some(d) => format!("{d}={value}"),
                    None => value.to_string(),
                };
                return Err(Diagnostic::no_dimensions(&p.slug, &given));
            }
            let positions: Vec<usize> = match dim {
                Some(d) => match p.dims.iter().position(|x| same_key(&name_of(x), d)) {
                    Some(pos) => vec![pos],
                    None => {
                        let dims: Vec<String> = p.dims.iter().map(name_of).collect();
                        return Err(Diagnostic::not_priced_by(&p.slug, d, &dims));
                    }
                },
                None => (0..p.dims.len()).collect(),
            };
            let hits: Vec<(usize, u32)> = positions
                .iter()
                .filter_map(|pos| {
                    let def = &self.dimensions[p.dims[*pos] as usize];
                    def.values
                        .iter()
                        .position(|x| same_key(x, value))
                        .map(|v| (*pos, v as u32))
                })
                .collect();
            match hits.as_slice() {
                [(pos, v)] if values[*pos].is_none() => values[*pos] = Some(*v),
                [(pos, _)] => {
                    return Err(Diagnostic::dimension_given_twice(&name_of(&p.dims[*pos])));
                }
                [] => {
                    let searched: Vec<(&str, &[String])> = positions
                        .iter()
                        .map(|pos| {
                            let def = &self.dimensions[p.dims[*pos] as usize];
                            (def.name.as_str(), def.values.as_slice())
                        })
                        .collect();
                    return Err(Diagnostic::unknown_dimension_value(
                        &p.slug, value, &searched,
                    ));
                }
                several => {
                    let dims: Vec<String> = several
                        .iter()
                        .map(|(pos, _)| name_of(&p.dims[*pos]))
                        .collect();
                    return Err(Diagnostic::ambiguous_dimension_value(value, &dims));
                }
            }
        }
        let mut out = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => out.push(*v),
                None => {
                    let def = &self.dimensions[p.dims[i] as usize];
                    return Err(Diagnostic::dimension_value_missing(
                        &p.slug,
                        &def.name,
                        &def.values,
                    ));
                }
            }
        }
        self.cell_id(product, &out)
            .ok_or_else(|| Diagnostic::new(Code::UnknownDimensionValue, "no such rate cell"))
    }

    /// A quantity of `product` in base units of its measure, from a value and a unit as written
    /// (`minutes`, `min`).
    pub fn base_quantity(
        &self,
        product: ProductId,
        value: Decimal,
        unit: &str,
    ) -> Result<Decimal, Diagnostic> {
        let p = self.products.get(product as usize).ok_or_else(|| {
            Diagnostic::new(
                Code::UnknownReference,
                format!("no product with id {product}"),
            )
        })?;
        let u = &self.units[self
            .find_unit(unit)
            .map_err(|e| Diagnostic::unknown_name(&e))? as usize];
        if u.dimension != p.measure {
            return Err(Diagnostic::unit_of_other_dimension(
                &u.name,
                &describe_dimension(&u.dimension),
                &p.slug,
                &describe_dimension(&p.measure),
            ));
        }
        value
            .checked_mul(u.factor)
            .ok_or_else(|| Diagnostic::quantity_too_large(&value.to_string(), &u.name))
    }

    // --------------------------------------------------------------------------------------------
    // Quoting

    /// Quotes `quantity` base units of `product` on `plan` in `cell`. Allocation-free.
    pub fn quote(
        &self,
        plan: Option<PlanId>,
        product: ProductId,
        cell: CellId,
        quantity: Decimal,
    ) -> Result<TableQuote, Rejection> {
        self.quote_with(plan, product, cell, quantity, &mut NoRecord)
    }

    /// Like [`quote`](Self::quote), with the chain of rules that produced the result.
    pub fn quote_explained(
        &self,
        plan: Option<PlanId>,
        product: ProductId,
        cell: CellId,
        quantity: Decimal,
    ) -> (Result<TableQuote, Rejection>, Vec<ExplainStep>) {
        let mut steps = Vec::new();
        let r = self.quote_with(plan, product, cell, quantity, &mut steps);
        (r, steps)
    }

    fn describe_rate(&self, r: &RateCell) -> String {
        let (amount, unit, per_unit) =
            (r.amount, self.unit_name(r.unit), self.unit_name(r.per_unit));
        if r.per == Decimal::ONE {
            format!("{amount} {unit} / {per_unit}")
        } else {
            format!("{amount} {unit} / {} {per_unit}", r.per)
        }
    }

    /// The name of the base unit of a measured dimension (`second` for time).
    pub fn base_unit(&self, dimension: &str) -> &str {
        self.units
            .iter()
            .find(|u| u.dimension == dimension && u.factor == Decimal::ONE)
            .map_or("", |u| u.name.as_str())
    }

    fn quote_with(
        &self,
        plan: Option<PlanId>,
        product: ProductId,
        cell: CellId,
        quantity: Decimal,
        rec: &mut impl Recorder,
    ) -> Result<TableQuote, Rejection> {
        let p = self
            .products
            .get(product as usize)
            .ok_or_else(|| reject(RejectionKind::Unknown, "unknown product", 0))?;
        let plan_entry = match plan {
            Some(i) => Some(
                self.plans
                    .get(i as usize)
                    .ok_or_else(|| reject(RejectionKind::Unknown, "unknown plan", 0))?,
            ),
            None => None,
        };
        if quantity < Decimal::ZERO {
            return Err(reject(
                RejectionKind::Negative,
                format!("quantity {quantity} is negative"),
                0,
            ));
        }
        if p.whole && !quantity.fract().is_zero() {
            return Err(reject(
                RejectionKind::Fractional,
                crate::base::quantity::fractional(quantity, self.base_unit(&p.measure)),
                0,
            ));
        }
        if let Some(pl) = plan_entry {
            if !pl.available[product as usize] {
                return Err(reject(
                    RejectionKind::NotAvailable,
                    format!("`{}` is not available on plan `{}`", p.slug, pl.slug),
                    pl.line,
                ));
            }
        }
        if let Some(min) = &p.min {
            if quantity < min.base {
                return Err(reject(
                    RejectionKind::Minimum,
                    format!("below the minimum of {}", min.text),
                    min.line,
                ));
            }
        }
        if let Some(max) = &p.max {
            if quantity > max.base {
                return Err(reject(
                    RejectionKind::Maximum,
                    format!("above the maximum of {}", max.text),
                    max.line,
                ));
            }
        }
        if let Some(pl) = plan_entry {
            self.check_limits(pl, product, p, cell, quantity)?;
            rec.record(
                || {
                    format!(
                        "`{}` is available on plan `{}`; limits hold",
                        p.slug, pl.slug
                    )
                },
                pl.line,
            );
        }
        let q = match &p.rounding {
            Some(r) => {
                let q = round_step(quantity, r).ok_or_else(|| {
                    reject(
                        RejectionKind::Overflow,
                        "arithmetic overflow while rounding the quantity",
                        r.line,
                    )
                })?;
                let base = self.base_unit(&p.measure);
                rec.record(
                    || {
                        let mode = format!("{:?}", r.mode).to_lowercase();
                        if q == quantity {
                            format!("{quantity} {base} is already a whole multiple of {} {base} (round {mode})", r.step)
                        } else {
                            format!("{quantity} {base} rounded {mode} to {q} {base} (multiples of {} {base})", r.step)
                        }
                    },
                    r.line,
                );
                q
            }
            None => quantity,
        };
        let rate_override = plan_entry
            .and_then(|pl| pl.overrides.iter().find(|(i, _)| *i == product))
            .map(|(_, r)| r);
        let base = self.base_unit(&p.measure);
        let (charge, unit) = match (rate_override, &p.pricing) {
            (Some(r), _) => {
                rec.record(|| format!("plan rate {}", self.describe_rate(r)), r.line);
                let charge = self.apply(q, r)?;
                rec.record(|| self.explain_product(q, base, r, charge), r.line);
                (charge, Some(r.unit))
            }
            (None, PricingEntry::Cells { cells }) => {
                let r = cells
                    .get(cell as usize)
                    .ok_or_else(|| reject(RejectionKind::Unknown, "no such rate cell", p.line))?
                    .as_ref()
                    .ok_or_else(|| {
                        reject(
                            RejectionKind::NotOffered,
                            "this combination of dimension values is not offered",
                            p.line,
                        )
                    })?;
                rec.record(
                    || match self.describe_cell(p, cell) {
                        Some(c) => format!("rate {} for {c}", self.describe_rate(r)),
                        None => format!("rate {}", self.describe_rate(r)),
                    },
                    r.line,
                );
                let charge = self.apply(q, r)?;
                rec.record(|| self.explain_product(q, base, r, charge), r.line);
                (charge, Some(r.unit))
            }
            (None, PricingEntry::Tiered { mode, tiers }) => {
                let unit = tiers[0].rate.unit;
                let charge = self.tiered(*mode, tiers, q)?;
                rec.record_many(|| self.explain_tiers(*mode, tiers, q, base, charge));
                (charge, Some(unit))
            }
            (
                None,
                PricingEntry::Flat {
                    amount, unit, line, ..
                },
            ) => {
                rec.record(
                    || format!("flat {amount} {} per event", self.unit_name(*unit)),
                    *line,
                );
                (self.canonical(*amount, *unit), Some(*unit))
            }
            (None, PricingEntry::Free { line }) => {
                rec.record(|| "free".to_string(), *line);
                (Decimal::ZERO, None)
            }
        };
        rec.record(
            || format!("charge {charge} {}", unit.map_or("", |u| self.unit_name(u))),
            0,
        );
        let money = match (unit, plan_entry) {
            (Some(u), _) if self.units[u as usize].is_money => Some(charge),
            (Some(u), Some(pl)) => match pl.wallet_prices.iter().find(|w| w.unit == u) {
                Some(w) => {
                    let m = charge
                        .checked_mul(w.price)
                        .and_then(|v| div_round(v, w.granted, self.currency_dp()))
                        .ok_or_else(|| {
                            reject(
                                RejectionKind::Overflow,
                                "arithmetic overflow while converting to money",
                                pl.price_line,
                            )
                        })?;
                    let m = round_charge(m, &self.currency);
                    rec.record(|| self.explain_money(charge, w, u, m), pl.price_line);
                    Some(m)
                }
                None => None,
            },
            _ => None,
        };
        Ok(TableQuote {
            charge,
            unit,
            money,
        })
    }

    fn currency_dp(&self) -> u32 {
        charge_dp(&self.currency)
    }

    fn canonical(&self, v: Decimal, unit: UnitId) -> Decimal {
        let u = &self.units[unit as usize];
        let mut v = v.round_dp_with_strategy(u.charge_dp, RoundingStrategy::MidpointAwayFromZero);
        if u.is_money {
            v.rescale(u.charge_dp);
            v
        } else {
            v.normalize()
        }
    }

    fn apply(&self, q: Decimal, r: &RateCell) -> Result<Decimal, Rejection> {
        let dp = self.units[r.unit as usize].charge_dp;
        let v = q
            .checked_mul(r.amount)
            .and_then(|n| div_round(n, r.per_base, dp))
            .ok_or_else(|| {
                reject(
                    RejectionKind::Overflow,
                    "arithmetic overflow while applying the rate",
                    r.line,
                )
            })?;
        Ok(self.canonical(v, r.unit))
    }

    fn tiered(
        &self,
        mode: TierMode,
        tiers: &[TierEntry],
        q: Decimal,
    ) -> Result<Decimal, Rejection> {
        let unit = tiers[0].rate.unit;
        match mode {
            TierMode::Graduated => {
                let mut total = Decimal::ZERO;
                for t in tiers {
                    if q <= t.from {
                        break;
                    }
                    let top = t.to.map_or(q, |to| to.min(q));
                    let part = (top - t.from)
                        .checked_mul(t.rate.amount)
                        .and_then(|v| v.checked_div(t.rate.per_base))
                        .ok_or_else(|| {
                            reject(
                                RejectionKind::Overflow,
                                "arithmetic overflow while applying a tier",
                                t.rate.line,
                            )
                        })?;
                    total = total.checked_add(part).ok_or_else(|| {
                        reject(
                            RejectionKind::Overflow,
                            "arithmetic overflow while summing tiers",
                            t.rate.line,
                        )
                    })?;
                }
                Ok(self.canonical(total, unit))
            }
            TierMode::Volume => {
                let t = tiers
                    .iter()
                    .find(|t| q >= t.from && t.to.is_none_or(|to| q < to))
                    .unwrap_or(&tiers[tiers.len() - 1]);
                // The rate's only failure is overflow; name the tier, as the reference does.
                self.apply(q, &t.rate).map_err(|_| {
                    reject(
                        RejectionKind::Overflow,
                        "arithmetic overflow while applying the tier",
                        t.rate.line,
                    )
                })
            }
        }
    }

    fn check_limits(
        &self,
        plan: &PlanEntry,
        product: ProductId,
        p: &ProductEntry,
        cell: CellId,
        quantity: Decimal,
    ) -> Result<(), Rejection> {
        for l in &plan.limits {
            if !l.scope.is_empty() && !l.scope.contains(&product) {
                continue;
            }
            match &l.kind {
                LimitKindEntry::PerEvent { dimension, max }
                    if *dimension == p.measure && quantity > *max =>
                {
                    return Err(reject(
                        RejectionKind::Limit,
                        format!("limit {} <= {} on plan `{}`", l.name, l.value, plan.slug),
                        l.line,
                    ));
                }
                LimitKindEntry::DimensionMax { dimension, max } => {
                    if let Some(pos) = p.dims.iter().position(|d| d == dimension) {
                        let values = &self.dimensions[*dimension as usize].values;
                        let value = (cell / p.strides[pos]) % values.len() as u32;
                        if value > *max {
                            return Err(reject(
                                RejectionKind::Limit,
                                format!(
                                    "limit {} <= {} on plan `{}` ({} asked)",
                                    l.name, l.value, plan.slug, values[value as usize]
                                ),
                                l.line,
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// How many whole `unit`s of a product a plan's recurring grant buys.
    pub fn capacity(
        &self,
        plan: PlanId,
        product: ProductId,
        cell: CellId,
        unit: &str,
    ) -> Result<Decimal, Rejection> {
        let pl = self
            .plans
            .get(plan as usize)
            .ok_or_else(|| reject(RejectionKind::Unknown, "unknown plan", 0))?;
        let p = self
            .products
            .get(product as usize)
            .ok_or_else(|| reject(RejectionKind::Unknown, "unknown product", 0))?;
        if !pl.available[product as usize] {
            return Err(reject(
                RejectionKind::NotAvailable,
                format!("`{}` is not available on plan `{}`", p.slug, pl.slug),
                pl.line,
            ));
        }
        let charge_unit = p.charge_unit.ok_or_else(|| {
            reject(
                RejectionKind::Free,
                "a free product has no capacity limit",
                p.line,
            )
        })?;
        let cu = &self.units[charge_unit as usize];
        // Grants per billing period of the price (a month without one), scaled by cadence.
        let period = match pl.price {
            PriceEntry::Amount { months, .. } if months > 0 => months,
            _ => 1,
        };
        let mut budget = Decimal::ZERO;
        for g in &pl.grants {
            let gu = &self.units[g.unit as usize];
            let Some(every) = g.every_months else {
                continue;
            };
            if gu.dimension != cu.dimension {
                continue;
            }
            budget = g
                .amount
                .checked_mul(gu.factor)
                .and_then(|v| v.checked_div(cu.factor))
                .and_then(|v| v.checked_mul(Decimal::from(period)))
                .and_then(|v| v.checked_div(Decimal::from(every)))
                .and_then(|v| budget.checked_add(v))
                .ok_or_else(|| {
                    reject(
                        RejectionKind::Overflow,
                        "arithmetic overflow while sizing the grant",
                        g.line,
                    )
                })?;
        }
        if budget.is_zero() {
            return Err(reject(
                RejectionKind::NoGrant,
                format!("plan `{}` has no recurring grant in `{}`", pl.slug, cu.name),
                pl.line,
            ));
        }
        let is_flat = matches!(p.pricing, PricingEntry::Flat { .. });
        let factor = match (&p.pricing, self.units.iter().find(|u| u.name == unit)) {
            (PricingEntry::Flat { per, .. }, _) => {
                let per_name = per.map_or("event", |u| self.unit_name(u));
                if per_name != unit {
                    return Err(reject(
                        RejectionKind::Unit,
                        format!(
                            "`{}` is priced per {per_name}: count its capacity in `{per_name}`",
                            p.slug
                        ),
                        0,
                    ));
                }
                Decimal::ONE
            }
            (_, Some(u)) if u.dimension == p.measure => u.factor,
            (_, Some(_)) => {
                return Err(reject(
                    RejectionKind::Unit,
                    format!(
                        "`{unit}` does not measure {}",
                        describe_dimension(&p.measure)
                    ),
                    0,
                ));
            }
            (_, None) => {
                return Err(reject(
                    RejectionKind::Unit,
                    format!("unknown unit `{unit}`"),
                    0,
                ));
            }
        };
        let cost = |n: Decimal| -> Result<Decimal, Rejection> {
            if is_flat {
                let PricingEntry::Flat { amount, .. } = &p.pricing else {
                    unreachable!("checked above")
                };
                return amount
                    .checked_mul(n)
                    .ok_or_else(|| reject(RejectionKind::Overflow, "arithmetic overflow", p.line));
            }
            let q = n
                .checked_mul(factor)
                .ok_or_else(|| reject(RejectionKind::Overflow, "arithmetic overflow", p.line))?;
            let q = match &p.rounding {
                Some(r) => round_step(q, r).ok_or_else(|| {
                    reject(RejectionKind::Overflow, "arithmetic overflow", r.line)
                })?,
                None => q,
            };
            match (pl.overrides.iter().find(|(i, _)| *i == product), &p.pricing) {
                (Some((_, r)), _) => self.apply(q, r),
                (None, PricingEntry::Cells { cells }) => {
                    match cells.get(cell as usize).and_then(|c| c.as_ref()) {
                        Some(r) => self.apply(q, r),
                        None => Err(reject(
                            RejectionKind::NotOffered,
                            "this combination of dimension values is not offered",
                            p.line,
                        )),
                    }
                }
                (None, PricingEntry::Tiered { mode, tiers }) => self.tiered(*mode, tiers, q),
                _ => Ok(Decimal::ZERO),
            }
        };
        let limit = Decimal::from(1_000_000_000_000_000_000i64);
        let (mut lo, mut hi) = (Decimal::ZERO, Decimal::ONE);
        while cost(hi)? <= budget {
            lo = hi;
            hi *= Decimal::TWO;
            if hi > limit {
                return Err(reject(
                    RejectionKind::Unbounded,
                    "capacity is unbounded",
                    p.line,
                ));
            }
        }
        while hi - lo > Decimal::ONE {
            let mid = ((lo + hi) / Decimal::TWO).floor();
            if cost(mid)? <= budget {
                lo = mid
            } else {
                hi = mid
            }
        }
        Ok(lo)
    }
}

/// A compiled dimension name as a person reads it: `time`, `clip`, `money (USD)`.
pub fn describe_dimension(d: &str) -> String {
    match d.split_once(':') {
        Some(("count", u)) => u.to_string(),
        Some(("money", c)) => format!("money ({c})"),
        _ => d.to_string(),
    }
}

fn reject(kind: RejectionKind, reason: impl Into<String>, line: u32) -> Rejection {
    Rejection::new(kind, reason).with_line(line)
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

/// How an open JSON array is laid out, decided by its first element.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ArrayLayout {
    /// No element written yet.
    Undecided,
    /// Plain values: `[1, 2, 3]` on one line.
    Inline,
    /// Objects or arrays: one element per indented line.
    Block,
}

/// An open container while writing a table.
#[derive(Clone, Copy)]
enum Frame {
    Object { has_value: bool },
    Array(ArrayLayout),
}

/// serde_json's pretty layout (two-space indent), except that arrays whose elements are plain
/// values stay on one line. An element's layout is only known when it starts, so the first
/// element's line break is held back until then (`pending`).
#[derive(Default)]
struct TableFormatter {
    indent: usize,
    frames: Vec<Frame>,
    pending: bool,
}

type IoResult = std::io::Result<()>;

impl TableFormatter {
    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W) -> IoResult {
        w.write_all(b"\n")?;
        for _ in 0..self.indent {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    /// Settles the layout of the array whose first element is starting: inline for a plain
    /// value, one per line for an object or array.
    fn settle<W: ?Sized + std::io::Write>(&mut self, w: &mut W, plain: bool) -> IoResult {
        if !std::mem::take(&mut self.pending) {
            return Ok(());
        }
        if let Some(Frame::Array(layout)) = self.frames.last_mut() {
            if plain {
                *layout = ArrayLayout::Inline;
            } else {
                *layout = ArrayLayout::Block;
                return self.newline(w);
            }
        }
        Ok(())
    }
}

/// Plain values: settle the enclosing array, then write as serde_json's compact formatter does.
macro_rules! plain_values {
    ($($name:ident($t:ty)),* $(,)?) => {$(
        fn $name<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: $t) -> IoResult {
            self.settle(w, true)?;
            serde_json::ser::CompactFormatter.$name(w, v)
        }
    )*};
}

impl serde_json::ser::Formatter for TableFormatter {
    plain_values!(
        write_bool(bool),
        write_i8(i8),
        write_i16(i16),
        write_i32(i32),
        write_i64(i64),
        write_i128(i128),
        write_u8(u8),
        write_u16(u16),
        write_u32(u32),
        write_u64(u64),
        write_u128(u128),
        write_f32(f32),
        write_f64(f64),
        write_number_str(&str),
        write_byte_array(&[u8]),
        write_raw_fragment(&str),
    );

    fn write_null<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        // In a table, `null` elements stand for absent objects (a matrix cell not offered), so
        // an array that starts with one is laid out like an array of objects.
        self.settle(w, false)?;
        w.write_all(b"null")
    }

    fn begin_string<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        self.settle(w, true)?;
        w.write_all(b"\"")
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        self.settle(w, false)?;
        self.indent += 1;
        self.frames.push(Frame::Array(ArrayLayout::Undecided));
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        self.indent = self.indent.saturating_sub(1);
        if let Some(Frame::Array(ArrayLayout::Block)) = self.frames.pop() {
            self.newline(w)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> IoResult {
        match self.frames.last() {
            Some(Frame::Array(ArrayLayout::Inline)) => w.write_all(if first { b"" } else { b", " }),
            Some(Frame::Array(ArrayLayout::Block)) => {
                if !first {
                    w.write_all(b",")?;
                }
                self.newline(w)
            }
            _ => {
                self.pending = true;
                Ok(())
            }
        }
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        self.settle(w, false)?;
        self.indent += 1;
        self.frames.push(Frame::Object { has_value: false });
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        self.indent = self.indent.saturating_sub(1);
        if let Some(Frame::Object { has_value: true }) = self.frames.pop() {
            self.newline(w)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> IoResult {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> IoResult {
        if let Some(Frame::Object { has_value }) = self.frames.last_mut() {
            *has_value = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::TableFormatter;
    use serde::Serialize;

    fn layout(v: &serde_json::Value) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, TableFormatter::default());
        v.serialize(&mut ser).expect("serializes");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn plain_arrays_stay_on_one_line_and_the_rest_is_indented() {
        let v = serde_json::json!({
            "flags": [true, false],
            "cells": [null, {"amount": "7", "dims": [0, 1]}],
            "rows": [[1, 2], []],
            "empty": [],
            "none": {},
            "name": "a \"quoted\" name"
        });
        let text = layout(&v);
        let expected = r#"{
  "cells": [
    null,
    {
      "amount": "7",
      "dims": [0, 1]
    }
  ],
  "empty": [],
  "flags": [true, false],
  "name": "a \"quoted\" name",
  "none": {},
  "rows": [
    [1, 2],
    []
  ]
}"#;
        assert_eq!(text, expected);
        let back: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, v);
    }
}
