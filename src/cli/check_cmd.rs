//! `pricebook check` (every diagnostic of every book, worked examples included) and
//! `pricebook fmt` (the canonical layout).

use super::load::{book_files, read_book};
use super::report::{CliError, io_reason};
use super::{CheckFormat, json_text, plural, render_width};
use crate::base::date::Date;
use crate::diagnostic::{self, Code, Diagnostic, Severity, SourceFile, SourceMap};
use crate::syntax::ast::{Item, Span};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// One checked file: its diagnostics, the files their positions point into (a contract's may
/// point into its book), and its header for cross-file rules.
pub(super) struct Checked {
    pub name: String,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub header: Option<(String, String, Span)>,
}

/// A book's vendor and effective date as written, for the rules across files.
pub(super) fn header_of(book: &crate::syntax::ast::Book) -> Option<(String, String, Span)> {
    book.items.iter().find_map(|i| header_fields(&i.node))
}

/// A header's vendor and effective date as written; `None` for any other item.
fn header_fields(item: &Item) -> Option<(String, String, Span)> {
    match item {
        Item::Header(h) => Some((
            h.vendor.node.clone(),
            h.effective.node.clone(),
            h.effective.span,
        )),
        _ => None,
    }
}

/// One file of a run, read, with what its header says.
pub(super) struct RunFile {
    pub path: PathBuf,
    pub text: Result<String, String>,
    /// vendor, effective date, whether it is a contract.
    pub head: Option<(String, Date, bool)>,
}

/// Reads the files of a run and their headers.
pub(super) fn read_run(files: &[PathBuf]) -> Vec<RunFile> {
    files
        .iter()
        .map(|p| {
            let text = read_book(p);
            let head = text
                .as_ref()
                .ok()
                .and_then(|t| match crate::syntax::header(t)?.node {
                    Item::Header(h) => {
                        Some((h.vendor.node, Date::parse(&h.effective.node)?, false))
                    }
                    Item::Contract(c) => {
                        Some((c.vendor.node, Date::parse(&c.effective.node)?, true))
                    }
                    _ => None,
                });
            RunFile {
                path: p.clone(),
                text,
                head,
            }
        })
        .collect()
}

/// The book a contract of the run layers on: its vendor's version in force on the contract's
/// effective date, among the run's books.
fn book_for<'r>(contract: &RunFile, run: &'r [RunFile]) -> Option<&'r RunFile> {
    let (vendor, effective, _) = contract.head.as_ref()?;
    run.iter()
        .filter(|f| {
            f.head
                .as_ref()
                .is_some_and(|(v, e, is_contract)| v == vendor && e <= effective && !is_contract)
        })
        .max_by_key(|f| f.head.as_ref().map(|h| h.1))
}

/// Checks one file of a run: a book on its own, a contract layered on its book (one of the run's,
/// else the one [`crate::load::contract_book`] finds beside it). Returns the files the diagnostics point into, and the result.
pub(super) fn check_in_run(
    file: &RunFile,
    text: &str,
    run: &[RunFile],
) -> (SourceMap, crate::pipeline::BookCheck) {
    let name = file.path.display().to_string();
    let is_contract = file.head.as_ref().is_some_and(|h| h.2);
    // The contract's book: among the files checked with it, else beside it in its directory tree.
    let book = is_contract
        .then(|| match book_for(file, run) {
            Some(b) => b.text.clone().ok().map(|t| (b.path.clone(), t)),
            None => {
                let path = crate::load::contract_book(&file.path).ok()?;
                read_book(&path).ok().map(|t| (path, t))
            }
        })
        .flatten();
    if let Some((book_path, book_text)) = book {
        let layered = crate::pipeline::check_contract(
            &book_path.display().to_string(),
            &book_text,
            &name,
            text,
        );
        // The book's own findings and examples are reported when the book is checked.
        let mut check = layered.check.clone();
        let base = layered.contract_base;
        check.diagnostics = layered.contract_diagnostics().cloned().collect();
        if let Some(model) = &check.model {
            check
                .examples
                .retain(|e| model.examples[e.index].span.start >= base);
        }
        return (layered.sources, check);
    }
    (
        SourceMap::from(SourceFile::new(name.clone(), text)),
        crate::pipeline::check_book_from(text, &name),
    )
}

fn check_file(file: &RunFile, run: &[RunFile]) -> Checked {
    let name = file.path.display().to_string();
    match &file.text {
        Ok(text) => {
            let (sources, checked) = check_in_run(file, text, run);
            let header = crate::syntax::header(text).and_then(|i| header_fields(&i.node));
            Checked {
                name,
                sources,
                diagnostics: checked.diagnostics,
                header,
            }
        }
        Err(msg) => Checked {
            sources: SourceMap::from(SourceFile::new(name.clone(), String::new())),
            name,
            diagnostics: vec![
                Diagnostic::new(Code::Syntax, msg.clone()).help("a pricebook is a UTF-8 text file"),
            ],
            header: None,
        },
    }
}

/// Versions of one vendor must not share an effective date.
pub(super) fn cross_file(files: &mut [Checked]) {
    let mut seen: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    for i in 0..files.len() {
        let Some((vendor, date, span)) = files[i].header.clone() else {
            continue;
        };
        match seen.get(&(vendor.clone(), date.clone())) {
            Some(&j) => {
                let other = files[j].name.clone();
                let this = files[i].name.clone();
                files[i].diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateEffectiveDate,
                        format!("`{vendor}` already has a version in force from {date}: `{other}`"),
                    )
                    .label(span, "same effective date")
                    .help("give each version of a vendor its own effective date"),
                );
                let other_span = files[j].header.as_ref().map(|h| h.2).unwrap_or_default();
                files[j].diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateEffectiveDate,
                        format!("`{vendor}` already has a version in force from {date}: `{this}`"),
                    )
                    .label(other_span, "same effective date")
                    .help("give each version of a vendor its own effective date"),
                );
            }
            None => {
                seen.insert((vendor, date), i);
            }
        }
    }
}

pub(super) fn run_check(
    paths: &[PathBuf],
    format: CheckFormat,
    deny_warnings: bool,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let files = book_files(paths)?;
    let run = read_run(&files);
    let mut checked: Vec<Checked> = run.iter().map(|f| check_file(f, &run)).collect();
    cross_file(&mut checked);
    let (mut errors, mut warnings) = (0usize, 0usize);
    for c in &checked {
        for d in &c.diagnostics {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
    }
    match format {
        CheckFormat::Human => {
            let width = render_width();
            for c in &checked {
                for d in &c.diagnostics {
                    write!(out, "{}", diagnostic::render_human_in(d, &c.sources, width))?;
                    writeln!(out)?;
                }
            }
            writeln!(
                out,
                "checked {} file{}: {} error{}, {} warning{}",
                checked.len(),
                plural(checked.len()),
                errors,
                plural(errors),
                warnings,
                plural(warnings)
            )?;
        }
        CheckFormat::Json => {
            let all: Vec<diagnostic::JsonDiagnostic> = checked
                .iter()
                .flat_map(|c| {
                    c.diagnostics
                        .iter()
                        .map(|d| diagnostic::to_json_in(d, &c.sources))
                })
                .collect();
            let doc = serde_json::json!({
                "diagnostics": all,
                "files": checked.len(),
                "errors": errors,
                "warnings": warnings,
            });
            out.write_all(json_text(&doc).as_bytes())?;
        }
        CheckFormat::Github => {
            for c in &checked {
                for d in &c.diagnostics {
                    writeln!(out, "{}", diagnostic::render_github_in(d, &c.sources))?;
                }
            }
        }
    }
    let failed = errors > 0 || (deny_warnings && warnings > 0);
    Ok(i32::from(failed))
}

pub(super) fn run_fmt(
    paths: &[PathBuf],
    check_only: bool,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    if paths.len() == 1 && paths[0] == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            CliError::input_code(
                "io-error",
                format!("cannot read standard input as UTF-8: {e}"),
            )
        })?;
        return match crate::fmt::format_source(&text) {
            Ok(formatted) => {
                if check_only {
                    if formatted != text {
                        eprintln!("<stdin> is not formatted");
                        return Ok(1);
                    }
                    return Ok(0);
                }
                out.write_all(formatted.as_bytes())?;
                Ok(0)
            }
            Err(diags) => {
                report_syntax(&SourceFile::new("<stdin>", text), &diags);
                Ok(1)
            }
        };
    }
    let files = book_files(paths)?;
    let mut status = 0;
    for path in files {
        let text = match read_book(&path) {
            Ok(t) => t,
            Err(msg) => {
                eprintln!("error: {msg}");
                status = 1;
                continue;
            }
        };
        match crate::fmt::format_source(&text) {
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                if check_only {
                    writeln!(out, "{}", path.display())?;
                    status = 1;
                } else if let Err(e) = std::fs::write(&path, formatted) {
                    eprintln!(
                        "error: cannot write `{}`: {}",
                        path.display(),
                        io_reason(&e)
                    );
                    status = 1;
                }
            }
            Err(diags) => {
                report_syntax(&SourceFile::new(path.display().to_string(), text), &diags);
                eprintln!(
                    "error: `{}` has syntax errors; it was left unchanged",
                    path.display()
                );
                status = 1;
            }
        }
    }
    Ok(status)
}

fn report_syntax(file: &SourceFile, diags: &[Diagnostic]) {
    let width = render_width();
    for d in diags {
        eprint!("{}", diagnostic::render_human(d, file, width));
    }
}
