//! The worked examples of a book as snapshot facts: each `test` block's statements in the
//! canonical layout `pricebook fmt` writes, so a change of layout or comments never shows and a
//! changed expectation is one changed line.

use super::Example;

/// The `test` blocks of a book's text, each with its statements as `fmt` prints them (a `bill`
/// statement's events and expectations each prefixed with its `bill ...` line). Text that does
/// not parse has none.
///
/// ```
/// let text = r#"pricebook acme version "1" effective 2026-01-01 currency USD
/// unit credit
/// product "Render" as render { measure time  rate 2 credit / second }
/// plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
/// test "a minute" {   quote plan pro product render quantity 1 minute == 120 credit   # why
/// }
/// "#;
/// let examples = pricebook::snapshot::examples_of(text);
/// assert_eq!(examples[0].name, "a minute");
/// assert_eq!(examples[0].statements, ["quote plan pro product render quantity 1 minute == 120 credit"]);
/// ```
pub fn examples_of(text: &str) -> Vec<Example> {
    let Ok(formatted) = crate::fmt::format_source(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut current: Option<Example> = None;
    // The `bill ... {` line whose block the statements are in.
    let mut block: Option<String> = None;
    for line in formatted.lines() {
        let code = without_comment(line);
        let depth = (line.len() - line.trim_start().len()) / 2;
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        match (&mut current, depth) {
            (None, 0) => {
                if let Some(name) = code
                    .strip_prefix("test ")
                    .and_then(|r| r.strip_suffix('{'))
                    .map(str::trim)
                {
                    current = Some(Example {
                        name: unquote(name),
                        statements: Vec::new(),
                    });
                }
            }
            (Some(_), 0) => {
                // The block's closing brace.
                out.extend(current.take());
                block = None;
            }
            (Some(e), 1) => match code.strip_suffix('{') {
                Some(head) => block = Some(head.trim().to_string()),
                None if code == "}" => block = None,
                None => e.statements.push(code.to_string()),
            },
            (Some(e), _) => {
                if code != "}" {
                    let head = block.as_deref().unwrap_or("");
                    e.statements.push(format!("{head} | {code}"));
                }
            }
            (None, _) => {}
        }
    }
    out.extend(current);
    out
}

/// A line without its trailing `# comment` (a `#` inside a string is text).
fn without_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => {}
        }
    }
    line
}

/// `"a \"quoted\" name"` as its text.
fn unquote(s: &str) -> String {
    let inner = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s);
    inner.replace("\\\"", "\"").replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bill_statements_carry_their_bill_line() {
        let text = r#"pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
product "Render" as render { measure time  rate 2 credit / second }
plan "Pro" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }
# a comment before
test "a \"month\"" {
  # inside
  bill plan pro from 2026-01-01 periods 1 {
    2026-01-02T00:00:00Z use render 10 second # a use
    expect total == 20 USD
  }
  quote plan pro product render quantity 1 second == 2 credit
}
"#;
        let e = examples_of(text);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].name, "a \"month\"");
        assert_eq!(
            e[0].statements,
            [
                "bill plan pro from 2026-01-01 periods 1 | 2026-01-02T00:00:00Z use render 10 second",
                "bill plan pro from 2026-01-01 periods 1 | expect total == 20 USD",
                "quote plan pro product render quantity 1 second == 2 credit",
            ]
        );
        assert!(examples_of("not a book {").is_empty());
    }
}
