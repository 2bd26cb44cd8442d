//! The command-line contract: exit codes, output formats, `fmt` modes.

use std::process::{Command, Output, Stdio};

mod common;
use common::{pricebook, scratch, stderr, stdout, write};

fn pricebook_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pricebook"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    child.wait_with_output().expect("output")
}

const GOOD: &str = "pricebook acme version \"1\" effective 2026-01-01 currency USD\n\nunit credit\n\nproduct \"Render\" as render {\n  measure time\n  rate 2 credit / second\n}\n\nplan \"Pro\" as pro {\n  price 20 USD / month\n  grant 1000 credit every month, expires at cycle end\n}\n";
const WARNS: &str = "pricebook acme version \"2\" effective 2026-02-01 currency USD\nunit credit\nproduct \"Render\" as render { measure time  rate 2 credit / second }\nproduct \"Idle\" as idle { measure time  rate 1 credit / second }\nplan \"Pro\" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end  products render }\n";
const BAD: &str = "pricebook acme version \"3\" effective 2026-03-01 currency USD\nunit credit\nproduct \"Render\" as render { measure time  rate 2 credit / secnd }\nplan \"Pro\" as pro { price 20 USD / month  grant 1000 credit every month }\n";

#[test]
fn bundled_books_check_clean() {
    let o = pricebook(&["check", concat!(env!("CARGO_MANIFEST_DIR"), "/pricebooks")]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 errors"), "{}", stdout(&o));
}

#[test]
fn exit_codes_mean_one_thing_each() {
    let dir = scratch("exit");
    let good = write(&dir, "good.pricebook", GOOD.as_bytes());
    let warns = write(&dir, "warns.pricebook", WARNS.as_bytes());
    let bad = write(&dir, "bad.pricebook", BAD.as_bytes());
    assert_eq!(pricebook(&["check", &good]).status.code(), Some(0));
    assert_eq!(
        pricebook(&["check", &warns]).status.code(),
        Some(0),
        "warnings alone pass"
    );
    assert_eq!(
        pricebook(&["check", "--deny", "warnings", &warns])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(pricebook(&["check", &bad]).status.code(), Some(1));
    assert_eq!(
        pricebook(&["check", "--format", "yaml", &good])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(pricebook(&["check"]).status.code(), Some(2));
    assert_eq!(pricebook(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn all_errors_of_all_files_in_one_run() {
    let dir = scratch("all");
    write(&dir, "bad.pricebook", BAD.as_bytes());
    write(&dir, "warns.pricebook", WARNS.as_bytes());
    let o = pricebook(&["check", "--format", "json", &dir.display().to_string()]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let diags = v["diagnostics"].as_array().expect("array");
    let codes: Vec<&str> = diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        codes,
        [
            "unknown-reference",
            "grant-without-expiry",
            "unused-product"
        ]
    );
    for d in diags {
        for key in [
            "code", "severity", "message", "file", "line", "column", "help",
        ] {
            assert!(d.get(key).is_some(), "missing {key} in {d}");
        }
        assert!(d["line"].is_u64() && d["column"].is_u64());
    }
    assert_eq!(diags[0]["line"], 3);
    assert_eq!(diags[0]["column"], 60);
    assert_eq!(diags[0]["severity"], "error");
    assert_eq!(diags[2]["severity"], "warning");
}

#[test]
fn github_format_annotates_lines() {
    let dir = scratch("github");
    let bad = write(&dir, "bad.pricebook", BAD.as_bytes());
    let o = pricebook(&["check", "--format", "github", &bad]);
    let out = stdout(&o);
    assert!(out.starts_with("::error file="), "{out}");
    assert!(out.contains(",line=3,col=60,"), "{out}");
    assert!(out.contains("did you mean `second`?"), "{out}");
}

#[test]
fn human_report_names_file_line_and_help() {
    let dir = scratch("human");
    let bad = write(&dir, "bad.pricebook", BAD.as_bytes());
    let out = stdout(&pricebook(&["check", &bad]));
    assert!(out.contains("bad.pricebook:3:60"), "{out}");
    assert!(out.contains("help: did you mean `second`?"), "{out}");
    assert!(
        out.contains("checked 1 file: 2 errors, 0 warnings"),
        "{out}"
    );
}

#[test]
fn duplicate_effective_dates_across_files() {
    let dir = scratch("dates");
    write(&dir, "a.pricebook", GOOD.as_bytes());
    write(
        &dir,
        "b.pricebook",
        GOOD.replace("version \"1\"", "version \"1b\"").as_bytes(),
    );
    let o = pricebook(&["check", "--format", "json", &dir.display().to_string()]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .map(|d| d["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        codes,
        ["duplicate-effective-date", "duplicate-effective-date"]
    );
}

#[test]
fn unreadable_inputs_are_clear_errors() {
    let dir = scratch("hostile");
    let missing = dir.join("missing.pricebook").display().to_string();
    let o = pricebook(&["check", &missing]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no such file or directory"),
        "{}",
        stderr(&o)
    );

    let empty_dir = dir.join("empty");
    std::fs::create_dir_all(&empty_dir).expect("dir");
    let o = pricebook(&["check", &empty_dir.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no `*.pricebook` files"),
        "{}",
        stderr(&o)
    );

    let latin1 = write(
        &dir,
        "latin1.pricebook",
        b"pricebook caf\xe9 version \"1\" effective 2026-01-01 currency USD\n",
    );
    let o = pricebook(&["check", &latin1]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("not valid UTF-8"), "{}", stdout(&o));
}

#[test]
fn fmt_rewrites_in_place_and_check_mode_names_files() {
    let dir = scratch("fmt");
    let messy = GOOD.replace("\n\n", "\n").replace("  ", "    ");
    let path = write(&dir, "messy.pricebook", messy.as_bytes());
    let o = pricebook(&["fmt", "--check", &path]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("messy.pricebook"));
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        messy,
        "--check changes nothing"
    );

    assert_eq!(pricebook(&["fmt", &path]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&path).expect("read"), GOOD);
    assert_eq!(pricebook(&["fmt", "--check", &path]).status.code(), Some(0));
}

#[test]
fn fmt_stdin_to_stdout_and_refuses_syntax_errors() {
    let o = pricebook_stdin(&["fmt", "-"], GOOD.replace("\n\n", "\n").as_bytes());
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), GOOD);

    let dir = scratch("fmt-bad");
    let broken = "pricebook a version \"1\" effective 2026-01-01 currency USD\nproduct \"A\" as a { measure time rate 7 credit }\n";
    let path = write(&dir, "broken.pricebook", broken.as_bytes());
    let o = pricebook(&["fmt", &path]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("left unchanged"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&path).expect("read"), broken);
}

/// Every account with a rated event has a row, also when its charges total zero: a charge that
/// rounds to nothing keeps its unit, and free products give zero in the book's currency.
#[test]
fn rate_lists_accounts_charged_zero() {
    let dir = scratch("rate-zero");
    let usage = write(
        &dir,
        "usage.csv",
        b"account,plan,product,quantity\n\
          free-only,pro,photo-avatar-add-sound-effect,3\n\
          free-only,pro,photo-avatar-add-sound-effect,1\n",
    );
    let book = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pricebooks/heygen/api-plans-legacy.pricebook"
    );
    let o = pricebook(&["rate", book, "--events", &usage]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "account,amount,unit,events\nfree-only,0.00,USD,2\n"
    );

    // A rate so small that one nano-second rounds to 0.00 USD: the row keeps its unit.
    let tiny = write(
        &dir,
        "tiny.pricebook",
        b"pricebook tiny version \"1\" effective 2026-01-01 currency USD\n\
          product \"Video\" as video { measure time  rate 1 USD / hour }\n",
    );
    let usage = write(
        &dir,
        "tiny.csv",
        b"account,plan,product,quantity\na,,video,0.000000001\nb,,video,3600\n",
    );
    let o = pricebook(&["rate", &tiny, "--events", &usage]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "account,amount,unit,events\na,0.00,USD,1\nb,1.00,USD,1\n"
    );
}
