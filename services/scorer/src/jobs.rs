//! The scorer's part of operator jobs (`shockwave rescore`, `POST /v1/admin/rescore`): one instance claims a
//! re-score job, loads the model it names (a folder on this instance's disk and a version label) beside the
//! one it serves, scores all of history with it and publishes the scores, reporting progress. The database is
//! reached in the background, so a scorer without Postgres still scores the live topic.

use std::path::PathBuf;
use std::time::Duration;

use shockwave_kafka::producer::EventProducer;
use shockwave_kit::Shutdown;
use shockwave_ops::jobs::{self, Job, Kind};
use sqlx::PgPool;

use crate::Config;

/// How often queued jobs are looked for.
const POLL: Duration = Duration::from_secs(1);
/// A running job whose heartbeat is older than this is taken over (a re-score reports after every page).
const STALE: Duration = Duration::from_secs(300);

pub struct Runner {
    task: tokio::task::JoinHandle<()>,
}

impl Runner {
    pub fn start(config: Config, producer: EventProducer, shutdown: Shutdown) -> Runner {
        let task = tokio::spawn(async move {
            let url = config.db.url();
            let pool = loop {
                match shockwave_store::connect(&url, 2, Duration::from_secs(5), None).await {
                    Ok(pool) => break pool,
                    Err(error) => {
                        tracing::debug!(%error, "re-score jobs wait for Postgres");
                        tokio::select! {
                            _ = shutdown.wait() => return,
                            _ = tokio::time::sleep(Duration::from_secs(10)) => {}
                        }
                    }
                }
            };
            let worker = format!("scorer:{}", config.scorer_group);
            while !shutdown.is_triggered() {
                match jobs::claim(&pool, &[Kind::Rescore], &worker, STALE).await {
                    Ok(Some(job)) => {
                        let outcome = carry_out(&pool, &config, &producer, &job, &shutdown).await;
                        if let Err(error) = jobs::finish(&pool, job.job_id, outcome).await {
                            tracing::error!(%error, job_id = %job.job_id, "job outcome not recorded");
                        }
                    }
                    Ok(None) => {}
                    // No jobs table yet (the schema is behind) or Postgres down: try again later.
                    Err(error) => tracing::debug!(%error, "looking for re-score jobs failed"),
                }
                tokio::select! {
                    _ = shutdown.wait() => break,
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
        });
        Runner { task }
    }

    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

async fn carry_out(
    pool: &PgPool,
    config: &Config,
    producer: &EventProducer,
    job: &Job,
    shutdown: &Shutdown,
) -> Result<String, String> {
    let text = |key: &str| {
        job.params
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let version = text("model_version").ok_or("the job names no model_version")?;
    let dir = text("model_dir")
        .map(PathBuf::from)
        .unwrap_or_else(|| config.model.model_dir.clone());
    if !dir.join("model.onnx").is_file() {
        return Err(format!(
            "{} has no model.onnx on this scorer",
            dir.display()
        ));
    }
    let scorer = config
        .model
        .scorer_for(&dir, Some(&version))
        .map_err(|e| format!("loading the model from {}: {e:#}", dir.display()))?;
    let scored = crate::rescore::rescore(pool, producer, scorer, Some(job.job_id), shutdown)
        .await
        .map_err(|e| format!("{e:#}"))?;
    producer
        .flush(Duration::from_secs(30))
        .map_err(|e| format!("flushing the scores: {e}"))?;
    if shutdown.is_triggered() {
        return Err(format!("stopped after {scored} articles; queue it again"));
    }
    Ok(format!(
        "{scored} articles scored with version {version} from {}",
        dir.display()
    ))
}
