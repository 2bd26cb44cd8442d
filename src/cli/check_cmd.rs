//! `pricebook check` (every diagnostic of every book, worked examples included) and
//! `pricebook fmt` (the canonical layout).

use super::load::{book_files, read_book};
use super::report::{CliError, io_reason};
use super::{CheckFormat, json_text, plural, render_width};
use crate::diagnostic::{self, Code, Diagnostic, Severity, SourceFile};
use crate::syntax::ast::{Item, Span};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// One checked file: its source and diagnostics, and its header for cross-file rules.
pub(super) struct Checked {
    pub file: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    pub header: Option<(String, String, Span)>,
}

/// A book's vendor and effective date as written, for the rules across files.
pub(super) fn header_of(book: &crate::syntax::ast::Book) -> Option<(String, String, Span)> {
    book.items.iter().find_map(|i| match &i.node {
        Item::Header(h) => Some((
            h.vendor.node.clone(),
            h.effective.node.clone(),
            h.effective.span,
        )),
        _ => None,
    })
}

fn check_file(path: &Path) -> Checked {
    let name = path.display().to_string();
    match read_book(path) {
        Ok(text) => {
            let header = header_of(&crate::syntax::parse(&text).book);
            let diagnostics = crate::pipeline::check_book_from(&text, &name).diagnostics;
            Checked {
                file: SourceFile::new(name, text),
                diagnostics,
                header,
            }
        }
        Err(msg) => Checked {
            file: SourceFile::new(name, String::new()),
            diagnostics: vec![
                Diagnostic::new(Code::Syntax, msg).help("a pricebook is a UTF-8 text file"),
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
                let other = files[j].file.name.clone();
                let this = files[i].file.name.clone();
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
    let mut checked: Vec<Checked> = files.iter().map(|p| check_file(p)).collect();
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
                    write!(out, "{}", diagnostic::render_human(d, &c.file, width))?;
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
                        .map(|d| diagnostic::to_json(d, &c.file))
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
                    writeln!(out, "{}", diagnostic::render_github(d, &c.file))?;
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
