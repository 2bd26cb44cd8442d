//! The in-process Rust baseline the bindings' quote benchmarks are measured against: the same
//! question (90 seconds of `sora-2-pro` on Hedra's `creator`) asked through the library the way
//! the bindings ask it (`answer::Books::quote`, with the explanation), and through the table's
//! exact quote alone (names resolved once).
//!
//! `cargo run --release --example quote_bench -- [CALLS]` prints JSON:
//! `{"calls", "answer_ns", "answer_without_explain_ns", "table_ns"}` (nanoseconds per call, the
//! best of five runs).

use pricebook::answer::{Books, QuoteQuestion};
use std::hint::black_box;
use std::time::Instant;

fn best_of_five(calls: u32, mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(calls)
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let calls: u32 = std::env::args()
        .nth(1)
        .map(|c| c.parse())
        .transpose()?
        .unwrap_or(200_000);
    let books = Books::open(&["pricebooks/hedra".into()])?;
    let mut q = QuoteQuestion::new("sora-2-pro", "90 second");
    q.plan = Some("creator".into());
    q.explain = true;
    let answer_ns = best_of_five(calls, || {
        let _ = black_box(books.quote(black_box(&q)));
    });
    q.explain = false;
    let answer_bare_ns = best_of_five(calls, || {
        let _ = black_box(books.quote(black_box(&q)));
    });
    let opened = pricebook::open("pricebooks/hedra".as_ref(), None)?;
    let table = &opened.table;
    let plan = table.find_plan("creator")?;
    let product = table.find_product("sora-2-pro")?;
    let cell = table
        .resolve_cell(product, &[])
        .map_err(|d| d.to_string())?;
    let quantity = pricebook::Decimal::from(90);
    let table_ns = best_of_five(calls, || {
        let _ = black_box(table.quote(Some(plan), product, cell, black_box(quantity)));
    });
    println!(
        "{}",
        serde_json::json!({
            "calls": calls,
            "answer_ns": answer_ns.round(),
            "answer_without_explain_ns": answer_bare_ns.round(),
            "table_ns": table_ns.round(),
        })
    );
    Ok(())
}
