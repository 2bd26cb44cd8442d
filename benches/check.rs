//! Benchmarks checking and compiling generated books of 1,000 / 10,000 / 100,000 products (with
//! products / 100 plans): `check_source` (parse + check), `check_book` (what `pricebook check`
//! does: check, compile, run the worked examples) with quote examples only and with bill
//! examples too, `compile`, and parsing alone at 10,000 products as a baseline.
//!
//! The generated books are valid: every book is checked once, before timing, to give no
//! diagnostic at all (no error, no warning), so the worked examples in them ran and passed.
//!
//! ```sh
//! cargo bench --bench check
//! # the same books as files, to time the command end to end (or an older build):
//! PRICEBOOK_WRITE_BOOKS=/tmp/books cargo bench --bench check
//! # loading the 10,000-product table, in schema 9, as schema 8 wrote it and in binary, and the
//! # three files:
//! PRICEBOOK_WRITE_TABLES=/tmp/tables cargo bench --bench check -- compile_stage/.*load
//! ```

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
};
use pricebook::check::check_source;
use std::hint::black_box;
use std::time::Duration;

#[path = "generated/book.rs"]
mod book;
use book::{generated_book, generated_book_with_bills};

/// Checks a generated book once, before it is timed, as `pricebook check` does (worked examples
/// included): it must be clean (no error, no warning).
fn assert_clean(text: &str, products: usize, plans: usize) {
    let checked = pricebook::pipeline::check_book(text);
    assert!(
        checked.diagnostics.is_empty(),
        "generated book ({products} products, {plans} plans) is not clean: {:#?}",
        &checked.diagnostics[..checked.diagnostics.len().min(5)]
    );
    let model = checked.model.expect("a clean book has a model");
    assert_eq!(model.products.len(), products);
    assert_eq!(model.plans.len(), plans);
}

/// A group of few, flat samples: the 100k-product book takes seconds per run. At that size
/// criterion runs one iteration per sample (10 runs, ~25 s) and says it could not fit 10 samples
/// in 5 s; a longer target would only double the iterations per sample.
fn slow_group<'c>(c: &'c mut Criterion, name: &str) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group
}

/// The 10,000-product, 100-plan book, checked clean: (products, plans, text).
fn book_10k() -> (usize, usize, String) {
    let products = 10_000usize;
    let plans = products / 100;
    let text = generated_book(products, plans);
    assert_clean(&text, products, plans);
    (products, plans, text)
}

fn bench_check(c: &mut Criterion) {
    let mut group = slow_group(c, "check_source");
    for products in [1_000usize, 10_000, 100_000] {
        let plans = products / 100;
        let text = generated_book(products, plans);
        assert_clean(&text, products, plans);
        group.throughput(Throughput::Elements(products as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("{plans}_plans"), products),
            &text,
            |b, text| b.iter(|| check_source(black_box(text))),
        );
    }
    group.finish();
}

/// What `pricebook check` does with a book: check, compile, and run its worked examples on the
/// table, with the generated quote and capacity examples only, and with 10 bill examples too
/// (each bill example once rebuilt the model and the rater: seconds on a large book).
fn bench_check_book(c: &mut Criterion) {
    let mut group = slow_group(c, "check_book");
    for products in [1_000usize, 10_000, 100_000] {
        let plans = products / 100;
        for (name, text) in [
            ("quote_examples", generated_book(products, plans)),
            (
                "with_10_bill_examples",
                generated_book_with_bills(products, plans, 10),
            ),
        ] {
            assert_clean(&text, products, plans);
            group.throughput(Throughput::Elements(products as u64));
            group.bench_with_input(BenchmarkId::new(name, products), &text, |b, text| {
                b.iter(|| pricebook::pipeline::check_book(black_box(text)))
            });
        }
    }
    group.finish();
}

fn bench_parse(c: &mut Criterion) {
    let mut group = slow_group(c, "parse");
    let (products, plans, text) = book_10k();
    group.throughput(Throughput::Elements(products as u64));
    group.bench_with_input(
        BenchmarkId::new(format!("{plans}_plans"), products),
        &text,
        |b, text| b.iter(|| pricebook::syntax::parse(black_box(text))),
    );
    group.finish();
}

/// Book text -> rating table (parse, check, compile, worked examples), as `pricebook compile`.
fn bench_compile(c: &mut Criterion) {
    let mut group = slow_group(c, "compile");
    for products in [1_000usize, 10_000, 100_000] {
        let plans = products / 100;
        let text = generated_book(products, plans);
        assert_clean(&text, products, plans);
        group.throughput(Throughput::Elements(products as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("{plans}_plans"), products),
            &text,
            |b, text| {
                b.iter(|| pricebook::pipeline::compile_source(black_box(text)).expect("compiles"))
            },
        );
    }
    group.finish();
}

/// The stages after checking, on the same book: the model -> table translation (which includes
/// hashing the source and checksumming the table), the checksum alone, writing the table file
/// and loading it back.
fn bench_compile_stages(c: &mut Criterion) {
    let mut group = slow_group(c, "compile_stage");
    let (products, _, text) = book_10k();
    let model = check_source(&text).model.expect("a clean book has a model");
    group.throughput(Throughput::Elements(products as u64));
    group.bench_function(BenchmarkId::new("model_to_table", products), |b| {
        b.iter(|| pricebook::compile::compile(black_box(&model), black_box(&text)))
    });
    let table = pricebook::compile::compile(&model, &text).expect("a checked model compiles");
    group.bench_function(BenchmarkId::new("checksum", products), |b| {
        b.iter(|| black_box(&table).compute_checksum())
    });
    // Writing the table file, against serde_json's own pretty layout (one array element per line)
    // as the baseline; then loading each back, as a service does at start-up.
    let json = table.to_json();
    let one_per_line = serde_json::to_string_pretty(&table).expect("serializes");
    group.bench_function(BenchmarkId::new("table_to_json", products), |b| {
        b.iter(|| black_box(&table).to_json())
    });
    group.bench_function(
        BenchmarkId::new("baseline_to_string_pretty", products),
        |b| b.iter(|| serde_json::to_string_pretty(black_box(&table)).expect("serializes")),
    );
    // The same table as schema 8 wrote it (a boolean per product and plan), which this build
    // still reads: the baseline for schema 9's packed availability.
    let version = format!("\"schema_version\": {}", pricebook::table::SCHEMA_VERSION);
    let schema_8 = pricebook::table::reseal(&json.replacen(&version, "\"schema_version\": 8", 1))
        .expect("reseals");
    let binary = table.to_binary();
    if let Some(dir) = std::env::var_os("PRICEBOOK_WRITE_TABLES") {
        write_tables(dir.as_ref(), &json, &schema_8, &binary)
            .unwrap_or_else(|e| panic!("cannot write the tables: {e}"));
    }
    // The binary form of the same table (`compile --target binary`), against the JSON loads.
    group.bench_function(BenchmarkId::new("table_to_binary", products), |b| {
        b.iter(|| black_box(&table).to_binary())
    });
    group.bench_function(BenchmarkId::new("binary_load", products), |b| {
        b.iter(|| pricebook::table::RatingTable::from_binary(black_box(&binary)).expect("loads"))
    });
    for (name, text) in [
        ("table_load", &json),
        ("baseline_load_schema_8", &schema_8),
        ("baseline_load_one_per_line", &one_per_line),
    ] {
        group.bench_function(BenchmarkId::new(name, products), |b| {
            b.iter(|| pricebook::table::RatingTable::from_json(black_box(text)).expect("loads"))
        });
    }
    group.finish();
}

/// Writes the 10,000-product table in both schemas (`table-10000.json`,
/// `table-10000-schema-8.json`) and in binary (`table-10000.pbt`), to time `pricebook quote` on
/// them end to end.
fn write_tables(
    dir: &std::path::Path,
    json: &str,
    schema_8: &str,
    binary: &[u8],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("table-10000.pbt"), binary)?;
    std::fs::write(dir.join("table-10000.json"), format!("{json}\n"))?;
    std::fs::write(
        dir.join("table-10000-schema-8.json"),
        format!("{schema_8}\n"),
    )
}

criterion_group!(
    benches,
    bench_check,
    bench_check_book,
    bench_parse,
    bench_compile,
    bench_compile_stages
);

/// Writes the benchmark's books to `dir` (`book-<products>.pricebook` and
/// `book-<products>-bills.pricebook`), to time commands on them end to end.
fn write_books(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for products in [1_000usize, 10_000, 100_000] {
        let plans = products / 100;
        std::fs::write(
            dir.join(format!("book-{products}.pricebook")),
            generated_book(products, plans),
        )?;
        std::fs::write(
            dir.join(format!("book-{products}-bills.pricebook")),
            generated_book_with_bills(products, plans, 10),
        )?;
    }
    Ok(())
}

fn main() {
    if let Some(dir) = std::env::var_os("PRICEBOOK_WRITE_BOOKS") {
        let dir = std::path::PathBuf::from(dir);
        write_books(&dir).unwrap_or_else(|e| panic!("cannot write to {}: {e}", dir.display()));
        println!("wrote the benchmark books to {}", dir.display());
        return;
    }
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
