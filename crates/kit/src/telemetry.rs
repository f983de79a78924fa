//! Tracing set-up: human-readable logs by default (coloured on a terminal only), JSON lines with
//! `SHOCKWAVE_LOG_FORMAT=json` (each line carries the spans it was logged in: request id, consumer and
//! offsets, polled source).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event, with its spans.
    #[default]
    Text,
    /// One JSON object per event, with its spans.
    Json,
}

/// The logging settings every binary has.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct LogArgs {
    /// Log format (the level comes from `RUST_LOG`, default `info`).
    #[arg(long, env = "SHOCKWAVE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Installs the global subscriber once for a service: logs on stdout; later calls (tests) are no-ops. Filter
/// from `RUST_LOG`, default `info`. A log line that cannot be written (its reader gone: a closed pipe) is
/// dropped quietly. By default the subscriber would report that with `eprintln!`, which panics when stderr is
/// the same closed pipe: every task that logs would die, the main one or the signal handler among them, and the
/// service would crash or no longer stop on SIGTERM.
pub fn init(service: &str, format: LogFormat) {
    install(
        service,
        format,
        "info",
        std::io::stdout().is_terminal(),
        std::io::stdout,
    );
}

/// As [`init`], for a command-line tool whose stdout is its answer: logs go to stderr, warnings and errors
/// only unless `RUST_LOG` says otherwise.
pub fn init_tool(service: &str, format: LogFormat) {
    install(
        service,
        format,
        "warn",
        std::io::stderr().is_terminal(),
        std::io::stderr,
    );
}

fn install<W>(service: &str, format: LogFormat, level: &str, ansi: bool, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},sqlx=warn,rdkafka=warn")));
    let result = if format == LogFormat::Json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(writer)
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .log_internal_errors(false)
            .try_init()
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(writer)
            .with_target(false)
            .with_ansi(ansi)
            .log_internal_errors(false)
            .try_init()
    };
    if result.is_ok() {
        tracing::info!(service, version = crate::cli::VERSION, "telemetry started");
    }
}
