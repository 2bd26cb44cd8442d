//! `pricebook check` (every diagnostic of every book, worked examples included) and
//! `pricebook fmt` (the canonical layout).

use super::load::{book_files, read_book};
use super::report::{CliError, io_reason};
use super::{CheckFormat, json_text, plural, render_width};
use crate::diagnostic::{self, Code, Diagnostic, Severity, SourceFile, SourceMap};
use crate::pipeline::files::{self, FileHead, VersionHeader};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// One checked file: its diagnostics, the files their positions point into (a contract's may
/// point into its book), and its header for cross-file rules.
pub(super) struct Checked {
    pub name: String,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub header: Option<VersionHeader>,
}

/// A book's vendor and effective date as written, for the rules across files.
pub(super) fn header_of(book: &crate::syntax::ast::Book) -> Option<VersionHeader> {
    VersionHeader::of(book)
}

/// One file of a run, read, with what its header says.
pub(super) struct RunFile {
    pub path: PathBuf,
    pub text: Result<String, String>,
    pub head: Option<FileHead>,
}

/// Reads the files of a run and their headers.
pub(super) fn read_run(files: &[PathBuf]) -> Vec<RunFile> {
    files
        .iter()
        .map(|p| {
            let text = read_book(p);
            let head = text.as_deref().ok().and_then(FileHead::read);
            RunFile {
                path: p.clone(),
                text,
                head,
            }
        })
        .collect()
}

/// Checks one file of a run: a book on its own, a contract layered on its book (one of the run's,
/// else the one [`crate::load::contract_book`] finds beside it). Returns the files the diagnostics point into, and the result.
pub(super) fn check_in_run(
    file: &RunFile,
    text: &str,
    run: &[RunFile],
) -> (SourceMap, crate::pipeline::BookCheck) {
    let name = file.path.display().to_string();
    // The contract's book: among the files checked with it, else beside it in its directory tree.
    let book = file.head.as_ref().filter(|h| h.contract).and_then(|h| {
        let in_run = run.iter().filter_map(|f| Some((f.head.as_ref()?, f)));
        match files::book_for(h, in_run) {
            Some(b) => b.text.clone().ok().map(|t| (b.path.clone(), t)),
            None => {
                let path = crate::load::contract_book(&file.path).ok()?;
                read_book(&path).ok().map(|t| (path, t))
            }
        }
    });
    let book = book.as_ref().map(|(p, t)| (p.display().to_string(), t));
    let checked = files::check_file(
        &name,
        text,
        book.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
    );
    (checked.sources, checked.check)
}

fn check_file(file: &RunFile, run: &[RunFile]) -> Checked {
    let name = file.path.display().to_string();
    match &file.text {
        Ok(text) => {
            let (sources, checked) = check_in_run(file, text, run);
            let header = VersionHeader::read(text);
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
    let headers: Vec<(&str, Option<&VersionHeader>)> = files
        .iter()
        .map(|f| (f.name.as_str(), f.header.as_ref()))
        .collect();
    let found = files::duplicate_effective_dates(&headers);
    for (f, diagnostics) in files.iter_mut().zip(found) {
        f.diagnostics.extend(diagnostics);
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
