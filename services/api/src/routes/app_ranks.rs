//! `GET /v1/app-ranks`: an app's daily chart position (the day's last observation) and its change.

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
pub(super) struct AppRanksQuery {
    /// App store id (e.g. `6737597349`) or exact app name (e.g. `DeepSeek - AI Assistant`); required.
    app: Option<String>,
    /// `apple` (default), or `google` (also written `google_play`).
    store: Option<String>,
    /// Two-letter country, default `us`.
    country: Option<String>,
    /// Chart, default `top-free`.
    chart: Option<String>,
    /// Start (RFC 3339 or YYYY-MM-DD); default 90 days before `to`; at most 3660 days.
    from: Option<String>,
    /// End; default now.
    to: Option<String>,
}

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub(super) struct RankDay {
    pub day: NaiveDate,
    pub app_id: String,
    pub app_name: String,
    pub rank: i32,
    /// Places climbed since the previous observed day (negative: fell).
    pub rank_change: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AppRanks {
    pub store: String,
    pub country: String,
    pub chart: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub days: Vec<RankDay>,
}

/// Daily chart positions of an app.
#[utoipa::path(get, path = "/v1/app-ranks", tag = "apps", params(AppRanksQuery),
    responses((status = 200, body = AppRanks), (status = 304, description = "Not modified"),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<AppRanksQuery>,
) -> Result<Response, Problem> {
    let app = params::required("app", &query.app)?;
    if app.len() > 200 {
        return Err(Problem::invalid_parameter(
            "app",
            "`app` may be at most 200 characters",
        ));
    }
    // The projection names the Google store `google_play`; `google` is accepted as its short name.
    let store = match params::choice(
        "store",
        &query.store,
        &["apple", "google", "google_play"],
        "apple",
    )? {
        "google" => "google_play",
        other => other,
    };
    let country = params::optional(&query.country)
        .unwrap_or("us")
        .to_lowercase();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(Problem::invalid_parameter(
            "country",
            "`country` must be a two-letter code",
        ));
    }
    let chart = params::word(
        "chart",
        params::optional(&query.chart).unwrap_or("top-free"),
    )?;
    let (from, to) = params::range(&query.from, &query.to, 90, 3660)?;
    let days = sqlx::query_as::<_, RankDay>(
        "SELECT day, app_id, app_name, rank, rank_change FROM app_ranks_daily \
         WHERE store = $1 AND country = $2 AND chart = $3 AND (app_id = $4 OR app_name = $4) \
           AND day BETWEEN $5 AND $6 ORDER BY day, app_id",
    )
    .bind(store)
    .bind(&country)
    .bind(&chart)
    .bind(app)
    .bind(from.date_naive())
    .bind(to.date_naive())
    .fetch_all(&state.pool)
    .await?;
    let ranks = AppRanks {
        store: store.into(),
        country,
        chart,
        from,
        to,
        days,
    };
    respond::json(&headers, &ranks)
}
