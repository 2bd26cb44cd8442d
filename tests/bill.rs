//! The billing engine: reviewed snapshots of the seeds' scenarios (through the CLI, human and
//! JSON), and properties over random plans and event streams.

use pricebook::base::date::Date;
use pricebook::bill::{BillRequest, Billing, Usage, UsageEvent, bill};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `pricebook bill` from the crate root; returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_pricebook"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn snapshot(name: &str, args: &[&str]) -> serde_json::Value {
    let (code, human, _) = run(args);
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let (code_json, json, _) = run(&json_args);
    assert_eq!(code, code_json);
    insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
        insta::assert_snapshot!(format!("bill-{name}"), format!("$ pricebook {}\nexit {code}\n\n{human}", args.join(" ")));
    });
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    // Conservation on every grant, and the total is the sum of the lines.
    for g in v["wallet"].as_array().expect("wallet") {
        let d = |k: &str| {
            g[k].as_str()
                .and_then(|s| s.parse::<Decimal>().ok())
                .expect("decimal string")
        };
        assert_eq!(
            d("granted"),
            d("consumed") + d("expired") + d("remaining"),
            "{g}"
        );
    }
    let sum: Decimal = v["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["amount"].as_str())
        .map(|s| s.parse::<Decimal>().expect("decimal"))
        .sum();
    assert_eq!(
        v["total"]["amount"]
            .as_str()
            .and_then(|s| s.parse::<Decimal>().ok()),
        Some(sum)
    );
    v
}

fn amount(v: &serde_json::Value, kind: &str) -> Option<String> {
    v["lines"]
        .as_array()?
        .iter()
        .find(|l| l["kind"] == kind)
        .and_then(|l| l["amount"].as_str().map(String::from))
}

#[test]
fn creator_twenty_minutes_of_avatar_is_short_by_3000_credits() {
    let v = snapshot(
        "creator-20-min",
        &[
            "bill",
            "pricebooks/hedra/2026-06.pricebook",
            "--plan",
            "creator",
            "--usage",
            "tests/bills/creator-20-min-avatar.jsonl",
        ],
    );
    let reason = v["rejected"][0]["reason"].as_str().expect("rejected");
    assert!(
        reason.contains("holds 5400 credit")
            && reason.contains("needs 8400 credit")
            && reason.contains("short by 3000 credit"),
        "{reason}"
    );
}

#[test]
fn creator_twenty_minutes_with_a_pack() {
    let v = snapshot(
        "creator-20-min-pack",
        &[
            "bill",
            "pricebooks/hedra/2026-06.pricebook",
            "--plan",
            "creator",
            "--usage",
            "tests/bills/creator-20-min-avatar-with-pack.jsonl",
        ],
    );
    assert_eq!(v["total"]["amount"], "130.00");
    assert_eq!(
        v["wallet"][0]["consumed"], "5400",
        "plan credits are drawn first"
    );
    assert_eq!(v["wallet"][1]["consumed"], "3000");
    assert_eq!(v["wallet"][1]["remaining"], "13000");
}

#[test]
fn a_pack_rolls_over_two_months() {
    let v = snapshot(
        "pack-rolls-over",
        &[
            "bill",
            "pricebooks/hedra/2026-06.pricebook",
            "--plan",
            "creator",
            "--usage",
            "tests/bills/pack-rolls-over.jsonl",
        ],
    );
    let pack = v["wallet"]
        .as_array()
        .expect("wallet")
        .iter()
        .find(|g| g["grant"].as_str().is_some_and(|n| n.starts_with("pack")))
        .expect("pack");
    assert_eq!(
        (
            pack["consumed"].as_str(),
            pack["remaining"].as_str(),
            pack["expires"].is_null()
        ),
        (Some("8100"), Some("7900"), true)
    );
    assert_eq!(v["closing_wallet"]["grants"][0]["remaining"], "7900");
}

#[test]
fn annual_billing_front_loads_twelve_months() {
    let v = snapshot(
        "annual-front-load",
        &[
            "bill",
            "pricebooks/hedra/2025-05.pricebook",
            "--plan",
            "creator",
            "--billing",
            "annual",
            "--from",
            "2025-06-01",
            "--periods",
            "12",
            "--usage",
            "tests/bills/annual-front-load.jsonl",
        ],
    );
    assert_eq!(
        v["wallet"][0]["granted"], "48000",
        "seed 000: 4,000/month annual = 48,000 at once"
    );
    assert_eq!(
        v["wallet"].as_array().map(Vec::len),
        Some(1),
        "no monthly grants on top"
    );
}

#[test]
fn auto_recharge_stops_at_its_monthly_cap() {
    let v = snapshot(
        "auto-recharge-cap",
        &[
            "bill",
            "pricebooks/hedra/2026-06.pricebook",
            "--plan",
            "creator",
            "--usage",
            "tests/bills/auto-recharge-cap.jsonl",
            "--auto-recharge",
            "below=500,to=3000,cap=40",
        ],
    );
    // 5,400 plan credits pay the first 4,200 credits; the second event recharges the 3,000 it
    // needs, the balance falls to 0 and refills to the 3,000 ceiling: 6,000 credits at
    // 100 USD / 16,000 = 37.50 USD. The third event would need 1,200 more, which the 2.50 USD
    // left under the 40 USD cap cannot buy, so it and the rest are rejected.
    assert_eq!(amount(&v, "recharge").as_deref(), Some("37.50"));
    assert_eq!(
        v["rejected"].as_array().map(Vec::len),
        Some(3),
        "after the cap, the plan rejects"
    );
}

/// A plan the book's `auto recharge` is not `for` never buys credits (Hedra 2026-06's Basic: the
/// block is for the credit pack's plans): the account's --auto-recharge is refused with the
/// plan and the plans that may, and nothing is billed.
#[test]
fn auto_recharge_is_refused_on_a_plan_the_book_does_not_allow() {
    let (code, out, err) = run(&[
        "bill",
        "pricebooks/hedra/2026-06.pricebook",
        "--plan",
        "basic",
        "--usage",
        "tests/bills/auto-recharge-cap.jsonl",
        "--auto-recharge",
        "below=500,to=3000,cap=40",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("plan `basic` may not auto-recharge")
            && err.contains("is for `creator`, `professional`, `teams` and `enterprise`"),
        "{err}"
    );
    let (code, out, _) = run(&[
        "bill",
        "pricebooks/hedra/2026-06.pricebook",
        "--plan",
        "basic",
        "--usage",
        "tests/bills/auto-recharge-cap.jsonl",
        "--auto-recharge",
        "below=500,to=3000,cap=40",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("an error in JSON");
    assert_eq!(v["error"]["code"], "invalid-value", "{v}");
}

#[test]
fn the_five_thousand_dollar_commitment_example() {
    let v = snapshot(
        "mmc-5000",
        &[
            "bill",
            "pricebooks/heygen/enterprise.pricebook",
            "--plan",
            "mmc-5000",
            "--usage",
            "tests/bills/mmc-5000.csv",
        ],
    );
    assert_eq!(amount(&v, "commitment").as_deref(), Some("5000.00"));
    assert_eq!(
        amount(&v, "overage").as_deref(),
        Some("833.00"),
        "seed 002: 700,000 credit-seconds -> $833.00"
    );
}

#[test]
fn minutes_with_overage_in_2024() {
    let v = snapshot(
        "minutes-overage",
        &[
            "bill",
            "pricebooks/hedra/2024-11.pricebook",
            "--plan",
            "basic",
            "--usage",
            "tests/bills/minutes-overage-2024.jsonl",
        ],
    );
    assert_eq!(
        amount(&v, "overage").as_deref(),
        Some("2.50"),
        "25 minutes on 20 included, $0.50/min"
    );
}

#[test]
fn live_avatars_are_a_carve_out() {
    let v = snapshot(
        "carve-out",
        &[
            "bill",
            "pricebooks/hedra/2025-07.pricebook",
            "--plan",
            "creator",
            "--usage",
            "tests/bills/live-avatars-carve-out.jsonl",
        ],
    );
    assert_eq!(
        amount(&v, "carve-out").as_deref(),
        Some("2.33"),
        "2,790.5 s at $0.05/min, rounded once"
    );
}

#[test]
fn limits_reject_events_with_the_rule() {
    let v = snapshot(
        "limits",
        &[
            "bill",
            "pricebooks/heygen/api-plans-legacy.pricebook",
            "--plan",
            "free",
            "--usage",
            "tests/bills/limits-reject.jsonl",
        ],
    );
    let reasons: Vec<&str> = v["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .filter_map(|r| r["reason"].as_str())
        .collect();
    assert!(
        reasons[0].contains("limit video length <= 3 minute"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("limit resolution <= 720p"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("not available on plan `free`"),
        "{reasons:?}"
    );
    assert!(
        v["rejected"]
            .as_array()
            .expect("rejected")
            .iter()
            .all(|r| r["kind"] == "rule" && r["rule_line"].is_u64())
    );
}

#[test]
fn bad_lines_are_reported_and_the_rest_billed() {
    let (code, out, err) = run(&[
        "bill",
        "pricebooks/hedra/2026-06.pricebook",
        "--plan",
        "creator",
        "--usage",
        "tests/bills/bad-lines.jsonl",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("4 bad lines"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let lines: Vec<u64> = v["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .filter(|r| r["kind"] == "bad-line")
        .filter_map(|r| r["line"].as_u64())
        .collect();
    assert_eq!(lines, [2, 3, 4, 5]);
    // Lines 1 and 6 were billed: 60 s of Avatar (420) and 10 s of Sora (700).
    assert_eq!(v["wallet"][0]["consumed"], "1120");
}

#[test]
fn the_closing_wallet_carries_into_the_next_bill() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("pricebook-bill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (_, out, _) = run(&[
        "bill",
        "pricebooks/hedra/2026-06.pricebook",
        "--plan",
        "creator",
        "--usage",
        "tests/bills/creator-20-min-avatar-with-pack.jsonl",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let wallet = dir.join("wallet.json");
    std::fs::write(
        &wallet,
        serde_json::to_string(&v["closing_wallet"]).expect("json"),
    )
    .expect("write");
    let usage = dir.join("july.jsonl");
    std::fs::write(&usage, "{\"time\": \"2026-07-03T10:00:00Z\", \"product\": \"sora-2-pro\", \"quantity\": \"200 second\"}\n").expect("write");
    let (code, out, _) = run(&[
        "bill",
        "pricebooks/hedra/2026-06.pricebook",
        "--plan",
        "creator",
        "--usage",
        usage.to_str().expect("utf8"),
        "--wallet",
        wallet.to_str().expect("utf8"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    // 14,000 credits: 5,400 from July's plan credits, 8,600 from the carried pack (13,000).
    let carried = v["wallet"]
        .as_array()
        .expect("wallet")
        .iter()
        .find(|g| {
            g["grant"]
                .as_str()
                .is_some_and(|n| n.ends_with("(carried over)"))
        })
        .expect("carried");
    assert_eq!(
        (carried["consumed"].as_str(), carried["remaining"].as_str()),
        (Some("8600"), Some("4400"))
    );
}

// ------------------------------------------------------------------------------------------------
// Properties over random plans and event streams

fn book(grant: u32, rate: u32, pack: u32, rule: &str) -> String {
    format!(
        "pricebook prop version \"1\" effective 2026-01-01 currency USD\n\
         unit credit\n\
         product \"Video\" as video {{ measure time  rate {rate} credit / second  round up to 1 second }}\n\
         product \"Live\" as live {{ measure time  rate 0.05 USD / minute  outside wallet }}\n\
         plan \"P\" as p {{ price 20 USD / month  grant {grant} credit every month, expires at cycle end, priority 1  packs allowed  {rule} }}\n\
         pack \"Pack\" as extra {{ price 10 USD  grant {pack} credit, never expires, priority 2 }}\n\
         auto recharge {{ price 10 USD / 1000 credit }}\n"
    )
}

fn events_strategy() -> impl Strategy<Value = Vec<(u32, u8, u32)>> {
    // (minute of the 3-month range, kind: 0-6 video, 7 live, 8 buy, quantity in tenths of a second)
    prop::collection::vec((0u32..(90 * 24 * 60), 0u8..9, 1u32..20_000), 0..60)
}

fn to_events(raw: &[(u32, u8, u32)]) -> Vec<UsageEvent> {
    let start = Date::parse("2026-01-01").map(Date::instant).unwrap_or(0);
    raw.iter()
        .enumerate()
        .map(|(i, (minute, kind, q))| UsageEvent {
            line: i as u64 + 1,
            time: start + i64::from(*minute) * 60,
            usage: match kind {
                8 => Usage::Buy { pack: 0 },
                7 => Usage::Use {
                    product: 1,
                    cell: 0,
                    quantity: Decimal::new(i64::from(*q), 1),
                },
                _ => Usage::Use {
                    product: 0,
                    cell: 0,
                    quantity: Decimal::new(i64::from(*q), 1),
                },
            },
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn bills_conserve_grants_and_sum_their_lines(
        grant in 100u32..20_000, rate in 1u32..80, pack in 100u32..20_000,
        rule in prop::sample::select(vec!["when empty reject", "when empty overage 0.02 USD / credit", "when empty auto recharge"]),
        annual in any::<bool>(), raw in events_strategy(),
    ) {
        let table = pricebook::pipeline::compile_source(&book(grant, rate, pack, rule)).expect("valid book");
        let mut req = BillRequest::new(0, Date::parse("2026-01-01").expect("date"), 3);
        if annual { req.billing = Billing::Annual; }
        req.recharge = pricebook::bill::RechargeSettings::parse(&table, 0, "below=100,to=2000,cap=30").ok();
        let b = bill(&table, &req, &to_events(&raw)).expect("bills");
        for g in &b.wallet {
            prop_assert_eq!(g.granted, g.consumed + g.expired + g.remaining, "{:?}", g);
            prop_assert!(g.consumed >= Decimal::ZERO && g.expired >= Decimal::ZERO && g.remaining >= Decimal::ZERO);
        }
        let sum: Decimal = b.lines.iter().filter_map(|l| l.amount).sum();
        prop_assert_eq!(b.total, sum);
    }

    /// `bill --explain`: explaining changes nothing else; every usage event is in the ledger or
    /// the rejections, once; and what the ledger drew from each grant is what the grant
    /// reports consumed.
    #[test]
    fn the_ledger_accounts_for_every_charge(
        grant in 100u32..20_000, rate in 1u32..80, pack in 100u32..20_000,
        rule in prop::sample::select(vec!["when empty reject", "when empty overage 0.02 USD / credit", "when empty auto recharge"]),
        raw in events_strategy(),
    ) {
        let table = pricebook::pipeline::compile_source(&book(grant, rate, pack, rule)).expect("valid book");
        let mut req = BillRequest::new(0, Date::parse("2026-01-01").expect("date"), 3);
        req.recharge = pricebook::bill::RechargeSettings::parse(&table, 0, "below=100,to=2000,cap=30").ok();
        let events = to_events(&raw);
        let plain = bill(&table, &req, &events).expect("bills");
        req.explain = true;
        let b = bill(&table, &req, &events).expect("bills");
        prop_assert_eq!((&b.lines, &b.wallet, &b.rejected), (&plain.lines, &plain.wallet, &plain.rejected));
        prop_assert!(plain.ledger.is_empty());
        let mut seen: Vec<u64> = b.ledger.iter().map(|l| l.line).chain(b.rejected.iter().map(|r| r.line)).collect();
        seen.sort_unstable();
        let uses: Vec<u64> = events.iter().filter(|e| matches!(e.usage, Usage::Use { .. })).map(|e| e.line).collect();
        let buys_rejected = b.rejected.iter().filter(|r| events.iter().any(|e| e.line == r.line && matches!(e.usage, Usage::Buy { .. }))).count();
        prop_assert_eq!(seen.len(), uses.len() + buys_rejected);
        let mut drawn: std::collections::BTreeMap<String, Decimal> = std::collections::BTreeMap::new();
        for l in &b.ledger {
            for d in &l.draws {
                *drawn.entry(d.grant.clone()).or_default() += d.amount;
            }
        }
        let mut consumed: std::collections::BTreeMap<String, Decimal> = std::collections::BTreeMap::new();
        for g in &b.wallet {
            if !g.consumed.is_zero() {
                *consumed.entry(g.grant.clone()).or_default() += g.consumed;
            }
        }
        prop_assert_eq!(drawn, consumed);
    }

    /// `bill --as-of T` is the final invoice restricted to what happened by T: events after T
    /// change nothing in it; every period over by T has the final invoice's lines; each event by
    /// T is rejected in it exactly when it is in the final one; no grant has consumed more than
    /// in the end; and a preview at the bill's end is the final invoice.
    #[test]
    fn a_preview_is_the_final_invoice_up_to_its_instant(
        grant in 100u32..20_000, rate in 1u32..80, pack in 100u32..20_000,
        rule in prop::sample::select(vec!["when empty reject", "when empty overage 0.02 USD / credit", "when empty auto recharge"]),
        raw in events_strategy(), cut_minute in 0u32..(95 * 24 * 60),
    ) {
        let table = pricebook::pipeline::compile_source(&book(grant, rate, pack, rule)).expect("valid book");
        let from = Date::parse("2026-01-01").expect("date");
        let mut req = BillRequest::new(0, from, 3);
        req.recharge = pricebook::bill::RechargeSettings::parse(&table, 0, "below=100,to=2000,cap=30").ok();
        let events = to_events(&raw);
        let full = bill(&table, &req, &events).expect("bills");
        let cut = from.instant() + i64::from(cut_minute) * 60;
        req.as_of = Some(cut);
        let preview = bill(&table, &req, &events).expect("bills");
        let happened: Vec<UsageEvent> = events.iter().filter(|e| e.time <= cut).cloned().collect();
        let prefix = bill(&table, &req, &happened).expect("bills");
        prop_assert_eq!((&preview.lines, &preview.wallet, &preview.rejected), (&prefix.lines, &prefix.wallet, &prefix.rejected));
        for (k, p) in full.periods.iter().enumerate() {
            if from.add_months(k as i64 + 1).instant() > cut {
                break;
            }
            let label = format!("{}-{:02}", p.year, p.month);
            let of = |b: &pricebook::bill::Bill| b.lines.iter().filter(|l| l.period == label).cloned().collect::<Vec<_>>();
            prop_assert_eq!(of(&preview), of(&full), "period {}", label);
        }
        let time_of = |line: u64| events.iter().find(|e| e.line == line).map(|e| e.time);
        let by_cut: Vec<u64> = full.rejected.iter().filter(|r| time_of(r.line).is_some_and(|t| t <= cut)).map(|r| r.line).collect();
        prop_assert_eq!(preview.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), by_cut);
        // Grants are issued in the same order: the preview's are the first of the final ones.
        prop_assert!(preview.wallet.len() <= full.wallet.len());
        for (g, f) in preview.wallet.iter().zip(&full.wallet) {
            prop_assert_eq!(&g.grant, &f.grant);
            prop_assert!(g.consumed <= f.consumed, "{} consumed {} by the cut, {} in the end", g.grant, g.consumed, f.consumed);
        }
        req.as_of = Some(from.add_months(3).instant());
        let at_end = bill(&table, &req, &events).expect("bills");
        prop_assert_eq!((&at_end.lines, &at_end.wallet, &at_end.rejected, at_end.total), (&full.lines, &full.wallet, &full.rejected, full.total));
    }

    /// A cancellation: grants still balance, no period after the subscription's end is billed,
    /// every usage from the end on is refused, and nothing carries over.
    #[test]
    fn a_cancelled_subscription_bills_nothing_after_it_ends(
        grant in 100u32..20_000, rate in 1u32..80, pack in 100u32..20_000,
        raw in events_strategy(), cancel_minute in 0u32..(90 * 24 * 60),
    ) {
        let table = pricebook::pipeline::compile_source(&book(grant, rate, pack, "when empty overage 0.02 USD / credit")).expect("valid book");
        let from = Date::parse("2026-01-01").expect("date");
        let req = BillRequest::new(0, from, 3);
        let mut events = to_events(&raw);
        let at = from.instant() + i64::from(cancel_minute) * 60;
        events.push(UsageEvent { line: 999, time: at, usage: Usage::Cancel });
        let b = bill(&table, &req, &events).expect("bills");
        // The subscription ends at the end of the month of the cancellation.
        let k = (0..3).find(|k| from.add_months(k + 1).instant() > at).unwrap_or(2);
        let ends = from.add_months(k + 1);
        for g in &b.wallet {
            prop_assert_eq!(g.granted, g.consumed + g.expired + g.remaining, "{:?}", g);
        }
        let last = format!("{}-{:02}", ends.year, ends.month);
        prop_assert!(b.lines.iter().all(|l| l.period < last), "{:?}", b.lines);
        for e in events.iter().filter(|e| e.time >= ends.instant() && e.line != 999) {
            prop_assert!(b.rejected.iter().any(|r| r.line == e.line), "line {} after the end", e.line);
        }
        prop_assert!(b.closing.grants.is_empty(), "{:?}", b.closing);
        let sum: Decimal = b.lines.iter().filter_map(|l| l.amount).sum();
        prop_assert_eq!(b.total, sum);
    }

    /// Periods that start on the 1st are the same bill, anniversary or calendar; and calendar
    /// periods from a mid-month start end on the 1sts that follow.
    #[test]
    fn calendar_and_anniversary_periods_meet_on_the_first(
        grant in 100u32..20_000, rate in 1u32..80, pack in 100u32..20_000,
        raw in events_strategy(), day in 1u32..29,
    ) {
        let table = pricebook::pipeline::compile_source(&book(grant, rate, pack, "when empty overage 0.02 USD / credit")).expect("valid book");
        let events = to_events(&raw);
        let first = Date::parse("2026-01-01").expect("date");
        let mut req = BillRequest::new(0, first, 3);
        let anniversary = bill(&table, &req, &events).expect("bills");
        req.align = pricebook::bill::PeriodAlign::Calendar;
        let calendar = bill(&table, &req, &events).expect("bills");
        prop_assert_eq!((&anniversary.lines, &anniversary.wallet), (&calendar.lines, &calendar.wallet));
        let mid = Date { day, ..first };
        let mut req = BillRequest::new(0, mid, 3);
        req.align = pricebook::bill::PeriodAlign::Calendar;
        prop_assert_eq!(req.period_start(0), mid);
        for k in 1..=3 {
            prop_assert_eq!(req.period_start(k), first.add_months(i64::from(k)));
        }
        let b = bill(&table, &req, &events).expect("bills");
        for g in &b.wallet {
            prop_assert_eq!(g.granted, g.consumed + g.expired + g.remaining, "{:?}", g);
        }
    }

    #[test]
    fn adding_an_event_never_lowers_the_total(
        grant in 100u32..20_000, rate in 1u32..80, pack in 100u32..20_000,
        rule in prop::sample::select(vec!["when empty reject", "when empty overage 0.02 USD / credit"]),
        // More usage never costs less. (A pack purchase can: it may replace pricier overage.)
        raw in events_strategy(), extra in (0u32..(90 * 24 * 60), 0u8..8, 1u32..20_000),
    ) {
        let table = pricebook::pipeline::compile_source(&book(grant, rate, pack, rule)).expect("valid book");
        let req = BillRequest::new(0, Date::parse("2026-01-01").expect("date"), 3);
        let before = bill(&table, &req, &to_events(&raw)).expect("bills").total;
        let mut more = raw.clone();
        more.push(extra);
        let after = bill(&table, &req, &to_events(&more)).expect("bills").total;
        prop_assert!(after >= before, "{} then {}", before, after);
    }
}

#[test]
fn a_contract_layers_terms_on_the_public_book() {
    let v = snapshot(
        "contract",
        &[
            "bill",
            "pricebooks/heygen/enterprise.pricebook",
            "--contract",
            "tests/bills/acme-contract.pricebook",
            "--plan",
            "acme",
            "--usage",
            "tests/bills/mmc-5000.csv",
        ],
    );
    // The commitment and overage rate are inherited from mmc-5000; the pool is the contract's.
    assert_eq!(amount(&v, "commitment").as_deref(), Some("5000.00"));
    assert_eq!(v["wallet"][0]["granted"], "650000");
    // 700,000.01598 credit-seconds: 50,000.01598 beyond the pool at 0.00833 = 416.50.
    assert_eq!(amount(&v, "overage").as_deref(), Some("416.50"));
}

#[test]
fn a_contract_under_the_floor_is_refused() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("pricebook-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let c = dir.join("cheap.pricebook");
    std::fs::write(&c, "contract \"Cheap\" as cheap for heygen list enterprise effective 2026-06-05\nplan \"Cheap\" as cheap based on mmc-5000 {\n  includes 650000 credit_second at 0.004 USD / credit_second\n}\n").expect("write");
    let (code, _, err) = run(&[
        "bill",
        "pricebooks/heygen/enterprise.pricebook",
        "--contract",
        c.to_str().expect("utf8"),
        "--plan",
        "cheap",
        "--usage",
        "tests/bills/mmc-5000.csv",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("rate-under-floor")
            && err.contains("is below the floor of 0.005 USD / credit_second"),
        "{err}"
    );
}

/// Windowed limits count events (or their quantity) per hour, day or month, and reject the
/// event that would go over, naming the rule. A quantity beyond decimal range is over any
/// limit, not a panic (summing it into the window used to overflow).
#[test]
fn windowed_limits_reject_the_event_that_goes_over() {
    let rejected = |args: &[&str]| -> Vec<(u64, String)> {
        let (code, out, err) = run(args);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        v["rejected"]
            .as_array()
            .expect("rejected")
            .iter()
            .map(|r| {
                (
                    r["line"].as_u64().expect("line"),
                    r["reason"].as_str().expect("reason").to_string(),
                )
            })
            .collect()
    };
    let r = rejected(&[
        "bill",
        "tests/bills/windows.pricebook",
        "--plan",
        "pro",
        "--usage",
        "tests/bills/windows.jsonl",
        "--format",
        "json",
    ]);
    let lines: Vec<u64> = r.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [2, 4, 6], "{r:?}");
    assert!(
        r[0].1.contains("limit render time <= 100 second per hour"),
        "{r:?}"
    );
    assert!(r[1].1.contains("limit renders <= 2 per day"), "{r:?}");
    assert!(
        r[2].1.contains("limit image time <= 100 second per hour"),
        "{r:?}"
    );

    // The Hedra Free plan's allowance of five videos a day: five are free (Free has no wallet
    // to pay from), the sixth is over.
    let r = rejected(&[
        "bill",
        "pricebooks/hedra/2024-11.pricebook",
        "--plan",
        "free",
        "--usage",
        "tests/bills/free-videos-per-day.jsonl",
        "--format",
        "json",
    ]);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].0, 6);
    assert!(
        r[0].1
            .contains("beyond the allowance 5 video per day on video"),
        "{r:?}"
    );
}

/// A public plan that leaves its grant to each contract (`grant custom credit`) cannot be billed
/// or sized alone, and a contract's plan based on it must state the grant.
#[test]
fn contract_set_grants_need_their_contract() {
    let (code, out, err) = run(&[
        "bill",
        "pricebooks/heygen/enterprise.pricebook",
        "--plan",
        "credit-packages",
        "--usage",
        "tests/bills/mmc-5000.csv",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["error"]["code"], "contract-term-unset");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("leaves its grant to each contract")),
        "{v}"
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("pricebook-unset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let c = dir.join("unset.pricebook");
    std::fs::write(
        &c,
        "contract \"Unset\" as unset for heygen list enterprise effective 2026-06-05\nplan \"Unset\" as unset based on credit-packages {\n  price 1000 USD / year\n}\n",
    )
    .expect("write");
    let (code, out, err) = run(&[
        "check",
        "pricebooks/heygen/enterprise.pricebook",
        c.to_str().expect("utf8"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "contract-term-unset", "{v}");
    assert_eq!(
        d["message"],
        "contract plan `unset` inherits a grant from `credit-packages` that each contract sets, and does not set it"
    );
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(2), Some(17))
    );
    // Given alone, the contract finds its book beside it only when it is there.
    let (code, out, err) = run(&["check", c.to_str().expect("utf8"), "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["diagnostics"][0]["code"], "unknown-reference", "{v}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A book whose two products have tiers over the billing period (graduated, and volume with a
/// cheaper tier past 100) and a grant no test exhausts.
const PERIOD_TIERS: &str = r#"
pricebook prop version "1" effective 2026-01-01 currency USD
unit credit
product "Export" as export {
  measure item
  tiers graduated { 0 item .. 100 item : 0 credit / item  100 item .. 1000 item : 2 credit / item  1000 item .. : 1 credit / item }
}
product "Storage" as storage {
  measure time
  round up to 1 minute
  tiers volume { 0 second .. 6000 second : 3 credit / minute  6000 second .. : 2 credit / minute }
}
plan "P" as p { price 20 USD / month  grant 100000000 credit every month, expires at cycle end  when empty reject }
"#;

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    /// Tiers over the period: however a month's usage is split into events, and in whatever order
    /// they come, the month's charges add up to the tiers' price of its total, which is also what
    /// `rate` charges the account; each month starts again from nothing.
    #[test]
    fn period_tiers_charge_the_price_of_the_month_total(
        raw in prop::collection::vec((0u32..(59 * 24 * 60), any::<bool>(), 1u32..400), 1..40),
    ) {
        let table = pricebook::pipeline::compile_source(PERIOD_TIERS).expect("valid book");
        let start = Date::parse("2026-01-01").map(Date::instant).expect("date");
        let events: Vec<UsageEvent> = raw.iter().enumerate().map(|(i, (minute, export, q))| UsageEvent {
            line: i as u64 + 1,
            time: start + i64::from(*minute) * 60,
            usage: Usage::Use { product: u32::from(!*export), cell: 0, quantity: Decimal::from(*q) },
        }).collect();
        let b = bill(&table, &BillRequest::new(0, Date::parse("2026-01-01").expect("date"), 2), &events).expect("bills");
        prop_assert!(b.rejected.is_empty(), "{:?}", b.rejected);
        // The tiers' price of each month's total of each product, events rounded one by one.
        let mut expected = Decimal::ZERO;
        for month in [0u32, 31] {
            for product in [0u32, 1] {
                let total: Decimal = raw.iter()
                    .filter(|(m, e, _)| (*m / (24 * 60) >= month) && (*m / (24 * 60) < month + if month == 0 { 31 } else { 28 }) && u32::from(!*e) == product)
                    .map(|(_, _, q)| if product == 1 { Decimal::from(q.div_ceil(60) * 60) } else { Decimal::from(*q) })
                    .sum();
                let (price, _) = table.period_price(Some(0), product, total).expect("tiered").expect("priced");
                expected += price;
            }
        }
        let consumed: Decimal = b.wallet.iter().map(|g| g.consumed).sum();
        prop_assert_eq!(consumed, expected);
        // `rate` over the same events (with their times) charges the account the same.
        let mut csv = String::from("account,plan,product,quantity,time\n");
        for e in &events {
            if let Usage::Use { product, quantity, .. } = &e.usage {
                let name = if *product == 0 { "export" } else { "storage" };
                csv.push_str(&format!("acme,p,{name},{quantity},{}\n", pricebook::base::date::format_instant(e.time)));
            }
        }
        let report = pricebook::rate::batch::rate_input(&table, &mut csv.as_bytes(), pricebook::rate::batch::GroupBy::Account, false).expect("rated");
        let rated: Decimal = report.totals.iter().map(|t| t.amount).sum();
        prop_assert_eq!(rated, expected);
    }
}

/// The issue's example: twelve events of 100 exports against "first 100 free, then 1 credit"
/// cost 1,100 credits in a month, not 0; the same events one at a time (`per event`) cost 0.
#[test]
fn twelve_exports_of_100_cost_1100_credits_a_month() {
    let book = |scope: &str| {
        format!(
            "pricebook acme version \"1\" effective 2026-01-01 currency USD\nunit credit\n\
             product \"Export\" as export {{ measure item  tiers graduated{scope} {{ 0 item .. 100 item : 0 credit / item  100 item .. : 1 credit / item }} }}\n\
             plan \"P\" as p {{ price 20 USD / month  grant 5000 credit every month, expires at cycle end }}\n"
        )
    };
    let start = Date::parse("2026-03-01").map(Date::instant).expect("date");
    let events: Vec<UsageEvent> = (0..12)
        .map(|i| UsageEvent {
            line: i + 1,
            time: start + i as i64 * 86_400,
            usage: Usage::Use {
                product: 0,
                cell: 0,
                quantity: 100.into(),
            },
        })
        .collect();
    let consumed = |scope: &str| {
        let table = pricebook::pipeline::compile_source(&book(scope)).expect("valid book");
        let req = BillRequest::new(0, Date::parse("2026-03-01").expect("date"), 1);
        let b = bill(&table, &req, &events).expect("bills");
        b.wallet[0].consumed
    };
    assert_eq!(consumed(""), Decimal::from(1100));
    assert_eq!(consumed(" per period"), Decimal::from(1100));
    assert_eq!(consumed(" per event"), Decimal::ZERO);
}

/// Grants renewed every day are spendable from their day on, expire at its end, and are issued
/// for every day of the bill; allowances cover their window before the wallet, and beyond them
/// the plan's rule applies (wallet, reject, overage).
#[test]
fn daily_grants_and_allowances() {
    let book = r#"
pricebook acme version "1" effective 2026-01-01 currency USD
unit credit
product "Render" as render { measure time  rate 1 credit / second }
product "Export" as export { measure item  rate 2 credit / item }
plan "Daily" as daily {
  price 10 USD / month
  grant 100 credit every day, expires at cycle end
  allowance 3 item per day on export
  when empty reject
}
plan "Capped" as capped {
  price 10 USD / month
  grant 1000 credit every month, expires at cycle end
  allowance 60 second per week on render, then overage 0.01 USD / second
  allowance 2 item per month on export, then reject
}
"#;
    let table = pricebook::pipeline::compile_source(book).expect("valid book");
    let day = |d: u32, h: i64| {
        Date::parse(&format!("2026-03-{d:02}"))
            .expect("date")
            .instant()
            + h * 3600
    };
    let ev = |line: u64, time: i64, product: u32, q: i64| UsageEvent {
        line,
        time,
        usage: Usage::Use {
            product,
            cell: 0,
            quantity: q.into(),
        },
    };
    // Daily: 100 credits a day; 150 seconds on the 2nd is refused (only that day's 100 count),
    // 4 exports on the 3rd: 3 free, the 4th pays 2 credits from the wallet.
    let events = vec![
        ev(1, day(1, 10), 0, 80),
        ev(2, day(2, 10), 0, 150),
        ev(3, day(3, 10), 1, 1),
        ev(4, day(3, 11), 1, 1),
        ev(5, day(3, 12), 1, 1),
        ev(6, day(3, 13), 1, 1),
    ];
    let b = bill(
        &table,
        &BillRequest::new(0, Date::parse("2026-03-01").expect("date"), 1),
        &events,
    )
    .expect("bills");
    assert_eq!(b.rejected.len(), 1, "{:?}", b.rejected);
    assert_eq!(b.rejected[0].line, 2);
    let granted: Decimal = b.wallet.iter().map(|g| g.granted).sum();
    let consumed: Decimal = b.wallet.iter().map(|g| g.consumed).sum();
    assert_eq!(b.wallet.len(), 31, "a grant for every day of March");
    assert_eq!(granted, Decimal::from(3100));
    assert_eq!(consumed, Decimal::from(82));
    assert_eq!(b.allowances.len(), 1);
    assert_eq!(
        (b.allowances[0].used, b.allowances[0].beyond_events),
        (Decimal::from(3), 1)
    );
    // A day grant buys 30 x 100 credits a month of render time.
    let second = table.unit_id("second").expect("unit");
    assert_eq!(
        table
            .capacity(0, 0, 0, table.unit_name(second))
            .expect("capacity"),
        Decimal::from(3000)
    );

    // Capped: 100 seconds in one week: 60 covered, 40 at 0.01 USD = 0.40 USD of overage; exports
    // beyond two a month are refused.
    let events = vec![
        ev(1, day(2, 10), 0, 100),
        ev(2, day(3, 10), 1, 1),
        ev(3, day(4, 10), 1, 1),
        ev(4, day(5, 10), 1, 1),
    ];
    let b = bill(
        &table,
        &BillRequest::new(1, Date::parse("2026-03-01").expect("date"), 1),
        &events,
    )
    .expect("bills");
    let overage: Decimal = b
        .lines
        .iter()
        .filter(|l| l.kind == "overage")
        .filter_map(|l| l.amount)
        .sum();
    assert_eq!(overage, Decimal::new(40, 2));
    assert_eq!(b.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [4]);
    assert!(
        b.rejected[0]
            .reason
            .contains("beyond the allowance 2 item per month on export"),
        "{:?}",
        b.rejected
    );
    let consumed: Decimal = b.wallet.iter().map(|g| g.consumed).sum();
    assert_eq!(
        consumed,
        Decimal::ZERO,
        "the allowances paid for everything else"
    );
}

/// Money is drawn and summed exact, and rounded once per line or total (issue: 100 one-second
/// events of HeyGen Speech — Starfish at $0.000667 a second drew $0.00 when each event was rounded
/// to the cent). The bill draws $0.0667, `rate` totals $0.07, and each quote shows $0.00 with its
/// exact charge.
#[test]
fn money_is_exact_until_the_line() {
    let table = pricebook::open_file(Path::new("pricebooks/heygen/api-payg.pricebook"))
        .expect("the bundled book")
        .table;
    let speech = table.find_product("speech-starfish").expect("a product");
    let usd = table.unit_id("USD").expect("USD");
    let start = Date::parse("2026-06-05").expect("date").instant();
    let mut events = vec![UsageEvent {
        line: 1,
        time: start,
        usage: Usage::TopUp {
            amount: Decimal::ONE,
            currency: usd,
        },
    }];
    let mut csv = String::from("account,plan,product,quantity\n");
    for i in 0..100 {
        events.push(UsageEvent {
            line: i + 2,
            time: start + 60 + i as i64,
            usage: Usage::Use {
                product: speech,
                cell: 0,
                quantity: Decimal::ONE,
            },
        });
        csv.push_str("acme,payg,speech-starfish,1\n");
    }
    let b = bill(
        &table,
        &BillRequest::new(0, Date::parse("2026-06-04").expect("date"), 1),
        &events,
    )
    .expect("bills");
    let top_up = b
        .wallet
        .iter()
        .find(|g| g.grant.starts_with("top-up "))
        .expect("the top-up");
    assert_eq!(top_up.consumed.to_string(), "0.0667");
    assert_eq!(top_up.remaining.to_string(), "0.9333");
    let report = pricebook::rate::batch::rate_input(
        &table,
        &mut csv.as_bytes(),
        pricebook::rate::batch::GroupBy::Account,
        false,
    )
    .expect("rated");
    assert_eq!(
        report
            .totals
            .get(0)
            .map(|t| t.amount.to_string())
            .as_deref(),
        Some("0.07")
    );
    let q = table
        .quote(Some(0), speech, 0, Decimal::ONE)
        .expect("priced");
    assert_eq!(
        (q.charge.to_string(), q.exact.to_string()),
        ("0.00".into(), "0.000667".into())
    );
    let rater = pricebook::Rater::new(&table);
    let key = rater.key(Some(0), speech, 0).expect("a key");
    let fast = rater.quote(key, Decimal::ONE).expect("priced");
    assert_eq!((fast.charge, fast.exact), (q.charge, q.exact));
}

/// Fees that are not usage: a plan's one-time fee in the bill that starts the subscription, its
/// recurring fee every period, a product's fee at its first use, and a fee given only as a
/// lower bound shown without an amount; a bill that continues from a wallet bills no one-time
/// fee again.
#[test]
fn fees_are_billed_once_or_on_their_cadence() {
    let args = [
        "bill",
        "tests/bills/fees.pricebook",
        "--plan",
        "team",
        "--usage",
        "tests/bills/fees.csv",
        "--from",
        "2026-01-01",
        "--periods",
        "3",
    ];
    let v = snapshot("fees", &args);
    let fees: Vec<(String, Option<String>)> = v["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter(|l| l["kind"] == "fee")
        .map(|l| {
            (
                l["description"].as_str().expect("text").to_string(),
                l["amount"].as_str().map(String::from),
            )
        })
        .collect();
    assert_eq!(fees.len(), 6, "{fees:?}");
    assert_eq!(
        fees[0],
        ("Onboarding (Team, once)".into(), Some("500.00".into()))
    );
    assert_eq!(
        fees[2],
        ("Render setup (Render, once)".into(), Some("250.00".into()))
    );
    assert_eq!(
        fees[4],
        (
            "Avatar training (Avatar, once): at least 1000 USD, not billed".into(),
            None
        )
    );
    assert_eq!(v["total"]["amount"], "870.00");
    // Continued from the closing wallet: the platform fee only.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("pricebook-fees-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let wallet = dir.join("wallet.json");
    std::fs::write(&wallet, v["closing_wallet"].to_string()).expect("write");
    let (code, out, err) = run(&[
        "bill",
        "tests/bills/fees.pricebook",
        "--plan",
        "team",
        "--usage",
        "tests/bills/fees.csv",
        "--from",
        "2026-04-01",
        "--wallet",
        wallet.to_str().expect("utf8"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let kinds: Vec<&str> = v["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter(|l| l["kind"] == "fee")
        .filter_map(|l| l["description"].as_str())
        .collect();
    assert_eq!(kinds, ["Platform (Team, every month)"]);
}

/// `bill at least` / `bill at most`: a month's renders stop at the product's cap per period in a
/// bill, and `rate` totals the same usage (`bill-bounds.csv` holds Ana's lines of
/// `bill-bounds-ana.csv`) to the same credits, each month capped on its own.
#[test]
fn a_cap_per_period_bills_and_rates_alike() {
    let (code, out, err) = run(&["test", "tests/bills/bill-bounds.pricebook"]);
    assert_eq!(code, 0, "{out}{err}");
    let args = [
        "bill",
        "tests/bills/bill-bounds.pricebook",
        "--plan",
        "pro",
        "--usage",
        "tests/bills/bill-bounds-ana.csv",
        "--from",
        "2026-01-01",
        "--periods",
        "2",
    ];
    let v = snapshot("bill-bounds", &args);
    let consumed: Vec<Decimal> = v["wallet"]
        .as_array()
        .expect("wallet")
        .iter()
        .map(|g| {
            g["consumed"]
                .as_str()
                .expect("decimal")
                .parse()
                .expect("decimal")
        })
        .collect();
    // January: 100 (50 s capped per event) + 60 + 90 = 250, the cap; February: 1 s raised to 5.
    assert_eq!(consumed, [Decimal::from(250), Decimal::from(5)]);
    let (code, out, err) = run(&[
        "rate",
        "tests/bills/bill-bounds.pricebook",
        "--events",
        "tests/bills/bill-bounds.csv",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ana,255,credit,4"), "{out}");
    // Bo's calls: 1 s billed as 2, 100 s as 60.
    assert!(out.contains("bo,62,credit,2"), "{out}");
}

/// `bill --explain`: the 8,400 credits of 20 minutes of Hedra Avatar on Creator come 5,400 from
/// the month's plan credits (priority 1), then 3,000 from the pack (priority 2).
#[test]
fn explain_lists_the_grants_that_paid_each_event() {
    let args = [
        "bill",
        "pricebooks/hedra/2026-06.pricebook",
        "--plan",
        "creator",
        "--usage",
        "tests/bills/creator-20-min-avatar-with-pack.jsonl",
        "--explain",
    ];
    let v = snapshot("explain", &args);
    let ledger = v["ledger"].as_array().expect("a ledger");
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0]["charge"], "8400 credit");
    assert_eq!(ledger[0]["paid_by"], "wallet");
    let draws: Vec<(&str, &str, &str)> = ledger[0]["draws"]
        .as_array()
        .expect("draws")
        .iter()
        .map(|d| {
            (
                d["grant"].as_str().expect("grant"),
                d["amount"].as_str().expect("amount"),
                d["left"].as_str().expect("left"),
            )
        })
        .collect();
    assert_eq!(
        draws,
        [
            ("plan creator 2026-06", "5400", "0"),
            ("pack credit-pack 2026-06-09T08:00:00Z", "3000", "13000"),
        ]
    );
    // Without --explain, the JSON has no ledger.
    let (_, out, _) = run(&[
        "bill",
        "pricebooks/hedra/2026-06.pricebook",
        "--plan",
        "creator",
        "--usage",
        "tests/bills/creator-20-min-avatar-with-pack.jsonl",
        "--format",
        "json",
    ]);
    let plain: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(plain.get("ledger").is_none());
}

/// The subscription's own events (seed 000: plan changes "take effect at the next billing
/// cycle"; packs "never expire while you have an active subscription"): Creator moves to
/// Professional on July 1, the cancellation on July 12 ends the subscription on August 1, the
/// pack expires then, and August's usage is refused.
#[test]
fn a_plan_change_and_a_cancellation() {
    let args = [
        "bill",
        "pricebooks/hedra/2026-06.pricebook",
        "--plan",
        "creator",
        "--usage",
        "tests/bills/subscription-changes.jsonl",
    ];
    let v = snapshot("subscription-changes", &args);
    let subs: Vec<(&str, &str)> = v["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter(|l| l["kind"] == "subscription")
        .map(|l| {
            (
                l["period"].as_str().expect("period"),
                l["description"].as_str().expect("text"),
            )
        })
        .collect();
    assert_eq!(
        subs,
        [
            ("2026-06", "Creator monthly subscription"),
            ("2026-07", "Professional monthly subscription")
        ]
    );
    let pack = v["wallet"]
        .as_array()
        .expect("wallet")
        .iter()
        .find(|g| g["grant"].as_str().is_some_and(|n| n.starts_with("pack")))
        .expect("the pack");
    assert_eq!(pack["expired"], "16000");
    assert_eq!(pack["expires"], "2026-08-01T00:00:00Z");
    let rejected = v["rejected"].as_array().expect("rejected");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["line"], 6);
    assert_eq!(rejected[0]["rejection"], "outside-period");
    assert!(
        v["closing_wallet"]["grants"]
            .as_array()
            .expect("grants")
            .is_empty()
    );
}

/// A subscription started mid-month: anniversary periods (the default) run from the 15th to
/// the 15th; calendar periods run from the 15th to the 1st, then month by month. The first,
/// partial calendar period is billed whole (no proration: the seeds state none).
#[test]
fn a_mid_month_start_bills_anniversary_or_calendar_periods() {
    let base = [
        "bill",
        "pricebooks/hedra/2026-06.pricebook",
        "--plan",
        "creator",
        "--usage",
        "tests/bills/mid-month-start.jsonl",
        "--from",
        "2026-06-15",
    ];
    let expires = |v: &serde_json::Value| -> Vec<String> {
        v["wallet"]
            .as_array()
            .expect("wallet")
            .iter()
            .map(|g| g["expires"].as_str().expect("expires").to_string())
            .collect()
    };
    let anniversary = snapshot("mid-month-anniversary", &base);
    assert_eq!(
        expires(&anniversary),
        ["2026-07-15T00:00:00Z", "2026-08-15T00:00:00Z"]
    );
    let mut args = base.to_vec();
    args.extend(["--align", "calendar"]);
    let calendar = snapshot("mid-month-calendar", &args);
    assert_eq!(
        expires(&calendar),
        ["2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z"]
    );
    // Both bill two whole monthly fees.
    assert_eq!(anniversary["total"]["amount"], "60.00");
    assert_eq!(calendar["total"]["amount"], "60.00");
}
