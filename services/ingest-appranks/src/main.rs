//! `ingest-appranks`: publishes app-store chart positions from CSV histories, saved feeds or polled charts.

use shockwave_ingest_appranks::{Config, run};
use shockwave_kit::{Shutdown, cli, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: Config = cli::parse();
    cli::exit_on(config.mode());
    telemetry::init("ingest-appranks", config.ingest.log.log_format);
    let summary = run(config, Shutdown::on_signals()).await?;
    tracing::info!(?summary, "ingest finished");
    Ok(())
}
