//! Projections derived from newly appended events. Each is a set-based upsert over the batch.

pub mod price_bars;

use shockwave_schemas::{Event, Payload};
use sqlx::{Postgres, Transaction};

/// Applies every projection to the events that were new in this batch.
pub async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Event],
) -> Result<(), sqlx::Error> {
    let bars: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.payload {
            Payload::PriceBarClosed(bar) => Some((e.event_id, bar)),
            _ => None,
        })
        .collect();
    price_bars::upsert(tx, &bars).await
}
