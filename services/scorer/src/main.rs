//! `scorer`: scores articles with the sentiment model and publishes the scores.

use shockwave_common::{Shutdown, config::Settings, telemetry};
use shockwave_scorer::{Config, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("scorer");
    let config = Config::load(&Settings::from_env())?;
    run(config, Shutdown::on_signals()).await
}
