//! Prometheus metrics shared by all services. Label values come from bounded sets (topics, stages, error
//! kinds), never from free text.

use std::sync::LazyLock;

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// The registry `/metrics` serves; services register their own metrics here too.
pub fn registry() -> &'static Registry {
    static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
        Registry::new_custom(Some("shockwave".into()), None).expect("valid prefix")
    });
    &REGISTRY
}

/// Registers a collector, panicking on a programming error (a duplicate name).
pub fn register<C: prometheus::core::Collector + Clone + 'static>(collector: C) -> C {
    registry()
        .register(Box::new(collector.clone()))
        .expect("metric registered once");
    collector
}

pub fn counter(name: &str, help: &str) -> IntCounter {
    register(IntCounter::new(name, help).expect("valid metric"))
}

pub fn histogram(name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    register(
        Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
            .expect("valid metric"),
    )
}

pub fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register(IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric"))
}

pub fn gauge_vec(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    register(IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric"))
}

pub fn histogram_vec(name: &str, help: &str, labels: &[&str], buckets: Vec<f64>) -> HistogramVec {
    register(
        HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels)
            .expect("valid metric"),
    )
}

/// Events written to a topic, by topic.
pub static EVENTS_PUBLISHED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "events_published_total",
        "Events acknowledged by the broker.",
        &["topic"],
    )
});
/// Publish attempts the broker did not acknowledge, by topic.
pub static PUBLISH_ERRORS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "publish_errors_total",
        "Publishes that failed after the producer's retries.",
        &["topic"],
    )
});
/// Producers replaced after a publish failed.
pub static PRODUCER_RENEWALS: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "producer_renewals_total",
        "Producers replaced by a new client after a publish failed.",
    )
});
/// Messages handled and made durable by a consumer, by consumer group and topic.
pub static EVENTS_CONSUMED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "events_consumed_total",
        "Messages handled and committed.",
        &["consumer", "topic"],
    )
});
/// Messages between a consumer's position and the end of a partition, after its latest batch.
pub static CONSUMER_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    gauge_vec(
        "consumer_lag_messages",
        "Messages not yet consumed per partition, measured after each batch (at most once a second).",
        &["consumer", "topic", "partition"],
    )
});
/// Partitions a consumer holds: given by its group at each rebalance, or assigned by itself.
pub static ASSIGNED_PARTITIONS: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    gauge_vec(
        "consumer_assigned_partitions",
        "Partitions the consumer holds now (0 while a rebalance is in progress or when the group gave it none).",
        &["consumer"],
    )
});
/// Items sent to the dead-letter topic, by stage and reason kind.
pub static DEAD_LETTERS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "dead_letters_total",
        "Items sent to the dead-letter topic.",
        &["stage", "reason"],
    )
});
/// Batch handler failures that will be retried, by consumer.
pub static HANDLER_ERRORS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "handler_errors_total",
        "Batch handler failures (retried).",
        &["consumer"],
    )
});
/// Time to handle one batch, by consumer.
pub static BATCH_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram_vec(
        "batch_seconds",
        "Time to handle and commit one batch.",
        &["consumer"],
        prometheus::exponential_buckets(0.0005, 2.0, 16).expect("valid buckets"),
    )
});
/// Messages per handled batch, by consumer.
pub static BATCH_SIZE: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram_vec(
        "batch_size_messages",
        "Messages per handled batch.",
        &["consumer"],
        prometheus::exponential_buckets(1.0, 2.0, 14).expect("valid buckets"),
    )
});

/// The text exposition of every registered metric.
pub fn render() -> String {
    // Touch the shared metrics so they appear (at zero) before their first use.
    LazyLock::force(&EVENTS_PUBLISHED);
    LazyLock::force(&PUBLISH_ERRORS);
    LazyLock::force(&PRODUCER_RENEWALS);
    LazyLock::force(&EVENTS_CONSUMED);
    LazyLock::force(&DEAD_LETTERS);
    LazyLock::force(&HANDLER_ERRORS);
    LazyLock::force(&BATCH_SECONDS);
    LazyLock::force(&BATCH_SIZE);
    TextEncoder::new()
        .encode_to_string(&registry().gather())
        .unwrap_or_default()
}
