//! Lowering: pest pairs -> owned AST, straight after parsing (pairs are `Rc`-based and tied to
//! the input; the rest of the pipeline never sees them).
//!
//! Each function walks a pair's children and picks the ones it needs by rule; keywords and
//! punctuation are skipped by simply not matching them.

use super::Rule;
use super::ast::*;
use super::explain::explain_bad;
use crate::diagnostic::{Code, Diagnostic};
use pest::iterators::Pair;
use rust_decimal::Decimal;

type P<'i> = Pair<'i, Rule>;

pub(super) fn lower_file(file: P<'_>, text: &str, diags: &mut Vec<Diagnostic>) -> Book {
    let mut lw = Lower { text, diags };
    let mut items = Vec::new();
    for p in file.into_inner() {
        if p.as_rule() == Rule::EOI {
            continue;
        }
        let sp = span(&p);
        let item = lw.item(p);
        items.push(Spanned::new(item, sp));
    }
    Book { items }
}

/// A pair's span without trailing whitespace and comments: pest skips trivia before trying an
/// optional part, and keeps it in the span when the part is absent.
fn span(p: &P<'_>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.start() + trimmed_len(p.as_str()))
}

fn trimmed_len(text: &str) -> usize {
    let mut end = text.trim_end().len();
    loop {
        let body = &text[..end];
        let line_start = body.rfind('\n').map_or(0, |i| i + 1);
        match comment_start(&body[line_start..]) {
            Some(c) => end = body[..line_start + c].trim_end().len(),
            None => return end,
        }
    }
}

/// Where a `#` comment starts on a line, outside strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

fn children<'i>(p: P<'i>) -> impl Iterator<Item = P<'i>> {
    p.into_inner()
}

struct Lower<'d> {
    text: &'d str,
    diags: &'d mut Vec<Diagnostic>,
}

impl Lower<'_> {
    fn item(&mut self, p: P<'_>) -> Item {
        match p.as_rule() {
            Rule::header => self.header(p),
            Rule::contract_header => self.contract_header(p),
            Rule::unit_decl => {
                let mut name = None;
                let mut equals = None;
                for c in children(p) {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.name(c)),
                        Rule::quantity => equals = Some(self.quantity(c)),
                        _ => {}
                    }
                }
                Item::Unit(UnitDecl {
                    name: name.unwrap_or_else(missing),
                    equals,
                })
            }
            Rule::dimension_decl => {
                let mut name = None;
                let mut values = Vec::new();
                for c in children(p) {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.name(c)),
                        Rule::dim_value => values.push(self.dim_value(c)),
                        _ => {}
                    }
                }
                Item::Dimension(DimensionDecl {
                    name: name.unwrap_or_else(missing),
                    values,
                })
            }
            Rule::product => self.product(p),
            Rule::plan => self.plan(p),
            Rule::pack => self.pack(p),
            Rule::billing_block => {
                let mut period = None;
                let mut body = Vec::new();
                for c in children(p) {
                    let sp = span(&c);
                    match c.as_rule() {
                        Rule::ident => period = Some(self.name(c)),
                        Rule::frontload_stmt => {
                            let q = c.into_inner().find(|x| x.as_rule() == Rule::quantity);
                            let q = q.map(|q| self.quantity(q)).unwrap_or_else(missing_quantity);
                            body.push(Spanned::new(BillingStmt::FrontLoad(q), sp));
                        }
                        Rule::bad_stmt => {
                            let text = self.bad(
                                c,
                                Rule::billing_stmt_entry,
                                "in a billing block",
                                last_span(&body),
                            );
                            body.push(Spanned::new(BillingStmt::Error(text), sp));
                        }
                        _ => {}
                    }
                }
                Item::Billing(BillingBlock {
                    period: period.unwrap_or_else(missing),
                    body,
                })
            }
            Rule::recharge_block => {
                let mut body = Vec::new();
                for c in children(p) {
                    let sp = span(&c);
                    let stmt = match c.as_rule() {
                        Rule::below_stmt => RechargeStmt::Below(self.first_quantity(c)),
                        Rule::refill_stmt => RechargeStmt::RefillTo(self.first_quantity(c)),
                        Rule::cap_stmt => {
                            let (amount, per) = self.amount_per(c);
                            RechargeStmt::Cap { amount, per }
                        }
                        Rule::recharge_minimum => {
                            let mut field = RechargeField::Below;
                            let mut amount = None;
                            for x in children(c) {
                                match x.as_rule() {
                                    Rule::recharge_field => {
                                        field = match x.into_inner().next().map(|k| k.as_rule()) {
                                            Some(Rule::kw_refill) => RechargeField::Refill,
                                            Some(Rule::kw_cap) => RechargeField::Cap,
                                            _ => RechargeField::Below,
                                        }
                                    }
                                    Rule::quantity => amount = Some(self.quantity(x)),
                                    _ => {}
                                }
                            }
                            RechargeStmt::Minimum {
                                field,
                                amount: amount.unwrap_or_else(missing_quantity),
                            }
                        }
                        Rule::price_stmt => {
                            let (price, minimum) = self.price_stmt(c);
                            RechargeStmt::Price { price, minimum }
                        }
                        Rule::bad_stmt => RechargeStmt::Error(self.bad(
                            c,
                            Rule::recharge_stmt_entry,
                            "in an auto recharge block",
                            last_span(&body),
                        )),
                        _ => continue,
                    };
                    body.push(Spanned::new(stmt, sp));
                }
                Item::Recharge(RechargeBlock { body })
            }
            Rule::floor_decl => {
                let r = p.into_inner().find(|x| x.as_rule() == Rule::rate_expr);
                Item::Floor(r.map(|r| self.rate(r)).unwrap_or_else(missing_rate))
            }
            Rule::allow_decl => Item::Allow(self.allow(p)),
            Rule::test_block => self.test_block(p),
            Rule::bad_item => {
                let sp = span(&p);
                let text = p.as_str().to_string();
                self.diags.push(explain_bad(
                    &text,
                    sp.start,
                    Rule::item_entry,
                    "at the top level",
                ));
                Item::Error(text)
            }
            _ => Item::Error(p.as_str().to_string()),
        }
    }

    /// Reports a recovered statement and returns its text.
    ///
    /// When the statement before it ends on the same line, the line as a whole is explained too
    /// (`grant 100 credit every month, expires at cycle` fails inside the grant, not at the
    /// comma), and the explanation that gets further wins.
    fn bad(&mut self, p: P<'_>, entry: Rule, context: &str, prev: Option<Span>) -> String {
        let sp = span(&p);
        let text = p.as_str().to_string();
        let mut diag = explain_bad(&text, sp.start, entry, context);
        if let Some(prev) = prev
            .filter(|prev| prev.end <= sp.start && !self.text[prev.end..sp.start].contains('\n'))
        {
            let line = &self.text[prev.start..sp.end];
            let whole = explain_bad(line, prev.start, entry, context);
            if whole.span().map(|s| s.start) > diag.span().map(|s| s.start) {
                diag = whole;
            }
        }
        self.diags.push(diag);
        text
    }

    fn header(&mut self, p: P<'_>) -> Item {
        let mut idents = Vec::new();
        let mut version = None;
        let mut effective = None;
        for c in children(p) {
            match c.as_rule() {
                Rule::ident => idents.push(self.name(c)),
                Rule::string => version = Some(self.string(c)),
                Rule::date => effective = Some(text(&c)),
                _ => {}
            }
        }
        let mut idents = idents.into_iter();
        Item::Header(Header {
            vendor: idents.next().unwrap_or_else(missing),
            version: version.unwrap_or_else(missing),
            effective: effective.unwrap_or_else(missing),
            currency: idents.next().unwrap_or_else(missing),
        })
    }

    fn contract_header(&mut self, p: P<'_>) -> Item {
        let mut strings = Vec::new();
        let mut idents = Vec::new();
        let mut effective = None;
        for c in children(p) {
            match c.as_rule() {
                Rule::ident => idents.push(self.name(c)),
                Rule::string => strings.push(self.string(c)),
                Rule::date => effective = Some(text(&c)),
                _ => {}
            }
        }
        let mut strings = strings.into_iter();
        let mut idents = idents.into_iter();
        Item::Contract(ContractHeader {
            display: strings.next().unwrap_or_else(missing),
            slug: idents.next().unwrap_or_else(missing),
            vendor: idents.next().unwrap_or_else(missing),
            version: strings.next(),
            effective: effective.unwrap_or_else(missing),
        })
    }

    fn product(&mut self, p: P<'_>) -> Item {
        let mut display = None;
        let mut slug = None;
        let mut body = Vec::new();
        for c in children(p) {
            let sp = span(&c);
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
                Rule::rate_stmt => {
                    let mut key = Vec::new();
                    let mut rate = None;
                    for x in children(c) {
                        match x.as_rule() {
                            Rule::cell_key => {
                                for v in children(x) {
                                    if v.as_rule() == Rule::dim_value {
                                        key.push(self.dim_value(v));
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
                    let mut tiers = Vec::new();
                    for x in children(c) {
                        let xs = span(&x);
                        match x.as_rule() {
                            Rule::tier_mode
                                if x.clone().into_inner().next().map(|k| k.as_rule())
                                    == Some(Rule::kw_volume) =>
                            {
                                mode = TierMode::Volume;
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
                    ProductStmt::Tiers { mode, tiers }
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
                Rule::outside_stmt => ProductStmt::OutsideWallet,
                Rule::dims_stmt => ProductStmt::Dims(self.ident_list_in(c)),
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

    fn tier(&mut self, p: P<'_>) -> Tier {
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

    fn plan(&mut self, p: P<'_>) -> Item {
        let mut display = None;
        let mut slug = None;
        let mut based_on = None;
        let mut body = Vec::new();
        for c in children(p) {
            let sp = span(&c);
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
                Rule::feature_stmt => {
                    let mut name = None;
                    let mut value = None;
                    for x in children(c) {
                        match x.as_rule() {
                            Rule::ident => name = Some(self.name(x)),
                            Rule::feature_value => {
                                let xs = span(&x);
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
                    let rs = span(&rule);
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

    fn pack(&mut self, p: P<'_>) -> Item {
        let mut display = None;
        let mut slug = None;
        let mut body = Vec::new();
        for c in children(p) {
            let sp = span(&c);
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

    fn grant(&mut self, p: P<'_>) -> Grant {
        let mut amount = None;
        let mut cadence = None;
        let mut expiry = Vec::new();
        let mut priority = Vec::new();
        for c in children(p) {
            let sp = span(&c);
            match c.as_rule() {
                Rule::quantity => amount = Some(self.quantity(c)),
                Rule::cadence => {
                    let every = c.clone().into_inner().find(|x| x.as_rule() == Rule::ident);
                    let cad = match every {
                        Some(period) => Cadence::Every(self.name(period)),
                        None => Cadence::Once,
                    };
                    cadence = Some(Spanned::new(cad, sp));
                }
                Rule::expiry => {
                    let Some(x) = c.into_inner().next() else {
                        continue;
                    };
                    let e = match x.as_rule() {
                        Rule::never_expires => Expiry::Never,
                        Rule::expires_cycle_end => Expiry::CycleEnd,
                        Rule::expires_contract_end => Expiry::ContractEnd,
                        _ => Expiry::After(self.first_quantity(x)),
                    };
                    expiry.push(Spanned::new(e, sp));
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
            cadence,
            expiry,
            priority,
        }
    }

    fn limit(&mut self, p: P<'_>) -> Limit {
        let mut name = Vec::new();
        let mut value = None;
        let mut window = None;
        let mut scope = Vec::new();
        for c in children(p) {
            match c.as_rule() {
                Rule::limit_name => {
                    for x in children(c) {
                        if x.as_rule() == Rule::ident {
                            name.push(self.name(x));
                        }
                    }
                }
                Rule::limit_value => {
                    let sp = span(&c);
                    let v = match c.into_inner().next() {
                        Some(x) if x.as_rule() == Rule::quantity => {
                            LimitValue::Quantity(self.quantity(x))
                        }
                        Some(x) if x.as_rule() == Rule::number => {
                            LimitValue::Number(self.number(x))
                        }
                        Some(x) => LimitValue::DimValue(self.dim_single(x)),
                        None => LimitValue::Number(missing_of(Decimal::ZERO)),
                    };
                    value = Some(Spanned::new(v, sp));
                }
                Rule::limit_window => window = Some(self.first_name(c)),
                Rule::limit_scope => scope = self.ident_list_in(c),
                _ => {}
            }
        }
        Limit {
            name,
            value: value
                .unwrap_or_else(|| missing_of(LimitValue::Number(missing_of(Decimal::ZERO)))),
            window,
            scope,
        }
    }

    fn test_block(&mut self, p: P<'_>) -> Item {
        let mut name = None;
        let mut body = Vec::new();
        for c in children(p) {
            let sp = span(&c);
            let stmt = match c.as_rule() {
                Rule::string => {
                    name = Some(self.string(c));
                    continue;
                }
                Rule::quote_test => self.quote_test(c),
                Rule::capacity_test => {
                    let mut target = None;
                    let mut dims = Vec::new();
                    let mut at = None;
                    let mut expect = None;
                    for x in children(c) {
                        match x.as_rule() {
                            Rule::target => target = Some(self.target(x)),
                            Rule::dim_arg => dims.push(self.dim_arg(x)),
                            Rule::at_date => at = self.at_date(x),
                            Rule::quantity => expect = Some(self.quantity(x)),
                            _ => {}
                        }
                    }
                    TestStmt::Capacity {
                        target: target.unwrap_or_else(missing_target),
                        dims,
                        at,
                        expect: expect.unwrap_or_else(missing_quantity),
                    }
                }
                Rule::bill_test => self.bill_test(c),
                Rule::bad_stmt => TestStmt::Error(self.bad(
                    c,
                    Rule::test_stmt_entry,
                    "in a test",
                    last_span(&body),
                )),
                _ => continue,
            };
            body.push(Spanned::new(stmt, sp));
        }
        Item::Test(TestBlock {
            name: name.unwrap_or_else(missing),
            body,
        })
    }

    fn quote_test(&mut self, p: P<'_>) -> TestStmt {
        let mut target = None;
        let mut dims = Vec::new();
        let mut quantity = None;
        let mut at = None;
        let mut expect = None;
        for x in children(p) {
            match x.as_rule() {
                Rule::target => target = Some(self.target(x)),
                Rule::dim_arg => dims.push(self.dim_arg(x)),
                Rule::quantity => quantity = Some(self.quantity(x)),
                Rule::at_date => at = self.at_date(x),
                Rule::quote_expect => {
                    let sp = span(&x);
                    let Some(e) = x.into_inner().next() else {
                        continue;
                    };
                    let q = if e.as_rule() == Rule::expect_charge {
                        let mut qs = Vec::new();
                        for y in children(e) {
                            if y.as_rule() == Rule::quantity {
                                qs.push(self.quantity(y));
                            }
                        }
                        let mut qs = qs.into_iter();
                        QuoteExpect::Charge {
                            charge: qs.next().unwrap_or_else(missing_quantity),
                            money: qs.next(),
                        }
                    } else {
                        let s = e.into_inner().find(|y| y.as_rule() == Rule::string);
                        QuoteExpect::Rejects(s.map(|s| self.string(s)))
                    };
                    expect = Some(Spanned::new(q, sp));
                }
                _ => {}
            }
        }
        TestStmt::Quote {
            target: target.unwrap_or_else(missing_target),
            dims,
            quantity: quantity.unwrap_or_else(missing_quantity),
            at,
            expect: expect.unwrap_or_else(|| missing_of(QuoteExpect::Rejects(None))),
        }
    }

    fn bill_test(&mut self, p: P<'_>) -> TestStmt {
        let mut plan = None;
        let mut options = Vec::new();
        let mut body = Vec::new();
        for x in children(p) {
            let sp = span(&x);
            match x.as_rule() {
                Rule::ident => plan = Some(self.name(x)),
                Rule::bill_option => {
                    let Some(o) = x.into_inner().next() else {
                        continue;
                    };
                    let opt = match o.as_rule() {
                        Rule::bill_annual => BillOption::Billing(self.first_name(o)),
                        Rule::bill_from => BillOption::From(
                            o.into_inner()
                                .find(|d| d.as_rule() == Rule::date)
                                .map(|d| text(&d))
                                .unwrap_or_else(missing),
                        ),
                        Rule::bill_periods => BillOption::Periods(
                            o.into_inner()
                                .find(|d| d.as_rule() == Rule::number)
                                .map(|n| self.number(n))
                                .unwrap_or_else(|| missing_of(Decimal::ONE)),
                        ),
                        _ => {
                            let mut qs = Vec::new();
                            let mut cap_num = None;
                            let mut cap_unit = None;
                            for y in children(o) {
                                match y.as_rule() {
                                    Rule::quantity => qs.push(self.quantity(y)),
                                    Rule::number => cap_num = Some(self.number(y)),
                                    Rule::ident => cap_unit = Some(self.name(y)),
                                    _ => {}
                                }
                            }
                            let mut qs = qs.into_iter();
                            BillOption::Recharge {
                                below: qs.next().unwrap_or_else(missing_quantity),
                                to: qs.next().unwrap_or_else(missing_quantity),
                                cap: cap_num
                                    .zip(cap_unit)
                                    .map(|(value, unit)| Quantity { value, unit }),
                            }
                        }
                    };
                    options.push(Spanned::new(opt, sp));
                }
                Rule::use_event => {
                    let mut time = None;
                    let mut product = None;
                    let mut dims = Vec::new();
                    let mut quantity = None;
                    for y in children(x) {
                        match y.as_rule() {
                            Rule::datetime => time = Some(text(&y)),
                            Rule::ident => product = Some(self.name(y)),
                            Rule::dim_arg => dims.push(self.dim_arg(y)),
                            Rule::quantity => quantity = Some(self.quantity(y)),
                            _ => {}
                        }
                    }
                    body.push(Spanned::new(
                        BillStmt::Use {
                            time: time.unwrap_or_else(missing),
                            product: product.unwrap_or_else(missing),
                            dims,
                            quantity: quantity.unwrap_or_else(missing_quantity),
                        },
                        sp,
                    ));
                }
                Rule::buy_event => {
                    let mut time = None;
                    let mut pack = None;
                    for y in children(x) {
                        match y.as_rule() {
                            Rule::datetime => time = Some(text(&y)),
                            Rule::ident => pack = Some(self.name(y)),
                            _ => {}
                        }
                    }
                    body.push(Spanned::new(
                        BillStmt::Buy {
                            time: time.unwrap_or_else(missing),
                            pack: pack.unwrap_or_else(missing),
                        },
                        sp,
                    ));
                }
                Rule::expect_stmt => {
                    let mut subject = Vec::new();
                    let mut value = None;
                    for y in children(x) {
                        match y.as_rule() {
                            Rule::expect_subject => {
                                for z in children(y) {
                                    match z.as_rule() {
                                        Rule::string => subject.push(self.string(z)),
                                        Rule::expect_word => subject.push(text(&z)),
                                        _ => {}
                                    }
                                }
                            }
                            Rule::expect_value => {
                                value = match y.into_inner().next() {
                                    Some(q) if q.as_rule() == Rule::quantity => {
                                        Some(ExpectValue::Quantity(self.quantity(q)))
                                    }
                                    Some(n) => Some(ExpectValue::Number(self.number(n))),
                                    None => None,
                                }
                            }
                            _ => {}
                        }
                    }
                    body.push(Spanned::new(
                        BillStmt::Expect {
                            subject,
                            value: value
                                .unwrap_or_else(|| ExpectValue::Number(missing_of(Decimal::ZERO))),
                        },
                        sp,
                    ));
                }
                Rule::bad_stmt => {
                    let t = self.bad(x, Rule::bill_stmt_entry, "in a bill", last_span(&body));
                    body.push(Spanned::new(BillStmt::Error(t), sp));
                }
                _ => {}
            }
        }
        TestStmt::Bill {
            plan,
            options,
            body,
        }
    }

    fn target(&mut self, p: P<'_>) -> Target {
        let mut plan = None;
        let mut product = None;
        let mut after_plan = false;
        for c in children(p) {
            match c.as_rule() {
                Rule::kw_plan => after_plan = true,
                Rule::kw_product => after_plan = false,
                Rule::ident if after_plan => plan = Some(self.name(c)),
                Rule::ident => product = Some(self.name(c)),
                _ => {}
            }
        }
        Target {
            plan,
            product: product.unwrap_or_else(missing),
        }
    }

    fn dim_arg(&mut self, p: P<'_>) -> Spanned<DimArg> {
        let sp = span(&p);
        let mut dimension = None;
        let mut value = None;
        for c in children(p) {
            match c.as_rule() {
                Rule::ident => dimension = Some(self.name(c)),
                Rule::dim_single => value = Some(self.dim_single(c)),
                _ => {}
            }
        }
        Spanned::new(
            DimArg {
                dimension,
                value: value.unwrap_or_else(missing),
            },
            sp,
        )
    }

    fn at_date(&mut self, p: P<'_>) -> Option<Spanned<String>> {
        p.into_inner()
            .find(|d| d.as_rule() == Rule::date)
            .map(|d| text(&d))
    }

    fn price_stmt(&mut self, p: P<'_>) -> (Spanned<Price>, Option<PriceExpr>) {
        let mut price = None;
        let mut minimum = None;
        for c in children(p) {
            let sp = span(&c);
            match c.as_rule() {
                Rule::price_custom => price = Some(Spanned::new(Price::Custom, sp)),
                Rule::price_unpublished => price = Some(Spanned::new(Price::Unpublished, sp)),
                Rule::price_expr if price.is_none() => {
                    price = Some(Spanned::new(Price::Amount(self.price_expr(c)), sp))
                }
                Rule::price_expr => minimum = Some(self.price_expr(c)),
                _ => {}
            }
        }
        (
            price.unwrap_or_else(|| missing_of(Price::Unpublished)),
            minimum,
        )
    }

    fn price_expr(&mut self, p: P<'_>) -> PriceExpr {
        let mut numbers = Vec::new();
        let mut idents = Vec::new();
        let mut seen_per = false;
        let mut per_number = None;
        for c in children(p) {
            match c.as_rule() {
                Rule::number if seen_per => per_number = Some(self.number(c)),
                Rule::number => numbers.push(self.number(c)),
                Rule::ident => idents.push(self.name(c)),
                Rule::per => seen_per = true,
                _ => {}
            }
        }
        let mut idents = idents.into_iter();
        let amount = Quantity {
            value: numbers
                .into_iter()
                .next()
                .unwrap_or_else(|| missing_of(Decimal::ZERO)),
            unit: idents.next().unwrap_or_else(missing),
        };
        let per = idents.next().map(|u| (per_number, u));
        PriceExpr { amount, per }
    }

    fn rate(&mut self, p: P<'_>) -> Rate {
        let pe = self.price_expr(p);
        let (per, per_unit) = pe.per.unwrap_or_else(|| (None, missing()));
        Rate {
            amount: pe.amount,
            per,
            per_unit,
        }
    }

    /// `<number> <ident> [per <ident>]` as in `flat`, `cap` and `commit`.
    fn amount_per(&mut self, p: P<'_>) -> (Quantity, Option<Name>) {
        let mut number = None;
        let mut idents = Vec::new();
        for c in children(p) {
            match c.as_rule() {
                Rule::number => number = Some(self.number(c)),
                Rule::ident => idents.push(self.name(c)),
                _ => {}
            }
        }
        let mut idents = idents.into_iter();
        let amount = Quantity {
            value: number.unwrap_or_else(|| missing_of(Decimal::ZERO)),
            unit: idents.next().unwrap_or_else(missing),
        };
        (amount, idents.next())
    }

    fn allow(&mut self, p: P<'_>) -> Allow {
        let mut code = None;
        let mut reason = None;
        for c in children(p) {
            match c.as_rule() {
                Rule::code => code = Some(text(&c)),
                Rule::string => reason = Some(self.string(c)),
                _ => {}
            }
        }
        Allow {
            code: code.unwrap_or_else(missing),
            reason: reason.unwrap_or_else(missing),
        }
    }

    fn ident_list_in(&mut self, p: P<'_>) -> Vec<Name> {
        let mut out = Vec::new();
        for c in p.into_inner().flatten() {
            if c.as_rule() == Rule::ident {
                out.push(self.name(c));
            }
        }
        out
    }

    fn first_name(&mut self, p: P<'_>) -> Name {
        p.into_inner()
            .find(|x| x.as_rule() == Rule::ident)
            .map(|x| self.name(x))
            .unwrap_or_else(missing)
    }

    fn first_quantity(&mut self, p: P<'_>) -> Quantity {
        match p.into_inner().find(|x| x.as_rule() == Rule::quantity) {
            Some(q) => self.quantity(q),
            None => missing_quantity(),
        }
    }

    fn quantity(&mut self, p: P<'_>) -> Quantity {
        let mut value = None;
        let mut unit = None;
        for c in children(p) {
            match c.as_rule() {
                Rule::number => value = Some(self.number(c)),
                Rule::ident => unit = Some(self.name(c)),
                _ => {}
            }
        }
        Quantity {
            value: value.unwrap_or_else(|| missing_of(Decimal::ZERO)),
            unit: unit.unwrap_or_else(missing),
        }
    }

    fn number(&mut self, p: P<'_>) -> Number {
        let sp = span(&p);
        match parse_decimal(p.as_str()) {
            Some(d) => Spanned::new(d, sp),
            None => {
                self.diags.push(
                    Diagnostic::new(
                        Code::NumberRange,
                        format!("`{}` cannot be represented exactly", p.as_str()),
                    )
                    .label(sp, "too large or too precise")
                    .help(
                        "numbers must fit in 28 significant digits; use a larger unit (`1000 character`) or fewer decimals",
                    ),
                );
                Spanned::new(Decimal::ZERO, sp)
            }
        }
    }

    fn name(&mut self, p: P<'_>) -> Name {
        text(&p)
    }

    fn string(&mut self, p: P<'_>) -> Spanned<String> {
        let sp = span(&p);
        let inner = p
            .into_inner()
            .find(|x| x.as_rule() == Rule::string_inner)
            .map(|x| x.as_str())
            .unwrap_or("");
        Spanned::new(unescape(inner), sp)
    }

    fn dim_value(&mut self, p: P<'_>) -> Spanned<String> {
        match p.clone().into_inner().next() {
            Some(s) if s.as_rule() == Rule::string => self.string(s),
            _ => text(&p),
        }
    }

    fn dim_single(&mut self, p: P<'_>) -> Spanned<String> {
        self.dim_value(p)
    }
}

/// Parses a decimal literal (underscores allowed as digit separators), exactly.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let cleaned: String = s.chars().filter(|c| *c != '_').collect();
    Decimal::from_str_exact(&cleaned).ok()
}

fn last_span<T>(body: &[Spanned<T>]) -> Option<Span> {
    body.last().map(|s| s.span)
}

fn text(p: &P<'_>) -> Spanned<String> {
    Spanned::new(p.as_str().to_string(), span(p))
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

// Placeholders for parts the grammar guarantees; they keep lowering total if it ever changes.
fn missing<T: Default>() -> Spanned<T> {
    Spanned::new(T::default(), Span::default())
}
fn missing_of<T>(v: T) -> Spanned<T> {
    Spanned::new(v, Span::default())
}
fn missing_quantity() -> Quantity {
    Quantity {
        value: missing_of(Decimal::ZERO),
        unit: missing(),
    }
}
fn missing_rate() -> Rate {
    Rate {
        amount: missing_quantity(),
        per: None,
        per_unit: missing(),
    }
}
fn missing_target() -> Target {
    Target {
        plan: None,
        product: missing(),
    }
}
