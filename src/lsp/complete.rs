//! Completion by context. The grammar says what may come next ([`expected_after`]: the keywords
//! of a block's statements, the rest of a statement, or that a name or a dimension value goes
//! here); the words before the cursor say which names (`product` and `use` take products, `plan`
//! and `based on` plans, `buy` packs, a number a unit, `dim` and a `rate` cell dimension values);
//! the file's index gives them.

use super::analysis::Analysis;
use super::lex::{self, TokKind};
use super::symbols::{Def, Kind};
use crate::base::names::same_key;
use crate::diagnostic::{Code, Severity};
use crate::syntax::grammar::{self, Block, Expected};

/// A completion: what to insert, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Item {
    pub label: String,
    pub insert: Option<String>,
    pub kind: ItemKind,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ItemKind {
    Keyword,
    Product,
    Plan,
    Pack,
    Unit,
    Dimension,
    Value,
    Attribute,
    Code,
    Word,
}

/// The completions at byte `offset` of `text` (the editor's current text); `names` is the
/// file's latest analysis, for the names it declares (it may be a little behind the text).
pub(super) fn complete(text: &str, offset: usize, names: Option<&Analysis>) -> Vec<Item> {
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return Vec::new();
    }
    let toks = lex::tokens(text, offset);
    // Inside a comment or a string: nothing.
    if toks.iter().any(|t| {
        matches!(t.kind, TokKind::Comment | TokKind::String)
            && t.span.start < offset
            && (offset < t.span.end || (t.kind == TokKind::Comment && offset == t.span.end))
    }) {
        return Vec::new();
    }
    // The word being typed is left for the editor to filter by.
    let prefix_start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .last()
        .map_or(offset, |(i, _)| i);
    let Some(&(Some(block), open)) = lex::blocks_at(text, &toks, prefix_start).last() else {
        return Vec::new();
    };
    if block == Block::Dimension {
        return Vec::new();
    }
    let line_start = text[..prefix_start].rfind('\n').map_or(0, |i| i + 1);
    let from = line_start.max(open);
    // Where the statement starts: the line's first word, or, on a line holding several, the
    // last statement keyword from which the grammar reads up to the cursor.
    let leading = grammar::statements(block);
    let mut starts: Vec<usize> = toks
        .iter()
        .filter(|t| t.span.start >= from && t.span.end <= prefix_start)
        .filter(|t| {
            let w = &text[t.span.start..t.span.end];
            leading.iter().any(|l| l.split(' ').next() == Some(w))
        })
        .map(|t| t.span.start)
        .collect();
    let first = toks
        .iter()
        .find(|t| t.span.start >= from && t.span.end <= prefix_start)
        .map_or(prefix_start, |t| t.span.start);
    starts.insert(0, first);
    starts.dedup();
    for start in starts {
        let before = &text[start..prefix_start];
        if before.trim().is_empty() {
            return keywords(&leading);
        }
        if let Some(expected) = grammar::expected_after(block, before) {
            let words: Vec<&str> = toks
                .iter()
                .filter(|t| t.span.start >= start && t.span.end <= prefix_start)
                .filter(|t| t.kind != TokKind::Comment)
                .map(|t| &text[t.span.start..t.span.end])
                .collect();
            let kinds: Vec<TokKind> = toks
                .iter()
                .filter(|t| t.span.start >= start && t.span.end <= prefix_start)
                .filter(|t| t.kind != TokKind::Comment)
                .map(|t| t.kind)
                .collect();
            // The item the block belongs to: `product "X" as <slug> {`.
            let owner = toks
                .iter()
                .filter(|t| t.span.end <= open && t.kind == TokKind::Word)
                .map(|t| &text[t.span.start..t.span.end])
                .collect::<Vec<_>>()
                .windows(2)
                .rev()
                .find(|w| w[0] == "as")
                .map(|w| w[1].to_string());
            let cx = Context {
                block,
                words: &words,
                kinds: &kinds,
                owner: owner.as_deref(),
            };
            return items(&cx, &expected, names);
        }
    }
    Vec::new()
}

fn keywords(phrases: &[String]) -> Vec<Item> {
    phrases
        .iter()
        .map(|p| Item {
            label: p.clone(),
            insert: None,
            kind: ItemKind::Keyword,
            detail: None,
        })
        .collect()
}

/// Where the cursor is: the block, the words of the statement before it, and the slug of the
/// item the block belongs to.
struct Context<'c> {
    block: Block,
    words: &'c [&'c str],
    kinds: &'c [TokKind],
    owner: Option<&'c str>,
}

/// The completions of what the grammar expects, the names chosen by the words before.
fn items(cx: &Context<'_>, expected: &[Expected], names: Option<&Analysis>) -> Vec<Item> {
    let mut out = Vec::new();
    for e in expected {
        match e {
            Expected::Keyword(k) => out.push(Item {
                label: k.clone(),
                insert: None,
                kind: ItemKind::Keyword,
                detail: None,
            }),
            Expected::Name => out.extend(names_for(cx, names)),
            Expected::DimValue => out.extend(values_for(cx, names)),
            Expected::Code => out.extend(
                Code::ALL
                    .iter()
                    .filter(|c| c.severity() == Severity::Warning)
                    .map(|c| Item {
                        label: c.name().to_string(),
                        insert: None,
                        kind: ItemKind::Code,
                        detail: Some("a warning an `allow` may silence".into()),
                    }),
            ),
            Expected::RejectionKind => {
                out.extend(grammar::rejection_kinds().into_iter().map(|k| Item {
                    label: k,
                    insert: None,
                    kind: ItemKind::Word,
                    detail: Some("a kind of rejection".into()),
                }))
            }
            _ => {}
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|i| seen.insert(i.label.clone()));
    out
}

/// The declarations of a kind, in the file and a contract's book.
fn defs(names: Option<&Analysis>, kind: Kind) -> Vec<&Def> {
    let Some(a) = names else { return Vec::new() };
    a.symbols()
        .defs
        .iter()
        .chain(a.book.iter().flat_map(|b| &b.symbols.defs))
        .filter(|d| d.kind == kind)
        .collect()
}

fn of_kind(names: Option<&Analysis>, kind: Kind, item: ItemKind) -> Vec<Item> {
    defs(names, kind)
        .into_iter()
        .map(|d| Item {
            label: d.name.clone(),
            insert: None,
            kind: item,
            detail: d.display.clone().or_else(|| Some(kind.word().to_string())),
        })
        .collect()
}

fn units(names: Option<&Analysis>) -> Vec<Item> {
    use crate::base::units::Dimension;
    let mut out = of_kind(names, Kind::Unit, ItemKind::Unit);
    // Money is the book's own currency (the header's last word), when it is known.
    let currency = names.and_then(|a| {
        let book = a.book.as_ref().map_or(a.text(), |b| &b.source.text);
        let header = book.lines().find(|l| l.starts_with("pricebook "))?;
        header.split_whitespace().last().map(str::to_string)
    });
    out.extend(
        crate::base::units::builtin_units()
            .into_iter()
            .filter(|u| match (&u.dimension, &currency) {
                (Dimension::Money(c), Some(own)) => c == own,
                _ => true,
            })
            .map(|u| Item {
                detail: Some(match &u.dimension {
                    Dimension::Count(_) => "a count".to_string(),
                    d => format!("unit of {}", d.describe()),
                }),
                label: u.name,
                insert: None,
                kind: ItemKind::Unit,
            }),
    );
    out
}

fn words_item(ws: &[&str], detail: &str) -> Vec<Item> {
    ws.iter()
        .map(|w| Item {
            label: (*w).to_string(),
            insert: None,
            kind: ItemKind::Word,
            detail: Some(detail.to_string()),
        })
        .collect()
}

/// The keyword a name belongs to: the last word before the cursor, skipping back over a list
/// (`products a, b, |` is still `products`).
fn list_head<'w>(words: &[&'w str]) -> Option<&'w str> {
    let mut i = words.len();
    while i > 0 {
        let w = words[i - 1];
        if w == "," {
            // `a ,` : skip the name before the comma too.
            i = i.saturating_sub(2);
            continue;
        }
        return Some(w);
    }
    None
}

fn names_for(cx: &Context<'_>, names: Option<&Analysis>) -> Vec<Item> {
    let (block, words) = (cx.block, cx.words);
    // A number, or the `/` of a rate: a unit (after a product's quantity, the units that
    // measure it).
    match (cx.kinds.last(), words.last()) {
        (Some(TokKind::Number), _) => {
            return match statement_product(words) {
                Some(product) => units_measuring(product, names),
                None => units(names),
            };
        }
        (_, Some(&"/")) => return units(names),
        _ => {}
    }
    let head = list_head(words).unwrap_or("");
    let before = words
        .len()
        .checked_sub(2)
        .and_then(|i| words.get(i))
        .copied();
    match (block, head) {
        (_, "product" | "use" | "products" | "deny") => {
            of_kind(names, Kind::Product, ItemKind::Product)
        }
        (Block::Plan, "rate" | "on") => of_kind(names, Kind::Product, ItemKind::Product),
        (Block::File, "on") if before == Some("based") => {
            of_kind(names, Kind::Plan, ItemKind::Plan)
        }
        (_, "plan" | "for") => of_kind(names, Kind::Plan, ItemKind::Plan),
        (_, "buy") => of_kind(names, Kind::Pack, ItemKind::Pack),
        (_, "dims") => of_kind(names, Kind::Dimension, ItemKind::Dimension),
        (_, "dim") => product_dims(words, names)
            .into_iter()
            .map(|d| Item {
                label: d,
                insert: None,
                kind: ItemKind::Dimension,
                detail: Some("dimension".into()),
            })
            .collect(),
        (_, "attr" | "limit") => of_kind(names, Kind::Attribute, ItemKind::Attribute),
        (_, "measure") => {
            let mut out = words_item(crate::base::units::MEASURES, "a measure");
            out.extend(units(names));
            out
        }
        (_, "every" | "per") => words_item(&["hour", "day", "week", "month", "year"], "a period"),
        (_, "up") if before == Some("top") => {
            let currency = names.and_then(|a| {
                a.parsed.book.items.iter().find_map(|i| match &i.node {
                    crate::syntax::ast::Item::Header(h) => Some(h.currency.node.clone()),
                    _ => None,
                })
            });
            currency
                .map(|c| words_item(&[c.as_str()], "the book's currency"))
                .unwrap_or_default()
        }
        (_, "currency") => words_item(
            &crate::base::units::CURRENCIES
                .iter()
                .map(|(c, _)| *c)
                .collect::<Vec<_>>(),
            "a currency",
        ),
        (_, "billing") => words_item(&["monthly", "annual"], "a billing period"),
        (_, "expires" | "after" | "to" | "below" | "refill" | "cap" | "minimum" | "maximum") => {
            units(names)
        }
        _ => Vec::new(),
    }
}

/// The product a statement names (`product x`, `use x`).
fn statement_product<'w>(words: &[&'w str]) -> Option<&'w str> {
    words
        .windows(2)
        .rev()
        .find(|w| matches!(w[0], "product" | "use"))
        .map(|w| w[1])
}

/// The dimensions of the product a statement names (`product x`, `use x`).
fn product_dims(words: &[&str], names: Option<&Analysis>) -> Vec<String> {
    let Some(product) = statement_product(words) else {
        return Vec::new();
    };
    dims_of_product(product, names)
}

/// The units a quantity of `product` can be written in, as a quote converts them; every unit
/// when the book cannot be priced yet or has no such product.
fn units_measuring(product: &str, names: Option<&Analysis>) -> Vec<Item> {
    let all = units(names);
    let Some(table) = names.and_then(Analysis::pricing).map(|o| &o.table) else {
        return all;
    };
    let Ok(id) = table.find_product(product) else {
        return all;
    };
    all.into_iter()
        .filter(|u| {
            table
                .base_quantity(id, rust_decimal::Decimal::ONE, &u.label)
                .is_ok()
        })
        .collect()
}

fn dims_of_product(product: &str, names: Option<&Analysis>) -> Vec<String> {
    let Some(a) = names else { return Vec::new() };
    let books = std::iter::once(&a.parsed.book);
    let side = a
        .book
        .as_ref()
        .map(|b| crate::syntax::parse(&b.source.text).book);
    books
        .chain(side.iter())
        .flat_map(|b| &b.items)
        .find_map(|i| match &i.node {
            crate::syntax::ast::Item::Product(p) if same_key(&p.slug.node, product) => {
                p.body.iter().find_map(|s| match &s.node {
                    crate::syntax::ast::ProductStmt::Dims(d) => {
                        Some(d.iter().map(|n| n.node.clone()).collect())
                    }
                    _ => None,
                })
            }
            _ => None,
        })
        .unwrap_or_default()
}

fn values_of(dimension: &str, names: Option<&Analysis>, quote: bool) -> Vec<Item> {
    defs(names, Kind::DimValue)
        .into_iter()
        .filter(|d| d.parent.as_deref().is_some_and(|p| same_key(p, dimension)))
        .map(|d| Item {
            label: d.name.clone(),
            insert: (quote && d.name.contains(' ')).then(|| format!("\"{}\"", d.name)),
            kind: ItemKind::Value,
            detail: Some(format!("value of `{dimension}`")),
        })
        .collect()
}

/// Dimension values: of the product's dimension at this position of a `rate` cell, of the
/// dimension a `dim` names (or of every dimension of the statement's product), of the dimension a
/// limit names.
fn values_for(cx: &Context<'_>, names: Option<&Analysis>) -> Vec<Item> {
    let words = cx.words;
    match (cx.block, words.first().copied()) {
        (Block::Product, Some("rate")) => {
            let position = words.iter().filter(|w| **w == ",").count();
            let dims = cx
                .owner
                .map(|p| dims_of_product(p, names))
                .unwrap_or_default();
            dims.get(position)
                .map(|d| values_of(d, names, false))
                .unwrap_or_default()
        }
        (Block::Plan, Some("limit")) => {
            let dim: String = words
                .iter()
                .skip(1)
                .take_while(|w| !matches!(**w, "<" | "<=" | ">" | ">=" | "==" | "between"))
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            values_of(&dim, names, false)
        }
        _ => {
            // `dim x = |` or `dim |`
            if let Some(i) = words.iter().rposition(|w| *w == "dim") {
                if words.get(i + 2) == Some(&"=") {
                    return values_of(words[i + 1], names, true);
                }
                return product_dims(words, names)
                    .iter()
                    .flat_map(|d| values_of(d, names, true))
                    .collect();
            }
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_read_back_to_their_keyword() {
        assert_eq!(
            list_head(&["products", "a", ",", "b", ","]),
            Some("products")
        );
        assert_eq!(list_head(&["for", "a", ","]), Some("for"));
        assert_eq!(list_head(&["use", "x"]), Some("x"));
        assert_eq!(list_head(&[]), None);
    }
}
