//! Failures as the Python exceptions of `pricebook._errors`, all `pricebook.Error`s with a
//! stable `code`, a `message` and a `help`:
//!
//! - `Rejected`: a usage the book's rules refuse (`kind`, `reason`, `line`, `file`);
//! - `BookError`: a book that does not check (`diagnostics`);
//! - `LoadError`: a path that leads to no book, a file that cannot be read, a table that does
//!   not load;
//! - `ArgumentError` (also a `ValueError`): a question the book cannot take.

use crate::diagnostic::Diagnostic;
use pricebook::answer::{AnswerError, ErrorDetail, ErrorKind, QuoteRejection};
use pricebook::diagnostic::{JsonDiagnostic, SourceFile, SourceMap, to_json_in};
use pricebook::load::OpenError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn exception(py: Python<'_>, class: &str, kwargs: &Bound<'_, PyDict>) -> PyErr {
    let made = py
        .import("pricebook._errors")
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.call((), Some(kwargs)));
    match made {
        Ok(e) => PyErr::from_value(e),
        Err(e) => e,
    }
}

fn raise(
    py: Python<'_>,
    class: &str,
    code: &str,
    message: &str,
    help: Option<&str>,
    diagnostics: &[JsonDiagnostic],
) -> PyResult<PyErr> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("message", message)?;
    kwargs.set_item("help", help)?;
    if class == "BookError" {
        let ds: Vec<Diagnostic> = diagnostics.iter().cloned().map(Diagnostic::from).collect();
        kwargs.set_item("diagnostics", ds)?;
    } else {
        kwargs.set_item("code", code)?;
    }
    Ok(exception(py, class, &kwargs))
}

/// The class and code of an error about what was loaded: a book that does not check is a
/// `BookError`; a path that leads to no book (`command-line` on the command line, where the
/// path is an argument) is a `LoadError` with code `no-book`.
fn load_class(code: &str) -> (&'static str, &str) {
    match code {
        "book-has-errors" => ("BookError", code),
        "command-line" => ("LoadError", "no-book"),
        _ => ("LoadError", code),
    }
}

/// An error opening paths.
pub fn open_error(py: Python<'_>, e: OpenError) -> PyErr {
    let (class, code) = load_class(e.code());
    let diagnostics: Vec<JsonDiagnostic> = match &e {
        OpenError::BookHasErrors {
            file,
            text,
            diagnostics,
        } => {
            let map = SourceMap::from(SourceFile::new(file.as_str(), text.as_str()));
            diagnostics.iter().map(|d| to_json_in(d, &map)).collect()
        }
        OpenError::ContractDoesNotApply {
            sources,
            diagnostics,
            ..
        } => diagnostics.iter().map(|d| to_json_in(d, sources)).collect(),
        _ => Vec::new(),
    };
    raise(
        py,
        class,
        code,
        &e.message(),
        e.help().as_deref(),
        &diagnostics,
    )
    .unwrap_or_else(|e| e)
}

/// A served file that did not load (from the books' status).
pub fn status_error(py: Python<'_>, e: &ErrorDetail) -> PyErr {
    let (class, code) = load_class(&e.code);
    raise(
        py,
        class,
        code,
        &e.message,
        e.help.as_deref(),
        &e.diagnostics,
    )
    .unwrap_or_else(|e| e)
}

/// A question that could not be answered.
pub fn answer_error(py: Python<'_>, e: &AnswerError) -> PyErr {
    let class = match e.kind() {
        ErrorKind::Unavailable => load_class(e.code()).0,
        _ => "ArgumentError",
    };
    raise(py, class, e.code(), e.message(), e.help(), e.diagnostics()).unwrap_or_else(|e| e)
}

/// A usage the book's rules refuse.
pub fn rejected(py: Python<'_>, r: &QuoteRejection) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("kind", &r.kind)?;
        kwargs.set_item("reason", &r.reason)?;
        kwargs.set_item("line", r.line)?;
        kwargs.set_item("file", &r.file)?;
        Ok(exception(py, "Rejected", &kwargs))
    })();
    made.unwrap_or_else(|e| e)
}
