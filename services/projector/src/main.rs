//! `projector`: consumes every topic and keeps Postgres (event store, projections, offsets) in step, and
//! carries out the replay jobs operators queue with `shockwave replay`.

use shockwave_kit::{Shutdown, cli, telemetry};
use shockwave_projector::{Config, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: Config = cli::parse();
    telemetry::init("projector", config.log.log_format);
    run(config, Shutdown::on_signals()).await
}
