//! What rating an export reports: totals per group and unit, kept compact (a million accounts'
//! names in one buffer, not a million strings), and written as CSV or JSON.

use super::GroupBy;
use rust_decimal::Decimal;
use std::io::Write;

/// The result of rating a file.
pub struct RateReport {
    /// Totals per group and unit, sorted by group then unit.
    pub totals: GroupTotals,
    pub rated: u64,
    pub bad: Vec<(u64, String)>,
    pub rejected: Vec<(u64, String)>,
    /// (usage line, book line) of each rejection a rule with a source line made.
    pub rule_lines: Vec<(u64, u32)>,
    /// With several price lists ([`rate_lists`](crate::rate::lists::rate_lists)): (usage line,
    /// book) of each rule line, the book its rule is in; empty for one table.
    pub rule_books: Vec<(u64, String)>,
    /// Usage lines read (the CSV header and blank lines aside): rated + bad + rejected.
    pub lines: u64,
}

impl RateReport {
    pub(crate) fn empty() -> RateReport {
        RateReport {
            totals: GroupTotals::default(),
            rated: 0,
            bad: Vec::new(),
            rejected: Vec::new(),
            rule_lines: Vec::new(),
            rule_books: Vec::new(),
            lines: 0,
        }
    }
}

/// One group's total in one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupTotal<'a> {
    /// The account, plan or product.
    pub group: &'a str,
    pub unit: &'a str,
    /// Rounded once: money to its minor unit, other units exact.
    pub amount: Decimal,
    /// The group's events (all units).
    pub events: u64,
}

/// Totals per group and unit, in the order they were added.
///
/// Kept in parts, each its rows and their names: the merge's threads each make a part, which is
/// appended as it is (copying a million rows after one another took 14 ms, on one thread,
/// after the merge had finished).
#[derive(Debug, Clone, Default)]
pub struct GroupTotals {
    units: Vec<String>,
    parts: Vec<Part>,
}

/// Rows of [`GroupTotals`] and their groups' names.
#[derive(Debug, Clone, Default)]
struct Part {
    names: String,
    rows: Vec<Row>,
}

#[derive(Debug, Clone, Copy)]
struct Row {
    /// The group's name: `names[start..end]` of its part.
    start: usize,
    end: usize,
    unit: u32,
    amount: Decimal,
    events: u64,
}

impl GroupTotals {
    /// Totals with room for `rows` rows whose names take `name_bytes` bytes.
    pub(super) fn with_capacity(rows: usize, name_bytes: usize) -> GroupTotals {
        GroupTotals {
            units: Vec::new(),
            parts: vec![Part {
                names: String::with_capacity(name_bytes),
                rows: Vec::with_capacity(rows),
            }],
        }
    }

    /// The part rows are added to.
    fn last(&mut self) -> &mut Part {
        if self.parts.is_empty() {
            self.parts.push(Part::default());
        }
        let last = self.parts.len() - 1;
        &mut self.parts[last]
    }

    /// Adds a group's total; rows of one group follow each other, so a group's name is stored
    /// once however many units it has.
    pub fn push(&mut self, group: &str, unit: &str, amount: Decimal, events: u64) {
        let unit = self.unit_index(unit);
        let part = self.last();
        let (start, end) = match part.rows.last() {
            Some(r) if &part.names[r.start..r.end] == group => (r.start, r.end),
            _ => {
                let start = part.names.len();
                part.names.push_str(group);
                (start, part.names.len())
            }
        };
        part.rows.push(Row {
            start,
            end,
            unit,
            amount,
            events,
        });
    }

    /// Adds a group's totals in one or more units (each `(unit_index(unit), amount)`), its name
    /// stored once: the merge knows a group's rows are its own, and each unit's index, so a
    /// row costs no compare of names or units.
    pub(super) fn push_group(&mut self, group: &str, totals: &[(u32, Decimal)], events: u64) {
        let part = self.last();
        let start = part.names.len();
        part.names.push_str(group);
        let end = part.names.len();
        part.rows.extend(totals.iter().map(|&(unit, amount)| Row {
            start,
            end,
            unit,
            amount,
            events,
        }));
    }

    /// The index of `unit` among these totals' units, added when new.
    pub(super) fn unit_index(&mut self, unit: &str) -> u32 {
        let i = match self.units.iter().position(|u| u == unit) {
            Some(i) => i,
            None => {
                self.units.push(unit.to_string());
                self.units.len() - 1
            }
        };
        i as u32
    }

    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.rows.len()).sum()
    }

    /// Adds `other`'s rows after these, its parts moved, not copied; its rows' units are
    /// renumbered in place only where the two number them differently.
    pub fn append(&mut self, mut other: GroupTotals) {
        let units: Vec<u32> = other.units.iter().map(|u| self.unit_index(u)).collect();
        if units.iter().enumerate().any(|(i, u)| *u as usize != i) {
            for row in other.parts.iter_mut().flat_map(|p| p.rows.iter_mut()) {
                row.unit = units.get(row.unit as usize).copied().unwrap_or(row.unit);
            }
        }
        self.parts
            .extend(other.parts.into_iter().filter(|p| !p.rows.is_empty()));
    }

    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(|p| p.rows.is_empty())
    }

    /// The `i`th total.
    pub fn get(&self, mut i: usize) -> Option<GroupTotal<'_>> {
        for part in &self.parts {
            match part.rows.get(i) {
                Some(r) => return Some(self.total(part, r)),
                None => i -= part.rows.len(),
            }
        }
        None
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = GroupTotal<'_>> + '_ {
        let rows = self
            .parts
            .iter()
            .flat_map(move |part| part.rows.iter().map(move |r| self.total(part, r)));
        Counted {
            rows,
            left: self.len(),
        }
    }

    /// The rows of `range`, a run of them (and their part) at a time.
    fn runs(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = (&Part, &[Row])> {
        let mut first = 0;
        self.parts.iter().filter_map(move |part| {
            let (from, to) = (first, first + part.rows.len());
            first = to;
            let rows = part
                .rows
                .get(range.start.max(from) - from..range.end.min(to).max(from) - from)?;
            (!rows.is_empty()).then_some((part, rows))
        })
    }

    fn total<'a>(&'a self, part: &'a Part, r: &Row) -> GroupTotal<'a> {
        GroupTotal {
            group: part.names.get(r.start..r.end).unwrap_or_default(),
            unit: self.units.get(r.unit as usize).map_or("", String::as_str),
            amount: r.amount,
            events: r.events,
        }
    }
}

/// An iterator that knows how many items it has left.
struct Counted<I> {
    rows: I,
    left: usize,
}

impl<I: Iterator> Iterator for Counted<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = self.rows.next()?;
        self.left = self.left.saturating_sub(1);
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<I: Iterator> ExactSizeIterator for Counted<I> {}

/// Writes totals as CSV: `<group>,amount,unit,events`.
///
/// With many totals the rows are formatted on every core, a block of rows at a time, while
/// this thread writes the blocks already formatted, in order: a million accounts' rows took
/// 40 ms or more on one thread, after everything else had finished, and formatted in rounds
/// with each round written before the next began, the writes waited on the formatting and the
/// formatting on the writes. Memory stays two blocks of text a thread, whatever the number of
/// rows.
pub fn write_csv(report: &RateReport, by: GroupBy, out: &mut dyn Write) -> std::io::Result<()> {
    write_csv_on(report, by, out, 0)
}

/// [`write_csv`] on at most `threads` threads (0: one per core, at most 8), the calling thread
/// among them: `pricebook rate --threads 1` formats on the one thread it was given.
pub(crate) fn write_csv_on(
    report: &RateReport,
    by: GroupBy,
    out: &mut dyn Write,
    threads: usize,
) -> std::io::Result<()> {
    let mut header = group_key(by).as_bytes().to_vec();
    header.extend_from_slice(b",amount,unit,events\n");
    out.write_all(&header)?;
    let rows = report.totals.len();
    let block = |b: usize| (b * CSV_BLOCK_ROWS).min(rows)..((b + 1) * CSV_BLOCK_ROWS).min(rows);
    let blocks = rows.div_ceil(CSV_BLOCK_ROWS);
    let threads = match (blocks, threads) {
        (0 | 1, _) => 1,
        (_, 0) => std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        (_, n) => n.min(8),
    };
    if threads == 1 {
        let mut buf = Vec::with_capacity(rows.min(CSV_BLOCK_ROWS) * 32);
        for b in 0..blocks {
            csv_rows(&report.totals, block(b), &mut buf);
            out.write_all(&buf)?;
            buf.clear();
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let (done, formatted) = std::sync::mpsc::channel::<(usize, Vec<u8>)>();
        // Thread `t` formats blocks `t`, `t + threads`, ..., each into a buffer given back once
        // written: two each, so a thread is at most a block ahead of the writes.
        let mut give_back = Vec::with_capacity(threads);
        for t in 0..threads {
            let (back, buffers) = std::sync::mpsc::channel::<Vec<u8>>();
            for _ in 0..2 {
                let _ = back.send(Vec::with_capacity(CSV_BLOCK_ROWS * 32));
            }
            give_back.push(back);
            let done = done.clone();
            scope.spawn(move || {
                for b in (t..blocks).step_by(threads) {
                    let Ok(mut buf) = buffers.recv() else { return };
                    csv_rows(&report.totals, block(b), &mut buf);
                    if done.send((b, buf)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done);
        // Blocks arrive in any order and are written in theirs; on an error the buffers'
        // senders go with this closure, and the threads stop at their next block.
        let mut early = std::collections::BTreeMap::new();
        let mut next = 0;
        for (b, buf) in formatted {
            early.insert(b, buf);
            while let Some(mut buf) = early.remove(&next) {
                out.write_all(&buf)?;
                buf.clear();
                if let Some(back) = give_back.get(next % threads) {
                    let _ = back.send(buf);
                }
                next += 1;
            }
        }
        Ok(())
    })
}

/// Rows a thread formats at a time when writing CSV.
const CSV_BLOCK_ROWS: usize = 1 << 15;

/// The CSV rows of totals `range`, appended to `buf`.
///
/// Each row's text after its name is written right to left into an array on the stack and
/// appended at once: pushed a byte and a field at a time, every push reloaded the buffer's
/// length and capacity behind the last store (87 ns a row, a million rows per run).
fn csv_rows(totals: &GroupTotals, range: std::ops::Range<usize>, into: &mut Vec<u8>) {
    // The buffer itself is written through a local: the threads' buffers' lengths sit side by
    // side in one cache line, and each row's writes to its own bounced that line between the
    // cores (3.8 ms a block of rows on two cores, 1.1 ms on one).
    let mut local = std::mem::take(into);
    let buf = &mut local;
    for (part, r) in totals
        .runs(range)
        .flat_map(|(part, rows)| rows.iter().map(move |r| (part, r)))
    {
        let group = part.names.get(r.start..r.end).unwrap_or_default();
        if memchr::memchr2(b',', b'"', group.as_bytes()).is_some() {
            buf.push(b'"');
            buf.extend_from_slice(group.replace('"', "\"\"").as_bytes());
            buf.push(b'"');
        } else {
            buf.extend_from_slice(group.as_bytes());
        }
        let unit = totals.units.get(r.unit as usize).map_or("", String::as_str);
        let mut tail = RowTail::new();
        if !tail.fits(unit) {
            buf.push(b',');
            push_decimal(buf, r.amount);
            buf.push(b',');
            buf.extend_from_slice(unit.as_bytes());
            buf.push(b',');
            push_digits(buf, u128::from(r.events));
            buf.push(b'\n');
            continue;
        }
        tail.byte(b'\n');
        tail.digits(u128::from(r.events));
        tail.byte(b',');
        tail.bytes(unit.as_bytes());
        tail.byte(b',');
        tail.decimal(r.amount);
        tail.byte(b',');
        buf.extend_from_slice(tail.text());
    }
    *into = local;
}

/// A row's text after its name, written from its end: `,amount,unit,events\n`.
struct RowTail {
    bytes: [u8; ROW_TAIL],
    start: usize,
}

/// A row tail's room: a decimal takes at most 31 bytes (sign, 29 digits, point, or a sign,
/// `0.` and 28 places), events at most 20, three commas and a newline; a unit name of up to
/// [`ROW_TAIL`] less those 55 takes the fast path.
const ROW_TAIL: usize = 128;

impl RowTail {
    fn new() -> RowTail {
        RowTail {
            bytes: [0; ROW_TAIL],
            start: ROW_TAIL,
        }
    }

    /// Whether a row with unit `unit` fits.
    fn fits(&self, unit: &str) -> bool {
        unit.len() + 55 <= ROW_TAIL
    }

    fn text(&self) -> &[u8] {
        self.bytes.get(self.start..).unwrap_or_default()
    }

    fn byte(&mut self, b: u8) {
        self.start -= 1;
        self.bytes[self.start] = b;
    }

    fn bytes(&mut self, b: &[u8]) {
        self.start -= b.len();
        self.bytes[self.start..self.start + b.len()].copy_from_slice(b);
    }

    /// At least one digit.
    fn digits(&mut self, mut n: u128) {
        loop {
            self.byte(b'0' + next_digit(&mut n));
            if n == 0 {
                break;
            }
        }
    }

    /// `d` as its `Display` writes it.
    fn decimal(&mut self, d: Decimal) {
        let m = d.mantissa();
        let mut n = m.unsigned_abs();
        let scale = d.scale();
        if scale > 0 {
            for _ in 0..scale {
                self.byte(b'0' + next_digit(&mut n));
            }
            self.byte(b'.');
        }
        self.digits(n);
        if m < 0 {
            self.byte(b'-');
        }
    }
}

/// Takes `n`'s last decimal digit off it: dividing a `u128` is a library call, a `u64` by 10 a
/// multiply, so the wide division runs only for digits beyond 64 bits.
#[inline]
fn next_digit(n: &mut u128) -> u8 {
    match u64::try_from(*n) {
        Ok(v) => {
            *n = u128::from(v / 10);
            (v % 10) as u8
        }
        Err(_) => {
            let d = (*n % 10) as u8;
            *n /= 10;
            d
        }
    }
}

/// Writes totals as JSON.
pub fn write_json(report: &RateReport, by: GroupBy, out: &mut dyn Write) -> std::io::Result<()> {
    let key = group_key(by);
    let totals: Vec<serde_json::Value> = report
        .totals
        .iter()
        .map(|t| serde_json::json!({ key: t.group, "amount": t.amount.to_string(), "unit": t.unit, "events": t.events }))
        .collect();
    let doc = serde_json::json!({
        "totals": totals,
        "rated": report.rated,
        "lines": report.lines,
        "bad_lines": report.bad.iter().map(|(n, m)| serde_json::json!({"line": n, "reason": m})).collect::<Vec<_>>(),
        "rejected": report.rejected.iter().map(|(n, m)| serde_json::json!({"line": n, "reason": m})).collect::<Vec<_>>(),
    });
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

fn group_key(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Account => "account",
        GroupBy::Plan => "plan",
        GroupBy::Product => "product",
    }
}

/// Appends `d` as its `Display` writes it (sign, digits, the point before its `scale` last
/// digits), without the formatting machinery: a million totals are written per run.
pub(crate) fn push_decimal(buf: &mut Vec<u8>, d: Decimal) {
    let mut text = RowTail::new();
    text.decimal(d);
    buf.extend_from_slice(text.text());
}

/// Appends `n` in decimal digits.
fn push_digits(buf: &mut Vec<u8>, n: u128) {
    let mut text = RowTail::new();
    text.digits(n);
    buf.extend_from_slice(text.text());
}

#[cfg(test)]
mod tests {
    use super::{
        CSV_BLOCK_ROWS, GroupTotals, ROW_TAIL, RateReport, RowTail, push_decimal, write_csv,
        write_csv_on,
    };
    use crate::rate::batch::GroupBy;
    use rust_decimal::Decimal;

    #[test]
    fn decimals_are_written_as_display_writes_them() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut cases: Vec<Decimal> = [
            "0",
            "0.00",
            "-0.5",
            "1",
            "10.10",
            "0.000000000001",
            "-12.3400",
            "79228162514264337593543950335",
            "-7.9228162514264337593543950335",
            // Either side of 64 bits, where digits stop being divided as a `u128`.
            "18446744073709551615",
            "18446744073709551616",
            "-1844674407370955161.6",
            "10000000000000000000",
            "100000000000000000000",
        ]
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
        for _ in 0..20_000 {
            crate::base::xorshift(&mut seed);
            let m = i64::from_le_bytes(seed.to_le_bytes());
            cases.push(Decimal::new(m, (seed % 29) as u32));
            cases.push(Decimal::new(m % 1000, (seed % 7) as u32));
        }
        for d in cases {
            let mut buf = Vec::new();
            push_decimal(&mut buf, d);
            assert_eq!(String::from_utf8(buf).unwrap_or_default(), d.to_string());
            // The CSV rows' own writer, right to left, after a unit and a count as wide as any.
            let mut tail = RowTail::new();
            tail.digits(u128::from(u64::MAX));
            tail.bytes(&[b'u'; ROW_TAIL - 55]);
            tail.decimal(d);
            let expect = format!("{d}{}{}", "u".repeat(ROW_TAIL - 55), u64::MAX);
            assert_eq!(String::from_utf8_lossy(tail.text()), expect);
        }
    }

    #[test]
    fn a_group_name_is_stored_once_for_its_units() {
        let mut t = GroupTotals::default();
        t.push("acme", "credit", Decimal::ONE, 2);
        t.push("acme", "USD", Decimal::TWO, 2);
        t.push("beta", "credit", Decimal::TEN, 1);
        let rows: Vec<(&str, &str, String, u64)> = t
            .iter()
            .map(|r| (r.group, r.unit, r.amount.to_string(), r.events))
            .collect();
        assert_eq!(
            rows,
            [
                ("acme", "credit", "1".to_string(), 2),
                ("acme", "USD", "2".to_string(), 2),
                ("beta", "credit", "10".to_string(), 1)
            ]
        );
        assert_eq!(t.parts.len(), 1);
        assert_eq!(t.parts[0].names, "acmebeta");
    }

    /// Totals written in blocks on several threads come out as one thread writes them, row by
    /// row in order, names that need quoting quoted, whatever the number of rows relative to
    /// the blocks.
    #[test]
    fn csv_written_in_blocks_is_each_row_in_order() {
        for (rows, part_rows) in [
            (0, 1),
            (1, 1),
            (CSV_BLOCK_ROWS - 1, usize::MAX),
            (CSV_BLOCK_ROWS, usize::MAX),
            (3 * CSV_BLOCK_ROWS + 17, usize::MAX),
            // Parts (as the merge's threads make them) ending inside blocks and at their ends.
            (3 * CSV_BLOCK_ROWS + 17, CSV_BLOCK_ROWS / 2 + 5),
            (2 * CSV_BLOCK_ROWS, CSV_BLOCK_ROWS),
        ] {
            let mut report = RateReport::empty();
            let mut part = GroupTotals::default();
            let mut expect = String::from("account,amount,unit,events\n");
            let mut expect_rows = Vec::new();
            for i in 0..rows {
                if i % part_rows == 0 {
                    report.totals.append(std::mem::take(&mut part));
                }
                let name = match i % 1000 {
                    0 => format!("acct \"{i}\", quoted"),
                    _ => format!("acct-{i}"),
                };
                // A unit name too long for a row's stack buffer takes the field-by-field path.
                let long = "a-unit-whose-name-is-longer-than-any-unit-name-a-book-would-ever-give-its-units";
                let unit = ["credit", "USD", long][i % 3];
                let amount = Decimal::new(i as i64 * 7 - 3, (i % 4) as u32);
                part.push(&name, unit, amount, i as u64);
                expect_rows.push((name.clone(), unit, amount, i as u64));
                let shown = match name.contains('"') {
                    true => format!("\"{}\"", name.replace('"', "\"\"")),
                    false => name,
                };
                expect.push_str(&format!("{shown},{amount},{unit},{i}\n"));
            }
            report.totals.append(part);
            assert_eq!(report.totals.len(), rows);
            assert_eq!(report.totals.iter().len(), rows);
            let got: Vec<(String, &str, Decimal, u64)> = report
                .totals
                .iter()
                .map(|t| (t.group.to_string(), t.unit, t.amount, t.events))
                .collect();
            assert_eq!(got, expect_rows, "{rows} rows in parts of {part_rows}");
            for i in [0, rows / 2, rows.saturating_sub(1)]
                .into_iter()
                .filter(|i| *i < rows)
            {
                let t = report
                    .totals
                    .get(i)
                    .map(|t| (t.group.to_string(), t.unit, t.amount, t.events));
                assert_eq!(t.as_ref(), expect_rows.get(i));
            }
            assert!(report.totals.get(rows).is_none());
            let mut out = Vec::new();
            write_csv(&report, GroupBy::Account, &mut out).expect("written to memory");
            assert!(
                String::from_utf8(out).is_ok_and(|o| o == expect),
                "{rows} rows in parts of {part_rows}"
            );
            // On as many threads as `--threads` gives, one of them the calling thread alone.
            for threads in [1, 2, 3] {
                let mut out = Vec::new();
                write_csv_on(&report, GroupBy::Account, &mut out, threads)
                    .expect("written to memory");
                assert!(
                    String::from_utf8(out).is_ok_and(|o| o == expect),
                    "{rows} rows in parts of {part_rows}, {threads} threads"
                );
            }
        }
    }

    /// A write that fails part way is returned as the error, and the formatting threads stop
    /// (the call returns rather than waiting on them).
    #[test]
    fn a_failed_write_is_the_error() {
        struct FailsAfter(usize);
        impl std::io::Write for FailsAfter {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.0 < buf.len() {
                    return Err(std::io::Error::other("disk full"));
                }
                self.0 -= buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut report = RateReport::empty();
        for i in 0..5 * CSV_BLOCK_ROWS {
            report
                .totals
                .push(&format!("acct-{i}"), "credit", Decimal::ONE, 1);
        }
        for room in [0, 100, 3 * CSV_BLOCK_ROWS * 10] {
            let err = write_csv(&report, GroupBy::Account, &mut FailsAfter(room));
            assert!(
                err.is_err_and(|e| e.to_string() == "disk full"),
                "room for {room} bytes"
            );
        }
    }

    /// Appending moves rows into empty totals, and otherwise keeps each row's unit by name
    /// when the two number their units differently.
    #[test]
    fn appended_rows_keep_their_names_and_units() {
        let mut a = GroupTotals::default();
        a.append({
            let mut first = GroupTotals::default();
            first.push("acme", "credit", Decimal::ONE, 1);
            first
        });
        let mut b = GroupTotals::default();
        b.push("beta", "USD", Decimal::TWO, 2);
        b.push("beta", "credit", Decimal::TEN, 2);
        b.push("gamma", "minute", Decimal::ONE, 3);
        a.append(b);
        let rows: Vec<(&str, &str, u64)> = a.iter().map(|r| (r.group, r.unit, r.events)).collect();
        assert_eq!(
            rows,
            [
                ("acme", "credit", 1),
                ("beta", "USD", 2),
                ("beta", "credit", 2),
                ("gamma", "minute", 3)
            ]
        );
        assert_eq!(a.units, ["credit", "USD", "minute"]);
    }
}
