//! Structured logs on standard error: one line per request (method, path, status, the book
//! version that answered, latency) and one per event (start, reload, shutdown), as text or as
//! JSON Lines (`--log-format json`).
//!
//! Lines are gathered in a buffer and written by a task every 100 ms (or when the buffer is
//! large), so a request never waits on standard error.

use crate::base::date::format_instant;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum LogFormat {
    /// `2026-06-10T10:00:00.123Z POST /v1/quote 200 book=hedra@2026-06 latency_ms=0.084`
    #[default]
    Text,
    /// One JSON object per line: `{"ts", "method", "path", "status", "book", "latency_ms", ...}`.
    Json,
}

/// One request, as its log line says it.
pub(crate) struct RequestLine<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    /// `vendor@version` of the book that answered.
    pub book: Option<&'a str>,
    pub latency: Duration,
    /// The error's code when the answer is an error.
    pub code: Option<&'a str>,
}

pub(crate) struct Log {
    format: LogFormat,
    buffer: Mutex<Vec<u8>>,
}

/// Beyond this many buffered bytes, the writer flushes at once.
const FLUSH_AT: usize = 256 << 10;

fn now() -> String {
    let mut out = Vec::with_capacity(24);
    write_now(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

thread_local! {
    /// The last second a line was stamped with, and its `YYYY-MM-DDTHH:MM:SS`: a request's line
    /// formats the date once a second per thread, not once a line.
    static SECOND: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((u64::MAX, String::new())) };
}

/// Appends the time now, `2026-06-10T10:00:00.123Z`.
fn write_now(out: &mut Vec<u8>) {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != t.as_secs() {
            *second = t.as_secs();
            // `...:SSZ` -> `...:SS`, the milliseconds and `Z` added below.
            *text = format_instant(i64::try_from(t.as_secs()).unwrap_or(0));
            text.pop();
        }
        out.extend_from_slice(text.as_bytes());
    });
    let _ = write!(out, ".{:03}Z", t.subsec_millis());
}

fn json_text(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Appends `s` as a JSON string.
fn write_json_text(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *out, s);
}

impl Log {
    pub(crate) fn new(format: LogFormat) -> Log {
        Log {
            format,
            buffer: Mutex::new(Vec::with_capacity(FLUSH_AT)),
        }
    }

    fn push(&self, line: &str) {
        let full = match self.buffer.lock() {
            Ok(mut b) => {
                b.extend_from_slice(line.as_bytes());
                b.push(b'\n');
                b.len() >= FLUSH_AT
            }
            Err(_) => false,
        };
        if full {
            self.flush();
        }
    }

    /// Writes what is buffered to standard error.
    pub(crate) fn flush(&self) {
        let taken = match self.buffer.lock() {
            Ok(mut b) if !b.is_empty() => std::mem::replace(&mut *b, Vec::with_capacity(4096)),
            _ => return,
        };
        let stderr = std::io::stderr();
        let mut err = stderr.lock();
        let _ = err.write_all(&taken);
        let _ = err.flush();
    }

    /// A request's line, written straight into the buffer (one lock, no allocation): it is
    /// on every request's path.
    pub(crate) fn request(&self, r: &RequestLine<'_>) {
        // Milliseconds with three decimals, from whole microseconds: formatting an f64 to a
        // precision was a third of the line's cost.
        let micros = (r.latency.as_nanos() + 500) / 1000;
        let (ms, frac) = (micros / 1000, micros % 1000);
        let full = match self.buffer.lock() {
            Ok(mut b) => {
                let l = &mut *b;
                match self.format {
                    LogFormat::Text => {
                        write_now(l);
                        let _ = write!(l, " {} {} {}", r.method, r.path, r.status);
                        if let Some(b) = r.book {
                            l.extend_from_slice(b" book=");
                            l.extend_from_slice(b.as_bytes());
                        }
                        if let Some(c) = r.code {
                            l.extend_from_slice(b" code=");
                            l.extend_from_slice(c.as_bytes());
                        }
                        let _ = write!(l, " latency_ms={ms}.{frac:03}");
                    }
                    LogFormat::Json => {
                        l.extend_from_slice(b"{\"ts\":\"");
                        write_now(l);
                        l.extend_from_slice(b"\",\"level\":\"info\",\"method\":");
                        write_json_text(l, r.method);
                        l.extend_from_slice(b",\"path\":");
                        write_json_text(l, r.path);
                        let _ = write!(l, ",\"status\":{}", r.status);
                        if let Some(b) = r.book {
                            l.extend_from_slice(b",\"book\":");
                            write_json_text(l, b);
                        }
                        if let Some(c) = r.code {
                            l.extend_from_slice(b",\"code\":");
                            write_json_text(l, c);
                        }
                        let _ = write!(l, ",\"latency_ms\":{ms}.{frac:03}}}");
                    }
                }
                l.push(b'\n');
                l.len() >= FLUSH_AT
            }
            Err(_) => false,
        };
        if full {
            self.flush();
        }
    }

    /// An event that is not a request: `level` is `info`, `warn` or `error`.
    pub(crate) fn event(&self, level: &str, message: &str, fields: &[(&str, String)]) {
        let line = match self.format {
            LogFormat::Text => {
                let mut l = format!("{} {level} {message}", now());
                for (k, v) in fields {
                    if v.contains(' ') || v.contains('"') || v.is_empty() {
                        l.push_str(&format!(" {k}={}", json_text(v)));
                    } else {
                        l.push_str(&format!(" {k}={v}"));
                    }
                }
                l
            }
            LogFormat::Json => {
                let mut l = format!(
                    "{{\"ts\":\"{}\",\"level\":{},\"msg\":{}",
                    now(),
                    json_text(level),
                    json_text(message)
                );
                for (k, v) in fields {
                    l.push_str(&format!(",{}:{}", json_text(k), json_text(v)));
                }
                l.push('}');
                l
            }
        };
        self.push(&line);
    }
}
