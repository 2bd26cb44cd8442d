//! Code actions: the fix every "did you mean" suggests, and `allow <code> "reason"` for a warning,
//! in the item it is about or for the whole book.

use super::analysis::Analysis;
use super::diagnostics::Fixes;
use crate::base::span::Span;
use crate::syntax::ast::Item;
use std::collections::HashMap;
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, Diagnostic, Position, Range, TextEdit, Uri, WorkspaceEdit,
};

fn edit(uri: &Uri, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}

/// The code actions for the diagnostics the editor sends back (those of this server).
pub(super) fn actions(a: &Analysis, diagnostics: &[Diagnostic]) -> Vec<CodeAction> {
    let uri = &a.source.uri;
    let mut out = Vec::new();
    for d in diagnostics {
        if d.source.as_deref() != Some("pricebook") {
            continue;
        }
        let Some(fixes) = d
            .data
            .clone()
            .and_then(|v| serde_json::from_value::<Fixes>(v).ok())
        else {
            continue;
        };
        let written = {
            let s = a.lines.span(a.text(), d.range);
            a.text().get(s.start..s.end).unwrap_or("")
        };
        for (i, s) in fixes.suggestions.iter().enumerate() {
            let new = if written.starts_with('"') && !s.starts_with('"') {
                format!("\"{s}\"")
            } else {
                s.clone()
            };
            out.push(CodeAction {
                title: format!("Replace `{written}` with `{s}`"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(edit(
                    uri,
                    vec![TextEdit {
                        range: d.range,
                        new_text: new,
                    }],
                )),
                is_preferred: Some(i == 0),
                ..CodeAction::default()
            });
        }
        if let Some(code) = &fixes.allow {
            out.extend(allows(a, d, code));
        }
    }
    out
}

/// `allow <code> "..."` inserted first in the product, plan or pack the warning is in, and at the
/// top of the book after its header.
fn allows(a: &Analysis, d: &Diagnostic, code: &str) -> Vec<CodeAction> {
    let at = a.lines.offset(a.text(), d.range.start);
    let line = format!("allow {code} \"why this is allowed\"");
    let mut out = Vec::new();
    let item = a.parsed.book.items.iter().find(|i| {
        matches!(i.node, Item::Product(_) | Item::Plan(_) | Item::Pack(_))
            && i.span.start <= at
            && at < i.span.end
    });
    if let Some(item) = item {
        let text = a.text();
        if let Some(brace) = text
            .get(item.span.start..item.span.end)
            .and_then(|t| t.find('{'))
        {
            let pos = a.lines.position(text, item.span.start + brace + 1);
            out.push(allow_action(
                a,
                d,
                code,
                "in this item",
                pos,
                format!("\n  {line}"),
            ));
        }
    }
    // After the header (or at the top of a file without one).
    let header_end = a
        .parsed
        .book
        .items
        .iter()
        .find(|i| matches!(i.node, Item::Header(_) | Item::Contract(_)))
        .map_or(Span::new(0, 0), |i| i.span);
    let pos = a.lines.position(a.text(), header_end.end);
    out.push(allow_action(
        a,
        d,
        code,
        "for the whole book",
        pos,
        format!("\n{line}"),
    ));
    out
}

fn allow_action(
    a: &Analysis,
    d: &Diagnostic,
    code: &str,
    scope: &str,
    pos: Position,
    text: String,
) -> CodeAction {
    CodeAction {
        title: format!("Allow `{code}` {scope}"),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![d.clone()]),
        edit: Some(edit(
            &a.source.uri,
            vec![TextEdit {
                range: Range::new(pos, pos),
                new_text: text,
            }],
        )),
        ..CodeAction::default()
    }
}
