//! The invoice run's one pass over the usage file: each line's account is read (only that
//! field), and the line goes, with its number, to the shard file of its account, so that a
//! shard holds every line of its accounts and the accounts can then be billed shard by shard,
//! in parallel, each with its events in memory and no more.
//!
//! A shard record is the line's number (u64), its account's index in the accounts file (u32),
//! its length (u32), then the line's text, little-endian. A line of a plain file
//! ([`EventReader::is_plain`]) whose time reads is kept read instead: the length's top bit set,
//! then its time (i64) and the lengths (u16) of its product, quantity and unit, then those three
//! as written. Billing then neither splits the line nor parses its time again, which was a fifth
//! of the run.

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
    Column {
        index: usize,
        width: usize,
        /// A plain file's fields, kept read in the shard.
        plain: Option<crate::usage::PlainColumns>,
    },
    Json,
}

/// Room for a line's fields split in place.
const CELLS: usize = 64;

#[derive(serde::Deserialize)]
struct AccountOf {
    #[serde(default)]
    account: Option<serde_json::Value>,
}

impl AccountField {
    /// The account a line names, as written (trimmed), or why it names none; and how many of
    /// `cells` hold the line's fields (0 when it was not split in place).
    fn read<'l>(
        &self,
        line: &'l str,
        cells: &mut [&'l str; CELLS],
    ) -> Result<(Cow<'l, str>, usize), String> {
        match self {
            AccountField::Column { index, width, .. } => {
                // Most lines have no quote: split them without allocating.
                if *width < cells.len() {
                    if let Some(n) = csv::split_unquoted(line, cells).filter(|n| *n <= CELLS) {
                        if n != *width {
                            return Err(format!(
                                "expected {width} fields (as in the header), found {n}"
                            ));
                        }
                        let account = cells.get(*index).map_or("", |c| csv::trim(c));
                        return Ok((Cow::Borrowed(account), n));
                    }
                }
                let cells = csv::split_line(line);
                if cells.len() != *width {
                    return Err(format!(
                        "expected {width} fields (as in the header), found {}",
                        cells.len()
                    ));
                }
                Ok((
                    Cow::Owned(
                        cells
                            .get(*index)
                            .map(|c| c.trim().to_string())
                            .unwrap_or_default(),
                    ),
                    0,
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
                let account = match v.account {
                    Some(serde_json::Value::String(s)) => Cow::Owned(s.trim().to_string()),
                    Some(serde_json::Value::Number(n)) => Cow::Owned(n.to_string()),
                    None | Some(serde_json::Value::Null) => Cow::Borrowed(""),
                    Some(other) => {
                        return Err(format!("`account` must be a string, found {other}"));
                    }
                };
                Ok((account, 0))
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
                plain: r.plain_columns().copied(),
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
            let mut take = |text: &str| -> Result<(), AnswerError> {
                local += 1;
                let text = text.strip_suffix('\r').unwrap_or(text);
                if text.trim().is_empty() {
                    return Ok(());
                }
                lines += 1;
                let place = (u64::from(k) << LOCAL_BITS) | local;
                route(run, field, text, place, &mut blocks, &mut out.unassigned)
                    .map_err(|e| io_error(usage, &e))
            };
            let chunk = buf.get(range).unwrap_or_default();
            // Checked whole (one fast pass; its lines are then UTF-8 too); a chunk that is not
            // is checked line by line, and only a line that is not is read lossily.
            match std::str::from_utf8(chunk) {
                Ok(text) => {
                    for line in text.split('\n') {
                        take(line)?;
                    }
                }
                Err(_) => {
                    for raw in chunk.split(|b| *b == b'\n') {
                        take(&String::from_utf8_lossy(raw))?;
                    }
                }
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
    let mut cells = [""; CELLS];
    let (account, split) = match field.read(text, &mut cells) {
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
    let Some(w) = writers.get_mut(i as usize % shards) else {
        return Ok(());
    };
    let mut head = [0u8; 16];
    head[..8].copy_from_slice(&number.to_le_bytes());
    head[8..12].copy_from_slice(&i.to_le_bytes());
    if let AccountField::Column {
        plain: Some(columns),
        ..
    } = field
    {
        if let Some(record) = cells
            .get(..split)
            .filter(|c| !c.is_empty())
            .and_then(|c| PlainRecord::of(columns, c))
        {
            return record.write(head, w);
        }
    }
    let bytes = text.as_bytes();
    let len = u32::try_from(bytes.len())
        .ok()
        .filter(|l| *l & PLAIN == 0)
        .ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "a usage line over 2 GiB")
        })?;
    head[12..].copy_from_slice(&len.to_le_bytes());
    w.write_all(&head)?;
    w.write_all(bytes)
}

/// The length's bit that marks a plain record.
const PLAIN: u32 = 1 << 31;

/// A plain line kept read: its time, and its product, quantity and unit as written.
struct PlainRecord<'l> {
    time: crate::base::date::Instant,
    fields: [&'l str; 3],
    lens: [u16; 3],
}

impl<'l> PlainRecord<'l> {
    /// The record of a line of a plain file (`cells`: its fields, split in place), or `None`
    /// when its time does not read (billing then reads the line and says why) or a field is
    /// too long for the record.
    fn of(columns: &crate::usage::PlainColumns, cells: &[&'l str]) -> Option<PlainRecord<'l>> {
        let [time, product, quantity, unit] = columns.fields(cells);
        let time = crate::base::date::parse_instant(time)?;
        let fields = [product, quantity, unit];
        let mut lens = [0u16; 3];
        for (len, f) in lens.iter_mut().zip(fields) {
            *len = u16::try_from(f.len()).ok()?;
        }
        Some(PlainRecord { time, fields, lens })
    }

    /// Writes the record after `head` (its number and account; its length is set here).
    fn write<W: Write>(&self, mut head: [u8; 16], w: &mut W) -> std::io::Result<()> {
        let body: usize = 14 + self.fields.iter().map(|f| f.len()).sum::<usize>();
        // At most 14 + 3 * 65,535 bytes: far under the marking bit.
        let len = u32::try_from(body).unwrap_or(0) | PLAIN;
        head[12..].copy_from_slice(&len.to_le_bytes());
        let mut fixed = [0u8; 30];
        fixed[..16].copy_from_slice(&head);
        fixed[16..24].copy_from_slice(&self.time.to_le_bytes());
        for (k, l) in self.lens.iter().enumerate() {
            fixed[24 + 2 * k..26 + 2 * k].copy_from_slice(&l.to_le_bytes());
        }
        w.write_all(&fixed)?;
        for f in self.fields {
            w.write_all(f.as_bytes())?;
        }
        Ok(())
    }
}

/// One line of a shard: its account's index, its line number (or place), and where its
/// record's length starts in the shard's bytes. Small, so sorting a shard's records moves
/// little: the body is read when its account is billed ([`body`]).
#[derive(Clone, Copy)]
pub(super) struct Record {
    pub account: u32,
    at: u32,
    pub line: u64,
}

/// A shard record's line: as written, or kept read ([`PlainRecord`]).
#[derive(Clone, Copy)]
pub(super) enum Body<'a> {
    Line(&'a str),
    Plain {
        time: crate::base::date::Instant,
        product: &'a str,
        quantity: &'a str,
        unit: &'a str,
    },
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let mut b = [0u8; 4];
    b.copy_from_slice(bytes.get(at..at + 4)?);
    Some(u32::from_le_bytes(b))
}

/// The records of a shard's bytes (at most 4 GiB: shards are about 2 MiB), sorted by
/// account, then line.
pub(super) fn records(bytes: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(head) = bytes.get(at..at + 16) {
        let mut n = [0u8; 8];
        n.copy_from_slice(&head[..8]);
        let (Some(account), Some(len), Ok(place)) = (
            u32_at(bytes, at + 8),
            u32_at(bytes, at + 12),
            u32::try_from(at + 12),
        ) else {
            break;
        };
        out.push(Record {
            account,
            at: place,
            line: u64::from_le_bytes(n),
        });
        at += 16 + (len & !PLAIN) as usize;
    }
    out.sort_unstable_by_key(|r| (r.account, r.line));
    out
}

/// What `record` of `bytes` (the shard [`records`] read) says; `None` for a torn record.
pub(super) fn body<'a>(bytes: &'a [u8], record: &Record) -> Option<Body<'a>> {
    let at = record.at as usize;
    let len = u32_at(bytes, at)?;
    let body = bytes.get(at + 4..at + 4 + (len & !PLAIN) as usize)?;
    if len & PLAIN == 0 {
        // Written from a `str`, so this never fails; an empty line would be a bad line.
        Some(Body::Line(std::str::from_utf8(body).ok()?))
    } else {
        plain_body(body)
    }
}

/// A plain record's body: its time, the three lengths, then the fields (checked as UTF-8 at
/// once: each was a `str`, so each length falls on a character boundary).
fn plain_body(body: &[u8]) -> Option<Body<'_>> {
    let mut t = [0u8; 8];
    t.copy_from_slice(body.get(..8)?);
    let len = |k: usize| -> Option<usize> {
        let mut l = [0u8; 2];
        l.copy_from_slice(body.get(8 + 2 * k..10 + 2 * k)?);
        Some(usize::from(u16::from_le_bytes(l)))
    };
    let (p, q, u) = (len(0)?, len(1)?, len(2)?);
    let text = std::str::from_utf8(body.get(14..)?).ok()?;
    Some(Body::Plain {
        time: i64::from_le_bytes(t),
        product: text.get(..p)?,
        quantity: text.get(p..p + q)?,
        unit: text.get(p + q..p + q + u)?,
    })
}
