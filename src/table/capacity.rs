//! Capacity: how many whole units of a product a plan's recurring grant (or included commitment
//! pool) buys.

use super::quote::{bound_event_charge, bound_event_quantity};
use super::*;

impl RatingTable {
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
        if let PricingEntry::Unpublished { line } = p.pricing {
            return Err(reject(
                RejectionKind::Unpublished,
                unpublished_reason(&p.slug),
                line,
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
        // The unit asked for is checked before the plan's budget, as the reference does.
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
        // Grants per billing period of the price (a month without one), scaled by cadence.
        let period = match pl.price {
            PriceEntry::Amount { months, .. } if months > 0 => months,
            _ => 1,
        };
        let mut budget = Decimal::ZERO;
        for g in &pl.grants {
            let gu = &self.units[g.unit as usize];
            let Some(times) =
                crate::base::date::issues_per_period(period, g.every_months, g.every_days)
            else {
                continue;
            };
            if gu.dimension != cu.dimension {
                continue;
            }
            budget = g
                .amount
                .checked_mul(gu.factor)
                .and_then(|v| v.checked_div(cu.factor))
                .and_then(|v| v.checked_mul(times))
                .and_then(|v| budget.checked_add(v))
                .ok_or_else(|| {
                    reject(
                        RejectionKind::Overflow,
                        "arithmetic overflow while sizing the grant",
                        g.line,
                    )
                })?;
        }
        // A commitment's included pool is spent like a grant renewed every commitment period.
        if let Some(CommitEntry {
            months,
            included: Some((amount, pool_unit)),
            ..
        }) = &pl.commit
        {
            let pu = &self.units[*pool_unit as usize];
            if *months > 0 && pu.dimension == cu.dimension {
                budget = amount
                    .checked_mul(pu.factor)
                    .and_then(|v| v.checked_div(cu.factor))
                    .and_then(|v| v.checked_mul(Decimal::from(period)))
                    .and_then(|v| v.checked_div(Decimal::from(*months)))
                    .and_then(|v| budget.checked_add(v))
                    .ok_or_else(|| {
                        reject(
                            RejectionKind::Overflow,
                            "arithmetic overflow while sizing the grant",
                            pl.line,
                        )
                    })?;
            }
        }
        let contract_set = pl
            .grants
            .iter()
            .find(|g| g.contract_set && self.units[g.unit as usize].dimension == cu.dimension);
        if let (true, Some(g)) = (budget.is_zero(), contract_set) {
            return Err(reject(
                RejectionKind::NoGrant,
                contract_set_reason(&pl.slug, &cu.name),
                g.line,
            ));
        }
        if budget.is_zero() {
            return Err(reject(
                RejectionKind::NoGrant,
                format!("plan `{}` has no recurring grant in `{}`", pl.slug, cu.name),
                pl.line,
            ));
        }
        // `bill at least` / `bill at most` in the charge unit bound each event's charge; a cap
        // per period bounds the whole budget's worth.
        let bound_event = |c: Decimal| bound_event_charge(&p.bill, c);
        let bound_period = |c: Decimal| match &p.bill.cap_period {
            Some(cap) => c.min(cap.base),
            None => c,
        };
        let cost = |n: Decimal| -> Result<Decimal, Rejection> {
            if let PricingEntry::Flat { amount, unit, .. } = &p.pricing {
                // A plan rate replaces the flat charge of one event, as in a quote.
                let each = match pl.overrides.iter().find(|(i, _)| *i == product) {
                    Some((_, r)) => self.apply(Decimal::ONE, r)?,
                    None => self.canonical(*amount, *unit),
                };
                return bound_event(each)
                    .checked_mul(n)
                    .map(bound_period)
                    .ok_or_else(|| reject(RejectionKind::Overflow, "arithmetic overflow", p.line));
            }
            let q = n
                .checked_mul(factor)
                .ok_or_else(|| reject(RejectionKind::Overflow, "arithmetic overflow", p.line))?;
            let q = bound_event_quantity(&p.bill, q);
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
                (None, PricingEntry::Tiered { mode, tiers, .. }) => self.tiered(*mode, tiers, q),
                _ => Ok(Decimal::ZERO),
            }
            .map(|c| bound_period(bound_event(c)))
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
