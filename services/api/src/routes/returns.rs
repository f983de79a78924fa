//! `GET /v1/returns`: daily returns of a ticker or basket: simple and log, or abnormal against a benchmark.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::params::{self, ApiQuery};
use crate::problem::Problem;
use crate::respond;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ReturnsQuery {
    /// Ticker (`NVDA`) or basket (`basket:ai_hardware`); required.
    instrument: Option<String>,
    /// `simple` (default, with log returns too) or `abnormal` (against `benchmark`).
    kind: Option<String>,
    /// Benchmark for abnormal returns: `^SOX` (default) or `QQQ`.
    benchmark: Option<String>,
    /// Start (RFC 3339 or YYYY-MM-DD); default 90 days before `to`; at most 3660 days.
    from: Option<String>,
    /// End (RFC 3339 or YYYY-MM-DD); default now.
    to: Option<String>,
}

/// One trading day. Abnormal fields are present for `kind=abnormal` (market-model ones need 5 earlier days).
#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub(super) struct DayReturn {
    pub day: NaiveDate,
    pub simple_return: Option<f64>,
    pub log_return: Option<f64>,
    pub benchmark_return: Option<f64>,
    pub market_adjusted_return: Option<f64>,
    pub abnormal_return: Option<f64>,
    pub beta: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Returns {
    pub instrument: String,
    pub kind: String,
    pub benchmark: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub days: Vec<DayReturn>,
}

/// Daily returns of a ticker or basket.
#[utoipa::path(get, path = "/v1/returns", tag = "market", params(ReturnsQuery),
    responses((status = 200, body = Returns), (status = 304, description = "Not modified"),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ReturnsQuery>,
) -> Result<Response, Problem> {
    let instrument = params::instrument(
        "instrument",
        params::required("instrument", &query.instrument)?,
        true,
    )?;
    let kind = params::choice("kind", &query.kind, &["simple", "abnormal"], "simple")?;
    let benchmark = params::choice("benchmark", &query.benchmark, &["^SOX", "QQQ"], "^SOX")?;
    let (from, to) = params::range(&query.from, &query.to, 90, 3660)?;
    let abnormal = kind == "abnormal";
    let days = sqlx::query_as::<_, DayReturn>(if abnormal {
        include_str!("sql/returns_abnormal.sql")
    } else {
        include_str!("sql/returns.sql")
    })
    .bind(&instrument)
    .bind(from.date_naive())
    .bind(to.date_naive())
    .bind(benchmark)
    .fetch_all(&state.pool)
    .await?;
    let returns = Returns {
        instrument,
        kind: kind.to_string(),
        benchmark: abnormal.then(|| benchmark.to_string()),
        from,
        to,
        days,
    };
    respond::json(&headers, &returns)
}
