//! A Tansu broker of a test's own on another port (fresh data), for tests whose services must see only
//! their own events on the topics; stopped when dropped, panics included.

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
        let _ = std::fs::remove_dir_all(crate::repo_root().join(format!(".stack/tansu-{port}")));
        assert!(Self::stack(port, "up").success(), "private broker starts");
        PrivateBroker { port }
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
