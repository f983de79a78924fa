//! `ingest-news`: publishes articles from feed files, NDJSON archives or polled feeds.

use shockwave_common::{Shutdown, config::Settings, telemetry};
use shockwave_ingest_news::{Config, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("ingest-news");
    let config = Config::load(&Settings::from_env(), std::env::args().skip(1).collect())?;
    let summary = run(config, Shutdown::on_signals()).await?;
    tracing::info!(?summary, "ingest finished");
    Ok(())
}
