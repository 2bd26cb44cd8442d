//! ACCOUNTS.csv: the accounts an invoice run bills, one row each, with the options
//! `pricebook bill` would take for that account alone.

use super::super::error::{AnswerError, ErrorKind};
use crate::base::csv;
use crate::base::date::Date;
use crate::bill::Billing;
use crate::diagnostic::Code;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The columns ACCOUNTS.csv may have; `account` and `plan` are required.
const COLUMNS: [&str; 8] = [
    "account",
    "plan",
    "start",
    "billing",
    "list",
    "contract",
    "auto_recharge",
    "wallet",
];

/// One account of an invoice run: a row of ACCOUNTS.csv. Each option is the `pricebook bill`
/// option of the same name for this account; an empty cell is an option not given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Account {
    /// The account id, as usage lines name it in their `account` field.
    pub account: String,
    /// `--plan`: may be left empty when the book has one plan.
    pub plan: Option<String>,
    /// The subscription's start: the account's bill starts on this day instead of the run's
    /// `--from` (`YYYY-MM-DD`).
    pub start: Option<String>,
    /// `--billing`; the run's when not given.
    pub billing: Option<Billing>,
    /// `--list`: the vendor's price list, on a directory holding several; the run's when not
    /// given.
    pub list: Option<String>,
    /// `--contract`: the account's enterprise terms (a path relative to the accounts file).
    pub contract: Option<PathBuf>,
    /// `--auto-recharge`: `below=..,to=..,cap=..` (quote the cell: it holds commas).
    pub auto_recharge: Option<String>,
    /// `--wallet`: an earlier bill's JSON or its closing wallet (a path relative to the accounts
    /// file).
    pub wallet: Option<PathBuf>,
    /// The row's line in the accounts file, from 1 (the header is line 1).
    pub line: u64,
}

impl Account {
    /// An account on `plan` with no other option.
    pub fn new(account: impl Into<String>, plan: Option<&str>) -> Account {
        Account {
            account: account.into(),
            plan: plan.map(str::to_string),
            start: None,
            billing: None,
            list: None,
            contract: None,
            auto_recharge: None,
            wallet: None,
            line: 0,
        }
    }
}

/// Reads an accounts file (see [`parse_accounts`]); paths in it are relative to its directory.
pub fn read_accounts(path: &Path) -> Result<Vec<Account>, AnswerError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        AnswerError::new(
            ErrorKind::BadRequest,
            "io-error",
            format!("cannot read `{}`: {e}", path.display()),
        )
        .with_help("check the path")
    })?;
    let base = path.parent().unwrap_or(Path::new(""));
    parse_accounts(&text, &path.display().to_string(), base)
}

/// Reads the text of an accounts file named `name`: a header with at least `account,plan` and
/// any of `start`, `billing`, `list`, `contract`, `auto_recharge`, `wallet`, then one row per
/// account. `contract` and `wallet` paths are joined to `base`. An unknown column, a row of the
/// wrong width, an empty or repeated account id, a start that is not a date or a billing that
/// is not `monthly` or `annual` is an error naming the file and line.
///
/// ```
/// use pricebook::answer::parse_accounts;
/// let accounts = parse_accounts(
///     "account,plan,start,auto_recharge\nada,creator,,\ngrace,professional,2026-07-15,\"below=1000,to=5000,cap=100\"\n",
///     "accounts.csv",
///     "tests/bills".as_ref(),
/// ).expect("two accounts");
/// assert_eq!(accounts[1].account, "grace");
/// assert_eq!(accounts[1].start.as_deref(), Some("2026-07-15"));
/// assert_eq!(accounts[1].auto_recharge.as_deref(), Some("below=1000,to=5000,cap=100"));
/// assert_eq!(accounts[1].line, 3);
/// ```
pub fn parse_accounts(text: &str, name: &str, base: &Path) -> Result<Vec<Account>, AnswerError> {
    let at = |line: u64, message: String| {
        AnswerError::invalid(
            Code::InvalidValue,
            format!("`{name}` line {line}: {message}"),
        )
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((header_line, header)) = lines.next() else {
        return Err(
            AnswerError::invalid(Code::MissingStatement, format!("`{name}` is empty"))
                .with_help("write a header `account,plan`, then one row per account"),
        );
    };
    let header: Vec<String> = csv::split_line(header)
        .iter()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    for h in &header {
        if !COLUMNS.contains(&h.as_str()) {
            return Err(at(header_line, format!("unknown column `{h}`"))
                .with_help(format!("the columns are {}", COLUMNS.join(", "))));
        }
    }
    for required in ["account", "plan"] {
        if !header.iter().any(|h| h == required) {
            return Err(at(header_line, format!("no `{required}` column"))
                .with_help("the header has at least `account,plan`"));
        }
    }
    let mut seen = HashSet::new();
    let mut accounts = Vec::new();
    for (n, l) in lines {
        let cells = csv::split_line(l);
        if cells.len() != header.len() {
            return Err(at(
                n,
                format!(
                    "expected {} fields (as in the header), found {}",
                    header.len(),
                    cells.len()
                ),
            ));
        }
        let mut a = Account::new(String::new(), None);
        a.line = n;
        for (h, cell) in header.iter().zip(&cells) {
            let v = cell.trim();
            if v.is_empty() {
                continue;
            }
            let text = Some(v.to_string());
            match h.as_str() {
                "account" => a.account = v.to_string(),
                "plan" => {
                    if v.contains(':') {
                        return Err(at(n, format!("plan `{v}`: one plan per account row"))
                            .with_help("name the price list in the `list` column"));
                    }
                    a.plan = text;
                }
                "start" => {
                    if Date::parse(v).is_none() {
                        return Err(at(n, format!("start `{v}` is not a date"))
                            .with_help("write YYYY-MM-DD"));
                    }
                    a.start = text;
                }
                "billing" => {
                    a.billing = Some(match v.to_ascii_lowercase().as_str() {
                        "monthly" => Billing::Monthly,
                        "annual" => Billing::Annual,
                        _ => {
                            return Err(at(n, format!("billing `{v}` is not monthly or annual")));
                        }
                    })
                }
                "list" => a.list = text,
                "contract" => a.contract = Some(base.join(v)),
                "auto_recharge" => a.auto_recharge = text,
                "wallet" => a.wallet = Some(base.join(v)),
                _ => {}
            }
        }
        if a.account.is_empty() {
            return Err(at(n, "no account id".into()));
        }
        if !seen.insert(a.account.clone()) {
            return Err(at(n, format!("account `{}` is listed twice", a.account)));
        }
        accounts.push(a);
    }
    Ok(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mistakes_name_their_line() {
        let e = parse_accounts(
            "account,plan\nada,creator\nada,basic\n",
            "a.csv",
            "".as_ref(),
        )
        .expect_err("twice");
        assert_eq!(e.message(), "`a.csv` line 3: account `ada` is listed twice");
        let e = parse_accounts("account,plan,colour\n", "a.csv", "".as_ref()).expect_err("column");
        assert_eq!(e.message(), "`a.csv` line 1: unknown column `colour`");
        let e = parse_accounts("account,billing\n", "a.csv", "".as_ref()).expect_err("plan");
        assert_eq!(e.message(), "`a.csv` line 1: no `plan` column");
        let e = parse_accounts(
            "account,plan,billing\nada,creator,weekly\n",
            "a.csv",
            "".as_ref(),
        )
        .expect_err("billing");
        assert_eq!(
            e.message(),
            "`a.csv` line 2: billing `weekly` is not monthly or annual"
        );
    }

    #[test]
    fn paths_are_relative_to_the_accounts_file() {
        let a = parse_accounts(
            "account,plan,contract,wallet\nada,acme,acme.pricebook,ada.json\n",
            "a.csv",
            "tests/bills".as_ref(),
        )
        .expect("a row");
        assert_eq!(
            a[0].contract.as_deref(),
            Some(Path::new("tests/bills/acme.pricebook"))
        );
        assert_eq!(
            a[0].wallet.as_deref(),
            Some(Path::new("tests/bills/ada.json"))
        );
    }
}
