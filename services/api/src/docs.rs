//! The API's documentation page: Redoc (bundled in the binary, `assets/redoc`, no CDN) rendering the OpenAPI
//! document the handlers generate, at `/docs`. The page and its scripts come from this server only; the
//! Content-Security-Policy says so (Redoc's search runs in a worker made from a blob, and its styles are
//! inserted at run time).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const REDOC: &[u8] = include_bytes!("../assets/redoc/redoc.standalone.js");

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shockwave API</title>
<style>body { margin: 0; }</style>
</head>
<body>
<div id="redoc"></div>
<script src="/docs/redoc.standalone.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"#;

const INIT: &str = r#"Redoc.init("/openapi.json", {
  expandResponses: "200,202",
  hideDownloadButton: false,
  pathInMiddlePanel: true,
  sortPropsAlphabetically: false
}, document.getElementById("redoc"));
"#;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; \
                   connect-src 'self'; frame-ancestors 'none'";

fn asset(body: &'static [u8], content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `/docs` (the page), `/docs/redoc.standalone.js` and `/docs/init.js`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/docs",
            get(|| async { asset(PAGE.as_bytes(), "text/html; charset=utf-8") }),
        )
        .route(
            "/docs/",
            get(|| async { asset(PAGE.as_bytes(), "text/html; charset=utf-8") }),
        )
        .route(
            "/docs/redoc.standalone.js",
            get(|| async { asset(REDOC, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/docs/init.js",
            get(|| async { asset(INIT.as_bytes(), "text/javascript; charset=utf-8") }),
        )
}
