//! The OpenAPI 3.1 document of the service, generated from the handlers' `#[utoipa::path]`
//! attributes and the question and answer types' schemas, so it cannot drift from them.
//! `docs/openapi.json` is a copy of it; `tests/serve.rs` fails when the two differ.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pricebook",
        description = "Quotes, capacities, bills and usage totals from served pricebooks, exactly as `pricebook quote/capacity/bill/rate --format json` answers them. Decimals are strings. Errors are `{\"error\": {\"code\", \"message\", \"help\"?}}`.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    paths(
        super::routes::quote,
        super::routes::capacity,
        super::routes::bill,
        super::routes::rate,
        super::routes::books,
        super::routes::healthz,
        super::routes::readyz,
        super::routes::metrics,
        super::routes::openapi,
    ),
    modifiers(&Bearer),
    tags(
        (name = "questions", description = "What a usage costs, what a grant buys, what an account bills, what an export totals; under /v1, behind the bearer token when the service has one"),
        (name = "operations", description = "Liveness, readiness, metrics and this document; never behind the token"),
    )
)]
struct ApiDoc;

/// The `bearer` security scheme the `/v1` paths name.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "The token in the file given to `pricebook serve --token-file`",
                        ))
                        .build(),
                ),
            );
        }
    }
}

/// The document, as `GET /openapi.json` serves it: pretty JSON with a final newline.
pub fn openapi_json() -> String {
    let mut text = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}
