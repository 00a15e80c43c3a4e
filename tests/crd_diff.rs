//! `opm crd diff`: the fixture pairs in `testdata/crd-diff/<case>/` (each `old.yaml`,
//! `new.yaml` and the expected findings in `expected.txt`), every CRD history pair of the
//! corpus (`$OPM_CORPUS/crd-history`), and the command end to end.
//!
//! `expected.txt` holds one finding per line: `breaking|safe <check> <version> <field>`, with
//! `-` for an empty version or field. `UPDATE_EXPECT=1 cargo test --test crd_diff` rewrites
//! the files from the current output, to be reviewed as a diff.

use std::path::{Path, PathBuf};

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

/// True when running in CI, where a missing corpus is a failure instead of a skip.
fn is_ci() -> bool {
    matches!(
        std::env::var("CI").map(|v| v.to_ascii_lowercase()),
        Ok(ref v) if v == "true" || v == "1"
    )
}

/// `$OPM_CORPUS/crd-history`, or `None` (skip) when OPM_CORPUS is unset outside CI.
fn crd_history() -> Option<PathBuf> {
    let hint = "Set OPM_CORPUS to the corpus directory (the one holding MANIFEST.md).";
    match std::env::var_os("OPM_CORPUS") {
        Some(dir) if !dir.is_empty() && Path::new(&dir).join("crd-history").is_dir() => {
            Some(Path::new(&dir).join("crd-history"))
        }
        _ if is_ci() => panic!("OPM_CORPUS/crd-history is missing and CI=true. {hint}"),
        _ => {
            eprintln!("SKIPPED: OPM_CORPUS/crd-history is missing. {hint}");
            None
        }
    }
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
