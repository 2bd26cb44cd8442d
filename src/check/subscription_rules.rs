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
                        if self.said_once("periods", s.span, &mut periods) {
                            rules.periods = self.rule_word(
                                "periods rule",
                                word,
                                &[
                                    ("anniversary", PeriodRule::Anniversary),
                                    ("calendar", PeriodRule::Calendar),
                                ],
                                "periods start on the subscription's start day (`periods anniversary`) or on the 1st (`periods calendar`)",
                            );
                        }
                    }
                    BillingStmt::FirstPeriod(word) => {
                        if self.said_once("first period", s.span, &mut first) {
                            rules.first_period = self.rule_word(
                                "first-period rule",
                                word,
                                &[
                                    ("whole", FirstPeriodRule::Whole),
                                    ("prorated", FirstPeriodRule::Prorated),
                                ],
                                "a first, partial period is billed whole (`first period whole`) or its share of the cycle (`first period prorated`)",
                            );
                        }
                    }
                    BillingStmt::PlanChanges(when) => {
                        if self.said_once("plan changes", s.span, &mut changes) {
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
                    }
                    BillingStmt::Error(_) => {}
                }
            }
        }
        rules
    }

    /// Whether rule `what` at `span` is said for the first time (`first` keeps where); a second
    /// time is reported.
    fn said_once(&mut self, what: &str, span: Span, first: &mut Option<Span>) -> bool {
        match *first {
            Some(at) => {
                self.push(diagnostics::billing_rule_twice(what, span, at));
                false
            }
            None => {
                *first = Some(span);
                true
            }
        }
    }

    /// The rule `word` names among `words`, or `None` with the unknown word reported.
    fn rule_word<T: Copy>(
        &mut self,
        what: &str,
        word: &Name,
        words: &[(&str, T)],
        help: &str,
    ) -> Option<T> {
        let found = words.iter().find(|(w, _)| *w == word.node).map(|(_, r)| *r);
        if found.is_none() {
            let candidates: Vec<String> = words.iter().map(|(w, _)| w.to_string()).collect();
            self.unknown(what, word, &candidates, help);
        }
        found
    }
}
