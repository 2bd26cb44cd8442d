//! Invoice runs: every account of an accounts file billed from one usage file, each exactly as
//! [`bill`](super::bill()) bills it alone (`pricebook bill --plan ... --format json` with the
//! account's options and its lines of the file).
//!
//! The billing engine holds one account's events in memory (it orders them by time, and a
//! period's grants and windows depend on all of them), so the run bounds memory per account:
//! one pass over the usage file sends each line to the shard file of its account
//! ([`shards`]), then the shards are billed in parallel, one per core at a time, each account's
//! lines read as [`bill`](super::bill()) reads a usage file. Memory is the accounts' summaries
//! plus, per core, one shard's lines (about the file's size / the number of shards, and never
//! less than its largest account's lines), whatever the file's size.
//!
//! Books are opened once per (contract, list, plan, versions in force) and shared by the
//! accounts' bills.

mod accounts;
mod output;
mod shards;

pub use accounts::{Account, parse_accounts, read_accounts};
pub use output::account_file_name;

use super::bill::{BillQuestion, WalletInput, bill_read_versions};
use super::error::{AnswerError, ErrorKind, parse_date};
use crate::base::date::Date;
use crate::bill::{Billing, RejectedEvent};
use crate::load::{OpenError, Opened};
use crate::usage::{PlainEvent, ReadUsage};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// An invoice run: the book (or a vendor's directory), the accounts, the usage file, and the
/// options every account shares (each account's row may set its own start, billing and list).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct InvoiceRun {
    /// A book, a compiled table, or a directory of one vendor's books.
    pub source: PathBuf,
    pub accounts: Vec<Account>,
    /// What the accounts are called in messages (`the accounts`, or the file: `` `accounts.csv` ``).
    pub accounts_name: String,
    /// JSON Lines or CSV; every line carries an `account` field or column.
    pub usage: PathBuf,
    /// Where to write `summary.csv`, `<account>.json` and `rejected.csv` (created when
    /// missing); nothing is written without it.
    pub output: Option<PathBuf>,
    /// `--from`: the first day of every account's bill that gives no `start`.
    pub from: Option<String>,
    /// `--periods`.
    pub periods: Option<u32>,
    /// `--billing`, for accounts that give none.
    pub billing: Billing,
    /// `--list`, for accounts that give none.
    pub list: Option<String>,
    /// `--at`: with a directory, the version in force on this day for every account.
    pub at: Option<String>,
    /// `--align`: where every account's periods start (`None`: where its book says, else on
    /// its start day).
    pub align: Option<crate::bill::PeriodAlign>,
    /// Draw progress on standard error.
    pub progress: bool,
    /// Threads billing accounts (0: one per core).
    pub threads: usize,
}

impl InvoiceRun {
    /// A run of `accounts` over `usage` with `source`, nothing written, on every core.
    pub fn new(
        source: impl Into<PathBuf>,
        accounts: Vec<Account>,
        usage: impl Into<PathBuf>,
    ) -> InvoiceRun {
        InvoiceRun {
            source: source.into(),
            accounts,
            accounts_name: "the accounts".into(),
            usage: usage.into(),
            output: None,
            from: None,
            periods: None,
            billing: Billing::Monthly,
            list: None,
            at: None,
            align: None,
            progress: false,
            threads: 0,
        }
    }
}

/// A usage line billed to no account: its account is missing, not in the accounts file, or the
/// line cannot be read far enough to tell it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct UnassignedLine {
    pub line: u64,
    /// The account as the line writes it (empty when it names none or cannot be read).
    pub account: String,
    pub reason: String,
}

/// One account's outcome: a row of `summary.csv`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AccountSummary {
    pub account: String,
    /// The plan as the accounts file gives it.
    pub plan: Option<String>,
    /// The bill's total (`130.00`); `None` when the account could not be billed.
    pub total: Option<String>,
    pub currency: Option<String>,
    /// Usage lines for the account.
    pub lines: u64,
    /// Lines not billed that are not bad lines: the rules' rejections (and, for an account that
    /// could not be billed, all its lines).
    pub rejected: u64,
    /// Bad lines of the account (malformed, or naming what its book does not have).
    pub bad_lines: u64,
    /// Lines billed: `lines - rejected - bad_lines`.
    pub billed: u64,
    /// With an output directory: the bill's file in it.
    pub file: Option<String>,
    /// Why the account could not be billed (its bill alone would fail the same way).
    pub error: Option<AnswerError>,
    /// The bill's total as a number, for the run's totals.
    amount: Option<Decimal>,
}

/// What an invoice run did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunReport {
    /// Every account, in the accounts file's order.
    pub accounts: Vec<AccountSummary>,
    /// Usage lines read (blank lines and the CSV header aside): `billed + rejected + bad_lines`.
    pub lines: u64,
    pub billed: u64,
    /// Lines not billed by a rule (or of an account that could not be billed).
    pub rejected: u64,
    /// Bad lines: the accounts' and the run's own (`unassigned`).
    pub bad_lines: u64,
    /// Lines billed to no account, in file order.
    pub unassigned: Vec<UnassignedLine>,
    /// The sum of the accounts' totals, per currency.
    pub totals: Vec<(String, Decimal)>,
    /// Accounts that could not be billed.
    pub errors: usize,
}

impl RunReport {
    /// The summary as JSON: `{"accounts": [{"account", "plan", "total", "currency", "lines",
    /// "rejected", "bad_lines", "billed", "file"?, "error"?}], "lines", "billed", "rejected",
    /// "bad_lines", "unassigned": [{"line", "account", "reason"}], "totals": [{"amount",
    /// "currency"}]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let accounts: Vec<serde_json::Value> = self
            .accounts
            .iter()
            .map(|a| {
                let mut v = serde_json::json!({
                    "account": a.account,
                    "plan": a.plan,
                    "total": a.total,
                    "currency": a.currency,
                    "lines": a.lines,
                    "rejected": a.rejected,
                    "bad_lines": a.bad_lines,
                    "billed": a.billed,
                });
                if let Some(o) = v.as_object_mut() {
                    if let Some(f) = &a.file {
                        o.insert("file".into(), f.clone().into());
                    }
                    if let Some(e) = &a.error {
                        o.insert("error".into(), e.to_json()["error"].clone());
                    }
                }
                v
            })
            .collect();
        serde_json::json!({
            "accounts": accounts,
            "lines": self.lines,
            "billed": self.billed,
            "rejected": self.rejected,
            "bad_lines": self.bad_lines,
            "unassigned": self.unassigned,
            "totals": self.totals.iter().map(|(c, a)| serde_json::json!({"amount": a.to_string(), "currency": c})).collect::<Vec<_>>(),
        })
    }
}

/// The books the run's accounts are billed with, each opened once: a bill asks for the book in
/// force on its first day, and every day with the same versions in force gets the same book.
struct RunBooks<'r> {
    run: &'r InvoiceRun,
    at: Option<Date>,
    /// The source is a vendor's directory (asked of the file system once, not per account).
    is_dir: bool,
    /// The vendor's effective dates, oldest first (a directory), so a day maps to how many
    /// versions are in force on it.
    effective: Vec<Date>,
    opened: Mutex<HashMap<BookKey, Arc<Opened>>>,
}

/// (contract, list, plan, versions in force): what decides the book a bill opens.
type BookKey = (
    Option<PathBuf>,
    Option<String>,
    Option<String>,
    Option<usize>,
);

fn open_error(e: &OpenError) -> AnswerError {
    let kind = if e.code() == "command-line" {
        ErrorKind::BadRequest
    } else {
        ErrorKind::Invalid
    };
    let err = AnswerError::new(kind, e.code(), e.message());
    match e.help() {
        Some(h) => err.with_help(h),
        None => err,
    }
}

impl<'r> RunBooks<'r> {
    /// Reads the versions of a directory, or opens a single book once, so a source that cannot
    /// be opened fails the run before any account is billed.
    fn new(run: &'r InvoiceRun, at: Option<Date>) -> Result<RunBooks<'r>, AnswerError> {
        let mut books = RunBooks {
            run,
            at,
            is_dir: run.source.is_dir(),
            effective: Vec::new(),
            opened: Mutex::new(HashMap::new()),
        };
        if books.is_dir {
            let versions = crate::load::versions(&run.source).map_err(|e| open_error(&e))?;
            books.effective = versions.iter().map(|v| v.effective).collect();
            books.effective.dedup();
        } else if run.accounts.iter().any(|a| a.contract.is_none()) {
            let opened = crate::load::open_for_bill(&run.source, None, at, None, None, None)
                .map_err(|e| open_error(&e))?;
            books
                .opened
                .lock()
                .map_err(|_| poisoned())?
                .insert((None, None, None, None), Arc::new(opened));
        }
        Ok(books)
    }

    /// The book `account`'s bill opens for its first day `day`: `pricebook bill`'s
    /// [`open_for_bill`](crate::load::open_for_bill), once per key.
    fn open(&self, account: &Account, day: Option<Date>) -> Result<Arc<Opened>, AnswerError> {
        let list = account.list.clone().or_else(|| self.run.list.clone());
        let key: BookKey = if account.contract.is_none() && !self.is_dir {
            (None, None, None, None)
        } else {
            let in_force = day.map(|d| self.effective.iter().filter(|e| **e <= d).count());
            (
                account.contract.clone(),
                list.clone(),
                account.plan.clone(),
                in_force,
            )
        };
        if let Some(o) = self.opened.lock().map_err(|_| poisoned())?.get(&key) {
            return Ok(o.clone());
        }
        let opened = crate::load::open_for_bill(
            &self.run.source,
            day,
            self.at,
            account.contract.as_deref(),
            list.as_deref(),
            account.plan.as_deref(),
        )
        .map_err(|e| open_error(&e))?;
        let opened = Arc::new(opened);
        self.opened
            .lock()
            .map_err(|_| poisoned())?
            .insert(key, opened.clone());
        Ok(opened)
    }
}

impl RunBooks<'_> {
    /// The version of `account`'s price list that takes effect next after `after`, if any (a
    /// directory's later version; none for a single book or a contract).
    fn next(&self, account: &Account, after: Date) -> Result<Option<Arc<Opened>>, AnswerError> {
        if account.contract.is_some() || !self.is_dir {
            return Ok(None);
        }
        // The dates are every list's: the first on which the account's list has a later
        // version is the one.
        for day in self.effective.iter().filter(|d| **d > after) {
            let opened = self.open(account, Some(*day))?;
            if opened.effective().is_some_and(|e| e > after) {
                return Ok(Some(opened));
            }
        }
        Ok(None)
    }
}

fn poisoned() -> AnswerError {
    AnswerError::new(
        ErrorKind::Unavailable,
        "internal",
        "a billing thread failed; run again",
    )
}

/// One account billed: its summary row, and its rows of `rejected.csv` as (line, row).
struct Billed {
    summary: AccountSummary,
    rejected: Vec<(u64, String)>,
}

/// Bills one account's lines (`lines`: (number, what the shard kept), in file order) as
/// `pricebook bill` would bill a usage file holding just them, and writes its JSON when the run
/// has an output.
fn bill_account(
    run: &InvoiceRun,
    books: &RunBooks<'_>,
    reader: &crate::usage::EventReader,
    account: &Account,
    lines: &[(u64, shards::Body<'_>)],
) -> Billed {
    let (raw, bad) = read_lines(reader, lines);
    let mut summary = AccountSummary {
        account: account.account.clone(),
        plan: account.plan.clone(),
        total: None,
        currency: None,
        lines: lines.len() as u64,
        rejected: 0,
        bad_lines: 0,
        billed: 0,
        file: None,
        error: None,
        amount: None,
    };
    let answer = wallet_of(account).and_then(|wallet| {
        let question = BillQuestion {
            plan: account.plan.clone(),
            from: account.start.clone().or_else(|| run.from.clone()),
            periods: run.periods,
            billing: Some(account.billing.unwrap_or(run.billing)),
            wallet,
            auto_recharge: account.auto_recharge.clone(),
            at: run.at.clone(),
            align: run.align,
            ..BillQuestion::default()
        };
        bill_read_versions(
            &question,
            raw,
            bad,
            |day, _at| books.open(account, day),
            |after| books.next(account, after),
        )
    });
    let answer = answer.and_then(|a| {
        if let Some(dir) = &run.output {
            let name = account_file_name(&account.account);
            let path = dir.join(&name);
            let text = serde_json::to_string_pretty(&a.to_json()).unwrap_or_default() + "\n";
            std::fs::write(&path, text).map_err(|e| {
                AnswerError::new(
                    ErrorKind::Invalid,
                    "io-error",
                    format!("cannot write `{}`: {e}", path.display()),
                )
            })?;
            summary.file = Some(name);
        }
        Ok(a)
    });
    match answer {
        Ok(a) => {
            let bad_lines = a.bad_lines as u64;
            let not_billed = a.rejected.len() as u64;
            summary.bad_lines = bad_lines;
            summary.rejected = not_billed.saturating_sub(bad_lines);
            summary.billed = summary.lines.saturating_sub(not_billed);
            summary.total = Some(a.total.amount.clone());
            summary.currency = Some(a.total.currency.clone());
            summary.amount = Some(a.bill().total);
            let rejected = if run.output.is_some() {
                a.rejected
                    .iter()
                    .map(|r| (r.line, output::rejected_row(&account.account, r)))
                    .collect()
            } else {
                Vec::new()
            };
            Billed { summary, rejected }
        }
        Err(e) => {
            summary.rejected = summary.lines;
            let rejected = if run.output.is_some() {
                let reason = format!("the account was not billed: {e}");
                lines
                    .iter()
                    .map(|(n, _)| {
                        let r = RejectedEvent {
                            line: *n,
                            time: None,
                            product: None,
                            reason: reason.clone(),
                            kind: "account-error",
                            rejection: None,
                            rule_line: None,
                        };
                        (*n, output::rejected_row(&account.account, &r))
                    })
                    .collect()
            } else {
                Vec::new()
            };
            summary.error = Some(e);
            Billed { summary, rejected }
        }
    }
}

/// An account's lines read as [`ReadUsage::read`] reads them, those the shard kept read taken
/// as they are.
fn read_lines<'l>(
    reader: &crate::usage::EventReader,
    lines: &[(u64, shards::Body<'l>)],
) -> (ReadUsage<'l>, Vec<RejectedEvent>) {
    use shards::Body;
    if !reader.is_plain() {
        let text = lines.iter().map(|(n, body)| match body {
            Body::Line(text) => (*n, *text),
            // Only a plain file's lines are kept read.
            Body::Plain { .. } => (*n, ""),
        });
        return ReadUsage::read(reader, text);
    }
    let mut events = Vec::with_capacity(lines.len());
    let mut bad = Vec::new();
    for (n, body) in lines {
        let read = match body {
            Body::Plain {
                time,
                product,
                quantity,
                unit,
            } => Some(Ok(PlainEvent::borrowed(
                *n,
                *time,
                [product, quantity, unit],
            ))),
            Body::Line(text) => reader.read_plain(*n, text),
        };
        match read {
            Some(Ok(e)) => events.push(e),
            Some(Err(b)) => bad.push(b),
            None => {}
        }
    }
    (ReadUsage::Plain(events), bad)
}

/// The account's wallet file, as the text `--wallet` reads.
fn wallet_of(account: &Account) -> Result<Option<WalletInput>, AnswerError> {
    match &account.wallet {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                AnswerError::new(
                    ErrorKind::Invalid,
                    "io-error",
                    format!("cannot read the wallet `{}`: {e}", path.display()),
                )
                .with_field("wallet")
            })?;
            Ok(Some(WalletInput::String(text)))
        }
        None => Ok(None),
    }
}

/// How many shards a usage file of `bytes` is cut into: a few per thread, so threads stay busy,
/// and enough that one holds about 2 MiB. Billing reads a shard's lines account by account, out
/// of file order: a shard, its records and the other thread's together then fit the last-level
/// cache (8 MiB here), where 16 MiB shards missed it on every line (a twentieth of the 10M run,
/// and 95 MiB more memory).
fn shard_count(bytes: u64, threads: usize) -> usize {
    let by_size = usize::try_from(bytes / (2 << 20)).unwrap_or(usize::MAX);
    by_size.saturating_add(1).max(threads * 4).min(512)
}

/// Runs an invoice run: reads the usage file once into shards by account, bills every account
/// on every core, and (with an output directory) writes `summary.csv`, one `<account>.json` per
/// account (its [`account_file_name`]) and `rejected.csv`. Each account's bill is the one
/// [`bill`](super::bill()) gives for its lines alone, line numbers being the usage file's.
///
/// An error is a run that cannot start (a book that does not open, a usage file without an
/// `account` column, a bad date); an account that cannot be billed is reported in its summary
/// row, and its lines are not billed.
///
/// ```
/// use pricebook::answer::{InvoiceRun, invoice_run, read_accounts};
/// let accounts = read_accounts("tests/bills/run/accounts.csv".as_ref()).expect("the accounts");
/// let run = InvoiceRun::new(
///     "pricebooks/hedra/2026-06.pricebook",
///     accounts,
///     "tests/bills/run/usage.csv",
/// );
/// let report = invoice_run(&run).expect("a run");
/// assert_eq!(report.accounts[0].account, "ada");
/// assert_eq!(report.accounts[0].total.as_deref(), Some("130.00"));
/// // Every usage line is billed, rejected or bad.
/// assert_eq!(report.billed + report.rejected + report.bad_lines, report.lines);
/// assert_eq!(report.unassigned[0].reason, "account `zed` is not in the accounts");
/// ```
pub fn invoice_run(run: &InvoiceRun) -> Result<RunReport, AnswerError> {
    if let Some(from) = &run.from {
        parse_date("from", from)?;
    }
    let at = run.at.as_deref().map(|d| parse_date("at", d)).transpose()?;
    let mut index = crate::rate::name_map::NameMap::new();
    for (i, a) in run.accounts.iter().enumerate() {
        let i = u32::try_from(i)
            .map_err(|_| AnswerError::bad_request("more than 4 billion accounts"))?;
        if index.get(a.account.as_bytes()).is_some() {
            return Err(AnswerError::bad_request(format!(
                "account `{}` is listed twice",
                a.account
            )));
        }
        index.insert(a.account.as_bytes(), i);
    }
    let books = RunBooks::new(run, at)?;
    let threads = match run.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let bytes = std::fs::metadata(&run.usage).map(|m| m.len()).unwrap_or(0);
    let shards = shard_count(bytes, threads);
    let write_error = |path: &Path, e: std::io::Error| {
        AnswerError::new(
            ErrorKind::Invalid,
            "io-error",
            format!("cannot write `{}`: {e}", path.display()),
        )
    };
    if let Some(dir) = &run.output {
        std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
    }
    let scratch_parent = run.output.clone().unwrap_or_else(std::env::temp_dir);
    let scratch =
        shards::Scratch::new(&scratch_parent).map_err(|e| write_error(&scratch_parent, e))?;
    let routing = shards::Routing {
        index: &index,
        accounts_name: &run.accounts_name,
    };
    let partition = shards::partition(
        &run.usage,
        &routing,
        &scratch,
        shards,
        run.progress,
        threads,
    )?;

    // Bill the shards, a thread taking the next one when it is done.
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Vec<Result<Vec<(usize, AccountSummary)>, AnswerError>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads.min(shards))
                .map(|_| {
                    scope.spawn(|| -> Result<Vec<(usize, AccountSummary)>, AnswerError> {
                        let mut out = Vec::new();
                        loop {
                            let k = next.fetch_add(1, Ordering::Relaxed);
                            if k >= shards {
                                return Ok(out);
                            }
                            bill_shard(run, &books, &partition, &scratch, shards, k, &mut out)?;
                            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                            if run.progress {
                                let _ = write!(
                                    std::io::stderr().lock(),
                                    "\rinvoice run: {n} of {shards} shards billed"
                                );
                            }
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(poisoned())))
                .collect()
        });
    if run.progress {
        let _ = writeln!(std::io::stderr().lock());
    }
    let mut slots: Vec<Option<AccountSummary>> = vec![None; run.accounts.len()];
    for r in results {
        for (i, s) in r? {
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(s);
            }
        }
    }
    let accounts: Vec<AccountSummary> = slots.into_iter().flatten().collect();
    let mut report = RunReport {
        lines: partition.lines,
        billed: accounts.iter().map(|a| a.billed).sum(),
        rejected: accounts.iter().map(|a| a.rejected).sum(),
        bad_lines: accounts.iter().map(|a| a.bad_lines).sum::<u64>()
            + partition.unassigned.len() as u64,
        unassigned: partition.unassigned,
        totals: Vec::new(),
        errors: accounts.iter().filter(|a| a.error.is_some()).count(),
        accounts,
    };
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    for a in &report.accounts {
        if let (Some(c), Some(amount)) = (&a.currency, a.amount) {
            let t = totals.entry(c.clone()).or_default();
            *t = crate::base::money::add_exact(*t, amount).ok_or_else(|| {
                AnswerError::invalid(
                    crate::diagnostic::Code::NumberRange,
                    "the run's total is too large to compute exactly",
                )
            })?;
        }
    }
    report.totals = totals.into_iter().collect();
    if let Some(dir) = &run.output {
        let path = dir.join("summary.csv");
        let mut text = String::from(output::SUMMARY_HEADER);
        text.push('\n');
        for a in &report.accounts {
            text.push_str(&output::summary_row(a));
            text.push('\n');
        }
        std::fs::write(&path, text).map_err(|e| write_error(&path, e))?;
        let path = dir.join("rejected.csv");
        let pieces: Vec<PathBuf> = (0..shards).map(|k| scratch.rejected(k)).collect();
        output::write_rejected(&path, &report.unassigned, &pieces)
            .map_err(|e| write_error(&path, e))?;
    }
    Ok(report)
}

/// Bills shard `k`: every account `i` with `i % shards == k`, those without lines too.
fn bill_shard(
    run: &InvoiceRun,
    books: &RunBooks<'_>,
    partition: &shards::Partition,
    scratch: &shards::Scratch,
    shards: usize,
    k: usize,
    out: &mut Vec<(usize, AccountSummary)>,
) -> Result<(), AnswerError> {
    let path = scratch.shard(k);
    let bytes = std::fs::read(&path).map_err(|e| {
        AnswerError::new(
            ErrorKind::Invalid,
            "io-error",
            format!("cannot read `{}`: {e}", path.display()),
        )
    })?;
    let records = shards::records(&bytes);
    let mut rejected: Vec<(u64, String)> = Vec::new();
    let mut at = 0usize;
    let mut lines: Vec<(u64, shards::Body<'_>)> = Vec::new();
    // The routing pass read each line's account; billing does not read it again.
    let reader = partition.reader.clone().without_account();
    for i in (k..run.accounts.len()).step_by(shards) {
        lines.clear();
        while let Some(r) = records.get(at).filter(|r| r.account as usize == i) {
            // A torn record (never written so) reads as an empty line: a bad line.
            let body = shards::body(&bytes, r).unwrap_or(shards::Body::Line(""));
            lines.push((partition.line_number(r.line), body));
            at += 1;
        }
        let Some(account) = run.accounts.get(i) else {
            continue;
        };
        let billed = bill_account(run, books, &reader, account, &lines);
        rejected.extend(billed.rejected);
        out.push((i, billed.summary));
    }
    drop(records);
    drop(bytes);
    let _ = std::fs::remove_file(&path);
    if run.output.is_some() {
        rejected.sort_by_key(|(line, _)| *line);
        let path = scratch.rejected(k);
        let mut text = String::new();
        for (_, row) in rejected {
            text.push_str(&row);
            text.push('\n');
        }
        std::fs::write(&path, text).map_err(|e| {
            AnswerError::new(
                ErrorKind::Invalid,
                "io-error",
                format!("cannot write `{}`: {e}", path.display()),
            )
        })?;
    }
    Ok(())
}
