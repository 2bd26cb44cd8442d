//! Worked examples, run: every `test` block of a checked book, against the book's compiled
//! table, through the same [`Rater`] and billing engine services use.
//!
//! This stage comes after compilation: the checker resolved every name of the examples
//! ([`ExampleDef`]), the compiler built the table, and here one table and one rater per book
//! answer every statement. A statement whose expectation does not hold is a `test-failed`
//! diagnostic at the expectation, labelled with the rule that rejected the usage when one did.
//! A `bill` example that runs into another version of the book's price list is billed by the
//! versions in force over it ([`versions`]), as `pricebook bill` on the vendor's directory.

mod versions;

pub use versions::{ExampleVersion, bill_dates, in_force_over};

use crate::base::date::Date;
use crate::base::rejection::{Rejection, RejectionKind};
use crate::bill::{
    Bill, BillLine, BillRequest, Billing, GrantReport, RechargeSettings, Usage, UsageEvent,
    bill_with,
};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::*;
use crate::rate::Rater;
use crate::syntax::ast::Span;
use crate::table::{EventAttr, RatingTable, TableQuote, UnitId};
use rust_decimal::Decimal;
use versions::{AcrossError, bill_across};

/// The result of one worked example (one `test` block).
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleOutcome {
    /// The example's index in [`Model::examples`].
    pub index: usize,
    /// One `test-failed` diagnostic per expectation that does not hold; empty when it passed.
    pub failures: Vec<Diagnostic>,
    /// Why the example was not run: a bill that starts before the book takes effect, when the
    /// book is checked from its text alone (which version priced those days is not known).
    pub not_run: Option<String>,
}

impl ExampleOutcome {
    /// Whether the example ran and every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.not_run.is_none()
    }
}

/// Runs every worked example of `model` against `table` (compiled from it), with the other
/// versions of the book's price list (in any order): a `bill` example that runs into one is
/// billed by the versions in force over it. `others` is `None` when they are not known (a book
/// checked from its text alone): a bill that starts before the book takes effect is then not
/// run, and one that runs past it is billed by the book. `source` is the book's text, to point
/// at the line of a rule that rejected a usage.
pub fn run_examples_in(
    model: &Model,
    table: &RatingTable,
    others: Option<&[ExampleVersion<'_>]>,
    source: &str,
) -> Vec<ExampleOutcome> {
    run_examples_from(model, table, others, source, 0)
}

/// [`run_examples_in`] of the examples written at or after byte `from` of the source only (a
/// contract's, after the book it layers on: the book's own examples are its own check's, with
/// its versions).
pub fn run_examples_from(
    model: &Model,
    table: &RatingTable,
    others: Option<&[ExampleVersion<'_>]>,
    source: &str,
    from: usize,
) -> Vec<ExampleOutcome> {
    if model.examples.iter().all(|e| e.span.start < from) {
        return Vec::new();
    }
    // Keys for what the examples price only: a full rater of a large book is plans x products
    // keys, and compiling a key is not free.
    let mut pairs: Vec<(Option<u32>, u32)> = Vec::new();
    let run = |e: &&ExampleDef| e.span.start >= from;
    for s in model.examples.iter().filter(run).flat_map(|e| &e.stmts) {
        match s {
            ExampleStmt::Quote { target, .. } => {
                pairs.push((target.plan.map(|p| p as u32), target.product as u32));
            }
            ExampleStmt::Bill(b) => {
                // The bill's plan, and every plan it changes to.
                let mut plans = vec![b.plan as u32];
                plans.extend(b.events.iter().filter_map(|e| match &e.usage {
                    BillUsageDef::ChangePlan { plan } => Some(*plan as u32),
                    _ => None,
                }));
                for e in &b.events {
                    if let BillUsageDef::Use { product, .. } = &e.usage {
                        pairs.extend(plans.iter().map(|p| (Some(*p), *product as u32)));
                    }
                }
            }
            ExampleStmt::Capacity { .. } => {}
        }
    }
    // Every version, this book's included, in effective order.
    let known = others.is_some();
    let mut versions: Vec<ExampleVersion<'_>> = others
        .unwrap_or_default()
        .iter()
        .copied()
        .filter(|v| v.effective != model.effective)
        .collect();
    versions.push(ExampleVersion {
        effective: model.effective,
        name: "",
        table: Some(table),
    });
    versions.sort_by_key(|v| v.effective);
    let runner = Runner {
        model,
        table,
        rater: Rater::for_usage(table, pairs),
        lines: LineIndex::new(source),
        versions,
    };
    model
        .examples
        .iter()
        .enumerate()
        .filter(|(_, e)| run(e))
        .map(|(index, e)| {
            let before = e.stmts.iter().find_map(|s| match s {
                ExampleStmt::Bill(b) => {
                    Some(bill_dates(model, b).0).filter(|from| *from < model.effective)
                }
                _ => None,
            });
            match before.filter(|_| !known) {
                Some(from) => ExampleOutcome {
                    index,
                    failures: Vec::new(),
                    not_run: Some(format!(
                        "it bills from {from}, before the book takes effect on {}: check the book with its vendor's other versions (`pricebook test` on its file or directory)",
                        model.effective
                    )),
                },
                None => ExampleOutcome {
                    index,
                    failures: e
                        .stmts
                        .iter()
                        .flat_map(|s| runner.stmt(s, &e.name))
                        .collect(),
                    not_run: None,
                },
            }
        })
        .collect()
}

/// Byte spans of the source's lines, to turn a table's line numbers back into spans.
struct LineIndex<'s> {
    text: &'s str,
    starts: Vec<usize>,
}

impl<'s> LineIndex<'s> {
    fn new(text: &'s str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// The span of line `n` (1-based), without its indentation and line break.
    fn span(&self, n: u32) -> Option<Span> {
        let start = *self.starts.get((n as usize).checked_sub(1)?)?;
        let end = self
            .starts
            .get(n as usize)
            .map_or(self.text.len(), |e| e.saturating_sub(1));
        let line = self.text.get(start..end)?;
        let lead = line.len() - line.trim_start().len();
        Some(Span::new(start + lead, start + line.trim_end().len()))
    }
}

struct Runner<'a> {
    model: &'a Model,
    table: &'a RatingTable,
    rater: Rater<'a>,
    lines: LineIndex<'a>,
    /// The versions of the book's price list, in effective order, this book's among them.
    versions: Vec<ExampleVersion<'a>>,
}

fn fail(span: Span, message: String, help: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::TestFailed, message)
        .label(span, "this expectation")
        .help(help)
}

impl Runner<'_> {
    fn stmt(&self, stmt: &ExampleStmt, test: &str) -> Vec<Diagnostic> {
        match stmt {
            ExampleStmt::Quote {
                target,
                quantity,
                used,
                attrs,
                expect,
                expect_span,
                ..
            } => self.quote(target, *used, *quantity, attrs, expect, *expect_span, test),
            ExampleStmt::Capacity {
                plan,
                product,
                dims,
                expect,
                span,
                expect_span,
            } => self.capacity(*plan, *product, dims, expect, *span, *expect_span, test),
            ExampleStmt::Bill(b) => self.bill(b, test),
        }
    }

    fn cell(&self, product: usize, dims: &[usize]) -> Option<u32> {
        let values: Vec<u32> = dims.iter().map(|d| *d as u32).collect();
        self.table.cell_id(product as u32, &values)
    }

    fn price(
        &self,
        target: &ExampleTarget,
        used: Decimal,
        quantity: Decimal,
        attrs: &[AttrDef],
    ) -> Result<TableQuote, Rejection> {
        let plan = target.plan.map(|p| p as u32);
        let key = self
            .cell(target.product, &target.dims)
            .and_then(|c| self.rater.key(plan, target.product as u32, c))
            .ok_or_else(|| Rejection::new(RejectionKind::Unknown, "no such rate cell"))?;
        let q = self.rater.quote_in_period(key, used, quantity)?;
        let attrs: Vec<EventAttr> = attrs
            .iter()
            .map(|a| EventAttr {
                attribute: a.attribute as u32,
                value: a.value,
                unit: a.unit.as_deref().and_then(|u| self.table.unit_id(u)),
            })
            .collect();
        self.table
            .check_attributes(plan, target.product as u32, &attrs)?;
        Ok(q)
    }

    /// The rule that rejected a usage, as a label.
    fn rule_label(&self, d: Diagnostic, r: &Rejection) -> Diagnostic {
        match r.span.or_else(|| r.line.and_then(|l| self.lines.span(l))) {
            Some(s) => d.label(s, "rejected by this rule"),
            None => d,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn quote(
        &self,
        target: &ExampleTarget,
        used: Decimal,
        quantity: Decimal,
        attrs: &[AttrDef],
        expect: &QuoteExpectation,
        at: Span,
        test: &str,
    ) -> Vec<Diagnostic> {
        match (expect, self.price(target, used, quantity, attrs)) {
            (QuoteExpectation::Charge { charge, money }, Ok(got)) => {
                let mut out = Vec::new();
                let unit = got.unit.map_or("", |u| self.table.unit_name(u));
                match self.same_amount(charge, got.charge, got.unit) {
                    Ok(true) => {}
                    Ok(false) => out.push(fail(
                        at,
                        format!(
                            "test \"{test}\": expected {}, got {} {unit}",
                            charge.text, got.charge
                        ),
                        "fix the expectation or the rule it exercises",
                    )),
                    Err(e) => out.push(fail(
                        at,
                        format!("test \"{test}\": {e}"),
                        "write the expectation in the charge's unit",
                    )),
                }
                if let Some(m) = money {
                    let currency = self.table.unit_id(&self.table.currency);
                    match got.money {
                        Some(amount) => match self.same_amount(m, amount, currency) {
                            Ok(true) => {}
                            Ok(false) => out.push(fail(
                                at,
                                format!(
                                    "test \"{test}\": expected money {}, got {amount} {}",
                                    m.text, self.table.currency
                                ),
                                "money is the charge x plan price / plan grant, rounded to the currency's minor unit",
                            )),
                            Err(e) => out.push(fail(
                                at,
                                format!("test \"{test}\": {e}"),
                                "write money in the book's currency",
                            )),
                        },
                        None => out.push(fail(
                            at,
                            format!(
                                "test \"{test}\": expected money {}, but the plan has no money equivalent",
                                m.text
                            ),
                            "a money equivalent needs a plan with a published price and a recurring grant",
                        )),
                    }
                }
                out
            }
            (QuoteExpectation::Charge { charge, .. }, Err(r)) => {
                let d = fail(
                    at,
                    format!(
                        "test \"{test}\": expected {}, but the quote was rejected: {}",
                        charge.text, r.reason
                    ),
                    "fix the expectation, or the rule that rejects it",
                );
                vec![self.rule_label(d, &r)]
            }
            (QuoteExpectation::Rejects { kind, text }, Err(r)) => {
                if let Some(k) = kind.filter(|k| *k != r.kind) {
                    let d = fail(
                        at,
                        format!(
                            "test \"{test}\": rejected as `{}`, not `{k}`: {}",
                            r.kind, r.reason
                        ),
                        format!("expect `rejects {}`, or fix the rule", r.kind),
                    );
                    return vec![self.rule_label(d, &r)];
                }
                match text {
                    Some(t) if !r.reason.to_lowercase().contains(&t.to_lowercase()) => {
                        let d = fail(
                            at,
                            format!(
                                "test \"{test}\": rejected as expected, but because {}",
                                r.reason
                            ),
                            format!("the reason does not mention \"{t}\""),
                        );
                        vec![self.rule_label(d, &r)]
                    }
                    _ => vec![],
                }
            }
            (QuoteExpectation::Rejects { .. }, Ok(got)) => vec![fail(
                at,
                format!(
                    "test \"{test}\": expected a rejection, but it was priced at {} {}",
                    got.charge,
                    got.unit.map_or("", |u| self.table.unit_name(u))
                ),
                "add the limit or rule that should reject this usage",
            )],
        }
    }

    /// Whether an expected amount equals `actual` in `unit`, converting between units of one
    /// dimension (`== 7 credit` is `== 420 credit_second`).
    fn same_amount(
        &self,
        expected: &ExpectedAmount,
        actual: Decimal,
        unit: Option<UnitId>,
    ) -> Result<bool, String> {
        // A free product charges nothing, in no unit: any zero matches it.
        let Some(unit) = unit else {
            return Ok(expected.value.is_zero() && actual.is_zero());
        };
        let au = &self.table.units[unit as usize];
        let eu = self
            .table
            .units
            .iter()
            .find(|u| u.name == expected.unit)
            .ok_or_else(|| format!("unknown unit `{}`", expected.unit))?;
        if eu.dimension != au.dimension {
            return Err(format!(
                "expected a value in `{}`, but the result is in `{}`",
                eu.name, au.name
            ));
        }
        let e = expected
            .value
            .checked_mul(eu.factor)
            .ok_or("the expected value is too large")?;
        let a = actual
            .checked_mul(au.factor)
            .ok_or("the actual value is too large")?;
        Ok(e == a)
    }

    #[allow(clippy::too_many_arguments)]
    fn capacity(
        &self,
        plan: usize,
        product: usize,
        dims: &[usize],
        expect: &ExpectedAmount,
        span: Span,
        at: Span,
        test: &str,
    ) -> Vec<Diagnostic> {
        let Some(cell) = self.cell(product, dims) else {
            return vec![fail(
                span,
                format!("test \"{test}\": no such rate cell"),
                "",
            )];
        };
        match self
            .table
            .capacity(plan as u32, product as u32, cell, &expect.unit)
        {
            Ok(n) if n == expect.value => vec![],
            Ok(n) => vec![fail(
                at,
                format!(
                    "test \"{test}\": expected {}, got {n} {}",
                    expect.text, expect.unit
                ),
                "capacity is the whole units the plan's recurring grant buys, rounded down",
            )],
            Err(r) => {
                let d = fail(
                    span,
                    format!("test \"{test}\": {}", r.reason),
                    "capacity needs a plan with a recurring grant",
                );
                vec![self.rule_label(d, &r)]
            }
        }
    }

    fn bill(&self, b: &BillExample, test: &str) -> Vec<Diagnostic> {
        let mut events = Vec::with_capacity(b.events.len());
        for (i, e) in b.events.iter().enumerate() {
            let usage = match &e.usage {
                BillUsageDef::Use {
                    product,
                    dims,
                    quantity,
                } => match self.cell(*product, dims) {
                    Some(cell) => Usage::Use {
                        product: *product as u32,
                        cell,
                        quantity: *quantity,
                    },
                    None => {
                        return vec![fail(
                            e.span,
                            format!("test \"{test}\": no such rate cell"),
                            "",
                        )];
                    }
                },
                BillUsageDef::Buy { pack } => Usage::Buy { pack: *pack as u32 },
                BillUsageDef::ChangePlan { plan } => Usage::ChangePlan { plan: *plan as u32 },
                BillUsageDef::ChangeBilling { annual } => Usage::ChangeBilling {
                    billing: if *annual {
                        Billing::Annual
                    } else {
                        Billing::Monthly
                    },
                },
                BillUsageDef::Cancel => Usage::Cancel,
                BillUsageDef::TopUp { amount, currency } => match self.table.unit_id(currency) {
                    Some(currency) => Usage::TopUp {
                        amount: *amount,
                        currency,
                    },
                    None => {
                        return vec![fail(
                            e.span,
                            format!("test \"{test}\": unknown currency `{currency}`"),
                            "",
                        )];
                    }
                },
            };
            events.push(UsageEvent {
                line: i as u64 + 1,
                time: e.time,
                usage,
            });
        }
        let (from, end) = bill_dates(self.model, b);
        let mut request = BillRequest::new(b.plan as u32, from, b.periods.unwrap_or(1));
        // The book's `billing { periods ... }` (anniversary where it says nothing).
        request.align = crate::bill::PeriodAlign::declared(self.table).unwrap_or_default();
        request.billing = if b.annual {
            Billing::Annual
        } else {
            Billing::Monthly
        };
        if let Some(r) = &b.recharge {
            let Some(unit) = self.table.unit_id(&r.unit) else {
                return vec![fail(
                    b.span,
                    format!("test \"{test}\": unknown unit `{}`", r.unit),
                    "",
                )];
            };
            request.recharge = Some(RechargeSettings {
                below: r.below,
                to: r.to,
                unit,
                cap: r.cap,
            });
        }
        let effective: Vec<Date> = self.versions.iter().map(|v| v.effective).collect();
        let chain = self
            .versions
            .get(in_force_over(&effective, from, end))
            .unwrap_or_default();
        let billed = match chain {
            [only] if only.effective == self.model.effective => {
                bill_with(&self.rater, &request, &events).map_err(AcrossError::Bill)
            }
            _ => bill_across(self.table, chain, &request, &events),
        };
        let bill = match billed {
            Ok(bill) => bill,
            Err(AcrossError::Broken { name, effective }) => {
                return vec![fail(
                    b.span,
                    format!(
                        "test \"{test}\": the bill runs into the version effective {effective} ({name}), which has errors"
                    ),
                    "fix that version (`pricebook check` on it shows why), or bill dates inside this one",
                )];
            }
            Err(AcrossError::NoPlan { plan, name }) => {
                return vec![fail(
                    b.span,
                    format!(
                        "test \"{test}\": the bill starts under an earlier version ({name}), which has no plan `{plan}`"
                    ),
                    "start the bill on or after this book's effective date, or on a plan that version has",
                )];
            }
            Err(AcrossError::Bill(e)) => {
                return vec![fail(
                    b.span,
                    format!("test \"{test}\": {e}"),
                    "fix the bill's options",
                )];
            }
        };
        let mut out = Vec::new();
        for x in &b.expects {
            let expected = match &x.unit {
                Some(u) => format!("{} {u}", x.value),
                None => x.value.to_string(),
            };
            match self.subject(&bill, x) {
                Ok(actual) if actual == x.value => {}
                Ok(actual) => out.push(fail(
                    x.span,
                    format!(
                        "test \"{test}\": expected {} == {expected}, got {actual}",
                        x.subject_text
                    ),
                    "fix the expectation or the rule it exercises; `pricebook bill` shows the whole bill",
                )),
                Err(e) => out.push(fail(
                    x.span,
                    format!("test \"{test}\": {e}"),
                    "subjects: total, line <kind|product>, granted|consumed|expired|remaining <grant or unit>, allowance, rejected",
                )),
            }
        }
        out
    }

    /// The value a bill expectation's subject names, in the expectation's unit.
    fn subject(&self, bill: &Bill, x: &BillExpectDef) -> Result<Decimal, String> {
        let money = |amount: Decimal| -> Result<Decimal, String> {
            match &x.unit {
                Some(u) if *u != bill.currency => {
                    Err(format!("money is in {}, not `{u}`", bill.currency))
                }
                _ => Ok(amount),
            }
        };
        match &x.subject {
            BillSubject::Total => money(bill.total),
            BillSubject::Rejected => Ok(Decimal::from(bill.rejected.len())),
            BillSubject::Fees => Ok(Decimal::from(
                bill.lines.iter().filter(|l| l.kind == "fee").count(),
            )),
            BillSubject::Allowance => {
                let used: Vec<&crate::bill::AllowanceReport> = bill
                    .allowances
                    .iter()
                    .filter(|a| x.unit.as_ref().is_none_or(|u| *u == a.unit))
                    .collect();
                if used.is_empty() {
                    return Err(format!(
                        "no allowance in `{}` was used",
                        x.unit.as_deref().unwrap_or("events")
                    ));
                }
                Ok(used.iter().map(|a| a.used).sum::<Decimal>().normalize())
            }
            BillSubject::Line { kind, product } => {
                let display = product.map(|p| self.table.products[p].display.as_str());
                let lines: Vec<&BillLine> = bill
                    .lines
                    .iter()
                    .filter(|l| {
                        kind.as_deref() == Some(l.kind)
                            || display.is_some_and(|d| l.description.starts_with(d))
                    })
                    .collect();
                if lines.is_empty() {
                    return Err(format!("the bill has no `{}` line", x.subject_text));
                }
                if lines.iter().any(|l| l.amount.is_none()) {
                    return Err(format!(
                        "a `{}` line has no published amount",
                        x.subject_text
                    ));
                }
                money(lines.iter().filter_map(|l| l.amount).sum())
            }
            BillSubject::Wallet { measure, what } => {
                let target = x
                    .unit
                    .as_deref()
                    .ok_or("write the expected amount with its unit")?;
                let tu = self
                    .table
                    .units
                    .iter()
                    .find(|u| u.name == target)
                    .ok_or_else(|| format!("unknown unit `{target}`"))?;
                let matches = |g: &GrantReport| -> bool {
                    match what {
                        None => true,
                        Some(GrantSelector::Plan) => g.grant.starts_with("plan "),
                        Some(GrantSelector::Packs) => g.grant.starts_with("pack "),
                        Some(GrantSelector::Recharge) => g.grant.starts_with("recharge "),
                        Some(GrantSelector::Contract) => g.grant.starts_with("contract "),
                        Some(GrantSelector::TopUp) => g.grant.starts_with("top-up "),
                        Some(GrantSelector::Pack(slug)) => {
                            g.grant.split_whitespace().nth(1) == Some(slug.as_str())
                        }
                        Some(GrantSelector::Unit(u)) => g.unit == *u,
                    }
                };
                let mut total = Decimal::ZERO;
                let mut any = false;
                for g in bill.wallet.iter().filter(|g| matches(g)) {
                    let gu = self
                        .table
                        .units
                        .iter()
                        .find(|u| u.name == g.unit)
                        .ok_or("a grant in an unknown unit")?;
                    if gu.dimension != tu.dimension {
                        continue;
                    }
                    any = true;
                    let v = match measure {
                        WalletMeasure::Granted => g.granted,
                        WalletMeasure::Consumed => g.consumed,
                        WalletMeasure::Expired => g.expired,
                        WalletMeasure::Remaining => g.remaining,
                    };
                    total = v
                        .checked_mul(gu.factor)
                        .and_then(|v| v.checked_div(tu.factor))
                        .and_then(|v| total.checked_add(v))
                        .ok_or("the wallet amount overflows")?;
                }
                if !any {
                    return Err(format!(
                        "no grant in the wallet matches `{}`",
                        x.subject_text
                    ));
                }
                Ok(total.normalize())
            }
        }
    }
}
