//! A Tansu broker of a test's own on another port (fresh data), for tests whose services must see only
//! their own events on the topics, or that stop and restart it; stopped when dropped, panics included.

use std::process::{Command, Stdio};

pub struct PrivateBroker {
    port: u16,
}

impl PrivateBroker {
    fn stack(port: u16, command: &str) -> std::process::ExitStatus {
        Command::new("bash")
            .arg("deploy/local/stack.sh")
            .arg(command)
            .current_dir(crate::repo_root())
            .env("SHOCKWAVE_BROKER_PORT", port.to_string())
            .env_remove("KAFKA_BROKERS")
            .env_remove("SHOCKWAVE_KAFKA_BROKERS")
            .stdout(Stdio::null())
            .status()
            .expect("stack.sh runs")
    }

    pub fn start(port: u16) -> PrivateBroker {
        // A broker an interrupted run left on the port would otherwise be taken for this one.
        Self::stack(port, "down");
        let _ = std::fs::remove_dir_all(crate::repo_root().join(format!(".stack/tansu-{port}")));
        assert!(Self::stack(port, "up").success(), "private broker starts");
        PrivateBroker { port }
    }

    /// Stops the broker (SIGTERM, then SIGKILL after 10 s); its data stays.
    pub fn stop(&self) {
        assert!(
            Self::stack(self.port, "down").success(),
            "private broker stops"
        );
    }

    /// Starts the broker again on the data it had.
    pub fn start_again(&self) {
        assert!(
            Self::stack(self.port, "up").success(),
            "private broker restarts"
        );
    }

    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        Self::stack(self.port, "down");
    }
}
