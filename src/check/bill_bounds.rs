//! `bill at least` and `bill at most` in a product: a quantity in the product's measure raises or
//! caps what an event is billed as; an amount in its charge unit raises or caps the charge (per
//! event, or for `bill at most ... per period` the account's charges in a billing period).

use super::prelude::*;

impl Cx<'_> {
    /// Checks a product's bill bounds against its measure and charge unit; clears `ok` on error.
    pub(super) fn bill_bounds(
        &mut self,
        p: &Product,
        def: &ProductDef,
        ok: &mut bool,
    ) -> BillBounds {
        let mut out = BillBounds::default();
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        let charge_unit = def.charge_unit();
        for s in &p.body {
            let ProductStmt::Bill {
                bound,
                amount,
                scope,
            } = &s.node
            else {
                continue;
            };
            if !self.unit_known(&amount.unit) {
                *ok = false;
                continue;
            }
            let Some(unit) = self.unit_get(&amount.unit.node).cloned() else {
                *ok = false;
                continue;
            };
            if amount.value.node < Decimal::ZERO {
                self.push(diagnostics::negative_bill_bound(amount.value.span));
                *ok = false;
                continue;
            }
            let text = format!("{} {}", amount.value.node, amount.unit.node);
            let is_quantity = unit.dimension == def.measure;
            let is_charge = charge_unit == Some(unit.name.as_str());
            let per_period = *scope == Some(TierScope::Period);
            let words = match bound {
                BillBound::AtLeast => "bill at least",
                BillBound::AtMost => "bill at most",
            };
            if !is_quantity && !is_charge {
                let base = self.base_of(&def.measure);
                self.push(diagnostics::bill_bound_unit(
                    words,
                    &def.slug,
                    &unit.name,
                    &base,
                    charge_unit,
                    amount.unit.span,
                ));
                *ok = false;
                continue;
            }
            if per_period && (is_quantity || *bound == BillBound::AtLeast) {
                self.push(diagnostics::bill_bound_per_period(
                    words,
                    is_quantity,
                    s.span,
                ));
                *ok = false;
                continue;
            }
            let value = if is_quantity {
                match amount.value.node.checked_mul(unit.factor) {
                    Some(v) => v,
                    None => {
                        self.overflow(amount.value.span, "this quantity");
                        *ok = false;
                        continue;
                    }
                }
            } else {
                amount.value.node
            };
            let (key, slot) = match (bound, is_quantity, per_period) {
                (BillBound::AtLeast, true, _) => {
                    ("bill at least (quantity)", &mut out.raise_quantity)
                }
                (BillBound::AtMost, true, _) => ("bill at most (quantity)", &mut out.cap_quantity),
                (BillBound::AtLeast, false, _) => ("bill at least (charge)", &mut out.raise_charge),
                (BillBound::AtMost, false, false) => ("bill at most (charge)", &mut out.cap_charge),
                (BillBound::AtMost, false, true) => {
                    ("bill at most per period", &mut out.cap_period)
                }
            };
            if let Some(prev) = seen.get(key) {
                self.push(diagnostics::statement_twice(
                    "product", words, s.span, *prev,
                ));
                *ok = false;
                continue;
            }
            seen.insert(key, s.span);
            *slot = Some(Bound {
                base: value,
                text,
                span: s.span,
            });
        }
        for (lo, hi) in [
            (&out.raise_quantity, &out.cap_quantity),
            (&out.raise_charge, &out.cap_charge),
        ] {
            if let (Some(lo), Some(hi)) = (lo, hi) {
                if lo.base > hi.base {
                    self.push(diagnostics::min_above_max(
                        &lo.text, &hi.text, lo.span, hi.span,
                    ));
                    *ok = false;
                }
            }
        }
        out
    }
}
