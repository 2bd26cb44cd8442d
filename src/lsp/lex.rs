//! A forgiving scan of a book's text into words, numbers, strings, comments and punctuation, and
//! of which block each position is in. Completion reads the context before the cursor with it
//! and semantic tokens colour keywords, numbers, strings and comments; neither needs the text to
//! parse.

use crate::base::span::Span;
use crate::syntax::grammar::Block;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokKind {
    /// A name or a keyword (`product`, `hedra-avatar`, `540p`).
    Word,
    /// A number, a date or a time.
    Number,
    String,
    Comment,
    Punct,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Tok {
    pub kind: TokKind,
    pub span: Span,
}

fn word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'+' || c >= 0x80
}

/// The tokens of `text` up to `end`.
pub(super) fn tokens(text: &str, end: usize) -> Vec<Tok> {
    let s = text.as_bytes();
    let end = end.min(s.len());
    let mut out = Vec::new();
    let mut i = 0;
    while i < end {
        let c = s[i];
        let start = i;
        let kind = match c {
            b'#' => {
                while i < s.len() && s[i] != b'\n' {
                    i += 1;
                }
                TokKind::Comment
            }
            b'"' => {
                i += 1;
                while i < s.len() && s[i] != b'"' && s[i] != b'\n' {
                    i += if s[i] == b'\\' { 2 } else { 1 };
                }
                if i < s.len() && s[i] == b'"' {
                    i += 1;
                }
                TokKind::String
            }
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            c if word_char(c) => {
                while i < s.len()
                    && (word_char(s[i])
                        // `1.5`, `v1.1`, `10:00:00` inside a word; `..` ends it.
                        || ((s[i] == b'.' || s[i] == b':')
                            && s.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric())
                            && i > start))
                {
                    i += 1;
                }
                let w = &text[start..i.min(text.len())];
                let numeric = w
                    .trim_start_matches('-')
                    .starts_with(|c: char| c.is_ascii_digit())
                    && w.chars()
                        .all(|c| c.is_ascii_digit() || "-_.:TZ+".contains(c));
                if numeric {
                    TokKind::Number
                } else {
                    TokKind::Word
                }
            }
            _ => {
                i += 1;
                // `==`, `<=`, `>=`, `..`
                if i < s.len() && matches!((c, s[i]), (b'=' | b'<' | b'>', b'=') | (b'.', b'.')) {
                    i += 1;
                }
                TokKind::Punct
            }
        };
        let i_end = i.min(s.len());
        // Stay on character boundaries for multi-byte text.
        let mut e = i_end;
        while !text.is_char_boundary(e) {
            e += 1;
        }
        i = e;
        out.push(Tok {
            kind,
            span: Span::new(start, e),
        });
    }
    out
}

/// The blocks open at `offset`, outermost first (always starting with the file), each with
/// where its `{` is; `None` for a block whose kind is not known.
pub(super) fn blocks_at(text: &str, toks: &[Tok], offset: usize) -> Vec<(Option<Block>, usize)> {
    let mut stack: Vec<(Option<Block>, usize)> = vec![(Some(Block::File), 0)];
    // The last word since the innermost `{` or `}` that opens a block here.
    let mut opener: Option<Block> = None;
    for t in toks.iter().take_while(|t| t.span.end <= offset) {
        let w = &text[t.span.start..t.span.end];
        match (t.kind, w) {
            (TokKind::Punct, "{") => {
                stack.push((opener.take(), t.span.end));
            }
            (TokKind::Punct, "}") => {
                if stack.len() > 1 {
                    stack.pop();
                }
                opener = None;
            }
            (TokKind::Word, w) => {
                if let Some(Some(current)) = stack.last().map(|b| b.0) {
                    if let Some(b) = Block::opened_by(w, current) {
                        opener = Some(b);
                    }
                }
            }
            _ => {}
        }
    }
    stack
}
