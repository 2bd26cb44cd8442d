//! The workers' totals merged into one report: groups matched by name, usage totalled per
//! period priced, every total rounded once, rows sorted by group then unit.
//!
//! Each worker numbers the groups it meets itself. Each worker's groups are sorted by name (in
//! parallel; the sort compares eight bytes of each name as one integer before it compares
//! names), then the sorted runs are merged as a merge sort does: one pass, no hash lookups, and
//! the rows come out in order. Names and rows stay where their worker put them: the merge
//! compares names by a 16-byte prefix made from their sort keys, and reads rows ahead, a block
//! at a time.

use super::groups::GroupNames;
use super::worker::Worker;
use super::{GroupTotals, RateReport};
use crate::base::money::add_exact;
use crate::rate::period::{PeriodKey, PeriodUsage, price_periods};
use crate::rate::{Rater, Totals};
use crate::table::{RatingTable, UnitId};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Merges the workers' results; line numbers stay as the workers recorded them.
pub(super) fn merge(
    table: &RatingTable,
    rater: &Rater<'_>,
    mut workers: Vec<Worker<'_>>,
) -> Result<RateReport, String> {
    let mut report = RateReport::empty();
    let mut period_usage: BTreeMap<PeriodKey, PeriodUsage> = BTreeMap::new();
    for w in workers.iter_mut() {
        for (k, u) in std::mem::take(&mut w.period_usage) {
            let e = period_usage.entry(k).or_default();
            let (Some(quantity), Some(charged)) = (
                add_exact(e.quantity, u.quantity),
                add_exact(e.charged, u.charged),
            ) else {
                return Err(
                    "arithmetic overflow while summing an account's usage this period".into(),
                );
            };
            *e = PeriodUsage {
                quantity,
                charged,
                events: e.events + u.events,
            };
        }
        report.bad.append(&mut w.bad);
        report.rejected.append(&mut w.rejected);
        report.rule_lines.append(&mut w.rule_lines);
        report.rated += w.rated;
        report.lines += w.lines;
    }
    let periods: Vec<(String, PeriodTotals)> = period_totals(table, rater, period_usage)?
        .into_iter()
        .collect();
    // Each worker's groups in name order, sorted in parallel, then merged as sorted runs are.
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let sorts: Vec<_> = workers
            .into_iter()
            .map(|w| scope.spawn(move || Run::of(w)))
            .collect();
        sorts
            .into_iter()
            .map(|s| s.join().ok())
            .collect::<Option<Vec<Run>>>()
    })
    .ok_or("a rating worker failed while sorting its totals")?;
    // The merge itself in as many parts as there were workers, cut at names of the largest run:
    // each part merges its slice of every run, and the parts' rows follow each other.
    let largest = runs.iter().max_by_key(|r| r.len());
    let parts = match largest {
        Some(r) if r.len() >= 4096 => runs.len(),
        _ => 1,
    };
    let cuts: Vec<Vec<u8>> = (1..parts)
        .filter_map(|k| {
            let r = largest?;
            let mut short = [0; 16];
            Some(r.head(r.len() * k / parts)?.name(&mut short).to_vec())
        })
        .collect();
    let below = |run: &Run, cut: &[u8]| {
        let cut = Head::of(cut);
        let mut lo = 0;
        let mut hi = run.len();
        while lo < hi {
            let mid = (lo + hi) / 2;
            if run.head(mid).is_some_and(|h| h < cut) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    };
    let mut part_ranges: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut part_periods: Vec<Vec<(String, PeriodTotals)>> = vec![Vec::new(); parts];
    for p in 0..parts {
        part_ranges.push(
            runs.iter()
                .map(|r| {
                    let start = if p == 0 { 0 } else { below(r, &cuts[p - 1]) };
                    let end = if p + 1 == parts {
                        r.len()
                    } else {
                        below(r, &cuts[p])
                    };
                    (start, end)
                })
                .collect(),
        );
    }
    for (name, totals) in periods {
        let head = Head::of(name.as_bytes());
        let p = cuts.iter().take_while(|c| Head::of(c) <= head).count();
        part_periods[p].push((name, totals));
    }
    let merged: Vec<Result<GroupTotals, String>> = std::thread::scope(|scope| {
        let jobs: Vec<_> = part_ranges
            .iter()
            .zip(part_periods)
            .map(|(ranges, periods)| {
                let runs = &runs;
                scope.spawn(move || merge_part(table, runs, ranges, periods))
            })
            .collect();
        jobs.into_iter()
            .map(|j| {
                j.join()
                    .unwrap_or_else(|_| Err("a merge of totals failed".into()))
            })
            .collect()
    });
    for part in merged {
        report.totals.append(part?);
    }
    Ok(report)
}

/// The merge reads a run's rows this many names at a time, this many names ahead
/// ([`Run::warm`]).
const READ_AHEAD: usize = 32;

/// Merges `ranges` of the runs (one range per run) with the period totals of the same names.
fn merge_part(
    table: &RatingTable,
    runs: &[Run],
    ranges: &[(usize, usize)],
    periods: Vec<(String, PeriodTotals)>,
) -> Result<GroupTotals, String> {
    let mut periods = periods.into_iter().peekable();
    let mut heads: Vec<usize> = ranges.iter().map(|r| r.0).collect();
    // Each run's name at its head, made once as the head moves: made again for each compare,
    // a name took four (5% of the merge).
    let mut next: Vec<Option<Head<'_>>> = runs
        .iter()
        .zip(ranges)
        .map(|(run, r)| run.head_before(r.0, r.1))
        .collect();
    for (run, &(start, end)) in runs.iter().zip(ranges) {
        std::hint::black_box(run.warm(start, end) ^ run.warm(start + READ_AHEAD, end));
    }
    // Room for a row a name (most groups are charged in one unit): grown a doubling at a
    // time, the rows were copied and their pages faulted again at each.
    let names = ranges
        .iter()
        .map(|r| r.1.saturating_sub(r.0))
        .sum::<usize>()
        + periods.len();
    let name_bytes = runs
        .iter()
        .zip(ranges)
        .flat_map(|(run, r)| run.sorted.keyed.get(r.0..r.1).unwrap_or_default())
        .map(|k| k.2 as usize)
        .sum();
    let mut totals = GroupTotals::with_capacity(names, name_bytes);
    let mut sum = Totals::new(table, 1);
    let currency = table.unit_id(&table.currency);
    let mut units: Vec<UnitId> = Vec::new();
    // Each unit's index among the totals' units, looked up by name once.
    let mut unit_index: Vec<Option<u32>> = vec![None; table.units.len()];
    let mut amounts: Vec<(u32, Decimal)> = Vec::new();
    // The runs holding the name being merged: (run, index in it).
    let mut at_name: Vec<(usize, u32)> = Vec::with_capacity(runs.len());
    loop {
        // The least name at the head of any run, or of the period totals.
        let mut least: Option<Head<'_>> = None;
        for head in next.iter().flatten() {
            if least.is_none_or(|least| *head < least) {
                least = Some(*head);
            }
        }
        let period_first = periods
            .peek()
            .is_some_and(|(g, _)| least.is_none_or(|least| Head::of(g.as_bytes()) <= least));
        let mut short = [0; 16];
        let (name, least) = match (period_first, least) {
            (true, _) => match periods.peek() {
                Some((g, _)) => (Cow::Owned(g.clone()), None),
                None => break,
            },
            // Names are valid UTF-8 (their lines were checked); `from_utf8`'s check of an
            // ASCII name is a few word compares, where `from_utf8_lossy` walked it in chunks.
            (false, Some(head)) => {
                let bytes = head.name(&mut short);
                let name = std::str::from_utf8(bytes)
                    .map_or_else(|_| String::from_utf8_lossy(bytes), Cow::Borrowed);
                (name, Some(head))
            }
            (false, None) => break,
        };
        // A run's name as it was compared; a period total's made from its name.
        let least = least.unwrap_or_else(|| Head::of(name.as_bytes()));
        // The runs at this name: nearly always one (each account's lines went to one worker),
        // whose row is read where it is; several (or none: a name of period totals only) are
        // summed into `sum`.
        at_name.clear();
        for (k, ((run, head), range)) in runs.iter().zip(heads.iter_mut()).zip(ranges).enumerate() {
            let i = *head;
            if next[k] == Some(least) {
                at_name.push((k, run.id(i)));
                *head += 1;
                next[k] = run.head_before(*head, range.1);
                if i % READ_AHEAD == 0 {
                    std::hint::black_box(run.warm(i + READ_AHEAD, range.1));
                }
            }
        }
        let (row, at) = match at_name.as_slice() {
            [(k, i)] => (&runs[*k].totals, *i),
            all => {
                sum.clear_account(0);
                for (k, i) in all {
                    if !sum.add_account(0, &runs[*k].totals, *i) {
                        return Err(overflow(table, &name, None));
                    }
                }
                (&sum, 0)
            }
        };
        let (extra, extra_events) = match periods.next_if(|(g, _)| g.as_str() == name) {
            Some((_, period)) => period,
            None => (Vec::new(), 0),
        };
        let events = row.events(at) + extra_events;
        units.clear();
        // A row's units come in unit order (its columns are), so only added ones need a sort.
        units.extend(row.units_of(at));
        if !extra.is_empty() {
            units.extend(extra.iter().map(|(u, _)| *u));
            units.sort_unstable();
            units.dedup();
        }
        if units.is_empty() {
            // A group whose events were all free still gets a row: zero in the book's currency.
            if let (true, Some(c)) = (events > 0, currency) {
                let zero = Decimal::new(0, table.units[c as usize].charge_dp);
                totals.push(&name, table.unit_name(c), zero, events);
            }
            continue;
        }
        amounts.clear();
        for &u in &units {
            let exact = row.exact_amount(at, u);
            // A row's exact total comes without trailing zeros ([`Totals::exact_amount`]); one
            // with a period's charges added is normalized here.
            let exact = match extra.iter().find(|(x, _)| *x == u) {
                Some((_, period)) => {
                    exact.and_then(|a| add_exact(a, *period).map(|s| s.normalize()))
                }
                None => exact,
            }
            .ok_or_else(|| overflow(table, &name, Some(u)))?;
            let index = match unit_index.get(u as usize).copied().flatten() {
                Some(i) => i,
                None => {
                    let i = totals.unit_index(table.unit_name(u));
                    if let Some(slot) = unit_index.get_mut(u as usize) {
                        *slot = Some(i);
                    }
                    i
                }
            };
            amounts.push((index, rounded(table, u, exact)));
        }
        totals.push_group(&name, &amounts, events);
    }
    Ok(totals)
}

/// A group's charges of usage totalled per period: (unit, amount) pairs, and its events.
type PeriodTotals = (Vec<(UnitId, Decimal)>, u64);

/// The charges of usage totalled per period, by group: (unit, amount) pairs and events.
fn period_totals(
    table: &RatingTable,
    rater: &Rater<'_>,
    usage: BTreeMap<PeriodKey, PeriodUsage>,
) -> Result<BTreeMap<String, PeriodTotals>, String> {
    let mut totals: BTreeMap<(String, UnitId), (i128, Decimal)> = BTreeMap::new();
    let mut events: BTreeMap<String, u64> = BTreeMap::new();
    price_periods(table, rater, usage, &mut totals, &mut events)?;
    let mut by_group: BTreeMap<String, PeriodTotals> = BTreeMap::new();
    for ((g, u), (_, amount)) in totals {
        by_group.entry(g).or_default().0.push((u, amount));
    }
    for (g, n) in events {
        by_group.entry(g).or_default().1 += n;
    }
    Ok(by_group)
}

/// One rounding per total: money to its minor unit (events were kept exact); other units
/// canonically (`exact` comes without trailing zeros), whatever the split of the file across
/// workers.
fn rounded(table: &RatingTable, unit: UnitId, exact: Decimal) -> Decimal {
    match table.units.get(unit as usize) {
        Some(u) if u.is_money => {
            let mut a = exact.round_dp_with_strategy(
                u.charge_dp,
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            );
            a.rescale(u.charge_dp);
            a
        }
        _ => exact,
    }
}

fn overflow(table: &RatingTable, name: &str, unit: Option<UnitId>) -> String {
    match unit {
        Some(u) => format!(
            "arithmetic overflow while summing the total of `{name}` in `{}`: it exceeds exact decimal range (28 digits)",
            table.unit_name(u)
        ),
        None => format!(
            "arithmetic overflow while summing the totals of `{name}`: they exceed exact decimal range"
        ),
    }
}

/// A name's first 16 bytes, zero-padded, as a big-endian integer: ordered as the names are,
/// except that names equal in it (or one a prefix of the other) are told apart by comparing them.
fn prefix(name: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    let n = name.len().min(16);
    b[..n].copy_from_slice(&name[..n]);
    u128::from_be_bytes(b)
}

/// Group ids in the byte order of their names.
///
/// Sorted by the eight bytes after the prefix every name shares (`acct-` in most exports) as
/// one `u64`, names equal in those compared whole: 16-byte elements and a one-word compare.
/// Sorted by a 16-byte prefix, the elements were 32 bytes, and half a million names took 37 ms.
struct Sorted {
    /// (key, id, length of the name) in name order.
    keyed: Vec<(u64, u32, u32)>,
    /// Bytes every name starts with.
    shared: usize,
    /// The [`prefix`] of the shared bytes (up to 16 of them).
    head: u128,
}

impl Sorted {
    fn of(names: &GroupNames) -> Sorted {
        let count = names.len() as u32;
        let first = names.get(0);
        let shared = (1..count).fold(first.len(), |c, id| {
            let name = names.get(id);
            let same = first[..c]
                .iter()
                .zip(name)
                .take_while(|(a, b)| a == b)
                .count();
            c.min(same)
        });
        let mut keyed: Vec<(u64, u32, u32)> = (0..count)
            .map(|id| {
                let name = names.get(id);
                let mut b = [0u8; 8];
                let rest = name.get(shared..).unwrap_or_default();
                let n = rest.len().min(8);
                b[..n].copy_from_slice(&rest[..n]);
                (u64::from_be_bytes(b), id, name.len() as u32)
            })
            .collect();
        keyed.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| names.get(a.1).cmp(names.get(b.1)))
        });
        Sorted {
            keyed,
            shared,
            head: prefix(&first[..shared.min(16)]),
        }
    }

    /// The [`prefix`] of the name `id` of `len` bytes and sort key `key`. The prefix's bytes
    /// are the shared bytes then the key's (zeros past the name's end), so unless the name goes
    /// on past both and they end before 16 bytes, it is made of them, in a few instructions,
    /// not read back from wherever the worker stored the name (a copy of a name's length was a
    /// call to `memmove` per name, 5% of a run at a million accounts).
    #[inline]
    fn prefix(&self, names: &GroupNames, (key, id, len): (u64, u32, u32)) -> u128 {
        if len as usize > self.shared + 8 && self.shared < 8 {
            return prefix(names.get(id));
        }
        // The key's first byte goes at byte `shared` of the prefix: shifted left when that is
        // within the first eight, right (its bytes past the sixteenth dropped) after them.
        let key = u128::from(key);
        let placed = match self.shared {
            0..=8 => key << (64 - 8 * self.shared),
            s => key.checked_shr(8 * s as u32 - 64).unwrap_or(0),
        };
        self.head | placed
    }
}

/// One worker's groups in name order: its names and totals where the worker left them (its
/// index of names dropped), and their order.
///
/// Gathering the names, prefixes and rows into that order (96 bytes a group, in fresh pages)
/// cost a million accounts 25,000 page faults, about 50 ms of processor time; read where they
/// are, a row is the one random read the gather made of it anyway.
struct Run {
    sorted: Sorted,
    names: GroupNames,
    totals: Totals,
}

impl Run {
    fn of(w: Worker<'_>) -> Run {
        let Worker { groups, totals, .. } = w;
        let names = groups.into_names();
        Run {
            sorted: Sorted::of(&names),
            names,
            totals,
        }
    }

    fn len(&self) -> usize {
        self.sorted.keyed.len()
    }

    /// The group id of the `i`th name in order (its row in `totals`).
    fn id(&self, i: usize) -> u32 {
        self.sorted.keyed.get(i).map_or(u32::MAX, |k| k.1)
    }

    /// The `i`th name in order, as the merge compares it: its prefix is made from its sort
    /// key, and a name of up to 16 bytes is not read from where the worker stored it.
    #[inline]
    fn head(&self, i: usize) -> Option<Head<'_>> {
        let k = *self.sorted.keyed.get(i)?;
        let len = k.2 as usize;
        Some(Head {
            prefix: self.sorted.prefix(&self.names, k),
            len,
            long: match len > 16 {
                true => self.names.get(k.1),
                false => &[],
            },
        })
    }

    /// The `i`th name in order when it is before `end` (the end of the merge part's range).
    #[inline]
    fn head_before(&self, i: usize, end: usize) -> Option<Head<'_>> {
        self.head(i).filter(|_| i < end)
    }

    /// Reads the rows of the [`READ_AHEAD`] names in order from `from` (none from `end` on),
    /// which the merge adds a few names later: rows are read in name order, which is no order
    /// in memory, so their loads are issued together, in a loop of a few instructions a row
    /// (one load at a time, ahead of the merge, waited for each: the merge took three times as
    /// long).
    fn warm(&self, from: usize, end: usize) -> i128 {
        let end = end.min(self.len());
        let from = from.min(end);
        let ids = self
            .sorted
            .keyed
            .get(from..(from + READ_AHEAD).min(end))
            .unwrap_or_default();
        ids.iter().fold(0, |w, k| w ^ self.totals.warm(k.1))
    }
}

/// A name as the merge orders it: its [`prefix`], its length and, when it is longer than a
/// prefix, its bytes. Ordered as the names' bytes are: names equal in their prefix and of up to
/// 16 bytes each differ only in trailing zero bytes, so the shorter is first.
#[derive(Clone, Copy)]
struct Head<'a> {
    prefix: u128,
    len: usize,
    /// The name, when it is longer than 16 bytes; empty otherwise.
    long: &'a [u8],
}

impl<'a> Head<'a> {
    fn of(name: &'a [u8]) -> Head<'a> {
        Head {
            prefix: prefix(name),
            len: name.len(),
            long: match name.len() > 16 {
                true => name,
                false => &[],
            },
        }
    }

    /// The name's bytes: a short one written out of its prefix into `short`.
    fn name<'s>(self, short: &'s mut [u8; 16]) -> &'s [u8]
    where
        'a: 's,
    {
        if self.len > 16 {
            return self.long;
        }
        *short = self.prefix.to_be_bytes();
        &short[..self.len]
    }
}

impl Ord for Head<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.prefix
            .cmp(&other.prefix)
            .then_with(|| match self.len > 16 && other.len > 16 {
                true => self.long.cmp(other.long),
                false => self.len.cmp(&other.len),
            })
    }
}

impl PartialEq for Head<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Head<'_> {}

impl PartialOrd for Head<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::{GroupNames, Head, Sorted};

    /// The merge's order of names is their bytes' order, whether they fit a prefix or not,
    /// told apart by a trailing zero byte or by bytes past the prefix.
    #[test]
    fn heads_order_as_names_do() {
        let names = [
            "",
            "a",
            "a\0",
            "a\0\0",
            "a\0b",
            "ab",
            "acct-1",
            "acct-10",
            "acct-9",
            "acct-12345678901",
            "acct-123456789012",
            "acct-1234567890123",
            "acct-1234567890123\0",
            "acct-1234567890123-x",
            "acct-1234567890123-y",
            "acct-1234567890124",
            "\u{e9}",
            "Z",
        ];
        for a in names {
            for b in names {
                let (ha, hb) = (Head::of(a.as_bytes()), Head::of(b.as_bytes()));
                assert_eq!(ha.cmp(&hb), a.cmp(b), "{a:?} {b:?}");
                assert_eq!(ha == hb, a == b, "{a:?} {b:?}");
                let mut short = [0; 16];
                assert_eq!(ha.name(&mut short), a.as_bytes());
            }
        }
    }

    #[test]
    fn groups_sort_as_their_names_do() {
        let words = [
            "acct-10",
            "acct-9",
            "",
            "a",
            "acct-1",
            "acct-1\0",
            "b",
            "acct-1234567890123456-x",
            "acct-1234567890123456",
            "acct-1234567890123455-z",
            "é",
            "Z",
        ];
        // The same names, and names that all share a prefix (as an export's accounts do) of
        // several lengths: shorter than the 16 bytes a prefix holds, as long, longer; names
        // ending inside and past the eight bytes after it, one that is only the shared prefix,
        // and names told apart only by a zero byte or past those eight bytes.
        let mut sets: Vec<Vec<String>> = vec![words.iter().map(|w| w.to_string()).collect()];
        for shared in ["acct-", "customer-0000000", "organisation-account-"] {
            let mut set = vec![shared.to_string()];
            for tail in [
                "9",
                "10",
                "1",
                "1\0",
                "12345678",
                "123456789",
                "12345678\0",
                "1234567a",
                "00000001-x",
                "00000001-y",
                "00000001",
                "\u{e9}",
                "Z",
                "zz",
            ] {
                set.push(format!("{shared}{tail}"));
            }
            sets.push(set);
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let random: Vec<String> = (0..3000)
            .map(|_| {
                let r = crate::base::xorshift(&mut seed);
                format!("acct-{}", (r % 100_000) >> (r % 13))
            })
            .collect();
        sets.push(random);
        for set in sets {
            let mut names = GroupNames::default();
            for w in &set {
                names.push(w.as_bytes());
            }
            let sorted = Sorted::of(&names);
            let got: Vec<&str> = sorted
                .keyed
                .iter()
                .map(|(_, id, _)| set[*id as usize].as_str())
                .collect();
            let mut expect: Vec<&str> = set.iter().map(String::as_str).collect();
            expect.sort();
            assert_eq!(got, expect);
            for &(key, id, len) in &sorted.keyed {
                let name = set[id as usize].as_bytes();
                assert_eq!(
                    (sorted.prefix(&names, (key, id, len)), len as usize),
                    (super::prefix(name), name.len()),
                    "{:?}",
                    set[id as usize]
                );
            }
        }
    }
}
