//! Grants of plans and packs: amount, cadence, the one expiry rule, and priority.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn grant(&mut self, g: &Grant, span: Span, in_pack: bool) -> Option<GrantDef> {
        let unit = self.unit(&g.amount.unit)?;
        if g.amount.value.node <= Decimal::ZERO {
            self.push(
                Diagnostic::new(Code::InvalidValue, "a grant must give a positive amount")
                    .label(g.amount.value.span, "not positive")
                    .help("remove the grant, or give an amount above zero"),
            );
            return None;
        }
        let cadence = match &g.cadence {
            None => GrantCadence::Once,
            Some(c) => match &c.node {
                Cadence::Once => GrantCadence::Once,
                Cadence::Every(p) => {
                    if in_pack {
                        self.push(
                            Diagnostic::new(
                                Code::InvalidValue,
                                "a pack is bought once; its grant cannot recur",
                            )
                            .label(c.span, "recurring")
                            .help("remove the cadence from the pack's grant"),
                        );
                        return None;
                    }
                    GrantCadence::EveryMonths(self.period_months(p)?)
                }
            },
        };
        let expiry = match g.expiry.as_slice() {
            [] => {
                self.push(
                    Diagnostic::new(Code::GrantWithoutExpiry, "this grant does not say when it expires")
                        .label(span, "no expiry rule")
                        .help("add `, expires at cycle end`, `, never expires`, `, expires after 12 month` or `, expires at contract end`"),
                );
                return None;
            }
            [one] => {
                match &one.node {
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
                                self.push(
                                Diagnostic::new(Code::InvalidValue, "an expiry is a whole number of days, months or years")
                                    .label(q.value.span.to(q.unit.span), "not whole days or months")
                                    .help("write e.g. `expires after 12 month` or `expires after 30 day`"),
                            );
                                return None;
                            }
                        }
                    }
                }
            }
            [first, second, ..] => {
                self.push(
                    Diagnostic::new(Code::ConflictingStatement, "a grant has two expiry rules")
                        .label(second.span, "second rule")
                        .label(first.span, "first rule")
                        .help("keep one expiry rule"),
                );
                return None;
            }
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
                    self.push(
                        Diagnostic::new(Code::InvalidValue, "a priority is a whole number, 0 or more")
                            .label(p.span, "not a whole number")
                            .help("lower priorities are drawn first: plan credits `priority 1`, packs `priority 2`"),
                    );
                    return None;
                }
            },
            [first, second, ..] => {
                self.push(
                    Diagnostic::new(Code::ConflictingStatement, "a grant has two priorities")
                        .label(second.span, "second")
                        .label(first.span, "first")
                        .help("keep one priority"),
                );
                return None;
            }
        };
        Some(GrantDef {
            amount: g.amount.value.node,
            unit: unit.name,
            cadence,
            expiry,
            priority,
            span,
        })
    }
}
