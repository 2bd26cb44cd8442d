//! What the bindings need that the library does not offer yet, shared by both (`#[path]`), to
//! go when `pricebook::answer` offers it:
//!
//! - [`check`]: every diagnostic of the books under some paths. The command line's run over
//!   files (contracts layered on their books, two versions with one effective date) lives in
//!   `src/cli/check_cmd.rs`, out of the bindings' reach; this checks each book on its own.
//! - [`bill`]: a bill on a single book file as `pricebook bill FILE` makes it (billed from the
//!   book's first month, `at` checked only when asked), which [`Books::bill`] does not: it picks
//!   the version in force on the bill's first day even for one file, and refuses a month before
//!   the book's effective day.

use pricebook::Diagnostic;
use pricebook::answer::{AnswerError, BillAnswer, BillQuestion, Books};
use pricebook::diagnostic::Code;
use pricebook::load::{self, OpenError, Opened};
use std::path::PathBuf;

/// Bills `question` with `books`, loaded from `path`: a directory gives the version in force on
/// the bill's first day, a single file is the book itself (as the command line bills).
pub fn bill(
    books: &Books,
    path: &std::path::Path,
    question: &BillQuestion,
) -> Result<BillAnswer, AnswerError> {
    let single = path.is_file();
    pricebook::answer::bill(question, |day, at| -> Result<Opened, AnswerError> {
        let picked = books.pick(question.book.as_deref(), if single { None } else { day })?;
        if single {
            if let Some(at) = at {
                picked.opened.in_force_on(at).map_err(|e| {
                    let err = AnswerError::invalid(Code::NotInForce, e.message());
                    match e.help() {
                        Some(h) => err.with_help(h),
                        None => err,
                    }
                })?;
            }
        }
        match &question.contract {
            Some(terms) => picked.with_contract(terms),
            None => Ok(picked.opened.clone()),
        }
    })
}

/// Every diagnostic of the books under `paths` (files or directories), each with its file.
pub fn check(paths: &[PathBuf]) -> Result<Vec<pricebook::diagnostic::JsonDiagnostic>, OpenError> {
    use pricebook::diagnostic::SourceFile;
    use pricebook::diagnostic::to_json;
    let mut out = Vec::new();
    for file in load::book_files(paths)? {
        let name = file.display().to_string();
        match load::read_book(&file) {
            Ok(text) => {
                let checked = pricebook::pipeline::check_book_from(&text, &name);
                let source = SourceFile::new(name, text);
                out.extend(checked.diagnostics.iter().map(|d| to_json(d, &source)));
            }
            Err(e) => {
                let d = Diagnostic::new(Code::Syntax, e.message())
                    .help("a pricebook is a UTF-8 text file");
                out.push(to_json(&d, &SourceFile::new(name, String::new())));
            }
        }
    }
    Ok(out)
}
