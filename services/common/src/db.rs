//! The Postgres pool: connect with retries (the database may still be starting) and run the migrations.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// The workspace's migrations, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("connecting to Postgres: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("running migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Connects, retrying for up to `patience`, then applies pending migrations.
pub async fn connect_and_migrate(
    url: &str,
    max_connections: u32,
    patience: Duration,
) -> Result<PgPool, DbError> {
    let deadline = tokio::time::Instant::now() + patience;
    let mut backoff = Duration::from_millis(200);
    let pool = loop {
        match PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
        {
            Ok(pool) => break pool,
            Err(error) if tokio::time::Instant::now() < deadline => {
                tracing::warn!(%error, "Postgres not reachable yet, retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(3));
            }
            Err(error) => return Err(DbError::Connect(error)),
        }
    };
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Whether Postgres answers a trivial query.
pub async fn postgres_reachable(pool: PgPool) -> Result<(), String> {
    sqlx::query("SELECT 1")
        .execute(&pool)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Rebuilds an event from its `event_store` row (columns `event_id, event_type, schema_version, source,
/// event_key, occurred_at, observed_at, payload`), through the same decoder and upcasters as the live path.
pub fn stored_event(row: &sqlx::postgres::PgRow) -> anyhow::Result<shockwave_schemas::Event> {
    use sqlx::Row;
    let envelope = serde_json::json!({
        "event_id": row.try_get::<uuid::Uuid, _>("event_id")?,
        "event_type": row.try_get::<String, _>("event_type")?,
        "schema_version": row.try_get::<i16, _>("schema_version")?,
        "source": row.try_get::<String, _>("source")?,
        "occurred_at": row.try_get::<chrono::DateTime<chrono::Utc>, _>("occurred_at")?,
        "observed_at": row.try_get::<chrono::DateTime<chrono::Utc>, _>("observed_at")?,
        "key": row.try_get::<String, _>("event_key")?,
        "payload": row.try_get::<serde_json::Value, _>("payload")?,
    });
    shockwave_schemas::Event::decode(&serde_json::to_vec(&envelope)?)
        .map_err(|e| anyhow::anyhow!("stored event does not decode: {e}"))
}
