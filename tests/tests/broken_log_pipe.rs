//! A service whose log reader went away (stdout and stderr a closed pipe: the terminal closed, the log shipper
//! died, a `| sed` killed by Ctrl-C) keeps working and still stops cleanly on SIGTERM. Before the fix, every log
//! line panicked the task that wrote it (the subscriber reported the failed write with `eprintln!` on the same
//! closed pipe): a panic in the main task crashed the ingestor, one in the signal handler left it unstoppable.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use shockwave_tests::private_broker::PrivateBroker;
use shockwave_tests::repo_root;
use shockwave_tests::service_process::{binary, exit_within, signal};

#[test]
fn an_ingestor_whose_log_pipe_closed_still_stops_on_sigterm() {
    let broker = PrivateBroker::start(19105);
    // `exec ... 2>&1`: stderr is the same pipe as stdout, and the child's pid is the ingestor's.
    let mut child = Command::new("bash")
        .args(["-c", "exec \"$0\" \"$@\" 2>&1"])
        .arg(binary("ingest-news"))
        .args(["--replay-speed", "1d/s", "data/deepseek-week/news"])
        .current_dir(repo_root())
        .env("SHOCKWAVE_KAFKA_BROKERS", broker.brokers())
        .env("SHOCKWAVE_ADMIN_ADDR", "127.0.0.1:0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("ingest-news starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout piped")).lines();
    let mut seen = Vec::new();
    while !seen
        .last()
        .is_some_and(|l: &String| l.contains("file read"))
    {
        match lines.next() {
            Some(line) => seen.push(line.expect("log line")),
            None => panic!("the ingestor ended before reading its files: {seen:#?}"),
        }
    }
    drop(lines);
    // The replay of four weeks at one day per second goes on without a reader of its log.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the ingestor stopped when its log reader went away"
    );
    signal("-TERM", &child.id().to_string());
    let Some(status) = exit_within(&mut child, Duration::from_secs(10)) else {
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        panic!("the ingestor did not stop within 10 s of SIGTERM with its log pipe closed");
    };
    assert!(status.success(), "a clean stop, not {status}");
}
