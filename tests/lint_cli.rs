//! `kubectl-opm lint` end to end: snapshots of text and JSON output on small fixtures
//! (testdata/lint-framework/), exit codes, suppression, config, bad inputs.
//!
//! Snapshots record the findings of every rule on the fixtures; when a rule changes, review
//! the diff with `cargo insta review`.

use std::path::Path;

use assert_cmd::Command;

const CHART: &str = "testdata/lint-framework/op";
const MANIFESTS: &str = "testdata/lint-framework/manifests";

fn opm() -> Command {
    let mut cmd = Command::cargo_bin("kubectl-opm").expect("binary built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("HELM_NAMESPACE");
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn rules_of(doc: &serde_json::Value) -> Vec<String> {
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn chart_text_output() {
    let r = run(opm().args(["lint", CHART, "-n", "ops", "--no-config"]));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("chart_text", r.stdout);
}

#[test]
fn chart_json_output() {
    let r = run(opm().args(["lint", CHART, "-n", "ops", "-o", "json", "--no-config"]));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let doc = json(&r.stdout);
    // The planted defect is reported on the right object and template line.
    let pdb = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "pdb-blocks-eviction")
        .expect("pdb-blocks-eviction reported");
    assert_eq!(pdb["object"]["kind"], "PodDisruptionBudget");
    assert_eq!(pdb["object"]["name"], "release-name-op");
    assert_eq!(pdb["object"]["namespace"], "ops");
    assert_eq!(
        pdb["source"],
        serde_json::json!({"file": "templates/pdb.yaml", "line": 7, "column": 3})
    );
    // ci/prod-values.yaml runs 3 replicas: no PDB finding from that render.
    assert!(pdb.get("values").is_none());
    insta::assert_snapshot!("chart_json", r.stdout);
}

#[test]
fn manifests_and_suppression() {
    let r = run(opm().args(["lint", "-f", MANIFESTS, "-o", "json", "--no-config"]));
    let doc = json(&r.stdout);
    let names: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["object"]["name"].as_str())
        .collect();
    assert!(names.contains(&"too-much"), "{names:?}");
    // `kubectl-opm/ignore: all` silences the second ClusterRole.
    assert!(!names.contains(&"also-too-much"), "{names:?}");
    insta::assert_snapshot!("manifests_json", r.stdout);
}

#[test]
fn stdin_manifests() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(MANIFESTS)
            .join("rbac.yaml"),
    )
    .unwrap();
    let r = run(opm()
        .args(["lint", "-f", "-", "-o", "json", "--no-config"])
        .write_stdin(text));
    let doc = json(&r.stdout);
    assert!(rules_of(&doc).contains(&"rbac-wildcard-verbs".to_string()));
    assert_eq!(
        doc["diagnostics"][0]["source"]["file"], "<stdin>",
        "{}",
        r.stdout
    );
}

#[test]
fn fail_on_controls_exit_code() {
    // Only warnings in the manifests: exit 0 by default, 1 with --fail-on warning.
    let r = run(opm().args(["lint", "-f", MANIFESTS, "--no-config"]));
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout
            .ends_with("passed: 0 errors, 3 warnings, 0 info (failing on error and above)\n"),
        "{}",
        r.stdout
    );
    let r = run(opm().args([
        "lint",
        "-f",
        MANIFESTS,
        "--no-config",
        "--fail-on",
        "warning",
    ]));
    assert_eq!(r.code, 1);
}

#[test]
fn config_turns_rules_off_and_changes_severity() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("opm.yaml");
    std::fs::write(
        &cfg,
        "rules:\n  pdb-blocks-eviction: warning\n  rbac-wildcard-verbs: off\nexclude:\n  - kind: ClusterRole\n    name: too-*\n    rules: [rbac-wildcard-resources]\n",
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let r = run(opm().args(["lint", CHART, "-o", "json", "--config", cfg]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc = json(&r.stdout);
    let pdb = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "pdb-blocks-eviction")
        .unwrap();
    assert_eq!(pdb["severity"], "warning");
    let r = run(opm().args(["lint", "-f", MANIFESTS, "-o", "json", "--config", cfg]));
    let rules = rules_of(&json(&r.stdout));
    assert_eq!(rules, vec!["rbac-wildcard-api-groups"]);
}

#[test]
fn config_is_discovered_in_the_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("op");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join(CHART), &chart);
    std::fs::create_dir_all(tmp.path().join(".git")).unwrap();
    std::fs::write(chart.join(".opm.yaml"), "failOn: info\n").unwrap();
    let r = run(opm().args([
        "lint",
        chart.to_str().unwrap(),
        "--values-matrix",
        "none/*.yaml",
    ]));
    assert!(
        r.stdout.contains("(failing on info and above)"),
        "{}",
        r.stdout
    );
    // An unknown rule id in config: exit 2 with file:line.
    std::fs::write(
        chart.join(".opm.yaml"),
        "rules:\n  pdb-blocks-evictions: off\n",
    )
    .unwrap();
    let r = run(opm().args(["lint", chart.to_str().unwrap()]));
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr.contains(".opm.yaml:2:3: unknown rule id `pdb-blocks-evictions` (did you mean `pdb-blocks-eviction`?)"),
        "{}",
        r.stderr
    );
}

#[test]
fn precommit_paths_lint_each_chart_once() {
    let r = run(opm().args([
        "lint",
        "-o",
        "json",
        "--no-config",
        &format!("{CHART}/templates/pdb.yaml"),
        &format!("{CHART}/values.yaml"),
        &format!("{CHART}/Chart.yaml"),
        "README.md",
    ]));
    let rules = rules_of(&json(&r.stdout));
    assert_eq!(
        rules.iter().filter(|r| *r == "pdb-blocks-eviction").count(),
        1,
        "{rules:?}"
    );
}

#[test]
fn bad_inputs_exit_2() {
    let r = run(opm()
        .args(["lint", "-f", "-"])
        .write_stdin("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n"));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .starts_with("Error: <stdin>: document starting at line 1:"),
        "{}",
        r.stderr
    );

    let r = run(opm()
        .args(["lint", "-f", "-"])
        .write_stdin("just: values\n"));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("is not a Kubernetes object"),
        "{}",
        r.stderr
    );

    let r = run(opm().args(["lint", "testdata/lint-framework"]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("not a chart (no Chart.yaml)"),
        "{}",
        r.stderr
    );

    let r = run(opm().args(["lint", "does/not/exist"]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("does/not/exist: no such file or directory"),
        "{}",
        r.stderr
    );

    let r = run(opm().args(["lint"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nothing to lint"), "{}", r.stderr);

    let r = run(opm().args(["lint", "--explain", "pdb-block-eviction"]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("did you mean `pdb-blocks-eviction`"),
        "{}",
        r.stderr
    );

    let r = run(opm().args(["lint", CHART, "--kube-version", "banana"]));
    assert_eq!(r.code, 2);
}

#[test]
fn list_and_explain() {
    let r = run(opm().args(["lint", "--list-rules", "-o", "json"]));
    assert_eq!(r.code, 0);
    let doc = json(&r.stdout);
    assert!(doc["rules"].as_array().unwrap().len() >= 40);
    let r = run(opm().args(["lint", "--list-rules", "-o", "markdown"]));
    assert!(r
        .stdout
        .starts_with("| Rule | Family | Severity | Summary |\n"));
    let r = run(opm().args(["lint", "--explain", "pdb-blocks-eviction"]));
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("# pdb-blocks-eviction\n"));
    assert!(r.stdout.contains("## Fix"));
}

#[test]
fn every_format_renders() {
    for (format, check) in [
        ("sarif", "\"version\": \"2.1.0\""),
        ("junit", "<testsuite name=\"testdata/lint-framework/op\""),
        ("github", "::error file=testdata/lint-framework/op/templates/pdb.yaml,line=7,col=3,title=pdb-blocks-eviction::"),
        ("markdown", "| error | [`pdb-blocks-eviction`]"),
    ] {
        let r = run(opm().args(["lint", CHART, "-n", "ops", "--no-config", "-o", format]));
        assert_eq!(r.code, 1, "{format}");
        assert!(r.stdout.contains(check), "{format}:\n{}", r.stdout);
    }
}

/// Toggle detection end to end: a working `crds.install` toggle satisfies the CRD toggle
/// rules, a missing one and a broken one are reported on the CRD.
#[test]
fn crd_toggles_are_detected_by_rendering() {
    let crd_rules = |chart: &Path| -> Vec<(String, String)> {
        let r = run(opm().args(["lint", chart.to_str().unwrap(), "--no-config", "-o", "json"]));
        json(&r.stdout)["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["rule"].as_str().unwrap().starts_with("crd-toggle"))
            .map(|d| {
                (
                    d["rule"].as_str().unwrap().to_string(),
                    d["object"]["name"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(CHART);
    let crd = |dir: &Path| dir.join("templates").join("crd.yaml");

    let working = tmp.path().join("working");
    copy_dir(&src, &working);
    assert_eq!(crd_rules(&working), vec![]);

    let missing = tmp.path().join("missing");
    copy_dir(&src, &missing);
    let text = std::fs::read_to_string(crd(&missing)).unwrap();
    let body: Vec<&str> = text.lines().filter(|l| !l.starts_with("{{-")).collect();
    std::fs::write(crd(&missing), body.join("\n") + "\n").unwrap();
    assert_eq!(
        crd_rules(&missing),
        vec![(
            "crd-toggle-missing".to_string(),
            "widgets.example.com".to_string()
        )]
    );

    let broken = tmp.path().join("broken");
    copy_dir(&src, &broken);
    let text = std::fs::read_to_string(crd(&broken)).unwrap();
    std::fs::write(
        crd(&broken),
        text.replace("if .Values.crds.install", "if or .Values.crds.install true"),
    )
    .unwrap();
    assert_eq!(
        crd_rules(&broken),
        vec![(
            "crd-toggle-ineffective".to_string(),
            "widgets.example.com".to_string()
        )]
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The schema family: schema findings carry the manifest line of the field; kinds without
/// a schema are skipped unless `--missing-schemas` asks; `--crd` supplies CRDs; a `--crd`
/// that does not exist is bad input.
#[test]
fn schema_family_flags() {
    let fail = "testdata/lint/schema-invalid/fail.yaml";
    let r = run(opm().args(["lint", "--no-config", "-o", "json", "-f", fail]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = json(&r.stdout);
    let hit = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "schema-invalid")
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert_eq!(
        hit["field"],
        "spec.template.spec.containers[0].imagePullPolicy"
    );
    assert_eq!(hit["source"]["line"], 16);

    let sm = "testdata/lint/schema-missing/fail.yaml";
    let r = run(opm().args(["lint", "--no-config", "-o", "json", "-f", sm]));
    assert!(!rules_of(&json(&r.stdout)).contains(&"schema-missing".to_string()));
    let r = run(opm().args([
        "lint",
        "--no-config",
        "-o",
        "json",
        "--missing-schemas",
        "error",
        "-f",
        sm,
    ]));
    let doc = json(&r.stdout);
    let missing: Vec<&serde_json::Value> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "schema-missing")
        .collect();
    assert_eq!(missing.len(), 1, "{}", r.stdout);
    assert_eq!(missing[0]["severity"], "error");
    assert_eq!(r.code, 1);

    let r = run(opm().args([
        "lint",
        "--no-config",
        "--crd",
        "testdata/no-such-dir",
        "-f",
        fail,
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--crd testdata/no-such-dir"),
        "{}",
        r.stderr
    );
}
