//! Per request: an id (the caller's `x-request-id` if it sent a sane one, else a new UUID) echoed in the
//! response, an access-log line with the latency, and the latency in `api_request_seconds{route,method,status}`
//! (route = the matched path template, so labels stay bounded).

use std::sync::LazyLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use prometheus::HistogramVec;
use shockwave_kit::metrics::histogram_vec;
use tracing::Instrument;

static REQUEST_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram_vec(
        "api_request_seconds",
        "API request latency by route template, method and status.",
        &["route", "method", "status"],
        vec![
            0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
        ],
    )
});

pub const REQUEST_ID: &str = "x-request-id";

fn sane(id: &HeaderValue) -> Option<String> {
    let text = id.to_str().ok()?;
    (!text.is_empty()
        && text.len() <= 128
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    .then(|| text.to_string())
}

pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(sane)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    // Every line logged while answering says which request it belongs to.
    let span = tracing::info_span!("request", request_id = %id, %method, route = %route);
    let mut response = next.run(request).instrument(span.clone()).await;
    let _entered = span.enter();
    let elapsed = started.elapsed();
    let status = response.status();
    REQUEST_SECONDS
        .with_label_values(&[&route, method.as_str(), status.as_str()])
        .observe(elapsed.as_secs_f64());
    tracing::info!(
        request_id = %id,
        %method,
        %path,
        status = status.as_u16(),
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
