//! `GET /v1/event-study`: cumulative abnormal returns (market model) over [0,0], [0,+1] and [-1,+5] around a
//! shock (its first trading session after it opened) or a date, per instrument, with t-statistics.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shockwave_analytics::event_study::{self, InstrumentStudy};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::params::{self, ApiQuery};
use crate::problem::Problem;
use crate::respond;

const MAX_INSTRUMENTS: usize = 20;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct EventStudyQuery {
    /// A shock id: the event day is the first session that closes after the shock opened.
    shock_id: Option<String>,
    /// Or the event day itself (YYYY-MM-DD).
    date: Option<String>,
    /// Comma-separated tickers and baskets (default `basket:ai_hardware,NVDA`), at most 20.
    instruments: Option<String>,
    /// `QQQ` (default) or `^SOX`.
    benchmark: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Study {
    pub instrument: String,
    /// Absent when the instrument has no such study (why in `error`).
    pub study: Option<InstrumentStudy>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct EventStudy {
    pub event_day: NaiveDate,
    pub shock_id: Option<Uuid>,
    pub shock_opened_at: Option<DateTime<Utc>>,
    pub benchmark: String,
    pub studies: Vec<Study>,
}

/// Event study around a shock or a date.
#[utoipa::path(get, path = "/v1/event-study", tag = "analytics", params(EventStudyQuery),
    responses((status = 200, body = EventStudy), (status = 304, description = "Not modified"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn study(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<EventStudyQuery>,
) -> Result<Response, Problem> {
    let benchmark = params::choice("benchmark", &query.benchmark, &["QQQ", "^SOX"], "QQQ")?;
    let instruments: Vec<String> = params::optional(&query.instruments)
        .unwrap_or("basket:ai_hardware,NVDA")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| params::instrument("instruments", s, true))
        .collect::<Result<_, _>>()?;
    if instruments.is_empty() || instruments.len() > MAX_INSTRUMENTS {
        return Err(Problem::invalid_parameter(
            "instruments",
            format!("give 1 to {MAX_INSTRUMENTS} instruments"),
        ));
    }
    let (event_day, shock_id, opened) = match (
        params::optional(&query.shock_id),
        params::optional(&query.date),
    ) {
        (Some(id), None) => {
            let id = params::uuid("shock_id", id)?;
            let opened: Option<DateTime<Utc>> =
                sqlx::query_scalar("SELECT opened_at FROM shocks WHERE shock_id = $1")
                    .bind(id)
                    .fetch_optional(&state.pool)
                    .await?;
            let opened = opened.ok_or_else(|| Problem::not_found(format!("no shock {id}")))?;
            let day = event_study::event_day_after(&state.pool, opened)
                .await?
                .ok_or_else(|| Problem::not_found("no trading session after the shock yet"))?;
            (day, Some(id), Some(opened))
        }
        (None, Some(date)) => {
            let day = params::date("date", date)?;
            (day, None, None)
        }
        _ => {
            return Err(Problem::invalid_parameter(
                "shock_id",
                "give exactly one of `shock_id` and `date`",
            ));
        }
    };
    let results = event_study::event_study(&state.pool, event_day, &instruments, benchmark).await?;
    let studies = instruments
        .into_iter()
        .zip(results)
        .map(|(instrument, result)| match result {
            Ok(study) => Study {
                instrument,
                study: Some(study),
                error: None,
            },
            Err(error) => Study {
                instrument,
                study: None,
                error: Some(error.to_string()),
            },
        })
        .collect();
    let body = EventStudy {
        event_day,
        shock_id,
        shock_opened_at: opened,
        benchmark: benchmark.into(),
        studies,
    };
    respond::json(&headers, &body)
}
