//! The README's main command as a user runs it: `deploy/local/demo.sh`, on a broker (port 19104) and a
//! database of its own, with every service as its own process. Instead of the script's release build it is
//! given the debug binaries this test run built (`SHOCKWAVE_DEMO_BIN_DIR`); everything else is the script's own
//! path: stack, start-up, paced replay with its progress display, NVDA from the API, the report and the chart.
//! A second run over the same broker and database gives the same report and chart and doubles nothing, and a run
//! interrupted the way Ctrl-C interrupts it (SIGINT to its process group) stops every process it started.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use shockwave_tests::private_broker::PrivateBroker;
use shockwave_tests::service_process::{alive, binary, exit_within, signal};
use shockwave_tests::webhook_sink::free_addr;
use shockwave_tests::{repo_root, server_url, unique};

const SERVICES: [&str; 4] = ["projector", "scorer", "alerter", "api"];
const INGESTORS: [&str; 3] = ["ingest-news", "ingest-appranks", "ingest-prices"];
/// Four days of history per second: the seven weeks of the dataset (from 20 December) replay in about 12 s.
const FAST_REPLAY: &str = "345600";

struct Demo {
    env: Vec<(&'static str, String)>,
    state: PathBuf,
    api: String,
    database_url: String,
    runs: u32,
    _broker: PrivateBroker,
}

impl Demo {
    fn new() -> Demo {
        let broker = PrivateBroker::start(19104);
        let mut bin_dir = None;
        for name in SERVICES.iter().chain(&INGESTORS).chain(&["shockwave"]) {
            let path = binary(name);
            bin_dir = path.parent().map(Path::to_path_buf);
        }
        let state = std::env::temp_dir().join(unique("demo-script"));
        let api = free_addr().to_string();
        let database = unique("sw_test_demo");
        let database_url = format!("{}/{database}", server_url());
        let env = vec![
            ("DATABASE_URL", format!("{}/postgres", server_url())),
            ("SHOCKWAVE_DB_NAME", database),
            ("KAFKA_BROKERS", broker.brokers()),
            ("SHOCKWAVE_BROKER_PORT", "19104".to_string()),
            ("SHOCKWAVE_API_ADDR", api.clone()),
            ("SHOCKWAVE_ADMIN_ADDR", "127.0.0.1:0".to_string()),
            ("SHOCKWAVE_DEMO_STATE", state.display().to_string()),
            (
                "SHOCKWAVE_DEMO_BIN_DIR",
                bin_dir.expect("a binary folder").display().to_string(),
            ),
        ];
        Demo {
            env,
            state,
            api,
            database_url,
            runs: 0,
            _broker: broker,
        }
    }

    /// `demo.sh args` in a process group of its own (as a shell runs a foreground job), its output in a file.
    fn spawn(&mut self, args: &[&str], speed: &str) -> (Child, PathBuf) {
        use std::os::unix::process::CommandExt;
        self.runs += 1;
        let log = self.state.with_extension(format!("run{}.log", self.runs));
        let out = File::create(&log).expect("demo log");
        let child = Command::new("bash")
            .arg("deploy/local/demo.sh")
            .args(args)
            .current_dir(repo_root())
            .env_remove("SHOCKWAVE_KAFKA_BROKERS")
            .env_remove("SHOCKWAVE_DATABASE_URL")
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("SHOCKWAVE_REPLAY_SPEED", speed)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log handle"))
            .stderr(out)
            .process_group(0)
            .spawn()
            .expect("bash runs demo.sh");
        (child, log)
    }

    /// Runs `demo.sh args` to its end (at most `within`); returns its exit status and output.
    fn run(&mut self, args: &[&str], within: Duration) -> (ExitStatus, String) {
        let (mut child, log) = self.spawn(args, FAST_REPLAY);
        let status = wait_for_exit(&mut child, within, &log);
        (status, std::fs::read_to_string(&log).expect("demo output"))
    }

    /// The processes the demo recorded as running, by name.
    fn recorded_pids(&self) -> BTreeMap<String, u32> {
        SERVICES
            .iter()
            .chain(&INGESTORS)
            .filter_map(|name| {
                let text = std::fs::read_to_string(self.state.join(format!("{name}.pid"))).ok()?;
                Some((name.to_string(), text.trim().parse().ok()?))
            })
            .collect()
    }

    fn report(&self) -> (String, Vec<u8>) {
        let out = self.state.join("demo");
        (
            std::fs::read_to_string(out.join("report.txt")).expect("report.txt written"),
            std::fs::read(out.join("chart.svg")).expect("chart.svg written"),
        )
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        // Whatever a failed assertion left running.
        let _ = self.run(&["stop"], Duration::from_secs(60));
    }
}

fn wait_for_exit(child: &mut Child, within: Duration, log: &Path) -> ExitStatus {
    exit_within(child, within).unwrap_or_else(|| {
        signal("-KILL", &format!("-{}", child.id()));
        let _ = child.wait();
        panic!(
            "demo.sh ran past {within:?}; its output:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        )
    })
}

fn assert_all_gone(pids: &BTreeMap<String, u32>, output: &str) {
    for (name, pid) in pids {
        assert!(
            !alive(*pid),
            "{name} (pid {pid}) still runs; output:\n{output}"
        );
    }
}

/// The three ingestors ran on one clock: Monday's NVDA bar reached Postgres no earlier than the news of the
/// weekend before it (on separate clocks, the prices, whose file starts three weeks later than the news and
/// ranks, ran about 20 days of history ahead).
fn assert_history_order(database_url: &str) {
    let (bar, news): (f64, f64) = block_on(async {
        let pool = sqlx::PgPool::connect(database_url)
            .await
            .expect("demo database");
        sqlx::query_as(
            "SELECT \
                   (SELECT extract(epoch FROM e.received_at)::float8 FROM price_bars b \
                      JOIN event_store e ON e.event_id = b.event_id \
                     WHERE b.ticker = 'NVDA' AND b.period_start::date = '2025-01-27'), \
                   (SELECT extract(epoch FROM max(e.received_at))::float8 FROM articles a \
                      JOIN event_store e ON e.event_id = a.article_id \
                     WHERE a.published_at < '2025-01-26T00:00:00Z')",
        )
        .fetch_one(&pool)
        .await
        .expect("arrival times")
    });
    assert!(
        bar >= news,
        "NVDA's 2025-01-27 bar arrived {:.1} s before the news of 2025-01-25",
        news - bar
    );
}

fn progress_lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|line| line.starts_with("[demo] history at "))
        .collect()
}

/// Runs one async step of this synchronous test.
fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

fn get(url: &str) -> (u16, String) {
    block_on(async {
        let response = reqwest::get(url).await.expect("API answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    })
}

#[test]
fn the_demo_script_replays_the_week_reports_the_shock_and_stops_cleanly() {
    let mut demo = Demo::new();

    // First run: a fresh database and broker.
    let (status, output) = demo.run(&[], Duration::from_secs(300));
    println!("{output}");
    assert!(status.success(), "demo.sh failed: {status}");
    let progress = progress_lines(&output);
    assert!(
        progress.len() >= 3,
        "a progress line each second while the replay runs: {progress:?}"
    );
    let last = progress.last().expect("a progress line");
    for figure in [
        "articles 129 (scored 129)",
        "price bars 285",
        "app ranks 595",
    ] {
        assert!(last.contains(figure), "{last} lacks {figure}");
    }
    assert!(
        output.contains("2025-01-27  close   118.42  -16.97 %"),
        "NVDA's Monday from the API"
    );
    let (report, chart) = demo.report();
    assert!(output.contains(&report), "the report is printed as written");
    shockwave_tests::demo_week::assert_alert_before_the_open(&report);
    for line in ["NVDA                   -16.97 %", "2025-01-26  No. 1"] {
        assert!(report.contains(line), "the report lacks {line:?}");
    }
    assert_history_order(&demo.database_url);
    let svg = String::from_utf8(chart.clone()).expect("the chart is text");
    assert!(
        svg.starts_with("<svg") && svg.len() > 10_000 && svg.contains("shock alert"),
        "chart of {} bytes",
        svg.len()
    );

    // The services keep running after the report, and the URL the report gives answers.
    let running = demo.recorded_pids();
    assert_eq!(
        running.keys().cloned().collect::<Vec<_>>(),
        ["alerter", "api", "projector", "scorer"],
        "the services stay up; the ingestors are done"
    );
    let prefix = format!("curl 'http://{}/v1/shocks/", demo.api);
    let shock_url = report
        .lines()
        .find_map(|line| line.split_once(&prefix))
        .and_then(|(_, id)| id.split('\'').next())
        .map(|id| format!("http://{}/v1/shocks/{id}", demo.api))
        .unwrap_or_else(|| panic!("the report gives {prefix}...: {report}"));
    let (code, body) = get(&shock_url);
    assert_eq!(code, 200, "{shock_url}: {body}");
    assert!(body.contains("ai_efficiency"), "{body}");

    // `demo.sh stop`: every service finishes its shutdown within the script's grace period.
    let (status, stopped) = demo.run(&["stop"], Duration::from_secs(120));
    assert!(status.success(), "{stopped}");
    for name in SERVICES {
        assert!(
            stopped.contains(&format!("[demo] stopped {name}")),
            "{stopped}"
        );
    }
    assert_all_gone(&running, &stopped);

    // Second run on the same broker and database: the same report and chart, nothing doubled.
    let (status, again) = demo.run(&[], Duration::from_secs(300));
    assert!(status.success(), "second run failed: {status}\n{again}");
    let last_again = *progress_lines(&again).last().expect("progress");
    assert_eq!(
        last_again.split(" | ").skip(1).collect::<Vec<_>>(),
        last.split(" | ").skip(1).collect::<Vec<_>>(),
        "the same counts after a second replay"
    );
    let (report_again, chart_again) = demo.report();
    assert_eq!(report_again, report, "the same report");
    assert!(chart_again == chart, "the same chart");
    let (status, stopped) = demo.run(&["stop"], Duration::from_secs(120));
    assert!(status.success(), "{stopped}");

    // Third run, interrupted mid-replay (at one day per second) by SIGINT to its process group.
    let (mut child, log) = demo.spawn(&[], "1d/s");
    let deadline = Instant::now() + Duration::from_secs(120);
    let started = loop {
        let pids = demo.recorded_pids();
        if pids.len() == SERVICES.len() + INGESTORS.len() {
            break pids;
        }
        assert!(
            Instant::now() < deadline && child.try_wait().expect("wait").is_none(),
            "the replay never started:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_secs(2));
    signal("-INT", &format!("-{}", child.id()));
    let status = wait_for_exit(&mut child, Duration::from_secs(60), &log);
    let interrupted = std::fs::read_to_string(&log).expect("output");
    println!("{interrupted}");
    assert_eq!(status.code(), Some(130), "{interrupted}");
    assert!(interrupted.contains("[demo] interrupted"), "{interrupted}");
    assert!(
        !interrupted.contains("did not stop within"),
        "{interrupted}"
    );
    assert_all_gone(&started, &interrupted);
    assert!(
        demo.recorded_pids().is_empty(),
        "no pid file outlives the run"
    );
}
