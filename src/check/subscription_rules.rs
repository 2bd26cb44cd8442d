//! `billing { ... }`: how the book's subscriptions are billed. Where periods start (`periods
//! anniversary | calendar`), how a first, partial period is billed (`first period whole |
//! prorated`) and when a plan change takes effect (`plan changes at renewal | at once
//! prorated`). Each is said at most once; what the book leaves unsaid takes the bill's default.

use super::prelude::*;

impl Cx<'_> {
    pub(super) fn subscription_rules(&mut self) -> SubscriptionRules {
        let book = self.book;
        let mut rules = SubscriptionRules::default();
        // Where each rule was first given, valid or not: a later one is a duplicate either way.
        let (mut periods, mut first, mut changes): (Option<Span>, Option<Span>, Option<Span>) =
            (None, None, None);
        for item in &book.items {
            let Item::Billing(b) = &item.node else {
                continue;
            };
            // `billing annual { ... }`: the annual billing pass reads it.
            if b.period.is_some() {
                continue;
            }
            for s in &b.body {
                match &s.node {
                    BillingStmt::FrontLoad(_) => self.push(diagnostics::billing_rule_misplaced(
                        "front-load",
                        "billing annual { ... }",
                        "it is a rule of annual billing",
                        s.span,
                    )),
                    BillingStmt::Periods(word) => {
                        if let Some(at) = periods {
                            self.push(diagnostics::billing_rule_twice("periods", s.span, at));
                            continue;
                        }
                        periods = Some(s.span);
                        rules.periods = match word.node.as_str() {
                            "anniversary" => Some(PeriodRule::Anniversary),
                            "calendar" => Some(PeriodRule::Calendar),
                            _ => {
                                self.unknown(
                                    "periods rule",
                                    word,
                                    &["anniversary".into(), "calendar".into()],
                                    "periods start on the subscription's start day (`periods anniversary`) or on the 1st (`periods calendar`)",
                                );
                                None
                            }
                        };
                    }
                    BillingStmt::FirstPeriod(word) => {
                        if let Some(at) = first {
                            self.push(diagnostics::billing_rule_twice("first period", s.span, at));
                            continue;
                        }
                        first = Some(s.span);
                        rules.first_period = match word.node.as_str() {
                            "whole" => Some(FirstPeriodRule::Whole),
                            "prorated" => Some(FirstPeriodRule::Prorated),
                            _ => {
                                self.unknown(
                                    "first-period rule",
                                    word,
                                    &["whole".into(), "prorated".into()],
                                    "a first, partial period is billed whole (`first period whole`) or its share of the cycle (`first period prorated`)",
                                );
                                None
                            }
                        };
                    }
                    BillingStmt::PlanChanges(when) => {
                        if let Some(at) = changes {
                            self.push(diagnostics::billing_rule_twice("plan changes", s.span, at));
                            continue;
                        }
                        changes = Some(s.span);
                        rules.plan_changes = match when {
                            PlanChanges::AtRenewal => Some(PlanChangeRule::AtRenewal),
                            PlanChanges::AtOnce { prorated: true } => {
                                Some(PlanChangeRule::AtOnceProrated)
                            }
                            PlanChanges::AtOnce { prorated: false } => {
                                self.push(diagnostics::plan_change_unprorated(s.span));
                                None
                            }
                        };
                    }
                    BillingStmt::Error(_) => {}
                }
            }
        }
        rules
    }
}
