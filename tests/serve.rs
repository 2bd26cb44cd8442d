//! `pricebook serve`, started for real on 127.0.0.1: every endpoint answers what the command
//! line answers for the same question on the bundled books, byte for byte; bad requests of
//! every kind get their status and a JSON error, never a 500; the token guards `/v1`; a book
//! rewritten many times while clients quote never gives an error or a mixed answer; SIGTERM
//! lets a request in flight finish; the OpenAPI document is the committed one.

mod common;
use common::http::{Client, Response, Server};
use common::{pricebook, scratch, stdout, write};
use serde_json::json;
use std::time::{Duration, Instant};

const BOOKS: &[&str] = &["pricebooks", "docs/examples/quickstart.pricebook"];

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
        insta::assert_snapshot!(name, text);
    });
}

/// A request and its answer, as a snapshot shows them.
fn exchange(client: &mut Client, method: &str, path: &str, body: &str) -> String {
    let r = if method == "GET" {
        client.get(path)
    } else {
        client.post(path, body)
    };
    let book = r
        .header("pricebook-book")
        .map_or(String::new(), |b| format!(" (pricebook-book: {b})"));
    let shown = if body.is_empty() {
        String::new()
    } else {
        format!(" {body}")
    };
    format!(
        "{method} {path}{shown}\n-> {}{book}\n{}\n",
        r.status,
        r.text()
    )
}

/// The CLI's `quote ... --format json` and the service's answer to the same question.
fn cli_and_service(client: &mut Client, cli: &[&str], path: &str, question: &serde_json::Value) {
    let o = pricebook(cli);
    let r = client.post(path, &question.to_string());
    let code = o.status.code();
    let (cli_out, served) = (stdout(&o), r.text());
    match code {
        Some(0) => assert_eq!((r.status, served), (200, cli_out), "{cli:?}"),
        // A usage the book refuses: the same JSON, 422.
        Some(1) if !cli_out.contains("\"error\"") => {
            assert_eq!((r.status, served), (422, cli_out), "{cli:?}")
        }
        // An error: the same code (the command line's own `command-line` is the service's
        // `bad-request`).
        Some(status) => {
            let cli_json: serde_json::Value =
                serde_json::from_str(&cli_out).unwrap_or_else(|_| panic!("{cli:?}: {cli_out}"));
            let (cli_code, code) = (&cli_json["error"]["code"], &r.json()["error"]["code"]);
            if status == 2 {
                assert_eq!(
                    (r.status, code.as_str()),
                    (400, Some("bad-request")),
                    "{cli:?}"
                );
            } else {
                assert_eq!((r.status, code), (422, cli_code), "{cli:?}: {served}");
            }
        }
        None => panic!("{cli:?} did not exit"),
    }
}

#[test]
fn quotes_and_capacities_are_the_commands_answers() {
    let server = Server::start(BOOKS);
    let mut c = server.client();
    let mut compared = 0;
    // Each book given to the command, and how the service names the same version.
    let sources = [
        ("pricebooks/hedra", "hedra", None),
        (
            "pricebooks/hedra/2025-05.pricebook",
            "hedra",
            Some("2025-06-01"),
        ),
        (
            "pricebooks/heygen/enterprise.pricebook",
            "heygen/enterprise",
            Some("2026-06-05"),
        ),
        (
            "pricebooks/heygen/web-plans.pricebook",
            "heygen/web",
            Some("2026-05-01"),
        ),
        (
            "pricebooks/heygen/api-payg.pricebook",
            "heygen/api",
            Some("2026-06-04"),
        ),
        ("docs/examples/quickstart.pricebook", "acme-video", None),
    ];
    let plans = [
        None,
        Some("creator"),
        Some("basic"),
        Some("mmc-1000"),
        Some("starter"),
    ];
    let products = [
        "hedra-avatar",
        "Hedra Avatar",
        "veo-3",
        "video-generation",
        "avatar",
        "nope",
    ];
    let quantities = ["90 second", "11 minute"];
    // Quantities the command refuses whatever the product: asked of the first product only, so
    // the test spawns half the commands it would crossing them with every product.
    let refused = ["-5 second", "abc", "3 gold", "1,5 second"];
    for (source, book, at) in sources {
        for plan in plans {
            for (p, product) in products.into_iter().enumerate() {
                let asked: &[&str] = if p == 0 {
                    &[quantities.as_slice(), refused.as_slice()].concat()
                } else {
                    &quantities
                };
                for &quantity in asked {
                    let mut cli = vec![
                        "quote",
                        source,
                        "--product",
                        product,
                        "--quantity",
                        quantity,
                        "--format",
                        "json",
                    ];
                    let mut q = json!({"book": book, "product": product, "quantity": quantity});
                    if let Some(p) = plan {
                        cli.extend(["--plan", p]);
                        q["plan"] = p.into();
                    }
                    if let Some(d) = at {
                        cli.extend(["--at", d]);
                        q["at"] = d.into();
                    }
                    cli_and_service(&mut c, &cli, "/v1/quote", &q);
                    compared += 1;
                }
                let mut cli = vec![
                    "capacity",
                    source,
                    "--product",
                    product,
                    "--unit",
                    "minute",
                    "--format",
                    "json",
                ];
                let mut q = json!({"book": book, "product": product, "unit": "minute"});
                if let Some(p) = plan {
                    cli.extend(["--plan", p]);
                    q["plan"] = p.into();
                }
                if let Some(d) = at {
                    cli.extend(["--at", d]);
                    q["at"] = d.into();
                }
                cli_and_service(&mut c, &cli, "/v1/capacity", &q);
                compared += 1;
            }
        }
    }
    // Dimensions (as a list and as a map), attributes, explain.
    let enterprise = "pricebooks/heygen/enterprise.pricebook";
    for (megabytes, explain) in [("99", true), ("101", false), ("1 gold", false)] {
        let mut cli = vec![
            "quote",
            enterprise,
            "--plan",
            "mmc-1000",
            "--product",
            "Video Generation",
            "--dim",
            "Digital Twin",
            "--dim",
            "engine=IV",
            "--quantity",
            "1 minute",
            "--format",
            "json",
        ];
        let attr = format!("video resource file size megabytes={megabytes}");
        cli.extend(["--attr", &attr]);
        if explain {
            cli.push("--explain");
        }
        for dims in [
            json!(["Digital Twin", "engine=IV"]),
            json!({"avatar_type": "Digital Twin", "engine": "IV"}),
        ] {
            let q = json!({
                "book": "heygen", "at": "2026-06-05", "plan": "mmc-1000", "product": "Video Generation",
                "dims": dims, "quantity": "1 minute", "explain": explain,
                "attrs": {"video resource file size megabytes": megabytes},
            });
            cli_and_service(&mut c, &cli, "/v1/quote", &q);
            compared += 1;
        }
    }
    // Every source and plan: each product's quantities and capacity, and the refused quantities;
    // then three attribute questions, each with the dimensions as a list and as a map.
    let expected = sources.len() * plans.len() * (products.len() * 3 + refused.len()) + 6;
    assert_eq!(compared, expected);
}

#[test]
fn bills_and_rates_are_the_commands_answers() {
    let server = Server::start(BOOKS);
    let mut c = server.client();
    let text = |p: &str| std::fs::read_to_string(p).expect("a usage file");
    let usages = [
        "tests/bills/creator-20-min-avatar.jsonl",
        "tests/bills/creator-20-min-avatar-with-pack.jsonl",
        "tests/bills/bad-lines.jsonl",
        "tests/bills/limits-reject.jsonl",
        "tests/bills/live-avatars-carve-out.jsonl",
        "tests/bills/minutes-overage-2024.jsonl",
        "tests/bills/pack-rolls-over.jsonl",
        "tests/bills/auto-recharge-cap.jsonl",
        "tests/bills/annual-front-load.jsonl",
        // Across the Live Avatars launch: priced by 2025-05, then 2025-07.
        "tests/bills/hedra-live-avatars-launch.csv",
    ];
    for usage in usages {
        for plan in ["creator", "basic", "professional"] {
            for extra in [
                &[][..],
                &["--periods", "3"],
                &["--billing", "annual"],
                &["--auto-recharge", "below=1000,to=5000,cap=200"],
            ] {
                let mut cli = vec![
                    "bill",
                    "pricebooks/hedra",
                    "--usage",
                    usage,
                    "--plan",
                    plan,
                    "--format",
                    "json",
                ];
                cli.extend(extra);
                let mut q = json!({"book": "hedra", "plan": plan, "usage": text(usage)});
                match extra {
                    ["--periods", n] => q["periods"] = n.parse::<u32>().expect("n").into(),
                    ["--billing", b] => q["billing"] = (*b).into(),
                    ["--auto-recharge", s] => q["auto_recharge"] = (*s).into(),
                    _ => {}
                }
                let o = pricebook(&cli);
                let r = c.post("/v1/bill", &q.to_string());
                if o.status.code() == Some(2) || stdout(&o).contains("\"error\"") {
                    assert_ne!(r.status, 200, "{cli:?}");
                    assert!(r.status < 500, "{cli:?}");
                    continue;
                }
                assert_eq!((r.status, r.text()), (200, stdout(&o)), "{cli:?}");
            }
        }
    }
    // Events listed in JSON, and a contract's terms sent with the question.
    let listed: Vec<serde_json::Value> = text("tests/bills/creator-20-min-avatar-with-pack.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("an event"))
        .collect();
    let o = pricebook(&[
        "bill",
        "pricebooks/hedra",
        "--usage",
        "tests/bills/creator-20-min-avatar-with-pack.jsonl",
        "--plan",
        "creator",
        "--format",
        "json",
    ]);
    let r = c.post(
        "/v1/bill",
        &json!({"book": "hedra", "plan": "creator", "usage": listed}).to_string(),
    );
    assert_eq!((r.status, r.text()), (200, stdout(&o)));
    let o = pricebook(&[
        "bill",
        "pricebooks/heygen/enterprise.pricebook",
        "--usage",
        "tests/bills/mmc-5000.csv",
        "--plan",
        "acme",
        "--contract",
        "tests/bills/acme-contract.pricebook",
        "--format",
        "json",
    ]);
    let q = json!({"book": "heygen", "at": "2026-06-05", "plan": "acme", "usage": text("tests/bills/mmc-5000.csv"), "contract": text("tests/bills/acme-contract.pricebook")});
    let r = c.post("/v1/bill", &q.to_string());
    assert_eq!((r.status, r.text()), (200, stdout(&o)));

    // Rating: CSV and JSON Lines, by each grouping.
    let jsonl = "{\"account\": \"ada\", \"plan\": \"starter\", \"product\": \"avatar\", \"quantity\": \"90.5 second\"}\n{\"account\": \"bob\", \"product\": \"paint\", \"quantity\": 1}\n";
    let dir = scratch("rate");
    let jsonl_file = write(&dir, "events.jsonl", jsonl);
    for (file, content_type) in [
        ("docs/examples/quickstart-events.csv", "text/csv"),
        (jsonl_file.as_str(), "application/x-ndjson"),
    ] {
        for by in ["account", "plan", "product"] {
            let o = pricebook(&[
                "rate",
                "docs/examples/quickstart.pricebook",
                "--events",
                file,
                "--by",
                by,
                "--format",
                "json",
            ]);
            let body = std::fs::read(file).expect("an export");
            let r = c.request(
                "POST",
                &format!("/v1/rate?by={by}&book=acme-video"),
                &[("content-type", content_type)],
                &body,
            );
            assert_eq!((r.status, r.text()), (200, stdout(&o)), "{file} by {by}");
        }
    }
}

#[test]
fn answers_as_reviewed() {
    let server = Server::start(BOOKS);
    let mut c = server.client();
    let mut out = String::new();
    for (method, path, body) in [
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra", "plan": "creator", "product": "Hedra Avatar", "quantity": "90 second"}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra", "at": "2025-06-01", "plan": "creator", "product": "video", "dims": ["720p"], "quantity": "2 minutes", "explain": true}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "heygen", "at": "2026-06-05", "plan": "mmc-1000", "product": "video-generation", "dims": {"avatar_type": "Digital Twin", "engine": "IV"}, "attrs": {"video resource file size megabytes": 101}, "quantity": "1 minute"}"#,
        ),
        (
            "POST",
            "/v1/capacity",
            r#"{"book": "hedra", "plan": "creator", "product": "hedra-avatar", "unit": "minute"}"#,
        ),
        (
            "POST",
            "/v1/bill",
            r#"{"book": "acme-video", "usage": "time,product,quantity\n2026-06-02T10:00:00Z,avatar,90.5 second\n2026-06-15T16:30:00Z,avatar,2 minute\n2026-07-01T09:00:00Z,avatar,45 second\n"}"#,
        ),
        (
            "POST",
            "/v1/rate?by=account",
            "account,plan,product,quantity\nada,starter,avatar,90.5 second\nada,starter,avatar,2 minute\ngrace,Starter,Avatar video,45\nbob,starter,paint,1\n",
        ),
    ] {
        let path = if path.starts_with("/v1/rate") {
            format!("{path}&book=acme-video")
        } else {
            path.to_string()
        };
        out.push_str(&exchange(&mut c, method, &path, body));
    }
    snapshot("serve-questions", &out);
}

#[test]
fn bad_requests_of_every_kind() {
    let dir = scratch("limits");
    let mut args: Vec<String> = BOOKS.iter().map(|s| s.to_string()).collect();
    args.extend([
        "--max-body".into(),
        "2000".into(),
        "--max-rate-body".into(),
        "5000".into(),
    ]);
    let server = Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut c = server.client();
    let mut out = String::new();
    for (method, path, body) in [
        ("POST", "/v1/quote", "not json"),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra", "product": 5, "quantity": "90 second"}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra", "product": "hedra-avatar", "quantity": "90 second", "quantiy": 1}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"product": "hedra-avatar", "quantity": "90 second"}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedr", "product": "hedra-avatar", "quantity": "90 second"}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra/api", "product": "hedra-avatar", "quantity": "90 second"}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra", "at": "2026-13-01", "plan": "creator", "product": "hedra-avatar", "quantity": "90 second"}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra", "at": "2020-01-01", "plan": "creator", "product": "hedra-avatar", "quantity": "90 second"}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra", "plan": "creator", "product": "hedra-avatar", "quantity": "90 second", "used": "ten minutes"}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra", "product": "hedra-avatar", "quantity": "90 second"}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra", "plan": "creator", "product": "hedra-avtar", "quantity": "90 second"}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra", "plan": "creator", "product": "hedra-avatar", "quantity": "90 gold"}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra", "plan": "creator", "product": "hedra-avatar", "quantity": "-5 second"}"#,
        ),
        (
            "POST",
            "/v1/quote",
            r#"{"book": "hedra", "plan": "creator", "product": "hedra-avatar", "quantity": "90 second", "attrs": ["x=1"]}"#,
        ),
        (
            "POST",
            "/v1/capacity",
            r#"{"book": "acme-video", "product": "avatar", "unit": "kilogram"}"#,
        ),
        (
            "POST",
            "/v1/bill",
            r#"{"book": "hedra", "plan": "creator", "usage": [1]}"#,
        ),
        (
            "POST",
            "/v1/bill",
            r#"{"book": "hedra", "plan": "creator", "usage": [], "from": "2026-07-01", "auto_recharge": "below=10,to=5"}"#,
        ),
        (
            "POST",
            "/v1/bill",
            r#"{"book": "hedra", "plan": "creator", "usage": [], "from": "2026-07-01", "wallet": {"grants": 3}}"#,
        ),
        (
            "POST",
            "/v1/bill",
            r#"{"book": "heygen", "at": "2026-06-05", "plan": "mmc-1000", "usage": [], "from": "2026-07-01", "contract": "contract \"X\" as x for heygen list enterprise effective 2026-06-05\nplan \"X\" as x based on nope { }\n"}"#,
        ),
        (
            "POST",
            "/v1/rate?by=plan&book=acme-video&at=2026-06-32",
            "account,plan,product,quantity\n",
        ),
        (
            "POST",
            "/v1/rate?by=colour&book=acme-video",
            "account,plan,product,quantity\n",
        ),
        (
            "POST",
            "/v1/rate?book=acme-video&limit=1",
            "account,plan,product,quantity\n",
        ),
        ("POST", "/v1/rate?book=acme-video", ""),
        (
            "POST",
            "/v1/rate?book=acme-video",
            "account,plan,product,colour\n",
        ),
        ("GET", "/v2/quote", ""),
        ("GET", "/v1/quote", ""),
    ] {
        out.push_str(&exchange(&mut c, method, path, body));
    }
    snapshot("serve-errors", &out);

    // Bodies over the limits: 413, and the connection's next request is still answered (or it
    // is closed, and a new one is).
    let big = format!(
        r#"{{"book": "hedra", "product": "hedra-avatar", "quantity": "90 second", "plan": "{}"}}"#,
        "x".repeat(3000)
    );
    let r = Client::connect(&server.url).post("/v1/quote", &big);
    assert_eq!(
        (r.status, &r.json()["error"]["code"]),
        (413, &json!("body-too-large"))
    );
    let export = format!(
        "account,plan,product,quantity\n{}",
        "ada,starter,avatar,1\n".repeat(400)
    );
    let r = Client::connect(&server.url).request(
        "POST",
        "/v1/rate?book=acme-video",
        &[("content-type", "text/csv")],
        export.as_bytes(),
    );
    assert_eq!(
        (r.status, &r.json()["error"]["code"]),
        (413, &json!("body-too-large"))
    );

    // Never a 500: malformed bodies of many shapes to every question.
    let shapes = [
        "",
        "{",
        "[]",
        "null",
        "1",
        "\"x\"",
        "{}",
        r#"{"product": null}"#,
        r#"{"product": "a", "quantity": ""}"#,
        r#"{"product": "a", "quantity": "1 second", "dims": 5}"#,
        r#"{"usage": {}}"#,
        r#"{"usage": "{\n"}"#,
        r#"{"periods": -1}"#,
        r#"{"periods": 99999999999}"#,
        r#"{"billing": "weekly"}"#,
        "\u{0}\u{1}\u{2}",
        r#"{"book": "hedra", "plan": "creator", "product": "hedra-avatar", "quantity": "99999999999999999999999999999 second"}"#,
        r#"{"book": "hedra", "plan": "creator", "usage": [{"time": "x"}], "periods": 1200}"#,
    ];
    let mut fresh = server.client();
    for path in [
        "/v1/quote",
        "/v1/capacity",
        "/v1/bill",
        "/v1/rate?book=hedra",
    ] {
        for body in shapes {
            let r = fresh.post(path, body);
            assert!(r.status < 500, "{path} {body:?}: {} {}", r.status, r.text());
            let answer = r.json();
            assert!(
                r.status == 200 || answer["error"]["code"].is_string(),
                "{path} {body:?}: {}",
                r.text()
            );
        }
    }
    drop(dir);
}

#[test]
fn the_token_guards_v1_only() {
    let dir = scratch("token");
    let token_file = write(&dir, "token", "s3cret-token\n");
    let server = Server::start(&["pricebooks/hedra", "--token-file", &token_file]);
    let mut c = server.client();
    let q = r#"{"plan": "creator", "product": "hedra-avatar", "quantity": "90 second"}"#;
    let json = [("content-type", "application/json")];
    let r = c.post("/v1/quote", q);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "unauthorized");
    assert!(
        r.header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer"))
    );
    for wrong in [
        "Bearer s3cret-toke",
        "Bearer s3cret-token2",
        "Basic s3cret-token",
        "s3cret-token",
    ] {
        let r = c.request(
            "POST",
            "/v1/quote",
            &[json[0], ("authorization", wrong)],
            q.as_bytes(),
        );
        assert_eq!(r.status, 401, "{wrong}");
    }
    let r = c.request(
        "POST",
        "/v1/quote",
        &[json[0], ("authorization", "Bearer s3cret-token")],
        q.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(c.get("/v1/books").status, 401);
    for open in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        assert_eq!(c.get(open).status, 200, "{open}");
    }
    let empty = write(&dir, "empty", "\n");
    let o = pricebook(&[
        "serve",
        "pricebooks/hedra",
        "--token-file",
        &empty,
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("is empty"));
}

/// A book, at version `n`: Render costs `n` credits a second.
fn acme(n: u32) -> String {
    format!(
        "pricebook acme version \"v{n}\" effective 2026-01-01 currency USD\nunit credit\nproduct \"Render\" as render {{ measure time  rate {n} credit / second }}\nplan \"Pro\" as pro {{ price 20 USD / month  grant 100000 credit every month, expires at cycle end }}\n"
    )
}

/// Replaces a file as deployments do: write beside it, then rename over it.
fn replace(path: &std::path::Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

#[test]
fn a_reload_storm_never_mixes_versions() {
    let dir = scratch("storm");
    let book = dir.join("acme.pricebook");
    replace(&book, &acme(1));
    let server = Server::start(&[dir.to_str().expect("a path"), "--reload-interval-ms", "20"]);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (url, stop) = (server.url.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut c = Client::connect(&url);
                let mut seen = std::collections::BTreeSet::new();
                let mut answers = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = c.post(
                        "/v1/quote",
                        r#"{"product": "render", "quantity": "10 second"}"#,
                    );
                    assert_eq!(r.status, 200, "{}", r.text());
                    // The charge is the version's: v<n> charges 10·n credits.
                    let version = r.header("pricebook-book").expect("the version").to_string();
                    let n: u32 = version
                        .trim_start_matches("acme@v")
                        .parse()
                        .expect("a version");
                    assert_eq!(
                        r.json()["charge"]["amount"],
                        (10 * n).to_string(),
                        "{version}"
                    );
                    seen.insert(n);
                    answers += 1;
                }
                (seen, answers)
            })
        })
        .collect();
    // Versions 2..=30, each served a moment; a broken book in between is not swapped in.
    let mut c = server.client();
    for n in 2..=30u32 {
        replace(&book, &acme(n));
        if n % 10 == 0 {
            std::thread::sleep(Duration::from_millis(60));
            replace(&book, &acme(n).replace("rate", "rat"));
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                let listed = c.get("/v1/books").json();
                let entry = &listed["books"][0];
                if entry["error"]["code"] == "book-has-errors" {
                    assert!(
                        entry["version"].is_string(),
                        "the last good version serves: {entry}"
                    );
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the failed reload is not listed: {listed}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        std::thread::sleep(Duration::from_millis(60));
    }
    replace(&book, &acme(31));
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.get("/v1/books").json()["books"][0]["version"] != "v31" {
        assert!(Instant::now() < deadline, "v31 was not picked up");
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut versions = std::collections::BTreeSet::new();
    let mut answers = 0;
    for t in clients {
        let (seen, n) = t.join().expect("a client never saw an error");
        versions.extend(seen);
        answers += n;
    }
    assert!(versions.len() >= 10, "answers came from {versions:?} only");
    let metrics = c.get("/metrics").text();
    assert!(
        metrics.contains("pricebook_reloads_total{outcome=\"failed\"} "),
        "{metrics}"
    );
    assert!(
        !metrics.contains("pricebook_reloads_total{outcome=\"loaded\"} 0"),
        "{metrics}"
    );
    drop(c);
    let mut server = server;
    let (_, log) = server.stop();
    assert!(log.contains("book does not check; not swapped in"), "{log}");
    assert!(answers > 100, "{answers}");
}

#[test]
fn operations_endpoints_and_the_openapi_document() {
    let server = Server::start(BOOKS);
    let mut c = server.client();
    assert_eq!(c.get("/healthz").json(), json!({"status": "ok"}));
    let ready = c.get("/readyz");
    assert_eq!(
        (ready.status, &ready.json()["status"]),
        (200, &json!("ready"))
    );
    let books = c.get("/v1/books").json();
    let list = books["books"].as_array().expect("a list");
    assert_eq!(list.len(), 9);
    let mut shown = String::new();
    for b in list {
        assert!(
            b["source_hash"].as_str().is_some_and(|h| h.len() == 64),
            "{b}"
        );
        shown.push_str(&format!(
            "{} {} {} {} {} error={}\n",
            b["vendor"], b["list"], b["version"], b["effective"], b["source"], b["error"]
        ));
    }
    snapshot("serve-books", &shown);
    c.post("/v1/quote", r#"{"book": "hedra", "plan": "creator", "product": "hedra-avatar", "quantity": "90 second"}"#);
    let metrics = c.get("/metrics");
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain"))
    );
    let m = metrics.text();
    for line in [
        "pricebook_requests_total{endpoint=\"/v1/quote\",status=\"200\"} 1",
        "pricebook_request_duration_seconds_count{endpoint=\"/v1/quote\"} 1",
        "pricebook_book_info{vendor=\"hedra\",list=\"\",version=\"2026-06\",effective=\"2026-06-04\",source_hash=\"",
        "pricebook_books_loaded 9",
        "pricebook_ready 1",
        "pricebook_reloads_total{outcome=\"failed\"} 0",
    ] {
        assert!(m.contains(line), "no `{line}` in\n{m}");
    }
    for l in m.lines().filter(|l| !l.starts_with('#')) {
        assert!(l.starts_with("pricebook_"), "{l}");
    }

    // The document is generated from the handlers; docs/openapi.json is its copy.
    let served = c.get("/openapi.json").text();
    let doc: serde_json::Value = serde_json::from_str(&served).expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/v1/quote",
        "/v1/capacity",
        "/v1/bill",
        "/v1/rate",
        "/v1/books",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} is not in the document"
        );
    }
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&committed, &served).expect("write docs/openapi.json");
    }
    let on_disk = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        on_disk == served,
        "docs/openapi.json is not the service's document: run `UPDATE_OPENAPI=1 cargo test --test serve operations` and review the diff"
    );
}

#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let mut server = Server::start(&["docs/examples/quickstart.pricebook", "--log-format", "json"]);
    let mut c = server.client();
    let export = "account,plan,product,quantity\nada,starter,avatar,90.5 second\n";
    // Half a request, then SIGTERM, then the rest: the answer still comes.
    c.send_head(
        "POST",
        "/v1/rate",
        &[("content-type", "text/csv")],
        export.len(),
    );
    c.send_body(&export.as_bytes()[..20]);
    std::thread::sleep(Duration::from_millis(200));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status();
    std::thread::sleep(Duration::from_millis(300));
    c.send_body(&export.as_bytes()[20..]);
    let r: Response = c.read_response();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["totals"][0]["amount"], "637");
    let (status, log) = server.stop();
    assert_eq!(status, Some(0), "{log}");
    // Structured logs: every line is a JSON object; the request's names its book and latency.
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let request = lines
        .iter()
        .find(|l| l["path"] == "/v1/rate")
        .unwrap_or_else(|| panic!("no request line in {log}"));
    assert_eq!(request["status"], 200);
    assert_eq!(request["book"], "acme-video@2026-06");
    assert!(request["latency_ms"].is_number());
    assert!(lines.iter().any(|l| l["msg"] == "stopped"), "{log}");
}

#[test]
fn startup_errors_are_the_commands() {
    let o = pricebook(&["serve", "no/such/dir", "--listen", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("cannot read `no/such/dir`"),
        "{}",
        common::stderr(&o)
    );
    let o = pricebook(&["serve", "pricebooks", "--listen", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("--listen `nowhere` is not an address"));
}
