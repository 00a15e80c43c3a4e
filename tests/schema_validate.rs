//! Schema validation fixtures and `kubectl-opm validate` end to end.
//!
//! `testdata/schema/invalid/*.yaml` each hold one object and a first line
//! `# expect: RULE FIELD`: validation must report that rule at that field (errors and the
//! schema-missing warning), and no error at any other field. `testdata/schema/valid/*.yaml`
//! must give no error or warning except the deprecation warnings they exist to show.
//! Custom resources are validated against `testdata/schema/crds/`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use opm::lint::LintObject;
use opm::report::Severity;
use opm::schema::{objects_from_documents, SchemaValidator, ValidateOptions};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/schema")
}

fn load(path: &Path) -> Vec<LintObject> {
    let text = std::fs::read_to_string(path).unwrap();
    let docs = opm::yaml::load_all(&text, "x.yaml").unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    objects_from_documents(docs, &name, &text)
}

fn validator() -> SchemaValidator {
    let mut crds = Vec::new();
    for entry in std::fs::read_dir(testdata().join("crds")).unwrap() {
        crds.extend(load(&entry.unwrap().path()));
    }
    SchemaValidator::new(&ValidateOptions {
        kube_version: Some("1.33".into()),
        crds,
        ..ValidateOptions::default()
    })
    .unwrap()
}

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_invalid_fixture_is_caught_at_its_field() {
    let v = validator();
    let files = fixtures("invalid");
    assert!(files.len() >= 80, "only {} invalid fixtures", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let expect = text
            .lines()
            .next()
            .unwrap()
            .strip_prefix("# expect: ")
            .unwrap();
        let (rule, field) = expect.split_once(' ').unwrap_or((expect, ""));
        let diags = v.validate(&load(file));
        let hit = diags
            .iter()
            .any(|d| d.rule == rule && d.field.as_deref().unwrap_or("") == field);
        // Nothing else may be an error: one mistake, one finding.
        let stray: Vec<String> = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .filter(|d| !(d.rule == rule && d.field.as_deref().unwrap_or("") == field))
            .map(|d| format!("{} {:?}: {}", d.rule, d.field, d.message))
            .collect();
        if !hit || !stray.is_empty() {
            let got: Vec<String> = diags
                .iter()
                .map(|d| format!("{} {} {:?}: {}", d.severity, d.rule, d.field, d.message))
                .collect();
            failures.push(format!(
                "{}: expected {rule} at {field:?}, got {got:#?}",
                file.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn valid_fixtures_pass() {
    let v = validator();
    let mut failures = Vec::new();
    for file in fixtures("valid") {
        let diags = v.validate(&load(&file));
        let deprecated_on_purpose = file.to_string_lossy().contains("deprecated");
        for d in diags {
            let allowed = d.severity == Severity::Info
                || (deprecated_on_purpose && d.rule == "api-version-deprecated");
            if !allowed {
                failures.push(format!(
                    "{}: {} {:?} {}",
                    file.display(),
                    d.rule,
                    d.field,
                    d.message
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn transition_rules_are_reported_as_not_evaluated() {
    let v = validator();
    let diags = v.validate(&load(&testdata().join("valid/widget.yaml")));
    let infos: Vec<(&str, Option<&str>)> = diags
        .iter()
        .map(|d| (d.rule.as_str(), d.field.as_deref()))
        .collect();
    assert_eq!(infos, vec![("cel-rule-not-evaluated", Some("spec"))]);
}

fn bin() -> Command {
    Command::cargo_bin("kubectl-opm").unwrap()
}

#[test]
fn cli_json_names_the_field_and_exits_1() {
    let out = bin()
        .args(["validate", "-o", "json", "--kube-version", "1.31", "-f"])
        .arg(testdata().join("invalid/widget-cel-min-max.yaml"))
        .arg("--crd")
        .arg(testdata().join("crds"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &json["diagnostics"][0];
    assert_eq!(first["rule"], "cel-rule-violated");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["field"], "spec.minReplicas");
    assert_eq!(first["message"], "minReplicas must not exceed maxReplicas");
    assert_eq!(first["object"]["kind"], "Widget");
    assert_eq!(first["source"]["line"], 10);
    assert_eq!(json["summary"]["error"], 1);
}

#[test]
fn cli_valid_manifests_exit_0() {
    bin()
        .args(["validate", "--kube-version", "1.29", "-f"])
        .arg(testdata().join("valid"))
        .arg("--crd")
        .arg(testdata().join("crds"))
        .assert()
        .code(0);
}

#[test]
fn cli_bad_input_is_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    // Unsupported version, missing schema directory, broken YAML: exit 2 with a message.
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--kube-version".into(), "1.12".into()],
            "not supported",
        ),
        (
            vec![
                "--schema-location".into(),
                dir.path().join("nope").display().to_string(),
            ],
            "not a directory",
        ),
    ];
    for (extra, needle) in cases {
        let out = bin()
            .arg("validate")
            .arg("-f")
            .arg(testdata().join("valid/configmap.yaml"))
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{extra:?}: {err}");
    }
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "a: [\n").unwrap();
    let out = bin()
        .arg("validate")
        .arg("-f")
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_crds_and_broken_schemas_are_findings() {
    let dir = tempfile::tempdir().unwrap();
    let crd = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            properties:
              a: {type: string, pattern: '('}
            x-kubernetes-validations:
            - rule: 'self.a =='
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g}
spec: {a: x}
";
    let file = dir.path().join("gadget.yaml");
    std::fs::write(&file, crd).unwrap();
    // A kubeconform-layout schema that is not JSON.
    let schemas = dir.path().join("schemas");
    std::fs::create_dir(&schemas).unwrap();
    std::fs::write(schemas.join("thing-example-v1.json"), "{nope").unwrap();
    std::fs::write(
        dir.path().join("thing.yaml"),
        "apiVersion: example.org/v1\nkind: Thing\nmetadata: {name: t}\n",
    )
    .unwrap();
    let out = bin()
        .args(["validate", "-o", "json", "-f"])
        .arg(&file)
        .arg("-f")
        .arg(dir.path().join("thing.yaml"))
        .arg("--schema-location")
        .arg(&schemas)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        vec![
            "crd-schema-not-structural",
            "cel-rule-invalid",
            "crd-schema-invalid",
            "schema-missing",
            "schema-invalid",
        ]
    );
}

/// The CEL fixtures of the Gadget CRD (format, quantity, duration and timestamp libraries):
/// each breaks exactly one rule, and the finding carries that rule's message.
#[test]
fn kubernetes_cel_libraries_report_the_rule_that_broke() {
    let v = validator();
    let cases = [
        (
            "gadget-format-service-name",
            "serviceName: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ),
        (
            "gadget-format-generate-name",
            "generateName must be a DNS subdomain prefix",
        ),
        ("gadget-format-label-key", "labels must be valid Kubernetes labels"),
        ("gadget-format-label-value", "labels must be valid Kubernetes labels"),
        ("gadget-format-uri", "endpoint must be an absolute URI"),
        (
            "gadget-quantity-requests-above-limits",
            "requests must not exceed limits",
        ),
        ("gadget-quantity-limits-exact", "limits must stay below 1.5Gi"),
        (
            "gadget-quantity-headroom",
            "limits may exceed requests by at most 512Mi",
        ),
        ("gadget-duration-too-short", "interval must be between 30s and 1h"),
        (
            "gadget-timestamp-window",
            "the window must be at least one interval long",
        ),
    ];
    for (name, message) in cases {
        let file = testdata().join(format!("invalid/{name}.yaml"));
        let got: Vec<(String, String)> = v
            .validate(&load(&file))
            .into_iter()
            .map(|d| (d.rule, d.message))
            .collect();
        assert_eq!(
            got,
            vec![("cel-rule-violated".to_string(), message.to_string())],
            "{name}"
        );
    }
}
