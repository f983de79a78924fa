//! Which model version the views use: one row in `active_model`, switched in one statement while everything
//! keeps running. Only a version with scores can become active.

use sqlx::PgPool;

#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    #[error("model version `{0}` has no scores; re-score history with it first")]
    NoScores(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The active version, if any score was projected yet.
pub async fn active(pool: &PgPool) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT model_version FROM active_model")
        .fetch_optional(pool)
        .await
}

/// Makes `version` the one the views use.
pub async fn activate(pool: &PgPool, version: &str) -> Result<(), SwitchError> {
    let scored: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM article_scores WHERE model_version = $1)")
            .bind(version)
            .fetch_one(pool)
            .await?;
    if !scored {
        return Err(SwitchError::NoScores(version.into()));
    }
    sqlx::query(
        "INSERT INTO active_model (model_version) VALUES ($1) \
         ON CONFLICT (singleton) DO UPDATE SET model_version = EXCLUDED.model_version, switched_at = now()",
    )
    .bind(version)
    .execute(pool)
    .await?;
    tracing::info!(%version, "the views now use this model version");
    Ok(())
}
