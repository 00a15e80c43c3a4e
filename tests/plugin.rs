//! Packaging tests: the Helm plugin manifest installs into the real Helm 3 and Helm 4 (from
//! a directory, from a git repository with `helm plugin update`, from a verified release
//! archive), kubectl finds the binary as a kubectl plugin, and both complete `opm <TAB>`
//! through the binary's `__complete` protocol.

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

/// The files of the repository a plugin install needs (manifest, completion hook, install
/// hook and the release naming library it sources).
const PLUGIN_FILES: &[&str] = &[
    "plugin.yaml",
    "plugin.complete",
    "scripts/helm-plugin-install.sh",
    "scripts/release-lib.sh",
];

/// Copies what a plugin install needs into `dir`. Helm installs a local directory as a
/// symlink and the hook writes `bin/` into it, so installing the working tree itself would
/// write into the repository.
fn plugin_source(dir: &Path) {
    let root = support::repo_root();
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    for file in PLUGIN_FILES {
        std::fs::copy(root.join(file), dir.join(file)).unwrap();
    }
}

/// Runs a command and returns its output whatever the exit status.
fn run_any(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn git(dir: &Path, args: &[&str]) {
    run(Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "user.name=test",
        ])
        .args(args));
}

/// A stand-in for a release build: a script that prints a recognisable version line, so
/// the test can tell which archive the hook installed (and stays small).
fn fake_binary(dir: &Path, version: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("kubectl-opm");
    std::fs::write(
        &path,
        format!("#!/bin/sh\necho \"kubectl-opm {version} (release archive)\"\n"),
    )
    .unwrap();
    make_executable(&path);
    path
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) {}

/// This machine's release os/arch (as the install hook names them).
fn host_platform() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    (os, arch)
}

/// Builds `<releases>/v<version>/` with this machine's archive (holding a fake binary) and
/// its checksums.txt, with the project's own packaging script.
fn fake_release(releases: &Path, version: &str) {
    let (os, arch) = host_platform();
    let binary = fake_binary(&releases.join(format!("build-{version}")), version);
    let dir = releases.join(format!("v{version}"));
    let script = support::repo_root().join("scripts/release-package.sh");
    run(Command::new("bash")
        .arg(&script)
        .args(["archive", version, os, arch])
        .arg(&binary)
        .arg(&dir));
    run(Command::new("bash").arg(&script).arg("checksums").arg(&dir));
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn version_line(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
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
    // Helm 4 installs a local directory without signature checks ("development mode").
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

/// The install hook's download path: the release archive for this OS/arch, verified
/// against checksums.txt, from `OPM_RELEASE_BASE_URL` (here a `file://` directory).
fn install_from_release(tool: &str) {
    let Some(helm_bin) = support::require_tool(tool) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let releases = tmp.path().join("releases");
    fake_release(&releases, version);
    let src = tmp.path().join("opm");
    plugin_source(&src);
    let home = tmp.path().join("home");

    let install = run(helm(&helm_bin, &home)
        .args(["plugin", "install"])
        .arg(&src)
        .env_remove("OPM_PLUGIN_BINARY")
        .env("OPM_RELEASE_BASE_URL", file_url(&releases)));
    let stderr = String::from_utf8_lossy(&install.stderr);
    assert!(stderr.contains("sha256 verified"), "{stderr}");
    let out = run(helm(&helm_bin, &home).args(["opm", "version"]));
    assert_eq!(
        version_line(&out),
        format!("kubectl-opm {version} (release archive)")
    );
}

#[test]
fn helm3_installs_plugin_from_release_archive() {
    install_from_release("helm3");
}

#[test]
fn helm4_installs_plugin_from_release_archive() {
    install_from_release("helm4");
}

/// A release whose checksums.txt does not match the archive is refused: the hook fails, so
/// does `helm plugin install`, and no binary is installed.
fn refuse_checksum_mismatch(tool: &str) {
    let Some(helm_bin) = support::require_tool(tool) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let releases = tmp.path().join("releases");
    fake_release(&releases, version);
    let sums = releases.join(format!("v{version}/checksums.txt"));
    let text = std::fs::read_to_string(&sums).unwrap();
    let tampered: String = text
        .lines()
        .map(|l| match l.split_once("  ") {
            Some((_, name)) => format!("{}  {name}\n", "0".repeat(64)),
            None => format!("{l}\n"),
        })
        .collect();
    std::fs::write(&sums, tampered).unwrap();
    let src = tmp.path().join("opm");
    plugin_source(&src);
    let home = tmp.path().join("home");

    let out = run_any(
        helm(&helm_bin, &home)
            .args(["plugin", "install"])
            .arg(&src)
            .env_remove("OPM_PLUGIN_BINARY")
            .env("OPM_RELEASE_BASE_URL", file_url(&releases)),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "install succeeded: {stderr}");
    assert!(
        stderr.contains("checksum mismatch for kubectl-opm_")
            && stderr.contains("refusing to install it"),
        "{stderr}"
    );
    assert!(!src.join("bin/kubectl-opm").exists());
}

#[test]
fn helm3_refuses_release_with_bad_checksum() {
    refuse_checksum_mismatch("helm3");
}

#[test]
fn helm4_refuses_release_with_bad_checksum() {
    refuse_checksum_mismatch("helm4");
}

/// `helm plugin update` needs a VCS source: install from a git repository of the plugin
/// files, commit a new version, update, and the hook installs the new release's binary.
/// Helm 4 verifies plugin signatures by default and git sources cannot be signed, so it
/// needs `--verify=false`; Helm 3 has no such flag.
fn update_from_git(tool: &str) {
    let Some(helm_bin) = support::require_tool(tool) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let releases = tmp.path().join("releases");
    fake_release(&releases, "0.1.0");
    fake_release(&releases, "0.2.0");
    let repo = tmp.path().join("kubectl-opm");
    plugin_source(&repo);
    let manifest = repo.join("plugin.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let at = |v: &str| {
        text.lines()
            .map(|l| {
                if l.starts_with("version:") {
                    format!("version: {v}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect::<String>()
    };
    std::fs::write(&manifest, at("0.1.0")).unwrap();
    git(&repo, &["init", "--quiet"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "--quiet", "-m", "v0.1.0"]);
    let home = tmp.path().join("home");
    let helm_env = |cmd: &mut Command| {
        cmd.env_remove("OPM_PLUGIN_BINARY")
            .env("OPM_RELEASE_BASE_URL", file_url(&releases));
    };

    let mut install = helm(&helm_bin, &home);
    install.args(["plugin", "install"]);
    if tool == "helm4" {
        // Without it: "plugin source does not support verification".
        install.arg("--verify=false");
    }
    install.arg(file_url(&repo));
    helm_env(&mut install);
    run(&mut install);
    let out = run(helm(&helm_bin, &home).args(["opm", "version"]));
    assert_eq!(version_line(&out), "kubectl-opm 0.1.0 (release archive)");

    std::fs::write(&manifest, at("0.2.0")).unwrap();
    git(&repo, &["commit", "--quiet", "-am", "v0.2.0"]);
    let mut update = helm(&helm_bin, &home);
    update.args(["plugin", "update", "opm"]);
    helm_env(&mut update);
    let updated = run(&mut update);
    assert!(
        String::from_utf8_lossy(&updated.stdout).contains("Updated plugin: opm"),
        "{updated:?}"
    );
    let out = run(helm(&helm_bin, &home).args(["opm", "version"]));
    assert_eq!(version_line(&out), "kubectl-opm 0.2.0 (release archive)");
    let list = run(helm(&helm_bin, &home).args(["plugin", "list"]));
    assert!(
        String::from_utf8_lossy(&list.stdout)
            .lines()
            .any(|l| l.split_whitespace().take(2).eq(["opm", "0.2.0"])),
        "{list:?}"
    );
}

#[test]
fn helm3_updates_plugin_from_git() {
    update_from_git("helm3");
}

#[test]
fn helm4_updates_plugin_from_git() {
    update_from_git("helm4");
}

/// `helm opm <TAB>`: Helm runs the plugin's `plugin.complete` with the words after `opm`.
fn helm_completes(tool: &str) {
    let Some(helm_bin) = support::require_tool(tool) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("opm");
    plugin_source(&src);
    let home = tmp.path().join("home");
    run(helm(&helm_bin, &home)
        .args(["plugin", "install"])
        .arg(&src)
        .env("OPM_PLUGIN_BINARY", built_binary()));
    let out = run(helm(&helm_bin, &home).args(["__complete", "opm", "lint", "--fail-on", "w"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "warning\n:4\n");
    let out = run(helm(&helm_bin, &home).args(["__complete", "opm", "crd", ""]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "diff\tCompare two versions of CRDs and classify every change as breaking or safe\n\
         help\tPrint this message or the help of the given subcommand(s)\n:4\n"
    );
}

#[test]
fn helm3_completes_plugin_commands() {
    helm_completes("helm3");
}

#[test]
fn helm4_completes_plugin_commands() {
    helm_completes("helm4");
}

/// `kubectl opm <TAB>` (kubectl 1.26+): kubectl runs `kubectl_complete-opm` from PATH, the
/// script `kubectl-opm completion kubectl` prints.
#[cfg(unix)]
#[test]
fn kubectl_completes_plugin_commands() {
    let Some(kubectl) = support::require_tool("kubectl") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(built_binary(), dir.path().join("kubectl-opm")).unwrap();
    let script = run(Command::new(built_binary()).args(["completion", "kubectl"]));
    let complete = dir.path().join("kubectl_complete-opm");
    std::fs::write(&complete, &script.stdout).unwrap();
    make_executable(&complete);
    let path = std::env::join_paths(std::iter::once(dir.path().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let complete = |words: &[&str]| {
        let out = run(Command::new(&kubectl)
            .arg("__complete")
            .arg("opm")
            .args(words)
            .env("PATH", &path)
            .env("KUBECONFIG", dir.path().join("no-kubeconfig")));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(
        complete(&["ver"]),
        "version\tPrint the version of kubectl-opm and the Helm version it renders like\n:4\n"
    );
    assert_eq!(complete(&["lint", "-o", "s"]), "sarif\n:4\n");
    assert_eq!(
        complete(&["lint", "--fail-on="]),
        "error\nwarning\ninfo\n:4\n"
    );
    // A chart path: no candidates, and directive 0 lets the shell complete file names.
    assert_eq!(complete(&["lint", ""]), ":0\n");
}
