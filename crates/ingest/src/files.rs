//! What every ingestor does with files, and how it starts and stops: expand folders, read each file through
//! the ingestor's converter, dead-letter its rejects, then publish all its events in time order (paced by
//! the replay clock when a speed is given); start with the admin endpoints and topics, end with a flush.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use shockwave_schemas::Topic;

use shockwave_kafka::{KafkaArgs, service};
use shockwave_kit::Shutdown;
use shockwave_kit::admin::Readiness;

use crate::mode;
use crate::poll::Converted;
use crate::replay::{Pace, ReplayClock};
use crate::sink::{IngestSink, Summary};

/// Serves the admin endpoints on `admin_addr` (ready when Kafka is), creates `topic` and the dead-letter
/// topic, and returns the sink for `stage`.
pub async fn start(
    admin_addr: std::net::SocketAddr,
    kafka: &KafkaArgs,
    stage: &'static str,
    topic: Topic,
    shutdown: &Shutdown,
) -> anyhow::Result<IngestSink> {
    let readiness = Readiness::new().with("kafka", shockwave_kafka::readiness(kafka.brokers()));
    let producer = service::start(
        admin_addr,
        kafka,
        readiness,
        &[topic, Topic::DeadLetters],
        shutdown,
    )
    .await?;
    Ok(IngestSink::new(producer, stage))
}

/// Waits for everything in flight, then returns what the sink did.
pub fn finish(sink: IngestSink) -> anyhow::Result<Summary> {
    sink.producer().flush(Duration::from_secs(30))?;
    Ok(sink.summary().clone())
}

/// Reads `paths` (folders expanded to their files with one of `extensions`) through `convert` (file, bytes,
/// location) and publishes the events, paced by `pace`.
pub async fn ingest(
    sink: &mut IngestSink,
    paths: &[PathBuf],
    extensions: &[&str],
    pace: Pace,
    shutdown: &Shutdown,
    convert: impl Fn(&Path, &[u8], &str) -> Converted,
) -> anyhow::Result<()> {
    let files = mode::expand(paths, extensions).context("listing input folders")?;
    let mut events = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let location = file.display().to_string();
        let converted = convert(&file, &bytes, &location);
        tracing::info!(file = %location, events = converted.events.len(), rejected = converted.rejects.len(), "file read");
        sink.reject_all(&converted.rejects).await?;
        events.extend(converted.events);
    }
    let mut clock = ReplayClock::paced(pace);
    sink.publish_paced(events, &mut clock, shutdown).await?;
    Ok(())
}
