//! Per-request limits: at most `max_in_flight` requests are handled at once (the rest are refused with 503 at
//! once, not queued without bound) and each must finish within `request_timeout` (else 503), so a burst or a
//! slow query cannot pile up work the server will never finish.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::problem::Problem;

#[derive(Debug, Clone)]
pub struct Guard {
    permits: Arc<Semaphore>,
    timeout: Duration,
}

impl Guard {
    pub fn new(max_in_flight: usize, timeout: Duration) -> Self {
        Guard {
            permits: Arc::new(Semaphore::new(max_in_flight)),
            timeout,
        }
    }
}

fn retry_after(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert("retry-after", HeaderValue::from_static("1"));
    response
}

pub async fn limit(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let Ok(_permit) = guard.permits.clone().try_acquire_owned() else {
        return retry_after(
            Problem::unavailable(
                "the server is handling as many requests as it allows; retry shortly",
            )
            .into_response(),
        );
    };
    match tokio::time::timeout(guard.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => retry_after(
            Problem::unavailable(format!(
                "the request took longer than {} ms and was abandoned",
                guard.timeout.as_millis()
            ))
            .into_response(),
        ),
    }
}
