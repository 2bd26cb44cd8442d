//! The defects a new user hit (issue "Every answer right, every message helpful"), one test per
//! item that failed before its fix. Items tested elsewhere say where.

use std::io::Read;
use std::process::{Command, Stdio};

mod common;
use common::{pricebook, scratch, stderr, stdout, write};

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(o), stderr(o)))
}

// 1. `bill DIR` takes the version in force on the first event's month, and says so.
#[test]
fn a_bill_on_a_vendor_directory_is_priced_by_the_version_of_its_first_month() {
    let dir = scratch("bill-dir");
    let usage = write(
        &dir,
        "aug.jsonl",
        r#"{"time": "2025-08-05T10:00:00Z", "product": "video", "dims": ["540p"], "quantity": "10 second"}"#,
    );
    let o = pricebook(&[
        "bill",
        "pricebooks/hedra",
        "--plan",
        "creator",
        "--usage",
        &usage,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).starts_with("priced by hedra 2025-07 (effective 2025-07-22"),
        "{}",
        stdout(&o)
    );
    let o = pricebook(&[
        "bill",
        "pricebooks/hedra",
        "--plan",
        "creator",
        "--usage",
        &usage,
        "--format",
        "json",
    ]);
    let v = json(&o);
    assert_eq!(v["versions"][0]["version"], "2025-07", "{v}");
    assert_eq!(v["rejected"].as_array().map(Vec::len), Some(0), "{v}");
}

// 2. `rate --by plan` groups by the plan's slug, however the file spells it.
#[test]
fn rate_groups_by_the_canonical_slug() {
    let dir = scratch("rate-slug");
    let usage = write(
        &dir,
        "usage.csv",
        "account,plan,product,quantity\na,Creator,hedra-avatar,10\nb,creator,Hedra Avatar,10\nc, CREATOR ,HEDRA-AVATAR,10\n",
    );
    let book = "pricebooks/hedra/2026-06.pricebook";
    let o = pricebook(&["rate", book, "--events", &usage, "--by", "plan"]);
    assert_eq!(
        stdout(&o),
        "plan,amount,unit,events\ncreator,210,credit,3\n"
    );
    let o = pricebook(&["rate", book, "--events", &usage, "--by", "product"]);
    assert_eq!(
        stdout(&o),
        "product,amount,unit,events\nhedra-avatar,210,credit,3\n"
    );
}

// 3. is in tests/bill.rs (`auto_recharge_is_refused_on_a_plan_the_book_does_not_allow`).

// 4. A single book is not used before its effective date.
#[test]
fn a_book_is_not_in_force_before_its_effective_date() {
    let book = "pricebooks/hedra/2026-06.pricebook";
    let o = pricebook(&[
        "quote",
        book,
        "--at",
        "2020-01-01",
        "--plan",
        "creator",
        "--product",
        "hedra-avatar",
        "--quantity",
        "10 second",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json(&o)["error"]["code"], "not-in-force");
    let dir = scratch("in-force");
    let usage = write(
        &dir,
        "usage.jsonl",
        "{\"time\": \"2026-05-20T10:00:00Z\", \"product\": \"hedra-avatar\", \"quantity\": \"10 second\"}\n\
         {\"time\": \"2026-06-10T10:00:00Z\", \"product\": \"hedra-avatar\", \"quantity\": \"10 second\"}\n",
    );
    let o = pricebook(&[
        "bill", book, "--plan", "creator", "--usage", &usage, "--format", "json",
    ]);
    let v = json(&o);
    let rejected = v["rejected"].as_array().expect("rejected");
    assert_eq!(rejected.len(), 1, "{v}");
    assert_eq!(rejected[0]["line"], 1);
    assert!(
        rejected[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("in force (from 2026-06-04)")),
        "{v}"
    );
    assert_eq!(
        v["lines"][0]["period"], "2026-06",
        "billed from the book's first month"
    );
}

// 5. Counts are whole.
#[test]
fn a_fractional_count_is_rejected() {
    let book = "pricebooks/heygen/api-payg.pricebook";
    let o = pricebook(&[
        "quote",
        book,
        "--product",
        "ai-clipping",
        "--quantity",
        "2.5 clip",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o)
            .contains("quantity 2.5 clip is fractional, but `clip` is counted in whole units"),
        "{}",
        stdout(&o)
    );
    let dir = scratch("whole");
    let usage = write(
        &dir,
        "usage.csv",
        "account,plan,product,quantity,unit\na,,ai-clipping,2.5,clip\na,,ai-clipping,3,clip\n",
    );
    let o = pricebook(&["rate", book, "--events", &usage]);
    assert!(
        stderr(&o).contains(":2: rejected: quantity 2.5 clip is fractional"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "account,amount,unit,events\na,0.45,USD,1\n");
}

// 6. is tests/docs.rs: every transcript and pricebook block of the README and docs runs.

// 7. A closed stdout ends a command quietly.
#[test]
fn a_closed_stdout_is_no_panic() {
    for args in [
        vec!["compile", "pricebooks/hedra/2026-06.pricebook"],
        vec!["check", "pricebooks"],
        vec![
            "diff",
            "pricebooks/hedra/2025-05.pricebook",
            "pricebooks/hedra/2026-06.pricebook",
        ],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pricebook"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        // Read one byte, then close the pipe, as `| head -c1` does.
        let mut out = child.stdout.take().expect("stdout");
        let mut byte = [0u8; 1];
        let _ = out.read(&mut byte);
        drop(out);
        let o = child.wait_with_output().expect("exits");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(o.status.code(), Some(101), "{args:?}");
    }
}

// 8. Explanations from a compiled table cite the book's file and line.
#[test]
fn a_table_cites_its_source_book() {
    let dir = scratch("table-source");
    let table = dir.join("hedra.json").display().to_string();
    let o = pricebook(&[
        "compile",
        "pricebooks/hedra/2026-06.pricebook",
        "-o",
        &table,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = pricebook(&[
        "quote",
        &table,
        "--plan",
        "creator",
        "--product",
        "hedra-avatar",
        "--quantity",
        "10 second",
        "--explain",
    ]);
    let out = stdout(&o);
    assert!(
        out.contains("(pricebooks/hedra/2026-06.pricebook:15)"),
        "{out}"
    );
    assert!(!out.contains("hedra.json:"), "{out}");
}

// 9. A contract's diagnostics point at real files and lines.
#[test]
fn a_contract_is_checked_on_its_book_with_real_positions() {
    let dir = scratch("contract");
    let contract = write(
        &dir,
        "acme.pricebook",
        "contract \"Acme\" as acme for heygen list enterprise version \"acme-1\" effective 2026-06-10\n\
         unit credit_second\n\
         plan \"Acme\" as acme based on mmc-5000 {\n  includes 650000 credit_second at 0.0070 USD / credit_second\n}\n",
    );
    let o = pricebook(&["check", "pricebooks/heygen", &contract, "--format", "json"]);
    let v = json(&o);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "duplicate-definition", "{v}");
    assert_eq!(d["file"], contract.as_str());
    assert_eq!(d["line"], 2);
    assert_eq!(
        d["labels"][1]["file"], "pricebooks/heygen/enterprise.pricebook",
        "{v}"
    );
    assert_eq!(v["diagnostics"].as_array().map(Vec::len), Some(1), "{v}");
    // The bundled contract layers cleanly, and alone it is one error that says what to do.
    let o = pricebook(&[
        "check",
        "pricebooks/heygen",
        "tests/bills/acme-contract.pricebook",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = pricebook(&[
        "check",
        "tests/bills/acme-contract.pricebook",
        "--format",
        "json",
    ]);
    let v = json(&o);
    assert_eq!(v["errors"], 1, "{v}");
    assert!(
        v["diagnostics"][0]["help"]
            .as_str()
            .is_some_and(|h| h.contains("check it with its book"))
    );
}

// 10, 11, 13, 22 are fixtures in tests/ui (`all-mistakes-in-one-run`, `free-first-tier`,
// `unknown-unit-in-test`, `unknown-measure-rates-still-checked`, ...) and tests/inherit.rs.

// 12. Mistakes in the question are not rule rejections.
#[test]
fn usage_mistakes_are_errors_with_their_code() {
    let book = "pricebooks/hedra/2026-06.pricebook";
    let o = pricebook(&[
        "capacity",
        book,
        "--plan",
        "basic",
        "--product",
        "hedra-avatar",
        "--unit",
        "minutes",
    ]);
    assert_eq!(
        stdout(&o),
        "3 minute of Hedra Avatar on Basic per billing period\n"
    );
    let o = pricebook(&[
        "capacity",
        book,
        "--plan",
        "basic",
        "--product",
        "hedra-avatar",
        "--unit",
        "parsecs",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("error: unknown unit `parsecs`"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("rule at"), "{}", stderr(&o));
    let o = pricebook(&[
        "quote",
        book,
        "--plan",
        "basic",
        "--product",
        "hedra-avatar",
        "--dim",
        "4K",
        "--quantity",
        "1 second",
    ]);
    assert!(
        stderr(&o).contains("`hedra-avatar` is not priced by any dimension, but `4K` was given"),
        "{}",
        stderr(&o)
    );
}

// 14. Units as people write them.
#[test]
fn units_as_people_write_them() {
    let book = "pricebooks/hedra/2026-06.pricebook";
    let quote = |product: &str, q: &str| {
        let o = pricebook(&[
            "quote",
            book,
            "--plan",
            "creator",
            "--product",
            product,
            "--quantity",
            q,
        ]);
        (o.status.code(), stdout(&o), stderr(&o))
    };
    for q in [
        "20 minute",
        "20 minutes",
        "20min",
        "20 MIN",
        "1200 s",
        "1,200 seconds",
        "1_200 sec",
    ] {
        let (code, out, err) = quote("hedra-avatar", q);
        assert_eq!(code, Some(0), "{q}: {err}");
        assert!(out.contains("charge    8400 credit"), "{q}: {out}");
    }
    let (code, out, err) = quote("flux-dev", "12 MP");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("charge    48 credit"), "{out}");
    let (_, _, err) = quote("hedra-avatar", "1,5 second");
    assert!(err.contains("write a decimal point (`1.5`)"), "{err}");
    let (_, _, err) = quote("hedra-avatar", "5 secnds");
    assert!(
        err.contains("unknown unit `secnds`") && err.contains("did you mean `second`?"),
        "{err}"
    );
}

// 15. Names as people write them.
#[test]
fn names_as_people_write_them() {
    let book = "pricebooks/hedra/2026-06.pricebook";
    for name in ["veo 3", "Veo-3", "Veo 3 / Veo 3.1", "VEO3"] {
        let o = pricebook(&[
            "quote",
            book,
            "--plan",
            "Creator",
            "--product",
            name,
            "--quantity",
            "1 second",
        ]);
        assert!(
            stdout(&o).contains("charge    55 credit"),
            "{name}: {}{}",
            stdout(&o),
            stderr(&o)
        );
    }
    for name in ["Sora 2 pro", "sora2pro", "SORA-2-PRO"] {
        let o = pricebook(&[
            "quote",
            book,
            "--plan",
            "creator",
            "--product",
            name,
            "--quantity",
            "1 second",
        ]);
        assert!(
            stdout(&o).contains("charge    70 credit"),
            "{name}: {}",
            stderr(&o)
        );
    }
    let o = pricebook(&[
        "quote",
        book,
        "--plan",
        "creator",
        "--product",
        "kling",
        "--quantity",
        "1 second",
    ]);
    let err = stderr(&o);
    assert!(
        err.contains("did you mean `kling-v3-standard` or `kling-v3-pro`?"),
        "the closest few: {err}"
    );
    assert!(!err.contains("sora-2-pro"), "not every product: {err}");
}

// 16. `--format json` means JSON for every outcome.
#[test]
fn json_for_every_outcome() {
    let book = "pricebooks/hedra/2026-06.pricebook";
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec![
                "quote",
                book,
                "--plan",
                "creator",
                "--product",
                "nope",
                "--quantity",
                "1 second",
            ],
            1,
            "unknown-reference",
        ),
        (
            vec![
                "quote",
                book,
                "--plan",
                "creator",
                "--product",
                "sora-2-pro",
                "--quantity",
                "seven",
            ],
            1,
            "invalid-value",
        ),
        (
            vec!["capacity", book, "--product", "sora-2-pro"],
            1,
            "missing-statement",
        ),
        (vec!["check", "no/such/path"], 2, "command-line"),
        (vec!["test", "no/such/path"], 2, "command-line"),
        (vec!["versions", "no/such/dir"], 2, "command-line"),
        (vec!["diff", book, "no/such.pricebook"], 2, "command-line"),
        (
            vec![
                "bill",
                book,
                "--plan",
                "creator",
                "--usage",
                "no/such.jsonl",
            ],
            2,
            "command-line",
        ),
        (
            vec!["rate", "no/such.pricebook", "--events", "x.csv"],
            2,
            "command-line",
        ),
        (
            vec!["compile", "tests/ui/unknown-plan-in-test.pricebook"],
            1,
            "book-has-errors",
        ),
        (vec!["quote", book, "--frobnicate"], 2, "command-line"),
    ];
    for (args, status, code) in cases {
        let mut args = args;
        args.extend(["--format", "json"]);
        let o = pricebook(&args);
        assert_eq!(
            o.status.code(),
            Some(status),
            "{args:?}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let v = json(&o);
        assert_eq!(v["error"]["code"], code, "{args:?}: {v}");
        assert!(v["error"]["message"].is_string(), "{v}");
    }
    // A rejection is still the quote's shape, with what was asked.
    let o = pricebook(&[
        "capacity",
        book,
        "--plan",
        "basic",
        "--product",
        "live-avatars",
        "--format",
        "json",
    ]);
    let v = json(&o);
    assert_eq!(
        (v["plan"].as_str(), v["product"].as_str()),
        (Some("basic"), Some("live-avatars")),
        "{v}"
    );
    assert!(v["rejected"]["reason"].is_string(), "{v}");
    assert_eq!(v["quantity"]["unit"], "minute", "{v}");
}

// 17. `--wallet` takes a whole bill.
#[test]
fn a_wallet_is_read_from_a_whole_bill() {
    let dir = scratch("wallet");
    let usage = write(
        &dir,
        "june.jsonl",
        "{\"time\": \"2026-06-05T10:00:00Z\", \"buy\": \"credit-pack\"}\n",
    );
    let book = "pricebooks/hedra/2026-06.pricebook";
    let o = pricebook(&[
        "bill", book, "--plan", "creator", "--usage", &usage, "--format", "json",
    ]);
    let bill = write(&dir, "june.json", &o.stdout);
    let closing = write(
        &dir,
        "closing.json",
        serde_json::to_string(&json(&o)["closing_wallet"]).expect("json"),
    );
    let july = write(
        &dir,
        "july.jsonl",
        "{\"time\": \"2026-07-05T10:00:00Z\", \"product\": \"hedra-avatar\", \"quantity\": \"1000 second\"}\n",
    );
    let mut remaining = Vec::new();
    for wallet in [&bill, &closing] {
        let o = pricebook(&[
            "bill", book, "--plan", "creator", "--usage", &july, "--wallet", wallet, "--format",
            "json",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v = json(&o);
        remaining.push(v["closing_wallet"]["grants"][0]["remaining"].clone());
    }
    assert_eq!(
        remaining[0], "14400",
        "7,000 credits, 5,400 from the plan, 1,600 from the pack"
    );
    assert_eq!(remaining[0], remaining[1]);
}

// 19. Human output: every report ends with a newline.
#[test]
fn every_report_ends_with_a_newline() {
    let book = "pricebooks/hedra/2026-06.pricebook";
    for args in [
        vec!["check", book],
        vec!["test", book],
        vec!["versions", "pricebooks/hedra"],
        vec!["diff", "pricebooks/hedra/2025-05.pricebook", book],
        vec![
            "quote",
            book,
            "--plan",
            "creator",
            "--product",
            "sora-2-pro",
            "--quantity",
            "1 second",
            "--explain",
        ],
        vec![
            "capacity",
            book,
            "--plan",
            "creator",
            "--product",
            "sora-2-pro",
        ],
        vec![
            "bill",
            book,
            "--plan",
            "creator",
            "--usage",
            "tests/bills/pack-rolls-over.jsonl",
        ],
        vec!["compile", book],
    ] {
        let o = pricebook(&args);
        let out = stdout(&o);
        assert!(
            out.ends_with('\n') && !out.ends_with("\n\n\n"),
            "{args:?}: {out:?}"
        );
    }
}

// 20. The bundled books are formatted.
#[test]
fn the_bundled_books_are_formatted() {
    let o = pricebook(&["fmt", "--check", "pricebooks"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

// 21. is tests/differential.rs (quantities beyond the event rated exactly) and
// tests/hostile_inputs.rs (`rate_reports_hostile_quantities_by_line`).

// 19. `diff --usage` lists charge units in one order on both sides.
#[test]
fn diff_usage_lists_units_in_one_order() {
    let dir = scratch("diff-order");
    // The old book charges Live Avatars only; the new one both: the money unit comes last on
    // both sides, whichever line comes first in the file.
    let csv = write(
        &dir,
        "usage.csv",
        "product,quantity\nlive-avatars,10 minute\nhedra-avatar,20 minute\n",
    );
    let o = pricebook(&[
        "diff",
        "pricebooks/hedra/2025-07.pricebook",
        "pricebooks/hedra/2026-06.pricebook",
        "--usage",
        &csv,
    ]);
    let out = stdout(&o);
    assert!(out.contains("after   8400 credit + 0.50 USD"), "{out}");
}

/// Arithmetic beyond decimal range in a bill is an error value or a rejected event, never a
/// panic: an event whose charge fits but not once converted to base units of the wallet, and
/// an opening wallet too large to hold.
#[test]
fn a_bill_beyond_decimal_range_rejects_instead_of_panicking() {
    use pricebook::base::date::{Date, parse_instant};
    use pricebook::bill::{BillError, BillRequest, Usage, UsageEvent, WalletGrant, bill};
    let table = pricebook::pipeline::compile_source(
        r#"pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
unit kilocredit = 1000 credit
product "Render" as render { measure time  rate 1 kilocredit / second }
plan "Pro" as pro {
  price 20 USD / month
  grant 1000 credit every month, expires at cycle end
  when empty reject
}
"#,
    )
    .expect("the book checks");
    let huge: rust_decimal::Decimal = "10000000000000000000000000000".parse().expect("a decimal");
    let events = vec![
        UsageEvent {
            line: 1,
            time: parse_instant("2026-01-05T10:00:00Z").expect("an instant"),
            usage: Usage::Use {
                product: 0,
                cell: 0,
                quantity: huge,
            },
        },
        UsageEvent {
            line: 2,
            time: parse_instant("2026-01-06T10:00:00Z").expect("an instant"),
            usage: Usage::Use {
                product: 0,
                cell: 0,
                quantity: 1.into(),
            },
        },
    ];
    let from = Date::parse("2026-01-01").expect("a date");
    let b = bill(&table, &BillRequest::new(0, from, 1), &events).expect("a bill");
    assert_eq!(b.rejected.len(), 1, "{:?}", b.rejected);
    assert_eq!(b.rejected[0].line, 1);
    assert_eq!(b.rejected[0].rejection, Some("overflow"));
    // The second event was paid from the wallet as usual.
    assert_eq!(b.wallet[0].consumed.to_string(), "1000");

    let mut request = BillRequest::new(0, from, 1);
    request.opening = vec![WalletGrant {
        grant: "carried".into(),
        unit: "kilocredit".into(),
        remaining: huge,
        expires: None,
        priority: 1,
    }];
    let err = bill(&table, &request, &[]).expect_err("too large to hold");
    assert!(matches!(err, BillError::Overflow { .. }), "{err:?}");
    assert!(err.to_string().contains("too large"), "{err}");
}
