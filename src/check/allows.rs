//! `allow <code> "reason"`: which warnings each allow silences, and allows that silence nothing.

use super::prelude::*;

/// An `allow` in force: the code it silences and the range it covers.
pub(super) struct AllowScope {
    pub(super) code: Option<Code>,
    pub(super) name: Name,
    pub(super) range: Span,
    pub(super) used: bool,
}

pub(super) fn apply_allows(diags: &mut Vec<Diagnostic>, allows: &[AllowScope]) {
    let mut allows: Vec<AllowScope> = allows
        .iter()
        .map(|a| AllowScope {
            code: a.code,
            name: a.name.clone(),
            range: a.range,
            used: false,
        })
        .collect();
    diags.retain(|d| {
        if d.severity != Severity::Warning {
            return true;
        }
        let at = d.span().map(|s| s.start).unwrap_or(0);
        // Every label inside the allow's range counts: `identical-plans` points at two plans.
        let inside = |a: &AllowScope| {
            (a.range.start <= at && at < a.range.end)
                || d.labels
                    .iter()
                    .any(|l| a.range.start <= l.span.start && l.span.start < a.range.end)
        };
        for a in allows.iter_mut() {
            if a.code == Some(d.code) && inside(a) {
                a.used = true;
                return false;
            }
        }
        true
    });
    for a in allows {
        match a.code {
            Some(code) if code.severity() == Severity::Error => {
                diags.push(diagnostics::error_allowed(code, a.name.span))
            }
            Some(code) if !a.used => {
                diags.push(diagnostics::allow_silences_nothing(code, a.name.span))
            }
            _ => {}
        }
    }
}

impl Cx<'_> {
    pub(super) fn collect_allows(&mut self) {
        let book = self.book;
        for item in &book.items {
            let push = |a: &Allow,
                        range: Span,
                        allows: &mut Vec<AllowScope>,
                        diags: &mut Vec<Diagnostic>| {
                let code = Code::from_name(&a.code.node);
                if code.is_none() {
                    let suggestion = did_you_mean(&a.code.node, Code::ALL.iter().map(|c| c.name()));
                    diags.push(diagnostics::unknown_code(
                        &a.code.node,
                        a.code.span,
                        suggestion,
                    ));
                }
                if a.reason.node.trim().is_empty() {
                    diags.push(diagnostics::allow_without_reason(a.reason.span));
                }
                allows.push(AllowScope {
                    code,
                    name: a.code.clone(),
                    range,
                    used: false,
                });
            };
            let whole = Span::new(0, usize::MAX);
            match &item.node {
                Item::Allow(a) => push(a, whole, &mut self.allows, &mut self.diags),
                Item::Product(p) => {
                    for s in &p.body {
                        if let ProductStmt::Allow(a) = &s.node {
                            push(a, item.span, &mut self.allows, &mut self.diags);
                        }
                    }
                }
                Item::Plan(p) => {
                    for s in &p.body {
                        if let PlanStmt::Allow(a) = &s.node {
                            push(a, item.span, &mut self.allows, &mut self.diags);
                        }
                    }
                }
                Item::Pack(p) => {
                    for s in &p.body {
                        if let PackStmt::Allow(a) = &s.node {
                            push(a, item.span, &mut self.allows, &mut self.diags);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
