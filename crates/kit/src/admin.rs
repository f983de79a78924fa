//! The admin HTTP server every service runs: `/healthz` (process alive), `/readyz` (dependencies reachable)
//! and `/metrics` (Prometheus text format).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use futures::future::BoxFuture;

use crate::Shutdown;

/// One named dependency check; `Err` carries a short reason.
pub type Check = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<(&'static str, Check)>,
}

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, name: &'static str, check: Check) -> Self {
        self.checks.push((name, check));
        self
    }

    /// Runs every check (each bounded by a timeout) and reports per dependency.
    pub async fn report(&self) -> (bool, serde_json::Value) {
        let mut ready = true;
        let mut body = serde_json::Map::new();
        for (name, check) in &self.checks {
            let outcome =
                match tokio::time::timeout(std::time::Duration::from_secs(3), check()).await {
                    Ok(Ok(())) => "ok".to_string(),
                    Ok(Err(reason)) => reason,
                    Err(_) => "timed out".to_string(),
                };
            ready &= outcome == "ok";
            body.insert(name.to_string(), outcome.into());
        }
        (ready, serde_json::Value::Object(body))
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(readiness): State<Readiness>) -> impl IntoResponse {
    let (ready, body) = readiness.report().await;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body))
}

async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
}

/// The admin routes, for services that mount them on their own server (the API).
pub fn router(readiness: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(readiness)
}

/// Binds the admin server and serves it until shutdown. Returns the bound address (useful with port 0).
pub async fn serve(
    addr: SocketAddr,
    readiness: Readiness,
    shutdown: Shutdown,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tracing::info!(%bound, "admin server listening");
    tokio::spawn(async move {
        let app = router(readiness);
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await
        {
            tracing::error!(%error, "admin server stopped");
        }
    });
    Ok(bound)
}
