//! The `pricebook` command line.
//!
//! Exit status: 0 success (warnings allowed), 1 the input is wrong (diagnostics, unformatted
//! files), 2 the command line is wrong (clap's own usage errors, paths that do not exist).

use crate::check::{self, sort_diagnostics};
use crate::diagnostic::{self, Code, Diagnostic, Severity, SourceFile};
use crate::syntax::ast::{Item, Span};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "pricebook",
    version,
    about = "Check, format and evaluate pricebook files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check books: syntax, names, units, plans, packs and worked examples.
    Check {
        /// Files or directories (searched recursively for `*.pricebook`).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// `--deny warnings` makes warnings fail the check.
        #[arg(long, value_enum)]
        deny: Option<Deny>,
    },
    /// Rewrite books in the canonical layout.
    Fmt {
        /// Files or directories; `-` reads standard input and writes standard output.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; exit 1 and name the files that are not formatted.
        #[arg(long)]
        check: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum CheckFormat {
    Human,
    Json,
    Github,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Deny {
    Warnings,
}

/// Runs the CLI on the process arguments and returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let result = match cli.command {
        Command::Check {
            paths,
            format,
            deny,
        } => run_check(&paths, format, deny.is_some()),
        Command::Fmt { paths, check } => run_fmt(&paths, check),
    };
    match result {
        Ok(code) => code,
        Err(CliError::Usage(msg)) => {
            eprintln!("error: {msg}");
            2
        }
        Err(CliError::Input(msg)) => {
            eprintln!("error: {msg}");
            1
        }
    }
}

enum CliError {
    /// The command line points at something wrong: exit 2.
    Usage(String),
    /// The input is wrong: exit 1.
    Input(String),
}

/// Expands files and directories into the `*.pricebook` files they hold, sorted.
fn book_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| {
            CliError::Usage(format!("cannot read `{}`: {}", p.display(), io_reason(&e)))
        })?;
        if meta.is_dir() {
            let before = out.len();
            walk(p, &mut out).map_err(|e| {
                CliError::Usage(format!(
                    "cannot read directory `{}`: {}",
                    p.display(),
                    io_reason(&e)
                ))
            })?;
            if out.len() == before {
                return Err(CliError::Usage(format!(
                    "no `*.pricebook` files under `{}`",
                    p.display()
                )));
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            walk(&e, out)?;
        } else if e.extension().is_some_and(|x| x == "pricebook") {
            out.push(e);
        }
    }
    Ok(())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Reads a book as UTF-8; anything else is a diagnostic, not a crash.
fn read_book(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read `{}`: {}", path.display(), io_reason(&e)))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{}` is not valid UTF-8 (invalid byte at offset {}); save it as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// One checked file: its source and diagnostics, and its header for cross-file rules.
struct Checked {
    file: SourceFile,
    diagnostics: Vec<Diagnostic>,
    header: Option<(String, String, Span)>,
}

fn check_file(path: &Path) -> Checked {
    let name = path.display().to_string();
    match read_book(path) {
        Ok(text) => {
            let parsed = crate::syntax::parse(&text);
            let header = parsed.book.items.iter().find_map(|i| match &i.node {
                Item::Header(h) => Some((
                    h.vendor.node.clone(),
                    h.effective.node.clone(),
                    h.effective.span,
                )),
                _ => None,
            });
            let mut checked = check::check(&parsed.book);
            let mut diagnostics = parsed.diagnostics;
            diagnostics.append(&mut checked.diagnostics);
            sort_diagnostics(&mut diagnostics);
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
fn cross_file(files: &mut [Checked]) {
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

fn render_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn run_check(paths: &[PathBuf], format: CheckFormat, deny_warnings: bool) -> Result<i32, CliError> {
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
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        CheckFormat::Human => {
            let width = render_width();
            for c in &checked {
                for d in &c.diagnostics {
                    let _ = write!(out, "{}", diagnostic::render_human(d, &c.file, width));
                    let _ = writeln!(out);
                }
            }
            let _ = writeln!(
                out,
                "checked {} file{}: {} error{}, {} warning{}",
                checked.len(),
                plural(checked.len()),
                errors,
                plural(errors),
                warnings,
                plural(warnings)
            );
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
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        }
        CheckFormat::Github => {
            for c in &checked {
                for d in &c.diagnostics {
                    let _ = writeln!(out, "{}", diagnostic::render_github(d, &c.file));
                }
            }
        }
    }
    let failed = errors > 0 || (deny_warnings && warnings > 0);
    Ok(i32::from(failed))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn run_fmt(paths: &[PathBuf], check_only: bool) -> Result<i32, CliError> {
    if paths.len() == 1 && paths[0] == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::Input(format!("cannot read standard input as UTF-8: {e}")))?;
        return match crate::fmt::format_source(&text) {
            Ok(out) => {
                if check_only {
                    if out != text {
                        eprintln!("<stdin> is not formatted");
                        return Ok(1);
                    }
                    return Ok(0);
                }
                print!("{out}");
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
    let color = std::io::stderr().is_terminal();
    let _ = color;
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
            Ok(out) if out == text => {}
            Ok(out) => {
                if check_only {
                    println!("{}", path.display());
                    status = 1;
                } else if let Err(e) = std::fs::write(&path, out) {
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
