//! Rules across items: plans that recharge need the book's `auto recharge`, products on no plan, plans with identical terms.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn cross_checks(&mut self, has_recharge: bool) {
        // Plans that empty into auto recharge need the book's settings.
        let plan_defs = std::mem::take(&mut self.plan_defs);
        let product_defs = std::mem::take(&mut self.product_defs);
        for plan in plan_defs.iter().flatten() {
            if plan.when_empty == EmptyRuleDef::AutoRecharge && !has_recharge {
                self.push(diagnostics::recharge_without_block(
                    &plan.slug,
                    plan.when_empty_span,
                ));
            }
        }
        // Products on no plan: what each plan offers is known even when the plan has other
        // mistakes; only a plan whose text could not be read leaves it unknown.
        let plans: Vec<&PlanDef> = plan_defs.iter().flatten().collect();
        let unreadable_plan = self
            .book
            .items
            .iter()
            .any(|i| matches!(i.node, Item::Plan(_)) && stmt_errors(&i.node));
        if !self.plan_available.is_empty() && !unreadable_plan {
            for (i, p) in product_defs.iter().enumerate() {
                let Some(p) = p else { continue };
                if !self
                    .plan_available
                    .iter()
                    .any(|a| a.get(i).copied().unwrap_or(false))
                {
                    self.push(diagnostics::unused_product(&p.slug, p.slug_span));
                }
            }
        }
        // Plans with the same terms.
        for (i, a) in plans.iter().enumerate() {
            for b in plans.iter().skip(i + 1) {
                if same_terms(a, b) {
                    self.push(diagnostics::identical_plans(
                        &a.slug,
                        a.slug_span,
                        &b.slug,
                        b.slug_span,
                    ));
                }
            }
        }
        self.plan_defs = plan_defs;
        self.product_defs = product_defs;
    }
}

pub(super) fn same_terms(a: &PlanDef, b: &PlanDef) -> bool {
    let grants = |p: &PlanDef| -> Vec<(Decimal, String, GrantCadence, GrantExpiry, u32)> {
        p.grants
            .iter()
            .map(|g| {
                (
                    g.amount.normalize(),
                    g.unit.clone(),
                    g.cadence,
                    g.expiry.clone(),
                    g.priority,
                )
            })
            .collect()
    };
    let limits = |p: &PlanDef| -> Vec<(String, String)> {
        p.limits
            .iter()
            .map(|l| (l.name.clone(), l.value_text.clone()))
            .collect()
    };
    let price = |p: &PlanDef| match &p.price {
        PlanPrice::Amount {
            amount,
            currency,
            months,
        } => Some((amount.normalize(), currency.clone(), *months)),
        _ => None,
    };
    // Custom-priced plans are sales-led: their terms are not published, so they are not compared.
    price(a).is_some()
        && price(a) == price(b)
        && grants(a) == grants(b)
        && limits(a) == limits(b)
        && a.available == b.available
        && a.packs_allowed == b.packs_allowed
        && a.when_empty == b.when_empty
        && a.commit == b.commit
}
