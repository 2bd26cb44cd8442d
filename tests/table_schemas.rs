//! Tables of older schema versions: one written by pricebook before schema 9 still loads and
//! quotes as the same book compiled today, and every bundled book's table written in schema 8's
//! layout loads to the same content as in schema 9's.

use pricebook::pipeline::compile_source;
use pricebook::table::{LoadError, PricingEntry, RatingTable, SCHEMA_VERSION, reseal};
use rust_decimal::Decimal;
use std::path::Path;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tables")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every plan (and none) x product x cell x a few quantities, quoted on both tables.
fn assert_same_quotes(old: &RatingTable, new: &RatingTable) {
    let quantities = ["0", "1", "0.5", "59.5", "61", "1500", "100000"];
    let plans = (0..new.plans().len() as u32).map(Some).chain([None]);
    let mut quoted = 0;
    for plan in plans {
        for (product, p) in new.products().iter().enumerate() {
            let cells = match &p.pricing {
                PricingEntry::Cells { cells } => cells.len(),
                _ => 1,
            };
            for cell in 0..cells as u32 {
                for q in quantities {
                    let q: Decimal = q.parse().expect("a decimal");
                    let product = product as u32;
                    assert_eq!(
                        old.quote(plan, product, cell, q),
                        new.quote(plan, product, cell, q),
                        "plan {plan:?}, product `{}`, cell {cell}, quantity {q}",
                        p.slug
                    );
                    quoted += 1;
                }
            }
        }
    }
    assert!(quoted > 0);
}

#[test]
fn a_schema_8_table_written_before_still_loads_and_quotes_the_same() {
    let json = fixture("schema-8.json");
    let old = RatingTable::from_json(&json).expect("a schema 8 table loads");
    assert_eq!(old.schema_version(), 8);
    let new = compile_source(&fixture("schema-8.pricebook")).expect("compiles");
    assert_eq!(new.schema_version(), SCHEMA_VERSION);
    assert_eq!(old.plans(), new.plans());
    assert_eq!(old.products(), new.products());
    // The plans deny something, so availability is not all `true`.
    let offered: Vec<usize> = old
        .plans()
        .iter()
        .map(|p| p.available.iter().filter(|a| **a).count())
        .collect();
    assert_eq!(offered, [3, 4, 5]);
    assert_same_quotes(&old, &new);
    // Written again, it is the file it was read from: same layout, same checksum.
    assert_eq!(old.to_json(), json.trim_end());
    // Opened as a file, as `pricebook quote` opens it.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tables/schema-8.json");
    let opened = pricebook::open_file(&path).expect("opens");
    assert_eq!(opened.table, old);
    // And its checksum still guards it.
    let edited = json.replacen(
        "[true, false, true, false, true]",
        "[true, true, true, false, true]",
        1,
    );
    assert_ne!(edited, json);
    assert!(matches!(
        RatingTable::from_json(&edited),
        Err(LoadError::Checksum { .. })
    ));
}

#[test]
fn the_new_schema_packs_availability_into_one_string() {
    let table = compile_source(&fixture("schema-8.pricebook")).expect("compiles");
    let json = table.to_json();
    // Starter offers avatar, speech and picture (products 0, 2, 4): 1010 1000.
    assert!(json.contains(r#""available": "5:a8""#), "{json}");
    assert!(!json.contains(r#""available": ["#));
    assert_eq!(RatingTable::from_json(&json).expect("loads"), table);
}

#[test]
fn every_bundled_books_table_loads_the_same_from_either_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("pricebooks");
    let mut seen = 0;
    for path in pricebook::load::book_files(&[root]).expect("the bundled books") {
        if pricebook::load::contract_of(&path).is_some() {
            continue;
        }
        let new = compile_source(&std::fs::read_to_string(&path).expect("read"))
            .unwrap_or_else(|e| panic!("{}: {:?}", path.display(), e.diagnostics));
        let json = new.to_json();
        let version = format!("\"schema_version\": {SCHEMA_VERSION}");
        let old_json =
            reseal(&json.replacen(&version, "\"schema_version\": 8", 1)).expect("reseals");
        assert!(
            old_json.contains("\"available\": [true"),
            "{}",
            path.display()
        );
        let old =
            RatingTable::from_json(&old_json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(old.schema_version(), 8);
        assert_eq!(old.plans(), new.plans(), "{}", path.display());
        assert_eq!(old.products(), new.products(), "{}", path.display());
        assert_same_quotes(&old, &new);
        seen += 1;
    }
    assert!(seen > 3);
}
