//! The files the server knows: the `*.pricebook` files under the workspace's folders (read from
//! disk) and the documents the editor has open (their unsaved text wins), each with its header
//! and its latest analysis. Which files a change affects: the file itself, the contracts that
//! layer on a book, and the versions of one vendor (whose effective dates must differ).

use super::analysis::{Analysis, Source};
use crate::diagnostic::Diagnostic;
use crate::pipeline::files::{FileHead, VersionHeader, book_for, duplicate_effective_dates};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tower_lsp_server::ls_types::Uri;

pub(super) struct FileEntry {
    pub source: Source,
    /// Open in the editor (its text is the editor's, not the disk's).
    pub open: bool,
    /// The editor's version of an open document.
    pub version: Option<i32>,
    pub head: Option<FileHead>,
    pub header: Option<VersionHeader>,
    pub analysis: Option<Arc<Analysis>>,
}

#[derive(Default)]
pub(super) struct Workspace {
    pub roots: Vec<PathBuf>,
    pub files: BTreeMap<Uri, FileEntry>,
    revision: u64,
    /// Files whose diagnostics are to be published again.
    pub dirty: BTreeSet<Uri>,
    /// When the last change arrived, for the debounce.
    pub last_change: Option<Instant>,
}

/// What an analysis of a file is made from: the file, and a contract's book.
pub(super) type Inputs = (Source, Option<Source>);

impl Workspace {
    /// The name a file is shown by: its path relative to a workspace folder, else the path or
    /// the URI.
    fn name_of(&self, uri: &Uri, path: Option<&Path>) -> String {
        let Some(path) = path else {
            return uri.as_str().to_string();
        };
        self.roots
            .iter()
            .filter_map(|r| path.strip_prefix(r).ok())
            .min_by_key(|p| p.as_os_str().len())
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// Sets a file's text (new, changed, opened or read again from disk) and marks what it
    /// affects.
    pub(super) fn set(&mut self, uri: Uri, text: Arc<str>, open: bool, version: Option<i32>) {
        self.revision += 1;
        let path = uri.to_file_path().map(|p| p.into_owned());
        let name = self.name_of(&uri, path.as_deref());
        let head = FileHead::read(&text);
        let header = VersionHeader::read(&text);
        let before = self.files.get(&uri).and_then(|f| f.head.clone());
        let entry = FileEntry {
            source: Source {
                uri: uri.clone(),
                name,
                path,
                text,
                revision: self.revision,
            },
            open,
            version,
            head,
            header,
            analysis: self.files.remove(&uri).and_then(|f| f.analysis),
        };
        let vendors: BTreeSet<String> = before
            .iter()
            .chain(&entry.head)
            .map(|h| h.vendor.clone())
            .collect();
        self.files.insert(uri.clone(), entry);
        self.touch(uri, &vendors);
    }

    /// Forgets a file (deleted from disk, or closed outside the workspace's folders).
    pub(super) fn remove(&mut self, uri: &Uri) -> bool {
        let Some(entry) = self.files.remove(uri) else {
            return false;
        };
        self.revision += 1;
        let vendors: BTreeSet<String> = entry.head.iter().map(|h| h.vendor.clone()).collect();
        // The others of its vendor: a date it shared is free again, a contract loses its book.
        for (u, f) in &self.files {
            if f.head.as_ref().is_some_and(|h| vendors.contains(&h.vendor)) {
                self.dirty.insert(u.clone());
            }
        }
        self.last_change = Some(Instant::now());
        true
    }

    /// Marks a changed file and the files of its vendors (old and new) for publishing.
    fn touch(&mut self, uri: Uri, vendors: &BTreeSet<String>) {
        for (u, f) in &self.files {
            if f.head.as_ref().is_some_and(|h| vendors.contains(&h.vendor)) {
                self.dirty.insert(u.clone());
            }
        }
        self.dirty.insert(uri);
        self.last_change = Some(Instant::now());
    }

    /// Whether a file is under one of the workspace's folders.
    pub(super) fn in_roots(&self, path: &Path) -> bool {
        self.roots.iter().any(|r| path.starts_with(r))
    }

    /// The book a contract layers on: its vendor's version in force on its date among the
    /// workspace's files, else the one beside it on disk.
    fn book_of(&self, entry: &FileEntry) -> Option<Source> {
        let head = entry.head.as_ref().filter(|h| h.contract)?;
        let known = self
            .files
            .values()
            .filter_map(|f| Some((f.head.as_ref()?, f)));
        if let Some(book) = book_for(head, known) {
            return Some(book.source.clone());
        }
        let path = crate::load::contract_book(entry.source.path.as_deref()?).ok()?;
        let text = crate::load::read_book(&path).ok()?;
        let uri = Uri::from_file_path(&path)?;
        Some(Source {
            name: self.name_of(&uri, Some(&path)),
            uri,
            path: Some(path),
            text: text.into(),
            // Outside the workspace: read again with each change to the contract.
            revision: 0,
        })
    }

    /// A file's current analysis, or what to build it from.
    pub(super) fn current(&self, uri: &Uri) -> Option<Result<Arc<Analysis>, Inputs>> {
        let entry = self.files.get(uri)?;
        let book = self.book_of(entry);
        if let Some(a) = &entry.analysis {
            let same_book = match (&a.book, &book) {
                (None, None) => true,
                (Some(old), Some(new)) => {
                    old.source.uri == new.uri
                        && if new.revision == 0 {
                            old.source.text == new.text
                        } else {
                            old.source.revision == new.revision
                        }
                }
                _ => false,
            };
            if a.source.revision == entry.source.revision && same_book {
                return Some(Ok(a.clone()));
            }
        }
        Some(Err((entry.source.clone(), book)))
    }

    /// The latest analysis of a file, current or not (completion reads names from it while the
    /// text moves on).
    pub(super) fn latest(&self, uri: &Uri) -> Option<Arc<Analysis>> {
        self.files.get(uri)?.analysis.clone()
    }

    /// Keeps an analysis, unless the file changed while it was made; hands back the one it
    /// replaces, for the caller to drop off the path to the diagnostics (a large book's
    /// analysis takes milliseconds to free).
    pub(super) fn store(&mut self, analysis: Arc<Analysis>) -> Option<Arc<Analysis>> {
        let entry = self.files.get_mut(&analysis.source.uri)?;
        if entry.source.revision != analysis.source.revision {
            return None;
        }
        entry.analysis.replace(analysis)
    }

    /// The `duplicate-effective-date` errors of one file, from every file's header.
    pub(super) fn duplicate_dates(&self, uri: &Uri) -> Vec<Diagnostic> {
        let Some(mine) = self.files.get(uri).and_then(|f| f.header.as_ref()) else {
            return Vec::new();
        };
        let same: Vec<(&Uri, &FileEntry)> = self
            .files
            .iter()
            .filter(|(_, f)| f.header.as_ref().is_some_and(|h| h.vendor == mine.vendor))
            .collect();
        let headers: Vec<(&str, Option<&VersionHeader>)> = same
            .iter()
            .map(|(_, f)| (f.source.name.as_str(), f.header.as_ref()))
            .collect();
        let found = duplicate_effective_dates(&headers);
        same.iter()
            .zip(found)
            .find(|((u, _), _)| *u == uri)
            .map(|(_, d)| d)
            .unwrap_or_default()
    }

    /// The contracts in the workspace that layer on a book (for renaming across them).
    pub(super) fn contracts_on(&self, book: &Uri) -> Vec<Uri> {
        self.files
            .iter()
            .filter(|(_, f)| f.head.as_ref().is_some_and(|h| h.contract))
            .filter(|(_, f)| self.book_of(f).is_some_and(|b| &b.uri == book))
            .map(|(u, _)| u.clone())
            .collect()
    }

    /// Takes the files to publish, open documents first.
    pub(super) fn take_dirty(&mut self) -> Vec<Uri> {
        let mut out: Vec<Uri> = std::mem::take(&mut self.dirty).into_iter().collect();
        out.sort_by_key(|u| !self.files.get(u).is_some_and(|f| f.open));
        out
    }
}
