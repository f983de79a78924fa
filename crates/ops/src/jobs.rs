//! Jobs: an operator's request that a service carries out, because only that service holds what it needs (the
//! projector owns the projections, the scorer the model). Whoever asks adds a row (`submit`) and may follow it
//! (`get`, `wait`); the service `claim`s queued rows of its kinds (FOR UPDATE SKIP LOCKED, so two instances
//! never take one job), reports `progress` with a heartbeat, and `finish`es it. A running job whose heartbeat
//! stopped for `stale_after` (its service died) is claimed again; every kind is idempotent.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Rebuild every projection from the event store (projector).
    Replay,
    /// Empty the event store and the projections and read every topic again from offset 0 (projector).
    ReplayFromKafka,
    /// Score every stored article with a model version and publish the scores (scorer). Params:
    /// `{"model_version": "2", "model_dir": "models/sentiment/v2"}`.
    Rescore,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Replay => "replay",
            Kind::ReplayFromKafka => "replay_from_kafka",
            Kind::Rescore => "rescore",
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        [Kind::Replay, Kind::ReplayFromKafka, Kind::Rescore]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Queued,
    Running,
    Done,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Running => "running",
            State::Done => "done",
            State::Failed => "failed",
        }
    }

    fn from_name(name: &str) -> State {
        match name {
            "running" => State::Running,
            "done" => State::Done,
            "failed" => State::Failed,
            _ => State::Queued,
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, State::Done | State::Failed)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub job_id: Uuid,
    pub kind: Kind,
    pub params: serde_json::Value,
    pub state: State,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub claimed_by: Option<String>,
    /// What the service reported last, e.g. `{"done": 12000, "total": 40000}`.
    pub progress: serde_json::Value,
    /// A summary when done, the error when failed.
    pub outcome: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("job {0} does not exist")]
    Missing(Uuid),
    #[error("job {id} is still {state:?} after {waited:?}{hint}")]
    NotFinished {
        id: Uuid,
        state: State,
        waited: Duration,
        hint: &'static str,
    },
}

type Row = (
    Uuid,
    String,
    serde_json::Value,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<String>,
    serde_json::Value,
    Option<String>,
);

const COLUMNS: &str = "job_id, kind, params, state, requested_by, created_at, started_at, finished_at, \
                       claimed_by, progress, outcome";

fn job(row: Row) -> Option<Job> {
    let (
        job_id,
        kind,
        params,
        state,
        requested_by,
        created_at,
        started_at,
        finished_at,
        claimed_by,
        progress,
        outcome,
    ) = row;
    Some(Job {
        job_id,
        kind: Kind::from_name(&kind)?,
        params,
        state: State::from_name(&state),
        requested_by,
        created_at,
        started_at,
        finished_at,
        claimed_by,
        progress,
        outcome,
    })
}

/// Queues a job; `requested_by` says who asked (`cli`, `api`).
pub async fn submit(
    pool: &PgPool,
    kind: Kind,
    params: serde_json::Value,
    requested_by: &str,
) -> Result<Job, JobError> {
    let row: Row = sqlx::query_as(&format!(
        "INSERT INTO jobs (job_id, kind, params, requested_by) VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
    ))
    .bind(Uuid::new_v4())
    .bind(kind.as_str())
    .bind(&params)
    .bind(requested_by)
    .fetch_one(pool)
    .await?;
    let job = job(row).expect("a kind this build knows");
    tracing::info!(job_id = %job.job_id, kind = kind.as_str(), requested_by, "job queued");
    Ok(job)
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<Job>, JobError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs WHERE job_id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.and_then(job))
}

/// The newest jobs first.
pub async fn list(pool: &PgPool, limit: i64) -> Result<Vec<Job>, JobError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM jobs ORDER BY created_at DESC, job_id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().filter_map(job).collect())
}

/// Takes the oldest queued job of `kinds` (or a running one whose heartbeat is older than `stale_after`) for
/// `worker`, and marks it running.
pub async fn claim(
    pool: &PgPool,
    kinds: &[Kind],
    worker: &str,
    stale_after: Duration,
) -> Result<Option<Job>, JobError> {
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let row: Option<Row> = sqlx::query_as(&format!(
        "UPDATE jobs SET state = 'running', claimed_by = $2, started_at = coalesce(started_at, now()), \
                heartbeat_at = now() \
         WHERE job_id = (SELECT job_id FROM jobs \
                         WHERE kind = ANY($1) \
                           AND (state = 'queued' OR (state = 'running' AND heartbeat_at < now() - make_interval(secs => $3))) \
                         ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1) \
         RETURNING {COLUMNS}"
    ))
    .bind(&names)
    .bind(worker)
    .bind(stale_after.as_secs_f64())
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(job))
}

/// Records progress (and a heartbeat) of a running job.
pub async fn progress(
    pool: &PgPool,
    id: Uuid,
    progress: serde_json::Value,
) -> Result<(), JobError> {
    sqlx::query("UPDATE jobs SET progress = $2, heartbeat_at = now() WHERE job_id = $1")
        .bind(id)
        .bind(progress)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends a job: `Ok(summary)` done, `Err(reason)` failed.
pub async fn finish(
    pool: &PgPool,
    id: Uuid,
    outcome: Result<String, String>,
) -> Result<(), JobError> {
    let (state, text) = match outcome {
        Ok(summary) => ("done", summary),
        Err(reason) => ("failed", reason),
    };
    sqlx::query(
        "UPDATE jobs SET state = $2, outcome = $3, finished_at = now(), heartbeat_at = now() WHERE job_id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(&text)
    .execute(pool)
    .await?;
    tracing::info!(job_id = %id, state, outcome = %text, "job finished");
    Ok(())
}

/// Waits until a job is finished, calling `on_change` with each new state or progress. `unclaimed` is how
/// long a queued job may wait for a service to take it before this gives up (and says which service).
pub async fn wait(
    pool: &PgPool,
    id: Uuid,
    unclaimed: Duration,
    timeout: Duration,
    mut on_change: impl FnMut(&Job),
) -> Result<Job, JobError> {
    let started = tokio::time::Instant::now();
    let mut last: Option<(State, serde_json::Value)> = None;
    loop {
        let job = get(pool, id).await?.ok_or(JobError::Missing(id))?;
        if last.as_ref() != Some(&(job.state, job.progress.clone())) {
            on_change(&job);
            last = Some((job.state, job.progress.clone()));
        }
        if job.state.is_finished() {
            return Ok(job);
        }
        let waited = started.elapsed();
        let hint = match job.kind {
            Kind::Rescore => " (is a scorer running?)",
            _ => " (is the projector running?)",
        };
        if (job.state == State::Queued && waited > unclaimed) || waited > timeout {
            return Err(JobError::NotFinished {
                id,
                state: job.state,
                waited,
                hint,
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
