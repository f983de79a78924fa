//! `ingest-news`: publishes articles from feed files, NDJSON archives or polled feeds.

use shockwave_ingest::check;
use shockwave_ingest_news::{Config, check_sources, run};
use shockwave_kit::{Shutdown, cli, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: Config = cli::parse();
    if config.backfill.backfill_from.is_none() {
        cli::exit_on(config.mode());
    }
    if config.ingest.check_sources {
        telemetry::init_tool("ingest-news", config.ingest.log.log_format);
        check::print_and_exit(&check_sources(&config).await?);
    }
    telemetry::init("ingest-news", config.ingest.log.log_format);
    let summary = run(config, Shutdown::on_signals()).await?;
    tracing::info!(?summary, "ingest finished");
    Ok(())
}
