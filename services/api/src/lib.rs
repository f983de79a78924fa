//! The REST API: read-only JSON over the projections, RFC 7807 errors, and the admin endpoints
//! (`/healthz`, `/readyz`, `/metrics`) on the same port. `app(state)` builds the router so tests can drive it
//! without a socket.

pub mod params;
pub mod problem;
pub mod routes;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use shockwave_common::config::{ConfigError, Settings};
use shockwave_common::{CommonConfig, Shutdown, admin as admin_server, db};
use sqlx::PgPool;

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// `SHOCKWAVE_API_ADDR`: where the API listens.
    pub listen_addr: SocketAddr,
}

impl Config {
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Config {
            common: CommonConfig::load(settings, 9103)?,
            listen_addr: settings.get_or(
                "SHOCKWAVE_API_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
        })
    }
}

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
}

/// The API's routes (without the admin endpoints, which need dependency checks).
pub fn app(state: AppState) -> Router {
    routes::router().with_state(state)
}

/// Serves the API and admin endpoints until shutdown.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let pool =
        db::connect_and_migrate(&config.common.database_url, 16, Duration::from_secs(60)).await?;
    let readiness =
        admin_server::Readiness::new().with("postgres", admin_server::postgres_check(pool.clone()));
    let router = app(AppState { pool }).merge(admin_server::router(readiness));
    let listener = tokio::net::TcpListener::bind(config.listen_addr)
        .await
        .with_context(|| format!("binding {}", config.listen_addr))?;
    tracing::info!(addr = %listener.local_addr()?, "api listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await
        .context("serving")?;
    Ok(())
}
