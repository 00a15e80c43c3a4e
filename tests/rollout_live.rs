//! The rollout's live backend against fake API servers, with the real helm 3 and helm 4
//! doing the installs: the rollout-id label stamped by `helm upgrade --labels` and read
//! back, rollback, helm failures, the Lease lock and `--take-over`, the state record with
//! two concurrent writers, the CRD gates (upgrade and rollback), the Blue-Green switch
//! (webhooks and controller scaling), and the connect-time errors (unreachable or unknown
//! context, missing helm).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use opm::cluster::RetryPolicy;
use opm::rollout::backend::{Backend, BackendError, LockRequest, Revision, UpgradeRequest};
use opm::rollout::helm::HelmLookup;
use opm::rollout::live::{ConnectError, LiveBackend, LiveOptions};
use opm::rollout::plan::{parse_plan, Plan, PlanOptions, StrategyKind};
use opm::rollout::state::{Approval, Phase, RolloutState};
use serde_json::{json, Value};
use support::fakeapi::{write_kubeconfig, FakeCluster};

const RELEASE: &str = "widget-op";
const NS: &str = "ops";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        max_elapsed: Duration::from_secs(5),
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
    }
}

/// A CRD for `widgets.example.com` serving `versions` (name, served, storage).
fn widget_crd(versions: &[(&str, bool, bool)]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|(name, served, storage)| {
            json!({"name": name, "served": served, "storage": storage,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}})
        })
        .collect();
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "versions": vs,
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"}}})
}

/// Where a test chart keeps its CRD.
#[derive(Clone, Copy, PartialEq)]
enum CrdPlace {
    CrdsDir,
    Template,
}

/// The test operator chart: a controller Deployment labelled with the release, a CRD (in
/// `crds/` or templated) and a template that fails when `.Values.fail` is set.
fn write_chart(dir: &Path, version: &str, crd: &[(&str, bool, bool)], place: CrdPlace) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::create_dir_all(dir.join("crds")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        format!("apiVersion: v2\nname: widget-operator\nversion: {version}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), "replicas: 1\nfail: false\n").unwrap();
    std::fs::write(
        dir.join("templates/deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-controller\n  labels:\n    app.kubernetes.io/instance: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels:\n      app.kubernetes.io/instance: {{ .Release.Name }}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/instance: {{ .Release.Name }}\n    spec:\n      containers:\n        - name: manager\n          image: example.com/widget-operator:{{ .Chart.Version }}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("templates/fail.yaml"),
        "{{- if .Values.fail }}{{ fail \"deliberate failure: the values ask for it\" }}{{- end }}\n",
    )
    .unwrap();
    let crd_text = serde_json::to_string_pretty(&widget_crd(crd)).unwrap();
    match place {
        CrdPlace::CrdsDir => std::fs::write(dir.join("crds/widgets.yaml"), crd_text).unwrap(),
        CrdPlace::Template => std::fs::write(dir.join("templates/crd.yaml"), crd_text).unwrap(),
    }
}

fn plan(dir: &Path, contexts: &[&str]) -> Plan {
    let mut text = format!(
        "release: {RELEASE}\nnamespace: {NS}\nchart: ./chart\nstrategy: Rolling\nclusters:\n"
    );
    for c in contexts {
        text.push_str(&format!("  - context: {c}\n    environment: dev\n"));
    }
    parse_plan(&text, "opm-rollout.yaml", dir, &PlanOptions::default()).unwrap()
}

/// A test setup: a temp dir with the chart and the kubeconfig, the plan, and the options.
struct Setup {
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    plan: Plan,
}

impl Setup {
    fn new(clusters: &[(&str, &FakeCluster)], place: CrdPlace) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        write_kubeconfig(clusters, &kubeconfig).unwrap();
        write_chart(
            &dir.path().join("chart"),
            "1.0.0",
            &[("v1", true, true)],
            place,
        );
        let names: Vec<&str> = clusters.iter().map(|(n, _)| *n).collect();
        let plan = plan(dir.path(), &names);
        Setup {
            dir,
            kubeconfig,
            plan,
        }
    }

    fn chart(&self) -> PathBuf {
        self.dir.path().join("chart")
    }

    /// Options without helm (state, lock, CRD and switch tests).
    fn options(&self) -> LiveOptions {
        LiveOptions {
            kubeconfig: Some(self.kubeconfig.clone()),
            retry: Some(fast()),
            require_helm: false,
            helm: HelmLookup {
                helm_bin_env: None,
                flag: Some(self.dir.path().join("no-helm-here")),
                path_env: None,
            },
            ..LiveOptions::default()
        }
    }

    /// Options with a real helm, kept away from the user's helm settings.
    fn helm_options(&self, helm: &Path) -> LiveOptions {
        let home = self.dir.path();
        LiveOptions {
            require_helm: true,
            helm: HelmLookup {
                helm_bin_env: None,
                flag: Some(helm.to_path_buf()),
                path_env: None,
            },
            helm_env: vec![
                ("HOME".into(), home.into()),
                ("HELM_CONFIG_HOME".into(), home.join("helm-config").into()),
                ("HELM_CACHE_HOME".into(), home.join("helm-cache").into()),
                ("HELM_DATA_HOME".into(), home.join("helm-data").into()),
            ],
            ..self.options()
        }
    }
}

fn upgrade_request(id: &str, values: &[PathBuf]) -> UpgradeRequest {
    UpgradeRequest {
        namespace: NS.to_string(),
        values: values.to_vec(),
        rollout_id: id.to_string(),
    }
}

fn revision(n: u32, status: &str, chart: &str, id: Option<&str>, description: &str) -> Revision {
    Revision {
        revision: n,
        status: status.to_string(),
        chart: chart.to_string(),
        rollout_id: id.map(str::to_string),
        description: description.to_string(),
    }
}

fn upgrade_and_rollback(helm_name: &str) {
    let Some(helm) = support::require_tool(helm_name) else {
        return;
    };
    let fake = FakeCluster::start();
    let setup = Setup::new(&[("dev-1", &fake)], CrdPlace::CrdsDir);
    let rt = rt();
    let backend = rt
        .block_on(LiveBackend::connect(
            &setup.plan,
            &setup.helm_options(&helm),
        ))
        .unwrap();
    rt.block_on(async {
        assert_eq!(backend.current("dev-1", NS).await.unwrap(), None);
        // Nothing to mirror onto yet: a no-op, not an error.
        let marks = BTreeMap::from([("phase".to_string(), "Deploying".to_string())]);
        backend.mirror("dev-1", NS, &marks).await.unwrap();

        let first = backend
            .upgrade("dev-1", &upgrade_request("r-1", &[]))
            .await
            .unwrap();
        assert_eq!(
            first,
            revision(
                1,
                "deployed",
                "widget-operator-1.0.0",
                Some("r-1"),
                "Install complete"
            )
        );
        assert_eq!(backend.current("dev-1", NS).await.unwrap(), Some(first));

        write_chart(
            &setup.chart(),
            "2.0.0",
            &[("v1", true, true)],
            CrdPlace::CrdsDir,
        );
        let second = backend
            .upgrade("dev-1", &upgrade_request("r-2", &[]))
            .await
            .unwrap();
        assert_eq!(
            second,
            revision(
                2,
                "deployed",
                "widget-operator-2.0.0",
                Some("r-2"),
                "Upgrade complete"
            )
        );

        let back = backend.rollback("dev-1", NS, 1).await.unwrap();
        // Helm copies the labels of the revision it goes back to.
        assert_eq!(
            back,
            revision(
                3,
                "deployed",
                "widget-operator-1.0.0",
                Some("r-1"),
                "Rollback to 1"
            )
        );

        backend.mirror("dev-1", NS, &marks).await.unwrap();
    });
    // The release objects as helm wrote them, with our label, and the mirror on the latest.
    let secrets = fake.list("v1", "Secret", NS);
    let latest = secrets
        .iter()
        .find(|s| s["metadata"]["name"] == "sh.helm.release.v1.widget-op.v3")
        .unwrap();
    assert_eq!(
        latest["metadata"]["annotations"]["kubectl-opm/phase"],
        "Deploying"
    );
    let v2 = secrets
        .iter()
        .find(|s| s["metadata"]["name"] == "sh.helm.release.v1.widget-op.v2")
        .unwrap();
    assert_eq!(v2["metadata"]["labels"]["kubectl-opm/rollout-id"], "r-2");
    assert_eq!(v2["metadata"]["labels"]["status"], "superseded");
    let deployment = fake
        .get("apps/v1", "Deployment", NS, "widget-op-controller")
        .unwrap();
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        "example.com/widget-operator:1.0.0"
    );
}

#[test]
fn helm4_upgrade_stamps_rollout_id_and_rollback_returns() {
    upgrade_and_rollback("helm4");
}

#[test]
fn helm3_upgrade_stamps_rollout_id_and_rollback_returns() {
    upgrade_and_rollback("helm3");
}

#[test]
fn helm_failure_is_a_helm_error_with_its_stderr() {
    let Some(helm) = support::require_tool("helm4") else {
        return;
    };
    let fake = FakeCluster::start();
    let setup = Setup::new(&[("dev-1", &fake)], CrdPlace::CrdsDir);
    let values = setup.dir.path().join("fail.yaml");
    std::fs::write(&values, "fail: true\n").unwrap();
    let rt = rt();
    let backend = rt
        .block_on(LiveBackend::connect(
            &setup.plan,
            &setup.helm_options(&helm),
        ))
        .unwrap();
    let err = rt
        .block_on(backend.upgrade("dev-1", &upgrade_request("r-1", &[values])))
        .unwrap_err();
    let BackendError::Helm(text) = &err else {
        panic!("expected a helm error, got {err:?}");
    };
    assert!(
        text.starts_with("helm upgrade failed on context \"dev-1\" (exit code 1): "),
        "{text}"
    );
    assert!(
        text.contains("deliberate failure: the values ask for it"),
        "{text}"
    );
    assert_eq!(rt.block_on(backend.current("dev-1", NS)).unwrap(), None);
}

#[test]
fn lock_held_by_another_runner_and_take_over() {
    let fake = FakeCluster::start();
    let setup = Setup::new(&[("dev-1", &fake)], CrdPlace::CrdsDir);
    let rt = rt();
    let backend = rt
        .block_on(LiveBackend::connect(&setup.plan, &setup.options()))
        .unwrap();
    let req = |holder: &str, take_over: bool| LockRequest {
        holder: holder.to_string(),
        take_over,
    };
    rt.block_on(async {
        backend.lock("dev-1", &req("r-1/ci-a", false)).await.unwrap();
        // The same holder renews.
        backend.lock("dev-1", &req("r-1/ci-a", false)).await.unwrap();
        let err = backend
            .lock("dev-1", &req("r-1/ci-b", false))
            .await
            .unwrap_err();
        let BackendError::Environment(text) = &err else {
            panic!("expected an environment error, got {err:?}");
        };
        assert!(
            text.starts_with(
                "context \"dev-1\": the rollout lock (Lease ops/widget-op-opm-rollout) is held by r-1/ci-a until "
            ),
            "{text}"
        );
        assert!(
            text.ends_with("if that runner died, run again with --take-over"),
            "{text}"
        );
        backend.lock("dev-1", &req("r-1/ci-b", true)).await.unwrap();
        let err = backend
            .lock("dev-1", &req("r-1/ci-a", false))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("is held by r-1/ci-b until"), "{err}");
        // Unlocking someone else's lock leaves it alone; the holder's unlock frees it.
        backend.unlock("dev-1", "r-1/ci-a").await.unwrap();
        assert!(backend.lock("dev-1", &req("r-1/ci-a", false)).await.is_err());
        backend.unlock("dev-1", "r-1/ci-b").await.unwrap();
        backend.lock("dev-1", &req("r-1/ci-a", false)).await.unwrap();
    });
    let lease = fake
        .get(
            "coordination.k8s.io/v1",
            "Lease",
            NS,
            "widget-op-opm-rollout",
        )
        .unwrap();
    assert_eq!(lease["spec"]["holderIdentity"], "r-1/ci-a");
    assert_eq!(lease["spec"]["leaseDurationSeconds"], 120);
}

fn approval(who: &str, when: &str) -> Approval {
    Approval {
        who: who.to_string(),
        when: when.to_string(),
        why: "looks good".to_string(),
        stage: 1,
        approved: true,
    }
}

#[test]
fn state_round_trip_and_two_writers_merge() {
    let fake = FakeCluster::builder().user("alice@example.com").build();
    let setup = Setup::new(&[("dev-1", &fake)], CrdPlace::CrdsDir);
    let rt = rt();
    // Two processes: the runner and an `approve` elsewhere.
    let runner = rt
        .block_on(LiveBackend::connect(&setup.plan, &setup.options()))
        .unwrap();
    let approver = rt
        .block_on(LiveBackend::connect(&setup.plan, &setup.options()))
        .unwrap();
    let clusters = vec!["dev-1".to_string()];
    let mut record = RolloutState::new(
        "r-1",
        &setup.plan.digest,
        RELEASE,
        StrategyKind::Rolling,
        &clusters,
    );
    rt.block_on(async {
        assert_eq!(runner.identity("dev-1").await.unwrap(), "alice@example.com");
        assert_eq!(runner.load("dev-1").await.unwrap(), None);
        let written = runner.store("dev-1", &record).await.unwrap();
        assert_eq!(written, record);
        assert_eq!(approver.load("dev-1").await.unwrap(), Some(record.clone()));

        // Both write at once from stale copies: each keeps the other's approval.
        let mut a = record.clone();
        a.approvals.push(approval("alice", "2026-11-23T10:00:00Z"));
        let mut b = record.clone();
        b.approvals.push(approval("bob", "2026-11-23T10:00:01Z"));
        b.seq = 1;
        let (ra, rb) = tokio::join!(approver.store("dev-1", &a), runner.store("dev-1", &b));
        ra.unwrap();
        rb.unwrap();
        let stored = runner.load("dev-1").await.unwrap().unwrap();
        let mut who: Vec<&str> = stored.approvals.iter().map(|a| a.who.as_str()).collect();
        who.sort_unstable();
        assert_eq!(who, ["alice", "bob"]);
        assert_eq!(stored.seq, 1);

        // The runner's next write, from its own copy without approvals, keeps both.
        record.seq = 2;
        record.phase = Phase::Deploying;
        let adopted = runner.store("dev-1", &record).await.unwrap();
        assert_eq!(adopted.approvals.len(), 2);
        assert_eq!(adopted.phase, Phase::Deploying);

        // Another rollout of the release while this one runs: refused.
        let other = RolloutState::new(
            "r-2",
            &setup.plan.digest,
            RELEASE,
            StrategyKind::Rolling,
            &clusters,
        );
        let err = approver.store("dev-1", &other).await.unwrap_err();
        assert!(matches!(err, BackendError::Conflict(_)), "{err:?}");
        assert!(
            err.to_string().starts_with(
                "context \"dev-1\": release widget-op is in the middle of rollout r-1 (Deploying)"
            ),
            "{err}"
        );

        runner
            .event("dev-1", "StageCompleted", "stage 1 of 2 completed", false)
            .await
            .unwrap();
        runner
            .event(
                "dev-1",
                "RolledBack",
                "dev-1 rolled back to revision 3",
                true,
            )
            .await
            .unwrap();
    });
    let cm = fake
        .get("v1", "ConfigMap", NS, "widget-op-opm-rollout")
        .unwrap();
    let data = cm["data"]["state.json"].as_str().unwrap();
    assert_eq!(RolloutState::from_json(data).unwrap().rollout_id, "r-1");
    let events: Vec<String> = fake
        .list("v1", "Event", NS)
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                e["type"].as_str().unwrap(),
                e["reason"].as_str().unwrap(),
                e["involvedObject"]["name"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    let mut events = events;
    events.sort();
    assert_eq!(
        events,
        [
            "Normal StageCompleted widget-op-opm-rollout stage 1 of 2 completed",
            "Warning RolledBack widget-op-opm-rollout dev-1 rolled back to revision 3",
        ]
    );

    // A record written by a newer kubectl-opm: not read, not overwritten.
    let mut newer: Value = serde_json::from_str(data).unwrap();
    newer["version"] = json!(99);
    fake.apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "widget-op-opm-rollout", "namespace": NS},
        "data": {"state.json": newer.to_string()}}));
    let err = rt.block_on(runner.load("dev-1")).unwrap_err();
    assert_eq!(
        err,
        BackendError::Environment(
            "context \"dev-1\": rollout state ConfigMap ops/widget-op-opm-rollout: rollout state has format version 99; this kubectl-opm reads version 1: upgrade kubectl-opm".to_string()
        )
    );
    assert!(rt.block_on(runner.store("dev-1", &record)).is_err());
}

#[test]
fn crd_gate_reports_a_removed_stored_version() {
    let with_crd = FakeCluster::start();
    let without = FakeCluster::start();
    let mut live = widget_crd(&[("v1alpha1", true, false), ("v1", true, true)]);
    live["status"] = json!({"storedVersions": ["v1alpha1", "v1"]});
    with_crd.apply(live);
    let setup = Setup::new(
        &[("dev-1", &with_crd), ("dev-2", &without)],
        CrdPlace::CrdsDir,
    );
    let rt = rt();
    let backend = rt
        .block_on(LiveBackend::connect(&setup.plan, &setup.options()))
        .unwrap();
    let kinds: Vec<String> = backend
        .watched_kinds()
        .iter()
        .map(|k| format!("{} {}", k.api_version, k.kind))
        .collect();
    assert_eq!(kinds, ["example.com/v1 Widget"]);
    let lines = rt.block_on(backend.crd_changes("dev-1")).unwrap();
    assert_eq!(
        lines,
        [
            "widgets.example.com: v1alpha1: version removed; objects are now served as v1; clients and manifests using example.com/v1alpha1 fail, and the API server refuses the CRD update while objects are still stored as v1alpha1",
            "widgets.example.com: v1alpha1: version removed while the cluster's status.storedVersions lists it (v1alpha1, v1): objects may still be stored as v1alpha1",
        ]
    );
    // Not installed there yet: adding a CRD breaks nothing.
    assert_eq!(
        rt.block_on(backend.crd_changes("dev-2")).unwrap(),
        Vec::<String>::new()
    );
    let err = rt.block_on(backend.crd_changes("nowhere")).unwrap_err();
    assert_eq!(
        err,
        BackendError::Environment(
            "context \"nowhere\" is not one of this rollout's clusters".to_string()
        )
    );
}

#[test]
fn rollback_crd_check_reads_the_older_revision() {
    let Some(helm) = support::require_tool("helm4") else {
        return;
    };
    let fake = FakeCluster::start();
    let setup = Setup::new(&[("dev-1", &fake)], CrdPlace::Template);
    let rt = rt();
    let backend = rt
        .block_on(LiveBackend::connect(
            &setup.plan,
            &setup.helm_options(&helm),
        ))
        .unwrap();
    rt.block_on(backend.upgrade("dev-1", &upgrade_request("r-1", &[])))
        .unwrap();
    // Revision 2 adds v2 and stores in it: the cluster now lists both as stored.
    write_chart(
        &setup.chart(),
        "2.0.0",
        &[("v1", true, false), ("v2", true, true)],
        CrdPlace::Template,
    );
    rt.block_on(backend.upgrade("dev-1", &upgrade_request("r-2", &[])))
        .unwrap();
    let live = fake
        .get(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "",
            "widgets.example.com",
        )
        .unwrap();
    assert_eq!(live["status"]["storedVersions"], json!(["v1", "v2"]));
    let lines = rt
        .block_on(backend.rollback_crd_check("dev-1", NS, 1))
        .unwrap();
    assert!(
        lines.contains(
            &"widgets.example.com: v2: version removed while the cluster's status.storedVersions lists it (v1, v2): objects may still be stored as v2".to_string()
        ),
        "{lines:#?}"
    );
    assert_eq!(
        rt.block_on(backend.rollback_crd_check("dev-1", NS, 2))
            .unwrap(),
        Vec::<String>::new()
    );
    let err = rt
        .block_on(backend.rollback_crd_check("dev-1", NS, 9))
        .unwrap_err();
    assert_eq!(
        err,
        BackendError::Environment(
            "context \"dev-1\": release widget-op has no revision 9 in namespace ops".to_string()
        )
    );
}

fn webhook(name: &str, ns: &str) -> Value {
    json!({"name": name, "admissionReviewVersions": ["v1"], "sideEffects": "None",
        "clientConfig": {"service": {"namespace": ns, "name": "widget-op-webhook", "port": 443}}})
}

#[test]
fn blue_green_switch_moves_webhooks_and_scales_controllers() {
    let fake = FakeCluster::start();
    for ns in ["blue", "green"] {
        fake.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
    }
    let controller = |kind: &str, name: &str, labelled: bool| {
        let labels = if labelled {
            json!({"app.kubernetes.io/instance": RELEASE})
        } else {
            json!({"app": "unrelated"})
        };
        json!({"apiVersion": "apps/v1", "kind": kind,
            "metadata": {"name": name, "namespace": "blue", "labels": labels},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "c", "image": "x"}]}}}})
    };
    fake.apply(controller("Deployment", "widget-op-controller", true));
    fake.apply(controller("StatefulSet", "widget-op-store", true));
    fake.apply(controller("Deployment", "unrelated", false));
    fake.apply(json!({"apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "widget-op-validating",
            "annotations": {"meta.helm.sh/release-name": RELEASE}},
        "webhooks": [webhook("v.widgets.example.com", "blue"), webhook("x.example.com", "elsewhere")]}));
    fake.apply(json!({"apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "widget-op-mutating",
            "labels": {"app.kubernetes.io/instance": RELEASE}},
        "webhooks": [webhook("m.widgets.example.com", "blue")]}));
    fake.apply(json!({"apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "another-operator",
            "annotations": {"meta.helm.sh/release-name": "another"}},
        "webhooks": [webhook("a.example.com", "blue")]}));
    let setup = Setup::new(&[("dev-1", &fake)], CrdPlace::CrdsDir);
    let rt = rt();
    let backend = rt
        .block_on(LiveBackend::connect(&setup.plan, &setup.options()))
        .unwrap();
    rt.block_on(async {
        backend
            .switch_webhooks("dev-1", "blue", "green")
            .await
            .unwrap();
        backend.scale_controllers("dev-1", "blue", 0).await.unwrap();
    });
    let service_ns = |kind: &str, name: &str| -> Vec<String> {
        fake.get("admissionregistration.k8s.io/v1", kind, "", name)
            .unwrap()["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                w["clientConfig"]["service"]["namespace"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        service_ns("ValidatingWebhookConfiguration", "widget-op-validating"),
        ["green", "elsewhere"]
    );
    assert_eq!(
        service_ns("MutatingWebhookConfiguration", "widget-op-mutating"),
        ["green"]
    );
    assert_eq!(
        service_ns("ValidatingWebhookConfiguration", "another-operator"),
        ["blue"]
    );
    let replicas = |kind: &str, name: &str| {
        fake.get("apps/v1", kind, "blue", name).unwrap()["spec"]["replicas"].clone()
    };
    assert_eq!(replicas("Deployment", "widget-op-controller"), 0);
    assert_eq!(replicas("StatefulSet", "widget-op-store"), 0);
    assert_eq!(replicas("Deployment", "unrelated"), 2);
    // Switching back.
    rt.block_on(async {
        backend
            .switch_webhooks("dev-1", "green", "blue")
            .await
            .unwrap();
        backend.scale_controllers("dev-1", "blue", 1).await.unwrap();
    });
    assert_eq!(
        service_ns("MutatingWebhookConfiguration", "widget-op-mutating"),
        ["blue"]
    );
    assert_eq!(replicas("Deployment", "widget-op-controller"), 1);
}

#[test]
fn unreachable_and_unknown_contexts_are_named() {
    let up = FakeCluster::start();
    let down = FakeCluster::start();
    down.set_unreachable(true);
    let setup = Setup::new(&[("dev-1", &up), ("prod-2", &down)], CrdPlace::CrdsDir);
    let rt = rt();
    let err = rt
        .block_on(LiveBackend::connect(&setup.plan, &setup.options()))
        .unwrap_err();
    assert_eq!(err.exit_code(), 3);
    let text = err.to_string();
    assert!(
        text.starts_with("context \"prod-2\": cannot connect (read /version): the API server at http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("is unreachable"), "{text}");
    assert_eq!(opm::error::Error::from(err).exit_code(), 3);

    // A plan naming a context the kubeconfig does not have.
    let other = plan(setup.dir.path(), &["dev-1", "staging-9"]);
    let err = rt
        .block_on(LiveBackend::connect(&other, &setup.options()))
        .unwrap_err();
    assert_eq!(err.exit_code(), 3);
    assert_eq!(
        err.to_string(),
        "context \"staging-9\" does not exist in the kubeconfig; known contexts: dev-1, prod-2"
    );
}

#[test]
fn missing_helm_is_a_clear_error() {
    let fake = FakeCluster::start();
    let setup = Setup::new(&[("dev-1", &fake)], CrdPlace::CrdsDir);
    let missing = setup.dir.path().join("no-helm-here");
    let rt = rt();
    let options = LiveOptions {
        require_helm: true,
        ..setup.options()
    };
    let err = rt
        .block_on(LiveBackend::connect(&setup.plan, &options))
        .unwrap_err();
    assert!(matches!(err, ConnectError::Helm(_)), "{err:?}");
    assert_eq!(err.exit_code(), 3);
    let expected = format!(
        "no helm binary found (tried --helm-bin={}: not an executable file); install helm 3.13 or newer, or point --helm-bin at it",
        missing.display()
    );
    assert_eq!(err.to_string(), expected);
    // Commands that never run helm connect without it; a helm call then says the same.
    let backend = rt
        .block_on(LiveBackend::connect(&setup.plan, &setup.options()))
        .unwrap();
    let err = rt
        .block_on(backend.upgrade("dev-1", &upgrade_request("r-1", &[])))
        .unwrap_err();
    assert_eq!(err, BackendError::Environment(expected));
    // Nothing was written to the cluster.
    assert!(fake.list("v1", "Secret", NS).is_empty());
}

/// A helm stand-in that records its arguments and `TRACEPARENT`, to see exactly what the
/// backend passes (the real helm cannot tell us).
#[cfg(unix)]
#[test]
fn helm_gets_the_flags_and_trace_context() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeCluster::start();
    let setup = Setup::new(&[("dev-1", &fake)], CrdPlace::CrdsDir);
    let log = setup.dir.path().join("helm.log");
    let script = setup.dir.path().join("helm");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = version ]; then echo v3.17.3+gtest; exit 0; fi\necho \"$TRACEPARENT $*\" >> '{}'\nexit 0\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let options = LiveOptions {
        require_helm: true,
        helm: HelmLookup {
            helm_bin_env: Some("helm".into()),
            flag: None,
            path_env: Some(setup.dir.path().as_os_str().to_os_string()),
        },
        helm_flags: vec!["--timeout".into(), "3m".into()],
        traceparent: Some(std::sync::Arc::new(|cluster: &str| {
            Some(format!("00-{cluster}-trace-01"))
        })),
        ..setup.options()
    };
    let rt = rt();
    let backend = rt
        .block_on(LiveBackend::connect(&setup.plan, &options))
        .unwrap();
    let values = setup.dir.path().join("values-dev.yaml");
    let err = rt
        .block_on(backend.upgrade(
            "dev-1",
            &upgrade_request("r-7", std::slice::from_ref(&values)),
        ))
        .unwrap_err();
    // The stand-in writes no release: the backend says so instead of inventing one.
    assert_eq!(
        err,
        BackendError::Environment(
            "context \"dev-1\": helm succeeded but release widget-op has no revision in namespace ops".to_string()
        )
    );
    let _ = rt.block_on(backend.rollback("dev-1", NS, 4));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        logged,
        format!(
            "00-dev-1-trace-01 upgrade --install widget-op {chart} --namespace ops --kube-context dev-1 --kubeconfig {kc} --create-namespace -f {values} --labels kubectl-opm/rollout-id=r-7 --timeout 3m\n\
             00-dev-1-trace-01 rollback widget-op 4 --namespace ops --kube-context dev-1 --kubeconfig {kc}\n",
            chart = setup.plan.chart.helm_arg(),
            kc = setup.kubeconfig.display(),
            values = values.display(),
        )
    );
    // A rollout id that cannot be a label is refused before helm runs.
    let err = rt
        .block_on(backend.upgrade("dev-1", &upgrade_request("r/1", &[])))
        .unwrap_err();
    assert!(matches!(err, BackendError::Environment(_)), "{err:?}");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), logged);
}

#[test]
fn connects_a_fleet_of_a_hundred_clusters() {
    let fleet = support::fakeapi::FakeFleet::start(100);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    fleet.write_kubeconfig(&kubeconfig).unwrap();
    write_chart(
        &dir.path().join("chart"),
        "1.0.0",
        &[("v1", true, true)],
        CrdPlace::Template,
    );
    let names: Vec<&str> = fleet.clusters.iter().map(|(n, _)| n.as_str()).collect();
    let plan = plan(dir.path(), &names);
    let options = LiveOptions {
        kubeconfig: Some(kubeconfig),
        retry: Some(fast()),
        require_helm: false,
        ..LiveOptions::default()
    };
    let rt = rt();
    let backend = rt.block_on(LiveBackend::connect(&plan, &options)).unwrap();
    // One render serves every cluster (same values and namespace).
    for name in &names {
        let crds = backend.chart_crds(name).unwrap();
        assert_eq!(crds.len(), 1, "{name}");
    }
    let stored = rt.block_on(async {
        let record = RolloutState::new(
            "r-1",
            &plan.digest,
            RELEASE,
            StrategyKind::Canary,
            &names.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
        );
        let writes = names.iter().map(|n| backend.store(n, &record));
        futures::future::join_all(writes).await
    });
    assert!(stored.iter().all(Result::is_ok));
    for (_, cluster) in &fleet.clusters {
        assert!(cluster
            .get("v1", "ConfigMap", NS, "widget-op-opm-rollout")
            .is_some());
    }
}

/// The engine on the live backend, end to end with the real helm: a Direct rollout (health
/// checks skipped: the fake API server runs no pods) over two clusters.
#[test]
fn engine_runs_a_direct_rollout_on_live_clusters() {
    use opm::rollout::engine::{new_rollout_id, Engine, EngineOptions, Mode, Outcome};
    let Some(helm) = support::require_tool("helm4") else {
        return;
    };
    let a = FakeCluster::start();
    let b = FakeCluster::start();
    let setup = Setup::new(&[("dev-1", &a), ("dev-2", &b)], CrdPlace::CrdsDir);
    let text = format!(
        "release: {RELEASE}\nnamespace: {NS}\nchart: ./chart\nstrategy: Direct\ndirect: {{skipHealthChecks: true}}\nclusters:\n  - {{context: dev-1, environment: dev}}\n  - {{context: dev-2, environment: dev}}\n"
    );
    let plan = parse_plan(
        &text,
        "opm-rollout.yaml",
        setup.dir.path(),
        &PlanOptions::default(),
    )
    .unwrap();
    let stages = opm::rollout::stages::compute_stages(&plan);
    let rt = rt();
    let backend = rt
        .block_on(LiveBackend::connect(&plan, &setup.helm_options(&helm)))
        .unwrap();
    let id = new_rollout_id(RELEASE);
    let engine = Engine::new(
        std::sync::Arc::new(backend),
        plan,
        stages,
        EngineOptions {
            mode: Mode::Start {
                rollout_id: id.clone(),
            },
            runner: "test".to_string(),
            take_over: false,
            approval_poll: Duration::from_millis(50),
            parallel: 4,
            lock_renew: Duration::from_secs(40),
        },
    );
    let outcome = rt.block_on(engine.run()).unwrap();
    assert_eq!(outcome, Outcome::Completed);
    for fake in [&a, &b] {
        let release = fake
            .get("v1", "Secret", NS, "sh.helm.release.v1.widget-op.v1")
            .unwrap();
        assert_eq!(
            release["metadata"]["labels"]["kubectl-opm/rollout-id"],
            id.as_str()
        );
        let cm = fake
            .get("v1", "ConfigMap", NS, "widget-op-opm-rollout")
            .unwrap();
        let record = RolloutState::from_json(cm["data"]["state.json"].as_str().unwrap()).unwrap();
        assert_eq!(record.rollout_id, id);
        assert_eq!(record.phase, Phase::Completed);
        let lease = fake
            .get(
                "coordination.k8s.io/v1",
                "Lease",
                NS,
                "widget-op-opm-rollout",
            )
            .unwrap();
        assert!(lease["spec"].get("holderIdentity").is_none(), "{lease}");
    }
}

#[test]
fn configmap_driver_is_shared_with_helm() {
    let Some(helm) = support::require_tool("helm4") else {
        return;
    };
    let fake = FakeCluster::start();
    let setup = Setup::new(&[("dev-1", &fake)], CrdPlace::CrdsDir);
    let mut options = setup.helm_options(&helm);
    options.env.helm_driver = Some("configmap".to_string());
    let rt = rt();
    let backend = rt
        .block_on(LiveBackend::connect(&setup.plan, &options))
        .unwrap();
    let rev = rt
        .block_on(backend.upgrade("dev-1", &upgrade_request("r-cm", &[])))
        .unwrap();
    assert_eq!(rev.rollout_id.as_deref(), Some("r-cm"));
    let stored = fake
        .get("v1", "ConfigMap", NS, "sh.helm.release.v1.widget-op.v1")
        .unwrap();
    assert_eq!(stored["metadata"]["labels"]["owner"], "helm");
    assert!(fake
        .list("v1", "Secret", NS)
        .iter()
        .all(|s| s["metadata"]["labels"]["owner"] != "helm"));
}

/// A repository chart is not on disk: its `crds/` come from `helm show crds`.
#[cfg(unix)]
#[test]
fn repository_chart_crds_come_from_helm_show_crds() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeCluster::start();
    let setup = Setup::new(&[("dev-1", &fake)], CrdPlace::CrdsDir);
    let crd = setup.dir.path().join("crd.yaml");
    std::fs::write(
        &crd,
        serde_json::to_string(&widget_crd(&[("v1beta1", true, true)])).unwrap(),
    )
    .unwrap();
    let log = setup.dir.path().join("helm.log");
    let script = setup.dir.path().join("helm");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = version ]; then echo v4.1.4; exit 0; fi\necho \"$*\" >> '{}'\ncat '{}'\n",
            log.display(),
            crd.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let text = format!(
        "release: {RELEASE}\nnamespace: {NS}\nchart: oci://registry.example.com/charts/widget-operator\nversion: 1.2.3\nstrategy: Rolling\nclusters:\n  - {{context: dev-1, environment: dev}}\n"
    );
    let plan = parse_plan(
        &text,
        "opm-rollout.yaml",
        setup.dir.path(),
        &PlanOptions::default(),
    )
    .unwrap();
    let options = LiveOptions {
        require_helm: true,
        helm: HelmLookup {
            helm_bin_env: None,
            flag: Some(script),
            path_env: None,
        },
        ..setup.options()
    };
    let rt = rt();
    let backend = rt.block_on(LiveBackend::connect(&plan, &options)).unwrap();
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "show crds oci://registry.example.com/charts/widget-operator --version 1.2.3\n"
    );
    let kinds: Vec<String> = backend
        .watched_kinds()
        .iter()
        .map(|k| format!("{} {}", k.api_version, k.kind))
        .collect();
    assert_eq!(kinds, ["example.com/v1beta1 Widget"]);
    assert_eq!(
        rt.block_on(backend.crd_changes("dev-1")).unwrap(),
        Vec::<String>::new()
    );
}

/// A controller pod as the kubelet would report it.
fn controller_pod(name: &str, ready: bool, crash_looping: bool) -> Value {
    let state = if crash_looping {
        json!({"waiting": {"reason": "CrashLoopBackOff"}})
    } else {
        json!({"running": {"startedAt": "2026-01-01T00:00:00Z"}})
    };
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NS,
            "labels": {"app.kubernetes.io/instance": RELEASE}},
        "spec": {"containers": [{"name": "manager", "image": "x"}]},
        "status": {"phase": "Running",
            "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
            "containerStatuses": [{"name": "manager", "ready": ready,
                "restartCount": if crash_looping { 5 } else { 0 }, "state": state}]}})
}

/// The engine, the live backend, the real health probe and helm 4: a healthy Rolling
/// rollout completes; the next one, whose controller crash-loops, fails its health gate
/// three times in a row and is rolled back to the revision before it.
#[test]
fn crash_looping_controller_is_rolled_back_on_a_live_cluster() {
    use opm::rollout::engine::{Engine, EngineOptions, Mode, Outcome};
    let Some(helm) = support::require_tool("helm4") else {
        return;
    };
    let fake = FakeCluster::start();
    let setup = Setup::new(&[("dev-1", &fake)], CrdPlace::CrdsDir);
    let text = format!(
        "release: {RELEASE}\nnamespace: {NS}\nchart: ./chart\nstrategy: Rolling\nrolling: {{validationPeriod: 1s}}\nhealth: {{checkInterval: 100ms, failureThreshold: 3}}\nclusters:\n  - {{context: dev-1, environment: dev}}\n"
    );
    let plan = parse_plan(
        &text,
        "opm-rollout.yaml",
        setup.dir.path(),
        &PlanOptions::default(),
    )
    .unwrap();
    let rt = rt();
    let run = |id: &str| {
        let backend = rt
            .block_on(LiveBackend::connect(&plan, &setup.helm_options(&helm)))
            .unwrap();
        let engine = Engine::new(
            std::sync::Arc::new(backend),
            plan.clone(),
            opm::rollout::stages::compute_stages(&plan),
            EngineOptions {
                mode: Mode::Start {
                    rollout_id: id.to_string(),
                },
                runner: "test".to_string(),
                take_over: false,
                approval_poll: Duration::from_millis(50),
                parallel: 4,
                lock_renew: Duration::from_secs(40),
            },
        );
        rt.block_on(engine.run()).unwrap()
    };
    fake.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}));
    fake.apply(controller_pod("widget-op-controller-a", true, false));
    assert_eq!(run("r-healthy"), Outcome::Completed);

    fake.delete("v1", "Pod", NS, "widget-op-controller-a");
    fake.apply(controller_pod("widget-op-controller-b", false, true));
    write_chart(
        &setup.chart(),
        "2.0.0",
        &[("v1", true, true)],
        CrdPlace::CrdsDir,
    );
    let outcome = run("r-crashing");
    let Outcome::Failed(message) = &outcome else {
        panic!("expected a failed rollout, got {outcome:?}");
    };
    assert!(message.contains("rolled back"), "{message}");
    // Revision 2 was the crashing upgrade; revision 3 is helm's rollback to revision 1.
    let backend = rt
        .block_on(LiveBackend::connect(&plan, &setup.options()))
        .unwrap();
    let current = rt.block_on(backend.current("dev-1", NS)).unwrap().unwrap();
    assert_eq!(
        (
            current.revision,
            current.chart.as_str(),
            current.description.as_str()
        ),
        (3, "widget-operator-1.0.0", "Rollback to 1")
    );
    let record = rt.block_on(backend.load("dev-1")).unwrap().unwrap();
    assert_eq!(record.rollout_id, "r-crashing");
    assert_eq!(record.phase, Phase::Failed);
    let entry = record.clusters.get("dev-1").unwrap();
    assert!(entry.rolled_back, "{entry:?}");
    assert_eq!(entry.last_good_revision, Some(1));
}
