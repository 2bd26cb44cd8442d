//! Go to definition, find references and rename: a name at the cursor, the declaration it refers
//! to, and every use of that declaration in its file and in the contracts that layer on it.

use super::analysis::Analysis;
use super::symbols::{At, Def, Kind};
use crate::base::span::Span;
use std::sync::Arc;
use tower_lsp_server::ls_types::{Location, Uri};

/// A declaration, and the file it is in.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub def: Def,
    pub uri: Uri,
}

/// The declaration the name at `offset` declares or refers to.
pub(super) fn target(a: &Analysis, offset: usize) -> Option<Target> {
    match a.symbols().at(offset)? {
        At::Def(d) => Some(Target {
            def: d.clone(),
            uri: a.source.uri.clone(),
        }),
        At::Ref(r) => {
            let (d, in_book) = a.resolve(r.kind, &r.name, r.parent.as_deref())?;
            let uri = match (&a.book, in_book) {
                (Some(b), true) => b.source.uri.clone(),
                _ => a.source.uri.clone(),
            };
            Some(Target {
                def: d.clone(),
                uri,
            })
        }
    }
}

/// Where a declaration is, as a location.
pub(super) fn location(a: &Analysis, t: &Target) -> Option<Location> {
    if t.uri == a.source.uri {
        return Some(Location {
            uri: t.uri.clone(),
            range: a.lines.range(a.text(), t.def.span),
        });
    }
    let b = a.book.as_ref().filter(|b| b.source.uri == t.uri)?;
    Some(Location {
        uri: t.uri.clone(),
        range: b.lines.range(&b.source.text, t.def.span),
    })
}

/// The uses of a declaration in one file (the declaration's own, or a contract on its book),
/// as spans of that file.
pub(super) fn uses_in(a: &Analysis, t: &Target) -> Vec<Span> {
    let own = a.source.uri == t.uri;
    let on_book = a.book.as_ref().is_some_and(|b| b.source.uri == t.uri);
    a.symbols()
        .refs
        .iter()
        .filter(|r| r.kind == t.def.kind)
        .filter(|r| {
            let here = a.symbols().find(r.kind, &r.name, r.parent.as_deref());
            if own {
                here.is_some_and(|d| d.span == t.def.span)
            } else if on_book {
                here.is_none()
                    && a.book.as_ref().is_some_and(|b| {
                        b.symbols
                            .find(r.kind, &r.name, r.parent.as_deref())
                            .is_some_and(|d| d.span == t.def.span)
                    })
            } else {
                false
            }
        })
        .map(|r| r.span)
        .collect()
}

/// Every use of a declaration across `files` (its own file first), with the declaration itself
/// when asked.
pub(super) fn references(
    files: &[Arc<Analysis>],
    t: &Target,
    with_declaration: bool,
) -> Vec<Location> {
    let mut out = Vec::new();
    for a in files {
        if with_declaration && a.source.uri == t.uri {
            out.push(Location {
                uri: t.uri.clone(),
                range: a.lines.range(a.text(), t.def.span),
            });
        }
        for s in uses_in(a, t) {
            out.push(Location {
                uri: a.source.uri.clone(),
                range: a.lines.range(a.text(), s),
            });
        }
    }
    out
}

/// Whether a declaration of this kind can be renamed, and what a new name must look like.
pub(super) fn renamable(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Unit | Kind::Dimension | Kind::DimValue | Kind::Product | Kind::Plan | Kind::Pack
    )
}

/// Why `name` cannot be the new name of a declaration of `kind`, if it cannot.
pub(super) fn invalid_name(kind: Kind, name: &str) -> Option<String> {
    let mut chars = name.chars();
    let first_ok = match kind {
        Kind::DimValue => chars.next().is_some_and(|c| c.is_ascii_alphanumeric()),
        _ => chars.next().is_some_and(|c| c.is_ascii_alphabetic()),
    };
    let rest_ok = chars.all(|c| {
        c.is_ascii_alphanumeric()
            || c == '_'
            || c == '-'
            || (kind == Kind::DimValue && (c == '.' || c == '+'))
    });
    if !first_ok || !rest_ok {
        return Some(format!(
            "`{name}` is not a {}: {}",
            kind.word(),
            if kind == Kind::DimValue {
                "write a letter or digit, then letters, digits, `_`, `-`, `.` or `+`"
            } else {
                "write a letter, then letters, digits, `_` or `-`"
            }
        ));
    }
    if kind != Kind::DimValue && crate::syntax::is_reserved(name) {
        return Some(format!(
            "`{name}` is a keyword of the language and cannot be a name"
        ));
    }
    None
}
