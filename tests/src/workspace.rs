//! The workspace as `cargo metadata` describes it: its packages, the binaries each builds, where their
//! sources are, and what each links (normal and build dependencies, transitively, features unified).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::OnceLock;

use cargo_metadata::{DependencyKind, Metadata, MetadataCommand, Package, PackageId};

/// The metadata of this workspace, read once per test process.
pub fn metadata() -> &'static Metadata {
    static METADATA: OnceLock<Metadata> = OnceLock::new();
    METADATA.get_or_init(|| {
        MetadataCommand::new()
            .manifest_path(crate::repo_root().join("Cargo.toml"))
            .exec()
            .expect("cargo metadata runs")
    })
}

/// The workspace's own packages.
pub fn members() -> Vec<&'static Package> {
    metadata().workspace_packages()
}

/// Every binary the workspace builds, with the package that builds it.
pub fn binaries() -> Vec<(String, &'static Package)> {
    members()
        .into_iter()
        .flat_map(|p| {
            p.targets
                .iter()
                .filter(|t| t.is_bin())
                .map(move |t| (t.name.clone(), p))
        })
        .collect()
}

/// The package directory (where its `Cargo.toml` is).
pub fn package_dir(package: &Package) -> PathBuf {
    package
        .manifest_path
        .parent()
        .expect("a manifest is in a folder")
        .as_std_path()
        .to_path_buf()
}

/// The package a package name names.
pub fn package(name: &str) -> &'static Package {
    members()
        .into_iter()
        .find(|p| p.name.as_str() == name)
        .unwrap_or_else(|| panic!("no workspace package `{name}`"))
}

/// Ids of every package `root` links: its normal and build dependencies, transitively, itself included.
pub fn linked(root: &Package) -> BTreeSet<&'static PackageId> {
    let resolve = metadata()
        .resolve
        .as_ref()
        .expect("metadata with a resolve graph");
    let nodes: HashMap<&PackageId, _> = resolve.nodes.iter().map(|n| (&n.id, n)).collect();
    let mut seen = BTreeSet::new();
    let mut stack = vec![
        nodes
            .get(&root.id)
            .map(|n| &n.id)
            .expect("the root is resolved"),
    ];
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dep in &nodes[id].deps {
            let linked = dep
                .dep_kinds
                .iter()
                .any(|k| matches!(k.kind, DependencyKind::Normal | DependencyKind::Build));
            if linked {
                stack.push(&dep.pkg);
            }
        }
    }
    seen
}

/// Names of every package `root` links (see [`linked`]).
pub fn linked_names(root: &Package) -> BTreeSet<String> {
    let metadata = metadata();
    linked(root)
        .into_iter()
        .map(|id| metadata[id].name.to_string())
        .collect()
}

/// The source folders of the workspace packages `package` links, itself included.
pub fn source_dirs(package: &Package) -> Vec<PathBuf> {
    let metadata = metadata();
    let workspace: BTreeSet<&PackageId> = metadata.workspace_members.iter().collect();
    linked(package)
        .into_iter()
        .filter(|id| workspace.contains(id))
        .map(|id| package_dir(&metadata[id]))
        .collect()
}
