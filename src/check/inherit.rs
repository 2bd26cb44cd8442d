//! A plan `based on` another (in a public book, or a contract's plan based on a public plan)
//! inherits every statement it does not restate.
//!
//! The plan's own statements come first; a base statement is kept unless the plan restates it:
//! the single-valued statements (`price`, `billing`, `packs`, `products`, `when empty`,
//! `commit`, `includes`, `overage`) by kind, grants and allowances as a whole (any own `grant`
//! replaces the base grants, any own `allowance` the base allowances), limits, features and fees by name, plan rates by product. `deny` lists add up, unless the
//! plan restates `products` (then its own list and denials decide). A base that
//! is itself based on a plan passes on what it inherited, so chains resolve all the way down;
//! a chain that loops is reported once and inherits nothing beyond the loop.

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
        PlanStmt::Allowance(_) => "allowance",
        PlanStmt::TopUp(_) => "top up",
        _ => return None,
    })
}

/// What resolving a plan's inheritance found.
pub(super) struct Inherited {
    /// The statements the plan stands for: its own, then what it inherits.
    pub body: Vec<Spanned<PlanStmt>>,
    /// The plans of a `based on` chain that loops back on itself, when it does.
    pub cycle: Option<Vec<String>>,
}

/// The plan of `name` in `book`, by slug.
fn find<'b>(book: &'b Book, name: &str) -> Option<&'b Plan> {
    book.items.iter().find_map(|i| match &i.node {
        Item::Plan(p) if p.slug.node == name => Some(p),
        _ => None,
    })
}

/// The statements `plan` stands for, following its `based on` chain.
pub(super) fn plan_body(book: &Book, plan: &Plan) -> Inherited {
    let mut chain = vec![plan.slug.node.clone()];
    let mut body = plan.body.clone();
    let mut current = plan;
    let mut cycle = None;
    while let Some(base_name) = &current.based_on {
        let Some(base) = find(book, &base_name.node) else {
            break;
        };
        if chain.contains(&base.slug.node) {
            let start = chain.iter().position(|c| *c == base.slug.node).unwrap_or(0);
            cycle = Some(chain[start..].to_vec());
            break;
        }
        chain.push(base.slug.node.clone());
        merge(&mut body, &base.body);
        current = base;
    }
    Inherited { body, cycle }
}

/// Adds to `body` the statements of `base` that `body` does not restate.
fn merge(body: &mut Vec<Spanned<PlanStmt>>, base: &[Spanned<PlanStmt>]) {
    let own_kinds: Vec<&str> = body.iter().filter_map(|s| kind(&s.node)).collect();
    let own_limit = |name: &str| {
        body.iter()
            .any(|s| matches!(&s.node, PlanStmt::Limit(l) if l.display_name() == name))
    };
    let own_feature = |name: &str| {
        body.iter()
            .any(|s| matches!(&s.node, PlanStmt::Feature { name: n, .. } if n.node == name))
    };
    let own_fee = |name: &str| {
        body.iter()
            .any(|s| matches!(&s.node, PlanStmt::Fee(f) if f.name.node == name))
    };
    let own_rate = |product: &str| {
        body.iter().any(
            |s| matches!(&s.node, PlanStmt::RateOverride { product: p, .. } if p.node == product),
        )
    };
    let inherited: Vec<Spanned<PlanStmt>> = base
        .iter()
        .filter(|s| match &s.node {
            PlanStmt::Allow(_) | PlanStmt::Error(_) => false,
            PlanStmt::Limit(l) => !own_limit(&l.display_name()),
            PlanStmt::Feature { name, .. } => !own_feature(&name.node),
            PlanStmt::Fee(f) => !own_fee(&f.name.node),
            PlanStmt::RateOverride { product, .. } => !own_rate(&product.node),
            // A plan that restates `products` decides its own list; otherwise denials add up.
            PlanStmt::Deny(_) => !own_kinds.contains(&"products"),
            other => kind(other).is_none_or(|k| !own_kinds.contains(&k)),
        })
        .cloned()
        .collect();
    body.extend(inherited);
}
