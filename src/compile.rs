//! The compiler: checked [`Model`] -> [`RatingTable`].
//!
//! Conversions are resolved here (every quantity is in base units), names become dense ids,
//! matrices become row-major cell arrays, spans become line numbers, and each plan's price per
//! wallet unit is precomputed, so that quoting from the table needs no lookups by name.

use crate::base::line_numbers::LineNumbers;
use crate::base::money::charge_dp;
use crate::base::units::Dimension;
use crate::model::*;
use crate::syntax::ast::{self, RechargeField};
use crate::table::*;
use rustc_hash::FxHashMap;

pub(crate) fn dimension_name(d: &Dimension) -> String {
    match d {
        Dimension::Time => "time".into(),
        Dimension::Text => "text".into(),
        Dimension::Area => "area".into(),
        Dimension::Period => "period".into(),
        Dimension::Money(c) => format!("money:{c}"),
        Dimension::Count(u) => format!("count:{u}"),
    }
}

/// Why a model could not be compiled. A model from the checker always compiles; these are
/// models built or changed by hand that break what the checker guarantees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    #[error("the model names unit `{unit}`, which it does not declare")]
    UnknownUnit { unit: String },
    #[error("the table compiled from the model is inconsistent: {0}")]
    Invalid(String),
}

/// Compiles a checked model; `source` is the book's text (hashed, and used for line numbers).
#[cfg(any(test, feature = "internals"))]
pub fn compile(model: &Model, source: &str) -> Result<RatingTable, ModelError> {
    compile_from(model, source, "")
}

/// [`compile`], recording the book's file name (`origin`) in the table, so that explanations
/// from the table cite the book's `file:line`.
#[cfg(any(test, feature = "internals"))]
pub fn compile_from(model: &Model, source: &str, origin: &str) -> Result<RatingTable, ModelError> {
    let mut table = compile_unsealed(model, source, origin)?;
    table.seal();
    Ok(table)
}

/// [`compile_from`] without the checksum, for a table that is only priced from in memory (the
/// worked examples of `pricebook check`): the checksum is a hash of the whole table's JSON, and
/// [`RatingTable::to_json`] computes it afresh anyway.
pub(crate) fn compile_unsealed(
    model: &Model,
    source: &str,
    origin: &str,
) -> Result<RatingTable, ModelError> {
    // Line numbers only: a line index over the source, without copying it or counting columns.
    let lines = LineNumbers::new(source);
    let line = |span: crate::syntax::ast::Span| lines.line(span.start);
    // Every unit the model names is declared (the checker resolved them); the first that is
    // not is remembered and makes compiling fail, rather than pointing at another unit.
    let unknown_unit: std::cell::RefCell<Option<String>> = std::cell::RefCell::new(None);
    // Each unit's first position, by name: every rate names two units.
    let mut unit_ids: FxHashMap<&str, UnitId> = FxHashMap::default();
    for (i, u) in model.units.units.iter().enumerate() {
        unit_ids.entry(u.name.as_str()).or_insert(i as UnitId);
    }
    let unit_id = |name: &str| match unit_ids.get(name) {
        Some(&i) => i,
        None => {
            unknown_unit
                .borrow_mut()
                .get_or_insert_with(|| name.to_string());
            0
        }
    };
    let cell = |r: &RateDef| RateCell {
        amount: r.amount,
        unit: unit_id(&r.unit),
        per: r.per,
        per_unit: unit_id(&r.per_unit),
        per_base: r.per_base,
        line: line(r.span),
    };
    let grant = |g: &GrantDef| GrantEntry {
        amount: g.amount,
        contract_set: g.contract_set,
        unit: unit_id(&g.unit),
        every_months: match g.cadence {
            GrantCadence::EveryMonths(n) => Some(n),
            GrantCadence::Once | GrantCadence::EveryDays(_) => None,
        },
        every_days: match g.cadence {
            GrantCadence::EveryDays(n) => Some(n),
            _ => None,
        },
        expiry: expiry_text(&g.expiry),
        priority: g.priority,
        line: line(g.span),
    };
    let bound = |b: &Bound| BoundEntry {
        base: b.base,
        text: b.text.clone(),
        line: line(b.span),
    };
    let fee = |f: &FeeDef| FeeEntry {
        name: f.name.clone(),
        amount: f.amount,
        every_months: f.every_months,
        line: line(f.span),
    };
    let price = |p: &PlanPrice| match p {
        PlanPrice::Custom => PriceEntry::Custom,
        PlanPrice::Unpublished => PriceEntry::Unpublished,
        PlanPrice::Amount { amount, months, .. } => PriceEntry::Amount {
            amount: *amount,
            months: *months,
        },
    };

    let units = model
        .units
        .units
        .iter()
        .map(|u| UnitEntry {
            name: u.name.clone(),
            dimension: dimension_name(&u.dimension),
            factor: u.factor,
            charge_dp: charge_dp(&u.name),
            is_money: u.dimension.is_money(),
        })
        .collect();
    let dimensions = model
        .dimensions
        .iter()
        .map(|d| DimensionEntry {
            name: d.name.clone(),
            values: d.values.clone(),
        })
        .collect();

    let products = model
        .products
        .iter()
        .map(|p| {
            let sizes: Vec<u32> = p
                .dims
                .iter()
                .map(|d| model.dimensions[*d].values.len() as u32)
                .collect();
            let mut strides = vec![1u32; sizes.len()];
            for i in (0..sizes.len().saturating_sub(1)).rev() {
                strides[i] = strides[i + 1] * sizes[i + 1];
            }
            let pricing = match &p.pricing {
                Pricing::Single(r) => PricingEntry::Cells {
                    cells: vec![Some(cell(r))],
                },
                Pricing::Matrix(cells) => {
                    let total: u32 = sizes.iter().product();
                    let mut out = vec![None; total as usize];
                    for c in cells {
                        let idx: u32 = c.key.iter().zip(&strides).map(|(v, s)| *v as u32 * s).sum();
                        out[idx as usize] = c.rate.as_ref().map(cell);
                    }
                    PricingEntry::Cells { cells: out }
                }
                Pricing::Tiered {
                    mode,
                    tiers,
                    per_event,
                } => PricingEntry::Tiered {
                    mode: tier_mode(*mode),
                    scope: if *per_event {
                        TierScope::Event
                    } else {
                        TierScope::Period
                    },
                    tiers: tiers
                        .iter()
                        .map(|t| TierEntry {
                            from: t.from,
                            to: t.to,
                            rate: cell(&t.rate),
                        })
                        .collect(),
                },
                Pricing::Flat {
                    amount,
                    unit,
                    per,
                    span,
                } => PricingEntry::Flat {
                    amount: *amount,
                    unit: unit_id(unit),
                    per: per.as_deref().map(unit_id),
                    line: line(*span),
                },
                Pricing::Free { span } => PricingEntry::Free { line: line(*span) },
                Pricing::Unpublished { span } => PricingEntry::Unpublished { line: line(*span) },
            };
            ProductEntry {
                slug: p.slug.clone(),
                display: p.display.clone(),
                aliases: p.aliases.clone(),
                measure: dimension_name(&p.measure),
                dims: p.dims.iter().map(|d| *d as u32).collect(),
                strides,
                fills: {
                    let fills = p.dimension_fills(&model.dimensions);
                    match fills.iter().any(Option::is_some) {
                        true => fills.iter().map(|f| f.map(|v| v as u32)).collect(),
                        false => Vec::new(),
                    }
                },
                pricing,
                charge_unit: p.charge_unit().map(unit_id),
                rounding: p.rounding.as_ref().map(|r| RoundingEntry {
                    mode: round_mode(r.mode),
                    step: r.step,
                    line: line(r.span),
                }),
                min: p.min.as_ref().map(bound),
                max: p.max.as_ref().map(bound),
                bill: BillBoundsEntry {
                    raise_quantity: p.bill.raise_quantity.as_ref().map(bound),
                    cap_quantity: p.bill.cap_quantity.as_ref().map(bound),
                    raise_charge: p.bill.raise_charge.as_ref().map(bound),
                    cap_charge: p.bill.cap_charge.as_ref().map(bound),
                    cap_period: p.bill.cap_period.as_ref().map(bound),
                },
                outside_wallet: p.outside_wallet,
                whole: p.whole,
                fees: p.fees.iter().map(fee).collect(),
                line: line(p.span),
            }
        })
        .collect();

    let plans = model
        .plans
        .iter()
        .map(|pl| {
            // Money per unit for every wallet unit the plan prices (by grant or contract rate).
            let mut wallet_prices = Vec::new();
            for u in &model.units.units {
                if u.dimension.is_money() {
                    continue;
                }
                if let Some((price, granted, _)) = model.plan_unit_price(pl, &u.name) {
                    wallet_prices.push(WalletPrice {
                        unit: unit_id(&u.name),
                        price,
                        granted,
                    });
                }
            }
            PlanEntry {
                slug: pl.slug.clone(),
                display: pl.display.clone(),
                price: price(&pl.price),
                price_line: line(pl.price_span),
                billing: pl.billing.clone(),
                grants: pl.grants.iter().map(grant).collect(),
                packs_allowed: pl.packs_allowed,
                available: pl.available.clone(),
                fees: pl.fees.iter().map(fee).collect(),
                top_up: pl.top_up.as_ref().map(|t| TopUpEntry {
                    unit: unit_id(&t.currency),
                    minimum: t.minimum,
                    maximum: t.maximum,
                    expiry: expiry_text(&t.expiry),
                    line: line(t.span),
                }),
                allowances: pl
                    .allowances
                    .iter()
                    .map(|a| AllowanceEntry {
                        amount: a.amount,
                        unit: unit_id(&a.unit),
                        counts_events: a.counts_events,
                        window: a.window.clone(),
                        scope: a.scope.iter().map(|i| *i as ProductId).collect(),
                        beyond: match &a.beyond {
                            BeyondDef::Reject => BeyondEntry::Reject,
                            BeyondDef::Wallet => BeyondEntry::Wallet,
                            BeyondDef::Overage(r) => BeyondEntry::Overage { rate: cell(r) },
                        },
                        text: a.text.clone(),
                        line: line(a.span),
                    })
                    .collect(),
                limits: pl
                    .limits
                    .iter()
                    .map(|l| LimitEntry {
                        name: l.name.clone(),
                        op: l.op.clone(),
                        value: l.value_text.clone(),
                        upper: l.upper_text.clone(),
                        kind: match &l.kind {
                            LimitKind::PerEvent { dimension, bound } => LimitKindEntry::PerEvent {
                                dimension: dimension_name(dimension),
                                bound: *bound,
                            },
                            LimitKind::DimensionRange { dimension, lo, hi } => {
                                LimitKindEntry::DimensionRange {
                                    dimension: *dimension as u32,
                                    lo: *lo as u32,
                                    hi: *hi as u32,
                                }
                            }
                            LimitKind::Window {
                                max,
                                strict,
                                dimension,
                                window,
                            } => LimitKindEntry::Window {
                                max: *max,
                                strict: *strict,
                                dimension: dimension.as_ref().map(dimension_name),
                                window: window.clone(),
                            },
                            LimitKind::Attribute {
                                attribute,
                                dimension,
                                factor,
                                bound,
                            } => LimitKindEntry::Attribute {
                                attribute: *attribute as u32,
                                dimension: dimension.as_ref().map(dimension_name),
                                factor: *factor,
                                bound: *bound,
                            },
                            LimitKind::Informational => LimitKindEntry::Informational,
                        },
                        scope: l.scope.iter().map(|i| *i as u32).collect(),
                        line: line(l.span),
                    })
                    .collect(),
                features: pl.features.clone(),
                when_empty: match &pl.when_empty {
                    EmptyRuleDef::Reject => EmptyEntry::Reject,
                    EmptyRuleDef::Overage(r) => EmptyEntry::Overage {
                        rate: r.as_ref().map(cell),
                    },
                    EmptyRuleDef::AutoRecharge => EmptyEntry::AutoRecharge,
                },
                commit: pl.commit.as_ref().map(|c| CommitEntry {
                    amount: c.amount,
                    months: c.months,
                    included: c.included.as_ref().map(|(q, u)| (*q, unit_id(u))),
                    contract_rate: c.contract_rate.as_ref().map(cell),
                    overage: c.overage.as_ref().map(cell),
                }),
                overrides: pl
                    .overrides
                    .iter()
                    .map(|(i, r)| (*i as u32, cell(r)))
                    .collect(),
                wallet_prices,
                line: line(pl.span),
            }
        })
        .collect();

    let packs = model
        .packs
        .iter()
        .map(|p| PackEntry {
            slug: p.slug.clone(),
            display: p.display.clone(),
            price: price(&p.price),
            grants: p.grants.iter().map(grant).collect(),
            plans: p.plans.iter().map(|i| *i as u32).collect(),
            line: line(p.span),
        })
        .collect();

    let recharge = model.recharge.as_ref().map(|r| {
        let minimum = |field: RechargeField| {
            r.minimums
                .iter()
                .find(|(f, _, _)| *f == field)
                .map(|(_, q, u)| (*q, u.clone()))
        };
        RechargeEntry {
            price: r.price.as_ref().map(|(a, _, n, u)| (*a, *n, unit_id(u))),
            below: r.below.as_ref().map(|(q, u)| (*q, unit_id(u))),
            refill_to: r.refill_to.as_ref().map(|(q, u)| (*q, unit_id(u))),
            cap: r.cap.as_ref().map(|(a, _)| *a),
            min_below: minimum(RechargeField::Below).map(|(q, u)| (q, unit_id(&u))),
            min_refill: minimum(RechargeField::Refill).map(|(q, u)| (q, unit_id(&u))),
            min_cap: minimum(RechargeField::Cap).map(|(q, _)| q),
            plans: r.plans.as_ref().map(|slugs| {
                slugs
                    .iter()
                    .filter_map(|s| model.plans.iter().position(|p| &p.slug == s))
                    .map(|i| i as PlanId)
                    .collect()
            }),
            line: line(r.span),
        }
    });

    let table = RatingTable {
        schema_version: SCHEMA_VERSION,
        vendor: model.vendor.clone(),
        list: model.list.clone(),
        version: model.version.clone(),
        effective: model.effective.to_string(),
        currency: model.currency.clone(),
        source_hash: sha256_hex(source.as_bytes()),
        source: origin.to_string(),
        checksum: String::new(),
        units,
        attributes: model.attributes.clone(),
        dimensions,
        products,
        plans,
        packs,
        annual_front_load: model.annual_front_load,
        existing_moves: model.existing_moves.clone(),
        subscription: model.subscription,
        recharge,
    };
    if let Some(unit) = unknown_unit.take() {
        return Err(ModelError::UnknownUnit { unit });
    }
    // What every loaded table guarantees holds for a compiled one too.
    table
        .validate()
        .map_err(|e| ModelError::Invalid(e.to_string()))?;
    Ok(table)
}

/// The book's tier mode in the table's own type.
/// An expiry rule as the table spells it.
fn expiry_text(e: &GrantExpiry) -> String {
    match e {
        GrantExpiry::Never => "never".into(),
        GrantExpiry::CycleEnd => "cycle-end".into(),
        GrantExpiry::ContractEnd => "contract-end".into(),
        GrantExpiry::AfterMonths(n) => format!("months:{n}"),
        GrantExpiry::AfterDays(n) => format!("days:{n}"),
    }
}

fn tier_mode(mode: ast::TierMode) -> TierMode {
    match mode {
        ast::TierMode::Graduated => TierMode::Graduated,
        ast::TierMode::Volume => TierMode::Volume,
    }
}

/// The book's rounding mode in the table's own type.
fn round_mode(mode: ast::RoundMode) -> RoundMode {
    match mode {
        ast::RoundMode::Up => RoundMode::Up,
        ast::RoundMode::Down => RoundMode::Down,
        ast::RoundMode::Nearest => RoundMode::Nearest,
    }
}
