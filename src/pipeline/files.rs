//! Books checked together: the files of one `pricebook check` or `pricebook test` run, or the
//! files of an editor's workspace. This decides the rules across files given the texts; reading
//! the files is `crate::load::run`'s.
//!
//! Two rules need the other files. A contract is checked layered on its book: its vendor's
//! version of the same list in force on the contract's effective date, among the files
//! ([`book_for`]), else the one `crate::load::contract_book` finds beside it. And versions of one vendor must not share
//! an effective date ([`duplicate_effective_dates`]).

use super::{BookCheck, check_contract};
use crate::base::date::Date;
use crate::base::span::Span;
use crate::diagnostic::{Code, Diagnostic, SourceFile, SourceMap};
use crate::syntax::ast::{Book, Item};

/// What a file's header says: whose price list it is, from when, and whether it is a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHead {
    pub vendor: String,
    /// The price list (`list api`); [`crate::model::MAIN_LIST`] when the header names none.
    pub list: String,
    pub effective: Date,
    /// A `contract ...` header rather than a `pricebook ...` one.
    pub contract: bool,
}

impl FileHead {
    /// Whether `other` is a book (not a contract) of this head's vendor and price list: another
    /// version of it, or this one.
    pub fn same_list(&self, other: &FileHead) -> bool {
        !self.contract && !other.contract && self.vendor == other.vendor && self.list == other.list
    }

    /// The header of a file's text, when it has one with a real date.
    pub fn read(text: &str) -> Option<FileHead> {
        match crate::syntax::header(text)?.node {
            Item::Header(h) => Some(FileHead {
                vendor: h.vendor.node,
                list: crate::model::list_name(h.list.as_ref()),
                effective: Date::parse(&h.effective.node)?,
                contract: false,
            }),
            Item::Contract(c) => Some(FileHead {
                vendor: c.vendor.node,
                list: crate::model::list_name(c.list.as_ref()),
                effective: Date::parse(&c.effective.node)?,
                contract: true,
            }),
            _ => None,
        }
    }
}

/// A version's `pricebook` header as written, for the rule across versions: the vendor, the
/// effective date as written and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionHeader {
    pub vendor: String,
    /// The price list; [`crate::model::MAIN_LIST`] when the header names none.
    pub list: String,
    pub effective: String,
    pub effective_span: Span,
}

impl VersionHeader {
    /// The `pricebook` header of a file's text (a contract has none).
    pub fn read(text: &str) -> Option<VersionHeader> {
        Self::of_item(&crate::syntax::header(text)?.node)
    }

    /// The `pricebook` header of a parsed book.
    pub fn of(book: &Book) -> Option<VersionHeader> {
        book.items.iter().find_map(|i| Self::of_item(&i.node))
    }

    fn of_item(item: &Item) -> Option<VersionHeader> {
        match item {
            Item::Header(h) => Some(VersionHeader {
                vendor: h.vendor.node.clone(),
                list: crate::model::list_name(h.list.as_ref()),
                effective: h.effective.node.clone(),
                effective_span: h.effective.span,
            }),
            _ => None,
        }
    }
}

/// The book a contract layers on among `files` (each a header and what to give back for it):
/// its vendor's latest version in force on the contract's effective date, contracts excluded.
pub fn book_for<'h, T>(
    contract: &FileHead,
    files: impl IntoIterator<Item = (&'h FileHead, T)>,
) -> Option<T> {
    files
        .into_iter()
        .filter(|(h, _)| {
            !h.contract
                && h.vendor == contract.vendor
                && h.list == contract.list
                && h.effective <= contract.effective
        })
        .max_by_key(|(h, _)| h.effective)
        .map(|(_, t)| t)
}

/// One file, checked: its diagnostics, model, table and worked examples, and the files their
/// positions point into.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FileCheck {
    /// The file alone, or a contract's book then the contract: every span of `check` points
    /// into one of them.
    pub sources: SourceMap,
    /// Where the file's own text starts in that position space (0 for a book).
    pub base: usize,
    /// The diagnostics are the file's own (a contract's book's are reported when the book is
    /// checked), and so are the worked examples; the model and table are the layered book's.
    pub check: BookCheck,
}

/// Checks the file `name`: a book on its own, or with `book` (its book's name and text) a
/// contract layered on that book.
pub fn check_file(name: &str, text: &str, book: Option<(&str, &str)>) -> FileCheck {
    check_file_parsed(name, text, None, book)
}

/// [`check_file`] with the file's parse when the caller has it (`parsed` is `text`'s parse),
/// so a book is not parsed twice.
pub fn check_file_parsed(
    name: &str,
    text: &str,
    parsed: Option<&crate::syntax::Parsed>,
    book: Option<(&str, &str)>,
) -> FileCheck {
    check_file_in(name, text, parsed, book, None)
}

/// [`check_file_parsed`] of a book with the other versions of its price list, which its `bill`
/// examples that run into one are billed by ([`super::check_parsed_book_in`]). A contract's
/// examples bill on the version it layers on.
pub fn check_file_in(
    name: &str,
    text: &str,
    parsed: Option<&crate::syntax::Parsed>,
    book: Option<(&str, &str)>,
    versions: Option<&[super::VersionText<'_>]>,
) -> FileCheck {
    let Some((book_name, book_text)) = book else {
        let check = match parsed {
            Some(p) => super::check_parsed_book_in(p, text, name, versions),
            None => super::check_parsed_book_in(&crate::syntax::parse(text), text, name, versions),
        };
        return FileCheck {
            sources: SourceMap::from(SourceFile::new(name, text)),
            base: 0,
            check,
        };
    };
    let layered = check_contract(book_name, book_text, name, text);
    let base = layered.contract_base;
    let mut check = layered.check.clone();
    check.diagnostics = layered.contract_diagnostics().cloned().collect();
    if let Some(model) = &check.model {
        check.examples.retain(|e| {
            model
                .examples
                .get(e.index)
                .is_some_and(|x| x.span.start >= base)
        });
    }
    FileCheck {
        sources: layered.sources,
        base,
        check,
    }
}

/// One file of a run, checked with the others: its diagnostics (the rules across files
/// included), the files they point into, and its version header.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckedFile {
    pub name: String,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub header: Option<VersionHeader>,
}

impl CheckedFile {
    /// A file that could not be read: one `syntax-error` saying why.
    pub fn unreadable(name: String, why: &str) -> CheckedFile {
        CheckedFile {
            sources: SourceMap::from(SourceFile::new(name.clone(), String::new())),
            name,
            diagnostics: vec![
                Diagnostic::new(Code::Syntax, why.to_string())
                    .help("a pricebook is a UTF-8 text file"),
            ],
            header: None,
        }
    }

    /// Only the file's header, for the rules across files (a run that lists versions).
    pub fn header_only(name: String, sources: SourceMap, header: Option<VersionHeader>) -> Self {
        CheckedFile {
            name,
            sources,
            diagnostics: Vec::new(),
            header,
        }
    }
}

/// Adds the rules across files to each file's diagnostics: versions of one price list must not
/// share an effective date.
pub fn cross_file(files: &mut [CheckedFile]) {
    let headers: Vec<(&str, Option<&VersionHeader>)> = files
        .iter()
        .map(|f| (f.name.as_str(), f.header.as_ref()))
        .collect();
    let found = duplicate_effective_dates(&headers);
    for (f, diagnostics) in files.iter_mut().zip(found) {
        f.diagnostics.extend(diagnostics);
    }
}

/// Versions of one price list must not share an effective date. Given each file's name and version
/// header (`None` for a contract or a file without one), the `duplicate-effective-date` errors
/// each file gets, one list per file in the same order.
pub fn duplicate_effective_dates(files: &[(&str, Option<&VersionHeader>)]) -> Vec<Vec<Diagnostic>> {
    let mut out = vec![Vec::new(); files.len()];
    let mut seen: std::collections::HashMap<(&str, &str, &str), usize> =
        std::collections::HashMap::new();
    for (i, (this, header)) in files.iter().enumerate() {
        let Some(h) = header else { continue };
        let key = (h.vendor.as_str(), h.list.as_str(), h.effective.as_str());
        match seen.get(&key) {
            Some(&j) => {
                let (other, other_header) = files[j];
                let same = |span: Span, name: &str| {
                    Diagnostic::new(
                        Code::DuplicateEffectiveDate,
                        format!(
                            "`{}` already has a version in force from {}: `{name}`",
                            list_label(&h.vendor, &h.list),
                            h.effective
                        ),
                    )
                    .label(span, "same effective date")
                    .help("give each version of a price list its own effective date")
                };
                out[i].push(same(h.effective_span, other));
                let other_span = other_header.map(|h| h.effective_span).unwrap_or_default();
                out[j].push(same(other_span, this));
            }
            None => {
                seen.insert(key, i);
            }
        }
    }
    out
}

/// `heygen`, or `heygen list api` for a list other than the main one.
pub fn list_label(vendor: &str, list: &str) -> String {
    if list == crate::model::MAIN_LIST {
        vendor.to_string()
    } else {
        format!("{vendor} list {list}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(vendor: &str, effective: &str, contract: bool) -> FileHead {
        FileHead {
            vendor: vendor.into(),
            list: crate::model::MAIN_LIST.into(),
            effective: Date::parse(effective).expect("a date"),
            contract,
        }
    }

    #[test]
    fn a_contract_layers_on_the_version_in_force_on_its_date() {
        let files = [
            head("acme", "2026-01-01", false),
            head("acme", "2026-06-01", false),
            head("acme", "2027-01-01", false),
            head("other", "2026-06-01", false),
            head("acme", "2026-07-01", true),
        ];
        let contract = head("acme", "2026-07-01", true);
        let found = book_for(&contract, files.iter().enumerate().map(|(i, h)| (h, i)));
        assert_eq!(found, Some(1));
        let early = head("acme", "2025-01-01", true);
        assert_eq!(book_for(&early, files.iter().map(|h| (h, ()))), None);
    }

    #[test]
    fn versions_sharing_a_date_are_both_reported() {
        let h = |vendor: &str, date: &str, at: usize| VersionHeader {
            vendor: vendor.into(),
            list: crate::model::MAIN_LIST.into(),
            effective: date.into(),
            effective_span: Span::new(at, at + 10),
        };
        let (a, b, c) = (
            h("acme", "2026-01-01", 1),
            h("acme", "2026-01-01", 2),
            h("zeta", "2026-01-01", 3),
        );
        let out = duplicate_effective_dates(&[
            ("a", Some(&a)),
            ("c", None),
            ("b", Some(&b)),
            ("z", Some(&c)),
        ]);
        assert_eq!(out.iter().map(Vec::len).collect::<Vec<_>>(), [1, 0, 1, 0]);
        assert!(out[0][0].message.ends_with("`b`"), "{}", out[0][0].message);
        assert!(out[2][0].message.ends_with("`a`"), "{}", out[2][0].message);
        assert_eq!(out[2][0].span(), Some(Span::new(2, 12)));
    }

    #[test]
    fn lists_of_one_vendor_may_share_a_date() {
        let main = VersionHeader {
            vendor: "acme".into(),
            list: crate::model::MAIN_LIST.into(),
            effective: "2026-01-01".into(),
            effective_span: Span::new(0, 10),
        };
        let api = VersionHeader {
            list: "api".into(),
            ..main.clone()
        };
        let out = duplicate_effective_dates(&[("main", Some(&main)), ("api", Some(&api))]);
        assert!(out.iter().all(Vec::is_empty), "{out:?}");
        let again = duplicate_effective_dates(&[("api", Some(&api)), ("api2", Some(&api))]);
        assert!(
            again[1][0].message.starts_with("`acme list api` already"),
            "{again:?}"
        );
    }

    #[test]
    fn a_contract_layers_only_on_its_own_list() {
        let mut api = head("acme", "2026-01-01", false);
        api.list = "api".into();
        let main = head("acme", "2025-01-01", false);
        let mut contract = head("acme", "2026-07-01", true);
        contract.list = "api".into();
        let files = [(&main, "main"), (&api, "api")];
        assert_eq!(book_for(&contract, files), Some("api"));
        contract.list = crate::model::MAIN_LIST.into();
        assert_eq!(book_for(&contract, files), Some("main"));
    }
}
