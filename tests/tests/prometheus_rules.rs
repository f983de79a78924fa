//! The Prometheus side of alerting: `deploy/prometheus/` passes `promtool check config`, `promtool check
//! rules` and the rules' unit tests (`promtool test rules`), and every `shockwave_*` metric the rules use is
//! one a service registers.

use std::path::Path;
use std::process::Command;

use shockwave_tests::repo_root;

fn promtool(dir: &Path, args: &[&str]) {
    let output = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool is installed (deploy/local/install-prometheus.sh)");
    assert!(
        output.status.success(),
        "promtool {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_rules_check_and_pass_their_unit_tests() {
    let dir = repo_root().join("deploy/prometheus");
    promtool(&dir, &["check", "config", "prometheus.yml"]);
    promtool(&dir.join("rules"), &["check", "rules", "shockwave.yml"]);
    promtool(&dir.join("rules"), &["test", "rules", "shockwave.test.yml"]);
}

#[test]
fn every_metric_the_rules_use_is_registered_by_a_service() {
    let rules =
        std::fs::read_to_string(repo_root().join("deploy/prometheus/rules/shockwave.yml")).unwrap();
    let code = shockwave_tests::service_sources();
    let mut used: Vec<&str> = rules
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter_map(|word| word.strip_prefix("shockwave_"))
        .collect();
    used.sort();
    used.dedup();
    assert!(used.len() >= 5, "{used:?}");
    for metric in used {
        assert!(
            code.contains(&format!("\"{metric}\"")),
            "the rules use shockwave_{metric}, which no service registers"
        );
    }
}
