//! `shockwave`: the operator's command line (see the library for what each subcommand does).

use shockwave_kit::cli;

#[tokio::main]
async fn main() {
    let args: shockwave_cli::Cli = cli::parse();
    shockwave_kit::telemetry::init_tool("shockwave", args.log.log_format);
    if let Err(error) = shockwave_cli::run(args).await {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}
