//! The one sequencer of the stages: text -> syntax -> check -> compile -> worked examples.
//!
//! Every other module is one stage; this is the only place that runs them in order, so that
//! checking a book, compiling it and running its worked examples mean the same thing in the
//! CLI, the tests and any service.

use crate::check::model::Model;
use crate::diagnostic::Diagnostic;
use crate::examples::{ExampleOutcome, run_examples};
use crate::table::RatingTable;

/// A book, checked, compiled and with its worked examples run.
#[derive(Debug, Clone)]
pub struct BookCheck {
    /// The checked model, when the book has no error outside its worked examples.
    pub model: Option<Model>,
    /// The compiled table, whenever there is a model.
    pub table: Option<RatingTable>,
    /// Every diagnostic: syntax, checker and failed worked examples, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// One outcome per worked example, when they ran.
    pub examples: Vec<ExampleOutcome>,
}

impl BookCheck {
    /// Whether anything is an error, failed worked examples included.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, checks and compiles a book, and runs its worked examples against the table.
///
/// ```
/// let checked = pricebook::pipeline::check_book(r#"
/// pricebook acme version "1" effective 2026-01-01 currency USD
/// unit credit
/// product "Render" as render { measure time  rate 2 credit / second }
/// plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
/// test "90 seconds" { quote product render quantity 90 second == 170 credit }
/// "#);
/// assert_eq!(checked.diagnostics[0].code.name(), "test-failed");
/// assert!(checked.table.is_some()); // the book itself is fine; its example is wrong
/// ```
pub fn check_book(text: &str) -> BookCheck {
    check_book_from(text, "")
}

/// [`check_book`] of a book read from `origin` (a file name), which the compiled table records.
pub fn check_book_from(text: &str, origin: &str) -> BookCheck {
    let parsed = crate::syntax::parse(text);
    let checked = crate::check::check_parsed(&parsed.book, &parsed.diagnostics);
    let mut diagnostics = parsed.diagnostics;
    diagnostics.extend(checked.diagnostics);
    let mut out = BookCheck {
        table: None,
        examples: Vec::new(),
        model: None,
        diagnostics: Vec::new(),
    };
    if let Some(model) = checked.model {
        let table = crate::compile::compile_from(&model, text, origin);
        out.examples = run_examples(&model, &table, text);
        diagnostics.extend(out.examples.iter().flat_map(|e| e.failures.iter().cloned()));
        out.table = Some(table);
        out.model = Some(model);
    }
    crate::check::sort_diagnostics(&mut diagnostics);
    out.diagnostics = diagnostics;
    out
}

/// A book that does not compile: its diagnostics (errors and warnings).
#[derive(Debug, Clone)]
pub struct CompileError {
    pub diagnostics: Vec<Diagnostic>,
}

/// Compiles a book whose checks and worked examples all pass.
pub fn compile_source(text: &str) -> Result<RatingTable, CompileError> {
    compile_file(text, "")
}

/// [`compile_source`] of a book read from `origin` (a file name), recorded in the table.
pub fn compile_file(text: &str, origin: &str) -> Result<RatingTable, CompileError> {
    let checked = check_book_from(text, origin);
    match checked.table {
        Some(table) if !checked.has_errors() => Ok(table),
        _ => Err(CompileError {
            diagnostics: checked.diagnostics,
        }),
    }
}

/// A contract that could not be layered on its book: diagnostics against `text`, the book with
/// the contract's terms appended.
#[derive(Debug, Clone)]
pub struct ContractError {
    pub diagnostics: Vec<Diagnostic>,
    pub text: String,
    /// The diagnostics are about the contract file alone (it did not parse).
    pub contract_only: bool,
}

impl ContractError {
    /// The name to show for `text`.
    pub fn file_name(&self, book: &std::path::Path, contract: &std::path::Path) -> String {
        if self.contract_only {
            contract.display().to_string()
        } else {
            format!("{} + {}", book.display(), contract.display())
        }
    }
}

/// Layers a contract (`contract "Acme" as acme for <vendor> ... effective <date>` followed by
/// plans `based on` public plans) on a public book and compiles the result. The contract's
/// header is blanked out and its items are appended to the book, so its plans see the book's
/// products, units and plans, and line numbers past the book's end point into the contract.
pub fn compile_with_contract(book: &str, contract: &str) -> Result<RatingTable, ContractError> {
    let parsed = crate::syntax::parse(contract);
    let only = |diagnostics: Vec<Diagnostic>| ContractError {
        diagnostics,
        text: contract.to_string(),
        contract_only: true,
    };
    if !parsed.diagnostics.is_empty() {
        return Err(only(parsed.diagnostics));
    }
    let header = parsed.book.items.iter().find_map(|i| match &i.node {
        crate::syntax::ast::Item::Contract(c) => Some((c, i.span)),
        _ => None,
    });
    let Some((header, span)) = header else {
        return Err(only(vec![
            Diagnostic::new(
                crate::diagnostic::Code::Header,
                "a contract file starts with a `contract` header",
            )
            .label(crate::syntax::ast::Span::new(0, 0), "no `contract` header")
            .help("start it with `contract \"Name\" as slug for <vendor> effective <YYYY-MM-DD>`"),
        ]));
    };
    let book_vendor = crate::syntax::parse(book)
        .book
        .items
        .iter()
        .find_map(|i| match &i.node {
            crate::syntax::ast::Item::Header(h) => Some(h.vendor.node.clone()),
            _ => None,
        });
    if book_vendor
        .as_deref()
        .is_some_and(|v| v != header.vendor.node)
    {
        return Err(only(vec![
            Diagnostic::new(
                crate::diagnostic::Code::UnknownReference,
                format!(
                    "this contract is for `{}`, but the book is `{}`'s",
                    header.vendor.node,
                    book_vendor.unwrap_or_default()
                ),
            )
            .label(header.vendor.span, "vendor")
            .help("layer a contract on a book of its own vendor"),
        ]));
    }
    let mut terms: Vec<u8> = contract.as_bytes().to_vec();
    for b in &mut terms[span.start..span.end] {
        if *b != b'\n' {
            *b = b' ';
        }
    }
    let terms = String::from_utf8_lossy(&terms);
    let merged = format!("{book}\n{terms}");
    compile_source(&merged).map_err(|e| ContractError {
        diagnostics: e.diagnostics,
        text: merged,
        contract_only: false,
    })
}
