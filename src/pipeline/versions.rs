//! The other versions of a book's price list, for its worked examples: a `bill` example that
//! runs into another version (it starts before the book takes effect, or runs past the next
//! version's effective date) is billed by the versions in force over it, as `pricebook bill`
//! on the vendor's directory bills. Only the versions some bill example runs into are
//! compiled, without their own worked examples.

use crate::base::date::Date;
use crate::examples::{ExampleVersion, bill_dates, in_force_over};
use crate::model::{ExampleStmt, Model};
use crate::table::RatingTable;

/// Another version of a book's price list, as text: the file it was read from, its text and
/// the day it takes effect.
#[derive(Debug, Clone, Copy)]
pub struct VersionText<'a> {
    pub name: &'a str,
    pub text: &'a str,
    pub effective: Date,
}

/// The versions some bill example of `model` runs into, compiled (`None` for a version with
/// errors): each with its effective date and name.
pub(super) fn tables_for_examples(
    model: &Model,
    versions: &[VersionText<'_>],
) -> Vec<(Date, String, Option<RatingTable>)> {
    let mut all: Vec<(Date, Option<&VersionText<'_>>)> = versions
        .iter()
        .filter(|v| v.effective != model.effective)
        .map(|v| (v.effective, Some(v)))
        .collect();
    if all.is_empty() {
        return Vec::new();
    }
    all.push((model.effective, None));
    all.sort_by_key(|(d, _)| *d);
    let effective: Vec<Date> = all.iter().map(|(d, _)| *d).collect();
    let mut needed = vec![false; all.len()];
    for e in &model.examples {
        for s in &e.stmts {
            if let ExampleStmt::Bill(b) = s {
                let (from, end) = bill_dates(model, b);
                for i in in_force_over(&effective, from, end) {
                    if let Some(n) = needed.get_mut(i) {
                        *n = true;
                    }
                }
            }
        }
    }
    all.iter()
        .zip(needed)
        .filter(|(_, n)| *n)
        .filter_map(|((_, v), _)| *v)
        .map(|v| (v.effective, v.name.to_string(), table_of(v)))
        .collect()
}

/// The version's table, when it checks and compiles; its worked examples are its own check's.
fn table_of(v: &VersionText<'_>) -> Option<RatingTable> {
    let parsed = crate::syntax::parse(v.text);
    let model = crate::check::check_parsed(&parsed.book, &parsed.diagnostics).model?;
    crate::compile::compile_unsealed(&model, v.text, v.name).ok()
}

/// `tables` as the examples take them.
pub(super) fn example_versions(
    tables: &[(Date, String, Option<RatingTable>)],
) -> Vec<ExampleVersion<'_>> {
    tables
        .iter()
        .map(|(effective, name, table)| ExampleVersion {
            effective: *effective,
            name,
            table: table.as_ref(),
        })
        .collect()
}
