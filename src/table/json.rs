//! The table's JSON layout: pretty, but with arrays of plain values on one line.

/// How an open JSON array is laid out, decided by its first element.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ArrayLayout {
    /// No element written yet.
    Undecided,
    /// Plain values: `[1, 2, 3]` on one line.
    Inline,
    /// Objects or arrays: one element per indented line.
    Block,
}

/// An open container while writing a table.
#[derive(Clone, Copy)]
enum Frame {
    Object { has_value: bool },
    Array(ArrayLayout),
}

/// serde_json's pretty layout (two-space indent), except that arrays whose elements are plain
/// values stay on one line. An element's layout is only known when it starts, so the first
/// element's line break is held back until then (`pending`).
#[derive(Default)]
pub(super) struct TableFormatter {
    indent: usize,
    frames: Vec<Frame>,
    pending: bool,
}

type IoResult = std::io::Result<()>;

impl TableFormatter {
    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W) -> IoResult {
        w.write_all(b"\n")?;
        for _ in 0..self.indent {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    /// Settles the layout of the array whose first element is starting: inline for a plain
    /// value, one per line for an object or array.
    fn settle<W: ?Sized + std::io::Write>(&mut self, w: &mut W, plain: bool) -> IoResult {
        if !std::mem::take(&mut self.pending) {
            return Ok(());
        }
        if let Some(Frame::Array(layout)) = self.frames.last_mut() {
            if plain {
                *layout = ArrayLayout::Inline;
            } else {
                *layout = ArrayLayout::Block;
                return self.newline(w);
            }
        }
        Ok(())
    }
}

/// Plain values: settle the enclosing array, then write as serde_json's compact formatter does.
macro_rules! plain_values {
    ($($name:ident($t:ty)),* $(,)?) => {$(
        fn $name<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: $t) -> IoResult {
            self.settle(w, true)?;
            serde_json::ser::CompactFormatter.$name(w, v)
        }
    )*};
}

impl serde_json::ser::Formatter for TableFormatter {
    plain_values!(
        write_bool(bool),
        write_i8(i8),
        write_i16(i16),
        write_i32(i32),
        write_i64(i64),
        write_i128(i128),
        write_u8(u8),
        write_u16(u16),
        write_u32(u32),
        write_u64(u64),
        write_u128(u128),
        write_f32(f32),
        write_f64(f64),
        write_number_str(&str),
        write_byte_array(&[u8]),
        write_raw_fragment(&str),
    );

    fn write_null<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        // In a table, `null` elements stand for absent objects (a matrix cell not offered), so
        // an array that starts with one is laid out like an array of objects.
        self.settle(w, false)?;
        w.write_all(b"null")
    }

    fn begin_string<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        self.settle(w, true)?;
        w.write_all(b"\"")
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        self.settle(w, false)?;
        self.indent += 1;
        self.frames.push(Frame::Array(ArrayLayout::Undecided));
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        self.indent = self.indent.saturating_sub(1);
        if let Some(Frame::Array(ArrayLayout::Block)) = self.frames.pop() {
            self.newline(w)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> IoResult {
        match self.frames.last() {
            Some(Frame::Array(ArrayLayout::Inline)) => w.write_all(if first { b"" } else { b", " }),
            Some(Frame::Array(ArrayLayout::Block)) => {
                if !first {
                    w.write_all(b",")?;
                }
                self.newline(w)
            }
            _ => {
                self.pending = true;
                Ok(())
            }
        }
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        self.settle(w, false)?;
        self.indent += 1;
        self.frames.push(Frame::Object { has_value: false });
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        self.indent = self.indent.saturating_sub(1);
        if let Some(Frame::Object { has_value: true }) = self.frames.pop() {
            self.newline(w)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> IoResult {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> IoResult {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> IoResult {
        if let Some(Frame::Object { has_value }) = self.frames.last_mut() {
            *has_value = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::TableFormatter;
    use serde::Serialize;

    fn layout(v: &serde_json::Value) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, TableFormatter::default());
        v.serialize(&mut ser).expect("serializes");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn plain_arrays_stay_on_one_line_and_the_rest_is_indented() {
        let v = serde_json::json!({
            "flags": [true, false],
            "cells": [null, {"amount": "7", "dims": [0, 1]}],
            "rows": [[1, 2], []],
            "empty": [],
            "none": {},
            "name": "a \"quoted\" name"
        });
        let text = layout(&v);
        let expected = r#"{
  "cells": [
    null,
    {
      "amount": "7",
      "dims": [0, 1]
    }
  ],
  "empty": [],
  "flags": [true, false],
  "name": "a \"quoted\" name",
  "none": {},
  "rows": [
    [1, 2],
    []
  ]
}"#;
        assert_eq!(text, expected);
        let back: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, v);
    }
}
