//! `kubectl-opm rollout` end to end: the binary drives fleets of in-process fake API
//! servers, with the real helm 4 doing the installs. Each strategy to completion, a
//! crash-looping controller rolled back automatically, the CRD and prod approval gates
//! (approved and rejected from a second process), a runner killed after every state write
//! and resumed, pause/abort/rollback requests, and bad plans refused before anything is
//! touched. See docs/testing.md, "Rollout end-to-end tests".

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use opm::rollout::state::{Phase, RolloutState};
use serde_json::{json, Value};
use support::fakeapi::{FakeCluster, FakeFleet};

const NS: &str = "ops";

/// A fleet of fake clusters with a kubeconfig, a work directory for charts and plans, and
/// the real helm.
struct Fleet {
    dir: tempfile::TempDir,
    fleet: FakeFleet,
    kubeconfig: PathBuf,
    helm: PathBuf,
}

impl Fleet {
    fn new(names: &[&str]) -> Option<Fleet> {
        Fleet::with_builder(names, FakeCluster::builder())
    }

    fn with_builder(
        names: &[&str],
        builder: support::fakeapi::FakeClusterBuilder,
    ) -> Option<Fleet> {
        let helm = support::require_tool("helm4")?;
        let dir = tempfile::tempdir().unwrap();
        let fleet = FakeFleet::with_names(names, builder);
        let kubeconfig = dir.path().join("kubeconfig");
        fleet.write_kubeconfig(&kubeconfig).unwrap();
        Some(Fleet {
            dir,
            fleet,
            kubeconfig,
            helm,
        })
    }

    fn cluster(&self, name: &str) -> &FakeCluster {
        self.fleet.cluster(name).unwrap()
    }

    fn clusters(&self) -> impl Iterator<Item = (&str, &FakeCluster)> {
        self.fleet.clusters.iter().map(|(n, c)| (n.as_str(), c))
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `plan.yaml`-style text to `name` and returns its path.
    fn plan(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// The binary with this fleet's kubeconfig and a private helm home, and none of the
    /// caller's helm or telemetry settings.
    fn opm(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(support::opm_bin());
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .env("HELM_CONFIG_HOME", self.path("helm-config"))
            .env("HELM_CACHE_HOME", self.path("helm-cache"))
            .env("HELM_DATA_HOME", self.path("helm-data"))
            .env_remove("HELM_BIN")
            .env_remove("HELM_DRIVER")
            .env_remove("TRACEPARENT")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("KUBECTL_OPM_TEST_CRASH_AFTER")
            .env("NO_COLOR", "1");
        cmd
    }

    /// `rollout start|resume` arguments with the short test timings.
    fn run_args<'a>(&'a self, verb: &'a str, plan: &'a Path) -> Vec<String> {
        vec![
            "rollout".into(),
            verb.into(),
            "-f".into(),
            plan.display().to_string(),
            "--helm-bin".into(),
            self.helm.display().to_string(),
            "--approval-poll".into(),
            "200ms".into(),
            "--lock-duration".into(),
            "15s".into(),
        ]
    }

    fn run(&self, verb: &str, plan: &Path, extra: &[&str]) -> Output {
        let mut args = self.run_args(verb, plan);
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.opm(&refs).output().unwrap()
    }

    fn spawn(&self, verb: &str, plan: &Path, extra: &[&str]) -> Child {
        let mut args = self.run_args(verb, plan);
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.opm(&refs)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// helm itself against one cluster of the fleet (to prepare an earlier revision).
    fn helm(&self, context: &str, args: &[&str]) -> Output {
        Command::new(&self.helm)
            .args(args)
            .args(["--kube-context", context, "--kubeconfig"])
            .arg(&self.kubeconfig)
            .env("HOME", self.dir.path())
            .env("HELM_CONFIG_HOME", self.path("helm-config"))
            .env("HELM_CACHE_HOME", self.path("helm-cache"))
            .env("HELM_DATA_HOME", self.path("helm-data"))
            .env_remove("HELM_DRIVER")
            .output()
            .unwrap()
    }
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// A CRD `widgets.example.com` serving `versions` (name, storage).
fn widget_crd(versions: &[(&str, bool)]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|(name, storage)| {
            json!({"name": name, "served": true, "storage": storage,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}})
        })
        .collect();
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "versions": vs,
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"}}})
}

/// The test operator chart: a controller Deployment selected by the release's instance
/// label and a CRD in `crds/` serving `crd_versions`.
fn write_chart(dir: &Path, version: &str, crd_versions: &[(&str, bool)]) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::create_dir_all(dir.join("crds")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        format!(
            "apiVersion: v2\nname: widget-operator\ndescription: Widget operator for tests\nversion: {version}\nappVersion: \"{version}\"\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), "replicas: 1\n").unwrap();
    std::fs::write(
        dir.join("templates/deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-controller\n  labels:\n    app.kubernetes.io/instance: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels:\n      app.kubernetes.io/instance: {{ .Release.Name }}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/instance: {{ .Release.Name }}\n    spec:\n      containers:\n        - name: manager\n          image: example.com/widget-operator:{{ .Chart.Version }}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("crds/widgets.yaml"),
        serde_json::to_string_pretty(&widget_crd(crd_versions)).unwrap(),
    )
    .unwrap();
}

/// A controller pod of `release` in `ns`: Ready, or crash-looping.
fn controller_pod(release: &str, ns: &str, ready: bool) -> Value {
    let now = jiff::Timestamp::now().to_string();
    let container = if ready {
        json!({"name": "manager", "ready": true, "restartCount": 0,
            "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}})
    } else {
        json!({"name": "manager", "ready": false, "restartCount": 7,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": now}}})
    };
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("{release}-controller-0"), "namespace": ns,
            "uid": format!("uid-{release}-{ns}"),
            "labels": {"app.kubernetes.io/instance": release}},
        "spec": {"containers": [{"name": "manager", "image": "example.com/widget-operator"}]},
        "status": {"phase": "Running",
            "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
            "containerStatuses": [container]}
    })
}

/// The release namespace and a Ready controller pod (the fake runs no kubelet).
fn seed(c: &FakeCluster, release: &str, ns: &str) {
    c.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}));
    c.apply(controller_pod(release, ns, true));
}

/// The rollout record in one cluster.
fn record(c: &FakeCluster, release: &str) -> Option<RolloutState> {
    let cm = c.get("v1", "ConfigMap", NS, &format!("{release}-opm-rollout"))?;
    RolloutState::from_json(cm["data"]["state.json"].as_str()?).ok()
}

/// Helm's release records (Secrets) of `release` in `ns`: (revision, status, rollout id).
fn revisions(c: &FakeCluster, release: &str, ns: &str) -> Vec<(u32, String, Option<String>)> {
    let mut out: Vec<_> = c
        .list("v1", "Secret", ns)
        .into_iter()
        .filter(|s| {
            s["metadata"]["labels"]["owner"] == "helm" && s["metadata"]["labels"]["name"] == release
        })
        .map(|s| {
            let l = &s["metadata"]["labels"];
            (
                l["version"].as_str().unwrap().parse().unwrap(),
                l["status"].as_str().unwrap_or_default().to_string(),
                l["kubectl-opm/rollout-id"].as_str().map(str::to_string),
            )
        })
        .collect();
    out.sort();
    out
}

fn release_secret(c: &FakeCluster, release: &str, ns: &str, revision: u32) -> Option<Value> {
    c.get(
        "v1",
        "Secret",
        ns,
        &format!("sh.helm.release.v1.{release}.v{revision}"),
    )
}

/// Polls `f` every 20 ms until it is true; panics after `limit`.
fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Like [`wait_until`] while `child` runs: a run that ends first fails with its output.
fn wait_while_running(child: &mut Child, what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    wait_until(what, limit, || {
        if f() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            let mut out = String::new();
            let mut err = String::new();
            use std::io::Read;
            let _ = child.stdout.take().unwrap().read_to_string(&mut out);
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!(
                "the rollout ended before {what}: {:?}\n{out}\n{err}",
                child.try_wait()
            );
        }
        false
    })
}

/// Waits for a spawned run to end, with a sanity bound.
fn finish(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("the rollout did not end in {limit:?}\n{}", describe(&out));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const HEALTH: &str = "health: {checkInterval: 200ms, failureThreshold: 3}\n";

fn clusters_yaml(names: &[(&str, &str)]) -> String {
    let mut s = String::from("clusters:\n");
    for (c, env) in names {
        s.push_str(&format!("  - {{context: {c}, environment: {env}}}\n"));
    }
    s
}

/// The checks every completed rollout passes: exit 0, each cluster's release at a revision
/// stamped with the rollout id, the record Completed in every cluster, the annotations
/// mirrored on the release record, Events emitted, and `status`/`history` showing it.
fn assert_completed(f: &Fleet, plan: &Path, release: &str, release_ns: &str, id: &str) {
    for (name, c) in f.clusters() {
        let revs = revisions(c, release, release_ns);
        let last = revs.last().unwrap_or_else(|| panic!("{name}: no release"));
        assert_eq!(last.1, "deployed", "{name}: {revs:?}");
        assert_eq!(last.2.as_deref(), Some(id), "{name}: {revs:?}");
        let r = record(c, release).unwrap_or_else(|| panic!("{name}: no record"));
        assert_eq!(r.rollout_id, id);
        assert_eq!(r.phase, Phase::Completed, "{name}");
        assert_eq!(r.clusters[name].phase, Phase::Completed, "{name}");
        assert_eq!(r.clusters[name].target_revision, Some(last.0), "{name}");
        let secret = release_secret(c, release, release_ns, last.0).unwrap();
        let annotations = secret["metadata"]["annotations"].as_object().unwrap();
        assert!(
            annotations.keys().any(|k| k.starts_with("kubectl-opm/")),
            "{name}: no mirrored annotations: {annotations:?}"
        );
        let events = c.list("v1", "Event", NS);
        assert!(
            events
                .iter()
                .any(|e| e["involvedObject"]["name"] == format!("{release}-opm-rollout").as_str()),
            "{name}: no Events on the state ConfigMap"
        );
    }
    let plan_arg = plan.display().to_string();
    let status = f
        .opm(&["rollout", "status", "-f", &plan_arg])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0), "{}", describe(&status));
    let status_text = text(&status.stdout);
    assert!(
        status_text.starts_with(&format!("Rollout {id} of {release} (")),
        "{status_text}"
    );
    for (name, _) in f.clusters() {
        let row = status_text
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{status_text}"));
        assert!(row.contains(" Completed "), "{row}");
    }
    let json_out = f
        .opm(&["rollout", "status", "-f", &plan_arg, "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(json_out.status.code(), Some(0), "{}", describe(&json_out));
    let v: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(v["rolloutId"], id);
    assert_eq!(v["phase"], "Completed");
    for (name, _) in f.clusters() {
        assert_eq!(v["clusters"][name]["phase"], "Completed", "{v}");
    }
    let history = f
        .opm(&["rollout", "history", "-f", &plan_arg])
        .output()
        .unwrap();
    assert_eq!(history.status.code(), Some(0), "{}", describe(&history));
    let h = text(&history.stdout);
    for (name, _) in f.clusters() {
        assert!(
            h.lines()
                .any(|l| l.starts_with(&format!("{name} ")) && l.contains(id)),
            "{name} missing in history:\n{h}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// 1. Each strategy end to end

fn strategy_end_to_end(strategy: &str, settings: &str, release_ns: &str, envs: &[(&str, &str)]) {
    let names: Vec<&str> = envs.iter().map(|(n, _)| *n).collect();
    let Some(f) = Fleet::new(&names) else {
        return;
    };
    let release = "widget-op";
    write_chart(&f.path("chart"), "1.0.0", &[("v1", true)]);
    for (_, c) in f.clusters() {
        seed(c, release, NS);
        seed(c, release, release_ns);
    }
    let plan = f.plan(
        "opm-rollout.yaml",
        &format!(
            "release: {release}\nnamespace: {NS}\nchart: ./chart\nstrategy: {strategy}\n{settings}{HEALTH}approvals: {{environments: []}}\n{}",
            clusters_yaml(envs)
        ),
    );
    let id = format!("e2e-{}", strategy.to_ascii_lowercase());
    let out = f.run("start", &plan, &["--rollout-id", &id]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let progress = text(&out.stdout);
    assert!(progress.contains(&id), "{progress}");
    assert_completed(&f, &plan, release, release_ns, &id);
}

#[test]
fn canary_completes_on_six_clusters() {
    strategy_end_to_end(
        "Canary",
        "canary: {initialPercentage: 20, incrementPercentage: 30, evaluationPeriod: 1s, successThreshold: 0.9}\n",
        NS,
        &[
            ("dev-1", "dev"),
            ("dev-2", "dev"),
            ("staging-1", "staging"),
            ("staging-2", "staging"),
            ("prod-1", "prod"),
            ("prod-2", "prod"),
        ],
    );
}

#[test]
fn blue_green_completes_on_three_clusters() {
    strategy_end_to_end(
        "BlueGreen",
        "blueGreen: {blueNamespace: ops, greenNamespace: ops-green, validationPeriod: 1s, autoSwitch: true, retention: 1s, postSwitchPeriod: 1s}\n",
        "ops-green",
        &[("dev-1", "dev"), ("staging-1", "staging"), ("prod-1", "prod")],
    );
}

#[test]
fn rolling_completes_on_three_clusters() {
    strategy_end_to_end(
        "Rolling",
        "rolling: {clusterOrder: [dev-1, staging-1, prod-1], validationPeriod: 1s, pauseBetweenClusters: 200ms}\n",
        NS,
        &[("dev-1", "dev"), ("staging-1", "staging"), ("prod-1", "prod")],
    );
}

#[test]
fn direct_completes_on_four_clusters() {
    strategy_end_to_end(
        "Direct",
        "direct: {parallelClusters: 2}\n",
        NS,
        &[
            ("dev-1", "dev"),
            ("dev-2", "dev"),
            ("staging-1", "staging"),
            ("staging-2", "staging"),
        ],
    );
}

// ---------------------------------------------------------------------------------------
// 2. A crash-looping controller is rolled back automatically

#[test]
fn crash_looping_controller_is_rolled_back_after_three_failed_checks() {
    let Some(f) = Fleet::new(&["dev-1", "dev-2"]) else {
        return;
    };
    let release = "widget-op";
    write_chart(&f.path("chart-1"), "1.0.0", &[("v1", true)]);
    write_chart(&f.path("chart"), "2.0.0", &[("v1", true)]);
    for (name, c) in f.clusters() {
        seed(c, release, NS);
        let chart = f.path("chart-1").display().to_string();
        let out = f.helm(
            name,
            &["upgrade", "--install", release, &chart, "--namespace", NS],
        );
        assert!(out.status.success(), "{}", describe(&out));
    }
    let plan = f.plan(
        "opm-rollout.yaml",
        &format!(
            "release: {release}\nnamespace: {NS}\nchart: ./chart\nstrategy: Rolling\nrolling: {{clusterOrder: [dev-1, dev-2], validationPeriod: 10s}}\n{HEALTH}{}",
            clusters_yaml(&[("dev-1", "dev"), ("dev-2", "dev")])
        ),
    );
    let mut child = f.spawn("start", &plan, &["--rollout-id", "e2e-crash"]);
    let dev1 = f.cluster("dev-1");
    wait_while_running(
        &mut child,
        "dev-1 Validating",
        Duration::from_secs(60),
        || {
            record(dev1, release).is_some_and(|r| {
                r.clusters
                    .get("dev-1")
                    .is_some_and(|c| c.phase == Phase::Validating)
            })
        },
    );
    dev1.apply(controller_pod(release, NS, false));
    // The third failed check is the moment the record shows three consecutive failures
    // (or the rollback it triggers); then wait for helm's rollback revision.
    let mut third_failure = None;
    wait_until("the rollback revision", Duration::from_secs(180), || {
        if third_failure.is_none() {
            if let Some(r) = record(dev1, release) {
                let c = &r.clusters["dev-1"];
                if c.consecutive_failed_checks >= 3 || c.phase == Phase::RollingBack {
                    third_failure = Some(Instant::now());
                }
            }
        }
        release_secret(dev1, release, NS, 3).is_some()
    });
    let rolled_back_after = third_failure.map(|t| t.elapsed());
    dev1.apply(controller_pod(release, NS, true));
    let out = finish(child, Duration::from_secs(120));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let took = rolled_back_after.expect("the third failed check was seen");
    eprintln!("MEASURED third failed check -> rollback revision: {took:?}");
    assert!(took < Duration::from_secs(180), "{took:?}");

    let history = f.helm("dev-1", &["history", release, "--namespace", NS]);
    let history = text(&history.stdout);
    assert!(history.contains("Rollback to 1"), "{history}");
    let revs = revisions(dev1, release, NS);
    assert_eq!(revs.len(), 3, "{revs:?}");
    assert_eq!(revs[1].2.as_deref(), Some("e2e-crash"));
    assert_eq!(revs[2].1, "deployed");
    // dev-2 was never upgraded.
    let dev2 = revisions(f.cluster("dev-2"), release, NS);
    assert_eq!(dev2, vec![(1, "deployed".to_string(), None)]);
    let r = record(dev1, release).unwrap();
    assert_eq!(r.phase, Phase::Failed);
    assert!(r.clusters["dev-1"].rolled_back, "{:?}", r.clusters["dev-1"]);
    assert_eq!(r.clusters["dev-1"].last_good_revision, Some(1));
    let status = f
        .opm(&["rollout", "status", "-f", &plan.display().to_string()])
        .output()
        .unwrap();
    let status = text(&status.stdout);
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("dev-1 ") && l.contains("(rolled back)")),
        "{status}"
    );
}

// ---------------------------------------------------------------------------------------
// 5. Killed after every state write, then resumed

#[test]
fn killed_after_each_state_write_and_resumed() {
    let Some(f) = Fleet::new(&["dev-1", "dev-2"]) else {
        return;
    };
    write_chart(&f.path("chart"), "1.0.0", &[("v1", true)]);
    for n in 1..=80u32 {
        let release = format!("wop-{n}");
        let id = format!("kill-{n}");
        for (_, c) in f.clusters() {
            seed(c, &release, NS);
        }
        let plan = f.plan(
            &format!("plan-{n}.yaml"),
            &format!(
                "release: {release}\nnamespace: {NS}\nchart: ./chart\nstrategy: Direct\ndirect: {{parallelClusters: 2}}\nhealth: {{checkInterval: 200ms}}\n{}",
                clusters_yaml(&[("dev-1", "dev"), ("dev-2", "dev")])
            ),
        );
        let mut args = f.run_args("start", &plan);
        args.extend(["--rollout-id".to_string(), id.clone()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let first = f
            .opm(&refs)
            .env("KUBECTL_OPM_TEST_CRASH_AFTER", n.to_string())
            .output()
            .unwrap();
        if first.status.code() == Some(0) {
            // The rollout needs fewer than n writes: every step has been covered.
            let crashes = n - 1;
            assert!(crashes >= 5, "only {crashes} crash points");
            assert_completed(&f, &plan, &release, NS, &id);
            eprintln!("MEASURED crash points covered: {crashes}");
            return;
        }
        assert_eq!(first.status.code(), None, "n={n}: {}", describe(&first));
        let resumed = f.run("resume", &plan, &["--take-over"]);
        assert_eq!(
            resumed.status.code(),
            Some(0),
            "n={n}: {}",
            describe(&resumed)
        );
        for (name, c) in f.clusters() {
            let stamped: Vec<_> = revisions(c, &release, NS)
                .into_iter()
                .filter(|r| r.2.as_deref() == Some(id.as_str()))
                .collect();
            assert_eq!(stamped.len(), 1, "n={n} {name}: {stamped:?}");
            let r = record(c, &release).unwrap();
            assert_eq!(r.phase, Phase::Completed, "n={n} {name}");
            assert_eq!(r.clusters[name].phase, Phase::Completed, "n={n} {name}");
        }
    }
    panic!("the rollout never completed without a crash");
}

// ---------------------------------------------------------------------------------------
// 7. Bad plans: exit 2, nothing touched

#[test]
fn bad_plans_are_refused_before_touching_any_cluster() {
    let Some(f) = Fleet::new(&["dev-1", "prod-1"]) else {
        return;
    };
    write_chart(&f.path("chart"), "1.0.0", &[("v1", true)]);
    let head = format!("release: widget-op\nnamespace: {NS}\nchart: ./chart\n");
    let both = clusters_yaml(&[("dev-1", "dev"), ("prod-1", "prod")]);
    let cases = [
        (
            "unknown-context.yaml",
            format!(
                "{head}strategy: Rolling\n{}",
                clusters_yaml(&[("dev-1", "dev"), ("nowhere", "prod")])
            ),
            "unknown-context.yaml:7:5: unknown kube context `nowhere`: the kubeconfig has dev-1, prod-1",
        ),
        (
            "unknown-strategy.yaml",
            format!("{head}strategy: Sideways\n{both}"),
            "unknown-strategy.yaml:4:11: unknown strategy `Sideways`: use one of Canary, BlueGreen, Rolling, Direct",
        ),
        (
            "percentage.yaml",
            format!("{head}strategy: Canary\ncanary: {{initialPercentage: 150}}\n{both}"),
            "percentage.yaml:5:29: canary.initialPercentage is 150: a percentage of clusters must be greater than 0 and at most 100",
        ),
        (
            "direct-prod.yaml",
            format!("{head}strategy: Direct\n{both}"),
            "direct-prod.yaml:4:11: strategy Direct upgrades every cluster at once, and `prod-1` is a prod cluster: use Canary, BlueGreen or Rolling for prod, or pass --force",
        ),
    ];
    let dir = format!("{}/", f.dir.path().display());
    for (file, plan_text, expected) in cases {
        let plan = f.plan(file, &plan_text);
        for verb in ["start", "resume"] {
            let out = f.run(verb, &plan, &[]);
            assert_eq!(out.status.code(), Some(2), "{file}: {}", describe(&out));
            assert_eq!(
                text(&out.stderr).replace(&dir, ""),
                format!("Error: {expected}\n"),
                "{verb} {file}"
            );
        }
    }
    for (name, c) in f.clusters() {
        assert!(c.requests().is_empty(), "{name}: {:?}", c.requests());
        assert!(c.list("v1", "ConfigMap", "").is_empty(), "{name}");
        assert!(c.list("v1", "Secret", "").is_empty(), "{name}");
    }
}

// ---------------------------------------------------------------------------------------
// 3. A breaking CRD change blocks until approved (or rejected)

/// A fleet whose clusters store Widgets in `v1alpha1` and `v1`, and a chart that drops
/// `v1alpha1`; returns the fleet and the plan, with the rollout started in the background.
fn breaking_crd_rollout(id: &str) -> Option<(Fleet, PathBuf, Child)> {
    let f = Fleet::new(&["dev-1", "dev-2"])?;
    let release = "widget-op";
    write_chart(&f.path("chart"), "2.0.0", &[("v1", true)]);
    for (_, c) in f.clusters() {
        seed(c, release, NS);
        let mut crd = widget_crd(&[("v1alpha1", false), ("v1", true)]);
        crd["status"] = json!({"storedVersions": ["v1alpha1", "v1"]});
        c.apply(crd);
    }
    let plan = f.plan(
        "opm-rollout.yaml",
        &format!(
            "release: {release}\nnamespace: {NS}\nchart: ./chart\nstrategy: Rolling\nrolling: {{validationPeriod: 1s}}\n{HEALTH}{}",
            clusters_yaml(&[("dev-1", "dev"), ("dev-2", "dev")])
        ),
    );
    let mut child = f.spawn("start", &plan, &["--rollout-id", id]);
    let dev1 = f.cluster("dev-1");
    wait_while_running(
        &mut child,
        "WaitingForApproval",
        Duration::from_secs(60),
        || record(dev1, release).is_some_and(|r| r.phase == Phase::WaitingForApproval),
    );
    Some((f, plan, child))
}

#[test]
fn breaking_crd_change_waits_until_approved() {
    let Some((f, plan, child)) = breaking_crd_rollout("e2e-crd") else {
        return;
    };
    let plan_arg = plan.display().to_string();
    // Nothing is upgraded while the gate waits.
    std::thread::sleep(Duration::from_millis(600));
    assert!(revisions(f.cluster("dev-1"), "widget-op", NS).is_empty());
    let status = f
        .opm(&["rollout", "status", "-f", &plan_arg])
        .output()
        .unwrap();
    let status = text(&status.stdout);
    assert!(
        status.contains(": WaitingForApproval, stage 1/2"),
        "{status}"
    );
    // Each cluster's CRD gate waits for its own approval (Rolling: one cluster per stage).
    for stage in 1..=2usize {
        wait_until("the next approval", Duration::from_secs(60), || {
            record(f.cluster("dev-1"), "widget-op")
                .is_some_and(|r| r.phase == Phase::WaitingForApproval && r.stage + 1 == stage)
        });
        let approve = f
            .opm(&[
                "rollout",
                "approve",
                "-f",
                &plan_arg,
                "--reason",
                "widgets migrated to v1",
            ])
            .output()
            .unwrap();
        assert_eq!(approve.status.code(), Some(0), "{}", describe(&approve));
        assert_eq!(
            text(&approve.stdout),
            format!("stage {stage} (cluster-{stage}) approved by kubernetes-admin: widgets migrated to v1\n")
        );
    }
    let out = finish(child, Duration::from_secs(120));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let progress = text(&out.stdout);
    assert!(progress.contains("v1alpha1"), "{progress}");
    assert_completed(&f, &plan, "widget-op", NS, "e2e-crd");
}

#[test]
fn breaking_crd_change_rejected_upgrades_nothing() {
    let Some((f, plan, child)) = breaking_crd_rollout("e2e-crd-no") else {
        return;
    };
    let plan_arg = plan.display().to_string();
    let reject = f
        .opm(&[
            "rollout",
            "reject",
            "-f",
            &plan_arg,
            "--reason",
            "v1alpha1 objects still stored",
        ])
        .output()
        .unwrap();
    assert_eq!(reject.status.code(), Some(0), "{}", describe(&reject));
    let out = finish(child, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    for (name, c) in f.clusters() {
        assert!(revisions(c, "widget-op", NS).is_empty(), "{name}");
        let r = record(c, "widget-op").unwrap();
        assert_eq!(r.phase, Phase::Failed, "{name}");
    }
}

// ---------------------------------------------------------------------------------------
// 4. A prod stage waits for an approval; the approver is who the cluster says

#[test]
fn prod_stage_waits_for_approval_by_the_clusters_user() {
    let Some(f) = Fleet::with_builder(
        &["dev-1", "prod-1"],
        FakeCluster::builder()
            .tls(true)
            .token("secret-token")
            .user("alice"),
    ) else {
        return;
    };
    let release = "widget-op";
    write_chart(&f.path("chart"), "1.0.0", &[("v1", true)]);
    for (_, c) in f.clusters() {
        seed(c, release, NS);
    }
    let plan = f.plan(
        "opm-rollout.yaml",
        &format!(
            "release: {release}\nnamespace: {NS}\nchart: ./chart\nstrategy: Rolling\nrolling: {{clusterOrder: [dev-1, prod-1], validationPeriod: 1s}}\n{HEALTH}{}",
            clusters_yaml(&[("dev-1", "dev"), ("prod-1", "prod")])
        ),
    );
    let plan_arg = plan.display().to_string();
    let mut child = f.spawn("start", &plan, &["--rollout-id", "e2e-prod"]);
    let prod = f.cluster("prod-1");
    wait_while_running(
        &mut child,
        "the prod approval",
        Duration::from_secs(60),
        || record(prod, release).is_some_and(|r| r.phase == Phase::WaitingForApproval),
    );
    // dev-1 is done; prod-1 untouched.
    assert_eq!(revisions(f.cluster("dev-1"), release, NS).len(), 1);
    assert!(revisions(prod, release, NS).is_empty());
    let approve = f
        .opm(&[
            "rollout",
            "approve",
            "-f",
            &plan_arg,
            "--reason",
            "change CHG-42",
        ])
        .output()
        .unwrap();
    assert_eq!(approve.status.code(), Some(0), "{}", describe(&approve));
    assert_eq!(
        text(&approve.stdout),
        "stage 2 (cluster-2) approved by alice: change CHG-42\n"
    );
    let out = finish(child, Duration::from_secs(120));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_completed(&f, &plan, release, NS, "e2e-prod");
    let r = record(prod, release).unwrap();
    assert_eq!(r.approvals.len(), 1);
    assert_eq!(r.approvals[0].who, "alice");
    assert_eq!(r.approvals[0].why, "change CHG-42");
    assert!(r.approvals[0].approved);
    assert!(
        r.audit
            .iter()
            .any(|a| a.who == "alice" && a.message.contains("approved by alice")),
        "{:?}",
        r.audit
    );
    let status = f
        .opm(&["rollout", "status", "-f", &plan_arg])
        .output()
        .unwrap();
    let status = text(&status.stdout);
    let when = &r.approvals[0].when;
    assert!(
        status.contains(&format!(
            "Approvals:\n  stage 2 approved by alice at {when}: change CHG-42\n"
        )),
        "{status}"
    );
}

// ---------------------------------------------------------------------------------------
// 6. pause, resume, abort and rollback requests from other processes

fn three_cluster_rolling(f: &Fleet, release: &str, file: &str) -> PathBuf {
    for (_, c) in f.clusters() {
        seed(c, release, NS);
    }
    f.plan(
        file,
        &format!(
            "release: {release}\nnamespace: {NS}\nchart: ./chart\nstrategy: Rolling\nrolling: {{clusterOrder: [dev-1, dev-2, dev-3], validationPeriod: 1s, pauseBetweenClusters: 200ms}}\n{HEALTH}{}",
            clusters_yaml(&[("dev-1", "dev"), ("dev-2", "dev"), ("dev-3", "dev")])
        ),
    )
}

#[test]
fn pause_resume_then_rollback_of_the_finished_rollout() {
    let Some(f) = Fleet::new(&["dev-1", "dev-2", "dev-3"]) else {
        return;
    };
    let release = "widget-op";
    write_chart(&f.path("chart-1"), "1.0.0", &[("v1", true)]);
    write_chart(&f.path("chart"), "2.0.0", &[("v1", true)]);
    let plan = three_cluster_rolling(&f, release, "opm-rollout.yaml");
    let plan_arg = plan.display().to_string();
    for (name, _) in f.clusters() {
        let chart = f.path("chart-1").display().to_string();
        let out = f.helm(
            name,
            &["upgrade", "--install", release, &chart, "--namespace", NS],
        );
        assert!(out.status.success(), "{}", describe(&out));
    }
    let mut child = f.spawn("start", &plan, &["--rollout-id", "e2e-pause"]);
    let dev1 = f.cluster("dev-1");
    wait_while_running(
        &mut child,
        "dev-1 Validating",
        Duration::from_secs(60),
        || record(dev1, release).is_some_and(|r| r.clusters["dev-1"].phase == Phase::Validating),
    );
    let pause = f
        .opm(&[
            "rollout",
            "pause",
            "-f",
            &plan_arg,
            "--reason",
            "change freeze",
        ])
        .output()
        .unwrap();
    assert_eq!(pause.status.code(), Some(0), "{}", describe(&pause));
    assert_eq!(
        text(&pause.stdout),
        "pause requested by kubernetes-admin; the runner of rollout e2e-pause acts on it at its next step\n"
    );
    let out = finish(child, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r = record(dev1, release).unwrap();
    assert_eq!(r.phase, Phase::Paused);
    assert_eq!(revisions(f.cluster("dev-3"), release, NS).len(), 1);
    let status = f
        .opm(&["rollout", "status", "-f", &plan_arg])
        .output()
        .unwrap();
    let status = text(&status.stdout);
    assert!(
        status.starts_with("Rollout e2e-pause of widget-op (Rolling): Paused, "),
        "{status}"
    );

    let resumed = f.run("resume", &plan, &[]);
    assert_eq!(resumed.status.code(), Some(0), "{}", describe(&resumed));
    assert_completed(&f, &plan, release, NS, "e2e-pause");
    for (name, c) in f.clusters() {
        let stamped = revisions(c, release, NS)
            .into_iter()
            .filter(|r| r.2.as_deref() == Some("e2e-pause"))
            .count();
        assert_eq!(stamped, 1, "{name}");
    }

    // The finished rollout is rolled back on request: every cluster to revision 1.
    let helm_arg = f.helm.display().to_string();
    let rollback = f
        .opm(&[
            "rollout",
            "rollback",
            "-f",
            &plan_arg,
            "--helm-bin",
            &helm_arg,
            "--reason",
            "customer escalation",
        ])
        .output()
        .unwrap();
    assert_eq!(rollback.status.code(), Some(0), "{}", describe(&rollback));
    for (name, c) in f.clusters() {
        let revs = revisions(c, release, NS);
        assert_eq!(revs.len(), 3, "{name}: {revs:?}");
        assert_eq!(revs[2].1, "deployed", "{name}: {revs:?}");
        let history = f.helm(name, &["history", release, "--namespace", NS]);
        assert!(
            text(&history.stdout).contains("Rollback to 1"),
            "{name}: {}",
            text(&history.stdout)
        );
        let r = record(c, release).unwrap();
        assert!(
            r.clusters[name].rolled_back,
            "{name}: {:?}",
            r.clusters[name]
        );
    }
}

#[test]
fn abort_stops_a_running_rollout() {
    let Some(f) = Fleet::new(&["dev-1", "dev-2", "dev-3"]) else {
        return;
    };
    let release = "widget-op";
    write_chart(&f.path("chart"), "1.0.0", &[("v1", true)]);
    let plan = three_cluster_rolling(&f, release, "opm-rollout.yaml");
    let plan_arg = plan.display().to_string();
    let mut child = f.spawn("start", &plan, &["--rollout-id", "e2e-abort"]);
    let dev1 = f.cluster("dev-1");
    wait_while_running(
        &mut child,
        "dev-1 Validating",
        Duration::from_secs(60),
        || record(dev1, release).is_some_and(|r| r.clusters["dev-1"].phase == Phase::Validating),
    );
    let abort = f
        .opm(&[
            "rollout",
            "abort",
            "-f",
            &plan_arg,
            "--reason",
            "wrong chart",
        ])
        .output()
        .unwrap();
    assert_eq!(abort.status.code(), Some(0), "{}", describe(&abort));
    let out = finish(child, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    for (name, c) in f.clusters() {
        let r = record(c, release).unwrap();
        assert_eq!(r.phase, Phase::Failed, "{name}");
    }
    assert!(revisions(f.cluster("dev-3"), release, NS).is_empty());
    // A second abort has nothing left to stop.
    let again = f
        .opm(&["rollout", "abort", "-f", &plan_arg])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", describe(&again));
    assert_eq!(
        text(&again.stderr),
        "Error: rollout e2e-abort has already ended (Failed)\n"
    );
}

// ---------------------------------------------------------------------------------------
// Observability and notifications of a real rollout run

/// `rollout start` with an OTLP endpoint, an incoming `TRACEPARENT` and `--notify`: the
/// collector receives the spans as one trace continuing the caller's, with the
/// health check children under `operator.healthcheck`, and the rollout's metrics; the
/// notification receiver gets the stage and completion messages as JSON.
#[test]
fn a_rollout_exports_its_trace_and_metrics_and_notifies() {
    let Some(f) = Fleet::new(&["dev-1", "dev-2"]) else {
        return;
    };
    let release = "widget-op";
    write_chart(&f.path("chart"), "1.0.0", &[("v1", true)]);
    for (_, c) in f.clusters() {
        seed(c, release, NS);
    }
    let plan = f.plan(
        "opm-rollout.yaml",
        &format!(
            "release: {release}\nnamespace: {NS}\nchart: ./chart\nstrategy: Direct\ndirect: {{parallelClusters: 2}}\n{HEALTH}{}",
            clusters_yaml(&[("dev-1", "dev"), ("dev-2", "dev")])
        ),
    );
    let collector = support::otlp::OtlpReceiver::start();
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let mut args = f.run_args("start", &plan);
    args.extend(
        [
            "--rollout-id",
            "e2e-otel",
            "--notify",
            &format!("{}/hooks/rollouts", collector.endpoint()),
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = f
        .opm(&refs)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint())
        .env("TRACEPARENT", format!("00-{trace}-00f067aa0ba902b7-01"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    let spans = collector.spans();
    let named = |n: &str| spans.iter().filter(|s| s.name == n).collect::<Vec<_>>();
    let deploy = named("operator.deploy");
    assert_eq!(deploy.len(), 1, "{spans:#?}");
    let root = deploy[0];
    assert_eq!(root.trace_id, trace, "continues the caller's trace");
    assert_eq!(root.parent_span_id, "00f067aa0ba902b7");
    assert_eq!(
        root.attributes.get("deploymentId").map(String::as_str),
        Some("e2e-otel")
    );
    let strays: Vec<&str> = spans
        .iter()
        .filter(|s| s.trace_id != trace)
        .map(|s| s.name.as_str())
        .collect();
    assert!(strays.is_empty(), "one trace, but not: {strays:?}");
    let installs = named("helm.install");
    assert_eq!(installs.len(), 2, "one helm.install per cluster");
    assert!(installs.iter().all(|s| s.parent_span_id == root.span_id));
    let checks = named("operator.healthcheck");
    assert!(!checks.is_empty());
    assert!(checks.iter().all(|s| s.parent_span_id == root.span_id));
    for child in [
        "pod.healthcheck",
        "webhook.healthcheck",
        "crd.reconciliation.check",
    ] {
        let kids = named(child);
        assert_eq!(kids.len(), checks.len(), "{child}");
        assert!(
            kids.iter()
                .all(|k| checks.iter().any(|c| c.span_id == k.parent_span_id)),
            "{child} under operator.healthcheck"
        );
    }
    assert_eq!(named("operator.validate").len(), 1);

    let metrics: Vec<String> = collector.metrics().into_iter().map(|m| m.name).collect();
    for name in [
        "operators.deployed.total",
        "crds.validated.total",
        "helm.install.duration",
        "operator.healthcheck.duration",
        "operator.deploy.duration",
        "deployments.active",
        "operators.healthy",
    ] {
        assert!(metrics.iter().any(|m| m == name), "{name} in {metrics:?}");
    }

    let notes: Vec<Value> = collector
        .requests()
        .into_iter()
        .filter(|r| r.path == "/hooks/rollouts")
        .filter_map(|r| r.json)
        .collect();
    let events: Vec<&str> = notes.iter().filter_map(|n| n["event"].as_str()).collect();
    assert_eq!(events, ["stage-completed", "completed"], "{notes:#?}");
    let done = &notes[1];
    assert_eq!(done["rolloutId"], "e2e-otel");
    assert_eq!(done["release"], release);
    assert!(
        done["text"].as_str().unwrap().contains("completed"),
        "{done}"
    );
}
