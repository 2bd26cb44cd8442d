//! Diagnostics as plain values.
//!
//! Every phase pushes [`Diagnostic`]s into a list and keeps going; nothing is thrown. Source text
//! is attached only when a report is rendered ([`render_human`], [`to_json`], [`render_github`]),
//! so diagnostics stay cheap to build and compare.

mod asked;
mod render;

pub use render::{
    JsonDiagnostic, JsonLabel, SourceMap, render_github, render_github_in, render_human,
    render_human_in, to_json, to_json_in,
};

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
        /// output, in `allow` declarations and in the catalogue of docs/language.md.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
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
    /// A limit that compares nothing a usage event carries, not marked `informational`.
    LimitNotEnforced = "limit-not-enforced", Warning;
    /// A contract's plan that leaves unset a grant or price its public plan leaves to contracts.
    ContractTermUnset = "contract-term-unset", Error;
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
    /// pricebook broke one of its own guarantees (a checked book that does not compile): a bug
    /// to report, not a mistake in the book.
    Internal = "internal-error", Error;
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
    pub(crate) fn clamp(&self, span: Span) -> Span {
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

    #[test]
    fn labels_resolve_to_the_file_they_point_into() {
        let mut map = SourceMap::new();
        map.add(SourceFile::new("book.pricebook", "unit credit\n"));
        let base = map.add(SourceFile::new("contract.pricebook", "x\nunit credit\n"));
        let d = Diagnostic::new(Code::Duplicate, "unit `credit` is declared twice")
            .label(Span::new(base + 7, base + 13), "declared again here")
            .label(Span::new(5, 11), "first declared here");
        let j = to_json_in(&d, &map);
        assert_eq!(
            (j.file.as_str(), j.line, j.column),
            ("contract.pricebook", 2, 6)
        );
        assert_eq!(j.labels[1].file, "book.pricebook");
        assert_eq!((j.labels[1].line, j.labels[1].column), (1, 6));
        let human = render_human_in(&d, &map, 100);
        assert!(human.contains("contract.pricebook:2:6"), "{human}");
        assert!(human.contains("book.pricebook:1:6"), "{human}");
        assert!(!human.contains(" + "), "{human}");
    }
}
