//! The `article_scores` and `article_subjects` projections: one score per article and model version (the
//! event with the highest id wins when a version was scored twice, so the outcome does not depend on
//! arrival order), and what that score is about. The first model version seen becomes the active one.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use shockwave_schemas::{ArticleScored, SentimentLabel};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// A score with its event id and the time it was produced.
pub type ScoreRow<'e> = (Uuid, &'e ArticleScored, DateTime<Utc>);

pub fn label_name(label: SentimentLabel) -> &'static str {
    match label {
        SentimentLabel::Negative => "negative",
        SentimentLabel::Neutral => "neutral",
        SentimentLabel::Positive => "positive",
    }
}

/// One row per (article, model version): the highest event id of the batch.
fn winners<'a, 'e>(scores: &'a [ScoreRow<'e>]) -> Vec<&'a ScoreRow<'e>> {
    let mut best: BTreeMap<(Uuid, &str), &ScoreRow> = BTreeMap::new();
    for row in scores {
        let key = (row.1.article_event_id, row.1.model.version.as_str());
        if best.get(&key).is_none_or(|b| b.0 < row.0) {
            best.insert(key, row);
        }
    }
    best.into_values().collect()
}

pub async fn upsert(
    tx: &mut Transaction<'_, Postgres>,
    scores: &[ScoreRow<'_>],
) -> Result<(), sqlx::Error> {
    if scores.is_empty() {
        return Ok(());
    }
    let rows = winners(scores);
    let chunks: Vec<String> = rows
        .iter()
        .map(|(_, s, _)| serde_json::to_string(&s.chunks).expect("chunks serialise"))
        .collect();
    let applied: HashSet<Uuid> =
        sqlx::query_scalar(include_str!("../sql/upsert_article_scores.sql"))
            .bind(
                rows.iter()
                    .map(|(_, s, _)| s.article_event_id)
                    .collect::<Vec<_>>(),
            )
            .bind(
                rows.iter()
                    .map(|(_, s, _)| s.model.version.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                rows.iter()
                    .map(|(_, s, _)| s.model.name.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                rows.iter()
                    .map(|(_, s, _)| s.model.sha256.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                rows.iter()
                    .map(|(_, s, _)| label_name(s.label))
                    .collect::<Vec<_>>(),
            )
            .bind(
                rows.iter()
                    .map(|(_, s, _)| s.probabilities.negative)
                    .collect::<Vec<_>>(),
            )
            .bind(
                rows.iter()
                    .map(|(_, s, _)| s.probabilities.neutral)
                    .collect::<Vec<_>>(),
            )
            .bind(
                rows.iter()
                    .map(|(_, s, _)| s.probabilities.positive)
                    .collect::<Vec<_>>(),
            )
            .bind(rows.iter().map(|(_, s, _)| s.score).collect::<Vec<_>>())
            .bind(&chunks)
            .bind(rows.iter().map(|(_, _, at)| *at).collect::<Vec<_>>())
            .bind(rows.iter().map(|(id, _, _)| *id).collect::<Vec<_>>())
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .collect();
    let applied: Vec<&&ScoreRow> = rows.iter().filter(|r| applied.contains(&r.0)).collect();
    replace_subjects(tx, &applied).await?;
    if let Some(first) = rows.iter().map(|(_, s, _)| s.model.version.as_str()).min() {
        sqlx::query("INSERT INTO active_model (model_version) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(first)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn replace_subjects(
    tx: &mut Transaction<'_, Postgres>,
    applied: &[&&ScoreRow<'_>],
) -> Result<(), sqlx::Error> {
    if applied.is_empty() {
        return Ok(());
    }
    let (mut articles, mut versions, mut kinds, mut subjects, mut weights, mut reasons) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (_, score, _) in applied.iter().map(|r| **r) {
        for topic in &score.topics {
            articles.push(score.article_event_id);
            versions.push(score.model.version.as_str());
            kinds.push("topic");
            subjects.push(topic.topic.as_str());
            weights.push(topic.confidence);
            reasons.push("catalog");
        }
        for ticker in &score.tickers {
            articles.push(score.article_event_id);
            versions.push(score.model.version.as_str());
            kinds.push("ticker");
            subjects.push(ticker.ticker.as_str());
            weights.push(1.0);
            reasons.push(ticker.reason.as_str());
        }
    }
    sqlx::query(include_str!("../sql/replace_article_subjects.sql"))
        .bind(
            applied
                .iter()
                .map(|r| r.1.article_event_id)
                .collect::<Vec<_>>(),
        )
        .bind(
            applied
                .iter()
                .map(|r| r.1.model.version.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(&articles)
        .bind(&versions)
        .bind(&kinds)
        .bind(&subjects)
        .bind(&weights)
        .bind(&reasons)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
