//! `scorer rescore`: scores every article in the event store with the configured model (its directory and
//! `SHOCKWAVE_MODEL_VERSION`) and publishes the new `ArticleScored` events. Scores are kept per model
//! version, so history gains a second set of scores beside the first; which one the views use is the
//! `active_model` switch. Running it again with the same model publishes events with the same ids.

use std::time::Duration;

use anyhow::Context;
use shockwave_common::kafka::{admin as kafka_admin, producer::EventProducer};
use shockwave_common::{Shutdown, db};
use shockwave_schemas::{Event, Payload, Topic};
use sqlx::Row;

use crate::Config;
use crate::handler::scored_event;

/// Articles read and scored per round.
const PAGE: i64 = 256;

pub async fn rescore(config: Config, shutdown: Shutdown) -> anyhow::Result<usize> {
    let mut scorer = config.scorer().context("loading the model")?;
    let lineage = scorer.classifier.lineage.clone();
    tracing::info!(version = %lineage.version, sha256 = %lineage.sha256, "re-scoring history");
    let pool =
        db::connect_and_migrate(&config.common.database_url, 2, Duration::from_secs(60)).await?;
    kafka_admin::ensure_topics(
        &config.common.kafka_brokers,
        &[Topic::Scores],
        config.common.topic_partitions,
        config.common.topic_replication,
    )
    .await?;
    let producer = EventProducer::new(&config.common.kafka_brokers)?;
    let mut after = uuid::Uuid::nil();
    let mut scored = 0;
    while !shutdown.is_triggered() {
        let rows = sqlx::query(include_str!("sql/articles_page.sql"))
            .bind(after)
            .bind(PAGE)
            .fetch_all(&pool)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("event_id")?;
        let articles: Vec<Event> = rows
            .iter()
            .map(db::stored_event)
            .collect::<anyhow::Result<_>>()?;
        let inputs: Vec<_> = articles
            .iter()
            .filter_map(|e| match &e.payload {
                Payload::ArticlePublished(a) => Some((e.event_id, a)),
                _ => None,
            })
            .collect();
        let scores = tokio::task::block_in_place(|| scorer.score(&inputs)).context("scoring")?;
        let events: Vec<Event> = articles
            .iter()
            .zip(scores)
            .map(|(article, score)| scored_event(article, score))
            .collect();
        producer
            .publish_all(&events)
            .await
            .context("publishing scores")?;
        scored += events.len();
        tracing::info!(scored, "re-scored");
    }
    producer.flush(Duration::from_secs(30))?;
    Ok(scored)
}
