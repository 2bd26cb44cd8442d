//! What changed in a product: its pricing, rates, matrix cells, tiers, rounding and bounds.

use super::*;

pub(super) fn pricing_kind(t: &T<'_>, p: &ProductEntry) -> String {
    match &p.pricing {
        PricingEntry::Cells { .. } if p.dims.is_empty() => "rate".into(),
        PricingEntry::Cells { .. } => format!("matrix by {}", dim_names(t, p).join(", ")),
        PricingEntry::Tiered { mode, .. } => format!("{mode:?} tiers").to_lowercase(),
        PricingEntry::Flat { .. } => "flat".into(),
        PricingEntry::Free { .. } => "free".into(),
        PricingEntry::Unpublished { .. } => "rate unpublished".into(),
    }
}

pub(super) fn dim_names<'a>(t: &T<'a>, p: &ProductEntry) -> Vec<&'a str> {
    p.dims
        .iter()
        .filter_map(|d| t.0.dimensions.get(*d as usize).map(|d| d.name.as_str()))
        .collect()
}

/// Every cell of a product: (label, key for matching, cell id), row-major.
pub(super) fn cells(t: &T<'_>, p: &ProductEntry) -> Vec<(String, String, CellId)> {
    let mut out = vec![(String::new(), String::new(), 0u32)];
    for (d, stride) in p.dims.iter().zip(&p.strides) {
        let Some(dim) = t.0.dimensions.get(*d as usize) else {
            continue;
        };
        let mut next = Vec::new();
        for (label, key, id) in &out {
            for (i, v) in dim.values.iter().enumerate() {
                let join = |a: &str, b: &str| {
                    if a.is_empty() {
                        b.to_string()
                    } else {
                        format!("{a}, {b}")
                    }
                };
                next.push((
                    join(label, v),
                    join(key, &name_key(v)),
                    id + i as u32 * stride,
                ));
            }
        }
        out = next;
    }
    out
}

pub(super) fn cell_val(t: &T<'_>, cells: &[Option<RateCell>], id: CellId) -> Option<Val> {
    match cells.get(id as usize) {
        Some(Some(r)) => Some(t.rate(r)),
        Some(None) => Some(Val::text("not offered")),
        None => None,
    }
}

/// The whole pricing of a product as one line, for a change of pricing kind.
pub(super) fn pricing_text(t: &T<'_>, p: &ProductEntry) -> String {
    match &p.pricing {
        PricingEntry::Cells { cells: c } if p.dims.is_empty() => c
            .first()
            .and_then(|r| r.as_ref())
            .map_or("not offered".into(), |r| t.rate_text(r)),
        PricingEntry::Cells { cells: c } => {
            let body: Vec<String> = cells(t, p)
                .iter()
                .map(|(label, _, id)| {
                    let v = cell_val(t, c, *id).map_or("-".into(), |v| v.text);
                    format!("{label} = {v}")
                })
                .collect();
            format!("{}: {}", pricing_kind(t, p), body.join("; "))
        }
        PricingEntry::Tiered { tiers, .. } => {
            let all = bounds(tiers);
            let body: Vec<String> = tiers
                .iter()
                .map(|tier| {
                    format!(
                        "{}: {}",
                        tier_bounds(t, p, tier, &all),
                        t.rate_text(&tier.rate)
                    )
                })
                .collect();
            format!("{}: {}", pricing_kind(t, p), body.join("; "))
        }
        PricingEntry::Flat {
            amount, unit, per, ..
        } => match per {
            Some(per) => format!(
                "flat {} {} / {}",
                dec(*amount),
                t.unit_name(*unit),
                t.unit_name(*per)
            ),
            None => format!("flat {} {}", dec(*amount), t.unit_name(*unit)),
        },
        PricingEntry::Free { .. } => "free".into(),
        PricingEntry::Unpublished { .. } => "rate unpublished".into(),
    }
}

/// `0 minute .. 100 minute`, in one unit for every bound in `all`.
pub(super) fn tier_bounds(
    t: &T<'_>,
    p: &ProductEntry,
    tier: &crate::table::TierEntry,
    all: &[Decimal],
) -> String {
    let (name, factor) = t.unit_for(&p.measure, all);
    let q = |v: Decimal| format!("{} {name}", norm(v / factor));
    match tier.to {
        Some(to) => format!("{} .. {}", q(tier.from), q(to)),
        None => format!("{} ..", q(tier.from)),
    }
}

pub(super) fn bounds(tiers: &[crate::table::TierEntry]) -> Vec<Decimal> {
    tiers
        .iter()
        .flat_map(|t| std::iter::once(t.from).chain(t.to))
        .collect()
}

pub(super) fn product_changes(
    a: &T<'_>,
    p: &ProductEntry,
    b: &T<'_>,
    q: &ProductEntry,
) -> Vec<Change> {
    let mut out = Vec::new();
    push(
        &mut out,
        change(
            "name",
            Some(Val::text(&p.display)),
            Some(Val::text(&q.display)),
        ),
    );
    push(
        &mut out,
        change(
            "measure",
            Some(Val::text(measure_name(&p.measure))),
            Some(Val::text(measure_name(&q.measure))),
        ),
    );
    let (kind_a, kind_b) = (pricing_kind(a, p), pricing_kind(b, q));
    match (&p.pricing, &q.pricing) {
        (PricingEntry::Cells { cells: ca }, PricingEntry::Cells { cells: cb }) => {
            if kind_a != kind_b {
                push(
                    &mut out,
                    change(
                        "pricing",
                        Some(Val::text(&kind_a)),
                        Some(Val::text(&kind_b)),
                    ),
                );
            }
            let (la, lb) = (cells(a, p), cells(b, q));
            if p.dims.is_empty() || q.dims.is_empty() {
                // A single rate against each cell of the other side (or against the single rate).
                let single = |t: &T<'_>, c: &[Option<RateCell>]| cell_val(t, c, 0);
                let many = if p.dims.is_empty() { &lb } else { &la };
                for (label, _, id) in many {
                    let what = if label.is_empty() {
                        "rate".to_string()
                    } else {
                        format!("rate {label}")
                    };
                    let (o, n) = if p.dims.is_empty() {
                        (single(a, ca), cell_val(b, cb, *id))
                    } else {
                        (cell_val(a, ca, *id), single(b, cb))
                    };
                    push(&mut out, change(what, o, n));
                }
            } else if kind_a == kind_b {
                for key in ordered_keys(
                    la.iter().map(|c| c.1.as_str()),
                    lb.iter().map(|c| c.1.as_str()),
                ) {
                    let ia = la.iter().find(|c| c.1 == key);
                    let ib = lb.iter().find(|c| c.1 == key);
                    let label = ib.or(ia).map_or(key, |c| c.0.as_str());
                    push(
                        &mut out,
                        change(
                            format!("rate {label}"),
                            ia.and_then(|c| cell_val(a, ca, c.2)),
                            ib.and_then(|c| cell_val(b, cb, c.2)),
                        ),
                    );
                }
            } else {
                push(
                    &mut out,
                    change(
                        "rates",
                        Some(Val::text(pricing_text(a, p))),
                        Some(Val::text(pricing_text(b, q))),
                    ),
                );
            }
        }
        (PricingEntry::Tiered { tiers: ta, .. }, PricingEntry::Tiered { tiers: tb, .. })
            if kind_a == kind_b =>
        {
            // One unit for the bounds of both sides when they measure the same thing.
            let (mut ba, mut bb) = (bounds(ta), bounds(tb));
            if p.measure == q.measure {
                ba.extend(bounds(tb));
                bb = ba.clone();
            }
            for i in 0..ta.len().max(tb.len()) {
                let (x, y) = (ta.get(i), tb.get(i));
                push(
                    &mut out,
                    change(
                        format!("tier {} bounds", i + 1),
                        x.map(|x| Val::text(tier_bounds(a, p, x, &ba))),
                        y.map(|y| Val::text(tier_bounds(b, q, y, &bb))),
                    ),
                );
                push(
                    &mut out,
                    change(
                        format!("tier {} rate", i + 1),
                        x.map(|x| a.rate(&x.rate)),
                        y.map(|y| b.rate(&y.rate)),
                    ),
                );
            }
        }
        (
            PricingEntry::Flat {
                amount: xa,
                unit: ua,
                ..
            },
            PricingEntry::Flat {
                amount: xb,
                unit: ub,
                ..
            },
        ) => {
            let val = |t: &T<'_>, p: &ProductEntry, amount: Decimal, unit: UnitId| {
                let mut v = t.amount(amount, unit);
                v.text = pricing_text(t, p);
                v
            };
            push(
                &mut out,
                change("flat", Some(val(a, p, *xa, *ua)), Some(val(b, q, *xb, *ub))),
            );
        }
        (PricingEntry::Free { .. }, PricingEntry::Free { .. })
        | (PricingEntry::Unpublished { .. }, PricingEntry::Unpublished { .. }) => {}
        _ => {
            let mut c = change(
                "pricing",
                Some(Val::text(pricing_text(a, p))),
                Some(Val::text(pricing_text(b, q))),
            );
            if let Some(c) = &mut c {
                c.note = Some(format!("{kind_a} -> {kind_b}"));
            }
            push(&mut out, c);
        }
    }
    let rounding = |t: &T<'_>, p: &ProductEntry| match &p.rounding {
        Some(r) => Val::text(format!(
            "round {} to {}",
            format!("{:?}", r.mode).to_lowercase(),
            t.base_qty(&p.measure, r.step)
        )),
        None => Val::text("prorate"),
    };
    push(
        &mut out,
        change("rounding", Some(rounding(a, p)), Some(rounding(b, q))),
    );
    let bound = |t: &T<'_>, p: &ProductEntry, b: &Option<crate::table::BoundEntry>| {
        b.as_ref().map(|b| {
            let mut v = t.base_val(&p.measure, b.base);
            v.text = b.text.clone();
            v
        })
    };
    push(
        &mut out,
        change("min", bound(a, p, &p.min), bound(b, q, &q.min)),
    );
    push(
        &mut out,
        change("max", bound(a, p, &p.max), bound(b, q, &q.max)),
    );
    push(
        &mut out,
        change(
            "outside wallet",
            Some(Val::text(yes_no(p.outside_wallet))),
            Some(Val::text(yes_no(q.outside_wallet))),
        ),
    );
    out
}
