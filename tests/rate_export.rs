//! `pricebook rate`'s batch rater against the table's own quote, line by line.
//!
//! A generated export mixes the lines the fast path takes (four plain CSV fields, flat JSON
//! events) with every kind it leaves to the general path (a unit in the quantity, a fraction
//! beyond nine decimals, a quantity too large for 64 bits, quoted fields, CRLF endings, blank
//! lines) and with bad lines (an unknown product or plan, a malformed quantity, a wrong number of
//! fields, bytes that are not UTF-8, a line longer than the chunks files are cut into). The
//! expected totals are computed here from `RatingTable::quote` per line, summed exactly and
//! rounded once; the expected bad lines are the ones generated bad. The export is rated from a
//! reader and from a file (read by the workers in chunks), by 1, 2 and 3 threads: every run must
//! give the same report, equal to the expectation.

mod common;

use common::rng::Rng;
use pricebook::rate::batch::{GroupBy, RateOptions, RateReport, UsageInput, rate_usage};
use pricebook::table::RatingTable;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

const PLANS: [&str; 4] = ["basic", "creator", "professional", "teams"];
const PRODUCTS: [&str; 6] = [
    "hedra-avatar",
    "veo-3",
    "sora-2-pro",
    "flux-dev",
    "elevenlabs",
    "imagen-4",
];

fn table() -> RatingTable {
    pricebook::open("pricebooks/hedra/2026-06.pricebook".as_ref(), None)
        .expect("the bundled book")
        .table
}

/// What the export should total: exact sums of `RatingTable::quote` per (account, unit).
#[derive(Default)]
struct Expected {
    sums: BTreeMap<(String, String), Decimal>,
    events: BTreeMap<String, u64>,
    bad: BTreeSet<u64>,
    rejected: BTreeSet<u64>,
}

impl Expected {
    fn line(
        &mut self,
        table: &RatingTable,
        number: u64,
        account: &str,
        plan: &str,
        product: &str,
        quantity: Decimal,
    ) {
        let plan = table.find_plan(plan).expect("a generated plan");
        let product = table.find_product(product).expect("a generated product");
        match table.quote(Some(plan), product, 0, quantity) {
            Ok(q) => {
                *self.events.entry(account.to_string()).or_default() += 1;
                if let Some(u) = q.unit {
                    let sum = self
                        .sums
                        .entry((account.to_string(), table.unit_name(u).to_string()))
                        .or_default();
                    *sum = sum.checked_add(q.exact).expect("small sums");
                }
            }
            Err(_) => {
                self.rejected.insert(number);
            }
        }
    }
}

/// An export of about `lines` lines, CSV or JSON Lines, and what it should total.
fn export(
    table: &RatingTable,
    seed: u64,
    lines: usize,
    accounts: u64,
    json: bool,
) -> (Vec<u8>, Expected) {
    let mut rng = Rng(seed);
    let mut out: Vec<u8> = Vec::new();
    let mut expected = Expected::default();
    if !json {
        out.extend_from_slice(b"account,plan,product,quantity\n");
    }
    let mut number = u64::from(!json);
    for _ in 0..lines {
        number += 1;
        let account = format!("acct-{}", rng.below(accounts));
        let plan = *rng.pick(&PLANS);
        let product = *rng.pick(&PRODUCTS);
        let whole = rng.below(600);
        let line = |a: &str, p: &str, d: &str, q: &str| match json {
            false => format!("{a},{p},{d},{q}\n"),
            true => format!(
                "{{\"account\":\"{a}\",\"plan\":\"{p}\",\"product\":\"{d}\",\"quantity\":\"{q}\"}}\n"
            ),
        };
        let text = match rng.below(100) {
            // The common line, as the fast path reads it.
            0..=69 => {
                expected.line(table, number, &account, plan, product, Decimal::from(whole));
                match json {
                    false => format!("{account},{plan},{product},{whole}\n"),
                    true => format!(
                        "{{\"account\":\"{account}\",\"plan\":\"{plan}\",\"product\":\"{product}\",\"quantity\":{whole}}}\n"
                    ),
                }
            }
            // A fraction of the base unit.
            70..=74 => {
                let q = Decimal::new(whole as i64 * 1000 + rng.below(1000) as i64, 3);
                expected.line(table, number, &account, plan, product, q);
                line(&account, plan, product, &q.to_string())
            }
            // More decimals than nano-units hold: the exact path.
            75..=76 => {
                let q = Decimal::new(whole as i64 * 1_000_000_000_000 + 1, 12);
                expected.line(table, number, &account, plan, product, q);
                line(&account, plan, product, &q.to_string())
            }
            // A unit in the quantity (minutes of a video product).
            77..=78 if !json && product == "hedra-avatar" => {
                expected.line(
                    table,
                    number,
                    &account,
                    plan,
                    product,
                    Decimal::from(whole * 60),
                );
                format!("{account},{plan},{product},{whole} minute\n")
            }
            // Spaces around fields, a CRLF ending, a quoted account.
            79..=81 if !json => {
                expected.line(table, number, &account, plan, product, Decimal::from(whole));
                match rng.below(3) {
                    0 => format!(" {account} , {plan},{product} ,{whole}\n"),
                    1 => format!("{account},{plan},{product},{whole}\r\n"),
                    _ => format!("\"{account}\",{plan},{product},{whole}\n"),
                }
            }
            // A blank line: not a usage line.
            82..=83 => "\n".to_string(),
            // Bad lines.
            84..=85 => {
                expected.bad.insert(number);
                line(&account, plan, "no-such-product", &whole.to_string())
            }
            86..=87 => {
                expected.bad.insert(number);
                line(&account, "no-such-plan", product, &whole.to_string())
            }
            88..=89 => {
                expected.bad.insert(number);
                line(&account, plan, product, "ten")
            }
            90 if !json => {
                expected.bad.insert(number);
                format!("{account},{plan},{product}\n")
            }
            91 => {
                expected.bad.insert(number);
                let mut l = line(&account, plan, product, "1").into_bytes();
                l.insert(3, 0xff);
                out.extend_from_slice(&l);
                continue;
            }
            92 if rng.below(200) == 0 => {
                // Longer than a chunk of a file (1 MiB): it spans chunk boundaries.
                expected.bad.insert(number);
                format!("{account},{plan},{product},{}\n", "9".repeat(1_100_000))
            }
            _ => {
                expected.line(table, number, &account, plan, product, Decimal::from(whole));
                line(&account, plan, product, &whole.to_string())
            }
        };
        out.extend_from_slice(text.as_bytes());
    }
    (out, expected)
}

fn check(report: &RateReport, expected: &Expected, table: &RatingTable, what: &str) {
    let bad: BTreeSet<u64> = report.bad.iter().map(|b| b.0).collect();
    assert_eq!(bad, expected.bad, "{what}: bad lines");
    let rejected: BTreeSet<u64> = report.rejected.iter().map(|b| b.0).collect();
    assert_eq!(rejected, expected.rejected, "{what}: rejected lines");
    let mut want: Vec<(String, String, Decimal, u64)> = Vec::new();
    for ((account, unit), sum) in &expected.sums {
        let u = table.unit_id(unit).expect("a unit of the table");
        let amount = match &table.units()[u as usize] {
            unit if unit.is_money => {
                let mut a = sum.round_dp_with_strategy(
                    unit.charge_dp,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                a.rescale(unit.charge_dp);
                a
            }
            _ => sum.normalize(),
        };
        want.push((
            account.clone(),
            unit.clone(),
            amount,
            expected.events[account],
        ));
    }
    let got: Vec<(String, String, Decimal, u64)> = report
        .totals
        .iter()
        .map(|t| (t.group.to_string(), t.unit.to_string(), t.amount, t.events))
        .collect();
    assert_eq!(got.len(), want.len(), "{what}: rows");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{what}");
        assert_eq!(
            g.2.to_string(),
            w.2.to_string(),
            "{what}: the amount's digits"
        );
    }
    let events: u64 = expected.events.values().sum();
    assert_eq!(report.rated, events, "{what}: rated");
    assert_eq!(
        report.lines,
        events + expected.bad.len() as u64 + expected.rejected.len() as u64,
        "{what}: lines"
    );
}

fn rate_all_ways(bytes: &[u8], expected: &Expected, table: &RatingTable, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "pricebook-rate-export-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("usage");
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(bytes))
        .expect("written");
    for threads in [1, 2, 3] {
        let options = RateOptions {
            threads,
            ..RateOptions::by(GroupBy::Account)
        };
        let from_reader =
            rate_usage(table, UsageInput::Reader(&mut &bytes[..]), &options).expect("rated");
        check(
            &from_reader,
            expected,
            table,
            &format!("{name}, reader, {threads} threads"),
        );
        let file = std::fs::File::open(&path).expect("opened");
        let from_file = rate_usage(table, UsageInput::File(&file), &options).expect("rated");
        check(
            &from_file,
            expected,
            table,
            &format!("{name}, file, {threads} threads"),
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn csv_exports_total_as_the_table_quotes_each_line() {
    let table = table();
    for seed in [3, 17] {
        let (bytes, expected) = export(&table, seed, 40_000, 300, false);
        assert!(
            bytes.len() > 2 << 20,
            "the export spans several chunks and has a line longer than one"
        );
        rate_all_ways(&bytes, &expected, &table, &format!("csv-{seed}"));
    }
}

#[test]
fn json_lines_exports_total_as_the_table_quotes_each_line() {
    let table = table();
    let (bytes, expected) = export(&table, 29, 30_000, 300, true);
    rate_all_ways(&bytes, &expected, &table, "jsonl");
}

/// Enough accounts that the workers' totals are merged in parallel parts (4,096 and more): the
/// rows still come out in order, each account once.
#[test]
fn many_accounts_merge_in_parts() {
    let table = table();
    let (bytes, expected) = export(&table, 11, 30_000, 30_000, false);
    assert!(
        expected.events.len() > 8192,
        "enough accounts for a parallel merge"
    );
    rate_all_ways(&bytes, &expected, &table, "many");
}

/// Totals by plan and by product are the totals by account regrouped.
#[test]
fn grouping_by_plan_or_product_regroups_the_same_charges() {
    let table = table();
    let (bytes, _) = export(&table, 5, 20_000, 300, false);
    let sum = |by: GroupBy| -> BTreeMap<String, Decimal> {
        let options = RateOptions {
            threads: 2,
            ..RateOptions::by(by)
        };
        let r = rate_usage(&table, UsageInput::Reader(&mut &bytes[..]), &options).expect("rated");
        let mut per_unit = BTreeMap::new();
        for t in r.totals.iter() {
            *per_unit.entry(t.unit.to_string()).or_insert(Decimal::ZERO) += t.amount;
        }
        per_unit
    };
    let by_account = sum(GroupBy::Account);
    assert!(!by_account.is_empty());
    assert_eq!(sum(GroupBy::Plan), by_account);
    assert_eq!(sum(GroupBy::Product), by_account);
}
