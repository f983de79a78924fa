//! `GET /v1/correlations`: the lead-lag table of a topic's (or ticker's) daily sentiment and buzz against a
//! ticker's or basket's returns: Pearson and Spearman r with p-values and n per lag.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use shockwave_analytics::lead_lag::{self, LagRow};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::params::{self, ApiQuery};
use crate::problem::Problem;
use crate::respond;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct CorrelationsQuery {
    /// Topic id whose news leads (give `topic` or `ticker`).
    topic: Option<String>,
    /// Ticker whose news leads.
    ticker: Option<String>,
    /// Returns of this ticker or basket (`basket:ai_hardware`, the default).
    instrument: Option<String>,
    /// Lags -n..=n trading sessions, n from 0 to 5 (default 5).
    max_lag: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Correlations {
    pub subject_kind: String,
    pub subject: String,
    pub instrument: String,
    pub max_lag: i64,
    /// Positive lags: news leads returns by that many sessions. Correlations are absent with too few pairs.
    pub rows: Vec<LagRow>,
}

/// Lead-lag correlations of news against returns.
#[utoipa::path(get, path = "/v1/correlations", tag = "analytics", params(CorrelationsQuery),
    responses((status = 200, body = Correlations), (status = 304, description = "Not modified"),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn table(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<CorrelationsQuery>,
) -> Result<Response, Problem> {
    let (kind, subject) = params::subject(&query.topic, &query.ticker)?;
    let instrument = params::instrument(
        "instrument",
        params::optional(&query.instrument).unwrap_or("basket:ai_hardware"),
        true,
    )?;
    let max_lag = params::integer("max_lag", &query.max_lag, 5, 0, lead_lag::MAX_LAG as i64)?;
    let rows = lead_lag::lead_lag(&state.pool, kind, &subject, &instrument, max_lag as i32).await?;
    let table = Correlations {
        subject_kind: kind.into(),
        subject,
        instrument,
        max_lag,
        rows,
    };
    respond::json(&headers, &table)
}
