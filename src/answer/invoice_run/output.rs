//! What an invoice run writes with `-o DIR`: `summary.csv`, one `<account>.json` per account
//! (its file name made safe) and `rejected.csv`, merged in usage-line order from the shards'
//! sorted pieces.

use super::{AccountSummary, UnassignedLine};
use crate::bill::RejectedEvent;
use std::collections::BinaryHeap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

/// The header of `rejected.csv`.
pub(super) const REJECTED_HEADER: &str =
    "line,account,kind,rejection,time,product,reason,rule_line";

/// The header of `summary.csv`: the contract's six columns first.
pub(super) const SUMMARY_HEADER: &str =
    "account,plan,total,currency,lines,rejected,bad_lines,billed,file,error";

/// The file an account's bill is written to: its id with every byte outside `A-Z a-z 0-9 _ -
/// .` written `%XX` (hex of the UTF-8 byte), a leading `.` too, then `.json`. Different ids
/// give different names (`%` itself is encoded), and no name leaves the directory.
///
/// ```
/// use pricebook::answer::account_file_name;
/// assert_eq!(account_file_name("ada"), "ada.json");
/// assert_eq!(account_file_name("acme/eu west"), "acme%2Feu%20west.json");
/// assert_eq!(account_file_name(".."), "%2E..json");
/// assert_eq!(account_file_name("100%"), "100%25.json");
/// ```
pub fn account_file_name(account: &str) -> String {
    let mut name = String::with_capacity(account.len() + 5);
    for (i, b) in account.bytes().enumerate() {
        let safe = b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && i > 0);
        if safe {
            name.push(char::from(b));
        } else {
            name.push_str(&format!("%{b:02X}"));
        }
    }
    name.push_str(".json");
    name
}

/// A CSV cell: quoted when it holds a comma, a quote or edge spaces. Line breaks become spaces,
/// so every row is one line (the merge of `rejected.csv` reads rows as lines).
pub(super) fn cell(s: &str) -> String {
    let s = if s.contains(['\n', '\r']) {
        s.replace(['\n', '\r'], " ")
    } else {
        s.to_string()
    };
    if s.contains([',', '"']) || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A rejection of an account's bill as a `rejected.csv` row (without its line break).
pub(super) fn rejected_row(account: &str, r: &RejectedEvent) -> String {
    format!(
        "{},{},{},{},{},{},{},{}",
        r.line,
        cell(account),
        r.kind,
        r.rejection.unwrap_or(""),
        cell(r.time.as_deref().unwrap_or("")),
        cell(r.product.as_deref().unwrap_or("")),
        cell(&r.reason),
        r.rule_line.map(|l| l.to_string()).unwrap_or_default()
    )
}

/// A line billed to no account as a `rejected.csv` row.
pub(super) fn unassigned_row(u: &UnassignedLine) -> String {
    format!(
        "{},{},bad-line,,,,{},",
        u.line,
        cell(&u.account),
        cell(&u.reason)
    )
}

/// One row of `summary.csv`.
pub(super) fn summary_row(s: &AccountSummary) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{},{}",
        cell(&s.account),
        cell(s.plan.as_deref().unwrap_or("")),
        s.total.as_deref().unwrap_or(""),
        s.currency.as_deref().unwrap_or(""),
        s.lines,
        s.rejected,
        s.bad_lines,
        s.billed,
        cell(s.file.as_deref().unwrap_or("")),
        cell(
            s.error
                .as_ref()
                .map(|e| e.to_string())
                .as_deref()
                .unwrap_or("")
        )
    )
}

/// Writes `rejected.csv`: the run's own bad lines and each shard's rows (each sorted by line),
/// merged by usage line.
pub(super) fn write_rejected(
    path: &Path,
    unassigned: &[UnassignedLine],
    pieces: &[std::path::PathBuf],
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "{REJECTED_HEADER}")?;
    let mut readers = Vec::new();
    for p in pieces {
        readers.push(BufReader::new(std::fs::File::open(p)?).lines());
    }
    // (line, source, row), smallest line first; the run's own lines are source `readers.len()`.
    let mut heap = BinaryHeap::new();
    let row_line = |row: &str| -> u64 {
        row.split(',')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(u64::MAX)
    };
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some(row) = r.next().transpose()? {
            heap.push(std::cmp::Reverse((row_line(&row), i, row)));
        }
    }
    let mut own = unassigned.iter().peekable();
    loop {
        let next_shard = heap.peek().map(|std::cmp::Reverse((l, _, _))| *l);
        match (own.peek(), next_shard) {
            (Some(u), Some(l)) if u.line < l => {
                writeln!(out, "{}", unassigned_row(u))?;
                own.next();
            }
            (Some(u), None) => {
                writeln!(out, "{}", unassigned_row(u))?;
                own.next();
            }
            (_, Some(_)) => {
                if let Some(std::cmp::Reverse((_, i, row))) = heap.pop() {
                    writeln!(out, "{row}")?;
                    if let Some(r) = readers.get_mut(i) {
                        if let Some(row) = r.next().transpose()? {
                            heap.push(std::cmp::Reverse((row_line(&row), i, row)));
                        }
                    }
                }
            }
            (None, None) => break,
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_distinct_and_stay_in_the_directory() {
        let ids = ["a/b", "a%2Fb", "a b", ".", "..", "a.b", "é", "A", "a"];
        let names: std::collections::HashSet<String> =
            ids.iter().map(|i| account_file_name(i)).collect();
        assert_eq!(names.len(), ids.len());
        for n in &names {
            assert!(!n.contains('/') && !n.starts_with('.'), "{n}");
        }
    }

    #[test]
    fn cells_are_quoted_when_they_must_be() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a, b"), "\"a, b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
