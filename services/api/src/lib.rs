//! The REST API: JSON over the projections and analytics, RFC 7807 errors, an OpenAPI 3.1 document generated
//! from the handlers (`/openapi.json`), admin actions behind a bearer token, and the service endpoints
//! (`/healthz`, `/readyz`, `/metrics`) on the same port. `app(state)` builds the router so tests can drive it
//! without a socket.

pub mod auth;
pub mod cache;
pub mod cursor;
pub mod guard;
pub mod observe;
pub mod openapi;
pub mod params;
pub mod problem;
pub mod respond;
pub mod routes;
pub mod server;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::http::{HeaderValue, Method, Uri, header};
use axum::response::IntoResponse;
use axum::routing::get;
use shockwave_common::config::{ConfigError, Settings};
use shockwave_common::{CommonConfig, Shutdown, admin as admin_server, db};
use sqlx::PgPool;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::problem::Problem;

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
    /// `SHOCKWAVE_API_CACHE_MS` (how long a `GET` answer is served from memory, 0: never; 2000),
    /// `SHOCKWAVE_API_CACHE_ENTRIES` (10000) and `SHOCKWAVE_API_CACHE_BYTES` (64 MiB).
    pub cache: cache::Bounds,
    /// `SHOCKWAVE_API_MAX_IN_FLIGHT` (requests handled at once, more get 503; 256) and
    /// `SHOCKWAVE_API_REQUEST_TIMEOUT_MS` (a request still running after this gets 503; 15000).
    pub max_in_flight: usize,
    pub request_timeout: Duration,
    /// `SHOCKWAVE_API_HEADER_TIMEOUT_MS`: time a client has to send its request headers (5000).
    pub header_timeout: Duration,
    /// `SHOCKWAVE_API_SHUTDOWN_DEADLINE_MS`: how long requests in flight may finish after shutdown (10000).
    pub shutdown_deadline: Duration,
    /// `SHOCKWAVE_API_STATEMENT_TIMEOUT_MS`: Postgres cancels an API query running longer (10000).
    pub statement_timeout: Duration,
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
            .field("cache", &self.cache)
            .field("max_in_flight", &self.max_in_flight)
            .field("request_timeout", &self.request_timeout)
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
            cache: cache::Bounds {
                ttl: Duration::from_millis(settings.get_or("SHOCKWAVE_API_CACHE_MS", 2000)?),
                max_entries: settings.get_or("SHOCKWAVE_API_CACHE_ENTRIES", 10_000)?,
                max_bytes: settings.get_or("SHOCKWAVE_API_CACHE_BYTES", 64 * 1024 * 1024)?,
            },
            max_in_flight: settings.checked("SHOCKWAVE_API_MAX_IN_FLIGHT", 256, positive)?,
            request_timeout: millis(settings, "SHOCKWAVE_API_REQUEST_TIMEOUT_MS", 15_000)?,
            header_timeout: millis(settings, "SHOCKWAVE_API_HEADER_TIMEOUT_MS", 5_000)?,
            shutdown_deadline: millis(settings, "SHOCKWAVE_API_SHUTDOWN_DEADLINE_MS", 10_000)?,
            statement_timeout: millis(settings, "SHOCKWAVE_API_STATEMENT_TIMEOUT_MS", 10_000)?,
        })
    }
}

fn positive(n: &usize) -> Result<(), String> {
    if *n > 0 {
        Ok(())
    } else {
        Err("must be positive".into())
    }
}

/// A duration setting in milliseconds, from 1 ms to one hour.
fn millis(settings: &Settings, name: &str, default: u64) -> Result<Duration, ConfigError> {
    settings
        .checked(name, default, |n: &u64| {
            if (1..=3_600_000).contains(n) {
                Ok(())
            } else {
                Err("expected 1..=3600000 milliseconds".into())
            }
        })
        .map(Duration::from_millis)
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
    pub guard: guard::Guard,
}

impl AppState {
    pub fn new(pool: PgPool, config: &Config) -> Self {
        AppState {
            pool,
            admin_token: config.admin_token.as_deref().map(Arc::from),
            cors_origins: config.cors_origins.clone(),
            scorer_bin: config.scorer_bin.clone(),
            model_cards: config.model_cards.clone(),
            cache: cache::ResponseCache::new(config.cache, route_parameters()),
            guard: guard::Guard::new(config.max_in_flight, config.request_timeout),
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
            cache: cache::ResponseCache::disabled(),
            guard: guard::Guard::new(256, Duration::from_secs(15)),
        }
    }
}

/// The query parameters each route documents, by route template (from the OpenAPI document).
pub fn route_parameters() -> BTreeMap<String, BTreeSet<String>> {
    let (_, spec) = routes::router().split_for_parts();
    spec.paths
        .paths
        .iter()
        .map(|(path, item)| {
            let names = [&item.get, &item.post, &item.put]
                .into_iter()
                .flatten()
                .flat_map(|op| op.parameters.iter().flatten())
                .filter(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
                .map(|p| p.name.clone())
                .collect();
            (path.clone(), names)
        })
        .collect()
}

async fn no_route(uri: Uri) -> impl IntoResponse {
    Problem::no_route(uri.path())
}

async fn wrong_method(method: Method) -> impl IntoResponse {
    Problem::method_not_allowed(method.as_str())
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
    let guard = state.guard.clone();
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
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(cache, cache::serve))
        .layer(axum::middleware::from_fn_with_state(guard, guard::limit))
        .layer(axum::middleware::from_fn(observe::track))
        .layer(cors)
}

/// Serves the API and admin endpoints until shutdown. The API runs no migrations (its role need not own the
/// schema): `/readyz` says so while the schema is behind.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let pool = db::connect(
        &config.common.database_url,
        16,
        Duration::from_secs(60),
        Some(config.statement_timeout),
    )
    .await?;
    let readiness = admin_server::Readiness::new()
        .with("postgres", admin_server::postgres_check(pool.clone()))
        .with("schema", admin_server::schema_check(pool.clone()));
    let router = admin_server::router(readiness).merge(app(AppState::new(pool, &config)));
    let listener = tokio::net::TcpListener::bind(config.listen_addr)
        .await
        .with_context(|| format!("binding {}", config.listen_addr))?;
    tracing::info!(addr = %listener.local_addr()?, "api listening");
    let limits = server::Limits {
        header_read_timeout: config.header_timeout,
        shutdown_deadline: config.shutdown_deadline,
    };
    server::serve(listener, router, limits, shutdown).await;
    Ok(())
}
