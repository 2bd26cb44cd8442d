//! A set of served books: opened from paths (a book, a vendor's directory of versions, a
//! directory of vendors' directories, compiled tables), found by name, picked by date, listed,
//! and refreshed from their files.
//!
//! A book is named by a [`BookKey`]: its vendor, and the price list of that vendor it is. A
//! vendor's main list (a book whose header names none) is named by the vendor alone
//! (`"hedra"`); a vendor's parallel lists are told apart as `"heygen/<list>"`, each with its own
//! versions. A question that names the vendor alone, of a vendor with several lists, gets the
//! list whose version in force has the plan it names.

use super::error::{AnswerError, ErrorKind};
use super::{
    BillAnswer, BillQuestion, CapacityAnswer, CapacityQuestion, QuoteAnswer, QuoteQuestion,
    RateAnswer, parse_date,
};
use crate::base::date::Date;
use crate::diagnostic::{Code, SourceFile, SourceMap, to_json_in};
use crate::load::{OpenError, Opened};
use crate::rate::batch::GroupBy;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Which book a question is for: a vendor, and the price list of it (`None` for the vendor's
/// main list). Written `vendor` or `vendor/list`.
///
/// ```
/// use pricebook::answer::BookKey;
/// let k = BookKey::parse("hedra/api");
/// assert_eq!((k.vendor.as_str(), k.list.as_deref()), ("hedra", Some("api")));
/// assert_eq!(k.to_string(), "hedra/api");
/// assert_eq!(BookKey::parse(" hedra ").list, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct BookKey {
    pub vendor: String,
    pub list: Option<String>,
}

impl BookKey {
    /// Reads `vendor` or `vendor/list`.
    pub fn parse(name: &str) -> BookKey {
        match name.trim().split_once('/') {
            Some((v, l)) => BookKey {
                vendor: v.trim().to_string(),
                list: Some(l.trim().to_string()),
            },
            None => BookKey {
                vendor: name.trim().to_string(),
                list: None,
            },
        }
    }
}

impl std::fmt::Display for BookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.list {
            Some(l) => write!(f, "{}/{l}", self.vendor),
            None => f.write_str(&self.vendor),
        }
    }
}

/// One served version of a book: its table, where it came from, and its text (to layer a
/// contract on).
#[derive(Debug)]
pub struct Book {
    pub key: BookKey,
    pub opened: Opened,
    effective: Date,
    /// The book's text; `None` for a compiled table.
    text: Option<String>,
}

impl Book {
    /// The version label (`"2026-06"`).
    pub fn version(&self) -> &str {
        &self.opened.table.version
    }

    /// The day the version takes effect.
    pub fn effective(&self) -> Date {
        self.effective
    }

    /// The SHA-256 of the book's text (hex), as the compiled table records it.
    pub fn source_hash(&self) -> &str {
        self.opened.table.source_hash()
    }

    /// The file it was opened from.
    pub fn path(&self) -> &Path {
        &self.opened.path
    }

    /// The book with a contract's terms (a `contract ...` book's text) layered on it.
    pub fn with_contract(&self, terms: &str) -> Result<Opened, AnswerError> {
        let name = self.opened.path.display().to_string();
        let Some(text) = &self.text else {
            return Err(AnswerError::invalid(
                Code::InvalidValue,
                format!("`{name}` is served as a compiled table, and a contract layers on a book"),
            )
            .with_field("contract")
            .with_help("serve the book itself to bill with contracts"));
        };
        let layered = crate::pipeline::check_contract(&name, text, "contract", terms);
        let errors: Vec<_> = layered
            .check
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| to_json_in(d, &layered.sources))
            .collect();
        match layered.check.table {
            Some(mut table) if errors.is_empty() => {
                table.seal();
                Ok(Opened {
                    table,
                    path: self.opened.path.clone(),
                    contract: Some(("contract".into(), layered.contract_first_line)),
                })
            }
            _ => {
                let n = errors.len().max(1);
                Err(AnswerError::new(
                    ErrorKind::Invalid,
                    "book-has-errors",
                    format!(
                        "the contract does not apply to `{name}`: {n} error{}",
                        if n == 1 { "" } else { "s" }
                    ),
                )
                .with_field("contract")
                .with_help("fix the errors its diagnostics point at")
                .with_diagnostics(errors))
            }
        }
    }
}

/// A served file's size and modification time, to tell a changed file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: m.len(),
        modified: m.modified().ok(),
    })
}

/// One served file: its last good book, and the error of its last load when that failed.
#[derive(Debug, Clone)]
struct Served {
    path: PathBuf,
    /// The book's key: from its last good book, or its header when it never loaded.
    key: Option<BookKey>,
    book: Option<Arc<Book>>,
    error: Option<AnswerError>,
    stamp: Option<Stamp>,
    /// SHA-256 of the content last read.
    content: [u8; 32],
}

/// A file given or found, read: a book, a compiled table, or neither (a contract).
enum Loaded {
    Book(Box<Book>),
    Failed(Option<BookKey>, AnswerError),
    NotABook,
}

/// Whether a book's first statement is a contract's header (a contract is layered on a book at
/// request time, not served).
fn is_contract(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with("contract ") || l == "contract")
}

/// An error opening a served file: the book has no version to answer with.
fn unavailable(e: &OpenError) -> AnswerError {
    let err = AnswerError::new(ErrorKind::Unavailable, e.code(), e.message());
    let err = match e.help() {
        Some(h) => err.with_help(h),
        None => err,
    };
    match e {
        OpenError::BookHasErrors {
            file,
            text,
            diagnostics,
        } => {
            let map = SourceMap::from(SourceFile::new(file.as_str(), text.as_str()));
            err.with_diagnostics(
                diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| to_json_in(d, &map))
                    .collect(),
            )
        }
        _ => err,
    }
}

/// A key's list: `None` for the vendor's main list.
fn list_key(list: &str) -> Option<String> {
    (list != crate::model::MAIN_LIST).then(|| list.to_string())
}

fn load(path: &Path, bytes: &[u8]) -> Loaded {
    // A binary table (`compile --target binary`) is not text.
    if crate::table::is_binary(bytes) {
        let opened = crate::load::opened_table(path, crate::table::RatingTable::from_binary(bytes));
        return loaded(path, opened, None);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let err = OpenError::NotUtf8 {
                path: path.to_path_buf(),
                offset: e.valid_up_to(),
            };
            return Loaded::Failed(None, unavailable(&err));
        }
    };
    let is_table = text.trim_start().starts_with('{');
    if !is_table && is_contract(text) {
        return Loaded::NotABook;
    }
    // The file is read once here; `open_file` reads it again only to report its errors the way
    // the command line does.
    let opened = if is_table {
        crate::load::opened_table(path, crate::table::RatingTable::from_json(text))
    } else {
        let name = path.display().to_string();
        crate::load::compile_book_file(path, text)
            .map(|table| Opened {
                table,
                path: path.to_path_buf(),
                contract: None,
            })
            .map_err(|e| OpenError::BookHasErrors {
                file: name,
                text: text.to_string(),
                diagnostics: e.diagnostics,
            })
    };
    loaded(path, opened, (!is_table).then_some(text))
}

/// A file opened (or not) as the book or table it is; `text` is a book's.
fn loaded(path: &Path, opened: Result<Opened, OpenError>, text: Option<&str>) -> Loaded {
    let header_key = || {
        crate::load::version_of(path).map(|v| BookKey {
            list: list_key(&v.list),
            vendor: v.vendor,
        })
    };
    match opened {
        Ok(opened) => match opened.effective() {
            Some(effective) => Loaded::Book(Box::new(Book {
                key: BookKey {
                    vendor: opened.table.vendor.clone(),
                    list: list_key(opened.table.list()),
                },
                opened,
                effective,
                text: text.map(str::to_string),
            })),
            None => Loaded::Failed(
                header_key(),
                AnswerError::new(
                    ErrorKind::Unavailable,
                    "table-invalid",
                    format!(
                        "`{}`: the effective date `{}` is not a date",
                        path.display(),
                        opened.table.effective
                    ),
                )
                .with_help("recompile the table with `pricebook compile`"),
            ),
        },
        Err(e) => Loaded::Failed(header_key(), unavailable(&e)),
    }
}

/// What a refresh did to one file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ReloadOutcome {
    /// The file checks and now serves (a new file, or a changed one).
    Loaded { key: BookKey, version: String },
    /// The file changed and does not check: its last good version (if any) keeps serving.
    Failed(AnswerError),
    /// The file is gone, and its book with it.
    Removed,
}

/// A file a refresh found changed, and what came of it.
#[derive(Debug, Clone)]
pub struct Reload {
    pub path: PathBuf,
    pub outcome: ReloadOutcome,
}

/// What `/v1/books` lists for one served file.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
pub struct BookStatus {
    /// `None` only for a file that never loaded and has no readable header.
    pub vendor: Option<String>,
    /// The vendor's price list (`None` while vendors publish one list each).
    pub list: Option<String>,
    /// The version serving from this file (the last good one when its latest change failed).
    pub version: Option<String>,
    pub effective: Option<String>,
    /// SHA-256 of the serving version's book text.
    pub source_hash: Option<String>,
    /// The file.
    pub source: String,
    /// Why the file's latest content is not serving, when it is not.
    pub error: Option<super::error::ErrorDetail>,
}

/// The books served from a set of paths, each version by its file.
///
/// ```
/// use pricebook::answer::Books;
/// use pricebook::base::date::Date;
/// let books = Books::open(&["pricebooks/hedra".into(), "pricebooks/heygen/web-plans.pricebook".into()])
///     .expect("the bundled books");
/// assert!(books.is_ready());
/// let keys: Vec<String> = books.keys().map(|k| k.to_string()).collect();
/// assert_eq!(keys, ["hedra", "heygen/web"]);
/// let day = Date::parse("2025-06-01");
/// assert_eq!(books.pick(Some("hedra"), day).expect("in force").version(), "2025-05");
/// assert_eq!(books.pick(Some("hedra"), None).expect("the latest").version(), "2026-06");
/// let e = books.pick(None, None).expect_err("two vendors");
/// assert_eq!(e.code(), "bad-request");
/// let e = books.pick(Some("hedr"), None).expect_err("no such book");
/// assert_eq!(e.code(), "unknown-book");
/// ```
#[derive(Debug, Clone)]
pub struct Books {
    roots: Vec<PathBuf>,
    /// Sorted by path.
    files: Vec<Served>,
    /// Each key's files with a good book, by effective date (then path).
    index: BTreeMap<BookKey, Vec<usize>>,
}

impl Books {
    /// Opens every book under `paths`: a file is a book or a compiled table (JSON); a directory
    /// gives the `*.pricebook` files under it, any vendor, contracts aside. A path that does not
    /// exist, or a directory without books, is an error; a book that does not check is not: it
    /// is listed with its error ([`status`](Self::status)) and answers nothing until it checks.
    pub fn open(paths: &[PathBuf]) -> Result<Books, OpenError> {
        let listed = crate::load::book_files(paths)?;
        let mut files = Vec::new();
        for path in listed {
            let (bytes, stamp) = (std::fs::read(&path), stamp(&path));
            let bytes = match bytes {
                Ok(b) => b,
                Err(io) => {
                    let e = OpenError::FileUnreadable {
                        path: path.clone(),
                        io,
                    };
                    files.push(Served {
                        path,
                        key: None,
                        book: None,
                        error: Some(unavailable(&e)),
                        stamp,
                        content: [0; 32],
                    });
                    continue;
                }
            };
            let content: [u8; 32] = Sha256::digest(&bytes).into();
            let served = match load(&path, &bytes) {
                Loaded::NotABook => continue,
                Loaded::Book(b) => Served {
                    path,
                    key: Some(b.key.clone()),
                    book: Some(Arc::from(b)),
                    error: None,
                    stamp,
                    content,
                },
                Loaded::Failed(key, e) => Served {
                    path,
                    key,
                    book: None,
                    error: Some(e),
                    stamp,
                    content,
                },
            };
            files.push(served);
        }
        Ok(Books::indexed(paths.to_vec(), files))
    }

    fn indexed(roots: Vec<PathBuf>, mut files: Vec<Served>) -> Books {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut index: BTreeMap<BookKey, Vec<usize>> = BTreeMap::new();
        for (i, f) in files.iter().enumerate() {
            if let Some(b) = &f.book {
                index.entry(b.key.clone()).or_default().push(i);
            }
        }
        for versions in index.values_mut() {
            versions.sort_by(|a, b| {
                let (fa, fb) = (&files[*a], &files[*b]);
                let ea = fa.book.as_ref().map(|b| b.effective);
                let eb = fb.book.as_ref().map(|b| b.effective);
                ea.cmp(&eb).then_with(|| fa.path.cmp(&fb.path))
            });
        }
        Books {
            roots,
            files,
            index,
        }
    }

    /// The books served, by key.
    pub fn keys(&self) -> impl Iterator<Item = &BookKey> {
        self.index.keys()
    }

    /// Every served version, oldest first within each book.
    pub fn books(&self) -> impl Iterator<Item = &Arc<Book>> {
        self.index
            .values()
            .flatten()
            .filter_map(|i| self.files[*i].book.as_ref())
    }

    /// Whether every file serves a book that checks (a file whose latest change failed still
    /// serves its last good version; one that never loaded does not).
    pub fn is_ready(&self) -> bool {
        !self.files.is_empty() && self.files.iter().all(|f| f.book.is_some())
    }

    /// Every served file with its version and error, by path.
    pub fn status(&self) -> Vec<BookStatus> {
        self.files
            .iter()
            .map(|f| {
                let b = f.book.as_deref();
                BookStatus {
                    vendor: f.key.as_ref().map(|k| k.vendor.clone()),
                    list: f.key.as_ref().and_then(|k| k.list.clone()),
                    version: b.map(|b| b.version().to_string()),
                    effective: b.map(|b| b.effective().to_string()),
                    source_hash: b.map(|b| b.source_hash().to_string()),
                    source: f.path.display().to_string(),
                    error: f.error.as_ref().map(|e| e.body().error),
                }
            })
            .collect()
    }

    /// The version of the book named `name` (every book when only one is served and no name is
    /// given) in force on `at`: the latest that takes effect on or before it, the latest of all
    /// without it (as [`crate::load::open`] picks from a directory).
    pub fn pick(&self, name: Option<&str>, at: Option<Date>) -> Result<&Arc<Book>, AnswerError> {
        let key = match name {
            Some(n) => BookKey::parse(n),
            None => match self.served_keys().as_slice() {
                [one] => one.clone(),
                [] => {
                    return Err(self.nothing_serves());
                }
                several => {
                    let names: Vec<String> = several.iter().map(|k| k.to_string()).collect();
                    return Err(AnswerError::bad_request(format!(
                        "{} books are served ({}), and the question names none",
                        names.len(),
                        names.join(", ")
                    ))
                    .with_field("book")
                    .with_help(format!(
                        "name one with `book`: {}",
                        crate::base::names::quoted_list(&names, "or")
                    )));
                }
            },
        };
        let Some(versions) = self.index.get(&key) else {
            return Err(self.unknown(&key));
        };
        let book = |i: &usize| self.files[*i].book.as_ref();
        let found = match at {
            Some(day) => versions
                .iter()
                .rev()
                .filter_map(book)
                .find(|b| b.effective <= day),
            None => versions.last().and_then(book),
        };
        found.ok_or_else(|| {
            let earliest = versions.first().and_then(book).map(|b| b.effective);
            AnswerError::invalid(
                Code::NotInForce,
                format!(
                    "no version of `{key}` is in force on {}",
                    at.map_or("-".to_string(), |d| d.to_string())
                ),
            )
            .with_field("at")
            .with_help(match earliest {
                Some(e) => format!("the earliest version takes effect on {e}"),
                None => "no version of it checks".to_string(),
            })
        })
    }

    /// Every key with a file, whether or not it loaded.
    fn served_keys(&self) -> Vec<BookKey> {
        let mut keys: Vec<BookKey> = self.files.iter().filter_map(|f| f.key.clone()).collect();
        keys.sort();
        keys.dedup();
        keys
    }

    fn nothing_serves(&self) -> AnswerError {
        match self.files.iter().find_map(|f| f.error.clone()) {
            Some(e) => AnswerError::new(
                ErrorKind::Unavailable,
                e.code(),
                format!("no served book checks: {}", e.message()),
            ),
            None => AnswerError::new(ErrorKind::Unavailable, "no-books", "no book is served"),
        }
    }

    /// A key that no good book has: one whose files all fail (unavailable), or none at all.
    fn unknown(&self, key: &BookKey) -> AnswerError {
        if let Some(e) = self
            .files
            .iter()
            .find(|f| f.key.as_ref() == Some(key))
            .and_then(|f| f.error.as_ref())
        {
            let err = AnswerError::new(
                ErrorKind::Unavailable,
                e.code(),
                format!("`{key}` has no version that checks: {}", e.message()),
            );
            return match e.help() {
                Some(h) => err.with_help(h),
                None => err,
            };
        }
        let names: Vec<String> = self.served_keys().iter().map(|k| k.to_string()).collect();
        let same_vendor: Vec<String> = self
            .served_keys()
            .iter()
            .filter(|k| k.vendor == key.vendor)
            .map(|k| k.to_string())
            .collect();
        let help = if same_vendor.len() == 1 {
            format!(
                "`{}` publishes one price list: ask for `{}`",
                key.vendor, same_vendor[0]
            )
        } else if !same_vendor.is_empty() {
            format!(
                "`{}` publishes {}",
                key.vendor,
                crate::base::names::quoted_list(&same_vendor, "and")
            )
        } else {
            match crate::base::names::did_you_mean(&key.vendor, names.iter().map(String::as_str)) {
                Some(hint) => format!("did you mean `{hint}`?"),
                None => format!(
                    "the served books are {}",
                    crate::base::names::quoted_list(&names, "and")
                ),
            }
        };
        AnswerError::new(
            ErrorKind::UnknownBook,
            "unknown-book",
            format!("no book `{key}` is served"),
        )
        .with_field("book")
        .with_help(help)
    }

    fn pick_for(
        &self,
        book: Option<&str>,
        at: Option<&str>,
        plan: Option<&str>,
    ) -> Result<&Arc<Book>, AnswerError> {
        let at = at.map(|d| parse_date("at", d)).transpose()?;
        self.pick_with_plan(book, at, plan)
    }

    /// [`pick`](Self::pick), where a vendor named alone (`"heygen"`) that publishes several
    /// lists and no main one is told apart by `plan`: the list whose version in force on `at`
    /// has it, when exactly one has.
    pub fn pick_with_plan(
        &self,
        name: Option<&str>,
        at: Option<Date>,
        plan: Option<&str>,
    ) -> Result<&Arc<Book>, AnswerError> {
        let asked = name.map(BookKey::parse);
        if let (Some(key), Some(plan)) = (&asked, plan) {
            if key.list.is_none() && !self.index.contains_key(key) {
                let with_plan: Vec<&Arc<Book>> = self
                    .served_keys()
                    .iter()
                    .filter(|k| k.vendor == key.vendor)
                    .filter_map(|k| self.pick(Some(&k.to_string()), at).ok())
                    .filter(|b| b.opened.table.plan_id(plan).is_some())
                    .collect();
                if let [one] = with_plan.as_slice() {
                    return Ok(one);
                }
            }
        }
        self.pick(name, at)
    }

    /// [`quote`](super::quote()) with the book the question names, in force on its `at`.
    pub fn quote(&self, q: &QuoteQuestion) -> Result<QuoteAnswer, AnswerError> {
        let book = self.pick_for(q.book.as_deref(), q.at.as_deref(), q.plan.as_deref())?;
        super::quote(&book.opened, q)
    }

    /// [`capacity`](super::capacity()) with the book the question names, in force on its `at`.
    pub fn capacity(&self, q: &CapacityQuestion) -> Result<CapacityAnswer, AnswerError> {
        let book = self.pick_for(q.book.as_deref(), q.at.as_deref(), q.plan.as_deref())?;
        super::capacity(&book.opened, q)
    }

    /// [`bill`](super::bill()) with the version of the book the question names in force on the
    /// bill's first day, with the question's contract layered on it.
    pub fn bill(&self, q: &BillQuestion) -> Result<BillAnswer, AnswerError> {
        // A contract names its list: a vendor named alone bills on it.
        let contract_list =
            q.contract
                .as_deref()
                .and_then(|terms| match crate::syntax::header(terms)?.node {
                    crate::syntax::ast::Item::Contract(c) => Some(c.list.map(|l| l.node)),
                    _ => None,
                });
        let name = match (q.book.as_deref().map(BookKey::parse), contract_list) {
            (Some(key), Some(list)) if key.list.is_none() => Some(
                BookKey {
                    vendor: key.vendor,
                    list,
                }
                .to_string(),
            ),
            _ => q.book.clone(),
        };
        // The key of the version the bill starts on: its later versions price the account
        // from their dates (a contract's terms are layered on one version only).
        let started: std::cell::RefCell<Option<BookKey>> = std::cell::RefCell::new(None);
        super::bill_versions(
            q,
            |day, _at| {
                let book = self.pick_with_plan(name.as_deref(), day, q.plan.as_deref())?;
                *started.borrow_mut() = Some(book.key.clone());
                match &q.contract {
                    Some(terms) => book.with_contract(terms),
                    None => Ok(book.opened.clone()),
                }
            },
            |after| {
                let key = started.borrow().clone();
                Ok(match (key, &q.contract) {
                    (Some(key), None) => self.next_version(&key, after).map(|b| b.opened.clone()),
                    _ => None,
                })
            },
        )
    }

    /// The served version of `key` that takes effect next after `after`: a bill that runs past
    /// its date is priced by it from then.
    pub fn next_version(&self, key: &BookKey, after: Date) -> Option<&Arc<Book>> {
        self.index
            .get(key)?
            .iter()
            .filter_map(|i| self.files.get(*i)?.book.as_ref())
            .find(|b| b.effective > after)
    }

    /// [`rate`](super::rate()) with the book named, in force on `at`.
    pub fn rate(
        &self,
        book: Option<&str>,
        at: Option<&str>,
        input: &mut dyn BufRead,
        by: GroupBy,
    ) -> Result<RateAnswer, AnswerError> {
        let book = self.pick_for(book, at, None)?;
        super::rate(&book.opened.table, input, by, false)
    }

    /// Looks at the served files again: a changed file is read, checked and compiled, and
    /// replaces its version when it checks (else its last good version keeps serving, with the
    /// error); a new file is added, a deleted one removed. `None` when nothing changed.
    ///
    /// A file is read when its size or modification time changed, or while it was modified
    /// less than two seconds ago (a rewrite within the file system's timestamp granularity
    /// changes neither); it is compiled only when its content changed. A file modified less
    /// than `settle` ago is left for the next refresh, so one being written is not read half
    /// way (replace files by renaming to avoid the question altogether).
    pub fn refresh(&self, settle: Duration) -> Option<(Books, Vec<Reload>)> {
        // A root that cannot be listed now (a directory being replaced) keeps what it served.
        let listed = crate::load::book_files(&self.roots).ok()?;
        let now = SystemTime::now();
        let recent = |s: &Option<Stamp>, within: Duration| {
            s.and_then(|s| s.modified)
                .and_then(|m| now.duration_since(m).ok())
                .is_none_or(|age| age < within)
        };
        let mut old: BTreeMap<&Path, &Served> =
            self.files.iter().map(|f| (f.path.as_path(), f)).collect();
        let mut files = Vec::with_capacity(listed.len());
        let mut reloads = Vec::new();
        let (mut changed, mut restamped) = (false, false);
        for path in listed {
            let prev = old.remove(path.as_path());
            let st = stamp(&path);
            if let Some(p) = prev {
                if p.stamp == st && !recent(&st, Duration::from_secs(2)) {
                    files.push(p.clone());
                    continue;
                }
            }
            if recent(&st, settle) && settle > Duration::ZERO {
                // Being written: look again next time (a new file waits to appear).
                if let Some(p) = prev {
                    files.push(p.clone());
                }
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                if let Some(p) = prev {
                    files.push(p.clone());
                }
                continue;
            };
            let content: [u8; 32] = Sha256::digest(&bytes).into();
            if let Some(p) = prev {
                if p.content == content {
                    restamped |= p.stamp != st;
                    let mut same = p.clone();
                    same.stamp = st;
                    files.push(same);
                    continue;
                }
            }
            changed = true;
            match load(&path, &bytes) {
                Loaded::NotABook => {
                    if prev.is_some() {
                        reloads.push(Reload {
                            path: path.clone(),
                            outcome: ReloadOutcome::Removed,
                        });
                    }
                }
                Loaded::Book(b) => {
                    reloads.push(Reload {
                        path: path.clone(),
                        outcome: ReloadOutcome::Loaded {
                            key: b.key.clone(),
                            version: b.version().to_string(),
                        },
                    });
                    files.push(Served {
                        path,
                        key: Some(b.key.clone()),
                        book: Some(Arc::from(b)),
                        error: None,
                        stamp: st,
                        content,
                    });
                }
                Loaded::Failed(key, e) => {
                    reloads.push(Reload {
                        path: path.clone(),
                        outcome: ReloadOutcome::Failed(e.clone()),
                    });
                    let last_good = prev.and_then(|p| p.book.clone());
                    files.push(Served {
                        path,
                        key: last_good.as_ref().map(|b| b.key.clone()).or(key),
                        book: last_good,
                        error: Some(e),
                        stamp: st,
                        content,
                    });
                }
            }
        }
        for (path, _) in old {
            changed = true;
            reloads.push(Reload {
                path: path.to_path_buf(),
                outcome: ReloadOutcome::Removed,
            });
        }
        // When only stamps moved, the new set keeps them, so the files are not read again.
        if !changed && !restamped {
            return None;
        }
        Some((Books::indexed(self.roots.clone(), files), reloads))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir =
                std::env::temp_dir().join(format!("pricebook-books-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("a scratch directory");
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const BOOK: &str = "pricebook acme version \"1\" effective 2026-01-01 currency USD\nunit credit\nproduct \"Render\" as render { measure time  rate 2 credit / second }\nplan \"Pro\" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }\n";

    fn quote(books: &Books) -> Result<String, AnswerError> {
        books
            .quote(&QuoteQuestion::new("render", "10 second"))
            .map(|a| a.charge.map(|c| c.amount).unwrap_or_default())
    }

    #[test]
    fn a_change_that_fails_keeps_the_last_good_version() {
        let dir = Scratch::new("reload");
        let file = dir.0.join("acme.pricebook");
        std::fs::write(&file, BOOK).expect("write");
        std::fs::write(
            dir.0.join("terms.pricebook"),
            "contract \"A\" as a for acme effective 2026-01-01\n",
        )
        .expect("write");
        let books = Books::open(std::slice::from_ref(&dir.0)).expect("opens");
        assert_eq!(books.status().len(), 1, "the contract is not a served book");
        assert_eq!(quote(&books).expect("priced"), "20");

        std::fs::write(&file, BOOK.replace("rate 2", "rate 3")).expect("write");
        let (books, reloads) = books.refresh(Duration::ZERO).expect("changed");
        assert!(matches!(reloads[0].outcome, ReloadOutcome::Loaded { .. }));
        assert_eq!(quote(&books).expect("priced"), "30");

        std::fs::write(&file, BOOK.replace("rate 2 credit", "rate 2 gold")).expect("write");
        let (books, reloads) = books.refresh(Duration::ZERO).expect("changed");
        assert!(
            matches!(&reloads[0].outcome, ReloadOutcome::Failed(e) if e.code() == "book-has-errors")
        );
        assert_eq!(quote(&books).expect("the last good version"), "30");
        let status = books.status();
        assert_eq!(status[0].version.as_deref(), Some("1"));
        let error = status[0].error.as_ref().expect("the error is listed");
        assert_eq!(error.code, "book-has-errors");
        assert!(!error.diagnostics.is_empty());
        assert!(books.is_ready(), "a last good version serves");

        std::fs::remove_file(&file).expect("remove");
        let (books, reloads) = books.refresh(Duration::ZERO).expect("changed");
        assert!(matches!(reloads[0].outcome, ReloadOutcome::Removed));
        assert_eq!(quote(&books).expect_err("gone").code(), "no-books");
    }

    #[test]
    fn a_book_that_never_checked_is_unavailable() {
        let dir = Scratch::new("broken");
        std::fs::write(
            dir.0.join("acme.pricebook"),
            BOOK.replace("credit /", "gold /"),
        )
        .expect("write");
        let books = Books::open(std::slice::from_ref(&dir.0)).expect("opens");
        assert!(!books.is_ready());
        let e = books.pick(Some("acme"), None).expect_err("unavailable");
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::Unavailable, "book-has-errors")
        );
        assert_eq!(books.status()[0].vendor.as_deref(), Some("acme"));
    }

    #[test]
    fn a_vendor_named_alone_is_told_apart_by_its_plan() {
        let books = Books::open(&["pricebooks/heygen".into()]).expect("opens");
        let keys: Vec<String> = books.keys().map(|k| k.to_string()).collect();
        assert_eq!(keys, ["heygen/api", "heygen/enterprise", "heygen/web"]);
        let version = |plan: Option<&str>, at: Option<&str>| {
            books
                .pick_with_plan(Some("heygen"), at.and_then(Date::parse), plan)
                .map(|b| b.version().to_string())
                .map_err(|e| e.message().to_string())
        };
        assert_eq!(version(Some("payg"), None), Ok("api-payg".into()));
        assert_eq!(version(Some("mmc-1000"), None), Ok("enterprise".into()));
        assert_eq!(
            version(Some("pro"), Some("2026-01-01")),
            Ok("api-plans-legacy".into())
        );
        // `free` is on the web list and, on that day, the legacy api list.
        let e = version(Some("free"), Some("2026-05-01")).expect_err("two lists have it");
        assert_eq!(e, "no book `heygen` is served");
        assert!(version(None, None).is_err());
    }

    #[test]
    fn lists_are_part_of_the_key() {
        let books = Books::open(&["pricebooks/hedra".into()]).expect("opens");
        let e = books
            .pick(Some("hedra/api"), None)
            .expect_err("no such list");
        assert_eq!(e.code(), "unknown-book");
        assert_eq!(
            e.help(),
            Some("`hedra` publishes one price list: ask for `hedra`")
        );
        let e = books
            .pick(None, Date::parse("2020-01-01"))
            .expect_err("too early");
        assert_eq!(e.code(), "not-in-force");
        assert_eq!(
            e.help(),
            Some("the earliest version takes effect on 2024-11-17")
        );
    }
}
