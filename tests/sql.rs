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
