//! Diagnostics as plain values.
//!
//! Every phase pushes [`Diagnostic`]s into a list and keeps going; nothing is thrown. Source text
//! is attached only when a report is rendered ([`render_human`], [`to_json`], [`render_github`]),
//! so diagnostics stay cheap to build and compare.

mod asked;

use crate::base::span::Span;
use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is. Warnings do not fail `check` unless `--deny warnings` is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $severity:ident; )*) => {
        /// A stable diagnostic code. The kebab-case name is the contract: it appears in JSON
        /// output, in `allow` declarations and in the README's catalogue.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $(#[$doc])* $variant, )* }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable name, such as `unknown-reference`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The severity a diagnostic of this code has.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// Looks a code up by its name.
            pub fn from_name(name: &str) -> Option<Code> {
                match name { $($name => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    /// The text does not follow the grammar.
    Syntax = "syntax-error", Error;
    /// A number too large or too precise for exact decimal arithmetic.
    NumberRange = "number-out-of-range", Error;
    /// A date that is not a real calendar date.
    InvalidDate = "invalid-date", Error;
    /// A book without its `pricebook ...` header, or with two.
    Header = "header", Error;
    /// A name that refers to nothing.
    UnknownReference = "unknown-reference", Error;
    /// Two definitions of one name.
    Duplicate = "duplicate-definition", Error;
    /// A statement given twice, or two statements that contradict each other.
    ConflictingStatement = "conflicting-statement", Error;
    /// A required statement is missing.
    MissingStatement = "missing-statement", Error;
    /// A quantity in the wrong dimension (`credit / second` on an image product).
    UnitMismatch = "unit-mismatch", Error;
    /// Unit conversions that loop or disagree.
    ConversionCycle = "conversion-cycle", Error;
    /// A combination of dimension values with no rate.
    MatrixCellMissing = "matrix-cell-missing", Error;
    /// A combination of dimension values rated twice.
    MatrixCellDuplicate = "matrix-cell-duplicate", Error;
    /// A dimension value that the dimension does not declare.
    UnknownDimensionValue = "unknown-dimension-value", Error;
    /// Tiers that overlap, leave a gap or do not increase.
    TierBounds = "tier-bounds", Error;
    /// A negative price, or a zero price where only `free` is meaningful.
    NonPositivePrice = "non-positive-price", Error;
    /// A value that is out of place (a fractional priority, a front-load of 0 months, ...).
    InvalidValue = "invalid-value", Error;
    /// A contract rate below the book's declared floor.
    RateUnderFloor = "rate-under-floor", Error;
    /// Overage priced below the included rate.
    OverageCheaper = "overage-cheaper", Warning;
    /// A grant that does not say when it expires.
    GrantWithoutExpiry = "grant-without-expiry", Error;
    /// A pack offered to a plan that does not allow packs.
    PackNotAllowed = "pack-not-allowed", Error;
    /// A product priced in money in a wallet book, without `outside wallet`.
    MoneyInWallet = "money-in-wallet", Error;
    /// A product no plan offers.
    UnusedProduct = "unused-product", Warning;
    /// Two plans with the same price, grants and limits.
    IdenticalPlans = "identical-plans", Warning;
    /// Two versions of one vendor in force from the same day.
    DuplicateEffectiveDate = "duplicate-effective-date", Error;
    /// A worked example whose expectation does not hold.
    TestFailed = "test-failed", Error;
    /// A date on which the book (or version) is not in force: before its effective date.
    NotInForce = "not-in-force", Error;
    /// An `allow` for a warning that never fired, or for an error.
    UselessAllow = "useless-allow", Warning;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A labelled source range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One finding about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// The first label is the primary one: its position is the diagnostic's position.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic of `code` at its default severity.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// Adds a label; the first one added is the primary position.
    pub fn label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The primary span, if any.
    pub fn span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A diagnostic in one line: its message, then its help. What a usage file's bad line says.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.help {
            Some(h) => write!(f, "{}; {h}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A source file: its display name and text, with a line index for positions.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self.text[start..offset].chars().count() + 1;
        (line + 1, col)
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        let end = span.end.min(self.text.len());
        let start = span.start.min(end);
        &self.text[start..end]
    }

    /// A span clamped inside the text: miette mishandles a span that starts at the very end.
    fn clamp(&self, span: Span) -> Span {
        let len = self.text.len();
        if len == 0 {
            return Span::new(0, 0);
        }
        let start = span.start.min(len);
        let end = span.end.min(len).max(start);
        if start == len {
            // Point at the last character instead of one past it.
            let last = self.text[..len]
                .char_indices()
                .last()
                .map(|(i, _)| i)
                .unwrap_or(0);
            return Span::new(last, len);
        }
        Span::new(start, end)
    }
}

/// The diagnostics of one file, as reported by `check`.
#[derive(Debug, Clone)]
pub struct FileReport<'a> {
    pub file: &'a SourceFile,
    pub diagnostics: &'a [Diagnostic],
}

// ------------------------------------------------------------------------------------------------
// Human rendering through miette

/// Adapter giving a diagnostic and its source to miette's renderer.
struct MietteView<'a> {
    diag: &'a Diagnostic,
    file: &'a SourceFile,
    source: miette::NamedSource<String>,
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("pricebook::{}", self.diag.code)))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.file.text.is_empty() {
            return None;
        }
        Some(Box::new(self.diag.labels.iter().enumerate().map(
            |(i, l)| {
                let span = self.file.clamp(l.span);
                let text = (!l.message.is_empty()).then(|| l.message.clone());
                if i == 0 {
                    miette::LabeledSpan::new_primary_with_span(text, (span.start, span.len()))
                } else {
                    miette::LabeledSpan::new_with_span(text, (span.start, span.len()))
                }
            },
        )))
    }
}

/// Renders one diagnostic as a human report: no colour, `width` columns, unicode frame.
pub fn render_human(diag: &Diagnostic, file: &SourceFile, width: usize) -> String {
    let view = MietteView {
        diag,
        file,
        source: miette::NamedSource::new(file.name.clone(), file.text.clone()),
    };
    let mut out = String::new();
    render_with_miette(&view, width, &mut out);
    out
}

#[cfg(feature = "cli")]
fn render_with_miette(view: &MietteView<'_>, width: usize, out: &mut String) {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(width)
            .with_links(false);
    if handler.render_report(out, view).is_err() {
        render_plain(view, out);
    }
}

#[cfg(not(feature = "cli"))]
fn render_with_miette(view: &MietteView<'_>, _width: usize, out: &mut String) {
    render_plain(view, out);
}

fn render_plain(view: &MietteView<'_>, out: &mut String) {
    use std::fmt::Write;
    let (line, col) = view
        .diag
        .span()
        .map(|s| view.file.line_col(s.start))
        .unwrap_or((1, 1));
    let _ = writeln!(
        out,
        "{}[{}]: {}\n  --> {}:{}:{}",
        match view.diag.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        view.diag.code,
        view.diag.message,
        view.file.name,
        line,
        col
    );
    if let Some(help) = &view.diag.help {
        let _ = writeln!(out, "  help: {help}");
    }
}

// ------------------------------------------------------------------------------------------------
// Machine formats

/// One diagnostic in the `check --format json` contract.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub help: Option<String>,
    pub end_line: usize,
    pub end_column: usize,
    pub labels: Vec<JsonLabel>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JsonLabel {
    pub line: usize,
    pub column: usize,
    pub text: String,
    pub message: String,
}

/// Converts a diagnostic to its JSON form, with positions resolved against `file`.
pub fn to_json(diag: &Diagnostic, file: &SourceFile) -> JsonDiagnostic {
    let span = diag.span().unwrap_or_default();
    let (line, column) = file.line_col(span.start);
    let (end_line, end_column) = file.line_col(span.end);
    JsonDiagnostic {
        code: diag.code.name().to_string(),
        severity: diag.severity,
        message: diag.message.clone(),
        file: file.name.clone(),
        line,
        column,
        help: diag.help.clone(),
        end_line,
        end_column,
        labels: diag
            .labels
            .iter()
            .map(|l| {
                let (line, column) = file.line_col(l.span.start);
                JsonLabel {
                    line,
                    column,
                    text: file.slice(l.span).to_string(),
                    message: l.message.clone(),
                }
            })
            .collect(),
    }
}

/// A GitHub Actions workflow command (`::error file=..,line=..::message`).
pub fn render_github(diag: &Diagnostic, file: &SourceFile) -> String {
    let j = to_json(diag, file);
    let level = match diag.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut message = format!("{} [{}]", j.message, j.code);
    if let Some(help) = &j.help {
        message.push_str(" help: ");
        message.push_str(help);
    }
    format!(
        "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        escape_property(&j.file),
        j.line,
        j.column,
        j.end_line,
        j.end_column,
        escape_property(&j.code),
        escape_data(&message)
    )
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let f = SourceFile::new("x", "ab\ncd\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(4), (2, 2));
        assert_eq!(f.line_col(99), (3, 1));
    }

    #[test]
    fn every_code_round_trips_by_name() {
        for code in Code::ALL {
            assert_eq!(Code::from_name(code.name()), Some(*code));
        }
    }
}
