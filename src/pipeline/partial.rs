//! The part of a book that checks, for editors: while one item is being written (or is wrong),
//! the rest of the book can still be priced. `pricebook lsp` answers hovers and inlay hints with
//! it in a book with errors; nothing else uses it, and nothing is compiled from it.

use crate::base::span::Span;
use crate::syntax::Parsed;
use crate::syntax::ast::{Book, Item};
use crate::table::RatingTable;

/// Rounds of leaving items out: leaving out a product can break a plan that offers it, which the
/// next round leaves out too.
const ROUNDS: usize = 4;

/// The table of `parsed` (parsed from `text`) without the items that have errors, its worked
/// examples left out; `None` when the header itself is wrong or nothing checks.
pub fn salvage(text: &str, parsed: &Parsed) -> Option<RatingTable> {
    // An item the parser recovered inside (a statement it could not read) is left out first: the
    // checker builds no model from a book with such holes.
    let syntax: Vec<Span> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .filter_map(|d| d.span())
        .collect();
    let holed = |s: Span| {
        syntax
            .iter()
            .any(|w| s.start <= w.start && w.start < s.end.max(s.start + 1))
    };
    let mut kept = Book {
        items: parsed
            .book
            .items
            .iter()
            .filter(|i| !matches!(i.node, Item::Error(_) | Item::Test(_)) && !holed(i.span))
            .cloned()
            .collect(),
    };
    for _ in 0..ROUNDS {
        let checked = crate::check::check_parsed(&kept, &[]);
        if let Some(model) = checked.model {
            return crate::compile::compile_unsealed(&model, text, "").ok();
        }
        let wrong: Vec<Span> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .filter_map(|d| d.span())
            .collect();
        let inside = |s: Span| {
            wrong
                .iter()
                .any(|w| s.start <= w.start && w.start < s.end.max(s.start + 1))
        };
        if kept
            .items
            .iter()
            .any(|i| matches!(i.node, Item::Header(_)) && inside(i.span))
        {
            return None;
        }
        let before = kept.items.len();
        kept.items.retain(|i| !inside(i.span));
        if kept.items.len() == before {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_items_that_check_are_priced() {
        let text = "pricebook acme version \"1\" effective 2026-01-01 currency USD\nunit credit\n\
            product \"A\" as a { measure time  rate 2 credit / second }\n\
            product \"B\" as b { measure time  rate 2 gold / second }\n\
            plan \"P\" as p { price 10 USD / month  grant 100 credit every month, expires at cycle end  products b }\n\
            plan \"Q\" as q { price 10 USD / month  grant 100 credit every month, expires at cycle end }\n";
        let parsed = crate::syntax::parse(text);
        let table = salvage(text, &parsed).expect("A and Q check");
        assert!(table.find_product("a").is_ok());
        // `gold` is not a unit: B is left out, and then P, which offers it.
        assert!(table.find_product("b").is_err());
        assert!(table.find_plan("p").is_err());
        assert!(table.find_plan("q").is_ok());
        let broken = crate::syntax::parse(
            "pricebook acme version \"1\" effective 2026-13-01 currency USD\n",
        );
        assert!(salvage("", &broken).is_none());
        // A statement the parser could not read leaves out its item, and the rest still prices.
        let typing =
            format!("{text}product \"C\" as c {{\n  measure time\n  rate 7 credit per\n}}\n");
        let parsed = crate::syntax::parse(&typing);
        assert!(!parsed.diagnostics.is_empty());
        let table = salvage(&typing, &parsed).expect("A and Q check");
        assert!(table.find_product("a").is_ok());
        assert!(table.find_product("c").is_err());
    }
}
