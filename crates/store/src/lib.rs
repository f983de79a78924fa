//! The Postgres layer through `sqlx`: connecting with retries (the database may still be starting), the
//! workspace's migrations (embedded), rebuilding stored events, readiness checks, and telling data Postgres
//! refuses (permanent) from a connection or a conflict (transient).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use shockwave_kit::admin::Check;
use shockwave_kit::failure::Failure;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// Where the database is.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// Postgres URL (unset: `DATABASE_URL`, else postgres://postgres@127.0.0.1:5432/shockwave).
    #[arg(long, env = "SHOCKWAVE_DATABASE_URL", value_name = "URL", value_parser = postgres_url)]
    pub database_url: Option<String>,
}

impl DbArgs {
    pub const DEFAULT_URL: &'static str = "postgres://postgres@127.0.0.1:5432/shockwave";

    /// The URL, with the fallbacks resolved.
    pub fn url(&self) -> String {
        shockwave_kit::config::or_fallback(&self.database_url, "DATABASE_URL", Self::DEFAULT_URL)
    }

    pub fn on(url: &str) -> Self {
        DbArgs {
            database_url: Some(url.to_string()),
        }
    }
}

/// A `postgres://` or `postgresql://` URL.
pub fn postgres_url(text: &str) -> Result<String, String> {
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        Ok(text.to_string())
    } else {
        Err("expected a postgres:// URL".into())
    }
}

/// Readiness of Postgres (`SELECT 1`).
pub fn readiness(pool: PgPool) -> Check {
    Arc::new(move || Box::pin(postgres_reachable(pool.clone())))
}

/// Readiness of the schema: every migration of this build applied (by the migrate step or another service).
pub fn schema_readiness(pool: PgPool) -> Check {
    Arc::new(move || {
        let pool = pool.clone();
        Box::pin(async move { schema_current(&pool).await })
    })
}

/// The workspace's migrations, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("connecting to Postgres: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("running migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Connects, retrying for up to `patience`; with `statement_timeout`, Postgres cancels any statement of this
/// pool that runs longer.
pub async fn connect(
    url: &str,
    max_connections: u32,
    patience: Duration,
    statement_timeout: Option<Duration>,
) -> Result<PgPool, DbError> {
    let mut options = PgConnectOptions::from_str(url).map_err(DbError::Connect)?;
    if let Some(timeout) = statement_timeout {
        options = options.options([("statement_timeout", timeout.as_millis().to_string())]);
    }
    let deadline = tokio::time::Instant::now() + patience;
    let mut backoff = Duration::from_millis(200);
    loop {
        match PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
        {
            Ok(pool) => return Ok(pool),
            Err(error) if tokio::time::Instant::now() < deadline => {
                tracing::warn!(%error, "Postgres not reachable yet, retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(3));
            }
            Err(error) => return Err(DbError::Connect(error)),
        }
    }
}

/// Connects, retrying for up to `patience`, then applies pending migrations.
pub async fn connect_and_migrate(
    url: &str,
    max_connections: u32,
    patience: Duration,
) -> Result<PgPool, DbError> {
    let pool = connect(url, max_connections, patience, None).await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Whether every migration this build knows has been applied (`Err` names how far behind the schema is).
pub async fn schema_current(pool: &PgPool) -> Result<(), String> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "schema readiness check failed");
                "no migrations applied".to_string()
            })?;
    let missing = MIGRATOR
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .count();
    if missing == 0 {
        Ok(())
    } else {
        Err(format!("{missing} migrations not applied"))
    }
}

/// SQLSTATE classes that depend on the data written, not on the moment: 21 cardinality violation (two rows of
/// a batch updating one), 22 data exception (encoding, range, format), 23 integrity constraint, 54 program
/// limit (row or index entry too large).
pub fn is_data_sqlstate(code: &str) -> bool {
    matches!(code.get(..2), Some("21" | "22" | "23" | "54"))
}

/// The Postgres error in an error's chain, if any.
fn database_error(error: &anyhow::Error) -> Option<&dyn sqlx::error::DatabaseError> {
    error
        .chain()
        .find_map(|cause| match cause.downcast_ref::<sqlx::Error>() {
            Some(sqlx::Error::Database(db)) => Some(db.as_ref()),
            _ => None,
        })
}

/// A consumer's view of a failure of a handler that writes to Postgres: `Some` (permanent,
/// `rejected_by_postgres`) when Postgres refused the data itself, `None` to leave the verdict to the other
/// layers.
pub fn classify(error: &anyhow::Error) -> Option<Failure> {
    match database_error(error) {
        Some(db) if db.code().is_some_and(|code| is_data_sqlstate(&code)) => {
            Some(Failure::Permanent {
                kind: "rejected_by_postgres",
            })
        }
        _ => None,
    }
}

/// What a dead letter says about a permanent failure: the SQLSTATE and message when Postgres refused it, else
/// the error chain.
pub fn failure_reason(error: &anyhow::Error) -> String {
    match database_error(error) {
        Some(db) => format!(
            "Postgres refused it: SQLSTATE {}: {}",
            db.code().unwrap_or_default(),
            db.message()
        ),
        None => format!("{error:#}"),
    }
}

/// Whether Postgres answers a trivial query. The reason says what kind of trouble, never the driver's text
/// (it can hold host names and user names); that goes to the log.
pub async fn postgres_reachable(pool: PgPool) -> Result<(), String> {
    sqlx::query("SELECT 1")
        .execute(&pool)
        .await
        .map(|_| ())
        .map_err(|error| {
            tracing::warn!(%error, "Postgres readiness check failed");
            match error {
                sqlx::Error::PoolTimedOut => "no connection available".to_string(),
                sqlx::Error::Database(_) => "refuses queries".to_string(),
                _ => "unreachable".to_string(),
            }
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_sqlstates_are_permanent_and_the_rest_are_not() {
        for code in ["22P05", "22008", "22003", "23505", "21000", "54000"] {
            assert!(is_data_sqlstate(code), "{code}");
        }
        for code in ["40001", "40P01", "08006", "57P01", "53100", "42P01", "X"] {
            assert!(!is_data_sqlstate(code), "{code}");
        }
    }
}
