//! `pricebook serve`: the HTTP quote service, a thin transport over [`crate::answer`].
//!
//! It serves a set of [`Books`] (books, vendors' directories, directories of vendors'
//! directories, compiled tables) on HTTP/1.1: `POST /v1/quote`, `/v1/capacity`, `/v1/bill` and
//! `/v1/rate` answer exactly what `pricebook quote/capacity/bill/rate --format json` print for
//! the same question, `GET /v1/books` lists what is served, and `/healthz`, `/readyz`,
//! `/metrics` and `/openapi.json` are for operations. [docs/serve.md] describes the API.
//!
//! - **Hot reload.** The served files are looked at every `reload_interval`; a changed book is
//!   checked and compiled off the request path ([`Books::refresh`]) and the new set swapped in
//!   atomically, so a request sees one version from start to end. A book that fails to check
//!   is not swapped in: its last good version keeps serving, and `/v1/books`, `/metrics` and the
//!   log say why.
//! - **Bounded.** Request bodies (`max_body`, `max_rate_body`), the time to read a request's
//!   headers and to answer it, and the requests answered at once; bills and exports are priced
//!   off the threads that serve connections. SIGTERM (or ^C) stops accepting connections and
//!   lets the requests in flight finish.
//! - **Logs.** One line per request (method, path, status, `vendor@version`, latency) on
//!   standard error, as text or JSON Lines.
//!
//! [docs/serve.md]: https://github.com/pricebook/pricebook/blob/main/docs/serve.md

mod connection;
mod log;
mod metrics;
mod openapi;
mod page;
mod reply;
mod routes;

pub use log::LogFormat;
pub use openapi::openapi_json;

use crate::answer::{Books, ReloadOutcome};
use crate::load::OpenError;
use arc_swap::ArcSwap;
use hyper_util::rt::TokioIo;
use metrics::{Metrics, ReloadKind};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How the service runs. [`Config::default`] is what `pricebook serve` starts with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The bearer token every `/v1/*` request must send (none: no token is asked for).
    pub token: Option<String>,
    /// Most bytes of a JSON question.
    pub max_body: usize,
    /// Most bytes of a usage export sent to `/v1/rate`.
    pub max_rate_body: u64,
    /// Most requests answered at once; the others wait for a turn (within their time).
    pub max_concurrency: usize,
    /// Most time to answer a request, reading its body included.
    pub request_timeout: Duration,
    /// Most time for a client to send a request's headers.
    pub header_timeout: Duration,
    /// How often the served files are looked at again (`None`: never).
    pub reload_interval: Option<Duration>,
    pub log_format: LogFormat,
    /// Threads serving connections (default: one per core).
    pub workers: Option<usize>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            max_body: 1 << 20,
            max_rate_body: 256 << 20,
            max_concurrency: 256,
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            reload_interval: Some(Duration::from_millis(250)),
            log_format: LogFormat::Text,
            workers: None,
        }
    }
}

/// Why the service could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A path to serve leads to no book.
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("cannot listen on {addr}: {io}")]
    Listen {
        addr: SocketAddr,
        io: std::io::Error,
    },
    #[error("cannot start the service's runtime: {0}")]
    Runtime(std::io::Error),
}

/// What a request's bounds are.
struct Limits {
    max_body: usize,
    max_rate_body: u64,
    request_timeout: Duration,
}

/// What every request shares.
struct App {
    books: ArcSwap<Books>,
    metrics: Metrics,
    log: log::Log,
    /// SHA-256 of the token.
    token: Option<[u8; 32]>,
    limits: Limits,
    permits: tokio::sync::Semaphore,
    openapi: String,
}

/// Serves the books under `paths` until SIGTERM or ^C. `ready` is called with the address
/// listened on once connections are accepted (the command prints it).
pub fn run(
    paths: &[PathBuf],
    config: Config,
    ready: impl FnOnce(SocketAddr, &Books),
) -> Result<(), ServeError> {
    let books = Books::open(paths)?;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_io().enable_time();
    if let Some(n) = config.workers {
        runtime.worker_threads(n.max(1));
    }
    let runtime = runtime.build().map_err(ServeError::Runtime)?;
    runtime.block_on(serve(books, config, ready))
}

async fn serve(
    books: Books,
    config: Config,
    ready: impl FnOnce(SocketAddr, &Books),
) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|io| ServeError::Listen {
            addr: config.listen,
            io,
        })?;
    let addr = listener.local_addr().map_err(|io| ServeError::Listen {
        addr: config.listen,
        io,
    })?;
    let app = Arc::new(App {
        books: ArcSwap::from_pointee(books),
        metrics: Metrics::new(),
        log: log::Log::new(config.log_format),
        token: config
            .token
            .as_deref()
            .map(|t| Sha256::digest(t.trim().as_bytes()).into()),
        limits: Limits {
            max_body: config.max_body,
            max_rate_body: config.max_rate_body,
            request_timeout: config.request_timeout,
        },
        permits: tokio::sync::Semaphore::new(config.max_concurrency.max(1)),
        openapi: openapi_json(),
    });
    log_books(&app);
    let flusher = tokio::spawn(flush_logs(Arc::clone(&app)));
    let watcher = config
        .reload_interval
        .map(|every| tokio::spawn(watch(Arc::clone(&app), every)));
    app.log
        .event("info", "listening", &[("url", format!("http://{addr}"))]);
    app.log.flush();
    ready(addr, &app.books.load());

    let router = routes::router(Arc::clone(&app));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors, a connection reset before it was accepted:
                        // wait a moment rather than spin.
                        app.log.event("warn", "accept failed", &[("error", e.to_string())]);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = connection::Service::new(Arc::clone(&app), &router);
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(connection::Timer::default())
                    .header_read_timeout(config.header_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    app.log
        .event("info", "stopping: finishing the requests in flight", &[]);
    app.log.flush();
    let grace = config.request_timeout + Duration::from_secs(1);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        app.log.event(
            "warn",
            "stopped with requests still in flight",
            &[("waited_s", grace.as_secs().to_string())],
        );
    }
    if let Some(w) = watcher {
        w.abort();
    }
    flusher.abort();
    app.log.event("info", "stopped", &[]);
    app.log.flush();
    Ok(())
}

/// SIGTERM or ^C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn flush_logs(app: Arc<App>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        app.log.flush();
    }
}

/// What is served at the start: each file's version, or why it does not serve.
fn log_books(app: &App) {
    for b in app.books.load().status() {
        match (&b.version, &b.error) {
            (Some(v), None) => app.log.event(
                "info",
                "serving",
                &[
                    ("book", b.vendor.clone().unwrap_or_default()),
                    ("version", v.clone()),
                    ("effective", b.effective.clone().unwrap_or_default()),
                    ("source", b.source.clone()),
                ],
            ),
            (_, Some(e)) => log_error(app, &b.source, e),
            (None, None) => {}
        }
    }
}

/// Why a file does not serve (its last good version, if any, does): the error, then each of
/// its diagnostics with its line.
fn log_error(app: &App, source: &str, e: &crate::answer::ErrorDetail) {
    app.log.event(
        "error",
        "book does not check; not swapped in",
        &[
            ("source", source.to_string()),
            ("code", e.code.clone()),
            ("error", e.message.clone()),
        ],
    );
    for d in &e.diagnostics {
        app.log.event(
            "error",
            "diagnostic",
            &[
                ("at", format!("{}:{}:{}", d.file, d.line, d.column)),
                ("code", d.code.clone()),
                ("message", d.message.clone()),
            ],
        );
    }
}

/// Looks at the served files every `every`, off the request path; swaps a changed set in.
async fn watch(app: Arc<App>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // A file modified less than this long ago may still be being written: look next time.
    let settle = (every / 2).min(Duration::from_millis(200));
    loop {
        tick.tick().await;
        let current = app.books.load_full();
        let refreshed = tokio::task::spawn_blocking(move || current.refresh(settle)).await;
        let Ok(Some((books, reloads))) = refreshed else {
            continue;
        };
        app.books.store(Arc::new(books));
        for r in reloads {
            let source = r.path.display().to_string();
            match &r.outcome {
                ReloadOutcome::Loaded { key, version } => {
                    app.metrics.reloaded(ReloadKind::Loaded);
                    app.log.event(
                        "info",
                        "reloaded",
                        &[
                            ("book", key.to_string()),
                            ("version", version.clone()),
                            ("source", source),
                        ],
                    );
                }
                ReloadOutcome::Failed(e) => {
                    app.metrics.reloaded(ReloadKind::Failed);
                    log_error(&app, &source, &e.body().error);
                }
                ReloadOutcome::Removed => {
                    app.metrics.reloaded(ReloadKind::Removed);
                    app.log.event("info", "removed", &[("source", source)]);
                }
            }
        }
    }
}
