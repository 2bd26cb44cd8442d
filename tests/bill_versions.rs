//! Bills across versions by date: each event priced by the version pricing the account at its
//! time, each period's fee and grants by the version at its start, the account moving to a new
//! version at once, at renewal or on a grandfathering date, and wallets carried across.

mod common;
use common::{pricebook, stderr, stdout};
use pricebook::bill::{BillRequest, Billing, Moves, VersionUsage, bill_tables};
use pricebook::table::RatingTable;
use pricebook::usage::{read_events, resolve_in_versions};

fn snapshot(name: &str, value: String) {
    insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
        insta::assert_snapshot!(name, value);
    });
}

/// `tests/bills/moves`: version 1 from January, Pro at 120 USD a year (10 USD a month billed
/// monthly) with 1,000 credits a month, rendering at 2 credits a second; version 2 from 15
/// February at 240 USD a year and 3 credits a second, with a new product. (Its own rule, `at
/// renewal`, is for bills on the directory; these tests give each rule themselves.)
const V1: &str = include_str!("bills/moves/v1.pricebook");
const V2: &str = include_str!("bills/moves/v2.pricebook");

const USAGE: &str = "time,product,quantity
2026-01-20T10:00:00Z,render,100 second
2026-02-10T10:00:00Z,upscale,10 second
2026-02-20T10:00:00Z,render,100 second
2026-02-21T10:00:00Z,upscale,10 second
2026-03-20T10:00:00Z,render,100 second
";

/// The bill of [`USAGE`] from January over `periods` months, moving to version 2 as `moves`
/// says: (total, each line as `period version kind amount`, credits consumed per grant,
/// rejected lines).
fn bill(
    moves: Moves,
    billing: Billing,
    periods: u32,
) -> (String, Vec<String>, Vec<String>, Vec<u64>) {
    let b = bill_of(moves, billing, periods);
    let lines = b
        .lines
        .iter()
        .map(|l| {
            let amount = l.amount.map_or("-".to_string(), |a| a.to_string());
            format!("{} v{} {} {amount}", l.period, l.version, l.kind)
        })
        .collect();
    let consumed = b
        .wallet
        .iter()
        .map(|g| format!("{} {}", g.grant, g.consumed))
        .collect();
    let rejected = b.rejected.iter().map(|r| r.line).collect();
    (b.total.to_string(), lines, consumed, rejected)
}

fn bill_of(moves: Moves, billing: Billing, periods: u32) -> pricebook::bill::Bill {
    bill_books(&[V1, V2], moves, billing, periods, USAGE).expect("a bill")
}

/// Bills `usage` from 1 January 2026 over `periods` on `books` (in effective order), the
/// account moving to each later one as `moves` says.
fn bill_books(
    books: &[&str],
    moves: Moves,
    billing: Billing,
    periods: u32,
    usage: &str,
) -> Result<pricebook::bill::Bill, pricebook::bill::BillError> {
    let tables: Vec<RatingTable> = books
        .iter()
        .map(|b| pricebook::pipeline::compile_source(b).expect("the book compiles"))
        .collect();
    let refs: Vec<&RatingTable> = tables.iter().collect();
    let (raw, bad) = read_events(usage);
    assert!(bad.is_empty(), "{bad:?}");
    let (per_version, unread) = resolve_in_versions(&refs, &raw);
    assert!(unread.is_empty(), "{unread:?}");
    let versions: Vec<VersionUsage<'_>> = refs
        .iter()
        .zip(per_version)
        .enumerate()
        .map(|(i, (table, (events, attrs)))| VersionUsage {
            table,
            moves: if i == 0 { Moves::AtOnce } else { moves },
            events,
            attrs,
        })
        .collect();
    let from = pricebook::base::date::Date::parse("2026-01-01").expect("a date");
    let mut request = BillRequest::new(0, from, periods);
    request.billing = billing;
    bill_tables(&versions, &request)
}

/// An annual subscriber across the price change under each rule: the bills as JSON, reviewed.
#[test]
fn an_annual_subscriber_under_each_rule() {
    let day = pricebook::base::date::Date::parse("2026-06-01").expect("a date");
    let mut report = String::new();
    for (name, moves) in [
        ("at once", Moves::AtOnce),
        ("at renewal", Moves::AtRenewal),
        ("grandfathered until 2026-06-01", Moves::On(day)),
    ] {
        let b = bill_of(moves, Billing::Annual, 13);
        report.push_str(&format!(
            "--- {name}\n{}\n",
            serde_json::to_string_pretty(&b.to_json()).expect("JSON")
        ));
    }
    snapshot("bill-versions-annual-under-each-rule", report);
}

#[test]
fn at_once_prices_usage_from_the_effective_date_and_fees_from_the_next_period() {
    let (total, lines, consumed, rejected) = bill(Moves::AtOnce, Billing::Monthly, 3);
    // February's fee is version 1's (in force on February 1); March's is version 2's.
    assert_eq!(
        lines,
        [
            "2026-01 v1 subscription 10.00",
            "2026-02 v1 subscription 10.00",
            "2026-03 v2 subscription 20.00"
        ]
    );
    assert_eq!(total, "40.00");
    // 20 February is priced by version 2 (3 credits a second), and Upscale on 21 February
    // (10 credits), paid by the grant version 1 issued on 1 February.
    assert_eq!(
        consumed,
        [
            "plan pro 2026-01 200",
            "plan pro 2026-02 310",
            "plan pro 2026-03 300"
        ]
    );
    // Upscale on 10 February is before version 2 brought it; on 21 February it is priced.
    assert_eq!(rejected, [3]);
}

#[test]
fn at_renewal_keeps_the_old_prices_until_the_next_cycle() {
    let (total, lines, consumed, rejected) = bill(Moves::AtRenewal, Billing::Monthly, 3);
    assert_eq!(total, "40.00");
    assert_eq!(lines[2], "2026-03 v2 subscription 20.00");
    // 20 February is still version 1's 2 credits a second, and Upscale is not yet sold.
    assert_eq!(
        consumed,
        [
            "plan pro 2026-01 200",
            "plan pro 2026-02 200",
            "plan pro 2026-03 300"
        ]
    );
    assert_eq!(rejected, [3, 5]);
}

#[test]
fn an_annual_subscriber_moves_at_the_year_renewal() {
    let (total, lines, consumed, _) = bill(Moves::AtRenewal, Billing::Annual, 13);
    // Version 1's annual fee, and version 1's rate all year: 3 x 100 seconds at 2 credits, from
    // the front-loaded grant; version 2 from the renewal on 1 January 2027.
    assert_eq!(
        lines,
        [
            "2026-01 v1 subscription 120.00",
            "2027-01 v2 subscription 240.00"
        ]
    );
    assert_eq!(total, "360.00");
    assert_eq!(consumed.len(), 2);
    assert!(consumed[0].ends_with(" 600"), "{consumed:?}");
}

#[test]
fn grandfathered_accounts_move_on_their_date() {
    let day = pricebook::base::date::Date::parse("2026-03-25").expect("a date");
    let (total, lines, consumed, rejected) = bill(Moves::On(day), Billing::Monthly, 3);
    assert_eq!(total, "30.00");
    assert_eq!(lines[2], "2026-03 v1 subscription 10.00");
    assert_eq!(
        consumed,
        [
            "plan pro 2026-01 200",
            "plan pro 2026-02 200",
            "plan pro 2026-03 200"
        ]
    );
    assert_eq!(rejected, [3, 5]);
}

#[test]
fn a_plan_the_new_version_drops_is_an_error_that_says_what_to_do() {
    let v2 = V2.replace("plan \"Pro\" as pro", "plan \"Max\" as max");
    let e =
        bill_books(&[V1, &v2], Moves::AtOnce, Billing::Monthly, 3, USAGE).expect_err("no plan pro");
    assert_eq!(
        e.to_string(),
        "the account moves to `acme` 2 (in force from 2026-02-15) during the bill, but that version has no plan `pro`; bill up to the day before it, or change the account's plan first"
    );
}

/// Hedra's history: Creator across the Live Avatars launch (2025-07-22), on the directory.
#[test]
fn hedra_across_the_live_avatars_launch() {
    let usage = "tests/bills/hedra-live-avatars-launch.csv";
    let args = [
        "bill",
        "pricebooks/hedra",
        "--plan",
        "creator",
        "--usage",
        usage,
        "--from",
        "2025-07-01",
        "--periods",
        "2",
    ];
    let o = pricebook(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    snapshot("bill-versions-hedra-live-avatars", stdout(&o));
    let o = pricebook(&[&args[..], &["--format", "json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    snapshot(
        "bill-versions-hedra-live-avatars-json",
        serde_json::to_string_pretty(&v).expect("JSON"),
    );
    let versions: Vec<&str> = v["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|x| x["version"].as_str())
        .collect();
    assert_eq!(versions, ["2025-05", "2025-07"]);
    // Live Avatars before its launch is refused with the version's reason; after it, billed.
    assert_eq!(v["rejected"][0]["line"], 3);
    assert_eq!(v["rejected"][0]["rejection"], "not-in-force");
    let carve = v["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["kind"] == "carve-out")
        .expect("the Live Avatars line");
    assert_eq!(
        (carve["version"].as_str(), carve["amount"].as_str()),
        (Some("2025-07"), Some("0.08"))
    );
    // July's credits were granted under 2025-05 and spent under both: 100 s at 3 + 10 s at 6.
    assert_eq!(v["wallet"][0]["consumed"], "360");
}

/// A book whose period state (graduated tiers over the period, a cap per period) a switch must
/// carry across.
const PERIOD_BOOK: &str = r#"pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
product "Render" as render { measure time  rate 2 credit / second }
product "Dubbing" as dubbing {
  measure time
  tiers graduated per period {
    0 second .. 100 second : 3 credit / second
    100 second .. : 1 credit / second
  }
}
product "Upscale" as upscale {
  measure time
  rate 3 credit / second
  bill at most 250 credit per period
}
plan "Pro" as pro {
  price 10 USD / month
  grant 2000 credit every month, expires at cycle end
  grant 500 credit once, never expires
  when empty reject
  products all
}
"#;

fn period_bill(books: &[&str], usage: &str) -> pricebook::bill::Bill {
    bill_books(books, Moves::AtOnce, Billing::Monthly, 3, usage).expect("a bill")
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, ..Default::default() })]

    /// A new version with the same prices changes nothing but the version named on each line:
    /// the switch carries the plan, the wallet, the period's tier usage and cap exactly.
    #[test]
    fn a_version_with_the_same_prices_bills_the_same(
        events in proptest::collection::vec((0u32..90, 0usize..3, 1u32..400), 0..40),
        effective in 2u32..28,
    ) {
        let mut usage = String::from("time,product,quantity\n");
        for (day, product, seconds) in &events {
            let jan1 = pricebook::base::date::Date::parse("2026-01-01").expect("a date");
            let date = pricebook::base::date::Date::from_days(jan1.days() + i64::from(*day));
            let product = ["render", "dubbing", "upscale"][*product];
            usage.push_str(&format!("{date}T12:00:00Z,{product},{seconds} second\n"));
        }
        let same = PERIOD_BOOK.replace(
            "version \"1\" effective 2026-01-01",
            &format!("version \"1b\" effective 2026-02-{effective:02}"),
        );
        let one = period_bill(&[PERIOD_BOOK], &usage);
        let two = period_bill(&[PERIOD_BOOK, &same], &usage);
        proptest::prop_assert_eq!(one.total, two.total);
        proptest::prop_assert_eq!(&one.wallet, &two.wallet);
        proptest::prop_assert_eq!(&one.rejected, &two.rejected);
        let unlabelled = |b: &pricebook::bill::Bill| {
            b.lines.iter().map(|l| (l.period.clone(), l.kind, l.description.clone(), l.amount)).collect::<Vec<_>>()
        };
        proptest::prop_assert_eq!(unlabelled(&one), unlabelled(&two));
        // From the next period on, the lines are the new version's.
        let march = two.lines.iter().find(|l| l.period == "2026-03").map(|l| l.version.as_str());
        proptest::prop_assert_eq!(march, Some("1b"));
    }
}

/// `existing subscribers move at renewal` in version 2 of `tests/bills/moves`: the command bills
/// February at version 1's rate, and the compiled table keeps the rule (and only its book's).
#[test]
fn a_book_declares_how_existing_subscribers_move() {
    let o = pricebook(&[
        "bill",
        "tests/bills/moves",
        "--plan",
        "pro",
        "--usage",
        "tests/bills/moves/usage.csv",
        "--from",
        "2026-01-01",
        "--periods",
        "3",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let consumed: Vec<&str> = v["wallet"]
        .as_array()
        .expect("wallet")
        .iter()
        .filter_map(|g| g["consumed"].as_str())
        .collect();
    assert_eq!(consumed, ["200", "200", "300"]);
    assert_eq!(v["lines"][2]["version"], "2");
    let rejected: Vec<u64> = v["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .filter_map(|r| r["line"].as_u64())
        .collect();
    assert_eq!(rejected, [3, 5]);

    let table = |book: &str| {
        let o = pricebook(&["compile", book]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).expect("a table")
    };
    assert_eq!(
        table("tests/bills/moves/v2.pricebook")["existing_moves"],
        "at-renewal"
    );
    assert!(
        table("tests/bills/moves/v1.pricebook")
            .get("existing_moves")
            .is_none()
    );
}

// ------------------------------------------------------------------------------------------------
// Worked examples across versions

/// A test block that bills `events` (`TIME use PRODUCT N second` lines) on `pro` from 1 January
/// 2026 over three months and expects `expects` (`total == 10 USD` ...).
fn bill_example(events: &[String], expects: &[String]) -> String {
    let mut t = String::from(
        "\ntest \"across the versions\" {\n  bill plan pro from 2026-01-01 periods 3 {\n",
    );
    for e in events {
        t.push_str(&format!("    {e}\n"));
    }
    for x in expects {
        t.push_str(&format!("    expect {x}\n"));
    }
    t.push_str("  }\n}\n");
    t
}

/// A bill example on `tests/bills/moves`' version 2 starts under version 1 (in force on its
/// first day) and moves at the renewal after 15 February, as the directory's bill does: over
/// generated usage, a test block whose expectations are `pricebook bill`'s answer on the
/// directory passes, checked with its directory and alone (its versions found beside it), and
/// the block fails when any expectation is off by one.
#[test]
fn worked_examples_bill_across_versions_as_the_bill_command_does() {
    let dir = common::scratch("examples-across");
    common::write(&dir, "v1.pricebook", V1);
    let v2 = common::write(&dir, "v2.pricebook", V2);
    let usage = dir.join("usage.csv").display().to_string();
    let mut rng = common::rng::Rng(0x5eed_0ac0);
    for case in 0..6 {
        let mut times: Vec<(u32, u32)> = (0..3 + rng.below(5))
            .map(|_| (1 + rng.below(3) as u32, 1 + rng.below(28) as u32))
            .collect();
        times.sort();
        let mut csv = String::from("time,product,quantity\n");
        let mut events = Vec::new();
        for (month, day) in times {
            let product = *rng.pick(&["render", "render", "upscale"]);
            let seconds = 50 * (1 + rng.below(8));
            let time = format!("2026-{month:02}-{day:02}T10:00:00Z");
            csv.push_str(&format!("{time},{product},{seconds} second\n"));
            events.push(format!("{time} use {product} {seconds} second"));
        }
        std::fs::write(&usage, &csv).expect("usage");
        std::fs::write(&v2, V2).expect("the book");
        let dir_arg = dir.display().to_string();
        let o = pricebook(&[
            "bill",
            &dir_arg,
            "--plan",
            "pro",
            "--usage",
            &usage,
            "--from",
            "2026-01-01",
            "--periods",
            "3",
            "--format",
            "json",
        ]);
        assert_eq!(o.status.code(), Some(0), "case {case}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
        let total = v["total"]["amount"].as_str().expect("a total").to_string();
        let consumed: u64 = v["wallet"]
            .as_array()
            .expect("wallet")
            .iter()
            .filter_map(|g| g["consumed"].as_str()?.parse::<u64>().ok())
            .sum();
        let rejected = v["rejected"].as_array().expect("rejected").len();
        let expects = [
            format!("total == {total} USD"),
            format!("consumed \"plan credits\" == {consumed} credit"),
            format!("rejected == {rejected}"),
        ];
        std::fs::write(&v2, format!("{V2}{}", bill_example(&events, &expects))).expect("book");
        for run in [&dir_arg, &v2] {
            let o = pricebook(&["test", run]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "case {case}, `pricebook test {run}` on\n{csv}\n{}{}",
                stdout(&o),
                stderr(&o)
            );
        }
        // Each expectation off by one fails the test.
        let total_d: rust_decimal::Decimal = total.parse().expect("a decimal");
        let off = [
            format!("total == {} USD", total_d + rust_decimal::Decimal::ONE),
            format!("consumed \"plan credits\" == {} credit", consumed + 1),
            format!("rejected == {}", rejected + 1),
        ];
        for (i, wrong) in off.iter().enumerate() {
            let mut x = expects.clone();
            x[i] = wrong.clone();
            std::fs::write(&v2, format!("{V2}{}", bill_example(&events, &x))).expect("book");
            let o = pricebook(&["test", &v2]);
            assert_eq!(o.status.code(), Some(1), "case {case}: `{wrong}` passed");
            assert!(stdout(&o).contains("test-failed") || stderr(&o).contains("test-failed"));
        }
    }
}

/// The Hedra history's worked examples that cross versions pass with the vendor's directory and
/// with each book alone (its versions found beside it). Checked from its text alone, a book
/// does not run them (it cannot know which version priced the days before it) and says why,
/// and the book still compiles.
#[test]
fn hedra_examples_across_versions_need_the_other_versions() {
    let crossing = [
        (
            "2025-07",
            "Live Avatars are billable from their launch on 2025-07-22, not before",
        ),
        (
            "2026-06",
            "a Creator subscriber from 2025 moves through three versions and keeps its pack",
        ),
    ];
    let o = pricebook(&["test", "pricebooks/hedra"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    for (version, name) in crossing {
        assert!(
            stdout(&o).contains(&format!("ok    hedra/{version}: \"{name}\"")),
            "{}",
            stdout(&o)
        );
        let path = format!("pricebooks/hedra/{version}.pricebook");
        let alone = pricebook(&["test", &path]);
        assert_eq!(alone.status.code(), Some(0), "{}", stdout(&alone));
        let text = std::fs::read_to_string(&path).expect("the book");
        let checked = pricebook::pipeline::check_book(&text);
        let model = checked.model.as_ref().expect("a clean book");
        let not_run: Vec<(&str, bool)> = checked
            .examples
            .iter()
            .filter(|e| !e.passed())
            .map(|e| {
                let why = e.not_run.as_deref().unwrap_or("");
                (
                    model.examples[e.index].name.as_str(),
                    e.failures.is_empty() && why.contains("before the book takes effect"),
                )
            })
            .collect();
        assert_eq!(not_run, [(name, true)], "{version}");
        assert!(!checked.has_errors(), "{version}");
        assert!(pricebook::compile_source(&text).is_ok(), "{version}");
    }
}

/// A bill example that runs into a version with errors fails, and says which version and what
/// to do; one that stays inside its own version passes.
#[test]
fn a_bill_example_running_into_a_broken_version_says_so() {
    let dir = common::scratch("examples-broken");
    common::write(&dir, "v1.pricebook", V1);
    common::write(
        &dir,
        "v2.pricebook",
        V2.replace("rate 3 credit / second", "rate 3 kredit / second"),
    );
    let inside = "\ntest \"January\" {\n  bill plan pro from 2026-01-01 periods 1 {\n    2026-01-05T10:00:00Z use render 10 second\n    expect consumed \"plan credits\" == 20 credit\n  }\n}\n";
    let across = "\ntest \"into February\" {\n  bill plan pro from 2026-01-01 periods 2 {\n    2026-01-05T10:00:00Z use render 10 second\n    expect consumed \"plan credits\" == 20 credit\n  }\n}\n";
    let v1 = common::write(&dir, "v1.pricebook", format!("{V1}{inside}{across}"));
    let o = pricebook(&["test", &v1]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("ok    acme/1: \"January\""), "{out}");
    assert!(out.contains("FAIL  acme/1: \"into February\""), "{out}");
    assert!(
        out.contains("runs into the version effective 2026-02-15")
            && out.contains("v2.pricebook), which has errors"),
        "{out}"
    );
}
