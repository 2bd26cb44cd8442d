//! Finding and loading what a command prices with: books in files and directories, a vendor's
//! versions by date, compiled tables, and contracts layered on their book.

use super::report::{CliError, io_reason};
use crate::base::date::Date;
use crate::diagnostic::{Code, Diagnostic, SourceFile};
use crate::syntax::ast::Item;
use crate::table::RatingTable;
use std::path::{Path, PathBuf};

/// Expands files and directories into the `*.pricebook` files they hold, sorted.
pub(crate) fn book_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| CliError::unreadable(p, &e))?;
        if meta.is_dir() {
            let before = out.len();
            walk(p, &mut out).map_err(|e| {
                CliError::usage(format!(
                    "cannot read directory `{}`: {}",
                    p.display(),
                    io_reason(&e)
                ))
            })?;
            if out.len() == before {
                return Err(CliError::usage(format!(
                    "no `*.pricebook` files under `{}`",
                    p.display()
                ))
                .help("point at a book, or a directory that holds some"));
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

/// Reads a book as UTF-8; anything else is a message, not a crash.
pub(crate) fn read_book(path: &Path) -> Result<String, String> {
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

/// A book's header, read without checking the rest of it.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub path: PathBuf,
    pub vendor: String,
    /// The version label (`"2026-06"`).
    pub label: String,
    pub effective: Date,
}

pub(crate) fn version_of(path: &Path) -> Option<Version> {
    let text = read_book(path).ok()?;
    let parsed = crate::syntax::parse(&text);
    parsed.book.items.iter().find_map(|i| match &i.node {
        Item::Header(h) => Some(Version {
            path: path.to_path_buf(),
            vendor: h.vendor.node.clone(),
            label: h.version.node.clone(),
            effective: Date::parse(&h.effective.node)?,
        }),
        _ => None,
    })
}

/// The versions of one vendor in a directory, oldest first.
pub(crate) fn versions(dir: &Path) -> Result<Vec<Version>, CliError> {
    let files = book_files(&[dir.to_path_buf()])?;
    let mut out: Vec<Version> = files.iter().filter_map(|f| version_of(f)).collect();
    out.sort_by_key(|v| v.effective);
    let vendors: std::collections::BTreeSet<&str> = out.iter().map(|v| v.vendor.as_str()).collect();
    if vendors.len() > 1 {
        return Err(CliError::usage(format!(
            "`{}` holds books of several vendors ({}); point at one vendor's directory",
            dir.display(),
            vendors.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(out)
}

pub(crate) fn parse_date_arg(at: &str) -> Result<Date, CliError> {
    Date::parse(at.trim())
        .ok_or_else(|| CliError::usage(format!("`{at}` is not a date")).help("write YYYY-MM-DD"))
}

/// The version of `dir` in force on `day` (the latest when no day is given).
pub(crate) fn pick_version(dir: &Path, day: Option<Date>) -> Result<Version, CliError> {
    let all = versions(dir)?;
    match day {
        Some(day) => all
            .iter()
            .rev()
            .find(|v| v.effective <= day)
            .cloned()
            .ok_or_else(|| {
                let earliest = all
                    .first()
                    .map_or("-".to_string(), |v| v.effective.to_string());
                CliError::input(
                    Code::NotInForce,
                    format!("no version in `{}` is in force on {day}", dir.display()),
                )
                .help(format!("the earliest version takes effect on {earliest}"))
            }),
        None => all
            .last()
            .cloned()
            .ok_or_else(|| CliError::usage(format!("no books under `{}`", dir.display()))),
    }
}

/// A rating table ready to price with, and where it came from.
pub(crate) struct Loaded {
    pub table: RatingTable,
    /// The file given, or the version picked from a directory.
    pub path: PathBuf,
    /// A contract layered on the book: its file, and the table line its first line has.
    pub contract: Option<(String, u32)>,
}

impl Loaded {
    /// The book a rule's line number points into: the book itself, or the book a compiled
    /// table names as its source.
    pub fn rules_file(&self) -> Option<String> {
        if !self.table.source.is_empty() {
            return Some(self.table.source.clone());
        }
        let is_table = self.path.extension().is_some_and(|e| e == "json");
        (!is_table).then(|| self.path.display().to_string())
    }

    /// `file:line` of a rule, or `line N` when the book's file is not known.
    pub fn cite(&self, line: u32) -> String {
        if let Some((contract, first)) = &self.contract {
            if line >= *first {
                return format!("{contract}:{}", line - first + 1);
            }
        }
        match self.rules_file() {
            Some(f) => format!("{f}:{line}"),
            None => format!("line {line} of the book"),
        }
    }

    pub fn effective(&self) -> Option<Date> {
        Date::parse(&self.table.effective)
    }

    /// Refuses a day before the table's effective date: the book is not in force then.
    pub fn in_force_on(&self, day: Date) -> Result<(), CliError> {
        match self.effective() {
            Some(e) if day < e => Err(CliError::input(
                Code::NotInForce,
                format!(
                    "`{}` ({} {}) is in force from {e}, not on {day}",
                    self.path.display(),
                    self.table.vendor,
                    self.table.version
                ),
            )
            .help(format!(
                "use a date on or after {e}, or give the vendor's directory to pick the version in force on {day}"
            ))),
            _ => Ok(()),
        }
    }
}

/// Loads a rating table from a compiled table, a book (compiled in memory), or a directory of
/// versions (the one in force on `at`, the latest without it). A book or table given directly
/// must be in force on `at`.
pub(crate) fn load_table(source: &Path, at: Option<Date>) -> Result<Loaded, CliError> {
    let path = if source.is_dir() {
        pick_version(source, at)?.path
    } else {
        if let Err(e) = std::fs::metadata(source) {
            return Err(CliError::unreadable(source, &e));
        }
        source.to_path_buf()
    };
    let loaded = load_file(&path)?;
    if let Some(day) = at {
        loaded.in_force_on(day)?;
    }
    Ok(loaded)
}

/// Loads one file: a compiled table (JSON) or a book.
pub(crate) fn load_file(path: &Path) -> Result<Loaded, CliError> {
    let text = read_book(path).map_err(|m| CliError::input_code("io-error", m))?;
    let name = path.display().to_string();
    if text.trim_start().starts_with('{') {
        let table = RatingTable::from_json(&text).map_err(|e| {
            CliError::input_code("table-invalid", format!("`{name}`: {e}"))
                .help("recompile the table with `pricebook compile`")
        })?;
        return Ok(Loaded {
            table,
            path: path.to_path_buf(),
            contract: None,
        });
    }
    match crate::pipeline::compile_file(&text, &name) {
        Ok(table) => Ok(Loaded {
            table,
            path: path.to_path_buf(),
            contract: None,
        }),
        Err(e) => Err(CliError::book_errors(
            &SourceFile::new(name, text),
            &e.diagnostics,
        )),
    }
}

/// Loads a book with a contract's terms layered on it when one is given.
pub(crate) fn load_with_contract(
    source: &Path,
    at: Option<Date>,
    contract: Option<&Path>,
) -> Result<Loaded, CliError> {
    let Some(contract) = contract else {
        return load_table(source, at);
    };
    let book_path = if source.is_dir() {
        pick_version(source, at)?.path
    } else {
        source.to_path_buf()
    };
    let book = read_book(&book_path).map_err(|m| CliError::input_code("io-error", m))?;
    let terms = read_book(contract).map_err(CliError::usage)?;
    let (book_name, contract_name) = (
        book_path.display().to_string(),
        contract.display().to_string(),
    );
    let layered = crate::pipeline::check_contract(&book_name, &book, &contract_name, &terms);
    let errors = layered.check.has_errors();
    match layered.check.table {
        Some(table) if !errors => Ok(Loaded {
            table,
            path: book_path,
            contract: Some((contract_name, layered.contract_first_line)),
        }),
        _ => {
            let shown: Vec<Diagnostic> = layered
                .check
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .cloned()
                .collect();
            let mut err = CliError::diagnostics_in(&layered.sources, &shown);
            err.message = format!(
                "the contract `{contract_name}` does not apply to `{book_name}`: {} error{}",
                shown.len(),
                if shown.len() == 1 { "" } else { "s" }
            );
            Err(err.help("fix the errors above"))
        }
    }
}

/// A positionless diagnostic about a command-line argument, as a command-line error (exit 1).
pub(crate) fn asked(d: Diagnostic) -> CliError {
    CliError::from_diagnostic(&d)
}
