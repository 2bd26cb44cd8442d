//! The documentation's examples are tests: what README.md and docs/*.md show must be true.
//!
//! - ```` ```pricebook ```` blocks of a document, in order, form its books: a block starting with
//!   a `pricebook ...` header starts a book, the blocks after it add to it, and each book must
//!   check with no diagnostic at all (worked examples included). A block starting with
//!   `contract ...` is layered on the book before it and must check clean too. A
//!   ```` ```pricebook fragment ```` block only has to parse.
//! - ```` ```text ```` blocks whose first line is `$ pricebook ...` are transcripts: the command
//!   runs from the crate root and its output must be the lines shown; a line `...` (indented or
//!   not) stands for any number of lines.
//! - ```` ```text ```` blocks whose first line is `$ curl ...` are HTTP transcripts: they run (with
//!   `sh`, from the crate root) against `pricebook serve pricebooks
//!   docs/examples/quickstart.pricebook`, started once on a free port that replaces
//!   `127.0.0.1:8080` in the command; the output must be the lines shown, as above.
//! - The diagnostics catalogue: each example mistake added to the catalogue's book raises the
//!   row's code.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every docs/*.md, with their text.
fn documents() -> Vec<(PathBuf, String)> {
    let mut paths = vec![root().join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root().join("docs")) {
        let mut docs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        docs.sort();
        paths.extend(docs);
    }
    paths
        .into_iter()
        .map(|p| {
            let t = std::fs::read_to_string(&p).expect("read doc");
            (p, t)
        })
        .collect()
}

/// Fenced blocks: (info string, body, line of the opening fence).
fn blocks(text: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut body = String::new();
        for (_, l) in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        out.push((info.trim().to_string(), body, n + 1));
    }
    out
}

/// The first line that is not a comment or blank.
fn first_statement(body: &str) -> &str {
    body.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("")
}

fn describe(diags: &[pricebook::diagnostic::Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| format!("  {}: {}", d.code, d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn pricebook_blocks_check_clean() {
    let mut checked = 0;
    for (path, text) in documents() {
        let name = path.display().to_string();
        let mut book: Option<(String, usize)> = None;
        let mut finished: Vec<(String, usize)> = Vec::new();
        let mut contracts: Vec<(String, String, usize)> = Vec::new();
        for (info, body, line) in blocks(&text) {
            let mut words = info.split_whitespace();
            if words.next() != Some("pricebook") {
                continue;
            }
            if words.next() == Some("fragment") {
                let parsed = pricebook::syntax::parse(&body);
                assert!(
                    parsed.diagnostics.is_empty(),
                    "{name}:{line}: a fragment does not parse:\n{}",
                    describe(&parsed.diagnostics)
                );
                checked += 1;
                continue;
            }
            let first = first_statement(&body);
            if first.starts_with("pricebook ") {
                finished.extend(book.take());
                book = Some((body, line));
            } else if first.starts_with("contract ") {
                let base = book
                    .as_ref()
                    .map(|b| b.0.clone())
                    .unwrap_or_else(|| panic!("{name}:{line}: a contract needs a book before it"));
                contracts.push((base, body, line));
            } else {
                match &mut book {
                    Some((b, _)) => {
                        b.push('\n');
                        b.push_str(&body);
                    }
                    None => panic!(
                        "{name}:{line}: a pricebook block without a header before any book; mark it `pricebook fragment`"
                    ),
                }
            }
        }
        finished.extend(book.take());
        for (b, line) in &finished {
            let c = pricebook::pipeline::check_book(b);
            assert!(
                c.diagnostics.is_empty(),
                "{name}: the book starting at line {line} does not check clean:\n{}",
                describe(&c.diagnostics)
            );
            checked += 1;
        }
        for (base, contract, line) in &contracts {
            let c = pricebook::pipeline::check_contract("book", base, "contract", contract);
            assert!(
                c.check.diagnostics.is_empty(),
                "{name}:{line}: the contract does not layer cleanly on its book:\n{}",
                describe(&c.check.diagnostics)
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no pricebook block was checked");
}

/// Splits a shell command line into words, with double and single quotes.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether `actual` lines match `expected` lines, where an expected `...` line matches any number
/// of lines.
fn matches(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e.trim() == "..." => {
            (0..=actual.len()).any(|i| matches(rest, &actual[i..]))
        }
        Some((e, rest)) => actual
            .split_first()
            .is_some_and(|(a, more)| a.trim_end() == e.trim_end() && matches(rest, more)),
    }
}

#[test]
fn transcripts_show_what_the_commands_print() {
    let mut ran = 0;
    for (path, text) in documents() {
        let name = path.display().to_string();
        for (info, body, line) in blocks(&text) {
            if info != "text" {
                continue;
            }
            let mut lines = body.lines();
            let Some(command) = lines.next().and_then(|l| l.strip_prefix("$ pricebook ")) else {
                continue;
            };
            let args = words(command);
            let o = Command::new(env!("CARGO_BIN_EXE_pricebook"))
                .args(&args)
                .current_dir(root())
                .env("COLUMNS", "100")
                .output()
                .expect("runs");
            let mut shown = String::from_utf8_lossy(&o.stdout).into_owned();
            shown.push_str(&String::from_utf8_lossy(&o.stderr));
            let expected: Vec<&str> = lines.collect();
            let actual: Vec<&str> = shown.lines().collect();
            assert!(
                matches(&expected, &actual),
                "{name}:{line}: `pricebook {command}` prints\n{shown}\nbut the document shows\n{}",
                expected.join("\n")
            );
            ran += 1;
        }
    }
    assert!(ran > 0, "no transcript was run");
}

#[test]
fn curl_transcripts_show_what_the_service_answers() {
    let mut server: Option<common::http::Server> = None;
    let mut ran = 0;
    for (path, text) in documents() {
        let name = path.display().to_string();
        for (info, body, line) in blocks(&text) {
            if info != "text" {
                continue;
            }
            let mut lines = body.lines();
            let Some(command) = lines.next().and_then(|l| l.strip_prefix("$ ")) else {
                continue;
            };
            if !command.starts_with("curl ") {
                continue;
            }
            let server = server.get_or_insert_with(|| {
                common::http::Server::start(&["pricebooks", "docs/examples/quickstart.pricebook"])
            });
            let host = server.url.trim_start_matches("http://");
            let o = Command::new("sh")
                .args(["-c", &command.replace("127.0.0.1:8080", host)])
                .current_dir(root())
                .output()
                .unwrap_or_else(|e| panic!("{name}:{line}: sh and curl must be installed: {e}"));
            let mut shown = String::from_utf8_lossy(&o.stdout).into_owned();
            shown.push_str(&String::from_utf8_lossy(&o.stderr));
            let expected: Vec<&str> = lines.collect();
            let actual: Vec<&str> = shown.lines().collect();
            assert!(
                matches(&expected, &actual),
                "{name}:{line}: `{command}` prints\n{shown}\nbut the document shows\n{}",
                expected.join("\n")
            );
            ran += 1;
        }
    }
    assert!(ran > 0, "no curl transcript was run");
}

#[test]
fn the_diagnostics_catalogue_raises_each_code() {
    let Some((_, text)) = documents()
        .into_iter()
        .find(|(_, t)| t.contains("| `syntax-error` |"))
    else {
        panic!("no document holds the diagnostics catalogue");
    };
    let start = text.find("| `syntax-error` |").expect("catalogue");
    // The catalogue's book is the last pricebook block before the table.
    let base = blocks(&text[..start])
        .into_iter()
        .rev()
        .find(|(info, _, _)| info == "pricebook")
        .map(|(_, body, _)| body)
        .expect("the catalogue's book");
    assert!(
        pricebook::pipeline::check_book(&base)
            .diagnostics
            .is_empty(),
        "the catalogue's book does not check clean"
    );
    let mut tested = 0;
    for row in text[start..].lines().take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let (Some(code), Some(example)) = (cells.first(), cells.last()) else {
            continue;
        };
        let code = code.trim_start_matches("| ").trim_matches('`');
        let example = example.trim_end_matches(" |").trim();
        // Rows whose example is one code span are books to check; the others describe it.
        let Some(snippet) = example
            .strip_prefix('`')
            .and_then(|e| e.strip_suffix('`'))
            .filter(|e| !e.contains('`'))
        else {
            continue;
        };
        let book = format!("{base}\n{snippet}\n");
        let c = pricebook::pipeline::check_book(&book);
        assert!(
            c.diagnostics.iter().any(|d| d.code.name() == code),
            "catalogue row `{code}`: `{snippet}` raises\n{}",
            describe(&c.diagnostics)
        );
        tested += 1;
    }
    assert!(tested >= 15, "only {tested} catalogue rows were tested");
}
