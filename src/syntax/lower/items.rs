//! Lowering of the pricing items: products and their tiers, plans, packs, grants and limits.

use super::*;

impl Lower<'_> {
    pub(super) fn product(&mut self, p: P<'_>) -> Item {
        let mut display = None;
        let mut slug = None;
        let mut body = Vec::new();
        for c in children(p) {
            let sp = self.span(&c);
            let stmt = match c.as_rule() {
                Rule::string => {
                    display = Some(self.string(c));
                    continue;
                }
                Rule::ident => {
                    slug = Some(self.name(c));
                    continue;
                }
                Rule::measure_stmt => ProductStmt::Measure(self.first_name(c)),
                Rule::rate_stmt
                    if children(c.clone()).any(|x| x.as_rule() == Rule::rate_unpublished) =>
                {
                    ProductStmt::Unpublished
                }
                Rule::rate_stmt => {
                    let mut key = Vec::new();
                    let mut rate = None;
                    for x in children(c) {
                        match x.as_rule() {
                            Rule::cell_key => {
                                for vs in children(x) {
                                    if vs.as_rule() == Rule::cell_values {
                                        let values = children(vs)
                                            .filter(|v| v.as_rule() == Rule::dim_value)
                                            .map(|v| self.dim_value(v))
                                            .collect();
                                        key.push(values);
                                    }
                                }
                            }
                            Rule::rate_expr => rate = Some(self.rate(x)),
                            _ => {}
                        }
                    }
                    ProductStmt::Rate { key, rate }
                }
                Rule::tiers_stmt => {
                    let mut mode = TierMode::Graduated;
                    let mut scope = None;
                    let mut tiers = Vec::new();
                    for x in children(c) {
                        let xs = self.span(&x);
                        match x.as_rule() {
                            Rule::tier_mode
                                if x.clone().into_inner().next().map(|k| k.as_rule())
                                    == Some(Rule::kw_volume) =>
                            {
                                mode = TierMode::Volume;
                            }
                            Rule::tier_scope => {
                                scope = match x.into_inner().nth(1).map(|k| k.as_rule()) {
                                    Some(Rule::kw_event) => Some(TierScope::Event),
                                    Some(Rule::kw_period) => Some(TierScope::Period),
                                    _ => None,
                                };
                            }
                            Rule::tier => tiers.push(Spanned::new(self.tier(x), xs)),
                            Rule::bad_stmt => {
                                self.bad(
                                    x,
                                    Rule::tier_entry,
                                    "in a tiers block",
                                    last_span(&tiers),
                                );
                            }
                            _ => {}
                        }
                    }
                    ProductStmt::Tiers { mode, scope, tiers }
                }
                Rule::flat_stmt => {
                    let (amount, per) = self.amount_per(c);
                    ProductStmt::Flat { amount, per }
                }
                Rule::free_stmt => ProductStmt::Free,
                Rule::round_stmt => {
                    let mut mode = RoundMode::Up;
                    let mut to = None;
                    for x in children(c) {
                        match x.as_rule() {
                            Rule::round_dir => {
                                mode = match x.into_inner().next().map(|k| k.as_rule()) {
                                    Some(Rule::kw_down) => RoundMode::Down,
                                    Some(Rule::kw_nearest) => RoundMode::Nearest,
                                    _ => RoundMode::Up,
                                }
                            }
                            Rule::quantity => to = Some(self.quantity(x)),
                            _ => {}
                        }
                    }
                    ProductStmt::Round {
                        mode,
                        to: to.unwrap_or_else(missing_quantity),
                    }
                }
                Rule::prorate_stmt => ProductStmt::Prorate,
                Rule::min_stmt => ProductStmt::Min(self.first_quantity(c)),
                Rule::max_stmt => ProductStmt::Max(self.first_quantity(c)),
                Rule::bill_bound_stmt => self.bill_bound(c),
                Rule::fee_stmt => ProductStmt::Fee(self.fee(c)),
                Rule::outside_stmt => ProductStmt::OutsideWallet,
                Rule::dims_stmt => ProductStmt::Dims(self.ident_list_in(c)),
                Rule::aka_stmt => ProductStmt::Aka(
                    children(c)
                        .filter(|x| x.as_rule() == Rule::string)
                        .map(|x| self.string(x))
                        .collect(),
                ),
                Rule::allow_decl => ProductStmt::Allow(self.allow(c)),
                Rule::bad_stmt => ProductStmt::Error(self.bad(
                    c,
                    Rule::product_stmt_entry,
                    "in a product",
                    last_span(&body),
                )),
                _ => continue,
            };
            body.push(Spanned::new(stmt, sp));
        }
        Item::Product(Product {
            display: display.unwrap_or_else(missing),
            slug: slug.unwrap_or_else(missing),
            body,
        })
    }

    pub(super) fn tier(&mut self, p: P<'_>) -> Tier {
        let mut qs = Vec::new();
        let mut rate = None;
        for c in children(p) {
            match c.as_rule() {
                Rule::quantity => qs.push(self.quantity(c)),
                Rule::rate_expr => rate = Some(self.rate(c)),
                _ => {}
            }
        }
        let mut qs = qs.into_iter();
        Tier {
            from: qs.next().unwrap_or_else(missing_quantity),
            to: qs.next(),
            rate: rate.unwrap_or_else(missing_rate),
        }
    }

    pub(super) fn plan(&mut self, p: P<'_>) -> Item {
        let mut display = None;
        let mut slug = None;
        let mut based_on = None;
        let mut body = Vec::new();
        for c in children(p) {
            let sp = self.span(&c);
            let stmt = match c.as_rule() {
                Rule::string => {
                    display = Some(self.string(c));
                    continue;
                }
                Rule::ident => {
                    slug = Some(self.name(c));
                    continue;
                }
                Rule::based_on => {
                    based_on = Some(self.first_name(c));
                    continue;
                }
                Rule::price_stmt => {
                    let (price, minimum) = self.price_stmt(c);
                    PlanStmt::Price { price, minimum }
                }
                Rule::billing_stmt => PlanStmt::Billing(self.ident_list_in(c)),
                Rule::grant_stmt => PlanStmt::Grant(self.grant(c)),
                Rule::packs_stmt => {
                    PlanStmt::Packs(c.into_inner().any(|x| x.as_rule() == Rule::packs_allowed))
                }
                Rule::products_stmt => {
                    if c.clone()
                        .into_inner()
                        .any(|x| x.as_rule() == Rule::products_all)
                    {
                        PlanStmt::Products(None)
                    } else {
                        PlanStmt::Products(Some(self.ident_list_in(c)))
                    }
                }
                Rule::deny_stmt => PlanStmt::Deny(self.ident_list_in(c)),
                Rule::limit_stmt => PlanStmt::Limit(self.limit(c)),
                Rule::allowance_stmt => PlanStmt::Allowance(self.allowance(c)),
                Rule::topup_stmt => PlanStmt::TopUp(self.top_up(c)),
                Rule::fee_stmt => PlanStmt::Fee(self.fee(c)),
                Rule::feature_stmt => {
                    let mut name = None;
                    let mut value = None;
                    for x in children(c) {
                        match x.as_rule() {
                            Rule::ident => name = Some(self.name(x)),
                            Rule::feature_value => {
                                let xs = self.span(&x);
                                let v = match x.into_inner().next() {
                                    Some(v) if v.as_rule() == Rule::quantity => {
                                        FeatureValue::Quantity(self.quantity(v))
                                    }
                                    Some(v) if v.as_rule() == Rule::number => {
                                        FeatureValue::Number(self.number(v))
                                    }
                                    Some(v) if v.as_rule() == Rule::string => {
                                        FeatureValue::Text(self.string(v).node)
                                    }
                                    Some(v) => FeatureValue::Word(v.as_str().to_string()),
                                    None => FeatureValue::Word(String::new()),
                                };
                                value = Some(Spanned::new(v, xs));
                            }
                            _ => {}
                        }
                    }
                    PlanStmt::Feature {
                        name: name.unwrap_or_else(missing),
                        value: value
                            .unwrap_or_else(|| missing_of(FeatureValue::Word(String::new()))),
                    }
                }
                Rule::when_empty_stmt => {
                    let rule = c.into_inner().find(|x| x.as_rule() == Rule::empty_rule);
                    let Some(rule) = rule else { continue };
                    let rs = self.span(&rule);
                    let inner = rule.into_inner().next();
                    let r = match inner {
                        Some(x) if x.as_rule() == Rule::empty_overage => {
                            let rate = x.into_inner().find(|r| r.as_rule() == Rule::rate_expr);
                            EmptyRule::Overage(rate.map(|r| self.rate(r)))
                        }
                        Some(x) if x.as_rule() == Rule::empty_recharge => EmptyRule::AutoRecharge,
                        _ => EmptyRule::Reject,
                    };
                    PlanStmt::WhenEmpty(Spanned::new(r, rs))
                }
                Rule::commit_stmt => {
                    let (amount, per) = self.amount_per(c);
                    PlanStmt::Commit {
                        amount,
                        per: per.unwrap_or_else(missing),
                    }
                }
                Rule::includes_stmt => {
                    let mut amount = None;
                    let mut at = None;
                    for x in children(c) {
                        match x.as_rule() {
                            Rule::quantity => amount = Some(self.quantity(x)),
                            Rule::rate_expr => at = Some(self.rate(x)),
                            _ => {}
                        }
                    }
                    PlanStmt::Includes {
                        amount: amount.unwrap_or_else(missing_quantity),
                        at,
                    }
                }
                Rule::overage_stmt => {
                    let r = c.into_inner().find(|x| x.as_rule() == Rule::rate_expr);
                    PlanStmt::Overage(r.map(|r| self.rate(r)).unwrap_or_else(missing_rate))
                }
                Rule::plan_rate_stmt => {
                    let mut product = None;
                    let mut rate = None;
                    for x in children(c) {
                        match x.as_rule() {
                            Rule::ident => product = Some(self.name(x)),
                            Rule::rate_expr => rate = Some(self.rate(x)),
                            _ => {}
                        }
                    }
                    PlanStmt::RateOverride {
                        product: product.unwrap_or_else(missing),
                        rate: rate.unwrap_or_else(missing_rate),
                    }
                }
                Rule::allow_decl => PlanStmt::Allow(self.allow(c)),
                Rule::bad_stmt => PlanStmt::Error(self.bad(
                    c,
                    Rule::plan_stmt_entry,
                    "in a plan",
                    last_span(&body),
                )),
                _ => continue,
            };
            body.push(Spanned::new(stmt, sp));
        }
        Item::Plan(Plan {
            display: display.unwrap_or_else(missing),
            slug: slug.unwrap_or_else(missing),
            based_on,
            body,
        })
    }

    pub(super) fn pack(&mut self, p: P<'_>) -> Item {
        let mut display = None;
        let mut slug = None;
        let mut body = Vec::new();
        for c in children(p) {
            let sp = self.span(&c);
            let stmt = match c.as_rule() {
                Rule::string => {
                    display = Some(self.string(c));
                    continue;
                }
                Rule::ident => {
                    slug = Some(self.name(c));
                    continue;
                }
                Rule::price_stmt => {
                    let (price, minimum) = self.price_stmt(c);
                    PackStmt::Price { price, minimum }
                }
                Rule::grant_stmt => PackStmt::Grant(self.grant(c)),
                Rule::pack_for_stmt => PackStmt::For(self.ident_list_in(c)),
                Rule::allow_decl => PackStmt::Allow(self.allow(c)),
                Rule::bad_stmt => PackStmt::Error(self.bad(
                    c,
                    Rule::pack_stmt_entry,
                    "in a pack",
                    last_span(&body),
                )),
                _ => continue,
            };
            body.push(Spanned::new(stmt, sp));
        }
        Item::Pack(Pack {
            display: display.unwrap_or_else(missing),
            slug: slug.unwrap_or_else(missing),
            body,
        })
    }

    pub(super) fn grant(&mut self, p: P<'_>) -> Grant {
        let mut amount = None;
        let mut contract_set = None;
        let mut cadence = None;
        let mut expiry = Vec::new();
        let mut priority = Vec::new();
        for c in children(p) {
            let sp = self.span(&c);
            match c.as_rule() {
                Rule::quantity => amount = Some(self.quantity(c)),
                Rule::grant_custom => {
                    let at = c
                        .clone()
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::kw_custom)
                        .map_or(sp, |k| self.span(&k));
                    let unit = c.into_inner().find(|x| x.as_rule() == Rule::ident);
                    if let Some(unit) = unit {
                        amount = Some(Quantity {
                            value: Spanned::new(Decimal::ZERO, at),
                            unit: self.name(unit),
                        });
                    }
                    contract_set = Some(Spanned::new((), at));
                }
                Rule::cadence => cadence = Some(Spanned::new(self.cadence(c), sp)),
                Rule::expiry => {
                    if let Some(e) = self.expiry(c) {
                        expiry.push(Spanned::new(e, sp));
                    }
                }
                Rule::priority => {
                    if let Some(n) = c.into_inner().find(|x| x.as_rule() == Rule::number) {
                        priority.push(self.number(n));
                    }
                }
                _ => {}
            }
        }
        Grant {
            amount: amount.unwrap_or_else(missing_quantity),
            contract_set,
            cadence,
            expiry,
            priority,
        }
    }

    /// `expiry`: one expiry rule.
    fn expiry(&mut self, p: P<'_>) -> Option<Expiry> {
        let x = p.into_inner().next()?;
        Some(match x.as_rule() {
            Rule::never_expires => Expiry::Never,
            Rule::expires_cycle_end => Expiry::CycleEnd,
            Rule::expires_contract_end => Expiry::ContractEnd,
            _ => Expiry::After(self.first_quantity(x)),
        })
    }

    /// `once` or `every <period>`.
    fn cadence(&mut self, c: P<'_>) -> Cadence {
        match c.into_inner().find(|x| x.as_rule() == Rule::ident) {
            Some(period) => Cadence::Every(self.name(period)),
            None => Cadence::Once,
        }
    }

    /// `bill at least 2 second`, `bill at most 500 credit per period`.
    fn bill_bound(&mut self, p: P<'_>) -> ProductStmt {
        let (mut bound, mut amount, mut scope) = (BillBound::AtLeast, None, None);
        for c in children(p) {
            match c.as_rule() {
                Rule::kw_most => bound = BillBound::AtMost,
                Rule::quantity => amount = Some(self.quantity(c)),
                Rule::kw_event => scope = Some(TierScope::Event),
                Rule::kw_period => scope = Some(TierScope::Period),
                _ => {}
            }
        }
        ProductStmt::Bill {
            bound,
            amount: amount.unwrap_or_else(missing_quantity),
            scope,
        }
    }

    pub(super) fn fee(&mut self, p: P<'_>) -> Fee {
        let mut name = None;
        let mut amount = None;
        let mut cadence = None;
        for c in children(p) {
            let sp = self.span(&c);
            match c.as_rule() {
                Rule::string => name = Some(self.string(c)),
                Rule::fee_amount => {
                    let Some(inner) = c.into_inner().next() else {
                        continue;
                    };
                    amount = Some(match inner.as_rule() {
                        Rule::fee_between => {
                            let mut qs =
                                inner.into_inner().filter(|x| x.as_rule() == Rule::quantity);
                            let lo = qs.next().map(|q| self.quantity(q));
                            let hi = qs.next().map(|q| self.quantity(q));
                            FeeAmount::Between(
                                lo.unwrap_or_else(missing_quantity),
                                hi.unwrap_or_else(missing_quantity),
                            )
                        }
                        Rule::fee_at_least => FeeAmount::AtLeast(self.first_quantity(inner)),
                        _ => FeeAmount::Exact(self.quantity(inner)),
                    });
                }
                Rule::cadence => cadence = Some(Spanned::new(self.cadence(c), sp)),
                _ => {}
            }
        }
        Fee {
            name: name.unwrap_or_else(missing),
            amount: amount.unwrap_or_else(|| FeeAmount::Exact(missing_quantity())),
            cadence: cadence.unwrap_or_else(|| missing_of(Cadence::Once)),
        }
    }

    pub(super) fn top_up(&mut self, p: P<'_>) -> TopUp {
        let mut currency = None;
        let mut minimum = None;
        let mut maximum = None;
        let mut expiry = Vec::new();
        for c in children(p) {
            let sp = self.span(&c);
            match c.as_rule() {
                Rule::ident => currency = Some(self.name(c)),
                Rule::topup_minimum => minimum = Some(self.first_quantity(c)),
                Rule::topup_maximum => maximum = Some(self.first_quantity(c)),
                Rule::expiry => {
                    if let Some(e) = self.expiry(c) {
                        expiry.push(Spanned::new(e, sp));
                    }
                }
                _ => {}
            }
        }
        TopUp {
            currency: currency.unwrap_or_else(missing),
            minimum,
            maximum,
            expiry,
        }
    }

    pub(super) fn allowance(&mut self, p: P<'_>) -> Allowance {
        let mut amount = None;
        let mut window = None;
        let mut scope = Vec::new();
        let mut beyond = None;
        for c in children(p) {
            match c.as_rule() {
                Rule::quantity => amount = Some(self.quantity(c)),
                Rule::ident => window = Some(self.name(c)),
                Rule::limit_scope => scope = self.ident_list_in(c),
                Rule::beyond_rule => {
                    let sp = self.span(&c);
                    let rule = match c.into_inner().next() {
                        Some(r) if r.as_rule() == Rule::beyond_reject => Some(Beyond::Reject),
                        Some(r) if r.as_rule() == Rule::beyond_wallet => Some(Beyond::Wallet),
                        Some(r) => children(r)
                            .find(|x| x.as_rule() == Rule::rate_expr)
                            .map(|x| Beyond::Overage(self.rate(x))),
                        None => None,
                    };
                    beyond = rule.map(|r| Spanned::new(r, sp));
                }
                _ => {}
            }
        }
        Allowance {
            amount: amount.unwrap_or_else(missing_quantity),
            window: window.unwrap_or_else(missing),
            scope,
            beyond,
        }
    }

    pub(super) fn limit(&mut self, p: P<'_>) -> Limit {
        let mut name = Vec::new();
        let mut op = LimitOp::Le;
        let mut values = Vec::new();
        let mut window = None;
        let mut scope = Vec::new();
        let mut informational = false;
        for c in children(p) {
            match c.as_rule() {
                Rule::limit_name => {
                    for x in children(c) {
                        if x.as_rule() == Rule::ident {
                            name.push(self.name(x));
                        }
                    }
                }
                Rule::limit_bound => {
                    for b in children(c) {
                        match b.as_rule() {
                            Rule::limit_op => op = LimitOp::parse(b.as_str()).unwrap_or(op),
                            Rule::limit_value => values.push(self.limit_value(b)),
                            Rule::limit_between => {
                                op = LimitOp::Between;
                                for v in children(b) {
                                    if v.as_rule() == Rule::limit_value {
                                        values.push(self.limit_value(v));
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Rule::limit_window => window = Some(self.first_name(c)),
                Rule::limit_scope => scope = self.ident_list_in(c),
                Rule::limit_informational => informational = true,
                _ => {}
            }
        }
        let mut values = values.into_iter();
        Limit {
            name,
            op,
            value: values
                .next()
                .unwrap_or_else(|| missing_of(LimitValue::Number(missing_of(Decimal::ZERO)))),
            upper: values.next(),
            window,
            scope,
            informational,
        }
    }

    fn limit_value(&mut self, c: P<'_>) -> Spanned<LimitValue> {
        let sp = self.span(&c);
        let v = match c.into_inner().next() {
            Some(x) if x.as_rule() == Rule::quantity => LimitValue::Quantity(self.quantity(x)),
            Some(x) if x.as_rule() == Rule::number => LimitValue::Number(self.number(x)),
            Some(x) => LimitValue::DimValue(self.dim_single(x)),
            None => LimitValue::Number(missing_of(Decimal::ZERO)),
        };
        Spanned::new(v, sp)
    }
}
