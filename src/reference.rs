//! The reference evaluator: quotes and capacities straight from the checked model.
//!
//! Deliberately simple: it reads the [`Model`] directly with `rust_decimal` and checked
//! arithmetic, no precomputation and no table. It is the oracle the compiled table, the rater and
//! every other evaluator are compared against (tests/differential.rs).

use crate::base::money::{charge_dp, div_round, exact_charge, exact_dp, round_charge};
use crate::base::names::{NameError, find_named, find_named_with_aliases};
use crate::base::rejection::{Rejection, RejectionKind};
use crate::base::units::{Dimension, currency_digits};
use crate::model::*;
use crate::syntax::ast::{RoundMode, Span, TierMode};
use rust_decimal::{Decimal, RoundingStrategy};

/// A priced usage.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// The charge rounded once for display (money to its minor unit).
    pub charge: Decimal,
    /// The charge as kept: money exact to 12 places; `charge` in any other unit.
    pub exact: Decimal,
    pub unit: String,
    /// The money equivalent on the plan (plan price / plan grant), when it has one.
    pub money: Option<(Decimal, String)>,
    pub explain: Vec<Step>,
}

/// One rule in a quote's explanation chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub what: String,
    pub span: Option<Span>,
}

fn overflow(op: &str) -> Rejection {
    Rejection::overflow(op)
}

fn round_qty(q: Decimal, r: &Rounding) -> Option<Decimal> {
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

/// `q * amount / per_base`, unrounded (used inside graduated tiers, whose sum is rounded once).
fn apply_rate(q: Decimal, r: &RateDef) -> Option<Decimal> {
    q.checked_mul(r.amount)?.checked_div(r.per_base)
}

/// `q * amount / per_base` rounded once to the places an event's charge keeps (money exact to
/// 12 places, other units by their rule).
fn apply_rate_rounded(q: Decimal, r: &RateDef) -> Option<Decimal> {
    div_round(q.checked_mul(r.amount)?, r.per_base, exact_dp(&r.unit))
}

/// The rate cell for the chosen dimension values.
fn cell_rate<'m>(product: &'m ProductDef, dims: &[usize]) -> Result<&'m RateDef, Rejection> {
    match &product.pricing {
        Pricing::Matrix(cells) => {
            let cell = cells.iter().find(|c| c.key == dims).ok_or_else(|| {
                Rejection::new(
                    RejectionKind::Unknown,
                    "no rate for this combination of dimension values",
                )
                .at(product.span)
            })?;
            cell.rate.as_ref().ok_or_else(|| {
                Rejection::new(
                    RejectionKind::NotOffered,
                    "this combination of dimension values is not offered",
                )
                .at(product.span)
            })
        }
        _ => Err(Rejection::new(RejectionKind::Unknown, "product has no matrix").at(product.span)),
    }
}

/// The charge for a rounded quantity, before the final rounding.
fn price(
    product: &ProductDef,
    plan: Option<&PlanDef>,
    product_idx: usize,
    dims: &[usize],
    q: Decimal,
    explain: &mut Vec<Step>,
) -> Result<(Decimal, String), Rejection> {
    if let Some(r) = plan
        .and_then(|p| p.overrides.iter().find(|(i, _)| *i == product_idx))
        .map(|(_, r)| r)
    {
        explain.push(Step {
            what: format!(
                "plan rate {} {} / {} {}",
                r.amount, r.unit, r.per, r.per_unit
            ),
            span: Some(r.span),
        });
        return Ok((
            apply_rate_rounded(q, r).ok_or_else(|| overflow("applying the rate"))?,
            r.unit.clone(),
        ));
    }
    match &product.pricing {
        Pricing::Single(r) => {
            explain.push(Step {
                what: format!("rate {} {} / {} {}", r.amount, r.unit, r.per, r.per_unit),
                span: Some(r.span),
            });
            Ok((
                apply_rate_rounded(q, r).ok_or_else(|| overflow("applying the rate"))?,
                r.unit.clone(),
            ))
        }
        Pricing::Matrix(_) => {
            let r = cell_rate(product, dims)?;
            explain.push(Step {
                what: format!(
                    "cell rate {} {} / {} {}",
                    r.amount, r.unit, r.per, r.per_unit
                ),
                span: Some(r.span),
            });
            Ok((
                apply_rate_rounded(q, r).ok_or_else(|| overflow("applying the rate"))?,
                r.unit.clone(),
            ))
        }
        Pricing::Tiered { mode, tiers, .. } => {
            let unit = tiers
                .first()
                .map(|t| t.rate.unit.clone())
                .unwrap_or_default();
            let mut total = Decimal::ZERO;
            match mode {
                TierMode::Graduated => {
                    for t in tiers {
                        if q <= t.from {
                            break;
                        }
                        let top = t.to.map_or(q, |to| to.min(q));
                        let slice = top - t.from;
                        let part = apply_rate(slice, &t.rate)
                            .ok_or_else(|| overflow("applying a tier"))?;
                        explain.push(Step {
                            what: format!(
                                "graduated tier from {}: {} at {} {} / {} {}",
                                t.from,
                                slice,
                                t.rate.amount,
                                t.rate.unit,
                                t.rate.per,
                                t.rate.per_unit
                            ),
                            span: Some(t.rate.span),
                        });
                        total = total
                            .checked_add(part)
                            .ok_or_else(|| overflow("summing tiers"))?;
                    }
                }
                TierMode::Volume => {
                    let t = tiers
                        .iter()
                        .find(|t| q >= t.from && t.to.is_none_or(|to| q < to))
                        .or(tiers.last())
                        .ok_or_else(|| {
                            Rejection::new(RejectionKind::Unknown, "no tier").at(product.span)
                        })?;
                    explain.push(Step {
                        what: format!(
                            "volume tier from {}: all usage at {} {} / {} {}",
                            t.from, t.rate.amount, t.rate.unit, t.rate.per, t.rate.per_unit
                        ),
                        span: Some(t.rate.span),
                    });
                    total = apply_rate_rounded(q, &t.rate)
                        .ok_or_else(|| overflow("applying the tier"))?;
                }
            }
            Ok((total, unit))
        }
        Pricing::Flat {
            amount, unit, span, ..
        } => {
            explain.push(Step {
                what: format!("flat {amount} {unit} per event"),
                span: Some(*span),
            });
            Ok((*amount, unit.clone()))
        }
        Pricing::Free { span } => {
            explain.push(Step {
                what: "free".into(),
                span: Some(*span),
            });
            Ok((Decimal::ZERO, String::new()))
        }
        Pricing::Unpublished { span } => Err(Rejection::new(
            RejectionKind::Unpublished,
            crate::base::rejection::unpublished_reason(&product.slug),
        )
        .at(*span)),
    }
}

/// Quotes `quantity` (in base units of the product's measure) of a product on a plan.
///
/// `dims` holds one value index per product dimension, in the product's `dims` order.
pub fn quote(
    model: &Model,
    plan: Option<usize>,
    product_idx: usize,
    dims: &[usize],
    quantity: Decimal,
) -> Result<Quote, Rejection> {
    quote_in_period(model, plan, product_idx, dims, Decimal::ZERO, quantity)
}

/// [`quote`] as the next usage of an account that used `used` base units of the product
/// earlier in the billing period: tiers over the period charge the price of the new running
/// total less the price of the old one (each rounded by the charge unit's rule).
pub fn quote_in_period(
    model: &Model,
    plan: Option<usize>,
    product_idx: usize,
    dims: &[usize],
    used: Decimal,
    quantity: Decimal,
) -> Result<Quote, Rejection> {
    let product = model
        .products
        .get(product_idx)
        .ok_or_else(|| Rejection::new(RejectionKind::Unknown, "unknown product"))?;
    let plan_def = plan.and_then(|i| model.plans.get(i));
    let mut explain = Vec::new();
    if quantity < Decimal::ZERO {
        return Err(Rejection::new(
            RejectionKind::Negative,
            format!("quantity {quantity} is negative"),
        ));
    }
    if product.whole && !quantity.fract().is_zero() {
        let base = model
            .units
            .units
            .iter()
            .find(|u| u.dimension == product.measure && u.factor == Decimal::ONE)
            .map_or("", |u| u.name.as_str());
        return Err(Rejection::new(
            RejectionKind::Fractional,
            crate::base::quantity::fractional(quantity, base),
        ));
    }
    if dims.len() != product.dims.len() {
        return Err(Rejection::new(
            RejectionKind::Dimensions,
            format!(
                "`{}` is priced by {} dimension(s); {} value(s) given",
                product.slug,
                product.dims.len(),
                dims.len()
            ),
        )
        .at(product.span));
    }
    if let Some(p) = plan_def {
        if !p.available.get(product_idx).copied().unwrap_or(false) {
            return Err(Rejection::new(
                RejectionKind::NotAvailable,
                format!("`{}` is not available on plan `{}`", product.slug, p.slug),
            )
            .at(p.span));
        }
    }
    if let Some(min) = &product.min {
        if quantity < min.base {
            return Err(Rejection::new(
                RejectionKind::Minimum,
                format!("below the minimum of {}", min.text),
            )
            .at(min.span));
        }
    }
    if let Some(max) = &product.max {
        if quantity > max.base {
            return Err(Rejection::new(
                RejectionKind::Maximum,
                format!("above the maximum of {}", max.text),
            )
            .at(max.span));
        }
    }
    if let Some(p) = plan_def {
        check_limits(model, p, product_idx, product, dims, quantity)?;
    }
    // `bill at least` / `bill at most` as a quantity: an admitted, non-zero event is billed as
    // at least / at most it, before rounding.
    let mut quantity = quantity;
    if let Some(lo) = &product.bill.raise_quantity {
        if quantity > Decimal::ZERO && quantity < lo.base {
            quantity = lo.base;
        }
    }
    if let Some(hi) = &product.bill.cap_quantity {
        quantity = quantity.min(hi.base);
    }
    let rounded = match &product.rounding {
        Some(r) => {
            let q = round_qty(quantity, r).ok_or_else(|| overflow("rounding the quantity"))?;
            if q != quantity {
                explain.push(Step {
                    what: format!(
                        "rounded {quantity} to {q} (round {:?} to {})",
                        r.mode, r.step
                    )
                    .to_lowercase(),
                    span: Some(r.span),
                });
            }
            q
        }
        None => quantity,
    };
    let by_period = matches!(
        product.pricing,
        Pricing::Tiered {
            per_event: false,
            ..
        }
    ) && !plan_def
        .is_some_and(|p| p.overrides.iter().any(|(i, _)| *i == product_idx));
    let (raw, unit) = if by_period && !used.is_zero() {
        if used < Decimal::ZERO {
            let base = model
                .units
                .units
                .iter()
                .find(|u| u.dimension == product.measure && u.factor == Decimal::ONE)
                .map_or("", |u| u.name.as_str());
            return Err(Rejection::new(
                RejectionKind::Negative,
                format!("the usage already counted this period ({used} {base}) is negative"),
            ));
        }
        let total = used
            .checked_add(rounded)
            .ok_or_else(|| overflow("adding the usage to the period's total"))?;
        let (after, unit) = price(product, plan_def, product_idx, dims, total, &mut explain)?;
        let (before, _) = price(product, plan_def, product_idx, dims, used, &mut Vec::new())?;
        let slice = exact_charge(after, &unit)
            .checked_sub(exact_charge(before, &unit))
            .ok_or_else(|| overflow("taking the period's slice"))?;
        explain.push(Step {
            what: format!("the slice from {used} to {total} of the period's usage"),
            span: None,
        });
        (slice, unit)
    } else {
        price(product, plan_def, product_idx, dims, rounded, &mut explain)?
    };
    let mut exact = exact_charge(raw, &unit);
    // `bill at least` / `bill at most` in the charge unit: per event, then per period.
    if product.charge_unit() == Some(unit.as_str()) {
        let b = &product.bill;
        if let Some(lo) = &b.raise_charge {
            if exact > Decimal::ZERO && exact < lo.base {
                exact = lo.base;
            }
        }
        if let Some(hi) = &b.cap_charge {
            exact = exact.min(hi.base);
        }
        if let Some(cap) = &b.cap_period {
            // What `used` was charged: its tiers' price, or its price at the rate.
            if used < Decimal::ZERO {
                return Err(Rejection::new(
                    RejectionKind::Negative,
                    format!("the usage already counted this period ({used}) is negative"),
                ));
            }
            let before = match used.is_zero() {
                true => Decimal::ZERO,
                false => {
                    let (b, u) =
                        price(product, plan_def, product_idx, dims, used, &mut Vec::new())?;
                    exact_charge(b, &u)
                }
            };
            let after = before
                .checked_add(exact)
                .ok_or_else(|| overflow("capping the period's charges"))?;
            exact = after.min(cap.base) - before.min(cap.base);
        }
    }
    let charge = round_charge(exact, &unit);
    if charge != raw {
        explain.push(Step {
            what: format!("rounded {raw} {unit} to {charge} {unit}"),
            span: None,
        });
    }
    let money = match plan_def {
        Some(p) => money_equivalent(model, p, charge, &unit, &mut explain)?,
        None if currency_digits(&unit).is_some() => Some((charge, unit.clone())),
        None => None,
    };
    Ok(Quote {
        charge,
        exact,
        unit,
        money,
        explain,
    })
}

fn check_limits(
    model: &Model,
    plan: &PlanDef,
    product_idx: usize,
    product: &ProductDef,
    dims: &[usize],
    quantity: Decimal,
) -> Result<(), Rejection> {
    for l in &plan.limits {
        if !l.scope.is_empty() && !l.scope.contains(&product_idx) {
            continue;
        }
        match &l.kind {
            LimitKind::PerEvent { dimension, bound }
                if dimension == &product.measure && !bound.contains(quantity) =>
            {
                return Err(Rejection::new(
                    RejectionKind::Limit,
                    format!("limit {} on plan `{}`", l.describe(), plan.slug),
                )
                .at(l.span));
            }
            LimitKind::DimensionRange { dimension, lo, hi } => {
                if let Some(pos) = product.dims.iter().position(|d| d == dimension) {
                    if dims.get(pos).is_some_and(|v| v < lo || v > hi) {
                        let value = &model.dimensions[*dimension].values[dims[pos]];
                        return Err(Rejection::new(
                            RejectionKind::Limit,
                            format!(
                                "limit {} on plan `{}` ({value} asked)",
                                l.describe(),
                                plan.slug
                            ),
                        )
                        .at(l.span));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn money_equivalent(
    model: &Model,
    plan: &PlanDef,
    charge: Decimal,
    unit: &str,
    explain: &mut Vec<Step>,
) -> Result<Option<(Decimal, String)>, Rejection> {
    if currency_digits(unit).is_some() {
        return Ok(Some((charge, unit.to_string())));
    }
    let Some((price, granted, currency)) = model.plan_unit_price(plan, unit) else {
        return Ok(None);
    };
    let money = charge
        .checked_mul(price)
        .and_then(|v| div_round(v, granted, charge_dp(&currency)))
        .ok_or_else(|| overflow("converting to money"))?;
    let rounded = round_charge(money, &currency);
    explain.push(Step {
        what: format!(
            "money: {charge} {unit} x {price} {currency} / {granted} {unit} = {rounded} {currency}"
        ),
        span: Some(plan.price_span),
    });
    Ok(Some((rounded, currency)))
}

/// How many whole `unit`s of a product a plan's recurring grant buys.
pub fn capacity(
    model: &Model,
    plan_idx: usize,
    product_idx: usize,
    dims: &[usize],
    unit: &str,
) -> Result<Decimal, Rejection> {
    let plan = model
        .plans
        .get(plan_idx)
        .ok_or_else(|| Rejection::new(RejectionKind::Unknown, "unknown plan"))?;
    let product = model
        .products
        .get(product_idx)
        .ok_or_else(|| Rejection::new(RejectionKind::Unknown, "unknown product"))?;
    if !plan.available.get(product_idx).copied().unwrap_or(false) {
        return Err(Rejection::new(
            RejectionKind::NotAvailable,
            format!(
                "`{}` is not available on plan `{}`",
                product.slug, plan.slug
            ),
        )
        .at(plan.span));
    }
    let factor = model
        .factor(unit)
        .ok_or_else(|| Rejection::new(RejectionKind::Unit, format!("unknown unit `{unit}`")))?;
    let is_flat = matches!(product.pricing, Pricing::Flat { .. });
    if let Pricing::Flat { per, .. } = &product.pricing {
        let per = per.as_deref().unwrap_or("event");
        if unit != per {
            return Err(Rejection::new(
                RejectionKind::Unit,
                format!(
                    "`{}` is priced per {per}: count its capacity in `{per}`",
                    product.slug
                ),
            ));
        }
    } else if model.dimension_of(unit) != Some(&product.measure) {
        return Err(Rejection::new(
            RejectionKind::Unit,
            format!("`{unit}` does not measure {}", product.measure.describe()),
        ));
    }
    if let Pricing::Unpublished { span } = &product.pricing {
        return Err(Rejection::new(
            RejectionKind::Unpublished,
            crate::base::rejection::unpublished_reason(&product.slug),
        )
        .at(*span));
    }
    let charge_unit = product
        .charge_unit()
        .ok_or_else(|| {
            Rejection::new(RejectionKind::Free, "a free product has no capacity limit")
                .at(product.span)
        })?
        .to_string();
    let budget = model
        .recurring_budget(plan, &charge_unit)
        .ok_or_else(|| overflow("sizing the grant"))?;
    let contract_set = plan.grants.iter().find(|g| {
        g.contract_set && model.dimension_of(&g.unit) == model.dimension_of(&charge_unit)
    });
    if let (true, Some(g)) = (budget.is_zero(), contract_set) {
        return Err(Rejection::new(
            RejectionKind::NoGrant,
            crate::base::rejection::contract_set_reason(&plan.slug, &charge_unit),
        )
        .at(g.span));
    }
    if budget.is_zero() {
        return Err(Rejection::new(
            RejectionKind::NoGrant,
            format!(
                "plan `{}` has no recurring grant in `{charge_unit}`",
                plan.slug
            ),
        )
        .at(plan.span));
    }
    // Monotone in n, so a doubling search then a bisection finds the largest affordable n.
    let cost = |n: Decimal| -> Result<Decimal, Rejection> {
        let q = if is_flat {
            Decimal::ONE
        } else {
            n.checked_mul(factor)
                .ok_or_else(|| overflow("sizing capacity"))?
        };
        let mut explain = Vec::new();
        let b = &product.bill;
        let mut q = q;
        if !is_flat {
            if let Some(lo) = &b.raise_quantity {
                if q > Decimal::ZERO && q < lo.base {
                    q = lo.base;
                }
            }
            if let Some(hi) = &b.cap_quantity {
                q = q.min(hi.base);
            }
        }
        let rounded = match &product.rounding {
            Some(r) => round_qty(q, r).ok_or_else(|| overflow("rounding"))?,
            None => q,
        };
        let (raw, _) = price(
            product,
            Some(plan),
            product_idx,
            dims,
            rounded,
            &mut explain,
        )?;
        let mut per = round_charge(raw, &charge_unit);
        if let Some(lo) = &b.raise_charge {
            if per > Decimal::ZERO && per < lo.base {
                per = lo.base;
            }
        }
        if let Some(hi) = &b.cap_charge {
            per = per.min(hi.base);
        }
        let total = if is_flat {
            per.checked_mul(n)
                .ok_or_else(|| overflow("sizing capacity"))?
        } else {
            per
        };
        Ok(match &b.cap_period {
            Some(cap) => total.min(cap.base),
            None => total,
        })
    };
    let mut lo = Decimal::ZERO;
    let mut hi = Decimal::ONE;
    while cost(hi)? <= budget {
        lo = hi;
        hi = hi
            .checked_mul(Decimal::TWO)
            .ok_or_else(|| overflow("sizing capacity"))?;
        if hi > Decimal::from(1_000_000_000_000_000_000i64) {
            return Err(Rejection::new(
                RejectionKind::Unbounded,
                "capacity is unbounded",
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

// ------------------------------------------------------------------------------------------------
// Name resolution shared by the CLI and the worked examples

/// Finds a product by slug, display name or alias, as people write them (see
/// [`find_named_with_aliases`]).
pub fn find_product(model: &Model, name: &str) -> Result<usize, NameError> {
    let items = model.products.iter().map(|p| {
        (
            p.slug.as_str(),
            p.display.as_str(),
            p.aliases.iter().map(String::as_str),
        )
    });
    find_named_with_aliases("product", name, items)
}

/// Finds a plan by slug or display name.
pub fn find_plan(model: &Model, name: &str) -> Result<usize, NameError> {
    let items = model
        .plans
        .iter()
        .map(|p| (p.slug.as_str(), p.display.as_str()));
    find_named("plan", name, items)
}

/// Finds a pack by slug or display name.
pub fn find_pack(model: &Model, name: &str) -> Result<usize, NameError> {
    let items = model
        .packs
        .iter()
        .map(|p| (p.slug.as_str(), p.display.as_str()));
    find_named("pack", name, items)
}

/// The plan to use when none is named: the only plan, or none when the book has no plans.
pub fn default_plan(model: &Model) -> Result<Option<usize>, String> {
    match model.plans.len() {
        0 => Ok(None),
        1 => Ok(Some(0)),
        _ => Err(format!(
            "the book has {} plans; name one ({})",
            model.plans.len(),
            model
                .plans
                .iter()
                .map(|p| p.slug.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Resolves dimension arguments (`resolution=540p` or a bare `540p`) to value indexes in the
/// product's `dims` order.
pub fn resolve_dims(
    model: &Model,
    product: &ProductDef,
    args: &[(Option<&str>, &str)],
) -> Result<Vec<usize>, String> {
    let mut out: Vec<Option<usize>> = vec![None; product.dims.len()];
    for (dim, value) in args {
        let key = crate::base::names::name_key(value);
        let positions: Vec<usize> = match dim {
            Some(d) => {
                let pos = product
                    .dims
                    .iter()
                    .position(|i| model.dimensions[*i].name.eq_ignore_ascii_case(d))
                    .ok_or_else(|| {
                        format!("`{}` is not priced by dimension `{d}`", product.slug)
                    })?;
                vec![pos]
            }
            None => (0..product.dims.len())
                .filter(|p| {
                    model.dimensions[product.dims[*p]]
                        .values
                        .iter()
                        .any(|v| crate::base::names::name_key(v) == key)
                })
                .collect(),
        };
        let matching: Vec<(usize, usize)> = positions
            .iter()
            .filter_map(|p| {
                model.dimensions[product.dims[*p]]
                    .values
                    .iter()
                    .position(|v| crate::base::names::name_key(v) == key)
                    .map(|v| (*p, v))
            })
            .collect();
        match matching.as_slice() {
            [(p, v)] => {
                if out[*p].is_some() {
                    return Err(format!(
                        "dimension `{}` is given twice",
                        model.dimensions[product.dims[*p]].name
                    ));
                }
                out[*p] = Some(*v);
            }
            [] => {
                let all: Vec<String> = product
                    .dims
                    .iter()
                    .map(|d| {
                        format!(
                            "{}: {}",
                            model.dimensions[*d].name,
                            model.dimensions[*d].values.join(", ")
                        )
                    })
                    .collect();
                return Err(format!(
                    "unknown dimension value `{value}` for `{}` ({})",
                    product.slug,
                    all.join("; ")
                ));
            }
            _ => {
                return Err(format!(
                    "`{value}` names a value of several dimensions; write `dimension=value`"
                ));
            }
        }
    }
    out.iter()
        .enumerate()
        .map(|(i, v)| {
            v.ok_or_else(|| {
                let d = &model.dimensions[product.dims[i]];
                format!(
                    "`{}` is priced by {}; give one of: {}",
                    product.slug,
                    d.name,
                    d.values.join(", ")
                )
            })
        })
        .collect()
}

/// A quantity in base units of `measure`, from a value and a unit name.
pub fn base_quantity(
    model: &Model,
    value: Decimal,
    unit: &str,
    measure: &Dimension,
) -> Result<Decimal, String> {
    let u = model.units.resolve(unit).map_err(|e| e.to_string())?;
    if &u.dimension != measure {
        return Err(format!(
            "`{unit}` measures {}, but the product is measured in {}",
            u.dimension.describe(),
            measure.describe()
        ));
    }
    value
        .checked_mul(u.factor)
        .ok_or_else(|| format!("{value} {unit} is too large"))
}

/// Checks a usage's attributes against the plan's limits on them, as
/// [`crate::table::RatingTable::check_attributes`] does: each value in base units of its limit
/// (a bare value is in the unit the limit is written in).
pub fn check_attributes(
    model: &Model,
    plan: Option<usize>,
    product_idx: usize,
    attrs: &[AttrDef],
) -> Result<(), Rejection> {
    let Some(plan) = plan.and_then(|i| model.plans.get(i)) else {
        return Ok(());
    };
    for l in &plan.limits {
        let LimitKind::Attribute {
            attribute,
            dimension,
            factor,
            bound,
        } = &l.kind
        else {
            continue;
        };
        if !l.scope.is_empty() && !l.scope.contains(&product_idx) {
            continue;
        }
        for a in attrs.iter().filter(|a| a.attribute == *attribute) {
            let unit = a
                .unit
                .as_deref()
                .and_then(|u| model.units.units.iter().find(|x| x.name == u));
            let base = match (unit, dimension) {
                (None, None) => Some(a.value),
                (None, Some(_)) => a.value.checked_mul(*factor),
                (Some(u), Some(d)) if &u.dimension == d => a.value.checked_mul(u.factor),
                (Some(_), _) => {
                    return Err(Rejection::new(
                        RejectionKind::Limit,
                        format!(
                            "attribute given in another dimension than limit {}",
                            l.describe()
                        ),
                    )
                    .at(l.span));
                }
            };
            let Some(base) = base else {
                return Err(Rejection::new(
                    RejectionKind::Overflow,
                    "attribute too large",
                ));
            };
            if !bound.contains(base) {
                return Err(Rejection::new(
                    RejectionKind::Limit,
                    format!("limit {} on plan `{}`", l.describe(), plan.slug),
                )
                .at(l.span));
            }
        }
    }
    Ok(())
}

/// The value each dimension of a product takes when a usage gives none (`None`: it must be
/// given), found the slow way: the dimension's default, its only value, or, when every
/// combination of the other dimensions' values has one price with each value of this one (or
/// none offered), its first value.
pub fn dimension_fills(model: &Model, product_idx: usize) -> Vec<Option<usize>> {
    let Some(product) = model.products.get(product_idx) else {
        return Vec::new();
    };
    let sizes: Vec<usize> = product
        .dims
        .iter()
        .map(|d| model.dimensions.get(*d).map_or(0, |d| d.values.len()))
        .collect();
    let mut combos: Vec<Vec<usize>> = vec![Vec::new()];
    for n in &sizes {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                (0..*n).map(move |v| {
                    let mut c = c.clone();
                    c.push(v);
                    c
                })
            })
            .collect();
    }
    // The rate of a combination: its matrix cell's (`None`: not offered, or no such cell).
    let Pricing::Matrix(cells) = &product.pricing else {
        return product.dims.iter().map(|_| None).collect();
    };
    let rate_of = |dims: &[usize]| -> Option<&RateDef> {
        cells
            .iter()
            .find(|c| c.key.as_slice() == dims)
            .and_then(|c| c.rate.as_ref())
    };
    let prices = |dims: &[usize]| rate_of(dims);
    product
        .dims
        .iter()
        .enumerate()
        .map(|(pos, d)| {
            let def = model.dimensions.get(*d)?;
            if def.default.is_some() {
                return def.default;
            }
            if def.values.len() == 1 {
                return Some(0);
            }
            let alike = combos.iter().filter(|c| c[pos] == 0).all(|c| {
                let first = prices(c);
                (1..def.values.len()).all(|v| {
                    let mut other = c.clone();
                    other[pos] = v;
                    match (first, prices(&other)) {
                        (Some(a), Some(b)) => a.same_price(b),
                        (None, None) => true,
                        _ => false,
                    }
                })
            });
            alike.then_some(0)
        })
        .collect()
}
