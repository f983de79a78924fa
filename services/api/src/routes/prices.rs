//! `GET /v1/prices`: price bars of one instrument, oldest first.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::params::{self, ApiQuery};
use crate::problem::Problem;
use crate::respond;

/// The widest range one request may ask for.
pub(super) const MAX_RANGE_DAYS: i64 = 3660;
const INTERVALS: [&str; 4] = ["1m", "5m", "1h", "1d"];

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PricesQuery {
    /// Ticker symbol (required), e.g. `NVDA` or `^SOX`.
    ticker: Option<String>,
    /// Bar interval: `1m`, `5m`, `1h` or `1d` (default).
    interval: Option<String>,
    /// Start (RFC 3339 or YYYY-MM-DD); default one year before `to`. At most 3660 days before `to`.
    from: Option<String>,
    /// End (RFC 3339 or YYYY-MM-DD); default now.
    to: Option<String>,
}

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub(super) struct Bar {
    pub period_start: DateTime<Utc>,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Prices {
    pub ticker: String,
    pub interval: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub bars: Vec<Bar>,
}

/// Price bars of one instrument.
#[utoipa::path(get, path = "/v1/prices", tag = "market", params(PricesQuery),
    responses((status = 200, body = Prices), (status = 304, description = "Not modified"),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<PricesQuery>,
) -> Result<Response, Problem> {
    let ticker = params::instrument("ticker", params::required("ticker", &query.ticker)?, false)?;
    let interval = params::choice("interval", &query.interval, &INTERVALS, "1d")?;
    let (from, to) = params::range(&query.from, &query.to, 365, MAX_RANGE_DAYS)?;
    let bars = sqlx::query_as::<_, Bar>(include_str!("sql/prices.sql"))
        .bind(&ticker)
        .bind(interval)
        .bind(from)
        .bind(to)
        .fetch_all(&state.pool)
        .await?;
    let prices = Prices {
        ticker,
        interval: interval.to_string(),
        from,
        to,
        bars,
    };
    respond::json(&headers, &prices)
}
