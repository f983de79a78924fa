//! `shockwave dead-letters list|republish`: what was refused, by stage and reason; and, once the cause is
//! fixed, the originals sent back to the topics they were read from (only those read from Kafka whose whole
//! original was kept, each once).

use anyhow::Context;
use shockwave_kafka::KafkaArgs;
use shockwave_kafka::producer::EventProducer;
use shockwave_ops::dead_letters::{self, Filter, Letter};
use shockwave_schemas::Topic;
use sqlx::PgPool;

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Lists dead letters, newest first.
    List {
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Sends the originals of matching dead letters back to their topics.
    Republish {
        #[command(flatten)]
        filter: FilterArgs,
        /// Say what would be sent, send nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        kafka: KafkaArgs,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct FilterArgs {
    /// Only those of this stage (`projector`, `scorer`, `ingest-news`, ...).
    #[arg(long)]
    stage: Option<String>,
    /// Only those of this reason kind (`control_character`, `rejected_by_postgres`, ...).
    #[arg(long)]
    reason: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    limit: i64,
}

impl FilterArgs {
    fn filter(&self, pending: bool) -> Filter {
        Filter {
            stage: self.stage.clone(),
            reason_kind: self.reason.clone(),
            pending,
            limit: self.limit,
        }
    }
}

fn line(letter: &Letter) -> String {
    let origin = match (
        &letter.origin_topic,
        letter.origin_partition,
        letter.origin_offset,
    ) {
        (Some(t), Some(p), Some(o)) => format!("{t}[{p}]@{o}"),
        _ => letter.location.clone().unwrap_or_else(|| "-".into()),
    };
    format!(
        "{}  {:<16} {:<24} {}  {}",
        letter.failed_at.format("%Y-%m-%d %H:%M:%S"),
        letter.stage,
        letter.reason_kind,
        origin,
        shockwave_schemas::limits::shown(&letter.reason)
    )
}

/// The key a re-sent record goes under: its envelope's `key` when it has one.
fn key_of(original: &[u8]) -> Option<Vec<u8>> {
    serde_json::from_slice::<serde_json::Value>(original)
        .ok()?
        .get("key")?
        .as_str()
        .map(|k| k.as_bytes().to_vec())
}

pub(crate) async fn run(pool: &PgPool, action: Action) -> anyhow::Result<()> {
    match action {
        Action::List { filter } => {
            let letters = dead_letters::list(pool, &filter.filter(false)).await?;
            for letter in &letters {
                println!("{}", line(letter));
            }
            println!("{} dead letters", letters.len());
        }
        Action::Republish {
            filter,
            dry_run,
            kafka,
        } => {
            let letters = dead_letters::list(pool, &filter.filter(true)).await?;
            let producer = if dry_run {
                None
            } else {
                Some(EventProducer::new(&kafka.brokers())?)
            };
            let (mut sent, mut skipped) = (0, 0);
            for letter in &letters {
                if let Some(why) = dead_letters::not_republishable(letter) {
                    println!("skipped: {} ({why})", line(letter));
                    skipped += 1;
                    continue;
                }
                let topic_name = letter.origin_topic.as_deref().unwrap_or_default();
                let Some(topic) = Topic::from_name(topic_name) else {
                    println!("skipped: {} (unknown topic {topic_name})", line(letter));
                    skipped += 1;
                    continue;
                };
                if let Some(producer) = &producer {
                    let key = key_of(&letter.original).unwrap_or_default();
                    producer
                        .send_raw(topic, &key, &letter.original)
                        .await
                        .with_context(|| format!("sending back to {topic_name}"))?;
                    dead_letters::mark_republished(pool, letter).await?;
                }
                println!(
                    "{}: {}",
                    if dry_run { "would send" } else { "sent" },
                    line(letter)
                );
                sent += 1;
            }
            if let Some(producer) = producer {
                producer.flush(std::time::Duration::from_secs(30))?;
            }
            println!(
                "{sent} {} back to their topics, {skipped} skipped",
                if dry_run { "would go" } else { "sent" }
            );
        }
    }
    Ok(())
}
