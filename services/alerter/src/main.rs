//! `alerter`: detects sentiment shocks on the scored articles and delivers them as alerts.

use shockwave_alerter::{Config, run};
use shockwave_common::{Shutdown, config::Settings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("alerter");
    let config = Config::load(&Settings::from_env())?;
    run(config, Shutdown::on_signals()).await
}
