//! Hostile input through the command line and the rating paths (`tests/hostile.rs` covers the
//! parser and checker): quantities that are not decimals or do not fit, negative quantities,
//! unknown units, usage files full of garbage, compiled tables truncated or edited by hand, and
//! arithmetic that overflows. Every case ends in a reported error or rejection that names what
//! went wrong, never a panic, a wrapped number or a silently wrong total.

use pricebook::rate::{Event, Rater, Totals};
use pricebook::table::RatingTable;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::process::Output;

mod common;
use common::{pricebook, scratch, stderr, stdout, write};

/// Exit 1 (the input is wrong), with no panic and `needle` in the output.
fn assert_refused(o: &Output, needle: &str, what: &str) {
    let (out, err) = (stdout(o), stderr(o));
    assert!(
        !err.contains("panicked") && o.status.code() != Some(101),
        "{what}: panicked\n{err}"
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{what}\nstdout: {out}\nstderr: {err}"
    );
    assert!(
        out.contains(needle) || err.contains(needle),
        "{what}: expected `{needle}`\nstdout: {out}\nstderr: {err}"
    );
}

/// Render: 2 credit per started second. Speech: 15 credit per 1,000 characters, prorated.
const BOOK: &str = "pricebook acme version \"1\" effective 2026-01-01 currency USD\n\
unit credit\n\
product \"Render\" as render { measure time  rate 2 credit / second  round up to 1 second }\n\
product \"Speech\" as speech { measure text  rate 15 credit / 1000 character }\n\
plan \"Pro\" as pro { price 20 USD / month  grant 1000 credit every month, expires at cycle end }\n";

// ------------------------------------------------------------------------------------------------
// Quantities on the command line

#[test]
fn quote_refuses_quantities_that_are_not_decimals_or_do_not_fit() {
    let dir = scratch("quote-quantity");
    let book = write(&dir, "book.pricebook", BOOK.as_bytes());
    let not_decimal = "is not a decimal number that fits in 28 digits";
    for (quantity, needle) in [
        ("1e999 second", not_decimal),
        ("1E5 second", not_decimal),
        ("79228162514264337593543950336 second", not_decimal),
        ("-79228162514264337593543950336 second", not_decimal),
        ("0.00000000000000000000000000001 second", not_decimal),
        ("NaN second", not_decimal),
        ("nan second", not_decimal),
        ("inf second", not_decimal),
        ("-inf second", not_decimal),
        ("0x10 second", not_decimal),
        ("1,5 second", "is not a decimal number"),
        ("\u{663} second", not_decimal),
        ("5 parsec", "unknown unit `parsec`"),
        ("5 character", "measures text"),
        ("5 USD", "measures"),
        ("5", "is not a quantity"),
        ("", "is not a quantity"),
        ("second", "is not a quantity"),
        ("5 second extra", "is not a quantity"),
        ("-5 second", "quantity -5 is negative"),
        ("-0.000000001 second", "is negative"),
        ("79228162514264337593543950335 hour", "is too large"),
    ] {
        let o = pricebook(&[
            "quote",
            &book,
            "--product",
            "render",
            "--quantity",
            quantity,
        ]);
        assert_refused(&o, needle, &format!("--quantity {quantity:?}"));
    }
    // The JSON form of a rejection says why, too.
    let o = pricebook(&[
        "quote",
        &book,
        "--product",
        "render",
        "--quantity",
        "-5 second",
        "--format",
        "json",
    ]);
    assert_refused(&o, "\"reason\": \"quantity -5 is negative\"", "json");
    // Zero and negative zero are quantities like any other.
    for zero in ["0 second", "-0 second", "0.000 second"] {
        let o = pricebook(&["quote", &book, "--product", "render", "--quantity", zero]);
        assert_eq!(o.status.code(), Some(0), "{zero}: {}", stderr(&o));
        assert!(stdout(&o).contains("charge    0 credit"), "{}", stdout(&o));
    }
}

#[test]
fn rate_reports_hostile_quantities_by_line() {
    let dir = scratch("rate-quantity");
    let book = write(&dir, "book.pricebook", BOOK.as_bytes());
    let lines = [
        (
            "a,pro,render,1e999,second",
            Some("`1e999` is not a decimal quantity"),
        ),
        ("a,pro,render,NaN,", Some("`NaN` is not a decimal quantity")),
        ("a,pro,render,inf,", Some("`inf` is not a decimal quantity")),
        ("a,pro,render,-5,second", Some("quantity -5 is negative")),
        ("a,pro,render,-0.5,", Some("quantity -0.5 is negative")),
        ("a,pro,render,5,parsec", Some("unknown unit `parsec`")),
        (
            "a,pro,render,5,character",
            Some("`character` measures text"),
        ),
        (
            "a,pro,render,79228162514264337593543950336,",
            Some("is not a decimal quantity"),
        ),
        ("a,pro,render,,", Some("is not a decimal quantity")),
        ("a,pro,render,\"5 parsec\",", Some("unknown unit `parsec`")),
        (
            "a,pro,render,\"5 minute\",second",
            Some("contradicts the unit column"),
        ),
        ("a,pro,render,2.5,", None),
        ("a,pro,render,\"1 minute\",", None),
        ("a,pro,speech,1500,character", None),
        ("a,pro,render,9223372036,", None),
        // Beyond the 16-byte event's range the exact path prices them as `quote` does.
        ("a,pro,render,9223372037,", None),
        ("a,pro,render,0.0000000001,", None),
    ];
    let mut csv = String::from("account,plan,product,quantity,unit\n");
    for (l, _) in &lines {
        csv.push_str(l);
        csv.push('\n');
    }
    let events = write(&dir, "usage.csv", csv.as_bytes());
    let o = pricebook(&["rate", &book, "--events", &events]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    for (i, (l, bad)) in lines.iter().enumerate() {
        let number = i + 2;
        let prefix = format!("{events}:{number}: bad line: ");
        match bad {
            Some(reason) => assert!(
                err.lines()
                    .any(|e| e.starts_with(&prefix) && e.contains(reason)),
                "line {number} `{l}` should be reported with `{reason}`:\n{err}"
            ),
            None => assert!(
                !err.contains(&prefix),
                "line {number} `{l}` is good:\n{err}"
            ),
        }
    }
    // 2.5 s -> 3 s = 6; 1 minute = 120; 1,500 characters = 22.5; 9,223,372,036 s =
    // 18,446,744,072; 9,223,372,037 s = 18,446,744,074; 10^-10 s rounds up to 1 s = 2.
    assert_eq!(
        stdout(&o),
        "account,amount,unit,events\na,36893488296.5,credit,6\n"
    );
}

// ------------------------------------------------------------------------------------------------
// A usage file where a third of the lines are garbage

/// Garbage lines of every kind the reader must survive, each a bad line.
fn garbage(i: usize) -> Vec<u8> {
    let kinds: [&[u8]; 20] = [
        b"acct-1,pro,render,abc",
        b"acct-2,pro,render",
        b"acct-3,pro,render,5 5 second",
        b"acct-4,pro,nothing,5",
        b"acct-5,nope,render,5",
        b"acct-6,pro,render,-3",
        b"acct-7,pro,render,1e999",
        b"acct-8,pro,render,NaN",
        b"acct-9,pro,render,5 parsec",
        b"\xff\xfe\x00garbage\x80",
        b"acct-1,pro,render,\"unterminated",
        b"{\"account\": \"json in a csv\"}",
        b"acct-2,pro,render,99999999999999999999999999999999",
        b"acct-3,pro,render,1.5.5",
        b",,,,",
        b"acct-4,pro,render,\t",
        b"acct-5,pro,render,5 character",
        b"\x1b[31macct-6,pro,render,5\x1b[0m",
        b"acct-7;pro;render;5",
        b"acct-8,pro,RENDER2,5",
    ];
    kinds[i % kinds.len()].to_vec()
}

#[test]
fn a_usage_file_a_third_garbage_reports_every_bad_line_and_bills_every_good_one() {
    let dir = scratch("third-garbage");
    let book = write(&dir, "book.pricebook", BOOK.as_bytes());
    // Large enough to be split into several blocks across workers (blocks are ~1 MB).
    let n = 90_000usize;
    let mut data: Vec<u8> = b"account,plan,product,quantity\n".to_vec();
    let mut bad_lines = BTreeSet::new();
    // Expected totals per account in credits, exact: render charges 2 per started second,
    // speech 15 per 1,000 characters.
    let mut expected: BTreeMap<String, (Decimal, u64)> = BTreeMap::new();
    let mut line_no = 1usize;
    for i in 0..n {
        line_no += 1;
        let eol: &[u8] = if i % 7 == 0 { b"\r\n" } else { b"\n" };
        if i % 3 == 2 {
            data.extend_from_slice(&garbage(i / 3));
            data.extend_from_slice(eol);
            bad_lines.insert(line_no);
            continue;
        }
        if i % 101 == 0 {
            // A blank line: neither billed nor bad.
            data.extend_from_slice(eol);
            continue;
        }
        let account = format!("acct-{}", i % 10);
        let (line, charge) = if i % 2 == 0 {
            let tenths = (i % 1000) as i64;
            let q = Decimal::new(tenths, 1);
            (
                format!("{account},pro,render,{q}"),
                Decimal::from(2) * q.ceil(),
            )
        } else {
            let chars = (i % 5000) as i64;
            (
                format!("{account},pro,speech,\"{chars} character\""),
                Decimal::new(chars * 15, 3),
            )
        };
        data.extend_from_slice(line.as_bytes());
        data.extend_from_slice(eol);
        let e = expected.entry(account).or_insert((Decimal::ZERO, 0));
        e.0 += charge;
        e.1 += 1;
    }
    assert!(data.len() > 2 << 20, "{} bytes", data.len());
    let events = write(&dir, "usage.csv", &data);
    let o = pricebook(&["rate", &book, "--events", &events]);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "bad lines make the run fail: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // Every bad line is reported, with its number, once; nothing else is.
    let prefix = format!("{events}:");
    let reported: Vec<usize> = err
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|rest| {
            let (n, what) = rest.split_once(": ").expect("FILE:LINE: message");
            assert!(what.starts_with("bad line: "), "{rest}");
            n.parse().expect("a line number")
        })
        .collect();
    let reported_set: BTreeSet<usize> = reported.iter().copied().collect();
    assert_eq!(reported.len(), reported_set.len(), "a line reported twice");
    assert_eq!(reported_set, bad_lines);

    // Every good line is billed: exact totals and event counts per account.
    let mut want = String::from("account,amount,unit,events\n");
    for (account, (amount, events)) in &expected {
        let _ = writeln!(want, "{account},{},credit,{events}", amount.normalize());
    }
    assert_eq!(stdout(&o), want);
    let good: u64 = expected.values().map(|e| e.1).sum();
    assert!(
        // Usage lines only: not the CSV header, not the blank lines.
        err.contains(&format!(
            "rated {good} events from {} usage lines; {} bad lines, 0 rejected",
            good as usize + bad_lines.len(),
            bad_lines.len()
        )),
        "{}",
        err.lines().last().unwrap_or("")
    );

    // The JSON report lists the same bad lines.
    let o = pricebook(&["rate", &book, "--events", &events, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    let json_bad: BTreeSet<usize> = doc["bad_lines"]
        .as_array()
        .expect("bad_lines")
        .iter()
        .map(|b| b["line"].as_u64().expect("line") as usize)
        .collect();
    assert_eq!(json_bad, bad_lines);
    assert_eq!(doc["rated"].as_u64(), Some(good));
    assert_eq!(
        doc["lines"].as_u64(),
        Some(good + bad_lines.len() as u64),
        "lines = rated + bad + rejected"
    );
    assert!(
        line_no > good as usize + bad_lines.len(),
        "the file has a header and blank lines"
    );
}

#[test]
fn json_lines_with_garbage_report_each_bad_line() {
    let dir = scratch("jsonl-garbage");
    let book = write(&dir, "book.pricebook", BOOK.as_bytes());
    let lines: [(&str, bool); 10] = [
        (
            r#"{"account": "a", "plan": "pro", "product": "render", "quantity": "2.5"}"#,
            false,
        ),
        (
            r#"{"account": "a", "plan": "pro", "product": "render", "quantity": 1e999}"#,
            true,
        ),
        (
            r#"{"account": "a", "plan": "pro", "product": "render"}"#,
            true,
        ),
        (
            r#"{"account": "a", "plan": "pro", "product": "render", "quantity": "NaN"}"#,
            true,
        ),
        (
            r#"{"account": "a", "plan": "pro", "product": "render", "quantity": [1]}"#,
            true,
        ),
        (
            r#"{"account": "a", "plan": "pro", "product": "render", "quantity": "4", "unit": "parsec"}"#,
            true,
        ),
        (
            r#"{"account": "a", "plan": "pro", "product": "speech", "quantity": 1000, "unit": "character"}"#,
            false,
        ),
        (
            r#"{"account": "a", "plan": "pro", "product": "render", "quantity": "-1"}"#,
            true,
        ),
        (r#"not json at all"#, true),
        (
            r#"{"account": "a", "plan": "pro", "product": "render", "quantity": "1", "dims": 5}"#,
            true,
        ),
    ];
    let mut text = String::new();
    for (l, _) in &lines {
        text.push_str(l);
        text.push('\n');
    }
    let events = write(&dir, "usage.jsonl", text.as_bytes());
    let o = pricebook(&["rate", &book, "--events", &events, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    let bad: BTreeSet<u64> = doc["bad_lines"]
        .as_array()
        .expect("bad_lines")
        .iter()
        .map(|b| b["line"].as_u64().expect("line"))
        .collect();
    let want: BTreeSet<u64> = lines
        .iter()
        .enumerate()
        .filter(|(_, (_, b))| *b)
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(bad, want);
    // 2.5 s -> 3 s = 6 credit; 1,000 characters = 15 credit.
    assert_eq!(doc["totals"][0]["amount"], "21");
}

// ------------------------------------------------------------------------------------------------
// Compiled tables that were truncated or edited by hand

#[test]
fn tampered_tables_are_refused_through_the_cli() {
    let dir = scratch("tables");
    let book = write(&dir, "book.pricebook", BOOK.as_bytes());
    let table_path = dir.join("table.json");
    let o = pricebook(&["compile", &book, "-o", &table_path.display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json = std::fs::read_to_string(&table_path).expect("table");
    let good = write(&dir, "good.json", json.as_bytes());
    let quote = |table: &str| {
        pricebook(&[
            "quote",
            table,
            "--product",
            "render",
            "--quantity",
            "10 second",
        ])
    };
    let usage = write(
        &dir,
        "usage.csv",
        b"account,plan,product,quantity\na,pro,render,10\n",
    );
    let o = quote(&good);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("charge    20 credit"));

    // Truncated anywhere: not JSON.
    for cut in [json.len() / 2, json.len() - 2, 1, json.len() / 7] {
        let t = write(&dir, "truncated.json", &json.as_bytes()[..cut]);
        assert_refused(
            &quote(&t),
            "not valid rating-table JSON",
            &format!("cut at {cut}"),
        );
        assert_refused(
            &pricebook(&["rate", &t, "--events", &usage]),
            "not valid rating-table JSON",
            "rate, truncated",
        );
    }

    // A rate edited by hand: the checksum no longer matches.
    let edited = json.replacen("\"amount\": \"2\"", "\"amount\": \"1\"", 1);
    assert_ne!(edited, json);
    let t = write(&dir, "edited.json", edited.as_bytes());
    assert_refused(&quote(&t), "checksum does not match", "edited rate");
    assert_refused(
        &quote(&t),
        "recompile it with `pricebook compile`",
        "edited rate",
    );
    assert_refused(
        &pricebook(&["rate", &t, "--events", &usage]),
        "checksum does not match",
        "rate, edited",
    );

    // The checksum itself edited.
    let table: RatingTable = serde_json::from_str(&json).expect("table");
    let forged = json.replacen(table.checksum(), &"0".repeat(64), 1);
    let t = write(&dir, "forged.json", forged.as_bytes());
    assert_refused(&quote(&t), "checksum does not match", "edited checksum");

    // Another schema version.
    let schema = format!("\"schema_version\": {}", pricebook::table::SCHEMA_VERSION);
    let future = json.replacen(&schema, "\"schema_version\": 99", 1);
    let t = write(&dir, "future.json", future.as_bytes());
    assert_refused(&quote(&t), "schema version 99", "schema");

    // Edited by hand with the checksum recomputed, pointing at a unit that does not exist: the
    // validation refuses it.
    let mut bad: serde_json::Value = serde_json::from_str(&table.to_json()).expect("JSON");
    let cell = &mut bad["products"][0]["pricing"]["cells"][0];
    assert!(
        cell.is_object(),
        "the first product has a rate cell: {cell}"
    );
    cell["unit"] = 99.into();
    let bad = pricebook::table::reseal(&bad.to_string()).expect("resealed");
    let t = write(&dir, "inconsistent.json", bad.as_bytes());
    assert_refused(&quote(&t), "the table is inconsistent", "bad unit id");

    // Not UTF-8 at all.
    let t = write(&dir, "binary.json", b"{\xff\xfe\x00\x01}");
    assert_refused(&quote(&t), "not valid UTF-8", "binary");
}

// ------------------------------------------------------------------------------------------------
// Arithmetic overflow is an error that names the operation

const MAX: &str = "79228162514264337593543950335";

fn overflow_book() -> String {
    format!(
        "pricebook big version \"1\" effective 2026-01-01 currency USD\n\
         unit credit\n\
         product \"Max\" as max {{ measure time  rate {MAX} credit / second }}\n\
         product \"Fine\" as fine {{ measure time  rate 1 credit / second  round up to 0.000000001 second }}\n\
         product \"Tiered\" as tiered {{ measure time  tiers graduated {{ 0 second .. 10 second : 1 credit / second  10 second .. : {MAX} credit / second }} }}\n\
         product \"Volume\" as volume {{ measure time  tiers volume {{ 0 second .. 10 second : 1 credit / second  10 second .. : {MAX} credit / second }} }}\n\
         product \"Huge\" as huge {{ measure time  rate 10000000000000000000000 credit / second }}\n\
         plan \"Pro\" as pro {{ price {MAX} USD / month  grant 1 credit every month, expires at cycle end }}\n"
    )
}

#[test]
fn overflow_is_an_error_naming_the_operation_never_a_wrap() {
    let dir = scratch("overflow");
    let book = write(&dir, "big.pricebook", overflow_book().as_bytes());
    for (product, quantity, needle) in [
        (
            "max",
            "2 second",
            "arithmetic overflow while applying the rate",
        ),
        (
            "max",
            "1000000 hour",
            "arithmetic overflow while applying the rate",
        ),
        (
            "fine",
            "79228162514264337593543950 second",
            "arithmetic overflow while rounding the quantity",
        ),
        (
            "tiered",
            "20 second",
            "arithmetic overflow while applying a tier",
        ),
        (
            "volume",
            "20 second",
            "arithmetic overflow while applying the tier",
        ),
        // A charge that fits, but whose money equivalent at this plan's price does not.
        (
            "huge",
            "1 second",
            "arithmetic overflow while converting to money",
        ),
    ] {
        let o = pricebook(&[
            "quote",
            &book,
            "--plan",
            "pro",
            "--product",
            product,
            "--quantity",
            quantity,
        ]);
        assert_refused(&o, needle, &format!("{product} {quantity}"));
        assert!(
            stdout(&o).contains("rule at"),
            "names the rule's line: {}",
            stdout(&o)
        );
    }
    // The largest rate for one unit fits exactly: no rounding, no wrap.
    let o = pricebook(&[
        "quote",
        &book,
        "--product",
        "max",
        "--plan",
        "pro",
        "--quantity",
        "1 second",
    ]);
    assert_refused(&o, "converting to money", "max, money");

    // Batch rating: a rate whose integer form exceeds 63 bits is exact (it used to overflow
    // `2 * a` when the rater precompiled it: a panic in debug builds, a wrong total in release).
    let book2 = write(
        &dir,
        "huge.pricebook",
        b"pricebook big version \"1\" effective 2026-01-01 currency USD\n\
          unit credit\n\
          product \"Huge\" as huge { measure time  rate 10000000000000000000000 credit / second }\n",
    );
    let usage = write(
        &dir,
        "tiny.csv",
        b"account,plan,product,quantity\na,,huge,0.000000001\nb,,huge,1\n",
    );
    let o = pricebook(&["rate", &book2, "--events", &usage]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "account,amount,unit,events\na,10000000000000,credit,1\nb,10000000000000000000000,credit,1\n"
    );

    // A huge amount over a huge `per` is a small ratio (1 USD per second here), but the exact
    // path multiplies `quantity x amount` first, which overflows. The rater reduced the ratio
    // and charged 1.50 USD in `rate` where `quote` rejects; both now reject (found by fuzzing).
    let book3 = write(
        &dir,
        "ratio.pricebook",
        format!(
            "pricebook big version \"1\" effective 2026-01-01 currency USD\n\
             product \"Video\" as video {{ measure time  rate {MAX} USD / {MAX} second }}\n"
        )
        .as_bytes(),
    );
    let o = pricebook(&[
        "quote",
        &book3,
        "--product",
        "video",
        "--quantity",
        "1.5 second",
    ]);
    assert_refused(
        &o,
        "arithmetic overflow while applying the rate",
        "ratio quote",
    );
    let usage = write(
        &dir,
        "ratio.csv",
        b"account,plan,product,quantity\na,,video,1.5\nb,,video,0.000000001\n",
    );
    let o = pricebook(&["rate", &book3, "--events", &usage]);
    // `b`'s nano-second is within exact range and rounds to nothing: a zero row, not a gap.
    assert_eq!(
        stdout(&o),
        "account,amount,unit,events\nb,0.00,USD,1\n",
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("ratio.csv:2: rejected: arithmetic overflow while applying the rate"),
        "{}",
        stderr(&o)
    );

    // Totals that exceed exact decimal range are an error naming the sum, not a saturated
    // 79228162514264337593543950335.
    let usage = write(
        &dir,
        "big.csv",
        b"account,plan,product,quantity\na,,huge,5\na,,huge,5\n",
    );
    let o = pricebook(&["rate", &book2, "--events", &usage]);
    assert_refused(
        &o,
        "arithmetic overflow while summing the total of `a` in `credit`",
        "total overflow",
    );
    assert!(!stdout(&o).contains(MAX), "{}", stdout(&o));
}

#[test]
fn overflow_through_the_library_is_a_rejection_on_every_path() {
    let table = pricebook::pipeline::compile_source(&overflow_book()).expect("compiles");
    let model = pricebook::check::check_source(&overflow_book())
        .model
        .expect("checks");
    let rater = Rater::new(&table);
    let max = Decimal::MAX;
    for product in 0..table.products().len() as u32 {
        for plan in [None, Some(0)] {
            let reference = pricebook::reference::quote(
                &model,
                plan.map(|p| p as usize),
                product as usize,
                &[],
                max,
            );
            let t = table.quote(plan, product, 0, max);
            let key = rater.key(plan, product, 0).expect("key");
            let f = rater.quote(key, max);
            let (Err(r), Err(t), Err(f)) = (&reference, &t, &f) else {
                panic!("{product}: {reference:?} / {t:?} / {f:?}");
            };
            assert!(
                r.reason.starts_with("arithmetic overflow while "),
                "{}",
                r.reason
            );
            assert_eq!((&r.reason, &r.reason), (&t.reason, &f.reason));
        }
    }
    // Totals that overflow exact decimals say so instead of reading as a number.
    let huge = table.product_id("huge").expect("huge");
    let key = rater.key(None, huge, 0).expect("key");
    let e = Event::new(0, key, Decimal::from(5)).expect("event");
    let mut totals = Totals::new(&table, 1);
    rater
        .rate_batch(&[e, e], &mut totals)
        .expect("each charge fits");
    let credit = table.unit_id("credit").expect("credit");
    assert_eq!(totals.checked_amount(0, credit), None);
    let mut one = Totals::new(&table, 1);
    rater.rate_batch(&[e], &mut one).expect("fits");
    assert_eq!(
        one.checked_amount(0, credit),
        Some(Decimal::from_str_exact("50000000000000000000000").expect("d"))
    );
}
