//! `scorer`: scores articles with the sentiment model and publishes the scores.
//! `scorer rescore --model VERSION [--model-dir DIR]`: scores every stored article with that model and exits.

use shockwave_common::{Shutdown, config::Settings, telemetry};
use shockwave_scorer::{Config, rescore, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("scorer");
    let mut config = Config::load(&Settings::from_env())?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => run(config, Shutdown::on_signals()).await,
        Some("rescore") => {
            let mut rest = args[1..].iter();
            while let Some(flag) = rest.next() {
                let value = rest
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
                match flag.as_str() {
                    "--model" => config.model_version = value.clone(),
                    "--model-dir" => config.model_dir = value.into(),
                    other => anyhow::bail!(
                        "unknown option {other}; usage: scorer rescore --model VERSION [--model-dir DIR]"
                    ),
                }
            }
            let scored = rescore::rescore(config, Shutdown::on_signals()).await?;
            tracing::info!(scored, "history re-scored");
            Ok(())
        }
        Some(other) => anyhow::bail!(
            "unknown command `{other}`; usage: scorer [rescore --model VERSION [--model-dir DIR]]"
        ),
    }
}
