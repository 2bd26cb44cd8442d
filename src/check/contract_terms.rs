//! Contract terms: a contract's plan must fill in what its public plan leaves to each contract
//! (`grant custom credit ...`). Run on a contract layered on its book, where the checker sees one
//! merged book and only the caller knows where the contract's items start.

use super::diagnostics;
use crate::diagnostic::Diagnostic;
use crate::model::Model;

/// The diagnostics for the contract's plans (those whose source starts at or after
/// `contract_base`) that still carry a contract-set grant.
pub fn contract_terms(model: &Model, contract_base: usize) -> Vec<Diagnostic> {
    model
        .plans
        .iter()
        .filter(|p| p.span.start >= contract_base)
        .filter_map(|p| {
            let g = p.grants.iter().find(|g| g.contract_set)?;
            Some(diagnostics::contract_grant_unset(
                &p.slug,
                p.based_on.as_deref(),
                &g.unit,
                p.slug_span,
                g.span,
            ))
        })
        .collect()
}
