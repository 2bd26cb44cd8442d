//! Formatter round trips: for every bundled book and every parseable UI fixture,
//! `parse(fmt(x)) == parse(x)` (spans excluded from equality), `fmt(fmt(x)) == fmt(x)`, and every
//! comment survives.

use pricebook::fmt::format_source;
use pricebook::syntax::parse;
use std::path::{Path, PathBuf};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p.extension().is_some_and(|x| x == "pricebook") {
            out.push(p);
        }
    }
}

fn comments(text: &str) -> Vec<String> {
    // Lines' `#...` tails outside strings, in order.
    let mut out = Vec::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut prev = ' ';
        for (i, c) in line.char_indices() {
            match c {
                '"' if prev != '\\' => in_string = !in_string,
                '#' if !in_string => {
                    out.push(line[i..].trim_end().to_string());
                    break;
                }
                _ => {}
            }
            prev = c;
        }
    }
    out
}

fn check_round_trip(path: &Path) -> Result<bool, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let name = path.display();
    let first = parse(&text);
    if !first.diagnostics.is_empty() {
        // fmt refuses files with syntax errors; that refusal is tested in tests/cli.rs.
        return Ok(false);
    }
    let once =
        format_source(&text).map_err(|_| format!("{name}: fmt failed on a file that parses"))?;
    let reparsed = parse(&once);
    if !reparsed.diagnostics.is_empty() {
        return Err(format!("{name}: formatted text has syntax errors:\n{once}"));
    }
    if reparsed.book != first.book {
        return Err(format!(
            "{name}: parse(fmt(x)) != parse(x); formatted:\n{once}"
        ));
    }
    let twice = format_source(&once).map_err(|_| format!("{name}: second fmt failed"))?;
    if twice != once {
        return Err(format!(
            "{name}: fmt is not idempotent:\n--- once\n{once}\n--- twice\n{twice}"
        ));
    }
    if comments(&once) != comments(&text) {
        return Err(format!(
            "{name}: comments changed:\n{:?}\n{:?}",
            comments(&text),
            comments(&once)
        ));
    }
    Ok(true)
}

#[test]
fn books_and_fixtures_round_trip() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    files_under(&root.join("pricebooks"), &mut files);
    let books = files.len();
    files_under(&root.join("tests/ui"), &mut files);
    files.sort();
    let mut tried = 0;
    let mut failures = Vec::new();
    for f in &files {
        match check_round_trip(f) {
            Ok(true) => tried += 1,
            Ok(false) => {}
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        books >= 1 && tried >= books,
        "round-tripped {tried} files of {}",
        files.len()
    );
}

#[test]
fn messy_layout_becomes_canonical() {
    let messy = "pricebook acme version \"1\" effective 2026-01-01 currency USD\n\
                 unit credit   # the wallet\n\
                 product \"A\" as a {measure time rate 7 credit per second\n  round up to 1 second}\n\
                 plan \"P\" as p { price 10 USD/month grant 100 credit every month, expires at cycle end }\n";
    let out = format_source(messy).expect("parses");
    assert_eq!(
        out,
        "pricebook acme version \"1\" effective 2026-01-01 currency USD\n\n\
         unit credit # the wallet\n\n\
         product \"A\" as a {\n  measure time\n  rate 7 credit / second\n  round up to 1 second\n}\n\n\
         plan \"P\" as p {\n  price 10 USD / month\n  grant 100 credit every month, expires at cycle end\n}\n"
    );
}
