//! Shipping tests: the krew manifest against krew's validation rules, the `.opm.yaml` JSON
//! Schema (`schema config`), the release asset naming every install path shares, the GitHub
//! Action and workflows, and the pre-commit CRD diff hook.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn opm() -> Command {
    Command::new(support::opm_bin())
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

fn run_any(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(support::repo_root().join(rel))
        .unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// YAML (1.2, as GitHub and krew read it) to JSON.
fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("bad YAML: {e}\n{text}"))
}

/// Runs a bash snippet with `scripts/release-lib.sh` sourced; returns stdout.
fn release_lib(snippet: &str) -> String {
    let lib = support::repo_root().join("scripts/release-lib.sh");
    let out = run(Command::new("bash")
        .arg("-c")
        .arg(format!(". \"$0\"; {snippet}"))
        .arg(lib));
    stdout(&out)
}

/// The release platforms as os/arch pairs, from the shared convention.
fn platforms() -> Vec<(String, String)> {
    release_lib("echo $OPM_RELEASE_PLATFORMS")
        .split_whitespace()
        .map(|p| {
            let (os, arch) = p.split_once('/').unwrap();
            (os.to_string(), arch.to_string())
        })
        .collect()
}

fn archive_name(version: &str, os: &str, arch: &str) -> String {
    release_lib(&format!("opm_archive_name {version} {os} {arch}"))
        .trim()
        .to_string()
}

// ---------------------------------------------------------------------------------------
// Release naming: one convention.

#[test]
fn release_platforms_and_archive_names() {
    let names: Vec<String> = platforms()
        .iter()
        .map(|(os, arch)| archive_name("v1.2.3", os, arch))
        .collect();
    assert_eq!(
        names,
        [
            "kubectl-opm_1.2.3_linux_amd64.tar.gz",
            "kubectl-opm_1.2.3_linux_arm64.tar.gz",
            "kubectl-opm_1.2.3_darwin_amd64.tar.gz",
            "kubectl-opm_1.2.3_darwin_arm64.tar.gz",
            "kubectl-opm_1.2.3_windows_amd64.zip",
            "kubectl-opm_1.2.3_windows_arm64.zip",
        ]
    );
}

/// Every script that produces or downloads release archives takes the names from
/// `scripts/release-lib.sh` and spells none itself.
#[test]
fn every_install_path_uses_the_shared_naming() {
    for (file, needs) in [
        ("scripts/helm-plugin-install.sh", "opm_fetch_release"),
        ("scripts/action-install.sh", "opm_fetch_release"),
        ("scripts/release-package.sh", "opm_archive_name"),
        ("scripts/krew-manifest.sh", "opm_archive_name"),
    ] {
        let text = read(file);
        assert!(
            text.contains("scripts/release-lib.sh\""),
            "{file} does not source scripts/release-lib.sh"
        );
        assert!(text.contains(needs), "{file} does not call {needs}");
        assert!(
            !text.contains("kubectl-opm_$") && !text.contains("kubectl-opm_${"),
            "{file} spells an archive name itself"
        );
    }
}

/// `opm_fetch_release` on a fake release: installs the binary when the checksum matches,
/// refuses (status 3) when it does not or when checksums.txt lacks the archive, and reports
/// an unavailable release as status 1 (so the Helm hook may build from source instead).
#[test]
fn fetch_release_verifies_checksums() {
    let tmp = tempfile::tempdir().unwrap();
    let releases = tmp.path().join("releases");
    fake_release(&releases, "1.0.0", &[("linux", "amd64"), ("windows", "arm64")]);
    let fetch = |os: &str, arch: &str, version: &str| {
        let dest = tmp.path().join(format!("out-{os}-{arch}-{version}"));
        let lib = support::repo_root().join("scripts/release-lib.sh");
        run_any(
            Command::new("bash")
                .arg("-c")
                .arg(format!(
                    ". \"$0\"; opm_fetch_release {version} {os} {arch} \"$1\""
                ))
                .arg(lib)
                .arg(&dest)
                .env("OPM_RELEASE_BASE_URL", format!("file://{}", releases.display())),
        )
    };
    let ok = fetch("linux", "amd64", "1.0.0");
    assert!(ok.status.success(), "{ok:?}");
    let bin = PathBuf::from(stdout(&ok).trim());
    assert!(bin.ends_with("kubectl-opm"), "{bin:?}");
    assert_eq!(
        std::fs::read_to_string(&bin).unwrap(),
        fake_binary_text("1.0.0")
    );
    let ok = fetch("windows", "arm64", "1.0.0");
    assert!(ok.status.success(), "{ok:?}");
    assert!(stdout(&ok).trim().ends_with("kubectl-opm.exe"));

    let missing = fetch("linux", "amd64", "9.9.9");
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");

    // checksums.txt without the darwin archive, although the archive is there.
    let dir = releases.join("v1.0.0");
    support::copy_dir(&dir, &releases.join("v1.0.1")).unwrap();
    let renamed = |name: &str| name.replace("1.0.0", "1.0.1");
    for entry in std::fs::read_dir(releases.join("v1.0.1")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::rename(&path, path.with_file_name(renamed(&name))).unwrap();
    }
    let sums = releases.join("v1.0.1/checksums.txt");
    let text = std::fs::read_to_string(&sums).unwrap();
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.contains("windows"))
        .map(|l| {
            // A wrong checksum for linux.
            let (_, name) = l.split_once("  ").unwrap();
            format!("{}  {}\n", "f".repeat(64), renamed(name))
        })
        .collect();
    std::fs::write(&sums, lines.concat()).unwrap();
    let bad = fetch("linux", "amd64", "1.0.1");
    assert_eq!(bad.status.code(), Some(3), "{bad:?}");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("checksum mismatch for kubectl-opm_1.0.1_linux_amd64.tar.gz"),
        "{err}"
    );
    let unlisted = fetch("windows", "arm64", "1.0.1");
    assert_eq!(unlisted.status.code(), Some(3), "{unlisted:?}");
    assert!(String::from_utf8_lossy(&unlisted.stderr)
        .contains("has no entry for kubectl-opm_1.0.1_windows_arm64.zip"));
}

fn fake_binary_text(version: &str) -> String {
    format!("#!/bin/sh\necho \"kubectl-opm {version} (release archive)\"\n")
}

/// `<releases>/v<version>/` with archives of a fake binary for `platforms` and
/// checksums.txt, made by the project's packaging script.
fn fake_release(releases: &Path, version: &str, platforms: &[(&str, &str)]) {
    let build = releases.join(format!("build-{version}"));
    std::fs::create_dir_all(&build).unwrap();
    let binary = build.join("kubectl-opm");
    std::fs::write(&binary, fake_binary_text(version)).unwrap();
    make_executable(&binary);
    let dir = releases.join(format!("v{version}"));
    let script = support::repo_root().join("scripts/release-package.sh");
    for (os, arch) in platforms {
        run(Command::new("bash")
            .arg(&script)
            .args(["archive", version, os, arch])
            .arg(&binary)
            .arg(&dir));
    }
    run(Command::new("bash").arg(&script).arg("checksums").arg(&dir));
    std::fs::remove_dir_all(&build).unwrap();
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) {}

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

// ---------------------------------------------------------------------------------------
// krew.

/// krew's manifest rules (kubernetes-sigs/krew `internal/index/validation` and the
/// krew-index `validate-krew-manifest` checks), as a list of problems; empty when valid.
fn krew_problems(manifest: &Value, file_name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let str_at = |ptr: &str| manifest.pointer(ptr).and_then(Value::as_str);
    if str_at("/apiVersion") != Some("krew.googlecontainertools.github.com/v1alpha2") {
        problems.push("apiVersion must be krew.googlecontainertools.github.com/v1alpha2".into());
    }
    if str_at("/kind") != Some("Plugin") {
        problems.push("kind must be Plugin".into());
    }
    let name = str_at("/metadata/name").unwrap_or_default();
    let windows_reserved = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
        "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        || windows_reserved.iter().any(|r| r.eq_ignore_ascii_case(name))
    {
        problems.push(format!("plugin name {name:?} is not allowed"));
    }
    let expected = file_name.strip_suffix(".yaml").unwrap_or(file_name);
    if name != expected {
        problems.push(format!("plugin should be named {expected:?}, not {name:?}"));
    }
    let short = str_at("/spec/shortDescription").unwrap_or_default();
    if short.is_empty() {
        problems.push("should have a short description".into());
    }
    if short.contains(['\r', '\n']) {
        problems.push("should not have line breaks in short description".into());
    }
    match str_at("/spec/version") {
        None | Some("") => problems.push("should have a version specified".into()),
        Some(v) if !is_krew_semver(v) => {
            problems.push(format!("version {v:?} is not semver with a v prefix"))
        }
        Some(_) => {}
    }
    if !str_at("/spec/homepage").is_some_and(|h| h.starts_with("https://")) {
        problems.push("homepage should be an https URL".into());
    }
    let platforms = manifest
        .pointer("/spec/platforms")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if platforms.is_empty() {
        problems.push("should have a platform specified".into());
    }
    for (i, p) in platforms.iter().enumerate() {
        let field = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default();
        let uri = field("uri");
        if uri.is_empty() {
            problems.push(format!("platform {i}: `uri` has to be set"));
        } else if !uri.starts_with("https://") {
            problems.push(format!("platform {i}: uri {uri:?} is not https"));
        }
        let sha = field("sha256");
        if sha.len() != 64 || !sha.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
            problems.push(format!("platform {i}: sha256 {sha:?} is not 64 lowercase hex"));
        }
        let bin = field("bin");
        if bin.is_empty() {
            problems.push(format!("platform {i}: `bin` has to be set"));
        }
        match p.get("files") {
            None => {}
            Some(Value::Array(ops)) if !ops.is_empty() => {
                for op in ops {
                    for key in ["from", "to"] {
                        if op.get(key).and_then(Value::as_str).unwrap_or_default().is_empty() {
                            problems.push(format!("platform {i}: files: `{key}` has to be set"));
                        }
                    }
                }
            }
            Some(_) => problems.push(format!(
                "platform {i}: `files` has to be unspecified or non-empty"
            )),
        }
        let labels = p.pointer("/selector/matchLabels").and_then(Value::as_object);
        match labels {
            None => problems.push(format!("platform {i}: selector needs matchLabels")),
            Some(l) if l.is_empty() => {
                problems.push(format!("platform {i}: `matchLabels` specified but empty"))
            }
            Some(l) => {
                for key in l.keys() {
                    if key != "os" && key != "arch" {
                        problems.push(format!("platform {i}: selector key {key:?} not supported"));
                    }
                }
                if l.get("os").and_then(Value::as_str) == Some("windows") && !bin.ends_with(".exe")
                {
                    problems.push(format!("platform {i}: windows bin should end in .exe"));
                }
            }
        }
        if p.pointer("/selector/matchExpressions").is_some() {
            problems.push(format!(
                "platform {i}: matchExpressions are not used by this manifest's checks"
            ));
        }
    }
    // No os/arch combination may be matched by two platforms (krew would pick either).
    for os in ["linux", "darwin", "windows"] {
        for arch in ["amd64", "arm64", "386", "arm", "ppc64le", "s390x"] {
            let matching = platforms
                .iter()
                .filter(|p| {
                    p.pointer("/selector/matchLabels")
                        .and_then(Value::as_object)
                        .is_some_and(|l| {
                            l.iter().all(|(k, v)| match k.as_str() {
                                "os" => v.as_str() == Some(os),
                                "arch" => v.as_str() == Some(arch),
                                _ => false,
                            })
                        })
                })
                .count();
            if matching > 1 {
                problems.push(format!("{matching} platforms match {os}/{arch}"));
            }
        }
    }
    problems
}

/// krew's `semver.Parse`: a `v` prefix, then major.minor.patch with optional pre-release
/// and build metadata.
fn is_krew_semver(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let core = rest.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
}

fn fake_checksums(version: &str) -> String {
    platforms()
        .iter()
        .enumerate()
        .map(|(i, (os, arch))| {
            format!(
                "{}  {}\n",
                format!("{i:x}").repeat(64),
                archive_name(version, os, arch)
            )
        })
        .collect()
}

fn krew_manifest(version: &str, sums: &str) -> Output {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("checksums.txt");
    std::fs::write(&path, sums).unwrap();
    run_any(
        Command::new("bash")
            .arg(support::repo_root().join("scripts/krew-manifest.sh"))
            .arg(version)
            .arg(&path),
    )
}

#[test]
fn krew_manifest_from_release_checksums_is_valid() {
    let out = krew_manifest("v0.3.1", &fake_checksums("0.3.1"));
    assert!(out.status.success(), "{out:?}");
    let manifest = yaml(&stdout(&out));
    assert_eq!(krew_problems(&manifest, "opm.yaml"), Vec::<String>::new());
    assert_eq!(manifest["spec"]["version"], "v0.3.1");
    let platforms_seen: Vec<(String, String)> = manifest["spec"]["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let l = &p["selector"]["matchLabels"];
            (
                l["os"].as_str().unwrap().to_string(),
                l["arch"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(platforms_seen, platforms());
    for (i, p) in manifest["spec"]["platforms"].as_array().unwrap().iter().enumerate() {
        let (os, arch) = &platforms_seen[i];
        let name = archive_name("0.3.1", os, arch);
        assert_eq!(
            p["uri"],
            format!("https://github.com/kubectl-opm/kubectl-opm/releases/download/v0.3.1/{name}")
        );
        assert_eq!(p["sha256"], format!("{i:x}").repeat(64));
        let exe = if os == "windows" { "kubectl-opm.exe" } else { "kubectl-opm" };
        assert_eq!(p["bin"], exe);
        assert_eq!(p["files"][0]["from"], exe);
    }
}

#[test]
fn krew_manifest_needs_every_platform_checksum() {
    let sums: String = fake_checksums("0.3.1")
        .lines()
        .filter(|l| !l.contains("darwin_arm64"))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = krew_manifest("0.3.1", &sums);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("has no sha256 for kubectl-opm_0.3.1_darwin_arm64.tar.gz"));
}

/// The validator is not a rubber stamp: broken manifests give the expected problems.
#[test]
fn krew_validator_rejects_broken_manifests() {
    let good = yaml(&stdout(&krew_manifest("0.3.1", &fake_checksums("0.3.1"))));
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut m = good.clone();
        edit(&mut m);
        krew_problems(&m, "opm.yaml")
    };
    assert_eq!(
        broken(&|m| m["spec"]["version"] = "0.3.1".into()),
        ["version \"0.3.1\" is not semver with a v prefix"]
    );
    assert_eq!(
        broken(&|m| m["metadata"]["name"] = "op m".into()),
        [
            "plugin name \"op m\" is not allowed",
            "plugin should be named \"opm\", not \"op m\""
        ]
    );
    assert_eq!(
        broken(&|m| m["spec"]["platforms"][1]["sha256"] = "ABC".into()),
        ["platform 1: sha256 \"ABC\" is not 64 lowercase hex"]
    );
    assert_eq!(
        broken(&|m| m["spec"]["platforms"][0]["uri"] = "http://example.com/a.tar.gz".into()),
        ["platform 0: uri \"http://example.com/a.tar.gz\" is not https"]
    );
    assert_eq!(
        broken(&|m| m["spec"]["platforms"][4]["bin"] = "kubectl-opm".into()),
        ["platform 4: windows bin should end in .exe"]
    );
    assert_eq!(
        broken(&|m| m["spec"]["platforms"][1]["selector"]["matchLabels"]["arch"] = "amd64".into()),
        ["2 platforms match linux/amd64"]
    );
    assert_eq!(
        broken(&|m| m["spec"]["shortDescription"] = "two\nlines".into()),
        ["should not have line breaks in short description"]
    );
    assert_eq!(
        broken(&|m| m["spec"]["platforms"] = Value::Array(vec![])),
        ["should have a platform specified"]
    );
    assert_eq!(
        broken(&|m| m["spec"]["platforms"][2]["files"] = Value::Array(vec![])),
        ["platform 2: `files` has to be unspecified or non-empty"]
    );
}

#[test]
fn krew_semver_rules() {
    for ok in ["v0.1.0", "v1.2.3-rc.1", "v10.0.0+build.5"] {
        assert!(is_krew_semver(ok), "{ok}");
    }
    for bad in ["0.1.0", "v1.2", "v01.2.3", "v1.2.x", "vv1.2.3"] {
        assert!(!is_krew_semver(bad), "{bad}");
    }
}

// ---------------------------------------------------------------------------------------
// `kubectl opm schema config`.

fn config_schema() -> Value {
    let out = run(opm().args(["schema", "config"]));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn config_fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = support::repo_root().join("testdata/opm-config").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

#[test]
fn schema_config_snapshot() {
    let out = run(opm().args(["schema", "config"]));
    insta::assert_snapshot!("schema_config_json", stdout(&out));
}

#[test]
fn schema_config_yaml_is_the_same_schema() {
    let out = run(opm().args(["schema", "config", "-o", "yaml"]));
    assert_eq!(yaml(&stdout(&out)), config_schema());
}

#[test]
fn schema_config_accepts_valid_configs_and_so_does_the_parser() {
    let validator = jsonschema::validator_for(&config_schema()).unwrap();
    let registry = opm::lint::registry::Registry::builtin();
    for file in config_fixtures("valid") {
        let text = std::fs::read_to_string(&file).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&yaml(&text))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
        opm::lint::config::Config::parse(&text, &file, &registry)
            .unwrap_or_else(|e| panic!("the lint parser rejects {}: {e}", file.display()));
        let mut levels = opm::crd::rules::Levels::default();
        opm::crd::config::apply_config_str(&text, ".opm.yaml", &mut levels)
            .unwrap_or_else(|e| panic!("the crd parser rejects {}: {e}", file.display()));
    }
}

#[test]
fn schema_config_rejects_invalid_configs_like_the_parser() {
    let validator = jsonschema::validator_for(&config_schema()).unwrap();
    let registry = opm::lint::registry::Registry::builtin();
    let mut report = String::new();
    for file in config_fixtures("invalid") {
        let text = std::fs::read_to_string(&file).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&yaml(&text))
            .map(|e| format!("{} at {:?}", e, e.instance_path().to_string()))
            .collect();
        assert!(!errors.is_empty(), "schema accepts {}", file.display());
        let lint = opm::lint::config::Config::parse(&text, Path::new(".opm.yaml"), &registry);
        let mut levels = opm::crd::rules::Levels::default();
        let crd = opm::crd::config::apply_config_str(&text, ".opm.yaml", &mut levels);
        assert!(
            lint.is_err() || crd.is_err(),
            "the parsers accept {} although the schema rejects it",
            file.display()
        );
        let name = file.file_name().unwrap().to_string_lossy();
        report.push_str(&format!("{name}: {}\n", errors.join("; ")));
    }
    insta::assert_snapshot!("schema_config_rejections", report);
}

#[test]
fn schema_rejects_unknown_subcommand_and_format() {
    let out = run_any(opm().args(["schema", "plan-x"]));
    assert_eq!(out.status.code(), Some(2));
    let out = run_any(opm().args(["schema", "config", "-o", "toml"]));
    assert_eq!(out.status.code(), Some(2));
}
