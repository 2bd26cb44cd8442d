//! Rendering diagnostics, the one place that turns positions into files, lines and columns:
//! for a person (miette's graphical report), as JSON, and as GitHub workflow commands.
//!
//! Spans of several files share one position space ([`SourceMap`]): a contract's diagnostics can
//! point into the contract and into the book it layers on, and each label is shown in its own
//! file.

use super::{Diagnostic, Label, Severity, SourceFile};
use crate::base::span::Span;
use serde::Serialize;
use std::fmt;

/// Files placed one after another in one position space: file `i` holds the positions
/// `base_i .. base_i + len_i`, and the next file starts one byte later.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<(usize, SourceFile)>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file after the others and returns its base offset (what its spans are shifted by).
    pub fn add(&mut self, file: SourceFile) -> usize {
        let base = self.files.last().map_or(0, |(b, f)| b + f.text.len() + 1);
        self.files.push((base, file));
        base
    }

    /// The file holding a position, and its base offset.
    pub fn file_of(&self, pos: usize) -> Option<(usize, &SourceFile)> {
        self.files
            .iter()
            .rev()
            .find(|(b, _)| *b <= pos)
            .or(self.files.first())
            .map(|(b, f)| (*b, f))
    }

    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter().map(|(_, f)| f)
    }

    /// The base offset of the file of this name.
    pub fn base_of(&self, name: &str) -> Option<usize> {
        self.files
            .iter()
            .find(|(_, f)| f.name == name)
            .map(|(b, _)| *b)
    }

    /// The file, 1-based line and column of a position.
    pub fn locate(&self, pos: usize) -> Option<(&SourceFile, usize, usize)> {
        let (base, file) = self.file_of(pos)?;
        let (line, col) = file.line_col(pos - base);
        Some((file, line, col))
    }

    /// The diagnostic's labels, grouped by the file they point into (the primary label's file
    /// first), with spans local to that file.
    fn split(&self, diag: &Diagnostic) -> Vec<(&SourceFile, Vec<Label>)> {
        let mut groups: Vec<(usize, &SourceFile, Vec<Label>)> = Vec::new();
        for l in &diag.labels {
            let Some((base, file)) = self.file_of(l.span.start) else {
                continue;
            };
            let local = Label {
                span: Span::new(l.span.start - base, l.span.end.saturating_sub(base)),
                message: l.message.clone(),
            };
            match groups.iter_mut().find(|(b, _, _)| *b == base) {
                Some(g) => g.2.push(local),
                None => groups.push((base, file, vec![local])),
            }
        }
        if groups.is_empty() {
            if let Some((b, f)) = self.files.first() {
                groups.push((*b, f, Vec::new()));
            }
        }
        groups.into_iter().map(|(_, f, l)| (f, l)).collect()
    }
}

impl From<SourceFile> for SourceMap {
    fn from(file: SourceFile) -> SourceMap {
        let mut m = SourceMap::new();
        m.add(file);
        m
    }
}

// ------------------------------------------------------------------------------------------------
// Human rendering through miette

/// Adapter giving a diagnostic and its source to miette's renderer; labels in other files are
/// related reports, each with its own source.
struct MietteView<'a> {
    diag: &'a Diagnostic,
    message: String,
    labels: Vec<Label>,
    file: &'a SourceFile,
    source: miette::NamedSource<String>,
    related: Vec<MietteView<'a>>,
    primary: bool,
}

impl<'a> MietteView<'a> {
    fn new(diag: &'a Diagnostic, map: &'a SourceMap) -> Option<MietteView<'a>> {
        let mut groups = map.split(diag).into_iter();
        let (file, labels) = groups.next()?;
        let related = groups
            .map(|(f, labels)| MietteView {
                diag,
                message: labels.first().map_or_else(
                    || diag.message.clone(),
                    |l| format!("{}: {}", f.name, l.message),
                ),
                labels,
                file: f,
                source: miette::NamedSource::new(f.name.clone(), f.text.clone()),
                related: Vec::new(),
                primary: false,
            })
            .collect();
        Some(MietteView {
            diag,
            message: diag.message.clone(),
            labels,
            file,
            source: miette::NamedSource::new(file.name.clone(), file.text.clone()),
            related,
            primary: true,
        })
    }
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.primary
            .then(|| Box::new(format!("pricebook::{}", self.diag.code)) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match (self.diag.severity, self.primary) {
            (_, false) => miette::Severity::Advice,
            (Severity::Error, true) => miette::Severity::Error,
            (Severity::Warning, true) => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if !self.primary {
            return None;
        }
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
        Some(Box::new(self.labels.iter().enumerate().map(|(i, l)| {
            let span = self.file.clamp(l.span);
            let text = (!l.message.is_empty()).then(|| l.message.clone());
            if i == 0 {
                miette::LabeledSpan::new_primary_with_span(text, (span.start, span.len()))
            } else {
                miette::LabeledSpan::new_with_span(text, (span.start, span.len()))
            }
        })))
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// Renders one diagnostic of one file as a human report: no colour, `width` columns.
pub fn render_human(diag: &Diagnostic, file: &SourceFile, width: usize) -> String {
    render_human_in(diag, &SourceMap::from(file.clone()), width)
}

/// Renders one diagnostic whose labels may point into several files of `map`.
pub fn render_human_in(diag: &Diagnostic, map: &SourceMap, width: usize) -> String {
    let mut out = String::new();
    match MietteView::new(diag, map) {
        Some(view) => render_with_miette(&view, width, &mut out),
        None => out = format!("{}: {}\n", diag.code, diag.message),
    }
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
        .labels
        .first()
        .map(|l| view.file.line_col(l.span.start))
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
    for r in &view.related {
        if let Some(l) = r.labels.first() {
            let (line, col) = r.file.line_col(l.span.start);
            let _ = writeln!(
                out,
                "  --> {}:{}:{} ({})",
                r.file.name, line, col, l.message
            );
        }
    }
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
    /// The file the label points into (a contract's label may point into its book).
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub text: String,
    pub message: String,
}

/// Converts a diagnostic of one file to its JSON form.
pub fn to_json(diag: &Diagnostic, file: &SourceFile) -> JsonDiagnostic {
    to_json_in(diag, &SourceMap::from(file.clone()))
}

/// Converts a diagnostic to its JSON form, with every position resolved to its file.
pub fn to_json_in(diag: &Diagnostic, map: &SourceMap) -> JsonDiagnostic {
    let groups = map.split(diag);
    let (file, primary) = groups
        .first()
        .map(|(f, l)| (*f, l.first().map(|l| l.span)))
        .unwrap_or((&EMPTY, None));
    let span = primary.unwrap_or_default();
    let (line, column) = file.line_col(span.start);
    let (end_line, end_column) = file.line_col(span.end);
    let labels = groups
        .iter()
        .flat_map(|(f, labels)| {
            labels.iter().map(move |l| {
                let (line, column) = f.line_col(l.span.start);
                JsonLabel {
                    file: f.name.clone(),
                    line,
                    column,
                    text: f.slice(l.span).to_string(),
                    message: l.message.clone(),
                }
            })
        })
        .collect();
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
        labels,
    }
}

static EMPTY: std::sync::LazyLock<SourceFile> =
    std::sync::LazyLock::new(|| SourceFile::new("", ""));

/// A GitHub Actions workflow command (`::error file=..,line=..::message`) for a diagnostic of
/// one file.
pub fn render_github(diag: &Diagnostic, file: &SourceFile) -> String {
    render_github_in(diag, &SourceMap::from(file.clone()))
}

/// A GitHub Actions workflow command, at the primary label's file.
pub fn render_github_in(diag: &Diagnostic, map: &SourceMap) -> String {
    let j = to_json_in(diag, map);
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
