//! A short-lived in-process cache of successful `GET /v1/...` responses: analytics queries cost milliseconds
//! of database time while their answers change at most as fast as events are projected. Entries live
//! `SHOCKWAVE_API_CACHE_MS` (default 2000; 0 disables); the cache holds at most `SHOCKWAVE_API_CACHE_ENTRIES`
//! answers and `SHOCKWAVE_API_CACHE_BYTES` bytes of them (least recently used evicted first, by `moka`).
//! Admin actions that change what the views say (replay, model switch) empty it. The key is the route and
//! the query parameters that route documents, sorted: junk parameters cannot grow the cache, and the same
//! question asked with its parameters in another order is one entry. `If-None-Match` is answered from the
//! cached `ETag`. Lookups of one resource by id (`/v1/articles/{id}`) are not cached: they cost one indexed
//! read, and a client waiting for an article's score should see it the moment it is projected.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use moka::sync::Cache;

/// Larger responses are not kept.
const MAX_BODY: usize = 4 * 1024 * 1024;

#[derive(Clone)]
struct Cached {
    headers: HeaderMap,
    body: Bytes,
}

/// How big the cache may grow.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub ttl: Duration,
    pub max_entries: u64,
    pub max_bytes: u64,
}

pub struct ResponseCache {
    enabled: bool,
    entries: Cache<String, Arc<Cached>>,
    /// Query parameters each route documents, by route template.
    parameters: BTreeMap<String, BTreeSet<String>>,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("enabled", &self.enabled)
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

impl ResponseCache {
    /// A cache within `bounds`; `parameters` lists each route template's query parameters (from the OpenAPI
    /// document), the only ones a key is made of.
    pub fn new(bounds: Bounds, parameters: BTreeMap<String, BTreeSet<String>>) -> Arc<Self> {
        let max_bytes = bounds.max_bytes.max(1);
        // Each entry weighs its bytes, and at least an equal share of the byte budget, so the one capacity
        // bounds both: the bytes held, and the entries (at most `max_entries` shares fit).
        let share = max_bytes.div_ceil(bounds.max_entries.max(1));
        let entries = Cache::builder()
            .weigher(move |key: &String, value: &Arc<Cached>| {
                let bytes = (key.len() + value.body.len() + 512) as u64;
                bytes.max(share).try_into().unwrap_or(u32::MAX)
            })
            .max_capacity(max_bytes)
            .time_to_live(bounds.ttl.max(Duration::from_millis(1)))
            .build();
        Arc::new(ResponseCache {
            enabled: !bounds.ttl.is_zero() && bounds.max_entries > 0 && bounds.max_bytes > 0,
            entries,
            parameters,
        })
    }

    /// A cache that keeps nothing (tests and tools).
    pub fn disabled() -> Arc<Self> {
        Self::new(
            Bounds {
                ttl: Duration::ZERO,
                max_entries: 0,
                max_bytes: 0,
            },
            BTreeMap::new(),
        )
    }

    pub fn clear(&self) {
        self.entries.invalidate_all();
        self.entries.run_pending_tasks();
    }

    /// How many answers are held, and their weight (bytes, at least a share each), after pending evictions.
    pub fn usage(&self) -> (u64, u64) {
        self.entries.run_pending_tasks();
        (self.entries.entry_count(), self.entries.weighted_size())
    }

    /// The key of a request: its route template and documented parameters in name order, or `None` when the
    /// route is not known.
    fn key(&self, route: &str, path: &str, query: Option<&str>) -> Option<String> {
        let known = self.parameters.get(route)?;
        let mut pairs: Vec<(String, String)> =
            form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .filter(|(name, _)| known.contains(name.as_ref()))
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
        pairs.sort();
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        Some(format!("{path}?{query}"))
    }

    fn put(&self, key: String, cached: Cached) {
        self.entries.insert(key, Arc::new(cached));
    }
}

fn answer(cached: &Cached, if_none_match: Option<&str>) -> Response {
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
    (cached.headers.clone(), Body::from(cached.body.clone())).into_response()
}

pub async fn serve(
    State(cache): State<Arc<ResponseCache>>,
    mut request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|r| r.as_str().to_string());
    let key = match &route {
        Some(route)
            if cache.enabled
                && request.method() == Method::GET
                && route.starts_with("/v1/")
                && !route.ends_with('}') =>
        {
            cache.key(route, request.uri().path(), request.uri().query())
        }
        _ => None,
    };
    let Some(key) = key else {
        return next.run(request).await;
    };
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(hit) = cache.entries.get(&key) {
        return answer(&hit, if_none_match.as_deref());
    }
    // Ask for the full body, to keep it; the validator is checked here afterwards.
    request.headers_mut().remove(header::IF_NONE_MATCH);
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return crate::problem::Problem::internal(&"a response body was too large to cache")
            .into_response();
    };
    let cached = Cached {
        headers: parts.headers,
        body,
    };
    let response = answer(&cached, if_none_match.as_deref());
    cache.put(key, cached);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(max_entries: u64, max_bytes: u64) -> Arc<ResponseCache> {
        ResponseCache::new(
            Bounds {
                ttl: Duration::from_secs(60),
                max_entries,
                max_bytes,
            },
            BTreeMap::from([(
                "/v1/prices".to_string(),
                BTreeSet::from(["ticker".to_string(), "from".to_string()]),
            )]),
        )
    }

    #[test]
    fn keys_keep_only_documented_parameters_in_name_order() {
        let cache = cache(10, 1 << 20);
        let a = cache.key(
            "/v1/prices",
            "/v1/prices",
            Some("ticker=NVDA&junk=1&from=2025-01-01"),
        );
        let b = cache.key(
            "/v1/prices",
            "/v1/prices",
            Some("from=2025-01-01&ticker=NVDA&other=2"),
        );
        assert_eq!(a, b);
        assert_eq!(a.as_deref(), Some("/v1/prices?from=2025-01-01&ticker=NVDA"));
        assert_eq!(cache.key("/v1/unknown", "/v1/unknown", None), None);
    }

    #[test]
    fn the_cache_stays_within_its_entry_and_byte_bounds() {
        let cache = cache(50, 64 * 1024);
        for i in 0..10_000 {
            cache.put(
                format!("/v1/prices?ticker=T{i}"),
                Cached {
                    headers: HeaderMap::new(),
                    body: Bytes::from(vec![b'x'; 1024]),
                },
            );
        }
        let (entries, bytes) = cache.usage();
        assert!(entries <= 50, "{entries} entries");
        assert!(bytes <= 64 * 1024, "{bytes} bytes");
    }
}
