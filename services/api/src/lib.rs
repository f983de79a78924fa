//! The REST API: JSON over the projections and analytics, RFC 7807 errors, an OpenAPI 3.1 document generated
//! from the handlers (`/openapi.json`), admin actions behind a bearer token, and the service endpoints
//! (`/healthz`, `/readyz`, `/metrics`) on the same port. `app(state)` builds the router so tests can drive it
//! without a socket.

pub mod auth;
pub mod cache;
pub mod cursor;
pub mod observe;
pub mod openapi;
pub mod params;
pub mod problem;
pub mod respond;
pub mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::routing::get;
use shockwave_common::config::{ConfigError, Settings};
use shockwave_common::{CommonConfig, Shutdown, admin as admin_server, db};
use sqlx::PgPool;
use tower_http::cors::{AllowOrigin, CorsLayer};

#[derive(Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// `SHOCKWAVE_API_ADDR`: where the API listens.
    pub listen_addr: SocketAddr,
    /// `SHOCKWAVE_API_ADMIN_TOKEN`: the admin endpoints' bearer token; unset disables them.
    pub admin_token: Option<String>,
    /// `SHOCKWAVE_API_CORS_ORIGINS`: comma-separated origins allowed to call the API from a browser, or `*`;
    /// unset allows none.
    pub cors_origins: Vec<String>,
    /// `SHOCKWAVE_SCORER_BIN`: the scorer binary the re-score endpoint runs (default `scorer` on the PATH).
    pub scorer_bin: PathBuf,
    /// `SHOCKWAVE_MODEL_CARDS`: folder of model versions (`v<version>/export_report.json`).
    pub model_cards: PathBuf,
    /// `SHOCKWAVE_API_CACHE_MS`: how long a `GET` answer is served from memory (0: never).
    pub cache_ttl: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("common", &self.common)
            .field("listen_addr", &self.listen_addr)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "***"))
            .field("cors_origins", &self.cors_origins)
            .field("scorer_bin", &self.scorer_bin)
            .field("model_cards", &self.model_cards)
            .field("cache_ttl", &self.cache_ttl)
            .finish()
    }
}

impl Config {
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Config {
            common: CommonConfig::load(settings, 9103)?,
            listen_addr: settings.get_or(
                "SHOCKWAVE_API_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
            admin_token: settings
                .raw("SHOCKWAVE_API_ADMIN_TOKEN")
                .filter(|t| !t.trim().is_empty()),
            cors_origins: settings
                .raw("SHOCKWAVE_API_CORS_ORIGINS")
                .unwrap_or_default()
                .split(',')
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            scorer_bin: settings.get_or("SHOCKWAVE_SCORER_BIN", PathBuf::from("scorer"))?,
            model_cards: settings
                .get_or("SHOCKWAVE_MODEL_CARDS", PathBuf::from("models/sentiment"))?,
            cache_ttl: Duration::from_millis(settings.get_or("SHOCKWAVE_API_CACHE_MS", 2000)?),
        })
    }
}

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub admin_token: Option<Arc<str>>,
    pub cors_origins: Vec<String>,
    pub scorer_bin: PathBuf,
    pub model_cards: PathBuf,
    pub cache: Arc<cache::ResponseCache>,
}

impl AppState {
    pub fn new(pool: PgPool, config: &Config) -> Self {
        AppState {
            pool,
            admin_token: config.admin_token.as_deref().map(Arc::from),
            cors_origins: config.cors_origins.clone(),
            scorer_bin: config.scorer_bin.clone(),
            model_cards: config.model_cards.clone(),
            cache: cache::ResponseCache::new(config.cache_ttl),
        }
    }
}

impl AppState {
    /// State with the defaults: admin disabled, no CORS origins, no response cache (tests and tools).
    pub fn with_pool(pool: PgPool) -> Self {
        AppState {
            pool,
            admin_token: None,
            cors_origins: Vec::new(),
            scorer_bin: PathBuf::from("scorer"),
            model_cards: PathBuf::from("models/sentiment"),
            cache: cache::ResponseCache::new(Duration::ZERO),
        }
    }
}

fn cors(origins: &[String]) -> CorsLayer {
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::PUT])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
        ])
        .expose_headers([
            header::ETAG,
            header::HeaderName::from_static(observe::REQUEST_ID),
        ])
}

/// The API's routes and `/openapi.json` (without the health endpoints, which need dependency checks).
pub fn app(state: AppState) -> Router {
    let (router, spec) = routes::router().split_for_parts();
    let spec = Arc::new(
        spec.to_pretty_json()
            .expect("the OpenAPI document serialises"),
    );
    let cors = cors(&state.cors_origins);
    let cache = state.cache.clone();
    router
        .route(
            "/openapi.json",
            get(move || {
                let spec = spec.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        spec.as_str().to_owned(),
                    )
                }
            }),
        )
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(cache, cache::serve))
        .layer(axum::middleware::from_fn(observe::track))
        .layer(cors)
}

/// Serves the API and admin endpoints until shutdown.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let pool =
        db::connect_and_migrate(&config.common.database_url, 16, Duration::from_secs(60)).await?;
    let readiness =
        admin_server::Readiness::new().with("postgres", admin_server::postgres_check(pool.clone()));
    let router = app(AppState::new(pool, &config)).merge(admin_server::router(readiness));
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
