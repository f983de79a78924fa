//! `scorer`: scores articles with the sentiment model and publishes the scores; `scorer score` scores texts
//! from standard input and prints one JSON line each.

use shockwave_kit::{Shutdown, cli, telemetry};
use shockwave_scorer::{Command, Config, adhoc, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: Config = cli::parse();
    cli::exit_on(config.model.check());
    match config.command {
        None => {
            telemetry::init("scorer", config.log.log_format);
            run(config, Shutdown::on_signals()).await
        }
        Some(Command::Score { ndjson }) => {
            let mut scorer = config.model.scorer()?;
            let stdin = std::io::stdin().lock();
            let stdout = std::io::stdout().lock();
            tokio::task::block_in_place(|| adhoc::score_lines(&mut scorer, stdin, stdout, ndjson))?;
            Ok(())
        }
    }
}
