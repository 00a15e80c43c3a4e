//! `opm create`: every option combination yields a chart with zero lint findings (with each
//! of its values files, with and without the monitoring API), that passes `helm lint
//! --strict` with real Helm 3 and Helm 4, and renders exactly like `helm4 template`; the
//! generated files are snapshotted; bad input exits 2 without writing anything.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use opm::scaffold::{generate, CreateOptions, Scope};

fn crd_fixture(name: &str) -> PathBuf {
    support::repo_root().join("testdata/create").join(name)
}

fn opm() -> Command {
    Command::new(support::opm_bin())
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// One `opm create` flag combination.
#[derive(Debug, Clone)]
struct Combo {
    webhooks: bool,
    metrics: bool,
    namespaced: bool,
    crd_dir: bool,
}

impl Combo {
    fn all() -> Vec<Combo> {
        let mut out = Vec::new();
        for bits in 0..16u8 {
            out.push(Combo {
                webhooks: bits & 1 != 0,
                metrics: bits & 2 != 0,
                namespaced: bits & 4 != 0,
                crd_dir: bits & 8 != 0,
            });
        }
        out
    }

    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.webhooks {
            args.push("--webhooks".to_string());
        }
        if self.metrics {
            args.push("--metrics".to_string());
        }
        args.push(
            if self.namespaced {
                "--namespaced"
            } else {
                "--cluster-scoped"
            }
            .to_string(),
        );
        if self.crd_dir {
            args.push("--crd-dir".to_string());
            args.push(crd_fixture("crds").display().to_string());
        }
        args
    }
}

/// Creates the chart for `combo` under `parent`; returns its directory.
fn create(combo: &Combo, parent: &Path) -> PathBuf {
    let out = opm()
        .args(["create", "db-operator", "-o"])
        .arg(parent)
        .args(combo.args())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{combo:?}: {}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("Created {}\n", parent.join("db-operator").display())
    );
    parent.join("db-operator")
}

/// Defaults plus every ci/*.yaml file.
fn value_sets(chart: &Path) -> Vec<Option<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(chart.join("ci"))
        .expect("ci/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "default and prod values: {files:?}");
    let mut sets = vec![None];
    sets.extend(files.into_iter().map(Some));
    sets
}

/// Every check for one combination; returns the problems found.
fn check_combo(combo: &Combo, helm3: &Path, helm4: &Path) -> Vec<String> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let chart = create(combo, tmp.path());
    let mut problems = Vec::new();
    // Our lint, which renders defaults and every ci/*-values.yaml itself.
    for api in [None, Some("monitoring.coreos.com/v1")] {
        let mut cmd = opm();
        cmd.arg("lint")
            .arg(&chart)
            .args(["-n", "ops", "-o", "json", "--fail-on", "info"]);
        if let Some(api) = api {
            cmd.args(["--api-versions", api]);
        }
        let out = cmd.output().expect("lint runs");
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        let findings = report["diagnostics"].as_array().map(Vec::len);
        if out.status.code() != Some(0) || findings != Some(0) {
            problems.push(format!("{combo:?} opm lint (api {api:?}): {}", text(&out)));
        }
    }
    for values in value_sets(&chart) {
        for (name, helm) in [("helm3", helm3), ("helm4", helm4)] {
            let mut cmd = Command::new(helm);
            cmd.arg("lint").arg("--strict").arg(&chart);
            if let Some(v) = &values {
                cmd.arg("-f").arg(v);
            }
            let out = cmd.output().expect("helm runs");
            if !out.status.success() {
                problems.push(format!(
                    "{combo:?} {name} lint --strict {values:?}: {}",
                    text(&out)
                ));
            }
        }
        for api in [None, Some("monitoring.coreos.com/v1")] {
            let run = |mut cmd: Command| {
                cmd.arg("rel")
                    .arg(&chart)
                    .args(["--namespace", "ops", "--kube-version", "1.33.0"]);
                if let Some(v) = &values {
                    cmd.arg("-f").arg(v);
                }
                if let Some(api) = api {
                    cmd.args(["--api-versions", api]);
                }
                cmd.output().expect("runs")
            };
            let mut helm_cmd = Command::new(helm4);
            helm_cmd.arg("template");
            let expected = run(helm_cmd);
            let mut ours = opm();
            ours.arg("render");
            let actual = run(ours);
            if !expected.status.success() || !actual.status.success() {
                problems.push(format!(
                    "{combo:?} render {values:?} {api:?} failed: helm: {} opm: {}",
                    text(&expected),
                    text(&actual)
                ));
            } else if expected.stdout != actual.stdout {
                problems.push(format!(
                    "{combo:?} render {values:?} {api:?} differs from helm4:\n{}",
                    support::short_diff(
                        &String::from_utf8_lossy(&expected.stdout),
                        &String::from_utf8_lossy(&actual.stdout),
                        20
                    )
                ));
            }
        }
    }
    // The README's values table is current.
    let out = opm()
        .arg("values-doc")
        .arg(&chart)
        .arg("--check")
        .arg(chart.join("README.md"))
        .output()
        .expect("runs");
    if out.status.code() != Some(0) {
        problems.push(format!("{combo:?} README table stale: {}", text(&out)));
    }
    problems
}

#[test]
fn every_combination_lints_clean_passes_helm_lint_and_renders_like_helm4() {
    let Some(helm3) = support::require_tool("helm3") else {
        return;
    };
    let Some(helm4) = support::require_tool("helm4") else {
        return;
    };
    let combos = Combo::all();
    assert_eq!(combos.len(), 16);
    let workers = support::parallelism().clamp(1, 4);
    let chunks: Vec<Vec<Combo>> = (0..workers)
        .map(|w| combos.iter().skip(w).step_by(workers).cloned().collect())
        .collect();
    let problems: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let (helm3, helm4) = (&helm3, &helm4);
                scope.spawn(move || {
                    chunk
                        .iter()
                        .flat_map(|c| check_combo(c, helm3, helm4))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn conversion_webhook_crds_are_served_by_the_chart() {
    let Some(helm4) = support::require_tool("helm4") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = opm()
        .args(["create", "gadget-operator", "--webhooks", "--crd-dir"])
        .arg(crd_fixture("conversion-crds"))
        .arg("-o")
        .arg(tmp.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let chart = tmp.path().join("gadget-operator");
    let crd = std::fs::read_to_string(chart.join("templates/crds/gadgets.tools.example.com.yaml"))
        .expect("CRD template");
    assert!(crd.contains("          name: {{ include \"gadget-operator.fullname\" . }}-webhook\n"));
    assert!(!crd.contains("somewhere"), "{crd}");
    let lint = opm()
        .arg("lint")
        .arg(&chart)
        .args(["-n", "ops", "--fail-on", "info"])
        .output()
        .expect("runs");
    assert_eq!(lint.status.code(), Some(0), "{}", text(&lint));
    let helm = Command::new(helm4)
        .args(["lint", "--strict"])
        .arg(&chart)
        .output()
        .expect("runs");
    assert!(helm.status.success(), "{}", text(&helm));
}

fn snapshot_options() -> CreateOptions {
    CreateOptions {
        webhooks: true,
        metrics: true,
        scope: Scope::Cluster,
        app_version: "1.2.0".to_string(),
        ..CreateOptions::new("widget-operator")
    }
}

#[test]
fn generated_chart_files_snapshot() {
    let chart = generate(&snapshot_options()).expect("generates");
    let list: Vec<&str> = chart.files.iter().map(|f| f.path.as_str()).collect();
    insta::assert_snapshot!("file_list", list.join("\n"));
    for path in [
        "Chart.yaml",
        "values.yaml",
        "README.md",
        "values.schema.json",
        "templates/rbac.yaml",
        "templates/webhook.yaml",
        "templates/deployment.yaml",
        "templates/crds/widgets.widget-operator.example.com.yaml",
    ] {
        let name = path.replace(['/', '.'], "_");
        insta::assert_snapshot!(name, chart.file(path).expect(path));
    }
}

#[test]
fn namespaced_rbac_from_crd_dir_snapshot() {
    let opts = CreateOptions {
        scope: Scope::Namespaced,
        crd_dir: Some(crd_fixture("crds")),
        ..CreateOptions::new("db-operator")
    };
    let chart = generate(&opts).expect("generates");
    insta::assert_snapshot!(
        "namespaced_rbac",
        chart.file("templates/rbac.yaml").expect("rbac")
    );
    let list: Vec<&str> = chart.files.iter().map(|f| f.path.as_str()).collect();
    assert!(list.contains(&"templates/crds/snapshots.storage.example.net.yaml"));
    assert!(!list.contains(&"templates/webhook.yaml"));
    assert!(!list.contains(&"templates/servicemonitor.yaml"));
}

#[test]
fn sample_kind_and_group_follow_the_name_and_flags() {
    let opts = CreateOptions {
        group: Some("apps.acme.io".to_string()),
        ..CreateOptions::new("db-backup-operator")
    };
    let chart = generate(&opts).expect("generates");
    let crd = chart
        .file("templates/crds/dbbackups.apps.acme.io.yaml")
        .expect("sample CRD named plural.group");
    assert!(crd.contains("    kind: DbBackup\n"), "{crd}");
    assert!(crd.contains("  group: apps.acme.io\n"), "{crd}");
}

/// Runs `opm create ARGS -o <tmp>` and returns (exit code, stderr, tmp dir).
fn create_fails(args: &[&str]) -> (Option<i32>, String, tempfile::TempDir) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = opm()
        .arg("create")
        .args(args)
        .arg("-o")
        .arg(tmp.path())
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        tmp,
    )
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let fixture = |name: &str| crd_fixture(name).display().to_string();
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["Bad_Name".into()],
            "Error: invalid chart name \"Bad_Name\": only lowercase letters, digits and '-' are allowed (a DNS-1123 label)\n".into(),
        ),
        (
            vec!["9lives".into()],
            "Error: invalid chart name \"9lives\": it must start with a lowercase letter\n".into(),
        ),
        (
            vec!["x".into(), "--group".into(), "nodot".into()],
            "Error: invalid API group \"nodot\": a custom resource group needs at least one dot, like example.com\n".into(),
        ),
        (
            vec!["x".into(), "--version".into(), "1.0".into()],
            "Error: invalid --version \"1.0\": the chart version must be SemVer 2, like 0.1.0\n".into(),
        ),
        (
            vec!["x".into(), "--crd-dir".into(), fixture("not-a-crd")],
            format!(
                "Error: {}:19: a ConfigMap, not a CustomResourceDefinition; --crd-dir must hold only CRDs\n",
                crd_fixture("not-a-crd/objects.yaml").display()
            ),
        ),
        (
            vec!["x".into(), "--crd-dir".into(), fixture("broken-yaml")],
            format!(
                "Error: {}:5: did not find expected ',' or ']'\n",
                crd_fixture("broken-yaml/crd.yaml").display()
            ),
        ),
        (
            vec!["x".into(), "--crd-dir".into(), fixture("empty")],
            format!(
                "Error: {}: no CustomResourceDefinition found in its .yaml, .yml or .json files\n",
                fixture("empty")
            ),
        ),
        (
            vec!["x".into(), "--crd-dir".into(), fixture("does-not-exist")],
            format!(
                "Error: {}: cannot read: No such file or directory (os error 2)\n",
                fixture("does-not-exist")
            ),
        ),
        (
            vec!["x".into(), "--namespaced".into(), "--crd-dir".into(), fixture("cluster-crds")],
            "Error: clusterbackuppolicies.db.example.org is cluster-scoped: an operator that watches only its namespace (--namespaced) cannot reconcile it with a Role; use --cluster-scoped\n".into(),
        ),
        (
            vec!["x".into(), "--crd-dir".into(), fixture("conversion-crds")],
            "Error: gadgets.tools.example.com converts between versions with a webhook; scaffold with --webhooks so the chart serves it\n".into(),
        ),
        (
            vec!["x".into(), "--crd-dir".into(), fixture("crds"), "--group".into(), "a.b".into()],
            "Error: invalid --group \"a.b\": --group names the sample CRD's group; with --crd-dir the groups come from the CRDs\n".into(),
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stderr, tmp) = create_fails(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr, expected, "{args:?}");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).expect("tmp").collect();
        assert!(left.is_empty(), "{args:?} wrote {left:?}");
    }
}

#[test]
fn existing_directory_is_refused_without_force_and_replaced_with_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let chart = tmp.path().join("my-operator");
    std::fs::create_dir_all(&chart).expect("mkdir");
    std::fs::write(chart.join("stale.txt"), "old").expect("write");
    let out = opm()
        .args(["create", "my-operator", "-o"])
        .arg(tmp.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "Error: {} already exists; choose another name or --output-dir, or pass --force to replace it\n",
            chart.display()
        )
    );
    assert!(chart.join("stale.txt").is_file(), "left untouched");
    let out = opm()
        .args(["create", "my-operator", "--force", "-o"])
        .arg(tmp.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!chart.join("stale.txt").exists(), "replaced as a whole");
    assert!(chart.join("Chart.yaml").is_file());
    // No staging or backup directories are left behind.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("tmp")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(names, vec!["my-operator".to_string()]);
}

#[test]
fn output_dir_is_created_and_chart_version_flags_apply() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let parent = tmp.path().join("charts/nested");
    let out = opm()
        .args([
            "create",
            "my-operator",
            "--version",
            "1.4.0",
            "--app-version",
            "v2.0.1",
            "-o",
        ])
        .arg(&parent)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let meta = std::fs::read_to_string(parent.join("my-operator/Chart.yaml")).expect("Chart.yaml");
    assert!(meta.contains("\nversion: 1.4.0\n"), "{meta}");
    assert!(meta.contains("\nappVersion: \"v2.0.1\"\n"), "{meta}");
}

#[test]
fn every_values_toggle_renders_like_helm4() {
    let Some(helm4) = support::require_tool("helm4") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let combo = Combo {
        webhooks: true,
        metrics: true,
        namespaced: false,
        crd_dir: true,
    };
    let chart = create(&combo, tmp.path());
    let mut problems = Vec::new();
    for set in [
        "crds.install=false",
        "crds.keep=false",
        "webhook.enabled=false",
        "metrics.enabled=false",
        "metrics.serviceMonitor.enabled=false",
        "metrics.prometheusRule.enabled=false",
        "networkPolicy.enabled=false",
        "serviceAccount.create=false",
        "rbac.create=false",
        "podDisruptionBudget.enabled=false",
        "replicaCount=1",
        "leaderElection.enabled=false",
    ] {
        let run = |program: &Path, sub: &str| {
            Command::new(program)
                .arg(sub)
                .arg("rel")
                .arg(&chart)
                .args([
                    "-n",
                    "ops",
                    "--set",
                    set,
                    "--api-versions",
                    "monitoring.coreos.com/v1",
                ])
                .output()
                .expect("runs")
        };
        let expected = run(&helm4, "template");
        let actual = run(&support::opm_bin(), "render");
        if !expected.status.success() || expected.stdout != actual.stdout {
            problems.push(format!(
                "--set {set}: {}\n{}",
                text(&expected),
                support::short_diff(
                    &String::from_utf8_lossy(&expected.stdout),
                    &String::from_utf8_lossy(&actual.stdout),
                    20
                )
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
