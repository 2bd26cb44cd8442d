//! The fast path
//!
//! pest does a lot of bookkeeping per rule call (error positions, call stacks, stack probes) and
//! builds a token queue that lowering then walks; on a large book that is most of the time spent
//! checking it. Well-formed items are therefore read here directly into the AST, by functions that
//! mirror the grammar rule for rule (ordered choice, backtracking, implicit whitespace between
//! the parts of non-atomic rules, none inside atomic ones), so they accept exactly what the
//! grammar accepts and give the same tree and spans.
//!
//! The reader never reports anything. When an item does not read cleanly (a syntax error, a
//! number out of range, or a construct it leaves to pest such as a `bill` test), it gives up on
//! that item and pest parses it with the `fallback_item` rule, from the item's first byte. PEG
//! matching from a position depends only on the text after it, so that item (or the `bad_item`
//! recovery that swallows it) comes out exactly as in a whole-file parse, with the same
//! diagnostics; reading resumes after it.
//!
//! Lexical reading (tokens, names, numbers, strings) is here; items are in `items.rs`, worked
//! examples in `examples.rs`, each mirroring its part of `grammar/pricebook.pest`.

mod examples;
mod items;

use super::ast::*;
use super::explain::from_pest_error;
use super::lower::{Lower, unescape};
use super::{PricebookParser, Rule};
use crate::base::money::parse_decimal;
use crate::diagnostic::Diagnostic;
use pest::Parser;
use rust_decimal::Decimal;

/// Parses a whole file: the fast path for well-formed items, pest for the others.
pub(super) fn parse_book(text: &str, diags: &mut Vec<Diagnostic>) -> Book {
    let mut items = Vec::new();
    let mut r = Reader {
        text,
        s: text.as_bytes(),
        pos: 0,
        last: 0,
        overflow: false,
    };
    r.skip();
    while r.pos < text.len() {
        let start = r.pos;
        match r.item() {
            Some(item) => items.push(Spanned::new(item, Span::new(start, r.last))),
            None => match fallback_item(text, start, diags) {
                Some((item, end)) if end > start => {
                    items.push(item);
                    r.pos = end;
                }
                Some((item, _)) => {
                    items.push(item);
                    break;
                }
                None => break,
            },
        }
        r.skip();
    }
    Book { items }
}

/// The file's first item when the reader reads it cleanly (`None` leaves the file to a full
/// parse): what a header-only look at a book needs.
pub(super) fn first_item(text: &str) -> Option<Spanned<Item>> {
    let mut r = Reader {
        text,
        s: text.as_bytes(),
        pos: 0,
        last: 0,
        overflow: false,
    };
    r.skip();
    let start = r.pos;
    let item = r.item()?;
    Some(Spanned::new(item, Span::new(start, r.last)))
}

/// Parses and lowers the item (or unreadable text) at `start` with pest. Returns it with the
/// byte offset where it ends.
fn fallback_item(
    text: &str,
    start: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Spanned<Item>, usize)> {
    let rest = &text[start..];
    let pair = match PricebookParser::parse(Rule::fallback_item, rest) {
        Ok(mut pairs) => pairs.next()?.into_inner().next()?,
        // The recovery rules make `fallback_item` accept any non-empty text; this is a safety
        // net, not a path.
        Err(e) => {
            diags.push(from_pest_error(&e, start, rest));
            return None;
        }
    };
    let end = start + pair.as_span().end();
    let mut lw = Lower {
        text,
        base: start,
        diags,
    };
    let sp = lw.span(&pair);
    let item = lw.item(pair);
    Some((Spanned::new(item, sp), end))
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'+')
}

/// Whether a whole run of identifier characters is one of the grammar's `reserved` words. No
/// reserved word has an earlier one in the grammar's list as a prefix, so the grammar's ordered
/// choice followed by `!ident_char` comes to exactly this.
pub(super) fn is_reserved(w: &[u8]) -> bool {
    matches!(
        w,
        b"allowance"
            | b"then"
            | b"top"
            | b"measure"
            | b"rate"
            | b"round"
            | b"prorate"
            | b"outside"
            | b"dims"
            | b"tiers"
            | b"price"
            | b"grant"
            | b"packs"
            | b"products"
            | b"deny"
            | b"limit"
            | b"when"
            | b"commit"
            | b"includes"
            | b"overage"
            | b"billing"
            | b"feature"
            | b"expect"
            | b"use"
            | b"buy"
            | b"quote"
            | b"capacity"
            | b"bill"
            | b"allow"
            | b"product"
            | b"plan"
            | b"pack"
            | b"unit"
            | b"dimension"
            | b"test"
            | b"per"
            | b"every"
            | b"once"
            | b"never"
            | b"expires"
            | b"priority"
            | b"on"
            | b"between"
            | b"and"
            | b"informational"
            | b"attribute"
            | b"attr"
            | b"aka"
            | b"fee"
    )
}

/// A position to come back to: where reading stands, and where the last token read ends.
#[derive(Clone, Copy)]
struct Mark(usize, usize);

/// Reads well-formed items straight into the AST (see above). Every reading function starts at
/// a token (whitespace already skipped, as pest does before each part of a sequence), returns
/// `None` when its rule does not match, and leaves `last` at the end of the last token it read:
/// the end of a node's span.
struct Reader<'t> {
    text: &'t str,
    s: &'t [u8],
    pos: usize,
    last: usize,
    /// A number in the current item is out of range: pest's lowering reports it.
    overflow: bool,
}

impl Reader<'_> {
    fn mark(&self) -> Mark {
        Mark(self.pos, self.last)
    }

    fn reset(&mut self, m: Mark) {
        self.pos = m.0;
        self.last = m.1;
    }

    /// Runs `f`, going back to where it started when it does not match.
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let m = self.mark();
        let r = f(self);
        if r.is_none() {
            self.reset(m);
        }
        r
    }

    /// `item` after `sep` (with spaces around it), or nothing read.
    fn after<T>(&mut self, sep: &[u8], item: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        self.attempt(|r| {
            r.skip();
            r.lit(sep)?;
            r.skip();
            item(r)
        })
    }

    /// One `item` or more, each after the first after `sep`: `a, b, c`.
    fn separated<T>(
        &mut self,
        sep: &[u8],
        mut item: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<T>> {
        let mut out = vec![item(self)?];
        while let Some(v) = self.after(sep, &mut item) {
            out.push(v);
        }
        Some(out)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    fn accept(&mut self, end: usize) {
        self.pos = end;
        self.last = end;
    }

    /// `WHITESPACE` and `COMMENT`, as pest skips them between the parts of a non-atomic rule.
    fn skip(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'#' => {
                    self.pos = match self.s[self.pos..].iter().position(|&c| c == b'\n') {
                        Some(i) => self.pos + i,
                        None => self.s.len(),
                    }
                }
                _ => break,
            }
        }
    }

    /// `hs`: spaces and tabs, at least one.
    fn hs(&mut self) -> Option<()> {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        (self.pos > start).then_some(())
    }

    /// `hs?`
    fn hs_opt(&mut self) {
        let _ = self.hs();
    }

    fn lit(&mut self, l: &[u8]) -> Option<()> {
        if self.s[self.pos..].starts_with(l) {
            self.accept(self.pos + l.len());
            Some(())
        } else {
            None
        }
    }

    /// A keyword: the word, not followed by an identifier character.
    fn kw(&mut self, w: &[u8]) -> bool {
        let end = self.pos + w.len();
        if self.s[self.pos..].starts_with(w) && !self.at(end).is_some_and(is_ident_char) {
            self.accept(end);
            true
        } else {
            false
        }
    }

    fn kw_(&mut self, w: &[u8]) -> Option<()> {
        self.kw(w).then_some(())
    }

    /// `eq`: `=` but not `==`.
    fn eq(&mut self) -> Option<()> {
        if self.s[self.pos..].starts_with(b"==") {
            return None;
        }
        self.lit(b"=")
    }

    /// `per`: `/` or the keyword `per`.
    fn per(&mut self) -> Option<()> {
        if self.lit(b"/").is_some() || self.kw(b"per") {
            Some(())
        } else {
            None
        }
    }

    fn run_end(&self, mut i: usize) -> usize {
        while self.at(i).is_some_and(is_ident_char) {
            i += 1;
        }
        i
    }

    fn reserved_at(&self, i: usize) -> bool {
        is_reserved(&self.s[i..self.run_end(i)])
    }

    fn text_at(&self, sp: Span) -> Spanned<String> {
        Spanned::new(self.text[sp.start..sp.end].to_string(), sp)
    }

    /// `ident`: a letter, then identifier characters; not a reserved word.
    fn name(&mut self) -> Option<Name> {
        let start = self.pos;
        if !self.peek()?.is_ascii_alphabetic() {
            return None;
        }
        let end = self.run_end(start + 1);
        if is_reserved(&self.s[start..end]) {
            return None;
        }
        self.accept(end);
        Some(self.text_at(Span::new(start, end)))
    }

    /// `code`: like `ident`, reserved words included.
    fn code(&mut self) -> Option<Name> {
        let start = self.pos;
        if !self.peek()?.is_ascii_alphabetic() {
            return None;
        }
        let end = self.run_end(start + 1);
        self.accept(end);
        Some(self.text_at(Span::new(start, end)))
    }

    /// `number`
    fn number(&mut self) -> Option<Number> {
        let start = self.pos;
        let digit_or_sep = |c: u8| c.is_ascii_digit() || c == b'_';
        let mut i = start;
        if self.at(i) == Some(b'-') {
            i += 1;
        }
        if !self.at(i)?.is_ascii_digit() {
            return None;
        }
        i += 1;
        while self.at(i).is_some_and(digit_or_sep) {
            i += 1;
        }
        if self.at(i) == Some(b'.') && self.at(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            i += 2;
            while self.at(i).is_some_and(digit_or_sep) {
                i += 1;
            }
        }
        if self
            .at(i)
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        {
            return None;
        }
        self.accept(i);
        let value = parse_decimal(&self.text[start..i]).unwrap_or_else(|| {
            self.overflow = true;
            Decimal::ZERO
        });
        Some(Spanned::new(value, Span::new(start, i)))
    }

    /// `string`, unescaped, with the span of the quoted text.
    fn string(&mut self) -> Option<Spanned<String>> {
        let sp = self.string_span()?;
        Some(self.string_at(sp))
    }

    /// Reads a `string` without building it.
    fn string_span(&mut self) -> Option<Span> {
        let start = self.pos;
        if self.peek()? != b'"' {
            return None;
        }
        let mut i = start + 1;
        loop {
            match self.at(i)? {
                b'"' => break,
                b'\n' => return None,
                b'\\' => match self.at(i + 1)? {
                    b'"' | b'\\' => i += 2,
                    _ => return None,
                },
                _ => i += 1,
            }
        }
        self.accept(i + 1);
        Some(Span::new(start, i + 1))
    }

    /// The string read at `sp` (quotes included), unescaped.
    fn string_at(&self, sp: Span) -> Spanned<String> {
        Spanned::new(unescape(&self.text[sp.start + 1..sp.end - 1]), sp)
    }

    /// `date`
    fn date(&mut self) -> Option<Spanned<String>> {
        let st = self.pos;
        let d = |i: usize| self.at(st + i).is_some_and(|c| c.is_ascii_digit());
        let ok = d(0)
            && d(1)
            && d(2)
            && d(3)
            && self.at(st + 4) == Some(b'-')
            && d(5)
            && d(6)
            && self.at(st + 7) == Some(b'-')
            && d(8)
            && d(9)
            && !self.at(st + 10).is_some_and(is_ident_char);
        if !ok {
            return None;
        }
        self.accept(st + 10);
        Some(self.text_at(Span::new(st, st + 10)))
    }

    fn word_end(&self, from: usize) -> Option<usize> {
        if !self.at(from)?.is_ascii_alphanumeric() {
            return None;
        }
        let mut i = from + 1;
        while self.at(i).is_some_and(is_word_char) {
            i += 1;
        }
        Some(i)
    }

    /// `dim_value`: a string, or words separated by spaces (none of them reserved after the
    /// first).
    fn dim_value(&mut self) -> Option<Spanned<String>> {
        let sp = self.dim_value_span()?;
        Some(if self.s[sp.start] == b'"' {
            self.string_at(sp)
        } else {
            self.text_at(sp)
        })
    }

    /// Reads a `dim_value` without building it.
    fn dim_value_span(&mut self) -> Option<Span> {
        if self.peek()? == b'"' {
            return self.string_span();
        }
        let start = self.pos;
        let mut end = self.word_end(start)?;
        loop {
            let mut i = end;
            while self.at(i) == Some(b' ') {
                i += 1;
            }
            if i == end || self.reserved_at(i) {
                break;
            }
            match self.word_end(i) {
                Some(e) => end = e,
                None => break,
            }
        }
        self.accept(end);
        Some(Span::new(start, end))
    }

    /// `dim_single`: a string or one word.
    fn dim_single(&mut self) -> Option<Spanned<String>> {
        if self.peek()? == b'"' {
            return self.string();
        }
        let start = self.pos;
        let end = self.word_end(start)?;
        self.accept(end);
        Some(self.text_at(Span::new(start, end)))
    }

    /// `quantity`: `number hs ident`.
    fn quantity(&mut self) -> Option<Quantity> {
        self.attempt(|r| {
            let value = r.number()?;
            r.hs()?;
            let unit = r.name()?;
            Some(Quantity { value, unit })
        })
    }

    /// `(number ~ hs)?` then `ident`: the denominator of a rate or price.
    fn per_part(&mut self) -> Option<(Option<Number>, Name)> {
        let n = self.attempt(|r| {
            let n = r.number()?;
            r.hs()?;
            Some(n)
        });
        Some((n, self.name()?))
    }

    /// `rate_expr`
    fn rate_expr(&mut self) -> Option<Rate> {
        self.attempt(|r| {
            let amount = r.quantity()?;
            r.hs_opt();
            r.per()?;
            r.hs_opt();
            let (per, per_unit) = r.per_part()?;
            Some(Rate {
                amount,
                per,
                per_unit,
            })
        })
    }

    /// `price_expr`
    fn price_expr(&mut self) -> Option<PriceExpr> {
        self.attempt(|r| {
            let amount = r.quantity()?;
            let per = r.attempt(|r| {
                r.hs_opt();
                r.per()?;
                r.hs_opt();
                r.per_part()
            });
            Some(PriceExpr { amount, per })
        })
    }

    /// `ident_list`
    fn ident_list(&mut self) -> Option<Vec<Name>> {
        let out = self.separated(b",", Self::name)?;
        Some(out)
    }

    /// `allow_decl`, after its keyword.
    fn allow(&mut self) -> Option<Allow> {
        self.skip();
        let code = self.code()?;
        self.skip();
        let reason = self.string()?;
        Some(Allow { code, reason })
    }

    /// `block_open ~ (stmt | bad_stmt)* ~ block_close`, reading each statement with `stmt`.
    /// Statements start with a keyword, so at `}` none matches and neither does `bad_stmt`.
    fn block<T>(
        &mut self,
        mut stmt: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<Spanned<T>>> {
        self.skip();
        self.lit(b"{")?;
        let mut body = Vec::new();
        loop {
            self.skip();
            match self.peek()? {
                b'}' => {
                    self.accept(self.pos + 1);
                    return Some(body);
                }
                _ => {
                    let start = self.pos;
                    let s = stmt(self)?;
                    body.push(Spanned::new(s, Span::new(start, self.last)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_reserved;

    /// The words of the grammar's `reserved` rule, in the grammar's order.
    fn grammar_reserved() -> Vec<String> {
        let grammar = include_str!("../../../grammar/pricebook.pest");
        let start = grammar
            .find("reserved = @{")
            .unwrap_or_else(|| panic!("the grammar has no `reserved` rule"));
        let rule = &grammar[start..];
        let body = &rule[..rule.find("~ !ident_char").unwrap_or(rule.len())];
        body.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    /// The reader's list and the grammar's are the same words: a word reserved in one but not
    /// the other would read as a name on one path and as a keyword on the other.
    #[test]
    fn reserved_words_match_the_grammar() {
        let words = grammar_reserved();
        assert!(words.len() > 30, "found only {words:?} in the grammar");
        for w in &words {
            assert!(
                is_reserved(w.as_bytes()),
                "`{w}` is reserved in the grammar, not the reader"
            );
            assert!(!is_reserved(format!("{w}x").as_bytes()), "`{w}x` is a name");
        }
        // Everything the reader reserves is in the grammar: try every word the reader could
        // know, i.e. every keyword the grammar spells anywhere.
        let grammar = include_str!("../../../grammar/pricebook.pest");
        for lit in grammar.split('"').skip(1).step_by(2) {
            if is_reserved(lit.as_bytes()) {
                assert!(
                    words.iter().any(|w| w == lit),
                    "the reader reserves `{lit}`"
                );
            }
        }
    }

    /// `is_reserved` compares whole runs, which equals the grammar's ordered choice followed by
    /// `!ident_char` only while no reserved word is a prefix of a later one.
    #[test]
    fn no_reserved_word_is_cut_short_by_an_earlier_one() {
        let words = grammar_reserved();
        for (i, w) in words.iter().enumerate() {
            for earlier in &words[..i] {
                let rest = w.strip_prefix(earlier.as_str());
                assert!(
                    rest.is_none_or(|r| r
                        .starts_with(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-')),
                    "`{earlier}` comes before `{w}` in `reserved` and is a prefix of it"
                );
            }
        }
    }
}
