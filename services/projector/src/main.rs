//! `projector`: consumes every topic and keeps Postgres (event store, projections, offsets) in step.

use shockwave_common::{Shutdown, config::Settings, telemetry};
use shockwave_projector::{Config, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("projector");
    let config = Config::load(&Settings::from_env())?;
    run(config, Shutdown::on_signals()).await
}
