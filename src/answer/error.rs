//! Why a question could not be answered: one typed error with a stable code, a message, a help
//! line, and the kind of mistake it is.

use crate::base::date::Date;
use crate::base::names::NameError;
use crate::base::quantity::QuantityError;
use crate::bill::BillError;
use crate::diagnostic::{Code, Diagnostic, JsonDiagnostic};
use serde::Serialize;
use std::fmt;

/// Whose mistake an [`AnswerError`] is, which decides how a transport reports it.
///
/// | Kind | Means | `pricebook` exit | HTTP |
/// |---|---|---|---|
/// | `BadRequest` | the question is malformed: a field of the wrong type, a date that is not `YYYY-MM-DD`, an auto-recharge setting that does not read | 2 | 400 |
/// | `Unsupported` | a field this build accepts but cannot answer yet | - | 400 |
/// | `UnknownBook` | no served book has the name the question gives | - | 404 |
/// | `Invalid` | a well-formed question the book cannot answer: a name it does not have, a quantity it cannot read, a day it is not in force | 1 | 422 |
/// | `Unavailable` | the book named has no version that checks | - | 503 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ErrorKind {
    BadRequest,
    Unsupported,
    UnknownBook,
    Invalid,
    Unavailable,
}

/// Why a question could not be answered.
///
/// [`code`](Self::code) is stable: a diagnostic code (`unknown-reference`, `invalid-value`,
/// `not-in-force`, ...) or one of `bad-request`, `unsupported`, `unknown-book`,
/// `book-has-errors`, `table-invalid`, `io-error`. [`message`](Self::message) says what is wrong
/// and where, [`help`](Self::help) what to do.
///
/// ```
/// use pricebook::answer::{ErrorKind, parse_date};
/// let e = parse_date("at", "2026-13-01").expect_err("no month 13");
/// assert_eq!((e.kind(), e.code()), (ErrorKind::BadRequest, "bad-request"));
/// assert_eq!(e.message(), "at: `2026-13-01` is not a date");
/// assert_eq!(e.help(), Some("write YYYY-MM-DD"));
/// ```
#[derive(Debug, Clone)]
pub struct AnswerError(Box<Inner>);

#[derive(Debug, Clone)]
struct Inner {
    kind: ErrorKind,
    code: &'static str,
    message: String,
    help: Option<String>,
    field: Option<&'static str>,
    diagnostics: Vec<JsonDiagnostic>,
    /// The command line's wording (message, help), where it names a field by its flag.
    cli: Option<(String, Option<String>)>,
}

impl AnswerError {
    /// An error of `kind` with `code` and what is wrong.
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> AnswerError {
        AnswerError(Box::new(Inner {
            kind,
            code,
            message: message.into(),
            help: None,
            field: None,
            diagnostics: Vec::new(),
            cli: None,
        }))
    }

    /// A malformed question (code `bad-request`).
    pub fn bad_request(message: impl Into<String>) -> AnswerError {
        AnswerError::new(ErrorKind::BadRequest, "bad-request", message)
    }

    /// A well-formed question the book cannot answer, with a diagnostic code.
    pub fn invalid(code: Code, message: impl Into<String>) -> AnswerError {
        AnswerError::new(ErrorKind::Invalid, code.name(), message)
    }

    /// Adds what to do.
    pub fn with_help(mut self, help: impl Into<String>) -> AnswerError {
        self.0.help = Some(help.into());
        self
    }

    /// Names the question's field the error is about (`at`, `auto_recharge`, `wallet`, ...).
    pub fn with_field(mut self, field: &'static str) -> AnswerError {
        self.0.field = Some(field);
        self
    }

    /// Attaches the diagnostics behind the error (a contract that does not apply).
    pub fn with_diagnostics(mut self, diagnostics: Vec<JsonDiagnostic>) -> AnswerError {
        self.0.diagnostics = diagnostics;
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The stable code, as `{"error": {"code": ...}}` names it.
    pub fn code(&self) -> &'static str {
        self.0.code
    }

    /// What is wrong and where.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The command line words some errors with its flags (`--plan`, `--auto-recharge`).
    pub(crate) fn with_cli_wording(mut self, message: String, help: Option<String>) -> Self {
        self.0.cli = Some((message, help));
        self
    }

    /// The message and help as the command line prints them.
    pub(crate) fn cli_wording(&self) -> (&str, Option<&str>) {
        match &self.0.cli {
            Some((m, h)) => (m, h.as_deref()),
            None => (&self.0.message, self.0.help.as_deref()),
        }
    }

    /// What to do, when the message does not already say it.
    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// The question's field the error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        self.0.field
    }

    /// The diagnostics behind the error, each with its file, line and column.
    pub fn diagnostics(&self) -> &[JsonDiagnostic] {
        &self.0.diagnostics
    }

    /// The error as JSON: `{"error": {"code", "message", "help"?, "field"?, "diagnostics"?}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.body()).unwrap_or_default()
    }

    /// The error's JSON body as a value.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.0.code.to_string(),
                message: self.0.message.clone(),
                help: self.0.help.clone(),
                field: self.0.field.map(str::to_string),
                diagnostics: self.0.diagnostics.clone(),
            },
        }
    }
}

/// `{"error": {...}}`, the JSON of an [`AnswerError`].
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The inside of an [`ErrorBody`].
#[derive(Debug, Clone, Serialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<JsonDiagnostic>,
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)?;
        match &self.0.help {
            Some(h) => write!(f, "; {h}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for AnswerError {}

impl From<NameError> for AnswerError {
    fn from(e: NameError) -> AnswerError {
        AnswerError::invalid(Code::UnknownReference, e.message()).with_help(e.help())
    }
}

impl From<QuantityError> for AnswerError {
    fn from(e: QuantityError) -> AnswerError {
        // A number too long or too precise is out of range; anything else does not read.
        let code = match &e {
            QuantityError::NotADecimal(v)
                if v.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'_') =>
            {
                Code::NumberRange
            }
            _ => Code::InvalidValue,
        };
        AnswerError::invalid(code, e.to_string())
    }
}

/// A positionless diagnostic about the question (a unit of another dimension, a dimension value
/// the product does not have).
impl From<Diagnostic> for AnswerError {
    fn from(d: Diagnostic) -> AnswerError {
        let e = AnswerError::new(ErrorKind::Invalid, d.code.name(), d.message);
        match d.help {
            Some(h) => e.with_help(h),
            None => e,
        }
    }
}

impl From<BillError> for AnswerError {
    fn from(e: BillError) -> AnswerError {
        AnswerError::invalid(e.code(), e.to_string())
    }
}

/// Reads a question's date (`YYYY-MM-DD`); `field` names it in the error.
pub fn parse_date(field: &'static str, text: &str) -> Result<Date, AnswerError> {
    Date::parse(text.trim()).ok_or_else(|| {
        let bare = format!("`{text}` is not a date");
        AnswerError::bad_request(format!("{field}: {bare}"))
            .with_help("write YYYY-MM-DD")
            .with_field(field)
            .with_cli_wording(bare, Some("write YYYY-MM-DD".into()))
    })
}

/// The plan a question names, or the book's only plan (none when it has no plans).
pub(crate) fn plan_or_only(
    table: &crate::table::RatingTable,
    plan: Option<&str>,
) -> Result<Option<crate::table::PlanId>, AnswerError> {
    match plan {
        Some(name) => Ok(Some(table.find_plan(name)?)),
        None => match table.plans.len() {
            0 => Ok(None),
            1 => Ok(Some(0)),
            n => {
                let slugs: Vec<String> = table.plans.iter().map(|p| p.slug.clone()).collect();
                let names = crate::base::names::quoted_list(&slugs, "or");
                Err(AnswerError::invalid(
                    Code::MissingStatement,
                    format!("the book has {n} plans, and no plan was given"),
                )
                .with_field("plan")
                .with_help(format!("name one with `plan`: {names}"))
                .with_cli_wording(
                    format!("the book has {n} plans, and no --plan was given"),
                    Some(format!("name one with --plan: {names}")),
                ))
            }
        },
    }
}
