//! The packs pass: each pack's one-off price, grants, and the plans that may buy it.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn pack(&mut self, p: &Pack, span: Span) -> Option<PackDef> {
        let mut ok = true;
        let mut price = None;
        let mut grants = Vec::new();
        let mut plans: Option<Vec<(usize, Span)>> = None;
        for s in &p.body {
            match &s.node {
                PackStmt::Price { price: pr, .. } => {
                    if price.is_some() {
                        self.push(diagnostics::pack_price_twice(s.span));
                        ok = false;
                    }
                    price = self.price(pr, "a pack's price");
                    if matches!(price, Some(PlanPrice::Amount { months, .. }) if months > 0) {
                        let currency = self.currency_or_usd();
                        self.push(diagnostics::pack_price_recurs(pr.span, &currency));
                        ok = false;
                    }
                }
                PackStmt::Grant(g) => match self.grant(g, s.span, true) {
                    Some(g) => grants.push(g),
                    None => ok = false,
                },
                PackStmt::For(names) => {
                    let mut v = Vec::new();
                    for n in names {
                        match self.plan_ref(n) {
                            Some(i) => v.push((i, n.span)),
                            None => ok = false,
                        }
                    }
                    plans = Some(v);
                }
                PackStmt::Allow(_) | PackStmt::Error(_) => {}
            }
        }
        if price.is_none() {
            let currency = self.currency_or_usd();
            self.push(diagnostics::pack_without_price(
                &p.slug.node,
                p.slug.span,
                &currency,
            ));
            ok = false;
        }
        if grants.is_empty() && ok {
            let unit = self.wallet_or_currency();
            self.push(diagnostics::pack_grants_nothing(
                &p.slug.node,
                p.slug.span,
                &unit,
            ));
            ok = false;
        }
        let plan_list: Vec<usize> = match &plans {
            Some(list) => {
                for (i, at) in list {
                    if let Some(Some(plan)) = self.plan_defs.get(*i) {
                        if !plan.packs_allowed {
                            let d = diagnostics::pack_not_allowed(
                                &p.slug.node,
                                &plan.slug,
                                *at,
                                plan.slug_span,
                            );
                            self.push(d);
                            ok = false;
                        }
                    }
                }
                list.iter().map(|(i, _)| *i).collect()
            }
            None => self
                .plan_defs
                .iter()
                .enumerate()
                .filter(|(_, d)| d.as_ref().is_some_and(|d| d.packs_allowed))
                .map(|(i, _)| i)
                .collect(),
        };
        ok.then(|| PackDef {
            slug: p.slug.node.clone(),
            display: p.display.node.clone(),
            price: price.unwrap_or(PlanPrice::Unpublished),
            grants,
            plans: plan_list,
            span,
        })
    }
}
