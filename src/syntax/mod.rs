//! Syntax: pest grammar -> owned AST with spans, plus syntax diagnostics.
//!
//! [`parse`] never fails. It always returns a [`Book`] (possibly with `Error` nodes where text
//! could not be read) and the diagnostics explaining each unreadable piece.
//!
//! Well-formed items are read by a hand-written reader that mirrors the grammar rule for rule
//! (see `reader/`); pest parses only the items the reader gives up on, so recovery and syntax
//! errors are exactly the grammar's. The tests below check the two against each other.

pub mod ast;
mod explain;
// For editors (`pricebook lsp`) and the tests that keep the editors' grammars in step.
#[cfg(any(feature = "lsp", feature = "internals"))]
pub mod grammar;
mod lower;
mod reader;
pub mod shift;

use crate::diagnostic::Diagnostic;
use ast::Book;
#[cfg(any(test, feature = "internals"))]
use pest::Parser;
pub use shift::Shift;

#[derive(pest_derive::Parser)]
#[grammar = "grammar/pricebook.pest"]
pub(crate) struct PricebookParser;

/// The result of parsing one file: always a tree, plus what went wrong.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub book: Book,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses pricebook source text.
///
/// ```
/// let parsed = pricebook::syntax::parse(
///     "pricebook acme version \"1\" effective 2026-01-01 currency USD\nunit credit\n",
/// );
/// assert!(parsed.diagnostics.is_empty());
/// assert_eq!(parsed.book.items.len(), 2);
/// ```
/// Whether `word` is one of the grammar's reserved words, which cannot be a name (a slug, a
/// unit, a word of a limit's name) and ends a multi-word dimension value.
pub fn is_reserved(word: &str) -> bool {
    reader::is_reserved(word.as_bytes())
}

pub fn parse(text: &str) -> Parsed {
    let mut diagnostics = Vec::new();
    let book = reader::parse_book(text, &mut diagnostics);
    Parsed { book, diagnostics }
}

/// The header of a file (`pricebook ...` or `contract ...`): the first item that is one. A
/// well-formed book starts with it, and then nothing after it is read; otherwise the whole file
/// is parsed to find it. For listing a directory's versions without parsing every book.
///
/// ```
/// use pricebook::syntax::{ast::Item, header};
/// let h = header("pricebook acme version \"1\" effective 2026-01-01 currency USD\nunit credit\n");
/// assert!(matches!(h.map(|h| h.node), Some(Item::Header(h)) if h.vendor.node == "acme"));
/// assert!(header("unit credit\n").is_none());
/// ```
pub fn header(text: &str) -> Option<ast::Spanned<ast::Item>> {
    let is_header = |i: &ast::Item| matches!(i, ast::Item::Header(_) | ast::Item::Contract(_));
    if let Some(first) = reader::first_item(text) {
        if is_header(&first.node) {
            return Some(first);
        }
    }
    parse(text)
        .book
        .items
        .into_iter()
        .find(|i| is_header(&i.node))
}

/// Parses a file that is placed at `base` in a shared position space (a contract after its book):
/// every span of the tree and of the diagnostics is `base` bytes later than in [`parse`].
pub fn parse_placed(text: &str, base: usize) -> Parsed {
    let mut parsed = parse(text);
    if base > 0 {
        parsed.book.shift(base);
        parsed.diagnostics.shift(base);
    }
    parsed
}

/// The reference parse: the whole file through pest, then lowering. [`parse`] must give exactly
/// the same tree, spans and diagnostics; the tests below and the `parse_check` fuzz target hold
/// the two to that. Slower than [`parse`], and not meant for anything else.
#[doc(hidden)]
#[cfg(any(test, feature = "internals"))]
pub fn parse_reference(text: &str) -> Parsed {
    let mut diagnostics = Vec::new();
    let book = match PricebookParser::parse(Rule::file, text) {
        Ok(mut pairs) => match pairs.next() {
            Some(file) => lower::lower_file(file, text, &mut diagnostics),
            None => Book::default(),
        },
        // The recovery rules make `file` accept any text; this is a safety net, not a path.
        Err(e) => {
            diagnostics.push(explain::from_pest_error(&e, 0, text));
            Book::default()
        }
    };
    Parsed { book, diagnostics }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::{Path, PathBuf};

    /// The fast path and the reference parse agree on the tree (spans included: `Debug` shows
    /// them, equality does not) and on the diagnostics.
    fn assert_same(text: &str) {
        let fast = parse(text);
        let reference = parse_reference(text);
        let (a, b) = (format!("{:?}", fast.book), format!("{:?}", reference.book));
        if a != b {
            // Show both trees around where they start to differ.
            let i = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
            let around =
                |t: &str| -> String { t.chars().skip(i.saturating_sub(300)).take(600).collect() };
            panic!(
                "trees differ for {text:?}\n fast: ...{}\n  ref: ...{}",
                around(&a),
                around(&b)
            );
        }
        assert_eq!(
            format!("{:?}", fast.diagnostics),
            format!("{:?}", reference.diagnostics),
            "diagnostics differ for {text:?}"
        );
    }

    fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                files_under(&p, out);
            } else if p.extension().is_some_and(|x| x == "pricebook") {
                out.push(p);
            }
        }
    }

    fn corpus() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        files_under(&root.join("pricebooks"), &mut paths);
        files_under(&root.join("tests/ui"), &mut paths);
        paths.sort();
        let mut texts: Vec<String> = paths
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect();
        texts.push(SAMPLE.to_string());
        texts
    }

    /// Every statement form the fast path reads, and a few it leaves to pest.
    const SAMPLE: &str = r#"# sample
pricebook acme version "1.0 \"b\" \\" effective 2026-01-01 currency USD
unit credit
unit credit_second = 60 credit   # trailing comment
dimension resolution { 540p, 720p, "Digital Twin", 4K , }
dimension fps { 30 fps, 60 fps }
floor 1 credit per second
allow unused-product "reason # not a comment"
product "A" as a {
  measure time  rate 7 credit / second round up to 1 second
  rate 540p, 30 fps = 1_000.50 credit / 1000 second
  rate 4K, 60 fps = not offered
  rate "Digital Twin" = 3 credit per 5 minute   # c
  tiers volume { 0 second .. 60 second : 1 credit / second
    60 second .. : 0.5 credit/second }
  flat 7 USD per video  flat 3 USD
  free prorate min 1 second max 10 minute outside wallet
  dims resolution, fps
  round nearest to 5 second
  allow zero-rate "ok"
}
plan "Pro" as pro based on base {
  price 30 USD / month, minimum 10 USD
  price custom, minimum 5 USD / 100 credit
  price unpublished
  billing monthly, annual
  grant 100 credit every month, expires at cycle end, priority 1, never expires
  grant 5 credit once, expires at contract end, expires after 3 month, priority -2
  grant 5 credit
  packs allowed packs not allowed
  products all products a, b
  deny c, d
  limit video length <= 5 minute per day on a, b
  limit videos <= 5 per day
  limit resolution <= 1080p
  limit n <= "x"
  feature seats = 5 seat feature s = 5 feature t = "yes" feature u = no
  when empty reject when empty overage 1 USD / second when empty overage
  when empty auto recharge
  commit 100 USD / month
  includes 100 credit at 1 USD / 10 credit includes 5 credit
  overage 2 credit / second
  rate a = 1 credit / second
  allow x "y"
}
pack "P" as p { price 10 USD grant 10 credit, never expires for pro, base allow a "b" }
test "t" {
  quote plan pro product a dim 540p dim fps = "30 fps" quantity 2 second at 2026-01-02 == 14 credit, money 1 USD
  quote product a quantity 2 second rejects
  quote product a quantity 2 second rejects "no"
  capacity plan pro product a dim 4K at 2026-01-01 == 10 second
  capacity product a == 10 second
}
test "bill" { bill plan pro periods 2 { 2026-01-01T00:00:00Z use a 2 second
  expect total == 5 USD } }
billing annual { front-load 12 month }
auto recharge { below 10 credit refill to 50 credit cap 20 USD / month minimum below 5 credit }
contract "C" as c for acme effective 2026-01-01
"#;

    /// A file placed later in a position space has the same tree and diagnostics as the same
    /// text preceded by that many spaces: every span is shifted, none is missed.
    #[test]
    fn placed_files_shift_every_span() {
        for text in corpus() {
            for base in [1usize, 97] {
                let placed = parse_placed(&text, base);
                let padded = parse(&format!("{}{text}", " ".repeat(base)));
                assert_eq!(format!("{:?}", placed.book), format!("{:?}", padded.book));
                assert_eq!(
                    format!("{:?}", placed.diagnostics),
                    format!("{:?}", padded.diagnostics)
                );
            }
        }
    }

    #[test]
    fn fast_path_matches_pest_on_books_and_fixtures() {
        for text in corpus() {
            assert_same(&text);
        }
    }

    #[test]
    fn fast_path_matches_pest_with_each_line_removed() {
        // Each line removed from the lines around it (the whole file when it is short): the
        // parsers differ, if at all, on the statements next to the hole, and a window keeps the
        // test linear in the corpus rather than quadratic in each book's length.
        const AROUND: usize = 15;
        for text in corpus() {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            for i in 0..lines.len() {
                let window = i.saturating_sub(AROUND)..(i + AROUND + 1).min(lines.len());
                let mut t = String::new();
                for j in window.filter(|j| *j != i) {
                    t.push_str(lines[j]);
                }
                assert_same(&t);
            }
        }
    }

    #[test]
    fn fast_path_matches_pest_on_edge_cases() {
        for text in [
            "",
            "   \n# only a comment",
            "{{{{",
            "product \"P\" as p {{{{}}}}",
            "unit credit = 99999999999999999999999999999999999 credit",
            "unit x\u{a0}",
            "product \"é\" as p { measure tîme }",
            "product \"P\" as p { rate 7 credit / second",
            "product \"P\" as p { rate 7 credit second }",
            "product \"P\" as p { rate rate = 7 credit / second }",
            "product \"P\" as p { rate 30 fps, = 7 credit / second }",
            "product \"P\" as p { rate 30 per = 7 credit / second }",
            "product \"P\" as p { rate 30 rate.x = 7 credit / second }",
            "product \"P\" as p { rate 7 credit / 1000character }",
            "product \"P\" as p { rate 5.x credit / second }",
            "product \"P\" as p { min 5.credit }",
            "plan \"P\" as p { products allx }",
            "plan \"P\" as p { grant 5 credit every, priority 1 }",
            "plan \"P\" as p { grant 5 credit, priority x }",
            "plan \"P\" as p { limit a <= 5 per }",
            "plan \"P\" as p { feature a == 5 }",
            "test \"t\" { quote product a quantity 1 second === 5 credit }",
            "test \"t\" { quote product a used 5 item quantity 1 item == 5 credit }",
            "pricebook a list api version \"1\" effective 2026-01-01 currency USD",
            "pricebook a list version \"1\" effective 2026-01-01 currency USD",
            "pricebook a list api list b version \"1\" effective 2026-01-01 currency USD",
            "test \"t\" { quote product a attr n = 5 used 5 item quantity 1 item == 5 credit }",
            "test \"t\" { quote product a used quantity 1 item == 5 credit }",
            "product \"P\" as p { tiers graduated per event { 0 item .. : 1 credit / item } }",
            "plan \"P\" as p { allowance 5 video per day on a, b, then reject }",
            "plan \"P\" as p { allowance 5 video per day, then overage 1 USD / video }",
            "plan \"P\" as p { allowance 5 video per day on a, then }",
            "plan \"P\" as p { allowance 5 video per day then wallet }",
            "plan \"P\" as p { allowance 5 video per day, then wallet x }",
            "product \"P\" as p { tiers volume per period { 0 item .. : 1 credit / item } }",
            "product \"P\" as p { tiers volume per month { 0 item .. : 1 credit / item } }",
            "product \"P\" as p { tiers volume per { 0 item .. : 1 credit / item } }",
            "dimension d { a b, c d e, }",
            "dimension d { a  rate }",
            "pricebook a version \"1\" effective 2026-01-011 currency USD",
            "pricebook a version \"1\" effective 2026-01-01T00:00 currency USD",
        ] {
            assert_same(text);
        }
    }

    /// Pieces to splice into well-formed books.
    const SNIPPETS: &[&str] = &[
        " ",
        "\n",
        "\t",
        "\r\n",
        "#",
        "# c\n",
        "\"",
        "\\",
        "{",
        "}",
        ",",
        "=",
        "==",
        "===",
        "/",
        "..",
        ":",
        "<=",
        "-",
        "_",
        ".",
        "+",
        "0",
        "7",
        "12.5",
        "1_000",
        "-3",
        "99999999999999999999999999999",
        "x",
        "4K",
        "30 fps",
        "credit",
        "second",
        "rate",
        "per",
        "not",
        "offered",
        "not offered",
        "dim",
        "product",
        "products",
        "plan",
        "pack",
        "packs",
        "at",
        "on",
        "all",
        "every",
        "once",
        "never",
        "expires",
        "priority",
        "between",
        "and",
        "informational",
        "attribute",
        "attr",
        "<",
        ">=",
        "minimum",
        "custom",
        "unpublished",
        "allowed",
        "measure",
        "round",
        "up",
        "to",
        "tiers",
        "graduated",
        "volume",
        "quantity",
        "money",
        "rejects",
        "quote",
        "capacity",
        "bill",
        "test",
        "unit",
        "dimension",
        "pricebook",
        "based",
        "é",
        "\u{a0}",
        "2026-01-01",
        "2026-01-01T00:00:00Z",
        "\"Name\"",
        "expect",
        "use",
        "auto",
        "recharge",
    ];

    fn mutate(text: &str, edits: &[(u8, usize, usize, usize)]) -> String {
        let mut t = text.to_string();
        for &(op, pos, len, snippet) in edits {
            let mut at = pos % (t.len() + 1);
            while !t.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + len).min(t.len());
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            let piece = SNIPPETS[snippet % SNIPPETS.len()];
            // The whitespace-separated token at or after `at`, and the one after it.
            let token = |from: usize| {
                let start = t[from..]
                    .find(|c: char| !c.is_whitespace())
                    .map_or(t.len(), |i| from + i);
                let end = t[start..]
                    .find(char::is_whitespace)
                    .map_or(t.len(), |i| start + i);
                (start, end)
            };
            let (a, b) = token(at);
            let (c, d) = token(b);
            match op % 7 {
                4 => t.replace_range(a..b, ""),
                5 => {
                    let tok = t[a..b].to_string();
                    t.insert_str(b, &format!(" {tok}"));
                }
                6 => {
                    let (first, second) = (t[a..b].to_string(), t[c..d].to_string());
                    t.replace_range(c..d, &first);
                    t.replace_range(a..b, &second);
                }
                0 => t.replace_range(at..end, ""),
                1 => t.insert_str(at, piece),
                2 => t.replace_range(at..end, piece),
                _ => {
                    let line_start = t[..at].rfind('\n').map_or(0, |i| i + 1);
                    let line_end = t[at..].find('\n').map_or(t.len(), |i| at + i + 1);
                    let line = t[line_start..line_end].to_string();
                    t.insert_str(line_start, &line);
                }
            }
        }
        t
    }

    proptest! {
        #[test]
        fn fast_path_matches_pest_on_mutated_books(
            file in any::<usize>(),
            edits in prop::collection::vec((any::<u8>(), any::<usize>(), 0usize..12, any::<usize>()), 1..5),
        ) {
            let corpus = corpus();
            let text = mutate(&corpus[file % corpus.len()], &edits);
            assert_same(&text);
        }
    }
}
