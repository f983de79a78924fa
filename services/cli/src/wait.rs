//! Following a job until it finishes, one line per change of state or progress; and following a replay from
//! Kafka until the projector has read every topic to its current end.

use std::time::Duration;

use shockwave_ops::jobs::{self, Job, State};
use shockwave_schemas::Topic;
use sqlx::PgPool;

use crate::commands::Follow;

/// One line about a job.
pub(crate) fn describe(job: &Job) -> String {
    let progress = match (job.progress.get("done"), job.progress.get("total")) {
        (Some(done), Some(total)) => format!(" {done}/{total}"),
        _ => String::new(),
    };
    format!(
        "job {} {:?} {:?}{progress}{}",
        job.job_id,
        job.kind,
        job.state,
        job.outcome
            .as_deref()
            .map(|o| format!(": {o}"))
            .unwrap_or_default()
    )
}

/// Follows `job` unless told not to; an error when it failed or was not taken up. `Some` when it finished.
pub(crate) async fn job(pool: &PgPool, job: Job, follow: &Follow) -> anyhow::Result<Option<Job>> {
    println!("{}", describe(&job));
    if follow.no_wait {
        return Ok(None);
    }
    let done = jobs::wait(
        pool,
        job.job_id,
        Duration::from_secs(60),
        Duration::from_secs(follow.timeout_secs),
        |job| println!("{}", describe(job)),
    )
    .await?;
    anyhow::ensure!(
        done.state == State::Done,
        "the job failed: {}",
        done.outcome.unwrap_or_default()
    );
    Ok(Some(done))
}

/// Waits until `group` has stored offsets at every topic's current end, printing the events stored.
pub(crate) async fn caught_up(
    pool: &PgPool,
    brokers: &str,
    group: &str,
    follow: &Follow,
) -> anyhow::Result<()> {
    let mut ends = Vec::new();
    for topic in Topic::ALL {
        for (partition, end) in
            shockwave_kafka::admin::high_watermarks(brokers.to_string(), topic).await?
        {
            ends.push((topic.name().to_string(), partition, end));
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(follow.timeout_secs);
    loop {
        let stored: Vec<(String, i32, i64)> = sqlx::query_as(
            "SELECT topic, kafka_partition, next_offset FROM consumer_offsets WHERE consumer = $1",
        )
        .bind(group)
        .fetch_all(pool)
        .await?;
        let behind = ends
            .iter()
            .filter(|(t, p, end)| {
                *end > 0
                    && !stored
                        .iter()
                        .any(|(st, sp, o)| st == t && sp == p && o >= end)
            })
            .count();
        let events: i64 = sqlx::query_scalar("SELECT count(*) FROM event_store")
            .fetch_one(pool)
            .await?;
        if behind == 0 {
            println!(
                "rebuilt from Kafka: {events} events in the store, every topic read to its end"
            );
            return Ok(());
        }
        println!("{events} events stored so far; {behind} partitions still being read");
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "gave up following after {} s; the projector goes on",
            follow.timeout_secs
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
