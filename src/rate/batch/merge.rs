//! The workers' totals merged into one report: groups matched by name, usage totalled per
//! period priced, every total rounded once, rows sorted by group then unit.
//!
//! Each worker numbers the groups it meets itself. Each worker's groups are sorted by name (in
//! parallel; the sort compares a 16-byte prefix of each name as one integer before it compares
//! names), then the sorted runs are merged as a merge sort does: one pass, no hash lookups, and
//! the rows come out in order.

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
        let sorts: Vec<_> = workers.iter().map(|w| scope.spawn(|| Run::of(w))).collect();
        sorts
            .into_iter()
            .map(|s| s.join().ok())
            .collect::<Option<Vec<Run>>>()
    })
    .ok_or("a rating worker failed while sorting its totals")?;
    // The runs hold all the merge reads: the workers' tables go before the merge allocates.
    drop(workers);
    // The merge itself in as many parts as there were workers, cut at names of the largest run:
    // each part merges its slice of every run, and the parts' rows follow each other.
    let largest = runs.iter().max_by_key(|r| r.prefixes.len());
    let parts = match largest {
        Some(r) if r.prefixes.len() >= 4096 => runs.len(),
        _ => 1,
    };
    let cuts: Vec<(u128, Vec<u8>)> = (1..parts)
        .filter_map(|k| {
            let r = largest?;
            let i = r.prefixes.len() * k / parts;
            Some((r.prefixes[i], r.names.get(i as u32).to_vec()))
        })
        .collect();
    let below = |run: &Run, cut: &(u128, Vec<u8>)| {
        let mut lo = 0;
        let mut hi = run.prefixes.len();
        while lo < hi {
            let mid = (lo + hi) / 2;
            let key = (run.prefixes[mid], run.names.get(mid as u32));
            if key < (cut.0, cut.1.as_slice()) {
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
                        r.prefixes.len()
                    } else {
                        below(r, &cuts[p])
                    };
                    (start, end)
                })
                .collect(),
        );
    }
    for (name, totals) in periods {
        let key = (prefix(name.as_bytes()), name.as_bytes().to_vec());
        let p = cuts
            .iter()
            .take_while(|c| (c.0, &c.1) <= (key.0, &key.1))
            .count();
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

/// Merges `ranges` of the runs (one range per run) with the period totals of the same names.
fn merge_part(
    table: &RatingTable,
    runs: &[Run],
    ranges: &[(usize, usize)],
    periods: Vec<(String, PeriodTotals)>,
) -> Result<GroupTotals, String> {
    let mut periods = periods.into_iter().peekable();
    let mut heads: Vec<usize> = ranges.iter().map(|r| r.0).collect();
    let mut totals = GroupTotals::default();
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
        let mut least: Option<(u128, &[u8])> = None;
        for (k, (run, &i)) in runs.iter().zip(&heads).enumerate() {
            if let Some(&p) = run.prefixes.get(i).filter(|_| i < ranges[k].1) {
                if least.is_none_or(|(lp, ln)| p < lp || (p == lp && run.names.get(i as u32) < ln))
                {
                    least = Some((p, run.names.get(i as u32)));
                }
            }
        }
        let period_first = periods.peek().is_some_and(|(g, _)| {
            let g = g.as_bytes();
            least.is_none_or(|(lp, ln)| (prefix(g), g) <= (lp, ln))
        });
        let (least_prefix, name) = match (period_first, least) {
            (true, _) => match periods.peek() {
                Some((g, _)) => (prefix(g.as_bytes()), Cow::Owned(g.clone())),
                None => break,
            },
            (false, Some((p, n))) => (p, String::from_utf8_lossy(n)),
            (false, None) => break,
        };
        // The runs at this name: nearly always one (each account's lines went to one worker),
        // whose row is read where it is; several (or none: a name of period totals only) are
        // summed into `sum`.
        at_name.clear();
        for (k, ((run, head), range)) in runs.iter().zip(heads.iter_mut()).zip(ranges).enumerate() {
            let i = *head;
            if i < range.1
                && run.prefixes.get(i) == Some(&least_prefix)
                && run.names.get(i as u32) == name.as_bytes()
            {
                at_name.push((k, i as u32));
                *head += 1;
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
            let exact = match extra.iter().find(|(x, _)| *x == u) {
                Some((_, period)) => exact.and_then(|a| add_exact(a, *period)),
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
/// canonically, whatever the split of the file across workers.
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
        _ => exact.normalize(),
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
    /// The names' first bytes, up to 16 of them shared, with room for a key after them.
    head: [u8; 24],
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
        let mut head = [0u8; 24];
        let from_first = shared.min(16);
        head[..from_first].copy_from_slice(&first[..from_first]);
        Sorted {
            keyed,
            shared,
            head,
        }
    }

    /// The [`prefix`] of the name `id` of `len` bytes and sort key `key`. A name of up to the
    /// shared bytes and eight more is made of the shared bytes and its key, so its prefix is
    /// built from them, not read back from wherever the worker stored the name.
    fn prefix(&self, names: &GroupNames, (key, id, len): (u64, u32, u32)) -> u128 {
        let len = len as usize;
        if len > self.shared + 8 || self.shared > 16 {
            return prefix(names.get(id));
        }
        let mut h = self.head;
        h[self.shared..self.shared + 8].copy_from_slice(&key.to_be_bytes());
        let mut b = [0u8; 16];
        let n = len.min(16);
        b[..n].copy_from_slice(&h[..n]);
        u128::from_be_bytes(b)
    }
}

/// One worker's groups in name order: their names, prefixes and totals, read in order by the
/// merge.
struct Run {
    prefixes: Vec<u128>,
    names: GroupNames,
    totals: Totals,
}

impl Run {
    fn of(w: &Worker<'_>) -> Run {
        let from = &w.groups.names;
        let sorted = Sorted::of(from);
        let mut order: Vec<u32> = Vec::with_capacity(sorted.keyed.len());
        let mut prefixes: Vec<u128> = Vec::with_capacity(sorted.keyed.len());
        // A name of up to 16 bytes is its prefix: written from it in order, not read back from
        // wherever the worker stored it.
        let mut names = GroupNames::default();
        for &(key, id, len) in &sorted.keyed {
            let p = sorted.prefix(from, (key, id, len));
            let len = len as usize;
            match len <= 16 {
                true => names.push(&p.to_be_bytes()[..len]),
                false => names.push(from.get(id)),
            };
            order.push(id);
            prefixes.push(p);
        }
        Run {
            prefixes,
            names,
            totals: w.totals.gather(&order),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{GroupNames, Sorted};

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
