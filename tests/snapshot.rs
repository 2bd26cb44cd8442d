//! `pricebook snapshot` and `pricebook::snapshot`: the bundled books' snapshots are current and
//! read as insta's own; one rate changed changes exactly the lines that depend on it; the body
//! is the same on every run and whatever the order of the book's items; new, changed, `--check`
//! and `--update` do what docs/snapshots.md says; the numbers are what `quote` and `capacity`
//! answer.

mod common;
use common::{pricebook, scratch, stdout, write};
use pricebook::snapshot::{self, Changes, render, render_file};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bundled() -> Vec<PathBuf> {
    pricebook::load::book_files(&[root().join("pricebooks")]).expect("the bundled books")
}

/// A book's text without its `test` blocks, so a price can change without breaking them.
fn without_tests(text: &str) -> String {
    let parsed = pricebook::syntax::parse(text);
    let mut out = text.to_string();
    for item in parsed.book.items.iter().rev() {
        if matches!(item.node, pricebook::syntax::ast::Item::Test(_)) {
            out.replace_range(item.span.start..item.span.end, "");
        }
    }
    out
}

#[test]
fn the_bundled_snapshots_are_current() {
    let o = pricebook(&["snapshot", "pricebooks", "--check"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "run `cargo run -- snapshot pricebooks`, review and commit:\n{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).ends_with("9 snapshots: 9 unchanged\n"),
        "{}",
        stdout(&o)
    );
}

/// insta itself compares each bundled book with its committed snapshot: the files are insta's,
/// so `cargo insta review` reviews them.
#[test]
fn the_bundled_snapshots_are_insta_snapshots() {
    for book in bundled() {
        let body = render_file(&book, &[]).expect("the book opens");
        let dir = book.parent().expect("a directory").join("snapshots");
        let name = book.file_stem().and_then(|s| s.to_str()).expect("a name");
        let file =
            insta::Snapshot::from_file(&dir.join(format!("{name}.snap"))).expect("insta reads it");
        assert_eq!(file.metadata().expression(), Some("pricebook snapshot"));
        insta::with_settings!({ snapshot_path => dir, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, body);
        });
    }
}

#[test]
fn one_rate_changes_exactly_the_lines_that_depend_on_it() {
    let text =
        std::fs::read_to_string(root().join("pricebooks/hedra/2026-06.pricebook")).expect("read");
    let book = without_tests(&text);
    let raised = book.replace("rate 70 credit / second", "rate 80 credit / second");
    assert_ne!(raised, book);
    let old = render(&pricebook::compile_source(&book).expect("compiles"));
    let new = render(&pricebook::compile_source(&raised).expect("compiles"));
    let c: Changes = snapshot::compare(&old, &new);
    assert!(c.added.is_empty() && c.removed.is_empty(), "{c:?}");
    let mut keys: Vec<&str> = c.changed.iter().map(|l| l.key.as_str()).collect();
    keys.sort();
    let mut expected = vec!["product sora-2-pro rate".to_string()];
    // Every plan charges the new rate; the plans with a published price value it in money and
    // size their grant with it; the custom-priced plan has neither.
    for plan in ["basic", "creator", "professional", "teams", "enterprise"] {
        expected.push(format!("cell {plan} sora-2-pro rate"));
        expected.push(format!("quote {plan} sora-2-pro 1 minute"));
        if plan != "enterprise" {
            expected.push(format!("cell {plan} sora-2-pro capacity"));
            expected.push(format!("cell {plan} sora-2-pro money per 1 second"));
        }
    }
    expected.sort();
    assert_eq!(keys, expected);
    let rate = c
        .changed
        .iter()
        .find(|l| l.key == "product sora-2-pro rate")
        .expect("the rate");
    assert_eq!(
        rate.percent.map(|p| p.to_string()).as_deref(),
        Some("14.29")
    );
}

#[test]
fn the_body_is_the_same_every_time_and_whatever_the_order_of_items() {
    for book in bundled() {
        let a = render_file(&book, &[]).expect("opens");
        let b = render_file(&book, &[]).expect("opens");
        assert_eq!(a, b, "{}", book.display());
        // Sorted by key, then value.
        let facts: Vec<(&str, &str)> = a
            .lines()
            .map(|l| l.split_once(" | ").expect("key | value"))
            .collect();
        assert!(facts.is_sorted(), "{}", book.display());
    }
    // The same book with its items in the opposite order (the header stays first).
    let text =
        std::fs::read_to_string(root().join("pricebooks/hedra/2026-06.pricebook")).expect("read");
    let book = without_tests(&text);
    let parsed = pricebook::syntax::parse(&book);
    let items: Vec<&str> = parsed
        .book
        .items
        .iter()
        .map(|i| &book[i.span.start..i.span.end])
        .collect();
    let (header, rest) = items.split_first().expect("a header");
    let reversed: Vec<&str> = std::iter::once(*header)
        .chain(rest.iter().rev().copied())
        .collect();
    let reversed = reversed.join("\n\n");
    let a = render(&pricebook::compile_source(&book).expect("compiles"));
    let b = render(&pricebook::compile_source(&reversed).expect("reversed compiles"));
    assert_eq!(a, b);
}

#[test]
fn quotes_and_capacities_are_what_the_commands_answer() {
    let body = render_file(Path::new("pricebooks/hedra/2026-06.pricebook"), &[]).expect("opens");
    let line = |key: &str| -> String {
        body.lines()
            .find_map(|l| l.strip_prefix(&format!("{key} | ")))
            .unwrap_or_else(|| panic!("no line {key}"))
            .to_string()
    };
    let o = pricebook(&[
        "capacity",
        "pricebooks/hedra/2026-06.pricebook",
        "--plan",
        "creator",
        "--product",
        "veo-3",
        "--format",
        "json",
    ]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(
        line("cell creator veo-3 capacity"),
        format!(
            "{} {}",
            j["quantity"]["value"].as_str().expect("a string"),
            j["quantity"]["unit"].as_str().expect("a string")
        )
    );
    for (plan, product, quantity, key) in [
        (
            "professional",
            "sora-2-pro",
            "1 minute",
            "quote professional sora-2-pro 1 minute",
        ),
        (
            "creator",
            "hedra-avatar",
            "1 second",
            "cell creator hedra-avatar money per 1 second",
        ),
    ] {
        let o = pricebook(&[
            "quote",
            "pricebooks/hedra/2026-06.pricebook",
            "--plan",
            plan,
            "--product",
            product,
            "--quantity",
            quantity,
            "--format",
            "json",
        ]);
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let money = format!(
            "{} {}",
            j["money"]["amount"].as_str().expect("a string"),
            j["money"]["currency"].as_str().expect("a string")
        );
        assert!(
            line(key).ends_with(&money),
            "{key}: {} vs {money}",
            line(key)
        );
        if key.starts_with("quote") {
            let charge = format!(
                "{} {}",
                j["charge"]["amount"].as_str().expect("a string"),
                j["charge"]["unit"].as_str().expect("a string")
            );
            assert_eq!(line(key), format!("{charge}, {money}"));
        }
    }
}

#[test]
fn the_facts_of_the_newer_statements_are_shown() {
    let table = pricebook::compile_source(
        r#"pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
product "Export" as export {
  measure item
  tiers graduated { 0 item .. 100 item : 0 credit / item  100 item .. : 1 credit / item }
}
product "Render" as render { measure time  rate 2 credit / second }
plan "Pro" as pro {
  price 20 USD / month
  grant 1000 credit every month, expires at cycle end
  grant 10 credit every day, expires at cycle end, priority 2
  allowance 5 item per day on export, then reject
  limit render length <= 10 minute
}
plan "Custom" as custom { price custom  grant custom credit every month, expires at cycle end }
"#,
    )
    .expect("compiles");
    let body = render(&table);
    for line in [
        "product export pricing | graduated tiers per period",
        "product export tier 1 | 0 item .. 100 item: 0 credit / item",
        "product export tier 2 | 100 item ..: 1 credit / item",
        "plan pro grant | 10 credit every day, expires at cycle end, priority 2",
        "plan pro allowance | 5 item per day on export, then reject",
        "plan pro limit render length | render length <= 10 minute",
        "plan custom grant | custom credit every month, expires at cycle end, priority 1",
    ] {
        assert!(body.lines().any(|l| l == line), "no `{line}` in\n{body}");
    }
    let custom = body
        .lines()
        .find(|l| l.starts_with("cell custom render capacity"))
        .expect("a capacity line");
    assert!(custom.contains("each contract"), "{custom}");
}

/// A scratch vendor directory with one book, its path, and its snapshot's path.
fn scratch_book(name: &str, rate: u32) -> (PathBuf, String, PathBuf) {
    let dir = scratch(name);
    let book = write(
        &dir,
        "2026-06.pricebook",
        format!(
            "pricebook acme version \"1\" effective 2026-01-01 currency USD\nunit credit\nproduct \"Render\" as render {{ measure time  rate {rate} credit / second }}\nplan \"Pro\" as pro {{ price 20 USD / month  grant 1000 credit every month, expires at cycle end }}\n"
        ),
    );
    let snap = dir.join("snapshots/2026-06.snap");
    (dir, book, snap)
}

#[test]
fn new_changed_check_and_update_do_what_the_documentation_says() {
    let (dir, book, snap) = scratch_book("modes", 2);
    let pending = dir.join("snapshots/2026-06.snap.new");
    let dir_arg = dir.display().to_string();

    // --check with no snapshot: missing, nothing written.
    let o = pricebook(&["snapshot", &dir_arg, "--check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("missing"), "{}", stdout(&o));
    assert!(!snap.exists());

    // No flag: the missing snapshot is written, and that is no failure.
    let o = pricebook(&["snapshot", &dir_arg]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let first = std::fs::read_to_string(&snap).expect("written");
    assert!(
        first.starts_with("---\nsource: 2026-06.pricebook\nexpression: pricebook snapshot\n---\n")
    );

    // Unchanged: nothing to do.
    let o = pricebook(&["snapshot", &dir_arg, "--check"]);
    assert_eq!(
        (o.status.code(), stdout(&o).as_str()),
        (Some(0), "1 snapshot: 1 unchanged\n")
    );

    // A price change: `.snap.new` beside the old one, which stays, and every changed line.
    std::fs::write(
        &book,
        std::fs::read_to_string(&book)
            .expect("the book")
            .replace("rate 2 credit", "rate 3 credit"),
    )
    .expect("the file");
    let o = pricebook(&["snapshot", &dir_arg]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("  ~ cell pro render rate: 2 credit / second -> 3 credit / second (+50%)\n"),
        "{out}"
    );
    assert!(
        out.contains("  ~ cell pro render capacity: 500 second -> 333 second (-33.4%)\n"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&snap).expect("the file"), first);
    let new = std::fs::read_to_string(&pending).expect("the .snap.new");
    assert!(new.contains("cell pro render rate | 3 credit / second"));

    // --check writes nothing and fails, listing the same lines.
    std::fs::remove_file(&pending).expect("the file");
    let o = pricebook(&["snapshot", &dir_arg, "--check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(j["changed"], 1);
    assert_eq!(j["snapshots"][0]["status"], "changed");
    assert_eq!(j["snapshots"][0]["pending"], serde_json::Value::Null);
    assert!(
        j["snapshots"][0]["changes"]["changed"]
            .as_array()
            .expect("the file")
            .len()
            >= 4
    );
    assert!(!pending.exists());

    // --update accepts: the new snapshot, no .snap.new.
    pricebook(&["snapshot", &dir_arg]);
    assert!(pending.exists());
    let o = pricebook(&["snapshot", &dir_arg, "--update"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(!pending.exists());
    assert_eq!(std::fs::read_to_string(&snap).expect("the file"), new);

    // A .snap.new left behind is removed once the prices match the snapshot again.
    std::fs::write(&pending, "stale").expect("the file");
    let o = pricebook(&["snapshot", &dir_arg]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!pending.exists());

    // GitHub annotations at the book.
    std::fs::write(
        &book,
        std::fs::read_to_string(&book)
            .expect("the book")
            .replace("rate 3 credit", "rate 4 credit"),
    )
    .expect("the file");
    let o = pricebook(&["snapshot", &book, "--check", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).starts_with(&format!(
            "::error file={},title=snapshot-changed::the prices differ",
            book.replace(':', "%3A").replace(',', "%2C")
        )),
        "{}",
        stdout(&o)
    );

    // --check and --update together are a command-line mistake.
    let o = pricebook(&["snapshot", &dir_arg, "--check", "--update"]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_book_with_errors_fails_its_snapshot_and_the_others_are_still_made() {
    let (dir, _, snap) = scratch_book("errors", 2);
    write(
        &dir,
        "broken.pricebook",
        "pricebook acme version \"2\" effective 2026-02-01 currency USD\nproduct \"X\" as x { measure time  rate 2 credit / second }\n",
    );
    let o = pricebook(&["snapshot", &dir.display().to_string()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("broken.pricebook` has 1 error"), "{out}");
    assert!(
        out.ends_with("2 snapshots: 0 unchanged, 1 new, 1 error\n"),
        "{out}"
    );
    assert!(snap.exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn standard_quantities_can_be_chosen() {
    let (dir, book, snap) = scratch_book("quantities", 2);
    let o = pricebook(&[
        "snapshot",
        &book,
        "--quantity",
        "1 hour",
        "--quantity",
        "90 second",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let body = std::fs::read_to_string(&snap).expect("the file");
    assert!(
        body.contains("quote pro render 1 hour | 7200 credit, 144.00 USD\n"),
        "{body}"
    );
    assert!(
        body.contains("quote pro render 90 second | 180 credit, 3.60 USD\n"),
        "{body}"
    );
    assert!(!body.contains("1 minute"));
    let o = pricebook(&["snapshot", &book, "--quantity", "lots"]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}

/// The snapshot docs/snapshots.md shows is the quick start's, as committed.
#[test]
fn the_documented_snapshot_is_the_committed_one() {
    let doc = std::fs::read_to_string(root().join("docs/snapshots.md")).expect("docs/snapshots.md");
    let file = std::fs::read_to_string(root().join("docs/examples/snapshots/quickstart.snap"))
        .expect("the quick start's snapshot");
    let fence = "```yaml\n";
    let start = doc
        .find(&format!("{fence}---\nsource: quickstart.pricebook"))
        .expect("the snapshot in the docs")
        + fence.len();
    let end = start + doc[start..].find("```").expect("the end of the block");
    assert_eq!(&doc[start..end], file);
}
