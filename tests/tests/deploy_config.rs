//! The deployment files agree with the code: every `SHOCKWAVE_*` variable that `deploy/compose.yaml` and the
//! Kubernetes manifests set is one a service reads, and every service binary they run exists.

use shockwave_tests::repo_root;

fn variables(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        .filter(|w| w.starts_with("SHOCKWAVE_") && w.len() > "SHOCKWAVE_".len())
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

fn deploy_files() -> Vec<(String, String)> {
    let root = repo_root();
    let mut files = vec![root.join("deploy/compose.yaml")];
    for entry in std::fs::read_dir(root.join("deploy/k8s")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        }
    }
    files
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_variable_the_deployments_set_is_read_by_a_service() {
    let code = shockwave_tests::service_sources();
    let mut checked = 0;
    for (file, text) in deploy_files() {
        for name in variables(&text) {
            assert!(
                code.contains(&format!("\"{name}\"")),
                "{file} sets {name}, which no service reads"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} variables found");
}

#[test]
fn every_command_the_deployments_run_is_a_service_binary() {
    let root = repo_root();
    let binaries = [
        "projector",
        "scorer",
        "alerter",
        "api",
        "ingest-news",
        "ingest-appranks",
        "ingest-prices",
    ];
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    for binary in binaries {
        assert!(
            dockerfile.contains(&format!("target/release/{binary} ")),
            "the image lacks {binary}"
        );
    }
    for (file, text) in deploy_files() {
        for line in text.lines().map(str::trim) {
            let run = line
                .strip_prefix("command: [\"")
                .or_else(|| line.strip_prefix("args: [\""));
            if let Some(rest) = run {
                let command = rest.split('"').next().unwrap();
                // Third-party images (Prometheus, Alertmanager) are given flags, not commands.
                assert!(
                    command == "true" || command.starts_with('-') || binaries.contains(&command),
                    "{file} runs `{command}`, which the image does not have"
                );
            }
        }
    }
}
