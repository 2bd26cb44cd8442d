//! JSON Lines events: a flat event read without building a JSON value, anything else through
//! `serde_json`.

use super::words::{bytes_below, bytes_equal, load};
use super::worker::Line;
use crate::base::usage_json as json;

/// A parsed JSON line, owning its strings.
pub(super) struct JsonLine {
    account: String,
    plan: String,
    product: String,
    quantity: String,
    unit: Option<String>,
    time: Option<String>,
    dims: Vec<(Option<String>, String)>,
    attrs: Vec<(String, String)>,
    list: String,
}

impl JsonLine {
    pub(super) fn as_line(&self) -> Line<'_> {
        Line {
            account: &self.account,
            plan: &self.plan,
            product: &self.product,
            quantity: &self.quantity,
            unit: self.unit.as_deref(),
            time: self.time.as_deref(),
            dims: self
                .dims
                .iter()
                .map(|(k, v)| (k.as_deref(), v.as_str()))
                .collect(),
            attrs: self
                .attrs
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            list: &self.list,
        }
    }
}

pub(super) fn parse_json(text: &str) -> Result<JsonLine, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let s = |k: &str| json::text(&v, k);
    let quantity = s("quantity")?;
    if quantity.is_empty() {
        return Err("no `quantity`".into());
    }
    let product = s("product")?;
    if product.is_empty() {
        return Err("no `product`".into());
    }
    let dims = json::dims(&v)?;
    let unit = s("unit")?;
    let time = s("time")?;
    Ok(JsonLine {
        account: s("account")?,
        plan: s("plan")?,
        product,
        quantity,
        unit: (!unit.is_empty()).then_some(unit),
        time: (!time.is_empty()).then_some(time),
        dims,
        attrs: json::attrs(&v)?,
        list: s("list")?.trim().to_string(),
    })
}

/// The account, plan, product and quantity of a flat event such as
/// `{"account": "acme", "plan": "pro", "product": "render", "quantity": 90}`: string values
/// without escapes and whole-number quantities, in any order, other keys skipped when their values
/// are strings or numbers. `None` for anything else (a `unit`, `time`, `list`, `dims` or
/// `attrs` key, an escape, a nested value, a fraction or exponent, malformed JSON), which
/// [`parse_json`] then reads; the fields are the ones it would give.
pub(super) fn flat_event(text: &[u8]) -> Option<[&[u8]; 4]> {
    let mut fields: [Option<&[u8]>; 4] = [None; 4];
    let mut i = skip_space(text, 0);
    if text.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_space(text, i + 1);
    loop {
        let (slot, next) = match known_key(text, i) {
            Some((slot, next)) => (Some(slot), next),
            None => {
                let (key, next) = string(text, i)?;
                let slot = match key {
                    b"account" => Some(0),
                    b"plan" => Some(1),
                    b"product" => Some(2),
                    b"quantity" => Some(3),
                    b"unit" | b"time" | b"list" | b"dims" | b"attrs" => return None,
                    _ => None,
                };
                (slot, next)
            }
        };
        i = skip_space(text, next);
        if text.get(i) != Some(&b':') {
            return None;
        }
        i = skip_space(text, i + 1);
        let (value, next) = match text.get(i)? {
            b'"' => string(text, i)?,
            b'0'..=b'9' => number(text, i)?,
            _ => return None,
        };
        i = skip_space(text, next);
        // A repeated key keeps its last value, as serde_json's map does.
        if let Some(slot) = slot {
            fields[slot] = Some(value);
        }
        match text.get(i)? {
            b',' => i = skip_space(text, i + 1),
            b'}' => break,
            _ => return None,
        }
    }
    if skip_space(text, i + 1) != text.len() {
        return None;
    }
    Some([
        fields[0].unwrap_or_default(),
        fields[1].unwrap_or_default(),
        fields[2]?,
        fields[3]?,
    ])
}

/// The field of an event a key names, read from the line as words when it is one of the four
/// every event has: `(field, index after the key)`, the key's opening quote at `i`. `None` for
/// any other key (or one too near the line's end to read as a word), which [`string`] reads.
/// Found by its bytes and closing quote compared as one or two words, a key is not searched for
/// its end and then compared with each name (the keys were half of the strings read).
#[inline]
fn known_key(text: &[u8], i: usize) -> Option<(usize, usize)> {
    const ACCOUNT: u64 = u64::from_le_bytes(*b"account\"");
    const PRODUCT: u64 = u64::from_le_bytes(*b"product\"");
    const QUANTITY: u64 = u64::from_le_bytes(*b"quantity");
    const PLAN: u64 = u64::from_le_bytes(*b"plan\"\0\0\0");
    const FIVE_BYTES: u64 = 0xff_ffff_ffff;
    if text.get(i) != Some(&b'"') {
        return None;
    }
    let mut b = [0u8; 8];
    b.copy_from_slice(text.get(i + 1..i + 9)?);
    match u64::from_le_bytes(b) {
        ACCOUNT => Some((0, i + 9)),
        PRODUCT => Some((2, i + 9)),
        QUANTITY if text.get(i + 9) == Some(&b'"') => Some((3, i + 10)),
        w if w & FIVE_BYTES == PLAN => Some((1, i + 6)),
        _ => None,
    }
}

fn skip_space(text: &[u8], mut i: usize) -> usize {
    while matches!(text.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// A string without escapes or control characters at `i`: its contents and the index after it.
fn string(text: &[u8], i: usize) -> Option<(&[u8], usize)> {
    if text.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let end = start + string_len(text.get(start..)?)?;
    (text[end] == b'"').then_some((&text[start..end], end + 1))
}

/// Where the first quote, backslash or control character of `rest` is. Eight bytes at a time:
/// each is found by arithmetic on the word (exact per byte, as in the CSV reader's split), so a
/// key or value of a few bytes takes one or two words, not a compare and a branch per byte
/// (the search was a fifth of a JSON Lines run).
#[inline]
fn string_len(rest: &[u8]) -> Option<usize> {
    let mut words = rest.chunks_exact(8);
    let mut at = 0;
    for chunk in words.by_ref() {
        let w = load(chunk);
        let found = bytes_equal(w, b'"') | bytes_equal(w, b'\\') | bytes_below(w, 0x20);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|b| matches!(b, b'"' | b'\\' | 0..=0x1f))
        .map(|p| at + p)
}

/// A whole number at `i` as JSON writes it (no leading zero): its digits and the index after.
fn number(text: &[u8], i: usize) -> Option<(&[u8], usize)> {
    let len = text[i..]
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len() - i);
    let end = i + len;
    let leading_zero = len > 1 && text[i] == b'0';
    let fraction = matches!(text.get(end), Some(b'.' | b'e' | b'E'));
    (!leading_zero && !fraction).then_some((&text[i..end], end))
}

#[cfg(test)]
mod tests {
    use super::{flat_event, parse_json, string_len};

    /// The word-at-a-time search finds the byte the byte loop finds, for every length and place,
    /// among bytes with the high bit set (which the arithmetic must not take for a control
    /// character or a quote), control characters, 0x1f and 0x20 either side of the bound, and
    /// bytes one away from a quote or a backslash.
    #[test]
    fn words_find_a_string_end_as_bytes_do() {
        let stops = [b'"', b'\\', 0u8, 0x1f, b'\n'];
        let others = [
            b'a', b' ', 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0x9f, 0xa2, 0xdc, 0xff,
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || crate::base::xorshift(&mut seed);
        for _ in 0..100_000 {
            let len = (next() % 40) as usize;
            let mut rest: Vec<u8> = (0..len)
                .map(|_| others[(next() % others.len() as u64) as usize])
                .collect();
            if len > 0 && next() % 4 != 0 {
                let at = (next() % len as u64) as usize;
                rest[at] = stops[(next() % stops.len() as u64) as usize];
            }
            let bytes = rest
                .iter()
                .position(|b| matches!(b, b'"' | b'\\' | 0..=0x1f));
            assert_eq!(string_len(&rest), bytes, "{rest:?}");
        }
    }

    /// Whatever the line, a flat event read by the fast reader has the fields serde_json gives.
    #[test]
    fn flat_events_agree_with_serde_json() {
        let lines = [
            r#"{"account":"a-1","plan":"pro","product":"render","quantity":90}"#,
            r#" { "quantity" : 7 , "product":"render", "account":"é" } "#,
            r#"{"account":"a","plan":"pro","product":"render","quantity":"1.5","note":"x","n":3}"#,
            r#"{"account":"a","account":"b","product":"render","quantity":1}"#,
            // Keys one byte from the four an event needs, which are read as words.
            r#"{"accounts":"x","account":"a","planet":"p","plan":"pro","product_":"y","product":"r","quantity2":5,"quantity":3}"#,
            r#"{"quantity":3,"product":"r","plan":"pro","account":"a"}"#,
            r#"{"account":"a","product":"render","quantit":1}"#,
            r#"{"account":"a","product":"render","quantity":1,"plan":"p"}"#,
            r#"{"account":"a\"b","product":"render","quantity":1}"#,
            r#"{"account":"a","product":"render","quantity":1.5}"#,
            r#"{"account":"a","product":"render","quantity":1e3}"#,
            r#"{"account":"a","product":"render","quantity":01}"#,
            r#"{"account":"a","product":"render","quantity":-1}"#,
            r#"{"account":"a","product":"render","quantity":1,"unit":"minute"}"#,
            r#"{"account":"a","product":"render","quantity":1,"dims":["720p"]}"#,
            r#"{"account":"a","product":"render","quantity":1,"x":null}"#,
            r#"{"account":"a","product":"render","quantity":1}x"#,
            r#"{"account":"a","product":"render","quantity":1"#,
            r#"{"account":"a","product":"render"}"#,
            r#"{"account":"a","product":"render","quantity":1,}"#,
            r#"{}"#,
            r#"[1]"#,
            "",
        ];
        let mut fast = 0;
        for line in lines {
            if let Some([account, plan, product, quantity]) = flat_event(line.as_bytes()) {
                fast += 1;
                let j = parse_json(line).expect("a flat event is valid JSON");
                let l = j.as_line();
                let s = |b: &[u8]| String::from_utf8(b.to_vec()).expect("utf-8");
                assert_eq!(
                    (s(account), s(plan), s(product), s(quantity)),
                    (
                        l.account.to_string(),
                        l.plan.to_string(),
                        l.product.to_string(),
                        l.quantity.to_string()
                    ),
                    "{line}"
                );
                assert!(
                    l.unit.is_none()
                        && l.time.is_none()
                        && l.dims.is_empty()
                        && l.attrs.is_empty()
                        && l.list.is_empty()
                );
            }
        }
        assert_eq!(fast, 7, "seven of the lines are flat events");
    }
}
