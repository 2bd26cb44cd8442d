//! Checking a table's checksum on the text it was read from, without writing the table again.
//!
//! The checksum is SHA-256 over the table's compact JSON with an empty `checksum`. A table file
//! as pricebook writes it differs from that only by whitespace between tokens and by the
//! checksum's own value, so the file's text with both taken out is those very bytes: hashing it
//! checks the same thing as writing the table again and hashing that, which took as long as
//! parsing the file. When the text is laid out some other way (a tool re-escaped a string, or
//! wrote a number differently) the two differ and the caller checks by writing the table again.

use sha2::{Digest, Sha256};

/// Whether `json` with its whitespace between tokens removed and its checksum's value emptied
/// hashes to `stored`. `false` means "not shown here", never "does not hold".
pub(super) fn text_holds(json: &str, stored: &str) -> bool {
    let Some(compact) = compact(json.as_bytes()) else {
        return false;
    };
    // The checksum's value, found by its whole key and value (near the start, as written).
    // Should the first match be anything but the table's own field, the bytes hashed are not a
    // table's compact JSON and cannot hash to its checksum: a quote inside a string is escaped,
    // and the table has no other `checksum` key.
    let field = format!("\"checksum\":\"{stored}\"");
    let Some(at) = compact
        .windows(field.len())
        .position(|w| w == field.as_bytes())
    else {
        return false;
    };
    let value = at + "\"checksum\":\"".len();
    let mut hash = Sha256::new();
    hash.update(&compact[..value]);
    hash.update(&compact[value + stored.len()..]);
    let digest = hash.finalize();
    super::load::hex(&digest) == stored
}

/// The JSON text without whitespace outside strings; `None` when a string does not end.
///
/// Without branches on what each byte is (a string starts every few bytes, and mispredicting
/// each made this take as long as the parse): every byte is stored, and the count of kept
/// bytes moves on unless it was whitespace outside a string. Only a backslash, rare and only
/// inside strings, branches (it and the byte it escapes are kept), and a line break outside a
/// string, after which the indentation, half of a table file's bytes, is skipped at once.
fn compact(json: &[u8]) -> Option<Vec<u8>> {
    const fn whitespace() -> [u8; 256] {
        let mut t = [0u8; 256];
        t[b' ' as usize] = 1;
        t[b'\n' as usize] = 1;
        t[b'\r' as usize] = 1;
        t[b'\t' as usize] = 1;
        t
    }
    const WHITESPACE: [u8; 256] = whitespace();
    let mut out = vec![0u8; json.len()];
    let (mut i, mut n, mut in_string) = (0, 0, 0u8);
    while let (Some(&b), Some(slot)) = (json.get(i), out.get_mut(n)) {
        *slot = b;
        n += usize::from(1 - (WHITESPACE[usize::from(b)] & (in_string ^ 1)));
        in_string ^= u8::from(b == b'"');
        i += 1;
        if b == b'\\' {
            let (Some(&escaped), Some(slot)) = (json.get(i), out.get_mut(n)) else {
                return None;
            };
            *slot = escaped;
            n += 1;
            i += 1;
        } else if b == b'\n' && in_string == 0 {
            i += json[i..].iter().take_while(|c| **c == b' ').count();
        }
    }
    out.truncate(n);
    (in_string == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_goes_and_strings_stay_as_written() {
        let text = "{\n  \"a b\": [1, 2],\n  \"q\": \"say \\\"hi\\\" \\\\\",\t\"n\": null\r\n}";
        let out = compact(text.as_bytes()).expect("strings end");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            r#"{"a b":[1,2],"q":"say \"hi\" \\","n":null}"#
        );
        assert_eq!(compact(br#"{"a": "open"#), None);
    }

    #[test]
    fn the_checksum_holds_only_on_the_text_it_was_taken_over() {
        let blank = r#"{"v":1,"checksum":"","x":[true,false]}"#;
        let sum = super::super::load::hex(&Sha256::digest(blank.as_bytes()));
        let written =
            format!("{{\n  \"v\": 1,\n  \"checksum\": \"{sum}\",\n  \"x\": [true, false]\n}}");
        assert!(text_holds(&written, &sum));
        // An edit, a different checksum, the field twice, a space added inside a string: not
        // shown.
        assert!(!text_holds(&written.replace("false", "true"), &sum));
        assert!(!text_holds(&written, &"0".repeat(64)));
        let twice = written.replace("\"x\"", &format!("\"checksum\": \"{sum}\", \"x\""));
        assert!(!text_holds(&twice, &sum));
        assert!(!text_holds(&written.replace("\"x\"", "\"x \""), &sum));
    }
}
