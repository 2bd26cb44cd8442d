//! `pricebook check` (every diagnostic of every book, worked examples included) and
//! `pricebook fmt` (the canonical layout).

use super::load::{book_files, read_book};
use super::report::{CliError, io_reason};
use super::{CheckFormat, json_text, plural, render_width};
use crate::diagnostic::{self, Diagnostic, Severity, SourceFile};
use crate::load::run::{check_run, read_run};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub(super) fn run_check(
    paths: &[PathBuf],
    format: CheckFormat,
    deny_warnings: bool,
    out: &mut dyn Write,
) -> Result<i32, CliError> {
    let checked = check_run(&read_run(&book_files(paths)?));
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
