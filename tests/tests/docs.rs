//! The documentation is accurate to the code: the settings reference in `docs/configuration.md` is what the
//! binaries' command definitions say (regenerate with `SHOCKWAVE_BLESS=1`); every `SHOCKWAVE_*` setting the
//! README and `docs/` name is read by a binary or a script; every setting a binary reads is documented.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use shockwave_tests::service_process::binary;
use shockwave_tests::{repo_root, settings_reference, workspace};

const BEGIN: &str = "<!-- settings reference: generated from the binaries' definitions, see tests/tests/docs.rs -->";
const END: &str = "<!-- end of the settings reference -->";

/// `SHOCKWAVE_*` names in `text`.
fn setting_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("SHOCKWAVE_") {
        let start = i + at;
        let mut end = start + "SHOCKWAVE_".len();
        while end < bytes.len()
            && (bytes[end].is_ascii_uppercase()
                || bytes[end].is_ascii_digit()
                || bytes[end] == b'_')
        {
            end += 1;
        }
        let name = text[start..end].trim_end_matches('_');
        if name.len() > "SHOCKWAVE".len() {
            names.insert(name.to_string());
        }
        i = end;
    }
    names
}

fn files_under(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, extensions, out);
        } else if path
            .extension()
            .is_some_and(|e| extensions.iter().any(|x| e == *x))
        {
            out.push(path);
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The environment variables every workspace binary reads, from its `--help` (subcommands included).
fn read_by_binaries() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (bin, _) in workspace::binaries() {
        let mut helps = vec![vec!["--help".to_string()]];
        while let Some(args) = helps.pop() {
            let out = Command::new(binary(&bin))
                .args(&args)
                .env_clear()
                .output()
                .unwrap();
            let help = String::from_utf8_lossy(&out.stdout).into_owned();
            for (i, _) in help.match_indices("[env: ") {
                let rest = &help[i + 6..];
                let end = rest.find(['=', ']']).unwrap_or(rest.len());
                names.insert(rest[..end].trim().to_string());
            }
            if args.len() == 1 {
                for sub in help
                    .split("Commands:")
                    .nth(1)
                    .unwrap_or_default()
                    .lines()
                    .skip(1)
                {
                    if !sub.starts_with("  ") || sub[2..].starts_with(' ') {
                        break;
                    }
                    let name = sub.split_whitespace().next().unwrap_or_default();
                    if name != "help" {
                        helps.push(vec![name.to_string(), "--help".to_string()]);
                    }
                }
            }
        }
    }
    names
}

/// Settings the project's scripts and tests read (`deploy/local`, `bench/`, `.ci/`, `tests/`, `schemas/`).
fn read_by_scripts() -> BTreeSet<String> {
    let root = repo_root();
    let mut files = Vec::new();
    for dir in ["deploy/local", "bench", ".ci"] {
        files_under(&root.join(dir), &["sh", ""], &mut files);
    }
    for dir in ["tests", "schemas"] {
        files_under(&root.join(dir), &["rs"], &mut files);
    }
    files.push(root.join(".ci/run"));
    let mut names = BTreeSet::new();
    for file in files {
        // Only names a script reads: `${NAME`, `$NAME` or `env::var("NAME` / `env_or("NAME` forms.
        let text = read(&file);
        for name in setting_names(&text) {
            let read = [
                format!("${{{name}"),
                format!("${name}"),
                format!("\"{name}\""),
            ]
            .iter()
            .any(|form| text.contains(form.as_str()));
            if read {
                names.insert(name);
            }
        }
    }
    names
}

fn documents() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = vec![root.join("README.md")];
    files_under(&root.join("docs"), &["md"], &mut files);
    files
}

#[test]
fn the_settings_reference_is_generated_from_the_binaries() {
    let path = repo_root().join("docs/configuration.md");
    let text = read(&path);
    let (head, rest) = text
        .split_once(BEGIN)
        .expect("the reference's opening marker");
    let (_, tail) = rest
        .split_once(END)
        .expect("the reference's closing marker");
    let fresh = format!(
        "{head}{BEGIN}\n{}\n{END}{tail}",
        settings_reference::render()
    );
    if shockwave_tests::bless() {
        std::fs::write(&path, &fresh).unwrap();
    }
    assert!(
        text == fresh,
        "docs/configuration.md differs from the binaries' settings; regenerate it with SHOCKWAVE_BLESS=1"
    );
}

#[test]
fn every_documented_setting_is_read_and_every_setting_read_is_documented() {
    let by_binaries = read_by_binaries();
    let by_scripts = read_by_scripts();
    assert!(by_binaries.len() > 40, "{by_binaries:?}");
    let mut named = BTreeSet::new();
    for doc in documents() {
        for name in setting_names(&read(&doc)) {
            assert!(
                by_binaries.contains(&name) || by_scripts.contains(&name),
                "{} names {name}, which nothing reads",
                doc.display()
            );
            named.insert(name);
        }
    }
    let configuration = read(&repo_root().join("docs/configuration.md"));
    for name in by_binaries.iter().filter(|n| n.starts_with("SHOCKWAVE_")) {
        assert!(
            configuration.contains(&format!("`{name}`")),
            "{name} is read by a binary but docs/configuration.md does not document it"
        );
    }
    let compared: BTreeSet<String> = settings_reference::commands()
        .iter()
        .flat_map(settings_reference::env_names)
        .collect();
    assert!(
        compared.is_subset(&by_binaries),
        "the reference covers settings no binary lists in --help: {:?}",
        compared.difference(&by_binaries).collect::<Vec<_>>()
    );
}

#[test]
fn every_relative_link_in_the_docs_leads_to_a_file() {
    for doc in documents() {
        let text = read(&doc);
        let dir = doc.parent().unwrap();
        for (i, _) in text.match_indices("](") {
            let target = &text[i + 2..];
            let target = &target[..target.find(')').unwrap_or(target.len())];
            let path = target.split('#').next().unwrap_or_default();
            if path.is_empty() || path.contains("://") || path.starts_with("mailto:") {
                continue;
            }
            assert!(
                dir.join(path).exists(),
                "{} links to {target}, which does not exist",
                doc.display()
            );
        }
    }
}
