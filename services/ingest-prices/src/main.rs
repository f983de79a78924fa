//! `ingest-prices`: publishes price bars from CSV files or a polled market-data API.

use shockwave_ingest_prices::{Config, run};
use shockwave_kit::{Shutdown, cli, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: Config = cli::parse();
    cli::exit_on(config.mode());
    telemetry::init("ingest-prices", config.ingest.log.log_format);
    let summary = run(config, Shutdown::on_signals()).await?;
    tracing::info!(?summary, "ingest finished");
    Ok(())
}
