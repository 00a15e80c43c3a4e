//! The live-cluster commands end to end, through the binary, against the in-process fake
//! API server: `status` (one cluster and a fleet of 50), `crd diff cluster:` with
//! `--check-instances`, `diff upgrade`, `render --cluster`, and the failures (unreachable,
//! unknown context, forbidden → exit 3; transient 500/429 retried).
//!
//! Helm releases are written with the release codec (`opm::cluster::encode_release`) from
//! our own render of the test chart, the way Helm stores them; one test installs with the
//! real helm 4 binary when it is there.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use base64::Engine;
use serde_json::{json, Value};
use support::fakeapi::{FakeCluster, FakeFleet, Fault, FaultAction};

const NS: &str = "ops";

fn testdata() -> PathBuf {
    support::repo_root().join("testdata/live")
}

/// A kubeconfig file (in a temporary directory) for `contexts`.
struct Kubeconfig {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn kubeconfig(contexts: &[(&str, &FakeCluster)]) -> Kubeconfig {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    support::fakeapi::write_kubeconfig(contexts, &path).unwrap();
    Kubeconfig { _dir: dir, path }
}

/// The binary with a clean environment: only the given kubeconfig.
fn opm(kc: &Path) -> Command {
    let mut cmd = Command::new(support::opm_bin());
    cmd.current_dir(support::repo_root())
        .env("KUBECONFIG", kc)
        .env_remove("HELM_NAMESPACE")
        .env_remove("HELM_KUBECONTEXT")
        .env_remove("HELM_DRIVER")
        .env("NO_COLOR", "1");
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn yaml_docs(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    opm::yaml::load_all(&text, "test")
        .unwrap()
        .iter()
        .filter(|v| !v.is_nil())
        .map(|v| serde_json::from_str(&opm::yaml::to_json(v).unwrap()).unwrap())
        .collect()
}

/// Render `chart` as Helm would for revision `revision` and store it as Helm's release
/// Secret `sh.helm.release.v1.<name>.v<revision>`.
fn seed_release(
    cluster: &FakeCluster,
    name: &str,
    chart: &Path,
    revision: u64,
    status: &str,
    annotations: Value,
) {
    let req = opm::render::command::RenderRequest {
        release_name: name.to_string(),
        chart: chart.to_path_buf(),
        namespace: NS.to_string(),
        is_upgrade: revision > 1,
        ..Default::default()
    };
    let (loaded, result) = opm::render::command::render(&req).unwrap();
    let mut manifest = String::new();
    for m in &result.sorted.manifests {
        opm::render::output::write_document(&mut manifest, &m.source, &m.content);
    }
    let hooks: Vec<Value> = result
        .sorted
        .hooks
        .iter()
        .map(|h| {
            json!({"name": h.name, "kind": h.kind, "path": h.source,
                   "manifest": h.content, "events": h.hook_events})
        })
        .collect();
    let files: Vec<Value> = loaded
        .files
        .iter()
        .map(|f| {
            json!({"name": f.name,
                   "data": base64::engine::general_purpose::STANDARD.encode(f.data.as_slice())})
        })
        .collect();
    let meta = &loaded.metadata;
    let record = json!({
        "name": name,
        "namespace": NS,
        "version": revision,
        "info": {
            "first_deployed": "2026-01-01T10:00:00Z",
            "last_deployed": format!("2026-01-0{revision}T10:00:00Z"),
            "deleted": "",
            "description": if revision == 1 { "Install complete" } else { "Upgrade complete" },
            "status": status,
        },
        "chart": {
            "metadata": {"name": meta.name, "version": meta.version,
                         "appVersion": meta.app_version, "apiVersion": "v2"},
            "files": files,
            "templates": [],
            "values": {},
        },
        "config": {},
        "manifest": manifest,
        "hooks": hooks,
    });
    let release: opm::cluster::Release = serde_json::from_value(record).unwrap();
    let encoded = opm::cluster::encode_release(&release).unwrap();
    cluster.apply(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": format!("sh.helm.release.v1.{name}.v{revision}"),
            "namespace": NS,
            "labels": {"name": name, "owner": "helm", "status": status,
                       "version": revision.to_string()},
            "annotations": annotations,
        },
        "data": {"release": base64::engine::general_purpose::STANDARD.encode(encoded)},
    }));
}

/// The live state a gizmo release leaves: its CRD (v1alpha1 still stored), the controller
/// Deployment with two pods (one ready), the webhook's EndpointSlice, stored Gizmos and the
/// rollout state ConfigMap.
fn seed_live_state(cluster: &FakeCluster) {
    for doc in yaml_docs(&testdata().join("crd-live.yaml")) {
        cluster.apply(doc);
    }
    cluster.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}));
    cluster.apply(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "gizmo", "namespace": NS},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "gizmo"}},
                 "template": {"metadata": {"labels": {"app": "gizmo"}},
                              "spec": {"containers": [{"name": "controller", "image": "x"}]}}},
        "status": {"replicas": 2, "readyReplicas": 1},
    }));
    for (pod, ready, restarts) in [("gizmo-a", true, 0), ("gizmo-b", false, 3)] {
        cluster.apply(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod, "namespace": NS, "labels": {"app": "gizmo"}},
            "spec": {"containers": [{"name": "controller", "image": "x"}]},
            "status": {"phase": "Running",
                       "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
                       "containerStatuses": [{"name": "controller", "ready": ready, "restartCount": restarts}]},
        }));
    }
    // A pod of something else must not be counted.
    cluster.apply(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "other", "namespace": NS, "labels": {"app": "other"}},
        "spec": {"containers": [{"name": "c", "image": "x"}]},
        "status": {"phase": "Running"},
    }));
    cluster.apply(json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "gizmo-webhook-abc", "namespace": NS,
                     "labels": {"kubernetes.io/service-name": "gizmo-webhook"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.0.0.7"], "conditions": {"ready": true}},
                      {"addresses": ["10.0.0.8"], "conditions": {"ready": false}}],
    }));
    cluster.apply(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "gizmo-opm-rollout", "namespace": NS},
        "data": {"state": "{\"phase\":\"canary\",\"stage\":1,\"clusters\":{}}"},
    }));
    for doc in yaml_docs(&testdata().join("gizmos.yaml")) {
        cluster.apply(doc);
    }
}

/// A cluster with gizmo installed (revision 1 superseded, 2 deployed) and its live state.
fn gizmo_cluster() -> FakeCluster {
    let cluster = FakeCluster::builder().namespace(NS).build();
    seed_live_state(&cluster);
    let chart = testdata().join("gizmo-1");
    seed_release(&cluster, "gizmo", &chart, 1, "superseded", json!({}));
    seed_release(
        &cluster,
        "gizmo",
        &chart,
        2,
        "deployed",
        json!({"kubectl-opm/phase": "canary", "kubectl-opm/rollout-id": "r-42", "other": "x"}),
    );
    cluster
}

// ---------------------------------------------------------------------------------------
// status

#[test]
fn status_lists_releases_like_helm_list() {
    let cluster = gizmo_cluster();
    let kc = kubeconfig(&[("prod", &cluster)]);
    let (code, out, err) = run(opm(&kc.path).args(["status"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "CONTEXT  NAME   NAMESPACE  REVISION  UPDATED               STATUS    CHART        APP VERSION\n\
         prod     gizmo  ops        2         2026-01-02T10:00:00Z  deployed  gizmo-1.0.0  1.0.0\n"
    );
    // Another namespace is listed with -A only.
    cluster.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "infra"}}));
    let (code, out, _) = run(opm(&kc.path).args(["status", "-n", "infra"]));
    assert_eq!((code, out.lines().count()), (0, 1), "{out}");
}

#[test]
fn status_of_one_release() {
    let cluster = gizmo_cluster();
    let kc = kubeconfig(&[("prod", &cluster)]);
    let (code, out, err) = run(opm(&kc.path).args(["status", "gizmo"]));
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("status_text", out);
    let (code, out, _) = run(opm(&kc.path).args(["status", "gizmo", "-o", "wide"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("      gizmo-b Running 0/1 ready, 3 restart(s)\n"),
        "{out}"
    );
    let (code, out, _) = run(opm(&kc.path).args(["status", "gizmo", "-o", "json"]));
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let details = &v["contexts"][0]["releases"][0]["details"];
    assert_eq!(
        details["crds"][0]["storedVersions"],
        json!(["v1alpha1", "v1"])
    );
    assert_eq!(details["workloads"][0]["ready"], 1);
    assert_eq!(details["workloads"][0]["podsTotal"], 2);
    assert_eq!(details["workloads"][0]["restarts"], 3);
    assert_eq!(details["webhooks"][0]["readyEndpoints"], 1);
    assert_eq!(
        details["rolloutAnnotations"],
        json!({"kubectl-opm/phase": "canary", "kubectl-opm/rollout-id": "r-42"})
    );
    assert_eq!(
        details["rolloutState"],
        json!({"phase": "canary", "stage": "1"})
    );
    let (code, out, _) = run(opm(&kc.path).args(["status", "gizmo", "-o", "yaml"]));
    assert_eq!(code, 0);
    assert!(out.contains("storedVersions:\n"), "{out}");
}

#[test]
fn status_compares_crds_with_a_given_chart() {
    let cluster = gizmo_cluster();
    let kc = kubeconfig(&[("prod", &cluster)]);
    let chart = testdata().join("gizmo-2");
    let (code, out, err) = run(opm(&kc.path)
        .args(["status", "gizmo", "--chart"])
        .arg(&chart));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("    ahead    gizmos.example.com: chart v1 · cluster v1alpha1,v1 (storage v1, stored v1alpha1,v1)\n"),
        "{out}"
    );
}

#[test]
fn status_of_a_missing_release_exits_2() {
    let cluster = gizmo_cluster();
    let kc = kubeconfig(&[("prod", &cluster)]);
    let (code, out, err) = run(opm(&kc.path).args(["status", "nope"]));
    assert_eq!(code, 2);
    assert_eq!(out, "CONTEXT: prod\n  release not installed here\n");
    assert_eq!(
        err,
        "Error: release \"nope\" not found in the cluster (looked in namespace the context's default of prod)\n"
    );
}

#[test]
fn status_over_50_clusters_concurrently() {
    let fleet = FakeFleet::start(50);
    for (_, c) in &fleet.clusters {
        seed_release(
            c,
            "gizmo",
            &testdata().join("gizmo-1"),
            1,
            "deployed",
            json!({}),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    fleet.write_kubeconfig(&kc).unwrap();
    let started = Instant::now();
    let (code, out, err) = run(opm(&kc).args([
        "status",
        "--all-contexts",
        "--parallel",
        "16",
        "-A",
        "-o",
        "json",
    ]));
    let elapsed = started.elapsed();
    eprintln!("status over 50 fake clusters (--parallel 16): {elapsed:.2?}");
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let contexts = v["contexts"].as_array().unwrap();
    assert_eq!(contexts.len(), 50);
    for (i, c) in contexts.iter().enumerate() {
        // In the order given, whatever order they answered in.
        assert_eq!(c["context"], format!("cluster-{i}"));
        assert_eq!(c["releases"][0]["name"], "gizmo");
    }
    // One detailed status per cluster, too.
    let started = Instant::now();
    let (code, out, _) = run(opm(&kc).args([
        "status",
        "gizmo",
        "--all-contexts",
        "--parallel",
        "16",
        "-n",
        NS,
    ]));
    eprintln!(
        "status gizmo over 50 fake clusters (--parallel 16): {:.2?}",
        started.elapsed()
    );
    assert_eq!(code, 0);
    assert_eq!(out.matches("RELEASE:   gizmo (namespace ops)").count(), 50);
}

#[test]
fn a_context_that_fails_is_shown_and_exits_3() {
    let good = gizmo_cluster();
    let bad = FakeCluster::start();
    let kc = kubeconfig(&[("good", &good), ("bad", &bad)]);
    bad.set_unreachable(true);
    let (code, out, _) = run(opm(&kc.path).args([
        "status",
        "--context",
        "good,bad",
        "-n",
        NS,
        "--request-timeout",
        "2s",
    ]));
    assert_eq!(code, 3);
    assert!(out.contains("\ngood     gizmo  ops "), "{out}");
    let error_line = out.lines().find(|l| l.starts_with("Error: ")).unwrap();
    assert!(
        error_line.starts_with("Error: context \"bad\": cannot "),
        "{error_line}"
    );
    assert!(error_line.contains("unreachable"), "{error_line}");
}

#[test]
fn unknown_context_exits_3_and_names_the_known_ones() {
    let cluster = gizmo_cluster();
    let kc = kubeconfig(&[("prod", &cluster)]);
    let (code, out, err) = run(opm(&kc.path).args(["status", "--context", "staging"]));
    assert_eq!((code, out.as_str()), (3, ""));
    assert!(err.contains("staging"), "{err}");
    assert!(err.contains("prod"), "{err}");
}

#[test]
fn forbidden_exits_3_with_the_servers_message() {
    let cluster = gizmo_cluster();
    cluster.forbid("list", "", "secrets", Some(NS));
    let kc = kubeconfig(&[("prod", &cluster)]);
    let (code, out, _) = run(opm(&kc.path).args(["status"]));
    assert_eq!(code, 3);
    assert!(out.contains("forbidden"), "{out}");
    assert!(out.contains("cannot list resource \"secrets\""), "{out}");
}

#[test]
fn transient_errors_are_retried() {
    let cluster = gizmo_cluster();
    cluster.faults().add(Fault {
        times: 2,
        ..Fault::new("/secrets", FaultAction::Status(500))
    });
    cluster.faults().add(Fault::new(
        "/secrets",
        FaultAction::TooManyRequests {
            retry_after_secs: 1,
        },
    ));
    let kc = kubeconfig(&[("prod", &cluster)]);
    let (code, out, err) = run(opm(&kc.path).args(["status"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("gizmo-1.0.0"), "{out}");
    let secret_lists = cluster
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/secrets"))
        .count();
    assert_eq!(secret_lists, 4, "3 failures, then the answer");
}

// ---------------------------------------------------------------------------------------
// crd diff cluster:

#[test]
fn crd_diff_against_the_cluster_with_stored_objects() {
    let cluster = gizmo_cluster();
    let kc = kubeconfig(&[("prod", &cluster)]);
    let new = testdata().join("crd-new.yaml");
    let (code, out, err) = run(opm(&kc.path)
        .args(["crd", "diff", "cluster:", "--check-instances", "--explain"])
        .arg(&new));
    assert_eq!(code, 1, "{err}");
    let out = out.replace(&new.display().to_string(), "NEW");
    insta::assert_snapshot!("crd_diff_cluster_text", out);

    let (code, out, _) = run(opm(&kc.path)
        .args([
            "crd",
            "diff",
            "cluster:prod",
            "--check-instances",
            "-o",
            "json",
        ])
        .arg(&new));
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    let rejected: Vec<(String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "crd-instance-rejected")
        .map(|d| {
            (
                format!(
                    "{}/{}",
                    d["object"]["namespace"].as_str().unwrap(),
                    d["object"]["name"].as_str().unwrap()
                ),
                d["field"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        vec![
            ("team-b/huge".to_string(), "spec.size".to_string()),
            ("team-b/odd".to_string(), "spec.mode".to_string()),
            ("team-b/odd".to_string(), "spec".to_string()),
        ]
    );
    // The objects were listed page by page, across all namespaces.
    assert!(cluster
        .requests()
        .iter()
        .any(|r| r.path == "/apis/example.com/v1/gizmos" && r.param("limit").is_some()));
}

#[test]
fn crd_diff_with_a_chart_as_the_new_side() {
    let cluster = gizmo_cluster();
    let kc = kubeconfig(&[("prod", &cluster)]);
    let (code, out, err) = run(opm(&kc.path)
        .args(["crd", "diff", "cluster:", "--check-instances", "-o", "json"])
        .arg(testdata().join("gizmo-2")));
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out.matches("\"rule\": \"crd-instance-rejected\"").count(),
        3,
        "{out}"
    );
}

#[test]
fn crd_diff_with_the_cluster_as_the_new_side() {
    let cluster = gizmo_cluster();
    let kc = kubeconfig(&[("prod", &cluster)]);
    let (code, out, err) =
        run(opm(&kc.path).args(["crd", "diff", "testdata/live/crd-live.yaml", "cluster:"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "no problems found in testdata/live/crd-live.yaml → cluster:prod\n0 breaking change(s)\n"
    );
}

#[test]
fn crd_diff_cluster_bad_inputs() {
    let cluster = gizmo_cluster();
    let kc = kubeconfig(&[("prod", &cluster)]);
    let new = testdata().join("crd-new.yaml");
    let (code, _, err) = run(opm(&kc.path).args(["crd", "diff", "cluster:", "cluster:prod"]));
    assert_eq!(code, 2);
    assert!(err.contains("only one side can be cluster:"), "{err}");
    let (code, _, err) = run(opm(&kc.path)
        .args(["crd", "diff", "--check-instances"])
        .arg(&new)
        .arg("cluster:"));
    assert_eq!(code, 2);
    assert!(err.contains("put cluster: on the OLD side"), "{err}");
    let (code, _, err) = run(opm(&kc.path)
        .args(["crd", "diff", "--check-instances"])
        .arg(&new)
        .arg(&new));
    assert_eq!(code, 2);
    assert!(
        err.contains("--check-instances needs a cluster: side"),
        "{err}"
    );
    let (code, _, err) = run(opm(&kc.path)
        .args(["crd", "diff", "cluster:nowhere"])
        .arg(&new));
    assert_eq!(code, 3);
    assert!(err.contains("nowhere"), "{err}");
}

// ---------------------------------------------------------------------------------------
// diff upgrade

fn settings_configmap(cluster: &FakeCluster) {
    cluster.apply(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "gizmo-settings", "namespace": NS},
        "data": {"mode": "turbo"},
    }));
}

#[test]
fn diff_upgrade_shows_what_helm_upgrade_would_change() {
    let cluster = gizmo_cluster();
    settings_configmap(&cluster);
    let kc = kubeconfig(&[("prod", &cluster)]);
    let chart = testdata().join("gizmo-2");
    let (code, out, err) = run(opm(&kc.path)
        .args(["diff", "upgrade", "gizmo"])
        .arg(&chart)
        .args(["-C", "1", "--detailed-exitcode"]));
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!("diff_upgrade_text", out);
    for secret in ["czNjcmV0", "bjN3LXMzY3JldA", "s3cret"] {
        assert!(!out.contains(secret), "a Secret value was printed");
    }

    let (code, out, _) = run(opm(&kc.path)
        .args(["diff", "upgrade", "gizmo"])
        .arg(&chart)
        .args(["-o", "json"]));
    assert_eq!(code, 0, "without --detailed-exitcode changes exit 0");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["summary"],
        json!({"added": 1, "changed": 4, "removed": 0})
    );
    let deployment = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "Deployment")
        .unwrap();
    assert_eq!(
        deployment["fields"],
        json!([{"path": "spec.template.spec.containers[0].image",
                "old": "example.com/gizmo-controller:1.0.0",
                "new": "example.com/gizmo-controller:1.1.0"}])
    );

    // --no-hooks and --suppress leave objects out.
    let (_, out, _) = run(opm(&kc.path)
        .args(["diff", "upgrade", "gizmo"])
        .arg(&chart)
        .args([
            "--no-hooks",
            "--suppress",
            "Secret",
            "--suppress",
            "ConfigMap",
            "-o",
            "json",
        ]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["summary"],
        json!({"added": 1, "changed": 1, "removed": 0})
    );
}

#[test]
fn diff_upgrade_values_rules() {
    let cluster = gizmo_cluster();
    let kc = kubeconfig(&[("prod", &cluster)]);
    let chart = testdata().join("gizmo-1");
    let (code, out, err) = run(opm(&kc.path)
        .args(["diff", "upgrade", "gizmo"])
        .arg(&chart)
        .args([
            "--set",
            "replicas=5",
            "--no-hooks",
            "--suppress",
            "ConfigMap",
            "-C",
            "0",
        ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "ops, gizmo, Deployment (apps) has changed:\n  # Source: gizmo/templates/deployment.yaml\n-   replicas: 2\n+   replicas: 5\n\n0 to add, 1 to change, 0 to remove.\n"
    );
}

#[test]
fn diff_upgrade_bad_inputs() {
    let cluster = gizmo_cluster();
    let kc = kubeconfig(&[("prod", &cluster)]);
    let chart = testdata().join("gizmo-2");
    let (code, _, err) = run(opm(&kc.path).args(["diff", "upgrade", "nope"]).arg(&chart));
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "Error: release \"nope\" has no deployed revision in namespace ops of context \"prod\" (use --allow-unreleased to diff a first install)\n"
    );
    let (code, out, _) = run(opm(&kc.path)
        .args([
            "diff",
            "upgrade",
            "nope",
            "--allow-unreleased",
            "-o",
            "json",
        ])
        .arg(&chart));
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["removed"], 0);
    assert_eq!(v["summary"]["changed"], 0);
    let (code, _, err) = run(opm(&kc.path).args(["diff", "upgrade", "gizmo", "/no/such/chart"]));
    assert_eq!(code, 2, "{err}");
    cluster.set_unreachable(true);
    let (code, _, err) = run(opm(&kc.path)
        .args(["diff", "upgrade", "gizmo", "--request-timeout", "2s"])
        .arg(&chart));
    assert_eq!(code, 3);
    assert!(err.contains("unreachable"), "{err}");
}

// ---------------------------------------------------------------------------------------
// render --cluster

#[test]
fn render_with_the_cluster_answering_lookup_and_capabilities() {
    let cluster = FakeCluster::builder()
        .namespace(NS)
        .kube_version("v1.33.4")
        .build();
    seed_live_state(&cluster);
    settings_configmap(&cluster);
    let kc = kubeconfig(&[("prod", &cluster)]);
    let (code, out, err) = run(opm(&kc.path)
        .args(["render", "gizmo"])
        .arg(testdata().join("gizmo-1"))
        .args([
            "-n",
            NS,
            "--cluster",
            "--show-only",
            "templates/configmap.yaml",
        ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "---\n# Source: gizmo/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gizmo-config\ndata:\n  revision: \"1\"\n  upgrade: \"false\"\n  existingMode: \"turbo\"\n  listKind: \"ConfigMapList\"\n  configMapsInNamespace: \"2\"\n  hasGizmoV1: \"true\"\n  kubeVersion: \"v1.33.4\"\n"
    );
    // Offline, lookup finds nothing and the capabilities are Helm's defaults.
    let (code, out, _) = run(opm(&kc.path)
        .args(["render", "gizmo"])
        .arg(testdata().join("gizmo-1"))
        .args(["-n", NS, "--show-only", "templates/configmap.yaml"]));
    assert_eq!(code, 0);
    assert!(out.contains("existingMode: \"none\"") && out.contains("kubeVersion: \"v1.35.0\""));
    cluster.set_unreachable(true);
    let (code, _, err) = run(opm(&kc.path)
        .args(["render", "gizmo"])
        .arg(testdata().join("gizmo-1"))
        .args(["--cluster", "--request-timeout", "2s"]));
    assert_eq!(code, 3, "{err}");
}

// ---------------------------------------------------------------------------------------
// real helm

#[test]
fn status_of_a_release_installed_by_real_helm() {
    let Some(helm) = support::require_tool("helm3") else {
        return;
    };
    let cluster = FakeCluster::builder().namespace(NS).build();
    cluster.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}));
    let kc = kubeconfig(&[("prod", &cluster)]);
    let out = Command::new(&helm)
        .env("KUBECONFIG", &kc.path)
        .args(["install", "gizmo"])
        .arg(testdata().join("gizmo-1"))
        .args(["-n", NS])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "helm install: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, out, err) = run(opm(&kc.path).args(["status"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("gizmo  ops        1"), "{out}");
    assert!(out.contains("deployed  gizmo-1.0.0  1.0.0"), "{out}");
    let (code, out, err) = run(opm(&kc.path)
        .args(["diff", "upgrade", "gizmo"])
        .arg(testdata().join("gizmo-2"))
        .args(["-o", "json"]));
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["added"], 1, "{out}");
}
