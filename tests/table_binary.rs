//! The binary table (`pricebook compile --target binary`) against the JSON table it stands for:
//! every bundled book's and a generated book's table read back from binary is the JSON table,
//! field for field, and quotes, explains and sizes every plan x product x cell the same; a
//! binary file truncated, changed, of another layout version or schema, or forged with a valid
//! hash over garbage is refused with an error, never a panic; and the commands open it.

mod common;

#[path = "../benches/generated/book.rs"]
mod book;

use common::{pricebook, scratch, stderr, stdout, write};
use pricebook::table::{BINARY_MAGIC, LoadError, PricingEntry, RatingTable};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Where the payload starts (after the magic, two versions, the length and the SHA-256).
const HEADER: usize = 56;

/// Every bundled book (contracts layered on their books), as loaded from its JSON table.
fn bundled_tables() -> Vec<(String, RatingTable)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("pricebooks");
    pricebook::load::book_files(&[root])
        .expect("the bundled books")
        .into_iter()
        .map(|path| {
            let opened = pricebook::load::open_file(&path).expect("a bundled book opens");
            let json = RatingTable::from_json(&opened.table.to_json()).expect("its JSON loads");
            (path.display().to_string(), json)
        })
        .collect()
}

/// The generated book of the benchmarks, at a size a debug build checks in a moment.
fn generated_table() -> RatingTable {
    let text = book::generated_book(1_000, 10);
    let table = pricebook::pipeline::compile_source(&text).expect("the generated book compiles");
    RatingTable::from_json(&table.to_json()).expect("its JSON loads")
}

/// Debug text keeps a decimal's scale (`1.50`, not `1.5`), so equal text is the same answer.
fn same<T: std::fmt::Debug>(json: T, binary: T, what: &dyn Fn() -> String) {
    assert_eq!(format!("{json:?}"), format!("{binary:?}"), "{}", what());
}

/// The binary form loads to the JSON table and answers every question the same.
fn assert_same_table(label: &str, json: &RatingTable) {
    let bytes = json.to_binary();
    assert!(bytes.starts_with(&BINARY_MAGIC));
    let binary = RatingTable::from_binary(&bytes)
        .unwrap_or_else(|e| panic!("{label}: the binary table does not load: {e}"));
    assert_eq!(&binary, json, "{label}");
    assert_eq!(
        binary.to_json(),
        json.to_json(),
        "{label}: written back as JSON"
    );
    assert_eq!(binary.to_binary(), bytes, "{label}: written back as binary");
    let quantities: Vec<Decimal> = ["0", "1", "0.5", "59.5", "61", "1500", "100000"]
        .iter()
        .map(|q| q.parse().expect("a decimal"))
        .collect();
    let plans = (0..json.plans().len() as u32).map(Some).chain([None]);
    let mut quoted = 0;
    for plan in plans {
        for (product, p) in json.products().iter().enumerate() {
            let product = product as u32;
            let cells = match &p.pricing {
                PricingEntry::Cells { cells } => cells.len() as u32,
                _ => 1,
            };
            for cell in 0..cells {
                let what = || format!("{label}: plan {plan:?}, product `{}`, cell {cell}", p.slug);
                for q in &quantities {
                    same(
                        json.quote_explained(plan, product, cell, *q),
                        binary.quote_explained(plan, product, cell, *q),
                        &what,
                    );
                    same(
                        json.quote_in_period(plan, product, cell, *q, *q),
                        binary.quote_in_period(plan, product, cell, *q, *q),
                        &what,
                    );
                    quoted += 1;
                }
                if let Some(plan) = plan {
                    for unit in json.units() {
                        same(
                            json.capacity(plan, product, cell, &unit.name),
                            binary.capacity(plan, product, cell, &unit.name),
                            &what,
                        );
                    }
                }
            }
        }
    }
    assert!(quoted > 0, "{label}: nothing quoted");
}

#[test]
fn every_bundled_table_answers_the_same_from_binary() {
    let tables = bundled_tables();
    assert!(tables.len() >= 5, "the bundled books are found");
    for (label, json) in &tables {
        assert_same_table(label, json);
    }
}

#[test]
fn the_generated_table_answers_the_same_from_binary() {
    let json = generated_table();
    assert_eq!(json.products().len(), 1_000);
    assert_same_table("generated book", &json);
}

/// A bundled table's binary form, for the refusal tests.
fn hedra() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pricebooks/hedra/2026-06.pricebook");
    let opened = pricebook::load::open_file(&path).expect("hedra opens");
    opened.table.to_binary()
}

/// A small table of a book written here (no source file), so the reviewed errors, which quote
/// lengths and hashes, change only when the binary form does.
fn small() -> Vec<u8> {
    let book = r#"
pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
product "Render" as render { measure time  rate 2 credit / second  round up to 1 second }
plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
"#;
    let table = pricebook::pipeline::compile_source(book).expect("the book compiles");
    table.to_binary()
}

/// `bytes` with the payload's length and SHA-256 in the header made to match the payload again.
fn rehash(mut bytes: Vec<u8>) -> Vec<u8> {
    let payload_len = (bytes.len() - HEADER) as u64;
    bytes[16..24].copy_from_slice(&payload_len.to_le_bytes());
    let digest = Sha256::digest(&bytes[HEADER..]);
    bytes[24..HEADER].copy_from_slice(&digest);
    bytes
}

#[test]
fn a_truncated_or_changed_file_is_refused_by_its_header_or_hash() {
    let bytes = hedra();
    assert!(RatingTable::from_binary(&bytes).is_ok());
    for len in (0..bytes.len())
        .step_by(7)
        .chain([HEADER - 1, HEADER, bytes.len() - 1])
    {
        let err = RatingTable::from_binary(&bytes[..len]).expect_err("a prefix is refused");
        assert!(
            matches!(err, LoadError::Binary(_)),
            "prefix of {len} bytes: {err:?}"
        );
    }
    // Anything joined to it.
    let mut longer = bytes.clone();
    longer.push(b'\n');
    assert!(matches!(
        RatingTable::from_binary(&longer),
        Err(LoadError::Binary(_))
    ));
    // One bit changed anywhere in the payload (or in the stored hash) fails the hash.
    for at in (HEADER - 32..bytes.len()).step_by(13) {
        let mut changed = bytes.clone();
        changed[at] ^= 0x10;
        assert!(
            matches!(
                RatingTable::from_binary(&changed),
                Err(LoadError::Checksum { .. })
            ),
            "byte {at} changed"
        );
    }
}

#[test]
fn another_layout_version_or_schema_is_refused_by_name() {
    let bytes = hedra();
    let mut other = bytes.clone();
    let other_version = pricebook::table::BINARY_VERSION + 1;
    other[8..12].copy_from_slice(&other_version.to_le_bytes());
    assert_eq!(
        RatingTable::from_binary(&other),
        Err(LoadError::BinaryVersion {
            found: other_version,
            expected: pricebook::table::BINARY_VERSION
        })
    );
    let mut schema = bytes.clone();
    schema[12..16].copy_from_slice(&99u32.to_le_bytes());
    assert!(matches!(
        RatingTable::from_binary(&schema),
        Err(LoadError::Schema { found: 99, .. })
    ));
    // A header that claims schema 8 over a schema 9 table is caught by the table's own field.
    let mut claims_8 = bytes.clone();
    claims_8[12..16].copy_from_slice(&8u32.to_le_bytes());
    assert!(matches!(
        RatingTable::from_binary(&claims_8),
        Err(LoadError::Binary(m)) if m.contains("schema 8")
    ));
    assert!(matches!(
        RatingTable::from_binary(b"{\"schema_version\": 9}"),
        Err(LoadError::Binary(_))
    ));
}

/// Garbage with a valid hash reaches the decoder: every byte of the payload changed in turn,
/// and payloads cut short, decode to an error or to a table that validates, never a panic.
#[test]
fn a_forged_payload_with_a_valid_hash_is_refused_without_a_panic() {
    let bytes = hedra();
    let mut refused = 0;
    // Every byte of the first kilobyte (the header fields, units and the first products), then
    // every 7th.
    let positions = (HEADER..bytes.len()).filter(|at| *at < HEADER + 1024 || at % 7 == 0);
    for at in positions {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut forged = bytes.clone();
            forged[at] ^= flip;
            match RatingTable::from_binary(&rehash(forged)) {
                // A flag or a letter of a name can change and leave a table that validates.
                Ok(_) => {}
                Err(LoadError::Binary(_) | LoadError::Invalid(_) | LoadError::Schema { .. }) => {
                    refused += 1
                }
                Err(e) => panic!("byte {at} ^ {flip:#x}: unexpected {e:?}"),
            }
        }
    }
    assert!(refused > 0);
    for len in (HEADER..bytes.len()).step_by(5) {
        let cut = rehash(bytes[..len].to_vec());
        assert!(
            matches!(RatingTable::from_binary(&cut), Err(LoadError::Binary(_))),
            "cut at {len}"
        );
    }
    // A length longer than the file: the vendor's, after the schema version's one byte, made
    // 4 G (the varint `ff ff ff ff 0f`).
    let bytes = small();
    let mut long = bytes[..HEADER + 1].to_vec();
    long.extend([0xff, 0xff, 0xff, 0xff, 0x0f]);
    long.extend(&bytes[HEADER + 2..]);
    let err = RatingTable::from_binary(&rehash(long)).expect_err("refused");
    insta::assert_snapshot!("binary-forged-length", err.to_string());
}

#[test]
fn the_commands_open_a_binary_table_and_answer_as_from_json() {
    let dir = scratch("binary-cli");
    let json = dir.join("hedra.json").display().to_string();
    let pbt = dir.join("hedra.pbt").display().to_string();
    let book = "pricebooks/hedra/2026-06.pricebook";
    let compiled = pricebook(&["compile", book, "-o", &json]);
    assert!(compiled.status.success(), "{}", stderr(&compiled));
    let compiled = pricebook(&["compile", book, "--target", "binary", "-o", &pbt]);
    assert!(compiled.status.success(), "{}", stderr(&compiled));
    assert!(stderr(&compiled).contains("products"));
    // Standard output holds the same bytes.
    let to_stdout = pricebook(&["compile", book, "--target", "binary"]);
    assert_eq!(to_stdout.stdout, std::fs::read(&pbt).expect("written"));
    let questions: [&[&str]; 4] = [
        &[
            "quote",
            "--plan",
            "creator",
            "--product",
            "hedra-avatar",
            "--quantity",
            "90 second",
            "--explain",
        ],
        &[
            "quote",
            "--plan",
            "creator",
            "--product",
            "hedra-avatar",
            "--quantity",
            "90 second",
            "--format",
            "json",
        ],
        &["capacity", "--plan", "creator", "--product", "hedra-avatar"],
        &[
            "quote",
            "--plan",
            "creator",
            "--product",
            "no-such-product",
            "--quantity",
            "1 second",
        ],
    ];
    for args in questions {
        let ask = |table: &str| {
            let mut all = vec![args[0], table];
            all.extend(&args[1..]);
            pricebook(&all)
        };
        let (from_json, from_binary) = (ask(&json), ask(&pbt));
        assert_eq!(
            from_json.status.code(),
            from_binary.status.code(),
            "{args:?}"
        );
        assert_eq!(
            stdout(&from_json),
            stdout(&from_binary).replace("hedra.pbt", "hedra.json"),
            "{args:?}"
        );
        assert_eq!(
            stderr(&from_json),
            stderr(&from_binary).replace("hedra.pbt", "hedra.json"),
            "{args:?}"
        );
    }
    // `diff` reads either form.
    let diff = pricebook(&["diff", &json, &pbt]);
    assert!(diff.status.success(), "{}", stderr(&diff));
}

#[test]
fn a_broken_binary_table_is_reported_with_its_code() {
    let dir = scratch("binary-errors");
    let bytes = small();
    let cases = [
        ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ("changed", {
            let mut b = bytes.clone();
            let last = b.len() - 1;
            b[last] ^= 1;
            b
        }),
        ("other-version", {
            let mut b = bytes.clone();
            b[8..12].copy_from_slice(&7u32.to_le_bytes());
            b
        }),
    ];
    for (name, content) in cases {
        let path = write(&dir, "table.pbt", content);
        let human = pricebook(&[
            "quote",
            &path,
            "--plan",
            "pro",
            "--product",
            "render",
            "--quantity",
            "1 second",
        ]);
        assert_eq!(human.status.code(), Some(1), "{name}");
        let json = pricebook(&[
            "quote",
            &path,
            "--plan",
            "pro",
            "--product",
            "render",
            "--quantity",
            "1 second",
            "--format",
            "json",
        ]);
        let dir_text = dir.display().to_string();
        let report = format!(
            "{}\n---\n{}",
            stderr(&human).replace(&dir_text, "DIR"),
            stdout(&json).replace(&dir_text, "DIR") + &stderr(&json).replace(&dir_text, "DIR")
        );
        insta::assert_snapshot!(format!("binary-error-{name}"), report);
    }
}
