//! Replays the committed fuzz corpus as an ordinary test, so CI covers it without a fuzzer.
//!
//! Every file under `fuzz/corpus/<target>/` goes through the same check the fuzz target runs
//! (`fuzz/src/lib.rs`, included here): `parse_check` (parse + check of arbitrary bytes, and for a
//! clean book: compile, reload, and agreement of the reference, the table and the rater),
//! `fmt_roundtrip` (a book that parses formats to a book with the same AST, and formatting is
//! idempotent) and `table_quote` (loading arbitrary bytes as a compiled table, then quoting,
//! rating and sizing every key of one that loads). A check fails by panicking; the file name is
//! reported. The corpus includes the inputs of every crash found and fixed.

#[allow(dead_code, clippy::unwrap_used)]
#[path = "../fuzz/src/lib.rs"]
mod checks;

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `check` on every corpus file of `target`, collecting failures rather than stopping at
/// the first.
fn replay(target: &str, check: fn(&[u8])) {
    let files = corpus(target);
    assert!(!files.is_empty(), "no corpus for {target}");
    let mut failures = Vec::new();
    for f in &files {
        let data = std::fs::read(f).expect("read corpus file");
        if let Err(e) = std::panic::catch_unwind(|| check(&data)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {msg}", f.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {target} corpus files fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn parse_check_corpus() {
    replay("parse_check", checks::parse_check);
}

#[test]
fn fmt_roundtrip_corpus() {
    replay("fmt_roundtrip", checks::fmt_roundtrip);
}

#[test]
fn table_quote_corpus() {
    replay("table_quote", checks::table_quote);
}
