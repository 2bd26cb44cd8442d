//! Opening what prices: a book (checked and compiled in memory), a compiled rating table
//! (JSON), a vendor's directory of versions (the one in force on a day), and a contract layered
//! on its book.
//!
//! This is what `pricebook quote`, `rate` and `bill` load, for services that load the same
//! files without the command line. Every failure is an [`OpenError`]: it says what is wrong,
//! where and what to do, and carries the code the command line reports it with.
//!
//! ```
//! use pricebook::base::date::Date;
//! use pricebook::load;
//!
//! // A vendor's directory: the version in force on the day.
//! let day = Date::parse("2025-06-01").expect("a date");
//! let opened = load::open("pricebooks/hedra".as_ref(), Some(day)).expect("a version in force");
//! assert_eq!(opened.table.version(), "2025-05");
//! assert!(opened.path.ends_with("2025-05.pricebook"));
//!
//! // A book given directly must be in force on the day.
//! let book = "pricebooks/hedra/2026-06.pricebook";
//! let err = load::open(book.as_ref(), Some(day)).expect_err("not in force yet");
//! assert_eq!(err.code(), "not-in-force");
//! assert!(err.to_string().contains("is in force from 2026-06-04, not on 2025-06-01"));
//! ```

mod beside;
pub mod run;

pub use beside::{VersionFile, check_book_file, compile_book_file, versions_beside};

use crate::base::date::Date;
use crate::diagnostic::{Code, Diagnostic, SourceMap};
use crate::syntax::ast::Item;
use crate::table::{LoadError, RatingTable};
use std::path::{Path, PathBuf};

/// Why a book, table, directory of versions or contract could not be opened.
///
/// Its text ([`Display`](std::fmt::Display)) says what is wrong, where and what to do: the
/// [`message`](Self::message) (what and where), then `; ` and the [`help`](Self::help) (what to
/// do) when that is not already in the message. [`code`](Self::code) is the stable code the
/// command line reports it with (`--format json`).
///
/// The `io` errors and the table's [`LoadError`] are kept for inspection; their text is already
/// in the message, so [`source`](std::error::Error::source) does not repeat them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// A path given to open cannot be reached at all (it does not exist, or a directory on the
    /// way cannot be read).
    #[error("cannot read `{}`: {}; check the path", .path.display(), io_reason(.io))]
    PathUnreadable { path: PathBuf, io: std::io::Error },
    /// A directory that cannot be listed while looking for books in it.
    #[error(
        "cannot read directory `{}`: {}; check that it exists and that you may list it",
        .dir.display(),
        io_reason(.io)
    )]
    DirUnreadable { dir: PathBuf, io: std::io::Error },
    /// A directory that holds no `*.pricebook` file.
    #[error(
        "no `*.pricebook` files under `{}`; point at a book, or a directory that holds some",
        .dir.display()
    )]
    NoBooks { dir: PathBuf },
    /// A directory of versions that holds the books of more than one vendor.
    #[error(
        "`{}` holds books of several vendors ({}); point at one vendor's directory",
        .dir.display(),
        .vendors.join(", ")
    )]
    SeveralVendors {
        dir: PathBuf,
        /// The vendors, sorted.
        vendors: Vec<String>,
    },
    /// A vendor's directory asked for a price list none of its books is a version of.
    #[error(
        "`{}` has no price list `{list}`; its lists are {}",
        .dir.display(),
        .lists.join(", ")
    )]
    NoSuchList {
        dir: PathBuf,
        list: String,
        /// The lists the directory holds, sorted.
        lists: Vec<String>,
    },
    /// A vendor's directory with several price lists, asked a question that does not say which
    /// (and whose plan, if it names one, does not tell them apart).
    #[error(
        "`{}` holds {} price lists of `{vendor}` ({}){}; name the list to use (`--list NAME`)",
        .dir.display(),
        .lists.len(),
        .lists.join(", "),
        plan_note(.plan, .with_plan)
    )]
    SeveralLists {
        dir: PathBuf,
        vendor: String,
        /// The lists, sorted.
        lists: Vec<String>,
        /// The plan the question named, if any.
        plan: Option<String>,
        /// The lists whose version in force has that plan.
        with_plan: Vec<String>,
    },
    /// A directory whose books all lack a readable `pricebook` header, so none is a version.
    #[error(
        "no books under `{}`; start each book with its header: `pricebook <vendor> version \"<label>\" effective <YYYY-MM-DD> currency <CODE>`",
        .dir.display()
    )]
    NoVersions { dir: PathBuf },
    /// A day before every version of a directory.
    #[error(
        "no version in `{}` is in force on {day}; {}",
        .dir.display(),
        earliest_help(.earliest)
    )]
    NoVersionInForce {
        dir: PathBuf,
        day: Date,
        /// The effective date of the directory's earliest version (none when no book in it has
        /// a readable header).
        earliest: Option<Date>,
    },
    /// A book or table given directly, asked for a day before its effective date.
    #[error(
        "`{}` ({vendor} {version}) is in force from {effective}, not on {day}; use a date on or after {effective}, or give the vendor's directory to pick the version in force on {day}",
        .path.display()
    )]
    NotInForce {
        path: PathBuf,
        vendor: String,
        /// The version label (`"2026-06"`).
        version: String,
        effective: Date,
        day: Date,
    },
    /// A file whose content cannot be read.
    #[error(
        "cannot read `{}`: {}; check that it is a file and that you may read it",
        .path.display(),
        io_reason(.io)
    )]
    FileUnreadable { path: PathBuf, io: std::io::Error },
    /// A file that is not UTF-8 text.
    #[error(
        "`{}` is not valid UTF-8 (invalid byte at offset {offset}); save it as UTF-8",
        .path.display()
    )]
    NotUtf8 {
        path: PathBuf,
        /// The byte offset of the first byte that is not UTF-8.
        offset: usize,
    },
    /// A compiled table (JSON or binary) that does not load: not a table, another schema version,
    /// a checksum that does not match, or inconsistent content.
    #[error("`{}`: {error}; recompile the table with `pricebook compile`", .path.display())]
    TableInvalid { path: PathBuf, error: LoadError },
    /// A book that does not compile: it has errors, failed worked examples included.
    #[error(
        "`{file}` has {} error{}; run `pricebook check {file}` and fix them",
        errors_in(.diagnostics),
        plural(errors_in(.diagnostics))
    )]
    BookHasErrors {
        /// The book's file name, as the diagnostics' positions are rendered with.
        file: String,
        /// The book's text, which the diagnostics' spans point into.
        text: String,
        /// Its diagnostics, errors and warnings ([`Diagnostic::is_error`] tells which).
        diagnostics: Vec<Diagnostic>,
    },
    /// A contract that does not apply to its book: the layered book has errors.
    #[error(
        "the contract `{contract}` does not apply to `{book}`: {} error{}; fix the errors its diagnostics point at",
        errors_in(.diagnostics),
        plural(errors_in(.diagnostics))
    )]
    ContractDoesNotApply {
        /// The contract's file name.
        contract: String,
        /// The book's file name.
        book: String,
        /// The book and the contract, in the one position space the diagnostics' spans use.
        sources: SourceMap,
        /// The layered book's diagnostics, errors and warnings, as
        /// [`check_contract`](crate::pipeline::check_contract) gives them.
        diagnostics: Vec<Diagnostic>,
    },
    /// A contract whose book (its vendor's version in force on the contract's effective date)
    /// is neither in the contract's directory nor in the directories above it.
    #[error(
        "no `{vendor}` book in force on {effective} next to `{}` or in the directories above it; put the contract beside its book, or give the book: `pricebook check BOOK CONTRACT`, `--contract CONTRACT`",
        .contract.display()
    )]
    ContractBookNotFound {
        contract: PathBuf,
        vendor: String,
        effective: Date,
    },
    /// The contract file could not be read: the error inside says why
    /// ([`FileUnreadable`](Self::FileUnreadable) or [`NotUtf8`](Self::NotUtf8)).
    #[error(transparent)]
    ContractUnreadable(Box<OpenError>),
}

impl OpenError {
    /// The code the command line reports this error with: `command-line` when a path given to
    /// open does not lead to a book (the caller's mistake; an unreadable contract is one too),
    /// `io-error` when a book or table cannot be read as text, `not-in-force`, `table-invalid`
    /// and `book-has-errors`.
    pub fn code(&self) -> &'static str {
        match self {
            OpenError::PathUnreadable { .. }
            | OpenError::DirUnreadable { .. }
            | OpenError::NoBooks { .. }
            | OpenError::SeveralVendors { .. }
            | OpenError::NoSuchList { .. }
            | OpenError::SeveralLists { .. }
            | OpenError::NoVersions { .. }
            | OpenError::ContractUnreadable(_) => "command-line",
            OpenError::NoVersionInForce { .. } | OpenError::NotInForce { .. } => {
                Code::NotInForce.name()
            }
            OpenError::ContractBookNotFound { .. } => Code::UnknownReference.name(),
            OpenError::FileUnreadable { .. } | OpenError::NotUtf8 { .. } => "io-error",
            OpenError::TableInvalid { .. } => "table-invalid",
            OpenError::BookHasErrors { .. } | OpenError::ContractDoesNotApply { .. } => {
                "book-has-errors"
            }
        }
    }

    /// What is wrong and where: the error's text without its [`help`](Self::help).
    pub fn message(&self) -> String {
        let mut text = self.to_string();
        if let Some(help) = self.help() {
            let suffix = format!("; {help}");
            if text.ends_with(&suffix) {
                text.truncate(text.len() - suffix.len());
            }
        }
        text
    }

    /// What to do, when the [`message`](Self::message) does not already say it.
    pub fn help(&self) -> Option<String> {
        match self {
            OpenError::PathUnreadable { .. } => Some("check the path".into()),
            OpenError::DirUnreadable { .. } => {
                Some("check that it exists and that you may list it".into())
            }
            OpenError::NoBooks { .. } => {
                Some("point at a book, or a directory that holds some".into())
            }
            OpenError::SeveralVendors { .. } | OpenError::NotUtf8 { .. } => None,
            OpenError::NoSuchList { lists, .. } => Some(format!(
                "pass `--list` with one of {}",
                crate::base::names::quoted_list(lists, "or")
            )),
            OpenError::SeveralLists { .. } => Some("name the list to use (`--list NAME`)".into()),
            OpenError::NoVersions { .. } => Some(
                "start each book with its header: `pricebook <vendor> version \"<label>\" effective <YYYY-MM-DD> currency <CODE>`"
                    .into(),
            ),
            OpenError::NoVersionInForce { earliest, .. } => Some(earliest_help(earliest)),
            OpenError::NotInForce {
                effective, day, ..
            } => Some(format!(
                "use a date on or after {effective}, or give the vendor's directory to pick the version in force on {day}"
            )),
            OpenError::FileUnreadable { .. } => {
                Some("check that it is a file and that you may read it".into())
            }
            OpenError::TableInvalid { .. } => {
                Some("recompile the table with `pricebook compile`".into())
            }
            OpenError::BookHasErrors { file, .. } => {
                Some(format!("run `pricebook check {file}` and fix them"))
            }
            OpenError::ContractDoesNotApply { .. } => {
                Some("fix the errors its diagnostics point at".into())
            }
            OpenError::ContractUnreadable(inner) => inner.help(),
            OpenError::ContractBookNotFound { .. } => Some(
                "put the contract beside its book, or give the book: `pricebook check BOOK CONTRACT`, `--contract CONTRACT`"
                    .into(),
            ),
        }
    }
}

/// `, and plan `pro` is on none of them` / `on lists api and web`, for [`OpenError::SeveralLists`].
fn plan_note(plan: &Option<String>, with_plan: &[String]) -> String {
    match (plan, with_plan) {
        (None, _) => String::new(),
        (Some(p), []) => format!(", and plan `{p}` is in none of them"),
        (Some(p), lists) => format!(", and plan `{p}` is in {}", lists.join(" and ")),
    }
}

fn earliest_help(earliest: &Option<Date>) -> String {
    match earliest {
        Some(e) => format!("the earliest version takes effect on {e}"),
        None => "none of its books has a readable `pricebook` header".into(),
    }
}

fn errors_in(diagnostics: &[Diagnostic]) -> usize {
    diagnostics.iter().filter(|d| d.is_error()).count()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// An io error's reason in words, without the OS's error number.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Expands files and directories into the `*.pricebook` files they hold: a file is kept as
/// given, a directory gives the books under it (subdirectories included), sorted by path.
///
/// Fails on a path that cannot be reached, a directory that cannot be listed, or a directory
/// without books.
pub fn book_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, OpenError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|io| OpenError::PathUnreadable {
            path: p.clone(),
            io,
        })?;
        if meta.is_dir() {
            let before = out.len();
            walk(p, &mut out).map_err(|io| OpenError::DirUnreadable { dir: p.clone(), io })?;
            if out.len() == before {
                return Err(OpenError::NoBooks { dir: p.clone() });
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

/// Reads a book (or any text file) as UTF-8: a file that cannot be read is
/// [`OpenError::FileUnreadable`], one that is not UTF-8 is [`OpenError::NotUtf8`] with the
/// offset of its first bad byte.
pub fn read_book(path: &Path) -> Result<String, OpenError> {
    let bytes = std::fs::read(path).map_err(|io| OpenError::FileUnreadable {
        path: path.to_path_buf(),
        io,
    })?;
    String::from_utf8(bytes).map_err(|e| OpenError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// One version of a vendor's book: its file and its header, read without checking the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub path: PathBuf,
    pub vendor: String,
    /// The price list it is a version of ([`crate::model::MAIN_LIST`] when its header names
    /// none).
    pub list: String,
    /// The version label (`"2026-06"`).
    pub label: String,
    /// The day the version takes effect.
    pub effective: Date,
}

/// The version a book file is: its header's vendor, label and effective date. `None` when the
/// file cannot be read or has no readable `pricebook` header (a contract has none).
pub fn version_of(path: &Path) -> Option<Version> {
    let text = read_book(path).ok()?;
    // The header alone: a directory of large books is listed without parsing them.
    match crate::syntax::header(&text)?.node {
        Item::Header(h) => Some(Version {
            path: path.to_path_buf(),
            vendor: h.vendor.node,
            list: crate::model::list_name(h.list.as_ref()),
            label: h.version.node,
            effective: Date::parse(&h.effective.node)?,
        }),
        _ => None,
    }
}

/// A contract file kept among a vendor's books: its file, customer slug, version label and
/// effective date. `None` for anything that is not a readable contract.
pub fn contract_of(path: &Path) -> Option<Version> {
    contract_in(path, &read_book(path).ok()?)
}

/// [`contract_of`] on the file's text, already read.
fn contract_in(path: &Path, text: &str) -> Option<Version> {
    match crate::syntax::header(text)?.node {
        Item::Contract(c) => Some(Version {
            path: path.to_path_buf(),
            vendor: c.vendor.node,
            list: crate::model::list_name(c.list.as_ref()),
            label: c.version.map_or(c.slug.node, |v| v.node),
            effective: Date::parse(&c.effective.node)?,
        }),
        _ => None,
    }
}

/// How many directories above a contract [`contract_book`] looks in: a vendor's directory, its
/// parent (a directory of vendors, where `<vendor>/` is looked in too) and one more.
const CONTRACT_SEARCH_DEPTH: usize = 3;

/// The book a contract file layers on: its vendor's version in force on the contract's
/// effective date, found in the contract's own directory or, failing that, in the directories
/// above it (each directory's own books and those of its `<vendor>/` subdirectory, never a whole
/// tree), nearest first.
///
/// ```
/// let book = pricebook::load::contract_book("pricebooks/heygen/contract-globex.pricebook".as_ref())
///     .expect("its book is beside it");
/// assert!(book.ends_with("enterprise.pricebook"));
/// ```
pub fn contract_book(contract: &Path) -> Result<PathBuf, OpenError> {
    let Some(c) = contract_of(contract) else {
        // Not a contract: say why it cannot be read, or that its header is not one.
        read_book(contract).map_err(|e| OpenError::ContractUnreadable(Box::new(e)))?;
        return Err(OpenError::NoVersions {
            dir: contract.parent().unwrap_or(Path::new(".")).to_path_buf(),
        });
    };
    let start = contract
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut dir = Some(start.to_path_buf());
    for _ in 0..CONTRACT_SEARCH_DEPTH {
        let Some(d) = dir else { break };
        let mut candidates = Vec::new();
        for place in [d.clone(), d.join(&c.vendor)] {
            let Ok(entries) = std::fs::read_dir(&place) else {
                continue;
            };
            candidates.extend(
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "pricebook"))
                    .filter_map(|p| version_of(&p))
                    .filter(|v| {
                        v.vendor == c.vendor && v.list == c.list && v.effective <= c.effective
                    }),
            );
        }
        if let Some(v) = candidates.into_iter().max_by_key(|v| v.effective) {
            return Ok(v.path);
        }
        // `..` past a relative start, so `contract.pricebook` given alone still looks up.
        dir = match d.parent() {
            Some(p) if !p.as_os_str().is_empty() => Some(p.to_path_buf()),
            _ => std::fs::canonicalize(&d)
                .ok()
                .and_then(|abs| abs.parent().map(Path::to_path_buf)),
        };
    }
    Err(OpenError::ContractBookNotFound {
        contract: contract.to_path_buf(),
        vendor: c.vendor,
        effective: c.effective,
    })
}

/// The versions of one vendor in a directory, oldest first. Books without a readable header
/// are left out; books of several vendors are [`OpenError::SeveralVendors`].
pub fn versions(dir: &Path) -> Result<Vec<Version>, OpenError> {
    let files = book_files(&[dir.to_path_buf()])?;
    let mut out: Vec<Version> = files.iter().filter_map(|f| version_of(f)).collect();
    out.sort_by_key(|v| v.effective);
    let vendors: std::collections::BTreeSet<&str> = out.iter().map(|v| v.vendor.as_str()).collect();
    if vendors.len() > 1 {
        return Err(OpenError::SeveralVendors {
            dir: dir.to_path_buf(),
            vendors: vendors.into_iter().map(str::to_string).collect(),
        });
    }
    Ok(out)
}

/// The price lists of a vendor's versions, sorted, each once.
pub fn lists(versions: &[Version]) -> Vec<String> {
    let set: std::collections::BTreeSet<&str> = versions.iter().map(|v| v.list.as_str()).collect();
    set.into_iter().map(str::to_string).collect()
}

/// The version of `dir` in force on `day`: the latest that takes effect on or before it (the
/// latest of all when no day is given). A directory with several price lists needs
/// [`pick_version_in`].
pub fn pick_version(dir: &Path, day: Option<Date>) -> Result<Version, OpenError> {
    pick_version_in(dir, day, &ListChoice::default())
}

/// Which of a vendor's price lists a question is for: the one it names, else the one whose
/// version in force has the plan it names, else the only one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListChoice {
    /// `--list NAME`.
    pub list: Option<String>,
    /// The plan the question names, to tell the lists apart when no list is named.
    pub plan: Option<String>,
}

impl ListChoice {
    /// A question that names its list (or not).
    pub fn named(list: Option<&str>) -> ListChoice {
        ListChoice {
            list: list.map(str::to_string),
            plan: None,
        }
    }

    /// Also tells lists apart by the plan the question names.
    pub fn with_plan(mut self, plan: Option<&str>) -> ListChoice {
        self.plan = plan.map(str::to_string);
        self
    }
}

/// The version of `dir` in force on `day` in the price list `choice` picks: the latest of that
/// list that takes effect on or before `day` (the latest of all without a day).
pub fn pick_version_in(
    dir: &Path,
    day: Option<Date>,
    choice: &ListChoice,
) -> Result<Version, OpenError> {
    let all = versions(dir)?;
    let names = lists(&all);
    let list = match (&choice.list, names.as_slice()) {
        (Some(l), _) if names.contains(l) => l.clone(),
        (Some(l), _) => {
            return Err(OpenError::NoSuchList {
                dir: dir.to_path_buf(),
                list: l.clone(),
                lists: names,
            });
        }
        (None, [one]) => one.clone(),
        (None, []) => {
            return Err(match day {
                Some(day) => OpenError::NoVersionInForce {
                    dir: dir.to_path_buf(),
                    day,
                    earliest: None,
                },
                None => OpenError::NoVersions {
                    dir: dir.to_path_buf(),
                },
            });
        }
        (None, several) => {
            let in_force = |list: &str| in_force(&all, list, day);
            // The plan tells the lists apart when exactly one list's version in force has it.
            let with_plan: Vec<String> = match &choice.plan {
                Some(plan) => several
                    .iter()
                    .filter(|l| {
                        in_force(l).is_some_and(|v| {
                            open_file(&v.path).is_ok_and(|o| o.table.plan_id(plan).is_some())
                        })
                    })
                    .cloned()
                    .collect(),
                None => Vec::new(),
            };
            match with_plan.as_slice() {
                [one] => one.clone(),
                _ => {
                    return Err(OpenError::SeveralLists {
                        dir: dir.to_path_buf(),
                        vendor: all.first().map(|v| v.vendor.clone()).unwrap_or_default(),
                        lists: names,
                        plan: choice.plan.clone(),
                        with_plan,
                    });
                }
            }
        }
    };
    let of_list: Vec<&Version> = all.iter().filter(|v| v.list == list).collect();
    match day {
        Some(day) => {
            in_force(&all, &list, Some(day))
                .cloned()
                .ok_or_else(|| OpenError::NoVersionInForce {
                    dir: dir.to_path_buf(),
                    day,
                    earliest: of_list.first().map(|v| v.effective),
                })
        }
        None => of_list
            .last()
            .map(|v| (*v).clone())
            .ok_or_else(|| OpenError::NoVersions {
                dir: dir.to_path_buf(),
            }),
    }
}

/// The version of `list` in force on `day` (the latest without a day), among `all` sorted by
/// date.
fn in_force<'v>(all: &'v [Version], list: &str, day: Option<Date>) -> Option<&'v Version> {
    all.iter()
        .rev()
        .filter(|v| v.list == list)
        .find(|v| day.is_none_or(|d| v.effective <= d))
}

/// A rating table ready to price with, and where it came from.
#[derive(Debug, Clone)]
pub struct Opened {
    pub table: RatingTable,
    /// The file given, or the version picked from a directory.
    pub path: PathBuf,
    /// A contract layered on the book: its file, and the table line its first line has.
    pub contract: Option<(String, u32)>,
}

impl Opened {
    /// The book a rule's line number points into: the book itself, or the book a compiled
    /// table names as its source (`None` for a table that names none).
    pub fn rules_file(&self) -> Option<String> {
        if !self.table.source.is_empty() {
            return Some(self.table.source.clone());
        }
        let is_table = self
            .path
            .extension()
            .is_some_and(|e| e == "json" || e == "pbt");
        (!is_table).then(|| self.path.display().to_string())
    }

    /// `file:line` of a rule (in the contract when the line is one of its), or `line N of the
    /// book` when the book's file is not known.
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

    /// The day the table takes effect.
    pub fn effective(&self) -> Option<Date> {
        Date::parse(&self.table.effective)
    }

    /// Refuses a day before the table's effective date ([`OpenError::NotInForce`]): the book
    /// is not in force then.
    pub fn in_force_on(&self, day: Date) -> Result<(), OpenError> {
        match self.effective() {
            Some(effective) if day < effective => Err(OpenError::NotInForce {
                path: self.path.clone(),
                vendor: self.table.vendor.clone(),
                version: self.table.version.clone(),
                effective,
                day,
            }),
            _ => Ok(()),
        }
    }
}

/// Opens a rating table from a compiled table, a book (checked and compiled in memory), or a
/// directory of one vendor's versions (the one in force on `at`, the latest without it). A
/// book or table given directly must be in force on `at`.
pub fn open(source: &Path, at: Option<Date>) -> Result<Opened, OpenError> {
    open_in(source, at, &ListChoice::default())
}

/// [`open`], picking from a directory among the price lists as `choice` says.
pub fn open_in(source: &Path, at: Option<Date>, choice: &ListChoice) -> Result<Opened, OpenError> {
    let path = if source.is_dir() {
        pick_version_in(source, at, choice)?.path
    } else {
        if let Err(io) = std::fs::metadata(source) {
            return Err(OpenError::PathUnreadable {
                path: source.to_path_buf(),
                io,
            });
        }
        source.to_path_buf()
    };
    let opened = open_file(&path)?;
    if let Some(day) = at {
        opened.in_force_on(day)?;
    }
    Ok(opened)
}

/// A compiled table read from `path` (either form), as what prices, or why it does not load.
pub(crate) fn opened_table(
    path: &Path,
    table: Result<RatingTable, LoadError>,
) -> Result<Opened, OpenError> {
    table
        .map(|table| Opened {
            table,
            path: path.to_path_buf(),
            contract: None,
        })
        .map_err(|error| OpenError::TableInvalid {
            path: path.to_path_buf(),
            error,
        })
}

/// Opens one file: a compiled table (binary, told by its magic bytes, or JSON, by its first
/// character `{`), a book, or a
/// contract (layered on the book [`contract_book`] finds for it), whatever day it takes effect.
pub fn open_file(path: &Path) -> Result<Opened, OpenError> {
    let bytes = std::fs::read(path).map_err(|io| OpenError::FileUnreadable {
        path: path.to_path_buf(),
        io,
    })?;
    // A binary table (`compile --target binary`), told by its magic bytes.
    if crate::table::is_binary(&bytes) {
        return opened_table(path, RatingTable::from_binary(&bytes));
    }
    let text = String::from_utf8(bytes).map_err(|e| OpenError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    let name = path.display().to_string();
    // A table first: looking for a contract's header in it would read the whole JSON as a
    // book (1.3 s on a 14 MB table, for a header it cannot have).
    let is_table = text.trim_start().starts_with('{');
    if !is_table && contract_in(path, &text).is_some() {
        return open_with_contract(&contract_book(path)?, None, Some(path));
    }
    if is_table {
        return opened_table(path, RatingTable::from_json(&text));
    }
    match compile_book_file(path, &text) {
        Ok(table) => Ok(Opened {
            table,
            path: path.to_path_buf(),
            contract: None,
        }),
        Err(e) => Err(OpenError::BookHasErrors {
            file: name,
            text,
            diagnostics: e.diagnostics,
        }),
    }
}

/// [`open`], with a contract's terms layered on the book when `contract` is given. The book is
/// then `source` itself, or the version of the directory `source` in force on `at` (the latest
/// without it); a book given directly is not checked against `at`.
///
/// ```
/// let opened = pricebook::load::open_with_contract(
///     "pricebooks/heygen/enterprise.pricebook".as_ref(),
///     None,
///     Some("tests/bills/acme-contract.pricebook".as_ref()),
/// )
/// .expect("the contract applies");
/// let (contract, _first_line) = opened.contract.as_ref().expect("a contract");
/// assert_eq!(contract, "tests/bills/acme-contract.pricebook");
/// assert!(opened.table.plan_id("acme").is_some());
/// ```
pub fn open_with_contract(
    source: &Path,
    at: Option<Date>,
    contract: Option<&Path>,
) -> Result<Opened, OpenError> {
    open_with_contract_in(source, at, contract, &ListChoice::default())
}

/// [`open_with_contract`], picking from a directory among the price lists as `choice` says (a
/// contract's own list, when it names one, is the default).
pub fn open_with_contract_in(
    source: &Path,
    at: Option<Date>,
    contract: Option<&Path>,
    choice: &ListChoice,
) -> Result<Opened, OpenError> {
    let Some(contract) = contract else {
        return open_in(source, at, choice);
    };
    let book_path = if source.is_dir() {
        let mut choice = choice.clone();
        if choice.list.is_none() {
            choice.list = contract_of(contract).map(|c| c.list);
        }
        pick_version_in(source, at, &choice)?.path
    } else {
        source.to_path_buf()
    };
    let book = read_book(&book_path)?;
    let terms = read_book(contract).map_err(|e| OpenError::ContractUnreadable(Box::new(e)))?;
    let (book_name, contract_name) = (
        book_path.display().to_string(),
        contract.display().to_string(),
    );
    let layered = crate::pipeline::check_contract(&book_name, &book, &contract_name, &terms);
    let errors = layered.check.has_errors();
    match layered.check.table {
        Some(mut table) if !errors => Ok(Opened {
            table: {
                table.seal();
                table
            },
            path: book_path,
            contract: Some((contract_name, layered.contract_first_line)),
        }),
        _ => Err(OpenError::ContractDoesNotApply {
            contract: contract_name,
            book: book_name,
            sources: layered.sources,
            diagnostics: layered.check.diagnostics,
        }),
    }
}

/// The book a bill of one account prices with, as `pricebook bill` opens it: with a contract
/// or on a directory, the version in force on `day` of the list `list` names (else the one with
/// `plan`), with the contract layered; otherwise the book or table `source` itself, which must
/// be in force on `at` when a date is asked for. Invoice runs open each account's book this way.
pub fn open_for_bill(
    source: &Path,
    day: Option<Date>,
    at: Option<Date>,
    contract: Option<&Path>,
    list: Option<&str>,
    plan: Option<&str>,
) -> Result<Opened, OpenError> {
    if contract.is_some() || source.is_dir() {
        let choice = ListChoice::named(list).with_plan(plan);
        return open_with_contract_in(source, day, contract, &choice);
    }
    let opened = open_file(source)?;
    if let Some(at) = at {
        opened.in_force_on(at)?;
    }
    Ok(opened)
}

/// The version of `dir`'s price list (the one [`open_for_bill`] picks on `after`) that takes
/// effect next after `after`, if any: a bill that runs past it is priced by it from then.
pub fn open_next_version(
    dir: &Path,
    after: Date,
    list: Option<&str>,
    plan: Option<&str>,
) -> Result<Option<Opened>, OpenError> {
    let choice = ListChoice::named(list).with_plan(plan);
    let now = pick_version_in(dir, Some(after), &choice)?;
    let next = versions(dir)?
        .into_iter()
        .find(|v| v.list == now.list && v.effective > after);
    next.map(|v| open_file(&v.path)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temporary directory, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "pricebook-load-{name}-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("a scratch directory");
            Scratch(dir)
        }

        fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
            let p = self.0.join(name);
            std::fs::write(&p, content).expect("a scratch file");
            p
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn date(s: &str) -> Date {
        Date::parse(s).expect("a date")
    }

    const BOOK: &str = "pricebook acme version \"1\" effective 2026-01-01 currency USD\nunit credit\nproduct \"Render\" as render { measure time  rate 2 credit / second }\nplan \"Pro\" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }\n";

    #[test]
    fn a_directory_with_two_vendors_is_refused() {
        let dir = Scratch::new("vendors");
        dir.write("a.pricebook", BOOK);
        dir.write("b.pricebook", BOOK.replace("acme", "zeta"));
        let err = versions(&dir.0).expect_err("an error");
        assert!(
            matches!(&err, OpenError::SeveralVendors { vendors, .. } if vendors == &["acme", "zeta"])
        );
        assert_eq!(err.code(), "command-line");
        assert_eq!(
            err.to_string(),
            format!(
                "`{}` holds books of several vendors (acme, zeta); point at one vendor's directory",
                dir.0.display()
            )
        );
        assert!(open(&dir.0, None).is_err());
    }

    #[test]
    fn a_day_before_every_version_names_the_earliest() {
        let dir = Path::new("pricebooks/hedra");
        let err = pick_version(dir, Some(date("2020-01-01"))).expect_err("an error");
        assert!(matches!(
            &err,
            OpenError::NoVersionInForce { earliest: Some(e), .. } if *e == date("2024-11-17")
        ));
        assert_eq!(err.code(), "not-in-force");
        assert_eq!(
            err.message(),
            "no version in `pricebooks/hedra` is in force on 2020-01-01"
        );
        assert_eq!(
            err.help().as_deref(),
            Some("the earliest version takes effect on 2024-11-17")
        );
        // The day the earliest takes effect, the day before the next, and no day: the latest.
        let pick = |d: Option<Date>| pick_version(dir, d).expect("a version").label;
        assert_eq!(pick(Some(date("2024-11-17"))), "2024-11");
        assert_eq!(pick(Some(date("2025-07-21"))), "2025-05");
        assert_eq!(pick(None), "2026-06");
    }

    #[test]
    fn a_file_that_is_not_utf8_names_the_offset() {
        let dir = Scratch::new("utf8");
        let p = dir.write("latin1.pricebook", b"pricebook caf\xe9");
        let err = read_book(&p).expect_err("an error");
        assert!(matches!(err, OpenError::NotUtf8 { offset: 13, .. }));
        assert_eq!(err.code(), "io-error");
        assert_eq!(
            err.to_string(),
            format!(
                "`{}` is not valid UTF-8 (invalid byte at offset 13); save it as UTF-8",
                p.display()
            )
        );
        assert!(matches!(open_file(&p), Err(OpenError::NotUtf8 { .. })));
        assert_eq!(version_of(&p), None);
    }

    #[test]
    fn a_missing_path_and_an_empty_directory() {
        let dir = Scratch::new("missing");
        let missing = dir.0.join("nothing.pricebook");
        let err = open(&missing, None).expect_err("an error");
        assert!(matches!(err, OpenError::PathUnreadable { .. }));
        assert_eq!(err.code(), "command-line");
        assert_eq!(
            err.to_string(),
            format!(
                "cannot read `{}`: no such file or directory; check the path",
                missing.display()
            )
        );
        let err = read_book(&missing).expect_err("an error");
        assert!(matches!(err, OpenError::FileUnreadable { .. }));
        assert_eq!(err.code(), "io-error");
        let err = open(&dir.0, None).expect_err("an error");
        assert!(matches!(err, OpenError::NoBooks { .. }));
        assert_eq!(
            err.message(),
            format!("no `*.pricebook` files under `{}`", dir.0.display())
        );
        // Books without a header are no versions.
        dir.write("notes.pricebook", "# nothing here\n");
        assert!(matches!(
            pick_version(&dir.0, None),
            Err(OpenError::NoVersions { .. })
        ));
        let err = pick_version(&dir.0, Some(date("2026-01-01"))).expect_err("an error");
        assert!(matches!(
            err,
            OpenError::NoVersionInForce { earliest: None, .. }
        ));
    }

    #[test]
    fn a_book_a_table_and_their_errors() {
        let dir = Scratch::new("files");
        let book = dir.write("acme.pricebook", BOOK);
        let opened = open(&book, Some(date("2026-03-01"))).expect("the book opens");
        assert_eq!(opened.effective(), Some(date("2026-01-01")));
        assert_eq!(opened.rules_file(), Some(book.display().to_string()));
        assert_eq!(opened.cite(3), format!("{}:3", book.display()));

        let err = open(&book, Some(date("2025-12-31"))).expect_err("an error");
        assert!(matches!(err, OpenError::NotInForce { ref version, .. } if version == "1"));
        assert_eq!(err.code(), "not-in-force");

        let json = opened.table.to_json();
        let table = dir.write("acme.json", &json);
        let from_table = open_file(&table).expect("the table opens");
        assert_eq!(from_table.table, opened.table);
        let tampered = dir.write("tampered.json", json.replacen("\"acme\"", "\"acne\"", 1));
        let err = open_file(&tampered).expect_err("an error");
        assert!(matches!(err, OpenError::TableInvalid { .. }));
        assert_eq!(err.code(), "table-invalid");

        let broken = dir.write(
            "broken.pricebook",
            BOOK.replace("rate 2 credit", "rate 2 gold"),
        );
        let err = open_file(&broken).expect_err("an error");
        let OpenError::BookHasErrors {
            file, diagnostics, ..
        } = &err
        else {
            panic!("{err}");
        };
        assert_eq!(file, &broken.display().to_string());
        assert!(diagnostics.iter().any(Diagnostic::is_error));
        assert_eq!(err.code(), "book-has-errors");
        assert!(err.message().starts_with(&format!("`{file}` has 1 error")));
    }

    #[test]
    fn a_contract_that_does_not_apply_or_cannot_be_read() {
        let dir = Scratch::new("contract");
        let book = Path::new("pricebooks/heygen/enterprise.pricebook");
        let cheap = dir.write(
            "cheap.pricebook",
            "contract \"Cheap\" as cheap for heygen list enterprise effective 2026-06-05\nplan \"Cheap\" as cheap based on mmc-5000 {\n  includes 650000 credit_second at 0.004 USD / credit_second\n}\n",
        );
        let err = open_with_contract(book, None, Some(&cheap)).expect_err("an error");
        let OpenError::ContractDoesNotApply { diagnostics, .. } = &err else {
            panic!("{err}");
        };
        assert!(!diagnostics.is_empty());
        assert_eq!(err.code(), "book-has-errors");
        assert!(err.message().starts_with(&format!(
            "the contract `{}` does not apply to `{}`: ",
            cheap.display(),
            book.display()
        )));

        let missing = dir.0.join("missing.pricebook");
        let err = open_with_contract(book, None, Some(&missing)).expect_err("an error");
        assert!(
            matches!(&err, OpenError::ContractUnreadable(inner) if matches!(**inner, OpenError::FileUnreadable { .. }))
        );
        assert_eq!(err.code(), "command-line");
        assert_eq!(
            err.message(),
            format!(
                "cannot read `{}`: no such file or directory",
                missing.display()
            )
        );
    }

    #[test]
    fn the_text_is_the_message_then_the_help() {
        let dir = PathBuf::from("d");
        let io = || std::io::Error::from(std::io::ErrorKind::NotFound);
        let all = [
            OpenError::PathUnreadable {
                path: dir.clone(),
                io: io(),
            },
            OpenError::DirUnreadable {
                dir: dir.clone(),
                io: io(),
            },
            OpenError::NoBooks { dir: dir.clone() },
            OpenError::SeveralVendors {
                dir: dir.clone(),
                vendors: vec!["a".into(), "b".into()],
            },
            OpenError::NoVersions { dir: dir.clone() },
            OpenError::NoVersionInForce {
                dir: dir.clone(),
                day: date("2026-01-01"),
                earliest: None,
            },
            OpenError::NotInForce {
                path: dir.clone(),
                vendor: "acme".into(),
                version: "1".into(),
                effective: date("2026-01-01"),
                day: date("2025-01-01"),
            },
            OpenError::FileUnreadable {
                path: dir.clone(),
                io: io(),
            },
            OpenError::NotUtf8 {
                path: dir.clone(),
                offset: 3,
            },
            OpenError::TableInvalid {
                path: dir.clone(),
                error: LoadError::Json("eof".into()),
            },
            OpenError::BookHasErrors {
                file: "b".into(),
                text: String::new(),
                diagnostics: Vec::new(),
            },
            OpenError::ContractDoesNotApply {
                contract: "c".into(),
                book: "b".into(),
                sources: SourceMap::new(),
                diagnostics: Vec::new(),
            },
            OpenError::ContractUnreadable(Box::new(OpenError::NotUtf8 {
                path: dir.clone(),
                offset: 0,
            })),
        ];
        for e in &all {
            let expected = match e.help() {
                Some(help) => format!("{}; {help}", e.message()),
                None => e.message(),
            };
            assert_eq!(e.to_string(), expected);
        }
    }
}
