//! The compiled table as rows: one [`KeyRow`] per (version, plan, product, rate cell), with
//! every figure the pricing expression needs as an exact integer, and the small relations that
//! resolve a usage row's names to a key. Planning refuses (naming the product and the shape)
//! whatever it cannot hold exactly.

use super::SqlError;
use super::exact::{INPUT_SCALE, LIMIT, MIN_BASE_UNITS, Ratio, lcm, places, pow10, scaled};
use crate::base::money::EXACT_MONEY_DP;
use crate::base::rejection::unpublished_reason;
use crate::table::{
    LimitKindEntry, PlanEntry, PricingEntry, ProductEntry, RateCell, RatingTable, RoundMode,
    TierMode, TierScope,
};
use rust_decimal::Decimal;

/// Everything the script is made of.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// Ticks per base unit are `10^tick_scale`.
    pub tick_scale: u32,
    /// The usage table's dimension columns, by name: every dimension of every version.
    pub dims: Vec<String>,
    pub versions: Vec<VersionRow>,
    pub names: Vec<NameRow>,
    pub products: Vec<ProductRow>,
    pub units: Vec<UnitRow>,
    pub dim_values: Vec<DimValueRow>,
    pub keys: Vec<KeyRow>,
    /// Check columns per key (the most any key needs).
    pub checks: usize,
    /// Tier columns per key.
    pub tiers: usize,
    /// Places of `charge_exact`, `charge` and `money`.
    pub exact_scale: u32,
    pub display_scale: u32,
    pub money_scale: u32,
    /// The largest quantity (nano-units of the unit written) the script converts to ticks.
    pub max_nanos: i128,
    /// The currency's unit, for the zero total of an account charged only free usage.
    pub currency_unit: Option<String>,
    /// Products left unpriced (their rows rejected), by version label, when refusals are
    /// skipped.
    pub refused: Vec<(String, SqlError)>,
}

#[derive(Debug, Clone)]
pub(super) struct VersionRow {
    pub index: i128,
    pub vendor: String,
    pub list: String,
    pub version: String,
    /// In force from this day (`None`: from the beginning, a single book).
    pub from: Option<String>,
    /// Until the next version's day.
    pub until: Option<String>,
    pub source_hash: String,
    pub currency: String,
}

/// A written name's key (`name_key`) and what it names in a version.
#[derive(Debug, Clone)]
pub(super) struct NameRow {
    pub version: i128,
    pub kind: &'static str,
    pub key: String,
    pub id: i128,
}

#[derive(Debug, Clone)]
pub(super) struct ProductRow {
    pub version: i128,
    pub id: i128,
    pub slug: String,
    /// Per usage dimension column: whether the product is priced by it, and its fill value.
    pub uses: Vec<bool>,
    pub fills: Vec<Option<String>>,
}

#[derive(Debug, Clone)]
pub(super) struct UnitRow {
    pub version: i128,
    pub product: i128,
    /// The written unit's key; empty for none (the product's base unit).
    pub key: String,
    pub unit: String,
    /// Ticks per nano-unit of the unit written.
    pub factor: i128,
}

#[derive(Debug, Clone)]
pub(super) struct DimValueRow {
    pub version: i128,
    pub dim: i128,
    pub key: String,
    pub value: String,
}

/// A quantity check: the quantity (ticks) must lie within the bounds, else `reason`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Check {
    pub lo: Option<(i128, bool)>,
    pub hi: Option<(i128, bool)>,
    pub reason: String,
}

impl Check {
    /// A check no quantity passes: the key always rejects, for `reason`.
    fn always(reason: String) -> Check {
        Check {
            lo: Some((1, false)),
            hi: Some((0, false)),
            reason,
        }
    }
}

/// One tier: bounds in ticks and its ratio (graduated tiers share one denominator `b`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TierRow {
    pub from: i128,
    pub to: Option<i128>,
    pub a: i128,
    pub b: i128,
}

#[derive(Debug, Clone)]
pub(super) struct KeyRow {
    pub id: i128,
    pub version: i128,
    /// -1 for no plan.
    pub plan: i128,
    pub plan_slug: String,
    pub product: i128,
    pub product_slug: String,
    /// Per usage dimension column: the cell's value, empty where the product has no such
    /// dimension.
    pub dims: Vec<String>,
    /// `rate`, `graduated`, `volume`, `flat`, `free` or `reject`.
    pub kind: &'static str,
    pub period_tiers: bool,
    pub charge_unit: Option<String>,
    pub is_money: bool,
    pub exact_dp: u32,
    pub display_dp: u32,
    /// Exact minor units per shown minor unit (money: `10^(12 - 2)`; otherwise 1).
    pub display_div: i128,
    /// Multipliers to the script-wide scales of `charge_exact` and `charge`.
    pub exact_up: i128,
    pub display_up: i128,
    /// Ticks per whole base unit, when quantities must be whole.
    pub whole: Option<i128>,
    pub base_unit: String,
    pub checks: Vec<Check>,
    pub max_ticks: i128,
    pub raise_quantity: Option<i128>,
    pub cap_quantity: Option<i128>,
    pub step: i128,
    pub bias: i128,
    pub rate: Option<Ratio>,
    pub tiers: Vec<TierRow>,
    pub flat: Option<i128>,
    pub raise_charge: Option<i128>,
    pub cap_charge: Option<i128>,
    pub cap_period: Option<i128>,
    /// Shown minor units of the charge to minor units of the currency.
    pub money: Option<Ratio>,
}

impl KeyRow {
    /// A key row that prices nothing yet: every figure at its neutral value, for the caller to
    /// fill in (or to leave, for a key that rejects).
    #[expect(
        clippy::too_many_arguments,
        reason = "the identity of a key row, field by field"
    )]
    fn unpriced(
        version: i128,
        plan_id: Option<i128>,
        pl: Option<&PlanEntry>,
        product: usize,
        p: &ProductEntry,
        dims: Vec<String>,
        kind: &'static str,
        base_unit: String,
    ) -> KeyRow {
        KeyRow {
            id: 0,
            version,
            plan: plan_id.unwrap_or(-1),
            plan_slug: pl.map(|p| p.slug.clone()).unwrap_or_default(),
            product: product as i128,
            product_slug: p.slug.clone(),
            dims,
            kind,
            period_tiers: false,
            charge_unit: None,
            is_money: false,
            exact_dp: 0,
            display_dp: 0,
            display_div: 1,
            exact_up: 1,
            display_up: 1,
            whole: None,
            base_unit,
            checks: Vec::new(),
            max_ticks: LIMIT / 4,
            raise_quantity: None,
            cap_quantity: None,
            step: 1,
            bias: 0,
            rate: None,
            tiers: Vec::new(),
            flat: None,
            raise_charge: None,
            cap_charge: None,
            cap_period: None,
            money: None,
        }
    }
}

/// Plans the script for the versions of one price list, oldest first.
pub(super) fn plan(versions: &[RatingTable], skip_refused: bool) -> Result<Plan, SqlError> {
    let first = versions
        .first()
        .ok_or_else(|| SqlError::books("no book to compile"))?;
    for t in versions {
        if t.vendor() != first.vendor() || t.list() != first.list() {
            return Err(SqlError::books(format!(
                "the books are of several price lists (`{}` {} and `{}` {}); compile one list's books at a time",
                first.vendor(),
                first.list(),
                t.vendor(),
                t.list()
            )));
        }
        if t.currency() != first.currency() {
            return Err(SqlError::books(format!(
                "version {} bills in {} and version {} in {}; one script totals one currency",
                first.version(),
                first.currency(),
                t.version(),
                t.currency()
            )));
        }
    }
    let tick_scale = tick_scale(versions)?;
    let mut dims: Vec<String> = Vec::new();
    for t in versions {
        for d in t.dimensions() {
            if !dims.iter().any(|x| x == &d.name) {
                dims.push(d.name.clone());
            }
        }
    }
    let mut plan = Plan {
        tick_scale,
        dims,
        versions: Vec::new(),
        names: Vec::new(),
        products: Vec::new(),
        units: Vec::new(),
        dim_values: Vec::new(),
        keys: Vec::new(),
        checks: 0,
        tiers: 0,
        exact_scale: 0,
        display_scale: 0,
        money_scale: crate::base::money::charge_dp(first.currency()),
        max_nanos: 0,
        currency_unit: first
            .unit_id(first.currency())
            .map(|_| first.currency().to_string()),
        refused: Vec::new(),
    };
    let mut max_factor = 1i128;
    for (vi, t) in versions.iter().enumerate() {
        let v = vi as i128;
        plan.versions.push(VersionRow {
            index: v,
            vendor: t.vendor().to_string(),
            list: t.list().to_string(),
            version: t.version().to_string(),
            from: (versions.len() > 1).then(|| t.effective().to_string()),
            until: versions.get(vi + 1).map(|n| n.effective().to_string()),
            source_hash: t.source_hash().to_string(),
            currency: t.currency().to_string(),
        });
        names(&mut plan, t, v);
        for dim in t.dimensions() {
            let col = column_of(&plan.dims, &dim.name);
            for value in &dim.values {
                let key = key_of(value);
                let unique = dim.values.iter().filter(|x| key_of(x) == key).count() == 1;
                if unique && !key.is_empty() {
                    plan.dim_values.push(DimValueRow {
                        version: v,
                        dim: col,
                        key,
                        value: value.clone(),
                    });
                }
            }
        }
        for (pi, p) in t.products().iter().enumerate() {
            let mut uses = vec![false; plan.dims.len()];
            let mut fills = vec![None; plan.dims.len()];
            for (pos, d) in p.dims.iter().enumerate() {
                let dim = &t.dimensions()[*d as usize];
                let col = column_of(&plan.dims, &dim.name) as usize;
                uses[col] = true;
                fills[col] = p
                    .fills
                    .get(pos)
                    .copied()
                    .flatten()
                    .and_then(|i| dim.values.get(i as usize).cloned());
            }
            plan.products.push(ProductRow {
                version: v,
                id: pi as i128,
                slug: p.slug.clone(),
                uses,
                fills,
            });
            for u in t.units().iter().filter(|u| u.dimension == p.measure) {
                let factor = scaled(u.factor, tick_scale - INPUT_SCALE).ok_or_else(|| {
                    SqlError::unrepresentable(
                        &p.slug,
                        format!(
                            "unit `{}` of `{}` is not a whole number of ticks",
                            u.name, p.slug
                        ),
                    )
                })?;
                max_factor = max_factor.max(factor);
                let mut spellings = vec![key_of(&u.name)];
                let k = key_of(&u.name);
                spellings.push(format!("{k}s"));
                spellings.push(format!("{k}es"));
                for (abbr, full) in crate::base::units::ABBREVIATIONS {
                    if key_of(full) == k {
                        spellings.push(abbr.to_string());
                    }
                }
                // Keep the spellings the library itself reads as this unit.
                for s in dedup(spellings) {
                    if t.find_unit(&s).ok().map(|i| &t.units()[i as usize].name) == Some(&u.name) {
                        plan.units.push(UnitRow {
                            version: v,
                            product: pi as i128,
                            key: s,
                            unit: u.name.clone(),
                            factor,
                        });
                    }
                }
                if u.factor == Decimal::ONE {
                    plan.units.push(UnitRow {
                        version: v,
                        product: pi as i128,
                        key: String::new(),
                        unit: u.name.clone(),
                        factor,
                    });
                }
            }
        }
        let plan_slots: Vec<Option<&PlanEntry>> = if t.plans().is_empty() {
            vec![None]
        } else {
            t.plans().iter().map(Some).collect()
        };
        for (pi, p) in t.products().iter().enumerate() {
            let cells = cell_count(t, p);
            let mut rows = Vec::new();
            let mut refusal = None;
            'slots: for (si, pl) in plan_slots.iter().enumerate() {
                for cell in 0..cells {
                    match key_row(
                        t,
                        v,
                        pl.map(|_| si as i128),
                        *pl,
                        pi,
                        p,
                        cell,
                        tick_scale,
                        &plan.dims,
                    ) {
                        Ok(row) => rows.push(row),
                        Err(e) => {
                            refusal = Some(e);
                            break 'slots;
                        }
                    }
                }
            }
            if let Some(e) = refusal {
                if !skip_refused {
                    return Err(e);
                }
                // Every key of the product rejects, with the refusal as its reason.
                rows.clear();
                for (si, pl) in plan_slots.iter().enumerate() {
                    for cell in 0..cells {
                        let mut row =
                            refused_row(t, v, pl.map(|_| si as i128), *pl, pi, p, cell, &plan.dims);
                        row.checks =
                            vec![Check::always(format!("not priced in SQL: {}", e.message))];
                        rows.push(row);
                    }
                }
                plan.refused.push((t.version().to_string(), e));
            }
            for mut row in rows {
                row.id = plan.keys.len() as i128;
                plan.keys.push(row);
            }
        }
    }
    plan.checks = plan.keys.iter().map(|k| k.checks.len()).max().unwrap_or(0);
    plan.tiers = plan.keys.iter().map(|k| k.tiers.len()).max().unwrap_or(0);
    plan.exact_scale = plan.keys.iter().map(|k| k.exact_dp).max().unwrap_or(0);
    plan.display_scale = plan.keys.iter().map(|k| k.display_dp).max().unwrap_or(0);
    for k in &mut plan.keys {
        k.exact_up = pow10(plan.exact_scale - k.exact_dp).unwrap_or(1);
        k.display_up = pow10(plan.display_scale - k.display_dp).unwrap_or(1);
    }
    plan.max_nanos = LIMIT / max_factor.max(1);
    Ok(plan)
}

/// The key the library compares names by, for ASCII names (what the script computes).
pub(super) fn key_of(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn column_of(dims: &[String], name: &str) -> i128 {
    dims.iter().position(|d| d == name).unwrap_or(0) as i128
}

/// Plans' and products' names: slugs, display names and aliases, each kept only when the
/// library reads it as that item (so an ambiguous name stays unresolved, as in `rate`). The
/// empty name is the plan a line without one means: the only plan, or none in a book without
/// plans.
fn names(plan: &mut Plan, t: &RatingTable, v: i128) {
    for (i, p) in t.plans().iter().enumerate() {
        for n in dedup(vec![key_of(&p.slug), key_of(&p.display)]) {
            if !n.is_empty() && t.find_plan(&n).ok() == Some(i as u32) {
                plan.names.push(NameRow {
                    version: v,
                    kind: "plan",
                    key: n,
                    id: i as i128,
                });
            }
        }
    }
    match t.plans().len() {
        0 => plan.names.push(NameRow {
            version: v,
            kind: "plan",
            key: String::new(),
            id: -1,
        }),
        1 => plan.names.push(NameRow {
            version: v,
            kind: "plan",
            key: String::new(),
            id: 0,
        }),
        _ => {}
    }
    for (i, p) in t.products().iter().enumerate() {
        let mut all = vec![key_of(&p.slug), key_of(&p.display)];
        all.extend(p.aliases.iter().map(|a| key_of(a)));
        for n in dedup(all) {
            if !n.is_empty() && t.find_product(&n).ok() == Some(i as u32) {
                plan.names.push(NameRow {
                    version: v,
                    kind: "product",
                    key: n,
                    id: i as i128,
                });
            }
        }
    }
}

fn cell_count(t: &RatingTable, p: &ProductEntry) -> u32 {
    p.dims
        .iter()
        .map(|d| t.dimensions()[*d as usize].values.len() as u32)
        .product::<u32>()
        .max(1)
}

/// Ticks per base unit: enough places for every unit factor applied to a quantity of 9
/// decimals, and for every bound, step and tier edge of the table.
fn tick_scale(versions: &[RatingTable]) -> Result<u32, SqlError> {
    let mut scale = INPUT_SCALE;
    let mut need = |v: Decimal, extra: u32| scale = scale.max(places(v) + extra);
    for t in versions {
        for u in t.units() {
            need(u.factor, INPUT_SCALE);
        }
        for p in t.products() {
            for b in [&p.min, &p.max].into_iter().flatten() {
                need(b.base, 0);
            }
            for b in [&p.bill.raise_quantity, &p.bill.cap_quantity]
                .into_iter()
                .flatten()
            {
                need(b.base, 0);
            }
            if let Some(r) = &p.rounding {
                need(r.step, 0);
            }
            if let PricingEntry::Tiered { tiers, .. } = &p.pricing {
                for tier in tiers {
                    need(tier.from, 0);
                    if let Some(to) = tier.to {
                        need(to, 0);
                    }
                }
            }
        }
        for pl in t.plans() {
            for l in &pl.limits {
                if let LimitKindEntry::PerEvent { bound, .. } = &l.kind {
                    for e in [&bound.lo, &bound.hi].into_iter().flatten() {
                        need(e.value, 0);
                    }
                }
            }
        }
    }
    if scale > 18 {
        return Err(SqlError::books(format!(
            "a quantity of the book needs {scale} decimals of its base unit; the script holds 18"
        )));
    }
    Ok(scale)
}

fn ticks(v: Decimal, s: u32, product: &str, what: &str) -> Result<i128, SqlError> {
    scaled(v, s).ok_or_else(|| {
        SqlError::unrepresentable(
            product,
            format!("{what} of `{product}` ({v}) needs more than 38 digits"),
        )
    })
}

#[expect(
    clippy::too_many_arguments,
    reason = "a key is a version, plan, product and cell of one table"
)]
fn key_row(
    t: &RatingTable,
    version: i128,
    plan_id: Option<i128>,
    pl: Option<&PlanEntry>,
    product: usize,
    p: &ProductEntry,
    cell: u32,
    s: u32,
    dim_columns: &[String],
) -> Result<KeyRow, SqlError> {
    let slug = p.slug.as_str();
    let base = t.base_unit(&p.measure).to_string();
    let mut dims = vec![String::new(); dim_columns.len()];
    let mut values = Vec::new();
    for (pos, d) in p.dims.iter().enumerate() {
        let dim = &t.dimensions()[*d as usize];
        let n = dim.values.len().max(1) as u32;
        let value = (cell / p.strides[pos]) % n;
        values.push(value);
        dims[column_of(dim_columns, &dim.name) as usize] =
            dim.values.get(value as usize).cloned().unwrap_or_default();
    }
    let mut checks = Vec::new();
    if let Some(pl) = pl {
        if !pl.available.get(product).copied().unwrap_or(false) {
            checks.push(Check::always(format!(
                "`{}` is not available on plan `{}`",
                p.slug, pl.slug
            )));
        }
    }
    if let Some(min) = &p.min {
        checks.push(Check {
            lo: Some((ticks(min.base, s, slug, "the minimum")?, true)),
            hi: None,
            reason: format!("below the minimum of {}", min.text),
        });
    }
    if let Some(max) = &p.max {
        checks.push(Check {
            lo: None,
            hi: Some((ticks(max.base, s, slug, "the maximum")?, true)),
            reason: format!("above the maximum of {}", max.text),
        });
    }
    if let Some(pl) = pl {
        for l in &pl.limits {
            if !l.scope.is_empty() && !l.scope.contains(&(product as u32)) {
                continue;
            }
            match &l.kind {
                LimitKindEntry::PerEvent { dimension, bound } if *dimension == p.measure => {
                    let edge = |e: &Option<crate::base::interval::Edge<Decimal>>| {
                        e.as_ref()
                            .map(|e| ticks(e.value, s, slug, "a limit").map(|v| (v, e.inclusive)))
                            .transpose()
                    };
                    checks.push(Check {
                        lo: edge(&bound.lo)?,
                        hi: edge(&bound.hi)?,
                        reason: format!("limit {} on plan `{}`", l.describe(), pl.slug),
                    });
                }
                LimitKindEntry::DimensionRange { dimension, lo, hi } => {
                    if let Some(pos) = p.dims.iter().position(|d| d == dimension) {
                        let value = values[pos];
                        if value < *lo || value > *hi {
                            let name = &t.dimensions()[*dimension as usize].values;
                            checks.push(Check::always(format!(
                                "limit {} on plan `{}` ({} asked)",
                                l.describe(),
                                pl.slug,
                                name.get(value as usize).map_or("", String::as_str)
                            )));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let rate_override = pl.and_then(|pl| pl.overrides.iter().find(|(i, _)| *i as usize == product));
    let mut row = KeyRow {
        whole: if p.whole { pow10(s) } else { None },
        checks,
        raise_quantity: p
            .bill
            .raise_quantity
            .as_ref()
            .map(|b| ticks(b.base, s, slug, "`bill at least`"))
            .transpose()?,
        cap_quantity: p
            .bill
            .cap_quantity
            .as_ref()
            .map(|b| ticks(b.base, s, slug, "`bill at most`"))
            .transpose()?,
        ..KeyRow::unpriced(version, plan_id, pl, product, p, dims, "free", base)
    };
    if let Some(r) = &p.rounding {
        let step = ticks(r.step, s, slug, "the rounding step")?;
        if step <= 0 {
            return Err(SqlError::unsupported(
                slug,
                format!("`{slug}` rounds to a step of {}", r.step),
            ));
        }
        row.step = step;
        row.bias = match r.mode {
            RoundMode::Up => 2 * step - 2,
            RoundMode::Down => 0,
            RoundMode::Nearest => step,
        };
    }
    let mut unit = None;
    let refuse_rate = |what: &str| {
        SqlError::unrepresentable(
            slug,
            format!("{what} of `{slug}` cannot be held as an exact ratio of 38-digit integers"),
        )
    };
    match (rate_override, &p.pricing) {
        (Some((_, r)), _) => {
            row.kind = "rate";
            unit = Some(r.unit);
            row.rate = Some(rate_ratio(t, r, s).ok_or_else(|| refuse_rate("the plan rate"))?);
        }
        (None, PricingEntry::Cells { cells }) => match cells.get(cell as usize) {
            Some(Some(r)) => {
                row.kind = "rate";
                unit = Some(r.unit);
                row.rate = Some(rate_ratio(t, r, s).ok_or_else(|| refuse_rate("the rate"))?);
            }
            _ => {
                row.kind = "reject";
                row.checks.push(Check::always(
                    "this combination of dimension values is not offered".to_string(),
                ));
            }
        },
        (None, PricingEntry::Tiered { mode, scope, tiers }) => {
            let u = tiers.first().map(|x| x.rate.unit).ok_or_else(|| {
                SqlError::unsupported(slug, format!("`{slug}` has tiers without a tier"))
            })?;
            if tiers.iter().any(|x| x.rate.unit != u) {
                return Err(SqlError::unsupported(
                    slug,
                    format!("the tiers of `{slug}` charge in several units"),
                ));
            }
            unit = Some(u);
            row.period_tiers = *scope == TierScope::Period;
            if row.period_tiers && (p.bill.raise_charge.is_some() || p.bill.cap_charge.is_some()) {
                return Err(SqlError::unsupported(
                    slug,
                    format!(
                        "`{slug}` has tiers over the period and a per-event `bill` bound on its charge"
                    ),
                ));
            }
            let ratios: Vec<Ratio> = tiers
                .iter()
                .map(|x| rate_ratio(t, &x.rate, s).ok_or_else(|| refuse_rate("a tier")))
                .collect::<Result<_, _>>()?;
            let edges: Vec<(i128, Option<i128>)> = tiers
                .iter()
                .map(|x| {
                    Ok((
                        ticks(x.from, s, slug, "a tier")?,
                        x.to.map(|to| ticks(to, s, slug, "a tier")).transpose()?,
                    ))
                })
                .collect::<Result<_, SqlError>>()?;
            match mode {
                TierMode::Volume => {
                    row.kind = "volume";
                    row.tiers = edges
                        .iter()
                        .zip(&ratios)
                        .map(|((from, to), r)| TierRow {
                            from: *from,
                            to: *to,
                            a: r.a,
                            b: r.b,
                        })
                        .collect();
                    row.max_ticks = ratios.iter().map(Ratio::max_quantity).min().unwrap_or(0);
                }
                TierMode::Graduated => {
                    row.kind = "graduated";
                    let mut den = 1i128;
                    for r in &ratios {
                        den = lcm(den, r.b)
                            .filter(|d| *d < LIMIT)
                            .ok_or_else(|| refuse_rate("the tiers"))?;
                    }
                    let mut sum = 0i128;
                    for ((from, to), r) in edges.iter().zip(&ratios) {
                        let c =
                            r.a.checked_mul(den / r.b)
                                .filter(|c| *c < LIMIT)
                                .ok_or_else(|| refuse_rate("the tiers"))?;
                        sum = sum.checked_add(c).ok_or_else(|| refuse_rate("the tiers"))?;
                        row.tiers.push(TierRow {
                            from: *from,
                            to: *to,
                            a: c,
                            b: den,
                        });
                    }
                    row.max_ticks = Ratio { a: sum, b: den }.max_quantity();
                }
            }
        }
        (
            None,
            PricingEntry::Flat {
                amount, unit: u, ..
            },
        ) => {
            row.kind = "flat";
            unit = Some(*u);
            let dp = t.exact_dp(*u);
            let v = t.exact(*amount, *u);
            row.flat = Some(scaled(v, dp).ok_or_else(|| refuse_rate("the flat charge"))?);
        }
        (None, PricingEntry::Free { .. }) => row.kind = "free",
        (None, PricingEntry::Unpublished { .. }) => {
            row.kind = "reject";
            row.checks.push(Check::always(unpublished_reason(&p.slug)));
        }
    }
    if let Some(r) = &row.rate {
        row.max_ticks = row.max_ticks.min(r.max_quantity());
    }
    row.max_ticks = row.max_ticks.min((LIMIT - row.bias) / 2 - row.step);
    if let Some(u) = unit {
        let entry = &t.units()[u as usize];
        row.charge_unit = Some(entry.name.clone());
        row.is_money = entry.is_money;
        row.exact_dp = t.exact_dp(u);
        row.display_dp = entry.charge_dp;
        row.display_div = pow10(row.exact_dp.saturating_sub(entry.charge_dp)).unwrap_or(1);
        let bounded = !p.bill.is_empty() && p.charge_unit == Some(u);
        let charge_ticks = |b: &Option<crate::table::BoundEntry>| {
            b.as_ref()
                .map(|b| scaled(b.base, row.exact_dp).ok_or_else(|| refuse_rate("a `bill` bound")))
                .transpose()
        };
        if bounded {
            row.raise_charge = charge_ticks(&p.bill.raise_charge)?;
            row.cap_charge = charge_ticks(&p.bill.cap_charge)?;
            row.cap_period = charge_ticks(&p.bill.cap_period)?;
        } else if p.bill.cap_period.is_some() {
            return Err(SqlError::unsupported(
                slug,
                format!("`{slug}` caps its charges per period in a unit it does not charge in"),
            ));
        }
        if !entry.is_money {
            if let Some(w) = pl.and_then(|pl| pl.wallet_prices.iter().find(|w| w.unit == u)) {
                let cdp = crate::base::money::charge_dp(t.currency());
                let m = (|| {
                    let (pm, ps) = (w.price.mantissa(), w.price.scale());
                    let (gm, gs) = (w.granted.mantissa(), w.granted.scale());
                    Ratio::reduced(
                        pm.checked_mul(pow10(cdp + gs)?)?,
                        gm.checked_mul(pow10(entry.charge_dp + ps)?)?,
                    )
                })()
                .ok_or_else(|| refuse_rate("the plan's money per wallet unit"))?;
                row.money = Some(m);
            }
        }
        fit_charges(&mut row).ok_or_else(|| refuse_rate("the charge"))?;
    } else if p.bill.cap_period.is_some() {
        return Err(SqlError::unsupported(
            slug,
            format!("`{slug}` is free but capped per period"),
        ));
    }
    if row.max_ticks < MIN_BASE_UNITS.saturating_mul(pow10(s).unwrap_or(1))
        && row.kind != "reject"
        && row.kind != "free"
    {
        return Err(SqlError::unrepresentable(
            slug,
            format!(
                "the rate of `{slug}` needs more than 38 digits for quantities below {MIN_BASE_UNITS} {}",
                t.base_unit(&p.measure)
            ),
        ));
    }
    Ok(row)
}

/// A key of a product the script does not price: every row of it is rejected.
#[expect(
    clippy::too_many_arguments,
    reason = "a key is a version, plan, product and cell of one table"
)]
fn refused_row(
    t: &RatingTable,
    version: i128,
    plan_id: Option<i128>,
    pl: Option<&PlanEntry>,
    product: usize,
    p: &ProductEntry,
    cell: u32,
    dim_columns: &[String],
) -> KeyRow {
    let mut dims = vec![String::new(); dim_columns.len()];
    for (pos, d) in p.dims.iter().enumerate() {
        let dim = &t.dimensions()[*d as usize];
        let n = dim.values.len().max(1) as u32;
        let value = (cell / p.strides[pos]) % n;
        dims[column_of(dim_columns, &dim.name) as usize] =
            dim.values.get(value as usize).cloned().unwrap_or_default();
    }
    KeyRow::unpriced(
        version,
        plan_id,
        pl,
        product,
        p,
        dims,
        "reject",
        t.base_unit(&p.measure).to_string(),
    )
}

fn rate_ratio(t: &RatingTable, r: &RateCell, s: u32) -> Option<Ratio> {
    Ratio::of_rate(r.amount, r.per_base, t.exact_dp(r.unit), s)
}

/// Lowers the key's largest quantity until its largest charge, scaled to the script's places
/// and converted to money, stays within 38 digits.
fn fit_charges(row: &mut KeyRow) -> Option<()> {
    for _ in 0..128 {
        let charge = match row.kind {
            "rate" => row.rate?.charge_bound(row.max_ticks)?,
            "volume" => row
                .tiers
                .iter()
                .map(|x| Ratio { a: x.a, b: x.b }.charge_bound(row.max_ticks))
                .try_fold(0i128, |m, c| Some(m.max(c?)))?,
            "graduated" => {
                let sum = row
                    .tiers
                    .iter()
                    .try_fold(0i128, |s, x| s.checked_add(x.a))?;
                Ratio {
                    a: sum,
                    b: row.tiers.first()?.b,
                }
                .charge_bound(row.max_ticks)?
            }
            _ => row.flat.unwrap_or(0),
        };
        // What the event is billed: at most its `bill at most`, at least its `bill at least`.
        let charge = row
            .cap_charge
            .map_or(charge, |cap| charge.min(cap))
            .max(row.raise_charge.unwrap_or(0));
        // The script scales a charge to at most 12 places and converts it to money.
        let up = pow10(EXACT_MONEY_DP.saturating_sub(row.exact_dp))?;
        let fits = charge.checked_mul(up).is_some_and(|c| c < LIMIT)
            && row.money.is_none_or(|m| {
                charge
                    .checked_mul(2)
                    .and_then(|c| c.checked_mul(m.a))
                    .and_then(|c| c.checked_add(m.b))
                    .is_some_and(|c| c < LIMIT)
            });
        if fits {
            return Some(());
        }
        if row.kind == "flat" || row.max_ticks < 2 {
            return None;
        }
        row.max_ticks /= 2;
    }
    None
}
