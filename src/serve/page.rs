//! The pricing pages, served: `GET /page/` lists the served books, `GET /page/<book>` is the
//! page `pricebook page` writes for the book's latest version, with the calculator's form, which
//! prices through `/v1/quote` and `/v1/bill`. The pages are HTML for people, not part of the
//! JSON API (nor of its OpenAPI document), and are never behind the token: the calculator sends
//! the token to `/v1` when the service asks for one.

use super::metrics::Endpoint;
use super::reply::Reply;
use super::routes::{Shared, guarded};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

const HTML: &str = "text/html; charset=utf-8";

/// `GET /page/`: a link to each served book's page.
pub(super) async fn index(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let work = async {
        let books = app.books.load();
        let links: Vec<(String, String, String)> = books
            .keys()
            .filter_map(|k| {
                let b = books.pick(Some(&k.to_string()), None).ok()?;
                Some((
                    format!("/page/{k}"),
                    k.to_string(),
                    format!("version {} from {}", b.version(), b.effective()),
                ))
            })
            .collect();
        let html = crate::page::index_html(
            "Pricing pages",
            "The books this service serves; each page has a calculator that prices through the service.",
            &links,
        );
        Ok(Reply::text(StatusCode::OK, HTML, html))
    };
    guarded(&app, Endpoint::Page, "GET", "/page/", &headers, work).await
}

/// `GET /page/<book>`: the book's page, its latest version.
pub(super) async fn book(
    State(app): State<Shared>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/page/{}", key.chars().take(200).collect::<String>());
    let work = async {
        let books = app.books.load();
        let key = key.trim_end_matches('/');
        let book = books.pick(Some(key), None)?;
        let html = crate::page::served_html(&book.opened, &book.key.to_string());
        Ok(Reply::text(StatusCode::OK, HTML, html))
    };
    guarded(&app, Endpoint::Page, "GET", &path, &headers, work).await
}
