//! Snapshots of prices: every price a book makes, as sorted `key | value` lines, so a pricing
//! team reviews each price change as a diff of text, in its own repository's CI
//! (`pricebook snapshot`) or its own test suite (this module with `insta`).
//!
//! A body is one line per fact, sorted, stable byte for byte across runs and machines, and
//! independent of the order of the book's items: the book's header, units and billing rules;
//! each product's pricing; each plan's price, grants, what a wallet unit is worth, packs,
//! products, limits, allowances, features and what happens when its wallet is empty; each pack;
//! for every plan x product x dimension values the rate, its money equivalent (the quote of the
//! quantity the rate is per), what the plan's recurring grant buys (capacity), and the quote of
//! standard quantities; and the worked examples' statements. Rates, money, capacities and quotes
//! are [`crate::answer`]'s, so they are what `pricebook quote` and `pricebook capacity` say.
//!
//! ```
//! let table = pricebook::compile_source(r#"
//! pricebook acme version "1" effective 2026-01-01 currency USD
//! unit credit
//! product "Render" as render { measure time  rate 2 credit / second  round up to 1 second }
//! plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
//! "#).expect("the book checks");
//! insta::assert_snapshot!(pricebook::snapshot::render(&table), @r#"
//! book | acme 1, effective 2026-01-01, currency USD
//! cell pro render capacity | 500 second
//! cell pro render money per 1 second | 0.04 USD
//! cell pro render rate | 2 credit / second
//! plan pro | "Pro"
//! plan pro 1 credit is worth | 0.02 USD (20 USD / 1000 credit)
//! plan pro billing | monthly
//! plan pro grant | 1000 credit every month, expires at cycle end, priority 1
//! plan pro packs | not allowed
//! plan pro price | 20 USD / month
//! plan pro products | all
//! plan pro when empty | reject
//! product render | "Render", measure time
//! product render pricing | rate
//! product render rate | 2 credit / second
//! product render round | up to 1 second
//! quote pro render 1 minute | 120 credit, 2.40 USD
//! unit credit | declared
//! "#);
//! ```
//!
//! The files `pricebook snapshot` writes are insta's (`---` metadata, then the body), one per
//! book at `<book's directory>/snapshots/<book>.snap`; see [`snapshot_path`], [`file_text`] and
//! [`read_body`].

mod compare;
pub(crate) mod facts;
pub(crate) mod words;
mod worked;

pub use compare::{Changes, LineChange, compare};
pub use worked::examples_of;

use crate::base::quantity::{QuantityError, split_quantity_with_unit};
use crate::load::{OpenError, Opened};
use crate::table::{PlanId, RatingTable};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

/// A quantity to quote every product measured in its dimension at, instead of the default (a
/// minute of time, 1,000 characters, a megapixel, one of anything counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardQuantity {
    pub value: Decimal,
    /// The unit as written (`hour`, `min`).
    pub unit: String,
}

impl StandardQuantity {
    /// Reads `1 hour`, `5000 character`.
    pub fn parse(text: &str) -> Result<StandardQuantity, QuantityError> {
        let (value, unit) = split_quantity_with_unit(text)?;
        Ok(StandardQuantity {
            value,
            unit: unit.to_string(),
        })
    }
}

/// One worked example (`test` block): its name and its statements as `fmt` prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub name: String,
    pub statements: Vec<String>,
}

/// What a snapshot shows besides the table's own facts.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Quantities to quote instead of the defaults; each replaces its dimension's default.
    pub quantities: Vec<StandardQuantity>,
    /// Worked examples to list ([`examples_of`] a book's text).
    pub examples: Vec<Example>,
    /// Only these plans (a contract's own); every plan when `None`.
    pub plans: Option<Vec<PlanId>>,
}

/// The snapshot body of a table: every price it makes, one sorted `key | value` line per fact.
pub fn render(table: &RatingTable) -> String {
    let book = Opened {
        table: table.clone(),
        path: PathBuf::new(),
        contract: None,
    };
    render_with(&book, &Options::default())
}

/// The snapshot body of an opened book, with `options`.
pub fn render_with(book: &Opened, options: &Options) -> String {
    facts::collect(book, options).into_text()
}

/// The snapshot body of a book file (or a contract, layered on its book: then only the
/// contract's plans, which are its prices): its table's facts and its own worked examples.
pub fn render_file(path: &Path, quantities: &[StandardQuantity]) -> Result<String, OpenError> {
    let book = crate::load::open_file(path)?;
    let text = crate::load::read_book(path)?;
    let plans = book.contract.as_ref().map(|(_, first_line)| {
        (0..book.table.plans().len() as PlanId)
            .filter(|p| book.table.plans()[*p as usize].line >= *first_line)
            .collect()
    });
    let options = Options {
        quantities: quantities.to_vec(),
        examples: examples_of(&text),
        plans,
    };
    Ok(render_with(&book, &options))
}

/// Where a book's snapshot lives: `<book's directory>/snapshots/<book file name without
/// .pricebook>.snap`.
///
/// ```
/// use std::path::Path;
/// let p = pricebook::snapshot::snapshot_path(Path::new("pricebooks/hedra/2026-06.pricebook"));
/// assert_eq!(p, Path::new("pricebooks/hedra/snapshots/2026-06.snap"));
/// ```
pub fn snapshot_path(book: &Path) -> PathBuf {
    let dir = book.parent().unwrap_or(Path::new(""));
    let stem = book
        .file_stem()
        .map_or_else(|| "book".into(), |s| s.to_string_lossy().into_owned());
    dir.join("snapshots").join(format!("{stem}.snap"))
}

/// Where a changed snapshot waits for review, beside the old one: `<name>.snap.new`.
pub fn pending_path(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    snapshot.with_file_name(name)
}

/// A YAML scalar: plain when it is a simple name, else a JSON (and YAML) string.
fn yaml_scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ' '))
        && !s.starts_with([' ', '-'])
        && !s.ends_with(' ');
    if plain {
        s.to_string()
    } else {
        serde_json::Value::from(s).to_string()
    }
}

/// A snapshot file as insta writes one: its metadata between `---` lines (`source`, the book's
/// file name, and `expression`), then the body. Nothing in it depends on the machine or the path
/// the book was given by.
pub fn file_text(book: &Path, body: &str) -> String {
    let name = book
        .file_name()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    format!(
        "---\nsource: {}\nexpression: pricebook snapshot\n---\n{}\n",
        yaml_scalar(&name),
        body.trim_end()
    )
}

/// The body of a snapshot file (what follows its `---` metadata), as insta reads it.
pub fn read_body(file: &str) -> String {
    let mut lines = file.lines();
    let mut rest: Vec<&str> = Vec::new();
    match lines.next() {
        Some(first) if first.trim_end() == "---" => {
            for l in lines.by_ref() {
                if l.trim_end() == "---" {
                    break;
                }
            }
        }
        Some(first) => rest.push(first),
        None => {}
    }
    rest.extend(lines);
    let mut body = rest.join("\n").trim_end().to_string();
    body.push('\n');
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_its_metadata_and_its_body() {
        let text = file_text(Path::new("x/2026-06.pricebook"), "a | 1\nb | 2\n");
        assert_eq!(
            text,
            "---\nsource: 2026-06.pricebook\nexpression: pricebook snapshot\n---\na | 1\nb | 2\n"
        );
        assert_eq!(read_body(&text), "a | 1\nb | 2\n");
        assert_eq!(yaml_scalar("a: b"), "\"a: b\"");
        assert_eq!(
            pending_path(Path::new("s/2026-06.snap")),
            Path::new("s/2026-06.snap.new")
        );
    }
}
