//! The deployment files agree with the code: every `SHOCKWAVE_*` variable that `deploy/compose.yaml` and the
//! Kubernetes manifests set is one a service reads, and every service binary they run exists; the
//! kustomization creates the namespace first, lists every manifest and never applies an example secret.

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
        if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "example")
        {
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
        "shockwave",
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

#[test]
fn the_kustomization_creates_the_namespace_first_and_applies_no_example_secret() {
    let dir = repo_root().join("deploy/k8s");
    let text = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    let resources: Vec<&str> = text
        .split("resources:")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .map_while(|l| l.trim().strip_prefix("- "))
        .collect();
    assert_eq!(resources.first(), Some(&"namespace.yaml"), "{resources:?}");
    let namespace = std::fs::read_to_string(dir.join("namespace.yaml")).unwrap();
    assert!(namespace.contains("kind: Namespace"));
    let mut manifests: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
        .collect();
    manifests.sort();
    let mut listed: Vec<String> = resources.iter().map(|r| r.to_string()).collect();
    listed.sort();
    assert_eq!(
        listed, manifests,
        "every manifest is in the kustomization, and only those"
    );
    for manifest in &manifests {
        let body = std::fs::read_to_string(dir.join(manifest)).unwrap();
        assert!(!body.contains("kind: Secret"), "{manifest} holds a Secret");
        if manifest != "namespace.yaml" {
            assert!(
                !body.contains("kind: Namespace"),
                "{manifest} creates the namespace"
            );
        }
    }
    assert!(
        text.contains("envs: [secrets.env]"),
        "the Secret comes from secrets.env"
    );
    let ignored = std::fs::read_to_string(repo_root().join(".gitignore")).unwrap();
    assert!(ignored.lines().any(|l| l == "/deploy/k8s/secrets.env"));
}
