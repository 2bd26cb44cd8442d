//! `pricebook lsp` over stdio, driven with real JSON-RPC as an editor drives it.
//!
//! Scenarios (`tests/lsp/*.scenario`) are files of a workspace with caret markers: each
//! `<|request|>` marks a position and asks the server something there (`hover`, `definition`,
//! `references`, `completion`, `rename=new-name`, `prepareRename`), and each file's
//! `//! requests ...` line asks whole-file questions (`diagnostics`, `actions`, `lens`,
//! `hints`, `symbols`, `tokens`, `format`). Every response is an insta snapshot
//! (`tests/lsp/snapshots/`), shown in a form a reviewer can read: hovers as their markdown,
//! completions one a line, semantic tokens decoded, formatting as the formatted text, URIs
//! relative to the workspace. Other tests check what a scenario cannot show: the debounce, edits
//! across files, the test command, files changed on disk, and random edit sequences.
//!
//! Scenario syntax: `//! file <name>` starts a file (written to the workspace folder and opened);
//! `//! requests <word>...` follows it; other `//!` lines are comments.

mod common;
#[path = "common/lsp.rs"]
mod lsp_client;

use lsp_client::{Client, PATIENCE, uri};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One file of a scenario: its name, text (markers removed), whole-file requests and markers.
struct ScenarioFile {
    name: String,
    text: String,
    requests: Vec<String>,
    /// (request, line, UTF-16 column) of each marker.
    markers: Vec<(String, u32, u32)>,
}

fn parse_scenario(source: &str) -> Vec<ScenarioFile> {
    let mut files: Vec<ScenarioFile> = Vec::new();
    for line in source.split_inclusive('\n') {
        if let Some(d) = line.strip_prefix("//! ") {
            let d = d.trim_end();
            if let Some(name) = d.strip_prefix("file ") {
                files.push(ScenarioFile {
                    name: name.trim().into(),
                    text: String::new(),
                    requests: Vec::new(),
                    markers: Vec::new(),
                });
            } else if let Some(rs) = d.strip_prefix("requests ") {
                let f = files
                    .last_mut()
                    .expect("`//! requests` follows a `//! file`");
                f.requests.extend(rs.split_whitespace().map(String::from));
            }
            continue;
        }
        if line.starts_with("//!") {
            continue;
        }
        let Some(f) = files.last_mut() else { continue };
        let line_no = f.text.matches('\n').count() as u32;
        let mut rest = line;
        let mut out = String::new();
        while let Some(i) = rest.find("<|") {
            out.push_str(&rest[..i]);
            let end = rest[i..].find("|>").expect("a marker ends with |>") + i;
            let col: usize = out.chars().map(char::len_utf16).sum();
            f.markers
                .push((rest[i + 2..end].to_string(), line_no, col as u32));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        f.text.push_str(&out);
    }
    files
}

/// The workspace's URIs as `ws:///<name>`, so snapshots do not hold the scratch folder's path.
fn relative(v: &Value, root: &str) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace(root, "ws://")),
        Value::Array(a) => Value::Array(a.iter().map(|x| relative(x, root)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.replace(root, "ws://"), relative(x, root)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn pretty(v: &Value, root: &str) -> String {
    serde_json::to_string_pretty(&relative(v, root)).expect("JSON")
}

fn at(line: u32, col: u32) -> Value {
    json!({"line": line, "character": col})
}

/// The line of a file with a caret where a request was made.
fn caret_line(text: &str, line: u32, col: u32) -> String {
    let l = text.lines().nth(line as usize).unwrap_or("");
    let mut units = 0u32;
    let mut out = String::new();
    let mut placed = false;
    for c in l.chars() {
        if units >= col && !placed {
            out.push('‸');
            placed = true;
        }
        out.push(c);
        units += c.len_utf16() as u32;
    }
    if !placed {
        out.push('‸');
    }
    out
}

fn render_hover(v: &Value) -> String {
    if v.is_null() {
        return "(no hover)".into();
    }
    let range = &v["range"];
    format!(
        "range {}:{}-{}:{}\n\n{}",
        range["start"]["line"],
        range["start"]["character"],
        range["end"]["line"],
        range["end"]["character"],
        v["contents"]["value"].as_str().unwrap_or("")
    )
}

fn render_completion(v: &Value) -> String {
    let items = v
        .as_array()
        .or_else(|| v["items"].as_array())
        .cloned()
        .unwrap_or_default();
    if items.is_empty() {
        return "(no completions)".into();
    }
    let mut out = String::new();
    for i in items {
        let _ = write!(
            out,
            "{} [kind {}]",
            i["label"].as_str().unwrap_or(""),
            i["kind"]
        );
        if let Some(t) = i["insertText"].as_str() {
            let _ = write!(out, " inserts `{t}`");
        }
        if let Some(d) = i["detail"].as_str() {
            let _ = write!(out, " — {d}");
        }
        out.push('\n');
    }
    out
}

/// Semantic tokens decoded: line:column, the text, its type and modifiers.
fn render_tokens(v: &Value, text: &str, legend: &Value) -> String {
    let data: Vec<u64> = v["data"]
        .as_array()
        .expect("token data")
        .iter()
        .map(|x| x.as_u64().expect("a number"))
        .collect();
    let types = legend["tokenTypes"].as_array().cloned().unwrap_or_default();
    let mods = legend["tokenModifiers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let (mut line, mut col) = (0u64, 0u64);
    let mut out = String::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            line += t[0];
            col = t[1];
        } else {
            col += t[1];
        }
        let l: Vec<u16> = lines
            .get(line as usize)
            .unwrap_or(&"")
            .encode_utf16()
            .collect();
        let word =
            String::from_utf16_lossy(l.get(col as usize..(col + t[2]) as usize).unwrap_or(&[]));
        let ty = types
            .get(t[3] as usize)
            .and_then(Value::as_str)
            .unwrap_or("?");
        let m: Vec<&str> = (0..mods.len())
            .filter(|b| t[4] & (1 << b) != 0)
            .filter_map(|b| mods[b].as_str())
            .collect();
        let _ = writeln!(
            out,
            "{}:{} {word:?} {ty} {}",
            line + 1,
            col + 1,
            m.join(",")
        );
    }
    out
}

/// A text with LSP text edits applied (ranges in UTF-16 columns).
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().expect("line") as usize;
        let col = p["character"].as_u64().expect("character") as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let l = text[start..].split('\n').next().unwrap_or("");
        let mut units = 0;
        for (i, c) in l.char_indices() {
            if units >= col {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + l.len()
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().expect("newText"),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (a, b, t) in spans {
        out.replace_range(a..b, t);
    }
    out
}

fn snapshot(name: &str, body: &str) {
    insta::with_settings!({
        snapshot_path => "lsp/snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, body);
    });
}

/// Writes a scenario's files into a fresh workspace folder, starts the server on it, opens every
/// file and waits for each one's first diagnostics.
fn start(name: &str, files: &[ScenarioFile]) -> (Client, PathBuf, String, Vec<Value>) {
    let dir = common::scratch(name);
    for f in files {
        let path = dir.join(&f.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("folder");
        }
        std::fs::write(&path, &f.text).expect("write");
    }
    let mut c = Client::start(&dir, &[]);
    let root = format!("{}/", uri(&dir));
    let mut diagnostics = Vec::new();
    for f in files {
        c.open(&format!("{root}{}", f.name), &f.text);
    }
    for f in files {
        let d = c.diagnostics(&format!("{root}{}", f.name), Some(1));
        diagnostics.push(d["diagnostics"].clone());
    }
    (c, dir, root, diagnostics)
}

fn run_scenario(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/lsp/{name}.scenario"));
    let source = std::fs::read_to_string(&path).expect("the scenario");
    let files = parse_scenario(&source);
    let (mut c, dir, root, diagnostics) = start(name, &files);
    let legend = c.capabilities["semanticTokensProvider"]["legend"].clone();
    for (fi, f) in files.iter().enumerate() {
        let doc_uri = format!("{root}{}", f.name);
        let doc = json!({"uri": doc_uri});
        let stem = f.name.replace(['/', '.'], "_");
        for r in &f.requests {
            let body = match r.as_str() {
                "diagnostics" => pretty(&diagnostics[fi], &root),
                "actions" => {
                    let mut out = String::new();
                    for d in diagnostics[fi].as_array().into_iter().flatten() {
                        let actions = c.result(
                            "textDocument/codeAction",
                            json!({"textDocument": doc, "range": d["range"],
                                "context": {"diagnostics": [d]}}),
                        );
                        let _ = writeln!(
                            out,
                            "## {} at {}:{}",
                            d["code"].as_str().unwrap_or(""),
                            d["range"]["start"]["line"],
                            d["range"]["start"]["character"]
                        );
                        for a in actions.as_array().into_iter().flatten() {
                            let edits = a["edit"]["changes"][&doc_uri]
                                .as_array()
                                .cloned()
                                .unwrap_or_default();
                            let _ = writeln!(
                                out,
                                "- {} (preferred: {})\n  edits: {}",
                                a["title"].as_str().unwrap_or(""),
                                a["isPreferred"],
                                serde_json::to_string(&edits).expect("JSON")
                            );
                        }
                    }
                    out
                }
                "lens" => pretty(
                    &c.result("textDocument/codeLens", json!({"textDocument": doc})),
                    &root,
                ),
                "hints" => pretty(
                    &c.result(
                        "textDocument/inlayHint",
                        json!({"textDocument": doc,
                            "range": {"start": at(0, 0), "end": at(100_000, 0)}}),
                    ),
                    &root,
                ),
                "symbols" => pretty(
                    &c.result("textDocument/documentSymbol", json!({"textDocument": doc})),
                    &root,
                ),
                "tokens" => render_tokens(
                    &c.result(
                        "textDocument/semanticTokens/full",
                        json!({"textDocument": doc}),
                    ),
                    &f.text,
                    &legend,
                ),
                "format" => {
                    let edits = c.result(
                        "textDocument/formatting",
                        json!({"textDocument": doc,
                            "options": {"tabSize": 2, "insertSpaces": true}}),
                    );
                    match edits.as_array() {
                        Some(e) if e.is_empty() => "(already formatted)".into(),
                        Some(e) => apply(&f.text, e),
                        None => "(not formatted: the file has syntax errors)".into(),
                    }
                }
                other => panic!("unknown whole-file request `{other}` in {name}"),
            };
            snapshot(&format!("{name}__{stem}__{r}"), &body);
        }
        for (mi, (r, line, col)) in f.markers.iter().enumerate() {
            let pos = json!({"textDocument": doc, "position": at(*line, *col)});
            let (kind, body) = match r.split_once('=') {
                Some(("rename", new)) => {
                    let mut p = pos.clone();
                    p["newName"] = json!(new);
                    let m = c.request("textDocument/rename", p);
                    let body = match m.get("error") {
                        Some(e) => format!("error: {}", e["message"]),
                        None => pretty(&sorted_edit(&m["result"]), &root),
                    };
                    ("rename", body)
                }
                _ => match r.as_str() {
                    "hover" => ("hover", render_hover(&c.result("textDocument/hover", pos))),
                    "definition" => (
                        "definition",
                        pretty(&c.result("textDocument/definition", pos), &root),
                    ),
                    "references" => {
                        let mut p = pos.clone();
                        p["context"] = json!({"includeDeclaration": true});
                        let mut refs = c.result("textDocument/references", p);
                        if let Some(a) = refs.as_array_mut() {
                            a.sort_by_key(|l| {
                                (
                                    l["uri"].as_str().map(String::from),
                                    l["range"]["start"]["line"].as_u64(),
                                    l["range"]["start"]["character"].as_u64(),
                                )
                            });
                        }
                        ("references", pretty(&refs, &root))
                    }
                    "completion" => (
                        "completion",
                        render_completion(&c.result("textDocument/completion", pos)),
                    ),
                    "prepareRename" => {
                        let m = c.request("textDocument/prepareRename", pos);
                        let body = match m.get("error") {
                            Some(e) => format!("error: {}", e["message"]),
                            None => pretty(&m["result"], &root),
                        };
                        ("prepareRename", body)
                    }
                    other => panic!("unknown marker `{other}` in {name}"),
                },
            };
            let body = format!(
                "at {}:{}: {}\n\n{body}",
                line + 1,
                col + 1,
                caret_line(&f.text, *line, *col).trim()
            );
            snapshot(&format!("{name}__{stem}__{mi:02}_{kind}"), &body);
        }
    }
    assert!(c.stop().success());
    let _ = std::fs::remove_dir_all(dir);
}

/// A workspace edit with each file's edits in document order (the server's order is a hash map's).
fn sorted_edit(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(changes) = v["changes"].as_object_mut() {
        for edits in changes.values_mut() {
            if let Some(a) = edits.as_array_mut() {
                a.sort_by_key(|e| {
                    (
                        e["range"]["start"]["line"].as_u64(),
                        e["range"]["start"]["character"].as_u64(),
                    )
                });
            }
        }
    }
    v
}

#[test]
fn hover() {
    run_scenario("hover");
}

#[test]
fn navigate() {
    run_scenario("navigate");
}

#[test]
fn complete() {
    run_scenario("complete");
}

#[test]
fn fixes() {
    run_scenario("fixes");
}

#[test]
fn features() {
    run_scenario("features");
}

#[test]
fn partial() {
    run_scenario("partial");
}

/// The codes of a `publishDiagnostics` notification's diagnostics.
fn codes(params: &Value) -> Vec<String> {
    params["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["code"].as_str().map(String::from))
        .collect()
}

const BOOK: &str = r#"pricebook acme-video version "2026-06" effective 2026-06-01 currency USD

unit credit

product "Avatar video" as avatar {
  measure time
  rate 7 credit / second
}

plan "Starter" as starter {
  price 10 USD / month
  grant 1000 credit every month, expires at cycle end
}

test "a second is 7 credits" {
  quote plan starter product avatar quantity 1 second == 7 credit
}
"#;

/// Edits in quick succession are checked once, after they pause: only the last version's
/// diagnostics are published, and they are that version's.
#[test]
fn diagnostics_wait_for_edits_to_pause() {
    let dir = common::scratch("debounce");
    let mut c = Client::start(&dir, &["--debounce-ms", "300"]);
    let doc = format!("{}/book.pricebook", uri(&dir));
    c.open(&doc, BOOK);
    assert!(codes(&c.diagnostics(&doc, Some(1))).is_empty());
    // Four edits well within the debounce, the last one misspelling a unit.
    for (v, text) in [
        (2, BOOK.replace("7 credit / second", "7 credi / second")),
        (3, BOOK.replace("7 credit / second", "7 cred / second")),
        (4, BOOK.replace("7 credit / second", "7 cre / second")),
        (5, BOOK.replace("7 credit / second", "7 credits / sec0nd")),
    ] {
        c.change(&doc, v, &text);
    }
    let published = c.diagnostics(&doc, None);
    assert_eq!(
        published["version"], 5,
        "only the last edit is checked: {published}"
    );
    assert_eq!(codes(&published), ["unknown-reference"]);
    c.change(&doc, 6, BOOK);
    assert!(codes(&c.diagnostics(&doc, Some(6))).is_empty());
    assert!(c.stop().success());
}

/// The rules across files, as the workspace changes: two versions of one vendor sharing a date
/// (one of them not open), and a contract whose book loses the plan it is based on.
#[test]
fn diagnostics_across_the_workspace() {
    let dir = common::scratch("workspace");
    let v1 = BOOK.to_string();
    let v2 = BOOK.replace(
        "version \"2026-06\" effective 2026-06-01",
        "version \"2026-07\" effective 2026-07-01",
    );
    let contract = "contract \"Globex\" as globex for acme-video version \"g-1\" effective 2026-07-15\n\n\
        plan \"Globex\" as globex-starter based on starter {\n  price 8 USD / month\n}\n";
    common::write(&dir, "2026-06.pricebook", &v1);
    common::write(&dir, "2026-07.pricebook", &v2);
    common::write(&dir, "globex.pricebook", contract);
    let mut c = Client::start(&dir, &[]);
    let root = uri(&dir);
    let (u1, u2, uc) = (
        format!("{root}/2026-06.pricebook"),
        format!("{root}/2026-07.pricebook"),
        format!("{root}/globex.pricebook"),
    );
    // Files of the workspace are checked without being opened.
    for u in [&u1, &u2, &uc] {
        assert!(
            codes(&c.diagnostics(u, None)).is_empty(),
            "{u} checks clean"
        );
    }
    // The open July version moves to June's date: both versions are told.
    c.open(&u2, &v2);
    assert!(codes(&c.diagnostics(&u2, Some(1))).is_empty());
    c.clear();
    let clash = v2.replace("effective 2026-07-01", "effective 2026-06-01");
    c.change(&u2, 2, &clash);
    let mine = c.diagnostics(&u2, Some(2));
    assert_eq!(codes(&mine), ["duplicate-effective-date"], "{mine}");
    let other = c
        .wait_for("textDocument/publishDiagnostics", PATIENCE, |p| {
            p["uri"] == u1.as_str() && !codes(p).is_empty()
        })
        .expect("the June version is told");
    assert_eq!(codes(&other), ["duplicate-effective-date"]);
    // Back to its own date, with the plan the contract is based on renamed: June is free
    // again, and the contract (on July's book, the version in force on its date) has no
    // `starter` to be based on.
    let rename = |t: &str| {
        t.replace("\"Starter\" as starter", "\"Basic\" as basic")
            .replace("plan starter", "plan basic")
    };
    c.change(&u2, 3, &rename(&v2));
    assert!(codes(&c.diagnostics(&u2, Some(3))).is_empty());
    let june_free = c
        .wait_for("textDocument/publishDiagnostics", PATIENCE, |p| {
            p["uri"] == u1.as_str() && codes(p).is_empty()
        })
        .expect("the June version is clean again");
    assert!(codes(&june_free).is_empty());
    let broken = c
        .wait_for("textDocument/publishDiagnostics", PATIENCE, |p| {
            p["uri"] == uc.as_str() && !codes(p).is_empty()
        })
        .expect("the contract is told its book changed");
    assert_eq!(codes(&broken), ["unknown-reference"], "{broken}");
    // July's version moves to August: the contract layers on June's, which has `starter`.
    c.change(
        &u2,
        4,
        &rename(&v2).replace("effective 2026-07-01", "effective 2026-08-01"),
    );
    let fixed = c
        .wait_for("textDocument/publishDiagnostics", PATIENCE, |p| {
            p["uri"] == uc.as_str() && codes(p).is_empty()
        })
        .expect("the contract is told its book changed again");
    assert!(codes(&fixed).is_empty());
    assert!(c.stop().success());
}

/// A test's code lens runs it: `pricebook.runTest` answers whether it passed and shows it.
#[test]
fn a_lens_runs_its_test() {
    let dir = common::scratch("run-test");
    let mut c = Client::start(&dir, &[]);
    let doc = format!("{}/book.pricebook", uri(&dir));
    let failing = BOOK.replace("== 7 credit", "== 8 credit");
    c.open(&doc, &failing);
    c.diagnostics(&doc, Some(1));
    let lens = c.result(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": doc}}),
    );
    let command = lens[0]["command"].clone();
    assert_eq!(command["title"], "✗ failed: 1 expectation");
    let ran = c.result(
        "workspace/executeCommand",
        json!({"command": command["command"], "arguments": command["arguments"]}),
    );
    assert_eq!(ran["passed"], false, "{ran}");
    assert_eq!(
        ran["failures"][0],
        "test \"a second is 7 credits\": expected 8 credit, got 7 credit"
    );
    let shown = c
        .wait_for("window/showMessage", PATIENCE, |_| true)
        .expect("the outcome is shown");
    assert_eq!(shown["type"], 2, "a failure is a warning: {shown}");
    c.change(&doc, 2, BOOK);
    c.diagnostics(&doc, Some(2));
    let ran = c.result(
        "workspace/executeCommand",
        json!({"command": "pricebook.runTest", "arguments": [doc, "a second is 7 credits"]}),
    );
    assert_eq!(ran["passed"], true, "{ran}");
    let wrong = c.request(
        "workspace/executeCommand",
        json!({"command": "pricebook.runTest", "arguments": [doc, "no such test"]}),
    );
    assert_eq!(wrong["error"]["code"], -32602, "{wrong}");
    assert!(c.stop().success());
}

/// A file created, changed or deleted on disk (not open) is checked, or forgotten.
#[test]
fn files_changed_on_disk() {
    let dir = common::scratch("watched");
    let mut c = Client::start(&dir, &[]);
    let path = common::write(
        &dir,
        "new.pricebook",
        BOOK.replace("credit / second", "gold / second"),
    );
    let doc = uri(Path::new(&path));
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": doc, "type": 1}]}),
    );
    assert_eq!(codes(&c.diagnostics(&doc, None)), ["unknown-reference"]);
    std::fs::remove_file(&path).expect("delete");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": doc, "type": 3}]}),
    );
    let gone = c.diagnostics(&doc, None);
    assert!(
        codes(&gone).is_empty(),
        "a deleted file's diagnostics are cleared: {gone}"
    );
    assert!(c.stop().success());
}

/// The bundled books, as a workspace: every file (contracts on their books, versions of one
/// vendor, price lists) checks clean in the editor as `pricebook check` finds them, and a hover
/// on a real plan shows its burn table.
#[test]
fn bundled_books() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("pricebooks");
    let mut c = Client::start(&root, &[]);
    let mut files: Vec<PathBuf> = Vec::new();
    for vendor in ["hedra", "heygen"] {
        for e in std::fs::read_dir(root.join(vendor)).expect("a folder") {
            let p = e.expect("an entry").path();
            if p.extension().is_some_and(|x| x == "pricebook") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 9);
    for f in &files {
        let d = c.diagnostics(&uri(f), None);
        assert_eq!(d["diagnostics"], json!([]), "{} checks clean", f.display());
    }
    let hedra = root.join("hedra/2026-06.pricebook");
    let text = std::fs::read_to_string(&hedra).expect("the book");
    let line = text
        .lines()
        .position(|l| l.starts_with("plan \"Creator\""))
        .expect("a Creator plan");
    let hover = c.result(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&hedra)}, "position": at(line as u32, 21)}),
    );
    snapshot(
        "bundled__hedra_2026-06__creator_hover",
        &render_hover(&hover),
    );
    // A test that bills across the Hedra history runs on the versions beside the book.
    let ran = c.result(
        "workspace/executeCommand",
        json!({"command": "pricebook.runTest", "arguments": [
            uri(&hedra),
            "a Creator subscriber from 2025 moves through three versions and keeps its pack"
        ]}),
    );
    assert_eq!(ran["passed"], true, "{ran}");
    assert!(c.stop().success());
}

/// Pieces random edits insert: words of the language, names of the books, half statements,
/// brackets and quotes left open, characters of more than one UTF-16 unit, line breaks.
const PIECES: &[&str] = &[
    "product ",
    "plan ",
    "rate ",
    " = ",
    "{",
    "}",
    "\"",
    "\n",
    "  ",
    "credit",
    "second",
    "7 ",
    "/ ",
    "dims resolution\n",
    "test \"t\" {\n",
    "quote plan starter product avatar quantity 1 second == ",
    "based on ",
    "buy ",
    "dim ",
    "720p",
    "allow ",
    "# note\n",
    "é",
    "😀",
    "\r\n",
    "as x {",
    "1e9",
    "pricebook ",
    "contract \"c\" as c for acme-video version \"1\" effective 2026-07-01\n",
    "grant 5 credit every month, expires at cycle end\n",
    "99999999999999999999999999999 ",
];

/// One step of a random editing session: an edit (insert a piece, or delete a stretch) at a
/// position given as a fraction of the text, then a request there.
#[derive(Debug, Clone)]
struct Step {
    at: f64,
    delete: usize,
    piece: usize,
    request: usize,
}

const REQUESTS: &[&str] = &[
    "textDocument/hover",
    "textDocument/completion",
    "textDocument/definition",
    "textDocument/references",
    "textDocument/semanticTokens/full",
    "textDocument/documentSymbol",
    "textDocument/codeLens",
    "textDocument/inlayHint",
    "textDocument/formatting",
    "textDocument/prepareRename",
];

/// Random edit sequences on real books, each edit sent as the incremental change an editor
/// sends, with a request after each: the server answers every request and publishes the last
/// version's diagnostics, and never crashes or hangs (every wait is bounded). One server runs
/// every case, so the cases also share its state, as a long editing session does.
#[test]
fn random_edits_never_crash_or_hang() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let dir = common::scratch("random-edits");
    let client = std::cell::RefCell::new(Client::start(&dir, &[]));
    let books = [
        BOOK.to_string(),
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("pricebooks/hedra/2025-05.pricebook"),
        )
        .expect("a bundled book"),
    ];
    let step = (0.0..=1.0f64, 0..12usize, 0..PIECES.len(), 0..REQUESTS.len()).prop_map(
        |(at, delete, piece, request)| Step {
            at,
            delete,
            piece,
            request,
        },
    );
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let case = std::cell::Cell::new(0u32);
    let outcome = runner.run(
        &(0..books.len(), proptest::collection::vec(step, 1..24)),
        |(book, steps)| {
            case.set(case.get() + 1);
            let doc = format!("{}/case-{}.pricebook", uri(&dir), case.get());
            let mut c = client.borrow_mut();
            let mut text = books[book].clone();
            c.open(&doc, &text);
            for (v, s) in steps.iter().enumerate() {
                // A position on a character boundary, as an editor gives.
                let mut start = (text.len() as f64 * s.at) as usize;
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (start + s.delete).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                let (from, to) = (position(&text, start), position(&text, end));
                let insert = if s.delete > 6 { "" } else { PIECES[s.piece] };
                text.replace_range(start..end, insert);
                c.notify(
                    "textDocument/didChange",
                    json!({"textDocument": {"uri": doc, "version": v + 2},
                        "contentChanges": [{"range": {"start": from, "end": to}, "text": insert}]}),
                );
                let here = position(&text, start + insert.len());
                let params = json!({"textDocument": {"uri": doc}, "position": here,
                    "context": {"includeDeclaration": true},
                    "range": {"start": at(0, 0), "end": here},
                    "options": {"tabSize": 2, "insertSpaces": true}});
                let m = c.request(REQUESTS[s.request], params);
                // Errors are answers too (prepareRename on nothing); an internal error is not.
                prop_assert!(
                    m["error"]["code"] != -32603,
                    "{} failed: {m}",
                    REQUESTS[s.request]
                );
            }
            // The last version's diagnostics arrive, and the server holds the client's text:
            // what it formats is what the library formats from the client's.
            let last = steps.len() as i64 + 1;
            c.diagnostics(&doc, Some(last));
            let edits = c.result(
                "textDocument/formatting",
                json!({"textDocument": {"uri": doc},
                    "options": {"tabSize": 2, "insertSpaces": true}}),
            );
            match (edits.as_array(), pricebook::format_source(&text)) {
                (Some(e), Ok(formatted)) => prop_assert_eq!(apply(&text, e), formatted),
                (None, Err(_)) => {}
                (e, f) => prop_assert!(false, "formatting disagrees: {e:?} {f:?}"),
            }
            c.notify(
                "textDocument/didClose",
                json!({"textDocument": {"uri": doc}}),
            );
            c.clear();
            Ok(())
        },
    );
    if let Err(e) = outcome {
        panic!("{e}");
    }
    assert!(client.into_inner().stop().success());
}

/// The LSP position (line, UTF-16 column) of a byte offset.
fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let col: usize = before[start..].chars().map(char::len_utf16).sum();
    at(line as u32, col as u32)
}

/// The editor's TextMate grammar colours every keyword of the language as one: when the language
/// gains a keyword, `editors/vscode/syntaxes/pricebook.tmLanguage.json` must name it too (its
/// snapshots over the bundled books are `.ci/editors`' test).
#[test]
fn the_textmate_grammar_knows_every_keyword() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("editors/vscode/syntaxes/pricebook.tmLanguage.json");
    let grammar: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the grammar")).expect("JSON");
    let pattern = grammar["repository"]["keyword"]["match"]
        .as_str()
        .expect("a keyword pattern");
    // The pattern escapes `-` (`front\\-load`).
    let unescaped = pattern.replace('\\', "");
    let words: Vec<&str> = unescaped
        .split(['(', ')', '|', ':', '?', '<', '!', '[', ']'])
        .collect();
    let missing: Vec<String> = pricebook::syntax::grammar::keywords()
        .into_iter()
        .filter(|k| !words.contains(&k.as_str()))
        .collect();
    assert!(missing.is_empty(), "the TextMate grammar lacks {missing:?}");
    let items = grammar["repository"]["item-keyword"]["match"]
        .as_str()
        .expect("an item keyword pattern")
        .replace("\\s+", " ");
    let missing: Vec<String> = pricebook::syntax::grammar::item_keywords()
        .into_iter()
        .filter(|k| !items.contains(k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "the TextMate grammar's items lack {missing:?}"
    );
}
