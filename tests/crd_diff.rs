//! `opm crd diff`: the fixture pairs in `testdata/crd-diff/<case>/` (each `old.yaml`,
//! `new.yaml` and the expected findings in `expected.txt`), every CRD history pair of the
//! corpus (`$OPM_CORPUS/crd-history`), and the command end to end.
//!
//! `expected.txt` holds one finding per line: `breaking|safe <check> <version> <field>`, with
//! `-` for an empty version or field. `UPDATE_EXPECT=1 cargo test --test crd_diff` rewrites
//! the files from the current output, to be reviewed as a diff.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use opm::crd::{diff_crds, source::load_path, Change};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/crd-diff")
}

fn line(c: &Change) -> String {
    let dash = |s: &str| {
        if s.is_empty() {
            "-".to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "{} {} {} {}",
        if c.breaking { "breaking" } else { "safe" },
        c.rule.id(),
        dash(&c.version),
        dash(&c.field)
    )
}

fn cases() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("old.yaml").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn fixture_pairs_give_the_expected_findings() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let dirs = cases();
    assert!(dirs.len() >= 40, "only {} fixture pairs", dirs.len());
    let mut failures = Vec::new();
    for dir in &dirs {
        let old = load_path(&dir.join("old.yaml")).unwrap();
        let new = load_path(&dir.join("new.yaml")).unwrap();
        let got: String = diff_crds(&old, &new)
            .iter()
            .map(|c| line(c) + "\n")
            .collect();
        let expected_path = dir.join("expected.txt");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            if update {
                std::fs::write(&expected_path, &got).unwrap();
            } else {
                failures.push(format!(
                    "{}:\n--- expected\n{expected}--- got\n{got}",
                    dir.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `$OPM_CORPUS/crd-history`, or `None` (skip; a failure with CI=true) without a corpus.
fn crd_history() -> Option<PathBuf> {
    support::require_corpus().map(|c| c.join("crd-history"))
}

/// Release order of snapshot files: by the numbers in their names
/// (`kube-prometheus-stack-45.0.0` < `…-55.0.0`, `v1.7.3` < `v1.12.0`).
fn release_key(name: &str) -> Vec<u64> {
    name.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Every consecutive pair of every CRD history: `(crd dir, old tag, new tag)`.
fn corpus_pairs(history: &Path) -> Vec<(PathBuf, String, String)> {
    let mut pairs = Vec::new();
    let mut operators: Vec<PathBuf> = std::fs::read_dir(history)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    operators.sort();
    for op in operators {
        let mut crds: Vec<PathBuf> = std::fs::read_dir(&op)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        crds.sort();
        for crd in crds {
            let mut tags: Vec<String> = std::fs::read_dir(&crd)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter_map(|n| n.strip_suffix(".yaml").map(str::to_string))
                .collect();
            tags.sort_by_key(|t| release_key(t));
            for w in tags.windows(2) {
                pairs.push((crd.clone(), w[0].clone(), w[1].clone()));
            }
        }
    }
    pairs
}

/// The breaking findings of one corpus pair, one `check version field` line each.
fn corpus_breaking(crd: &Path, old: &str, new: &str) -> Vec<String> {
    let o = load_path(&crd.join(format!("{old}.yaml"))).unwrap();
    let n = load_path(&crd.join(format!("{new}.yaml"))).unwrap();
    diff_crds(&o, &n)
        .iter()
        .filter(|c| c.breaking)
        .map(|c| {
            let l = line(c);
            l.strip_prefix("breaking ").unwrap_or(&l).to_string()
        })
        .collect()
}

/// Every CRD history pair of the corpus is diffed; its breaking findings are kept in
/// `testdata/crd-diff/_corpus/<crd>/<old>--<new>.txt` (reviewed; `UPDATE_EXPECT=1`
/// rewrites them), and checked against what MANIFEST.md says those releases changed.
#[test]
fn corpus_crd_history_pairs() {
    let Some(history) = crd_history() else {
        return;
    };
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let pairs = corpus_pairs(&history);
    assert!(pairs.len() >= 16, "only {} CRD history pairs", pairs.len());
    let mut failures = Vec::new();
    for (crd, old, new) in &pairs {
        let got = corpus_breaking(crd, old, new);
        let crd_name = crd.file_name().unwrap().to_string_lossy().into_owned();
        let expected_path = testdata()
            .join("_corpus")
            .join(&crd_name)
            .join(format!("{old}--{new}.txt"));
        let text: String = got.iter().map(|l| format!("{l}\n")).collect();
        let expected = std::fs::read_to_string(&expected_path).ok();
        if expected.as_deref() != Some(text.as_str()) {
            let expected = expected.unwrap_or_else(|| "(missing file)\n".to_string());
            if update {
                std::fs::create_dir_all(expected_path.parent().unwrap()).unwrap();
                std::fs::write(&expected_path, &text).unwrap();
            } else {
                failures.push(format!(
                    "{crd_name} {old} -> {new}:\n--- expected\n{expected}--- got\n{text}"
                ));
            }
        }
        // What MANIFEST.md says each release changed.
        for must in manifest_breaking(&crd_name, old, new) {
            if !got.iter().any(|g| g == must) {
                failures.push(format!(
                    "{crd_name} {old} -> {new}: MANIFEST.md lists `{must}` as breaking, not found in {got:#?}"
                ));
            }
        }
        // MANIFEST.md's path differ looked at versions, removed fields, types, required and
        // enum removals: where it saw nothing breaking, neither may we in those dimensions.
        if manifest_breaking(&crd_name, old, new).is_empty() {
            for g in &got {
                let rule = g.split(' ').next().unwrap_or("");
                if [
                    "crd-version-removed",
                    "crd-version-unserved",
                    "crd-field-removed",
                    "crd-type-changed",
                    "crd-required-added",
                    "crd-enum-value-removed",
                ]
                .contains(&rule)
                {
                    failures.push(format!(
                        "{crd_name} {old} -> {new}: MANIFEST.md lists no breaking change, but found `{g}`"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The breaking changes MANIFEST.md ("Pairs with known breaking changes") names for a pair.
fn manifest_breaking(crd: &str, old: &str, new: &str) -> &'static [&'static str] {
    match (crd, old, new) {
        ("certificates.cert-manager.io", "v1.5.5", "v1.6.3") => &[
            "crd-version-unserved v1alpha2 -",
            "crd-version-unserved v1alpha3 -",
            "crd-version-unserved v1beta1 -",
        ],
        ("certificates.cert-manager.io", "v1.6.3", "v1.7.3") => &[
            "crd-version-removed v1alpha2 -",
            "crd-version-removed v1alpha3 -",
            "crd-version-removed v1beta1 -",
        ],
        ("externalsecrets.external-secrets.io", "v0.15.0", "v0.16.0") => &[
            "crd-version-removed v1alpha1 -",
            "crd-enum-value-removed v1beta1 spec.target.template.engineVersion",
        ],
        ("externalsecrets.external-secrets.io", "v0.16.0", "v0.17.0") => {
            &["crd-version-unserved v1beta1 -"]
        }
        ("applications.argoproj.io", "argo-cd-3.0.0", "argo-cd-5.0.0") => &[
            "crd-field-removed v1alpha1 spec.source.ksonnet",
            "crd-field-removed v1alpha1 operation.sync.source.ksonnet",
            "crd-field-removed v1alpha1 status.history[*].source.ksonnet",
            "crd-field-removed v1alpha1 status.operationState.operation.sync.source.ksonnet",
            "crd-field-removed v1alpha1 status.operationState.syncResult.source.ksonnet",
            "crd-field-removed v1alpha1 status.sync.comparedTo.source.ksonnet",
        ],
        (
            "prometheuses.monitoring.coreos.com",
            "kube-prometheus-stack-45.0.0",
            "kube-prometheus-stack-55.0.0",
        ) => &["crd-field-removed v1 spec.storage.volumeClaimTemplate.status.resizeStatus"],
        (
            "prometheuses.monitoring.coreos.com",
            "kube-prometheus-stack-55.0.0",
            "kube-prometheus-stack-65.0.0",
        ) => &[
            "crd-field-removed v1 spec.storage.volumeClaimTemplate.spec.resources.claims",
            "crd-field-removed v1 spec.storage.ephemeral.volumeClaimTemplate.spec.resources.claims",
            "crd-field-removed v1 spec.volumes[*].ephemeral.volumeClaimTemplate.spec.resources.claims",
        ],
        ("clusters.postgresql.cnpg.io", "cloudnative-pg-v0.18.0", "cloudnative-pg-v0.22.0") => &[
            "crd-required-added v1 metadata",
            "crd-required-added v1 spec",
            "crd-field-removed v1 spec.storage.pvcTemplate.resources.claims",
            "crd-field-removed v1 spec.walStorage.pvcTemplate.resources.claims",
        ],
        ("clusters.postgresql.cnpg.io", "cloudnative-pg-v0.22.0", "cloudnative-pg-v0.26.0") => {
            &["crd-field-removed v1 status.azurePVCUpdateEnabled"]
        }
        _ => &[],
    }
}

// ---------------------------------------------------------------------------------------
// The command end to end.

fn opm() -> Command {
    let mut cmd = Command::new(support::opm_bin());
    cmd.current_dir(testdata()).env_remove("HELM_NAMESPACE");
    cmd
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = opm().arg("crd").arg("diff").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn json_output_carries_crd_version_field_and_breaking() {
    let (code, stdout, _) = run(&[
        "field-removed-subtree/old.yaml",
        "field-removed-subtree/new.yaml",
        "-o",
        "json",
        "--no-config",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "diagnostics": [{
                "rule": "crd-field-removed",
                "severity": "error",
                "message": "v1 spec.tls: field removed (was object); manifests that set spec.tls are rejected by strict field validation (kubectl's default), and the value is pruned from custom resources on their next write",
                "object": {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "name": "widgets.example.com"},
                "field": "spec.tls",
                "docs": "https://kubectl-opm.dev/rules/crd-field-removed",
                "crdVersion": "v1",
                "breaking": true
            }],
            "summary": {"error": 1, "warning": 0, "info": 0}
        })
    );
}

#[test]
fn version_level_findings_have_an_empty_field() {
    let (code, stdout, _) = run(&[
        "version-unserved/old.yaml",
        "version-unserved/new.yaml",
        "-o",
        "json",
        "--no-config",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["rule"], "crd-version-unserved");
    assert_eq!(d["crdVersion"], "v1beta1");
    assert_eq!(d["field"], "");
    assert_eq!(d["breaking"], true);
}

#[test]
fn safe_changes_exit_zero() {
    let (code, stdout, _) = run(&["safe-only/old.yaml", "safe-only/new.yaml", "--no-config"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.ends_with(
            "passed: 0 errors, 1 warning, 10 info (failing on error and above)\n0 breaking change(s)\n"
        ),
        "{stdout}"
    );
    // --fail-on warning makes the storage-version move (a warning) fail the run.
    let (code, _, _) = run(&[
        "safe-only/old.yaml",
        "safe-only/new.yaml",
        "--no-config",
        "--fail-on",
        "warning",
    ]);
    assert_eq!(code, 1);
}

#[test]
fn levels_from_flags_and_config() {
    // Turned off, a breaking check no longer fails the run.
    let (code, stdout, _) = run(&[
        "field-removed/old.yaml",
        "field-removed/new.yaml",
        "--no-config",
        "--level",
        "crd-field-removed=off",
        "-o",
        "json",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains("\"diagnostics\": []"), "{stdout}");
    // Lowered to a warning: reported, still breaking, but below --fail-on.
    let (code, stdout, _) = run(&[
        "field-removed/old.yaml",
        "field-removed/new.yaml",
        "--no-config",
        "--level",
        "crd-field-removed=warning",
        "-o",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["severity"], "warning");
    assert_eq!(v["diagnostics"][0]["breaking"], true);
    // The same from .opm.yaml.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join(".opm.yaml");
    std::fs::write(&config, "crdDiff:\n  rules:\n    crd-field-removed: off\n").unwrap();
    let (code, _, _) = run(&[
        "field-removed/old.yaml",
        "field-removed/new.yaml",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let (code, _, stderr) = run(&[
        "field-removed/old.yaml",
        "field-removed/new.yaml",
        "--level",
        "crd-nope=off",
    ]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "Error: unknown crd diff check \"crd-nope\" (kubectl opm crd diff --list-rules shows them)\n"
    );
}

#[test]
fn explain_adds_the_remediation() {
    let (_, stdout, _) = run(&[
        "version-removed/old.yaml",
        "version-removed/new.yaml",
        "--no-config",
        "--explain",
    ]);
    assert!(
        stdout.contains(
            "  = help: Stop serving the version first (served: false) for a deprecation period"
        ),
        "{stdout}"
    );
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    let good = "identical/old.yaml";
    let cases = [
        (
            "_errors/not-a-crd.yaml",
            "Error: _errors/not-a-crd.yaml: no CustomResourceDefinition found (the file holds no document of kind CustomResourceDefinition)\n",
        ),
        (
            "_errors/no-schema.yaml",
            "Error: _errors/no-schema.yaml: CustomResourceDefinition widgets.example.com version v1 has no schema (spec.versions[].schema.openAPIV3Schema); a diff needs one for every version\n",
        ),
        (
            "_errors/non-structural.yaml",
            "Error: _errors/non-structural.yaml: CustomResourceDefinition widgets.example.com version v1: schema is not structural at spec.size: type is missing (set a type, or x-kubernetes-int-or-string / x-kubernetes-preserve-unknown-fields: true)\n",
        ),
        (
            "_errors/broken.yaml",
            "Error: _errors/broken.yaml:6:1: did not find expected ',' or ']'\n",
        ),
        ("missing.yaml", "Error: missing.yaml: no such file or directory\n"),
    ];
    for (input, message) in cases {
        let (code, stdout, stderr) = run(&[input, good, "--no-config"]);
        assert_eq!(
            (code, stdout.as_str(), stderr.as_str()),
            (2, "", message),
            "{input}"
        );
    }
}

#[test]
fn git_inputs() {
    if Command::new("git").arg("--version").output().is_err() {
        support::missing::<()>("git", "Install git.");
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(repo.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    let crds = repo.path().join("crds");
    std::fs::create_dir(&crds).unwrap();
    std::fs::copy(
        testdata().join("field-removed/old.yaml"),
        crds.join("widgets.yaml"),
    )
    .unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "one"]);
    git(&["tag", "v1"]);
    std::fs::copy(
        testdata().join("field-removed/new.yaml"),
        crds.join("widgets.yaml"),
    )
    .unwrap();
    let opm_in_repo = |args: &[&str]| {
        let out = Command::new(support::opm_bin())
            .args(["crd", "diff", "--no-config"])
            .args(args)
            .current_dir(repo.path())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // A directory at a tag against the work tree.
    let (code, stdout, _) = opm_in_repo(&["git:v1:crds", "crds", "-o", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["field"], "spec.schedule");
    // A file at a ref against itself.
    let (code, _, _) = opm_in_repo(&["git:HEAD:crds/widgets.yaml", "git:v1:crds/widgets.yaml"]);
    assert_eq!(code, 0);
    let (code, stdout, stderr) = opm_in_repo(&["git:v9:crds", "crds"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (2, "", "Error: git:v9:crds: unknown git ref \"v9\"\n")
    );
    let (code, _, stderr) = opm_in_repo(&["git:v1:nope", "crds"]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("Error: git:v1:nope: \"nope\" does not exist at v1"),
        "{stderr}"
    );
}

#[test]
fn every_output_format() {
    let pair = [
        "enum-value-removed/old.yaml",
        "enum-value-removed/new.yaml",
        "--no-config",
    ];
    let with = |format: &str| {
        let mut args = pair.to_vec();
        args.extend(["-o", format]);
        run(&args)
    };
    let (code, stdout, _) = with("text");
    assert_eq!(code, 1);
    assert!(stdout.starts_with("error[crd-enum-value-removed]: v1 spec.mode: enum values removed: [\"safe\"] ([\"fast\", \"safe\"] → [\"fast\"]); custom resources that set spec.mode to a removed value are rejected on their next update\n  = object: CustomResourceDefinition widgets.example.com (spec.mode)\n"), "{stdout}");
    let (code, stdout, _) = with("sarif");
    assert_eq!(code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"],
        "crd-enum-value-removed"
    );
    let (_, stdout, _) = with("github");
    assert!(
        stdout.starts_with("::error title=crd-enum-value-removed::"),
        "{stdout}"
    );
    let (_, stdout, _) = with("junit");
    assert!(stdout.starts_with("<?xml"), "{stdout}");
    assert!(stdout.contains("crd-enum-value-removed"));
    let (_, stdout, _) = with("markdown");
    assert!(
        stdout.contains("| error | [`crd-enum-value-removed`]"),
        "{stdout}"
    );
    // Version-level findings show no empty field to people.
    let (_, stdout, _) = run(&[
        "version-unserved/old.yaml",
        "version-unserved/new.yaml",
        "--no-config",
    ]);
    assert!(
        stdout.contains("  = object: CustomResourceDefinition widgets.example.com\n"),
        "{stdout}"
    );
}

#[test]
fn list_rules_names_every_check() {
    let out = opm()
        .args(["crd", "diff", "--list-rules"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for meta in opm::crd::rules::RULES {
        assert!(text.contains(meta.id), "{}", meta.id);
    }
}

/// Rules and fields of the findings in a JSON report.
fn findings(stdout: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(stdout).unwrap();
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {} {} {}",
                d["rule"].as_str().unwrap(),
                d["object"]["name"].as_str().unwrap(),
                d["crdVersion"].as_str().unwrap(),
                d["field"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn chart_inputs_count_crds_dir_and_templated_crds() {
    // widgets comes from crds/, gadgets from a template guarded by crds.gadgets.
    let (code, stdout, stderr) = run(&[
        "_charts/widgets-1",
        "_charts/widgets-2",
        "--no-config",
        "-o",
        "json",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        findings(&stdout),
        [
            "crd-enum-value-removed gadgets.example.com v1 spec.size",
            "crd-field-removed widgets.example.com v1 spec.schedule",
        ]
    );
    // Values apply to both sides: without the templated CRD only crds/ is compared.
    let (_, stdout, _) = run(&[
        "_charts/widgets-1",
        "_charts/widgets-2",
        "--no-config",
        "-o",
        "json",
        "--set",
        "crds.gadgets=false",
    ]);
    assert_eq!(
        findings(&stdout),
        ["crd-field-removed widgets.example.com v1 spec.schedule"]
    );
    // A packaged chart against a plain CRD file.
    let dir = tempfile::tempdir().unwrap();
    let tgz = dir.path().join("widgets-1.0.0.tgz");
    let file = std::fs::File::create(&tgz).unwrap();
    let mut archive = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::default(),
    ));
    archive
        .append_dir_all("widgets", testdata().join("_charts/widgets-1"))
        .unwrap();
    archive.into_inner().unwrap().finish().unwrap();
    let (code, stdout, stderr) = run(&[
        tgz.to_str().unwrap(),
        "field-removed/new.yaml",
        "--no-config",
        "-o",
        "json",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        findings(&stdout),
        [
            "crd-removed gadgets.example.com  ",
            "crd-field-removed widgets.example.com v1 spec.schedule",
        ]
    );
}

#[test]
fn a_chart_that_fails_to_render_is_bad_input() {
    let (code, stdout, stderr) = run(&[
        "_charts/widgets-1",
        "_charts/widgets-2",
        "--no-config",
        "--set",
        "crds=oops",
    ]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.starts_with("Error: _charts/widgets-"), "{stderr}");
}

/// The corpus charts diffed against themselves: every CRD is read (crds/ files and
/// templated CRDs) and nothing is reported.
#[test]
fn corpus_charts_against_themselves() {
    let Some(corpus) = support::require_corpus() else {
        return;
    };
    for (chart, extra) in [
        ("velero", &[][..]),
        ("cert-manager", &["--set", "crds.enabled=true"][..]),
        ("kube-prometheus-stack", &[][..]),
        ("argo-cd", &[][..]),
    ] {
        let path = corpus.join("charts").join(chart);
        let path = path.to_str().unwrap();
        let mut args = vec![path, path, "--no-config", "-o", "json"];
        args.extend(extra);
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 0, "{chart}: {stderr}");
        assert!(findings(&stdout).is_empty(), "{chart}: {stdout}");
    }
}

/// `crd diff` renders only the templates that can produce CRDs: for every corpus chart and
/// every one of its value sets, the CRDs read that way equal the CRDs of a full render
/// (`helm template --include-crds`: crds/ files plus every CRD document rendered).
#[test]
fn pruned_chart_renders_give_the_crds_of_a_full_render() {
    let Some(corpus) = support::require_corpus() else {
        return;
    };
    let mut charts: Vec<PathBuf> = std::fs::read_dir(corpus.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    charts.sort();
    let mut compared = 0;
    for chart in charts {
        let mut value_sets = vec![None];
        value_sets.extend(opm::chart::find_values_matrix(&chart).into_iter().map(Some));
        for values in value_sets {
            let mut opts = opm::crd::source::ChartOptions {
                namespace: "corpus".into(),
                kube_version: Some("1.33.0".into()),
                ..Default::default()
            };
            opts.values.value_files.extend(values.clone());
            let req = opm::render::command::RenderRequest {
                release_name: "release-name".into(),
                chart: chart.clone(),
                namespace: "corpus".into(),
                values: opts.values.clone(),
                kube_version: opts.kube_version.clone(),
                include_crds: true,
                ..Default::default()
            };
            let (_, full) = opm::render::command::render(&req).unwrap();
            let mut expected = Vec::new();
            for file in &full.crds {
                expected.extend(opm::crd::parse_crds(&file.content, &file.source).unwrap());
            }
            for m in full.sorted.manifests.iter().chain(&full.sorted.hooks) {
                if m.kind == "CustomResourceDefinition" {
                    opm::crd::model::collect_crds(m.object(), &m.source, &mut expected).unwrap();
                }
            }
            let label = format!("{} {values:?}", chart.display());
            match opm::crd::source::load_chart(&chart, "chart", &opts) {
                Ok(got) => assert!(got == expected, "{label}: CRDs differ"),
                Err(e) => assert!(expected.is_empty(), "{label}: {e}"),
            }
            compared += 1;
        }
    }
    assert!(compared >= 60, "only {compared} renders compared");
}
