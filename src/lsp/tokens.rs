//! Semantic tokens: names by what they name (a product, a plan, a unit, ...; declarations marked
//! as such), the grammar's keywords, numbers, strings and comments.

use super::analysis::Analysis;
use super::lex::{self, TokKind};
use super::symbols::Kind;
use crate::base::span::Span;
use std::collections::HashSet;
use std::sync::OnceLock;
use tower_lsp_server::ls_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend,
};

/// The token types, in the legend's order.
const TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,
    SemanticTokenType::COMMENT,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::OPERATOR,
    SemanticTokenType::NAMESPACE,
    SemanticTokenType::TYPE,
    SemanticTokenType::ENUM,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::CLASS,
    SemanticTokenType::STRUCT,
    SemanticTokenType::INTERFACE,
    SemanticTokenType::FUNCTION,
];

const DECLARATION: u32 = 1;

pub(super) fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: vec![SemanticTokenModifier::DECLARATION],
    }
}

fn index(t: &SemanticTokenType) -> u32 {
    TYPES.iter().position(|x| x == t).unwrap_or(0) as u32
}

fn of_kind(kind: Kind) -> u32 {
    index(&match kind {
        Kind::Vendor => SemanticTokenType::NAMESPACE,
        Kind::Unit => SemanticTokenType::TYPE,
        Kind::Dimension => SemanticTokenType::ENUM,
        Kind::DimValue => SemanticTokenType::ENUM_MEMBER,
        Kind::Attribute => SemanticTokenType::PROPERTY,
        Kind::Product => SemanticTokenType::CLASS,
        Kind::Plan => SemanticTokenType::STRUCT,
        Kind::Pack => SemanticTokenType::INTERFACE,
        Kind::Test => SemanticTokenType::FUNCTION,
    })
}

/// The language's keywords, from the grammar.
fn keywords() -> &'static HashSet<String> {
    static K: OnceLock<HashSet<String>> = OnceLock::new();
    K.get_or_init(|| crate::syntax::grammar::keywords().into_iter().collect())
}

/// The tokens of a file, encoded as LSP wants them (each relative to the one before).
pub(super) fn tokens(a: &Analysis) -> Vec<SemanticToken> {
    let text = a.text();
    // Names first: they win over the words and strings they cover.
    let mut marked: Vec<(Span, u32, u32)> = a
        .symbols()
        .defs
        .iter()
        .map(|d| (d.span, of_kind(d.kind), DECLARATION))
        .chain(
            a.symbols()
                .refs
                .iter()
                .map(|r| (r.span, of_kind(r.kind), 0)),
        )
        .filter(|(s, _, _)| s.end > s.start)
        .collect();
    marked.sort_by_key(|m| (m.0.start, m.0.end));
    let named = |s: Span| {
        let i = marked.partition_point(|m| m.0.end <= s.start);
        marked.get(i).is_some_and(|m| m.0.start < s.end)
    };
    let mut all: Vec<(Span, u32, u32)> = Vec::new();
    // The word after `measure` names what a product measures (`time`, `image`): the dimension
    // of its units, coloured as units are.
    let mut after_measure = false;
    for t in lex::tokens(text, text.len()) {
        let measured = std::mem::take(&mut after_measure);
        let ty = match t.kind {
            TokKind::Comment => SemanticTokenType::COMMENT,
            TokKind::String => SemanticTokenType::STRING,
            TokKind::Number => SemanticTokenType::NUMBER,
            TokKind::Word => {
                let word = &text[t.span.start..t.span.end];
                if keywords().contains(word) {
                    after_measure = word == "measure";
                    SemanticTokenType::KEYWORD
                } else if measured {
                    SemanticTokenType::TYPE
                } else {
                    continue;
                }
            }
            TokKind::Punct => match &text[t.span.start..t.span.end] {
                "==" | "<=" | ">=" | "<" | ">" | "/" | ".." | "=" => SemanticTokenType::OPERATOR,
                _ => continue,
            },
        };
        if !named(t.span) {
            all.push((t.span, index(&ty), 0));
        }
    }
    all.extend(marked);
    all.sort_by_key(|m| (m.0.start, m.0.end));
    let mut out = Vec::with_capacity(all.len());
    let (mut line, mut col) = (0u32, 0u32);
    let mut last_end = 0usize;
    for (span, ty, modifiers) in all {
        if span.start < last_end {
            continue;
        }
        let start = a.lines.position(text, span.start);
        let end = a.lines.position(text, span.end);
        // A token stays on its line.
        let length = if end.line == start.line {
            end.character - start.character
        } else {
            continue;
        };
        let delta_line = start.line - line;
        let delta_start = if delta_line == 0 {
            start.character - col
        } else {
            start.character
        };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: ty,
            token_modifiers_bitset: modifiers,
        });
        line = start.line;
        col = start.character;
        last_end = span.end;
    }
    out
}
