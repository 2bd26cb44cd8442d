//! Loading a table: JSON in and out, the checksum, and the validation that makes every id in it safe to index.

use super::json::TableFormatter;
use super::*;

/// Why a table could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    Io(String),
    Json(String),
    Schema {
        found: u32,
        expected: u32,
    },
    Checksum {
        stored: String,
        computed: String,
    },
    Invalid(String),
    /// A binary table (`pricebook compile --target binary`) that is truncated or does not
    /// decode.
    Binary(String),
    /// A binary table of another layout version than this build reads.
    BinaryVersion {
        found: u32,
        expected: u32,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "cannot read the table: {e}"),
            LoadError::Json(e) => write!(f, "the table is not valid rating-table JSON: {e}"),
            LoadError::Schema { found, expected } => write!(
                f,
                "the table has schema version {found}, but this pricebook reads versions {OLDEST_READ_SCHEMA_VERSION} to {expected}; recompile it with `pricebook compile`"
            ),
            LoadError::Checksum { stored, computed } => write!(
                f,
                "the table's checksum does not match its content (stored {stored}, computed {computed}); it was truncated or edited by hand: recompile it with `pricebook compile`"
            ),
            LoadError::Invalid(e) => write!(
                f,
                "the table is inconsistent: {e}; recompile it with `pricebook compile`"
            ),
            LoadError::Binary(e) => write!(
                f,
                "the file is not a readable binary rating table: {e}; recompile it with `pricebook compile --target binary`"
            ),
            LoadError::BinaryVersion { found, expected } => write!(
                f,
                "the binary table has layout version {found}, but this pricebook reads version {expected}; recompile it with `pricebook compile --target binary`"
            ),
        }
    }
}

impl std::error::Error for LoadError {}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
}

/// A digest as lowercase hex.
pub(super) fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The table's fields in declaration order with a given checksum: the same JSON as the table
/// itself, serialized without copying the table.
#[derive(Serialize)]
struct View<'a> {
    schema_version: u32,
    vendor: &'a str,
    /// Written only for a list other than the main one (a table without it is the main list's).
    #[serde(skip_serializing_if = "is_main_list")]
    list: &'a str,
    version: &'a str,
    effective: &'a str,
    currency: &'a str,
    source_hash: &'a str,
    source: &'a str,
    checksum: &'a str,
    units: &'a [UnitEntry],
    dimensions: &'a [DimensionEntry],
    attributes: &'a [String],
    products: &'a [ProductEntry],
    plans: &'a [PlanEntry],
    packs: &'a [PackEntry],
    annual_front_load: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    existing_moves: &'a Option<crate::model::MoveRule>,
    #[serde(skip_serializing_if = "crate::model::SubscriptionRules::is_empty")]
    subscription: &'a crate::model::SubscriptionRules,
    recharge: &'a Option<RechargeEntry>,
}

/// Whether this build reads tables of schema `version`.
pub(super) fn reads_schema(version: u32) -> bool {
    (OLDEST_READ_SCHEMA_VERSION..=SCHEMA_VERSION).contains(&version)
}

fn is_main_list(list: &&str) -> bool {
    *list == crate::model::MAIN_LIST
}

impl RatingTable {
    fn view<'a>(&'a self, checksum: &'a str) -> View<'a> {
        View {
            schema_version: self.schema_version,
            vendor: &self.vendor,
            list: &self.list,
            version: &self.version,
            effective: &self.effective,
            currency: &self.currency,
            source_hash: &self.source_hash,
            source: &self.source,
            checksum,
            units: &self.units,
            dimensions: &self.dimensions,
            attributes: &self.attributes,
            products: &self.products,
            plans: &self.plans,
            packs: &self.packs,
            annual_front_load: self.annual_front_load,
            existing_moves: &self.existing_moves,
            subscription: &self.subscription,
            recharge: &self.recharge,
        }
    }

    /// Stores the checksum of the table's content, as a loaded table has it.
    pub(crate) fn seal(&mut self) {
        self.checksum = self.compute_checksum();
    }

    /// The checksum of the table's content (its compact JSON with an empty `checksum`).
    #[expect(
        clippy::expect_used,
        reason = "serializing plain data into a hash cannot fail: no maps with non-string keys, no I/O"
    )]
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
        // A table of an older schema is hashed as it was written, so its checksum still holds.
        let written = super::availability::writing_schema(self.schema_version, || {
            // serde_json writes a few bytes at a time; buffering them halves the cost of hashing.
            let mut h = std::io::BufWriter::with_capacity(1 << 16, Hashing(sha2::Sha256::new()));
            serde_json::to_writer(&mut h, &view).map(|()| h)
        });
        let digest = written
            .expect("a table serializes")
            .into_inner()
            .map_err(|e| e.into_error())
            .expect("flushing into a hash")
            .0
            .finalize();
        hex(&digest)
    }

    /// Pretty JSON, with the checksum filled in. Objects are indented one field per line; arrays
    /// of plain values (a plan's availability list, a dimension's values) stay on one line, which
    /// keeps a large table's file less than half the size and quicker to load.
    #[expect(
        clippy::expect_used,
        reason = "serializing plain data into memory cannot fail, and serde_json writes only UTF-8"
    )]
    pub fn to_json(&self) -> String {
        let checksum = self.compute_checksum();
        let mut out = Vec::with_capacity(1 << 16);
        let mut ser = serde_json::Serializer::with_formatter(&mut out, TableFormatter::default());
        super::availability::writing_schema(self.schema_version, || {
            self.view(&checksum).serialize(&mut ser)
        })
        .expect("a table serializes");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// Loads a table from JSON, refusing a schema version it does not read (it reads
    /// [`OLDEST_READ_SCHEMA_VERSION`] to [`SCHEMA_VERSION`]), a checksum that does not match and
    /// ids that point nowhere.
    pub fn from_json(json: &str) -> Result<RatingTable, LoadError> {
        let schema = |found: u32| LoadError::Schema {
            found,
            expected: SCHEMA_VERSION,
        };
        // One pass straight into the table (a generic JSON tree first would take as long again).
        // Only when that fails is the text read as plain JSON, so a table of another schema
        // version gets the schema message rather than a parse error.
        let data: TableData = match serde_json::from_str(json) {
            Ok(t) => t,
            Err(e) => {
                let probe: serde_json::Value =
                    serde_json::from_str(json).map_err(|e| LoadError::Json(e.to_string()))?;
                let found = probe
                    .get("schema_version")
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0) as u32;
                return Err(if !reads_schema(found) {
                    schema(found)
                } else {
                    LoadError::Json(e.to_string())
                });
            }
        };
        let table = RatingTable::unchecked(data);
        if !reads_schema(table.schema_version) {
            return Err(schema(table.schema_version));
        }
        // The text as written hashes to the checksum, or else the table written again must.
        if !super::text_hash::text_holds(json, &table.checksum) {
            let computed = table.compute_checksum();
            if computed != table.checksum {
                return Err(LoadError::Checksum {
                    stored: table.checksum.clone(),
                    computed,
                });
            }
        }
        table.validate()?;
        Ok(table)
    }

    /// Loads a table file, JSON or binary ([`from_bytes`](Self::from_bytes)).
    pub fn from_path(path: impl AsRef<Path>) -> Result<RatingTable, LoadError> {
        let bytes = std::fs::read(path.as_ref())
            .map_err(|e| LoadError::Io(format!("{}: {e}", path.as_ref().display())))?;
        Self::from_bytes(&bytes)
    }

    /// Every id in range, every cell table the right size: a table that passes can be quoted
    /// without bounds failures.
    pub(crate) fn validate(&self) -> Result<(), LoadError> {
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
        // Fees are money of the table's currency: never negative, a range low to high, and a
        // product's charged once.
        let fees_ok = |fees: &[FeeEntry], recurring: bool| {
            fees.iter().all(|f| {
                let amounts_ok = match f.amount {
                    crate::model::FeeAmountDef::Exact(a)
                    | crate::model::FeeAmountDef::AtLeast(a) => !a.is_sign_negative(),
                    crate::model::FeeAmountDef::Between(lo, hi) => {
                        !lo.is_sign_negative() && lo < hi
                    }
                };
                amounts_ok && f.every_months.is_none_or(|m| recurring && m > 0)
            })
        };
        for p in &self.products {
            if !fees_ok(&p.fees, false) {
                return bad(format!("product `{}` has a fee it cannot bill", p.slug));
            }
            // A dimension's fill is one of its values.
            if !p.fills.is_empty()
                && (p.fills.len() != p.dims.len()
                    || p.fills.iter().zip(&p.dims).any(|(f, d)| {
                        f.is_some_and(|v| {
                            self.dimensions
                                .get(*d as usize)
                                .is_none_or(|d| v as usize >= d.values.len())
                        })
                    }))
            {
                return bad(format!("product `{}` has bad dimension fills", p.slug));
            }
            // `bill at least|most`: never negative; a charge bound needs a charge unit.
            let b = &p.bill;
            let bounds = [
                &b.raise_quantity,
                &b.cap_quantity,
                &b.raise_charge,
                &b.cap_charge,
                &b.cap_period,
            ];
            let charge_bound =
                b.raise_charge.is_some() || b.cap_charge.is_some() || b.cap_period.is_some();
            if bounds
                .iter()
                .flat_map(|x| x.iter())
                .any(|x| x.base.is_sign_negative())
                || (charge_bound && p.charge_unit.is_none_or(|u| !unit_ok(u)))
            {
                return bad(format!("product `{}` has a bad `bill` bound", p.slug));
            }
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
        let grants_ok = |g: &[GrantEntry]| {
            g.iter()
                .all(|g| unit_ok(g.unit) && g.expiry_rule().is_some())
        };
        for p in &self.plans {
            if !fees_ok(&p.fees, true) {
                return bad(format!("plan `{}` has a fee it cannot bill", p.slug));
            }
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
                    "plan `{}` refers to things that do not exist or has a grant expiry it cannot read",
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
                || p.top_up
                    .as_ref()
                    .is_some_and(|t| !unit_ok(t.unit) || ExpiryRule::parse(&t.expiry).is_none())
                || p.allowances.iter().any(|a| {
                    !unit_ok(a.unit)
                        || a.scope.iter().any(|i| *i as usize >= self.products.len())
                        || matches!(&a.beyond, BeyondEntry::Overage { rate } if !cell_ok(rate))
                })
            {
                return bad(format!(
                    "plan `{}` refers to things that do not exist or has a grant expiry it cannot read",
                    p.slug
                ));
            }
            for l in &p.limits {
                let ok = match &l.kind {
                    LimitKindEntry::DimensionRange { dimension, lo, hi } => self
                        .dimensions
                        .get(*dimension as usize)
                        .is_some_and(|d| lo <= hi && (*hi as usize) < d.values.len()),
                    LimitKindEntry::Attribute { attribute, .. } => {
                        (*attribute as usize) < self.attributes.len()
                    }
                    _ => true,
                };
                if !ok {
                    return bad(format!("plan `{}` has a bad limit", p.slug));
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
            if r.plans
                .iter()
                .flatten()
                .any(|i| *i as usize >= self.plans.len())
            {
                return bad("the auto recharge refers to plans that do not exist".into());
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
        // A bill reads the grandfathering day as a date.
        if let Some(crate::model::MoveRule::On(day)) = &self.existing_moves {
            if crate::base::date::Date::parse(day).is_none() {
                return bad(format!(
                    "existing subscribers move on `{day}`, which is not a date"
                ));
            }
        }
        Ok(())
    }
}

/// Writes table JSON back with its checksum recomputed and nothing else checked: for tests of
/// the loader that need a table whose checksum holds and whose content does not.
#[doc(hidden)]
pub fn reseal(json: &str) -> Result<String, LoadError> {
    let data: TableData = serde_json::from_str(json).map_err(|e| LoadError::Json(e.to_string()))?;
    Ok(RatingTable::unchecked(data).to_json())
}

impl RatingTable {
    /// The table as read, before any check: only for checking it.
    fn unchecked(d: TableData) -> RatingTable {
        RatingTable {
            schema_version: d.schema_version,
            vendor: d.vendor,
            list: d.list,
            version: d.version,
            effective: d.effective,
            currency: d.currency,
            source_hash: d.source_hash,
            source: d.source,
            checksum: d.checksum,
            units: d.units,
            dimensions: d.dimensions,
            attributes: d.attributes,
            products: d.products,
            plans: d.plans,
            packs: d.packs,
            annual_front_load: d.annual_front_load,
            existing_moves: d.existing_moves,
            subscription: d.subscription,
            recharge: d.recharge,
        }
    }
}

/// Deserializing checks the schema version and the ids (not the checksum: see
/// [`RatingTable::from_json`]).
impl TryFrom<TableData> for RatingTable {
    type Error = LoadError;

    fn try_from(d: TableData) -> Result<RatingTable, LoadError> {
        let table = RatingTable::unchecked(d);
        if !reads_schema(table.schema_version) {
            return Err(LoadError::Schema {
                found: table.schema_version,
                expected: SCHEMA_VERSION,
            });
        }
        table.validate()?;
        Ok(table)
    }
}
