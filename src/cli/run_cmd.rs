//! `pricebook bill --accounts`: an invoice run. The run is [`crate::answer::invoice_run`];
//! this is its command line, the summary it prints and its exit status.

use super::bill_cmd::{BillArgs, BillingArg};
use super::load::{load_file, parse_date_arg, versions};
use super::report::CliError;
use super::{Format, json_text, plural};
use crate::answer::{self, InvoiceRun, RunReport};
use crate::bill::Billing;
use std::io::{IsTerminal, Write};

pub(super) fn run_invoice(a: BillArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let per_account = [
        ("--plan", !a.plan.is_empty(), "plan"),
        ("--contract", a.contract.is_some(), "contract"),
        ("--wallet", a.wallet.is_some(), "wallet"),
        (
            "--auto-recharge",
            a.auto_recharge.is_some(),
            "auto_recharge",
        ),
    ];
    for (flag, given, column) in per_account {
        if given {
            return Err(
                CliError::usage(format!("{flag} is each account's in an invoice run"))
                    .help(format!("give it in the accounts file's `{column}` column")),
            );
        }
    }
    for date in [&a.from, &a.at].into_iter().flatten() {
        parse_date_arg(date)?;
    }
    let Some(accounts_path) = a.accounts.clone() else {
        return Ok(0);
    };
    for path in [&accounts_path, &a.usage, &a.source] {
        if let Err(e) = std::fs::metadata(path) {
            return Err(CliError::unreadable(path, &e));
        }
    }
    // A book with errors is shown with its diagnostics, once, before any account is billed.
    if a.source.is_dir() {
        versions(&a.source)?;
    } else {
        load_file(&a.source)?;
    }
    let accounts = answer::read_accounts(&accounts_path)?;
    let mut run = InvoiceRun::new(&a.source, accounts, &a.usage);
    run.accounts_name = format!("`{}`", accounts_path.display());
    run.output = a.output.clone();
    run.from = a.from.clone();
    run.periods = a.periods;
    run.billing = match a.billing {
        BillingArg::Monthly => Billing::Monthly,
        BillingArg::Annual => Billing::Annual,
    };
    run.list = a.list.clone();
    run.at = a.at.clone();
    run.align = a.align.map(super::bill_cmd::align_of);
    run.progress = std::io::stderr().is_terminal();
    let report = answer::invoice_run(&run)?;
    if a.output.is_none() {
        match a.format {
            Format::Json => out.write_all(json_text(&report.to_json()).as_bytes())?,
            Format::Human => out.write_all(human(&report).as_bytes())?,
        }
    }
    out.flush()?;
    let usage = a.usage.display();
    let mut err = std::io::stderr().lock();
    for u in &report.unassigned {
        writeln!(err, "{usage}:{}: bad line: {}", u.line, u.reason)?;
    }
    for s in report.accounts.iter().filter(|s| s.error.is_some()) {
        if let Some(e) = &s.error {
            writeln!(
                err,
                "error: account `{}` was not billed: {}",
                s.account,
                e.message()
            )?;
        }
    }
    let accounts = report.accounts.len();
    let mut closing = format!(
        "billed {accounts} account{} from {} usage line{}: {} billed, {} rejected, {} bad line{}",
        plural(accounts),
        report.lines,
        plural(report.lines as usize),
        report.billed,
        report.rejected,
        report.bad_lines,
        plural(report.bad_lines as usize),
    );
    if report.errors > 0 {
        closing.push_str(&format!(
            "; {} account{} not billed",
            report.errors,
            plural(report.errors)
        ));
    }
    if let Some(dir) = &a.output {
        closing.push_str(&format!(
            "; wrote summary.csv, rejected.csv and {accounts} bill{} to `{}`",
            plural(accounts),
            dir.display()
        ));
    }
    writeln!(err, "{closing}")?;
    Ok(i32::from(report.bad_lines > 0 || report.errors > 0))
}

/// The summary as a table, then the run's totals.
fn human(report: &RunReport) -> String {
    let header = [
        "account", "plan", "total", "lines", "billed", "rejected", "bad",
    ];
    let rows: Vec<[String; 7]> = report
        .accounts
        .iter()
        .map(|s| {
            let total = match (&s.total, &s.currency) {
                (Some(t), Some(c)) => format!("{t} {c}"),
                _ => "not billed".into(),
            };
            [
                s.account.clone(),
                s.plan.clone().unwrap_or_default(),
                total,
                s.lines.to_string(),
                s.billed.to_string(),
                s.rejected.to_string(),
                s.bad_lines.to_string(),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 7]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            // Names left, figures right.
            let cell = if i < 2 {
                format!("{c:<w$}")
            } else {
                format!("{c:>w$}")
            };
            s.push_str(&cell);
            s.push_str("  ");
        }
        s.trim_end().to_string() + "\n"
    };
    let mut text = line(header);
    for r in &rows {
        text.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6]]));
    }
    for (currency, amount) in &report.totals {
        text.push_str(&format!("total {amount} {currency}\n"));
    }
    text
}
