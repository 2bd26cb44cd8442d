//! Rates: a written rate resolved against the dimension it must rate, the wallet units of the book, and the floor under contract rates.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn wallet_units(&mut self) {
        let book = self.book;
        for item in &book.items {
            let grants: Vec<&Grant> = match &item.node {
                Item::Plan(p) => p
                    .body
                    .iter()
                    .filter_map(|s| match &s.node {
                        PlanStmt::Grant(g) => Some(g),
                        _ => None,
                    })
                    .collect(),
                Item::Pack(p) => p
                    .body
                    .iter()
                    .filter_map(|s| match &s.node {
                        PackStmt::Grant(g) => Some(g),
                        _ => None,
                    })
                    .collect(),
                _ => continue,
            };
            for g in grants {
                if let Ok(u) = self.units.resolve(&g.amount.unit.node) {
                    if !u.dimension.is_money() {
                        self.wallet_units.insert(u.name.clone());
                    }
                }
            }
        }
    }

    /// Resolves a rate against the dimension it must rate.
    pub(super) fn rate(
        &mut self,
        r: &Rate,
        measure: Option<&Dimension>,
        what: &str,
        span: Span,
        zero_ok: bool,
    ) -> Option<RateDef> {
        let amount_at = self.unit_known_at(&r.amount.unit);
        let per_at = self.unit_known_at(&r.per_unit);
        // A tier may be free (`0 image .. 100 image : 0 credit / image`); elsewhere a zero rate
        // is written `free`.
        let positive = r.amount.value.node > Decimal::ZERO
            || (zero_ok && r.amount.value.node.is_zero())
            || self.positive(&r.amount.value, &format!("the {what}"));
        let per = r.per.as_ref().map(|n| n.node).unwrap_or(Decimal::ONE);
        if let Some(n) = &r.per {
            if n.node <= Decimal::ZERO {
                self.push(diagnostics::block_size_not_positive(n.span));
                return None;
            }
        }
        let (Some(amount_at), Some(per_at)) = (amount_at, per_at) else {
            return None;
        };
        let (Some(amount_unit), Some(per_unit)) = (
            self.units.units.get(amount_at),
            self.units.units.get(per_at),
        ) else {
            return None;
        };
        let mut problem = None;
        if let (Dimension::Money(code), Some(cur)) = (&amount_unit.dimension, &self.currency) {
            if code != cur {
                problem = Some(diagnostics::rate_in_other_currency(
                    what,
                    code,
                    cur,
                    r.amount.unit.span,
                ));
            }
        }
        if let Some(measure) = measure.filter(|m| problem.is_none() && &per_unit.dimension != *m) {
            problem = Some(diagnostics::rate_on_wrong_dimension(
                &r.amount.value.node.to_string(),
                &amount_unit.name,
                &per_unit.name,
                &per_unit.dimension.describe(),
                &measure.describe(),
                r.per_unit.span,
            ));
        }
        // `5 image / image` (same dimension, not declared, not money, not time) is fine only
        // for wallets in the same unit; it is left alone.
        let per_base = per.checked_mul(per_unit.factor);
        if let Some(d) = problem {
            self.push(d);
            return None;
        }
        let names = (amount_unit.name.clone(), per_unit.name.clone());
        let Some(per_base) = per_base else {
            self.overflow(r.per_unit.span, "this rate's block");
            return None;
        };
        positive.then_some(RateDef {
            amount: r.amount.value.node,
            unit: names.0,
            per,
            per_unit: names.1,
            per_base,
            span,
        })
    }

    /// A rate as money (or units) per base unit, for comparisons.
    pub(super) fn per_base(&self, r: &RateDef) -> Option<Decimal> {
        let f = self.units.get(&r.unit)?.factor;
        r.amount.checked_mul(f)?.checked_div(r.per_base)
    }

    pub(super) fn check_floor(&mut self, r: &RateDef) {
        let Some(floor) = self.floor.clone() else {
            return;
        };
        let same_dim = self.units.get(&r.per_unit).map(|u| &u.dimension)
            == self.units.get(&floor.per_unit).map(|u| &u.dimension)
            && self.units.get(&r.unit).map(|u| &u.dimension)
                == self.units.get(&floor.unit).map(|u| &u.dimension);
        if !same_dim {
            return;
        }
        if let (Some(v), Some(f)) = (self.per_base(r), self.per_base(&floor)) {
            if v < f {
                self.push(diagnostics::rate_under_floor(
                    &r.describe(),
                    &floor.describe(),
                    r.span,
                    floor.span,
                ));
            }
        }
    }
}
