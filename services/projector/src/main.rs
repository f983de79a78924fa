//! `projector`: consumes every topic and keeps Postgres (event store, projections, offsets) in step.
//! `projector replay` rebuilds every projection from the event store and exits (`replay --from-kafka` empties
//! the store and projects every topic again from offset 0, then keeps running); `projector activate-model V`
//! switches the model version the views use.

use std::time::Duration;

use shockwave_common::{Shutdown, config::Settings, db, telemetry};
use shockwave_projector::{Config, active_model, replay, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("projector");
    let config = Config::load(&Settings::from_env())?;
    match std::env::args().nth(1).as_deref() {
        None => run(config, Shutdown::on_signals()).await,
        Some("replay") => {
            let pool =
                db::connect_and_migrate(&config.common.database_url, 2, Duration::from_secs(60))
                    .await?;
            let summary = replay::replay(&pool).await?;
            tracing::info!(
                events = summary.events,
                "projections rebuilt from the event store"
            );
            Ok(())
        }
        Some("activate-model") => {
            let version = std::env::args()
                .nth(2)
                .ok_or_else(|| anyhow::anyhow!("usage: projector activate-model VERSION"))?;
            let pool =
                db::connect_and_migrate(&config.common.database_url, 2, Duration::from_secs(60))
                    .await?;
            active_model::activate(&pool, &version).await?;
            tracing::info!(%version, "the views now use this model version");
            Ok(())
        }
        Some(other) => anyhow::bail!(
            "unknown command `{other}`; usage: projector [replay [--from-kafka] | activate-model VERSION]"
        ),
    }
}
