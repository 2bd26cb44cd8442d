//! Syntax: pest grammar -> owned AST with spans, plus syntax diagnostics.
//!
//! [`parse`] never fails. It always returns a [`Book`] (possibly with `Error` nodes where text
//! could not be read) and the diagnostics explaining each unreadable piece.

pub mod ast;
mod explain;
mod lower;

use crate::diagnostic::Diagnostic;
use ast::Book;
pub use lower::parse_decimal;
use pest::Parser;

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
pub fn parse(text: &str) -> Parsed {
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
