//! Reading the series the analyses need from the views: an instrument's trading days (with close times and
//! returns) and the active model's scored articles about a subject.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

/// One trading day of an instrument (`NVDA`, `^SOX`, or `basket:ai_hardware`).
#[derive(Debug, Clone, PartialEq)]
pub struct TradingDay {
    pub day: NaiveDate,
    /// When that session closed; news up to this instant counts toward this day's return.
    pub closes_at: DateTime<Utc>,
    /// Simple close-to-close return; `None` on the first day of the series.
    pub simple_return: Option<f64>,
}

/// A scored article about the subject, as the active model scored it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredArticle {
    pub published_at: DateTime<Utc>,
    pub score: f64,
}

/// The instrument's trading days in date order. Baskets are named `basket:<name>`.
pub async fn trading_days(pool: &PgPool, instrument: &str) -> Result<Vec<TradingDay>, sqlx::Error> {
    let rows: Vec<(NaiveDate, Option<DateTime<Utc>>, Option<f64>)> =
        if let Some(basket) = instrument.strip_prefix("basket:") {
            sqlx::query_as(include_str!("sql/basket_days.sql"))
                .bind(basket)
                .fetch_all(pool)
                .await?
        } else {
            sqlx::query_as(include_str!("sql/ticker_days.sql"))
                .bind(instrument)
                .fetch_all(pool)
                .await?
        };
    Ok(rows
        .into_iter()
        .filter_map(|(day, closes_at, simple_return)| {
            closes_at.map(|closes_at| TradingDay {
                day,
                closes_at,
                simple_return,
            })
        })
        .collect())
}

/// The active model's scores of articles about a topic or ticker, oldest first.
pub async fn scored_articles(
    pool: &PgPool,
    subject_kind: &str,
    subject: &str,
) -> Result<Vec<ScoredArticle>, sqlx::Error> {
    let rows: Vec<(DateTime<Utc>, f64)> = sqlx::query_as(include_str!("sql/scored_articles.sql"))
        .bind(subject_kind)
        .bind(subject)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(published_at, score)| ScoredArticle {
            published_at,
            score,
        })
        .collect())
}
