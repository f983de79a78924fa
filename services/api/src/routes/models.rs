//! `GET /v1/models`: the model versions that scored articles, which one the views use, and each one's card
//! figures (validation accuracy and macro-F1 from the model folder's `export_report.json`).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::problem::Problem;
use crate::respond;

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CardFigures {
    pub accuracy: f64,
    pub macro_f1: f64,
}

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub(super) struct Model {
    pub model_name: String,
    pub model_version: String,
    pub model_sha256: String,
    pub articles_scored: i64,
    pub first_scored_at: DateTime<Utc>,
    pub last_scored_at: DateTime<Utc>,
    pub active: bool,
    #[sqlx(skip)]
    pub card: Option<CardFigures>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Models {
    pub models: Vec<Model>,
}

/// Twitter-validation figures of version `version`, from its folder under `<cards>/v<version>/`: those measured
/// as the scorer serves the file (`eval_as_served.json`, one text per run) where the folder has them, else the
/// export's figures for the served file (`export_report.json`: `int8` from model v2 on, `onnx_validation` for v1).
fn card(cards: &std::path::Path, version: &str) -> Option<CardFigures> {
    if !version
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return None;
    }
    let folder = cards.join(format!("v{version}"));
    let read = |file: &str| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(folder.join(file)).ok()?).ok()
    };
    let as_served = read("eval_as_served.json").map(|r| r["twitter_validation"].clone());
    let validation = match as_served {
        Some(figures) if !figures.is_null() => figures,
        _ => {
            let report = read("export_report.json")?;
            match &report["int8"]["twitter_validation"] {
                serde_json::Value::Null => report["onnx_validation"].clone(),
                served => served.clone(),
            }
        }
    };
    Some(CardFigures {
        accuracy: validation["accuracy"].as_f64()?,
        macro_f1: validation["macro_f1"].as_f64()?,
    })
}

/// Model versions and the active one.
#[utoipa::path(get, path = "/v1/models", tag = "models",
    responses((status = 200, body = Models), (status = 304, description = "Not modified")))]
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let mut models = sqlx::query_as::<_, Model>(
        "SELECT s.model_name, s.model_version, s.model_sha256, count(*) AS articles_scored, \
                min(s.scored_at) AS first_scored_at, max(s.scored_at) AS last_scored_at, \
                coalesce(bool_or(s.model_version = am.model_version), false) AS active \
         FROM article_scores s LEFT JOIN active_model am ON true \
         GROUP BY s.model_name, s.model_version, s.model_sha256 ORDER BY s.model_version",
    )
    .fetch_all(&state.pool)
    .await?;
    for model in &mut models {
        model.card = card(&state.model_cards, &model.model_version);
    }
    respond::json(&headers, &Models { models })
}
