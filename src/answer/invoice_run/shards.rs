//! The invoice run's one pass over the usage file: each line's account is read (only that
//! field), and the line goes, with its number, to the shard file of its account, so that a
//! shard holds every line of its accounts and the accounts can then be billed shard by shard,
//! in parallel, each with its events in memory and no more.
//!
//! A shard record is the line's number (u64), its account's index in the accounts file (u32),
//! its length (u32), then the line's text, little-endian.

use super::super::error::{AnswerError, ErrorKind};
use super::UnassignedLine;
use crate::base::{chunks, csv};
use crate::diagnostic::Code;
use crate::usage::EventReader;
use std::borrow::Cow;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// How records' places become line numbers (a file read in chunks); `None` when records
    /// hold line numbers.
    base: Option<chunks::LineBase>,
}

impl Partition {
    /// The line number of a record's `line` (its place in its chunk, when the file was read in
    /// chunks).
    pub fn line_number(&self, line: u64) -> u64 {
        match &self.base {
            Some(b) => b.number(
                u32::try_from(line >> LOCAL_BITS).unwrap_or(u32::MAX),
                line & ((1 << LOCAL_BITS) - 1),
            ),
            None => line,
        }
    }
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
    fn read<'l>(&self, line: &'l str) -> Result<Cow<'l, str>, String> {
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
                        return Ok(Cow::Borrowed(cells.get(*index).map_or("", |c| c.trim())));
                    }
                }
                let cells = csv::split_line(line);
                if cells.len() != *width {
                    return Err(format!(
                        "expected {width} fields (as in the header), found {}",
                        cells.len()
                    ));
                }
                Ok(Cow::Owned(
                    cells
                        .get(*index)
                        .map(|c| c.trim().to_string())
                        .unwrap_or_default(),
                ))
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
                    Some(serde_json::Value::String(s)) => Ok(Cow::Owned(s.trim().to_string())),
                    Some(serde_json::Value::Number(n)) => Ok(Cow::Owned(n.to_string())),
                    None | Some(serde_json::Value::Null) => Ok(Cow::Borrowed("")),
                    Some(other) => Err(format!("`account` must be a string, found {other}")),
                }
            }
        }
    }
}

/// The reader of a usage file whose first non-blank line is `first`, and where its lines name
/// their account.
fn reader_for(first: &str, usage: &Path) -> Result<(EventReader, AccountField), AnswerError> {
    let r = EventReader::for_first_line(first);
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
    Ok((r, field))
}

/// Reads `usage` once, writing each line to the shard of its account (`run.index`: account id
/// -> its place in the accounts file; account `i` goes to shard `i % shards`). A line whose
/// account is missing, unknown or cannot be read is a bad line of the run's own.
///
/// A regular file is read on `threads` threads, each taking the next chunk of whole lines
/// ([`chunks::FileChunks`]) and keeping its records per shard until a block is worth writing;
/// a record's line number is its chunk's and its place in the chunk until every chunk is
/// counted ([`Partition::line_number`]).
pub(super) fn partition(
    usage: &Path,
    run: &Routing<'_>,
    scratch: &Scratch,
    shards: usize,
    progress: bool,
    threads: usize,
) -> Result<Partition, AnswerError> {
    let open = || {
        std::fs::File::open(usage).map_err(|e| {
            AnswerError::new(
                ErrorKind::BadRequest,
                "io-error",
                format!("cannot read `{}`: {e}", usage.display()),
            )
            .with_help("check the path")
        })
    };
    let file = open()?;
    if !chunks::positioned(&file) {
        return partition_stream(file, usage, run, scratch, shards, progress);
    }
    let first = match chunks::first_line(&mut BufReader::new(&file)) {
        Ok(first) => first,
        // Empty, or blank lines only: the one-thread pass says what it says of those.
        Err(_) => return partition_stream(open()?, usage, run, scratch, shards, progress),
    };
    let (reader, field) = reader_for(&first.text, usage)?;
    // A CSV header is not an event; a JSON Lines file's first line is, read as the others.
    let (start, first_data) = if reader.is_csv() {
        (first.end, first.number + 1)
    } else {
        (first.start, first.number)
    };
    let end = file.metadata().map_err(|e| io_error(usage, &e))?.len();
    let mut files = Vec::with_capacity(shards);
    for k in 0..shards {
        let path = scratch.shard(k);
        let f = std::fs::File::create(&path).map_err(|e| io_error(&path, &e))?;
        files.push(Mutex::new(f));
    }
    let chunks = chunks::FileChunks::new(&file, start, end);
    let read_lines = AtomicU64::new(0);
    let results: Vec<Result<Routed, AnswerError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    route_chunks(
                        &chunks,
                        &field,
                        run,
                        &files,
                        usage,
                        scratch,
                        &read_lines,
                        progress,
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(super::poisoned())))
            .collect()
    });
    let mut counts = Vec::new();
    let mut unassigned = Vec::new();
    let mut lines = 0u64;
    for r in results {
        let r = r?;
        counts.extend(r.counts);
        unassigned.extend(r.unassigned);
        lines += r.lines;
    }
    if progress {
        let _ = writeln!(
            std::io::stderr().lock(),
            "\rinvoice run: {lines} usage lines read"
        );
    }
    let base = chunks::LineBase::new(&counts, first_data);
    let mut partition = Partition {
        reader,
        lines,
        unassigned: Vec::new(),
        base: Some(base),
    };
    for u in &mut unassigned {
        u.line = partition.line_number(u.line);
    }
    unassigned.sort_by_key(|u| u.line);
    partition.unassigned = unassigned;
    Ok(partition)
}

/// What one thread of the pass routed: each chunk's line count, its run's bad lines (by place)
/// and how many lines it read.
struct Routed {
    counts: Vec<(u32, u64)>,
    unassigned: Vec<UnassignedLine>,
    lines: u64,
}

/// A shard's records kept by one thread before they are written: a block this large, and a
/// thread's blocks together about 16 MiB however many shards there are.
fn block_bytes(shards: usize) -> usize {
    ((16 << 20) / shards.max(1)).clamp(16 << 10, 256 << 10)
}

/// Line number bits of a place: the chunk's index above them, the line's number in it below.
const LOCAL_BITS: u32 = 40;

#[expect(
    clippy::too_many_arguments,
    reason = "one thread's share of the pass: what it reads, routes with and writes to"
)]
fn route_chunks(
    chunks: &chunks::FileChunks<'_>,
    field: &AccountField,
    run: &Routing<'_>,
    files: &[Mutex<std::fs::File>],
    usage: &Path,
    scratch: &Scratch,
    read_lines: &AtomicU64,
    progress: bool,
) -> Result<Routed, AnswerError> {
    let mut buf = Vec::with_capacity(chunks::CHUNK_BYTES as usize + (64 << 10));
    let mut blocks: Vec<Vec<u8>> = files.iter().map(|_| Vec::new()).collect();
    let block = block_bytes(files.len());
    let mut out = Routed {
        counts: Vec::new(),
        unassigned: Vec::new(),
        lines: 0,
    };
    let write = |k: usize, block: &mut Vec<u8>| -> Result<(), AnswerError> {
        if let Some(f) = files.get(k) {
            let mut f = f.lock().map_err(|_| super::poisoned())?;
            f.write_all(block)
                .map_err(|e| io_error(&scratch.shard(k), &e))?;
        }
        block.clear();
        Ok(())
    };
    while let Some((k, range)) = chunks.take(&mut buf).map_err(|e| io_error(usage, &e))? {
        let mut local = 0u64;
        let mut lines = 0u64;
        if let Some(range) = range {
            for raw in buf.get(range).unwrap_or_default().split(|b| *b == b'\n') {
                local += 1;
                let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                // Checked whole (fast); only a line that is not UTF-8 is read lossily.
                let text = match std::str::from_utf8(raw) {
                    Ok(t) => Cow::Borrowed(t),
                    Err(_) => String::from_utf8_lossy(raw),
                };
                if text.trim().is_empty() {
                    continue;
                }
                lines += 1;
                let place = (u64::from(k) << LOCAL_BITS) | local;
                route(run, field, &text, place, &mut blocks, &mut out.unassigned)
                    .map_err(|e| io_error(usage, &e))?;
            }
        }
        out.counts.push((k, local));
        out.lines += lines;
        for (s, b) in blocks.iter_mut().enumerate() {
            if b.len() >= block {
                write(s, b)?;
            }
        }
        let total = read_lines.fetch_add(lines, Ordering::Relaxed) + lines;
        if progress {
            let _ = write!(
                std::io::stderr().lock(),
                "\rinvoice run: {total} usage lines read"
            );
        }
    }
    for (s, block) in blocks.iter_mut().enumerate() {
        if !block.is_empty() {
            write(s, block)?;
        }
    }
    Ok(out)
}

/// The pass on one thread, line after line: for what is not a regular file (a pipe), and for a
/// file with no line but blank ones.
fn partition_stream(
    file: std::fs::File,
    usage: &Path,
    run: &Routing<'_>,
    scratch: &Scratch,
    shards: usize,
    progress: bool,
) -> Result<Partition, AnswerError> {
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
            let (r, field) = reader_for(&text, usage)?;
            let is_csv = r.is_csv();
            reader = Some((r, field));
            // A CSV header is not an event; a JSON Lines file's first line is, read as the others.
            if is_csv {
                continue;
            }
        }
        let Some((_, field)) = &reader else { continue };
        lines += 1;
        route(run, field, &text, number, &mut writers, &mut unassigned)
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
        base: None,
    })
}

/// What routes a line: the accounts by id, and what they are called in messages.
pub(super) struct Routing<'a> {
    pub index: &'a crate::rate::name_map::NameMap<u32>,
    pub accounts_name: &'a str,
}

/// Sends one line (`number`: its line number, or its place in its chunk) to its account's
/// shard, or to the run's bad lines.
fn route<W: Write>(
    run: &Routing<'_>,
    field: &AccountField,
    text: &str,
    number: u64,
    writers: &mut [W],
    unassigned: &mut Vec<UnassignedLine>,
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
    let Some(i) = run.index.get(account.as_bytes()) else {
        let reason = if account.is_empty() {
            "no `account`: every line of an invoice run names its account".to_string()
        } else {
            format!("account `{account}` is not in {}", run.accounts_name)
        };
        unassigned.push(UnassignedLine {
            line: number,
            account: account.into_owned(),
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
