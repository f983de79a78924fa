//! A short-lived in-process cache of successful `GET /v1/...` responses, keyed by path and query: analytics
//! queries cost milliseconds of database time while their answers change at most as fast as events are
//! projected. Entries live `SHOCKWAVE_API_CACHE_MS` (default 2000; 0 disables); admin actions that change
//! what the views say (replay, model switch) empty it. `If-None-Match` is answered from the cached `ETag`.
//! Lookups of one resource by id (`/v1/articles/{id}`) are not cached: they cost one indexed read, and a client
//! waiting for an article's score should see it the moment it is projected.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Entries kept at most; the cache is emptied when full (old entries are cheap to recompute).
const MAX_ENTRIES: usize = 10_000;
/// Larger responses are not kept.
const MAX_BODY: usize = 4 * 1024 * 1024;

#[derive(Clone)]
struct Cached {
    at: Instant,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Debug)]
pub struct ResponseCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Cached>>,
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached")
            .field("bytes", &self.body.len())
            .finish()
    }
}

impl ResponseCache {
    pub fn new(ttl: Duration) -> Arc<Self> {
        Arc::new(ResponseCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        })
    }

    pub fn clear(&self) {
        self.entries.lock().expect("cache lock").clear();
    }

    fn get(&self, key: &str) -> Option<Cached> {
        let entries = self.entries.lock().expect("cache lock");
        entries
            .get(key)
            .filter(|c| c.at.elapsed() < self.ttl)
            .cloned()
    }

    fn put(&self, key: String, cached: Cached) {
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, cached);
    }
}

fn answer(cached: Cached, if_none_match: Option<&str>) -> Response {
    let etag = cached
        .headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let matches = !etag.is_empty()
        && if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        let mut headers = HeaderMap::new();
        for name in [header::ETAG, header::CACHE_CONTROL] {
            if let Some(value) = cached.headers.get(&name) {
                headers.insert(name, value.clone());
            }
        }
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (cached.headers, Body::from(cached.body)).into_response()
}

pub async fn serve(
    State(cache): State<Arc<ResponseCache>>,
    mut request: Request,
    next: Next,
) -> Response {
    if cache.ttl.is_zero()
        || request.method() != Method::GET
        || !request.uri().path().starts_with("/v1/")
        || request
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|route| route.as_str().ends_with('}'))
    {
        return next.run(request).await;
    }
    let key = request.uri().to_string();
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(hit) = cache.get(&key) {
        return answer(hit, if_none_match.as_deref());
    }
    // Ask for the full body, to keep it; the validator is checked here afterwards.
    request.headers_mut().remove(header::IF_NONE_MATCH);
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let cached = Cached {
        at: Instant::now(),
        headers: parts.headers,
        body,
    };
    cache.put(key, cached.clone());
    answer(cached, if_none_match.as_deref())
}
