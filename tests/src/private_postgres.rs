//! A Postgres cluster of a test's own (initdb in a temporary folder, its own port), for tests that stop and
//! start the database under running services without disturbing the shared one; removed when dropped.

use std::path::PathBuf;
use std::process::{Command, Stdio};

pub struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PrivatePostgres {
    /// Runs a server tool, as the `postgres` user when the tests run as root (Postgres refuses root).
    fn tool(&self, name: &str, args: &[&str]) -> std::process::ExitStatus {
        let program = self.bin.join(name);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("{name} runs: {e}"))
    }

    /// A new cluster on `port`, started, with an empty database `shockwave`.
    pub async fn start(port: u16) -> PrivatePostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("Postgres server binaries under /usr/lib/postgresql")
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .filter(|p| p.join("initdb").is_file())
            .max()
            .expect("a Postgres version with initdb");
        let data = std::env::temp_dir().join(format!("shockwave-pg-{port}"));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).expect("data folder");
        if is_root() {
            let owned = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&data)
                .status()
                .expect("chown runs");
            assert!(owned.success(), "data folder handed to postgres");
        }
        let cluster = PrivatePostgres { bin, data, port };
        let data_arg = cluster.data.display().to_string();
        assert!(
            cluster
                .tool(
                    "initdb",
                    &[
                        "-D",
                        &data_arg,
                        "-U",
                        "postgres",
                        "--auth=trust",
                        "--no-sync"
                    ]
                )
                .success(),
            "initdb"
        );
        cluster.start_again();
        let admin = sqlx::PgPool::connect(&cluster.url("postgres"))
            .await
            .expect("private Postgres answers");
        sqlx::query("CREATE DATABASE shockwave")
            .execute(&admin)
            .await
            .expect("create database");
        admin.close().await;
        cluster
    }

    /// `postgres://` URL of one of its databases.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Starts the server (again) on the same data, waiting until it accepts connections.
    pub fn start_again(&self) {
        let data = self.data.display().to_string();
        let options = format!("-p {} -k /tmp -c listen_addresses=127.0.0.1", self.port);
        let log = self.data.join("server.log").display().to_string();
        assert!(
            self.tool(
                "pg_ctl",
                &["-D", &data, "-o", &options, "-l", &log, "-w", "start"]
            )
            .success(),
            "private Postgres starts"
        );
    }

    /// Stops the server abruptly (`immediate`: no checkpoint, recovery from WAL on the next start), as a
    /// crash or a lost host would.
    pub fn crash(&self) {
        let data = self.data.display().to_string();
        assert!(
            self.tool("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"])
                .success(),
            "private Postgres stops"
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        self.tool("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
