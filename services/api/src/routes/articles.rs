//! `GET /v1/articles` (search and filters, newest first, cursor pages) and `GET /v1/articles/{id}` (one
//! article with every model version's score and its chunks' scores).

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

pub(super) const MAX_LIMIT: i64 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ArticlesQuery {
    /// Full-text search (web-search syntax: words, "phrases", -excluded, or), in the `language`'s stemming
    /// (English when no language is given).
    q: Option<String>,
    /// Topic id, e.g. `ai_efficiency` (by the active model, confidence >= 0.5).
    topic: Option<String>,
    /// Ticker the article concerns, e.g. `NVDA`.
    ticker: Option<String>,
    /// ISO 639-1 language, e.g. `en`, `fr`.
    language: Option<String>,
    /// Sentiment label by the active model: `negative`, `neutral` or `positive`.
    label: Option<String>,
    /// Published at or after (RFC 3339 or YYYY-MM-DD); default 3660 days before `to`.
    from: Option<String>,
    /// Published at or before; default now.
    to: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A score by one model version, with its lineage.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Score {
    pub model_name: String,
    pub model_version: String,
    pub model_sha256: String,
    pub label: String,
    pub score: f64,
    pub p_negative: f64,
    pub p_neutral: f64,
    pub p_positive: f64,
    pub scored_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Subject {
    pub kind: String,
    pub subject: String,
    pub weight: f64,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ArticleSummary {
    pub id: Uuid,
    pub url: String,
    pub title: String,
    pub source: String,
    pub language: String,
    pub published_at: DateTime<Utc>,
    /// By the active model; absent while unscored.
    pub score: Option<Score>,
    pub subjects: Vec<Subject>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ArticlePage {
    pub items: Vec<ArticleSummary>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    article_id: Uuid,
    canonical_url: String,
    title: String,
    source_name: String,
    language: String,
    published_at: DateTime<Utc>,
    model_name: Option<String>,
    model_version: Option<String>,
    model_sha256: Option<String>,
    label: Option<String>,
    score: Option<f64>,
    p_negative: Option<f64>,
    p_neutral: Option<f64>,
    p_positive: Option<f64>,
    scored_at: Option<DateTime<Utc>>,
    subjects: sqlx::types::Json<Vec<SubjectJson>>,
}

#[derive(Deserialize)]
struct SubjectJson {
    kind: String,
    subject: String,
    weight: f64,
    reason: String,
}

fn to_subjects(list: Vec<SubjectJson>) -> Vec<Subject> {
    list.into_iter()
        .map(|s| Subject {
            kind: s.kind,
            subject: s.subject,
            weight: s.weight,
            reason: s.reason,
        })
        .collect()
}

impl Row {
    fn summary(self) -> ArticleSummary {
        let score = match (self.model_version, self.score) {
            (Some(model_version), Some(score)) => Some(Score {
                model_name: self.model_name.unwrap_or_default(),
                model_version,
                model_sha256: self.model_sha256.unwrap_or_default(),
                label: self.label.unwrap_or_default(),
                score,
                p_negative: self.p_negative.unwrap_or_default(),
                p_neutral: self.p_neutral.unwrap_or_default(),
                p_positive: self.p_positive.unwrap_or_default(),
                scored_at: self.scored_at.unwrap_or(self.published_at),
            }),
            _ => None,
        };
        ArticleSummary {
            id: self.article_id,
            url: self.canonical_url,
            title: self.title,
            source: self.source_name,
            language: self.language,
            published_at: self.published_at,
            score,
            subjects: to_subjects(self.subjects.0),
        }
    }
}

fn text_search_config(language: Option<&str>) -> &'static str {
    match language {
        Some("fr") => "french",
        Some("de") => "german",
        Some("es") => "spanish",
        Some("en") | None => "english",
        Some(_) => "simple",
    }
}

/// Search and filter articles, newest first.
#[utoipa::path(get, path = "/v1/articles", tag = "news", params(ArticlesQuery),
    responses((status = 200, body = ArticlePage), (status = 304, description = "Not modified"),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ArticlesQuery>,
) -> Result<Response, Problem> {
    let (from, to) = params::range(&query.from, &query.to, 3660, 3660)?;
    let limit = params::integer("limit", &query.limit, 50, 1, MAX_LIMIT)?;
    let after = cursor::decode(params::optional(&query.cursor))?;
    let q = params::optional(&query.q).map(str::to_string);
    if q.as_ref().is_some_and(|q| q.len() > 500) {
        return Err(Problem::invalid_parameter(
            "q",
            "`q` may be at most 500 characters",
        ));
    }
    let language = params::optional(&query.language)
        .map(|l| params::word("language", l))
        .transpose()?;
    let label =
        params::optional_choice("label", &query.label, &["negative", "neutral", "positive"])?;
    let topic = params::optional(&query.topic)
        .map(|t| params::word("topic", t))
        .transpose()?;
    let ticker = params::optional(&query.ticker)
        .map(|t| params::instrument("ticker", t, false))
        .transpose()?;
    let rows = sqlx::query_as::<_, Row>(include_str!("sql/articles.sql"))
        .bind(from)
        .bind(to)
        .bind(&q)
        .bind(text_search_config(language.as_deref()))
        .bind(&language)
        .bind(label)
        .bind(&topic)
        .bind(&ticker)
        .bind(after.map(|(at, _)| at))
        .bind(after.map(|(_, id)| id))
        .bind(limit + 1)
        .fetch_all(&state.pool)
        .await?;
    let items: Vec<ArticleSummary> = rows.into_iter().map(Row::summary).collect();
    let (items, next_cursor) = cursor::page(items, limit, |a| (a.published_at, a.id));
    let page = ArticlePage { items, next_cursor };
    respond::json(&headers, &page)
}

/// One chunk (model input) of an article: the title is chunk 0.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(super) struct Chunk {
    pub index: u32,
    pub weight: f64,
    pub score: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct VersionScore {
    #[serde(flatten)]
    pub score: Score,
    pub active: bool,
    pub chunks: Vec<Chunk>,
    pub subjects: Vec<Subject>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Article {
    pub id: Uuid,
    pub url: String,
    pub title: String,
    pub body: String,
    pub source: String,
    pub feed_id: String,
    pub language: String,
    pub published_at: DateTime<Utc>,
    /// True when the feed gave no usable time and the observed time stands in.
    pub published_at_estimated: bool,
    pub scores: Vec<VersionScore>,
}

#[derive(sqlx::FromRow)]
struct ArticleRow {
    canonical_url: String,
    title: String,
    body: String,
    source_name: String,
    feed_id: String,
    language: String,
    published_at: DateTime<Utc>,
    published_at_estimated: bool,
}

#[derive(sqlx::FromRow)]
struct ScoreRow {
    model_name: String,
    model_version: String,
    model_sha256: String,
    label: String,
    score: f64,
    p_negative: f64,
    p_neutral: f64,
    p_positive: f64,
    scored_at: DateTime<Utc>,
    chunks: sqlx::types::Json<Vec<Chunk>>,
    active: bool,
    subjects: sqlx::types::Json<Vec<SubjectJson>>,
}

/// One article with all its scores.
#[utoipa::path(get, path = "/v1/articles/{id}", tag = "news",
    params(("id" = String, Path, description = "Article id (UUID)")),
    responses((status = 200, body = Article), (status = 304, description = "Not modified"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = params::uuid("id", &id)?;
    let article = sqlx::query_as::<_, ArticleRow>(
        "SELECT canonical_url, title, body, source_name, feed_id, language, published_at, published_at_estimated \
         FROM articles WHERE article_id = $1",
    )
    .bind(id)
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| Problem::not_found(format!("no article {id}")))?;
    let scores = sqlx::query_as::<_, ScoreRow>(include_str!("sql/article_scores.sql"))
        .bind(id)
        .fetch_all(&state.pool)
        .await?;
    let article = Article {
        id,
        url: article.canonical_url,
        title: article.title,
        body: article.body,
        source: article.source_name,
        feed_id: article.feed_id,
        language: article.language,
        published_at: article.published_at,
        published_at_estimated: article.published_at_estimated,
        scores: scores
            .into_iter()
            .map(|s| VersionScore {
                score: Score {
                    model_name: s.model_name,
                    model_version: s.model_version,
                    model_sha256: s.model_sha256,
                    label: s.label,
                    score: s.score,
                    p_negative: s.p_negative,
                    p_neutral: s.p_neutral,
                    p_positive: s.p_positive,
                    scored_at: s.scored_at,
                },
                active: s.active,
                chunks: s.chunks.0,
                subjects: to_subjects(s.subjects.0),
            })
            .collect(),
    };
    respond::json(&headers, &article)
}
