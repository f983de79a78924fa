//! What the three ingestors share: their common settings, files or polling, a polite HTTP fetcher, an
//! accelerated replay clock and the sink that publishes events and dead-letters rejects while counting both.

pub mod backfill;
pub mod check;
pub mod fetch;
pub mod files;
pub mod mode;
pub mod poll;
pub mod replay;
pub mod sink;
