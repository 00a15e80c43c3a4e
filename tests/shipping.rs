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
    fake_release(
        &releases,
        "1.0.0",
        &[("linux", "amd64"), ("windows", "arm64")],
    );
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
                .env(
                    "OPM_RELEASE_BASE_URL",
                    format!("file://{}", releases.display()),
                ),
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
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        || windows_reserved
            .iter()
            .any(|r| r.eq_ignore_ascii_case(name))
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
            problems.push(format!(
                "platform {i}: sha256 {sha:?} is not 64 lowercase hex"
            ));
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
                        if op
                            .get(key)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .is_empty()
                        {
                            problems.push(format!("platform {i}: files: `{key}` has to be set"));
                        }
                    }
                }
            }
            Some(_) => problems.push(format!(
                "platform {i}: `files` has to be unspecified or non-empty"
            )),
        }
        let labels = p
            .pointer("/selector/matchLabels")
            .and_then(Value::as_object);
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
    for (i, p) in manifest["spec"]["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let (os, arch) = &platforms_seen[i];
        let name = archive_name("0.3.1", os, arch);
        assert_eq!(
            p["uri"],
            format!("https://github.com/kubectl-opm/kubectl-opm/releases/download/v0.3.1/{name}")
        );
        assert_eq!(p["sha256"], format!("{i:x}").repeat(64));
        let exe = if os == "windows" {
            "kubectl-opm.exe"
        } else {
            "kubectl-opm"
        };
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

// ---------------------------------------------------------------------------------------
// GitHub Action (action.yml) and its scripts.

/// `inputs.<name>` references in a text (GitHub expression syntax).
fn input_references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("inputs.") {
        let tail = &rest[at + "inputs.".len()..];
        let name: String = tail
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
        rest = tail;
    }
    names
}

#[test]
fn action_yml_structure() {
    let text = read("action.yml");
    let action = yaml(&text);
    for key in ["name", "description", "inputs", "outputs", "runs"] {
        assert!(action.get(key).is_some(), "action.yml has no {key}");
    }
    assert_eq!(action["runs"]["using"], "composite");
    let inputs = action["inputs"].as_object().unwrap();
    let declared: Vec<&str> = inputs.keys().map(String::as_str).collect();
    assert_eq!(
        declared,
        [
            "version",
            "command",
            "charts",
            "values",
            "fail-on",
            "args",
            "base-ref",
            "sarif-upload",
            "sarif-category"
        ]
    );
    for (name, input) in inputs {
        assert!(
            input["description"].as_str().is_some_and(|d| !d.is_empty()),
            "input {name} has no description"
        );
        // Every input is either required or has a default (a string, as GitHub passes it).
        assert!(
            input["required"] == true || input["default"].is_string(),
            "input {name}: neither required nor a string default"
        );
    }
    let used = input_references(&text);
    for name in &used {
        assert!(
            inputs.contains_key(name),
            "inputs.{name} is used but not declared"
        );
    }
    for name in inputs.keys() {
        assert!(
            used.contains(name),
            "input {name} is declared but never used"
        );
    }
    let steps = action["runs"]["steps"].as_array().unwrap();
    for step in steps {
        let name = step["name"].as_str().unwrap_or("?");
        if step.get("run").is_some() {
            assert_eq!(step["shell"], "bash", "step {name}: a run step needs shell");
            // Inputs reach shell code through env, never spliced into the script.
            assert!(
                !step["run"].as_str().unwrap().contains("${{"),
                "step {name} splices an expression into shell code"
            );
        } else {
            assert!(
                step.get("uses").is_some(),
                "step {name} neither runs nor uses"
            );
        }
    }
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert_eq!(uses, ["github/codeql-action/upload-sarif@v3"]);
    for uses in &uses {
        assert_pinned(uses);
    }
    // The scripts the steps call exist.
    for script in ["scripts/action-install.sh", "scripts/action-run.sh"] {
        assert!(text.contains(script), "action.yml does not call {script}");
        assert!(support::repo_root().join(script).is_file());
    }
}

/// `owner/repo[/path]@ref` with a version tag (`v3`, `v1.2.3`) or a full commit SHA.
fn assert_pinned(uses: &str) {
    if uses.starts_with("./") {
        return;
    }
    let (_, reference) = uses
        .rsplit_once('@')
        .unwrap_or_else(|| panic!("{uses} is not pinned"));
    let is_sha = reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit());
    let is_version = reference.strip_prefix('v').is_some_and(|v| {
        !v.is_empty()
            && v.split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    });
    assert!(
        is_sha || is_version,
        "{uses} is not pinned to a version or commit"
    );
}

/// A GitHub-runner-like environment for the action scripts.
fn action_env(cmd: &mut Command, runner: &Path) {
    cmd.env("RUNNER_TEMP", runner.join("temp"))
        .env("GITHUB_PATH", runner.join("path.txt"))
        .env("GITHUB_OUTPUT", runner.join("output.txt"))
        .env_remove("GITHUB_BASE_REF")
        .env_remove("OPM_VERSION")
        .env_remove("OPM_RELEASE_BASE_URL");
    std::fs::create_dir_all(runner.join("temp")).unwrap();
}

#[test]
fn action_install_downloads_verified_release() {
    let tmp = tempfile::tempdir().unwrap();
    let releases = tmp.path().join("releases");
    let (os, arch) = host_platform();
    fake_release(&releases, "0.4.0", &[(os, arch)]);
    let runner = tmp.path().join("runner");
    let install = |version: &str| {
        let mut cmd = Command::new("bash");
        cmd.arg(support::repo_root().join("scripts/action-install.sh"));
        action_env(&mut cmd, &runner);
        cmd.env("OPM_VERSION", version).env(
            "OPM_RELEASE_BASE_URL",
            format!("file://{}", releases.display()),
        );
        run_any(&mut cmd)
    };
    let out = install("v0.4.0");
    assert!(out.status.success(), "{out:?}");
    let bin = PathBuf::from(stdout(&out).trim());
    let version = run(&mut Command::new(&bin));
    assert_eq!(stdout(&version), "kubectl-opm 0.4.0 (release archive)\n");
    let path = std::fs::read_to_string(runner.join("path.txt")).unwrap();
    assert_eq!(PathBuf::from(path.trim()), bin.parent().unwrap());
    let outputs = std::fs::read_to_string(runner.join("output.txt")).unwrap();
    assert_eq!(outputs, format!("path={}\nversion=0.4.0\n", bin.display()));

    // Tampered archive: refused with exit 3, nothing added to PATH.
    let archive = releases.join(format!("v0.4.0/{}", archive_name("0.4.0", os, arch)));
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&archive, bytes).unwrap();
    std::fs::remove_file(runner.join("path.txt")).unwrap();
    let out = install("0.4.0");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("checksum mismatch"));
    assert!(!runner.join("path.txt").exists());

    let out = install("latest-ish");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("version must be a release version such as 0.2.0, not 'latest-ish'"));
}

/// The fixture chart with a PodDisruptionBudget that blocks evictions (an error).
fn lint_fixture(dir: &Path) -> PathBuf {
    let chart = dir.join("charts/op");
    support::copy_dir(
        &support::repo_root().join("testdata/lint-framework/op"),
        &chart,
    )
    .unwrap();
    chart
}

fn action_run(cwd: &Path, runner: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(support::repo_root().join("scripts/action-run.sh"))
        .current_dir(cwd);
    action_env(&mut cmd, runner);
    cmd.env("OPM_BIN", support::opm_bin())
        .env("OPM_SARIF_FILE", runner.join("out/opm.sarif"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_any(&mut cmd)
}

#[test]
fn action_run_lint_writes_sarif_and_annotations() {
    let tmp = tempfile::tempdir().unwrap();
    lint_fixture(tmp.path());
    let runner = tmp.path().join("runner");
    let out = action_run(
        tmp.path(),
        &runner,
        &[("OPM_COMMAND", "lint"), ("OPM_CHARTS", "charts/op\n")],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let annotations = stdout(&out);
    assert!(
        annotations.lines().any(|l| l.starts_with(
            "::error file=charts/op/templates/pdb.yaml,line=7,col=3,title=pdb-blocks-eviction::"
        )),
        "{annotations}"
    );
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(runner.join("out/opm.sarif")).unwrap())
            .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "pdb-blocks-eviction"
        && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "charts/op/templates/pdb.yaml"));
    let outputs = std::fs::read_to_string(runner.join("output.txt")).unwrap();
    assert_eq!(
        outputs,
        format!("sarif={}\n", runner.join("out/opm.sarif").display())
    );

    // fail-on and values reach kubectl-opm: two replicas leave room for the budget, and
    // with --fail-on error the remaining warnings pass.
    std::fs::write(tmp.path().join("two.yaml"), "replicas: 2\n").unwrap();
    let out = action_run(
        tmp.path(),
        &runner,
        &[
            ("OPM_COMMAND", "lint"),
            ("OPM_CHARTS", "charts/op"),
            ("OPM_VALUES", "two.yaml"),
            ("OPM_FAIL_ON", "error"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!stdout(&out).contains("pdb-blocks-eviction"));
}

#[test]
fn action_run_bad_input_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let runner = tmp.path().join("runner");
    let out = action_run(
        tmp.path(),
        &runner,
        &[("OPM_COMMAND", "lint"), ("OPM_CHARTS", "")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no charts given (input 'charts')"));
    let out = action_run(
        tmp.path(),
        &runner,
        &[("OPM_COMMAND", "deploy"), ("OPM_CHARTS", "charts/op")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("unknown command 'deploy' (expected lint or crd-diff)"));
    let out = action_run(
        tmp.path(),
        &runner,
        &[("OPM_COMMAND", "lint"), ("OPM_CHARTS", "charts/missing")],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
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

/// A git repository with two CRD charts committed at version 1.
fn crd_repo(dir: &Path) {
    let charts = support::repo_root().join("testdata/crd-diff/_charts");
    support::copy_dir(&charts.join("widgets-1"), &dir.join("charts/widgets")).unwrap();
    support::copy_dir(&charts.join("widgets-1"), &dir.join("charts/same")).unwrap();
    git(dir, &["init", "--quiet"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "--quiet", "-m", "v1"]);
}

#[test]
fn action_run_crd_diff_merges_sarif_of_all_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    crd_repo(&repo);
    let charts = support::repo_root().join("testdata/crd-diff/_charts");
    std::fs::remove_dir_all(repo.join("charts/widgets")).unwrap();
    support::copy_dir(&charts.join("widgets-2"), &repo.join("charts/widgets")).unwrap();
    support::copy_dir(&charts.join("widgets-2"), &repo.join("charts/brand-new")).unwrap();
    let runner = tmp.path().join("runner");
    let out = action_run(
        &repo,
        &runner,
        &[
            ("OPM_COMMAND", "crd-diff"),
            ("OPM_CHARTS", "charts/same charts/widgets/ charts/brand-new"),
            ("OPM_BASE_REF", "HEAD"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let annotations = stdout(&out);
    let titles: Vec<&str> = annotations
        .lines()
        .filter_map(|l| l.split("title=").nth(1))
        .filter_map(|t| t.split("::").next())
        .collect();
    assert_eq!(
        titles,
        ["crd-enum-value-removed", "crd-field-removed"],
        "{annotations}"
    );
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("charts/brand-new has no Chart.yaml at HEAD (a new chart?): nothing to compare"));
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(runner.join("out/opm.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 1);
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let mut ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["crd-enum-value-removed", "crd-field-removed"]);
    for r in results {
        if let Some(i) = r["ruleIndex"].as_u64() {
            assert_eq!(
                rules[i as usize]["id"], r["ruleId"],
                "ruleIndex points elsewhere"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Workflows.

#[test]
fn release_workflow_builds_the_six_targets_and_packages_with_the_shared_names() {
    let text = read(".github/workflows/release.yml");
    let wf = yaml(&text);
    assert_eq!(wf["on"]["push"]["tags"], serde_json::json!(["v*"]));
    let jobs = wf["jobs"].as_object().unwrap();
    assert_eq!(jobs.keys().collect::<Vec<_>>(), ["build", "release"]);
    let include = wf["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap();
    let mut seen: Vec<(String, String)> = Vec::new();
    for entry in include {
        let os = entry["os"].as_str().unwrap().to_string();
        let arch = entry["arch"].as_str().unwrap().to_string();
        let target = entry["target"].as_str().unwrap();
        let expected_target = match (os.as_str(), arch.as_str()) {
            ("linux", "amd64") => "x86_64-unknown-linux-musl",
            ("linux", "arm64") => "aarch64-unknown-linux-musl",
            ("darwin", "amd64") => "x86_64-apple-darwin",
            ("darwin", "arm64") => "aarch64-apple-darwin",
            ("windows", "amd64") => "x86_64-pc-windows-msvc",
            ("windows", "arm64") => "aarch64-pc-windows-msvc",
            other => panic!("unexpected platform {other:?}"),
        };
        assert_eq!(target, expected_target);
        seen.push((os, arch));
    }
    assert_eq!(
        seen,
        platforms(),
        "the matrix must build exactly the release platforms"
    );
    // Artifacts carry os/arch; the release job packages every platform of the shared list.
    let build_steps = wf["jobs"]["build"]["steps"].as_array().unwrap();
    assert!(build_steps
        .iter()
        .any(|s| s["with"]["name"] == "bin-${{ matrix.os }}-${{ matrix.arch }}"));
    let release_run: String = wf["jobs"]["release"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    for needle in [
        ". scripts/release-lib.sh",
        "for platform in $OPM_RELEASE_PLATFORMS",
        "scripts/release-package.sh archive",
        "bins/bin-$os-$arch/$(opm_binary_name \"$os\")",
        "scripts/release-package.sh checksums dist",
        "scripts/krew-manifest.sh \"$version\" dist/checksums.txt > dist/opm.yaml",
        "gh release create",
    ] {
        assert!(release_run.contains(needle), "release job lacks {needle:?}");
    }
    assert_eq!(wf["jobs"]["release"]["permissions"]["contents"], "write");
    assert_eq!(wf["permissions"]["contents"], "read");
    check_steps(&wf);
}

#[test]
fn ci_workflow_runs_the_test_script() {
    let wf = yaml(&read(".github/workflows/ci.yml"));
    let steps = wf["jobs"]["test"]["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["run"] == "scripts/test.sh"));
    assert_eq!(wf["jobs"]["test"]["env"]["CI"], "true");
    check_steps(&wf);
}

/// Every step: `uses` pinned, `run` with a shell.
fn check_steps(wf: &Value) {
    for (job_name, job) in wf["jobs"].as_object().unwrap() {
        assert!(job["runs-on"].is_string(), "job {job_name} has no runs-on");
        for step in job["steps"].as_array().unwrap() {
            if let Some(uses) = step["uses"].as_str() {
                assert_pinned(uses);
            } else {
                assert!(
                    step["run"].is_string(),
                    "{job_name}: step without run or uses"
                );
                assert_eq!(step["shell"], "bash", "{job_name}: {step}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// pre-commit.

#[test]
fn precommit_hooks_are_declared() {
    let hooks = yaml(&read(".pre-commit-hooks.yaml"));
    let ids: Vec<&str> = hooks
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["opm-lint", "opm-crd-diff"]);
    let crd = &hooks[1];
    assert_eq!(crd["entry"], "scripts/pre-commit-crd-diff.sh");
    assert_eq!(crd["language"], "script");
    assert!(support::repo_root()
        .join("scripts/pre-commit-crd-diff.sh")
        .is_file());
}

fn crd_hook(repo: &Path, args: &[&str]) -> Output {
    run_any(
        Command::new("bash")
            .arg(support::repo_root().join("scripts/pre-commit-crd-diff.sh"))
            .args(args)
            .current_dir(repo)
            .env("OPM_BIN", support::opm_bin()),
    )
}

#[test]
fn precommit_crd_diff_compares_touched_charts_with_head() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    crd_repo(repo);
    // Unchanged: passes.
    let out = crd_hook(
        repo,
        &["charts/widgets/crds/widgets.yaml", "charts/same/Chart.yaml"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // Breaking change in one chart, a new chart, a file outside any chart.
    let charts = support::repo_root().join("testdata/crd-diff/_charts");
    std::fs::remove_dir_all(repo.join("charts/widgets")).unwrap();
    support::copy_dir(&charts.join("widgets-2"), &repo.join("charts/widgets")).unwrap();
    support::copy_dir(&charts.join("widgets-2"), &repo.join("charts/new")).unwrap();
    std::fs::write(repo.join("notes.yaml"), "a: 1\n").unwrap();
    let files = [
        "charts/widgets/crds/widgets.yaml",
        "charts/widgets/templates/gadgets-crd.yaml",
        "charts/new/Chart.yaml",
        "notes.yaml",
    ];
    let out = crd_hook(repo, &files);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stdout(&out);
    // The chart is compared once although two of its files changed.
    assert_eq!(
        text.matches("error[crd-field-removed]").count(),
        1,
        "{text}"
    );
    assert!(text.contains("error[crd-enum-value-removed]"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("opm-crd-diff: charts/new is new (not in HEAD), nothing to compare against"));

    // Flags reach crd diff: turn both checks off.
    let mut args = vec![
        "--level=crd-field-removed=off",
        "--level=crd-enum-value-removed=off",
    ];
    args.extend(files);
    let out = crd_hook(repo, &args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// A tiny HTTP/1.0 file server on 127.0.0.1 for the download path over HTTP (curl or
/// wget), serving files under `root` and 404 for anything else. Lives until the process
/// ends; each connection is handled on the accepting thread.
fn serve_http(root: PathBuf) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request_line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("/");
            let file = root.join(path.trim_start_matches('/'));
            let response = match std::fs::read(&file) {
                Ok(body) if !path.contains("..") => {
                    let mut r = format!(
                        "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                _ => b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    format!("http://{addr}")
}

#[test]
fn fetch_release_over_http() {
    let tmp = tempfile::tempdir().unwrap();
    let releases = tmp.path().join("releases");
    let (os, arch) = host_platform();
    fake_release(&releases, "2.0.0", &[(os, arch)]);
    let base = serve_http(releases.clone());
    let fetch = |version: &str| {
        let lib = support::repo_root().join("scripts/release-lib.sh");
        run_any(
            Command::new("bash")
                .arg("-c")
                .arg(format!(
                    ". \"$0\"; opm_fetch_release {version} {os} {arch} \"$1\""
                ))
                .arg(lib)
                .arg(tmp.path().join(format!("out-{version}")))
                .env("OPM_RELEASE_BASE_URL", &base),
        )
    };
    let ok = fetch("2.0.0");
    assert!(ok.status.success(), "{ok:?}");
    assert_eq!(
        std::fs::read_to_string(stdout(&ok).trim()).unwrap(),
        fake_binary_text("2.0.0")
    );
    // 404: the release is not there, status 1.
    let missing = fetch("2.0.1");
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot download kubectl-opm_2.0.1_"));
}
