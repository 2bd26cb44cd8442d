//! Billing throughput: 1,000,000 usage events for one account over 12 monthly periods on Hedra
//! Professional (plan credits plus a credit pack bought every day, so no event is rejected), with
//! the rating-only cost of the same events measured in the same run as the baseline.

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

criterion_group!(benches, bench);
criterion_main!(benches);
