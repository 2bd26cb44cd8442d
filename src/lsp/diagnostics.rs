//! The checker's diagnostics as LSP diagnostics: the same codes, messages, help and related
//! locations `pricebook check` reports, positioned in the file (or, for a label in a contract's
//! book, in the book).

use super::analysis::Analysis;
use crate::base::span::Span;
use crate::diagnostic::{Code, Diagnostic, Severity};
use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::{
    self as lsp, DiagnosticRelatedInformation, DiagnosticTag, Location, NumberOrString, Range, Uri,
};

/// What a code action needs to know about a diagnostic, carried in its `data`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub(super) struct Fixes {
    /// The names a "did you mean" help suggests, to replace the diagnostic's range with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
    /// A warning's code, which an `allow` can silence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<String>,
}

/// The names a help line suggests: the backquoted names of its "did you mean ...?" sentence.
pub(super) fn suggestions(help: &str) -> Vec<String> {
    let Some(start) = help.find("did you mean ") else {
        return Vec::new();
    };
    let sentence = &help[start..];
    let end = sentence.find('?').unwrap_or(sentence.len());
    sentence[..end]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Where a span of the check is: in the file, or in a contract's book.
pub(super) fn locate(a: &Analysis, span: Span) -> Option<(Uri, Range)> {
    let base = a.checked.base;
    if span.start >= base {
        let own = Span::new(span.start - base, span.end.saturating_sub(base));
        return Some((a.source.uri.clone(), a.lines.range(a.text(), own)));
    }
    let book = a.book.as_ref()?;
    Some((
        book.source.uri.clone(),
        book.lines.range(&book.source.text, span),
    ))
}

/// One diagnostic of the file. `extra` diagnostics (across files) are in the file's own
/// positions.
pub(super) fn to_lsp(a: &Analysis, d: &Diagnostic, own: bool) -> lsp::Diagnostic {
    let place = |s: Span| {
        if own {
            Some((a.source.uri.clone(), a.lines.range(a.text(), s)))
        } else {
            locate(a, s)
        }
    };
    let range = d.span().and_then(place).map(|(_, r)| r).unwrap_or_default();
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .skip(1)
        .filter_map(|l| {
            let (uri, range) = place(l.span)?;
            Some(DiagnosticRelatedInformation {
                location: Location { uri, range },
                message: l.message.clone(),
            })
        })
        .collect();
    let mut message = d.message.clone();
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    let fixes = Fixes {
        suggestions: d.help.as_deref().map(suggestions).unwrap_or_default(),
        allow: (d.severity == Severity::Warning).then(|| d.code.name().to_string()),
    };
    lsp::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.name().to_string())),
        code_description: None,
        source: Some("pricebook".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: matches!(d.code, Code::UselessAllow | Code::UnusedProduct)
            .then(|| vec![DiagnosticTag::UNNECESSARY]),
        data: (fixes != Fixes::default())
            .then(|| serde_json::to_value(&fixes).ok())
            .flatten(),
    }
}

/// Every diagnostic of a file: the check's, and the rules across files (`extra`, in the file's
/// own positions).
pub(super) fn of_file(a: &Analysis, extra: &[Diagnostic]) -> Vec<lsp::Diagnostic> {
    a.checked
        .check
        .diagnostics
        .iter()
        .map(|d| to_lsp(a, d, false))
        .chain(extra.iter().map(|d| to_lsp(a, d, true)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_read_from_help() {
        assert_eq!(suggestions("did you mean `measure`?"), ["measure"]);
        assert_eq!(
            suggestions("did you mean `1080p`? `resolution` has: 720p, 1080p"),
            ["1080p"]
        );
        assert_eq!(
            suggestions("did you mean `a`, `b` or `c`?"),
            ["a", "b", "c"]
        );
        assert!(suggestions("write `20 minute`").is_empty());
    }
}
