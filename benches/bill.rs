//! Billing throughput: 1,000,000 usage events for one account over 12 monthly periods on Hedra
//! Professional (plan credits plus a credit pack bought every day, so no event is rejected), with
//! the rating-only cost of the same events measured in the same run as the baseline.
//!
//! Invoice runs: 10,000 accounts and 1,000,000 usage lines (CSV) on Hedra 2026-06, end to end
//! through `answer::invoice_run` (read, shard, bill on every core; with and without writing the
//! files), against the same accounts' events, already read, billed one after the other by the
//! library's single-account `bill` in the same run. Under `cargo test --benches` the run is small
//! (200 accounts, 5,000 lines); `PRICEBOOK_RUN_ACCOUNTS` and `PRICEBOOK_RUN_LINES` set the size.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use pricebook::base::date::Date;
use pricebook::bill::{BillRequest, Usage, UsageEvent, bill};
use pricebook::rate::{Event, Rater, Totals};
use rust_decimal::Decimal;

const EVENTS: usize = 1_000_000;

fn bench(c: &mut Criterion) {
    let table =
        pricebook::pipeline::compile_source(include_str!("../pricebooks/hedra/2026-06.pricebook"))
            .expect("compiles");
    let plan = table.plan_id("professional").expect("plan");
    let products: Vec<u32> = ["hedra-avatar", "elevenlabs", "imagen-4", "flux-dev"]
        .iter()
        .map(|p| table.product_id(p).expect("product"))
        .collect();
    let pack = table
        .packs()
        .iter()
        .position(|p| p.slug == "credit-pack")
        .expect("pack") as u32;
    let start = Date::parse("2026-07-01").expect("date").instant();
    let span = 365 * 86_400i64;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut events = Vec::with_capacity(EVENTS + 365);
    for i in 0..EVENTS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let time = start + (i as i64 * span) / EVENTS as i64;
        let product = products[(seed % 4) as usize];
        // Small usages: about a second of avatar, one character or image (counts are whole).
        let quantity = if table.products()[product as usize].whole {
            Decimal::ONE
        } else {
            Decimal::new((seed % 20) as i64 + 1, 1)
        };
        events.push(UsageEvent {
            line: i as u64 + 1,
            time,
            usage: Usage::Use {
                product,
                cell: 0,
                quantity,
            },
        });
    }
    // A heavy account: a pack a day on top of the plan's credits.
    for day in 0..365 {
        let time = start + day * 86_400;
        events.push(UsageEvent {
            line: 0,
            time,
            usage: Usage::Buy { pack },
        });
    }
    events.sort_by_key(|e| e.time);
    let request = BillRequest::new(plan, Date::parse("2026-07-01").expect("date"), 12);
    let b = bill(&table, &request, &events).expect("bills");
    assert!(b.rejected.is_empty(), "{:?}", b.rejected.first());

    let rater = Rater::new(&table);
    let rating: Vec<Event> = events
        .iter()
        .filter_map(|e| match &e.usage {
            Usage::Use {
                product,
                cell,
                quantity,
            } => Event::new(0, rater.key(Some(plan), *product, *cell)?, *quantity),
            _ => None,
        })
        .collect();

    let mut g = c.benchmark_group("bill_1M_events_one_account");
    g.sample_size(10);
    g.bench_function("bill_12_periods", |bch| {
        bch.iter(|| black_box(bill(&table, &request, black_box(&events)).expect("bills")))
    });
    g.bench_function("rating_only_baseline", |bch| {
        bch.iter(|| {
            let mut t = Totals::new(&table, 1);
            let _ = rater.rate_batch(black_box(&rating), &mut t);
            black_box(t)
        })
    });
    g.finish();
}

/// An invoice run's files: `accounts.csv` (plans in turn, every tenth account with a start
/// date) and `usage.csv` (July 2026, small usages of four products), under the temporary
/// directory, written once per size.
fn run_files(accounts: usize, lines: usize) -> std::path::PathBuf {
    use std::io::Write;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("pricebook-bench-run-{accounts}-{lines}"));
    if dir.join("usage.csv").exists() {
        return dir;
    }
    std::fs::create_dir_all(&dir).expect("a directory");
    let plans = ["creator", "professional", "teams", "basic"];
    let mut a =
        std::io::BufWriter::new(std::fs::File::create(dir.join("accounts.csv")).expect("file"));
    writeln!(a, "account,plan,start").expect("written");
    for i in 0..accounts {
        let start = if i % 10 == 0 { "2026-07-01" } else { "" };
        writeln!(a, "acct-{i:07},{},{start}", plans[i % plans.len()]).expect("written");
    }
    a.flush().expect("written");
    let tmp = dir.join("usage.tmp");
    let mut u = std::io::BufWriter::new(std::fs::File::create(&tmp).expect("file"));
    writeln!(u, "time,account,product,quantity").expect("written");
    let start = Date::parse("2026-07-01").expect("date").instant();
    let span = 30 * 86_400i64;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for i in 0..lines {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let t = start + (i as i64 * span) / lines as i64;
        let account = (seed >> 8) as usize % accounts;
        let (product, quantity) = match seed % 4 {
            0 => ("hedra-avatar", format!("{}", seed % 5 + 1)),
            1 => ("elevenlabs", format!("{}", seed % 200 + 1)),
            2 => ("imagen-4", "1".to_string()),
            _ => ("flux-dev", "1".to_string()),
        };
        writeln!(
            u,
            "{},acct-{account:07},{product},{quantity}",
            pricebook::base::date::format_instant(t)
        )
        .expect("written");
    }
    u.flush().expect("written");
    std::fs::rename(&tmp, dir.join("usage.csv")).expect("renamed");
    dir
}

fn bench_invoice_run(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let size = |var: &str, full_size: usize, small: usize| {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if full { full_size } else { small })
    };
    let accounts = size("PRICEBOOK_RUN_ACCOUNTS", 10_000, 200);
    let lines = size("PRICEBOOK_RUN_LINES", 1_000_000, 5_000);
    let dir = run_files(accounts, lines);
    let book =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pricebooks/hedra/2026-06.pricebook");
    let rows = pricebook::answer::read_accounts(&dir.join("accounts.csv")).expect("accounts");
    let run = pricebook::answer::InvoiceRun::new(&book, rows.clone(), dir.join("usage.csv"));
    let report = pricebook::answer::invoice_run(&run).expect("a run");
    assert_eq!(report.lines, lines as u64);
    assert_eq!(report.bad_lines, 0);
    let mut with_files = run.clone();
    with_files.output = Some(dir.join("out"));

    // The baseline: the same accounts' events, read and resolved beforehand, billed one account
    // after the other by the library's bill.
    let table =
        pricebook::pipeline::compile_source(include_str!("../pricebooks/hedra/2026-06.pricebook"))
            .expect("compiles");
    let text = std::fs::read_to_string(dir.join("usage.csv")).expect("usage");
    let (timed, _) = pricebook::usage::read_events(&text);
    let index: std::collections::HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, a)| (a.account.as_str(), i))
        .collect();
    let mut per_account: Vec<Vec<pricebook::usage::TimedEvent>> = vec![Vec::new(); rows.len()];
    for e in timed {
        let i = index[e.fields.account.as_str()];
        per_account[i].push(e);
    }
    let resolved: Vec<(BillRequest, Vec<UsageEvent>)> = rows
        .iter()
        .zip(&per_account)
        .map(|(a, timed)| {
            let (events, bad) = pricebook::usage::resolve_events(&table, timed);
            assert!(bad.is_empty());
            let plan = table
                .plan_id(a.plan.as_deref().expect("a plan"))
                .expect("plan");
            let from = Date::parse(a.start.as_deref().unwrap_or("2026-07-01")).expect("date");
            (BillRequest::new(plan, from, 1), events)
        })
        .collect();

    let mut g = c.benchmark_group(format!("invoice_run_{accounts}_accounts_{lines}_lines"));
    g.sample_size(10);
    g.bench_function("run_summary_only", |b| {
        b.iter(|| black_box(pricebook::answer::invoice_run(&run).expect("a run")))
    });
    g.bench_function("run_with_files", |b| {
        b.iter(|| black_box(pricebook::answer::invoice_run(&with_files).expect("a run")))
    });
    g.bench_function("baseline_bill_each_account_one_thread", |b| {
        b.iter(|| {
            for (request, events) in &resolved {
                black_box(bill(&table, request, events).expect("bills"));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench, bench_invoice_run);
criterion_main!(benches);
