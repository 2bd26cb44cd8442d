//! What a handler answers: a status, a body, and what the log and metrics say about it; and the
//! service's errors as `{"error": {"code", "message", "help"?}}` with their HTTP status.

use crate::answer::{AnswerError, ErrorBody, ErrorDetail, ErrorKind};
use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;

pub(crate) const JSON: &str = "application/json";

/// `pricebook-book: vendor@version`, named once rather than parsed from text per answer.
const BOOK_HEADER: HeaderName = HeaderName::from_static("pricebook-book");

/// A handler's answer.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
    pub content_type: &'static str,
    /// `vendor@version` of the book that answered (logged, and sent as `pricebook-book`).
    pub book: Option<String>,
    /// The error's code, when the answer is an error.
    pub code: Option<&'static str>,
    /// Ask for a bearer token (`401`).
    pub challenge: bool,
    /// End the connection after this answer: the request's body was not read to its end, so
    /// the connection cannot carry another request.
    pub close: bool,
}

/// Pretty JSON with a final newline, as `pricebook ... --format json` prints it.
pub(crate) fn pretty<T: Serialize>(value: &T) -> Vec<u8> {
    // A quote's answer is about 500 bytes: one allocation rather than a few doublings.
    let mut out = Vec::with_capacity(1024);
    if serde_json::to_writer_pretty(&mut out, value).is_err() {
        out.clear();
    }
    out.push(b'\n');
    out
}

impl Reply {
    pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Reply {
        Reply {
            status,
            body: pretty(value),
            content_type: JSON,
            book: None,
            code: None,
            challenge: false,
            close: false,
        }
    }

    pub(crate) fn text(status: StatusCode, content_type: &'static str, body: String) -> Reply {
        Reply {
            status,
            body: body.into_bytes(),
            content_type,
            book: None,
            code: None,
            challenge: false,
            close: false,
        }
    }

    /// The answer ends the connection (its body was left unread).
    pub(crate) fn closing(mut self) -> Reply {
        self.close = true;
        self
    }

    pub(crate) fn with_book(mut self, book: String) -> Reply {
        self.book = Some(book);
        self
    }

    /// An error of the service's own (not a question's): its status, code and words.
    pub(crate) fn error(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        help: Option<&str>,
    ) -> Reply {
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message: message.into(),
                help: help.map(str::to_string),
                field: None,
                diagnostics: Vec::new(),
            },
        };
        let mut r = Reply::json(status, &body);
        r.code = Some(code);
        r
    }
}

/// The HTTP status of a question that could not be answered.
pub(crate) fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest | ErrorKind::Unsupported => StatusCode::BAD_REQUEST,
        ErrorKind::UnknownBook => StatusCode::NOT_FOUND,
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl From<AnswerError> for Reply {
    fn from(e: AnswerError) -> Reply {
        let mut r = Reply::json(status_of(e.kind()), &e.body());
        r.code = Some(e.code());
        r
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        if let Some(b) = self.book.and_then(|b| HeaderValue::from_str(&b).ok()) {
            headers.insert(BOOK_HEADER, b);
        }
        if self.close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if self.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"pricebook\""),
            );
        }
        response
    }
}

/// The request's body, at most `limit` bytes: over it is `413`, a body that breaks off `400`.
/// Any body: axum's, or hyper's own on the quote's direct path.
pub(crate) async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, Reply>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(limit as u64)),
        Err(e) => Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "bad-request",
            format!("the request body could not be read: {e}"),
            None,
        )
        .closing()),
    }
}

pub(crate) fn too_large(limit: u64) -> Reply {
    Reply::error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
        format!("the request body is over the limit of {limit} bytes"),
        Some("send less, or start the service with a larger limit (--max-body, --max-rate-body)"),
    )
    .closing()
}

/// A question read from its JSON: `400` with serde's words (which field, which line and column)
/// when it is not one.
pub(crate) fn question<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    example: &str,
) -> Result<T, Reply> {
    serde_json::from_slice(bytes).map_err(|e| {
        Reply::error(
            StatusCode::BAD_REQUEST,
            "bad-request",
            format!("the request body is not a question: {e}"),
            Some(&format!("send JSON such as {example}")),
        )
    })
}
