//! One file, analysed: parsed, indexed, checked (a contract on its book) with its worked examples
//! run, and its table opened for the answers hover and inlay hints give. Built by library
//! functions ([`crate::syntax::parse`], [`crate::pipeline::files::check_file`]); every feature of
//! the server reads an `Analysis` and nothing else.

use super::lines::LineIndex;
use super::symbols::{Kind, Symbols};
use crate::base::span::Span;
use crate::diagnostic::Diagnostic;
use crate::load::Opened;
use crate::pipeline::files::FileCheck;
use crate::syntax::Parsed;
use crate::syntax::ast::Item;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use tower_lsp_server::ls_types::Uri;

/// A file's text as the server holds it, and where it is.
#[derive(Debug, Clone)]
pub(super) struct Source {
    pub uri: Uri,
    /// The name diagnostics and answers give it: its path relative to the workspace.
    pub name: String,
    pub path: Option<PathBuf>,
    pub text: Arc<str>,
    /// Changes whenever the text does, for knowing an analysis is current.
    pub revision: u64,
}

/// A contract's book, as the contract's names resolve into it.
#[derive(Debug)]
pub(super) struct BookSide {
    pub source: Source,
    pub lines: LineIndex,
    pub symbols: Symbols,
}

/// How one `test` block fared.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum TestState {
    Passed,
    /// Its failed expectations, and the checker's errors inside it.
    Failed(Vec<Diagnostic>),
    /// Why it did not run.
    NotRun(String),
}

#[derive(Debug, Clone)]
pub(super) struct TestStatus {
    pub name: String,
    /// The `test` block, in the file's own positions.
    pub item: Span,
    pub name_span: Span,
    pub state: TestState,
}

pub(super) struct Analysis {
    pub source: Source,
    pub lines: LineIndex,
    /// The file alone, positions its own.
    pub parsed: Parsed,
    /// The file's names and where they are used, built when first asked for (by hover,
    /// navigation, completion, tokens): the diagnostics of an edit do not wait for it.
    symbols: OnceLock<Symbols>,
    /// For a contract, the book it layers on.
    pub book: Option<BookSide>,
    /// The check; its spans are in `checked.sources`' positions (the file's own plus
    /// `checked.base`).
    pub checked: FileCheck,
    /// The checked table, opened for answering questions, when the file has no error.
    pub opened: Option<Opened>,
    pub tests: Vec<TestStatus>,
    /// The table of what checks in a file with errors, made when first asked for.
    salvaged: OnceLock<Option<Opened>>,
}

impl Analysis {
    pub(super) fn new(source: Source, book: Option<Source>) -> Analysis {
        let parsed = crate::syntax::parse(&source.text);
        let book_parsed = book.as_ref().map(|b| crate::syntax::parse(&b.text));
        let book_side = book.zip(book_parsed.as_ref()).map(|(b, p)| BookSide {
            lines: LineIndex::new(&b.text),
            symbols: Symbols::build(&p.book, None),
            source: b,
        });
        // A contract's names resolve into its book's parse, which is not kept: index it now
        // (contracts are short); a book's index waits until something asks for it.
        let symbols = OnceLock::new();
        if let Some(book) = &book_parsed {
            let _ = symbols.set(Symbols::build(&parsed.book, Some(&book.book)));
        }
        // A book's bill examples that run into another version of its price list are billed
        // by it, as `pricebook test` on the file bills them: the versions beside it on disk.
        let others = match (&source.path, book_side.is_none()) {
            (Some(path), true) => crate::pipeline::files::FileHead::read(&source.text)
                .filter(|h| !h.contract)
                .map(|h| crate::load::versions_beside(path, &h)),
            _ => None,
        };
        let versions: Option<Vec<_>> = others
            .as_ref()
            .map(|o| o.iter().map(crate::load::VersionFile::as_text).collect());
        // The file's parse is shared with the check (a book is parsed once per edit).
        let mut checked = crate::pipeline::files::check_file_in(
            &source.name,
            &source.text,
            Some(&parsed),
            book_side
                .as_ref()
                .map(|b| (b.source.name.as_str(), &*b.source.text)),
            versions.as_deref(),
        );
        let tests = test_statuses(&parsed, &checked);
        let opened = checked.check.table.take().map(|table| Opened {
            table,
            path: opened_path(book_side.as_ref().map(|b| &b.source).unwrap_or(&source)),
            contract: book_side.as_ref().map(|b| {
                let first = b.source.text.bytes().filter(|c| *c == b'\n').count() as u32 + 2;
                (source.name.clone(), first)
            }),
        });
        Analysis {
            lines: LineIndex::new(&source.text),
            source,
            parsed,
            symbols,
            book: book_side,
            checked,
            opened,
            tests,
            salvaged: OnceLock::new(),
        }
    }

    pub(super) fn text(&self) -> &str {
        &self.source.text
    }

    /// The file's names and their uses (see [`Analysis::symbols`]'s field).
    pub(super) fn symbols(&self) -> &Symbols {
        self.symbols
            .get_or_init(|| Symbols::build(&self.parsed.book, None))
    }

    /// Whether [`Analysis::symbols`] is built (asking would not take time).
    pub(super) fn indexed(&self) -> bool {
        self.symbols.get().is_some()
    }

    /// A table to answer with: the checked one, or, in a book with errors, the table of the
    /// items that check (what an editor can price while the rest is being written).
    pub(super) fn pricing(&self) -> Option<&Opened> {
        if let Some(o) = &self.opened {
            return Some(o);
        }
        if self.book.is_some() {
            return None;
        }
        self.salvaged
            .get_or_init(|| {
                crate::pipeline::partial::salvage(&self.source.text, &self.parsed).map(|table| {
                    Opened {
                        table,
                        path: opened_path(&self.source),
                        contract: None,
                    }
                })
            })
            .as_ref()
    }

    /// Whether answers come from a table of part of the book.
    pub(super) fn partial(&self) -> bool {
        self.opened.is_none()
    }

    /// The declaration a use in this file refers to: in the file, else in the contract's book.
    /// Gives the declaration, and whether it is in the book.
    pub(super) fn resolve(
        &self,
        kind: Kind,
        name: &str,
        parent: Option<&str>,
    ) -> Option<(&super::symbols::Def, bool)> {
        self.symbols()
            .find(kind, name, parent)
            .map(|d| (d, false))
            .or_else(|| {
                self.book
                    .as_ref()
                    .and_then(|b| b.symbols.find(kind, name, parent))
                    .map(|d| (d, true))
            })
    }
}

fn opened_path(source: &Source) -> PathBuf {
    source
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from(&source.name))
}

/// Each test block's outcome: its failed expectations, the checker's errors inside it, or why it
/// did not run (as `pricebook test` reports them).
fn test_statuses(parsed: &Parsed, checked: &FileCheck) -> Vec<TestStatus> {
    let base = checked.base;
    let check = &checked.check;
    let own = |s: Span| Span::new(s.start.saturating_sub(base), s.end.saturating_sub(base));
    let blocking = check.diagnostics.iter().any(|d| {
        d.is_error()
            && !parsed.book.items.iter().any(|i| {
                matches!(i.node, Item::Test(_))
                    && d.span().is_some_and(|s| {
                        let s = own(s);
                        i.span.start <= s.start && s.start < i.span.end
                    })
            })
    });
    parsed
        .book
        .items
        .iter()
        .filter_map(|item| {
            let Item::Test(t) = &item.node else {
                return None;
            };
            let inside: Vec<Diagnostic> = check
                .diagnostics
                .iter()
                .filter(|d| {
                    d.is_error()
                        && d.span().is_some_and(|s| {
                            let s = own(s);
                            item.span.start <= s.start && s.start < item.span.end
                        })
                })
                .cloned()
                .collect();
            let outcome = check.model.as_ref().and_then(|m| {
                check.examples.iter().find(|o| {
                    m.examples
                        .get(o.index)
                        .is_some_and(|e| own(e.span) == item.span)
                })
            });
            let state = if blocking {
                TestState::NotRun("the book has errors outside its worked examples".into())
            } else if !inside.is_empty() {
                TestState::Failed(inside)
            } else if let Some(why) = outcome.and_then(|o| o.not_run.clone()) {
                TestState::NotRun(why)
            } else if outcome.is_some() {
                TestState::Passed
            } else {
                TestState::NotRun("the book could not be checked".into())
            };
            Some(TestStatus {
                name: t.name.node.clone(),
                item: item.span,
                name_span: t.name.span,
                state,
            })
        })
        .collect()
}
