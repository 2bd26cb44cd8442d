//! Hostile input: the parser and checker return diagnostics, never panic or overflow the stack.

use pricebook::check::check_source;
use pricebook::diagnostic::Code;

fn codes(text: &str) -> Vec<Code> {
    check_source(text)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

#[test]
fn empty_file_reports_a_missing_header() {
    assert_eq!(codes(""), vec![Code::Header]);
    assert_eq!(codes("   \n# only a comment\n"), vec![Code::Header]);
}

#[test]
fn hundred_thousand_nested_braces_do_not_overflow() {
    let open = "{".repeat(100_000);
    let d = check_source(&open).diagnostics;
    assert!(d.iter().any(|d| d.code == Code::Syntax), "{d:?}");

    let nested = format!(
        "pricebook a version \"1\" effective 2026-01-01 currency USD\nproduct \"P\" as p {}{}\n",
        "{".repeat(100_000),
        "}".repeat(100_000)
    );
    let d = check_source(&nested).diagnostics;
    assert!(d.iter().any(|d| d.code == Code::Syntax));
}

#[test]
fn ten_megabyte_book_is_checked() {
    // ~10 MB of products: parsed and checked, one diagnostic per real problem, no panic.
    let mut text = String::from(
        "pricebook big version \"1\" effective 2026-01-01 currency USD\nunit credit\n",
    );
    let mut n = 0;
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(&format!(
            "product \"Product number {n} with a long display name\" as product-{n} {{ measure time  rate {} credit / second  round up to 1 second }}\n",
            n % 97 + 1
        ));
        n += 1;
    }
    text.push_str("plan \"Pro\" as pro { price 10 USD / month  grant 100 credit every month, expires at cycle end }\n");
    let checked = check_source(&text);
    assert!(
        checked.diagnostics.is_empty(),
        "{:?}",
        checked.diagnostics.first()
    );
    assert_eq!(checked.model.map(|m| m.products.len()), Some(n));
}

#[test]
fn ten_megabyte_garbage_line_is_one_error() {
    let text = format!(
        "pricebook a version \"1\" effective 2026-01-01 currency USD\n{}\n",
        "x".repeat(10 * 1024 * 1024)
    );
    let d = check_source(&text).diagnostics;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, Code::Syntax);
}

#[test]
fn numbers_beyond_decimal_range_are_errors() {
    let text = "pricebook a version \"1\" effective 2026-01-01 currency USD\n\
                product \"P\" as p { measure time  rate 99999999999999999999999999999999999999 USD / second }\n";
    assert!(codes(text).contains(&Code::NumberRange));
}

#[test]
fn control_characters_and_unicode_are_syntax_errors() {
    let text = "pricebook a version \"1\" effective 2026-01-01 currency USD\n\u{0}\u{7}\u{202e}ünïcödé 🙂\n";
    let d = check_source(text).diagnostics;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, Code::Syntax);
}

#[test]
fn every_prefix_of_a_real_book_is_handled() {
    // Truncation at every character boundary of the first kilobytes: always a result, never a panic.
    let book = include_str!("../pricebooks/hedra/2026-06.pricebook");
    let cut: Vec<usize> = book
        .char_indices()
        .map(|(i, _)| i)
        .filter(|i| *i < 6000)
        .collect();
    for i in cut.into_iter().step_by(7) {
        let _ = check_source(&book[..i]);
    }
}
