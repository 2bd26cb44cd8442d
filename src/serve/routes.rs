//! The endpoints: a thin transport over [`crate::answer`]. Every handler runs inside
//! [`guarded`], which checks the token, bounds the request's time and the requests answered at
//! once, and counts and logs the answer. The `#[utoipa::path]` on each handler is what
//! `/openapi.json` is generated from.

use super::App;
use super::log::RequestLine;
use super::metrics::Endpoint;
use super::reply::{JSON, Reply, question, read_body, too_large};
use crate::answer::{
    self, BillAnswer, BillQuestion, BookStatus, CapacityAnswer, CapacityQuestion, ErrorBody,
    QuoteAnswer, QuoteQuestion, RateAnswer, parse_date,
};
use crate::rate::batch::GroupBy;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};
use http_body_util::BodyExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

pub(super) type Shared = Arc<App>;

/// The routes, with the JSON 404 and 405 of the service.
pub(crate) fn router(app: Shared) -> axum::Router {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/books", get(books))
        .route("/v1/quote", post(quote))
        .route("/v1/capacity", post(capacity))
        .route("/v1/bill", post(bill))
        .route("/v1/rate", post(rate))
        .route("/page", get(super::page::index))
        .route("/page/", get(super::page::index))
        .route("/page/{*book}", get(super::page::book))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

/// Counts a request in flight until it ends, however it ends (a client that hangs up drops the
/// handler's future).
struct InFlight<'a>(&'a App);

impl<'a> InFlight<'a> {
    fn start(app: &'a App) -> InFlight<'a> {
        app.metrics.in_flight(1);
        InFlight(app)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.metrics.in_flight(-1);
    }
}

/// Runs `work` for one request: the token first (for `/v1/*`), then a permit among
/// `--max-concurrency`, all within `--request-timeout`; then counts and logs the answer.
pub(super) async fn guarded(
    app: &App,
    endpoint: Endpoint,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    work: impl Future<Output = Result<Reply, Reply>>,
) -> Response {
    let start = Instant::now();
    let _in_flight = InFlight::start(app);
    let protected = matches!(
        endpoint,
        Endpoint::Books | Endpoint::Quote | Endpoint::Capacity | Endpoint::Bill | Endpoint::Rate
    );
    let reply = match authorize(app, protected, headers) {
        Err(r) => r,
        Ok(()) => {
            let bounded = async {
                // The semaphore is never closed, so a permit always comes (or the time runs out).
                let _permit = app.permits.acquire().await;
                work.await
            };
            match tokio::time::timeout(app.limits.request_timeout, bounded).await {
                Ok(Ok(r) | Err(r)) => r,
                Err(_) => Reply::error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    format!(
                        "the request was not answered within {} s",
                        app.limits.request_timeout.as_secs_f64()
                    ),
                    Some(
                        "send a smaller request, or start the service with a larger --request-timeout",
                    ),
                ),
            }
        }
    };
    let latency = start.elapsed();
    let status = reply.status.as_u16();
    app.metrics.observe(endpoint, status, latency);
    app.log.request(&RequestLine {
        method,
        path,
        status,
        book: reply.book.as_deref(),
        latency,
        code: reply.code,
    });
    axum::response::IntoResponse::into_response(reply)
}

/// `Authorization: Bearer <token>` when the service has a token: the two are compared as
/// SHA-256 digests, byte by byte without an early exit, so the time taken says nothing about
/// the token.
fn authorize(app: &App, protected: bool, headers: &HeaderMap) -> Result<(), Reply> {
    let (Some(expected), true) = (&app.token, protected) else {
        return Ok(());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let unauthorized = |message: &str| {
        let mut r = Reply::error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            message,
            Some(
                "send `Authorization: Bearer <token>` with the token the service was started with (--token-file)",
            ),
        );
        r.challenge = true;
        // The body is not read: the connection ends with the answer.
        r.closing()
    };
    let Some(given) = given else {
        return Err(unauthorized("this endpoint needs a bearer token"));
    };
    let digest: [u8; 32] = Sha256::digest(given.trim().as_bytes()).into();
    let diff = digest
        .iter()
        .zip(expected.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if std::hint::black_box(diff) == 0 {
        Ok(())
    } else {
        Err(unauthorized("the bearer token is not the service's"))
    }
}

/// `vendor@version`, as logs and the `pricebook-book` header name a version.
fn tag(book: &answer::Book) -> String {
    format!("{}@{}", book.key, book.version())
}

/// `GET /healthz`.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    /// `ok`
    status: &'static str,
}

/// `GET /readyz`.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Readiness {
    /// `ready` or `not-ready`.
    status: &'static str,
    /// Book versions serving.
    books: usize,
    /// The files with no version that checks.
    not_serving: Vec<BookStatus>,
}

/// `GET /v1/books`.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct BookList {
    /// Every served file, by path.
    books: Vec<BookStatus>,
}

/// A quote or capacity the book refuses (`rejected`), or a question it cannot answer (`error`).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(crate) enum Refused<T> {
    Rejected(T),
    Error(ErrorBody),
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = Health)))]
async fn healthz(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let work = async { Ok(Reply::json(StatusCode::OK, &Health { status: "ok" })) };
    guarded(&app, Endpoint::Healthz, "GET", "/healthz", &headers, work).await
}

/// Every served file has a version that checks.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Every served file has a version that checks", body = Readiness),
        (status = 503, description = "A served file has no version that checks", body = Readiness),
    ))]
async fn readyz(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let work = async {
        let books = app.books.load();
        let ready = books.is_ready();
        let readiness = Readiness {
            status: if ready { "ready" } else { "not-ready" },
            books: books.books().count(),
            not_serving: books
                .status()
                .into_iter()
                .filter(|b| b.version.is_none())
                .collect(),
        };
        let status = if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        Ok(Reply::json(status, &readiness))
    };
    guarded(&app, Endpoint::Readyz, "GET", "/readyz", &headers, work).await
}

/// Prometheus text: requests, latencies, books, reloads.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Counters in the Prometheus text format, prefixed `pricebook_`", body = String, content_type = "text/plain")))]
async fn metrics(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let work = async {
        let text = app.metrics.render(&app.books.load());
        Ok(Reply::text(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            text,
        ))
    };
    guarded(&app, Endpoint::Metrics, "GET", "/metrics", &headers, work).await
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of the service", body = Object)))]
async fn openapi(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let work = async { Ok(Reply::text(StatusCode::OK, JSON, app.openapi.clone())) };
    guarded(
        &app,
        Endpoint::OpenApi,
        "GET",
        "/openapi.json",
        &headers,
        work,
    )
    .await
}

/// Every book served: vendor, list, version, effective date, source hash, and the error of its
/// file's latest change, if any.
#[utoipa::path(get, path = "/v1/books", tag = "questions",
    responses(
        (status = 200, description = "Every served file and the version it serves", body = BookList),
        (status = 401, description = "No token, or not the service's", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn books(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let work = async {
        let list = BookList {
            books: app.books.load().status(),
        };
        Ok(Reply::json(StatusCode::OK, &list))
    };
    guarded(&app, Endpoint::Books, "GET", "/v1/books", &headers, work).await
}

const QUOTE_EXAMPLE: &str =
    r#"{"book": "hedra", "plan": "creator", "product": "hedra-avatar", "quantity": "90 second"}"#;

/// What a usage costs: the JSON of `pricebook quote --format json`.
#[utoipa::path(post, path = "/v1/quote", tag = "questions",
    request_body = QuoteQuestion,
    responses(
        (status = 200, description = "Priced", body = QuoteAnswer,
            headers(("pricebook-book" = String, description = "`vendor@version` of the book that answered"))),
        (status = 400, description = "Not a question (malformed JSON, a field of the wrong type, a bad date), or `used` (not priced yet)", body = ErrorBody),
        (status = 401, description = "No token, or not the service's", body = ErrorBody),
        (status = 404, description = "No such book", body = ErrorBody),
        (status = 413, description = "The body is over --max-body", body = ErrorBody),
        (status = 422, description = "The book refuses the usage (`rejected`: its kind, reason and rule line), or cannot answer the question (a name it does not have, a quantity it cannot read)", body = Refused<QuoteAnswer>),
        (status = 503, description = "The book has no version that checks, or the service is overloaded", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn quote(State(app): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    answer_quote(&app, &headers, body).await
}

/// `POST /v1/quote`, for the router's body and for hyper's (each connection's service answers
/// quotes without the router: see `connection.rs`).
pub(super) async fn answer_quote<B>(app: &App, headers: &HeaderMap, body: B) -> Response
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let work = async {
        let bytes = read_body(body, app.limits.max_body).await?;
        let q: QuoteQuestion = question(&bytes, QUOTE_EXAMPLE)?;
        let at = q.at.as_deref().map(|d| parse_date("at", d)).transpose()?;
        let books = app.books.load();
        let book = books.pick_with_plan(q.book.as_deref(), at, q.plan.as_deref())?;
        let version = tag(book);
        match answer::quote(&book.opened, &q) {
            Ok(a) => Ok(answered(&a, a.is_rejected()).with_book(version)),
            Err(e) => Err(Reply::from(e).with_book(version)),
        }
    };
    guarded(app, Endpoint::Quote, "POST", "/v1/quote", headers, work).await
}

/// `200` for an answer, `422` for a refusal, both with the answer's JSON.
fn answered<T: Serialize>(answer: &T, rejected: bool) -> Reply {
    if rejected {
        let mut r = Reply::json(StatusCode::UNPROCESSABLE_ENTITY, answer);
        r.code = Some("rejected");
        r
    } else {
        Reply::json(StatusCode::OK, answer)
    }
}

const CAPACITY_EXAMPLE: &str =
    r#"{"book": "hedra", "plan": "creator", "product": "hedra-avatar", "unit": "minute"}"#;

/// What a plan's recurring grant buys: the JSON of `pricebook capacity --format json`.
#[utoipa::path(post, path = "/v1/capacity", tag = "questions",
    request_body = CapacityQuestion,
    responses(
        (status = 200, description = "Sized", body = CapacityAnswer,
            headers(("pricebook-book" = String, description = "`vendor@version` of the book that answered"))),
        (status = 400, description = "Not a question", body = ErrorBody),
        (status = 401, description = "No token, or not the service's", body = ErrorBody),
        (status = 404, description = "No such book", body = ErrorBody),
        (status = 413, description = "The body is over --max-body", body = ErrorBody),
        (status = 422, description = "The plan refuses the product (`rejected`), or the book cannot answer the question", body = Refused<CapacityAnswer>),
        (status = 503, description = "The book has no version that checks, or the service is overloaded", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn capacity(State(app): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let work = async {
        let bytes = read_body(body, app.limits.max_body).await?;
        let q: CapacityQuestion = question(&bytes, CAPACITY_EXAMPLE)?;
        let at = q.at.as_deref().map(|d| parse_date("at", d)).transpose()?;
        let books = app.books.load();
        let book = books.pick_with_plan(q.book.as_deref(), at, q.plan.as_deref())?;
        let version = tag(book);
        match answer::capacity(&book.opened, &q) {
            Ok(a) => Ok(answered(&a, a.is_rejected()).with_book(version)),
            Err(e) => Err(Reply::from(e).with_book(version)),
        }
    };
    guarded(
        &app,
        Endpoint::Capacity,
        "POST",
        "/v1/capacity",
        &headers,
        work,
    )
    .await
}

const BILL_EXAMPLE: &str = r#"{"book": "hedra", "plan": "creator", "usage": [{"time": "2026-07-10T10:00:00Z", "product": "hedra-avatar", "quantity": "90 second"}]}"#;

fn internal(what: &str) -> Reply {
    Reply::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        format!("{what} stopped before answering"),
        Some("this is a defect of pricebook: report it with the request"),
    )
}

/// What an account's usage bills: the JSON of `pricebook bill --format json`.
#[utoipa::path(post, path = "/v1/bill", tag = "questions",
    request_body = BillQuestion,
    responses(
        (status = 200, description = "Billed (events not billed are in `rejected`)", body = BillAnswer,
            headers(("pricebook-book" = String, description = "`vendor@version` of the book that billed"))),
        (status = 400, description = "Not a question", body = ErrorBody),
        (status = 401, description = "No token, or not the service's", body = ErrorBody),
        (status = 404, description = "No such book", body = ErrorBody),
        (status = 413, description = "The body is over --max-body", body = ErrorBody),
        (status = 422, description = "The book cannot bill it (no plan named, a contract that does not apply, a bad wallet)", body = ErrorBody),
        (status = 503, description = "The book has no version that checks, or the service is overloaded", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn bill(State(app): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let work = async {
        let bytes = read_body(body, app.limits.max_body).await?;
        let q: BillQuestion = question(&bytes, BILL_EXAMPLE)?;
        let books = app.books.load_full();
        // Billing reads every event: off the threads that serve connections.
        let a: BillAnswer = tokio::task::spawn_blocking(move || books.bill(&q))
            .await
            .map_err(|_| internal("the bill"))??;
        let book = a
            .versions
            .first()
            .map(|v| format!("{}@{}", v.vendor, v.version));
        let reply = Reply::json(StatusCode::OK, &a.to_json());
        Ok(match book {
            Some(b) => reply.with_book(b),
            None => reply,
        })
    };
    guarded(&app, Endpoint::Bill, "POST", "/v1/bill", &headers, work).await
}

/// `?by=account&book=hedra&at=2026-06-10`, percent-decoded.
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = |b: u8| (b as char).to_digit(16);
                    match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                        (Some(h), Some(l)) => {
                            out.push((h * 16 + l) as u8);
                            i += 2;
                        }
                        _ => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// A `BufRead` over the body's chunks as they arrive, for the rater's blocking reader.
struct ChunkReader {
    chunks: tokio::sync::mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(b) => self.current = b,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Totals of a usage export, streamed: the JSON of `pricebook rate --format json`.
#[utoipa::path(post, path = "/v1/rate", tag = "questions",
    params(
        ("by" = Option<String>, Query, description = "What totals are grouped by: `account` (default), `plan` or `product`"),
        ("book" = Option<String>, Query, description = "The book to rate with (may be left out when one is served)"),
        ("at" = Option<String>, Query, description = "The day (YYYY-MM-DD) whose version rates the export (default: the latest)"),
    ),
    request_body(description = "A usage export: CSV with a header naming `account`, `plan`, `product`, `quantity`, `unit` and the book's dimensions, or JSON Lines; read as it arrives",
        content((String = "text/csv"), (String = "application/x-ndjson"))),
    responses(
        (status = 200, description = "Rated (lines not rated are in `bad_lines` and `rejected`)", body = RateAnswer,
            headers(("pricebook-book" = String, description = "`vendor@version` of the book that rated"))),
        (status = 400, description = "A bad query (`by`, `at`), or a body that breaks off", body = ErrorBody),
        (status = 401, description = "No token, or not the service's", body = ErrorBody),
        (status = 404, description = "No such book", body = ErrorBody),
        (status = 413, description = "The export is over --max-rate-body", body = ErrorBody),
        (status = 422, description = "The export cannot be read at all (empty, a CSV header with an unknown column)", body = ErrorBody),
        (status = 503, description = "The book has no version that checks, or the service is overloaded", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn rate(
    State(app): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let work = async {
        // Until the body is streamed to the rater, an error leaves it unread.
        let unread = |r: Reply| r.closing();
        let (mut by, mut book, mut at) = (GroupBy::Account, None, None);
        for (k, v) in query_pairs(query.as_deref()) {
            match k.as_str() {
                "by" => {
                    by = match v.as_str() {
                        "account" => GroupBy::Account,
                        "plan" => GroupBy::Plan,
                        "product" => GroupBy::Product,
                        other => {
                            return Err(unread(Reply::error(
                                StatusCode::BAD_REQUEST,
                                "bad-request",
                                format!("`by={other}` is not a grouping"),
                                Some("use by=account, by=plan or by=product"),
                            )));
                        }
                    }
                }
                "book" => book = Some(v),
                "at" => at = Some(parse_date("at", &v).map_err(|e| unread(e.into()))?),
                other => {
                    return Err(unread(Reply::error(
                        StatusCode::BAD_REQUEST,
                        "bad-request",
                        format!("unknown query parameter `{other}`"),
                        Some("the parameters are by, book and at"),
                    )));
                }
            }
        }
        let book = Arc::clone(
            app.books
                .load()
                .pick(book.as_deref(), at)
                .map_err(|e| unread(e.into()))?,
        );
        let version = tag(&book);
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
        let rater = tokio::task::spawn_blocking(move || {
            let reader = ChunkReader {
                chunks: rx,
                current: Bytes::new(),
            };
            let mut input = std::io::BufReader::with_capacity(1 << 16, reader);
            answer::rate(&book.opened.table, &mut input, by, false)
        });
        let (mut body, mut read, limit) = (body, 0u64, app.limits.max_rate_body);
        let mut broke_off = None;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    read += data.len() as u64;
                    if read > limit {
                        drop(tx);
                        let _ = rater.await;
                        return Err(too_large(limit));
                    }
                    // The rater stopped early (an export it cannot read): its answer says why.
                    if tx.send(data).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    broke_off = Some(e.to_string());
                    break;
                }
            }
        }
        drop(tx);
        let answer: RateAnswer = rater
            .await
            .map_err(|_| internal("the rater"))?
            // The rater stopped before the end of the body (an export it cannot read).
            .map_err(|e| Reply::from(e).closing())?;
        if let Some(e) = broke_off {
            return Err(Reply::error(
                StatusCode::BAD_REQUEST,
                "bad-request",
                format!("the request body broke off: {e}"),
                None,
            ));
        }
        Ok(Reply::json(StatusCode::OK, &answer).with_book(version))
    };
    guarded(&app, Endpoint::Rate, "POST", "/v1/rate", &headers, work).await
}

async fn not_found(
    State(app): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().chars().take(200).collect::<String>();
    let work = async {
        Err(Reply::error(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no route `{method} {path}`"),
            Some("the routes are listed in /openapi.json"),
        ))
    };
    guarded(
        &app,
        Endpoint::Other,
        method.as_str(),
        &path,
        &headers,
        work,
    )
    .await
}

async fn method_not_allowed(
    State(app): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().chars().take(200).collect::<String>();
    let work = async {
        Err(Reply::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            format!("`{path}` does not answer {method}"),
            Some(
                "questions are POSTed as JSON; /healthz, /readyz, /metrics, /openapi.json and /v1/books are GETs",
            ),
        ))
    };
    guarded(
        &app,
        Endpoint::Other,
        method.as_str(),
        &path,
        &headers,
        work,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::query_pairs;

    #[test]
    fn queries_are_percent_decoded() {
        assert_eq!(
            query_pairs(Some("by=plan&book=hedra%2Fapi&x&at=2026-06-10")),
            [
                ("by".to_string(), "plan".to_string()),
                ("book".into(), "hedra/api".into()),
                ("x".into(), String::new()),
                ("at".into(), "2026-06-10".into())
            ]
        );
        assert_eq!(query_pairs(Some("a=%zz%4")), [("a".into(), "%zz%4".into())]);
        assert!(query_pairs(None).is_empty());
    }
}
