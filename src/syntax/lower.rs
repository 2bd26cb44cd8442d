//! Lowering: pest pairs -> owned AST, straight after parsing (pairs are `Rc`-based and tied to
//! the input; the rest of the pipeline never sees them).
//!
//! Each function walks a pair's children and picks the ones it needs by rule; keywords and
//! punctuation are skipped by simply not matching them.

use super::ast::*;
use super::explain::{explain_bad, from_pest_error};
use super::{PricebookParser, Rule};
use crate::base::money::parse_decimal;
use crate::diagnostic::{Code, Diagnostic};
use pest::Parser;
use pest::iterators::Pair;
use rust_decimal::Decimal;

type P<'i> = Pair<'i, Rule>;

/// Lowers a whole-file parse (the `file` rule); the reference path, kept to check the fast one.
#[cfg(test)]
pub(super) fn lower_file(file: P<'_>, text: &str, diags: &mut Vec<Diagnostic>) -> Book {
    let mut lw = Lower {
        text,
        base: 0,
        diags,
    };
    let mut items = Vec::new();
    for p in file.into_inner() {
        if p.as_rule() == Rule::EOI {
            continue;
        }
        let sp = lw.span(&p);
        let item = lw.item(p);
        items.push(Spanned::new(item, sp));
    }
    Book { items }
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

/// Lowers pest pairs. The pairs come from parsing `text[base..]`, so their positions are offset
/// by `base` in the file.
struct Lower<'d> {
    /// The whole file.
    text: &'d str,
    base: usize,
    diags: &'d mut Vec<Diagnostic>,
}

impl Lower<'_> {
    /// A pair's span in the file, without trailing whitespace and comments: pest skips trivia
    /// before trying an optional part, and keeps it in the span when the part is absent.
    fn span(&self, p: &P<'_>) -> Span {
        let start = self.base + p.as_span().start();
        Span::new(start, start + trimmed_len(p.as_str()))
    }

    fn text_of(&self, p: &P<'_>) -> Spanned<String> {
        Spanned::new(p.as_str().to_string(), self.span(p))
    }

    fn item(&mut self, p: P<'_>) -> Item {
        match p.as_rule() {
            Rule::header => self.header(p),
            Rule::contract_header => self.contract_header(p),
            Rule::unit_decl => {
                let mut name = None;
                let mut equals = None;
                let mut divisible = None;
                for c in children(p) {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.name(c)),
                        Rule::quantity => equals = Some(self.quantity(c)),
                        Rule::kw_divisible => divisible = Some(Spanned::new((), self.span(&c))),
                        _ => {}
                    }
                }
                Item::Unit(UnitDecl {
                    name: name.unwrap_or_else(missing),
                    equals,
                    divisible,
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
                    let sp = self.span(&c);
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
                    let sp = self.span(&c);
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
                let sp = self.span(&p);
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
        let sp = self.span(&p);
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
                Rule::date => effective = Some(self.text_of(&c)),
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
                Rule::date => effective = Some(self.text_of(&c)),
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
                        let xs = self.span(&x);
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

    fn pack(&mut self, p: P<'_>) -> Item {
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

    fn grant(&mut self, p: P<'_>) -> Grant {
        let mut amount = None;
        let mut cadence = None;
        let mut expiry = Vec::new();
        let mut priority = Vec::new();
        for c in children(p) {
            let sp = self.span(&c);
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
                    let sp = self.span(&c);
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
            let sp = self.span(&c);
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
                    let sp = self.span(&x);
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
                        let (mut kind, mut text) = (None, None);
                        for y in e.into_inner() {
                            match y.as_rule() {
                                Rule::rejection_kind => kind = Some(self.name(y)),
                                Rule::string => text = Some(self.string(y)),
                                _ => {}
                            }
                        }
                        QuoteExpect::Rejects { kind, text }
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
            expect: expect.unwrap_or_else(|| {
                missing_of(QuoteExpect::Rejects {
                    kind: None,
                    text: None,
                })
            }),
        }
    }

    fn bill_test(&mut self, p: P<'_>) -> TestStmt {
        let mut plan = None;
        let mut options = Vec::new();
        let mut body = Vec::new();
        for x in children(p) {
            let sp = self.span(&x);
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
                                .map(|d| self.text_of(&d))
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
                            Rule::datetime => time = Some(self.text_of(&y)),
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
                            Rule::datetime => time = Some(self.text_of(&y)),
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
                                        Rule::expect_word => subject.push(self.text_of(&z)),
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
        let sp = self.span(&p);
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
            .map(|d| self.text_of(&d))
    }

    fn price_stmt(&mut self, p: P<'_>) -> (Spanned<Price>, Option<PriceExpr>) {
        let mut price = None;
        let mut minimum = None;
        for c in children(p) {
            let sp = self.span(&c);
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
                Rule::code => code = Some(self.text_of(&c)),
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
        let sp = self.span(&p);
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
        self.text_of(&p)
    }

    fn string(&mut self, p: P<'_>) -> Spanned<String> {
        let sp = self.span(&p);
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
            _ => self.text_of(&p),
        }
    }

    fn dim_single(&mut self, p: P<'_>) -> Spanned<String> {
        self.dim_value(p)
    }
}

fn last_span<T>(body: &[Spanned<T>]) -> Option<Span> {
    body.last().map(|s| s.span)
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

// ---------------------------------------------------------------------------------------------
// The fast path
//
// pest does a lot of bookkeeping per rule call (error positions, call stacks, stack probes) and
// builds a token queue that lowering then walks; on a large book that is most of the time spent
// checking it. Well-formed items are therefore read here directly into the AST, by functions that
// mirror the grammar rule for rule (ordered choice, backtracking, implicit whitespace between
// the parts of non-atomic rules, none inside atomic ones), so they accept exactly what the
// grammar accepts and give the same tree and spans.
//
// The reader never reports anything. When an item does not read cleanly (a syntax error, a
// number out of range, or a construct it leaves to pest such as a `bill` test), it gives up on
// that item and pest parses it with the `fallback_item` rule, from the item's first byte. PEG
// matching from a position depends only on the text after it, so that item (or the `bad_item`
// recovery that swallows it) comes out exactly as in a whole-file parse, with the same
// diagnostics; reading resumes after it.

/// Parses a whole file: the fast path for well-formed items, pest for the others.
pub(super) fn parse_book(text: &str, diags: &mut Vec<Diagnostic>) -> Book {
    let mut items = Vec::new();
    let mut r = Reader {
        text,
        s: text.as_bytes(),
        pos: 0,
        last: 0,
        overflow: false,
    };
    r.skip();
    while r.pos < text.len() {
        let start = r.pos;
        match r.item() {
            Some(item) => items.push(Spanned::new(item, Span::new(start, r.last))),
            None => match fallback_item(text, start, diags) {
                Some((item, end)) if end > start => {
                    items.push(item);
                    r.pos = end;
                }
                Some((item, _)) => {
                    items.push(item);
                    break;
                }
                None => break,
            },
        }
        r.skip();
    }
    Book { items }
}

/// Parses and lowers the item (or unreadable text) at `start` with pest. Returns it with the
/// byte offset where it ends.
fn fallback_item(
    text: &str,
    start: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Spanned<Item>, usize)> {
    let rest = &text[start..];
    let pair = match PricebookParser::parse(Rule::fallback_item, rest) {
        Ok(mut pairs) => pairs.next()?.into_inner().next()?,
        // The recovery rules make `fallback_item` accept any non-empty text; this is a safety
        // net, not a path.
        Err(e) => {
            diags.push(from_pest_error(&e, start, rest));
            return None;
        }
    };
    let end = start + pair.as_span().end();
    let mut lw = Lower {
        text,
        base: start,
        diags,
    };
    let sp = lw.span(&pair);
    let item = lw.item(pair);
    Some((Spanned::new(item, sp), end))
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'+')
}

/// Whether a whole run of identifier characters is one of the grammar's `reserved` words. No
/// reserved word has an earlier one in the grammar's list as a prefix, so the grammar's ordered
/// choice followed by `!ident_char` comes to exactly this.
fn is_reserved(w: &[u8]) -> bool {
    matches!(
        w,
        b"measure"
            | b"rate"
            | b"round"
            | b"prorate"
            | b"outside"
            | b"dims"
            | b"tiers"
            | b"price"
            | b"grant"
            | b"packs"
            | b"products"
            | b"deny"
            | b"limit"
            | b"when"
            | b"commit"
            | b"includes"
            | b"overage"
            | b"billing"
            | b"feature"
            | b"expect"
            | b"use"
            | b"buy"
            | b"quote"
            | b"capacity"
            | b"bill"
            | b"allow"
            | b"product"
            | b"plan"
            | b"pack"
            | b"unit"
            | b"dimension"
            | b"test"
            | b"per"
            | b"every"
            | b"once"
            | b"never"
            | b"expires"
            | b"priority"
            | b"on"
    )
}

/// A position to come back to: where reading stands, and where the last token read ends.
#[derive(Clone, Copy)]
struct Mark(usize, usize);

/// Reads well-formed items straight into the AST (see above). Every reading function starts at
/// a token (whitespace already skipped, as pest does before each part of a sequence), returns
/// `None` when its rule does not match, and leaves `last` at the end of the last token it read:
/// the end of a node's span.
struct Reader<'t> {
    text: &'t str,
    s: &'t [u8],
    pos: usize,
    last: usize,
    /// A number in the current item is out of range: pest's lowering reports it.
    overflow: bool,
}

impl Reader<'_> {
    fn mark(&self) -> Mark {
        Mark(self.pos, self.last)
    }

    fn reset(&mut self, m: Mark) {
        self.pos = m.0;
        self.last = m.1;
    }

    /// Runs `f`, going back to where it started when it does not match.
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let m = self.mark();
        let r = f(self);
        if r.is_none() {
            self.reset(m);
        }
        r
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    fn accept(&mut self, end: usize) {
        self.pos = end;
        self.last = end;
    }

    /// `WHITESPACE` and `COMMENT`, as pest skips them between the parts of a non-atomic rule.
    fn skip(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'#' => {
                    self.pos = match self.s[self.pos..].iter().position(|&c| c == b'\n') {
                        Some(i) => self.pos + i,
                        None => self.s.len(),
                    }
                }
                _ => break,
            }
        }
    }

    /// `hs`: spaces and tabs, at least one.
    fn hs(&mut self) -> Option<()> {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        (self.pos > start).then_some(())
    }

    /// `hs?`
    fn hs_opt(&mut self) {
        let _ = self.hs();
    }

    fn lit(&mut self, l: &[u8]) -> Option<()> {
        if self.s[self.pos..].starts_with(l) {
            self.accept(self.pos + l.len());
            Some(())
        } else {
            None
        }
    }

    /// A keyword: the word, not followed by an identifier character.
    fn kw(&mut self, w: &[u8]) -> bool {
        let end = self.pos + w.len();
        if self.s[self.pos..].starts_with(w) && !self.at(end).is_some_and(is_ident_char) {
            self.accept(end);
            true
        } else {
            false
        }
    }

    fn kw_(&mut self, w: &[u8]) -> Option<()> {
        self.kw(w).then_some(())
    }

    /// `eq`: `=` but not `==`.
    fn eq(&mut self) -> Option<()> {
        if self.s[self.pos..].starts_with(b"==") {
            return None;
        }
        self.lit(b"=")
    }

    /// `per`: `/` or the keyword `per`.
    fn per(&mut self) -> Option<()> {
        if self.lit(b"/").is_some() || self.kw(b"per") {
            Some(())
        } else {
            None
        }
    }

    fn run_end(&self, mut i: usize) -> usize {
        while self.at(i).is_some_and(is_ident_char) {
            i += 1;
        }
        i
    }

    fn reserved_at(&self, i: usize) -> bool {
        is_reserved(&self.s[i..self.run_end(i)])
    }

    fn text_at(&self, sp: Span) -> Spanned<String> {
        Spanned::new(self.text[sp.start..sp.end].to_string(), sp)
    }

    /// `ident`: a letter, then identifier characters; not a reserved word.
    fn name(&mut self) -> Option<Name> {
        let start = self.pos;
        if !self.peek()?.is_ascii_alphabetic() {
            return None;
        }
        let end = self.run_end(start + 1);
        if is_reserved(&self.s[start..end]) {
            return None;
        }
        self.accept(end);
        Some(self.text_at(Span::new(start, end)))
    }

    /// `code`: like `ident`, reserved words included.
    fn code(&mut self) -> Option<Name> {
        let start = self.pos;
        if !self.peek()?.is_ascii_alphabetic() {
            return None;
        }
        let end = self.run_end(start + 1);
        self.accept(end);
        Some(self.text_at(Span::new(start, end)))
    }

    /// `number`
    fn number(&mut self) -> Option<Number> {
        let start = self.pos;
        let digit_or_sep = |c: u8| c.is_ascii_digit() || c == b'_';
        let mut i = start;
        if self.at(i) == Some(b'-') {
            i += 1;
        }
        if !self.at(i)?.is_ascii_digit() {
            return None;
        }
        i += 1;
        while self.at(i).is_some_and(digit_or_sep) {
            i += 1;
        }
        if self.at(i) == Some(b'.') && self.at(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            i += 2;
            while self.at(i).is_some_and(digit_or_sep) {
                i += 1;
            }
        }
        if self
            .at(i)
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        {
            return None;
        }
        self.accept(i);
        let value = parse_decimal(&self.text[start..i]).unwrap_or_else(|| {
            self.overflow = true;
            Decimal::ZERO
        });
        Some(Spanned::new(value, Span::new(start, i)))
    }

    /// `string`, unescaped, with the span of the quoted text.
    fn string(&mut self) -> Option<Spanned<String>> {
        let sp = self.string_span()?;
        Some(self.string_at(sp))
    }

    /// Reads a `string` without building it.
    fn string_span(&mut self) -> Option<Span> {
        let start = self.pos;
        if self.peek()? != b'"' {
            return None;
        }
        let mut i = start + 1;
        loop {
            match self.at(i)? {
                b'"' => break,
                b'\n' => return None,
                b'\\' => match self.at(i + 1)? {
                    b'"' | b'\\' => i += 2,
                    _ => return None,
                },
                _ => i += 1,
            }
        }
        self.accept(i + 1);
        Some(Span::new(start, i + 1))
    }

    /// The string read at `sp` (quotes included), unescaped.
    fn string_at(&self, sp: Span) -> Spanned<String> {
        Spanned::new(unescape(&self.text[sp.start + 1..sp.end - 1]), sp)
    }

    /// `date`
    fn date(&mut self) -> Option<Spanned<String>> {
        let st = self.pos;
        let d = |i: usize| self.at(st + i).is_some_and(|c| c.is_ascii_digit());
        let ok = d(0)
            && d(1)
            && d(2)
            && d(3)
            && self.at(st + 4) == Some(b'-')
            && d(5)
            && d(6)
            && self.at(st + 7) == Some(b'-')
            && d(8)
            && d(9)
            && !self.at(st + 10).is_some_and(is_ident_char);
        if !ok {
            return None;
        }
        self.accept(st + 10);
        Some(self.text_at(Span::new(st, st + 10)))
    }

    fn word_end(&self, from: usize) -> Option<usize> {
        if !self.at(from)?.is_ascii_alphanumeric() {
            return None;
        }
        let mut i = from + 1;
        while self.at(i).is_some_and(is_word_char) {
            i += 1;
        }
        Some(i)
    }

    /// `dim_value`: a string, or words separated by spaces (none of them reserved after the
    /// first).
    fn dim_value(&mut self) -> Option<Spanned<String>> {
        let sp = self.dim_value_span()?;
        Some(if self.s[sp.start] == b'"' {
            self.string_at(sp)
        } else {
            self.text_at(sp)
        })
    }

    /// Reads a `dim_value` without building it.
    fn dim_value_span(&mut self) -> Option<Span> {
        if self.peek()? == b'"' {
            return self.string_span();
        }
        let start = self.pos;
        let mut end = self.word_end(start)?;
        loop {
            let mut i = end;
            while self.at(i) == Some(b' ') {
                i += 1;
            }
            if i == end || self.reserved_at(i) {
                break;
            }
            match self.word_end(i) {
                Some(e) => end = e,
                None => break,
            }
        }
        self.accept(end);
        Some(Span::new(start, end))
    }

    /// `dim_single`: a string or one word.
    fn dim_single(&mut self) -> Option<Spanned<String>> {
        if self.peek()? == b'"' {
            return self.string();
        }
        let start = self.pos;
        let end = self.word_end(start)?;
        self.accept(end);
        Some(self.text_at(Span::new(start, end)))
    }

    /// `quantity`: `number hs ident`.
    fn quantity(&mut self) -> Option<Quantity> {
        self.attempt(|r| {
            let value = r.number()?;
            r.hs()?;
            let unit = r.name()?;
            Some(Quantity { value, unit })
        })
    }

    /// `(number ~ hs)?` then `ident`: the denominator of a rate or price.
    fn per_part(&mut self) -> Option<(Option<Number>, Name)> {
        let n = self.attempt(|r| {
            let n = r.number()?;
            r.hs()?;
            Some(n)
        });
        Some((n, self.name()?))
    }

    /// `rate_expr`
    fn rate_expr(&mut self) -> Option<Rate> {
        self.attempt(|r| {
            let amount = r.quantity()?;
            r.hs_opt();
            r.per()?;
            r.hs_opt();
            let (per, per_unit) = r.per_part()?;
            Some(Rate {
                amount,
                per,
                per_unit,
            })
        })
    }

    /// `price_expr`
    fn price_expr(&mut self) -> Option<PriceExpr> {
        self.attempt(|r| {
            let amount = r.quantity()?;
            let per = r.attempt(|r| {
                r.hs_opt();
                r.per()?;
                r.hs_opt();
                r.per_part()
            });
            Some(PriceExpr { amount, per })
        })
    }

    /// `ident_list`
    fn ident_list(&mut self) -> Option<Vec<Name>> {
        let mut out = vec![self.name()?];
        while let Some(n) = self.attempt(|r| {
            r.skip();
            r.lit(b",")?;
            r.skip();
            r.name()
        }) {
            out.push(n);
        }
        Some(out)
    }

    /// `allow_decl`, after its keyword.
    fn allow(&mut self) -> Option<Allow> {
        self.skip();
        let code = self.code()?;
        self.skip();
        let reason = self.string()?;
        Some(Allow { code, reason })
    }

    /// `block_open ~ (stmt | bad_stmt)* ~ block_close`, reading each statement with `stmt`.
    /// Statements start with a keyword, so at `}` none matches and neither does `bad_stmt`.
    fn block<T>(
        &mut self,
        mut stmt: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<Spanned<T>>> {
        self.skip();
        self.lit(b"{")?;
        let mut body = Vec::new();
        loop {
            self.skip();
            match self.peek()? {
                b'}' => {
                    self.accept(self.pos + 1);
                    return Some(body);
                }
                _ => {
                    let start = self.pos;
                    let s = stmt(self)?;
                    body.push(Spanned::new(s, Span::new(start, self.last)));
                }
            }
        }
    }

    /// An item, or `None` to leave it to pest.
    fn item(&mut self) -> Option<Item> {
        self.overflow = false;
        let item = match self.peek()? {
            b'p' if self.kw(b"pricebook") => self.header(),
            b'p' if self.kw(b"product") => self.product(),
            b'p' if self.kw(b"plan") => self.plan(),
            b'p' if self.kw(b"pack") => self.pack(),
            b'u' if self.kw(b"unit") => self.unit_decl(),
            b'd' if self.kw(b"dimension") => self.dimension_decl(),
            b'f' if self.kw(b"floor") => {
                self.skip();
                self.rate_expr().map(Item::Floor)
            }
            b'a' if self.kw(b"allow") => self.allow().map(Item::Allow),
            b't' if self.kw(b"test") => self.test_block(),
            _ => None,
        }?;
        (!self.overflow).then_some(item)
    }

    fn header(&mut self) -> Option<Item> {
        self.skip();
        let vendor = self.name()?;
        self.skip();
        self.kw_(b"version")?;
        self.skip();
        let version = self.string()?;
        self.skip();
        self.kw_(b"effective")?;
        self.skip();
        let effective = self.date()?;
        self.skip();
        self.kw_(b"currency")?;
        self.skip();
        let currency = self.name()?;
        Some(Item::Header(Header {
            vendor,
            version,
            effective,
            currency,
        }))
    }

    fn unit_decl(&mut self) -> Option<Item> {
        self.skip();
        let name = self.name()?;
        let equals = self.attempt(|r| {
            r.skip();
            r.eq()?;
            r.skip();
            r.quantity()
        });
        let divisible = self.attempt(|r| {
            r.skip();
            let start = r.pos;
            r.kw_(b"divisible")?;
            Some(Spanned::new((), Span::new(start, r.pos)))
        });
        Some(Item::Unit(UnitDecl {
            name,
            equals,
            divisible,
        }))
    }

    fn dimension_decl(&mut self) -> Option<Item> {
        self.skip();
        let name = self.name()?;
        self.skip();
        self.lit(b"{")?;
        self.skip();
        let mut values = vec![self.dim_value()?];
        while let Some(v) = self.attempt(|r| {
            r.skip();
            r.lit(b",")?;
            r.skip();
            r.dim_value()
        }) {
            values.push(v);
        }
        let _ = self.attempt(|r| {
            r.skip();
            r.lit(b",")
        });
        self.skip();
        self.lit(b"}")?;
        Some(Item::Dimension(DimensionDecl { name, values }))
    }

    /// `string ~ kw_as ~ ident`, the head of a product, plan or pack.
    fn display_as(&mut self) -> Option<(Spanned<String>, Name)> {
        self.skip();
        let display = self.string()?;
        self.skip();
        self.kw_(b"as")?;
        self.skip();
        let slug = self.name()?;
        Some((display, slug))
    }

    fn product(&mut self) -> Option<Item> {
        let (display, slug) = self.display_as()?;
        let body = self.block(Self::product_stmt)?;
        Some(Item::Product(Product {
            display,
            slug,
            body,
        }))
    }

    fn product_stmt(&mut self) -> Option<ProductStmt> {
        match self.peek()? {
            b'm' if self.kw(b"measure") => {
                self.skip();
                self.name().map(ProductStmt::Measure)
            }
            b'r' if self.kw(b"rate") => self.rate_stmt(),
            b't' if self.kw(b"tiers") => self.tiers_stmt(),
            b'f' if self.kw(b"flat") => {
                let (amount, per) = self.amount_per(false)?;
                Some(ProductStmt::Flat { amount, per })
            }
            b'f' if self.kw(b"free") => Some(ProductStmt::Free),
            b'r' if self.kw(b"round") => {
                self.skip();
                let mode = if self.kw(b"up") {
                    RoundMode::Up
                } else if self.kw(b"down") {
                    RoundMode::Down
                } else if self.kw(b"nearest") {
                    RoundMode::Nearest
                } else {
                    return None;
                };
                self.skip();
                self.kw_(b"to")?;
                self.skip();
                let to = self.quantity()?;
                Some(ProductStmt::Round { mode, to })
            }
            b'p' if self.kw(b"prorate") => Some(ProductStmt::Prorate),
            b'm' if self.kw(b"min") => {
                self.skip();
                self.quantity().map(ProductStmt::Min)
            }
            b'm' if self.kw(b"max") => {
                self.skip();
                self.quantity().map(ProductStmt::Max)
            }
            b'o' if self.kw(b"outside") => {
                self.skip();
                self.kw_(b"wallet")?;
                Some(ProductStmt::OutsideWallet)
            }
            b'd' if self.kw(b"dims") => {
                self.skip();
                self.ident_list().map(ProductStmt::Dims)
            }
            b'a' if self.kw(b"allow") => self.allow().map(ProductStmt::Allow),
            _ => None,
        }
    }

    /// `rate_stmt`, after `rate`: an optional matrix cell key and `=`, then a rate or
    /// `not offered`.
    fn rate_stmt(&mut self) -> Option<ProductStmt> {
        self.skip();
        // Most rates have no cell key: find out before building one.
        let start = self.mark();
        let has_key = self
            .attempt(|r| {
                r.dim_value_span()?;
                while r
                    .attempt(|r| {
                        r.skip();
                        r.lit(b",")?;
                        r.skip();
                        r.dim_value_span()
                    })
                    .is_some()
                {}
                r.skip();
                r.eq()
            })
            .is_some();
        self.reset(start);
        let mut key = Vec::new();
        if has_key {
            key.push(self.dim_value()?);
            while let Some(v) = self.attempt(|r| {
                r.skip();
                r.lit(b",")?;
                r.skip();
                r.dim_value()
            }) {
                key.push(v);
            }
            self.skip();
            self.eq()?;
            self.skip();
        }
        if let Some(rate) = self.rate_expr() {
            return Some(ProductStmt::Rate {
                key,
                rate: Some(rate),
            });
        }
        self.kw_(b"not")?;
        self.skip();
        self.kw_(b"offered")?;
        Some(ProductStmt::Rate { key, rate: None })
    }

    fn tiers_stmt(&mut self) -> Option<ProductStmt> {
        self.skip();
        let mode = if self.kw(b"graduated") {
            TierMode::Graduated
        } else if self.kw(b"volume") {
            TierMode::Volume
        } else {
            return None;
        };
        let tiers = self.block(|r| {
            let from = r.quantity()?;
            r.skip();
            r.lit(b"..")?;
            r.skip();
            let to = r.quantity();
            r.skip();
            r.lit(b":")?;
            r.skip();
            let rate = r.rate_expr()?;
            Some(Tier { from, to, rate })
        })?;
        Some(ProductStmt::Tiers { mode, tiers })
    }

    /// `number ~ ident ~ (per ~ ident)?` (`flat`, `cap`), or with the `per` part required
    /// (`commit`), after the keyword.
    fn amount_per(&mut self, per_required: bool) -> Option<(Quantity, Option<Name>)> {
        self.skip();
        let value = self.number()?;
        self.skip();
        let unit = self.name()?;
        let per = self.attempt(|r| {
            r.skip();
            r.per()?;
            r.skip();
            r.name()
        });
        if per_required && per.is_none() {
            return None;
        }
        Some((Quantity { value, unit }, per))
    }

    fn plan(&mut self) -> Option<Item> {
        let (display, slug) = self.display_as()?;
        let based_on = self.attempt(|r| {
            r.skip();
            r.kw_(b"based")?;
            r.skip();
            r.kw_(b"on")?;
            r.skip();
            r.name()
        });
        let body = self.block(Self::plan_stmt)?;
        Some(Item::Plan(Plan {
            display,
            slug,
            based_on,
            body,
        }))
    }

    fn plan_stmt(&mut self) -> Option<PlanStmt> {
        match self.peek()? {
            b'p' if self.kw(b"price") => {
                let (price, minimum) = self.price_stmt()?;
                Some(PlanStmt::Price { price, minimum })
            }
            b'b' if self.kw(b"billing") => {
                self.skip();
                self.ident_list().map(PlanStmt::Billing)
            }
            b'g' if self.kw(b"grant") => self.grant().map(PlanStmt::Grant),
            b'p' if self.kw(b"packs") => {
                self.skip();
                if self.kw(b"allowed") {
                    return Some(PlanStmt::Packs(true));
                }
                self.kw_(b"not")?;
                self.skip();
                self.kw_(b"allowed")?;
                Some(PlanStmt::Packs(false))
            }
            b'p' if self.kw(b"products") => {
                self.skip();
                if self.kw(b"all") {
                    return Some(PlanStmt::Products(None));
                }
                self.ident_list().map(|l| PlanStmt::Products(Some(l)))
            }
            b'd' if self.kw(b"deny") => {
                self.skip();
                self.ident_list().map(PlanStmt::Deny)
            }
            b'l' if self.kw(b"limit") => self.limit().map(PlanStmt::Limit),
            b'f' if self.kw(b"feature") => {
                self.skip();
                let name = self.name()?;
                self.skip();
                self.eq()?;
                self.skip();
                let start = self.pos;
                let value = if let Some(q) = self.quantity() {
                    FeatureValue::Quantity(q)
                } else if let Some(n) = self.number() {
                    FeatureValue::Number(n)
                } else if let Some(s) = self.string() {
                    FeatureValue::Text(s.node)
                } else {
                    FeatureValue::Word(self.name()?.node)
                };
                let value = Spanned::new(value, Span::new(start, self.last));
                Some(PlanStmt::Feature { name, value })
            }
            b'w' if self.kw(b"when") => {
                self.skip();
                self.kw_(b"empty")?;
                self.skip();
                let start = self.pos;
                let rule = if self.kw(b"reject") {
                    EmptyRule::Reject
                } else if self.kw(b"overage") {
                    EmptyRule::Overage(self.attempt(|r| {
                        r.skip();
                        r.rate_expr()
                    }))
                } else {
                    self.kw_(b"auto")?;
                    self.skip();
                    self.kw_(b"recharge")?;
                    EmptyRule::AutoRecharge
                };
                Some(PlanStmt::WhenEmpty(Spanned::new(
                    rule,
                    Span::new(start, self.last),
                )))
            }
            b'c' if self.kw(b"commit") => {
                let (amount, per) = self.amount_per(true)?;
                Some(PlanStmt::Commit { amount, per: per? })
            }
            b'i' if self.kw(b"includes") => {
                self.skip();
                let amount = self.quantity()?;
                let at = self.attempt(|r| {
                    r.skip();
                    r.kw_(b"at")?;
                    r.skip();
                    r.rate_expr()
                });
                Some(PlanStmt::Includes { amount, at })
            }
            b'o' if self.kw(b"overage") => {
                self.skip();
                self.rate_expr().map(PlanStmt::Overage)
            }
            b'r' if self.kw(b"rate") => {
                self.skip();
                let product = self.name()?;
                self.skip();
                self.eq()?;
                self.skip();
                let rate = self.rate_expr()?;
                Some(PlanStmt::RateOverride { product, rate })
            }
            b'a' if self.kw(b"allow") => self.allow().map(PlanStmt::Allow),
            _ => None,
        }
    }

    /// `price_stmt`, after `price`.
    fn price_stmt(&mut self) -> Option<(Spanned<Price>, Option<PriceExpr>)> {
        self.skip();
        let start = self.pos;
        let price = if self.kw(b"custom") {
            Price::Custom
        } else if self.kw(b"unpublished") {
            Price::Unpublished
        } else {
            Price::Amount(self.price_expr()?)
        };
        let price = Spanned::new(price, Span::new(start, self.last));
        let minimum = self.attempt(|r| {
            r.skip();
            r.lit(b",")?;
            r.skip();
            r.kw_(b"minimum")?;
            r.skip();
            r.price_expr()
        });
        Some((price, minimum))
    }

    /// `grant_stmt`, after `grant`.
    fn grant(&mut self) -> Option<Grant> {
        self.skip();
        let amount = self.quantity()?;
        let cadence = self.attempt(|r| {
            r.skip();
            let start = r.pos;
            let c = if r.kw(b"once") {
                Cadence::Once
            } else {
                r.kw_(b"every")?;
                r.skip();
                Cadence::Every(r.name()?)
            };
            Some(Spanned::new(c, Span::new(start, r.last)))
        });
        let mut expiry = Vec::new();
        let mut priority = Vec::new();
        loop {
            let m = self.mark();
            self.skip();
            if self.lit(b",").is_none() {
                self.reset(m);
                break;
            }
            self.skip();
            let start = self.pos;
            if let Some(e) = self.expiry() {
                expiry.push(Spanned::new(e, Span::new(start, self.last)));
                continue;
            }
            let n = self.attempt(|r| {
                r.kw_(b"priority")?;
                r.skip();
                r.number()
            });
            match n {
                Some(n) => priority.push(n),
                None => {
                    self.reset(m);
                    break;
                }
            }
        }
        Some(Grant {
            amount,
            cadence,
            expiry,
            priority,
        })
    }

    /// `expiry`
    fn expiry(&mut self) -> Option<Expiry> {
        if self
            .attempt(|r| {
                r.kw_(b"never")?;
                r.skip();
                r.kw_(b"expires")
            })
            .is_some()
        {
            return Some(Expiry::Never);
        }
        for (word, e) in [
            (&b"cycle"[..], Expiry::CycleEnd),
            (&b"contract"[..], Expiry::ContractEnd),
        ] {
            let found = self.attempt(|r| {
                r.kw_(b"expires")?;
                r.skip();
                r.kw_(b"at")?;
                r.skip();
                r.kw_(word)?;
                r.skip();
                r.kw_(b"end")
            });
            if found.is_some() {
                return Some(e);
            }
        }
        self.attempt(|r| {
            r.kw_(b"expires")?;
            r.skip();
            r.kw_(b"after")?;
            r.skip();
            r.quantity().map(Expiry::After)
        })
    }

    /// `limit_stmt`, after `limit`.
    fn limit(&mut self) -> Option<Limit> {
        self.skip();
        let mut name = vec![self.name()?];
        while let Some(n) = self.attempt(|r| {
            r.skip();
            r.name()
        }) {
            name.push(n);
        }
        self.skip();
        self.lit(b"<=")?;
        self.skip();
        let start = self.pos;
        let value = if let Some(q) = self.quantity() {
            LimitValue::Quantity(q)
        } else if let Some(n) = self.number() {
            LimitValue::Number(n)
        } else {
            LimitValue::DimValue(self.dim_single()?)
        };
        let value = Spanned::new(value, Span::new(start, self.last));
        let window = self.attempt(|r| {
            r.skip();
            r.kw_(b"per")?;
            r.skip();
            r.name()
        });
        let scope = self
            .attempt(|r| {
                r.skip();
                r.kw_(b"on")?;
                r.skip();
                r.ident_list()
            })
            .unwrap_or_default();
        Some(Limit {
            name,
            value,
            window,
            scope,
        })
    }

    fn pack(&mut self) -> Option<Item> {
        let (display, slug) = self.display_as()?;
        let body = self.block(|r| match r.peek()? {
            b'p' if r.kw(b"price") => {
                let (price, minimum) = r.price_stmt()?;
                Some(PackStmt::Price { price, minimum })
            }
            b'g' if r.kw(b"grant") => r.grant().map(PackStmt::Grant),
            b'f' if r.kw(b"for") => {
                r.skip();
                r.ident_list().map(PackStmt::For)
            }
            b'a' if r.kw(b"allow") => r.allow().map(PackStmt::Allow),
            _ => None,
        })?;
        Some(Item::Pack(Pack {
            display,
            slug,
            body,
        }))
    }

    /// `test_block`, after `test`. `bill` examples are left to pest.
    fn test_block(&mut self) -> Option<Item> {
        self.skip();
        let name = self.string()?;
        let body = self.block(|r| match r.peek()? {
            b'q' if r.kw(b"quote") => r.quote_test(),
            b'c' if r.kw(b"capacity") => {
                r.skip();
                let target = r.target()?;
                let dims = r.dim_args();
                let at = r.at_date();
                r.skip();
                r.lit(b"==")?;
                r.skip();
                let expect = r.quantity()?;
                Some(TestStmt::Capacity {
                    target,
                    dims,
                    at,
                    expect,
                })
            }
            _ => None,
        })?;
        Some(Item::Test(TestBlock { name, body }))
    }

    fn quote_test(&mut self) -> Option<TestStmt> {
        self.skip();
        let target = self.target()?;
        let dims = self.dim_args();
        self.skip();
        self.kw_(b"quantity")?;
        self.skip();
        let quantity = self.quantity()?;
        let at = self.at_date();
        self.skip();
        let start = self.pos;
        let expect = if self.lit(b"==").is_some() {
            self.skip();
            let charge = self.quantity()?;
            let money = self.attempt(|r| {
                r.skip();
                r.lit(b",")?;
                r.skip();
                r.kw_(b"money")?;
                r.skip();
                r.quantity()
            });
            QuoteExpect::Charge { charge, money }
        } else {
            self.kw_(b"rejects")?;
            let kind = self.attempt(|r| {
                r.skip();
                r.rejection_kind()
            });
            let text = self.attempt(|r| {
                r.skip();
                r.string()
            });
            QuoteExpect::Rejects { kind, text }
        };
        Some(TestStmt::Quote {
            target,
            dims,
            quantity,
            at,
            expect: Spanned::new(expect, Span::new(start, self.last)),
        })
    }

    /// `rejection_kind`: one of the kinds' names, not followed by an identifier character.
    fn rejection_kind(&mut self) -> Option<Name> {
        let start = self.pos;
        for k in crate::base::rejection::RejectionKind::ALL {
            if self.kw(k.name().as_bytes()) {
                return Some(self.text_at(Span::new(start, self.pos)));
            }
        }
        None
    }

    /// `target`: `(plan ident)? product ident`.
    fn target(&mut self) -> Option<Target> {
        let plan = self.attempt(|r| {
            r.kw_(b"plan")?;
            r.skip();
            r.name()
        });
        self.skip();
        self.kw_(b"product")?;
        self.skip();
        let product = self.name()?;
        Some(Target { plan, product })
    }

    /// `dim_arg*`
    fn dim_args(&mut self) -> Vec<Spanned<DimArg>> {
        let mut out = Vec::new();
        while let Some(d) = self.attempt(|r| {
            r.skip();
            let start = r.pos;
            r.kw_(b"dim")?;
            r.skip();
            let dimension = r.attempt(|r| {
                let n = r.name()?;
                r.skip();
                r.eq()?;
                Some(n)
            });
            r.skip();
            let value = r.dim_single()?;
            Some(Spanned::new(
                DimArg { dimension, value },
                Span::new(start, r.last),
            ))
        }) {
            out.push(d);
        }
        out
    }

    /// `at_date?`
    fn at_date(&mut self) -> Option<Spanned<String>> {
        self.attempt(|r| {
            r.skip();
            r.kw_(b"at")?;
            r.skip();
            r.date()
        })
    }
}
