//! Byte offsets (what spans hold) to and from LSP positions (a line and a column in UTF-16 code
//! units, the encoding every client supports).

use crate::base::span::Span;
use tower_lsp_server::ls_types::{Position, Range};

/// Where each line of a text starts.
#[derive(Debug, Clone)]
pub(super) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(super) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The position of a byte offset (clamped into the text, and back to a character boundary).
    pub(super) fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let character: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(line as u32, character as u32)
    }

    pub(super) fn range(&self, text: &str, span: Span) -> Range {
        Range::new(
            self.position(text, span.start),
            self.position(text, span.end.max(span.start)),
        )
    }

    /// The byte offset of a position; a column past the end of its line is the line's end, a
    /// line past the end of the text is the text's end.
    pub(super) fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(text.len(), |e| e - 1);
        let line = &text[start..end.max(start)];
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            if units >= pos.character {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        start + line.len()
    }

    pub(super) fn span(&self, text: &str, range: Range) -> Span {
        let a = self.offset(text, range.start);
        let b = self.offset(text, range.end);
        Span::new(a.min(b), a.max(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "ab\n\u{e9}\u{1F600}x\n";
        let l = LineIndex::new(text);
        assert_eq!(l.position(text, 0), Position::new(0, 0));
        assert_eq!(l.position(text, 3), Position::new(1, 0));
        // é is one unit, the emoji two.
        let x = text.find('x').unwrap_or(0);
        assert_eq!(l.position(text, x), Position::new(1, 3));
        assert_eq!(l.offset(text, Position::new(1, 3)), x);
        assert_eq!(l.offset(text, Position::new(1, 99)), x + 1);
        assert_eq!(l.offset(text, Position::new(9, 0)), text.len());
        // Inside a character: back to its start.
        assert_eq!(l.position(text, 4), Position::new(1, 0));
    }
}
