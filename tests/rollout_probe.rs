//! The rollout health probe against the in-process fake API server (real HTTP, the real
//! kube client): pods, webhooks (endpoints, the service proxy, certificates) and custom
//! resources seeded as JSON become exact [`HealthSnapshot`]s, and the health gate's
//! `evaluate` turns them into the expected verdicts. Time is a stepped clock, so restart
//! windows, reconcile lags and `Ready=False` ages are exact.

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use opm::cluster::{connect, resolve_targets, Cluster, ClusterArgs, ClusterEnv, RetryPolicy};
use opm::rollout::health::{evaluate, HealthSnapshot, PodHealth, ResourceHealth};
use opm::rollout::plan::HealthSettings;
use opm::rollout::probe::{HealthProbe, WatchedKind};
use serde_json::{json, Value};
use support::fakeapi::{write_kubeconfig, FakeCluster, ProxyAnswer};

/// 2030-01-01T00:10:00Z: the probe's clock starts here in every test.
const T0: u64 = 1_893_456_600;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A clock the test steps by hand.
#[derive(Clone)]
struct StepClock(Arc<Mutex<SystemTime>>);

impl StepClock {
    fn new() -> StepClock {
        StepClock(Arc::new(Mutex::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(T0),
        )))
    }
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
    fn reader(&self) -> impl Fn() -> SystemTime + Send + Sync + 'static {
        let inner = self.0.clone();
        move || *inner.lock().unwrap()
    }
}

/// RFC 3339 time `secs_before` seconds before T0.
fn before_t0(secs_before: u64) -> String {
    let t = jiff::Timestamp::from_second(i64::try_from(T0 - secs_before).unwrap()).unwrap();
    t.to_string()
}

fn client(rt: &tokio::runtime::Runtime, fake: &FakeCluster, dir: &Path) -> Cluster {
    client_for(rt, "prod", fake, dir)
}

fn client_for(
    rt: &tokio::runtime::Runtime,
    context: &str,
    fake: &FakeCluster,
    dir: &Path,
) -> Cluster {
    let kc = dir.join(format!("kubeconfig-{context}"));
    write_kubeconfig(&[(context, fake)], &kc).unwrap();
    let args = ClusterArgs {
        kubeconfig: Some(kc),
        contexts: vec![context.into()],
        namespace: Some("ops".into()),
        parallel: 1,
        ..ClusterArgs::default()
    };
    let targets = rt
        .block_on(resolve_targets(&args, &ClusterEnv::default()))
        .unwrap();
    rt.block_on(async { connect(&targets[0]) })
        .unwrap()
        .with_retry_policy(RetryPolicy {
            max_attempts: 2,
            max_elapsed: Duration::from_secs(5),
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(20),
        })
}

fn settings() -> HealthSettings {
    HealthSettings::defaults("op")
}

fn probe(settings: HealthSettings, kinds: Vec<WatchedKind>, clock: &StepClock) -> HealthProbe {
    HealthProbe::new(settings, kinds)
        .with_release("op")
        .with_clock(clock.reader())
}

fn container(name: &str, restarts: u64, extra: Value) -> Value {
    let mut c = json!({"name": name, "ready": true, "restartCount": restarts,
        "state": {"running": {"startedAt": before_t0(3600)}}});
    if let (Some(obj), Some(more)) = (c.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            obj.insert(k.clone(), v.clone());
        }
    }
    c
}

/// A controller pod of release `op` in `ops`.
fn pod(name: &str, ready: bool, containers: Vec<Value>) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "ops", "uid": format!("uid-{name}"),
            "labels": {"app.kubernetes.io/instance": "op"}},
        "spec": {"containers": [{"name": "manager", "image": "op:1"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
            "containerStatuses": containers,
        }
    })
}

fn pod_health(
    name: &str,
    ready: bool,
    restart_count: u32,
    in_window: u32,
    backoff: bool,
) -> PodHealth {
    PodHealth {
        name: name.into(),
        ready,
        restart_count,
        restarts_in_window: in_window,
        crash_loop_back_off: backoff,
    }
}

fn observe(rt: &tokio::runtime::Runtime, p: &HealthProbe, c: &Cluster) -> HealthSnapshot {
    rt.block_on(p.observe(c, "ops")).unwrap()
}

// ---------------------------------------------------------------------------------------
// Pods

#[test]
fn ready_and_not_ready_pods() {
    let rt = rt();
    let fake = FakeCluster::start();
    fake.apply(pod("op-1", true, vec![container("manager", 0, json!({}))]));
    fake.apply(pod(
        "op-2",
        false,
        vec![
            container("manager", 1, json!({"ready": false})),
            container("proxy", 1, json!({})),
        ],
    ));
    // Not a controller pod of this release, another namespace, and a pod going away.
    let mut other = pod("db-0", true, vec![]);
    other["metadata"]["labels"] = json!({"app.kubernetes.io/instance": "db"});
    fake.apply(other);
    let mut elsewhere = pod("op-1", false, vec![]);
    elsewhere["metadata"]["namespace"] = json!("staging");
    fake.apply(elsewhere);
    let mut leaving = pod("op-0", false, vec![]);
    leaving["metadata"]["deletionTimestamp"] = json!(before_t0(5));
    fake.apply(leaving);

    let dir = tempfile::tempdir().unwrap();
    let c = client(&rt, &fake, dir.path());
    let clock = StepClock::new();
    let p = probe(settings(), vec![], &clock);
    let snap = observe(&rt, &p, &c);
    assert_eq!(
        snap,
        HealthSnapshot {
            pods: vec![
                pod_health("op-1", true, 0, 0, false),
                pod_health("op-2", false, 2, 0, false),
            ],
            webhooks: vec![],
            resources: vec![],
        }
    );
    let verdict = evaluate(&snap, &settings());
    assert!(!verdict.healthy);
    assert_eq!(verdict.problems, ["pod op-2 is not Ready"]);

    // No controller pod at all.
    fake.delete("v1", "Pod", "ops", "op-1");
    fake.delete("v1", "Pod", "ops", "op-2");
    fake.delete("v1", "Pod", "ops", "op-0");
    let snap = observe(&rt, &p, &c);
    assert_eq!(snap, HealthSnapshot::default());
    assert_eq!(
        evaluate(&snap, &settings()).problems,
        ["no controller pods match app.kubernetes.io/instance=op"]
    );
}

#[test]
fn crash_loop_by_restart_delta_across_observations() {
    let rt = rt();
    let fake = FakeCluster::start();
    let restarts = |manager: u64, proxy: u64| {
        pod(
            "op-1",
            true,
            vec![
                container("manager", manager, json!({})),
                container("proxy", proxy, json!({})),
            ],
        )
    };
    // Restarted once, long ago: the first check sees no restart in the window.
    fake.apply(restarts(1, 0));
    let dir = tempfile::tempdir().unwrap();
    let c = client(&rt, &fake, dir.path());
    let clock = StepClock::new();
    let p = probe(settings(), vec![], &clock);
    let first = observe(&rt, &p, &c);
    assert_eq!(first.pods, [pod_health("op-1", true, 1, 0, false)]);
    assert!(evaluate(&first, &settings()).healthy);

    // A minute later: two more restarts of the manager, one of the proxy.
    clock.advance(Duration::from_secs(60));
    fake.apply(restarts(3, 1));
    let second = observe(&rt, &p, &c);
    assert_eq!(second.pods, [pod_health("op-1", true, 4, 3, false)]);
    assert_eq!(
        evaluate(&second, &settings()).problems,
        ["pod op-1 crash-loops: 3 restarts in 5m"]
    );

    // Six quiet minutes later both earlier observations are outside the window.
    clock.advance(Duration::from_secs(360));
    let third = observe(&rt, &p, &c);
    assert_eq!(third.pods, [pod_health("op-1", true, 4, 0, false)]);
    assert!(evaluate(&third, &settings()).healthy);

    // The pod was recreated under the same name (a new uid): no history, nothing counted.
    fake.delete("v1", "Pod", "ops", "op-1");
    fake.apply(restarts(0, 0));
    clock.advance(Duration::from_secs(30));
    assert_eq!(
        observe(&rt, &p, &c).pods,
        [pod_health("op-1", true, 0, 0, false)]
    );
}

#[test]
fn one_probe_remembers_each_cluster_apart() {
    let rt = rt();
    let (a, b) = (FakeCluster::start(), FakeCluster::start());
    let one = |n: u64| pod("op-1", true, vec![container("manager", n, json!({}))]);
    a.apply(one(1));
    b.apply(one(7));
    let dir = tempfile::tempdir().unwrap();
    let ca = client_for(&rt, "prod-eu", &a, dir.path());
    let cb = client_for(&rt, "prod-us", &b, dir.path());
    let clock = StepClock::new();
    let p = probe(settings(), vec![], &clock);
    observe(&rt, &p, &ca);
    observe(&rt, &p, &cb);
    clock.advance(Duration::from_secs(30));
    a.apply(one(2));
    b.apply(one(10));
    assert_eq!(
        observe(&rt, &p, &ca).pods,
        [pod_health("op-1", true, 2, 1, false)]
    );
    assert_eq!(
        observe(&rt, &p, &cb).pods,
        [pod_health("op-1", true, 10, 3, false)]
    );
}

#[test]
fn recent_termination_counts_on_the_first_check() {
    let rt = rt();
    let fake = FakeCluster::start();
    let terminated = |ago: u64| {
        json!({"lastState": {"terminated": {"exitCode": 1, "reason": "Error",
            "finishedAt": before_t0(ago)}}})
    };
    fake.apply(pod(
        "op-1",
        true,
        vec![
            container("manager", 7, terminated(30)),
            container("proxy", 2, terminated(3600)),
        ],
    ));
    let dir = tempfile::tempdir().unwrap();
    let c = client(&rt, &fake, dir.path());
    let clock = StepClock::new();
    let p = probe(settings(), vec![], &clock);
    assert_eq!(
        observe(&rt, &p, &c).pods,
        [pod_health("op-1", true, 9, 1, false)]
    );
}

#[test]
fn crash_loop_back_off() {
    let rt = rt();
    let fake = FakeCluster::start();
    let waiting = json!({"ready": false, "state": {"waiting": {"reason": "CrashLoopBackOff",
        "message": "back-off 5m0s restarting failed container"}}});
    fake.apply(pod("op-1", false, vec![container("manager", 12, waiting)]));
    let dir = tempfile::tempdir().unwrap();
    let c = client(&rt, &fake, dir.path());
    let clock = StepClock::new();
    let p = probe(settings(), vec![], &clock);
    let snap = observe(&rt, &p, &c);
    assert_eq!(snap.pods, [pod_health("op-1", false, 12, 0, true)]);
    assert_eq!(
        evaluate(&snap, &settings()).problems,
        ["pod op-1 is in CrashLoopBackOff", "pod op-1 is not Ready"]
    );
}

// ---------------------------------------------------------------------------------------
// Webhooks

/// A CA and a serving certificate signed by it, with the given expiry dates.
struct Certs {
    ca_pem: String,
    leaf_pem: String,
}

fn certs(ca_until: (i32, u8, u8), leaf_until: (i32, u8, u8)) -> Certs {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.not_before = rcgen::date_time_ymd(2029, 1, 1);
    ca.not_after = rcgen::date_time_ymd(ca_until.0, ca_until.1, ca_until.2);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(vec!["op-webhook.ops.svc".to_string()]).unwrap();
    leaf.not_before = rcgen::date_time_ymd(2029, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(leaf_until.0, leaf_until.1, leaf_until.2);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    Certs {
        ca_pem: ca_cert.pem(),
        leaf_pem: leaf_cert.pem(),
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn webhook_entry(name: &str, ns: &str, service: &str, port: u16, ca_bundle: &str) -> Value {
    json!({
        "name": name,
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "clientConfig": {
            "service": {"namespace": ns, "name": service, "port": port, "path": "/validate"},
            "caBundle": b64(ca_bundle),
        },
    })
}

fn config(kind: &str, name: &str, release: Option<&str>, hooks: Vec<Value>) -> Value {
    let mut c = json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": kind,
        "metadata": {"name": name},
        "webhooks": hooks,
    });
    if let Some(r) = release {
        c["metadata"]["annotations"] = json!({"meta.helm.sh/release-name": r,
            "meta.helm.sh/release-namespace": "ops"});
    }
    c
}

fn service(name: &str, app: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "ops"},
        "spec": {"selector": {"app": app}, "ports": [{"port": 443, "targetPort": 9443}]}})
}

fn endpoint_slice(service: &str, ready: &[Option<bool>]) -> Value {
    let endpoints: Vec<Value> = ready
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut e = json!({"addresses": [format!("10.0.0.{i}")]});
            if let Some(r) = r {
                e["conditions"] = json!({"ready": r});
            }
            e
        })
        .collect();
    json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": format!("{service}-abcde"), "namespace": "ops",
            "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": [{"port": 9443, "protocol": "TCP"}]})
}

/// The webhook part of a snapshot with the measured latency reduced to "answered".
fn hooks(snap: &HealthSnapshot) -> Vec<(String, usize, bool, Option<Duration>)> {
    snap.webhooks
        .iter()
        .map(|w| {
            (
                w.name.clone(),
                w.ready_endpoints,
                w.latency.is_some(),
                w.cert_valid_for,
            )
        })
        .collect()
}

const DAY: u64 = 86_400;

#[test]
fn webhooks_endpoints_answers_and_certificates() {
    let rt = rt();
    let fake = FakeCluster::start();
    fake.apply(pod("op-1", true, vec![container("manager", 0, json!({}))]));
    // op-webhook: the serving certificate (expires 2030-01-03) is in the Secret the
    // Service's pod mounts; the caBundle holds the CA (2030-06-01).
    let main = certs((2030, 6, 1), (2030, 1, 3));
    // op-conversion: only a caBundle (a self-signed certificate expiring 2030-01-01T12:00
    // would be too fine-grained for rcgen's dates: 2030-01-02 it is).
    let other = certs((2030, 1, 2), (2030, 1, 2));
    fake.apply(config(
        "ValidatingWebhookConfiguration",
        "op-validating",
        Some("op"),
        vec![
            webhook_entry(
                "v.widgets.example.com",
                "ops",
                "op-webhook",
                443,
                &main.ca_pem,
            ),
            webhook_entry(
                "v2.widgets.example.com",
                "ops",
                "op-webhook",
                443,
                &main.ca_pem,
            ),
            // Another namespace's Service: not this release's concern.
            webhook_entry("v.db.example.com", "db", "db-webhook", 443, &main.ca_pem),
        ],
    ));
    fake.apply(config(
        "MutatingWebhookConfiguration",
        "op-mutating",
        None,
        vec![
            webhook_entry(
                "m.widgets.example.com",
                "ops",
                "op-conversion",
                8443,
                &other.ca_pem,
            ),
            webhook_entry(
                "m2.widgets.example.com",
                "ops",
                "op-legacy",
                443,
                &other.ca_pem,
            ),
        ],
    ));
    // Another release's configuration pointing into the same namespace.
    fake.apply(config(
        "ValidatingWebhookConfiguration",
        "other-validating",
        Some("other"),
        vec![webhook_entry(
            "o.example.com",
            "ops",
            "other-webhook",
            443,
            &main.ca_pem,
        )],
    ));
    fake.apply(service("op-webhook", "op-webhook"));
    fake.apply(service("op-conversion", "op-conversion"));
    fake.apply(service("op-legacy", "op-legacy"));
    let mut hook_pod = pod("op-webhook-0", true, vec![]);
    hook_pod["metadata"]["labels"] = json!({"app": "op-webhook"});
    hook_pod["spec"]["volumes"] = json!([
        {"name": "cert", "secret": {"secretName": "op-webhook-tls"}},
        {"name": "config", "configMap": {"name": "op-config"}}
    ]);
    fake.apply(hook_pod);
    fake.apply(
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"name": "op-webhook-tls", "namespace": "ops"},
        "data": {"tls.crt": b64(&main.leaf_pem), "tls.key": b64("key")}}),
    );
    // Ready, not ready, and no condition (ready, as the API defines it).
    fake.apply(endpoint_slice(
        "op-webhook",
        &[Some(true), Some(false), None],
    ));
    // op-legacy has only v1 Endpoints.
    fake.apply(json!({"apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "op-legacy", "namespace": "ops"},
        "subsets": [{"addresses": [{"ip": "10.0.1.1"}], "notReadyAddresses": [{"ip": "10.0.1.2"}],
            "ports": [{"port": 9443}]}]}));
    // A webhook answers a GET with 400 (no AdmissionReview in the body): that is an answer.
    fake.serve_proxy("ops", "op-webhook", ProxyAnswer::status(400));
    fake.serve_proxy("ops", "op-legacy", ProxyAnswer::status(200));

    let dir = tempfile::tempdir().unwrap();
    let c = client(&rt, &fake, dir.path());
    let clock = StepClock::new();
    let mut s = settings();
    // Generous, so a loaded test machine cannot turn the answer into a slow one.
    s.webhook_timeout = Duration::from_secs(10);
    let p = probe(s.clone(), vec![], &clock);
    let snap = observe(&rt, &p, &c);
    assert_eq!(
        hooks(&snap),
        [
            // 2030-01-02T00:00Z is 23h50m after T0; no endpoints, and the proxy's 503.
            (
                "op-conversion:8443".to_string(),
                0,
                false,
                Some(Duration::from_secs(DAY - 600))
            ),
            (
                "op-legacy".to_string(),
                1,
                true,
                Some(Duration::from_secs(DAY - 600))
            ),
            // The leaf's 2030-01-03, not the CA's 2030-06-01.
            (
                "op-webhook".to_string(),
                2,
                true,
                Some(Duration::from_secs(2 * DAY - 600))
            ),
        ]
    );
    let proxied: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/proxy"))
        .map(|r| r.path)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        proxied,
        [
            "/api/v1/namespaces/ops/services/https:op-conversion:8443/proxy/validate",
            "/api/v1/namespaces/ops/services/https:op-legacy:443/proxy/validate",
            "/api/v1/namespaces/ops/services/https:op-webhook:443/proxy/validate",
        ]
    );
    s.cert_min_validity = Duration::from_secs(30 * DAY);
    assert_eq!(
        evaluate(&snap, &s).problems,
        [
            "webhook op-conversion:8443 has no ready endpoints",
            "webhook op-legacy certificate expires in 23h50m",
            "webhook op-webhook certificate expires in 1d23h50m",
        ]
    );
}

#[test]
fn webhook_answering_late_or_not_at_all() {
    let rt = rt();
    let fake = FakeCluster::start();
    fake.apply(pod("op-1", true, vec![container("manager", 0, json!({}))]));
    fake.apply(config(
        "ValidatingWebhookConfiguration",
        "op-validating",
        Some("op"),
        vec![
            webhook_entry("a.example.com", "ops", "op-quick", 443, ""),
            webhook_entry("b.example.com", "ops", "op-hung", 443, ""),
        ],
    ));
    for name in ["op-quick", "op-hung"] {
        fake.apply(service(name, name));
        fake.apply(endpoint_slice(name, &[Some(true)]));
    }
    fake.serve_proxy(
        "ops",
        "op-quick",
        ProxyAnswer::status(200).after(Duration::from_millis(50)),
    );
    // Far beyond the bound of twice the webhook timeout.
    fake.serve_proxy(
        "ops",
        "op-hung",
        ProxyAnswer::status(200).after(Duration::from_secs(30)),
    );
    let dir = tempfile::tempdir().unwrap();
    let c = client(&rt, &fake, dir.path());
    let clock = StepClock::new();
    let mut s = settings();
    s.webhook_timeout = Duration::from_millis(500);
    let p = probe(s.clone(), vec![], &clock);
    let snap = observe(&rt, &p, &c);
    let quick = snap.webhooks.iter().find(|w| w.name == "op-quick").unwrap();
    let hung = snap.webhooks.iter().find(|w| w.name == "op-hung").unwrap();
    // The answer cannot come before the Service's delay; the hung one is cut off.
    assert!(quick.latency.unwrap() >= Duration::from_millis(50));
    assert_eq!(hung.latency, None);
    assert_eq!(hung.cert_valid_for, None);
    let verdict = evaluate(&snap, &s);
    assert!(
        verdict
            .problems
            .contains(&"webhook op-hung does not answer".to_string()),
        "{verdict:?}"
    );
}

#[test]
fn proxy_permission_missing_is_an_environment_error() {
    let rt = rt();
    let fake = FakeCluster::builder().user("ci-bot").build();
    fake.apply(config(
        "ValidatingWebhookConfiguration",
        "op-validating",
        Some("op"),
        vec![webhook_entry("a.example.com", "ops", "op-webhook", 443, "")],
    ));
    fake.apply(service("op-webhook", "op-webhook"));
    fake.forbid("get", "", "services/proxy", Some("ops"));
    let dir = tempfile::tempdir().unwrap();
    let c = client(&rt, &fake, dir.path());
    let clock = StepClock::new();
    let p = probe(settings(), vec![], &clock);
    let err = rt.block_on(p.observe(&c, "ops")).unwrap_err();
    assert_eq!(err.exit_code(), 3);
    assert_eq!(
        err.to_string(),
        "context \"prod\": cannot call webhook Service ops/op-webhook through the API server proxy: forbidden: services \"https:op-webhook:443\" is forbidden: User \"ci-bot\" cannot get resource \"services/proxy\" in API group \"\" in the namespace \"ops\""
    );
}

// ---------------------------------------------------------------------------------------
// Custom resources

fn widget_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]
        }
    })
}

/// Seeds a Widget at `generation` (the fake, like a real server, counts generations
/// itself: one per spec change) with the given status.
fn widget(
    fake: &FakeCluster,
    ns: &str,
    name: &str,
    generation: u64,
    observed: u64,
    conditions: Value,
) {
    let at = |g: u64| {
        json!({"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"size": g},
            "status": {"observedGeneration": observed, "conditions": conditions}})
    };
    let current = fake
        .get("example.com/v1", "Widget", ns, name)
        .and_then(|w| w["metadata"]["generation"].as_u64())
        .unwrap_or(0);
    for g in current.max(1)..=generation {
        fake.apply(at(g));
    }
    let stored = fake.apply(at(generation));
    assert_eq!(
        stored["metadata"]["generation"],
        json!(generation),
        "{stored}"
    );
}

fn ready(status: &str, reason: &str, secs_before: u64) -> Value {
    json!([{"type": "Ready", "status": status, "reason": reason, "message": "",
        "lastTransitionTime": before_t0(secs_before)}])
}

fn resource(name: &str, lag: Option<u64>, not_ready: Option<u64>, error: bool) -> ResourceHealth {
    ResourceHealth {
        name: name.into(),
        generation_lag_for: lag.map(Duration::from_secs),
        not_ready_for: not_ready.map(Duration::from_secs),
        error,
    }
}

#[test]
fn custom_resources_lag_not_ready_and_errors() {
    let rt = rt();
    let fake = FakeCluster::start();
    fake.apply(pod("op-1", true, vec![container("manager", 0, json!({}))]));
    fake.apply(widget_crd());
    widget(&fake, "a", "w-ok", 2, 2, ready("True", "Reconciled", 3600));
    widget(
        &fake,
        "a",
        "w-stale",
        3,
        2,
        ready("True", "Reconciled", 3600),
    );
    widget(
        &fake,
        "b",
        "w-down",
        1,
        1,
        ready("False", "Progressing", 600),
    );
    widget(
        &fake,
        "b",
        "w-err",
        1,
        1,
        ready("False", "ReconcileFailed", 60),
    );
    let dir = tempfile::tempdir().unwrap();
    let c = client(&rt, &fake, dir.path());
    let clock = StepClock::new();
    let kinds = vec![
        WatchedKind {
            api_version: "example.com/v1".into(),
            kind: "Widget".into(),
        },
        // A kind whose CRD is not installed: no instances, no error.
        WatchedKind {
            api_version: "example.com/v1".into(),
            kind: "Gadget".into(),
        },
    ];
    let p = probe(settings(), kinds, &clock);
    let first = observe(&rt, &p, &c);
    assert_eq!(
        first.resources,
        [
            resource("Widget/a/w-ok", None, None, false),
            // First seen behind now: the lag is measured from this check.
            resource("Widget/a/w-stale", Some(0), None, false),
            resource("Widget/b/w-down", None, Some(600), false),
            resource("Widget/b/w-err", None, Some(60), true),
        ]
    );
    assert_eq!(
        evaluate(&first, &settings()).problems,
        [
            "Widget/b/w-down has been Ready=False for 10m",
            "1 of 4 custom resources report reconcile errors (25.0%, limit 5.0%)"
        ]
    );

    // Six minutes on: w-stale is still behind, w-err recovered.
    clock.advance(Duration::from_secs(360));
    widget(&fake, "b", "w-err", 1, 1, ready("True", "Reconciled", 0));
    let second = observe(&rt, &p, &c);
    assert_eq!(
        second.resources,
        [
            resource("Widget/a/w-ok", None, None, false),
            resource("Widget/a/w-stale", Some(360), None, false),
            resource("Widget/b/w-down", None, Some(960), false),
            resource("Widget/b/w-err", None, None, false),
        ]
    );
    assert_eq!(
        evaluate(&second, &settings()).problems,
        [
            "Widget/a/w-stale not reconciled for 6m (observedGeneration behind generation)",
            "Widget/b/w-down has been Ready=False for 16m"
        ]
    );

    // Caught up: the lag is forgotten, and a new one starts from zero.
    widget(&fake, "a", "w-stale", 3, 3, ready("True", "Reconciled", 0));
    clock.advance(Duration::from_secs(30));
    assert_eq!(
        observe(&rt, &p, &c).resources[1],
        resource("Widget/a/w-stale", None, None, false)
    );
    widget(&fake, "a", "w-stale", 4, 3, ready("True", "Reconciled", 0));
    clock.advance(Duration::from_secs(30));
    assert_eq!(
        observe(&rt, &p, &c).resources[1],
        resource("Widget/a/w-stale", Some(0), None, false)
    );
}
