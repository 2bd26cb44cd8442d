//! The checks behind each fuzz target.
//!
//! Each `fuzz_targets/<name>.rs` calls the function of the same name here, and
//! `tests/fuzz_corpus.rs` in the main crate includes this file (`#[path]`) to replay every file of
//! `fuzz/corpus/<name>/` through the very same checks as an ordinary `cargo test`, so CI covers
//! the corpus without a fuzzer. A check "fails" by panicking, as libFuzzer expects.

use pricebook::rate::{Event, Rater, Totals};
use pricebook::table::{CellId, PlanId, PricingEntry, ProductId, RatingTable};
use rust_decimal::Decimal;

/// Quantities quoted on every key: zero, fractions, block edges, huge values, negative.
const QUANTITIES: &[&str] = &[
    "0",
    "0.000000001",
    "0.5",
    "1",
    "1.5",
    "59.999999999",
    "60",
    "60.000000001",
    "1000",
    "86400.25",
    "9223372036.854775807",
    "9223372036.854775808",
    "1000000000000000000",
    "79228162514264337593543950335",
    "0.0000000000000000000000000001",
    "-1",
    "-0.000000001",
];

fn quantities() -> Vec<Decimal> {
    QUANTITIES
        .iter()
        .filter_map(|q| q.parse::<Decimal>().ok())
        .collect()
}

/// At most this many keys are quoted per input, so one input stays fast.
const MAX_KEYS: usize = 256;

/// Every (plan slot, product, cell) of a table, plan slot `None` first, up to `limit` keys.
fn keys(table: &RatingTable, limit: usize) -> Vec<(Option<PlanId>, ProductId, CellId)> {
    let mut out = Vec::new();
    let slots = std::iter::once(None).chain((0..table.plans().len() as u32).map(Some));
    for plan in slots {
        for (i, p) in table.products().iter().enumerate() {
            let cells = match &p.pricing {
                PricingEntry::Cells { cells } => cells.len().max(1),
                _ => 1,
            };
            for cell in 0..cells {
                if out.len() >= limit {
                    return out;
                }
                out.push((plan, i as ProductId, cell as CellId));
            }
        }
    }
    out
}

/// Arbitrary bytes (as lossy UTF-8) through parse and check: diagnostics, never a panic. The
/// fast reader and the whole-file pest parse give the same tree, spans and diagnostics. A book
/// that checks clean also compiles, its table loads back equal, and every key of it quotes the
/// same through the reference evaluator, the table and the rater.
pub fn parse_check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let fast = pricebook::syntax::parse(&text);
    let reference = pricebook::syntax::parse_reference(&text);
    assert_eq!(
        format!("{:?}", fast.book),
        format!("{:?}", reference.book),
        "the reader and pest read different trees"
    );
    assert_eq!(
        format!("{:?}", fast.diagnostics),
        format!("{:?}", reference.diagnostics),
        "the reader and pest report different diagnostics"
    );
    let checked = pricebook::check::check_source(&text);
    let Some(model) = &checked.model else {
        assert!(
            checked.has_errors(),
            "a book without errors must have a model"
        );
        return;
    };
    let table = pricebook::compile::compile(model, &text)
        .unwrap_or_else(|e| panic!("a book that checks clean must compile: {e}"));
    let back = RatingTable::from_json(&table.to_json())
        .unwrap_or_else(|e| panic!("a freshly compiled table must load: {e}"));
    assert_eq!(back, table, "a compiled table must load back equal");

    let rater = Rater::new(&table);
    for (plan, product, cell) in keys(&table, MAX_KEYS) {
        let dims = cell_values(&table, product, cell);
        let key = rater.key(plan, product, cell);
        for q in quantities() {
            let reference = pricebook::reference::quote(
                model,
                plan.map(|p| p as usize),
                product as usize,
                &dims,
                q,
            );
            let compiled = table.quote(plan, product, cell, q);
            match (&reference, &compiled) {
                (Ok(r), Ok(c)) => {
                    assert_eq!(
                        r.charge.to_string(),
                        c.charge.to_string(),
                        "charge of {q} on {plan:?}/{product}/{cell}"
                    );
                    assert_eq!(
                        r.money.as_ref().map(|m| m.0.to_string()),
                        c.money.map(|m| m.to_string()),
                        "money of {q} on {plan:?}/{product}/{cell}"
                    );
                }
                (Err(r), Err(c)) => assert_eq!(r.reason, c.reason, "rejection of {q}"),
                _ => panic!("reference {reference:?} vs table {compiled:?} for {q}"),
            }
            if let Some(key) = key {
                let fast = rater.quote(key, q);
                match (&compiled, &fast) {
                    (Ok(c), Ok(f)) => assert_eq!(
                        (c.charge.to_string(), c.unit, c.money.map(|m| m.to_string())),
                        (f.charge.to_string(), f.unit, f.money.map(|m| m.to_string())),
                        "rater vs table for {q}"
                    ),
                    (Err(c), Err(f)) => assert_eq!(c.reason, f.reason),
                    _ => panic!("table {compiled:?} vs rater {fast:?} for {q}"),
                }
            }
        }
    }
}

/// The dimension value indexes of a cell (row-major over the product's dimensions).
fn cell_values(table: &RatingTable, product: ProductId, cell: CellId) -> Vec<usize> {
    let p = &table.products()[product as usize];
    p.dims
        .iter()
        .zip(&p.strides)
        .map(|(d, s)| {
            let n = table.dimensions()[*d as usize].values.len().max(1) as u32;
            ((cell / (*s).max(1)) % n) as usize
        })
        .collect()
}

/// A book that parses without diagnostics formats, the formatted text parses to the same tree
/// (spans excluded), and formatting the formatted text changes nothing.
pub fn fmt_roundtrip(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = pricebook::syntax::parse(&text);
    if !parsed.diagnostics.is_empty() {
        assert!(
            pricebook::fmt::format_source(&text).is_err(),
            "fmt must refuse a file with syntax errors"
        );
        return;
    }
    let once = pricebook::fmt::format_source(&text)
        .unwrap_or_else(|d| panic!("fmt refused a file that parses: {d:?}"));
    let reparsed = pricebook::syntax::parse(&once);
    assert!(
        reparsed.diagnostics.is_empty(),
        "formatted text has syntax errors: {:?}\n--- input\n{text}\n--- formatted\n{once}",
        reparsed.diagnostics
    );
    assert!(
        reparsed.book == parsed.book,
        "parse(fmt(x)) != parse(x)\n--- input\n{text}\n--- formatted\n{once}"
    );
    let twice = pricebook::fmt::format_source(&once)
        .unwrap_or_else(|d| panic!("fmt refused its own output: {d:?}"));
    assert_eq!(twice, once, "fmt is not idempotent\n--- input\n{text}");
}

/// Arbitrary bytes as a compiled table: loading never panics (a bad table is a `LoadError`). The
/// same content with its checksum recomputed (a hand edit that also fixed the checksum) either
/// fails validation or loads; a table that loads quotes every key, through the table and the
/// rater alike, rates a batch and sizes capacities: rejections, never a panic.
///
/// Input that does not start with `{` is read as edits to a real compiled table instead (byte 0
/// picks a bundled book, then each 3 bytes set one JSON leaf, chosen by a 16-bit index, to an
/// edge value: ids, counts, signs, 28-digit and 28-decimal numbers, null), so the fuzzer spends
/// its time past the JSON syntax and the checksum, in validation and quoting.
pub fn table_quote(data: &[u8]) {
    if data.starts_with(&pricebook::table::BINARY_MAGIC) {
        check_table_binary(data);
        return;
    }
    if data.first().is_some_and(|b| *b != b'{') {
        if let Some(json) = edited_table(data) {
            check_table_json(&json);
        }
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_table_json(text);
}

fn check_table_json(text: &str) {
    let _ = RatingTable::from_json(text);
    // Deserializing checks everything but the checksum; `to_json` writes a fresh one.
    let Ok(table) = serde_json::from_str::<RatingTable>(text) else {
        return;
    };
    let json = table.to_json();
    let back = RatingTable::from_json(&json)
        .unwrap_or_else(|e| panic!("a deserialized table, written again, must load: {e}"));
    assert_eq!(back, table, "a table must load back equal");
    exercise_table(&table);
}

/// A binary table: loading refuses or accepts it without panicking, and then again with its
/// header's layout version, length and hash made to match, so the payload reaches the decoder.
/// A payload that decodes and validates has one encoding (written again, it is the same bytes)
/// and is a table the JSON form holds too.
fn check_table_binary(data: &[u8]) {
    let _ = RatingTable::from_binary(data);
    const HEADER: usize = 56;
    let Some(payload) = data.get(HEADER..) else {
        return;
    };
    let mut sealed = data.to_vec();
    // This build's layout version too, so inputs written with an older layout still reach it.
    sealed[8..12].copy_from_slice(&pricebook::table::BINARY_VERSION.to_le_bytes());
    sealed[16..24].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    sealed[24..HEADER].copy_from_slice(&sha256(payload));
    let Ok(table) = RatingTable::from_binary(&sealed) else {
        return;
    };
    assert_eq!(table.to_binary(), sealed, "a binary table has one encoding");
    let back = RatingTable::from_json(&table.to_json())
        .unwrap_or_else(|e| panic!("a binary table, written as JSON, must load: {e}"));
    assert_eq!(back.products(), table.products());
    assert_eq!(back.plans(), table.plans());
    exercise_table(&table);
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let hex = pricebook::table::sha256_hex(bytes);
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2).unwrap_or("00"), 16).unwrap_or(0);
    }
    out
}

/// Compiled tables of bundled books: a matrix with dimension limits, commitments, tiers.
fn seed_tables() -> &'static [serde_json::Value] {
    static SEEDS: std::sync::OnceLock<Vec<serde_json::Value>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        [
            include_str!("../../pricebooks/heygen/api-plans-legacy.pricebook"),
            include_str!("../../pricebooks/heygen/enterprise.pricebook"),
            include_str!("../../pricebooks/hedra/2026-06.pricebook"),
            include_str!("../../pricebooks/heygen/api-payg.pricebook"),
        ]
        .iter()
        .filter_map(|book| pricebook::pipeline::compile_source(book).ok())
        .filter_map(|t| serde_json::to_value(&t).ok())
        .collect()
    })
}

/// Edge values a JSON leaf is set to.
fn edge_value(op: u8) -> serde_json::Value {
    use serde_json::json;
    match op % 24 {
        0 => json!(0),
        1 => json!(1),
        2 => json!(2),
        3 => json!(3),
        4 => json!(u32::MAX),
        5 => json!(28),
        6 => json!(29),
        7 => json!("0"),
        8 => json!("-1"),
        9 => json!("1"),
        10 => json!("79228162514264337593543950335"),
        11 => json!("-79228162514264337593543950335"),
        12 => json!("0.0000000000000000000000000001"),
        13 => json!("0.000000001"),
        14 => json!("9223372036.854775807"),
        15 => json!("2305843009213693952"),
        16 => json!("0.5"),
        17 => json!(null),
        18 => json!(true),
        19 => json!(false),
        20 => json!([]),
        21 => json!(""),
        22 => json!(1000),
        _ => json!("60"),
    }
}

fn count_leaves(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(a) => a.iter().map(count_leaves).sum(),
        serde_json::Value::Object(o) => o.values().map(count_leaves).sum(),
        _ => 1,
    }
}

/// Sets the `i`-th leaf (depth first) to `new`; returns whether it was found.
fn set_leaf(v: &mut serde_json::Value, i: &mut usize, new: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Array(a) => a.iter_mut().any(|x| set_leaf(x, i, new)),
        serde_json::Value::Object(o) => o.values_mut().any(|x| set_leaf(x, i, new)),
        _ if *i == 0 => {
            *v = new.clone();
            true
        }
        _ => {
            *i -= 1;
            false
        }
    }
}

/// A bundled book's table with `data`'s edits applied, as JSON with a valid checksum.
fn edited_table(data: &[u8]) -> Option<String> {
    let seeds = seed_tables();
    let mut table = seeds.get(data[0] as usize % seeds.len().max(1))?.clone();
    for edit in data[1..].chunks_exact(3) {
        let n = count_leaves(&table).max(1);
        let mut i = usize::from(u16::from_be_bytes([edit[0], edit[1]])) % n;
        set_leaf(&mut table, &mut i, &edge_value(edit[2]));
    }
    // Edits that break the table's invariants are refused here; the rest are written back
    // with a fresh checksum.
    let t: RatingTable = serde_json::from_value(table).ok()?;
    Some(t.to_json())
}

/// Keys a loaded table may ask the rater to precompile here. `Rater::new` allocates one entry
/// per (plan, product, cell), and a small hostile table can ask for billions (a tiered product
/// priced by three 1,000-value dimensions): a known memory limit of the rater, not exercised.
const MAX_RATER_KEYS: u64 = 1 << 20;

fn rater_keys(table: &RatingTable) -> u64 {
    let cells: u64 = table
        .products()
        .iter()
        .map(|p| {
            p.dims
                .iter()
                .map(|d| table.dimensions()[*d as usize].values.len() as u64)
                .fold(1u64, |a, n| a.saturating_mul(n))
        })
        .fold(0u64, |a, n| a.saturating_add(n));
    cells.saturating_mul(table.plans().len() as u64 + 1)
}

/// Quotes, rates and sizes every key of a loaded table (up to [`MAX_KEYS`]).
pub fn exercise_table(table: &RatingTable) {
    if rater_keys(table) > MAX_RATER_KEYS {
        for (plan, product, cell) in keys(table, MAX_KEYS) {
            for q in quantities() {
                let _ = table.quote(plan, product, cell, q);
            }
        }
        return;
    }
    let rater = Rater::new(table);
    let qs = quantities();
    let mut totals = Totals::new(table, 1);
    let mut events = Vec::new();
    for (plan, product, cell) in keys(table, MAX_KEYS) {
        let key = rater.key(plan, product, cell);
        for q in &qs {
            let exact = table.quote(plan, product, cell, *q);
            let _ = table.quote_explained(plan, product, cell, *q);
            if let Some(key) = key {
                // Rater and table agree on every table that loads, not only compiled ones.
                let fast = rater.quote(key, *q);
                match (&exact, &fast) {
                    (Ok(c), Ok(f)) => assert_eq!(
                        (c.charge.to_string(), c.unit, c.money.map(|m| m.to_string())),
                        (f.charge.to_string(), f.unit, f.money.map(|m| m.to_string())),
                        "rater vs table for {q} on {plan:?}/{product}/{cell}"
                    ),
                    (Err(c), Err(f)) => assert_eq!(c.reason, f.reason),
                    _ => panic!("table {exact:?} vs rater {fast:?} for {q}"),
                }
                if let Some(e) = Event::new(0, key, *q) {
                    let _ = rater.rate(&e);
                    events.push(e);
                }
            }
        }
        if let Some(plan) = plan {
            for unit in table.units().iter().take(8) {
                let _ = table.capacity(plan, product, cell, &unit.name);
            }
            let _ = table.capacity(plan, product, cell, "event");
        }
    }
    let _ = rater.rate_batch(&events, &mut totals);
    for u in 0..table.units().len() as u32 {
        let _ = totals.amount(0, u);
    }
}
