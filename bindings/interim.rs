//! What the bindings need that the library does not offer yet, shared by both (`#[path]`), to
//! go when `pricebook::answer` offers it:
//!
//! - [`check`]: every diagnostic of the books under some paths, in the JSON shape both
//!   bindings return (the run itself is the library's `load::run::check_paths`).
//! - [`bill`]: a bill on a single book file as `pricebook bill FILE` makes it (billed from the
//!   book's first month, `at` checked only when asked), which [`Books::bill`] does not: it picks
//!   the version in force on the bill's first day even for one file, and refuses a month before
//!   the book's effective day.

use pricebook::answer::{AnswerError, BillAnswer, BillQuestion, Books};
use pricebook::diagnostic::Code;
use pricebook::load::{OpenError, Opened};
use std::path::PathBuf;

/// Bills `question` with `books`, loaded from `path`: a directory gives the version in force on
/// the bill's first day, a single file is the book itself (as the command line bills).
pub fn bill(
    books: &Books,
    path: &std::path::Path,
    question: &BillQuestion,
) -> Result<BillAnswer, AnswerError> {
    let single = path.is_file();
    // The key of the version the bill starts on: on a directory, its later versions price the
    // account from their dates, as `pricebook bill DIR` does (not with a contract's terms).
    let started = std::cell::RefCell::new(None);
    let later = |after| -> Result<Option<Opened>, AnswerError> {
        let key = started.borrow().clone();
        Ok(match key {
            Some(key) if !single && question.contract.is_none() => {
                books.next_version(&key, after).map(|b| b.opened.clone())
            }
            _ => None,
        })
    };
    pricebook::answer::bill_versions(
        question,
        |day, at| -> Result<Opened, AnswerError> {
            let picked = books.pick_with_plan(
                question.book.as_deref(),
                if single { None } else { day },
                question.plan.as_deref(),
            )?;
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
            *started.borrow_mut() = Some(picked.key.clone());
            match &question.contract {
                Some(terms) => picked.with_contract(terms),
                None => Ok(picked.opened.clone()),
            }
        },
        later,
    )
}

/// Every diagnostic of the books under `paths` (files or directories), each with its file,
/// checked together as `pricebook check` checks them (a contract on its book, versions of one
/// price list on distinct dates).
pub fn check(paths: &[PathBuf]) -> Result<Vec<pricebook::diagnostic::JsonDiagnostic>, OpenError> {
    use pricebook::diagnostic::to_json_in;
    Ok(pricebook::load::run::check_paths(paths)?
        .iter()
        .flat_map(|c| c.diagnostics.iter().map(|d| to_json_in(d, &c.sources)))
        .collect())
}
