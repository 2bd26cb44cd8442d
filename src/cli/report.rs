//! What the command line reports when a command cannot do its job: one typed error with a
//! stable code, a message, a help line and (when there is one) the file and line, rendered for
//! a person on standard error or, under `--format json`, as `{"error": {...}}` on standard output.

use crate::base::names::NameError;
use crate::base::quantity::QuantityError;
use crate::diagnostic::{self, Code, Diagnostic, JsonDiagnostic, SourceFile, SourceMap};
use std::io::Write;

/// Why a command stopped (boxed: it travels through every command's `Result`).
#[derive(Debug, Clone)]
pub(crate) struct CliError(Box<Failure>);

impl std::ops::Deref for CliError {
    type Target = Failure;
    fn deref(&self) -> &Failure {
        &self.0
    }
}

impl std::ops::DerefMut for CliError {
    fn deref_mut(&mut self) -> &mut Failure {
        &mut self.0
    }
}

/// What a [`CliError`] says. `status` is the exit status: 1 when the input is wrong (a book with
/// errors, an unknown name, a malformed quantity), 2 when the command line is.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub status: i32,
    /// A diagnostic code (`unknown-reference`, ...) or one of the command line's own:
    /// `command-line`, `io-error`, `book-has-errors`, `table-invalid`.
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The errors of a book that does not check (shown before the message for a person), and
    /// the files their positions point into.
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
    /// Standard output was closed by its reader (`| head`): stop quietly.
    pub quiet: bool,
}

impl CliError {
    fn new(status: i32, code: &'static str, message: impl Into<String>) -> CliError {
        CliError(Box::new(Failure {
            status,
            code,
            message: message.into(),
            help: None,
            file: None,
            line: None,
            column: None,
            diagnostics: Vec::new(),
            sources: SourceMap::new(),
            quiet: false,
        }))
    }

    /// The command line itself is wrong: exit 2.
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::new(2, "command-line", message)
    }

    /// A path on the command line that cannot be read: exit 2.
    pub fn unreadable(path: &std::path::Path, e: &std::io::Error) -> CliError {
        CliError::usage(format!(
            "cannot read `{}`: {}",
            path.display(),
            io_reason(e)
        ))
        .help("check the path")
    }

    /// A file that cannot be written: exit 1.
    pub fn unwritable(path: &std::path::Path, e: &std::io::Error) -> CliError {
        CliError::new(
            1,
            "io-error",
            format!("cannot write `{}`: {}", path.display(), io_reason(e)),
        )
    }

    /// The input is wrong, with a diagnostic code: exit 1.
    pub fn input(code: Code, message: impl Into<String>) -> CliError {
        CliError::new(1, code.name(), message)
    }

    /// The input is wrong, with one of the command line's own codes: exit 1.
    pub fn input_code(code: &'static str, message: impl Into<String>) -> CliError {
        CliError::new(1, code, message)
    }

    pub fn help(mut self, help: impl Into<String>) -> CliError {
        self.help = Some(help.into());
        self
    }

    /// Where the mistake is: a file, and a line (and column) in it when known.
    pub fn at(
        mut self,
        file: impl Into<String>,
        line: Option<usize>,
        column: Option<usize>,
    ) -> Self {
        self.file = Some(file.into());
        self.line = line;
        self.column = column;
        self
    }

    /// A diagnostic without a position (a name, unit or value given on the command line).
    pub fn from_diagnostic(d: &Diagnostic) -> CliError {
        let mut e = CliError::new(1, d.code.name(), d.message.clone());
        e.help = d.help.clone();
        e
    }

    /// A book that does not check: its errors, and where the first one is.
    pub fn book_errors(file: &SourceFile, diagnostics: &[Diagnostic]) -> CliError {
        let mut e = CliError::diagnostics_in(&SourceMap::from(file.clone()), diagnostics);
        e.message = format!(
            "`{}` has {} error{}",
            file.name,
            e.diagnostics.len(),
            if e.diagnostics.len() == 1 { "" } else { "s" }
        );
        e.help(format!("run `pricebook check {}` and fix them", file.name))
    }

    /// The errors among `diagnostics`, whose positions are in the files of `sources`; the error
    /// is placed where the first one is.
    pub fn diagnostics_in(sources: &SourceMap, diagnostics: &[Diagnostic]) -> CliError {
        let errors: Vec<Diagnostic> = diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        let mut e = CliError::input_code("book-has-errors", "the book has errors");
        if let Some(first) = errors.first() {
            let j = diagnostic::to_json_in(first, sources);
            e = e.at(j.file, Some(j.line), Some(j.column));
        }
        e.diagnostics = errors;
        e.sources = sources.clone();
        e
    }

    /// Standard output closed: nothing more to say.
    fn closed() -> CliError {
        let mut e = CliError::new(0, "io-error", "standard output was closed");
        e.quiet = true;
        e
    }

    /// Renders the error for a person on standard error.
    pub fn print_human(&self, width: usize) {
        let stderr = std::io::stderr();
        let mut err = stderr.lock();
        for d in &self.diagnostics {
            let _ = write!(
                err,
                "{}",
                diagnostic::render_human_in(d, &self.sources, width)
            );
        }
        let place = match (&self.file, self.line) {
            (Some(f), Some(l)) => format!(" ({f}:{l})"),
            _ => String::new(),
        };
        let _ = writeln!(err, "error: {}{place}", self.message);
        if let Some(h) = &self.help {
            let _ = writeln!(err, "  help: {h}");
        }
    }

    /// The error as the JSON every `--format json` command prints on standard output.
    pub fn to_json(&self) -> serde_json::Value {
        let mut error = serde_json::json!({
            "code": self.code,
            "message": self.message,
            "help": self.help,
        });
        if let Some(f) = &self.file {
            error["file"] = f.clone().into();
            error["line"] = self.line.into();
            error["column"] = self.column.into();
        }
        if !self.diagnostics.is_empty() {
            let all: Vec<JsonDiagnostic> = self
                .diagnostics
                .iter()
                .map(|d| diagnostic::to_json_in(d, &self.sources))
                .collect();
            error["diagnostics"] = serde_json::to_value(all).unwrap_or_default();
        }
        serde_json::json!({ "error": error })
    }
}

impl From<std::io::Error> for CliError {
    /// A failed write to standard output: a closed pipe is the reader's choice, not an error.
    fn from(e: std::io::Error) -> CliError {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CliError::closed()
        } else {
            CliError::new(1, "io-error", format!("cannot write the output: {e}"))
        }
    }
}

impl From<NameError> for CliError {
    fn from(e: NameError) -> CliError {
        CliError::input(Code::UnknownReference, e.message()).help(e.help())
    }
}

impl From<QuantityError> for CliError {
    fn from(e: QuantityError) -> CliError {
        let code = match &e {
            QuantityError::NotADecimal(v)
                if v.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'_') =>
            {
                Code::NumberRange
            }
            _ => Code::InvalidValue,
        };
        CliError::input(code, e.to_string())
    }
}

/// A question the library could not answer, as the command line reports it: exit 2
/// (`command-line`) for a malformed one, exit 1 with the error's code otherwise, in the command
/// line's own words (its flags for the question's fields).
impl From<crate::answer::AnswerError> for CliError {
    fn from(e: crate::answer::AnswerError) -> CliError {
        let (message, help) = e.cli_wording();
        let err = match e.kind() {
            crate::answer::ErrorKind::BadRequest => CliError::usage(message),
            _ => CliError::input_code(e.code(), message),
        };
        match help {
            Some(h) => err.help(h),
            None => err,
        }
    }
}

impl From<Diagnostic> for CliError {
    fn from(d: Diagnostic) -> CliError {
        CliError::from_diagnostic(&d)
    }
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
