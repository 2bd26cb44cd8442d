//! Findings that only follow from text the parser could not read are dropped, so a syntax error
//! does not also show as a missing statement or an unknown name.

use super::prelude::*;

pub(super) fn stmt_errors(item: &Item) -> bool {
    match item {
        Item::Product(p) => p.body.iter().any(|s| match &s.node {
            ProductStmt::Error(_) => true,
            // A broken tier leaves the tiers block short; count it as broken too.
            _ => false,
        }),
        Item::Plan(p) => p.body.iter().any(|s| matches!(s.node, PlanStmt::Error(_))),
        Item::Pack(p) => p.body.iter().any(|s| matches!(s.node, PackStmt::Error(_))),
        Item::Test(t) => t.body.iter().any(|s| matches!(s.node, TestStmt::Error(_))),
        Item::Billing(b) => b
            .body
            .iter()
            .any(|s| matches!(s.node, BillingStmt::Error(_))),
        Item::Recharge(r) => r
            .body
            .iter()
            .any(|s| matches!(s.node, RechargeStmt::Error(_))),
        Item::Error(_) => true,
        _ => false,
    }
}

/// Drops findings that only follow from text the parser could not read: a statement lost to a
/// syntax error inside an item makes "missing statement" or "no expiry" findings about that item
/// meaningless; a number that could not be represented is not also "zero"; a name declared in an
/// unreadable item is not also "unknown".
pub(super) fn drop_follow_ons(book: &Book, syntax: &[Diagnostic], diags: &mut Vec<Diagnostic>) {
    if diags.is_empty() {
        // Nothing to drop; spare a walk over every statement of a large book.
        return;
    }
    let broken: Vec<Span> = book
        .items
        .iter()
        .filter(|i| stmt_errors(&i.node))
        .map(|i| i.span)
        .collect();
    let lost_names: HashSet<String> = book
        .items
        .iter()
        .filter_map(|i| match &i.node {
            Item::Error(text) => {
                let mut words = text.split_whitespace();
                words
                    .position(|w| w == "as")
                    .and_then(|_| words.next())
                    .map(|w| w.trim_end_matches('{').to_string())
            }
            _ => None,
        })
        .collect();
    let bad_numbers: Vec<Span> = syntax
        .iter()
        .filter(|d| d.code == Code::NumberRange)
        .filter_map(|d| d.span())
        .collect();
    let inside = |s: Span, outer: &Span| outer.start <= s.start && s.start <= outer.end;
    diags.retain(|d| {
        let Some(at) = d.span() else { return true };
        let follow_on = match d.code {
            Code::MissingStatement | Code::GrantWithoutExpiry => {
                broken.iter().any(|b| inside(at, b))
            }
            Code::NonPositivePrice | Code::InvalidValue => bad_numbers.contains(&at),
            Code::UnknownReference => d.labels.first().is_some_and(|_| {
                let name = d.message.rsplit('`').nth(1).unwrap_or("");
                lost_names.contains(name)
            }),
            _ => false,
        };
        !follow_on
    });
}
