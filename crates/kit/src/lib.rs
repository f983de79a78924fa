//! What every shockwave binary shares: settings from flags and the environment (clap), `--version` with the git
//! revision, telemetry, Prometheus metrics, the admin HTTP server (`/healthz`, `/readyz`, `/metrics`), graceful
//! shutdown, and the failure classes consumers act on. No data-store driver: the Kafka and Postgres layers are
//! crates of their own, so a binary links only what it uses.

pub mod admin;
pub mod cli;
pub mod config;
pub mod failure;
pub mod metrics;
pub mod shutdown;
pub mod telemetry;

pub use config::ConfigError;
pub use shutdown::Shutdown;
