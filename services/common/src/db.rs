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
