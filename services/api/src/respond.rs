//! JSON responses with an `ETag` (a digest of the body; `If-None-Match` gets 304) and `Cache-Control:
//! no-cache`: clients and proxies may keep an answer but must revalidate it, because even data about the past
//! changes when history is replayed, a model is switched or a late event arrives. Revalidation is cheap: a
//! matching `If-None-Match` is answered 304 without a body.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::problem::Problem;

pub fn json<T: Serialize>(request: &HeaderMap, value: &T) -> Result<Response, Problem> {
    let body = serde_json::to_vec(value).map_err(|e| Problem::internal(&e))?;
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..24]);
    let cache = "no-cache";
    let headers = [
        (
            header::ETAG,
            HeaderValue::from_str(&etag).expect("hex is a valid header"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
    ];
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    Ok((
        headers,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}
