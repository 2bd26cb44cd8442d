//! Rating a whole usage export: CSV or JSON Lines in, totals per account (or plan, product) out.
//!
//! The export is cut into chunks of whole lines ([`input`]) that one worker per core takes in
//! turn ([`worker`]). Each worker resolves names to rate keys through caches keyed by the raw
//! bytes of the line's fields (one hash lookup per line, no allocation once warm), converts the
//! quantity to integer nano-units, and rates through the [`Rater`] into its own totals; the
//! workers' totals are merged by group name at the end ([`merge`]). Memory is bounded by the
//! number of distinct accounts and keys, not events. Bad lines are collected with their line
//! numbers and reported at the end; every other line is rated.
//!
//! ```
//! use pricebook::rate::batch::{GroupBy, rate_input, write_csv};
//! let table = pricebook::pipeline::compile_source(r#"
//! pricebook acme version "1" effective 2026-01-01 currency USD
//! unit credit
//! product "Render" as render { measure time  rate 2 credit / second }
//! plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
//! "#).expect("a clean book");
//! let export = "account,plan,product,quantity\nacme-1,pro,render,90\nacme-1,pro,render,10\nacme-2,pro,paint,1\n";
//! let report = rate_input(&table, &mut export.as_bytes(), GroupBy::Account, false).expect("rated");
//! assert_eq!(report.rated, 2);
//! assert_eq!(report.bad.len(), 1); // no product `paint`, line 4
//! let mut out = Vec::new();
//! write_csv(&report, GroupBy::Account, &mut out).expect("written");
//! assert_eq!(String::from_utf8(out).unwrap(), "account,amount,unit,events\nacme-1,200,credit,2\n");
//! ```

mod columns;
mod exchange;
mod groups;
mod json_line;
mod merge;
mod report;
mod words;
mod worker;

pub(crate) use report::write_csv_on;
pub use report::{GroupTotal, GroupTotals, RateReport, write_csv, write_json};

use super::Rater;
use crate::base::chunks::{self as input, FileChunks, FirstLine, LineBase};
use crate::table::RatingTable;
use columns::Columns;
use exchange::Exchange;
use std::io::{BufRead, Write};
use std::sync::mpsc;
use worker::{LOCAL_BITS, Worker};

/// What totals are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum GroupBy {
    Account,
    Plan,
    Product,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputKind {
    Csv,
    Jsonl,
}

/// Where a usage export is read from.
pub enum UsageInput<'a> {
    /// Any reader: standard input, a pipe, bytes in memory. The calling thread reads it and hands
    /// blocks of lines to the workers.
    Reader(&'a mut dyn BufRead),
    /// A file: the workers read their chunks of it themselves, in parallel (standard input or a
    /// pipe opened as a file is read as [`UsageInput::Reader`] would).
    File(&'a std::fs::File),
}

/// How an export is rated.
#[derive(Debug, Clone, Copy)]
pub struct RateOptions {
    /// What the totals are grouped by.
    pub by: GroupBy,
    /// Draw progress on standard error as the file is read.
    pub progress: bool,
    /// Rating threads; 0 for one per core (at most 8).
    pub threads: usize,
}

impl RateOptions {
    /// Totals by `by`, no progress, one thread per core.
    pub fn by(by: GroupBy) -> RateOptions {
        RateOptions {
            by,
            progress: false,
            threads: 0,
        }
    }
}

/// Stream blocks are cut at the first newline after this many bytes.
const BLOCK_BYTES: usize = 1 << 20;

/// Rates a usage export read from `input`.
pub fn rate_input(
    table: &RatingTable,
    input: &mut dyn BufRead,
    by: GroupBy,
    progress: bool,
) -> Result<RateReport, String> {
    let options = RateOptions {
        progress,
        ..RateOptions::by(by)
    };
    rate_input_among(table, UsageInput::Reader(input), &options, &[])
}

/// Rates a usage export from a reader or a file, with `options`.
pub fn rate_usage(
    table: &RatingTable,
    input: UsageInput<'_>,
    options: &RateOptions,
) -> Result<RateReport, String> {
    rate_input_among(table, input, options, &[])
}

/// [`rate_usage`] for one of several price lists: CSV columns in `foreign` (other lists'
/// dimensions and `attr.NAME` columns, lower case) are not this table's and are left out.
pub(crate) fn rate_input_among(
    table: &RatingTable,
    input: UsageInput<'_>,
    options: &RateOptions,
    foreign: &[String],
) -> Result<RateReport, String> {
    rate_routing_from(table, input, options, foreign, exchange::ROUTE_FROM)
}

/// [`rate_input_among`], the workers handing lines over once each has met `route_from`
/// accounts ([`exchange`]).
fn rate_routing_from(
    table: &RatingTable,
    input: UsageInput<'_>,
    options: &RateOptions,
    foreign: &[String],
    route_from: usize,
) -> Result<RateReport, String> {
    let rater = Rater::new(table);
    let workers = match options.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    }
    .clamp(1, 8);
    // The first non-blank line tells the format: `{` starts JSON Lines, anything else is a CSV
    // header.
    let file = match input {
        UsageInput::File(f) if input::positioned(f) => Some(f),
        _ => None,
    };
    let mut file_reader;
    let reader: &mut dyn BufRead = match input {
        UsageInput::Reader(r) => r,
        UsageInput::File(f) => {
            file_reader = std::io::BufReader::with_capacity(1 << 16, f);
            &mut file_reader
        }
    };
    let first = input::first_line(reader)?;
    let (kind, columns) = if first.text.trim_start().starts_with('{') {
        (InputKind::Jsonl, None)
    } else {
        let columns = Columns::from_header(first.text.trim(), table, foreign)?;
        (InputKind::Csv, Some(columns))
    };
    let first_data = match kind {
        InputKind::Jsonl => first.number,
        InputKind::Csv => first.number + 1,
    };
    let run = Run {
        rater: &rater,
        kind,
        by: options.by,
        columns: columns.as_ref(),
        workers,
        progress: options.progress,
        route_from,
    };
    let results = match file {
        Some(f) => {
            let len = f
                .metadata()
                .map_err(|e| format!("cannot read the usage file: {e}"))?
                .len();
            let start = match kind {
                InputKind::Jsonl => first.start,
                InputKind::Csv => first.end,
            };
            run.file(&FileChunks::new(f, start, len), len - start)?
        }
        None => run.stream(reader, &first)?,
    };
    let chunk_lines: Vec<(u32, u64)> = results
        .iter()
        .flat_map(|w| w.chunk_lines.iter().copied())
        .collect();
    let base = LineBase::new(&chunk_lines, first_data);
    let number = |at: u64| base.number((at >> LOCAL_BITS) as u32, at & ((1 << LOCAL_BITS) - 1));
    let mut report = merge::merge(table, &rater, results)?;
    for (n, _) in report.bad.iter_mut().chain(report.rejected.iter_mut()) {
        *n = number(*n);
    }
    for (n, _) in report.rule_lines.iter_mut() {
        *n = number(*n);
    }
    report.bad.sort_by_key(|b| b.0);
    report.rejected.sort_by_key(|b| b.0);
    report.rule_lines.sort_unstable();
    Ok(report)
}

/// One rating run's workers and what they share.
struct Run<'r, 't> {
    rater: &'r Rater<'t>,
    kind: InputKind,
    by: GroupBy,
    columns: Option<&'r Columns>,
    workers: usize,
    progress: bool,
    /// Accounts a worker meets before it hands lines over ([`exchange::ROUTE_FROM`]).
    route_from: usize,
}

impl<'r, 't> Run<'r, 't> {
    /// Each worker's end of the exchange of lines by account ([`exchange`]), when there are
    /// several workers and totals are by account; `None` for each otherwise.
    fn exchanges(&self) -> Vec<Option<Exchange>> {
        match (self.by, self.workers) {
            (GroupBy::Account, 2..) => Exchange::among(self.workers, self.route_from)
                .into_iter()
                .map(Some)
                .collect(),
            _ => (0..self.workers).map(|_| None).collect(),
        }
    }

    /// A file read by the workers themselves; the calling thread is one of them.
    fn file(&self, chunks: &FileChunks<'_>, bytes: u64) -> Result<Vec<Worker<'r>>, String> {
        let done = std::sync::atomic::AtomicU64::new(0);
        let work = |report: bool, exchange: Option<Exchange>| -> Result<Worker<'r>, String> {
            let mut w = Worker::new(self.rater, self.kind, self.by, exchange);
            let mut buf = Vec::with_capacity(input::CHUNK_BYTES as usize + (64 << 10));
            let mut taken = 0u64;
            while let Some((k, range)) = chunks
                .take(&mut buf)
                .map_err(|e| format!("cannot read the usage file: {e}"))?
            {
                w.chunk(k, range.map(|r| &buf[r]), self.columns);
                let so_far =
                    done.fetch_add(input::CHUNK_BYTES, std::sync::atomic::Ordering::Relaxed);
                taken += 1;
                if report && taken % 16 == 0 {
                    let percent = (so_far.min(bytes) * 100).checked_div(bytes).unwrap_or(100);
                    let _ = write!(std::io::stderr().lock(), "\rrating: {percent}% read");
                }
            }
            w.finish();
            Ok(w)
        };
        let work = &work;
        let mut exchanges = self.exchanges().into_iter();
        let my_exchange = exchanges.next().flatten();
        let results = std::thread::scope(|scope| {
            let others: Vec<_> = exchanges
                .map(|x| scope.spawn(move || work(false, x)))
                .collect();
            let mine = work(self.progress, my_exchange);
            let mut all = vec![mine];
            all.extend(others.into_iter().map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a rating worker failed".into()))
            }));
            all.into_iter().collect::<Result<Vec<_>, String>>()
        })?;
        if self.progress {
            let _ = writeln!(std::io::stderr().lock(), "\rrating: 100% read");
        }
        Ok(results)
    }

    /// Any other reader: the calling thread reads blocks of whole lines and deals them out.
    fn stream(
        &self,
        input: &mut dyn BufRead,
        first: &FirstLine,
    ) -> Result<Vec<Worker<'r>>, String> {
        std::thread::scope(|scope| -> Result<Vec<Worker<'r>>, String> {
            let mut senders = Vec::new();
            let mut handles = Vec::new();
            for exchange in self.exchanges() {
                let (tx, rx) = mpsc::sync_channel::<(u32, Vec<u8>)>(2);
                senders.push(tx);
                handles.push(scope.spawn(move || {
                    let mut w = Worker::new(self.rater, self.kind, self.by, exchange);
                    for (chunk, block) in rx {
                        w.chunk(chunk, Some(&block), self.columns);
                    }
                    w.finish();
                    w
                }));
            }
            let mut next = 0u32;
            let mut send = |block: Vec<u8>| -> Result<(), String> {
                let r = senders[next as usize % self.workers]
                    .send((next, block))
                    .map_err(|_| "a rating worker stopped".to_string());
                next += 1;
                r
            };
            if self.kind == InputKind::Jsonl {
                send(first.text.as_bytes().to_vec())?;
            }
            // Blocks of whole lines, cut at the last newline.
            let stderr = std::io::stderr();
            let mut buf: Vec<u8> = Vec::with_capacity(BLOCK_BYTES + (64 << 10));
            let mut read = 0u64;
            loop {
                let chunk = input
                    .fill_buf()
                    .map_err(|e| format!("cannot read the usage file after {read} bytes: {e}"))?;
                if chunk.is_empty() {
                    break;
                }
                let n = chunk.len();
                buf.extend_from_slice(chunk);
                input.consume(n);
                read += n as u64;
                if buf.len() < BLOCK_BYTES {
                    continue;
                }
                let Some(cut) = memchr::memrchr(b'\n', &buf) else {
                    continue;
                };
                let mut rest = Vec::with_capacity(BLOCK_BYTES + (64 << 10));
                rest.extend_from_slice(&buf[cut + 1..]);
                buf.truncate(cut);
                send(std::mem::replace(&mut buf, rest))?;
                if self.progress && (read >> 20) % 16 == 0 {
                    let _ = write!(stderr.lock(), "\rrating: {} MB read", read >> 20);
                }
            }
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            if !buf.is_empty() {
                send(buf)?;
            }
            drop(senders);
            if self.progress {
                let _ = writeln!(stderr.lock(), "\rrating: {} MB read", read >> 20);
            }
            handles
                .into_iter()
                .map(|h| h.join().map_err(|_| "a rating worker failed".to_string()))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::worker::MAX_FIELDS;
    use super::{GroupBy, RateOptions, RateReport, UsageInput, rate_routing_from, write_csv};
    use crate::base::csv::split_unquoted;

    #[test]
    fn fields_split_on_commas_and_quotes_fall_back() {
        let split = |line: &'static str| {
            let mut out = [""; MAX_FIELDS];
            split_unquoted(line, &mut out).map(|n| (n, out[..n.min(MAX_FIELDS)].to_vec()))
        };
        assert_eq!(split(""), Some((1, vec![""])));
        assert_eq!(split("a,,b,"), Some((4, vec!["a", "", "b", ""])));
        assert_eq!(split("é,ü"), Some((2, vec!["é", "ü"])));
        // A quoted field is left to the full split.
        assert_eq!(split("a,\"b,c\",d"), None);
        // More than MAX_FIELDS: the count says so, the kept fields are the first ones.
        let long: &'static str = Box::leak(vec!["x"; MAX_FIELDS + 1].join(",").into_boxed_str());
        assert_eq!(split(long).map(|s| s.0), Some(MAX_FIELDS + 1));
        let exact: &'static str = Box::leak(vec!["x"; MAX_FIELDS].join(",").into_boxed_str());
        assert_eq!(split(exact).map(|s| s.0), Some(MAX_FIELDS));
    }

    fn written(report: &RateReport) -> String {
        let mut out = Vec::new();
        write_csv(report, GroupBy::Account, &mut out).expect("written to memory");
        String::from_utf8(out).expect("CSV is UTF-8")
    }

    /// Lines handed over between workers are rated once, by their account's owner, whether
    /// the workers hand over from the first line or start part way: every run gives the report
    /// one worker gives (totals, counts, bad lines and their numbers), from a reader and from a
    /// file of several chunks. Lines the general path reads (a unit in the quantity, quoted
    /// fields) stay with their reader and are merged; long account names hash another way.
    fn handover_table() -> crate::table::RatingTable {
        crate::pipeline::compile_source(
            r#"
pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
product "Render" as render { measure time  rate 2 credit / second }
product "Paint" as paint { measure time  rate 3 credit / minute }
plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
"#,
        )
        .expect("a clean book")
    }

    /// With many accounts (nearly every line a new one), the workers judge them many at 32,768
    /// accounts met and hand lines over from there (`exchange::ROUTE_EARLY`), with the
    /// threshold `pricebook rate` uses: the report is one worker's.
    #[test]
    fn many_accounts_handed_over_early_change_no_total() {
        let table = handover_table();
        let mut export = String::from("account,plan,product,quantity\n");
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000u64 {
            crate::base::xorshift(&mut seed);
            let product = ["render", "paint"][(seed % 2) as usize];
            export.push_str(&format!(
                "acct-{},pro,{product},{}\n",
                seed % 5_000_000,
                seed % 600
            ));
        }
        let path = std::env::temp_dir().join(format!("pricebook-many-{}.csv", std::process::id()));
        std::fs::write(&path, &export).expect("a temporary file");
        let run = |threads: usize| {
            let options = RateOptions {
                threads,
                ..RateOptions::by(GroupBy::Account)
            };
            let opened = std::fs::File::open(&path).expect("the temporary file");
            rate_routing_from(
                &table,
                UsageInput::File(&opened),
                &options,
                &[],
                super::exchange::ROUTE_FROM,
            )
            .expect("rated")
        };
        let one = run(1);
        assert!(one.totals.len() > 190_000, "{}", one.totals.len());
        for threads in [2, 3] {
            let other = run(threads);
            assert_eq!(written(&other), written(&one), "{threads} threads");
            assert_eq!((other.rated, other.lines), (one.rated, one.lines));
        }
        let _ = std::fs::remove_file(&path);
    }

    /// Accounts every worker meets (none handed over) are summed across the workers' runs by
    /// the merge, in parts cut at a name: names shorter than, as long as and longer than the
    /// 16 bytes the merge compares at once, one a prefix of another, come out in byte order
    /// with the totals one worker gives.
    #[test]
    fn accounts_every_worker_meets_merge_to_one_workers_totals() {
        let table = handover_table();
        let mut export = String::from("account,plan,product,quantity\n");
        let mut seed = 0x1234_5678_9abc_def1u64;
        for _ in 0..120_000u64 {
            crate::base::xorshift(&mut seed);
            let n = seed % 6000;
            let account = match (seed >> 20) % 5 {
                0 => format!("customer-{n:07}"),
                1 => format!("customer-{n:07}-eu-west"),
                2 => format!("customer-{n:07}-eu"),
                _ => format!("acct-{n}"),
            };
            let product = ["render", "paint"][(seed >> 7) as usize % 2];
            export.push_str(&format!("{account},pro,{product},{}\n", seed % 600));
        }
        let run = |threads: usize| {
            let options = RateOptions {
                threads,
                ..RateOptions::by(GroupBy::Account)
            };
            let mut bytes = export.as_bytes();
            rate_routing_from(
                &table,
                UsageInput::Reader(&mut bytes),
                &options,
                &[],
                usize::MAX,
            )
            .expect("rated")
        };
        let one = run(1);
        assert!(one.totals.len() > 20_000, "{}", one.totals.len());
        let names: Vec<&str> = one.totals.iter().map(|t| t.group).collect();
        assert!(
            names.windows(2).all(|w| w[0] < w[1]),
            "one row a name, in byte order"
        );
        for threads in [2, 3] {
            let other = run(threads);
            assert_eq!(written(&other), written(&one), "{threads} threads");
        }
    }

    #[test]
    fn handing_lines_over_changes_no_total() {
        let table = handover_table();
        let mut export = String::from("account,plan,product,quantity\n");
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..150_000u64 {
            crate::base::xorshift(&mut seed);
            let account = match seed % 11 {
                0 => format!("a-long-account-name-of-more-than-31-bytes-{}", seed % 97),
                _ => format!("acct-{}", seed % 4000),
            };
            let line = match i % 23 {
                0 => format!("{account},pro,render,{} second\n", seed % 50),
                1 => format!("\"{account}\",pro,paint,{}\n", seed % 70),
                2 => format!("{account},pro,sculpt,1\n"),
                3 => "\n".to_string(),
                _ => format!(
                    "{account},pro,{},{}\n",
                    ["render", "paint"][(seed % 2) as usize],
                    seed % 600
                ),
            };
            export.push_str(&line);
        }
        let path =
            std::env::temp_dir().join(format!("pricebook-handover-{}.csv", std::process::id()));
        std::fs::write(&path, &export).expect("a temporary file");
        let run = |threads: usize, route_from: usize, file: bool| {
            let options = RateOptions {
                threads,
                ..RateOptions::by(GroupBy::Account)
            };
            let opened;
            let mut bytes = export.as_bytes();
            let input = match file {
                true => {
                    opened = std::fs::File::open(&path).expect("the temporary file");
                    UsageInput::File(&opened)
                }
                false => UsageInput::Reader(&mut bytes),
            };
            rate_routing_from(&table, input, &options, &[], route_from).expect("rated")
        };
        let one = run(1, 0, false);
        assert!(
            one.totals.len() > 4000 && one.bad.len() > 6000,
            "{} {}",
            one.totals.len(),
            one.bad.len()
        );
        for (threads, route_from, file) in [
            (2, 0, false),
            (3, 0, true),
            (2, 0, true),
            (2, 1500, true),
            (3, 2000, false),
        ] {
            let other = run(threads, route_from, file);
            let what =
                format!("{threads} threads, handing over from {route_from} accounts, file {file}");
            assert_eq!(written(&other), written(&one), "{what}");
            assert_eq!((other.rated, other.lines), (one.rated, one.lines), "{what}");
            assert_eq!(other.bad, one.bad, "{what}");
        }
        let _ = std::fs::remove_file(&path);
    }
}
