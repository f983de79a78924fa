//! The alerter's detection core: per subject (topic or ticker) and resolution, a rolling window of scored
//! articles is compared with a trailing baseline; a break in both volume and sentiment opens a shock, which
//! is updated while it lasts and resolved when the window returns to its baseline. Pure logic: the same
//! history always gives the same shocks with the same ids. (The Kafka service and delivery come next.)

pub mod detector;
