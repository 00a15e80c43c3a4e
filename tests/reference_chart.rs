//! The bundled reference operator chart (`charts/sample-operator`) shows the right way, so it
//! must stay clean: zero lint findings on every values file, `helm lint --strict` passing with
//! real Helm 3 and Helm 4, and our render equal to Helm 4's for each values file.

mod support;

use std::path::PathBuf;
use std::process::Command;

fn chart() -> PathBuf {
    support::repo_root().join("charts/sample-operator")
}

/// Defaults plus every `ci/*.yaml` file, sorted.
fn value_sets() -> Vec<Option<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(chart().join("ci"))
        .expect("the reference chart has a ci/ directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "default, staging and prod values: {files:?}"
    );
    let mut sets = vec![None];
    sets.extend(files.into_iter().map(Some));
    sets
}

#[test]
fn lints_clean_with_every_values_file() {
    let out = Command::new(support::opm_bin())
        .args(["lint"])
        .arg(chart())
        .args(["-n", "sample-system", "-o", "json", "--fail-on", "info"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "findings on the reference chart:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(
        report["diagnostics"].as_array().map(Vec::len),
        Some(0),
        "{stdout}"
    );
}

#[test]
fn passes_helm_lint_strict_with_helm3_and_helm4() {
    support::assert_helm_lint_strict(&chart(), &value_sets());
}

#[test]
fn renders_like_helm4_with_every_values_file() {
    let Some(helm) = support::require_tool("helm4") else {
        return;
    };
    for values in value_sets() {
        let run = |program: &PathBuf, sub: &str| {
            let mut cmd = Command::new(program);
            cmd.arg(sub).arg("sample").arg(chart()).args([
                "--namespace",
                "sample-system",
                "--kube-version",
                "1.33.0",
            ]);
            if let Some(v) = &values {
                cmd.arg("-f").arg(v);
            }
            let out = cmd.output().expect("runs");
            assert!(
                out.status.success(),
                "{sub} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let expected = run(&helm, "template");
        let actual = run(&support::opm_bin(), "render");
        assert!(
            expected == actual,
            "render differs from helm4 with {values:?}:\n{}",
            support::short_diff(&expected, &actual, 20)
        );
    }
}
