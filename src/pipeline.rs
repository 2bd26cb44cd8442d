//! The one sequencer of the stages: text -> syntax -> check -> compile -> worked examples.
//!
//! Every other module is one stage; this is the only place that runs them in order, so that
//! checking a book, compiling it and running its worked examples mean the same thing in the
//! CLI, the tests and any service. [`files`] checks files together (a contract on its book, the
//! versions of one vendor); [`partial`] what part of a book with errors still prices.

pub mod files;
pub mod partial;
pub mod versions;

use crate::base::span::Span;
use crate::diagnostic::{Code, Diagnostic, SourceFile, SourceMap};
use crate::examples::{ExampleOutcome, run_examples_from, run_examples_in};
use crate::model::Model;
use crate::syntax::ast::Item;
use crate::table::RatingTable;
use versions::VersionText;

/// A book, checked, compiled and with its worked examples run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BookCheck {
    /// The checked model, when the book has no error outside its worked examples.
    pub model: Option<Model>,
    /// The compiled table, whenever there is a model. Its checksum is left empty (it is for
    /// pricing from in memory; [`RatingTable::to_json`] computes the checksum when it writes).
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
    check_parsed_book(&crate::syntax::parse(text), text, origin)
}

/// [`check_book_from`] of a book already parsed (`parsed` is `text`'s parse): a caller that
/// keeps the syntax tree, such as the language server, parses once.
pub fn check_parsed_book(parsed: &crate::syntax::Parsed, text: &str, origin: &str) -> BookCheck {
    check_parsed_book_in(parsed, text, origin, None)
}

/// [`check_parsed_book`] with the other versions of the book's price list (in any order): its
/// `bill` examples that run into one are billed by the versions in force over them, as
/// `pricebook bill` on the vendor's directory bills. `None` when they are not known (a book
/// checked from its text alone; see [`crate::examples::run_examples_in`]); `Some(&[])` for a
/// book that has no other version.
pub fn check_parsed_book_in(
    parsed: &crate::syntax::Parsed,
    text: &str,
    origin: &str,
    versions: Option<&[VersionText<'_>]>,
) -> BookCheck {
    // A contract's terms name its book's units, products and plans: alone it cannot be checked,
    // and reporting each of those names as unknown would bury the one thing to do.
    if let Some(c) = parsed.book.items.iter().find_map(|i| match &i.node {
        Item::Contract(c) => Some(c),
        _ => None,
    }) {
        let mut diagnostics = parsed.diagnostics.clone();
        diagnostics.push(contract_without_book(
            &c.slug.node,
            &c.vendor,
            c.list.as_ref(),
        ));
        return BookCheck {
            model: None,
            table: None,
            diagnostics,
            examples: Vec::new(),
        };
    }
    let checked = crate::check::check_parsed(&parsed.book, &parsed.diagnostics);
    let mut diagnostics = parsed.diagnostics.clone();
    diagnostics.extend(checked.diagnostics);
    let mut out = BookCheck {
        table: None,
        examples: Vec::new(),
        model: None,
        diagnostics: Vec::new(),
    };
    if let Some(model) = checked.model {
        match crate::compile::compile_unsealed(&model, text, origin) {
            Ok(table) => {
                let others = versions::tables_for_examples(&model, versions.unwrap_or_default());
                out.examples = run_examples_in(
                    &model,
                    &table,
                    versions
                        .map(|_| versions::example_versions(&others))
                        .as_deref(),
                    text,
                );
                diagnostics.extend(out.examples.iter().flat_map(|e| e.failures.iter().cloned()));
                out.table = Some(table);
            }
            Err(e) => diagnostics.push(Diagnostic::compile_failed(e)),
        }
        out.model = Some(model);
    }
    crate::check::sort_diagnostics(&mut diagnostics);
    out.diagnostics = diagnostics;
    out
}

/// A contract checked without the book it layers on (none of its vendor's list among the files
/// checked with it, nor beside it).
fn contract_without_book(
    slug: &str,
    vendor: &crate::syntax::ast::Name,
    list: Option<&crate::syntax::ast::Name>,
) -> Diagnostic {
    let book = files::list_label(&vendor.node, &crate::model::list_name(list));
    let span = list.map_or(vendor.span, |l| vendor.span.to(l.span));
    Diagnostic::new(
        Code::UnknownReference,
        format!("contract `{slug}` layers on a `{book}` book, and none is given with it"),
    )
    .label(span, format!("no `{book}` book here"))
    .help(format!(
        "check it with its book: `pricebook check <the {book} book or directory> <this contract>`; `pricebook bill BOOK --contract FILE` layers it too{}",
        if list.is_none() {
            format!(" (a contract on one of `{}`'s other price lists names it: `for {} list NAME`)", vendor.node, vendor.node)
        } else {
            String::new()
        }
    ))
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
    compile_file_in(text, origin, None)
}

/// [`compile_file`] with the other versions of the book's price list, which its `bill` examples
/// that run into one are billed by ([`check_parsed_book_in`]).
pub fn compile_file_in(
    text: &str,
    origin: &str,
    versions: Option<&[VersionText<'_>]>,
) -> Result<RatingTable, CompileError> {
    seal_checked(check_parsed_book_in(
        &crate::syntax::parse(text),
        text,
        origin,
        versions,
    ))
}

/// A checked book's table, sealed, when nothing (its worked examples included) is an error.
pub fn seal_checked(checked: BookCheck) -> Result<RatingTable, CompileError> {
    match checked.table {
        Some(mut table) if !checked.has_errors() => {
            table.seal();
            Ok(table)
        }
        _ => Err(CompileError {
            diagnostics: checked.diagnostics,
        }),
    }
}

/// A contract checked on the book it layers on.
#[derive(Debug, Clone)]
pub struct ContractCheck {
    /// The book at position 0 and the contract after it: every span of `check` points into one
    /// of them.
    pub sources: SourceMap,
    /// Where the contract starts in that position space.
    pub contract_base: usize,
    /// The layered book: its diagnostics (of both files), model, table and examples. The table's
    /// line numbers count the contract's lines after the book's (see `contract_first_line`).
    pub check: BookCheck,
    /// The line number the table gives the contract's first line.
    pub contract_first_line: u32,
}

impl ContractCheck {
    /// The diagnostics whose primary position is in the contract (the book's own are reported
    /// when the book is checked).
    pub fn contract_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.check
            .diagnostics
            .iter()
            .filter(|d| d.span().is_some_and(|s| s.start >= self.contract_base))
    }
}

/// Layers a contract (`contract "Acme" as acme for <vendor> ... effective <date>` and its terms,
/// usually plans `based on` public plans) on its public book and checks, compiles and runs the
/// examples of the result. Both files are parsed once, the contract placed after the book in one
/// position space, so every diagnostic points at a real file and line. The table records the
/// book's name as its source.
pub fn check_contract(
    book_name: &str,
    book: &str,
    contract_name: &str,
    contract: &str,
) -> ContractCheck {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new(book_name, book));
    let base = sources.add(SourceFile::new(contract_name, contract));
    let merged_text = format!("{book}\n{contract}");
    let contract_first_line = book.bytes().filter(|b| *b == b'\n').count() as u32 + 2;
    let finish = |diagnostics: Vec<Diagnostic>| ContractCheck {
        sources: sources.clone(),
        contract_base: base,
        check: BookCheck {
            model: None,
            table: None,
            diagnostics,
            examples: Vec::new(),
        },
        contract_first_line,
    };
    let parsed_book = crate::syntax::parse(book);
    let parsed = crate::syntax::parse_placed(contract, base);
    if !parsed.diagnostics.is_empty() {
        return finish(parsed.diagnostics);
    }
    let header = parsed.book.items.iter().find_map(|i| match &i.node {
        Item::Contract(c) => Some(c),
        _ => None,
    });
    let Some(header) = header else {
        return finish(vec![
            Diagnostic::new(Code::Header, "a contract file starts with a `contract` header")
                .label(Span::new(base, base), "no `contract` header")
                .help("start it with `contract \"<customer>\" as <slug> for <vendor> effective <YYYY-MM-DD>`"),
        ]);
    };
    let book_header = parsed_book.book.items.iter().find_map(|i| match &i.node {
        Item::Header(h) => Some(h),
        _ => None,
    });
    let book_vendor = book_header.map(|h| h.vendor.node.clone());
    let list_of = crate::model::list_name;
    let (contract_list, book_list) = (
        list_of(header.list.as_ref()),
        book_header.map(|h| list_of(h.list.as_ref())),
    );
    if let Some(b) = book_list.filter(|b| {
        *b != contract_list && book_vendor.as_deref() == Some(header.vendor.node.as_str())
    }) {
        return finish(vec![
            Diagnostic::new(
                Code::UnknownReference,
                format!(
                    "this contract is for `{}`'s {contract_list} price list, but the book is its {b} list",
                    header.vendor.node
                ),
            )
            .label(
                header.list.as_ref().map_or(header.vendor.span, |l| l.span),
                "price list",
            )
            .help(format!(
                "layer it on a book of its own list, or write `for {} list {b}`",
                header.vendor.node
            )),
        ]);
    }
    if let Some(v) = book_vendor.filter(|v| *v != header.vendor.node) {
        return finish(vec![
            Diagnostic::new(
                Code::UnknownReference,
                format!(
                    "this contract is for `{}`, but the book is `{v}`'s",
                    header.vendor.node
                ),
            )
            .label(header.vendor.span, "vendor")
            .help("layer a contract on a book of its own vendor"),
        ]);
    }
    let mut merged = parsed_book.book;
    merged.items.extend(
        parsed
            .book
            .items
            .into_iter()
            .filter(|i| !matches!(i.node, Item::Contract(_))),
    );
    let checked = crate::check::check_parsed(&merged, &parsed_book.diagnostics);
    let mut diagnostics = parsed_book.diagnostics;
    diagnostics.extend(checked.diagnostics);
    let mut out = finish(Vec::new());
    // A contract that leaves a term unset has no table: its bills would price an unknown grant.
    let terms = checked
        .model
        .as_ref()
        .map_or_else(Vec::new, |m| crate::check::contract_terms(m, base));
    let terms_set = terms.is_empty();
    diagnostics.extend(terms);
    if let Some(model) = checked.model.filter(|_| terms_set) {
        match crate::compile::compile_unsealed(&model, &merged_text, book_name) {
            Ok(table) => {
                out.check.examples =
                    run_examples_from(&model, &table, Some(&[]), &merged_text, base);
                diagnostics.extend(
                    out.check
                        .examples
                        .iter()
                        .flat_map(|e| e.failures.iter().cloned()),
                );
                out.check.table = Some(table);
            }
            Err(e) => diagnostics.push(Diagnostic::compile_failed(e)),
        }
        out.check.model = Some(model);
    }
    crate::check::sort_diagnostics(&mut diagnostics);
    out.check.diagnostics = diagnostics;
    out
}
