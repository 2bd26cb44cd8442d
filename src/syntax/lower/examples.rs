//! Lowering of worked examples: `test` blocks with their quote and bill statements.

use super::*;

impl Lower<'_> {
    pub(super) fn test_block(&mut self, p: P<'_>) -> Item {
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

    pub(super) fn quote_test(&mut self, p: P<'_>) -> TestStmt {
        let mut target = None;
        let mut dims = Vec::new();
        let mut attrs = Vec::new();
        let mut used = None;
        let mut quantity = None;
        let mut at = None;
        let mut expect = None;
        for x in children(p) {
            match x.as_rule() {
                Rule::target => target = Some(self.target(x)),
                Rule::used_arg => {
                    used = children(x)
                        .find(|q| q.as_rule() == Rule::quantity)
                        .map(|q| self.quantity(q));
                }
                Rule::dim_arg => dims.push(self.dim_arg(x)),
                Rule::attr_arg => attrs.push(self.attr_arg(x)),
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
            attrs,
            used,
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

    pub(super) fn bill_test(&mut self, p: P<'_>) -> TestStmt {
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
                Rule::topup_event => {
                    let mut time = None;
                    let mut amount = None;
                    for y in children(x) {
                        match y.as_rule() {
                            Rule::datetime => time = Some(self.text_of(&y)),
                            Rule::quantity => amount = Some(self.quantity(y)),
                            _ => {}
                        }
                    }
                    body.push(Spanned::new(
                        BillStmt::TopUp {
                            time: time.unwrap_or_else(missing),
                            amount: amount.unwrap_or_else(missing_quantity),
                        },
                        sp,
                    ));
                }
                Rule::change_event => {
                    let (mut time, mut name, mut billing) = (None, None, false);
                    for y in children(x) {
                        match y.as_rule() {
                            Rule::datetime => time = Some(self.text_of(&y)),
                            Rule::kw_billing => billing = true,
                            Rule::ident => name = Some(self.name(y)),
                            _ => {}
                        }
                    }
                    let time = time.unwrap_or_else(missing);
                    let name = name.unwrap_or_else(missing);
                    let stmt = match billing {
                        true => BillStmt::ChangeBilling {
                            time,
                            billing: name,
                        },
                        false => BillStmt::ChangePlan { time, plan: name },
                    };
                    body.push(Spanned::new(stmt, sp));
                }
                Rule::cancel_event => {
                    let time = children(x)
                        .find(|y| y.as_rule() == Rule::datetime)
                        .map(|y| self.text_of(&y));
                    body.push(Spanned::new(
                        BillStmt::Cancel {
                            time: time.unwrap_or_else(missing),
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
}
