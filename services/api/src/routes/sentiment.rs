//! `GET /v1/sentiment`: a topic's or ticker's sentiment per minute, hour or day bucket (mean score, label
//! shares, article count, buzz against the trailing week), by the active model or a named version.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::buzz;
use crate::AppState;
use crate::params::{self, ApiQuery};
use crate::problem::Problem;
use crate::respond;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SentimentQuery {
    /// Topic id, e.g. `ai_efficiency` (give `topic` or `ticker`).
    topic: Option<String>,
    /// Ticker, e.g. `NVDA`.
    ticker: Option<String>,
    /// `minute`, `hour` or `day` (default). Ranges: at most 7 days of minutes, 90 of hours, 3660 of days.
    bucket: Option<String>,
    /// Start (RFC 3339 or YYYY-MM-DD); default 30 days before `to`.
    from: Option<String>,
    /// End; default now. Every bucket that starts in the range is returned whole.
    to: Option<String>,
    /// Model version; default the active one.
    model: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Bucket {
    pub bucket_start: DateTime<Utc>,
    pub mean_score: f64,
    pub positive_share: f64,
    pub negative_share: f64,
    pub article_count: i64,
    /// Count over the trailing 7 days' mean count per bucket; absent when that week had no article.
    pub buzz: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Sentiment {
    pub subject_kind: String,
    pub subject: String,
    pub bucket: String,
    pub model_version: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub buckets: Vec<Bucket>,
}

/// Sentiment and buzz of a topic or ticker over time.
#[utoipa::path(get, path = "/v1/sentiment", tag = "sentiment", params(SentimentQuery),
    responses((status = 200, body = Sentiment), (status = 304, description = "Not modified"),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<SentimentQuery>,
) -> Result<Response, Problem> {
    let (kind, subject) = params::subject(&query.topic, &query.ticker)?;
    let bucket = params::choice("bucket", &query.bucket, &["minute", "hour", "day"], "day")?;
    let max_days = match bucket {
        "minute" => 7,
        "hour" => 90,
        _ => 3660,
    };
    let (from, to) = params::range(&query.from, &query.to, 30.min(max_days), max_days)?;
    let requested = params::optional(&query.model)
        .map(|m| params::word("model", m))
        .transpose()?;
    let model_version: Option<String> = match requested {
        Some(version) => Some(version),
        None => {
            sqlx::query_scalar("SELECT model_version FROM active_model")
                .fetch_optional(&state.pool)
                .await?
        }
    };
    // Whole buckets from the one `from` falls in, and the trailing week before it for buzz.
    let first = bucket_start(from, bucket);
    let since = first - buzz::TRAILING;
    let stored: buzz::Columns = if bucket == "minute" {
        sqlx::query_as(include_str!("sql/sentiment_minutes.sql"))
            .bind(kind)
            .bind(&subject)
            .bind(&model_version)
            .bind(since)
            .bind(to)
            .fetch_one(&state.pool)
            .await?
    } else {
        sqlx::query_as(include_str!("sql/sentiment_rollups.sql"))
            .bind(kind)
            .bind(&subject)
            .bind(&model_version)
            .bind(bucket)
            .bind(since)
            .bind(to)
            .fetch_one(&state.pool)
            .await?
    };
    let per_week = match bucket {
        "minute" => 10080.0,
        "hour" => 168.0,
        _ => 7.0,
    };
    let buckets = buzz::with_buzz(&stored.into_rows(), first, per_week);
    let sentiment = Sentiment {
        subject_kind: kind.into(),
        subject,
        bucket: bucket.into(),
        model_version,
        from,
        to,
        buckets,
    };
    respond::json(&headers, &sentiment)
}

/// The start of the UTC minute, hour or day `at` falls in.
fn bucket_start(at: DateTime<Utc>, bucket: &str) -> DateTime<Utc> {
    let (hour, minute) = match bucket {
        "minute" => (at.hour(), at.minute()),
        "hour" => (at.hour(), 0),
        _ => (0, 0),
    };
    at.date_naive()
        .and_hms_opt(hour, minute, 0)
        .expect("a valid time of day")
        .and_utc()
}
