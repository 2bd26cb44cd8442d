//! Invoice runs (`pricebook bill --accounts`): reviewed snapshots of a small run over the bundled
//! Hedra 2026-06 book (`tests/bills/run/`), each account's bill equal to the account billed
//! alone (on the fixture and on random runs), and no usage line lost.

mod common;

use common::rng::Rng;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
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

/// A fresh directory under the system's temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "pricebook-invoice-run-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const BOOK: &str = "pricebooks/hedra/2026-06.pricebook";
const ACCOUNTS: &str = "tests/bills/run/accounts.csv";
const USAGE: &str = "tests/bills/run/usage.csv";

fn snap(name: &str, text: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
        insta::assert_snapshot!(format!("invoice-run-{name}"), text);
    });
}

/// An account row as a map of column -> value (empty cells left out).
type Row = BTreeMap<String, String>;

fn read_csv(text: &str) -> Vec<Row> {
    let mut lines = text.lines();
    let header: Vec<String> = split(lines.next().unwrap_or_default());
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(split(l))
                .filter(|(_, v)| !v.is_empty())
                .collect()
        })
        .collect()
}

/// A CSV line's cells (quoted cells may hold commas).
fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    out.push(cell.trim().to_string());
    out
}

/// The account a usage line names, as the test reads it (CSV: the `account` column of
/// `header`; JSON Lines: the `account` field); `None` for a line that does not say.
fn account_of(header: Option<&[String]>, line: &str) -> Option<String> {
    match header {
        Some(h) => {
            let cells = split(line);
            let i = h.iter().position(|c| c == "account")?;
            (cells.len() == h.len()).then(|| cells[i].clone())
        }
        None => {
            let v: serde_json::Value = serde_json::from_str(line).ok()?;
            v.get("account")?.as_str().map(|s| s.trim().to_string())
        }
    }
}

/// The usage file as `account` alone would send it: its lines where they are, every other
/// line blank (so line numbers stay those of the whole file), the CSV header kept.
fn alone_usage(usage: &str, account: &str) -> String {
    let mut out = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut seen_first = false;
    for l in usage.split('\n') {
        if !seen_first && !l.trim().is_empty() {
            seen_first = true;
            if !l.trim_start().starts_with('{') {
                header = Some(split(l).iter().map(|c| c.to_lowercase()).collect());
                out.push(l.to_string());
                continue;
            }
        }
        let mine =
            !l.trim().is_empty() && account_of(header.as_deref(), l).as_deref() == Some(account);
        out.push(if mine { l.to_string() } else { String::new() });
    }
    out.join("\n")
}

/// `pricebook bill --format json` for one account row alone, over `usage_path`.
fn bill_alone(book: &str, row: &Row, accounts_dir: &Path, usage_path: &str) -> (i32, String) {
    let mut args: Vec<String> = ["bill", book, "--usage", usage_path, "--format", "json"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let flag = |col: &str| row.get(col).cloned();
    if let Some(p) = flag("plan") {
        args.extend(["--plan".into(), p]);
    }
    if let Some(s) = flag("start") {
        args.extend(["--from".into(), s]);
    }
    if let Some(b) = flag("billing") {
        args.extend(["--billing".into(), b]);
    }
    if let Some(c) = flag("contract") {
        args.extend([
            "--contract".into(),
            accounts_dir.join(c).display().to_string(),
        ]);
    }
    if let Some(r) = flag("auto_recharge") {
        args.extend(["--auto-recharge".into(), r]);
    }
    if let Some(w) = flag("wallet") {
        args.extend([
            "--wallet".into(),
            accounts_dir.join(w).display().to_string(),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, _) = run(&args);
    (code, out)
}

/// Checks a run's output directory against the usage file: every account's JSON is its bill
/// alone, and every usage line read is billed, rejected or bad, once.
fn check_run(book: &str, accounts_path: &Path, usage_path: &Path, out: &Path) {
    let usage = std::fs::read_to_string(usage_path).expect("usage");
    let accounts = read_csv(&std::fs::read_to_string(accounts_path).expect("accounts"));
    let summary = read_csv(&std::fs::read_to_string(out.join("summary.csv")).expect("summary"));
    let rejected = read_csv(&std::fs::read_to_string(out.join("rejected.csv")).expect("rejected"));
    let scratch = out.join("alone");
    std::fs::create_dir_all(&scratch).expect("a directory");
    assert_eq!(summary.len(), accounts.len(), "one summary row per account");
    let accounts_dir = accounts_path.parent().expect("a directory");
    for (row, s) in accounts.iter().zip(&summary) {
        let account = &row["account"];
        assert_eq!(
            &s["account"], account,
            "summary rows in the accounts' order"
        );
        let alone_path = scratch.join("usage");
        std::fs::write(&alone_path, alone_usage(&usage, account)).expect("written");
        let (code, alone) = bill_alone(book, row, accounts_dir, &alone_path.display().to_string());
        match s.get("file") {
            Some(file) => {
                let ran = std::fs::read_to_string(out.join(file)).expect("the account's bill");
                assert_eq!(
                    ran, alone,
                    "account `{account}`: the run's bill is its bill alone"
                );
                assert!(code == 0 || code == 1, "{code}");
            }
            None => {
                // Not billed in the run: not billed alone either.
                assert!(s.contains_key("error"), "{s:?}");
                assert!(alone.contains("\"error\""), "account `{account}`: {alone}");
            }
        }
    }
    // No usage line lost: each line read is billed, or in rejected.csv once.
    let mut header_seen = false;
    let mut data_lines = 0u64;
    for l in usage.split('\n') {
        if l.trim().is_empty() {
            continue;
        }
        if !header_seen {
            header_seen = true;
            if !l.trim_start().starts_with('{') {
                continue;
            }
        }
        data_lines += 1;
    }
    let n = |r: &Row, k: &str| r.get(k).map_or(0, |v| v.parse::<u64>().expect("a count"));
    let lines: u64 = summary.iter().map(|s| n(s, "lines")).sum();
    let unassigned = rejected
        .iter()
        .filter(|r| {
            !accounts
                .iter()
                .any(|a| Some(&a["account"]) == r.get("account"))
        })
        .count() as u64;
    assert_eq!(
        lines + unassigned,
        data_lines,
        "every line read goes to one account or is bad"
    );
    let mut numbers = HashSet::new();
    for r in &rejected {
        assert!(
            numbers.insert(n(r, "line")),
            "line {} rejected twice",
            n(r, "line")
        );
    }
    for s in &summary {
        let (l, b, rj, bad) = (
            n(s, "lines"),
            n(s, "billed"),
            n(s, "rejected"),
            n(s, "bad_lines"),
        );
        assert_eq!(b + rj + bad, l, "{s:?}");
        let rows = rejected
            .iter()
            .filter(|r| r.get("account") == s.get("account"))
            .count() as u64;
        assert_eq!(rows, rj + bad, "{s:?}: its rows of rejected.csv");
    }
}

/// The fixture's run: the summary, one bill and the rejections, reviewed; the command's summary
/// without `-o`, human and JSON.
#[test]
fn the_fixture_run() {
    let out = Scratch::new("fixture");
    let dir = out.path("run");
    let (code, stdout, stderr) = run(&[
        "bill",
        BOOK,
        "--accounts",
        ACCOUNTS,
        "--usage",
        USAGE,
        "-o",
        &dir,
    ]);
    assert_eq!(code, 1, "bad lines make the run exit 1: {stderr}");
    assert_eq!(stdout, "");
    let read = |f: &str| std::fs::read_to_string(out.0.join("run").join(f)).expect(f);
    snap("summary-csv", &read("summary.csv"));
    snap("rejected-csv", &read("rejected.csv"));
    snap("linus-json", &read("linus.json"));
    assert!(read("acme%2Feu.json").contains("\"currency\": \"USD\""));
    check_run(
        BOOK,
        &root().join(ACCOUNTS),
        &root().join(USAGE),
        &out.0.join("run"),
    );

    let (code, human, stderr) = run(&["bill", BOOK, "--accounts", ACCOUNTS, "--usage", USAGE]);
    assert_eq!(code, 1);
    snap("human", &format!("{human}---\n{stderr}"));
    let (code, json, _) = run(&[
        "bill",
        BOOK,
        "--accounts",
        ACCOUNTS,
        "--usage",
        USAGE,
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let count = |k: &str| v[k].as_u64().expect("a count");
    assert_eq!(
        count("billed") + count("rejected") + count("bad_lines"),
        count("lines")
    );
    assert_eq!(v["accounts"].as_array().map(Vec::len), Some(7));
    assert_eq!(v["totals"][0]["amount"], "372.75");
    assert_eq!(v["unassigned"][0]["line"], 9);
}

/// The same run on one thread and on eight, and through the library, is the same run.
#[test]
fn threads_do_not_change_the_run() {
    let accounts = pricebook::answer::read_accounts(&root().join(ACCOUNTS)).expect("accounts");
    let mut totals = Vec::new();
    for threads in [1, 8] {
        let mut r = pricebook::answer::InvoiceRun::new(
            root().join(BOOK),
            accounts.clone(),
            root().join(USAGE),
        );
        r.threads = threads;
        let report = pricebook::answer::invoice_run(&r).expect("a run");
        totals.push(report.to_json());
    }
    assert_eq!(totals[0], totals[1]);
}

#[test]
fn mistakes_in_the_run_are_reported() {
    let out = Scratch::new("mistakes");
    // Per-account options belong to the accounts file.
    let (code, _, err) = run(&[
        "bill",
        BOOK,
        "--accounts",
        ACCOUNTS,
        "--usage",
        USAGE,
        "--plan",
        "creator",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--plan is each account's in an invoice run"),
        "{err}"
    );
    // A usage file without accounts cannot be run.
    let (code, _, err) = run(&[
        "bill",
        BOOK,
        "--accounts",
        ACCOUNTS,
        "--usage",
        "tests/bills/mmc-5000.csv",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("has no `account` column"), "{err}");
    // An accounts file with a mistake names its line.
    let bad = out.path("accounts.csv");
    std::fs::write(&bad, "account,plan,billing\nada,creator,weekly\n").expect("written");
    let (code, _, err) = run(&["bill", BOOK, "--accounts", &bad, "--usage", USAGE]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("line 2: billing `weekly` is not monthly or annual"),
        "{err}"
    );
    // An account that cannot be billed is reported, and the others are billed.
    std::fs::write(&bad, "account,plan\nada,creator\nlinus,gold\n").expect("written");
    let (code, human, err) = run(&["bill", BOOK, "--accounts", &bad, "--usage", USAGE]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("error: account `linus` was not billed: unknown plan `gold`"),
        "{err}"
    );
    assert!(
        human.contains("ada      creator  130.00 USD      3       2         0    1"),
        "{human}"
    );
    // -o is for runs.
    let (code, _, _) = run(&[
        "bill",
        BOOK,
        "--plan",
        "creator",
        "--usage",
        USAGE,
        "-o",
        &out.path("x"),
    ]);
    assert_eq!(code, 2);
}

/// Random runs: random accounts (plans, starts, billing, recharges, wallets, a contract) and
/// random usage (good, rejected, bad and foreign lines, CSV or JSON Lines); the run's bill of
/// every account is its bill alone, byte for byte, and no line is lost.
#[test]
fn random_runs_equal_each_account_billed_alone() {
    let out = Scratch::new("random");
    let fixtures = root().join("tests/bills/run");
    std::fs::copy(
        fixtures.join("bigco-contract.pricebook"),
        out.0.join("bigco-contract.pricebook"),
    )
    .expect("copied");
    std::fs::copy(
        fixtures.join("hopper-wallet.json"),
        out.0.join("hopper-wallet.json"),
    )
    .expect("copied");
    let rows = [
        "creator,,,,",
        "professional,2026-07-01,,,\"below=1000,to=5000,cap=100\"",
        "basic,,,,",
        "teams,,annual,,",
        "creator,2026-07-15,,,,hopper-wallet.json",
        "bigco,,,bigco-contract.pricebook,",
        "enterprise,,,,",
        "basic,2026-08-01,,,\"below=1000,to=5000\"",
        "gold,,,,",
    ];
    let products = [
        (
            "hedra-avatar",
            &["30 second", "5 minute", "20 minute", "2"][..],
        ),
        ("elevenlabs", &["2000 character", "150"][..]),
        ("imagen-4", &["1", "3"][..]),
        ("live-avatars", &["30 minute"][..]),
        ("paint", &["1"][..]),
    ];
    let times = [
        "2026-06-01T10:00:00Z",
        "2026-07-03T10:00:00Z",
        "2026-07-20T23:59:59Z",
        "2026-08-01T00:00:00Z",
        "2026-08-15T12:00:00Z",
        "2026-09-30T08:00:00Z",
        "soon",
    ];
    for seed in 1..=12u64 {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let n_accounts = 2 + (rng.next() % 5) as usize;
        let mut accounts =
            String::from("account,plan,start,billing,contract,auto_recharge,wallet\n");
        let mut names = Vec::new();
        for i in 0..n_accounts {
            let name = if i == 1 {
                format!("team {i}/eu")
            } else {
                format!("acct-{seed}-{i}")
            };
            let row = rng.pick(&rows).to_string();
            // Every row has 7 cells: pad the short forms.
            let cells = split(&row).len();
            let pad = ",".repeat(6usize.saturating_sub(cells));
            accounts.push_str(&format!("{name},{row}{pad}\n"));
            names.push(name);
        }
        // JSON Lines, CSV with a `buy` column, or a plain CSV file (only what a product's use
        // says: such lines are kept read in the shards, and must bill as the general reader
        // reads them), with or without a `unit` column.
        let format = rng.next() % 4;
        let json = format == 0;
        let plain = format >= 2;
        let with_unit = format == 3;
        let mut usage = match format {
            0 => String::new(),
            1 => "time,account,product,quantity,buy\n".to_string(),
            2 => "plan,time,account,product,quantity\n".to_string(),
            _ => "time,account,product,quantity,unit\r\n".to_string(),
        };
        for _ in 0..(5 + rng.next() % 40) {
            let account = match rng.next() % 12 {
                0 => "stranger".to_string(),
                1 => String::new(),
                _ => rng.pick(&names).clone(),
            };
            let time = *rng.pick(&times);
            let buy = rng.next() % 9 == 0;
            let (product, quantities) = *rng.pick(&products);
            let quantity = *rng.pick(quantities);
            if json {
                let v = if buy {
                    serde_json::json!({"time": time, "account": account, "buy": "credit-pack"})
                } else {
                    serde_json::json!({"time": time, "account": account, "product": product, "quantity": quantity})
                };
                usage.push_str(&format!("{v}\n"));
                if rng.next() % 15 == 0 {
                    usage.push_str("{not json\n\n");
                }
            } else if plain {
                let unit = if with_unit {
                    format!(",{}", rng.pick(&["", "second", "minute", " character "]))
                } else {
                    String::new()
                };
                let line = match rng.next() % 10 {
                    // Quoted, padded (a no-break space too) and odd lines.
                    0 => format!("{time},\"{account}\",\"{product}\",\"{quantity}\""),
                    1 => format!(" {time} ,{account}\u{a0},  {product},{quantity} "),
                    2 => format!("{time},{account},,{quantity}"),
                    3 => format!("{time},{account},{product},-1"),
                    4 => format!("{time},{account},nothing,{quantity}"),
                    5 => format!("{time},{account},{product},"),
                    _ => format!("{time},{account},{product},{quantity}"),
                };
                let line = if with_unit {
                    format!("{line}{unit}\r\n")
                } else {
                    format!("basic,{line}\n")
                };
                usage.push_str(&line);
                if rng.next() % 15 == 0 {
                    usage.push_str("2026-07-01T00:00:00Z,too,many,fields,here,now,x\n\n");
                }
            } else if buy {
                usage.push_str(&format!("{time},{account},,,credit-pack\n"));
            } else {
                usage.push_str(&format!("{time},{account},{product},{quantity},\n"));
                if rng.next() % 15 == 0 {
                    usage.push_str("2026-07-01T00:00:00Z,too,many,fields,here,now\n\n");
                }
            }
        }
        let accounts_path = out.0.join(format!("accounts-{seed}.csv"));
        let usage_path = out.0.join(format!(
            "usage-{seed}.{}",
            if json { "jsonl" } else { "csv" }
        ));
        std::fs::write(&accounts_path, &accounts).expect("written");
        std::fs::write(&usage_path, &usage).expect("written");
        let dir = out.0.join(format!("run-{seed}"));
        let (code, _, err) = run(&[
            "bill",
            BOOK,
            "--accounts",
            &accounts_path.display().to_string(),
            "--usage",
            &usage_path.display().to_string(),
            "-o",
            &dir.display().to_string(),
        ]);
        assert!(code == 0 || code == 1, "seed {seed}: {err}");
        check_run(BOOK, &accounts_path, &usage_path, &dir);
    }
}

/// A run on a vendor's directory follows each account through the versions (here version 2 of
/// `tests/bills/moves`, which existing subscribers move to at renewal), and each account's bill
/// is still the bill `pricebook bill DIR` gives it alone.
#[test]
fn a_run_across_versions_equals_each_account_billed_alone() {
    let out = Scratch::new("versions");
    let accounts = out.0.join("accounts.csv");
    std::fs::write(
        &accounts,
        "account,plan,start\nold,pro,2026-01-01\nnew,pro,2026-03-01\n",
    )
    .expect("written");
    let usage = out.0.join("usage.csv");
    std::fs::write(
        &usage,
        "time,account,product,quantity
2026-01-20T10:00:00Z,old,render,100 second
2026-02-20T10:00:00Z,old,render,100 second
2026-02-21T10:00:00Z,old,upscale,10 second
2026-03-20T10:00:00Z,old,render,100 second
2026-03-02T10:00:00Z,new,upscale,10 second
2026-03-20T10:00:00Z,new,render,100 second
",
    )
    .expect("written");
    let dir = out.path("run");
    let (code, _, stderr) = run(&[
        "bill",
        "tests/bills/moves",
        "--accounts",
        &accounts.display().to_string(),
        "--usage",
        &usage.display().to_string(),
        "-o",
        &dir,
    ]);
    assert_eq!(code, 0, "{stderr}");
    check_run("tests/bills/moves", &accounts, &usage, &out.0.join("run"));
    let old: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.0.join("run/old.json")).expect("old"))
            .expect("JSON");
    let versions: Vec<&str> = old["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|v| v["version"].as_str())
        .collect();
    assert_eq!(versions, ["1", "2"]);
    // The account that started in March starts on version 2, which has Upscale.
    let new: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.0.join("run/new.json")).expect("new"))
            .expect("JSON");
    assert_eq!(new["versions"][0]["version"], "2");
    assert_eq!(new["rejected"].as_array().map(Vec::len), Some(0));
}

/// A usage file of several megabytes is read in chunks on both threads: every account's bill is
/// still its bill alone (line numbers included), and every line billed to no account is reported
/// with the number it has in the file, whatever chunk it fell in.
#[test]
fn a_file_read_in_chunks_keeps_its_line_numbers() {
    let out = Scratch::new("chunks");
    let accounts = "account,plan\nada,creator\ngrace,professional\nlinus,basic\n";
    let accounts_path = out.0.join("accounts.csv");
    std::fs::write(&accounts_path, accounts).expect("written");
    let mut rng = Rng(0x0dd_c0ffee);
    let mut usage = String::from("time,account,product,quantity\n");
    // (line number, account as written) of the lines for no account of the run.
    let mut strangers: Vec<(u64, String)> = Vec::new();
    let mut number = 1u64;
    while usage.len() < 2_300_000 {
        number += 1;
        let day = 1 + rng.below(28);
        let account = match rng.below(400) {
            0 => format!("stranger-{number}"),
            1 => String::new(),
            _ => rng.pick(&["ada", "grace", "linus"]).to_string(),
        };
        let ending = if rng.below(50) == 0 { "\r\n" } else { "\n" };
        if account.starts_with("stranger") || account.is_empty() {
            strangers.push((number, account.clone()));
        }
        // A padded quantity makes longer lines, so chunks end mid-line.
        let quantity = format!("{}{}", " ".repeat(rng.below(40) as usize), 1 + rng.below(3));
        usage.push_str(&format!(
            "2026-07-{day:02}T10:00:00Z,{account},imagen-4,{quantity}{ending}"
        ));
        if rng.below(300) == 0 {
            number += 1;
            usage.push('\n');
        }
    }
    let usage_path = out.0.join("usage.csv");
    std::fs::write(&usage_path, &usage).expect("written");
    let dir = out.0.join("run");
    let (code, _, err) = run(&[
        "bill",
        BOOK,
        "--accounts",
        &accounts_path.display().to_string(),
        "--usage",
        &usage_path.display().to_string(),
        "-o",
        &dir.display().to_string(),
    ]);
    assert_eq!(code, 1, "strangers are bad lines: {err}");
    check_run(BOOK, &accounts_path, &usage_path, &dir);
    let rejected = read_csv(&std::fs::read_to_string(dir.join("rejected.csv")).expect("rejected"));
    let reported: Vec<(u64, String)> = rejected
        .iter()
        .map(|r| {
            let account = r.get("account").cloned().unwrap_or_default();
            (r["line"].parse().expect("a line number"), account)
        })
        .filter(|(_, a)| !["ada", "grace", "linus"].contains(&a.as_str()))
        .collect();
    assert!(strangers.len() > 10, "{}", strangers.len());
    assert_eq!(reported, strangers);
}
