//! `alerter`: detects sentiment shocks on the scored articles and delivers them as alerts.

use shockwave_alerter::{Config, run};
use shockwave_kit::{Shutdown, cli, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: Config = cli::parse();
    cli::exit_on(config.resolve());
    telemetry::init("alerter", config.log.log_format);
    run(config, Shutdown::on_signals()).await
}
