//! A table's fields in words, as the book writes them: rates, prices, grants, limits,
//! allowances, tiers. Snapshots, burn tables and pricing pages all say a fact the same way, so
//! a page and a snapshot of one book never disagree on how a price reads.

use crate::base::units::builtin_units;
use crate::table::{
    AllowanceEntry, BeyondEntry, CellId, CommitEntry, EmptyEntry, GrantEntry, LimitEntry,
    LimitKindEntry, PlanEntry, PriceEntry, PricingEntry, ProductEntry, ProductId, RateCell,
    RatingTable, RechargeEntry, RoundMode, TierEntry, TierMode, TierScope, UnitId,
};
use rust_decimal::{Decimal, RoundingStrategy};

/// `7 credit / second`, `15 credit / 1000 character`.
pub(crate) fn rate(t: &RatingTable, r: &RateCell) -> String {
    t.describe_rate(r)
}

/// `5400 credit`.
pub(crate) fn amount(t: &RatingTable, amount: Decimal, unit: UnitId) -> String {
    format!("{amount} {}", t.unit_name(unit))
}

/// `month`, `year`, `3 month`; `None` for a one-off price.
pub(crate) fn period(months: u32) -> Option<String> {
    match months {
        0 => None,
        1 => Some("month".into()),
        12 => Some("year".into()),
        n => Some(format!("{n} month")),
    }
}

/// `30 USD / month`, `100 USD`, `custom`, `unpublished`.
pub(crate) fn price(t: &RatingTable, p: &PriceEntry) -> String {
    match p {
        PriceEntry::Custom => "custom".into(),
        PriceEntry::Unpublished => "unpublished".into(),
        PriceEntry::Amount { amount, months } => match period(*months) {
            Some(per) => format!("{amount} {} / {per}", t.currency()),
            None => format!("{amount} {}", t.currency()),
        },
    }
}

/// `every month`, `every week`, `once`.
pub(crate) fn cadence(every_months: Option<u32>, every_days: Option<u32>) -> String {
    match (every_months, every_days) {
        (Some(1), _) => "every month".into(),
        (Some(12), _) => "every year".into(),
        (Some(n), _) => format!("every {n} months"),
        (None, Some(1)) => "every day".into(),
        (None, Some(7)) => "every week".into(),
        (None, Some(n)) => format!("every {n} days"),
        (None, None) => "once".into(),
    }
}

/// `expires at cycle end`, `never expires`, `expires after 12 month`.
pub(crate) fn expiry(e: &str) -> String {
    match e.split_once(':') {
        Some(("months", n)) => format!("expires after {n} month"),
        Some(("days", n)) => format!("expires after {n} day"),
        _ => match e {
            "never" => "never expires".into(),
            "cycle-end" => "expires at cycle end".into(),
            "contract-end" => "expires at contract end".into(),
            other => other.into(),
        },
    }
}

/// `1500 credit every month, expires at cycle end, priority 1`; a grant each contract sets is
/// `custom credit ...`.
pub(crate) fn grant(t: &RatingTable, g: &GrantEntry) -> String {
    let amount = if g.contract_set {
        format!("custom {}", t.unit_name(g.unit))
    } else {
        amount(t, g.amount, g.unit)
    };
    format!(
        "{amount} {}, {}, priority {}",
        cadence(g.every_months, g.every_days),
        expiry(&g.expiry),
        g.priority
    )
}

/// The products a plan rule covers: `on video, avatar`, or nothing for all.
fn scope(t: &RatingTable, products: &[ProductId]) -> String {
    if products.is_empty() {
        return String::new();
    }
    let slugs: Vec<&str> = products
        .iter()
        .filter_map(|p| t.products().get(*p as usize).map(|p| p.slug.as_str()))
        .collect();
    format!(" on {}", slugs.join(", "))
}

/// `video length <= 3 minute`, `renders <= 5 per day on video`, `concurrent jobs >= 20
/// informational`.
pub(crate) fn limit(t: &RatingTable, l: &LimitEntry) -> String {
    let window = match &l.kind {
        LimitKindEntry::Window { window, .. } => format!(" per {window}"),
        _ => String::new(),
    };
    let informational = match l.kind {
        LimitKindEntry::Informational => " informational",
        _ => "",
    };
    format!(
        "{}{window}{}{informational}",
        l.describe(),
        scope(t, &l.scope)
    )
}

/// `5 video per day on video, then reject`.
pub(crate) fn allowance(t: &RatingTable, a: &AllowanceEntry) -> String {
    let beyond = match &a.beyond {
        BeyondEntry::Reject => "then reject".to_string(),
        BeyondEntry::Wallet => "then wallet".to_string(),
        BeyondEntry::Overage { rate: r } => format!("then overage {}", rate(t, r)),
    };
    format!("{}, {beyond}", a.text)
}

/// `reject`, `overage 0.5 USD / minute`, `auto recharge`.
pub(crate) fn when_empty(t: &RatingTable, e: &EmptyEntry) -> String {
    match e {
        EmptyEntry::Reject => "reject".into(),
        EmptyEntry::Overage { rate: Some(r) } => format!("overage {}", rate(t, r)),
        EmptyEntry::Overage { rate: None } => "overage".into(),
        EmptyEntry::AutoRecharge => "auto recharge".into(),
    }
}

/// `5000 USD / month, includes 600000 second at 0.004 USD / second, overage 0.006 USD / second`.
pub(crate) fn commit(t: &RatingTable, c: &CommitEntry) -> String {
    let mut parts = vec![match period(c.months) {
        Some(per) => format!("{} {} / {per}", c.amount, t.currency()),
        None => format!("{} {}", c.amount, t.currency()),
    }];
    match (&c.included, &c.contract_rate) {
        (Some((n, u)), Some(r)) => {
            parts.push(format!("includes {} at {}", amount(t, *n, *u), rate(t, r)))
        }
        (Some((n, u)), None) => parts.push(format!("includes {}", amount(t, *n, *u))),
        (None, Some(r)) => parts.push(format!("contract rate {}", rate(t, r))),
        (None, None) => {}
    }
    if let Some(r) = &c.overage {
        parts.push(format!("overage {}", rate(t, r)));
    }
    parts.join(", ")
}

/// `price 100 USD / 16000 credit, below 500 credit, refill to 2000 credit, cap 300 USD`.
pub(crate) fn recharge(t: &RatingTable, r: &RechargeEntry) -> String {
    let mut parts = Vec::new();
    if let Some((money, per, unit)) = r.price {
        parts.push(format!(
            "price {money} {} / {}",
            t.currency(),
            amount(t, per, unit)
        ));
    }
    let opt = |parts: &mut Vec<String>, word: &str, v: Option<(Decimal, UnitId)>| {
        if let Some((n, u)) = v {
            parts.push(format!("{word} {}", amount(t, n, u)));
        }
    };
    opt(&mut parts, "below", r.below);
    opt(&mut parts, "refill to", r.refill_to);
    if let Some(cap) = r.cap {
        parts.push(format!("cap {cap} {}", t.currency()));
    }
    opt(&mut parts, "minimum below", r.min_below);
    opt(&mut parts, "minimum refill to", r.min_refill);
    if let Some(cap) = r.min_cap {
        parts.push(format!("minimum cap {cap} {}", t.currency()));
    }
    if let Some(plans) = &r.plans {
        let slugs: Vec<&str> = plans
            .iter()
            .filter_map(|i| t.plans().get(*i as usize))
            .map(|p| p.slug.as_str())
            .collect();
        parts.push(format!("for {}", slugs.join(", ")));
    }
    if parts.is_empty() {
        "offered".into()
    } else {
        parts.join(", ")
    }
}

/// A quantity in base units of a dimension, in the largest unit of that dimension it is a whole
/// number of (`3600` seconds is `1 hour`).
pub(crate) fn base_quantity(t: &RatingTable, dimension: &str, base: Decimal) -> String {
    let fits = t
        .units()
        .iter()
        .filter(|u| u.dimension == dimension && u.factor > Decimal::ZERO)
        .filter(|u| {
            base.checked_div(u.factor)
                .is_some_and(|n| n.fract().is_zero())
        })
        .max_by_key(|u| u.factor);
    match fits {
        Some(u) if !base.is_zero() => {
            format!("{} {}", (base / u.factor).normalize(), u.name)
        }
        _ => format!("{} {}", base.normalize(), t.base_unit(dimension)),
    }
}

/// `0 item .. 100 item: 0 credit / item`.
pub(crate) fn tier(t: &RatingTable, measure: &str, tier: &TierEntry) -> String {
    let to = tier.to.map_or(String::new(), |to| {
        format!(" {}", base_quantity(t, measure, to))
    });
    format!(
        "{} ..{to}: {}",
        base_quantity(t, measure, tier.from),
        rate(t, &tier.rate)
    )
}

/// How a product is priced, without its numbers: `rate`, `matrix by resolution, fps`,
/// `graduated tiers per period`, `flat`, `free`.
pub(crate) fn pricing_kind(t: &RatingTable, p: &ProductEntry) -> String {
    match &p.pricing {
        PricingEntry::Cells { .. } if p.dims.is_empty() => "rate".into(),
        PricingEntry::Cells { .. } => {
            let dims: Vec<&str> = p
                .dims
                .iter()
                .filter_map(|d| t.dimensions().get(*d as usize).map(|d| d.name.as_str()))
                .collect();
            format!("matrix by {}", dims.join(", "))
        }
        PricingEntry::Tiered { mode, scope, .. } => format!(
            "{} tiers per {}",
            match mode {
                TierMode::Graduated => "graduated",
                TierMode::Volume => "volume",
            },
            match scope {
                TierScope::Period => "period",
                TierScope::Event => "event",
            }
        ),
        PricingEntry::Flat { .. } => "flat".into(),
        PricingEntry::Free { .. } => "free".into(),
        PricingEntry::Unpublished { .. } => "unpublished".into(),
    }
}

/// `up to 1 second`, `nearest 1000 character`.
pub(crate) fn rounding(t: &RatingTable, p: &ProductEntry) -> Option<String> {
    let r = p.rounding.as_ref()?;
    let mode = match r.mode {
        RoundMode::Up => "up to",
        RoundMode::Down => "down to",
        RoundMode::Nearest => "to nearest",
    };
    Some(format!("{mode} {}", base_quantity(t, &p.measure, r.step)))
}

/// The dimension values of every cell of a product, in cell order: `[]` for an undimensioned
/// product's one cell.
pub(crate) fn cells(t: &RatingTable, p: &ProductEntry) -> Vec<(CellId, Vec<(String, String)>)> {
    let mut out: Vec<(CellId, Vec<(String, String)>)> = vec![(0, Vec::new())];
    for (d, stride) in p.dims.iter().zip(&p.strides) {
        let Some(dim) = t.dimensions().get(*d as usize) else {
            continue;
        };
        let mut next = Vec::with_capacity(out.len() * dim.values.len());
        for (cell, values) in &out {
            for (i, v) in dim.values.iter().enumerate() {
                let mut vs = values.clone();
                vs.push((dim.name.clone(), v.clone()));
                next.push((cell + i as u32 * stride, vs));
            }
        }
        out = next;
    }
    out
}

/// `[Digital Twin, IV]`, or nothing for an undimensioned cell.
pub(crate) fn cell_label(values: &[(String, String)]) -> String {
    if values.is_empty() {
        String::new()
    } else {
        let vs: Vec<&str> = values.iter().map(|(_, v)| v.as_str()).collect();
        format!(" [{}]", vs.join(", "))
    }
}

/// What a plan charges a product in: its plan rate when it has one, the product's rate in this
/// cell, its tiers, flat price or `free`; `None` for a cell that is not offered.
pub(crate) fn rate_on_plan(
    t: &RatingTable,
    plan: Option<&PlanEntry>,
    product: ProductId,
    cell: CellId,
) -> Option<String> {
    let p = t.products().get(product as usize)?;
    if let Some((_, r)) = plan.and_then(|pl| pl.overrides.iter().find(|(i, _)| *i == product)) {
        return Some(format!("plan rate {}", rate(t, r)));
    }
    match &p.pricing {
        PricingEntry::Cells { cells } => cells
            .get(cell as usize)
            .and_then(|c| c.as_ref())
            .map(|r| rate(t, r)),
        PricingEntry::Tiered { .. } => Some(pricing_kind(t, p)),
        PricingEntry::Flat {
            amount: a,
            unit,
            per,
            ..
        } => Some(match per {
            Some(per) => format!("flat {} per {}", amount(t, *a, *unit), t.unit_name(*per)),
            None => format!("flat {} per event", amount(t, *a, *unit)),
        }),
        PricingEntry::Free { .. } => Some("free".into()),
        PricingEntry::Unpublished { .. } => Some("rate unpublished".into()),
    }
}

/// Whether a unit is one the book declares (`credit`), not a built-in one.
pub(crate) fn is_declared(name: &str) -> bool {
    !builtin_units().iter().any(|u| u.name == name)
}

/// What one wallet unit is worth on a plan: `0.005556 USD` (rounded to 6 decimals: the exact
/// value is `price / granted`, which the quote rounds once, at the end).
pub(crate) fn worth(price: Decimal, granted: Decimal) -> Option<Decimal> {
    price.checked_div(granted).map(|v| {
        v.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
            .normalize()
    })
}

/// A whole or decimal number with thousands grouped: `14,400`, `1,234.5`.
pub(crate) fn grouped(d: Decimal) -> String {
    let text = d.normalize().to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// A book's `billing { ... }` rules as it writes them (`("periods", "calendar")`), those it says.
pub(crate) fn subscription_rules(
    r: &crate::model::SubscriptionRules,
) -> Vec<(&'static str, String)> {
    use crate::model::{FirstPeriodRule, PeriodRule, PlanChangeRule};
    let mut out = Vec::new();
    if let Some(p) = r.periods {
        let said = match p {
            PeriodRule::Anniversary => "anniversary",
            PeriodRule::Calendar => "calendar",
        };
        out.push(("periods", said.to_string()));
    }
    if let Some(f) = r.first_period {
        let said = match f {
            FirstPeriodRule::Whole => "whole",
            FirstPeriodRule::Prorated => "prorated",
        };
        out.push(("first period", said.to_string()));
    }
    if let Some(c) = r.plan_changes {
        let said = match c {
            PlanChangeRule::AtRenewal => "at renewal",
            PlanChangeRule::AtOnceProrated => "at once prorated",
        };
        out.push(("plan changes", said.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        let d = |s: &str| s.parse::<Decimal>().expect("a decimal");
        assert_eq!(grouped(d("14400")), "14,400");
        assert_eq!(grouped(d("1234.50")), "1,234.5");
        assert_eq!(grouped(d("-1000000")), "-1,000,000");
        assert_eq!(grouped(d("999")), "999");
        assert_eq!(grouped(d("0.25")), "0.25");
    }

    #[test]
    fn cadences_and_expiries_read_as_the_book_writes_them() {
        assert_eq!(cadence(Some(1), None), "every month");
        assert_eq!(cadence(None, Some(7)), "every week");
        assert_eq!(cadence(None, None), "once");
        assert_eq!(expiry("months:12"), "expires after 12 month");
        assert_eq!(expiry("cycle-end"), "expires at cycle end");
    }
}
