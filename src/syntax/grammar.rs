//! The grammar as data, for editors: its keywords, the statements each block holds and what the
//! grammar accepts after the text of a statement.
//!
//! Everything here is read from `grammar/pricebook.pest` itself (its text, and the pest parser
//! generated from it), so a statement or keyword added to the grammar is completed, highlighted
//! and listed without another edit: `pricebook lsp` completes with [`expected_after`] and
//! [`statements`], highlights [`keywords`], and the VS Code extension's TextMate grammar names
//! every one of [`keywords`] and [`item_keywords`] (`tests/lsp.rs` keeps it in step).

use super::{PricebookParser, Rule};
use pest::Parser;
use pest::error::{ErrorVariant, InputLocation};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The grammar's text, as the parser was generated from it.
const GRAMMAR: &str = include_str!("../../grammar/pricebook.pest");

/// One word of a phrase: a keyword, or a slot for something else (a name, a number, ...) named
/// by the rule that reads it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Word {
    Keyword(String),
    Slot(String),
}

/// A rule's expression, as far as editors need it.
#[derive(Debug, Clone)]
enum Expr {
    Choice(Vec<Expr>),
    Seq(Vec<Expr>),
    /// `x?`, `x*`, and the predicates `!x`, `&x` (which read nothing): may match nothing.
    Optional(Box<Expr>),
    /// `x+`, `x{n}`: at least once.
    Repeat(Box<Expr>),
    Literal(String),
    Rule(String),
}

struct Grammar {
    rules: BTreeMap<String, Expr>,
}

fn grammar() -> &'static Grammar {
    static G: OnceLock<Grammar> = OnceLock::new();
    G.get_or_init(|| Grammar::read(GRAMMAR))
}

// --- Reading the grammar's text

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(char),
    /// `{n}` or `{n, m}` after a term.
    Count,
}

fn tokens(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '/' if text[i..].starts_with("//") => {
                while chars.peek().is_some_and(|(_, c)| *c != '\n') {
                    chars.next();
                }
            }
            '"' | '\'' => {
                let mut s = String::new();
                while let Some((_, d)) = chars.next() {
                    match d {
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                s.push(e);
                            }
                        }
                        d if d == c => break,
                        d => s.push(d),
                    }
                }
                out.push(Tok::Str(s));
            }
            // `ASCII_DIGIT{4}`: a count, not a rule body.
            '{' if matches!(
                out.last(),
                Some(Tok::Ident(_) | Tok::Str(_) | Tok::Punct(')'))
            ) && text[i + 1..]
                .trim_start()
                .starts_with(|c: char| c.is_ascii_digit()) =>
            {
                while chars.next().is_some_and(|(_, c)| c != '}') {}
                out.push(Tok::Count);
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut s = String::from(c);
                while let Some((_, d)) = chars.peek().copied() {
                    if d.is_alphanumeric() || d == '_' {
                        s.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Ident(s));
            }
            c if c.is_whitespace() => {}
            c => out.push(Tok::Punct(c)),
        }
    }
    out
}

impl Grammar {
    fn read(text: &str) -> Grammar {
        let toks = tokens(text);
        let mut rules = BTreeMap::new();
        let mut i = 0;
        // `name = [_@$!]? { expr }`
        while i + 2 < toks.len() {
            let (Tok::Ident(name), Tok::Punct('=')) = (&toks[i], &toks[i + 1]) else {
                i += 1;
                continue;
            };
            let mut j = i + 2;
            let modifier = match &toks[j] {
                Tok::Punct('@' | '$' | '!') => true,
                Tok::Ident(m) => m == "_",
                _ => false,
            };
            if modifier {
                j += 1;
            }
            if toks.get(j) != Some(&Tok::Punct('{')) {
                i += 1;
                continue;
            }
            let mut p = Reader {
                toks: &toks,
                pos: j + 1,
            };
            let expr = p.choice();
            rules.insert(name.clone(), expr);
            i = p.pos + 1;
        }
        Grammar { rules }
    }
}

struct Reader<'t> {
    toks: &'t [Tok],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn choice(&mut self) -> Expr {
        let mut alts = vec![self.seq()];
        while self.peek() == Some(&Tok::Punct('|')) {
            self.pos += 1;
            alts.push(self.seq());
        }
        if alts.len() == 1 {
            alts.pop().unwrap_or(Expr::Seq(Vec::new()))
        } else {
            Expr::Choice(alts)
        }
    }

    fn seq(&mut self) -> Expr {
        let mut items = vec![self.term()];
        while self.peek() == Some(&Tok::Punct('~')) {
            self.pos += 1;
            items.push(self.term());
        }
        if items.len() == 1 {
            items.pop().unwrap_or(Expr::Seq(Vec::new()))
        } else {
            Expr::Seq(items)
        }
    }

    fn term(&mut self) -> Expr {
        let predicate = matches!(self.peek(), Some(Tok::Punct('!' | '&')));
        if predicate {
            self.pos += 1;
        }
        let mut e = match self.peek().cloned() {
            Some(Tok::Punct('(')) => {
                self.pos += 1;
                let e = self.choice();
                if self.peek() == Some(&Tok::Punct(')')) {
                    self.pos += 1;
                }
                e
            }
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Expr::Literal(s)
            }
            Some(Tok::Ident(n)) => {
                self.pos += 1;
                Expr::Rule(n)
            }
            _ => {
                self.pos += 1;
                Expr::Seq(Vec::new())
            }
        };
        loop {
            match self.peek() {
                Some(Tok::Punct('?' | '*')) => e = Expr::Optional(Box::new(e)),
                Some(Tok::Punct('+') | Tok::Count) => e = Expr::Repeat(Box::new(e)),
                _ => break,
            }
            self.pos += 1;
        }
        if predicate {
            Expr::Optional(Box::new(Expr::Seq(Vec::new())))
        } else {
            e
        }
    }
}

// --- What a rule starts with

/// How deep rule references are followed; the grammar has no recursion, so this only bounds a
/// mistake.
const DEPTH: usize = 12;

impl Grammar {
    /// The keyword a `kw_*` rule reads (`kw_front_load` reads `front-load`).
    fn keyword_of(&self, rule: &str) -> Option<String> {
        if !rule.starts_with("kw_") {
            return None;
        }
        match self.rules.get(rule)? {
            Expr::Seq(items) => match items.first() {
                Some(Expr::Literal(s)) => Some(s.clone()),
                _ => None,
            },
            Expr::Literal(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// The phrases an expression can start with: its leading keywords, as far as they go, then
    /// at most one slot. An expression that may match nothing also gives the empty phrase.
    fn starts(&self, e: &Expr, depth: usize) -> Vec<Vec<Word>> {
        if depth > DEPTH {
            return Vec::new();
        }
        match e {
            Expr::Literal(s) => vec![vec![Word::Keyword(s.clone())]],
            Expr::Rule(r) => match self.keyword_of(r) {
                Some(k) => vec![vec![Word::Keyword(k)]],
                None => match self.rules.get(r) {
                    // Rules that read names, numbers and the like are slots; rules made of
                    // keywords and other rules are followed.
                    Some(body) if !is_slot(r) && r != "WHITESPACE" => {
                        let inner = self.starts(body, depth + 1);
                        if inner.is_empty() {
                            vec![vec![Word::Slot(r.clone())]]
                        } else {
                            inner
                        }
                    }
                    _ => vec![vec![Word::Slot(r.clone())]],
                },
            },
            Expr::Choice(alts) => alts.iter().flat_map(|a| self.starts(a, depth)).collect(),
            Expr::Optional(x) => {
                let mut out = self.starts(x, depth);
                out.push(Vec::new());
                out
            }
            Expr::Repeat(x) => self.starts(x, depth),
            Expr::Seq(items) => self.seq_starts(items, depth),
        }
    }

    fn seq_starts(&self, items: &[Expr], depth: usize) -> Vec<Vec<Word>> {
        let Some((first, rest)) = items.split_first() else {
            return vec![Vec::new()];
        };
        let mut out = Vec::new();
        for p in self.starts(first, depth) {
            // A phrase of keywords goes on with what follows; a slot ends it.
            let open = p.iter().all(|w| matches!(w, Word::Keyword(_)));
            if open {
                for q in self.seq_starts(rest, depth) {
                    let mut whole = p.clone();
                    // `top up`, `expires at cycle end`, `when empty`: keywords, up to a slot.
                    for w in q {
                        let slot = matches!(w, Word::Slot(_));
                        whole.push(w);
                        if slot {
                            break;
                        }
                    }
                    if !out.contains(&whole) {
                        out.push(whole);
                    }
                }
            } else if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }
}

/// Rules that read a value rather than a phrase of keywords: names, numbers, quantities, rates,
/// strings, dates, dimension values, diagnostic codes, operators.
fn is_slot(rule: &str) -> bool {
    matches!(
        rule,
        "ident"
            | "ident_list"
            | "code"
            | "number"
            | "string"
            | "date"
            | "datetime"
            | "word"
            | "words"
            | "dim_value"
            | "dim_single"
            | "cell_key"
            | "quantity"
            | "rate_expr"
            | "price_expr"
            | "attr_quantity"
            | "limit_name"
            | "limit_value"
            | "limit_op"
            | "expect_subject"
            | "expect_word"
            | "expect_value"
            | "feature_value"
            | "rejection_kind"
            | "per"
            | "hs"
    ) || matches!(
        rule,
        "block_open" | "block_close" | "eq" | "eqeq" | "comma" | "dotdot" | "colon" | "le"
    )
}

fn phrase_text(words: &[Word]) -> Option<String> {
    let kws: Vec<&str> = words
        .iter()
        .map_while(|w| match w {
            Word::Keyword(k) => Some(k.as_str()),
            Word::Slot(_) => None,
        })
        .collect();
    (!kws.is_empty()).then(|| kws.join(" "))
}

// --- The public answers

/// Every keyword of the language (each `kw_*` rule's word), sorted.
pub fn keywords() -> Vec<String> {
    let g = grammar();
    let mut out: Vec<String> = g.rules.keys().filter_map(|r| g.keyword_of(r)).collect();
    out.sort();
    out.dedup();
    out
}

/// The keywords that start an item at the top of a file (`pricebook`, `product`, `plan`, ...),
/// from the grammar's `top_start` rule.
#[cfg_attr(
    not(feature = "internals"),
    expect(
        dead_code,
        reason = "read by tests/lsp.rs, which keeps the editor's grammar in step"
    )
)]
pub fn item_keywords() -> Vec<String> {
    let g = grammar();
    let mut out: Vec<String> = g
        .rules
        .get("top_start")
        .map(|e| g.starts(e, 0))
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.first())
        .filter_map(|w| match w {
            Word::Keyword(k) => Some(k.clone()),
            Word::Slot(_) => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The kinds of rejection a `rejects` expectation may name (the grammar's `rejection_kind`).
pub fn rejection_kinds() -> Vec<String> {
    let g = grammar();
    let mut out: Vec<String> = g
        .rules
        .get("rejection_kind")
        .map(|e| g.starts(e, 0))
        .unwrap_or_default()
        .iter()
        .filter_map(|p| phrase_text(p))
        .collect();
    out.sort();
    out
}

/// A block of a book, and the grammar rules it is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Block {
    /// The top of the file: items.
    File,
    Product,
    Plan,
    Pack,
    /// `tiers ... { }` in a product.
    Tiers,
    /// `billing <period> { }`
    Billing,
    /// `auto recharge { }`
    Recharge,
    Test,
    /// `bill ... { }` in a test.
    Bill,
    /// `dimension <name> { }`: values, no statements.
    Dimension,
}

impl Block {
    /// The rule whose `{ ... }` holds the block's statements, and the entry rule that reads one
    /// statement of it.
    fn rules(self) -> Option<(&'static str, Rule)> {
        Some(match self {
            Block::File => ("file", Rule::item_entry),
            Block::Product => ("product", Rule::product_stmt_entry),
            Block::Plan => ("plan", Rule::plan_stmt_entry),
            Block::Pack => ("pack", Rule::pack_stmt_entry),
            Block::Tiers => ("tiers_stmt", Rule::tier_entry),
            Block::Billing => ("billing_block", Rule::billing_stmt_entry),
            Block::Recharge => ("recharge_block", Rule::recharge_stmt_entry),
            Block::Test => ("test_block", Rule::test_stmt_entry),
            Block::Bill => ("bill_test", Rule::bill_stmt_entry),
            Block::Dimension => return None,
        })
    }

    /// The block a `{` opens, from the keyword its item or statement starts with (`product`,
    /// `tiers`, `bill`, ...), inside the block `outer`.
    pub fn opened_by(keyword: &str, outer: Block) -> Option<Block> {
        Some(match (outer, keyword) {
            (Block::File, "product") => Block::Product,
            (Block::File, "plan") => Block::Plan,
            (Block::File, "pack") => Block::Pack,
            (Block::File, "billing") => Block::Billing,
            (Block::File, "auto") => Block::Recharge,
            (Block::File, "test") => Block::Test,
            (Block::File, "dimension") => Block::Dimension,
            (Block::Product, "tiers") => Block::Tiers,
            (Block::Test, "bill") => Block::Bill,
            _ => return None,
        })
    }
}

/// The statements a block holds, as the keyword phrases they start with (`measure`, `top up`,
/// `outside wallet`, ...), read from the block's rule: the alternatives of its `( ... )*` after
/// the `{`, the recovery rule left out. For the top of the file, the items.
pub fn statements(block: Block) -> Vec<String> {
    let g = grammar();
    let mut out: Vec<String> = Vec::new();
    for stmt in block_statements(block) {
        // The words every form of the statement starts with: `tiers` for `tiers graduated ...`
        // and `tiers volume ...`, `when empty` for its three rules.
        let forms: Vec<Vec<String>> = g
            .starts(&stmt, 0)
            .iter()
            .filter_map(|p| phrase_text(p))
            .map(|p| p.split(' ').map(str::to_string).collect())
            .collect();
        let Some(first) = forms.first() else { continue };
        let common = first
            .iter()
            .enumerate()
            .take_while(|(i, w)| forms.iter().all(|f| f.get(*i) == Some(*w)))
            .count();
        if common > 0 {
            let phrase = first[..common].join(" ");
            if !out.contains(&phrase) {
                out.push(phrase);
            }
        }
    }
    out
}

/// The statements of a block: the alternatives of its body, silent choices (`product_stmt`)
/// opened up.
fn block_statements(block: Block) -> Vec<Expr> {
    let g = grammar();
    let Some((rule, _)) = block.rules() else {
        return Vec::new();
    };
    let body = match rule {
        "file" => g.rules.get("item").cloned(),
        _ => g.rules.get(rule).and_then(block_body),
    };
    let mut out = Vec::new();
    let mut todo: Vec<Expr> = body.into_iter().collect();
    while let Some(e) = todo.pop() {
        match e {
            Expr::Choice(alts) => todo.extend(alts.into_iter().rev()),
            Expr::Rule(r) => match g.rules.get(&r) {
                Some(Expr::Choice(alts)) if out.len() + todo.len() < 1000 => {
                    todo.extend(alts.iter().rev().cloned());
                }
                _ => out.push(Expr::Rule(r)),
            },
            other => out.push(other),
        }
    }
    out
}

/// The rules a block's statements use, for the phrases that may follow in it.
fn block_phrases(block: Block) -> Vec<String> {
    static P: OnceLock<std::sync::Mutex<std::collections::HashMap<Block, Vec<String>>>> =
        OnceLock::new();
    let cache = P.get_or_init(Default::default);
    if let Some(p) = cache.lock().ok().and_then(|c| c.get(&block).cloned()) {
        return p;
    }
    let g = grammar();
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = block_statements(block);
    while let Some(e) = todo.pop() {
        match e {
            Expr::Rule(r) => {
                if !is_slot(&r) && seen.insert(r.clone()) {
                    if let Some(body) = g.rules.get(&r) {
                        todo.push(body.clone());
                    }
                }
            }
            Expr::Choice(xs) | Expr::Seq(xs) => todo.extend(xs),
            Expr::Optional(x) | Expr::Repeat(x) => todo.push(*x),
            Expr::Literal(_) => {}
        }
    }
    let mut out: Vec<String> = seen
        .iter()
        .flat_map(|r| g.starts(&Expr::Rule(r.clone()), 0))
        .filter_map(|p| phrase_text(&p))
        .collect();
    out.sort();
    out.dedup();
    if let Ok(mut c) = cache.lock() {
        c.insert(block, out.clone());
    }
    out
}

/// The repeated statements of a block rule: what `( ... )*` after `block_open` holds, without
/// `bad_stmt`.
fn block_body(rule: &Expr) -> Option<Expr> {
    let Expr::Seq(items) = rule else { return None };
    let open = items
        .iter()
        .position(|e| matches!(e, Expr::Rule(r) if r == "block_open"))?;
    items[open + 1..].iter().find_map(|e| match e {
        Expr::Optional(inner) => {
            let alts = match inner.as_ref() {
                Expr::Choice(alts) => alts.clone(),
                other => vec![other.clone()],
            };
            Some(Expr::Choice(
                alts.into_iter()
                    .filter(|a| !matches!(a, Expr::Rule(r) if r == "bad_stmt"))
                    .collect(),
            ))
        }
        _ => None,
    })
}

/// What may come next.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Expected {
    /// A keyword phrase: `measure`, `expires at cycle end`, `top up`.
    Keyword(String),
    /// A name (`ident`): a slug, a unit, a dimension, by what comes before.
    Name,
    /// A dimension value (`540p`, `"Digital Twin"`).
    DimValue,
    /// A diagnostic code, in `allow`.
    Code,
    /// A kind of rejection, after `rejects`.
    RejectionKind,
    /// Something else (a number, a string, a date, an operator): nothing to complete.
    Other(String),
}

/// What the grammar accepts after `text`, the start of a statement of `block` (of an item at
/// the top of the file), or `None` when `text` already fails to parse before its end. Keyword
/// phrases are whole (`expires at cycle end`); everything else is the kind of thing expected.
///
/// ```
/// use pricebook::syntax::grammar::{Block, Expected, expected_after};
/// let next = expected_after(Block::Plan, "grant 100 credit every month, ").unwrap();
/// assert!(next.contains(&Expected::Keyword("expires at cycle end".into())));
/// assert!(next.contains(&Expected::Keyword("never expires".into())));
/// assert!(next.contains(&Expected::Keyword("priority".into())));
/// ```
pub fn expected_after(block: Block, text: &str) -> Option<Vec<Expected>> {
    let (_, entry) = block.rules()?;
    // A character no rule reads, where the cursor is: the parse fails there, and pest says what
    // it tried.
    let probe = format!("{text}\u{1}");
    let err = match PricebookParser::parse(entry, &probe) {
        Ok(_) => return Some(Vec::new()),
        Err(e) => e,
    };
    let at = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((a, _)) => a,
    };
    if at != text.len() {
        return None;
    }
    let ErrorVariant::ParsingError { positives, .. } = &err.variant else {
        return None;
    };
    let g = grammar();
    let mut out = Vec::new();
    for rule in positives {
        let name = format!("{rule:?}");
        for phrase in g.starts(&Expr::Rule(name.clone()), 0) {
            let e = match (phrase_text(&phrase), phrase.first()) {
                (Some(p), _) => {
                    // pest names the first keyword it tried (`based`); the phrases the grammar
                    // starts with it (`based on`) that parse here are what to offer.
                    let longer: Vec<String> = block_phrases(block)
                        .into_iter()
                        .filter(|l| l.len() > p.len() && l.starts_with(&format!("{p} ")))
                        .filter(|l| reads_whole(entry, text, l))
                        .collect();
                    if !longer.is_empty() {
                        for l in longer {
                            push(&mut out, Expected::Keyword(l));
                        }
                        continue;
                    }
                    Expected::Keyword(p)
                }
                (None, Some(Word::Slot(s))) => slot(s),
                (None, _) => continue,
            };
            push(&mut out, e);
        }
    }
    out.sort();
    Some(out)
}

fn push(out: &mut Vec<Expected>, e: Expected) {
    if !out.contains(&e) {
        out.push(e);
    }
}

/// Whether `phrase` reads whole after `text` (the parse gets past its last word).
fn reads_whole(entry: Rule, text: &str, phrase: &str) -> bool {
    let probe = format!("{text}{phrase} \u{1}");
    match PricebookParser::parse(entry, &probe) {
        Ok(_) => true,
        Err(e) => {
            let at = match e.location {
                InputLocation::Pos(p) => p,
                InputLocation::Span((a, _)) => a,
            };
            at > text.len() + phrase.len()
        }
    }
}

fn slot(rule: &str) -> Expected {
    match rule {
        "ident" | "ident_list" | "limit_name" => Expected::Name,
        "word" | "words" | "dim_value" | "dim_single" | "cell_key" | "limit_value" => {
            Expected::DimValue
        }
        "code" => Expected::Code,
        "rejection_kind" => Expected::RejectionKind,
        other => Expected::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_rule_is_read() {
        let kws = keywords();
        for k in [
            "measure",
            "front-load",
            "allowance",
            "top",
            "up",
            "informational",
        ] {
            assert!(kws.contains(&k.to_string()), "{k} in {kws:?}");
        }
        // Every `kw_` rule of the generated parser has its word.
        let rules = grammar()
            .rules
            .keys()
            .filter(|r| r.starts_with("kw_"))
            .count();
        assert_eq!(rules, kws.len());
    }

    #[test]
    fn blocks_list_their_statements_from_the_grammar() {
        let product = statements(Block::Product);
        for s in [
            "measure",
            "rate",
            "tiers",
            "outside wallet",
            "dims",
            "allow",
        ] {
            assert!(product.contains(&s.to_string()), "{s} in {product:?}");
        }
        let plan = statements(Block::Plan);
        for s in [
            "price",
            "grant",
            "top up",
            "when empty",
            "allowance",
            "allow",
        ] {
            assert!(plan.contains(&s.to_string()), "{s} in {plan:?}");
        }
        let items = statements(Block::File);
        for s in [
            "pricebook",
            "contract",
            "unit",
            "product",
            "auto recharge",
            "test",
        ] {
            assert!(items.contains(&s.to_string()), "{s} in {items:?}");
        }
        assert_eq!(
            statements(Block::Billing),
            ["front-load", "periods", "first period", "plan changes at"]
        );
        assert!(statements(Block::Test).contains(&"quote".to_string()));
        assert!(statements(Block::Bill).contains(&"expect".to_string()));
        assert!(statements(Block::Dimension).is_empty());
        assert!(item_keywords().contains(&"pricebook".to_string()));
        assert!(rejection_kinds().contains(&"not-available".to_string()));
    }

    #[test]
    fn what_follows_a_statement_comes_from_the_parser() {
        let after = |b, t: &str| expected_after(b, t).unwrap_or_else(|| panic!("{t:?}"));
        assert!(after(Block::Product, "measure ").contains(&Expected::Name));
        assert!(after(Block::Product, "round ").contains(&Expected::Keyword("up".into())));
        assert!(after(Block::Product, "min 5 ").contains(&Expected::Name));
        assert!(
            after(Block::Plan, "when empty ").contains(&Expected::Keyword("auto recharge".into()))
        );
        assert!(after(Block::Test, "quote ").contains(&Expected::Keyword("plan".into())));
        assert!(
            after(Block::File, "plan \"P\" as p ").contains(&Expected::Keyword("based on".into()))
        );
        assert!(after(Block::Product, "rate ").contains(&Expected::DimValue));
        assert_eq!(expected_after(Block::Product, "measure time mesure "), None);
    }
}
