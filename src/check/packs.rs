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
                        self.push(
                            Diagnostic::new(Code::ConflictingStatement, "`price` is given twice")
                                .label(s.span, "given again")
                                .help("a pack has one price"),
                        );
                        ok = false;
                    }
                    price = self.price(pr, "a pack's price");
                    if matches!(price, Some(PlanPrice::Amount { months, .. }) if months > 0) {
                        self.push(
                            Diagnostic::new(
                                Code::InvalidValue,
                                "a pack is bought once; its price has no period",
                            )
                            .label(pr.span, "recurring price")
                            .help(format!("write e.g. `price 100 {}`", self.currency_or_usd())),
                        );
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
            self.push(
                Diagnostic::new(
                    Code::MissingStatement,
                    format!("pack `{}` has no price", p.slug.node),
                )
                .label(p.slug.span, "no `price`")
                .help(format!(
                    "add `price 100 {}`, or `price unpublished`",
                    self.currency_or_usd()
                )),
            );
            ok = false;
        }
        if grants.is_empty() && ok {
            self.push(
                Diagnostic::new(
                    Code::MissingStatement,
                    format!("pack `{}` grants nothing", p.slug.node),
                )
                .label(p.slug.span, "no `grant`")
                .help(format!(
                    "add e.g. `grant 1000 {}, never expires, priority 2`",
                    self.wallet_or_currency()
                )),
            );
            ok = false;
        }
        let plan_list: Vec<usize> = match &plans {
            Some(list) => {
                for (i, at) in list {
                    if let Some(Some(plan)) = self.plan_defs.get(*i) {
                        if !plan.packs_allowed {
                            let slug = plan.slug.clone();
                            self.push(
                                Diagnostic::new(Code::PackNotAllowed, format!("pack `{}` is offered to plan `{slug}`, which does not allow packs", p.slug.node))
                                    .label(*at, "offered here")
                                    .label(plan.slug_span, "plan without `packs allowed`")
                                    .help(format!("add `packs allowed` to plan `{slug}`, or remove it from the pack's `for` list")),
                            );
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
