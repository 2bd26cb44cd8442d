//! UI tests: every `tests/ui/*.pricebook` is an invalid (or warning-raising) book.
//!
//! Each fixture states what it must raise in comments of the form
//!
//! ```text
//! # expect: unknown-reference "secnd"
//! ```
//!
//! meaning a diagnostic with that code whose primary label underlines exactly `secnd`. The set
//! of expectations must equal the set of diagnostics (nothing missing, nothing extra), and the
//! rendered report (no colour, 100 columns) is snapshot-tested with insta.

use pricebook::diagnostic::{SourceFile, render_human};
use pricebook::pipeline::check_book as check_source;
use std::path::Path;

fn expectations(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("# expect:") else {
            continue;
        };
        let rest = rest.trim();
        let (code, quoted) = rest.split_once(' ').unwrap_or((rest, "\"\""));
        // Exactly one quote on each side: the underlined text may itself start with `"`.
        let quoted = quoted.trim();
        let underlined = quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .unwrap_or(quoted)
            .to_string();
        out.push((code.to_string(), underlined));
    }
    out.sort();
    out
}

fn run_fixture(path: &Path) -> Result<(), String> {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("fixture")
        .to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let expected = expectations(&text);
    if expected.is_empty() {
        return Err(format!("{name}: states no `# expect:` line"));
    }
    let checked = check_source(&text);
    let file = SourceFile::new(format!("tests/ui/{name}.pricebook"), text.clone());
    let mut actual: Vec<(String, String)> = checked
        .diagnostics
        .iter()
        .map(|d| {
            let under = d
                .span()
                .map(|s| file.slice(s).to_string())
                .unwrap_or_default();
            (d.code.name().to_string(), under)
        })
        .collect();
    actual.sort();
    if actual != expected {
        return Err(format!("{name}: expected {expected:?}\n  got {actual:?}"));
    }
    let report: String = checked
        .diagnostics
        .iter()
        .map(|d| render_human(d, &file, 100))
        .collect::<Vec<_>>()
        .join("\n");
    let result = std::panic::catch_unwind(|| {
        insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "ui/snapshots" }, {
            insta::assert_snapshot!(name.clone(), report);
        });
    });
    result.map_err(|_| format!("{name}: snapshot differs (see the .snap.new file)"))
}

#[test]
fn ui_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/ui exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pricebook"))
        .collect();
    paths.sort();
    let failures: Vec<String> = paths.iter().filter_map(|p| run_fixture(p).err()).collect();
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        paths.len() >= 40,
        "expected at least 40 UI fixtures, found {}",
        paths.len()
    );
}
