//! The `price_bars` projection: one row per ticker, interval and bar start.

use shockwave_schemas::PriceBarClosed;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

pub async fn upsert(
    tx: &mut Transaction<'_, Postgres>,
    bars: &[(Uuid, &PriceBarClosed)],
) -> Result<(), sqlx::Error> {
    if bars.is_empty() {
        return Ok(());
    }
    let tickers: Vec<&str> = bars.iter().map(|(_, b)| b.ticker.as_str()).collect();
    let intervals: Vec<&str> = bars.iter().map(|(_, b)| b.interval.as_str()).collect();
    let starts: Vec<_> = bars.iter().map(|(_, b)| b.period_start).collect();
    let opens: Vec<f64> = bars.iter().map(|(_, b)| b.open).collect();
    let highs: Vec<f64> = bars.iter().map(|(_, b)| b.high).collect();
    let lows: Vec<f64> = bars.iter().map(|(_, b)| b.low).collect();
    let closes: Vec<f64> = bars.iter().map(|(_, b)| b.close).collect();
    // Volumes above i64::MAX do not exist in practice; saturate rather than fail the batch.
    let volumes: Vec<Option<i64>> = bars
        .iter()
        .map(|(_, b)| b.volume.map(|v| i64::try_from(v).unwrap_or(i64::MAX)))
        .collect();
    let ids: Vec<Uuid> = bars.iter().map(|(id, _)| *id).collect();
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
        .execute(&mut **tx)
        .await?;
    Ok(())
}
