//! `api`: serves the REST API and the admin endpoints on one port.

use shockwave_api::{Config, run};
use shockwave_common::{Shutdown, config::Settings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("api");
    let config = Config::load(&Settings::from_env())?;
    run(config, Shutdown::on_signals()).await
}
