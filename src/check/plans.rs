//! The plans pass: each plan's price, grants, products, limits, wallet rule, commitment and plan rates, after inheriting from the plan it is `based on`.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn plan(&mut self, p: &Plan, span: Span) -> Option<PlanDef> {
        let mut ok = true;
        let mut seen = Seen::default();
        let mut price = None;
        let mut price_span = p.slug.span;
        let mut billing = Vec::new();
        let mut grants = Vec::new();
        let mut packs_allowed = false;
        let mut products: Option<Vec<usize>> = None;
        let mut products_span = None;
        let mut denied: Vec<(usize, Span)> = Vec::new();
        let mut limits = Vec::new();
        let mut allowances = Vec::new();
        let mut top_up = None;
        let mut fee_stmts: Vec<(&Fee, Span)> = Vec::new();
        let mut features = Vec::new();
        let mut when_empty = None;
        let mut when_empty_span = p.slug.span;
        let mut commit: Option<(Decimal, String, u32)> = None;
        let mut includes: Option<(Decimal, String, Option<RateDef>)> = None;
        let mut overage: Option<RateDef> = None;
        let mut overrides = Vec::new();
        let n_products = self.product_defs.len();
        // A misspelt name in `products` could mean any product: none is then called unused.
        let mut unknown_listed = false;

        if let Some(base) = &p.based_on {
            if self.plans.resolve(&base.node).is_none() && !self.is_contract {
                self.plan_ref(base);
                ok = false;
            }
        }
        let inherited = inherit::plan_body(self.book, p);
        if let Some(cycle) = &inherited.cycle {
            // Reported once, at the plan of the loop that comes first by slug.
            if cycle.iter().min() == Some(&p.slug.node) {
                let at = p.based_on.as_ref().map_or(p.slug.span, |b| b.span);
                self.push(diagnostics::based_on_loop(cycle, at));
            }
            ok = false;
        }
        let body = inherited.body;
        for s in &body {
            let key = match &s.node {
                PlanStmt::Price { .. } => Some("price"),
                PlanStmt::Billing(_) => Some("billing"),
                PlanStmt::Packs(_) => Some("packs"),
                PlanStmt::Products(_) => Some("products"),
                PlanStmt::WhenEmpty(_) => Some("when empty"),
                PlanStmt::Commit { .. } => Some("commit"),
                PlanStmt::Includes { .. } => Some("includes"),
                PlanStmt::Overage(_) => Some("overage"),
                PlanStmt::TopUp(_) => Some("top up"),
                _ => None,
            };
            if let Some(key) = key {
                if let Some(prev) = seen.get(key) {
                    let prev = *prev;
                    self.push(diagnostics::statement_twice("plan", key, s.span, prev));
                    ok = false;
                    continue;
                }
                seen.insert(key, s.span);
            }
            match &s.node {
                PlanStmt::Price { price: pr, minimum } => {
                    price_span = s.span;
                    price = self.price(pr, "a plan's price");
                    if price.is_none() {
                        ok = false;
                    }
                    if let Some(m) = minimum {
                        if self.money(&m.amount, "a minimum price").is_none() {
                            ok = false;
                        }
                    }
                }
                PlanStmt::Billing(list) => {
                    for b in list {
                        if b.node == "monthly" || b.node == "annual" {
                            billing.push(b.node.clone());
                        } else {
                            self.unknown("billing period", b, &["monthly".into(), "annual".into()], "write `billing monthly`, `billing annual` or `billing monthly, annual`");
                            ok = false;
                        }
                    }
                }
                PlanStmt::Grant(g) => match self.grant(g, s.span, false) {
                    Some(g) => grants.push(g),
                    None => ok = false,
                },
                PlanStmt::Packs(allowed) => packs_allowed = *allowed,
                PlanStmt::Products(list) => {
                    products_span = Some(s.span);
                    products = match list {
                        None => None,
                        Some(names) => {
                            let mut v = Vec::new();
                            for n in names {
                                match self.product_ref(n) {
                                    Some(i) => v.push(i),
                                    None => {
                                        ok = false;
                                        unknown_listed = true;
                                    }
                                }
                            }
                            Some(v)
                        }
                    };
                }
                PlanStmt::Deny(names) => {
                    for n in names {
                        match self.product_ref(n) {
                            Some(i) => denied.push((i, n.span)),
                            None => ok = false,
                        }
                    }
                }
                PlanStmt::Limit(l) => match self.limit(l, s.span) {
                    Some(l) => limits.push(l),
                    None => ok = false,
                },
                PlanStmt::Allowance(a) => match self.allowance(a, s.span) {
                    Some(a) => allowances.push(a),
                    None => ok = false,
                },
                PlanStmt::Fee(f) => fee_stmts.push((f, s.span)),
                PlanStmt::TopUp(t) => match self.top_up(t, s.span) {
                    Some(t) => top_up = Some(t),
                    None => ok = false,
                },
                PlanStmt::Feature { name, value } => {
                    let v = match &value.node {
                        FeatureValue::Quantity(q) => format!("{} {}", q.value.node, q.unit.node),
                        FeatureValue::Number(n) => n.node.to_string(),
                        FeatureValue::Text(t) | FeatureValue::Word(t) => t.clone(),
                    };
                    features.push((name.node.clone(), v));
                }
                PlanStmt::WhenEmpty(rule) => {
                    when_empty_span = s.span;
                    when_empty = Some(match &rule.node {
                        EmptyRule::Reject => Some(EmptyRuleDef::Reject),
                        EmptyRule::AutoRecharge => Some(EmptyRuleDef::AutoRecharge),
                        EmptyRule::Overage(None) => Some(EmptyRuleDef::Overage(None)),
                        EmptyRule::Overage(Some(r)) => self
                            .rate(r, None, "overage rate", s.span, false)
                            .map(|r| EmptyRuleDef::Overage(Some(r))),
                    });
                }
                PlanStmt::Commit { amount, per } => {
                    let m = self.money(amount, "a commitment");
                    let months = self.period_months(per);
                    match (m, months) {
                        (Some((a, c)), Some(months)) => {
                            if self.positive(&amount.value, "the commitment") {
                                commit = Some((a, c, months));
                            } else {
                                ok = false;
                            }
                        }
                        _ => ok = false,
                    }
                }
                PlanStmt::Includes { amount, at } => {
                    let unit = self.unit(&amount.unit);
                    let rate = at
                        .as_ref()
                        .and_then(|r| self.rate(r, None, "contract rate", s.span, false));
                    if let (Some(u), Some(r)) = (&unit, &rate) {
                        let rate_dim = self.units.get(&r.per_unit).map(|x| x.dimension.clone());
                        if rate_dim.as_ref() != Some(&u.dimension) {
                            let currency = self.currency_or_usd();
                            self.push(diagnostics::pool_rate_other_unit(
                                &u.name,
                                &r.per_unit,
                                &u.dimension.describe(),
                                amount.unit.span,
                                &amount.value.node.to_string(),
                                &currency,
                            ));
                            ok = false;
                        }
                    }
                    match unit {
                        Some(u) if at.is_none() || rate.is_some() => {
                            includes = Some((amount.value.node, u.name, rate))
                        }
                        _ => ok = false,
                    }
                }
                PlanStmt::Overage(r) => match self.rate(r, None, "overage rate", s.span, false) {
                    Some(r) => overage = Some(r),
                    None => ok = false,
                },
                PlanStmt::RateOverride { product, rate } => {
                    if let Some(i) = self.product_ref(product) {
                        let measure = self
                            .product_defs
                            .get(i)
                            .and_then(|d| d.as_ref())
                            .map(|d| d.measure.clone());
                        let own_unit = self
                            .product_defs
                            .get(i)
                            .and_then(|d| d.as_ref())
                            .and_then(|d| d.charge_unit().map(String::from));
                        // A charge bound is in the product's own charge unit.
                        let charge_bound = self
                            .product_defs
                            .get(i)
                            .and_then(|d| d.as_ref())
                            .and_then(|d| {
                                let b = &d.bill;
                                b.raise_charge
                                    .as_ref()
                                    .or(b.cap_charge.as_ref())
                                    .or(b.cap_period.as_ref())
                            })
                            .map(|b| b.text.clone());
                        match self.rate(rate, measure.as_ref(), "rate", s.span, false) {
                            Some(r)
                                if charge_bound.is_some()
                                    && own_unit.as_deref() != Some(r.unit.as_str()) =>
                            {
                                self.push(diagnostics::plan_rate_other_bill_unit(
                                    &r.unit,
                                    &product.node,
                                    charge_bound.as_deref().unwrap_or_default(),
                                    rate.amount.unit.span,
                                ));
                                ok = false;
                            }
                            Some(r) => {
                                let dim = |u: &str| self.units.get(u).map(|x| x.dimension.clone());
                                match own_unit.filter(|own| dim(own) != dim(&r.unit)) {
                                    Some(own) => {
                                        self.push(diagnostics::plan_rate_other_unit(
                                            &r.unit,
                                            &product.node,
                                            &own,
                                            rate.amount.unit.span,
                                        ));
                                        ok = false;
                                    }
                                    None => overrides.push((i, r)),
                                }
                            }
                            None => ok = false,
                        }
                    } else {
                        ok = false;
                    }
                }
                PlanStmt::Allow(_) | PlanStmt::Error(_) => {}
            }
        }

        let price = match price {
            Some(p) => p,
            // A commitment is the plan's fee: no separate price is needed.
            None if commit.is_some() && !seen.contains_key("price") => PlanPrice::Unpublished,
            None => {
                if !seen.contains_key("price") && p.based_on.is_none() {
                    let currency = self.currency_or_usd();
                    self.push(diagnostics::plan_without_price(
                        &p.slug.node,
                        p.slug.span,
                        &currency,
                    ));
                }
                // Without a price of its own, a plan that derives from another is unpublished;
                // the rest of the plan is still checked either way.
                if p.based_on.is_none() {
                    ok = false;
                }
                PlanPrice::Unpublished
            }
        };
        if billing.is_empty() {
            billing.push("monthly".into());
        }
        let mut available = vec![products.is_none(); n_products];
        if let Some(list) = &products {
            for &i in list {
                if i < n_products {
                    available[i] = true;
                }
            }
        }
        for (i, span) in &denied {
            if products.as_ref().is_some_and(|l| l.contains(i)) {
                let product = self.products.list.get(*i).cloned().unwrap_or_default();
                self.push(diagnostics::listed_and_denied(
                    &product,
                    *span,
                    products_span.unwrap_or(*span),
                ));
                ok = false;
            }
            if *i < n_products {
                available[*i] = false;
            }
        }
        // What the plan offers is known even when its other statements are wrong: the
        // `unused-product` rule needs it in the same run. A product listed and denied (reported
        // above) or a misspelt name does not make another warning.
        let mut offered = if unknown_listed {
            vec![true; n_products]
        } else {
            available.clone()
        };
        for (i, _) in &denied {
            if products.as_ref().is_some_and(|l| l.contains(i)) && *i < n_products {
                offered[*i] = true;
            }
        }
        self.plan_available.push(offered);

        // Commitments: the contract rate and the overage rate.
        let commit_def = match commit {
            Some((amount, currency, months)) => {
                let (included, contract_rate) = match includes {
                    Some((q, u, r)) => (Some((q, u)), r),
                    None => (None, None),
                };
                if let (Some(c), Some(o)) = (&contract_rate, &overage) {
                    if let (Some(cv), Some(ov)) = (self.per_base(c), self.per_base(o)) {
                        if ov < cv {
                            self.push(diagnostics::overage_cheaper(o.span, c.span));
                        }
                    }
                }
                Some(CommitDef {
                    amount,
                    currency,
                    months,
                    included,
                    contract_rate,
                    overage: overage.clone(),
                })
            }
            None => {
                if let Some((_, _, _)) = &includes {
                    if let Some(span) = seen.get("includes") {
                        let span = *span;
                        let currency = self.currency_or_usd();
                        self.push(diagnostics::includes_without_commit(span, &currency));
                        ok = false;
                    }
                }
                None
            }
        };
        for r in [
            commit_def.as_ref().and_then(|c| c.contract_rate.as_ref()),
            overage.as_ref(),
        ]
        .into_iter()
        .flatten()
        .chain(overrides.iter().map(|(_, r)| r))
        {
            self.check_floor(r);
        }

        let when_empty = match when_empty {
            Some(Some(EmptyRuleDef::Overage(None))) => {
                if overage.is_none() {
                    let (currency, unit) = (self.currency_or_usd(), self.wallet_or_currency());
                    self.push(diagnostics::overage_without_rate(
                        when_empty_span,
                        &currency,
                        &unit,
                    ));
                    ok = false;
                }
                EmptyRuleDef::Overage(overage.clone())
            }
            Some(Some(rule)) => rule,
            Some(None) => {
                ok = false;
                EmptyRuleDef::Reject
            }
            None if commit_def.is_some() && overage.is_some() => {
                EmptyRuleDef::Overage(overage.clone())
            }
            None => EmptyRuleDef::Reject,
        };
        let fees = self.fees(fee_stmts, super::fees::FeeOwner::Plan, &mut ok);
        ok.then(|| PlanDef {
            slug: p.slug.node.clone(),
            display: p.display.node.clone(),
            based_on: p.based_on.as_ref().map(|b| b.node.clone()),
            price,
            price_span,
            billing,
            grants,
            packs_allowed,
            available,
            limits,
            allowances,
            top_up,
            fees,
            features,
            when_empty,
            when_empty_span,
            commit: commit_def,
            overrides,
            span,
            slug_span: p.slug.span,
        })
    }
}
