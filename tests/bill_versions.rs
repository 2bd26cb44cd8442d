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
