//! The subscription's own events: plan and billing changes, which take effect when a billing
//! cycle starts, and a cancellation, which ends the subscription at its period's end.

use super::engine::*;
use super::*;

impl Engine<'_, '_> {
    /// Applies the plan and billing changes asked for, at the start of period `k`.
    pub(super) fn apply_changes(&mut self, k: u32, start: Instant, lines: &mut PeriodLines) {
        let table = self.table;
        if let Some((billing, asked)) = self.pending_billing.take() {
            if billing != self.billing {
                let name = |b: Billing| match b {
                    Billing::Monthly => "monthly",
                    Billing::Annual => "annual",
                };
                lines.fixed.push(BillLine {
                    period: String::new(),
                    kind: "change",
                    description: format!(
                        "billing changes from {} to {} (asked {})",
                        name(self.billing),
                        name(billing),
                        format_instant(asked)
                    ),
                    quantity: None,
                    amount: None,
                    version: String::new(),
                });
                self.billing = billing;
                self.cycle_from = k;
            }
        }
        if let Some((plan, asked)) = self.pending_plan.take() {
            if plan != self.plan {
                lines.fixed.push(BillLine {
                    period: String::new(),
                    kind: "change",
                    description: format!(
                        "plan changes from {} to {} (asked {})",
                        table.plans[self.plan as usize].display,
                        table.plans[plan as usize].display,
                        format_instant(asked)
                    ),
                    quantity: None,
                    amount: None,
                    version: String::new(),
                });
                self.switch_plan(plan, start);
            }
        }
    }

    /// A subscription event in period `k`: a plan change (at the next cycle's start, or at once
    /// where the book says `plan changes at once prorated`), a billing change (at the next
    /// cycle's start) or a cancellation (at the end of the current period, `period_end`).
    pub(super) fn subscription_event(
        &mut self,
        e: &UsageEvent,
        k: u32,
        period_end: Instant,
        lines: &mut PeriodLines,
    ) -> Result<(), BillError> {
        match &e.usage {
            Usage::ChangePlan { plan } => {
                let at_once = self.table.subscription_rules().plan_changes
                    == Some(crate::model::PlanChangeRule::AtOnceProrated);
                if at_once {
                    self.change_plan_now(*plan, k, e.time, e.time, lines)?;
                } else {
                    self.pending_plan = Some((*plan, e.time));
                }
            }
            Usage::ChangeBilling { billing } => self.pending_billing = Some((*billing, e.time)),
            Usage::Cancel => {
                if let Some((end, _)) = self.ends {
                    let reason = format!(
                        "the subscription is already cancelled (it ends {})",
                        format_instant(end)
                    );
                    self.reject(e, Rejection::new(RejectionKind::OutsidePeriod, reason));
                    return Ok(());
                }
                self.ends = Some((period_end, e.time));
                lines.fixed.push(BillLine {
                    period: String::new(),
                    kind: "cancel",
                    description: format!(
                        "subscription cancelled {}: it ends {}, and packs expire with it",
                        format_instant(e.time),
                        format_instant(period_end)
                    ),
                    quantity: None,
                    amount: None,
                    version: String::new(),
                });
            }
            _ => {}
        }
        Ok(())
    }
}
