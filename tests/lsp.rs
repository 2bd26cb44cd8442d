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
use std::time::Duration;

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
