//! The `app_ranks` projection: one row per app per chart observation.

use shockwave_schemas::{AppRankObserved, AppStore};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

fn store_name(store: AppStore) -> &'static str {
    match store {
        AppStore::Apple => "apple",
        AppStore::GooglePlay => "google_play",
    }
}

pub async fn upsert(
    tx: &mut Transaction<'_, Postgres>,
    ranks: &[(Uuid, &AppRankObserved)],
) -> Result<(), sqlx::Error> {
    if ranks.is_empty() {
        return Ok(());
    }
    sqlx::query(include_str!("../sql/insert_app_ranks.sql"))
        .bind(
            ranks
                .iter()
                .map(|(_, r)| store_name(r.store))
                .collect::<Vec<_>>(),
        )
        .bind(
            ranks
                .iter()
                .map(|(_, r)| r.country.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            ranks
                .iter()
                .map(|(_, r)| r.chart.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            ranks
                .iter()
                .map(|(_, r)| r.app_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(ranks.iter().map(|(_, r)| r.observed_at).collect::<Vec<_>>())
        .bind(
            ranks
                .iter()
                .map(|(_, r)| r.app_name.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            ranks
                .iter()
                .map(|(_, r)| r.developer.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(
            ranks
                .iter()
                .map(|(_, r)| i32::try_from(r.rank).unwrap_or(i32::MAX))
                .collect::<Vec<_>>(),
        )
        .bind(ranks.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
