//! `pricebook bill`: one account's usage file -> invoice, wallet ledger, closing wallet. The bill
//! itself is [`crate::answer::bill`]; this is its files, messages and exit status.

use super::load::{Loaded, load_with_contract, parse_date_arg, read_book};
use super::report::CliError;
use super::{Format, json_text, plural};
use crate::answer::{self, BillQuestion, UsageInput};
use crate::base::date::Date;
use crate::bill::Billing;
use crate::diagnostic::Code;
use crate::usage::read_wallet;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BillingArg {
    Monthly,
    Annual,
}

/// `--align`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub(crate) enum AlignArg {
    Anniversary,
    Calendar,
}

/// The `bill` command's arguments.
#[derive(clap::Args, Debug)]
pub(crate) struct BillArgs {
    /// A book, a compiled table, or a directory of one vendor's books.
    pub(super) source: PathBuf,
    /// The account's plan; on a vendor's directory of several price lists, `LIST:PLAN` once per
    /// list the account holds a plan on (`--plan web:creator --plan api:payg`).
    #[arg(long)]
    pub(super) plan: Vec<String>,
    /// Usage events: JSON Lines or CSV (`time,product,quantity[,unit][,buy][,<dimension>...]`).
    #[arg(long)]
    pub(super) usage: PathBuf,
    #[arg(long, value_enum, default_value_t = BillingArg::Monthly)]
    pub(super) billing: BillingArg,
    /// First day of the first period (default: the first event's month).
    #[arg(long)]
    pub(super) from: Option<String>,
    /// Number of monthly periods (default: through the last event).
    #[arg(long)]
    pub(super) periods: Option<u32>,
    /// Enterprise terms layered on the public book.
    #[arg(long)]
    pub(super) contract: Option<PathBuf>,
    /// An earlier bill's JSON (or its `closing_wallet`), so carried-over credits continue.
    #[arg(long)]
    pub(super) wallet: Option<PathBuf>,
    /// `below=1000,to=5000,cap=200`: the account's auto-recharge settings (plans that sell
    /// top-ups only).
    #[arg(long = "auto-recharge")]
    pub(super) auto_recharge: Option<String>,
    /// With a directory: the version in force on this date (default: the bill's first day).
    #[arg(long)]
    pub(super) at: Option<String>,
    /// With a directory holding several price lists: the list to bill on (default: the one
    /// whose version in force has `--plan`, or the contract's).
    #[arg(long)]
    pub(super) list: Option<String>,
    /// Explain every charge: each usage event, its charge, and the grants that paid it, how
    /// much each gave and what it had left (a `ledger` in JSON).
    #[arg(long)]
    explain: bool,
    /// An invoice preview: bill only what happened by this instant (RFC 3339, or a date).
    #[arg(long = "as-of")]
    as_of: Option<String>,
    /// Where periods start: on `--from`'s day each month (anniversary) or on the 1st (calendar,
    /// after a first partial period from `--from`). Default: where the book's `billing {
    /// periods ... }` says, else anniversary.
    #[arg(long, value_enum)]
    pub(super) align: Option<AlignArg>,
    /// An invoice run: the accounts to bill, a CSV with header `account,plan` and any of
    /// `start`, `billing`, `list`, `contract`, `auto_recharge`, `wallet`; each account is billed
    /// from its lines of `--usage` (every line has an `account`).
    #[arg(long)]
    pub(super) accounts: Option<PathBuf>,
    /// With --accounts: the directory to write `summary.csv`, one `<account>.json` per account
    /// and `rejected.csv` to.
    #[arg(short = 'o', long = "output")]
    pub(super) output: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
}

/// The book to bill with: a directory gives the version in force on `day`.
fn load_for_bill(
    a: &BillArgs,
    day: Option<Date>,
    explicit_at: Option<Date>,
) -> Result<Loaded, CliError> {
    if a.contract.is_none() && !a.source.is_dir() {
        if let Err(e) = std::fs::metadata(&a.source) {
            return Err(CliError::unreadable(&a.source, &e));
        }
    }
    Ok(crate::load::open_for_bill(
        &a.source,
        day,
        explicit_at,
        a.contract.as_deref(),
        a.list.as_deref(),
        a.plan.first().map(String::as_str),
    )?)
}

/// The version of the directory's price list that takes effect next after `after`; none for
/// a single book, or a contract (its terms are layered on one version).
fn later_for_bill(a: &BillArgs, after: Date) -> Result<Option<Loaded>, CliError> {
    if a.contract.is_some() || !a.source.is_dir() {
        return Ok(None);
    }
    Ok(crate::load::open_next_version(
        &a.source,
        after,
        a.list.as_deref(),
        a.plan.first().map(String::as_str),
    )?)
}

pub(super) fn run_bill(a: BillArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    if a.accounts.is_some() {
        return super::run_cmd::run_invoice(a, out);
    }
    if a.output.is_some() {
        return Err(CliError::usage(
            "-o writes an invoice run's files; bill one account to standard output, or give --accounts".to_string(),
        ));
    }
    // The command line's own arguments first: dates, then the files it reads.
    for date in [&a.from, &a.at].into_iter().flatten() {
        parse_date_arg(date)?;
    }
    let text = std::fs::read(&a.usage).map_err(|e| CliError::unreadable(&a.usage, &e))?;
    let wallet = match &a.wallet {
        Some(w) => {
            let text = read_book(w).map_err(CliError::usage)?;
            let state = read_wallet(&text).map_err(|m| {
                CliError::input(Code::InvalidValue, format!("`{}`: {m}", w.display()))
            })?;
            Some(serde_json::to_value(state).unwrap_or_default())
        }
        None => None,
    };
    let subscriptions: Vec<answer::Subscription> = a
        .plan
        .iter()
        .filter_map(|p| answer::Subscription::parse(p))
        .collect();
    if a.plan.len() > 1 || !subscriptions.is_empty() {
        return run_bill_lists(&a, subscriptions, wallet, out);
    }
    let question = BillQuestion {
        plan: a.plan.first().cloned(),
        explain: a.explain,
        as_of: a.as_of.clone(),
        align: a.align.map(align_of),
        ..common_question(&a, &text, wallet)
    };
    // On a vendor's directory each later version prices the account from its effective date.
    let answer = answer::bill_versions(
        &question,
        |day, at| load_for_bill(&a, day, at),
        |after| later_for_bill(&a, after),
    )?;
    match a.format {
        Format::Json => out.write_all(json_text(&answer.to_json()).as_bytes())?,
        Format::Human => {
            let bill = answer.bill();
            for (i, v) in bill.versions.iter().enumerate() {
                let file = v
                    .source
                    .as_deref()
                    .map_or(String::new(), |s| format!(", {s}"));
                let lead = if i == 0 { "priced by" } else { "     then" };
                writeln!(
                    out,
                    "{lead} {} {} (effective {}{file})",
                    v.vendor, v.version, v.effective
                )?;
            }
            writeln!(out)?;
            out.write_all(bill.to_human().as_bytes())?;
        }
    }
    let bad_lines = answer.bad_lines;
    if bad_lines > 0 {
        eprintln!(
            "{bad_lines} bad line{} in `{}`; the other lines were billed",
            plural(bad_lines),
            a.usage.display()
        );
    }
    Ok(i32::from(bad_lines > 0))
}

pub(super) fn align_of(a: AlignArg) -> crate::bill::PeriodAlign {
    match a {
        AlignArg::Anniversary => crate::bill::PeriodAlign::Anniversary,
        AlignArg::Calendar => crate::bill::PeriodAlign::Calendar,
    }
}

/// What every form of `bill` asks from the arguments: the usage, periods, billing, wallet and
/// recharge, and the day the version is taken on.
fn common_question(a: &BillArgs, usage: &[u8], wallet: Option<serde_json::Value>) -> BillQuestion {
    BillQuestion {
        usage: UsageInput::Text(String::from_utf8_lossy(usage).into_owned()),
        from: a.from.clone(),
        periods: a.periods,
        billing: Some(match a.billing {
            BillingArg::Monthly => Billing::Monthly,
            BillingArg::Annual => Billing::Annual,
        }),
        wallet,
        auto_recharge: a.auto_recharge.clone(),
        at: a.at.clone(),
        ..BillQuestion::default()
    }
}

/// `bill` for an account holding a plan on each of several price lists (`--plan web:creator
/// --plan api:payg` on a vendor's directory).
fn run_bill_lists(
    a: &BillArgs,
    subscriptions: Vec<answer::Subscription>,
    wallet: Option<serde_json::Value>,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    if subscriptions.len() != a.plan.len() {
        return Err(CliError::usage(
            "several --plan options each name their price list: `--plan LIST:PLAN`".to_string(),
        )
        .help("write `--plan web:creator --plan api:payg`"));
    }
    if !a.source.is_dir() {
        return Err(CliError::usage(format!(
            "`--plan LIST:PLAN` bills several price lists, which a vendor's directory holds; `{}` is not one",
            a.source.display()
        )));
    }
    if a.contract.is_some() {
        return Err(CliError::usage(
            "--contract layers on one price list; bill that list on its own".to_string(),
        ));
    }
    let text = std::fs::read(&a.usage).map_err(|e| CliError::unreadable(&a.usage, &e))?;
    let question = BillQuestion {
        explain: a.explain,
        as_of: a.as_of.clone(),
        align: a.align.map(align_of),
        ..common_question(a, &text, wallet)
    };
    let answer = answer::bill_lists(
        &question,
        &subscriptions,
        a.list.as_deref(),
        |list, day, _| -> Result<Loaded, CliError> {
            let choice = crate::load::ListChoice::named(Some(list));
            load_with_contract(&a.source, day, None, &choice)
        },
    )?;
    match a.format {
        Format::Json => out.write_all(json_text(&answer.to_json()).as_bytes())?,
        Format::Human => out.write_all(answer.to_human().as_bytes())?,
    }
    let bad_lines = answer.bad_lines;
    if bad_lines > 0 {
        eprintln!(
            "{bad_lines} bad line{} in `{}`; the other lines were billed",
            plural(bad_lines),
            a.usage.display()
        );
    }
    Ok(i32::from(bad_lines > 0))
}
