//! Failures as the Python exceptions of `pricebook._errors`: `Rejected`, `BookError`,
//! `LoadError` and `ArgumentError` (also a `ValueError`), all `pricebook.Error`s with a stable
//! `code`, a `message` and a `help`.

use crate::diagnostic::Diagnostic;
use crate::orchestration::Failure;
use pricebook::diagnostic::{SourceFile, SourceMap, to_json_in};
use pricebook::load::OpenError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The code a binding reports an open error with: the command line's, except that a path that
/// leads to no book is `no-book` (there is no command line to blame).
fn open_code(e: &OpenError) -> &'static str {
    match e.code() {
        "command-line" => "no-book",
        code => code,
    }
}

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

fn book_error(
    py: Python<'_>,
    e: &OpenError,
    sources: &SourceMap,
    diagnostics: &[pricebook::Diagnostic],
) -> PyResult<PyErr> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("message", e.message())?;
    kwargs.set_item("help", e.help())?;
    let ds: Vec<Diagnostic> = diagnostics
        .iter()
        .map(|d| Diagnostic::from(to_json_in(d, sources)))
        .collect();
    kwargs.set_item("diagnostics", ds)?;
    Ok(exception(py, "BookError", &kwargs))
}

fn build(py: Python<'_>, f: Failure) -> PyResult<PyErr> {
    let kwargs = PyDict::new(py);
    match f {
        Failure::Open(e) => match &e {
            OpenError::BookHasErrors {
                file,
                text,
                diagnostics,
            } => {
                let sources = SourceMap::from(SourceFile::new(file.clone(), text.clone()));
                book_error(py, &e, &sources, diagnostics)
            }
            OpenError::ContractDoesNotApply {
                sources,
                diagnostics,
                ..
            } => book_error(py, &e, sources, diagnostics),
            _ => {
                kwargs.set_item("message", e.message())?;
                kwargs.set_item("code", open_code(&e))?;
                kwargs.set_item("help", e.help())?;
                Ok(exception(py, "LoadError", &kwargs))
            }
        },
        Failure::Asked {
            code,
            message,
            help,
        } => {
            kwargs.set_item("message", message)?;
            kwargs.set_item("code", code)?;
            kwargs.set_item("help", help)?;
            Ok(exception(py, "ArgumentError", &kwargs))
        }
        Failure::Rejected { rejection, file } => {
            kwargs.set_item("kind", rejection.kind.name())?;
            kwargs.set_item("reason", rejection.reason)?;
            kwargs.set_item("line", rejection.line)?;
            kwargs.set_item("file", file)?;
            Ok(exception(py, "Rejected", &kwargs))
        }
    }
}

/// The exception a failure raises.
pub fn to_py(py: Python<'_>, f: Failure) -> PyErr {
    build(py, f).unwrap_or_else(|e| e)
}

/// An open error on its own (loading, checking paths).
pub fn open_to_py(py: Python<'_>, e: OpenError) -> PyErr {
    to_py(py, Failure::Open(e))
}
