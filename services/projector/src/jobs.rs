//! The projector's part of operator jobs (`shockwave replay`, `POST /v1/admin/replay`): it claims them and
//! carries them out, because it owns the projections.
//! - `replay`: every projection rebuilt from the event store in one transaction (readers keep the old rows
//!   until it commits), with progress.
//! - `replay_from_kafka`: the consumer is stopped after its batch in hand, the event store, projections, dead
//!   letters and this consumer's offsets are emptied, and a new consumer reads every topic from offset 0. Only
//!   a projector that holds every partition itself (`SHOCKWAVE_PROJECTOR_SHARD=0/1`) can do it.

use std::sync::Arc;
use std::time::Duration;

use shockwave_kafka::consumer::Shard;
use shockwave_kit::Shutdown;
use shockwave_ops::jobs::{self, Job, Kind};
use sqlx::PgPool;
use tokio::sync::{Mutex, Notify, oneshot};

use crate::{Config, Membership, replay};

/// How often queued jobs are looked for.
const POLL: Duration = Duration::from_millis(500);
/// A running job whose heartbeat is older than this is taken over.
const STALE: Duration = Duration::from_secs(120);

type Reply = oneshot::Sender<Result<(), String>>;

/// Between the job runner and the consume loop: a request to stop the consumer and empty the store.
#[derive(Clone)]
pub struct Restarts {
    pending: Arc<Mutex<Option<Reply>>>,
    notify: Arc<Notify>,
    pool: PgPool,
    group: String,
}

impl Restarts {
    /// Resolves once a replay from Kafka is waiting for the consumer to stop.
    pub async fn requested(&self) {
        loop {
            if self.pending.lock().await.is_some() {
                return;
            }
            self.notify.notified().await;
        }
    }

    /// With the consumer stopped: empties the store for the pending request and answers it.
    pub async fn reset_store(&mut self) {
        let Some(reply) = self.pending.lock().await.take() else {
            return;
        };
        let outcome = replay::reset_for_kafka_replay(&self.pool, &self.group)
            .await
            .map_err(|e| format!("{e:#}"));
        let _ = reply.send(outcome);
    }

    async fn request(&self) -> oneshot::Receiver<Result<(), String>> {
        let (reply, answer) = oneshot::channel();
        *self.pending.lock().await = Some(reply);
        self.notify.notify_one();
        answer
    }
}

/// The task that claims and carries out jobs.
pub struct Runner {
    task: tokio::task::JoinHandle<()>,
}

impl Runner {
    pub fn start(pool: PgPool, config: Config, shutdown: Shutdown) -> (Runner, Restarts) {
        let restarts = Restarts {
            pending: Arc::default(),
            notify: Arc::default(),
            pool: pool.clone(),
            group: config.projector_group.clone(),
        };
        let worker = format!("projector:{}", config.projector_group);
        let own = restarts.clone();
        let task = tokio::spawn(async move {
            while !shutdown.is_triggered() {
                match jobs::claim(
                    &pool,
                    &[Kind::Replay, Kind::ReplayFromKafka],
                    &worker,
                    STALE,
                )
                .await
                {
                    Ok(Some(job)) => {
                        let outcome = carry_out(&pool, &config, &own, &job, &shutdown).await;
                        if let Err(error) = jobs::finish(&pool, job.job_id, outcome).await {
                            tracing::error!(%error, job_id = %job.job_id, "job outcome not recorded");
                        }
                    }
                    Ok(None) => {}
                    Err(error) => tracing::warn!(%error, "looking for jobs failed"),
                }
                tokio::select! {
                    _ = shutdown.wait() => break,
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
        });
        (Runner { task }, restarts)
    }

    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

async fn carry_out(
    pool: &PgPool,
    config: &Config,
    restarts: &Restarts,
    job: &Job,
    shutdown: &Shutdown,
) -> Result<String, String> {
    tracing::info!(job_id = %job.job_id, kind = job.kind.as_str(), "job started");
    match job.kind {
        Kind::Replay => replay::replay(pool, Some(job.job_id))
            .await
            .map(|summary| format!("{} events re-applied from the event store", summary.events))
            .map_err(|e| format!("{e:#}")),
        Kind::ReplayFromKafka => {
            if config.projector_shard != Membership::Static(Shard::ALL) {
                return Err(format!(
                    "a replay from Kafka needs the one projector that holds every partition \
                     (SHOCKWAVE_PROJECTOR_SHARD=0/1); this one runs with {:?}",
                    config.projector_shard
                ));
            }
            let answer = restarts.request().await;
            tokio::select! {
                _ = shutdown.wait() => Err("the projector stopped before the store was emptied".into()),
                outcome = answer => match outcome {
                    Ok(Ok(())) => Ok("store emptied; every topic is being read again from offset 0".into()),
                    Ok(Err(reason)) => Err(reason),
                    Err(_) => Err("the consumer loop ended".into()),
                },
            }
        }
        Kind::Rescore => Err("not a projector job".into()),
    }
}
