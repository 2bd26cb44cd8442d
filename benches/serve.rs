//! `pricebook serve` under load, against its baselines measured in the same run:
//! - `rater`: the same quote in process through `Rater::quote` (a key resolved once);
//! - `answer`: the same question in process through `answer::quote` (names resolved, the answer
//!   serialized to the JSON the service sends);
//! - `cli`: the same question through a `pricebook quote --format json` process;
//! - `http`: `POST /v1/quote` to the real binary on 127.0.0.1 over 1, 16 and 64 keep-alive
//!   connections, from a load generator written here (one thread, one task per connection),
//!   which records every request's latency for p50 and p99.
//!
//! `cargo bench --bench serve` runs it in full (a few seconds per level); `cargo test --benches`
//! (as CI does) runs each part briefly, as a smoke test. Every answer is checked to be the
//! expected one. Only 127.0.0.1 is contacted, and every loop is bounded in count and time.

use pricebook::Rater;
use pricebook::answer::{self, Books, QuoteQuestion};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

const QUESTION: &str =
    r#"{"book": "hedra", "plan": "creator", "product": "hedra-avatar", "quantity": "90 second"}"#;
const CHARGE: &str = "\"amount\": \"630\"";

struct Scale {
    in_process: u32,
    cli_runs: u32,
    per_level: Duration,
    warmup: Duration,
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let scale = if full {
        Scale {
            in_process: 2_000_000,
            cli_runs: 30,
            per_level: Duration::from_secs(5),
            warmup: Duration::from_secs(1),
        }
    } else {
        Scale {
            in_process: 2_000,
            cli_runs: 2,
            per_level: Duration::from_millis(200),
            warmup: Duration::from_millis(50),
        }
    };
    let root = env!("CARGO_MANIFEST_DIR");
    std::env::set_current_dir(root).expect("the crate root");

    // In process: the rater, then the whole question.
    let books = Books::open(&["pricebooks".into()]).expect("the bundled books");
    let book = books.pick(Some("hedra"), None).expect("hedra");
    let table = &book.opened.table;
    let rater = Rater::new(table);
    let plan = table.find_plan("creator").expect("a plan");
    let product = table.find_product("hedra-avatar").expect("a product");
    let key = rater.key(Some(plan), product, 0).expect("a key");
    let quantity = "90".parse().expect("a decimal");
    let start = Instant::now();
    for _ in 0..scale.in_process {
        let q = rater.quote(std::hint::black_box(key), std::hint::black_box(quantity));
        assert_eq!(q.map(|q| q.charge).ok(), Some("630".parse().expect("630")));
    }
    let rater_ns = start.elapsed().as_nanos() as f64 / f64::from(scale.in_process);

    let question: QuoteQuestion = serde_json::from_str(QUESTION).expect("a question");
    let n = scale.in_process / 20;
    let start = Instant::now();
    for _ in 0..n {
        let q: QuoteQuestion = serde_json::from_str(std::hint::black_box(QUESTION)).expect("q");
        let a = answer::quote(&book.opened, &q).expect("an answer");
        let json = serde_json::to_vec_pretty(&a).expect("JSON");
        assert!(json.len() > 100);
    }
    let answer_ns = start.elapsed().as_nanos() as f64 / f64::from(n);
    drop(question);

    // The command, once per quote.
    let exe = env!("CARGO_BIN_EXE_pricebook");
    let start = Instant::now();
    for _ in 0..scale.cli_runs {
        let o = Command::new(exe)
            .args([
                "quote",
                "pricebooks/hedra",
                "--plan",
                "creator",
                "--product",
                "hedra-avatar",
            ])
            .args(["--quantity", "90 second", "--format", "json"])
            .output()
            .expect("the command runs");
        assert!(String::from_utf8_lossy(&o.stdout).contains(CHARGE));
    }
    let cli_ns = start.elapsed().as_nanos() as f64 / f64::from(scale.cli_runs);

    // The service.
    let mut server = Command::new(exe)
        .args([
            "serve",
            "pricebooks",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the ready line");
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .expect("a URL")
        .to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut levels = Vec::new();
    for connections in [1usize, 16, 64] {
        let _ = runtime.block_on(load(&addr, connections, scale.warmup));
        let cpu_before = cpu_ns(server.id());
        let (count, mut latencies, elapsed) =
            runtime.block_on(load(&addr, connections, scale.per_level));
        // The server's own CPU time per quote: what a core of it answers, whatever else the
        // machine is running (the load generator shares the cores).
        let server_us =
            (cpu_ns(server.id()).saturating_sub(cpu_before)) as f64 / 1e3 / count.max(1) as f64;
        latencies.sort_unstable();
        let at = |p: f64| {
            let i = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
            latencies.get(i).copied().unwrap_or(0) as f64 / 1e6
        };
        levels.push((
            connections,
            count as f64 / elapsed.as_secs_f64(),
            at(0.5),
            at(0.99),
            server_us,
        ));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();

    println!("serve: the same quote (hedra, creator, hedra-avatar, 90 second)");
    println!(
        "  rater    in process, Rater::quote           {rater_ns:>12.0} ns/quote  {:>12.0} quotes/s",
        1e9 / rater_ns
    );
    println!(
        "  answer   in process, JSON in and out        {answer_ns:>12.0} ns/quote  {:>12.0} quotes/s",
        1e9 / answer_ns
    );
    println!(
        "  cli      a pricebook quote process          {:>12.2} ms/quote  {:>12.1} quotes/s",
        cli_ns / 1e6,
        1e9 / cli_ns
    );
    for (c, qps, p50, p99, server_us) in &levels {
        println!(
            "  http     {c:>2} keep-alive connection{}     {qps:>12.0} quotes/s  p50 {p50:.3} ms  p99 {p99:.3} ms  server CPU {server_us:.1} us/quote ({:.0} quotes/s per core)  {:.0}x the cli, 1/{:.0} of the rater",
            if *c == 1 { " " } else { "s" },
            1e6 / server_us.max(0.001),
            qps * cli_ns / 1e9,
            1e9 / rater_ns / qps
        );
    }
}

/// User and system CPU time of a process so far, in nanoseconds (0 where /proc is not there).
fn cpu_ns(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and
    // 13th of them, in clock ticks (100 a second on Linux).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    ticks * 10_000_000
}

/// `connections` keep-alive connections, each sending the question and reading the answer in
/// a loop for `time`: (answers, latencies in ns, elapsed).
async fn load(addr: &str, connections: usize, time: Duration) -> (u64, Vec<u64>, Duration) {
    let request = format!(
        "POST /v1/quote HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{QUESTION}",
        QUESTION.len()
    );
    let start = Instant::now();
    let deadline = start + time;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (addr, request) = (addr.to_string(), request.clone());
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connects");
            stream.set_nodelay(true).expect("nodelay");
            let (read, mut write) = stream.into_split();
            let mut read = tokio::io::BufReader::with_capacity(16 << 10, read);
            let (mut latencies, mut line, mut body) = (Vec::new(), String::new(), Vec::new());
            while Instant::now() < deadline {
                let sent = Instant::now();
                write.write_all(request.as_bytes()).await.expect("sends");
                let mut length = 0;
                loop {
                    line.clear();
                    read.read_line(&mut line).await.expect("a line");
                    if line == "\r\n" {
                        break;
                    }
                    if line.starts_with("HTTP/1.1 ") {
                        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
                    }
                    if let Some(v) = line.strip_prefix("content-length: ") {
                        length = v.trim().parse().expect("a length");
                    }
                }
                body.resize(length, 0);
                read.read_exact(&mut body).await.expect("the body");
                latencies.push(sent.elapsed().as_nanos() as u64);
                debug_assert!(String::from_utf8_lossy(&body).contains(CHARGE));
            }
            assert!(String::from_utf8_lossy(&body).contains(CHARGE));
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("a connection"));
    }
    (all.len() as u64, all, start.elapsed())
}
