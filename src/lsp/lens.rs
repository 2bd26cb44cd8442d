//! Code lenses and inlay hints: a lens on each `test` block that says whether it passes and runs
//! it again when clicked (`pricebook.runTest`), and, where a plan is known, the money a credit
//! amount is worth on that plan.

use super::analysis::{Analysis, TestState};
use crate::base::money::{charge_dp, div_round, round_charge};
use crate::base::span::Span;
use crate::syntax::ast::{
    BillStmt, ExpectValue, Item, PlanStmt, Quantity, QuoteExpect, Rate, TestStmt,
};
use crate::table::RatingTable;
use rust_decimal::Decimal;
use tower_lsp_server::ls_types::{
    CodeLens, Command, InlayHint, InlayHintKind, InlayHintLabel, Range,
};

/// The command a test's lens runs.
pub(super) const RUN_TEST: &str = "pricebook.runTest";

/// What a lens (and the `pricebook.runTest` command) says about a test.
pub(super) fn verdict(state: &TestState) -> String {
    match state {
        TestState::Passed => "✓ passed".into(),
        TestState::Failed(fs) => format!(
            "✗ failed: {} expectation{}",
            fs.len(),
            if fs.len() == 1 { "" } else { "s" }
        ),
        TestState::NotRun(why) => format!("not run: {why}"),
    }
}

pub(super) fn lenses(a: &Analysis) -> Vec<CodeLens> {
    a.tests
        .iter()
        .map(|t| {
            let line = a.lines.position(a.text(), t.item.start).line;
            let range = Range::new(
                tower_lsp_server::ls_types::Position::new(line, 0),
                tower_lsp_server::ls_types::Position::new(line, 0),
            );
            CodeLens {
                range,
                command: Some(Command {
                    title: verdict(&t.state),
                    command: RUN_TEST.into(),
                    arguments: Some(vec![
                        serde_json::Value::String(a.source.uri.as_str().to_string()),
                        serde_json::Value::String(t.name.clone()),
                    ]),
                }),
                data: None,
            }
        })
        .collect()
}

/// The money `amount unit` is worth on `plan` (a wallet unit at the plan's price per unit),
/// rounded once as quotes round it; `None` for money itself, a unit the plan grants no price
/// for, or a plan the table does not know.
fn money(t: &RatingTable, plan: &str, amount: Decimal, unit: &str) -> Option<String> {
    let pid = t.find_plan(plan).ok()?;
    let uid = t.find_unit(unit).ok()?;
    let entry = t.units.get(uid as usize)?;
    if entry.is_money {
        return None;
    }
    let p = t.plans.get(pid as usize)?;
    let w = p.wallet_prices.iter().find(|w| w.unit == uid)?;
    let m = div_round(
        amount.checked_mul(w.price)?,
        w.granted,
        charge_dp(&t.currency),
    )?;
    Some(format!("≈ {} {}", round_charge(m, &t.currency), t.currency))
}

struct Hints<'a> {
    a: &'a Analysis,
    table: &'a RatingTable,
    range: Span,
    out: Vec<InlayHint>,
}

impl Hints<'_> {
    fn quantity(&mut self, plan: &str, q: &Quantity) {
        let end = q.unit.span.end;
        if end < self.range.start || end > self.range.end {
            return;
        }
        if let Some(label) = money(self.table, plan, q.value.node, &q.unit.node) {
            self.out.push(InlayHint {
                position: self.a.lines.position(self.a.text(), end),
                label: InlayHintLabel::String(label),
                kind: Some(InlayHintKind::TYPE),
                text_edits: None,
                tooltip: Some(tower_lsp_server::ls_types::InlayHintTooltip::String(
                    format!(
                        "what this amount is worth on plan `{plan}`, at the plan's price per unit"
                    ),
                )),
                padding_left: Some(true),
                padding_right: None,
                data: None,
            });
        }
    }

    fn rate(&mut self, plan: &str, r: &Rate) {
        self.quantity(plan, &r.amount);
    }
}

/// Inlay hints in `range` (a span of the file): the money value of amounts in wallet units
/// inside a plan (its own rates, allowances, overage) and in worked examples that name a plan.
pub(super) fn inlay_hints(a: &Analysis, range: Span) -> Vec<InlayHint> {
    let Some(opened) = a.pricing() else {
        return Vec::new();
    };
    let mut h = Hints {
        a,
        table: &opened.table,
        range,
        out: Vec::new(),
    };
    for item in &a.parsed.book.items {
        if item.span.end < range.start || item.span.start > range.end {
            continue;
        }
        match &item.node {
            Item::Plan(p) => {
                let plan = p.slug.node.as_str();
                for s in &p.body {
                    match &s.node {
                        PlanStmt::RateOverride { rate, .. } | PlanStmt::Overage(rate) => {
                            h.rate(plan, rate);
                        }
                        PlanStmt::Includes { amount, at } => {
                            h.quantity(plan, amount);
                            if let Some(r) = at {
                                h.rate(plan, r);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Item::Test(t) => {
                for s in &t.body {
                    match &s.node {
                        TestStmt::Quote { target, expect, .. } => {
                            if let (Some(plan), QuoteExpect::Charge { charge, .. }) =
                                (&target.plan, &expect.node)
                            {
                                h.quantity(&plan.node, charge);
                            }
                        }
                        TestStmt::Bill {
                            plan: Some(plan),
                            body,
                            ..
                        } => {
                            for e in body {
                                if let BillStmt::Expect {
                                    value: ExpectValue::Quantity(q),
                                    ..
                                } = &e.node
                                {
                                    h.quantity(&plan.node, q);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    h.out
}
