//! The polling loop every live ingestor runs: each source on its own interval, fetched with conditional
//! GET, retries and a per-host budget, converted by the ingestor and published. A failed poll is logged and
//! counted and the source is tried again at its next turn; only a broker failure stops the loop.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::IntCounterVec;
use reqwest::header::HeaderMap;
use shockwave_schemas::Event;
use tokio::time::Instant;
use tracing::Instrument;

use crate::fetch::{FetchPolicy, Fetched, Fetcher};
use crate::sink::{IngestSink, Reject};
use shockwave_kit::Shutdown;
use shockwave_kit::metrics::counter_vec;

static POLLS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "ingest_polls_total",
        "Polls of live sources by stage, source and outcome (new, not_modified, rejected, failed).",
        &["stage", "source", "outcome"],
    )
});

/// A source to poll.
pub trait PollTarget {
    fn id(&self) -> &str;
    fn url(&self) -> String;
    fn interval(&self) -> Duration;
    /// Extra request headers (API keys).
    fn headers(&self) -> HeaderMap {
        HeaderMap::new()
    }
}

/// Events and rejects made from one fetched document.
#[derive(Debug, Default)]
pub struct Converted {
    pub events: Vec<Event>,
    pub rejects: Vec<Reject>,
}

impl Converted {
    pub fn push(&mut self, result: Result<Event, Box<Reject>>) {
        match result {
            Ok(event) => self.events.push(event),
            Err(reject) => self.rejects.push(*reject),
        }
    }
}

/// Polls one source once. `convert` gets the body, its content type and the URL.
pub async fn poll_once<T: PollTarget>(
    sink: &mut IngestSink,
    fetcher: &Fetcher,
    target: &T,
    convert: &impl Fn(&T, &[u8], Option<&str>, &str) -> Converted,
) -> anyhow::Result<()> {
    let stage = sink.stage();
    let url = target.url();
    match fetcher.get(&url, &target.headers()).await {
        Ok(Fetched::NotModified) => {
            POLLS
                .with_label_values(&[stage, target.id(), "not_modified"])
                .inc();
            tracing::debug!(source = target.id(), "not modified");
        }
        Ok(Fetched::Body {
            bytes,
            content_type,
        }) => {
            let converted = convert(target, &bytes, content_type.as_deref(), &url);
            let outcome = if converted.events.is_empty() && !converted.rejects.is_empty() {
                "rejected"
            } else {
                "new"
            };
            POLLS
                .with_label_values(&[stage, target.id(), outcome])
                .inc();
            tracing::info!(
                source = target.id(),
                events = converted.events.len(),
                rejected = converted.rejects.len(),
                "polled"
            );
            sink.reject_all(&converted.rejects).await?;
            sink.publish(converted.events).await?;
        }
        Err(error) => {
            POLLS
                .with_label_values(&[stage, target.id(), "failed"])
                .inc();
            tracing::error!(source = target.id(), kind = error.kind(), %error, "poll failed; trying again at the next interval");
        }
    }
    Ok(())
}

/// Polls every target on its interval until shutdown.
pub async fn poll_loop<T: PollTarget>(
    sink: &mut IngestSink,
    targets: &[T],
    policy: FetchPolicy,
    shutdown: &Shutdown,
    convert: impl Fn(&T, &[u8], Option<&str>, &str) -> Converted,
) -> anyhow::Result<()> {
    let fetcher = Fetcher::new(policy)?;
    let mut due: Vec<Instant> = vec![Instant::now(); targets.len()];
    while !shutdown.is_triggered() {
        let Some((next, at)) = due.iter().copied().enumerate().min_by_key(|(_, at)| *at) else {
            return Ok(());
        };
        tokio::select! {
            _ = tokio::time::sleep_until(at) => {}
            _ = shutdown.wait() => break,
        }
        // Every line logged while polling one source says which source it was.
        let span = tracing::info_span!("poll", source = targets[next].id());
        poll_once(sink, &fetcher, &targets[next], &convert)
            .instrument(span)
            .await?;
        due[next] = Instant::now() + targets[next].interval();
    }
    Ok(())
}
