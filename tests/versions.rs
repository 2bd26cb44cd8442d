//! Versions of a vendor's price list: `pricebook diff` between versions (with and without a usage
//! file), the `pricebook versions` timeline, and `pricebook test` over the bundled books and a
//! failing one.

mod common;
use common::{pricebook, scratch, stderr, stdout, write};

fn snapshot(name: &str, value: String) {
    insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
        insta::assert_snapshot!(name, value);
    });
}

const HEDRA_2024: &str = "pricebooks/hedra/2024-11.pricebook";
const HEDRA_2025: &str = "pricebooks/hedra/2025-05.pricebook";
const HEDRA_2026: &str = "pricebooks/hedra/2026-06.pricebook";

fn diff_ok(args: &[&str]) -> String {
    let o = pricebook(args);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    stdout(&o)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("valid JSON")
}

#[test]
fn diff_hedra_2025_05_to_2026_06() {
    let human = diff_ok(&["diff", HEDRA_2025, HEDRA_2026]);
    snapshot("diff-hedra-2025-05-2026-06", human.clone());
    assert!(human.contains("grant amount: 4000 credit -> 5400 credit  (+35%)"));
    let j = diff_ok(&["diff", HEDRA_2025, HEDRA_2026, "--format", "json"]);
    snapshot("diff-hedra-2025-05-2026-06-json", j.clone());
    let v = json(&j);
    assert_eq!(v["products"]["added"].as_array().map(Vec::len), Some(17));
    assert_eq!(v["products"]["removed"][0]["slug"], "video");
    let creator = &v["plans"]["changed"][0];
    assert_eq!(creator["slug"], "creator");
    let grant = creator["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["what"] == "grant amount"))
        .expect("grant change");
    // Decimals are strings in JSON.
    assert_eq!(grant["percent"], "35");
}

#[test]
fn diff_hedra_2024_11_to_2025_05() {
    let human = diff_ok(&["diff", HEDRA_2024, HEDRA_2025]);
    snapshot("diff-hedra-2024-11-2025-05", human.clone());
    // Minute-metered to per-second credits: no percent across units, and it says so.
    assert!(human.contains(
        "rate 540p: 1 minute / minute -> 3 credit / second  (units differ: minute / minute -> credit / second)"
    ));
    let j = diff_ok(&["diff", HEDRA_2024, HEDRA_2025, "--format", "json"]);
    snapshot("diff-hedra-2024-11-2025-05-json", j.clone());
    let v = json(&j);
    let video = &v["products"]["changed"][0];
    assert_eq!(video["slug"], "video");
    assert!(
        video["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .all(|c| c["percent"].is_null())
    );
}

#[test]
fn diff_with_usage() {
    let dir = scratch("usage");
    let csv = write(
        &dir,
        "usage.csv",
        "product,quantity,unit,resolution\n\
         video,90,second,720p\n\
         video,10 second,,540p\n\
         video,30,minute,540p\n\
         sora-2-pro,5,second,\n",
    );
    let out = diff_ok(&["diff", HEDRA_2024, HEDRA_2025, "--usage", &csv]);
    let usage = out
        .split_once("\nusage")
        .map(|(_, u)| format!("usage{u}"))
        .expect("a usage section");
    snapshot("diff-hedra-2024-11-2025-05-usage", usage);
    // 90 s, 10 s and 30 min round up to 2 + 1 + 30 minutes; 33 x 10 / 20 = 16.50 USD on Basic.
    assert!(out.contains("before  33 minute, 16.50 USD (3 lines priced)"));
    // 90 x 6 + 10 x 3 + 1,800 x 3 = 5,970 credits at the 2025-05 rates.
    assert!(out.contains("after   5970 credit, no money equivalent (3 lines priced)"));

    // The same usage as JSON Lines, and a bad line: reported with its number, exit 1.
    let jsonl = write(
        &dir,
        "usage.jsonl",
        "{\"product\": \"video\", \"quantity\": \"90 second\", \"dims\": [\"720p\"]}\n\
         {\"product\": \"video\", \"quantity\": \"10 second\", \"dims\": {\"resolution\": \"540p\"}}\n\
         {\"product\": \"video\", \"quantity\": \"30 minute\", \"dims\": [\"resolution=540p\"]}\n\
         {\"product\": \"video\"}\n",
    );
    let o = pricebook(&[
        "diff", HEDRA_2024, HEDRA_2025, "--usage", &jsonl, "--format", "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("usage.jsonl:4: bad line: `quantity` is missing"));
    let v = json(&stdout(&o));
    let plans = v["usage"]["plans"].as_array().expect("plans");
    let creator = plans
        .iter()
        .find(|p| p["plan"] == "creator")
        .expect("creator");
    assert_eq!(creator["old"]["charges"][0]["amount"], "33");
    assert_eq!(creator["old"]["money"]["amount"], "13.75");
    assert_eq!(creator["new"]["charges"][0]["amount"], "5970");
    assert!(creator["new"]["money"].is_null());
    assert_eq!(v["usage"]["bad_lines"][0]["line"], 4);
}

#[test]
fn diff_usage_with_money_on_both_sides() {
    let dir = scratch("money");
    let csv = write(
        &dir,
        "usage.csv",
        "product,quantity\nhedra-avatar,20 minute\nlive-avatars,10 minute\n",
    );
    let old = write(
        &dir,
        "old.pricebook",
        "pricebook acme version \"1\" effective 2026-01-01 currency USD\n\
         unit credit\n\
         product \"Hedra Avatar\" as hedra-avatar { measure time  rate 6 credit / second  round up to 1 second }\n\
         product \"Live Avatars\" as live-avatars { measure time  rate 0.05 USD / minute  outside wallet }\n\
         plan \"Creator\" as creator { price 30 USD / month  grant 6000 credit every month, expires at cycle end }\n",
    );
    let out = diff_ok(&["diff", &old, HEDRA_2026, "--usage", &csv]);
    // Old: 1,200 s x 6 = 7,200 credit = 36 USD at 30 / 6,000; plus 0.50 USD outside the wallet.
    assert!(
        out.contains("before  7200 credit + 0.50 USD, 36.50 USD (2 lines priced)"),
        "{out}"
    );
    // New: 1,200 s x 7 = 8,400 credit = 46.67 USD at 30 / 5,400; plus 0.50 USD.
    assert!(
        out.contains("after   8400 credit + 0.50 USD, 47.17 USD (2 lines priced)"),
        "{out}"
    );
    assert!(out.contains("change  money +29.23%"), "{out}");
}

/// Every kind of change on two small books.
#[test]
fn diff_of_every_kind_of_change() {
    let dir = scratch("kinds");
    let old = write(
        &dir,
        "old.pricebook",
        r#"pricebook acme version "1" effective 2026-01-01 currency USD
unit credit_second
unit credit = 60 credit_second
dimension resolution { 720p, 1080p }
floor 0.005 USD / credit_second
product "Studio" as studio {
  measure time
  dims resolution
  rate 720p = 2 credit / second
  rate 1080p = 4 credit / second
  round up to 1 second
  max 10 minute
}
product "Dubbing" as dubbing {
  measure time
  tiers graduated {
    0 minute .. 100 minute : 2 credit / minute
    100 minute .. : 1 credit / minute
  }
}
product "Render" as render { measure video  flat 50 credit / video }
plan "Pro" as pro {
  price 20 USD / month
  grant 1000 credit every month, expires at cycle end, priority 1
  limit video length <= 5 minute
  limit renders <= 5 per day on render
  rate studio = 3 credit / second
  packs allowed
}
plan "Ent" as ent {
  price custom
  commit 5000 USD / month
  includes 600000 credit_second at 0.0075 USD / credit_second
  overage 0.00833 USD / credit_second
}
pack "Pack" as pack-16k { price 100 USD  grant 16000 credit, never expires, priority 2 }
billing annual { front-load 12 month }
auto recharge { below 1000 credit  refill to 5000 credit  cap 200 USD / month }
"#,
    );
    let new = write(
        &dir,
        "new.pricebook",
        r#"pricebook acme version "2" effective 2026-07-01 currency USD
unit credit_second
unit credit = 60 credit_second
dimension resolution { 720p, 1080p, 4K }
floor 0.006 USD / credit_second
product "Studio HD" as studio {
  measure time
  dims resolution
  rate 720p = 2 credit / second
  rate 1080p = 5 credit / second
  rate 4K = not offered
  round up to 1 second
  max 15 minute
}
product "Dubbing" as dubbing {
  measure time
  tiers graduated {
    0 minute .. 60 minute : 2 credit / minute
    60 minute .. : 1.5 credit / minute
  }
}
product "Render" as render { measure video  flat 40 credit / video }
plan "Pro" as pro {
  price 25 USD / month
  grant 1200 credit every month, expires after 2 month, priority 1
  limit video length <= 10 minute
  limit renders <= 10 per day on render
  rate studio = 2.5 credit / second
  packs allowed
}
plan "Ent" as ent {
  price custom
  commit 8000 USD / month
  includes 1200000 credit_second at 0.007 USD / credit_second
  overage 0.008 USD / credit_second
}
pack "Pack" as pack-16k { price 120 USD  grant 16000 credit, never expires, priority 2 }
billing annual { front-load 6 month }
auto recharge { below 500 credit  refill to 5000 credit  cap 250 USD / month }
"#,
    );
    let out = diff_ok(&["diff", &old, &new]);
    let out = out.replace(&dir.display().to_string(), "DIR");
    snapshot("diff-every-kind", out.clone());
    for line in [
        "rate 1080p: 4 credit / second -> 5 credit / second  (+25%)",
        "rate 4K: none -> not offered",
        "tier 2 rate: 1 credit / minute -> 1.5 credit / minute  (+50%)",
        "price: 20 USD / month -> 25 USD / month  (+25%)",
        "commit: 5000 USD / month -> 8000 USD / month  (+60%)",
        "contract rate: 0.0075 USD / credit_second -> 0.007 USD / credit_second  (-6.67%)",
        "floor: 0.005 USD / credit_second -> 0.006 USD / credit_second  (+20%)",
        "limit video length: <= 5 minute -> <= 10 minute  (+100%)",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
}

#[test]
fn versions_of_hedra() {
    let o = pricebook(&["versions", "pricebooks/hedra"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    snapshot("versions-hedra", out.clone());
    let last = out.lines().last().expect("a line");
    assert!(last.contains("2026-06") && last.contains("(current)"));
    let o = pricebook(&["versions", "pricebooks/hedra", "--format", "json"]);
    let v = json(&stdout(&o));
    let versions = v["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 4);
    assert_eq!(versions[0]["until"], "2025-05-16");
    assert_eq!(versions[3]["current"], true);
    assert!(versions[3]["until"].is_null());
    // Books of several vendors are not one timeline.
    let o = pricebook(&["versions", "pricebooks"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("several vendors"));
}

#[test]
fn bundled_books_pass_their_tests() {
    let o = pricebook(&["test", "pricebooks"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let last = out.lines().last().expect("a summary line");
    let (passed, failed) = last.split_once(" passed, ").expect("`N passed, M failed`");
    assert!(passed.parse::<usize>().expect("a count") > 100, "{last}");
    assert_eq!(failed, "0 failed");
    assert!(out.contains("ok    hedra/2026-06: \"Basic buys ~214 seconds of Hedra Avatar\""));
    let o = pricebook(&["test", "pricebooks", "--format", "json"]);
    let v = json(&stdout(&o));
    assert_eq!(v["failed"], 0);
    assert_eq!(
        v["passed"].as_u64().map(|n| n as usize),
        v["tests"].as_array().map(Vec::len)
    );
}

const FAILING: &str = r#"pricebook acme version "1" effective 2026-01-01 currency USD
unit credit

product "Render" as render {
  measure time
  rate 7 credit / second
}

plan "Pro" as pro {
  price 20 USD / month
  grant 1000 credit every month, expires at cycle end
}

test "Pro buys 142 seconds of Render" {
  capacity plan pro product render == 142 second
}

test "Ten seconds cost 80 credits" {
  quote plan pro product render quantity 10 second == 70 credit
  quote plan pro product render quantity 10 second == 80 credit
}
"#;

#[test]
fn a_failing_test_fails_the_run() {
    let dir = scratch("failing");
    let book = write(&dir, "acme.pricebook", FAILING);
    let o = pricebook(&["test", dir.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("ok    acme/1: \"Pro buys 142 seconds of Render\""));
    assert!(out.contains("FAIL  acme/1: \"Ten seconds cost 80 credits\""));
    assert!(out.contains("expected 80 credit, got 70 credit"), "{out}");
    assert!(out.contains(&format!("{book}:20:")), "{out}");
    assert_eq!(out.lines().last(), Some("1 passed, 1 failed"));

    let o = pricebook(&["test", &book, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&stdout(&o));
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(1))
    );
    let t = &v["tests"][1];
    assert_eq!(t["name"], "Ten seconds cost 80 credits");
    assert_eq!(t["line"], 18);
    assert_eq!(t["passed"], false);
    assert_eq!(t["failures"][0]["code"], "test-failed");
    assert_eq!(t["failures"][0]["line"], 20);

    // A book with an error outside its tests: every test counts as failed, and it says why.
    let broken = FAILING.replace("rate 7 credit / second", "rate 7 credit / secnd");
    std::fs::write(&book, broken).expect("write");
    let o = pricebook(&["test", &book]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("unknown unit `secnd`"), "{out}");
    assert!(
        out.contains("has 1 error; its 2 tests count as failed"),
        "{out}"
    );
    assert!(out.contains("(not run: the book has errors)"));
    assert_eq!(out.lines().last(), Some("0 passed, 2 failed"));
}

/// The library's run over files (what the bindings' `check` returns) checks a contract on the
/// book beside it, as `pricebook check` does: the bundled books, contracts included, are clean,
/// and a contract checked alone still finds its book.
#[test]
fn the_library_checks_files_together() {
    use pricebook::load::run::check_paths;
    let all = check_paths(&["pricebooks".into()]).expect("the books are found");
    assert!(all.len() >= 9, "{}", all.len());
    let errors: Vec<_> = all
        .iter()
        .flat_map(|c| c.diagnostics.iter().map(move |d| (&c.name, &d.message)))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let alone = check_paths(&["pricebooks/heygen/contract-globex.pricebook".into()])
        .expect("the contract is found");
    assert_eq!(alone.len(), 1);
    assert!(
        alone[0].diagnostics.is_empty(),
        "{:?}",
        alone[0].diagnostics
    );
    // A file that is not UTF-8 is one `syntax` error of that file, not a failed run.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("pricebook-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let bad = dir.join("bad.pricebook");
    std::fs::write(&bad, [0xff, 0xfe, b'x']).expect("written");
    let found = check_paths(&[bad]).expect("the file is found");
    assert_eq!(found[0].diagnostics.len(), 1);
    assert_eq!(found[0].diagnostics[0].code.name(), "syntax-error");
    let _ = std::fs::remove_dir_all(&dir);
}

/// HeyGen publishes parallel price lists (seeds 001-004): `versions` shows one timeline per list,
/// the legacy API tiers giving way to pay-as-you-go on the `api` list while `enterprise` and
/// `web` run beside them.
#[test]
fn heygen_lists_have_their_own_timelines() {
    let o = pricebook(&["versions", "pricebooks/heygen"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    snapshot("versions-heygen", stdout(&o));
    let o = pricebook(&["versions", "pricebooks/heygen", "--format", "json"]);
    let v = json(&stdout(&o));
    type Timeline<'a> = (&'a str, Vec<(&'a str, &'a str, bool)>);
    let lists: Vec<Timeline> = v["lists"]
        .as_array()
        .expect("lists")
        .iter()
        .map(|l| {
            let versions = l["versions"]
                .as_array()
                .expect("versions")
                .iter()
                .map(|r| {
                    (
                        r["version"].as_str().expect("a label"),
                        r["effective"].as_str().expect("a date"),
                        r["current"].as_bool().expect("a bool"),
                    )
                })
                .collect();
            (l["list"].as_str().expect("a name"), versions)
        })
        .collect();
    assert_eq!(
        lists,
        [
            (
                "api",
                vec![
                    ("api-plans-legacy", "2025-01-01", false),
                    ("api-payg", "2026-06-04", true)
                ]
            ),
            ("enterprise", vec![("enterprise", "2026-06-04", true)]),
            ("web", vec![("web-plans", "2026-04-01", true)]),
        ]
    );
    assert_eq!(v["versions"][0]["until"], "2026-06-03");
    assert_eq!(v["contracts"][0]["list"], "enterprise");
}

/// A question on a vendor's directory picks its list: `--list`, else the one list whose version
/// in force has the plan; a date picks the version within the list.
#[test]
fn a_directory_question_picks_its_price_list() {
    let quote = |extra: &[&str]| {
        let mut args = vec!["quote", "pricebooks/heygen", "--format", "json"];
        args.extend_from_slice(extra);
        let o = pricebook(&args);
        (o.status.code(), json(&stdout(&o)), stderr(&o))
    };
    // `payg` is only on the `api` list.
    let (code, v, err) = quote(&[
        "--plan",
        "payg",
        "--product",
        "speech-starfish",
        "--quantity",
        "1 hour",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v["charge"]["amount"], "2.40", "{v}");
    assert_eq!(v["source"], "pricebooks/heygen/api-payg.pricebook");
    // Before 2026-06-04 the `api` list is the legacy tiers, whose plans are not `payg`.
    let (code, v, err) = quote(&[
        "--at",
        "2026-01-01",
        "--list",
        "api",
        "--plan",
        "payg",
        "--product",
        "speech-starfish",
        "--quantity",
        "1 hour",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(v["error"]["message"], "unknown plan `payg`", "{v}");
    // No list and no plan to tell them apart.
    let o = pricebook(&["capacity", "pricebooks/heygen", "--product", "avatar-iv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .contains("`pricebooks/heygen` holds 3 price lists of `heygen` (api, enterprise, web)"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--list NAME"), "{}", stderr(&o));
    // A list the vendor does not publish.
    let o = pricebook(&[
        "quote",
        "pricebooks/heygen",
        "--list",
        "mobile",
        "--plan",
        "free",
        "--product",
        "avatar-iv",
        "--quantity",
        "1 minute",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("has no price list `mobile`; its lists are api, enterprise, web"),
        "{}",
        stderr(&o)
    );
    // `free` is on two lists (web, and the legacy api tiers in force on 2025-06-01).
    let o = pricebook(&[
        "quote",
        "pricebooks/heygen",
        "--at",
        "2026-05-01",
        "--plan",
        "free",
        "--product",
        "avatar-iv",
        "--quantity",
        "1 minute",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("plan `free` is in api and web"),
        "{}",
        stderr(&o)
    );
}

/// Two versions of one list may not share a date; versions of two lists may.
#[test]
fn versions_clash_only_within_a_list() {
    let dir = scratch("lists");
    let book = |list: &str, label: &str| {
        format!(
            "pricebook acme{list} version \"{label}\" effective 2026-01-01 currency USD\nunit credit\nproduct \"Render\" as render {{\n  measure time\n  rate 1 credit / second\n}}\n"
        )
    };
    write(&dir, "a.pricebook", book(" list api", "a"));
    write(&dir, "b.pricebook", book(" list web", "b"));
    let o = pricebook(&["check", dir.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    write(&dir, "c.pricebook", book(" list web", "c"));
    let o = pricebook(&["check", dir.to_str().expect("utf8"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&stdout(&o));
    let messages: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["message"].as_str().expect("a message"))
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages.iter().all(
            |m| m.starts_with("`acme list web` already has a version in force from 2026-01-01")
        ),
        "{messages:?}"
    );
}

/// A contract names the list it layers on: checked, it finds no book of its list among the
/// files; billed on a book of another list, it is refused.
#[test]
fn a_contract_on_another_list_is_refused() {
    let dir = scratch("contract-list");
    let c = write(
        &dir,
        "c.pricebook",
        "contract \"Web\" as web for heygen list web effective 2026-06-05\nplan \"W\" as w based on mmc-1000 { }\n",
    );
    let o = pricebook(&[
        "check",
        "pricebooks/heygen/enterprise.pricebook",
        &c,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&stdout(&o));
    assert_eq!(
        v["diagnostics"][0]["message"],
        "contract `web` layers on a `heygen list web` book, and none is given with it",
        "{v}"
    );
    let usage = write(&dir, "u.csv", "time,product,quantity\n");
    let o = pricebook(&[
        "bill",
        "pricebooks/heygen/enterprise.pricebook",
        "--contract",
        &c,
        "--plan",
        "w",
        "--usage",
        &usage,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o) + &stderr(&o);
    assert!(
        out.contains(
            "this contract is for `heygen`'s web price list, but the book is its enterprise list"
        ),
        "{out}"
    );
}
