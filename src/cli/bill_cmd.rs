//! `pricebook bill`: one account's usage file -> invoice, wallet ledger, closing wallet.
//!
//! The usage file is read in two steps (see [`crate::usage`]): first every line's time (so a
//! vendor's directory can give the version in force on the bill's first day), then names,
//! quantities and dimension values against that version's table.

use super::load::{Loaded, load_file, load_with_contract, parse_date_arg, read_book};
use super::report::CliError;
use super::{Format, json_text, plural};
use crate::base::date::Date;
use crate::bill::{BillRequest, Billing, RechargeSettings};
use crate::diagnostic::Code;
use crate::usage::{read_events, read_wallet, resolve_events};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BillingArg {
    Monthly,
    Annual,
}

/// The `bill` command's arguments.
#[derive(clap::Args, Debug)]
pub(crate) struct BillArgs {
    /// A book, a compiled table, or a directory of one vendor's books.
    source: PathBuf,
    #[arg(long)]
    plan: Option<String>,
    /// Usage events: JSON Lines or CSV (`time,product,quantity[,unit][,buy][,<dimension>...]`).
    #[arg(long)]
    usage: PathBuf,
    #[arg(long, value_enum, default_value_t = BillingArg::Monthly)]
    billing: BillingArg,
    /// First day of the first period (default: the first event's month).
    #[arg(long)]
    from: Option<String>,
    /// Number of monthly periods (default: through the last event).
    #[arg(long)]
    periods: Option<u32>,
    /// Enterprise terms layered on the public book.
    #[arg(long)]
    contract: Option<PathBuf>,
    /// An earlier bill's JSON (or its `closing_wallet`), so carried-over credits continue.
    #[arg(long)]
    wallet: Option<PathBuf>,
    /// `below=1000,to=5000,cap=200`: the account's auto-recharge settings (plans that sell
    /// top-ups only).
    #[arg(long = "auto-recharge")]
    auto_recharge: Option<String>,
    /// With a directory: the version in force on this date (default: the bill's first day).
    #[arg(long)]
    at: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
}

/// The book to bill with: a directory gives the version in force on `day`.
fn load_for_bill(
    a: &BillArgs,
    day: Option<Date>,
    explicit_at: Option<Date>,
) -> Result<Loaded, CliError> {
    if a.contract.is_some() || a.source.is_dir() {
        return load_with_contract(&a.source, day, a.contract.as_deref());
    }
    if let Err(e) = std::fs::metadata(&a.source) {
        return Err(CliError::unreadable(&a.source, &e));
    }
    let loaded = load_file(&a.source)?;
    if let Some(at) = explicit_at {
        loaded.in_force_on(at)?;
    }
    Ok(loaded)
}

pub(super) fn run_bill(a: BillArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let from = a.from.as_deref().map(parse_date_arg).transpose()?;
    let at = a.at.as_deref().map(parse_date_arg).transpose()?;
    let text = std::fs::read(&a.usage).map_err(|e| CliError::unreadable(&a.usage, &e))?;
    let text = String::from_utf8_lossy(&text);
    let (raw, mut bad) = read_events(&text);
    let first_month = raw.iter().map(|e| e.time).min().map(Date::month_of);
    // The version in force on the bill's first day: --at, else --from, else the first event's
    // month (docs/billing.md's rule until bills follow each event's own version).
    let day = at.or(from).or(first_month);
    let loaded = load_for_bill(&a, day, at)?;
    let table = &loaded.table;
    let plan = match &a.plan {
        Some(name) => table.find_plan(name)?,
        None if table.plans.len() == 1 => 0,
        None => {
            let slugs: Vec<String> = table.plans.iter().map(|p| p.slug.clone()).collect();
            return Err(CliError::input(
                Code::MissingStatement,
                format!(
                    "the book has {} plans, and no --plan was given",
                    slugs.len()
                ),
            )
            .help(format!(
                "name one with --plan: {}",
                crate::base::names::quoted_list(&slugs, "or")
            )));
        }
    };
    let (events, unresolved) = resolve_events(table, &raw);
    bad.extend(unresolved);
    let billing = match a.billing {
        BillingArg::Monthly => Billing::Monthly,
        BillingArg::Annual => Billing::Annual,
    };
    let effective = loaded.effective().unwrap_or(Date {
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
    let mut request =
        BillRequest::covering(plan, billing, from, a.periods, &events, effective_month);
    if let Some(spec) = &a.auto_recharge {
        request.recharge = Some(
            RechargeSettings::parse(table, plan, spec)
                .map_err(|m| CliError::usage(format!("--auto-recharge: {m}")))?,
        );
    }
    if let Some(w) = &a.wallet {
        let text = read_book(w).map_err(CliError::usage)?;
        request.opening = read_wallet(&text)
            .map_err(|m| CliError::input(Code::InvalidValue, format!("`{}`: {m}", w.display())))?
            .grants;
    }
    let mut bill = crate::bill::bill(table, &request, &events)
        .map_err(|e| CliError::input(e.code(), e.to_string()))?;
    let bad_lines = bad.len();
    bill.rejected.extend(bad);
    bill.rejected.sort_by_key(|r| r.line);
    match a.format {
        Format::Json => out.write_all(json_text(&bill.to_json()).as_bytes())?,
        Format::Human => {
            let v = &bill.versions[0];
            let file = v
                .source
                .as_deref()
                .map_or(String::new(), |s| format!(", {s}"));
            writeln!(
                out,
                "priced by {} {} (effective {}{file})\n",
                v.vendor, v.version, v.effective
            )?;
            out.write_all(bill.to_human().as_bytes())?;
        }
    }
    if bad_lines > 0 {
        eprintln!(
            "{bad_lines} bad line{} in `{}`; the other lines were billed",
            plural(bad_lines),
            a.usage.display()
        );
    }
    Ok(i32::from(bad_lines > 0))
}
