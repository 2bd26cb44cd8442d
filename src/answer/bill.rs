//! What an account's usage bills: a [`BillQuestion`] -> a [`BillAnswer`], whose JSON is what
//! `pricebook bill --format json` prints.
//!
//! The usage is read in two steps (see [`crate::usage`]): first every event's time, so a
//! vendor's versions can give the one in force on the bill's first day, then names, quantities
//! and dimension values against that version's table.

use super::error::{AnswerError, plan_or_only};
use super::parse_date;
use crate::base::date::Date;
use crate::bill::{
    AllowanceReport, Bill, BillLine, BillRequest, Billing, GrantReport, LedgerEntry, Moves,
    PeriodAlign, RechargeSettings, RejectedEvent, VersionRef, VersionUsage, WalletState,
};
use crate::diagnostic::Code;
use crate::load::Opened;
use crate::table::RatingTable;
use crate::usage::{ReadUsage, TimedEvent, read_events, read_wallet, resolve_in_versions};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;

/// An account's usage: a usage file's text (JSON Lines, or CSV
/// `time,product,quantity[,unit][,buy][,<dimension>...]`), or a list of events as JSON Lines
/// write them (`{"time", "product" | "buy", "quantity", "unit"?, "dims"?}`). A listed event's
/// line number (in `rejected`) is its place in the list, from 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum UsageInput {
    Text(String),
    Events(Vec<serde_json::Value>),
}

impl Default for UsageInput {
    fn default() -> UsageInput {
        UsageInput::Events(Vec::new())
    }
}

/// An earlier bill's closing wallet, so carried-over credits continue: the bill's JSON or its
/// `closing_wallet`, as a JSON value or as the text of one.
pub type WalletInput = serde_json::Value;

/// One account's usage over whole billing periods: `{"book"?, "at"?, "plan"?, "usage",
/// "from"?, "periods"?, "billing"?, "wallet"?, "auto_recharge"?, "contract"?}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct BillQuestion {
    /// The served book to bill with: `hedra`, or `hedra/<list>`; may be left out when one is
    /// served.
    #[serde(default)]
    pub book: Option<String>,
    /// With several versions: the one in force on this day (default: the bill's first day).
    #[serde(default)]
    pub at: Option<String>,
    /// Plan slug or display name; may be left out when the book has one plan.
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "serve", schema(schema_with = super::question::usage_schema))]
    pub usage: UsageInput,
    /// First day of the first period (default: the first event's month).
    #[serde(default)]
    pub from: Option<String>,
    /// Number of periods (default: through the last event).
    #[serde(default)]
    pub periods: Option<u32>,
    /// `monthly` (default) or `annual`.
    #[serde(default)]
    pub billing: Option<Billing>,
    #[serde(default)]
    #[cfg_attr(feature = "serve", schema(value_type = Option<Object>))]
    pub wallet: Option<WalletInput>,
    /// `below=1000,to=5000,cap=200`: the account's auto-recharge settings.
    #[serde(default)]
    pub auto_recharge: Option<String>,
    /// Enterprise terms (the text of a `contract ...` book) layered on the public book for this
    /// bill only. Confidential: send them over TLS, to a service behind a token.
    #[serde(default)]
    pub contract: Option<String>,
    /// Explain every charge: the bill's `ledger` lists each usage event and the grants that
    /// paid it.
    #[serde(default)]
    pub explain: bool,
    /// An invoice preview: bill only what happened by this instant (RFC 3339, or a date for
    /// its midnight UTC).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Where periods start: `anniversary` (default: on `from`'s day each month) or `calendar`
    /// (on the 1st, after a first partial period).
    #[serde(default)]
    pub align: Option<PeriodAlign>,
}

/// A bill's total: `{"amount": "25.00", "currency": "USD"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct BillTotal {
    pub amount: String,
    pub currency: String,
}

/// A bill: its invoice lines, each grant's account, the events not billed and the wallet that
/// carries over; the JSON of `pricebook bill --format json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct BillAnswer {
    /// What the plan's allowances covered, per allowance and period.
    pub allowances: Vec<AllowanceReport>,
    pub closing_wallet: WalletState,
    pub lines: Vec<BillLine>,
    /// Events not billed: rules' rejections and bad lines, by line.
    pub rejected: Vec<RejectedEvent>,
    pub total: BillTotal,
    /// The book versions that priced the bill.
    pub versions: Vec<VersionRef>,
    pub wallet: Vec<GrantReport>,
    /// With `explain`: each usage event, its charge, and the grants that paid it, in the order
    /// events were billed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger: Option<Vec<LedgerEntry>>,
    /// How many of `rejected` are bad lines (malformed, or naming what the book does not
    /// have): `pricebook bill` exits 1 when there are any.
    #[serde(skip)]
    pub bad_lines: usize,
    #[serde(skip)]
    bill: Bill,
}

impl BillAnswer {
    fn new(bill: Bill, bad_lines: usize) -> BillAnswer {
        BillAnswer {
            allowances: bill.allowances.clone(),
            closing_wallet: bill.closing.clone(),
            lines: bill.lines.clone(),
            rejected: bill.rejected.clone(),
            total: BillTotal {
                amount: bill.total.to_string(),
                currency: bill.currency.clone(),
            },
            versions: bill.versions.clone(),
            wallet: bill.wallet.clone(),
            ledger: bill.explained.then(|| bill.ledger.clone()),
            bad_lines,
            bill,
        }
    }

    /// The bill as the engine computed it.
    pub fn bill(&self) -> &Bill {
        &self.bill
    }

    /// The JSON, with every object's keys in order (as the command prints it).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// A wallet from a bill's JSON, its `closing_wallet`, or the text of either.
fn wallet_state(v: &WalletInput) -> Result<WalletState, String> {
    match v {
        serde_json::Value::String(text) => read_wallet(text),
        other => {
            let state = other.get("closing_wallet").unwrap_or(other);
            serde_json::from_value(state.clone())
                .map_err(|e| format!("not a wallet (a bill's JSON, or its `closing_wallet`): {e}"))
        }
    }
}

/// The usage as a usage file's text (listed events become JSON Lines, one per event).
fn usage_text(usage: &UsageInput) -> Result<std::borrow::Cow<'_, str>, AnswerError> {
    match usage {
        UsageInput::Text(t) => Ok(t.as_str().into()),
        UsageInput::Events(events) => {
            let mut text = String::new();
            for (i, e) in events.iter().enumerate() {
                if !e.is_object() {
                    return Err(AnswerError::bad_request(format!(
                        "usage: event {} is not an object ({{\"time\", \"product\", \"quantity\", ...}})",
                        i + 1
                    ))
                    .with_field("usage"));
                }
                text.push_str(&e.to_string());
                text.push('\n');
            }
            Ok(text.into())
        }
    }
}

/// Bills `question`'s usage with the book `open` gives: `open(day, at)` is asked for the book
/// in force on `day` (the question's `at`, else its `from`, else its first event's month), and
/// `at` is the question's own date, on which a single book given must be in force. The
/// question's `book` and `contract` are for `open` to read ([`Books::bill`](super::Books::bill)
/// picks the book and layers the contract); they are not read here.
///
/// ```
/// use pricebook::answer::{BillQuestion, bill};
/// let q: BillQuestion = serde_json::from_value(serde_json::json!({
///     "plan": "creator",
///     "usage": [{"time": "2026-07-10T10:00:00Z", "product": "hedra-avatar", "quantity": "90 second"}],
/// })).expect("a question");
/// let a = bill(&q, |day, _at| {
///     Ok::<_, pricebook::answer::AnswerError>(
///         pricebook::open("pricebooks/hedra".as_ref(), day).expect("a version in force"),
///     )
/// })
/// .expect("a bill");
/// assert_eq!(a.versions[0].version, "2026-06");
/// assert_eq!(a.wallet[0].consumed.to_string(), "630");
/// ```
pub fn bill<O: Borrow<Opened>, E: From<AnswerError>>(
    question: &BillQuestion,
    open: impl FnOnce(Option<Date>, Option<Date>) -> Result<O, E>,
) -> Result<BillAnswer, E> {
    let text = usage_text(&question.usage)?;
    let (raw, bad) = read_events(&text);
    bill_read(question, raw, bad, open)
}

/// [`bill`] for usage already read (the question's `usage` is not looked at): `raw` are the
/// usage file's events with their times and `bad` its lines that did not read, as
/// [`read_events`] gives them. An invoice run reads each account's lines out of one file this
/// way, so its bills are this function's, line numbers included.
pub(crate) fn bill_read<O: Borrow<Opened>, E: From<AnswerError>>(
    question: &BillQuestion,
    raw: Vec<TimedEvent>,
    bad: Vec<RejectedEvent>,
    open: impl FnOnce(Option<Date>, Option<Date>) -> Result<O, E>,
) -> Result<BillAnswer, E> {
    bill_read_versions(question, ReadUsage::Timed(raw), bad, open, |_| Ok(None))
}

/// [`bill`] with the vendor's later versions: `later(day)` gives the version of the same price
/// list that takes effect next after `day`, if any. The bill starts on the version `open`
/// gives; each later version that takes effect before the bill ends prices the account from
/// then ([`crate::bill::bill_tables`]), with the usage read against each.
pub fn bill_versions<O: Borrow<Opened>, E: From<AnswerError>>(
    question: &BillQuestion,
    open: impl FnOnce(Option<Date>, Option<Date>) -> Result<O, E>,
    later: impl FnMut(Date) -> Result<Option<O>, E>,
) -> Result<BillAnswer, E> {
    let text = usage_text(&question.usage)?;
    let (raw, bad) = read_events(&text);
    bill_read_versions(question, ReadUsage::Timed(raw), bad, open, later)
}

/// [`bill_versions`] for usage already read (see [`bill_read`]).
pub(crate) fn bill_read_versions<O: Borrow<Opened>, E: From<AnswerError>>(
    question: &BillQuestion,
    raw: ReadUsage<'_>,
    mut bad: Vec<RejectedEvent>,
    open: impl FnOnce(Option<Date>, Option<Date>) -> Result<O, E>,
    mut later: impl FnMut(Date) -> Result<Option<O>, E>,
) -> Result<BillAnswer, E> {
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
    let first_month = raw.first_time().map(Date::month_of);
    // The version in force on the bill's first day: `at`, else `from`, else the first event's
    // month (docs/billing.md's rule until bills follow each event's own version).
    let day = at.or(from).or(first_month);
    let opened = open(day, at)?;
    let opened: &Opened = opened.borrow();
    let table = &opened.table;
    let plan = match plan_or_only(table, question.plan.as_deref())? {
        Some(p) => p,
        None => {
            return Err(AnswerError::invalid(
                Code::MissingStatement,
                "the book has 0 plans, and no plan was given",
            )
            .with_field("plan")
            .with_help("name one with `plan`: ")
            .with_cli_wording(
                "the book has 0 plans, and no --plan was given".into(),
                Some("name one with --plan: ".into()),
            )
            .into());
        }
    };
    // An event for another of the vendor's price lists is not this bill's (see `bill_lists`).
    let (raw, elsewhere) = raw.split_lists(table.list());
    let (events, attrs, unresolved) = raw.resolve(table);
    let billing = question.billing.unwrap_or(Billing::Monthly);
    let effective = opened.effective().unwrap_or(Date {
        year: 1970,
        month: 1,
        day: 1,
    });
    let effective_month = Date {
        day: 1,
        ..effective
    };
    // A single book is billed from its own first month at the earliest: events before it is in
    // force are rejected with that reason, not priced by a book that did not exist yet.
    let from = from.or_else(|| first_month.map(|m| m.max(effective_month)));
    let mut request = BillRequest::covering(
        plan,
        billing,
        from,
        question.periods,
        &events,
        effective_month,
    );
    // The request's alignment, else the book's `billing { periods ... }`, else anniversary.
    if let Some(align) = question.align.or_else(|| PeriodAlign::declared(table)) {
        request.align = align;
        if question.periods.is_none() {
            request.periods = request.periods_reaching(events.iter().map(|e| e.time).max());
        }
    }
    request.explain = question.explain;
    if let Some(t) = &question.as_of {
        let instant = crate::base::date::parse_instant(t)
            .or_else(|| Date::parse(t).map(Date::instant))
            .ok_or_else(|| {
                AnswerError::bad_request(format!("as_of: `{t}` is not an RFC 3339 time or a date"))
                    .with_field("as_of")
                    .with_cli_wording(
                        format!("--as-of: `{t}` is not an RFC 3339 time or a date"),
                        Some("write `--as-of 2026-06-15T12:00:00Z` or `--as-of 2026-06-15`".into()),
                    )
            })?;
        request.as_of = Some(instant);
    }
    if let Some(spec) = &question.auto_recharge {
        request.recharge = Some(RechargeSettings::parse(table, plan, spec).map_err(|m| {
            AnswerError::bad_request(format!("auto_recharge: {m}"))
                .with_field("auto_recharge")
                .with_cli_wording(format!("--auto-recharge: {m}"), None)
        })?);
    }
    if let Some(w) = &question.wallet {
        request.continues = true;
        request.opening = wallet_state(w)
            .map_err(|m| {
                AnswerError::invalid(Code::InvalidValue, format!("wallet: {m}"))
                    .with_field("wallet")
                    .with_cli_wording(m, None)
            })?
            .grants;
    }
    // The versions that take effect before the bill ends, each after the one before.
    let end = request.period_start(request.periods);
    let mut chain: Vec<O> = Vec::new();
    let mut after = effective;
    while let Some(next) = later(after)? {
        match next.borrow().effective() {
            Some(day) if day > after && day < end => {
                after = day;
                chain.push(next);
            }
            _ => break,
        }
    }
    let mut bill = if chain.is_empty() {
        bad.extend(unresolved);
        crate::bill::bill_attrs(table, &request, &events, &attrs)
    } else {
        let tables: Vec<&RatingTable> = std::iter::once(table)
            .chain(chain.iter().map(|o| &o.borrow().table))
            .collect();
        let (per_version, unread) = resolve_in_versions(&tables, &raw.timed());
        bad.extend(unread);
        let mut versions: Vec<VersionUsage<'_>> = Vec::with_capacity(tables.len());
        for (table, (events, attrs)) in tables.iter().zip(per_version) {
            versions.push(VersionUsage {
                table,
                // Each version says how existing subscribers move to it.
                moves: Moves::of(table).map_err(AnswerError::from)?,
                events,
                attrs,
            });
        }
        crate::bill::bill_tables(&versions, &request)
    }
    .map_err(AnswerError::from)?;
    let bad_lines = bad.len();
    bill.rejected.extend(bad);
    bill.rejected.extend(elsewhere.iter().map(|e| {
        RejectedEvent {
            line: e.line,
            time: Some(crate::base::date::format_instant(e.time)),
            product: [&e.fields.product, &e.fields.buy]
                .into_iter()
                .find(|p| !p.is_empty())
                .cloned(),
            reason: format!(
                "the event is for price list `{}`, but `{}` {} is list `{}`",
                e.fields.list,
                table.vendor(),
                table.version(),
                table.list()
            ),
            kind: "rule",
            rejection: Some("not-available"),
            rule_line: None,
        }
    }));
    bill.rejected.sort_by_key(|r| r.line);
    Ok(BillAnswer::new(bill, bad_lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed answer's JSON is the engine's `Bill::to_json`, key for key.
    #[test]
    fn the_answer_is_the_bills_json() {
        let q: BillQuestion = serde_json::from_value(serde_json::json!({
            "plan": "creator",
            "usage": "time,product,quantity\n2026-07-10T10:00:00Z,hedra-avatar,90 second\n2026-07-11T10:00:00Z,paint,1\n",
            "periods": 2,
        }))
        .expect("a question");
        let a = bill(&q, |day, _| {
            crate::load::open("pricebooks/hedra".as_ref(), day).map_err(|e| {
                AnswerError::new(super::super::ErrorKind::Unavailable, e.code(), e.message())
            })
        })
        .expect("a bill");
        assert_eq!(a.to_json(), a.bill().to_json());
        assert_eq!(a.bad_lines, 1);
        assert_eq!(a.rejected[0].line, 3);
    }

    #[test]
    fn listed_events_must_be_objects() {
        let q: BillQuestion =
            serde_json::from_value(serde_json::json!({"usage": [1]})).expect("a question");
        let e = bill(&q, |_, _| -> Result<Opened, AnswerError> {
            unreachable!("the usage is read first")
        })
        .expect_err("not an event");
        assert_eq!((e.code(), e.field()), ("bad-request", Some("usage")));
    }
}
