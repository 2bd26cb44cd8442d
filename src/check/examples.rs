//! Worked examples, resolved: every plan, product, pack, dimension value, unit and date a `test`
//! block names is checked here, with the same codes as anywhere else in a book, and in the same
//! run as every other mistake. Running the examples is a later stage (`crate::examples`), on the
//! compiled table.

use super::{Cx, diagnostics};
use crate::base::date::parse_instant;
use crate::base::names::{NameError, did_you_mean, same_key};
use crate::base::rejection::RejectionKind;
use crate::base::units::Unit;
use crate::model::*;
use crate::syntax::ast::*;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Which namespace a name in a worked example refers to.
#[derive(Clone, Copy)]
enum Kind {
    Plan,
    Product,
    Pack,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Plan => "plan",
            Kind::Product => "product",
            Kind::Pack => "pack",
        }
    }
}

/// Kinds of bill line an expectation may name.
const LINE_KINDS: &[&str] = &[
    "subscription",
    "commitment",
    "pack",
    "recharge",
    "overage",
    "carve-out",
    "top-up",
    "fee",
    "proration",
];

impl Cx<'_> {
    /// Resolves every `test` block; a statement that names something unknown is reported and
    /// left out (the book then has errors, and no example runs).
    pub(super) fn examples(&mut self) -> Vec<ExampleDef> {
        let book = self.book;
        let mut out = Vec::new();
        let mut names: HashMap<&str, Span> = HashMap::new();
        for item in &book.items {
            let Item::Test(t) = &item.node else { continue };
            if let Some(prev) = names.get(t.name.node.as_str()) {
                let prev = *prev;
                self.push(diagnostics::test_twice(&t.name.node, t.name.span, prev));
            }
            names.insert(t.name.node.as_str(), t.name.span);
            let mut stmts = Vec::new();
            for s in &t.body {
                if let Some(stmt) = self.example_stmt(&s.node, s.span) {
                    stmts.push(stmt);
                }
            }
            out.push(ExampleDef {
                name: t.name.node.clone(),
                name_span: t.name.span,
                span: item.span,
                stmts,
            });
        }
        out
    }

    fn example_stmt(&mut self, stmt: &TestStmt, span: Span) -> Option<ExampleStmt> {
        match stmt {
            TestStmt::Quote {
                target,
                dims,
                attrs,
                used,
                quantity,
                at,
                expect,
            } => {
                let at_ok = self.example_date(at.as_ref());
                let attrs = self.example_attrs(attrs);
                let target = self.example_target(target, dims, false);
                let expected = match &expect.node {
                    QuoteExpect::Charge { charge, money } => {
                        let charge = self.expected(charge, false);
                        let money = money.as_ref().map(|m| self.expected(m, true));
                        match (charge, money) {
                            (Some(charge), None) => Some(QuoteExpectation::Charge {
                                charge,
                                money: None,
                            }),
                            (Some(charge), Some(Some(m))) => Some(QuoteExpectation::Charge {
                                charge,
                                money: Some(m),
                            }),
                            _ => None,
                        }
                    }
                    QuoteExpect::Rejects { kind, text } => Some(QuoteExpectation::Rejects {
                        kind: kind
                            .as_ref()
                            .and_then(|k| RejectionKind::from_name(&k.node)),
                        text: text.as_ref().map(|t| t.node.clone()),
                    }),
                };
                let target = target?;
                let used = match used {
                    Some(u) => self.example_quantity(target.product, u),
                    None => Some(Decimal::ZERO),
                };
                let quantity = self.example_quantity(target.product, quantity)?;
                at_ok?;
                Some(ExampleStmt::Quote {
                    target,
                    quantity,
                    used: used?,
                    attrs: attrs?,
                    expect: expected?,
                    span,
                    expect_span: expect.span,
                })
            }
            TestStmt::Capacity {
                target,
                dims,
                at,
                expect,
            } => {
                let at_ok = self.example_date(at.as_ref());
                let t = self.example_target(target, dims, true);
                let expected = self.expected(expect, false);
                let t = t?;
                let Some(plan) = t.plan else {
                    self.push(diagnostics::capacity_without_plan(span));
                    return None;
                };
                at_ok?;
                Some(ExampleStmt::Capacity {
                    plan,
                    product: t.product,
                    dims: t.dims,
                    expect: expected?,
                    span,
                    expect_span: expect.value.span.to(expect.unit.span),
                })
            }
            TestStmt::Bill {
                plan,
                options,
                body,
            } => self.example_bill(plan.as_ref(), options, body, span),
            TestStmt::Error(_) => None,
        }
    }

    /// A date in a worked example: a real day on which the book is in force.
    fn example_date(&mut self, at: Option<&Spanned<String>>) -> Option<()> {
        let Some(at) = at else { return Some(()) };
        let day = self.date(at)?;
        match self.effective {
            Some(effective) if day < effective => {
                self.push(diagnostics::not_in_force(day, effective, at.span));
                None
            }
            _ => Some(()),
        }
    }

    /// A plan, product or pack named in a worked example, by slug or display name.
    fn example_ref(&mut self, kind: Kind, name: &Name) -> Option<usize> {
        let names = match kind {
            Kind::Plan => &self.plans,
            Kind::Product => &self.products,
            Kind::Pack => &self.packs,
        };
        if let Some(i) = names.resolve(&name.node) {
            return Some(i);
        }
        let known = names
            .list
            .iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty());
        let e = NameError::unknown(kind.word(), &name.node, known);
        self.push(diagnostics::unresolved_name(&e, name.span));
        None
    }

    /// The plan when a worked example names none: the book's only plan, or none at all.
    fn default_plan(&mut self, span: Span, needs_plan: bool) -> Result<Option<usize>, ()> {
        let plans: Vec<usize> = (0..self.plans.list.len())
            .filter(|i| !self.plans.list[*i].is_empty())
            .collect();
        match plans.as_slice() {
            [] if needs_plan => {
                self.push(diagnostics::no_plan_in_book(span));
                Err(())
            }
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            several => {
                let slugs: Vec<String> = several
                    .iter()
                    .map(|i| self.plans.list[*i].clone())
                    .collect();
                self.push(diagnostics::which_plan(&slugs, span));
                Err(())
            }
        }
    }

    fn example_target(
        &mut self,
        target: &Target,
        dims: &[Spanned<DimArg>],
        needs_plan: bool,
    ) -> Option<ExampleTarget> {
        let plan = match &target.plan {
            Some(p) => self.example_ref(Kind::Plan, p).map(Some),
            None => self.default_plan(target.product.span, needs_plan).ok(),
        };
        let product = self.example_ref(Kind::Product, &target.product);
        let (plan, product) = (plan?, product?);
        let dims = self.example_dims(product, dims, target.product.span)?;
        Some(ExampleTarget {
            plan,
            product,
            dims,
        })
    }

    /// `dim 720p dim fps = 30fps` -> one value index per dimension the product is priced by.
    fn example_dims(
        &mut self,
        product: usize,
        args: &[Spanned<DimArg>],
        at: Span,
    ) -> Option<Vec<usize>> {
        // A product that did not check has its own errors; nothing to resolve against.
        let def = self.product_defs.get(product)?.as_ref()?;
        let (slug, product_dims) = (def.slug.clone(), def.dims.clone());
        let mut out: Vec<Option<usize>> = vec![None; product_dims.len()];
        let mut ok = true;
        for a in args {
            if product_dims.is_empty() {
                self.push(diagnostics::not_priced_by_dimensions(&slug, a.span));
                return None;
            }
            let candidates: Vec<usize> = match &a.dimension {
                Some(d) => {
                    let pos = product_dims
                        .iter()
                        .position(|i| same_key(&self.dimensions[*i].name, &d.node));
                    match pos {
                        Some(p) => vec![p],
                        None => {
                            let names: Vec<String> = product_dims
                                .iter()
                                .map(|i| self.dimensions[*i].name.clone())
                                .collect();
                            self.push(diagnostics::not_priced_by_dimension(
                                &slug, &d.node, d.span, &names,
                            ));
                            ok = false;
                            continue;
                        }
                    }
                }
                None => (0..product_dims.len()).collect(),
            };
            let hits: Vec<(usize, usize)> = candidates
                .iter()
                .filter_map(|p| {
                    let values = &self.dimensions[product_dims[*p]].values;
                    values
                        .iter()
                        .position(|v| same_key(v, &a.value.node))
                        .map(|v| (*p, v))
                })
                .collect();
            match hits.as_slice() {
                [(p, v)] if out[*p].is_none() => out[*p] = Some(*v),
                [(p, _)] => {
                    let name = self.dimensions[product_dims[*p]].name.clone();
                    self.push(diagnostics::dimension_given_twice(&name, a.span));
                    ok = false;
                }
                [] => {
                    let values: Vec<&str> = candidates
                        .iter()
                        .flat_map(|p| self.dimensions[product_dims[*p]].values.iter())
                        .map(String::as_str)
                        .collect();
                    let dims: Vec<(&str, &[String])> = candidates
                        .iter()
                        .map(|p| {
                            let d = &self.dimensions[product_dims[*p]];
                            (d.name.as_str(), d.values.as_slice())
                        })
                        .collect();
                    let d = diagnostics::not_a_priced_value(
                        &a.value.node,
                        &slug,
                        a.value.span,
                        did_you_mean(&a.value.node, values),
                        &dims,
                    );
                    self.push(d);
                    ok = false;
                }
                several => {
                    let dims: Vec<String> = several
                        .iter()
                        .map(|(p, _)| self.dimensions[product_dims[*p]].name.clone())
                        .collect();
                    self.push(diagnostics::value_of_several_dimensions(
                        &a.value.node,
                        &dims,
                        a.value.span,
                    ));
                    ok = false;
                }
            }
        }
        if !ok {
            return None;
        }
        let fills = self
            .product_defs
            .get(product)
            .and_then(|d| d.as_ref())
            .map(|d| d.dimension_fills(&self.dimensions))
            .unwrap_or_default();
        let mut values = Vec::with_capacity(out.len());
        for (i, v) in out.iter().enumerate() {
            match v.or_else(|| fills.get(i).copied().flatten()) {
                Some(v) => values.push(v),
                None => {
                    let dim = &self.dimensions[product_dims[i]];
                    let d = diagnostics::dimension_value_not_given(
                        &slug,
                        &dim.name,
                        &dim.values,
                        args.last().map_or(at, |a| a.span),
                    );
                    self.push(d);
                    return None;
                }
            }
        }
        Some(values)
    }

    /// A usage quantity of `product`, in base units of its measure.
    /// `attr NAME = VALUE` arguments: each a declared attribute, with a known unit if any.
    fn example_attrs(&mut self, attrs: &[Spanned<AttrArg>]) -> Option<Vec<AttrDef>> {
        let mut out = Vec::new();
        let mut ok = true;
        for a in attrs {
            let Some(attribute) = self.attr_names.resolve(&a.node.name.node) else {
                let list = self.attr_names.list.clone();
                self.unknown(
                    "attribute",
                    &a.node.name,
                    &list,
                    "an `attr` names an attribute the book declares: `attribute scenes`",
                );
                ok = false;
                continue;
            };
            let (value, unit) = match &a.node.value {
                AttrValue::Number(n) => (n.node, None),
                AttrValue::Quantity(q) => match self.unit(&q.unit) {
                    Some(u) => (q.value.node, Some(u.name)),
                    None => {
                        ok = false;
                        continue;
                    }
                },
            };
            out.push(AttrDef {
                attribute,
                value,
                unit,
            });
        }
        ok.then_some(out)
    }

    fn example_quantity(&mut self, product: usize, q: &Quantity) -> Option<Decimal> {
        let def = self.product_defs.get(product)?.as_ref()?;
        let measure = def.measure.clone();
        let slug = def.slug.clone();
        let unit = self.unit(&q.unit)?;
        if unit.dimension != measure {
            self.push(diagnostics::quantity_not_of_measure(
                &unit.name,
                &unit.dimension.describe(),
                &slug,
                &measure.describe(),
                q.unit.span,
            ));
            return None;
        }
        match q.value.node.checked_mul(unit.factor) {
            Some(v) => Some(v),
            None => {
                self.overflow(q.value.span, "this quantity");
                None
            }
        }
    }

    /// An expected amount: its unit must be one the book knows (money for `money`).
    fn expected(&mut self, q: &Quantity, money: bool) -> Option<ExpectedAmount> {
        let unit: Unit = self.unit(&q.unit)?;
        if money && !unit.dimension.is_money() {
            let currency = self.currency_or_usd();
            self.push(diagnostics::money_equivalent_not_money(
                &unit.name,
                q.unit.span,
                &q.value.node.to_string(),
                &currency,
            ));
            return None;
        }
        Some(ExpectedAmount {
            value: q.value.node,
            unit: unit.name,
            text: format!("{} {}", q.value.node, q.unit.node),
        })
    }

    fn example_bill(
        &mut self,
        plan: Option<&Name>,
        options: &[Spanned<BillOption>],
        body: &[Spanned<BillStmt>],
        span: Span,
    ) -> Option<ExampleStmt> {
        let mut ok = true;
        let plan = match plan {
            Some(p) => self.example_ref(Kind::Plan, p),
            None => self.default_plan(span, true).ok().flatten(),
        };
        let (mut annual, mut from, mut periods, mut recharge) = (false, None, None, None);
        for o in options {
            match &o.node {
                BillOption::Billing(b) => match b.node.as_str() {
                    "annual" => annual = true,
                    "monthly" => annual = false,
                    _ => {
                        let e = NameError::unknown("billing", &b.node, ["monthly", "annual"]);
                        self.push(diagnostics::unresolved_name(&e, b.span));
                        ok = false;
                    }
                },
                BillOption::From(d) => match self.date(d) {
                    Some(day) => from = Some(day),
                    None => ok = false,
                },
                BillOption::Periods(n) => {
                    match u32::try_from(n.node.trunc().mantissa())
                        .ok()
                        .filter(|p| n.node.fract().is_zero() && *p > 0 && n.node.scale() == 0)
                    {
                        Some(p) => periods = Some(p),
                        None => {
                            self.push(diagnostics::periods_not_whole(n.span));
                            ok = false;
                        }
                    }
                }
                BillOption::Recharge { below, to, cap } => {
                    let b = self.unit(&below.unit);
                    let t = self.unit(&to.unit);
                    let cap_ok = cap
                        .as_ref()
                        .is_none_or(|c| self.money(c, "the recharge cap").is_some());
                    match (b, t) {
                        (Some(b), Some(t)) if b.dimension == t.dimension && cap_ok => {
                            // The ceiling in the threshold's unit.
                            match to
                                .value
                                .node
                                .checked_mul(t.factor)
                                .and_then(|v| v.checked_div(b.factor))
                            {
                                Some(to_value) => {
                                    recharge = Some(ExampleRecharge {
                                        below: below.value.node,
                                        to: to_value,
                                        unit: b.name.clone(),
                                        cap: cap.as_ref().map(|c| c.value.node),
                                    })
                                }
                                None => {
                                    self.overflow(to.value.span, "this ceiling");
                                    ok = false;
                                }
                            }
                        }
                        (Some(b), Some(t)) if b.dimension != t.dimension => {
                            self.push(diagnostics::recharge_in_two_dimensions(
                                &b.name,
                                &t.name,
                                to.unit.span,
                            ));
                            ok = false;
                        }
                        _ => ok = false,
                    }
                }
            }
        }
        let mut events = Vec::new();
        let mut expects = Vec::new();
        for s in body {
            match &s.node {
                BillStmt::Use {
                    time,
                    product,
                    dims,
                    quantity,
                } => {
                    let t = self.event_time(time);
                    let p = self.example_ref(Kind::Product, product);
                    let (Some(t), Some(p)) = (t, p) else {
                        ok = false;
                        continue;
                    };
                    let d = self.example_dims(p, dims, product.span);
                    let q = self.example_quantity(p, quantity);
                    match (d, q) {
                        (Some(dims), Some(quantity)) => events.push(BillEventDef {
                            time: t,
                            usage: BillUsageDef::Use {
                                product: p,
                                dims,
                                quantity,
                            },
                            span: s.span,
                        }),
                        _ => ok = false,
                    }
                }
                BillStmt::TopUp { time, amount } => {
                    let t = self.event_time(time);
                    let m = self.money(amount, "a top-up");
                    match (t, m) {
                        (Some(time), Some((amount, currency))) => events.push(BillEventDef {
                            time,
                            usage: BillUsageDef::TopUp { amount, currency },
                            span: s.span,
                        }),
                        _ => ok = false,
                    }
                }
                BillStmt::ChangePlan { time, plan } => {
                    let t = self.event_time(time);
                    let k = self.example_ref(Kind::Plan, plan);
                    match (t, k) {
                        (Some(time), Some(plan)) => events.push(BillEventDef {
                            time,
                            usage: BillUsageDef::ChangePlan { plan },
                            span: s.span,
                        }),
                        _ => ok = false,
                    }
                }
                BillStmt::ChangeBilling { time, billing } => {
                    let t = self.event_time(time);
                    let annual = match billing.node.as_str() {
                        "annual" => Some(true),
                        "monthly" => Some(false),
                        _ => {
                            self.push(diagnostics::not_a_billing_cycle(
                                &billing.node,
                                billing.span,
                            ));
                            None
                        }
                    };
                    match (t, annual) {
                        (Some(time), Some(annual)) => events.push(BillEventDef {
                            time,
                            usage: BillUsageDef::ChangeBilling { annual },
                            span: s.span,
                        }),
                        _ => ok = false,
                    }
                }
                BillStmt::Cancel { time } => match self.event_time(time) {
                    Some(time) => events.push(BillEventDef {
                        time,
                        usage: BillUsageDef::Cancel,
                        span: s.span,
                    }),
                    None => ok = false,
                },
                BillStmt::Buy { time, pack } => {
                    let t = self.event_time(time);
                    let k = self.example_ref(Kind::Pack, pack);
                    match (t, k) {
                        (Some(time), Some(pack)) => events.push(BillEventDef {
                            time,
                            usage: BillUsageDef::Buy { pack },
                            span: s.span,
                        }),
                        _ => ok = false,
                    }
                }
                BillStmt::Expect { subject, value } => {
                    match self.bill_expect(subject, value, s.span) {
                        Some(e) => expects.push(e),
                        None => ok = false,
                    }
                }
                BillStmt::Error(_) => ok = false,
            }
        }
        let plan = plan?;
        ok.then_some(ExampleStmt::Bill(BillExample {
            plan,
            annual,
            from,
            periods,
            recharge,
            events,
            expects,
            span,
        }))
    }

    fn event_time(&mut self, t: &Spanned<String>) -> Option<i64> {
        let time = parse_instant(&t.node);
        if time.is_none() {
            self.push(diagnostics::invalid_time(&t.node, t.span));
        }
        time
    }

    fn bill_expect(
        &mut self,
        subject: &[Spanned<String>],
        value: &ExpectValue,
        span: Span,
    ) -> Option<BillExpectDef> {
        let words: Vec<&str> = subject.iter().map(|w| w.node.as_str()).collect();
        let subject_text = words.join(" ");
        let at = subject
            .first()
            .map(|f| f.span.to(subject[subject.len() - 1].span))
            .unwrap_or(span);
        // `grant` is the grant a wallet measure names, when that is what is unknown.
        let unknown = |cx: &mut Self, grant: Option<&str>| {
            cx.push(diagnostics::unknown_expectation(&subject_text, at, grant));
        };
        let parsed = match words.as_slice() {
            ["total"] => Some(BillSubject::Total),
            ["rejected"] => Some(BillSubject::Rejected),
            ["fees"] => Some(BillSubject::Fees),
            ["allowance"] | ["allowance", "used"] => Some(BillSubject::Allowance),
            ["line" | "lines", what] => {
                if LINE_KINDS.contains(what) {
                    Some(BillSubject::Line {
                        kind: Some(what.to_string()),
                        product: None,
                    })
                } else {
                    let p = self.example_ref(Kind::Product, &subject[1]);
                    p.map(|p| BillSubject::Line {
                        kind: None,
                        product: Some(p),
                    })
                }
            }
            [measure, rest @ ..] => {
                let m = match *measure {
                    "granted" => Some(WalletMeasure::Granted),
                    "consumed" => Some(WalletMeasure::Consumed),
                    "expired" => Some(WalletMeasure::Expired),
                    "remaining" => Some(WalletMeasure::Remaining),
                    _ => None,
                };
                match m {
                    None => {
                        unknown(self, None);
                        return None;
                    }
                    Some(measure) => {
                        let what = rest.join(" ");
                        let selector = match what.as_str() {
                            "" => None,
                            "plan credits" | "plan" => Some(GrantSelector::Plan),
                            "pack" | "packs" => Some(GrantSelector::Packs),
                            "recharge" => Some(GrantSelector::Recharge),
                            "contract" | "included" => Some(GrantSelector::Contract),
                            "top-up" | "top-ups" => Some(GrantSelector::TopUp),
                            w => {
                                if let Some(k) = self.packs.resolve(w) {
                                    Some(GrantSelector::Pack(self.packs.list[k].clone()))
                                } else if let Some(u) = self.unit_get(w).cloned() {
                                    Some(GrantSelector::Unit(u.name))
                                } else {
                                    unknown(self, Some(w));
                                    return None;
                                }
                            }
                        };
                        Some(BillSubject::Wallet {
                            measure,
                            what: selector,
                        })
                    }
                }
            }
            [] => None,
        };
        let subject = parsed?;
        let (value, unit) = match value {
            ExpectValue::Quantity(q) => {
                let u = self.unit(&q.unit)?;
                (q.value.node, Some(u.name))
            }
            ExpectValue::Number(n) => (n.node, None),
        };
        if matches!(subject, BillSubject::Wallet { .. }) && unit.is_none() {
            self.push(diagnostics::wallet_amount_without_unit(
                &subject_text,
                &value.to_string(),
                span,
            ));
            return None;
        }
        Some(BillExpectDef {
            subject,
            subject_text,
            value,
            unit,
            span,
        })
    }
}
