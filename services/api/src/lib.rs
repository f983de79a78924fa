//! The REST API: JSON over the projections and analytics, RFC 7807 errors, an OpenAPI 3.1 document generated
//! from the handlers (`/openapi.json`), admin actions behind a bearer token, and the service endpoints
//! (`/healthz`, `/readyz`, `/metrics`) on the same port. `app(state)` builds the router so tests can drive it
//! without a socket.

pub mod auth;
pub mod cache;
pub mod cursor;
pub mod docs;
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
use shockwave_kit::Shutdown;
use shockwave_kit::admin::{self as admin_server, Readiness};
use shockwave_kit::cli::VERSION;
use shockwave_kit::config::range;
use shockwave_kit::telemetry::LogArgs;
use shockwave_store::DbArgs;
use sqlx::PgPool;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::problem::Problem;

/// `api`: the REST API over the projections and analytics, its documentation (`/docs`, `/openapi.json`), the
/// admin actions behind a bearer token, and `/healthz`, `/readyz`, `/metrics` on the same port. It runs no
/// migrations and starts no process: its database role only reads, queues jobs and switches the model.
#[derive(Clone, clap::Parser)]
#[command(name = "api", version = VERSION, about, long_about = None)]
pub struct Config {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// Where the API listens.
    #[arg(long, env = "SHOCKWAVE_API_ADDR", default_value = "127.0.0.1:8080")]
    pub api_addr: SocketAddr,
    /// The admin endpoints' bearer token; unset disables them.
    #[arg(
        long,
        env = "SHOCKWAVE_API_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub api_admin_token: Option<String>,
    /// Origins allowed to call the API from a browser, comma-separated, or `*`; unset allows none.
    #[arg(
        long,
        env = "SHOCKWAVE_API_CORS_ORIGINS",
        value_delimiter = ',',
        value_name = "ORIGIN,..."
    )]
    pub api_cors_origins: Vec<String>,
    /// Folder of the model versions (`v<version>/eval_as_served.json` or `export_report.json`), for their card figures.
    #[arg(
        long,
        env = "SHOCKWAVE_MODEL_CARDS",
        default_value = "models/sentiment"
    )]
    pub model_cards: PathBuf,
    /// How long a `GET` answer is served from memory, in milliseconds (0: never).
    #[arg(long, env = "SHOCKWAVE_API_CACHE_MS", default_value_t = 2000, value_parser = range(0u64, 3_600_000))]
    pub api_cache_ms: u64,
    /// Most answers held in memory.
    #[arg(long, env = "SHOCKWAVE_API_CACHE_ENTRIES", default_value_t = 10_000,
          value_parser = range(0u64, 10_000_000))]
    pub api_cache_entries: u64,
    /// Most bytes of answers held in memory.
    #[arg(long, env = "SHOCKWAVE_API_CACHE_BYTES", default_value_t = 64 * 1024 * 1024,
          value_parser = range(0u64, 1 << 40))]
    pub api_cache_bytes: u64,
    /// Requests handled at once; more get 503 at once.
    #[arg(long, env = "SHOCKWAVE_API_MAX_IN_FLIGHT", default_value_t = 256, value_parser = range(1usize, 100_000))]
    pub api_max_in_flight: usize,
    /// A request still running after this many milliseconds gets 503.
    #[arg(long, env = "SHOCKWAVE_API_REQUEST_TIMEOUT_MS", default_value_t = 15_000,
          value_parser = range(1u64, 3_600_000))]
    pub api_request_timeout_ms: u64,
    /// Milliseconds a client has to send its request headers.
    #[arg(long, env = "SHOCKWAVE_API_HEADER_TIMEOUT_MS", default_value_t = 5_000,
          value_parser = range(1u64, 3_600_000))]
    pub api_header_timeout_ms: u64,
    /// Milliseconds requests in flight may take to finish after shutdown.
    #[arg(long, env = "SHOCKWAVE_API_SHUTDOWN_DEADLINE_MS", default_value_t = 10_000,
          value_parser = range(1u64, 3_600_000))]
    pub api_shutdown_deadline_ms: u64,
    /// Postgres cancels an API query running longer than this many milliseconds.
    #[arg(long, env = "SHOCKWAVE_API_STATEMENT_TIMEOUT_MS", default_value_t = 10_000,
          value_parser = range(1u64, 3_600_000))]
    pub api_statement_timeout_ms: u64,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("api_addr", &self.api_addr)
            .field("admin_token", &self.api_admin_token.as_ref().map(|_| "***"))
            .field("cors_origins", &self.api_cors_origins)
            .field("model_cards", &self.model_cards)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn cache_bounds(&self) -> cache::Bounds {
        cache::Bounds {
            ttl: Duration::from_millis(self.api_cache_ms),
            max_entries: self.api_cache_entries,
            max_bytes: self.api_cache_bytes,
        }
    }
}

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub admin_token: Option<Arc<str>>,
    pub cors_origins: Vec<String>,
    pub model_cards: PathBuf,
    pub cache: Arc<cache::ResponseCache>,
    pub guard: guard::Guard,
}

impl AppState {
    pub fn new(pool: PgPool, config: &Config) -> Self {
        AppState {
            pool,
            admin_token: config
                .api_admin_token
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(Arc::from),
            cors_origins: config
                .api_cors_origins
                .iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            model_cards: config.model_cards.clone(),
            cache: cache::ResponseCache::new(config.cache_bounds(), route_parameters()),
            guard: guard::Guard::new(
                config.api_max_in_flight,
                Duration::from_millis(config.api_request_timeout_ms),
            ),
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
        .merge(docs::router())
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
    let pool = shockwave_store::connect(
        &config.db.url(),
        16,
        Duration::from_secs(60),
        Some(Duration::from_millis(config.api_statement_timeout_ms)),
    )
    .await?;
    let readiness = Readiness::new()
        .with("postgres", shockwave_store::readiness(pool.clone()))
        .with("schema", shockwave_store::schema_readiness(pool.clone()));
    let router = admin_server::router(readiness).merge(app(AppState::new(pool, &config)));
    let listener = tokio::net::TcpListener::bind(config.api_addr)
        .await
        .with_context(|| format!("binding {}", config.api_addr))?;
    tracing::info!(addr = %listener.local_addr()?, "api listening");
    let limits = server::Limits {
        header_read_timeout: Duration::from_millis(config.api_header_timeout_ms),
        shutdown_deadline: Duration::from_millis(config.api_shutdown_deadline_ms),
    };
    server::serve(listener, router, limits, shutdown).await;
    Ok(())
}
