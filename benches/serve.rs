//! `pricebook serve` under load, against its baselines measured in the same run:
//! - `rater`: the same quote in process through `Rater::quote` (a key resolved once);
//! - `answer`: the same question in process through `answer::quote` (names resolved, the answer
//!   serialized to the JSON the service sends);
//! - `cli`: the same question through a `pricebook quote --format json` process;
//! - `http`: `POST /v1/quote` to the real binary on 127.0.0.1 over 1, 16 and 64 keep-alive
//!   connections, from a load generator written here (one thread, one task per connection),
//!   which records every request's latency for p50 and p99, and the CPU time per quote of the
//!   server and of itself (they share the cores).
//!
//! - `floor`: the same HTTP stack with nothing behind it, at the same levels: hyper's HTTP/1 on a
//!   tokio runtime of as many workers, in a process of its own (this bench run again), reading
//!   each request's body and sending the service's answer as fixed bytes. What the service costs
//!   above it is the quote and the service's own work; the floor itself is hyper, tokio and the
//!   kernel's loopback on this machine.
//!
//! `PRICEBOOK_SERVE_BASELINE=<path to an earlier pricebook binary>` measures that binary's
//! service too, level by level in turn with this build's, for a before/after in one run.
//!
//! `cargo bench --bench serve` runs it in full (a few seconds per level); `cargo test --benches`
//! (as CI does) runs each part briefly, as a smoke test. Every answer is checked to be the
//! expected one. Only 127.0.0.1 is contacted, and every loop is bounded in count and time.

use pricebook::Rater;
use pricebook::answer::{self, Books, QuoteQuestion};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const QUESTION: &str =
    r#"{"book": "hedra", "plan": "creator", "product": "hedra-avatar", "quantity": "90 second"}"#;
const CHARGE: &str = "\"amount\": \"630\"";

struct Scale {
    in_process: u32,
    cli_runs: u32,
    per_level: Duration,
    warmup: Duration,
}

/// Set to a file holding the answer's bytes, this bench is the floor's server instead.
const FLOOR_ENV: &str = "PRICEBOOK_SERVE_FLOOR_ANSWER";

fn main() {
    if let Some(answer) = std::env::var_os(FLOOR_ENV) {
        return floor::serve(&std::fs::read(answer).expect("the floor's answer"));
    }
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
    let mut floor_answer =
        serde_json::to_vec_pretty(&answer::quote(&book.opened, &question).expect("an answer"))
            .expect("JSON");
    floor_answer.push(b'\n');
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

    // The service: this build's, and with `PRICEBOOK_SERVE_BASELINE=<a pricebook binary>` (an
    // earlier build) that one too, level by level in turn, so both see the same machine.
    let mut servers = vec![("this build".to_string(), Served::start(exe, None))];
    if let Some(baseline) = std::env::var_os("PRICEBOOK_SERVE_BASELINE") {
        let name = format!("baseline {}", baseline.to_string_lossy());
        servers.insert(0, (name, Served::start(&baseline, None)));
    }
    let answer_file = std::env::temp_dir().join(format!("pricebook-floor-{}", std::process::id()));
    std::fs::write(&answer_file, &floor_answer).expect("the floor's answer written");
    let this_bench = std::env::current_exe().expect("this bench's path");
    servers.push((
        "floor: hyper, the same answer's bytes".to_string(),
        Served::start(&this_bench, Some(&answer_file)),
    ));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let load_before = loadavg();
    let mut levels = Vec::new();
    for connections in [1usize, 16, 64] {
        for (name, served) in &servers {
            let _ = runtime.block_on(load(&served.addr, connections, scale.warmup));
            let (server_before, client_before) = (cpu_ns(served.pid()), cpu_ns(std::process::id()));
            let (count, mut latencies, elapsed) =
                runtime.block_on(load(&served.addr, connections, scale.per_level));
            // CPU time per quote of the server and of this load generator (the only thread of
            // this process running now): what a core of each does, whatever else the machine
            // is running (both share its cores).
            let per_quote = |ns: u64| ns as f64 / 1e3 / count.max(1) as f64;
            let server_us = per_quote(cpu_ns(served.pid()).saturating_sub(server_before));
            let client_us = per_quote(cpu_ns(std::process::id()).saturating_sub(client_before));
            latencies.sort_unstable();
            let at = |p: f64| {
                let i =
                    ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
                latencies.get(i).copied().unwrap_or(0) as f64 / 1e6
            };
            levels.push(Level {
                server: name.clone(),
                connections,
                qps: count as f64 / elapsed.as_secs_f64(),
                p50: at(0.5),
                p99: at(0.99),
                server_us,
                client_us,
            });
        }
    }
    let load_after = loadavg();
    for (_, served) in servers {
        served.stop();
    }
    let _ = std::fs::remove_file(&answer_file);

    println!("serve: the same quote (hedra, creator, hedra-avatar, 90 second)");
    println!("  load average before the HTTP levels: {load_before}; after: {load_after}");
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
    for l in &levels {
        println!(
            "  http     {:>2} keep-alive connection{}     {:>12.0} quotes/s  p50 {:.3} ms  p99 {:.3} ms  server CPU {:.1} us/quote ({:.0} quotes/s per core)  load generator CPU {:.1} us/quote  {:.0}x the cli, 1/{:.0} of the rater  [{}]",
            l.connections,
            if l.connections == 1 { " " } else { "s" },
            l.qps,
            l.p50,
            l.p99,
            l.server_us,
            1e6 / l.server_us.max(0.001),
            l.client_us,
            l.qps * cli_ns / 1e9,
            1e9 / rater_ns / l.qps,
            l.server
        );
    }
}

struct Level {
    server: String,
    connections: usize,
    qps: f64,
    p50: f64,
    p99: f64,
    server_us: f64,
    client_us: f64,
}

/// A `pricebook serve pricebooks` process (JSON logs to /dev/null), or with `floor` (the
/// answer's file) this bench as the floor's server; and its address.
struct Served {
    child: std::process::Child,
    addr: String,
}

impl Served {
    fn start(exe: impl AsRef<std::ffi::OsStr>, floor: Option<&std::path::Path>) -> Served {
        let mut command = Command::new(exe);
        match floor {
            Some(answer) => command.env(FLOOR_ENV, answer),
            None => command.args([
                "serve",
                "pricebooks",
                "--listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
            ]),
        };
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the ready line");
        let addr = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .expect("a URL")
            .to_string();
        Served { child, addr }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// The 1, 5 and 15 minute load averages (empty where /proc is not there).
fn loadavg() -> String {
    let l = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
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
/// a loop for `time`: (answers, latencies in ns, elapsed). Kept cheap, as it shares the cores
/// with the server: the request is bytes made once, and an answer is read into one buffer and
/// found by its head's end and `content-length`, without copying it into lines.
async fn load(addr: &str, connections: usize, time: Duration) -> (u64, Vec<u64>, Duration) {
    let request = format!(
        "POST /v1/quote HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{QUESTION}",
        QUESTION.len()
    )
    .into_bytes();
    let request: std::sync::Arc<[u8]> = request.into();
    let start = Instant::now();
    let deadline = start + time;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (addr, request) = (addr.to_string(), std::sync::Arc::clone(&request));
        tasks.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connects");
            stream.set_nodelay(true).expect("nodelay");
            let (mut latencies, mut buf, mut filled) = (Vec::new(), vec![0u8; 16 << 10], 0);
            let mut last = (0, 0);
            let mut sent = Instant::now();
            while sent < deadline {
                stream.write_all(&request).await.expect("sends");
                let (head, length) = loop {
                    if let Some(answer) = answer_in(&buf[..filled]) {
                        break answer;
                    }
                    let n = stream.read(&mut buf[filled..]).await.expect("reads");
                    assert!(n > 0, "the server closed the connection");
                    filled += n;
                };
                let now = Instant::now();
                latencies.push((now - sent).as_nanos() as u64);
                sent = now;
                // One request at a time: the answer is all there is in the buffer.
                assert_eq!(filled, head + length, "one answer per request");
                last = (head, filled);
                filled = 0;
            }
            let body = String::from_utf8_lossy(&buf[last.0..last.1]);
            assert!(body.contains(CHARGE), "{body}");
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("a connection"));
    }
    (all.len() as u64, all, start.elapsed())
}

/// When `buf` holds a whole `200` answer: the length of its head and of its body.
fn answer_in(buf: &[u8]) -> Option<(usize, usize)> {
    let head = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let text = std::str::from_utf8(&buf[..head]).expect("a UTF-8 head");
    assert!(text.starts_with("HTTP/1.1 200 "), "{text}");
    let length: usize = text
        .split("\r\n")
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("a content-length")
        .parse()
        .expect("a length");
    (buf.len() >= head + length).then_some((head, length))
}

/// The floor's server: hyper's HTTP/1 connection, tokio's multi-threaded runtime with its default
/// workers (one a core, as `pricebook serve`), `TCP_NODELAY`; each request's body read, the same
/// answer sent. No routing, token, timeout, permit, metrics or log.
mod floor {
    use http_body_util::{BodyExt, Full};
    use hyper::body::{Bytes, Incoming};
    use hyper::{Request, Response};
    use hyper_util::rt::TokioIo;
    use std::convert::Infallible;

    pub fn serve(answer: &[u8]) {
        let answer = Bytes::copy_from_slice(answer);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port");
            let addr = listener.local_addr().expect("its address");
            println!("floor listening on http://{addr}");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let answer = answer.clone();
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let answer = answer.clone();
                    async move {
                        let _ = request.into_body().collect().await;
                        let mut response = Response::new(Full::new(answer));
                        response.headers_mut().insert(
                            hyper::header::CONTENT_TYPE,
                            hyper::header::HeaderValue::from_static("application/json"),
                        );
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    }
}
