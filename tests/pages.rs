//! Pictures from the book: `pricebook burn` (reviewed tables, the CSV contract, agreement with
//! `capacity`), `pricebook diff --format markdown` (reviewed comments), `pricebook page` (the
//! HTML's structure, self-containment and key figures), the page rendered by headless Chromium
//! (a screenshot's size and pixels, the DOM's text), and the calculator served by `pricebook
//! serve`, priced in Chromium against the running service.
//!
//! Chromium is Debian's `chromium` package; without it the browser tests say so and pass, unless
//! `PRICEBOOK_REQUIRE_CHROMIUM=1` (CI) makes its absence a failure.

mod common;
use common::http::Server;
use common::{pricebook, scratch, stdout};
use std::path::{Path, PathBuf};
use std::process::Command;

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "snapshots" }, {
        insta::assert_snapshot!(name, text);
    });
}

fn ok(args: &[&str]) -> String {
    let o = pricebook(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}{}",
        stdout(&o),
        common::stderr(&o)
    );
    stdout(&o)
}

#[test]
fn burn_tables() {
    let md = ok(&["burn", "pricebooks/hedra"]);
    snapshot("burn-hedra-2026-06", &md);
    // Seed 000's Archetype 1, row by row.
    assert!(md.contains("| Hedra Avatar | 7 credit / second | 214 second (3.6 min) | 771 second (12.9 min) | 2,057 second (34.3 min) |"), "{md}");
    assert!(md.contains("| Sora 2 Pro | 70 credit / second | 21 second | 77 second (1.3 min) | 205 second (3.4 min) |"), "{md}");
    snapshot(
        "burn-heygen-enterprise",
        &ok(&["burn", "pricebooks/heygen/enterprise.pricebook"]),
    );

    let csv = ok(&[
        "burn",
        "pricebooks/hedra",
        "--plan",
        "basic",
        "--plan",
        "creator",
        "--product",
        "veo-3",
        "--product",
        "Sora 2 Pro",
        "--format",
        "csv",
    ]);
    assert_eq!(
        csv,
        "plan,product,quantity,unit,dims,friendly,note\n\
         basic,veo-3,27,second,,,\n\
         basic,sora-2-pro,21,second,,,\n\
         creator,veo-3,98,second,,1.6 min,\n\
         creator,sora-2-pro,77,second,,1.3 min,\n"
    );
    // Every quantity is what `pricebook capacity` answers.
    let json: serde_json::Value = serde_json::from_str(&ok(&[
        "burn",
        "pricebooks/heygen/enterprise.pricebook",
        "--format",
        "json",
    ]))
    .expect("JSON");
    let rows = json["rows"].as_array().expect("rows");
    assert!(rows.len() > 30);
    for r in rows.iter().step_by(7) {
        let mut args = vec![
            "capacity".to_string(),
            "pricebooks/heygen/enterprise.pricebook".into(),
            "--plan".into(),
            r["plan"].as_str().expect("a plan").into(),
            "--product".into(),
            r["product"].as_str().expect("a product").into(),
            "--format".into(),
            "json".into(),
        ];
        for (k, v) in r["dims"].as_object().expect("dims") {
            args.push("--dim".into());
            args.push(format!("{k}={}", v.as_str().expect("a value")));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let cap: serde_json::Value =
            serde_json::from_slice(&pricebook(&args).stdout).expect("capacity JSON");
        assert_eq!(r["quantity"], cap["quantity"]["value"], "{args:?}");
    }
    // A name the book does not have is an error, with its code.
    let o = pricebook(&["burn", "pricebooks/hedra", "--product", "sora 3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(common::stderr(&o).contains("unknown product `sora 3`"));
}

#[test]
fn diff_as_a_pull_request_comment() {
    let md = ok(&[
        "diff",
        "docs/examples/quickstart.pricebook",
        "docs/examples/price-rise/quickstart.pricebook",
        "--usage",
        "docs/examples/quickstart-usage.csv",
        "--format",
        "markdown",
    ]);
    snapshot("diff-markdown-price-rise", &md);
    assert!(md.starts_with("<!-- pricebook diff -->\n"));
    assert!(md.contains(
        "| ▲ | `avatar` Avatar video | rate | 7 credit / second | 8 credit / second | ▲ +14.29% |"
    ));
    assert!(md.contains("| Starter `starter` | 1792 credit, **17.92 USD** | 2048 credit, **20.48 USD** | ▲ +14.29% |"));
    let md = ok(&[
        "diff",
        "pricebooks/hedra/2025-05.pricebook",
        "pricebooks/hedra/2026-06.pricebook",
        "--format",
        "markdown",
    ]);
    snapshot("diff-markdown-hedra-2025-05-2026-06", &md);
}

/// The tags of an HTML text that must close, checked to nest.
fn assert_well_nested(html: &str, name: &str) {
    const VOID: &[&str] = &["meta", "br", "input", "img", "hr", "link", "source", "wbr"];
    // SVG elements written self-closed.
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    // Scripts and styles are text, not tags.
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest
            .find('>')
            .unwrap_or_else(|| panic!("{name}: an unclosed tag"));
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let closing = tag.starts_with('/');
        let tname: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if closing {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("{name}: `</{tname}>` closes nothing"));
            assert_eq!(open, tname, "{name}: `<{open}>` closed by `</{tname}>`");
        } else if !tag.ends_with('/') && !VOID.contains(&tname.as_str()) {
            if tname == "script" || tname == "style" {
                let close = format!("</{tname}>");
                let at = rest
                    .find(&close)
                    .unwrap_or_else(|| panic!("{name}: no {close}"));
                rest = &rest[at + close.len()..];
                continue;
            }
            stack.push(tname);
        }
    }
    assert!(stack.is_empty(), "{name}: never closed: {stack:?}");
}

fn site() -> PathBuf {
    let dir = scratch("site");
    let out = ok(&["page", "pricebooks", "-o", &dir.display().to_string()]);
    assert!(out.starts_with("wrote 11 pages to "), "{out}");
    dir
}

#[test]
fn the_site_is_self_contained_accessible_html() {
    let dir = site();
    for page in [
        "index.html",
        "hedra/index.html",
        "hedra/2024-11.html",
        "hedra/2026-06.html",
        "heygen/enterprise.html",
        "heygen/index.html",
    ] {
        let html =
            std::fs::read_to_string(dir.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(
            html.starts_with("<!doctype html>\n<html lang=\"en\">"),
            "{page}"
        );
        assert_well_nested(&html, page);
        // Nothing to load: no external script, style sheet, image, font or frame.
        for external in [
            "src=",
            "<link",
            "url(",
            "@import",
            "href=\"http",
            "href=\"//",
        ] {
            assert!(!html.contains(external), "{page} loads `{external}`");
        }
        assert_eq!(html.matches("<h1>").count(), 1, "{page}");
        // Semantic tables: a caption and column headers each.
        assert_eq!(
            html.matches("<table>").count(),
            html.matches("<caption>").count(),
            "{page}"
        );
        // Charts say what they show.
        for svg in html.split("<svg").skip(1) {
            assert!(
                svg.starts_with(" xmlns=\"http://www.w3.org/2000/svg\""),
                "{page}"
            );
            let head = &svg[..svg.find("</desc>").expect("a desc")];
            assert!(
                head.contains("role=\"img\"") && head.contains("<title id="),
                "{page}"
            );
        }
        let ids: Vec<&str> = html
            .split(" id=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').expect("an id")])
            .collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(ids.len(), unique.len(), "{page}: an id twice");
    }
    let hedra = std::fs::read_to_string(dir.join("hedra/index.html")).expect("the page");
    for figure in [
        "<h1>hedra pricing</h1>",
        "<p class=\"price\">30 USD / month</p>",
        "214 second (3.6 min)",
        "2,057 second (34.3 min)",
        "0.04 USD per 1 second",
        "From 3,901 credit a month Creator is cheaper.",
        "From 12,601 credit a month Professional is cheaper.",
        "@media (prefers-color-scheme: dark)",
        "@media print",
        "What changed from 2025-07",
        "start <code>pricebook serve",
    ] {
        assert!(hedra.contains(figure), "no `{figure}` on the page");
    }
    // The history lists every version, the latest one current; each has its own page.
    assert_eq!(hedra.matches("<li><a href=\"20").count(), 4);
    assert!(hedra.contains("2026-06</a>, in force from 2026-06-04 (current)"));
    assert_eq!(
        std::fs::read_to_string(dir.join("hedra/2026-06.html")).expect("the version's page"),
        hedra
    );
    // A single book is a site of one page; the same book gives the same page.
    let one = scratch("one");
    ok(&[
        "page",
        "pricebooks/heygen/contract-globex.pricebook",
        "-o",
        &one.display().to_string(),
    ]);
    let contract = std::fs::read_to_string(one.join("index.html")).expect("the page");
    assert!(contract.contains("Globex credit package"));
    assert!(!contract.contains("id=\"history\""));
    let _ = std::fs::remove_dir_all(one);
    let _ = std::fs::remove_dir_all(dir);
}

// ------------------------------------------------------------------------------------------------
// Headless Chromium

/// The browser, when it is installed: `$CHROMIUM`, or `chromium` / `chromium-browser` on the
/// path. Without it the test says how to install it and passes, unless CI asks for it.
fn chromium(test: &str) -> Option<PathBuf> {
    let candidates = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["chromium", "chromium-browser"].map(PathBuf::from));
    for c in candidates {
        let found = Command::new(&c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return Some(c);
        }
    }
    let message = format!(
        "{test}: skipped: Chromium is not installed (Debian: `apt-get install -y chromium`, or set CHROMIUM)"
    );
    assert!(
        std::env::var_os("PRICEBOOK_REQUIRE_CHROMIUM").is_none(),
        "{message}, and PRICEBOOK_REQUIRE_CHROMIUM is set"
    );
    eprintln!("{message}");
    None
}

/// Runs headless Chromium with a fresh profile and no network of its own; `args` say what to do.
fn headless(browser: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

/// A PNG's width, height and pixels (RGBA), for the 8-bit RGB(A) images Chromium writes.
fn decode_png(bytes: &[u8]) -> (usize, usize, Vec<[u8; 4]>) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (mut at, mut idat) = (8, Vec::new());
    let (mut width, mut height, mut channels) = (0usize, 0usize, 0usize);
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let kind = &bytes[at + 4..at + 8];
        let data = &bytes[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().expect("4 bytes")) as usize;
                height = u32::from_be_bytes(data[4..8].try_into().expect("4 bytes")) as usize;
                assert_eq!(data[8], 8, "8 bits a channel");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    other => panic!("colour type {other}"),
                };
                assert_eq!(data[12], 0, "not interlaced");
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&idat).expect("deflate");
    let stride = width * channels;
    let mut out: Vec<u8> = Vec::with_capacity(height * stride);
    let mut prev = vec![0u8; stride];
    for y in 0..height {
        let line = &raw[y * (stride + 1)..(y + 1) * (stride + 1)];
        let (filter, data) = (line[0], &line[1..]);
        let mut cur = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= channels { cur[i - channels] } else { 0 } as i16;
            let b = prev[i] as i16;
            let c = if i >= channels { prev[i - channels] } else { 0 } as i16;
            let pred = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                f => panic!("filter {f}"),
            };
            cur[i] = data[i].wrapping_add(pred as u8);
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    let pixels = out
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2], if channels == 4 { p[3] } else { 255 }])
        .collect();
    (width, height, pixels)
}

#[test]
fn chromium_renders_the_static_page() {
    let Some(browser) = chromium("chromium_renders_the_static_page") else {
        return;
    };
    let dir = scratch("chromium");
    ok(&["page", "pricebooks/hedra", "-o", &dir.display().to_string()]);
    let page = std::fs::canonicalize(dir.join("index.html")).expect("the page");
    let url = format!("file://{}", page.display());
    let shot = dir.join("page.png");
    let o = headless(
        &browser,
        &dir.join("profile"),
        &[
            "--window-size=1280,2400",
            &format!("--screenshot={}", shot.display()),
            &url,
        ],
    );
    let png = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("no screenshot ({e}): {}", common::stderr(&o)));
    let (w, h, pixels) = decode_png(&png);
    assert_eq!((w, h), (1280, 2400));
    let has = |rgb: [u8; 3]| pixels.iter().filter(|p| p[..3] == rgb).count();
    // The light background, the text, and the first chart series (Basic's bars) are drawn.
    assert_eq!(pixels[0][..3], [0xff, 0xff, 0xff], "the page's background");
    assert!(has([0xff, 0xff, 0xff]) > w * h / 2, "mostly background");
    assert!(
        has([0x1b, 0x1f, 0x24]) > 1000,
        "text in the foreground colour"
    );
    assert!(has([0xf6, 0xf8, 0xfa]) > 1000, "table headers");
    // The DOM: the key figures as a reader's browser has them.
    let dom = stdout(&headless(
        &browser,
        &dir.join("profile"),
        &["--dump-dom", &url],
    ));
    for figure in [
        "<h1>hedra pricing</h1>",
        "214 second (3.6 min)",
        "From 3,901 credit a month Creator is cheaper.",
        "aria-labelledby=\"burn-chart-t burn-chart-d\"",
    ] {
        assert!(dom.contains(figure), "the DOM has no `{figure}`");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_service_serves_pages_and_the_calculator_prices_through_it() {
    let server = Server::start(&["pricebooks"]);
    let mut c = server.client();
    let index = c.get("/page/");
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    for link in [
        "<a href=\"/page/hedra\">hedra</a>",
        "<a href=\"/page/heygen\">heygen</a>",
    ] {
        assert!(index.text().contains(link), "{}", index.text());
    }
    let page = c.get("/page/hedra");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert_well_nested(&html, "/page/hedra");
    assert!(html.contains("<form id=\"calculator-form\" class=\"calculator\" data-book=\"hedra\" data-from=\"2026-06-04\">"));
    assert!(html.contains("214 second (3.6 min)"));
    let missing = c.get("/page/nobody");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "unknown-book");
    assert!(
        c.get("/metrics")
            .text()
            .contains("pricebook_requests_total{endpoint=\"/page\",status=\"200\"} 2")
    );

    let Some(browser) = chromium("the_service_serves_pages_and_the_calculator_prices_through_it")
    else {
        return;
    };
    // A shared link: the plan, the cadence and the usage mix are in the URL, and the page
    // prices them on load.
    let dir = scratch("calculator");
    let url = format!(
        "{}/page/hedra?plan=creator&billing=monthly&use=hedra-avatar:20%20minute&use=sora-2-pro:10%20second",
        server.url
    );
    let o = headless(
        &browser,
        &dir.join("profile"),
        &["--virtual-time-budget=10000", "--dump-dom", &url],
    );
    let dom = stdout(&o);
    let output = &dom[dom.find("<output").expect("the output")..];
    let output = &output[..output.find("</output>").expect("its end")];
    for figure in [
        "<th scope=\"row\">Hedra Avatar</th><td>20 minute</td><td class=\"num\">8400 credit</td><td class=\"num\">46.67 USD</td>",
        "<th scope=\"row\">Sora 2 Pro</th><td>10 second</td><td class=\"num\">700 credit</td><td class=\"num\">3.89 USD</td>",
        "A monthly bill for this month: 30.00 USD",
        "Not billed: the wallet holds 5400 credit but the event needs 8400 credit",
    ] {
        assert!(output.contains(figure), "no `{figure}` in {output}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
