//! The `price_bars` projection: one row per ticker, interval and bar start, with the instant it closed.

use chrono::{DateTime, Utc};
use shockwave_schemas::PriceBarClosed;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// A bar with its event id and the instant its interval closed (the event's `occurred_at`).
pub type BarRow<'e> = (Uuid, &'e PriceBarClosed, DateTime<Utc>);

pub async fn upsert(
    tx: &mut Transaction<'_, Postgres>,
    bars: &[BarRow<'_>],
) -> Result<(), sqlx::Error> {
    if bars.is_empty() {
        return Ok(());
    }
    let tickers: Vec<&str> = bars.iter().map(|(_, b, _)| b.ticker.as_str()).collect();
    let intervals: Vec<&str> = bars.iter().map(|(_, b, _)| b.interval.as_str()).collect();
    let starts: Vec<_> = bars.iter().map(|(_, b, _)| b.period_start).collect();
    let opens: Vec<f64> = bars.iter().map(|(_, b, _)| b.open).collect();
    let highs: Vec<f64> = bars.iter().map(|(_, b, _)| b.high).collect();
    let lows: Vec<f64> = bars.iter().map(|(_, b, _)| b.low).collect();
    let closes: Vec<f64> = bars.iter().map(|(_, b, _)| b.close).collect();
    // Volumes above i64::MAX do not exist in practice; saturate rather than fail the batch.
    let volumes: Vec<Option<i64>> = bars
        .iter()
        .map(|(_, b, _)| b.volume.map(|v| i64::try_from(v).unwrap_or(i64::MAX)))
        .collect();
    let ids: Vec<Uuid> = bars.iter().map(|(id, _, _)| *id).collect();
    let closes_at: Vec<DateTime<Utc>> = bars.iter().map(|(_, _, at)| *at).collect();
    sqlx::query(include_str!("../sql/upsert_price_bars.sql"))
        .bind(&tickers)
        .bind(&intervals)
        .bind(&starts)
        .bind(&opens)
        .bind(&highs)
        .bind(&lows)
        .bind(&closes)
        .bind(&volumes)
        .bind(&ids)
        .bind(&closes_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
