//! The other versions of a book's price list beside it in its directory, which its worked
//! examples may bill across ([`crate::pipeline::versions`]): however a book file is opened (a
//! command, a binding, the language server), its `bill` examples see the versions that
//! `pricebook bill` on that directory would.

use super::read_book;
use crate::base::date::Date;
use crate::pipeline::files::FileHead;
use crate::table::RatingTable;
use std::path::{Path, PathBuf};

/// Another version of a book's price list, read from its file, for the book's worked examples
/// ([`crate::pipeline::versions`]).
#[derive(Debug, Clone)]
pub struct VersionFile {
    pub name: String,
    pub text: String,
    pub effective: Date,
}

impl VersionFile {
    pub fn as_text(&self) -> crate::pipeline::versions::VersionText<'_> {
        crate::pipeline::versions::VersionText {
            name: &self.name,
            text: &self.text,
            effective: self.effective,
        }
    }
}

/// The other versions of `head`'s price list in `path`'s directory (not its subdirectories), as
/// `pricebook bill` on that directory sees them: a book's bill examples that run into one are
/// billed by it, however the book is opened.
pub fn versions_beside(path: &Path, head: &FileHead) -> Vec<VersionFile> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let own = path.canonicalize().ok();
    let mut beside: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pricebook"))
        .filter(|p| p != path && (own.is_none() || p.canonicalize().ok() != own))
        .collect();
    beside.sort();
    beside
        .into_iter()
        .filter_map(|p| {
            let text = read_book(&p).ok()?;
            let h = FileHead::read(&text).filter(|h| h.same_list(head))?;
            Some(VersionFile {
                name: p.display().to_string(),
                text,
                effective: h.effective,
            })
        })
        .collect()
}

/// Checks and compiles the book `text` read from `path`, its worked examples billed across the
/// versions beside it ([`versions_beside`]).
pub fn check_book_file(path: &Path, text: &str) -> crate::pipeline::BookCheck {
    let name = path.display().to_string();
    let others = match FileHead::read(text) {
        Some(h) if !h.contract => versions_beside(path, &h),
        _ => Vec::new(),
    };
    let versions: Vec<_> = others.iter().map(VersionFile::as_text).collect();
    crate::pipeline::check_parsed_book_in(&crate::syntax::parse(text), text, &name, Some(&versions))
}

/// [`check_book_file`], sealed into a table when nothing is an error (as
/// [`crate::pipeline::compile_file`]).
pub fn compile_book_file(
    path: &Path,
    text: &str,
) -> Result<RatingTable, crate::pipeline::CompileError> {
    crate::pipeline::seal_checked(check_book_file(path, text))
}
