//! What changed in a plan: price, grants, limits, availability, wallet rules; and the book's auto recharge.

use super::*;

pub(super) fn grant_changes(
    a: &T<'_>,
    ga: &[GrantEntry],
    b: &T<'_>,
    gb: &[GrantEntry],
    out: &mut Vec<Change>,
) {
    let n = ga.len().max(gb.len());
    for i in 0..n {
        let what = if n == 1 {
            "grant".to_string()
        } else {
            format!("grant {}", i + 1)
        };
        match (ga.get(i), gb.get(i)) {
            (Some(x), Some(y)) => {
                push(
                    out,
                    change(
                        format!("{what} amount"),
                        Some(a.amount(x.amount, x.unit)),
                        Some(b.amount(y.amount, y.unit)),
                    ),
                );
                push(
                    out,
                    change(
                        format!("{what} cadence"),
                        Some(Val::text(cadence(x.every_months, x.every_days))),
                        Some(Val::text(cadence(y.every_months, y.every_days))),
                    ),
                );
                push(
                    out,
                    change(
                        format!("{what} expiry"),
                        Some(Val::text(expiry(&x.expiry))),
                        Some(Val::text(expiry(&y.expiry))),
                    ),
                );
                push(
                    out,
                    change(
                        format!("{what} priority"),
                        Some(Val::text(x.priority.to_string())),
                        Some(Val::text(y.priority.to_string())),
                    ),
                );
            }
            (x, y) => push(
                out,
                change(
                    what,
                    x.map(|g| Val::text(a.grant_text(g))),
                    y.map(|g| Val::text(b.grant_text(g))),
                ),
            ),
        }
    }
}

pub(super) fn limit_val(t: &T<'_>, l: &crate::table::LimitEntry) -> Val {
    let scope: Vec<&str> = l.scope.iter().map(|i| t.product_slug(*i)).collect();
    let window = match &l.kind {
        LimitKindEntry::Window { window, .. } => format!(" per {window}"),
        _ => String::new(),
    };
    let on = if scope.is_empty() {
        String::new()
    } else {
        format!(" on {}", scope.join(", "))
    };
    let bound = match &l.upper {
        Some(upper) => format!("between {} and {upper}", l.value),
        None => format!("{} {}", l.op, l.value),
    };
    let text = format!("{bound}{window}{on}");
    match &l.kind {
        // A cap compares as a number (a raised cap is a percent change); a range as text.
        LimitKindEntry::PerEvent { dimension, bound } if bound.lo.is_none() => Val::num(
            text,
            bound.hi.map(|h| h.value),
            format!("per-event:{dimension}"),
            measure_name(dimension),
        ),
        LimitKindEntry::Window {
            max,
            dimension,
            window,
            ..
        } => Val::num(
            text,
            Some(*max),
            format!("window:{}:{window}", dimension.as_deref().unwrap_or("")),
            format!(
                "{} per {window}",
                dimension.as_deref().map_or("events".into(), measure_name)
            ),
        ),
        LimitKindEntry::Informational => {
            let n = crate::base::money::parse_decimal(l.value.trim());
            Val::num(text, n, "informational".into(), String::new())
        }
        LimitKindEntry::PerEvent { .. }
        | LimitKindEntry::DimensionRange { .. }
        | LimitKindEntry::Attribute { .. } => Val::text(text),
    }
}

pub(super) fn plan_changes(a: &T<'_>, p: &PlanEntry, b: &T<'_>, q: &PlanEntry) -> Vec<Change> {
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
        change("price", Some(a.price(&p.price)), Some(b.price(&q.price))),
    );
    push(
        &mut out,
        change(
            "billing",
            Some(Val::text(p.billing.join(", "))),
            Some(Val::text(q.billing.join(", "))),
        ),
    );
    grant_changes(a, &p.grants, b, &q.grants, &mut out);
    // What one unit of the plan's grants is worth on it (price / units granted per period).
    let worth = |t: &T<'_>, pl: &PlanEntry| -> Vec<(String, Val)> {
        pl.wallet_prices
            .iter()
            .filter(|w| pl.grants.iter().any(|g| g.unit == w.unit))
            .map(|w| {
                let name = t.unit_name(w.unit).to_string();
                let per = w.price.checked_div(w.granted);
                let text = per.map_or("-".into(), |v| {
                    format!(
                        "{} {}",
                        norm(v.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)),
                        t.0.currency
                    )
                });
                let key = format!("money:{}", t.0.currency);
                (name, Val::num(text, per, key, t.0.currency.clone()))
            })
            .collect()
    };
    let (mut wa, mut wb) = (worth(a, p), worth(b, q));
    let names: Vec<String> = wa.iter().chain(wb.iter()).map(|w| w.0.clone()).collect();
    let mut done: Vec<String> = Vec::new();
    for name in names {
        if done.contains(&name) {
            continue;
        }
        let x = wa
            .iter()
            .position(|w| w.0 == name)
            .map(|i| wa.swap_remove(i).1);
        let y = wb
            .iter()
            .position(|w| w.0 == name)
            .map(|i| wb.swap_remove(i).1);
        push(&mut out, change(format!("1 {name} is worth"), x, y));
        done.push(name);
    }
    push(
        &mut out,
        change(
            "packs",
            Some(Val::text(if p.packs_allowed {
                "allowed"
            } else {
                "not allowed"
            })),
            Some(Val::text(if q.packs_allowed {
                "allowed"
            } else {
                "not allowed"
            })),
        ),
    );
    // Availability of the products both versions have.
    for (i, prod) in a.0.products.iter().enumerate() {
        let Some(j) = b.0.products.iter().position(|x| x.slug == prod.slug) else {
            continue;
        };
        let (x, y) = (
            p.available.get(i).copied().unwrap_or(false),
            q.available.get(j).copied().unwrap_or(false),
        );
        push(
            &mut out,
            change(
                format!("offers {}", prod.slug),
                Some(Val::text(yes_no(x))),
                Some(Val::text(yes_no(y))),
            ),
        );
    }
    // Plan rates replacing a product's own, by product slug.
    let over = |t: &T<'_>, pl: &PlanEntry, slug: &str| {
        pl.overrides
            .iter()
            .find(|(i, _)| t.product_slug(*i) == slug)
            .map(|(_, r)| t.rate(r))
    };
    for slug in ordered_keys(
        p.overrides.iter().map(|(i, _)| a.product_slug(*i)),
        q.overrides.iter().map(|(i, _)| b.product_slug(*i)),
    ) {
        push(
            &mut out,
            change(format!("rate {slug}"), over(a, p, slug), over(b, q, slug)),
        );
    }
    for key in ordered_keys(
        p.limits.iter().map(|l| l.name.as_str()),
        q.limits.iter().map(|l| l.name.as_str()),
    ) {
        let find = |t: &T<'_>, pl: &PlanEntry| {
            pl.limits
                .iter()
                .find(|l| name_key(&l.name) == name_key(key))
                .map(|l| limit_val(t, l))
        };
        push(
            &mut out,
            change(format!("limit {key}"), find(a, p), find(b, q)),
        );
    }
    for key in ordered_keys(
        p.features.iter().map(|f| f.0.as_str()),
        q.features.iter().map(|f| f.0.as_str()),
    ) {
        let find = |pl: &PlanEntry| {
            pl.features
                .iter()
                .find(|f| f.0 == key)
                .map(|f| Val::text(&f.1))
        };
        push(&mut out, change(format!("feature {key}"), find(p), find(q)));
    }
    let empty = |t: &T<'_>, pl: &PlanEntry| match &pl.when_empty {
        crate::table::EmptyEntry::Reject => Val::text("reject"),
        crate::table::EmptyEntry::AutoRecharge => Val::text("auto recharge"),
        crate::table::EmptyEntry::Overage { rate: None } => Val::text("overage"),
        // The commitment's own overage rate: compared under `overage` below.
        crate::table::EmptyEntry::Overage { rate: Some(r) }
            if pl.commit.as_ref().and_then(|c| c.overage.as_ref()) == Some(r) =>
        {
            Val::text("overage")
        }
        crate::table::EmptyEntry::Overage { rate: Some(r) } => {
            let mut v = t.rate(r);
            v.text = format!("overage {}", v.text);
            v
        }
    };
    push(
        &mut out,
        change("when empty", Some(empty(a, p)), Some(empty(b, q))),
    );
    let (ca, cb) = (p.commit.as_ref(), q.commit.as_ref());
    let commit = |t: &T<'_>, c: &crate::table::CommitEntry| {
        t.price(&PriceEntry::Amount {
            amount: c.amount,
            months: c.months,
        })
    };
    push(
        &mut out,
        change("commit", ca.map(|c| commit(a, c)), cb.map(|c| commit(b, c))),
    );
    push(
        &mut out,
        change(
            "includes",
            ca.and_then(|c| c.included).map(|(n, u)| a.amount(n, u)),
            cb.and_then(|c| c.included).map(|(n, u)| b.amount(n, u)),
        ),
    );
    push(
        &mut out,
        change(
            "contract rate",
            ca.and_then(|c| c.contract_rate.as_ref()).map(|r| a.rate(r)),
            cb.and_then(|c| c.contract_rate.as_ref()).map(|r| b.rate(r)),
        ),
    );
    push(
        &mut out,
        change(
            "overage",
            ca.and_then(|c| c.overage.as_ref()).map(|r| a.rate(r)),
            cb.and_then(|c| c.overage.as_ref()).map(|r| b.rate(r)),
        ),
    );
    out
}

pub(super) fn recharge_changes(a: &T<'_>, b: &T<'_>, out: &mut Vec<Change>) {
    let (ra, rb) = (a.0.recharge.as_ref(), b.0.recharge.as_ref());
    if ra.is_none() != rb.is_none() {
        push(
            out,
            change(
                "auto recharge",
                ra.map(|_| Val::text("offered")),
                rb.map(|_| Val::text("offered")),
            ),
        );
    }
    let price = |t: &T<'_>, r: Option<&crate::table::RechargeEntry>| {
        r.and_then(|r| r.price).map(|(amount, per, unit)| {
            let c = &t.0.currency;
            let base = per
                .checked_mul(t.factor(unit))
                .and_then(|n| amount.checked_div(n));
            Val::num(
                format!("{} {c} / {} {}", dec(amount), dec(per), t.unit_name(unit)),
                base,
                format!("money:{c}/{}", t.unit_dim(unit)),
                format!("{c} / {}", t.unit_name(unit)),
            )
        })
    };
    push(
        out,
        change("auto recharge price", price(a, ra), price(b, rb)),
    );
    push(
        out,
        change(
            "auto recharge below",
            ra.and_then(|r| r.below).map(|(n, u)| a.amount(n, u)),
            rb.and_then(|r| r.below).map(|(n, u)| b.amount(n, u)),
        ),
    );
    push(
        out,
        change(
            "auto recharge refill to",
            ra.and_then(|r| r.refill_to).map(|(n, u)| a.amount(n, u)),
            rb.and_then(|r| r.refill_to).map(|(n, u)| b.amount(n, u)),
        ),
    );
    let cap = |t: &T<'_>, r: Option<&crate::table::RechargeEntry>| {
        r.and_then(|r| r.cap).map(|c| {
            let mut v = t.money(c);
            v.text = format!("{} / month", v.text);
            v
        })
    };
    push(out, change("auto recharge cap", cap(a, ra), cap(b, rb)));
}
