//! `api`: serves the REST API, its documentation and the admin endpoints on one port.

use shockwave_api::{Config, run};
use shockwave_kit::{Shutdown, cli, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: Config = cli::parse();
    telemetry::init("api", config.log.log_format);
    run(config, Shutdown::on_signals()).await
}
