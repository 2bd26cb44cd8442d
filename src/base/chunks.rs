//! A usage file cut into chunks of whole lines, each read by whichever worker takes it (the
//! rating engine's and the invoice run's).
//!
//! A regular file is read by the workers themselves, each taking the next chunk of bytes and
//! reading it with a positioned read: no reader thread, no copy between threads, and the file's
//! bytes are read once. (The rating engine reads anything else, standard input or a pipe, on
//! the calling thread into blocks of whole lines that travel to its workers over channels.)
//!
//! Either way a chunk carries its index, and line numbers are counted within the chunk: once
//! every chunk is rated, each chunk's first line number is the sum of the lines before it
//! ([`LineBase`]). So no pass over the bytes counts lines before they are rated.

use std::fs::File;
use std::io::{self, BufRead};
use std::sync::atomic::{AtomicU32, Ordering};

type Range = std::ops::Range<usize>;

/// Bytes per chunk: large enough that taking one is rare, small enough to stay in cache and to
/// balance two workers' loads to within a chunk.
pub const CHUNK_BYTES: u64 = 1 << 20;

/// The first non-blank line of an export (the CSV header, or a JSON Lines file's first line).
pub struct FirstLine {
    /// Its text, without the line ending.
    pub text: String,
    /// Its line number (blank lines before it count).
    pub number: u64,
    /// Byte offsets of its start and of the line after it.
    pub start: u64,
    pub end: u64,
}

/// Reads up to and including the first non-blank line.
pub fn first_line(input: &mut dyn BufRead) -> Result<FirstLine, String> {
    let mut text = String::new();
    let (mut number, mut offset) = (0u64, 0u64);
    loop {
        text.clear();
        let n = input
            .read_line(&mut text)
            .map_err(|e| format!("cannot read the usage file: {e}"))?;
        number += 1;
        if n == 0 {
            return Err("the usage file is empty".into());
        }
        let start = offset;
        offset += n as u64;
        if !text.trim().is_empty() {
            let trimmed = text.trim_end_matches(['\n', '\r']).len();
            text.truncate(trimmed);
            return Ok(FirstLine {
                text,
                number,
                start,
                end: offset,
            });
        }
    }
}

/// The chunks of a regular file's byte range `[start, end)`, taken by workers in turn.
///
/// Chunk `k` owns the lines that start in its `CHUNK_BYTES` of the range: it skips the end of a
/// line begun in the chunk before, and reads past its own end to finish its last line.
pub struct FileChunks<'f> {
    file: &'f File,
    start: u64,
    end: u64,
    next: AtomicU32,
}

impl<'f> FileChunks<'f> {
    pub fn new(file: &'f File, start: u64, end: u64) -> Self {
        FileChunks {
            file,
            start,
            end,
            next: AtomicU32::new(0),
        }
    }

    /// Takes the next chunk: its index, and the range of `buf` holding its lines (without the
    /// last line's newline; `None` when no line starts in the chunk); `None` when the file is
    /// done.
    pub fn take(&self, buf: &mut Vec<u8>) -> io::Result<Option<(u32, Option<Range>)>> {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        let from = self.start + u64::from(k) * CHUNK_BYTES;
        if from >= self.end {
            return Ok(None);
        }
        let to = (from + CHUNK_BYTES).min(self.end);
        // One byte before the chunk tells whether a line starts at its first byte.
        let read_from = if k == 0 { from } else { from - 1 };
        buf.clear();
        read_at(self.file, read_from, to, buf)?;
        let own_end = (to - read_from) as usize;
        let first = if k == 0 {
            0
        } else {
            match memchr::memchr(b'\n', buf) {
                Some(i) => i + 1,
                None => own_end,
            }
        };
        if first >= own_end {
            // No line starts here: a line longer than a chunk, owned by a chunk before.
            return Ok(Some((k, None)));
        }
        // The last line that starts in the chunk ends at the first newline from its last byte.
        let mut search = own_end - 1;
        let mut at = to;
        loop {
            if let Some(i) = memchr::memchr(b'\n', &buf[search..]) {
                return Ok(Some((k, Some(first..search + i))));
            }
            if at >= self.end {
                return Ok(Some((k, Some(first..buf.len()))));
            }
            search = buf.len();
            let more = (at + (64 << 10)).min(self.end);
            read_at(self.file, at, more, buf)?;
            at = more;
        }
    }
}

/// Appends the bytes `[from, to)` of `file` to `buf`; fewer when the file ends first.
fn read_at(file: &File, from: u64, to: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    #[cfg(unix)]
    use std::os::unix::fs::FileExt;
    let old = buf.len();
    buf.resize(old + (to - from) as usize, 0);
    let mut filled = old;
    while filled < buf.len() {
        #[cfg(unix)]
        let n = file.read_at(&mut buf[filled..], from + (filled - old) as u64)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(
            file,
            &mut buf[filled..],
            from + (filled - old) as u64,
        )?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    buf.truncate(filled);
    Ok(())
}

/// Whether `file` can be read by positioned reads from several threads (a regular file).
pub fn positioned(file: &File) -> bool {
    cfg!(any(unix, windows)) && file.metadata().is_ok_and(|m| m.is_file())
}

/// Line numbers from chunk-relative ones: the first line of chunk `k` follows every line of the
/// chunks before it.
pub struct LineBase {
    first: Vec<u64>,
}

impl LineBase {
    /// `lines`: (chunk, lines in it), in any order; `first_data`: the number of the data's first
    /// line.
    pub fn new(lines: &[(u32, u64)], first_data: u64) -> LineBase {
        let chunks = lines
            .iter()
            .map(|(k, _)| *k as usize + 1)
            .max()
            .unwrap_or(0);
        let mut count = vec![0u64; chunks];
        for (k, n) in lines {
            count[*k as usize] = *n;
        }
        let mut first = Vec::with_capacity(chunks);
        let mut next = first_data;
        for n in count {
            first.push(next);
            next += n;
        }
        LineBase { first }
    }

    /// The file's line number of line `local` (from 1) of chunk `chunk`.
    pub fn number(&self, chunk: u32, local: u64) -> u64 {
        self.first.get(chunk as usize).copied().unwrap_or(0) + local - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of the file, from the chunks, in order: no line lost, cut or repeated, whatever
    /// the lengths of lines against the chunk size.
    #[test]
    fn chunks_partition_the_lines() {
        let dir = std::env::temp_dir().join(format!("pricebook-chunks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let path = dir.join("lines.csv");
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for case in 0..6 {
            let mut text = String::from("header\n");
            let mut expect = Vec::new();
            for i in 0..3000 {
                crate::base::xorshift(&mut seed);
                // Mostly short lines, some blank, some longer than a chunk.
                let len = match seed % 1000 {
                    0 if case % 2 == 0 => CHUNK_BYTES as usize + 17,
                    1..=20 => 0,
                    n => (n % 80) as usize,
                };
                let line = match seed % 1000 {
                    1..=20 => String::new(),
                    _ => format!("{i}:{}", "x".repeat(len)),
                };
                text.push_str(&line);
                expect.push(line);
                if i < 2999 || case < 3 {
                    text.push('\n');
                }
            }
            std::fs::write(&path, &text).expect("written");
            let file = File::open(&path).expect("opened");
            let chunks = FileChunks::new(&file, 7, text.len() as u64);
            let mut buf = Vec::new();
            let mut got: Vec<(u32, Vec<String>)> = Vec::new();
            while let Some((k, range)) = chunks.take(&mut buf).expect("read") {
                let lines = match range {
                    None => Vec::new(),
                    Some(range) => buf[range]
                        .split(|b| *b == b'\n')
                        .map(|l| String::from_utf8_lossy(l).into_owned())
                        .collect(),
                };
                got.push((k, lines));
            }
            got.sort_by_key(|g| g.0);
            let all: Vec<String> = got.into_iter().flat_map(|g| g.1).collect();
            assert_eq!(all, expect, "case {case}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn line_numbers_follow_the_chunks_before() {
        let base = LineBase::new(&[(2, 5), (0, 3), (1, 4)], 2);
        assert_eq!(base.number(0, 1), 2);
        assert_eq!(base.number(1, 1), 5);
        assert_eq!(base.number(2, 5), 13);
    }
}
