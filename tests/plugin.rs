//! Packaging tests: the Helm plugin manifest installs into the real Helm 3 and Helm 4, and
//! kubectl finds the binary as a kubectl plugin.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn built_binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("kubectl-opm")
}

fn run(cmd: &mut Command) -> Output {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        output.status.success(),
        "{cmd:?} failed ({})\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Copies what a plugin install needs (manifest and hook script) into `dir`. Helm installs a
/// local directory as a symlink and the hook writes `bin/` into it, so installing the
/// working tree itself would write into the repository.
fn plugin_source(dir: &Path) {
    let root = support::repo_root();
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    std::fs::copy(root.join("plugin.yaml"), dir.join("plugin.yaml")).unwrap();
    std::fs::copy(
        root.join("scripts/helm-plugin-install.sh"),
        dir.join("scripts/helm-plugin-install.sh"),
    )
    .unwrap();
}

/// A helm command isolated from the user's Helm setup.
fn helm(helm: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(helm);
    cmd.env("HELM_DATA_HOME", home.join("data"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env_remove("HELM_PLUGINS")
        .env_remove("HELM_DEBUG");
    cmd
}

fn install_and_run(tool: &str) {
    let Some(helm_bin) = support::require_tool(tool) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("opm-plugin");
    plugin_source(&src);
    let home = tmp.path().join("home");

    let install = run(helm(&helm_bin, &home)
        .args(["plugin", "install"])
        .arg(&src)
        .env("OPM_PLUGIN_BINARY", built_binary()));
    let text = String::from_utf8_lossy(&install.stdout);
    assert!(
        text.contains("Installed plugin: opm"),
        "unexpected install output: {text}"
    );
    assert!(
        src.join("bin/kubectl-opm").exists(),
        "install hook did not create bin/kubectl-opm"
    );

    let list = run(helm(&helm_bin, &home).args(["plugin", "list"]));
    let list = String::from_utf8_lossy(&list.stdout);
    let row = list
        .lines()
        .find(|l| l.split_whitespace().next() == Some("opm"))
        .unwrap_or_else(|| panic!("`{tool} plugin list` does not show opm:\n{list}"));
    assert!(
        row.split_whitespace()
            .any(|w| w == env!("CARGO_PKG_VERSION")),
        "plugin version differs from the crate version: {row}"
    );

    let version = run(helm(&helm_bin, &home).args(["opm", "version"]));
    let stdout = String::from_utf8_lossy(&version.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with("kubectl-opm ")),
        "`{tool} opm version` printed: {stdout:?}"
    );
}

#[test]
fn plugin_manifest_version_matches_crate() {
    let manifest = std::fs::read_to_string(support::repo_root().join("plugin.yaml")).unwrap();
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("version:"))
        .map(str::trim)
        .unwrap_or_default();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert!(
        !manifest.lines().any(|l| l.starts_with("apiVersion:")),
        "an apiVersion line switches Helm 4 to the plugin format Helm 3 rejects"
    );
}

#[test]
fn helm3_installs_plugin() {
    install_and_run("helm3");
}

#[test]
fn helm4_installs_plugin() {
    install_and_run("helm4");
}

#[test]
fn kubectl_runs_plugin_from_path() {
    let Some(kubectl) = support::require_tool("kubectl") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("kubectl-opm");
    std::fs::copy(built_binary(), &plugin).unwrap();
    let path = std::env::join_paths(std::iter::once(dir.path().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();

    let out = run(Command::new(&kubectl)
        .args(["opm", "version"])
        .env("PATH", &path)
        .env("KUBECONFIG", dir.path().join("no-kubeconfig")));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with("kubectl-opm ")),
        "`kubectl opm version` printed: {stdout:?}"
    );

    let list = run(Command::new(&kubectl)
        .args(["plugin", "list", "--name-only"])
        .env("PATH", &path));
    let stdout = String::from_utf8_lossy(&list.stdout);
    assert!(
        stdout.lines().any(|l| l.trim() == "kubectl-opm"),
        "`kubectl plugin list` does not show kubectl-opm: {stdout}"
    );
}
