//! Tracing set-up: human-readable logs by default (coloured on a terminal only), JSON lines with
//! `SHOCKWAVE_LOG_FORMAT=json`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls (tests) are no-ops. Filter from `RUST_LOG`, default `info`.
/// A log line that cannot be written (its reader gone: a closed pipe) is dropped quietly. By default the
/// subscriber would report that with `eprintln!`, which panics when stderr is the same closed pipe: every task
/// that logs would die, the main one or the signal handler among them, and the service would crash or no longer stop on SIGTERM.
pub fn init(service: &str) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,rdkafka=warn"));
    let json = std::env::var("SHOCKWAVE_LOG_FORMAT")
        .map(|v| v == "json")
        .unwrap_or(false);
    let result = if json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .json()
            .with_current_span(true)
            .log_internal_errors(false)
            .try_init()
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .with_ansi(std::io::stdout().is_terminal())
            .log_internal_errors(false)
            .try_init()
    };
    if result.is_ok() {
        tracing::info!(
            service,
            version = env!("CARGO_PKG_VERSION"),
            "telemetry started"
        );
    }
}
