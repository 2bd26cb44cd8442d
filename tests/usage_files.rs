//! What usage files carry besides a quantity, through `rate` and `bill`: event attributes for
//! the plans' limits on them (construct 6: JSON Lines `attrs`, CSV `attr.NAME` columns), and the
//! price list of a usage (construct 16: `list`, one plan per list on a vendor's directory).
//! Outputs are reviewed snapshots (`tests/snapshots/usage-*.snap`).

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `pricebook` from the crate root; returns (exit code, stdout, stderr).
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

/// The command's human and JSON outputs as one reviewed snapshot; returns the JSON.
fn snapshot(name: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let (code, human, err) = run(args);
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let (code_json, json, _) = run(&json_args);
    assert_eq!(code, code_json);
    insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
        insta::assert_snapshot!(
            format!("usage-{name}"),
            format!("$ pricebook {}\nexit {code}\n\n{human}\n--- stderr\n{err}\n--- json\n{json}", args.join(" "))
        );
    });
    (code, serde_json::from_str(&json).expect("json"))
}

/// CSV `attr.NAME` columns: an empty cell is not given; a value over a limit is a rejection
/// with the limit, the value and the rule's line, as `quote --attr` gives it.
#[test]
fn rate_enforces_limits_on_attributes_in_csv() {
    let (code, v) = snapshot(
        "rate-attrs-csv",
        &[
            "rate",
            "docs/examples/limits.pricebook",
            "--events",
            "docs/examples/limits-events.csv",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(v["rated"], 2);
    let r = &v["rejected"];
    assert_eq!(r[0]["line"], 3);
    assert_eq!(
        r[0]["reason"],
        "limit scenes <= 50 on plan `starter` (51 given)"
    );
    assert_eq!(r[0]["rule_line"], 19);
    assert_eq!(r[1]["rule_line"], 20);
    // The same limit as a quote states it.
    let (_, quote, _) = run(&[
        "quote",
        "docs/examples/limits.pricebook",
        "--product",
        "avatar",
        "--quantity",
        "10 second",
        "--attr",
        "scenes=51",
        "--format",
        "json",
    ]);
    let quote: serde_json::Value = serde_json::from_str(&quote).expect("json");
    assert_eq!(quote["rejected"]["reason"], r[0]["reason"]);
    assert_eq!(quote["rejected"]["line"], r[0]["rule_line"]);
}

/// JSON Lines `attrs`: an undeclared attribute and a value that is not a number are bad lines
/// naming the attribute (exit 1); the rest is rated.
#[test]
fn rate_and_bill_read_attrs_in_json_lines() {
    let (code, v) = snapshot(
        "rate-attrs-jsonl",
        &[
            "rate",
            "docs/examples/limits.pricebook",
            "--events",
            "docs/examples/limits-usage.jsonl",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        (v["rated"].as_u64(), v["lines"].as_u64()),
        (Some(1), Some(5))
    );
    assert!(
        v["bad_lines"][0]["reason"]
            .as_str()
            .expect("a field of the answer")
            .contains("unknown attribute `scene count`")
    );
    assert!(
        v["bad_lines"][1]["reason"]
            .as_str()
            .expect("a field of the answer")
            .starts_with("attribute `scenes`")
    );

    let (code, b) = snapshot(
        "bill-attrs",
        &[
            "bill",
            "docs/examples/limits.pricebook",
            "--plan",
            "starter",
            "--usage",
            "docs/examples/limits-usage.jsonl",
        ],
    );
    assert_eq!(code, 1);
    let rejected = b["rejected"].as_array().expect("rejected");
    let kinds: Vec<(u64, &str, Option<&str>)> = rejected
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().expect("a field of the answer"),
                r["kind"].as_str().expect("a field of the answer"),
                r["rejection"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (2, "rule", Some("limit")),
            (3, "rule", Some("limit")),
            (4, "bad-line", None),
            (5, "bad-line", None)
        ]
    );
    assert_eq!(rejected[0]["rule_line"], 19);
    // Only the event within its limits drew on the wallet: 10 s x 7 credit.
    assert_eq!(b["wallet"][0]["consumed"], "70");
}

/// An `attr.NAME` column the book does not declare is refused as an unknown column is.
#[test]
fn an_undeclared_attribute_column_is_an_error() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("pricebook-attrs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("events.csv");
    std::fs::write(
        &file,
        "account,plan,product,quantity,attr.scene count\nada,starter,avatar,10,3\n",
    )
    .expect("write");
    let (code, _, err) = run(&[
        "rate",
        "docs/examples/limits.pricebook",
        "--events",
        file.to_str().expect("a field of the answer"),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("CSV column `attr.scene count`: unknown attribute `scene count`"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Seeds 001 and 002 ("OAuth vs API Key: If you authenticate with an OAuth bearer token, usage
/// is billed against your web plan, not the API tier"): one export holds both channels, and
/// `rate` on HeyGen's directory prices each line by its list's book: a `list` column, else the
/// only list whose book has the line's plan.
#[test]
fn rate_prices_each_line_by_its_price_list() {
    let (code, v) = snapshot(
        "rate-heygen-channels",
        &[
            "rate",
            "pricebooks/heygen",
            "--events",
            "docs/examples/heygen-channels.csv",
            "--by",
            "plan",
        ],
    );
    assert_eq!(code, 1);
    // Web: 2 minutes of Instant Avatar = 2 credits. API: 30 s of Avatar V Digital Twin
    // ($0.0667/s = $2.001) and 1 hour of Speech Starfish ($2.4012), $4.4022 -> $4.40.
    let totals = &v["totals"];
    assert_eq!(
        (totals[0]["plan"].as_str(), totals[0]["amount"].as_str()),
        (Some("creator"), Some("2"))
    );
    assert_eq!(
        (totals[1]["plan"].as_str(), totals[1]["amount"].as_str()),
        (Some("payg"), Some("4.40"))
    );
    // The web list has no Avatar V; plan `pro` is on no list.
    let bad: Vec<u64> = v["bad_lines"]
        .as_array()
        .expect("a field of the answer")
        .iter()
        .map(|b| b["line"].as_u64().expect("a field of the answer"))
        .collect();
    assert_eq!(bad, [5, 6]);
}

/// Seeds 001 and 002 (HeyGen: "When you authenticate with an API Key (x-api-key header), you are
/// billed under the API tier. Usage is deducted from your prepaid USD wallet"; "If you
/// authenticate with an OAuth bearer token, usage is billed against your web plan"): one account
/// holding the web Creator plan and API pay-as-you-go is billed in one run for a web-plan video
/// (OAuth, `"list": "web"`) and an API call (API key, `"list": "api"`), each on its own list's
/// grants and wallet; an event on a list the account does not hold is rejected with the reason.
#[test]
fn one_account_bills_a_web_plan_video_and_an_api_call() {
    let (code, v) = snapshot(
        "bill-heygen-web-and-api",
        &[
            "bill",
            "pricebooks/heygen",
            "--plan",
            "web:creator",
            "--plan",
            "api:payg",
            "--usage",
            "tests/bills/heygen-web-and-api.jsonl",
        ],
    );
    assert_eq!(code, 0);
    // $29 Creator subscription + $0 pay-as-you-go + a $10 top-up.
    assert_eq!(v["total"]["amount"], "39.00");
    let lines: Vec<(&str, &str, &str)> = v["lines"]
        .as_array()
        .expect("a field of the answer")
        .iter()
        .map(|l| {
            (
                l["list"].as_str().expect("a field of the answer"),
                l["kind"].as_str().expect("a field of the answer"),
                l["amount"].as_str().expect("a field of the answer"),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("web", "subscription", "29.00"),
            ("api", "subscription", "0.00"),
            ("api", "top-up", "10.00")
        ]
    );
    // The OAuth video drew 2 credits of the web plan's 180; the API call $2.001 of the balance.
    let wallet = v["wallet"].as_array().expect("a field of the answer");
    assert_eq!(
        (wallet[0]["list"].as_str(), wallet[0]["consumed"].as_str()),
        (Some("web"), Some("2"))
    );
    assert_eq!(
        (wallet[1]["list"].as_str(), wallet[1]["consumed"].as_str()),
        (Some("api"), Some("2.001"))
    );
    let r = &v["rejected"][0];
    assert_eq!(
        (
            r["line"].as_u64(),
            r["kind"].as_str(),
            r["rejection"].as_str()
        ),
        (Some(4), Some("rule"), Some("not-available"))
    );
    assert!(
        r["reason"]
            .as_str()
            .expect("a field of the answer")
            .contains("no subscription on price list `enterprise`")
    );
}

/// `--explain` and `--as-of` apply to every subscription of a bill on several lists: the ledger
/// holds each subscription's events in time order with their list, and a preview stops at its
/// instant on every list.
#[test]
fn several_lists_explain_and_preview() {
    let base = [
        "bill",
        "pricebooks/heygen",
        "--plan",
        "web:creator",
        "--plan",
        "api:payg",
        "--usage",
        "tests/bills/heygen-web-and-api.jsonl",
        "--format",
        "json",
    ];
    let json = |extra: &[&str]| -> serde_json::Value {
        let (code, out, err) = run(&[&base[..], extra].concat());
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).expect("json")
    };
    let explained = json(&["--explain"]);
    let ledger: Vec<(u64, &str, &str)> = explained["ledger"]
        .as_array()
        .expect("a ledger with --explain")
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap_or_default(),
                e["list"].as_str().unwrap_or_default(),
                e["charge"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(ledger, [(1, "web", "2 credit"), (3, "api", "2.001 USD")]);
    assert!(json(&[]).get("ledger").is_none());
    // Before the API call: the web video and the top-up only.
    let preview = json(&["--as-of", "2026-07-10T09:07:00Z", "--explain"]);
    let lines: Vec<u64> = preview["ledger"]
        .as_array()
        .expect("a ledger")
        .iter()
        .filter_map(|e| e["line"].as_u64())
        .collect();
    assert_eq!(lines, [1]);
    assert_eq!(preview["wallet"][1]["consumed"], "0");
}

/// One subscription's bill through `--plan LIST:PLAN` is that list's bill through `--list`:
/// the same lines and wallet, and an event for another list is rejected either way.
#[test]
fn one_subscription_bills_as_its_list_alone() {
    let usage = "tests/bills/heygen-web-and-api.jsonl";
    let json = |args: &[&str]| -> serde_json::Value {
        let (_, out, _) = run(args);
        serde_json::from_str(&out).expect("json")
    };
    let lists = json(&[
        "bill",
        "pricebooks/heygen",
        "--plan",
        "api:payg",
        "--usage",
        usage,
        "--format",
        "json",
    ]);
    let alone = json(&[
        "bill",
        "pricebooks/heygen",
        "--list",
        "api",
        "--plan",
        "payg",
        "--usage",
        usage,
        "--format",
        "json",
    ]);
    assert_eq!(lists["total"], alone["total"]);
    assert_eq!(lists["total"]["amount"], "10.00");
    let drop_list = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v.as_array()
            .expect("a field of the answer")
            .iter()
            .map(|x| {
                let mut x = x.clone();
                x.as_object_mut()
                    .expect("a field of the answer")
                    .remove("list");
                x
            })
            .collect()
    };
    assert_eq!(drop_list(&lists["lines"]), drop_list(&alone["lines"]));
    assert_eq!(drop_list(&lists["wallet"]), drop_list(&alone["wallet"]));
    let rejected = |v: &serde_json::Value| -> Vec<u64> {
        v["rejected"]
            .as_array()
            .expect("a field of the answer")
            .iter()
            .map(|r| r["line"].as_u64().expect("a field of the answer"))
            .collect()
    };
    assert_eq!(rejected(&lists), [1, 4]);
    assert_eq!(rejected(&alone), [1, 4]);
}

/// `diff --usage` reads the attributes too: a line over a limit on one is rejected by both
/// versions with the limit's reason, and an `attr.` column is not taken for a dimension.
#[test]
fn diff_with_usage_enforces_limits_on_attributes() {
    let (code, out, err) = run(&[
        "diff",
        "docs/examples/limits.pricebook",
        "docs/examples/limits.pricebook",
        "--usage",
        "docs/examples/limits-events.csv",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let plan = &v["usage"]["plans"][0];
    for side in ["old", "new"] {
        let rejected: Vec<(u64, &str)> = plan[side]["rejected"]
            .as_array()
            .expect("rejected")
            .iter()
            .map(|r| {
                (
                    r["line"].as_u64().expect("line"),
                    r["reason"].as_str().expect("reason"),
                )
            })
            .collect();
        assert_eq!(
            rejected,
            [
                (3, "limit scenes <= 50 on plan `starter` (51 given)"),
                (
                    4,
                    "limit script length <= 5000 character on plan `starter` (5001 character given)"
                ),
            ],
            "{side}"
        );
        assert_eq!(plan[side]["priced"], 2);
    }
}
