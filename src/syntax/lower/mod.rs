//! Lowering: pest pairs -> owned AST, straight after parsing (pairs are `Rc`-based and tied to
//! the input; the rest of the pipeline never sees them).
//!
//! Each function walks a pair's children and picks the ones it needs by rule; keywords and
//! punctuation are skipped by simply not matching them.
//!
//! pest only sees what the fast reader (`../reader`) gives up on, plus whole files in the
//! reference parse; lowering is kept complete so both give the same tree. One file per part of
//! the grammar: items (`items.rs`: products, plans, packs), worked examples (`examples.rs`), and
//! here the dispatch, headers and the shared leaves (names, numbers, rates, targets).

mod examples;
mod items;

use super::Rule;
use super::ast::*;
use super::explain::explain_bad;
use crate::base::money::parse_decimal;
use crate::diagnostic::{Code, Diagnostic};
use pest::iterators::Pair;
use rust_decimal::Decimal;

type P<'i> = Pair<'i, Rule>;

/// Lowers a whole-file parse (the `file` rule); the reference path, kept to check the fast one.
#[cfg(any(test, feature = "internals"))]
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
pub(super) struct Lower<'d> {
    /// The whole file.
    pub(super) text: &'d str,
    pub(super) base: usize,
    pub(super) diags: &'d mut Vec<Diagnostic>,
}

impl Lower<'_> {
    /// A pair's span in the file, without trailing whitespace and comments: pest skips trivia
    /// before trying an optional part, and keeps it in the span when the part is absent.
    pub(super) fn span(&self, p: &P<'_>) -> Span {
        let start = self.base + p.as_span().start();
        Span::new(start, start + trimmed_len(p.as_str()))
    }

    fn text_of(&self, p: &P<'_>) -> Spanned<String> {
        Spanned::new(p.as_str().to_string(), self.span(p))
    }

    pub(super) fn item(&mut self, p: P<'_>) -> Item {
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
                let mut default = None;
                for c in children(p) {
                    match c.as_rule() {
                        Rule::ident => name = Some(self.name(c)),
                        Rule::dim_value => values.push(self.dim_value(c)),
                        Rule::dim_default => {
                            default = children(c)
                                .find(|x| x.as_rule() == Rule::dim_single)
                                .map(|x| self.dim_single(x));
                        }
                        _ => {}
                    }
                }
                Item::Dimension(DimensionDecl {
                    name: name.unwrap_or_else(missing),
                    values,
                    default,
                })
            }
            Rule::attribute_decl => Item::Attribute(AttributeDecl {
                name: children(p)
                    .filter(|c| c.as_rule() == Rule::ident)
                    .map(|c| self.name(c))
                    .collect(),
            }),
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
                        Rule::periods_stmt | Rule::first_period_stmt => {
                            let periods = c.as_rule() == Rule::periods_stmt;
                            let word = c.into_inner().find(|x| x.as_rule() == Rule::ident);
                            let word = word.map(|w| self.name(w)).unwrap_or_else(missing);
                            let stmt = if periods {
                                BillingStmt::Periods(word)
                            } else {
                                BillingStmt::FirstPeriod(word)
                            };
                            body.push(Spanned::new(stmt, sp));
                        }
                        Rule::plan_changes_stmt => {
                            let when = c.into_inner().find(|x| {
                                matches!(
                                    x.as_rule(),
                                    Rule::changes_at_renewal | Rule::changes_at_once
                                )
                            });
                            let rule = match when {
                                Some(w) if w.as_rule() == Rule::changes_at_once => {
                                    PlanChanges::AtOnce {
                                        prorated: w
                                            .into_inner()
                                            .any(|x| x.as_rule() == Rule::kw_prorated),
                                    }
                                }
                                _ => PlanChanges::AtRenewal,
                            };
                            body.push(Spanned::new(BillingStmt::PlanChanges(rule), sp));
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
                Item::Billing(BillingBlock { period, body })
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
                        Rule::recharge_for => RechargeStmt::For(self.ident_list_in(c)),
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
            Rule::moves_decl => {
                let rule = p.into_inner().find(|x| {
                    matches!(
                        x.as_rule(),
                        Rule::moves_at_once | Rule::moves_at_renewal | Rule::moves_on
                    )
                });
                Item::Moves(match rule {
                    Some(r) if r.as_rule() == Rule::moves_on => {
                        match r.into_inner().find(|x| x.as_rule() == Rule::date) {
                            Some(d) => ExistingMoves::On(self.text_of(&d)),
                            None => ExistingMoves::AtOnce,
                        }
                    }
                    Some(r) if r.as_rule() == Rule::moves_at_renewal => ExistingMoves::AtRenewal,
                    _ => ExistingMoves::AtOnce,
                })
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
        let mut list = None;
        let mut version = None;
        let mut effective = None;
        for c in children(p) {
            match c.as_rule() {
                Rule::ident => idents.push(self.name(c)),
                Rule::book_list => list = Some(self.first_name(c)),
                Rule::string => version = Some(self.string(c)),
                Rule::date => effective = Some(self.text_of(&c)),
                _ => {}
            }
        }
        let mut idents = idents.into_iter();
        Item::Header(Header {
            vendor: idents.next().unwrap_or_else(missing),
            list,
            version: version.unwrap_or_else(missing),
            effective: effective.unwrap_or_else(missing),
            currency: idents.next().unwrap_or_else(missing),
        })
    }

    fn contract_header(&mut self, p: P<'_>) -> Item {
        let mut strings = Vec::new();
        let mut idents = Vec::new();
        let mut list = None;
        let mut effective = None;
        for c in children(p) {
            match c.as_rule() {
                Rule::ident => idents.push(self.name(c)),
                Rule::book_list => list = Some(self.first_name(c)),
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
            list,
            version: strings.next(),
            effective: effective.unwrap_or_else(missing),
        })
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
                Rule::string => product = Some(self.string(c)),
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

    fn attr_arg(&mut self, p: P<'_>) -> Spanned<AttrArg> {
        let sp = self.span(&p);
        let mut name = None;
        let mut value = None;
        for c in children(p) {
            match c.as_rule() {
                Rule::dim_single => name = Some(self.dim_single(c)),
                Rule::attr_quantity => value = Some(AttrValue::Quantity(self.quantity(c))),
                Rule::number => value = Some(AttrValue::Number(self.number(c))),
                _ => {}
            }
        }
        Spanned::new(
            AttrArg {
                name: name.unwrap_or_else(missing),
                value: value.unwrap_or_else(|| AttrValue::Number(missing_of(Decimal::ZERO))),
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

pub(super) fn unescape(s: &str) -> String {
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
