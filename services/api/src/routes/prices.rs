//! `GET /v1/prices?ticker=NVDA&from=..&to=..&interval=1d`: price bars of one instrument, oldest first.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::AppState;
use crate::params::Params;
use crate::problem::Problem;

/// The widest range one request may ask for.
pub const MAX_RANGE_DAYS: i64 = 3660;
const INTERVALS: [&str; 4] = ["1m", "5m", "1h", "1d"];

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Bar {
    pub period_start: DateTime<Utc>,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Prices {
    pub ticker: String,
    pub interval: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub bars: Vec<Bar>,
}

pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Prices>, Problem> {
    let params = Params(query);
    let ticker = params.required("ticker")?.to_uppercase();
    if ticker.len() > 16
        || !ticker
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '^' | '.' | '-' | '='))
    {
        return Err(Problem::invalid_parameter(
            "ticker",
            format!("`{ticker}` is not a ticker symbol"),
        ));
    }
    let interval = params.optional("interval").unwrap_or("1d");
    if !INTERVALS.contains(&interval) {
        return Err(Problem::invalid_parameter(
            "interval",
            format!("`interval` must be one of {INTERVALS:?}"),
        ));
    }
    let to = params.time("to")?.unwrap_or_else(Utc::now);
    let from = params.time("from")?.unwrap_or(to - Duration::days(365));
    if from > to {
        return Err(Problem::invalid_parameter("from", "`from` is after `to`"));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(Problem::invalid_parameter(
            "from",
            format!("the range may span at most {MAX_RANGE_DAYS} days"),
        ));
    }
    let bars = sqlx::query_as::<_, Bar>(include_str!("sql/prices.sql"))
        .bind(&ticker)
        .bind(interval)
        .bind(from)
        .bind(to)
        .fetch_all(&state.pool)
        .await?;
    Ok(Json(Prices {
        ticker,
        interval: interval.to_string(),
        from,
        to,
        bars,
    }))
}
