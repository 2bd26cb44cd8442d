//! A run over book files: read them, check each (a contract layered on its book, found among the
//! run's files or beside it), then the rules across files. `pricebook check`, `pricebook test`
//! and the bindings' `check` are this.

use crate::pipeline::files::{
    CheckedFile, FileCheck, FileHead, VersionHeader, book_for, check_file_in, cross_file,
};
use crate::pipeline::versions::VersionText;
use std::path::{Path, PathBuf};

/// One file of a run, read, with what its header says.
#[derive(Debug, Clone)]
pub struct RunFile {
    pub path: PathBuf,
    /// The text, or why it could not be read.
    pub text: Result<String, String>,
    pub head: Option<FileHead>,
}

/// Reads the files of a run and their headers.
pub fn read_run(files: &[PathBuf]) -> Vec<RunFile> {
    files
        .iter()
        .map(|p| {
            let text = super::read_book(p).map_err(|e| e.message());
            let head = text.as_deref().ok().and_then(FileHead::read);
            RunFile {
                path: p.clone(),
                text,
                head,
            }
        })
        .collect()
}

/// Checks one file of a run: a book with the other versions of its price list (the run's, and
/// those beside it in its directory), which its bill examples may run into; a contract layered
/// on its book (one of the run's, else the one [`crate::load::contract_book`] finds beside it).
pub fn check_in_run(file: &RunFile, text: &str, run: &[RunFile]) -> FileCheck {
    let name = file.path.display().to_string();
    // The contract's book: among the files checked with it, else beside it in its directory tree.
    let book = file.head.as_ref().filter(|h| h.contract).and_then(|h| {
        let in_run = run.iter().filter_map(|f| Some((f.head.as_ref()?, f)));
        match book_for(h, in_run) {
            Some(b) => b.text.clone().ok().map(|t| (b.path.clone(), t)),
            None => {
                let path = super::contract_book(&file.path).ok()?;
                super::read_book(&path).ok().map(|t| (path, t))
            }
        }
    });
    let book = book.as_ref().map(|(p, t)| (p.display().to_string(), t));
    let others = match &file.head {
        Some(h) if !h.contract => other_versions(&file.path, h, run),
        _ => Vec::new(),
    };
    let versions: Vec<VersionText<'_>> = others.iter().map(super::VersionFile::as_text).collect();
    check_file_in(
        &name,
        text,
        None,
        book.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
        Some(&versions),
    )
}

/// The other versions of `head`'s price list: the run's, else (a book checked without them)
/// those beside it in its directory ([`super::versions_beside`]).
fn other_versions(path: &Path, head: &FileHead, run: &[RunFile]) -> Vec<super::VersionFile> {
    let in_run: Vec<super::VersionFile> = run
        .iter()
        .filter(|f| f.path != path)
        .filter_map(|f| {
            let h = f.head.as_ref().filter(|h| h.same_list(head))?;
            Some(super::VersionFile {
                name: f.path.display().to_string(),
                text: f.text.as_ref().ok()?.clone(),
                effective: h.effective,
            })
        })
        .collect();
    if in_run.is_empty() {
        super::versions_beside(path, head)
    } else {
        in_run
    }
}

/// Checks every file of a run with the others: `pricebook check`, the bindings' `check`.
pub fn check_run(run: &[RunFile]) -> Vec<CheckedFile> {
    let mut checked: Vec<CheckedFile> = run
        .iter()
        .map(|file| {
            let name = file.path.display().to_string();
            match &file.text {
                Ok(text) => {
                    let c = check_in_run(file, text, run);
                    CheckedFile {
                        name,
                        sources: c.sources,
                        diagnostics: c.check.diagnostics,
                        header: VersionHeader::read(text),
                    }
                }
                Err(why) => CheckedFile::unreadable(name, why),
            }
        })
        .collect();
    cross_file(&mut checked);
    checked
}

/// Every book file under `paths` (files, or directories searched for `*.pricebook`), checked
/// together.
pub fn check_paths(paths: &[PathBuf]) -> Result<Vec<CheckedFile>, super::OpenError> {
    Ok(check_run(&read_run(&super::book_files(paths)?)))
}
