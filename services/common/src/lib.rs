//! Plumbing every shockwave service shares: typed config from the environment, tracing and Prometheus
//! metrics, the admin HTTP server, Kafka producer/consumer/topic admin, the Postgres pool and graceful shutdown.

pub mod admin;
pub mod config;
pub mod db;
pub mod ingest;
pub mod kafka;
pub mod metrics;
pub mod service;
pub mod shutdown;
pub mod telemetry;

pub use config::{CommonConfig, ConfigError};
pub use shutdown::Shutdown;
