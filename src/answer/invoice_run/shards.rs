//! The invoice run's one pass over the usage file: each line's account is read (only that
//! field), and the line goes, with its number, to the shard file of its account, so that a
//! shard holds every line of its accounts and the accounts can then be billed shard by shard,
//! in parallel, each with its events in memory and no more.
//!
//! A shard record is the line's number (u64), its account's index in the accounts file (u32),
//! its length (u32), then the line's text, little-endian.

use super::super::error::{AnswerError, ErrorKind};
use super::UnassignedLine;
use crate::base::csv;
use crate::diagnostic::Code;
use crate::usage::EventReader;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A directory of the run's temporary files, removed when the run ends (or fails).
pub(super) struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(parent: &Path) -> std::io::Result<Scratch> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = parent.join(format!(
            ".pricebook-run-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    pub fn shard(&self, k: usize) -> PathBuf {
        self.0.join(format!("shard-{k}"))
    }

    pub fn rejected(&self, k: usize) -> PathBuf {
        self.0.join(format!("rejected-{k}.csv"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the pass over the usage file found.
pub(super) struct Partition {
    /// How every line reads (the file's format and CSV header).
    pub reader: EventReader,
    /// Usage lines read (blank lines and the CSV header aside).
    pub lines: u64,
    /// Lines for no account of the run, in file order.
    pub unassigned: Vec<UnassignedLine>,
}

fn io_error(path: &Path, e: &std::io::Error) -> AnswerError {
    AnswerError::new(
        ErrorKind::Invalid,
        "io-error",
        format!("cannot read `{}`: {e}", path.display()),
    )
}

/// Where a line's account is: the CSV column, or JSON Lines' `account` field.
enum AccountField {
    Column { index: usize, width: usize },
    Json,
}

#[derive(serde::Deserialize)]
struct AccountOf {
    #[serde(default)]
    account: Option<serde_json::Value>,
}

impl AccountField {
    /// The account a line names, as written (trimmed), or why it names none.
    fn read(&self, line: &str) -> Result<String, String> {
        match self {
            AccountField::Column { index, width } => {
                // Most lines have no quote: split them without allocating.
                let mut cells = [""; 64];
                if *width < cells.len() {
                    if let Some(n) = csv::split_unquoted(line, &mut cells).filter(|n| *n <= 64) {
                        if n != *width {
                            return Err(format!(
                                "expected {width} fields (as in the header), found {n}"
                            ));
                        }
                        return Ok(cells
                            .get(*index)
                            .map(|c| c.trim().to_string())
                            .unwrap_or_default());
                    }
                }
                let cells = csv::split_line(line);
                if cells.len() != *width {
                    return Err(format!(
                        "expected {width} fields (as in the header), found {}",
                        cells.len()
                    ));
                }
                Ok(cells
                    .get(*index)
                    .map(|c| c.trim().to_string())
                    .unwrap_or_default())
            }
            AccountField::Json => {
                let v: AccountOf = serde_json::from_str(line).map_err(|e| {
                    if e.is_syntax() || e.is_eof() {
                        format!("not valid JSON: {e}")
                    } else {
                        format!("not a usage event (a JSON object): {e}")
                    }
                })?;
                match v.account {
                    Some(serde_json::Value::String(s)) => Ok(s.trim().to_string()),
                    Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
                    None | Some(serde_json::Value::Null) => Ok(String::new()),
                    Some(other) => Err(format!("`account` must be a string, found {other}")),
                }
            }
        }
    }
}

/// Reads `usage` once, writing each line to the shard of its account (`index`: account id ->
/// its place in the accounts file; account `i` goes to shard `i % shards`). A line whose
/// account is missing, unknown or cannot be read is a bad line of the run's own.
pub(super) fn partition(
    usage: &Path,
    index: &HashMap<&str, u32>,
    scratch: &Scratch,
    shards: usize,
    accounts_name: &str,
    progress: bool,
) -> Result<Partition, AnswerError> {
    let file = std::fs::File::open(usage).map_err(|e| {
        AnswerError::new(
            ErrorKind::BadRequest,
            "io-error",
            format!("cannot read `{}`: {e}", usage.display()),
        )
        .with_help("check the path")
    })?;
    let mut input = BufReader::with_capacity(1 << 20, file);
    let mut writers = Vec::with_capacity(shards);
    for k in 0..shards {
        let path = scratch.shard(k);
        let f = std::fs::File::create(&path).map_err(|e| io_error(&path, &e))?;
        writers.push(BufWriter::with_capacity(32 << 10, f));
    }
    let mut buf = Vec::with_capacity(4096);
    let mut number = 0u64;
    let mut reader: Option<(EventReader, AccountField)> = None;
    let mut lines = 0u64;
    let mut unassigned = Vec::new();
    let stderr = std::io::stderr();
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| io_error(usage, &e))?;
        if n == 0 {
            break;
        }
        number += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        let text = String::from_utf8_lossy(&buf);
        if text.trim().is_empty() {
            continue;
        }
        if reader.is_none() {
            let r = EventReader::for_first_line(&text);
            let field = match r.header() {
                Some(h) => match h.iter().position(|c| c == "account") {
                    Some(index) => AccountField::Column {
                        index,
                        width: h.len(),
                    },
                    None => {
                        return Err(AnswerError::invalid(
                            Code::MissingStatement,
                            format!("`{}` has no `account` column", usage.display()),
                        )
                        .with_help(
                            "every line of an invoice run's usage names its account: add an `account` column",
                        ));
                    }
                },
                None => AccountField::Json,
            };
            let is_csv = r.is_csv();
            reader = Some((r, field));
            // A CSV header is not an event; a JSON Lines file's first line is, read as the others.
            if is_csv {
                continue;
            }
        }
        let Some((_, field)) = &reader else { continue };
        lines += 1;
        route(
            field,
            &text,
            number,
            index,
            &mut writers,
            &mut unassigned,
            accounts_name,
        )
        .map_err(|e| io_error(usage, &e))?;
        if progress && lines % (1 << 16) == 0 {
            let _ = write!(stderr.lock(), "\rinvoice run: {lines} usage lines read");
        }
    }
    for (k, w) in writers.iter_mut().enumerate() {
        w.flush().map_err(|e| io_error(&scratch.shard(k), &e))?;
    }
    if progress {
        let _ = writeln!(stderr.lock(), "\rinvoice run: {lines} usage lines read");
    }
    let reader = match reader {
        Some((r, _)) => r,
        None => EventReader::for_first_line("{"),
    };
    Ok(Partition {
        reader,
        lines,
        unassigned,
    })
}

/// Sends one line to its account's shard, or to the run's bad lines.
fn route(
    field: &AccountField,
    text: &str,
    number: u64,
    index: &HashMap<&str, u32>,
    writers: &mut [BufWriter<std::fs::File>],
    unassigned: &mut Vec<UnassignedLine>,
    accounts_name: &str,
) -> std::io::Result<()> {
    let account = match field.read(text) {
        Ok(a) => a,
        Err(reason) => {
            unassigned.push(UnassignedLine {
                line: number,
                account: String::new(),
                reason: format!("{reason}, so its account cannot be told"),
            });
            return Ok(());
        }
    };
    let Some(&i) = index.get(account.as_str()) else {
        let reason = if account.is_empty() {
            "no `account`: every line of an invoice run names its account".to_string()
        } else {
            format!("account `{account}` is not in {accounts_name}")
        };
        unassigned.push(UnassignedLine {
            line: number,
            account,
            reason,
        });
        return Ok(());
    };
    let shards = writers.len().max(1);
    if let Some(w) = writers.get_mut(i as usize % shards) {
        let bytes = text.as_bytes();
        let len = u32::try_from(bytes.len()).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "a usage line over 4 GiB")
        })?;
        w.write_all(&number.to_le_bytes())?;
        w.write_all(&i.to_le_bytes())?;
        w.write_all(&len.to_le_bytes())?;
        w.write_all(bytes)?;
    }
    Ok(())
}

/// One line of a shard: (account index, line number, text).
pub(super) struct Record<'a> {
    pub account: u32,
    pub line: u64,
    pub text: &'a str,
}

/// The records of a shard's bytes, sorted by account, then line.
pub(super) fn records(bytes: &[u8]) -> Vec<Record<'_>> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(head) = bytes.get(at..at + 16) {
        let mut n = [0u8; 8];
        n.copy_from_slice(&head[..8]);
        let mut a = [0u8; 4];
        a.copy_from_slice(&head[8..12]);
        let mut l = [0u8; 4];
        l.copy_from_slice(&head[12..16]);
        let len = u32::from_le_bytes(l) as usize;
        let Some(text) = bytes.get(at + 16..at + 16 + len) else {
            break;
        };
        out.push(Record {
            account: u32::from_le_bytes(a),
            line: u64::from_le_bytes(n),
            // Written from a `str`, so this never fails; an empty line would be a bad line.
            text: std::str::from_utf8(text).unwrap_or_default(),
        });
        at += 16 + len;
    }
    out.sort_unstable_by_key(|r| (r.account, r.line));
    out
}
