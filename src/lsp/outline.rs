//! The outline of a file (document symbols): its header, units, dimensions and their values,
//! attributes, products, plans, packs, book rules and tests, each with its range.

use super::analysis::Analysis;
use crate::base::span::Span;
use crate::syntax::ast::Item;
use tower_lsp_server::ls_types::{DocumentSymbol, SymbolKind};

#[allow(deprecated)] // `deprecated` is a field LSP still requires to be written.
fn symbol(
    a: &Analysis,
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    whole: Span,
    name_span: Span,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    let text = a.text();
    DocumentSymbol {
        name: if name.is_empty() { "?".into() } else { name },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: a.lines.range(text, whole),
        selection_range: a.lines.range(text, name_span),
        children: (!children.is_empty()).then_some(children),
    }
}

pub(super) fn outline(a: &Analysis) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    for item in &a.parsed.book.items {
        let whole = item.span;
        let s = match &item.node {
            Item::Header(h) => symbol(
                a,
                format!("{} {}", h.vendor.node, h.version.node),
                Some(format!("effective {}", h.effective.node)),
                SymbolKind::NAMESPACE,
                whole,
                h.vendor.span,
                Vec::new(),
            ),
            Item::Contract(c) => symbol(
                a,
                format!("contract {}", c.slug.node),
                Some(format!(
                    "for {}, effective {}",
                    c.vendor.node, c.effective.node
                )),
                SymbolKind::NAMESPACE,
                whole,
                c.slug.span,
                Vec::new(),
            ),
            Item::Unit(u) => symbol(
                a,
                u.name.node.clone(),
                Some("unit".into()),
                SymbolKind::CONSTANT,
                whole,
                u.name.span,
                Vec::new(),
            ),
            Item::Dimension(d) => {
                let values = d
                    .values
                    .iter()
                    .map(|v| {
                        symbol(
                            a,
                            v.node.clone(),
                            None,
                            SymbolKind::ENUM_MEMBER,
                            v.span,
                            v.span,
                            Vec::new(),
                        )
                    })
                    .collect();
                symbol(
                    a,
                    d.name.node.clone(),
                    Some("dimension".into()),
                    SymbolKind::ENUM,
                    whole,
                    d.name.span,
                    values,
                )
            }
            Item::Attribute(at) => {
                let name_span = match (at.name.first(), at.name.last()) {
                    (Some(f), Some(l)) => Span::new(f.span.start, l.span.end),
                    _ => whole,
                };
                symbol(
                    a,
                    at.display_name(),
                    Some("attribute".into()),
                    SymbolKind::PROPERTY,
                    whole,
                    name_span,
                    Vec::new(),
                )
            }
            Item::Product(p) => symbol(
                a,
                p.slug.node.clone(),
                Some(p.display.node.clone()),
                SymbolKind::CLASS,
                whole,
                p.slug.span,
                Vec::new(),
            ),
            Item::Plan(p) => symbol(
                a,
                p.slug.node.clone(),
                Some(p.display.node.clone()),
                SymbolKind::STRUCT,
                whole,
                p.slug.span,
                Vec::new(),
            ),
            Item::Pack(p) => symbol(
                a,
                p.slug.node.clone(),
                Some(p.display.node.clone()),
                SymbolKind::INTERFACE,
                whole,
                p.slug.span,
                Vec::new(),
            ),
            Item::Billing(b) => symbol(
                a,
                match &b.period {
                    Some(p) => format!("billing {}", p.node),
                    None => "billing".to_string(),
                },
                None,
                SymbolKind::OBJECT,
                whole,
                b.period.as_ref().map_or(item.span, |p| p.span),
                Vec::new(),
            ),
            Item::Moves(_) => symbol(
                a,
                "existing subscribers move".into(),
                None,
                SymbolKind::OBJECT,
                whole,
                whole,
                Vec::new(),
            ),
            Item::Recharge(_) => symbol(
                a,
                "auto recharge".into(),
                None,
                SymbolKind::OBJECT,
                whole,
                whole,
                Vec::new(),
            ),
            Item::Test(t) => {
                let state = a
                    .tests
                    .iter()
                    .find(|s| s.item == whole)
                    .map(|s| super::lens::verdict(&s.state));
                symbol(
                    a,
                    t.name.node.clone(),
                    state,
                    SymbolKind::FUNCTION,
                    whole,
                    t.name.span,
                    Vec::new(),
                )
            }
            _ => continue,
        };
        out.push(s);
    }
    out
}
