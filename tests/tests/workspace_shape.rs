//! The workspace keeps its promises to operators and to itself: every binary explains itself (`--help`,
//! `--version`) and refuses what it does not understand (exit 2); no service crate depends on another; the
//! API and the report link no Kafka client and the ingestors no Postgres driver.

use std::process::Command;

use shockwave_tests::service_process::binary;
use shockwave_tests::workspace;

fn run(bin: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(binary(bin))
        .args(args)
        .env_clear()
        .env(
            "PATH",
            shockwave_tests::harness_env("PATH").unwrap_or_default(),
        )
        .output()
        .unwrap_or_else(|e| panic!("{bin} runs: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The subcommands a help text lists under `Commands:` (without clap's own `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.split("Commands:")
        .nth(1)
        .map(|rest| {
            rest.lines()
                .skip(1)
                .take_while(|l| l.starts_with("  "))
                .filter(|l| !l[2..].starts_with(' '))
                .filter_map(|l| l.split_whitespace().next())
                .filter(|name| *name != "help")
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_binary_has_help_and_version_and_refuses_unknown_arguments() {
    let binaries = workspace::binaries();
    assert!(binaries.len() >= 12, "{binaries:?}");
    for (bin, _) in &binaries {
        let (code, help, err) = run(bin, &["--help"]);
        assert_eq!(code, 0, "{bin} --help: {err}");
        assert!(help.contains("Usage:"), "{bin} --help:\n{help}");
        assert!(
            help.contains("[env:") || !subcommands(&help).is_empty(),
            "{bin} --help names no environment variable and no subcommand:\n{help}"
        );
        for sub in subcommands(&help) {
            let (code, sub_help, err) = run(bin, &[&sub, "--help"]);
            assert_eq!(code, 0, "{bin} {sub} --help: {err}");
            assert!(
                sub_help.contains("Usage:"),
                "{bin} {sub} --help:\n{sub_help}"
            );
        }

        let (code, version, err) = run(bin, &["--version"]);
        assert_eq!(code, 0, "{bin} --version: {err}");
        assert!(
            version.starts_with(&format!("{bin} {}", env!("CARGO_PKG_VERSION")))
                && version.contains('('),
            "{bin} --version: {version}"
        );

        let (code, out, err) = run(bin, &["--no-such-option"]);
        assert_eq!(code, 2, "{bin} --no-such-option: {out}{err}");
        assert!(err.contains("--no-such-option"), "{bin}: {err}");
        assert!(out.is_empty(), "{bin} did work on a usage error: {out}");
    }
}

#[test]
fn service_crates_are_independent_and_link_only_the_drivers_they_use() {
    let services = shockwave_tests::repo_root().join("services");
    let service_packages: Vec<_> = workspace::members()
        .into_iter()
        .filter(|p| workspace::package_dir(p).starts_with(&services))
        .collect();
    let names: Vec<&str> = service_packages.iter().map(|p| p.name.as_str()).collect();
    assert!(names.len() >= 8, "{names:?}");
    for package in &service_packages {
        for dep in &package.dependencies {
            let on_service = dep
                .path
                .as_ref()
                .is_some_and(|path| path.as_std_path().starts_with(&services));
            assert!(
                !on_service,
                "{} depends on the service crate {}",
                package.name, dep.name
            );
        }
    }

    for name in ["shockwave-api", "shockwave-report"] {
        let linked = workspace::linked_names(workspace::package(name));
        assert!(
            !linked.iter().any(|n| n.starts_with("rdkafka")),
            "{name} links a Kafka client"
        );
        assert!(linked.contains("sqlx"), "{name} reads Postgres: {linked:?}");
    }
    for name in [
        "shockwave-ingest-news",
        "shockwave-ingest-prices",
        "shockwave-ingest-appranks",
    ] {
        let linked = workspace::linked_names(workspace::package(name));
        assert!(
            !linked.iter().any(|n| n.starts_with("sqlx")),
            "{name} links a Postgres driver"
        );
        assert!(linked.contains("rdkafka"), "{name} publishes to Kafka");
    }
}
