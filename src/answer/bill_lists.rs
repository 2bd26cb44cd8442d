//! One account with subscriptions on several of a vendor's price lists at once (construct 16,
//! "the channel of a usage"): seeds 001 and 002 say an API-key call bills the API price list and
//! an OAuth-token call bills the web plan, so one account's usage file holds events of both.
//!
//! Each usage event is billed on one subscription: the one of the list the event names
//! (`"list": "web"`, a `list` CSV column), else the default list, else the only subscription, else
//! the only subscription whose book has the event's product or pack. Each subscription is billed
//! as [`bill`] bills one plan (its own periods' fees, grants, wallet and rules) with its own
//! lines, over the same periods; the bill puts them together, every line naming its list. An
//! event naming a list the account has no subscription on is rejected with that reason.

use super::bill::{BillAnswer, BillQuestion, UsageInput, bill};
use super::error::AnswerError;
use super::parse_date;
use crate::base::date::{Date, format_instant};
use crate::base::names::same_key;
use crate::bill::{BillRequest, PeriodAlign, RejectedEvent};
use crate::diagnostic::Code;
use crate::load::Opened;
use crate::usage::{TimedEvent, read_events};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// A plan an account holds on one price list: `--plan web:creator`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub list: String,
    pub plan: String,
}

impl Subscription {
    /// `LIST:PLAN` (`web:creator`); `None` without a colon.
    pub fn parse(text: &str) -> Option<Subscription> {
        let (list, plan) = text.split_once(':')?;
        Some(Subscription {
            list: list.trim().to_string(),
            plan: plan.trim().to_string(),
        })
    }
}

/// The bill of an account on several price lists: each subscription's bill, and the events no
/// subscription took.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ListsBillAnswer {
    /// Each subscription with its bill, in the order given.
    pub bills: Vec<(Subscription, BillAnswer)>,
    /// Events billed on no subscription: a list the account does not hold (`rule`), or a line
    /// whose list cannot be told (`bad-line`).
    pub unrouted: Vec<RejectedEvent>,
    pub total: Decimal,
    pub currency: String,
    /// Bad lines in all (malformed, or naming what the books do not have).
    pub bad_lines: usize,
}

fn with_list(v: impl serde::Serialize, list: &str) -> Value {
    let mut v = serde_json::to_value(v).unwrap_or_default();
    if let Value::Object(o) = &mut v {
        o.insert("list".into(), Value::String(list.to_string()));
    }
    v
}

impl ListsBillAnswer {
    /// The JSON of `pricebook bill` on several lists: a single bill's fields, each line, grant,
    /// allowance, version and rejection with the `list` it is on, and `subscriptions`.
    pub fn to_json(&self) -> Value {
        let mut lines = Vec::new();
        let mut wallet = Vec::new();
        let mut allowances = Vec::new();
        let mut versions = Vec::new();
        let mut closing = Vec::new();
        let mut rejected: Vec<(u64, Value)> = Vec::new();
        let mut as_of = String::new();
        let mut ledger: Vec<(String, u64, Value)> = Vec::new();
        for (s, b) in &self.bills {
            if let Some(entries) = &b.ledger {
                ledger.extend(
                    entries
                        .iter()
                        .map(|e| (e.time.clone(), e.line, with_list(e, &s.list))),
                );
            }
            lines.extend(
                b.lines
                    .iter()
                    .map(|l| (l.period.clone(), with_list(l, &s.list))),
            );
            wallet.extend(b.wallet.iter().map(|g| with_list(g, &s.list)));
            allowances.extend(b.allowances.iter().map(|a| with_list(a, &s.list)));
            versions.extend(b.versions.iter().map(|v| with_list(v, &s.list)));
            closing.extend(
                b.closing_wallet
                    .grants
                    .iter()
                    .map(|g| with_list(g, &s.list)),
            );
            rejected.extend(b.rejected.iter().map(|r| (r.line, with_list(r, &s.list))));
            as_of.clone_from(&b.closing_wallet.as_of);
        }
        rejected.extend(self.unrouted.iter().map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let Value::Object(o) = &mut v {
                o.insert("list".into(), Value::Null);
            }
            (r.line, v)
        }));
        rejected.sort_by_key(|r| r.0);
        // Periods in order; within one, the subscriptions in the order given.
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        // With `explain`: every subscription's events in time order (then line), as billed.
        let explained = self.bills.iter().any(|(_, b)| b.ledger.is_some());
        ledger.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let mut out = json!({
            "versions": versions,
            "subscriptions": self.bills.iter().map(|(s, _)| json!({"list": s.list, "plan": s.plan})).collect::<Vec<_>>(),
            "total": {"amount": self.total.to_string(), "currency": self.currency},
            "lines": lines.into_iter().map(|l| l.1).collect::<Vec<_>>(),
            "wallet": wallet,
            "allowances": allowances,
            "rejected": rejected.into_iter().map(|r| r.1).collect::<Vec<_>>(),
            "closing_wallet": {"as_of": as_of, "grants": closing},
        });
        if let (true, Value::Object(o)) = (explained, &mut out) {
            o.insert(
                "ledger".into(),
                Value::Array(ledger.into_iter().map(|e| e.2).collect()),
            );
        }
        out
    }

    /// For people: each subscription's bill under its list and plan, the events no subscription
    /// took, and the total of all.
    pub fn to_human(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for (s, b) in &self.bills {
            let bill = b.bill();
            for v in &bill.versions {
                let file = v
                    .source
                    .as_deref()
                    .map_or(String::new(), |f| format!(", {f}"));
                let _ = writeln!(
                    out,
                    "list {}, plan {}: priced by {} {} (effective {}{file})\n",
                    s.list, s.plan, v.vendor, v.version, v.effective
                );
            }
            out.push_str(&bill.to_human());
            out.push('\n');
        }
        if !self.unrouted.is_empty() {
            let _ = writeln!(out, "not billed on any subscription");
            for r in &self.unrouted {
                let _ = writeln!(out, "  line {}: {} ({})", r.line, r.reason, r.kind);
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "total {} {} on {} price lists",
            self.total,
            self.currency,
            self.bills.len()
        );
        out
    }
}

fn unrouted(e: &TimedEvent, reason: String, kind: &'static str) -> RejectedEvent {
    RejectedEvent {
        line: e.line,
        time: Some(format_instant(e.time)),
        product: [&e.fields.product, &e.fields.buy]
            .into_iter()
            .find(|p| !p.is_empty())
            .cloned(),
        reason,
        kind,
        rejection: (kind == "rule").then_some("not-available"),
        rule_line: None,
    }
}

/// Bills `question`'s usage for an account holding `subscriptions`, one plan per price list.
/// `open(list, day, at)` gives the version of `list` in force on `day`, as [`bill`]'s `open`
/// does; `default_list` takes the events that name no list (`--list`). The question's `plan`,
/// `wallet` and `auto_recharge` are for one subscription and are refused here.
pub fn bill_lists<E: From<AnswerError>>(
    question: &BillQuestion,
    subscriptions: &[Subscription],
    default_list: Option<&str>,
    mut open: impl FnMut(&str, Option<Date>, Option<Date>) -> Result<Opened, E>,
) -> Result<ListsBillAnswer, E> {
    let refuse = |what: &str| -> AnswerError {
        AnswerError::bad_request(format!(
            "{what} is for one subscription; bill each price list on its own to use it"
        ))
    };
    if question.wallet.is_some() {
        return Err(refuse("a carried-over wallet").into());
    }
    if question.auto_recharge.is_some() {
        return Err(refuse("auto-recharge").into());
    }
    for (i, s) in subscriptions.iter().enumerate() {
        if subscriptions[..i]
            .iter()
            .any(|o| same_key(&o.list, &s.list))
        {
            return Err(AnswerError::bad_request(format!(
                "two plans on price list `{}`: an account holds one plan per list",
                s.list
            ))
            .into());
        }
    }
    let from = question
        .from
        .as_deref()
        .map(|d| parse_date("from", d))
        .transpose()?;
    let at = question
        .at
        .as_deref()
        .map(|d| parse_date("at", d))
        .transpose()?;
    let text = match &question.usage {
        UsageInput::Text(t) => t.clone(),
        UsageInput::Events(events) => events.iter().map(|e| format!("{e}\n")).collect::<String>(),
    };
    let (raw, bad) = read_events(&text);
    let first_month = raw.iter().map(|e| e.time).min().map(Date::month_of);
    let day = at.or(from).or(first_month);
    let mut opened = Vec::with_capacity(subscriptions.len());
    for s in subscriptions {
        opened.push(open(&s.list, day, at)?);
    }
    let held = |list: &str| subscriptions.iter().position(|s| same_key(&s.list, list));
    let names = subscriptions
        .iter()
        .map(|s| format!("{} ({})", s.list, s.plan))
        .collect::<Vec<_>>()
        .join(", ");
    let default = match default_list {
        Some(l) => Some(held(l).ok_or_else(|| {
            AnswerError::invalid(
                Code::UnknownReference,
                format!("the account has no subscription on price list `{l}` (it holds {names})"),
            )
        })?),
        None => None,
    };
    // Each event to one subscription.
    let mut routed: Vec<Vec<u64>> = vec![Vec::new(); subscriptions.len()];
    let mut rejected = Vec::new();
    for e in &raw {
        let f = &e.fields;
        let to = if !f.list.is_empty() {
            held(&f.list).ok_or_else(|| {
                (
                    format!(
                        "the account has no subscription on price list `{}` (it holds {names})",
                        f.list
                    ),
                    "rule",
                )
            })
        } else if let Some(d) = default {
            Ok(d)
        } else if subscriptions.len() == 1 {
            Ok(0)
        } else {
            let has = |o: &Opened| {
                if !f.buy.is_empty() {
                    o.table.find_pack(&f.buy).is_ok()
                } else {
                    !f.product.is_empty() && o.table.find_product(&f.product).is_ok()
                }
            };
            let with: Vec<usize> = (0..opened.len()).filter(|i| has(&opened[*i])).collect();
            match with.as_slice() {
                [one] => Ok(*one),
                [] => Err((
                    format!(
                        "the event names no price list, and none of the account's lists has it ({names}); add its `list`"
                    ),
                    "bad-line",
                )),
                several => Err((
                    format!(
                        "the event names no price list, and several of the account's lists have it ({}); add its `list`",
                        several
                            .iter()
                            .map(|i| subscriptions[*i].list.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "bad-line",
                )),
            }
        };
        match to {
            Ok(i) => routed[i].push(e.line),
            Err((reason, kind)) => rejected.push(unrouted(e, reason, kind)),
        }
    }
    // One set of periods for every subscription: from the first event's month through the last.
    let from = from.or(first_month);
    let last = raw.iter().map(|e| e.time).max();
    // Each list's periods start where the request says, else where its book says: as many as
    // reach the last event under either.
    let periods = question.periods.or_else(|| {
        from.map(|f| {
            opened
                .iter()
                .map(
                    |o| match question.align.or_else(|| PeriodAlign::declared(&o.table)) {
                        Some(align) => {
                            let mut r = BillRequest::new(0, f, 1);
                            r.align = align;
                            r.periods_reaching(last)
                        }
                        None => BillRequest::periods_through(f, last),
                    },
                )
                .max()
                .unwrap_or(1)
        })
    });
    let all: Vec<&str> = text.lines().collect();
    let header = all
        .iter()
        .position(|l| !l.trim().is_empty())
        .filter(|i| !all[*i].trim_start().starts_with('{'));
    let mut bills = Vec::with_capacity(subscriptions.len());
    let mut bad_lines = bad.len() + rejected.iter().filter(|r| r.kind == "bad-line").count();
    rejected.extend(bad);
    for ((s, lines), book) in subscriptions.iter().zip(&routed).zip(opened) {
        // The subscription's events, at their own line numbers (other lines left blank).
        let mut usage = String::with_capacity(text.len());
        for (i, l) in all.iter().enumerate() {
            if Some(i) == header || lines.binary_search(&(i as u64 + 1)).is_ok() {
                usage.push_str(l);
            }
            usage.push('\n');
        }
        let q = BillQuestion {
            plan: Some(s.plan.clone()),
            usage: UsageInput::Text(usage),
            from: from.map(|d| d.to_string()),
            periods,
            billing: question.billing,
            at: question.at.clone(),
            explain: question.explain,
            as_of: question.as_of.clone(),
            align: question.align,
            ..BillQuestion::default()
        };
        let b = bill(&q, |_, _| Ok::<_, E>(book))?;
        bad_lines += b.bad_lines;
        bills.push((s.clone(), b));
    }
    let currency = bills
        .first()
        .map_or(String::new(), |(_, b)| b.total.currency.clone());
    let mut total = Decimal::ZERO;
    for (s, b) in &bills {
        if b.total.currency != currency {
            return Err(AnswerError::invalid(
                Code::InvalidValue,
                format!(
                    "price list `{}` bills in {}, the others in {currency}: one bill has one currency",
                    s.list, b.total.currency
                ),
            )
            .into());
        }
        let amount = crate::base::money::parse_decimal(&b.total.amount).unwrap_or_default();
        total = crate::base::money::add_exact(total, amount).ok_or_else(|| {
            AnswerError::invalid(Code::NumberRange, "the bill's total is too large")
        })?;
    }
    rejected.sort_by_key(|r| r.line);
    Ok(ListsBillAnswer {
        bills,
        unrouted: rejected,
        total,
        currency,
        bad_lines,
    })
}
