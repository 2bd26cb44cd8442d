//! `pricebook compile --target sql`: the script for one bundled book in every dialect
//! (snapshots, reviewed), refusals with their codes and products, and the command line's flags.
//! The scripts' answers are tested against `pricebook rate` by tests/sql/test_duckdb.py (.ci/sql).

use pricebook::sql::{Dialect, compile_sql, compile_sql_skipping};
use std::process::Command;

const BOOK: &str = "pricebooks/hedra/2024-11.pricebook";

fn table(path: &str) -> pricebook::table::RatingTable {
    pricebook::load::open_file(path.as_ref())
        .expect("the book opens")
        .table
}

#[test]
fn every_dialect_compiles_the_bundled_book() {
    let t = table(BOOK);
    for d in Dialect::all() {
        let script = compile_sql(std::slice::from_ref(&t), d).expect("compiles");
        insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
            insta::assert_snapshot!(format!("sql-{}", d.name()), script);
        });
    }
}

#[test]
fn no_floating_point_and_no_decimal_division() {
    let t = table(BOOK);
    for d in Dialect::all() {
        let script = compile_sql(std::slice::from_ref(&t), d).expect("compiles");
        let upper = script.to_uppercase();
        for word in ["DOUBLE", "FLOAT4", "FLOAT8", "FLOAT64", " FLOAT)", " REAL)"] {
            assert!(!upper.contains(word), "{}: {word}", d.name());
        }
        // Division is only the dialect's exact integer division (Spark's is corrected to it).
        let divisions = script.matches(" / ").count();
        match d {
            Dialect::Spark => assert!(divisions > 0),
            _ => assert_eq!(divisions, 0, "{}", d.name()),
        }
    }
}

/// The view `name`'s text in `script`.
fn view<'a>(script: &'a str, name: &str) -> &'a str {
    let start = script
        .find(&format!("VIEW {name} AS"))
        .expect("the view is created");
    let end = script[start..]
        .find(";\n")
        .map_or(script.len(), |e| start + e);
    &script[start..end]
}

#[test]
fn the_views_have_the_shape_spark_plans_in_a_second() {
    // Spark's constraint propagation copies a filter's constraints through every projection
    // above it that renames a column the filter names, doubling them per column: a filter on
    // `pb_rejected` under a `WITH` chain (each reference renames every column) or under
    // `r.kind AS pb_kind` took minutes to plan, or ran out of memory, once a join or a second
    // filter sat above it (account_totals did both).
    let books = [BOOK, "pricebooks/heygen/api-payg.pricebook"];
    for book in books {
        let t = table(book);
        for d in Dialect::all() {
            let script = compile_sql_skipping(std::slice::from_ref(&t), d)
                .expect("compiles")
                .script;
            let rated = view(&script, "pricebook_rated");
            assert!(!rated.contains("WITH"), "{book} {}: a WITH chain", d.name());
            for line in rated
                .lines()
                .filter(|l| l.trim_start().starts_with("SELECT u"))
            {
                // A stage selects the joined columns by the names their subquery gave them.
                let renamed = line.split(", ").any(|c| {
                    c.trim().split_once(" AS ").is_some_and(|(column, _)| {
                        column.matches('.').count() == 1
                            && column
                                .chars()
                                .all(|x| x.is_ascii_alphanumeric() || "._".contains(x))
                    })
                });
                assert!(
                    !renamed,
                    "{book} {}: a joined column renamed above its join: {line}",
                    d.name()
                );
            }
            let totals = view(&script, "account_totals");
            assert!(
                !totals.contains("JOIN"),
                "{book} {}: a join in account_totals",
                d.name()
            );
            assert_eq!(
                totals.matches("FROM pricebook_rated").count(),
                1,
                "{book} {}",
                d.name()
            );
        }
    }
}

const HUGE: &str = r#"
pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
product "Render" as render { measure time  rate 2 credit / second }
product "Galaxy" as galaxy { measure time  rate 79228162514264337593543950335 credit / 0.000000000000000001 second }
plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
"#;

#[test]
fn a_product_beyond_38_digits_is_refused_by_name() {
    let t = pricebook::compile_source(HUGE).expect("a clean book");
    let e = compile_sql(std::slice::from_ref(&t), Dialect::Duckdb).expect_err("refused");
    assert_eq!(e.code, "sql-unrepresentable");
    assert_eq!(e.product.as_deref(), Some("galaxy"));
    assert!(e.message.contains("`galaxy`"), "{}", e.message);
    // Skipping refusals prices the rest and rejects the product's rows with the reason.
    let s = compile_sql_skipping(std::slice::from_ref(&t), Dialect::Duckdb).expect("compiles");
    assert_eq!(s.refused.len(), 1);
    assert!(s.script.contains("not priced in SQL: "));
}

#[test]
fn the_command_line_writes_sql_and_keeps_compile_as_it_was() {
    let bin = env!("CARGO_BIN_EXE_pricebook");
    let sql = Command::new(bin)
        .args(["compile", BOOK, "--target", "sql", "--dialect", "duckdb"])
        .output()
        .expect("runs");
    assert!(sql.status.success());
    assert!(String::from_utf8_lossy(&sql.stdout).contains("CREATE OR REPLACE VIEW rated_usage"));
    let json = Command::new(bin)
        .args(["compile", BOOK])
        .output()
        .expect("runs");
    assert!(json.status.success());
    assert!(String::from_utf8_lossy(&json.stdout).starts_with('{'));
    let no_dialect = Command::new(bin)
        .args(["compile", BOOK, "--target", "sql"])
        .output()
        .expect("runs");
    assert_eq!(no_dialect.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_dialect.stderr).contains("--dialect"));
    // A directory of several price lists is refused with its code.
    let lists = Command::new(bin)
        .args([
            "compile",
            "pricebooks/heygen",
            "--target",
            "sql",
            "--dialect",
            "duckdb",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(lists.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&lists.stdout).contains("\"sql-books\""));
}
