//! Operator actions, written once for the `shockwave` CLI and the admin API: jobs (a replay, a re-score) that
//! the service owning the data carries out, the switch of the model version the views use, and the dead
//! letters (listing them, marking the ones sent back). Postgres only, through `sqlx`; no broker.

pub mod dead_letters;
pub mod jobs;
pub mod models;
