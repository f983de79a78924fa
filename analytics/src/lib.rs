//! Analytics over the projected views: pure statistics (`stats`), the lead-lag table between topic
//! sentiment and returns (`lead_lag`), and event studies of cumulative abnormal returns (`event_study`).
//! The formulas are written down in `migrations/ANALYTICS.md`.

pub mod event_study;
pub mod lead_lag;
pub mod pooled;
pub mod series;
pub mod stats;
