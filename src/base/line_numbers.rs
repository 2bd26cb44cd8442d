//! Line numbers of byte offsets in a source text, for a caller that asks in mostly increasing
//! order (the compiler, giving every product, rate and grant of a book its line).

use std::cell::Cell;

/// Where each line of a text starts, and the line of the last offset asked about.
pub(crate) struct LineNumbers {
    /// Byte offset of each line's start: `0`, then one past each `\n`.
    starts: Vec<usize>,
    /// The answer to the previous question: how many lines start at or before its offset.
    last: Cell<usize>,
}

/// How many lines past the previous answer are scanned before searching: the next item of a
/// book is usually a line or a few further on.
const NEAR: usize = 8;

impl LineNumbers {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineNumbers {
            starts,
            last: Cell::new(0),
        }
    }

    /// The 1-based line of byte `offset` (the number of lines starting at or before it). Looks
    /// a few lines past the previous answer first: a binary search over a large book's lines
    /// for every item was most of what giving them lines cost.
    pub(crate) fn line(&self, offset: usize) -> u32 {
        let last = self.last.get();
        let at_or_after_last = last
            .checked_sub(1)
            .and_then(|i| self.starts.get(i))
            .is_some_and(|s| *s <= offset);
        let count = match self.starts.get(last..) {
            Some(rest) if at_or_after_last => {
                let near = rest.iter().take(NEAR).take_while(|s| **s <= offset).count();
                match rest.get(NEAR..) {
                    Some(far) if near == NEAR => {
                        last + NEAR + far.partition_point(|s| *s <= offset)
                    }
                    _ => last + near,
                }
            }
            _ => self.starts.partition_point(|s| *s <= offset),
        };
        self.last.set(count);
        count as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same line as a binary search over all the starts, in any order of asking.
    #[test]
    fn agrees_with_a_full_search_in_any_order() {
        let text = "a\nbb\n\nccc\n".repeat(7) + "tail";
        let lines = LineNumbers::new(&text);
        let full = |o: usize| -> u32 {
            let mut starts = vec![0];
            starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
            starts.partition_point(|s| *s <= o) as u32
        };
        let mut order: Vec<usize> = (0..=text.len()).collect();
        order.extend((0..=text.len()).rev());
        order.extend((0..=text.len()).step_by(7));
        order.extend([3, 40, 2, text.len(), 0, 25]);
        for o in order {
            assert_eq!(lines.line(o), full(o), "offset {o}");
        }
        assert_eq!(LineNumbers::new("").line(0), 1);
    }
}
