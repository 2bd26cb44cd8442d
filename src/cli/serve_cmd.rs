//! `pricebook serve`: the HTTP quote service ([`crate::serve`]); this is its flags, the line it
//! prints when ready, and its errors.

use super::report::CliError;
use crate::serve::{self, Config, LogFormat, ServeError};
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// The `serve` command's arguments.
#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// Books, vendors' directories of versions, directories of vendors' directories, or
    /// compiled tables (`.json`).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// A file holding the bearer token every /v1 request must send.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Most bytes of a JSON question.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_body: usize,
    /// Most bytes of a usage export sent to /v1/rate.
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    max_rate_body: u64,
    /// Most requests answered at once (the others wait their turn).
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_concurrency: usize,
    /// Most seconds to answer a request, reading its body included.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    request_timeout: f64,
    /// How often the served files are looked at for changes, in milliseconds (0: never).
    #[arg(long, value_name = "MS", default_value_t = 250)]
    reload_interval_ms: u64,
    /// `text` (default) or `json` (JSON Lines) logs on standard error.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Threads serving connections (default: one per core).
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
}

fn listen_addr(text: &str) -> Result<SocketAddr, CliError> {
    let wrong = || {
        CliError::usage(format!("--listen `{text}` is not an address"))
            .help("write HOST:PORT, such as 127.0.0.1:8080 (port 0 picks a free one)")
    };
    text.to_socket_addrs()
        .map_err(|_| wrong())?
        .next()
        .ok_or_else(wrong)
}

fn seconds(flag: &str, s: f64) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| CliError::usage(format!("{flag} {s} is not a positive number of seconds")))
}

pub(super) fn run_serve(a: ServeArgs, out: &mut dyn Write) -> Result<i32, CliError> {
    let token = match &a.token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::unreadable(path, &e))?;
            let first = text.lines().next().unwrap_or("").trim();
            if first.is_empty() {
                return Err(CliError::usage(format!(
                    "the token file `{}` is empty",
                    path.display()
                ))
                .help("write the token on its first line"));
            }
            Some(first.to_string())
        }
        None => None,
    };
    let config = Config {
        listen: listen_addr(&a.listen)?,
        token,
        max_body: a.max_body,
        max_rate_body: a.max_rate_body,
        max_concurrency: a.max_concurrency,
        request_timeout: seconds("--request-timeout", a.request_timeout)?,
        reload_interval: (a.reload_interval_ms > 0)
            .then(|| Duration::from_millis(a.reload_interval_ms)),
        log_format: a.log_format,
        workers: a.workers,
        ..Config::default()
    };
    let mut printed = Ok(());
    let result = serve::run(&a.paths, config, |addr, books| {
        let versions = books.books().count();
        printed = writeln!(
            out,
            "pricebook serve: listening on http://{addr} ({versions} book version{} of {})",
            if versions == 1 { "" } else { "s" },
            books
                .keys()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
        .and_then(|()| out.flush());
    });
    printed?;
    match result {
        Ok(()) => Ok(0),
        Err(ServeError::Open(e)) => Err(e.into()),
        Err(e @ ServeError::Listen { .. }) => Err(CliError::usage(e.to_string())),
        Err(e) => Err(CliError::input_code("io-error", e.to_string())),
    }
}
