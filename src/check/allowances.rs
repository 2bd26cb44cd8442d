//! Allowances: what a plan includes of some products per window, before the wallet
//! (`allowance 5 video per day on video, then reject`).
//!
//! A quantity in a unit the covered products are measured in is that much of their usage; a
//! count unit they are not measured in (`5 video` of a product measured in time) counts their
//! events. Beyond it, `reject`, `wallet` (priced as usual) or `overage <money rate>`.

use super::prelude::*;

/// The windows an allowance can renew on.
const WINDOWS: [&str; 5] = ["hour", "day", "week", "month", "year"];

impl Cx<'_> {
    pub(super) fn allowance(&mut self, a: &Allowance, span: Span) -> Option<AllowanceDef> {
        let mut ok = true;
        if !WINDOWS.contains(&a.window.node.as_str()) {
            self.push(diagnostics::allowance_window(&a.window.node, a.window.span));
            ok = false;
        }
        let scope: Vec<usize> = a.scope.iter().filter_map(|n| self.product_ref(n)).collect();
        ok &= scope.len() == a.scope.len();
        let unit = self.unit(&a.amount.unit)?;
        if a.amount.value.node <= Decimal::ZERO {
            self.push(diagnostics::allowance_not_positive(a.amount.value.span));
            ok = false;
        }
        let measures: Vec<(String, Dimension)> = scope
            .iter()
            .filter_map(|i| self.product_defs.get(*i)?.as_ref())
            .map(|p| (p.slug.clone(), p.measure.clone()))
            .collect();
        // A count that none of its products is measured in counts their events.
        let counts_events = matches!(unit.dimension, Dimension::Count(_))
            && measures.iter().all(|(_, m)| *m != unit.dimension);
        if !counts_events {
            for (slug, measure) in &measures {
                if *measure != unit.dimension {
                    self.push(diagnostics::allowance_unit(
                        &unit.name,
                        slug,
                        &measure.describe(),
                        a.amount.unit.span,
                    ));
                    ok = false;
                }
            }
        }
        let beyond = match a.beyond.as_ref().map(|b| &b.node) {
            None | Some(Beyond::Wallet) => BeyondDef::Wallet,
            Some(Beyond::Reject) => BeyondDef::Reject,
            Some(Beyond::Overage(r)) => {
                let rate = self.rate(r, Some(&unit.dimension), "overage rate", span, false)?;
                if currency_digits(&rate.unit).is_none() {
                    self.push(diagnostics::allowance_overage_not_money(
                        &rate.unit,
                        r.amount.unit.span,
                    ));
                    ok = false;
                }
                BeyondDef::Overage(rate)
            }
        };
        let amount = if counts_events {
            a.amount.value.node
        } else {
            a.amount.value.node.checked_mul(unit.factor)?
        };
        let scope_text = if a.scope.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = a.scope.iter().map(|n| n.node.as_str()).collect();
            format!(" on {}", names.join(", "))
        };
        ok.then(|| AllowanceDef {
            amount,
            unit: unit.name.clone(),
            counts_events,
            window: a.window.node.clone(),
            scope,
            beyond,
            text: format!(
                "{} {} per {}{scope_text}",
                a.amount.value.node, a.amount.unit.node, a.window.node
            ),
            span,
        })
    }
}
