//! Services as child processes running their real binaries, for tests that kill them (SIGKILL), stop them
//! (SIGTERM) or read their admin endpoints; each writes its log to a file the test names on failure.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::webhook_sink::free_addr;

/// The newest modification time of the Rust and SQL sources under `dir` (unit-test modules aside), outside the
/// folders in `skip`.
fn newest_source(dir: &std::path::Path, skip: &[PathBuf]) -> std::time::SystemTime {
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).expect("readable folder") {
        let path = entry.expect("folder entry").path();
        let time = if skip.contains(&path) {
            continue;
        } else if path.is_dir() {
            newest_source(&path, skip)
        } else if path.file_name().is_some_and(|n| n == "tests.rs") {
            // Unit-test modules (`mod tests;`) are not part of the binary.
            continue;
        } else if path.extension().is_some_and(|e| e == "rs" || e == "sql") {
            path.metadata().and_then(|m| m.modified()).expect("mtime")
        } else {
            continue;
        };
        newest = newest.max(time);
    }
    newest
}

/// A service binary of this workspace. `cargo nextest run --workspace` builds it, since every service
/// started this way has integration tests of its own in its package; a binary older than its own sources (a
/// run of one package's tests only) is refused rather than tested.
pub fn binary(name: &str) -> PathBuf {
    let target = crate::harness_env("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("target"));
    let path = target.join("debug").join(name);
    let build = "build it with `cargo build --bins` (`cargo nextest run --workspace` does)";
    let built = path
        .metadata()
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| panic!("{} is missing: {build}", path.display()));
    let (_, package) = crate::workspace::binaries()
        .into_iter()
        .find(|(bin, _)| bin == name)
        .unwrap_or_else(|| panic!("no package builds a binary `{name}`"));
    let mut dirs = crate::workspace::source_dirs(package);
    // Test and bench folders, and the package's other binaries, are not part of this binary.
    let mut skip: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|dir| [dir.join("tests"), dir.join("benches")])
        .collect();
    skip.extend(
        package
            .targets
            .iter()
            .filter(|t| t.is_bin() && t.name != name)
            .map(|t| PathBuf::from(t.src_path.as_std_path())),
    );
    // The migrations are compiled into what links the store crate, and only into that.
    if dirs.iter().any(|d| d.ends_with("crates/store")) {
        dirs.push(crate::repo_root().join("migrations"));
    }
    let sources = dirs
        .iter()
        .map(|dir| newest_source(dir, &skip))
        .max()
        .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
    assert!(
        built >= sources,
        "{} is older than the sources: {build}",
        path.display()
    );
    path
}

/// Sends `signal` (`-TERM`, `-INT`, ...) to `target`: a pid, or `-PGID` for a whole process group.
pub fn signal(signal: &str, target: &str) {
    let sent = Command::new("kill")
        .args([signal, "--", target])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill {signal} {target}");
}

/// Whether process `pid` runs: it exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Waits up to `within` for `child` to exit; `None` if it still runs.
pub fn exit_within(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return Some(status);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub struct ServiceProcess {
    name: String,
    env: Vec<(String, String)>,
    admin: SocketAddr,
    log: PathBuf,
    child: Option<Child>,
    /// How many times it was started, for the log file's name.
    starts: u32,
}

impl ServiceProcess {
    /// Starts binary `name` with `env` (on top of an admin port of its own and `RUST_LOG=info`).
    pub fn start(name: &str, env: &[(&str, String)]) -> ServiceProcess {
        let mut service = ServiceProcess {
            name: name.to_string(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            admin: free_addr(),
            log: PathBuf::new(),
            child: None,
            starts: 0,
        };
        service.restart();
        service
    }

    /// Starts it again (after a kill or a stop), with the same settings and admin port.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "{} is still running", self.name);
        self.starts += 1;
        self.log = std::env::temp_dir().join(format!(
            "{}-{}-{}.log",
            self.name,
            self.admin.port(),
            self.starts
        ));
        let log = std::fs::File::create(&self.log).expect("log file");
        let child = Command::new(binary(&self.name))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("SHOCKWAVE_ADMIN_ADDR", self.admin.to_string())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::from(log.try_clone().expect("log file handle")))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", self.name));
        self.child = Some(child);
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL: no drain, no flush, no goodbye.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
        }
    }

    /// SIGTERM, then waits for a clean exit (status 0) for up to `within`.
    pub fn terminate(&mut self, within: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        signal("-TERM", &child.id().to_string());
        match exit_within(&mut child, within) {
            Some(status) => assert!(
                status.success(),
                "{} exited with {status}; {}",
                self.name,
                self.tail()
            ),
            None => {
                let _ = child.kill();
                panic!(
                    "{} did not stop within {within:?}; {}",
                    self.name,
                    self.tail()
                );
            }
        }
    }

    /// Waits up to `within` for the process to end on its own (a one-shot run); panics with the log's tail if
    /// it does not, and returns its exit status.
    pub fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        exit_within(&mut child, within).unwrap_or_else(|| {
            let _ = child.kill();
            panic!("{} still runs after {within:?}; {}", self.name, self.tail())
        })
    }

    /// The whole current log.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Panics (with the log's tail) if the process has exited on its own.
    pub fn assert_alive(&mut self) {
        if let Some(child) = self.child.as_mut()
            && let Some(status) = child.try_wait().expect("wait")
        {
            panic!("{} exited with {status}; {}", self.name, self.tail());
        }
    }

    /// The last lines of the current log, to explain a failure.
    pub fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(30);
        format!(
            "last lines of {}:\n{}",
            self.log.display(),
            lines[from..].join("\n")
        )
    }

    /// What a stuck run needs to be explained: readiness, the consumer gauges and counters from `/metrics`, the
    /// group's assignments and every warning or error logged, then the log's tail.
    pub async fn diagnosis(&self) -> String {
        let readiness = self.readiness().await;
        let metrics = self.metrics().await;
        let consumer_lines: Vec<&str> = metrics
            .lines()
            .filter(|line| {
                [
                    "shockwave_consumer_",
                    "shockwave_events_",
                    "shockwave_handler_",
                ]
                .iter()
                .any(|prefix| line.starts_with(prefix))
            })
            .collect();
        let log = self.log_text();
        let notable: Vec<&str> = log
            .lines()
            .filter(|line| {
                line.contains("WARN") || line.contains("ERROR") || line.contains("partitions")
            })
            .collect();
        let from = notable.len().saturating_sub(60);
        format!(
            "== {} (pid {:?}): readiness {readiness:?}\n{}\nwarnings, errors and assignments:\n{}\n{}\n",
            self.name,
            self.child.as_ref().map(Child::id),
            consumer_lines.join("\n"),
            notable[from..].join("\n"),
            self.tail()
        )
    }

    /// `/readyz`: `Some(true)` on 200, `Some(false)` on 503 (a dependency down), `None` when not answering.
    pub async fn ready(&self) -> Option<bool> {
        self.readiness().await.map(|(ready, _)| ready)
    }

    /// `/readyz` with its body, which says per dependency `ok` or what is wrong.
    pub async fn readiness(&self) -> Option<(bool, serde_json::Value)> {
        let response = reqwest::Client::new()
            .get(format!("http://{}/readyz", self.admin))
            .timeout(Duration::from_secs(8))
            .send()
            .await
            .ok()?;
        let ready = match response.status().as_u16() {
            200 => true,
            503 => false,
            other => panic!("{} /readyz answered {other}", self.name),
        };
        let body = response.bytes().await.ok()?;
        Some((ready, serde_json::from_slice(&body).ok()?))
    }

    /// `/metrics` as text (empty when not answering).
    pub async fn metrics(&self) -> String {
        let response = reqwest::Client::new()
            .get(format!("http://{}/metrics", self.admin))
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        match response {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The sum of a metric's samples whose labels contain every `label="value"` in `labels`.
    pub async fn metric_sum(&self, name: &str, labels: &[&str]) -> f64 {
        metric_sum(&self.metrics().await, name, labels)
    }
}

/// The sum of the samples of `name` in Prometheus text whose labels contain every `labels` entry.
pub fn metric_sum(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            if metric != name || !labels.iter().all(|l| rest.contains(l)) {
                return None;
            }
            value.parse::<f64>().ok()
        })
        .sum()
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_summed_over_the_matching_labels() {
        let text = "# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"1\",b=\"p\"} 2\n\
                    x_total{a=\"1\",b=\"q\"} 3\nx_total{a=\"2\",b=\"p\"} 5\nx_total_other 7\n";
        assert_eq!(metric_sum(text, "x_total", &["a=\"1\""]), 5.0);
        assert_eq!(metric_sum(text, "x_total", &[]), 10.0);
        assert_eq!(metric_sum(text, "y_total", &[]), 0.0);
    }
}
