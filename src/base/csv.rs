//! Splitting CSV lines: double quotes around a field allow commas in it, and `""` inside quotes
//! is a quote. Fields are trimmed of surrounding spaces.

use std::borrow::Cow;

/// Splits one CSV line into its fields.
///
/// ```
/// use pricebook::usage::csv::split_line;
/// assert_eq!(split_line("a, b ,c"), ["a", "b", "c"]);
/// assert_eq!(split_line(r#"render,"Digital Twin, v2","say ""hi""""#), ["render", "Digital Twin, v2", r#"say "hi""#]);
/// assert_eq!(split_line("a,,"), ["a", "", ""]);
/// ```
pub fn split_line(line: &str) -> Vec<Cow<'_, str>> {
    if !line.contains('"') {
        return line.split(',').map(|f| Cow::Borrowed(f.trim())).collect();
    }
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(Cow::Owned(std::mem::take(&mut field).trim().to_string())),
            c => field.push(c),
        }
    }
    out.push(Cow::Owned(field.trim().to_string()));
    out
}

/// `field.trim()`, without the Unicode whitespace tables for the usual field that starts and
/// ends with a visible ASCII character (a tenth of reading a usage line went to trimming).
///
/// ```
/// use pricebook::usage::csv::trim;
/// assert_eq!(trim(" 90 second\u{a0}"), "90 second");
/// assert_eq!(trim("flux-dev"), "flux-dev");
/// ```
#[inline]
pub fn trim(field: &str) -> &str {
    match field.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => field,
        [only] if only.is_ascii_graphic() => field,
        _ => field.trim(),
    }
}

/// Splits an unquoted line into `out` without allocating, for readers that go through millions
/// of lines: the number of fields (more than `out` holds: `out.len() + 1`), or `None` when the
/// line has a quote, which [`split_line`] handles. Fields are not trimmed.
#[inline]
pub fn split_unquoted<'a>(line: &'a str, out: &mut [&'a str]) -> Option<usize> {
    let bytes = line.as_bytes();
    // One vectorised search for a quote, then one per comma: a byte loop over every line was
    // a tenth of an invoice run.
    if memchr::memchr(b'"', bytes).is_some() {
        return None;
    }
    let max = out.len();
    let mut n = 0;
    let mut start = 0;
    for i in memchr::memchr_iter(b',', bytes) {
        let Some(slot) = out.get_mut(n) else {
            return Some(max + 1);
        };
        // A comma is ASCII, so both ends are character boundaries.
        *slot = line.get(start..i).unwrap_or_default();
        n += 1;
        start = i + 1;
    }
    match out.get_mut(n) {
        Some(slot) => {
            *slot = line.get(start..).unwrap_or_default();
            Some(n + 1)
        }
        None => Some(max + 1),
    }
}

/// The column of event attribute `NAME` is `attr.NAME` (any case): the name, or `None` for
/// another column.
///
/// ```
/// use pricebook::usage::csv::attr_column;
/// assert_eq!(attr_column("attr.scenes"), Some("scenes"));
/// assert_eq!(attr_column("scenes"), None);
/// ```
pub fn attr_column(header: &str) -> Option<&str> {
    let prefix = header.get(..5)?;
    prefix
        .eq_ignore_ascii_case("attr.")
        .then(|| header[5..].trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// On a line without quotes the fast split finds the same fields as the full one.
        #[test]
        fn the_fast_split_agrees_with_the_full_one(fields in proptest::collection::vec("[a-z0-9 .:-]{0,6}", 1..8)) {
            let line = fields.join(",");
            let mut out = [""; 16];
            let n = split_unquoted(&line, &mut out).expect("no quote");
            let fast: Vec<&str> = out[..n].iter().map(|f| f.trim()).collect();
            let full = split_line(&line);
            prop_assert_eq!(fast, full.iter().map(|f| f.as_ref()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn too_many_fields_are_counted_and_quotes_are_left_to_the_full_split() {
        let mut out = [""; 2];
        assert_eq!(split_unquoted("a,b,c", &mut out), Some(3));
        assert_eq!(split_unquoted("a,b", &mut out), Some(2));
        assert_eq!(split_unquoted("a,\"b,c\"", &mut out), None);
        assert_eq!(split_unquoted("a,b,\"c\"", &mut out), None);
    }
}
