//! The subcommands and what each does.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use shockwave_kafka::KafkaArgs;
use shockwave_kit::cli::VERSION;
use shockwave_kit::telemetry::LogArgs;
use shockwave_ops::jobs::{self, Kind};
use shockwave_store::DbArgs;
use sqlx::PgPool;

use crate::{dead_letters, wait};

/// `shockwave`: operate a shockwave deployment.
#[derive(Debug, clap::Parser)]
#[command(name = "shockwave", version = VERSION, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Applies the database migrations (run it as the owner role before starting the services).
    Migrate,
    /// Rebuilds every projection (a job the projector carries out), and follows it.
    Replay {
        /// Empty the event store and read every topic again from offset 0 (only as complete as the topics'
        /// retention), instead of rebuilding from the event store.
        #[arg(long)]
        from_kafka: bool,
        #[command(flatten)]
        follow: Follow,
        /// With `--from-kafka`: the projector's consumer group, whose progress is followed until it has read
        /// every topic to the end.
        #[arg(
            long,
            env = "SHOCKWAVE_PROJECTOR_GROUP",
            default_value = "shockwave-projector"
        )]
        projector_group: String,
        #[command(flatten)]
        kafka: KafkaArgs,
    },
    /// Re-scores every stored article with a model version (a job a scorer carries out), and follows it.
    Rescore {
        /// The version label recorded on the new scores, e.g. `2`.
        #[arg(long)]
        model_version: String,
        /// The model folder on the scorers' disk; default the one they serve.
        #[arg(long)]
        model_dir: Option<String>,
        #[command(flatten)]
        follow: Follow,
    },
    /// Makes the views use a model version that has scores.
    ActivateModel {
        /// The version, e.g. `2`.
        version: String,
    },
    /// Writes the demo report (`report.txt`, printed too) and chart (`chart.svg`) from the views.
    Report {
        /// Folder the report and chart are written to.
        #[arg(default_value = "target/demo")]
        out_dir: PathBuf,
        /// The API's address, for the URLs the report gives.
        #[arg(long, env = "SHOCKWAVE_API_ADDR", default_value = "127.0.0.1:8080")]
        api_addr: SocketAddr,
    },
    /// Lists dead letters, or sends their originals back to their topics after a fix.
    #[command(subcommand)]
    DeadLetters(dead_letters::Action),
    /// Lists the latest jobs, or shows one.
    Jobs {
        /// A job's id: show that one.
        id: Option<uuid::Uuid>,
        /// How many to list.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

/// Whether and how long to follow a job.
#[derive(Debug, Clone, clap::Args)]
pub struct Follow {
    /// Queue the job and return at once.
    #[arg(long)]
    pub no_wait: bool,
    /// Give up following after this many seconds (the job goes on).
    #[arg(long, default_value_t = 3600)]
    pub timeout_secs: u64,
}

async fn pool(db: &DbArgs) -> anyhow::Result<PgPool> {
    shockwave_store::connect(&db.url(), 2, Duration::from_secs(30), None)
        .await
        .context("connecting to Postgres")
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Migrate => {
            let pool = pool(&cli.db).await?;
            shockwave_store::MIGRATOR
                .run(&pool)
                .await
                .context("migrating")?;
            let applied: i64 =
                sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
                    .fetch_one(&pool)
                    .await?;
            println!("schema up to date: {applied} migrations applied");
        }
        Command::Replay {
            from_kafka,
            follow,
            projector_group,
            kafka,
        } => {
            let pool = pool(&cli.db).await?;
            let kind = if from_kafka {
                Kind::ReplayFromKafka
            } else {
                Kind::Replay
            };
            let job = jobs::submit(&pool, kind, serde_json::json!({}), "cli").await?;
            let job = wait::job(&pool, job, &follow).await?;
            if from_kafka && job.is_some() && !follow.no_wait {
                wait::caught_up(&pool, &kafka.brokers(), &projector_group, &follow).await?;
            }
        }
        Command::Rescore {
            model_version,
            model_dir,
            follow,
        } => {
            let pool = pool(&cli.db).await?;
            let mut params = serde_json::json!({ "model_version": model_version });
            if let Some(dir) = model_dir {
                params["model_dir"] = dir.into();
            }
            let job = jobs::submit(&pool, Kind::Rescore, params, "cli").await?;
            wait::job(&pool, job, &follow).await?;
        }
        Command::ActivateModel { version } => {
            let pool = pool(&cli.db).await?;
            shockwave_ops::models::activate(&pool, &version).await?;
            println!("the views now use model version {version}");
        }
        Command::Report { out_dir, api_addr } => {
            let pool = pool(&cli.db).await?;
            let report =
                shockwave_report::write(&pool, &out_dir, &format!("http://{api_addr}")).await?;
            print!("{}", report.text);
        }
        Command::DeadLetters(action) => {
            let pool = pool(&cli.db).await?;
            dead_letters::run(&pool, action).await?;
        }
        Command::Jobs { id, limit } => {
            let pool = pool(&cli.db).await?;
            let list = match id {
                Some(id) => vec![
                    jobs::get(&pool, id)
                        .await?
                        .with_context(|| format!("no job {id}"))?,
                ],
                None => jobs::list(&pool, limit).await?,
            };
            for job in list {
                println!("{}", wait::describe(&job));
            }
        }
    }
    Ok(())
}
