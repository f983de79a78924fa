//! `GET /v1/event-study/pooled`: the mean cumulative abnormal return over every shock of a topic or ticker,
//! per window, with its cross-sectional standard error and 95 % interval (shockwave_analytics::pooled).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use shockwave_analytics::pooled::{self, PooledStudy};
use utoipa::IntoParams;

use crate::AppState;
use crate::params::{self, ApiQuery};
use crate::problem::Problem;
use crate::respond;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PooledQuery {
    /// The shocks' subject: a topic (`ai_efficiency`) or a ticker.
    subject: String,
    /// `negative` (default) or `positive` shocks.
    direction: Option<String>,
    /// A ticker or basket (default `basket:ai_hardware`).
    instrument: Option<String>,
    /// `QQQ` (default) or `^SOX`.
    benchmark: Option<String>,
}

/// Pooled event study over every shock of a subject.
#[utoipa::path(get, path = "/v1/event-study/pooled", tag = "analytics", params(PooledQuery),
    responses((status = 200, body = PooledStudy), (status = 304, description = "Not modified"),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn pooled(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<PooledQuery>,
) -> Result<Response, Problem> {
    let subject = params::word("subject", &query.subject)?;
    let direction = params::choice(
        "direction",
        &query.direction,
        &["negative", "positive"],
        "negative",
    )?;
    let benchmark = params::choice("benchmark", &query.benchmark, &["QQQ", "^SOX"], "QQQ")?;
    let instrument = params::instrument(
        "instrument",
        params::optional(&query.instrument).unwrap_or("basket:ai_hardware"),
        true,
    )?;
    let body =
        pooled::pooled_study(&state.pool, &subject, direction, &instrument, benchmark).await?;
    respond::json(&headers, &body)
}
