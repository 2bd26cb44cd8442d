//! `pricebook lsp` as an editor meets it, over stdio with real JSON-RPC, against baselines
//! measured in the same run:
//!
//! - diagnostics after an edit on a generated book of 10,000 products (100 plans, worked
//!   examples): the time from sending an incremental `didChange` (one rate changed) to receiving
//!   that version's `publishDiagnostics`, with the debounce at 0 so the figure is the checking
//!   (editors add the debounce, 15 ms by default); baseline: `pricebook::check_book` of the same
//!   text in process (parse, check, compile, worked examples: what `pricebook check` does);
//! - hover (a plan's burn table, a product's prices on each plan) and completion (names after
//!   `product`, units after a number) on the bundled books; baseline: the round trip of a hover
//!   that finds nothing (a comment), which is the transport and the lookup of the analysis.
//!
//! `cargo bench --bench lsp` runs it in full; `cargo test --benches` (as CI does) runs it on a
//! 1,000-product book with a few samples each, as a smoke test. Every answer is checked to be
//! the expected one, every wait is bounded, and the server is the real binary.

#[path = "../tests/common/lsp.rs"]
mod lsp_client;

use lsp_client::{Client, uri};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

struct Scale {
    products: usize,
    edits: usize,
    requests: usize,
}

/// A book of `products` products (every tenth priced by resolution), 100 plans with a monthly
/// grant, and worked examples; it checks clean.
fn generated_book(products: usize) -> String {
    let mut out = String::from(
        "pricebook bench version \"1\" effective 2026-01-01 currency USD\n\nunit credit\n\n\
         dimension resolution { 720p, 1080p, 4K }\n\n",
    );
    for i in 0..products {
        let rate = i % 50 + 1;
        if i % 10 == 0 {
            let _ = writeln!(
                out,
                "product \"Render {i}\" as render-{i} {{\n  measure time\n  dims resolution\n  \
                 rate 720p = {rate} credit / second\n  rate 1080p = {} credit / second\n  \
                 rate 4K = {} credit / second\n  round up to 1 second\n}}\n",
                rate * 2,
                rate * 4
            );
        } else {
            let _ = writeln!(
                out,
                "product \"Video {i}\" as video-{i} {{\n  measure time\n  rate {rate} credit / second\n  \
                 round up to 1 second\n}}\n"
            );
        }
    }
    for j in 0..100 {
        let _ = writeln!(
            out,
            "plan \"Plan {j}\" as plan-{j} {{\n  price {} USD / month\n  \
             grant {} credit every month, expires at cycle end\n}}\n",
            10 + j,
            1000 * (j + 1)
        );
    }
    for j in 0..10 {
        let _ = writeln!(
            out,
            "test \"plan {j}\" {{\n  quote plan plan-{j} product video-1 quantity 10 second == 20 credit\n  \
             capacity plan plan-{j} product video-1 == {} second\n}}\n",
            1000 * (j + 1) / 2
        );
    }
    out
}

fn summary(label: &str, mut samples: Vec<Duration>, baseline: Option<(&str, Duration)>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = samples[samples.len() / 2];
    let p95 = samples[(samples.len() * 95 / 100).min(samples.len() - 1)];
    let mut line = format!(
        "{label:<52} median {:>8.2} ms  p95 {:>8.2} ms  (n={})",
        ms(median),
        ms(p95),
        samples.len()
    );
    if let Some((name, b)) = baseline {
        let _ = write!(line, "  = {:.2}x {name}", ms(median) / ms(b).max(1e-6));
    }
    println!("{line}");
}

/// The position of the first occurrence of `needle` in `text`, plus `shift` characters.
fn find(text: &str, needle: &str, shift: usize) -> Value {
    let offset = text.find(needle).expect("the needle") + shift;
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let col = offset - before.rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": col})
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let scale = if full {
        Scale {
            products: 10_000,
            edits: 30,
            requests: 300,
        }
    } else {
        Scale {
            products: 1_000,
            edits: 3,
            requests: 10,
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("pricebook-bench-lsp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");

    // Diagnostics on a big book.
    let book = generated_book(scale.products);
    let check = pricebook::check_book(&book);
    assert!(
        check.diagnostics.is_empty(),
        "the generated book checks clean: {:?}",
        check.diagnostics.first().map(|d| &d.message)
    );
    let mut baseline = Vec::new();
    for _ in 0..scale.edits.min(10) {
        let start = Instant::now();
        let c = pricebook::check_book(std::hint::black_box(&book));
        baseline.push(start.elapsed());
        assert!(c.diagnostics.is_empty());
    }
    baseline.sort();
    let check_median = baseline[baseline.len() / 2];
    println!(
        "lsp bench: {} products, {} KB of text",
        scale.products,
        book.len() / 1024
    );
    summary("in process: check_book (baseline)", baseline, None);

    let path = dir.join("big.pricebook");
    std::fs::write(&path, &book).expect("write");
    let mut c = Client::start(&dir, &["--debounce-ms", "0"]);
    let doc = uri(&path);
    let start = Instant::now();
    c.open(&doc, &book);
    let first = c.diagnostics(&doc, Some(1));
    let opened = start.elapsed();
    assert_eq!(first["diagnostics"], json!([]));
    println!(
        "open to first diagnostics: {:.1} ms",
        opened.as_secs_f64() * 1000.0
    );
    // Each edit changes the rate of the last product, and then changes it back, one character,
    // as typing does; the edit that makes it wrong (a unit misspelt) is published with its error.
    let last = book.rfind("rate ").expect("a rate");
    let at = {
        let before = &book[..last];
        json!({"line": before.matches('\n').count(), "character": last - before.rfind('\n').map_or(0, |i| i + 1) + 5})
    };
    let mut samples = Vec::new();
    let mut text = book.clone();
    for i in 0..scale.edits {
        let version = i as i64 + 2;
        let (insert, wrong) = if i % 2 == 0 {
            ("9", false)
        } else {
            ("x", true)
        };
        let start = Instant::now();
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": doc, "version": version},
                "contentChanges": [{"range": {"start": at, "end": {"line": at["line"], "character": at["character"].as_u64().unwrap_or(0) + 1}}, "text": insert}]}),
        );
        let d = c.diagnostics(&doc, Some(version));
        samples.push(start.elapsed());
        let offset = last + 5;
        text.replace_range(offset..offset + 1, insert);
        assert_eq!(
            d["diagnostics"].as_array().map_or(0, Vec::len) > 0,
            wrong,
            "edit {i}: {d}"
        );
    }
    summary(
        "lsp: didChange -> publishDiagnostics",
        samples,
        Some(("check_book", check_median)),
    );
    // The diagnostics do not wait for the file's index (names and their uses): the first request
    // that reads it after an edit builds it. Timed here on the big book, a hover on a blank line
    // right after each edit's diagnostics, against the same hover again (index built).
    let blank = json!({"line": 1, "character": 0});
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    for i in 0..scale.edits.min(10) {
        let version = (scale.edits + i) as i64 + 2;
        // Typing the rate's digit and taking it back leaves the book clean after each pair.
        let insert = if i % 2 == 0 { "9" } else { "1" };
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": doc, "version": version},
                "contentChanges": [{"range": {"start": at, "end": {"line": at["line"], "character": at["character"].as_u64().unwrap_or(0) + 1}}, "text": insert}]}),
        );
        c.diagnostics(&doc, Some(version));
        for samples in [&mut cold, &mut warm] {
            let start = Instant::now();
            let r = c.result(
                "textDocument/hover",
                json!({"textDocument": {"uri": doc}, "position": blank}),
            );
            samples.push(start.elapsed());
            assert!(r.is_null(), "a blank line has no hover: {r}");
        }
    }
    let mut sorted = warm.clone();
    sorted.sort();
    let warm_median = sorted[sorted.len() / 2];
    summary(
        "lsp: big book, hover after an edit (index built)",
        warm,
        None,
    );
    summary(
        "lsp: big book, first hover after an edit",
        cold,
        Some(("index built", warm_median)),
    );
    assert!(c.stop().success());

    // Hover and completion on the bundled books.
    let books = root.join("pricebooks");
    let mut c = Client::start(&books, &[]);
    let hedra = books.join("hedra/2026-06.pricebook");
    let hedra_text = std::fs::read_to_string(&hedra).expect("the book");
    let hedra_uri = uri(&hedra);
    c.open(&hedra_uri, &hedra_text);
    c.diagnostics(&hedra_uri, Some(1));
    let time = |c: &mut Client, method: &str, position: Value, check: &dyn Fn(&Value)| {
        let mut samples = Vec::new();
        for _ in 0..scale.requests {
            let start = Instant::now();
            let r = c.result(
                method,
                json!({"textDocument": {"uri": hedra_uri}, "position": position}),
            );
            samples.push(start.elapsed());
            check(&r);
        }
        samples
    };
    let nothing = time(
        &mut c,
        "textDocument/hover",
        find(&hedra_text, "# ", 2),
        &|r| assert!(r.is_null(), "a comment has no hover"),
    );
    let mut sorted = nothing.clone();
    sorted.sort();
    let round_trip = sorted[sorted.len() / 2];
    summary(
        "lsp: hover on a comment (baseline: round trip)",
        nothing,
        None,
    );
    let plan = time(
        &mut c,
        "textDocument/hover",
        find(&hedra_text, "plan \"Creator\" as creator", 20),
        &|r| {
            let md = r["contents"]["value"].as_str().unwrap_or("");
            assert!(
                md.contains("| Hedra Avatar | 7 credit / second | 771 second"),
                "{md}"
            );
        },
    );
    summary(
        "lsp: hover on a plan (burn table, 16 products)",
        plan,
        Some(("round trip", round_trip)),
    );
    let product = time(
        &mut c,
        "textDocument/hover",
        find(&hedra_text, "as hedra-avatar", 5),
        &|r| {
            let md = r["contents"]["value"].as_str().unwrap_or("");
            assert!(md.contains("| Creator | 7 credit |"), "{md}");
        },
    );
    summary(
        "lsp: hover on a product (a quote on each plan)",
        product,
        Some(("round trip", round_trip)),
    );
    let names = time(
        &mut c,
        "textDocument/completion",
        find(&hedra_text, "quote plan creator product ", 27),
        &|r| {
            let labels: Vec<&str> = r
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["label"].as_str())
                .collect();
            assert!(labels.contains(&"hedra-avatar"), "{labels:?}");
        },
    );
    summary(
        "lsp: completion of a product's name",
        names,
        Some(("round trip", round_trip)),
    );
    let units = time(
        &mut c,
        "textDocument/completion",
        find(&hedra_text, "rate 7 credit", 7),
        &|r| {
            let labels: Vec<&str> = r
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["label"].as_str())
                .collect();
            assert!(labels.contains(&"credit"), "{labels:?}");
        },
    );
    summary(
        "lsp: completion of a unit after a number",
        units,
        Some(("round trip", round_trip)),
    );
    assert!(c.stop().success());
    let _ = std::fs::remove_dir_all(dir);
}
