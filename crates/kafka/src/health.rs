//! Whether a consumer is making progress: it records when it started the batch in hand, and readiness fails
//! once one batch has taken longer than the allowed time (a dependency down for long, a handler waiting on
//! something that never comes), so an orchestrator or an operator sees a stuck consumer.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use shockwave_kit::admin::Check;

#[derive(Debug, Default)]
struct State {
    batch_started: Option<Instant>,
    failures: u32,
    last_error: Option<&'static str>,
}

/// Shared between a consumer (which reports) and the readiness check (which reads).
#[derive(Debug, Clone)]
pub struct ConsumerHealth {
    name: String,
    stuck_after: Duration,
    state: Arc<Mutex<State>>,
}

impl ConsumerHealth {
    pub fn new(name: impl Into<String>, stuck_after: Duration) -> Self {
        ConsumerHealth {
            name: name.into(),
            stuck_after,
            state: Arc::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A batch arrived and is being handled.
    pub fn started(&self) {
        let mut state = self.state();
        state.batch_started = Some(Instant::now());
        state.failures = 0;
        state.last_error = None;
    }

    /// The batch in hand failed and will be retried; `class` is a short, fixed description.
    pub fn failed(&self, class: &'static str) {
        let mut state = self.state();
        state.failures += 1;
        state.last_error = Some(class);
    }

    /// The batch in hand is done (committed).
    pub fn finished(&self) {
        *self.state() = State::default();
    }

    /// `Err` with a short reason when the batch in hand has taken longer than allowed.
    pub fn check(&self) -> Result<(), String> {
        let state = self.state();
        match state.batch_started {
            Some(started) if started.elapsed() > self.stuck_after => Err(format!(
                "stuck: one batch for {}s ({} failed attempts{})",
                started.elapsed().as_secs(),
                state.failures,
                state
                    .last_error
                    .map(|e| format!(", last: {e}"))
                    .unwrap_or_default()
            )),
            _ => Ok(()),
        }
    }

    /// This consumer's readiness check.
    pub fn readiness(&self) -> Check {
        let health = self.clone();
        Arc::new(move || {
            let outcome = health.check();
            Box::pin(async move { outcome })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_held_longer_than_allowed_makes_the_consumer_unready_until_it_is_done() {
        let health = ConsumerHealth::new("projector", Duration::from_millis(20));
        assert!(health.check().is_ok());
        health.started();
        health.failed("transient");
        assert!(health.check().is_ok());
        std::thread::sleep(Duration::from_millis(30));
        let reason = health.check().unwrap_err();
        assert!(
            reason.starts_with("stuck: one batch") && reason.contains("1 failed attempts"),
            "{reason}"
        );
        health.finished();
        assert!(health.check().is_ok());
    }
}
