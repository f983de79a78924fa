//! JSON responses with an `ETag` (a digest of the body; `If-None-Match` gets 304) and `Cache-Control`:
//! cacheable for a day when the data asked for is final (it ends before today, UTC), else revalidated.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::problem::Problem;

/// Whether data up to `to` can no longer change: it ends before today began (UTC).
pub fn is_final(to: DateTime<Utc>) -> bool {
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    to < today
}

pub fn json<T: Serialize>(
    request: &HeaderMap,
    value: &T,
    final_data: bool,
) -> Result<Response, Problem> {
    let body = serde_json::to_vec(value).map_err(|e| Problem::internal(&e))?;
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..24]);
    let cache = if final_data {
        "public, max-age=86400"
    } else {
        "no-cache"
    };
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
