//! `ingest-appranks`: publishes app-store chart positions from CSV histories, saved feeds or polled charts.

use shockwave_ingest::check;
use shockwave_ingest_appranks::{Config, check_sources, run};
use shockwave_kit::{Shutdown, cli, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: Config = cli::parse();
    cli::exit_on(config.mode());
    if config.ingest.check_sources {
        telemetry::init_tool("ingest-appranks", config.ingest.log.log_format);
        check::print_and_exit(&check_sources(&config).await?);
    }
    telemetry::init("ingest-appranks", config.ingest.log.log_format);
    let summary = run(config, Shutdown::on_signals()).await?;
    tracing::info!(?summary, "ingest finished");
    Ok(())
}
