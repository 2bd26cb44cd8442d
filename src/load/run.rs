//! A run over book files: read them, check each (a contract layered on its book, found among the
//! run's files or beside it), then the rules across files. `pricebook check`, `pricebook test`
//! and the bindings' `check` are this.

use crate::pipeline::files::{
    CheckedFile, FileCheck, FileHead, VersionHeader, book_for, check_file, cross_file,
};
use std::path::PathBuf;

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

/// Checks one file of a run: a book on its own, a contract layered on its book (one of the run's,
/// else the one [`crate::load::contract_book`] finds beside it).
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
    check_file(
        &name,
        text,
        book.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
    )
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
