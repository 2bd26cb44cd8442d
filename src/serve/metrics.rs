//! The service's counters, in the Prometheus text format (`GET /metrics`), all prefixed
//! `pricebook_`: requests by endpoint and status, latency histograms by endpoint, the books
//! served with their version and hash, and reloads by outcome. Counters are atomics, so a
//! request adds to them without a lock.

use crate::answer::Books;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// What a request was for, as metrics and logs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Healthz,
    Readyz,
    Metrics,
    OpenApi,
    Books,
    Quote,
    Capacity,
    Bill,
    Rate,
    /// The pricing pages (`/page/...`).
    Page,
    /// No route (404, 405).
    Other,
}

impl Endpoint {
    const ALL: [Endpoint; 11] = [
        Endpoint::Healthz,
        Endpoint::Readyz,
        Endpoint::Metrics,
        Endpoint::OpenApi,
        Endpoint::Books,
        Endpoint::Quote,
        Endpoint::Capacity,
        Endpoint::Bill,
        Endpoint::Rate,
        Endpoint::Page,
        Endpoint::Other,
    ];

    pub(crate) fn path(self) -> &'static str {
        match self {
            Endpoint::Healthz => "/healthz",
            Endpoint::Readyz => "/readyz",
            Endpoint::Metrics => "/metrics",
            Endpoint::OpenApi => "/openapi.json",
            Endpoint::Books => "/v1/books",
            Endpoint::Quote => "/v1/quote",
            Endpoint::Capacity => "/v1/capacity",
            Endpoint::Bill => "/v1/bill",
            Endpoint::Rate => "/v1/rate",
            Endpoint::Page => "/page",
            Endpoint::Other => "other",
        }
    }
}

/// The statuses the service answers with; anything else counts as `other`.
const STATUSES: [u16; 12] = [200, 400, 401, 404, 405, 408, 413, 422, 429, 500, 503, 504];

/// Histogram bounds, in seconds: a quote takes microseconds, a large bill or export seconds.
const BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 10.0,
];
const BUCKET_NANOS: [u64; 16] = [
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    10_000_000_000,
];

/// What a refresh did to a file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ReloadKind {
    Loaded,
    Failed,
    Removed,
}

const ENDPOINTS: usize = Endpoint::ALL.len();

pub(crate) struct Metrics {
    requests: [[AtomicU64; STATUSES.len() + 1]; ENDPOINTS],
    /// Per endpoint: one count per bucket (not cumulative; summed when rendered), then +Inf.
    buckets: [[AtomicU64; BUCKETS.len() + 1]; ENDPOINTS],
    sum_nanos: [AtomicU64; ENDPOINTS],
    reloads: [AtomicU64; 3],
    in_flight: AtomicI64,
}

fn zeros<const N: usize>() -> [AtomicU64; N] {
    std::array::from_fn(|_| AtomicU64::new(0))
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        Metrics {
            requests: std::array::from_fn(|_| zeros()),
            buckets: std::array::from_fn(|_| zeros()),
            sum_nanos: zeros(),
            reloads: zeros(),
            in_flight: AtomicI64::new(0),
        }
    }

    fn index(endpoint: Endpoint) -> usize {
        Endpoint::ALL
            .iter()
            .position(|e| *e == endpoint)
            .unwrap_or(ENDPOINTS - 1)
    }

    /// Counts one answered request.
    pub(crate) fn observe(&self, endpoint: Endpoint, status: u16, latency: Duration) {
        let e = Metrics::index(endpoint);
        let s = STATUSES
            .iter()
            .position(|x| *x == status)
            .unwrap_or(STATUSES.len());
        self.requests[e][s].fetch_add(1, Relaxed);
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        let b = BUCKET_NANOS
            .iter()
            .position(|le| nanos <= *le)
            .unwrap_or(BUCKETS.len());
        self.buckets[e][b].fetch_add(1, Relaxed);
        self.sum_nanos[e].fetch_add(nanos, Relaxed);
    }

    pub(crate) fn reloaded(&self, kind: ReloadKind) {
        self.reloads[kind as usize].fetch_add(1, Relaxed);
    }

    /// A request started (`+1`) or ended (`-1`).
    pub(crate) fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Relaxed);
    }

    /// The Prometheus text exposition of every counter, and of `books`.
    pub(crate) fn render(&self, books: &Books) -> String {
        let mut out = String::with_capacity(16 << 10);
        let _ = self.write(books, &mut out);
        out
    }

    fn write(&self, books: &Books, out: &mut String) -> std::fmt::Result {
        writeln!(
            out,
            "# HELP pricebook_requests_total Requests answered, by endpoint and status."
        )?;
        writeln!(out, "# TYPE pricebook_requests_total counter")?;
        for (e, endpoint) in Endpoint::ALL.iter().enumerate() {
            for (s, n) in self.requests[e].iter().enumerate() {
                let n = n.load(Relaxed);
                if n == 0 {
                    continue;
                }
                let status = STATUSES.get(s).map_or("other".to_string(), u16::to_string);
                writeln!(
                    out,
                    "pricebook_requests_total{{endpoint=\"{}\",status=\"{status}\"}} {n}",
                    endpoint.path()
                )?;
            }
        }
        writeln!(
            out,
            "# HELP pricebook_request_duration_seconds Time from a request's arrival to its answer, by endpoint."
        )?;
        writeln!(out, "# TYPE pricebook_request_duration_seconds histogram")?;
        for (e, endpoint) in Endpoint::ALL.iter().enumerate() {
            let counts: Vec<u64> = self.buckets[e].iter().map(|b| b.load(Relaxed)).collect();
            let total: u64 = counts.iter().sum();
            if total == 0 {
                continue;
            }
            let path = endpoint.path();
            let mut cumulative = 0;
            for (le, n) in BUCKETS.iter().zip(&counts) {
                cumulative += n;
                writeln!(
                    out,
                    "pricebook_request_duration_seconds_bucket{{endpoint=\"{path}\",le=\"{le}\"}} {cumulative}"
                )?;
            }
            writeln!(
                out,
                "pricebook_request_duration_seconds_bucket{{endpoint=\"{path}\",le=\"+Inf\"}} {total}"
            )?;
            let sum = self.sum_nanos[e].load(Relaxed) as f64 / 1e9;
            writeln!(
                out,
                "pricebook_request_duration_seconds_sum{{endpoint=\"{path}\"}} {sum}"
            )?;
            writeln!(
                out,
                "pricebook_request_duration_seconds_count{{endpoint=\"{path}\"}} {total}"
            )?;
        }
        writeln!(
            out,
            "# HELP pricebook_requests_in_flight Requests being answered now."
        )?;
        writeln!(out, "# TYPE pricebook_requests_in_flight gauge")?;
        writeln!(
            out,
            "pricebook_requests_in_flight {}",
            self.in_flight.load(Relaxed)
        )?;
        writeln!(
            out,
            "# HELP pricebook_book_info A served file: 1 while a version of it serves (the labels say which), 0 when none does."
        )?;
        writeln!(out, "# TYPE pricebook_book_info gauge")?;
        let status = books.status();
        for b in &status {
            writeln!(
                out,
                "pricebook_book_info{{vendor=\"{}\",list=\"{}\",version=\"{}\",effective=\"{}\",source_hash=\"{}\",source=\"{}\"}} {}",
                label(b.vendor.as_deref()),
                label(b.list.as_deref()),
                label(b.version.as_deref()),
                label(b.effective.as_deref()),
                label(b.source_hash.as_deref()),
                label(Some(&b.source)),
                u8::from(b.version.is_some())
            )?;
        }
        writeln!(
            out,
            "# HELP pricebook_book_reload_error 1 when a served file's latest content does not check (its last good version, if any, keeps serving)."
        )?;
        writeln!(out, "# TYPE pricebook_book_reload_error gauge")?;
        for b in &status {
            writeln!(
                out,
                "pricebook_book_reload_error{{source=\"{}\",code=\"{}\"}} {}",
                label(Some(&b.source)),
                label(b.error.as_ref().map(|e| e.code.as_str())),
                u8::from(b.error.is_some())
            )?;
        }
        writeln!(out, "# HELP pricebook_books_loaded Book versions serving.")?;
        writeln!(out, "# TYPE pricebook_books_loaded gauge")?;
        writeln!(out, "pricebook_books_loaded {}", books.books().count())?;
        writeln!(
            out,
            "# HELP pricebook_ready 1 when every served file has a version that checks."
        )?;
        writeln!(out, "# TYPE pricebook_ready gauge")?;
        writeln!(out, "pricebook_ready {}", u8::from(books.is_ready()))?;
        writeln!(
            out,
            "# HELP pricebook_reloads_total Changed files looked at again, by outcome."
        )?;
        writeln!(out, "# TYPE pricebook_reloads_total counter")?;
        for (i, outcome) in ["loaded", "failed", "removed"].iter().enumerate() {
            writeln!(
                out,
                "pricebook_reloads_total{{outcome=\"{outcome}\"}} {}",
                self.reloads[i].load(Relaxed)
            )?;
        }
        Ok(())
    }
}

/// A label value, escaped as the text format requires.
fn label(v: Option<&str>) -> String {
    v.unwrap_or("")
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
