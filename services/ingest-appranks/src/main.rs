//! `ingest-appranks`: publishes app-store chart positions from CSV histories, saved feeds or polled charts.

use shockwave_common::{Shutdown, config::Settings, telemetry};
use shockwave_ingest_appranks::{Config, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("ingest-appranks");
    let config = Config::load(&Settings::from_env(), std::env::args().skip(1).collect())?;
    let summary = run(config, Shutdown::on_signals()).await?;
    tracing::info!(?summary, "ingest finished");
    Ok(())
}
