//! `GET /v1/shocks` (newest first, filters, cursor pages) and `GET /v1/shocks/{id}` (a shock's latest state,
//! its evidence and every state it went through).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::cursor;
use crate::params::{self, ApiQuery};
use crate::problem::Problem;
use crate::respond;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ShocksQuery {
    /// Topic id or ticker.
    subject: Option<String>,
    /// `open`, `updated` or `resolved` (the latest state).
    status: Option<String>,
    /// `negative` or `positive`.
    direction: Option<String>,
    /// Opened at or after (RFC 3339 or YYYY-MM-DD); default 3660 days before `to`.
    from: Option<String>,
    /// Opened at or before; default now.
    to: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub(super) struct Shock {
    pub shock_id: Uuid,
    pub status: String,
    pub subject_kind: String,
    pub subject: String,
    pub direction: String,
    pub statistic: String,
    pub magnitude: f64,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub article_count: i32,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The articles that weigh most: id, title, score.
    #[schema(value_type = Vec<Object>)]
    pub evidence: serde_json::Value,
    /// Tickers exposed.
    #[schema(value_type = Vec<String>)]
    pub basket: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ShockPage {
    pub items: Vec<Shock>,
    pub next_cursor: Option<String>,
}

/// Shocks, most recently opened first.
#[utoipa::path(get, path = "/v1/shocks", tag = "shocks", params(ShocksQuery),
    responses((status = 200, body = ShockPage), (status = 304, description = "Not modified"),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ShocksQuery>,
) -> Result<Response, Problem> {
    let (from, to) = params::range(&query.from, &query.to, 3660, 3660)?;
    let limit = params::integer("limit", &query.limit, 50, 1, 200)?;
    let after = cursor::decode(params::optional(&query.cursor))?;
    let subject = params::optional(&query.subject)
        .map(|s| params::word("subject", s))
        .transpose()?;
    let status =
        params::optional_choice("status", &query.status, &["open", "updated", "resolved"])?;
    let direction =
        params::optional_choice("direction", &query.direction, &["negative", "positive"])?;
    let rows = sqlx::query_as::<_, Shock>(
        "SELECT shock_id, status, subject_kind, subject, direction, statistic, magnitude, window_start, window_end, \
                article_count, opened_at, updated_at, coalesce(evidence, '[]') AS evidence, coalesce(basket, '[]') AS basket \
         FROM shocks \
         WHERE opened_at BETWEEN $1 AND $2 AND ($3::text IS NULL OR subject = $3) \
           AND ($4::text IS NULL OR status = $4) AND ($5::text IS NULL OR direction = $5) \
           AND ($6::timestamptz IS NULL OR (opened_at, shock_id) < ($6, $7::uuid)) \
         ORDER BY opened_at DESC, shock_id DESC LIMIT $8",
    )
    .bind(from)
    .bind(to)
    .bind(&subject)
    .bind(status)
    .bind(direction)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    let (items, next_cursor) = cursor::page(rows, limit, |s| (s.opened_at, s.shock_id));
    respond::json(&headers, &ShockPage { items, next_cursor })
}

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub(super) struct ShockState {
    pub status: String,
    pub occurred_at: DateTime<Utc>,
    pub magnitude: f64,
    pub article_count: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ShockDetail {
    #[serde(flatten)]
    pub shock: Shock,
    pub history: Vec<ShockState>,
}

/// One shock with its evidence and history.
#[utoipa::path(get, path = "/v1/shocks/{id}", tag = "shocks",
    params(("id" = String, Path, description = "Shock id (UUID)")),
    responses((status = 200, body = ShockDetail), (status = 304, description = "Not modified"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = params::uuid("id", &id)?;
    let shock = sqlx::query_as::<_, Shock>(
        "SELECT shock_id, status, subject_kind, subject, direction, statistic, magnitude, window_start, window_end, \
                article_count, opened_at, updated_at, coalesce(evidence, '[]') AS evidence, coalesce(basket, '[]') AS basket \
         FROM shocks WHERE shock_id = $1",
    )
    .bind(id)
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| Problem::not_found(format!("no shock {id}")))?;
    let history = sqlx::query_as::<_, ShockState>(
        "SELECT status, occurred_at, magnitude, article_count FROM shock_events WHERE shock_id = $1 \
         ORDER BY occurred_at, event_id",
    )
    .bind(id)
    .fetch_all(&state.pool)
    .await?;
    respond::json(&headers, &ShockDetail { shock, history })
}
