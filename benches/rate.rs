//! In-memory rating throughput, with the baselines measured in the same run:
//! - `naive`: names looked up in a `HashMap<(String, String), Decimal>` per event, Decimal math;
//! - `dense_decimal`: pre-interned dense ids, Decimal math per event;
//! - `rater`: pre-interned keys through `Rater::rate_batch` (integer fast path, exact fallback);
//! - `floor`: streaming the same 16-byte events and adding per account (the memory floor).
//!
//! Every variant's totals are checked equal to the rater's before timing.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use pricebook::rate::{Event, Rater, Totals};
use pricebook::table::RatingTable;
use rust_decimal::Decimal;
use std::collections::HashMap;

const EVENTS: usize = 1_000_000;
/// Accounts the events are spread over: 10,000 by default; `PRICEBOOK_RATE_ACCOUNTS=1000000`
/// measures rating when the totals no longer fit in cache.
fn accounts() -> u32 {
    static ACCOUNTS: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *ACCOUNTS.get_or_init(|| {
        std::env::var("PRICEBOOK_RATE_ACCOUNTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000)
    })
}

fn table() -> RatingTable {
    let text = include_str!("../pricebooks/hedra/2026-06.pricebook");
    pricebook::pipeline::compile_source(text).expect("the bundled book compiles")
}

struct Workload {
    events: Vec<Event>,
    /// The same events by name, for the naive baseline.
    named: Vec<(u32, String, String, Decimal)>,
}

fn workload(table: &RatingTable, rater: &Rater<'_>) -> Workload {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // Per-second video, per-1000-character speech and per-image products on three plans.
    let products = [
        "hedra-avatar",
        "sora-2-pro",
        "veo-3",
        "elevenlabs",
        "imagen-4",
        "flux-dev",
    ];
    let plans = ["basic", "creator", "professional"];
    let mut events = Vec::with_capacity(EVENTS);
    let mut named = Vec::with_capacity(EVENTS);
    for _ in 0..EVENTS {
        let plan = plans[(next() % 3) as usize];
        let product = products[(next() % products.len() as u64) as usize];
        let (p, pr) = (
            table.plan_id(plan).expect("plan"),
            table.product_id(product).expect("product"),
        );
        let key = rater.key(Some(p), pr, 0).expect("key");
        // Up to 10 minutes with tenths of a unit; counts (images, characters) are whole.
        let tenths = (next() % 6000) as i64;
        let quantity = if table.products()[pr as usize].whole {
            Decimal::new(tenths / 10, 0)
        } else {
            Decimal::new(tenths, 1)
        };
        let account = (next() % u64::from(accounts())) as u32;
        events.push(Event::new(account, key, quantity).expect("representable"));
        named.push((account, plan.to_string(), product.to_string(), quantity));
    }
    Workload { events, named }
}

fn bench(c: &mut Criterion) {
    let table = table();
    let rater = Rater::new(&table);
    let w = workload(&table, &rater);
    let credit = table.unit_id("credit").expect("credit");

    // Reference totals from the rater; every baseline must agree.
    let mut reference = Totals::new(&table, accounts() as usize);
    rater
        .rate_batch(&w.events, &mut reference)
        .expect("all rated");

    // Naive: a string-keyed map of rate per base unit (amount / per_base) and rounding step.
    let mut naive_map: HashMap<(String, String), (Decimal, Decimal, Decimal)> = HashMap::new();
    for plan in table.plans() {
        for p in table.products() {
            let pricebook::table::PricingEntry::Cells { cells } = &p.pricing else {
                continue;
            };
            let Some(Some(r)) = cells.first() else {
                continue;
            };
            let step = p.rounding.as_ref().map_or(Decimal::ZERO, |r| r.step);
            naive_map.insert(
                (plan.slug.clone(), p.slug.clone()),
                (r.amount, r.per_base, step),
            );
        }
    }
    let naive = |named: &[(u32, String, String, Decimal)]| {
        let mut totals = vec![Decimal::ZERO; accounts() as usize];
        for (account, plan, product, q) in named {
            let (amount, per, step) = naive_map[&(plan.clone(), product.clone())];
            let q = if step.is_zero() {
                *q
            } else {
                (q / step).ceil() * step
            };
            let charge = pricebook::base::money::div_round(q * amount, per, 6).expect("fits");
            totals[*account as usize] += charge;
        }
        totals
    };
    let naive_totals = naive(&w.named);
    for a in 0..accounts() {
        assert_eq!(
            naive_totals[a as usize],
            reference.amount(a, credit),
            "naive baseline disagrees"
        );
    }

    // Dense ids with Decimal arithmetic: the table's exact quote per event.
    let dense: Vec<(u32, u32, u32, Decimal)> = w
        .named
        .iter()
        .map(|(a, plan, product, q)| {
            (
                *a,
                table.plan_id(plan).expect("plan"),
                table.product_id(product).expect("product"),
                *q,
            )
        })
        .collect();
    let dense_decimal = |events: &[(u32, u32, u32, Decimal)]| {
        let mut totals = vec![Decimal::ZERO; accounts() as usize];
        for (account, plan, product, q) in events {
            let quote = table.quote(Some(*plan), *product, 0, *q).expect("priced");
            totals[*account as usize] += quote.charge;
        }
        totals
    };
    let dense_totals = dense_decimal(&dense);
    for a in 0..accounts() {
        assert_eq!(
            dense_totals[a as usize],
            reference.amount(a, credit),
            "dense baseline disagrees"
        );
    }

    let mut g = c.benchmark_group("rate_1M_events");
    g.throughput(Throughput::Elements(EVENTS as u64));
    g.sample_size(10);
    g.bench_function("naive_hashmap_strings_decimal", |b| {
        b.iter(|| black_box(naive(black_box(&w.named))))
    });
    g.bench_function("dense_ids_decimal", |b| {
        b.iter(|| black_box(dense_decimal(black_box(&dense))))
    });
    g.bench_function("rater_scaled_integer", |b| {
        b.iter(|| {
            let mut totals = Totals::new(&table, accounts() as usize);
            let _ = rater.rate_batch(black_box(&w.events), &mut totals);
            black_box(totals)
        })
    });
    g.bench_function("memory_floor_sum_per_account", |b| {
        b.iter(|| {
            let mut totals = vec![0i64; accounts() as usize];
            for e in black_box(&w.events) {
                totals[e.account as usize] += e.quantity;
            }
            black_box(totals)
        })
    });
    g.finish();

    // Single quotes through the library API.
    let plan = table.plan_id("creator").expect("plan");
    let product = table.product_id("sora-2-pro").expect("product");
    let q = Decimal::new(905, 1);
    c.bench_function("library_quote_exact_table", |b| {
        b.iter(|| black_box(table.quote(Some(plan), product, 0, black_box(q))))
    });
    let key = rater.key(Some(plan), product, 0).expect("key");
    assert_eq!(rater.quote(key, q), table.quote(Some(plan), product, 0, q));
    c.bench_function("library_quote_by_key", |b| {
        b.iter(|| black_box(rater.quote(black_box(key), black_box(q))))
    });
    let json = table.to_json();
    c.bench_function("table_load_from_json", |b| {
        b.iter(|| black_box(RatingTable::from_json(black_box(&json)).expect("loads")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
