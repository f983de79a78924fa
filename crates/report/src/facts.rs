//! The figures the report states, each read from the views: the first negative `ai_efficiency` shock (its
//! opening and peak z, evidence), the first session after it and the US open that day, the moves of the
//! basket, NVDA and ^SOX that day, DeepSeek's app ranks in the days before, and the lead-lag table.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use shockwave_analytics::{event_study, lead_lag};
use sqlx::PgPool;
use uuid::Uuid;

use crate::market_hours::us_open;

#[derive(Debug, Clone)]
pub struct Shock {
    pub shock_id: Uuid,
    pub subject: String,
    pub direction: String,
    pub opened_at: DateTime<Utc>,
    pub opening_evidence: f64,
    pub opening_articles: i32,
    pub peak_evidence: f64,
    /// Title and score of the articles that weighed most.
    pub evidence: Vec<(String, f64)>,
}

#[derive(Debug, Clone)]
pub struct Facts {
    pub shock: Shock,
    pub event_day: NaiveDate,
    pub us_open: DateTime<Utc>,
    /// Name and simple return on the event day.
    pub moves: Vec<(String, f64)>,
    pub app_climb: Vec<(NaiveDate, i32)>,
    pub lead_lag: Vec<String>,
}

async fn shock(pool: &PgPool) -> anyhow::Result<Shock> {
    let (shock_id, subject, direction, opened_at, evidence): (
        Uuid,
        String,
        String,
        DateTime<Utc>,
        serde_json::Value,
    ) = sqlx::query_as(
        "SELECT shock_id, subject, direction, opened_at, coalesce(evidence, '[]') FROM shocks \
             WHERE subject_kind = 'topic' AND subject = 'ai_efficiency' AND direction = 'negative' \
             ORDER BY opened_at LIMIT 1",
    )
    .fetch_optional(pool)
    .await?
    .context("no negative ai_efficiency shock has been raised (is the alerter running?)")?;
    let (opening_evidence, opening_articles): (f64, i32) = sqlx::query_as(
        "SELECT magnitude, article_count FROM shock_events WHERE shock_id = $1 ORDER BY occurred_at, event_id LIMIT 1",
    )
    .bind(shock_id)
    .fetch_one(pool)
    .await?;
    let peak_evidence: f64 = sqlx::query_scalar(
        "SELECT max(abs(magnitude)) FROM shock_events WHERE shock_id = $1 AND status <> 'resolved'",
    )
    .bind(shock_id)
    .fetch_one(pool)
    .await?;
    let evidence = evidence
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|e| Some((e["title"].as_str()?.to_string(), e["score"].as_f64()?)))
                .collect()
        })
        .unwrap_or_default();
    Ok(Shock {
        shock_id,
        subject,
        direction,
        opened_at,
        opening_evidence,
        opening_articles,
        peak_evidence,
        evidence,
    })
}

pub async fn gather(pool: &PgPool) -> anyhow::Result<Facts> {
    let shock = shock(pool).await?;
    let event_day = event_study::event_day_after(pool, shock.opened_at)
        .await?
        .context("no trading session after the shock")?;
    let mut moves = Vec::new();
    for (name, sql, key) in [
        (
            "AI-hardware basket",
            "SELECT simple_return FROM basket_returns WHERE basket = $1 AND day = $2",
            "ai_hardware",
        ),
        (
            "NVDA",
            "SELECT simple_return FROM daily_returns WHERE ticker = $1 AND day = $2",
            "NVDA",
        ),
        (
            "^SOX",
            "SELECT simple_return FROM daily_returns WHERE ticker = $1 AND day = $2",
            "^SOX",
        ),
        (
            "QQQ",
            "SELECT simple_return FROM daily_returns WHERE ticker = $1 AND day = $2",
            "QQQ",
        ),
    ] {
        let value: Option<Option<f64>> = sqlx::query_scalar(sql)
            .bind(key)
            .bind(event_day)
            .fetch_optional(pool)
            .await?;
        if let Some(Some(value)) = value {
            moves.push((name.to_string(), value));
        }
    }
    let app_climb = sqlx::query_as(
        "SELECT day, rank FROM app_ranks_daily WHERE store = 'apple' AND country = 'us' AND chart = 'top-free' \
         AND app_id = '6737597349' AND day BETWEEN $1::date - 4 AND $1::date ORDER BY day",
    )
    .bind(event_day)
    .fetch_all(pool)
    .await?;
    let table = lead_lag::lead_lag(pool, "topic", "ai_efficiency", "basket:ai_hardware", 1).await?;
    let lead_lag = table
        .iter()
        .map(|row| {
            let r = |c: &Option<lead_lag::CorrelationOut>| {
                c.map_or("insufficient data".to_string(), |c| {
                    format!("r {:+.2} (p {:.3})", c.r, c.p_value)
                })
            };
            format!(
                "{:?} lag {:+}: n {}, Pearson {}, Spearman {}",
                row.measure,
                row.lag,
                row.n,
                r(&row.pearson),
                r(&row.spearman)
            )
        })
        .collect();
    Ok(Facts {
        us_open: us_open(event_day),
        shock,
        event_day,
        moves,
        app_climb,
        lead_lag,
    })
}
