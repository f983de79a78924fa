//! `ingest-prices`: publishes the bars of CSV files as `PriceBarClosed` events, then exits.

use shockwave_common::{Shutdown, config::Settings, telemetry};
use shockwave_ingest_prices::{Config, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("ingest-prices");
    let config = Config::load(&Settings::from_env(), std::env::args().skip(1).collect())?;
    let summary = run(config, Shutdown::on_signals()).await?;
    tracing::info!(?summary, "ingest finished");
    Ok(())
}
