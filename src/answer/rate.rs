//! What a usage export totals: CSV or JSON Lines -> a [`RateAnswer`], whose JSON is what
//! `pricebook rate --format json` prints.

use super::error::AnswerError;
use crate::diagnostic::Code;
use crate::rate::batch::{
    GroupBy, RateOptions, RateReport, UsageInput, rate_input, write_csv, write_csv_on,
};
use crate::table::RatingTable;
use serde::Serialize;
use std::io::BufRead;

/// One group's total in one unit: `{"account": "acme-1", "amount": "200", "unit": "credit",
/// "events": 2}`, with `plan` or `product` in place of `account` when grouped by them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct RateTotal {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// An exact decimal, as text.
    pub amount: String,
    /// The group's events (all units).
    pub events: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    pub unit: String,
}

/// A line of the export and why it was not rated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct LineReason {
    /// The line number, from 1 (the CSV header is line 1).
    pub line: u64,
    pub reason: String,
    /// For a rejection, the line of the book's rule that made it, when it has one (a limit's
    /// line); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_line: Option<u32>,
}

/// The totals of a usage export, and the lines that were not rated: `bad_lines` (malformed, or
/// naming what the book does not have) and `rejected` (lines a rule refused).
#[derive(Serialize)]
#[non_exhaustive]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct RateAnswer {
    pub bad_lines: Vec<LineReason>,
    /// Usage lines read (the CSV header and blank lines aside): rated + bad + rejected.
    pub lines: u64,
    pub rated: u64,
    pub rejected: Vec<LineReason>,
    /// Sorted by group, then unit.
    pub totals: Vec<RateTotal>,
    /// With several price lists: the book a rejection's `rule_line` is in, by usage line.
    #[serde(skip)]
    pub rule_books: Vec<(u64, String)>,
    #[serde(skip)]
    report: RateReport,
    #[serde(skip)]
    by: GroupBy,
}

impl std::fmt::Debug for RateAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateAnswer")
            .field("totals", &self.totals)
            .field("rated", &self.rated)
            .field("lines", &self.lines)
            .field("bad_lines", &self.bad_lines)
            .field("rejected", &self.rejected)
            .finish()
    }
}

/// A rated export as `pricebook rate` uses it: the lines that were not rated, and the totals
/// kept compact, written as CSV as they are ([`write_csv`](Self::write_csv)): a million
/// accounts' totals are not turned into a million [`RateTotal`]s first.
/// [`into_answer`](Self::into_answer) gives the [`RateAnswer`].
#[non_exhaustive]
pub struct RatedExport {
    pub bad_lines: Vec<LineReason>,
    /// Usage lines read (the CSV header and blank lines aside): rated + bad + rejected.
    pub lines: u64,
    pub rated: u64,
    pub rejected: Vec<LineReason>,
    /// With several price lists: the book a rejection's `rule_line` is in, by usage line.
    pub rule_books: Vec<(u64, String)>,
    /// The totals: per group and unit, sorted by group, then unit.
    pub report: RateReport,
    pub by: GroupBy,
    /// Threads [`write_csv`](Self::write_csv) formats on: the rating's (0: one per core).
    pub threads: usize,
}

impl RatedExport {
    fn new(report: RateReport, by: GroupBy, threads: usize) -> RatedExport {
        let reasons = |v: &[(u64, String)], rules: &[(u64, u32)]| {
            v.iter()
                .map(|(line, reason)| LineReason {
                    line: *line,
                    reason: reason.clone(),
                    rule_line: rules
                        .binary_search_by_key(line, |r| r.0)
                        .ok()
                        .map(|i| rules[i].1),
                })
                .collect()
        };
        RatedExport {
            bad_lines: reasons(&report.bad, &[]),
            lines: report.lines,
            rated: report.rated,
            rejected: reasons(&report.rejected, &report.rule_lines),
            rule_books: report.rule_books.clone(),
            report,
            by,
            threads,
        }
    }

    /// Writes the totals as `pricebook rate` does by default: `<group>,amount,unit,events`.
    pub fn write_csv(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        write_csv_on(&self.report, self.by, out, self.threads)
    }

    /// The answer, every total as a [`RateTotal`].
    pub fn into_answer(self) -> RateAnswer {
        let by = self.by;
        let totals = self
            .report
            .totals
            .iter()
            .map(|t| {
                let named = |b: GroupBy| (by == b).then(|| t.group.to_string());
                RateTotal {
                    account: named(GroupBy::Account),
                    amount: t.amount.to_string(),
                    events: t.events,
                    plan: named(GroupBy::Plan),
                    product: named(GroupBy::Product),
                    unit: t.unit.to_string(),
                }
            })
            .collect();
        RateAnswer {
            bad_lines: self.bad_lines,
            lines: self.lines,
            rated: self.rated,
            rejected: self.rejected,
            rule_books: self.rule_books,
            totals,
            report: self.report,
            by,
        }
    }
}

impl RateAnswer {
    /// The totals as `pricebook rate` writes them by default: `<group>,amount,unit,events`.
    pub fn to_csv(&self) -> String {
        let mut out = Vec::new();
        // Writing to memory cannot fail.
        let _ = write_csv(&self.report, self.by, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Rates the usage export read from `input` (CSV with a header naming `account`, `plan`,
/// `product`, `quantity`, `unit` and the book's dimensions, or JSON Lines) with `table`,
/// totalled per `by`. `progress` draws a line count on standard error as it reads.
///
/// An export that cannot be read at all (empty, a CSV header with an unknown column) is an
/// error; a line that cannot be rated is reported in the answer, and the others are rated.
///
/// ```
/// use pricebook::answer::rate;
/// use pricebook::rate::batch::GroupBy;
/// let table = pricebook::open("pricebooks/hedra".as_ref(), None).expect("the bundled book").table;
/// let export = "account,plan,product,quantity\nacme,creator,hedra-avatar,90\nacme,creator,paint,1\n";
/// let a = rate(&table, &mut export.as_bytes(), GroupBy::Account, false).expect("rated");
/// assert_eq!((a.totals[0].amount.as_str(), a.totals[0].unit.as_str()), ("630", "credit"));
/// assert_eq!(a.bad_lines[0].line, 3);
/// ```
pub fn rate(
    table: &RatingTable,
    input: &mut dyn BufRead,
    by: GroupBy,
    progress: bool,
) -> Result<RateAnswer, AnswerError> {
    let report = rate_input(table, input, by, progress)
        .map_err(|m| AnswerError::invalid(Code::InvalidValue, m))?;
    Ok(RatedExport::new(report, by, 0).into_answer())
}

/// [`rate`] from a reader or a file (read by the rating threads themselves, in parallel), with
/// the number of threads and progress of `options`; the totals stay compact until
/// [`RatedExport::into_answer`].
pub fn rate_usage(
    table: &RatingTable,
    input: UsageInput<'_>,
    options: &RateOptions,
) -> Result<RatedExport, AnswerError> {
    let report = crate::rate::batch::rate_usage(table, input, options)
        .map_err(|m| AnswerError::invalid(Code::InvalidValue, m))?;
    Ok(RatedExport::new(report, options.by, options.threads))
}

/// [`rate`] on a vendor's several price lists at once (one table per list): each line is priced
/// by its list's book, the one its `list` names, else `list` (the default), else the one whose
/// book has the line's plan ([`crate::rate::lists::rate_lists`]).
pub fn rate_lists(
    tables: &[&RatingTable],
    list: Option<&str>,
    input: &mut dyn BufRead,
    by: GroupBy,
    progress: bool,
) -> Result<RateAnswer, AnswerError> {
    rate_lists_export(tables, list, input, by, progress).map(RatedExport::into_answer)
}

/// [`rate_lists`], the totals compact as [`rate_usage`] gives them.
pub fn rate_lists_export(
    tables: &[&RatingTable],
    list: Option<&str>,
    input: &mut dyn BufRead,
    by: GroupBy,
    progress: bool,
) -> Result<RatedExport, AnswerError> {
    let report = crate::rate::lists::rate_lists(tables, list, input, by, progress)
        .map_err(|m| AnswerError::invalid(Code::InvalidValue, m))?;
    Ok(RatedExport::new(report, by, 0))
}
