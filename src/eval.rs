//! Evaluation over the checked model: quotes, capacities, and the worked examples in books.
//!
//! This evaluator is deliberately simple: it reads the [`Model`] directly with `rust_decimal` and
//! checked arithmetic, no precomputation. It is what `check` runs worked examples with, and what
//! the compiled rating table is compared against.

use crate::base::money::{charge_dp, div_round, round_charge};
use crate::base::names::{NameError, find_named};
use crate::base::units::{Dimension, currency_digits};
use crate::check::model::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::ast::{self, RoundMode, Span, TierMode};
use rust_decimal::{Decimal, RoundingStrategy};

/// A priced usage.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub charge: Decimal,
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

/// Why a usage cannot be priced.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub reason: String,
    /// The rule that rejected it (books).
    pub span: Option<Span>,
    /// The rule's source line (compiled tables, which carry no spans).
    pub line: Option<u32>,
}

impl Rejection {
    pub(crate) fn new(reason: impl Into<String>, span: Option<Span>) -> Self {
        Rejection {
            reason: reason.into(),
            span,
            line: None,
        }
    }

    pub(crate) fn with_line(mut self, line: u32) -> Self {
        self.line = (line > 0).then_some(line);
        self
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

fn overflow(op: &str) -> Rejection {
    Rejection::new(format!("arithmetic overflow while {op}"), None)
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

/// `q * amount / per_base` rounded once to the charge unit's rule.
fn apply_rate_rounded(q: Decimal, r: &RateDef) -> Option<Decimal> {
    div_round(q.checked_mul(r.amount)?, r.per_base, charge_dp(&r.unit))
}

/// The rate cell for the chosen dimension values.
fn cell_rate<'m>(product: &'m ProductDef, dims: &[usize]) -> Result<&'m RateDef, Rejection> {
    match &product.pricing {
        Pricing::Matrix(cells) => {
            let cell = cells.iter().find(|c| c.key == dims).ok_or_else(|| {
                Rejection::new(
                    "no rate for this combination of dimension values",
                    Some(product.span),
                )
            })?;
            cell.rate.as_ref().ok_or_else(|| {
                Rejection::new(
                    "this combination of dimension values is not offered",
                    Some(product.span),
                )
            })
        }
        _ => Err(Rejection::new("product has no matrix", Some(product.span))),
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
        Pricing::Tiered { mode, tiers } => {
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
                        .ok_or_else(|| Rejection::new("no tier", Some(product.span)))?;
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
    let product = model
        .products
        .get(product_idx)
        .ok_or_else(|| Rejection::new("unknown product", None))?;
    let plan_def = plan.and_then(|i| model.plans.get(i));
    let mut explain = Vec::new();
    if quantity < Decimal::ZERO {
        return Err(Rejection::new(
            format!("quantity {quantity} is negative"),
            None,
        ));
    }
    if dims.len() != product.dims.len() {
        return Err(Rejection::new(
            format!(
                "`{}` is priced by {} dimension(s); {} value(s) given",
                product.slug,
                product.dims.len(),
                dims.len()
            ),
            Some(product.span),
        ));
    }
    if let Some(p) = plan_def {
        if !p.available.get(product_idx).copied().unwrap_or(false) {
            return Err(Rejection::new(
                format!("`{}` is not available on plan `{}`", product.slug, p.slug),
                Some(p.span),
            ));
        }
    }
    if let Some(min) = &product.min {
        if quantity < min.base {
            return Err(Rejection::new(
                format!("below the minimum of {}", min.text),
                Some(min.span),
            ));
        }
    }
    if let Some(max) = &product.max {
        if quantity > max.base {
            return Err(Rejection::new(
                format!("above the maximum of {}", max.text),
                Some(max.span),
            ));
        }
    }
    if let Some(p) = plan_def {
        check_limits(model, p, product_idx, product, dims, quantity)?;
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
    let (raw, unit) = price(product, plan_def, product_idx, dims, rounded, &mut explain)?;
    let charge = round_charge(raw, &unit);
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
            LimitKind::PerEvent { dimension, max }
                if dimension == &product.measure && quantity > *max =>
            {
                return Err(Rejection::new(
                    format!(
                        "limit {} <= {} on plan `{}`",
                        l.name, l.value_text, plan.slug
                    ),
                    Some(l.span),
                ));
            }
            LimitKind::DimensionMax { dimension, max } => {
                if let Some(pos) = product.dims.iter().position(|d| d == dimension) {
                    if dims.get(pos).is_some_and(|v| v > max) {
                        let value = &model.dimensions[*dimension].values[dims[pos]];
                        return Err(Rejection::new(
                            format!(
                                "limit {} <= {} on plan `{}` ({value} asked)",
                                l.name, l.value_text, plan.slug
                            ),
                            Some(l.span),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// What one unit of the plan's wallet costs: (money per period, wallet units per period).
pub fn plan_unit_price(
    model: &Model,
    plan: &PlanDef,
    unit: &str,
) -> Option<(Decimal, Decimal, String)> {
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
        let GrantCadence::EveryMonths(every) = g.cadence else {
            continue;
        };
        if model.dimension_of(&g.unit) != Some(dim) {
            continue;
        }
        let in_unit = g
            .amount
            .checked_mul(model.factor(&g.unit)?)?
            .checked_div(factor)?;
        granted = granted.checked_add(
            in_unit
                .checked_mul(Decimal::from(*months))?
                .checked_div(Decimal::from(every))?,
        )?;
    }
    (!granted.is_zero()).then(|| (*amount, granted, currency.clone()))
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
    let Some((price, granted, currency)) = plan_unit_price(model, plan, unit) else {
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

/// Wallet units (in `unit`) a plan's recurring grants give per billing period: the period of its
/// price, or a month when it has none; grants on other cadences are scaled to that period.
pub fn recurring_budget(model: &Model, plan: &PlanDef, unit: &str) -> Option<Decimal> {
    let period = match plan.price {
        PlanPrice::Amount { months, .. } if months > 0 => months,
        _ => 1,
    };
    let dim = model.dimension_of(unit)?;
    let mut total = Decimal::ZERO;
    for g in &plan.grants {
        let GrantCadence::EveryMonths(every) = g.cadence else {
            continue;
        };
        if model.dimension_of(&g.unit) != Some(dim) {
            continue;
        }
        let in_unit = g
            .amount
            .checked_mul(model.factor(&g.unit)?)?
            .checked_div(model.factor(unit)?)?;
        total = total.checked_add(
            in_unit
                .checked_mul(Decimal::from(period))?
                .checked_div(Decimal::from(every))?,
        )?;
    }
    Some(total)
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
        .ok_or_else(|| Rejection::new("unknown plan", None))?;
    let product = model
        .products
        .get(product_idx)
        .ok_or_else(|| Rejection::new("unknown product", None))?;
    if !plan.available.get(product_idx).copied().unwrap_or(false) {
        return Err(Rejection::new(
            format!(
                "`{}` is not available on plan `{}`",
                product.slug, plan.slug
            ),
            Some(plan.span),
        ));
    }
    let factor = model
        .factor(unit)
        .ok_or_else(|| Rejection::new(format!("unknown unit `{unit}`"), None))?;
    let is_flat = matches!(product.pricing, Pricing::Flat { .. });
    if let Pricing::Flat { per, .. } = &product.pricing {
        let per = per.as_deref().unwrap_or("event");
        if unit != per {
            return Err(Rejection::new(
                format!(
                    "`{}` is priced per {per}: count its capacity in `{per}`",
                    product.slug
                ),
                None,
            ));
        }
    } else if model.dimension_of(unit) != Some(&product.measure) {
        return Err(Rejection::new(
            format!("`{unit}` does not measure {}", product.measure.describe()),
            None,
        ));
    }
    let charge_unit = product
        .charge_unit()
        .ok_or_else(|| Rejection::new("a free product has no capacity limit", Some(product.span)))?
        .to_string();
    let budget =
        recurring_budget(model, plan, &charge_unit).ok_or_else(|| overflow("sizing the grant"))?;
    if budget.is_zero() {
        return Err(Rejection::new(
            format!(
                "plan `{}` has no recurring grant in `{charge_unit}`",
                plan.slug
            ),
            Some(plan.span),
        ));
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
        let per = round_charge(raw, &charge_unit);
        if is_flat {
            per.checked_mul(n)
                .ok_or_else(|| overflow("sizing capacity"))
        } else {
            Ok(per)
        }
    };
    let mut lo = Decimal::ZERO;
    let mut hi = Decimal::ONE;
    while cost(hi)? <= budget {
        lo = hi;
        hi = hi
            .checked_mul(Decimal::TWO)
            .ok_or_else(|| overflow("sizing capacity"))?;
        if hi > Decimal::from(1_000_000_000_000_000_000i64) {
            return Err(Rejection::new("capacity is unbounded", None));
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

/// Finds a product by slug or display name, as people write them (see [`find_named`]).
pub fn find_product(model: &Model, name: &str) -> Result<usize, NameError> {
    let items = model
        .products
        .iter()
        .map(|p| (p.slug.as_str(), p.display.as_str()));
    find_named("product", name, items)
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

// ------------------------------------------------------------------------------------------------
// Worked examples

fn fail(span: Span, message: impl Into<String>, help: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::TestFailed, message)
        .label(span, "this expectation")
        .help(help)
}

/// An unknown name in a worked example: the message names it, the help suggests.
fn unknown(span: Span, e: NameError) -> Diagnostic {
    Diagnostic::new(Code::UnknownReference, e.message())
        .label(span, format!("no {} of this name", e.kind))
        .help(e.help())
}

/// The book has several plans and a worked example names none.
fn no_plan(span: Span, e: String) -> Diagnostic {
    Diagnostic::new(Code::MissingStatement, e)
        .label(span, "which plan?")
        .help("name the plan: `plan <slug>`")
}

fn resolve_target(
    model: &Model,
    target: &ast::Target,
    dims: &[ast::Spanned<ast::DimArg>],
) -> Result<(Option<usize>, usize, Vec<usize>), Diagnostic> {
    let plan = match &target.plan {
        Some(p) => Some(find_plan(model, &p.node).map_err(|e| unknown(p.span, e))?),
        None => default_plan(model).map_err(|e| no_plan(target.product.span, e))?,
    };
    let product =
        find_product(model, &target.product.node).map_err(|e| unknown(target.product.span, e))?;
    let args = dim_args(dims);
    let dims_idx = resolve_dims(model, &model.products[product], &args).map_err(|e| {
        let span = dims.first().map(|d| d.span).unwrap_or(target.product.span);
        Diagnostic::new(Code::UnknownDimensionValue, e)
            .label(span, "dimension values")
            .help("give one value per dimension the product is priced by")
    })?;
    Ok((plan, product, dims_idx))
}

/// A test statement's `dim` arguments as (dimension name if given, value) pairs.
fn dim_args(dims: &[ast::Spanned<ast::DimArg>]) -> Vec<(Option<&str>, &str)> {
    dims.iter()
        .map(|d| {
            (
                d.dimension.as_ref().map(|n| n.node.as_str()),
                d.value.node.as_str(),
            )
        })
        .collect()
}

/// Compares an expected quantity with an actual amount in `unit`, converting between units of
/// one dimension.
fn same_amount(
    model: &Model,
    expected: &ast::Quantity,
    actual: Decimal,
    unit: &str,
) -> Result<bool, String> {
    // A free product charges nothing, in no unit: any zero matches it.
    if unit.is_empty() {
        return Ok(expected.value.node.is_zero() && actual.is_zero());
    }
    let eu = model
        .units
        .get(&expected.unit.node)
        .ok_or_else(|| format!("unknown unit `{}`", expected.unit.node))?;
    let au = model
        .units
        .get(unit)
        .ok_or_else(|| format!("unknown unit `{unit}`"))?;
    if eu.dimension != au.dimension {
        return Err(format!(
            "expected a value in `{}`, but the result is in `{unit}`",
            eu.name
        ));
    }
    let e = expected
        .value
        .node
        .checked_mul(eu.factor)
        .ok_or("expected value too large")?;
    let a = actual
        .checked_mul(au.factor)
        .ok_or("actual value too large")?;
    Ok(e == a)
}

/// Runs one statement of a `test` block and returns the diagnostics of what failed.
pub fn run_test_stmt(
    model: &Model,
    stmt: &ast::TestStmt,
    span: Span,
    test: &str,
) -> Vec<Diagnostic> {
    match stmt {
        ast::TestStmt::Quote {
            target,
            dims,
            quantity,
            expect,
            ..
        } => {
            let (plan, product, dims_idx) = match resolve_target(model, target, dims) {
                Ok(t) => t,
                Err(d) => return vec![d],
            };
            let measure = &model.products[product].measure;
            let q = match base_quantity(model, quantity.value.node, &quantity.unit.node, measure) {
                Ok(q) => q,
                Err(e) => {
                    return vec![
                        Diagnostic::new(Code::UnitMismatch, e)
                            .label(quantity.unit.span, "quantity")
                            .help("quote a quantity in the product's measured dimension"),
                    ];
                }
            };
            let result = quote(model, plan, product, &dims_idx, q);
            match (&expect.node, result) {
                (ast::QuoteExpect::Charge { charge, money }, Ok(got)) => {
                    let mut out = Vec::new();
                    match same_amount(model, charge, got.charge, &got.unit) {
                        Ok(true) => {}
                        Ok(false) => out.push(fail(
                            expect.span,
                            format!(
                                "test \"{test}\": expected {} {}, got {} {}",
                                charge.value.node, charge.unit.node, got.charge, got.unit
                            ),
                            "fix the expectation or the rule it exercises",
                        )),
                        Err(e) => out.push(fail(
                            expect.span,
                            format!("test \"{test}\": {e}"),
                            "write the expectation in the charge's unit",
                        )),
                    }
                    if let Some(m) = money {
                        match &got.money {
                            Some((amount, cur)) => match same_amount(model, m, *amount, cur) {
                                Ok(true) => {}
                                Ok(false) => out.push(fail(
                                    expect.span,
                                    format!("test \"{test}\": expected money {} {}, got {amount} {cur}", m.value.node, m.unit.node),
                                    "money is the charge x plan price / plan grant, rounded to the currency's minor unit",
                                )),
                                Err(e) => out.push(fail(expect.span, format!("test \"{test}\": {e}"), "write money in the book's currency")),
                            },
                            None => out.push(fail(
                                expect.span,
                                format!("test \"{test}\": expected money {} {}, but the plan has no money equivalent", m.value.node, m.unit.node),
                                "a money equivalent needs a plan with a published price and a recurring grant",
                            )),
                        }
                    }
                    out
                }
                (ast::QuoteExpect::Charge { charge, .. }, Err(r)) => {
                    let mut d = fail(
                        expect.span,
                        format!(
                            "test \"{test}\": expected {} {}, but the quote was rejected: {}",
                            charge.value.node, charge.unit.node, r.reason
                        ),
                        "fix the expectation, or the rule that rejects it",
                    );
                    if let Some(s) = r.span {
                        d = d.label(s, "rejected by this rule");
                    }
                    vec![d]
                }
                (ast::QuoteExpect::Rejects(text), Err(r)) => match text {
                    Some(t) if !r.reason.to_lowercase().contains(&t.node.to_lowercase()) => {
                        vec![fail(
                            expect.span,
                            format!(
                                "test \"{test}\": rejected as expected, but because {}",
                                r.reason
                            ),
                            format!("the reason does not mention \"{}\"", t.node),
                        )]
                    }
                    _ => vec![],
                },
                (ast::QuoteExpect::Rejects(_), Ok(got)) => vec![fail(
                    expect.span,
                    format!(
                        "test \"{test}\": expected a rejection, but it was priced at {} {}",
                        got.charge, got.unit
                    ),
                    "add the limit or rule that should reject this usage",
                )],
            }
        }
        ast::TestStmt::Capacity {
            target,
            dims,
            expect,
            ..
        } => {
            let (plan, product, dims_idx) = match resolve_target(model, target, dims) {
                Ok(t) => t,
                Err(d) => return vec![d],
            };
            let Some(plan) = plan else {
                return vec![fail(
                    span,
                    format!("test \"{test}\": capacity needs a plan"),
                    "name one with `plan <slug>`",
                )];
            };
            let at = expect.value.span.to(expect.unit.span);
            match capacity(model, plan, product, &dims_idx, &expect.unit.node) {
                Ok(n) if n == expect.value.node => vec![],
                Ok(n) => vec![fail(
                    at,
                    format!(
                        "test \"{test}\": expected {} {}, got {n} {}",
                        expect.value.node, expect.unit.node, expect.unit.node
                    ),
                    "capacity is the whole units the plan's recurring grant buys, rounded down",
                )],
                Err(r) => vec![fail(
                    span,
                    format!("test \"{test}\": {}", r.reason),
                    "capacity needs a plan with a recurring grant",
                )],
            }
        }
        ast::TestStmt::Bill {
            plan,
            options,
            body,
        } => run_bill_test(model, plan.as_ref(), options, body, span, test),
        ast::TestStmt::Error(_) => vec![],
    }
}

// ------------------------------------------------------------------------------------------------
// Bills in worked examples

fn run_bill_test(
    model: &Model,
    plan: Option<&ast::Name>,
    options: &[ast::Spanned<ast::BillOption>],
    body: &[ast::Spanned<ast::BillStmt>],
    span: Span,
    test: &str,
) -> Vec<Diagnostic> {
    use crate::bill::{Billing, RechargeSettings, Usage, UsageEvent};
    let mut out = Vec::new();
    let plan = match plan {
        Some(p) => match find_plan(model, &p.node) {
            Ok(i) => i,
            Err(e) => return vec![unknown(p.span, e)],
        },
        None => match default_plan(model) {
            Ok(Some(i)) => i,
            Ok(None) => {
                return vec![fail(
                    span,
                    format!("test \"{test}\": a bill needs a plan"),
                    "name one with `bill plan <slug>`",
                )];
            }
            Err(e) => return vec![no_plan(span, e)],
        },
    };
    let table = crate::compile::compile(model, "");
    let mut events = Vec::new();
    for (i, s) in body.iter().enumerate() {
        let time = |t: &ast::Spanned<String>| {
            crate::base::date::parse_instant(&t.node).ok_or_else(|| {
                Diagnostic::new(
                    Code::InvalidDate,
                    format!("`{}` is not an RFC 3339 time", t.node),
                )
                .label(t.span, "not a time")
                .help("write e.g. 2026-06-02T10:00:00Z or 2026-06-02")
            })
        };
        match &s.node {
            ast::BillStmt::Use {
                time: t,
                product,
                dims,
                quantity,
            } => {
                let t = match time(t) {
                    Ok(t) => t,
                    Err(d) => {
                        out.push(d);
                        continue;
                    }
                };
                let p = match find_product(model, &product.node) {
                    Ok(p) => p as u32,
                    Err(e) => {
                        out.push(unknown(product.span, e));
                        continue;
                    }
                };
                let args = dim_args(dims);
                let cell = match table.resolve_cell(p, &args) {
                    Ok(c) => c,
                    Err(e) => {
                        out.push(
                            Diagnostic::new(Code::UnknownDimensionValue, e)
                                .label(s.span, "this event")
                                .help("give one value per dimension the product is priced by"),
                        );
                        continue;
                    }
                };
                let q = match table.base_quantity(p, quantity.value.node, &quantity.unit.node) {
                    Ok(q) => q,
                    Err(e) => {
                        out.push(
                            Diagnostic::new(Code::UnitMismatch, e)
                                .label(quantity.unit.span, "quantity")
                                .help("use a unit of the product's measured dimension"),
                        );
                        continue;
                    }
                };
                events.push(UsageEvent {
                    line: i as u64 + 1,
                    time: t,
                    usage: Usage::Use {
                        product: p,
                        cell,
                        quantity: q,
                    },
                });
            }
            ast::BillStmt::Buy { time: t, pack } => {
                let t = match time(t) {
                    Ok(t) => t,
                    Err(d) => {
                        out.push(d);
                        continue;
                    }
                };
                match find_pack(model, &pack.node) {
                    Ok(k) => events.push(UsageEvent {
                        line: i as u64 + 1,
                        time: t,
                        usage: Usage::Buy { pack: k as u32 },
                    }),
                    Err(e) => out.push(unknown(pack.span, e)),
                }
            }
            _ => {}
        }
    }
    if !out.is_empty() {
        return out;
    }
    let mut from = None;
    let mut periods = None;
    let mut billing = Billing::Monthly;
    let mut recharge = None;
    for o in options {
        match &o.node {
            ast::BillOption::Billing(b) => {
                billing = match b.node.as_str() {
                    "annual" => Billing::Annual,
                    "monthly" => Billing::Monthly,
                    _ => {
                        return vec![
                            Diagnostic::new(
                                Code::UnknownReference,
                                format!("unknown billing `{}`", b.node),
                            )
                            .label(b.span, "billing")
                            .help("write `billing monthly` or `billing annual`"),
                        ];
                    }
                }
            }
            ast::BillOption::From(d) => from = crate::base::date::Date::parse(&d.node),
            ast::BillOption::Periods(n) => {
                periods = u32::try_from(n.node.trunc().mantissa())
                    .ok()
                    .filter(|_| n.node.fract().is_zero())
            }
            ast::BillOption::Recharge { below, to, cap } => {
                let Some(unit) = table.unit_id(&below.unit.node) else {
                    return vec![
                        Diagnostic::new(
                            Code::UnknownReference,
                            format!("unknown unit `{}`", below.unit.node),
                        )
                        .label(below.unit.span, "unit")
                        .help("recharge in the wallet's unit"),
                    ];
                };
                recharge = Some(RechargeSettings {
                    below: below.value.node,
                    to: to.value.node,
                    unit,
                    cap: cap.as_ref().map(|c| c.value.node),
                });
            }
        }
    }
    let first_month = events.iter().map(|e| e.time).min().map(|t| {
        let d = crate::base::date::Date::from_days(t.div_euclid(86_400));
        crate::base::date::Date { day: 1, ..d }
    });
    let Some(from) = from.or(first_month).or(Some(model.effective)) else {
        return out;
    };
    let mut request = crate::bill::BillRequest::new(plan as u32, from, periods.unwrap_or(1));
    request.billing = billing;
    request.recharge = recharge;
    let bill = match crate::bill::bill(&table, &request, &events) {
        Ok(b) => b,
        Err(e) => {
            return vec![fail(
                span,
                format!("test \"{test}\": {e}"),
                "fix the bill's options",
            )];
        }
    };
    for s in body {
        let ast::BillStmt::Expect { subject, value } = &s.node else {
            continue;
        };
        let words: Vec<&str> = subject.iter().map(|w| w.node.as_str()).collect();
        let expected = match value {
            ast::ExpectValue::Quantity(q) => (q.value.node, Some(q.unit.node.as_str())),
            ast::ExpectValue::Number(n) => (n.node, None),
        };
        match bill_subject(&table, &bill, &words, expected.1) {
            Ok(actual) if actual == expected.0 => {}
            Ok(actual) => out.push(fail(
                s.span,
                format!(
                    "test \"{test}\": expected {} {}{}, got {actual}",
                    words.join(" "),
                    expected.0,
                    expected.1.map(|u| format!(" {u}")).unwrap_or_default()
                ),
                "fix the expectation or the rule it exercises; `pricebook bill` shows the whole bill",
            )),
            Err(e) => out.push(fail(s.span, format!("test \"{test}\": {e}"), "subjects: total, line <kind|product>, granted|consumed|expired|remaining <grant or unit>, rejected")),
        }
    }
    out
}

/// The value a bill expectation's subject names, in `unit` when one is given.
fn bill_subject(
    table: &crate::table::RatingTable,
    bill: &crate::bill::Bill,
    words: &[&str],
    unit: Option<&str>,
) -> Result<Decimal, String> {
    let money = |amount: Decimal| -> Result<Decimal, String> {
        match unit {
            Some(u) if u != bill.currency => {
                Err(format!("money is in {}, not `{u}`", bill.currency))
            }
            _ => Ok(amount),
        }
    };
    match words {
        ["total"] => money(bill.total),
        ["rejected"] => Ok(Decimal::from(bill.rejected.len())),
        ["line", what] | ["lines", what] => {
            let slug_display = table
                .products
                .iter()
                .find(|p| p.slug == *what)
                .map(|p| p.display.clone());
            let lines: Vec<&crate::bill::BillLine> = bill
                .lines
                .iter()
                .filter(|l| {
                    l.kind == *what
                        || slug_display
                            .as_ref()
                            .is_some_and(|d| l.description.starts_with(d.as_str()))
                })
                .collect();
            if lines.is_empty() {
                return Err(format!("the bill has no `{what}` line"));
            }
            if lines.iter().any(|l| l.amount.is_none()) {
                return Err(format!("a `{what}` line has no published amount"));
            }
            money(lines.iter().filter_map(|l| l.amount).sum())
        }
        [measure, rest @ ..]
            if ["granted", "consumed", "expired", "remaining"].contains(measure) =>
        {
            let what = rest.join(" ");
            let target_unit = unit.ok_or("write the expected amount with its unit")?;
            let tu = table
                .units
                .iter()
                .find(|u| u.name == target_unit)
                .ok_or_else(|| format!("unknown unit `{target_unit}`"))?;
            let matches = |g: &crate::bill::GrantReport| -> bool {
                match what.as_str() {
                    "plan credits" | "plan" => g.grant.starts_with("plan "),
                    "pack" | "packs" => g.grant.starts_with("pack "),
                    "recharge" => g.grant.starts_with("recharge "),
                    "contract" | "included" => g.grant.starts_with("contract "),
                    "" => true,
                    w => g.unit == w || g.grant.split_whitespace().nth(1) == Some(w),
                }
            };
            let mut total = Decimal::ZERO;
            let mut any = false;
            for g in bill.wallet.iter().filter(|g| matches(g)) {
                let gu = table
                    .units
                    .iter()
                    .find(|u| u.name == g.unit)
                    .ok_or("unknown grant unit")?;
                if gu.dimension != tu.dimension {
                    continue;
                }
                any = true;
                let v = match *measure {
                    "granted" => g.granted,
                    "consumed" => g.consumed,
                    "expired" => g.expired,
                    _ => g.remaining,
                };
                total += v * gu.factor / tu.factor;
            }
            if !any {
                return Err(format!("no grant in the wallet matches `{what}`"));
            }
            Ok(total.normalize())
        }
        _ => Err(format!("unknown expectation `{}`", words.join(" "))),
    }
}
