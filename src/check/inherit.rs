//! Plans `based on` another plan (contracts layered on a public book) inherit its statements.
//!
//! The plan's own statements come first; a base statement is kept unless the plan restates it:
//! the single-valued statements (`price`, `billing`, `packs`, `products`, `when empty`,
//! `commit`, `includes`, `overage`) by kind, grants as a whole (any own `grant` replaces the base
//! grants), limits and features by name, plan rates by product. `deny` lists add up.

use crate::syntax::ast::*;

fn kind(s: &PlanStmt) -> Option<&'static str> {
    Some(match s {
        PlanStmt::Price { .. } => "price",
        PlanStmt::Billing(_) => "billing",
        PlanStmt::Packs(_) => "packs",
        PlanStmt::Products(_) => "products",
        PlanStmt::WhenEmpty(_) => "when empty",
        PlanStmt::Commit { .. } => "commit",
        PlanStmt::Includes { .. } => "includes",
        PlanStmt::Overage(_) => "overage",
        PlanStmt::Grant(_) => "grant",
        _ => return None,
    })
}

/// The statements `plan` stands for: its own, then what it inherits.
pub(super) fn plan_body(book: &Book, plan: &Plan) -> Vec<Spanned<PlanStmt>> {
    let mut body = plan.body.clone();
    let Some(base_name) = &plan.based_on else {
        return body;
    };
    let Some(base) = book.items.iter().find_map(|i| match &i.node {
        Item::Plan(b) if b.slug.node == base_name.node && b.slug.node != plan.slug.node => Some(b),
        _ => None,
    }) else {
        return body;
    };
    let own_kinds: Vec<&str> = plan.body.iter().filter_map(|s| kind(&s.node)).collect();
    let own_limit = |name: &str| {
        plan.body
            .iter()
            .any(|s| matches!(&s.node, PlanStmt::Limit(l) if l.display_name() == name))
    };
    let own_feature = |name: &str| {
        plan.body
            .iter()
            .any(|s| matches!(&s.node, PlanStmt::Feature { name: n, .. } if n.node == name))
    };
    let own_rate = |product: &str| {
        plan.body.iter().any(
            |s| matches!(&s.node, PlanStmt::RateOverride { product: p, .. } if p.node == product),
        )
    };
    // One level of inheritance: a base that is itself based on another plan contributes its own
    // statements only (chains are flattened by writing them out).
    for s in &base.body {
        let keep = match &s.node {
            PlanStmt::Allow(_) | PlanStmt::Error(_) => false,
            PlanStmt::Limit(l) => !own_limit(&l.display_name()),
            PlanStmt::Feature { name, .. } => !own_feature(&name.node),
            PlanStmt::RateOverride { product, .. } => !own_rate(&product.node),
            PlanStmt::Deny(_) => true,
            other => kind(other).is_none_or(|k| !own_kinds.contains(&k)),
        };
        if keep {
            body.push(s.clone());
        }
    }
    body
}
