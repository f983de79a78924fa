//! The `shock_events` projection: every state of every shock, with its payload for the evidence.

use chrono::{DateTime, Utc};
use shockwave_schemas::SentimentShockDetected;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// The serde name of a unit enum value (`open`, `negative`, `topic`).
fn name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub type ShockRow<'e> = (Uuid, &'e SentimentShockDetected, DateTime<Utc>);

pub async fn insert(
    tx: &mut Transaction<'_, Postgres>,
    shocks: &[ShockRow<'_>],
) -> Result<(), sqlx::Error> {
    if shocks.is_empty() {
        return Ok(());
    }
    sqlx::query(include_str!("../sql/insert_shock_events.sql"))
        .bind(shocks.iter().map(|(id, _, _)| *id).collect::<Vec<_>>())
        .bind(
            shocks
                .iter()
                .map(|(_, s, _)| s.shock_id)
                .collect::<Vec<_>>(),
        )
        .bind(
            shocks
                .iter()
                .map(|(_, s, _)| name(&s.status))
                .collect::<Vec<_>>(),
        )
        .bind(shocks.iter().map(|(_, _, at)| *at).collect::<Vec<_>>())
        .bind(
            shocks
                .iter()
                .map(|(_, s, _)| name(&s.subject_kind))
                .collect::<Vec<_>>(),
        )
        .bind(
            shocks
                .iter()
                .map(|(_, s, _)| s.subject.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            shocks
                .iter()
                .map(|(_, s, _)| name(&s.direction))
                .collect::<Vec<_>>(),
        )
        .bind(
            shocks
                .iter()
                .map(|(_, s, _)| s.statistic.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            shocks
                .iter()
                .map(|(_, s, _)| s.magnitude)
                .collect::<Vec<_>>(),
        )
        .bind(
            shocks
                .iter()
                .map(|(_, s, _)| s.window_start)
                .collect::<Vec<_>>(),
        )
        .bind(
            shocks
                .iter()
                .map(|(_, s, _)| s.window_end)
                .collect::<Vec<_>>(),
        )
        .bind(
            shocks
                .iter()
                .map(|(_, s, _)| i32::try_from(s.article_count).unwrap_or(i32::MAX))
                .collect::<Vec<_>>(),
        )
        .bind(
            shocks
                .iter()
                .map(|(_, s, _)| serde_json::to_string(s).expect("shocks serialise"))
                .collect::<Vec<_>>(),
        )
        .execute(&mut **tx)
        .await?;
    Ok(())
}
