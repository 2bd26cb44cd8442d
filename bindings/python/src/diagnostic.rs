//! `pricebook.Diagnostic`: one finding of the checker, as `pricebook check --format json` gives
//! it.

use pricebook::diagnostic::JsonDiagnostic;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// One diagnostic: what is wrong (`code`, `severity`, `message`), where (`file`, `line`,
/// `column`, to `end_line`, `end_column`), what to do (`help`) and the labelled spans.
#[pyclass(module = "pricebook", frozen, get_all)]
pub struct Diagnostic {
    pub code: String,
    /// `"error"` or `"warning"`.
    pub severity: String,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub help: Option<String>,
    pub end_line: usize,
    pub end_column: usize,
    labels: Vec<(String, usize, usize, String, String)>,
}

impl From<JsonDiagnostic> for Diagnostic {
    fn from(d: JsonDiagnostic) -> Diagnostic {
        Diagnostic {
            code: d.code,
            severity: match d.severity {
                pricebook::Severity::Error => "error",
                pricebook::Severity::Warning => "warning",
            }
            .to_string(),
            message: d.message,
            file: d.file,
            line: d.line,
            column: d.column,
            help: d.help,
            end_line: d.end_line,
            end_column: d.end_column,
            labels: d
                .labels
                .into_iter()
                .map(|l| (l.file, l.line, l.column, l.text, l.message))
                .collect(),
        }
    }
}

#[pymethods]
impl Diagnostic {
    /// Whether the diagnostic is an error (a warning is not).
    #[getter]
    fn is_error(&self) -> bool {
        self.severity == "error"
    }

    /// The labelled spans: dicts of `file`, `line`, `column`, `text` (what is underlined) and
    /// `message`.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.labels
            .iter()
            .map(|(file, line, column, text, message)| {
                let d = PyDict::new(py);
                d.set_item("file", file)?;
                d.set_item("line", line)?;
                d.set_item("column", column)?;
                d.set_item("text", text)?;
                d.set_item("message", message)?;
                Ok(d)
            })
            .collect()
    }

    fn __str__(&self) -> String {
        let help = self
            .help
            .as_deref()
            .map_or(String::new(), |h| format!(" (help: {h})"));
        format!(
            "{}:{}:{}: {}[{}]: {}{help}",
            self.file, self.line, self.column, self.severity, self.code, self.message
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "Diagnostic(code={:?}, severity={:?}, file={:?}, line={}, column={}, message={:?})",
            self.code, self.severity, self.file, self.line, self.column, self.message
        )
    }
}
