//! Grants of plans and packs: amount (or `custom`, left to each contract), cadence, the one expiry
//! rule, and priority.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn grant(&mut self, g: &Grant, span: Span, in_pack: bool) -> Option<GrantDef> {
        let unit = self.unit(&g.amount.unit)?;
        if let (Some(at), true) = (&g.contract_set, in_pack) {
            self.push(diagnostics::pack_grant_contract_set(at.span));
            return None;
        }
        if g.contract_set.is_none() && g.amount.value.node <= Decimal::ZERO {
            self.push(diagnostics::grant_not_positive(g.amount.value.span));
            return None;
        }
        let cadence = match &g.cadence {
            None => GrantCadence::Once,
            Some(c) => match &c.node {
                Cadence::Once => GrantCadence::Once,
                Cadence::Every(p) => {
                    if in_pack {
                        self.push(diagnostics::pack_grant_recurs(c.span));
                        return None;
                    }
                    match p.node.as_str() {
                        "day" | "daily" => GrantCadence::EveryDays(1),
                        "week" | "weekly" => GrantCadence::EveryDays(7),
                        _ => GrantCadence::EveryMonths(self.period_months(p)?),
                    }
                }
            },
        };
        let expiry = match g.expiry.as_slice() {
            [] => {
                self.push(diagnostics::grant_without_expiry(span));
                return None;
            }
            rules => self.expiry(rules)?,
        };
        let priority = match g.priority.as_slice() {
            [] => {
                if in_pack {
                    2
                } else {
                    1
                }
            }
            [p] => match integer(p.node) {
                Some(n) => n,
                None => {
                    self.push(diagnostics::priority_not_whole(p.span));
                    return None;
                }
            },
            [first, second, ..] => {
                self.push(diagnostics::two_priorities(second.span, first.span));
                return None;
            }
        };
        Some(GrantDef {
            amount: g.amount.value.node,
            contract_set: g.contract_set.is_some(),
            unit: unit.name,
            cadence,
            expiry,
            priority,
            span,
        })
    }

    /// One expiry rule (`never expires`, `expires at cycle end`, `expires after 12 month`, ...);
    /// none is `never`. Two are a `conflicting-statement`.
    pub(super) fn expiry(&mut self, rules: &[Spanned<Expiry>]) -> Option<GrantExpiry> {
        Some(match rules {
            [] => GrantExpiry::Never,
            [one] => match &one.node {
                Expiry::Never => GrantExpiry::Never,
                Expiry::CycleEnd => GrantExpiry::CycleEnd,
                Expiry::ContractEnd => GrantExpiry::ContractEnd,
                Expiry::After(q) => {
                    let u = self.unit(&q.unit)?;
                    let whole = q.value.node.fract().is_zero() && q.value.node > Decimal::ZERO;
                    let n: Option<u32> = whole
                        .then(|| q.value.node.to_string().parse().ok())
                        .flatten();
                    match (&u.dimension, n) {
                        (Dimension::Period, Some(n)) => {
                            GrantExpiry::AfterMonths(n.saturating_mul(if u.name == "year" {
                                12
                            } else {
                                1
                            }))
                        }
                        (Dimension::Time, Some(n)) if u.factor >= Decimal::from(86_400) => {
                            let days =
                                (Decimal::from(n) * u.factor / Decimal::from(86_400)).trunc();
                            GrantExpiry::AfterDays(days.to_string().parse().unwrap_or(u32::MAX))
                        }
                        _ => {
                            self.push(diagnostics::expiry_not_whole(q.value.span.to(q.unit.span)));
                            return None;
                        }
                    }
                }
            },
            [first, second, ..] => {
                self.push(diagnostics::two_expiry_rules(second.span, first.span));
                return None;
            }
        })
    }
}
