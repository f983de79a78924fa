//! The `articles` projection: one row per published article (its full-text index is a generated column).

use shockwave_schemas::ArticlePublished;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

pub async fn insert(
    tx: &mut Transaction<'_, Postgres>,
    articles: &[(Uuid, &ArticlePublished)],
) -> Result<(), sqlx::Error> {
    if articles.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = articles.iter().map(|(id, _)| *id).collect();
    let field = |f: fn(&ArticlePublished) -> &str| -> Vec<&str> {
        articles.iter().map(|(_, a)| f(a)).collect()
    };
    let hints: Vec<String> = articles
        .iter()
        .map(|(_, a)| serde_json::to_string(&a.topic_hints).expect("strings serialise"))
        .collect();
    sqlx::query(include_str!("../sql/insert_articles.sql"))
        .bind(&ids)
        .bind(field(|a| &a.canonical_url))
        .bind(field(|a| &a.title))
        .bind(field(|a| &a.body))
        .bind(field(|a| &a.language))
        .bind(field(|a| &a.feed_id))
        .bind(field(|a| &a.source_name))
        .bind(&hints)
        .bind(
            articles
                .iter()
                .map(|(_, a)| a.published_at)
                .collect::<Vec<_>>(),
        )
        .bind(
            articles
                .iter()
                .map(|(_, a)| a.published_at_estimated)
                .collect::<Vec<_>>(),
        )
        .execute(&mut **tx)
        .await?;
    Ok(())
}
