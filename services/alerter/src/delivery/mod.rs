//! Delivery of raised alerts to their receivers, from the outbox in Postgres: each receiver gets each
//! alert until it answers 2xx, with exponential backoff between attempts; after `max_attempts` failures the
//! alert is dead-lettered for that receiver, counted and logged. Delivered rows are marked at once, so a
//! receiver that answered 2xx is not sent the alert again (and the idempotency key covers a crash between
//! its answer and the mark). Open shocks are also pushed to Alertmanager again every `refresh`.

pub mod alertmanager;
pub mod webhook;

use std::sync::LazyLock;
use std::time::Duration;

use chrono::Utc;
use prometheus::IntCounterVec;
use shockwave_kafka::producer::EventProducer;
use shockwave_kit::Shutdown;
use shockwave_kit::metrics::counter_vec;
use shockwave_schemas::dead_letter::DeadLetter;
use sqlx::PgPool;

use crate::store::{self, Outcome};
use alertmanager::Alertmanager;
use webhook::Webhook;

static DELIVERIES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "alert_deliveries_total",
        "Alert delivery attempts by receiver and outcome (delivered, retry, failed).",
        &["receiver", "outcome"],
    )
});
static REFRESHES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "alertmanager_refreshes_total",
        "Pushes of the open shocks to Alertmanager, by outcome (ok, error).",
        &["outcome"],
    )
});

/// Retry timing.
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub max_attempts: i32,
}

impl Backoff {
    /// The wait before the next attempt after `failures` failed ones (1, 2, ...): first, 2 x first, ...
    pub fn delay(&self, failures: i32) -> Duration {
        let factor = 2u32.saturating_pow(failures.clamp(1, 31) as u32 - 1);
        self.first.saturating_mul(factor).min(self.max)
    }

    /// What a failure after `attempts` earlier attempts leads to.
    pub fn after_failure(&self, attempts: i32, error: String) -> Outcome {
        let failures = attempts + 1;
        if failures >= self.max_attempts {
            Outcome::Failed(error)
        } else {
            let wait = chrono::Duration::from_std(self.delay(failures)).unwrap_or_default();
            Outcome::RetryAt(Utc::now() + wait, error)
        }
    }
}

/// A place alerts go.
#[derive(Debug, Clone)]
pub enum Receiver {
    Webhook(Webhook),
    Alertmanager(Alertmanager),
}

impl Receiver {
    pub fn name(&self) -> &str {
        match self {
            Receiver::Webhook(w) => &w.name,
            Receiver::Alertmanager(_) => alertmanager::RECEIVER,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub receivers: Vec<Receiver>,
    pub backoff: Backoff,
    pub timeout: Duration,
    /// How often due deliveries are looked for.
    pub poll: Duration,
    /// How often open shocks are pushed to Alertmanager again.
    pub refresh: Duration,
}

impl Delivery {
    /// Works through due deliveries until shutdown.
    pub async fn run(self, pool: PgPool, producer: EventProducer, shutdown: Shutdown) {
        let client = reqwest::Client::new();
        let mut last_refresh: Option<tokio::time::Instant> = None;
        while !shutdown.is_triggered() {
            for receiver in &self.receivers {
                if let Err(error) = self.deliver_due(&pool, &producer, &client, receiver).await {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        receiver = receiver.name(),
                        "delivery pass failed"
                    );
                }
            }
            if last_refresh.is_none_or(|at| at.elapsed() >= self.refresh) {
                self.refresh_open(&pool, &client).await;
                last_refresh = Some(tokio::time::Instant::now());
            }
            tokio::select! {
                _ = shutdown.wait() => {}
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    async fn deliver_due(
        &self,
        pool: &PgPool,
        producer: &EventProducer,
        client: &reqwest::Client,
        receiver: &Receiver,
    ) -> anyhow::Result<()> {
        let name = receiver.name();
        for due in store::due(pool, name, 100).await? {
            let body = due.event.to_json();
            let sent = match receiver {
                Receiver::Webhook(hook) => {
                    hook.send(
                        client,
                        &due.event.event_id.to_string(),
                        body.clone(),
                        self.timeout,
                    )
                    .await
                }
                Receiver::Alertmanager(am) => match am.alert(&due.event, Utc::now()) {
                    Some(alert) => am.push(client, vec![alert], self.timeout).await,
                    None => Err("not a shock".into()),
                },
            };
            let outcome = match sent {
                Ok(()) => Outcome::Delivered,
                Err(error) => self.backoff.after_failure(due.attempts, error),
            };
            let label = match &outcome {
                Outcome::Delivered => "delivered",
                Outcome::RetryAt(..) => "retry",
                Outcome::Failed(_) => "failed",
            };
            DELIVERIES.with_label_values(&[name, label]).inc();
            match &outcome {
                Outcome::Delivered => {
                    tracing::info!(receiver = name, event_id = %due.event.event_id, "alert delivered")
                }
                Outcome::RetryAt(at, error) => {
                    tracing::warn!(receiver = name, event_id = %due.event.event_id, attempts = due.attempts + 1, %error, retry_at = %at, "alert delivery failed, will retry")
                }
                Outcome::Failed(error) => {
                    tracing::error!(receiver = name, event_id = %due.event.event_id, attempts = due.attempts + 1, %error, "alert undeliverable, dead-lettered");
                    let letter = DeadLetter::new(
                        "alerter",
                        "delivery_failed",
                        format!("{name}: {} attempts, last: {error}", due.attempts + 1),
                        &body,
                    );
                    producer.dead_letter(&letter).await?;
                }
            }
            store::settle(pool, due.event.event_id, name, &outcome).await?;
            if !matches!(outcome, Outcome::Delivered) {
                // Later alerts to this receiver wait for the next pass: the receiver is struggling.
                break;
            }
        }
        Ok(())
    }

    async fn refresh_open(&self, pool: &PgPool, client: &reqwest::Client) {
        for receiver in &self.receivers {
            let Receiver::Alertmanager(am) = receiver else {
                continue;
            };
            let outcome = async {
                let now = Utc::now();
                let alerts: Vec<_> = store::open_shocks(pool)
                    .await
                    .map_err(|e| format!("{e:#}"))?
                    .iter()
                    .filter_map(|event| am.alert(event, now))
                    .collect();
                if alerts.is_empty() {
                    return Ok(());
                }
                am.push(client, alerts, self.timeout).await
            }
            .await;
            match outcome {
                Ok(()) => REFRESHES.with_label_values(&["ok"]).inc(),
                Err(error) => {
                    REFRESHES.with_label_values(&["error"]).inc();
                    tracing::warn!(%error, "refreshing open shocks in Alertmanager failed");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_then_gives_up() {
        let backoff = Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(10),
            max_attempts: 5,
        };
        let delays: Vec<u64> = (1..=6).map(|n| backoff.delay(n).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 10, 10]);
        assert!(matches!(
            backoff.after_failure(3, "x".into()),
            Outcome::RetryAt(..)
        ));
        assert_eq!(
            backoff.after_failure(4, "x".into()),
            Outcome::Failed("x".into())
        );
    }
}
