//! Book-level rules: the floor under contract rates, annual front-loading, and auto recharge.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn floor(&mut self) {
        let book = self.book;
        let mut prev: Option<Span> = None;
        for item in &book.items {
            let Item::Floor(r) = &item.node else { continue };
            if let Some(p) = prev {
                self.push(diagnostics::floor_twice(item.span, p));
                continue;
            }
            prev = Some(item.span);
            self.floor = self.rate(r, None, "floor", item.span, false);
        }
    }

    /// `existing subscribers move ...`: at most once, never in a contract, and a
    /// grandfathering day after the version takes effect.
    pub(super) fn existing_moves(&mut self) -> Option<MoveRule> {
        let book = self.book;
        // The first statement, valid or not: a later one is a duplicate either way.
        let mut first: Option<Span> = None;
        let mut found: Option<MoveRule> = None;
        for item in &book.items {
            let Item::Moves(m) = &item.node else { continue };
            if self.is_contract {
                self.push(diagnostics::moves_in_contract(item.span));
                continue;
            }
            if let Some(first) = first {
                self.push(diagnostics::moves_twice(item.span, first));
                continue;
            }
            first = Some(item.span);
            let rule = match m {
                ExistingMoves::AtOnce => MoveRule::AtOnce,
                ExistingMoves::AtRenewal => MoveRule::AtRenewal,
                ExistingMoves::On(day) => {
                    let Some(date) = self.date(day) else { continue };
                    if let Some(effective) = self.effective.filter(|e| date <= *e) {
                        self.push(diagnostics::moves_on_before_effective(
                            &day.node,
                            &effective.to_string(),
                            day.span,
                        ));
                        continue;
                    }
                    MoveRule::On(date.to_string())
                }
            };
            found = Some(rule);
        }
        found
    }

    pub(super) fn billing_blocks(&mut self) -> Option<u32> {
        let book = self.book;
        let mut front_load = None;
        for item in &book.items {
            let Item::Billing(b) = &item.node else {
                continue;
            };
            // `billing { ... }`: the subscription rules pass reads it.
            let Some(period) = &b.period else { continue };
            if period.node != "annual" {
                self.unknown(
                    "billing period",
                    period,
                    &["annual".into()],
                    "`billing annual { ... }` holds the rules of annual billing, and `billing { ... }` how subscriptions are billed",
                );
                continue;
            }
            for s in &b.body {
                // A subscription rule here belongs in `billing { ... }`.
                let misplaced = match &s.node {
                    BillingStmt::FrontLoad(q) => Ok(q),
                    BillingStmt::Periods(_) => Err("periods"),
                    BillingStmt::FirstPeriod(_) => Err("first period"),
                    BillingStmt::PlanChanges(_) => Err("plan changes"),
                    BillingStmt::Error(_) => continue,
                };
                let q = match misplaced {
                    Ok(q) => q,
                    Err(what) => {
                        self.push(diagnostics::billing_rule_misplaced(
                            what,
                            "billing { ... }",
                            "it applies to every subscription, monthly or annual",
                            s.span,
                        ));
                        continue;
                    }
                };
                let Some((base, unit)) = self.quantity(q) else {
                    continue;
                };
                match (unit.dimension, integer(base)) {
                    (Dimension::Period, Some(n)) if n > 0 => {
                        if front_load.is_some() {
                            self.push(diagnostics::front_load_twice(s.span));
                        }
                        front_load = Some(n)
                    }
                    _ => self.push(diagnostics::front_load_not_whole(s.span)),
                }
            }
        }
        front_load
    }

    pub(super) fn recharge(&mut self) -> Option<RechargeDef> {
        let book = self.book;
        let mut out: Option<RechargeDef> = None;
        for item in &book.items {
            let Item::Recharge(r) = &item.node else {
                continue;
            };
            if out.is_some() {
                self.push(diagnostics::recharge_twice(item.span));
                continue;
            }
            let mut def = RechargeDef {
                below: None,
                refill_to: None,
                cap: None,
                minimums: Vec::new(),
                price: None,
                plans: None,
                span: item.span,
            };
            let mut for_span: Option<Span> = None;
            for s in &r.body {
                match &s.node {
                    RechargeStmt::Below(q) => {
                        def.below = self.unit(&q.unit).map(|u| (q.value.node, u.name))
                    }
                    RechargeStmt::RefillTo(q) => {
                        def.refill_to = self.unit(&q.unit).map(|u| (q.value.node, u.name))
                    }
                    RechargeStmt::Cap { amount, per } => {
                        def.cap = self.money(amount, "the recharge cap");
                        if let Some(p) = per {
                            self.period_months(p);
                        }
                    }
                    RechargeStmt::Minimum { field, amount } => {
                        if let Some(u) = self.unit(&amount.unit) {
                            def.minimums.push((*field, amount.value.node, u.name));
                        }
                    }
                    RechargeStmt::Price { price, .. } => {
                        if let Price::Amount(pe) = &price.node {
                            let m = self.money(&pe.amount, "the recharge price");
                            match (&pe.per, m) {
                                (Some((n, u)), Some((a, c))) => {
                                    if let Some(unit) = self.unit(u) {
                                        let n = n.as_ref().map(|n| n.node).unwrap_or(Decimal::ONE);
                                        def.price = Some((a, c, n, unit.name));
                                    }
                                }
                                (None, Some(_)) => {
                                    let (currency, unit) =
                                        (self.currency_or_usd(), self.wallet_or_currency());
                                    self.push(diagnostics::recharge_price_without_quantity(
                                        price.span, &currency, &unit,
                                    ));
                                }
                                _ => {}
                            }
                        }
                    }
                    RechargeStmt::For(names) => {
                        if let Some(first) = for_span {
                            self.push(diagnostics::statement_twice(
                                "book's auto recharge",
                                "for",
                                s.span,
                                first,
                            ));
                            continue;
                        }
                        for_span = Some(s.span);
                        let mut plans: Vec<String> = Vec::new();
                        for n in names {
                            if let Some(i) = self.plan_ref(n) {
                                let slug = self.plans.list[i].clone();
                                if !plans.contains(&slug) {
                                    plans.push(slug);
                                }
                            }
                        }
                        def.plans = Some(plans);
                    }
                    RechargeStmt::Error(_) => {}
                }
            }
            // A plan whose wallet recharges when empty must be one the block lets recharge.
            if let (Some(allowed), Some(for_span)) = (&def.plans, for_span) {
                let unlisted: Vec<(String, Span)> = self
                    .plan_defs
                    .iter()
                    .flatten()
                    .filter(|p| {
                        p.when_empty == EmptyRuleDef::AutoRecharge && !allowed.contains(&p.slug)
                    })
                    .map(|p| (p.slug.clone(), p.when_empty_span))
                    .collect();
                for (slug, span) in unlisted {
                    self.push(diagnostics::recharge_plan_not_listed(&slug, span, for_span));
                }
            }
            if let (Some((b, bu)), Some((t, tu))) = (&def.below, &def.refill_to) {
                if bu == tu && t <= b {
                    self.push(diagnostics::refill_below_threshold(item.span));
                }
            }
            out = Some(def);
        }
        out
    }
}
