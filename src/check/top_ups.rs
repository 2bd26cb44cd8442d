//! `top up USD, minimum 5 USD, maximum 10000 USD, never expires`: a plan whose account prepays a
//! money balance with top-ups of any amount within the bounds (HeyGen pay-as-you-go: "purchase USD
//! balance when you need it"). Usage priced in that currency draws it down; `when empty` applies.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn top_up(&mut self, t: &TopUp, span: Span) -> Option<TopUpDef> {
        let unit = self.unit(&t.currency)?;
        if !unit.dimension.is_money() {
            self.push(diagnostics::top_up_not_money(&unit.name, t.currency.span));
            return None;
        }
        let mut ok = true;
        if let Some(cur) = self.currency.clone() {
            if cur != unit.name {
                self.push(diagnostics::top_up_currency(
                    &unit.name,
                    &cur,
                    t.currency.span,
                ));
                ok = false;
            }
        }
        let bound = |cx: &mut Self, q: &Option<Quantity>, what: &str| -> Option<Option<Decimal>> {
            let Some(q) = q else { return Some(None) };
            let (amount, _) = cx.money(q, what)?;
            if amount <= Decimal::ZERO {
                cx.push(diagnostics::top_up_bound_not_positive(what, q.value.span));
                return None;
            }
            Some(Some(amount))
        };
        let minimum = bound(self, &t.minimum, "a top-up's minimum");
        let maximum = bound(self, &t.maximum, "a top-up's maximum");
        let (Some(minimum), Some(maximum)) = (minimum, maximum) else {
            return None;
        };
        if let (Some(lo), Some(hi), Some(q)) = (minimum, maximum, &t.maximum) {
            if hi < lo {
                self.push(diagnostics::top_up_bounds_cross(q.value.span));
                ok = false;
            }
        }
        let expiry = self.expiry(&t.expiry)?;
        ok.then(|| TopUpDef {
            currency: unit.name.clone(),
            minimum,
            maximum,
            expiry,
            span,
        })
    }
}
