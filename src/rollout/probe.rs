//! Health observations of one release in one cluster: reads the controller pods, the
//! webhooks the release registers and the custom resources of the chart's CRDs, and turns
//! them into a [`HealthSnapshot`] that [`super::health::evaluate`] judges.
//!
//! What is read, and how each field of the snapshot is derived:
//!
//! - **Pods** matching `controllerSelector` in the namespace (terminating and `Succeeded`
//!   pods are left out: an old ReplicaSet's pods going away are not a failure). `ready` is
//!   the `Ready` condition; `restart_count` sums `restartCount` over the containers;
//!   `crash_loop_back_off` is any container (init containers included) waiting with reason
//!   `CrashLoopBackOff`. `restarts_in_window` is the larger of (a) the growth of the restart
//!   count since the earliest observation of that pod (by uid) inside `crashLoopWindow`,
//!   remembered by the probe across checks, and (b) the number of containers whose
//!   `lastState.terminated.finishedAt` lies inside the window (the API keeps only the last
//!   termination, so this sees at most one restart per container, but it works on the
//!   first check).
//! - **Webhooks**: every entry of the Validating/MutatingWebhookConfigurations whose
//!   `clientConfig.service.namespace` is the namespace. With a release set
//!   ([`HealthProbe::with_release`]) a configuration carrying Helm's
//!   `meta.helm.sh/release-name` annotation or an `app.kubernetes.io/instance` label must
//!   name that release; configurations with neither are taken on the namespace alone. One
//!   [`WebhookHealth`] per Service and port (named `svc`, or `svc:port` for a port other
//!   than 443):
//!   - `ready_endpoints`: ready endpoints of the Service's EndpointSlices
//!     (`kubernetes.io/service-name` label; an endpoint without a `ready` condition counts
//!     as ready, as the API defines), or the addresses of its v1 Endpoints when the cluster
//!     serves no EndpointSlices or none exist for the Service;
//!   - `latency`: time until the Service answers a GET of the webhook path through the API
//!     server's service proxy (`/api/v1/namespaces/NS/services/https:NAME:PORT/proxy/PATH`),
//!     bounded by twice `webhookTimeout`. Any HTTP answer counts (a webhook answers a GET
//!     with 4xx) except 502/503/504, which is the API server saying it could not reach the
//!     Service. A 401/403 `Status` from the API server is a permission problem and an error
//!     of the observation (exit 3), not an unhealthy webhook: the deployer needs `get` on
//!     `services/proxy`;
//!   - `cert_valid_for`: time until the first of these expires: the serving certificate
//!     (leaf of `tls.crt`) of the TLS Secrets mounted by the Service's pods, and every
//!     certificate of the configuration's `caBundle`. Either alone breaks the webhook; the
//!     Secret is the better source (the caBundle usually holds only the CA), the caBundle
//!     is what remains when the Secret cannot be found or read.
//! - **Custom resources** of each [`WatchedKind`], in all namespaces (a kind the cluster
//!   does not serve has none). `generation_lag_for`: how long `status.observedGeneration`
//!   (or, without it, the newest `observedGeneration` of its conditions) has been behind
//!   `metadata.generation`, measured from the first check that saw the lag; a resource
//!   reporting neither is taken as current. `not_ready_for`: age of a `Ready=False`
//!   condition from its `lastTransitionTime` (from the first check that saw it when the
//!   time is missing). `error`: a `Ready=False` condition whose reason or message mentions
//!   an error or a failure (`error`, `fail`, case-insensitive), or a condition of type
//!   `Error`, `Degraded`, `ReconcileError`, `Failed` or `Stalled` (kstatus) that is `True`.
//!
//! Durations come from the probe's clock ([`HealthProbe::with_clock`]; the system clock by
//! default), so tests can step time; latency is always measured on a monotonic clock.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use serde_json::Value;

use super::health::{HealthSnapshot, PodHealth, ResourceHealth, WebhookHealth};
use super::plan::HealthSettings;
use crate::cluster::client::{Cluster, ListQuery};
use crate::cluster::error::ClusterError;

/// A custom resource type whose instances the health gate watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedKind {
    /// `group/version`.
    pub api_version: String,
    pub kind: String,
}

/// Where the probe reads the time (`SystemTime::now` unless replaced).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Restart observations kept per pod; with checks every 30 s a 5 minute window needs ten.
const MAX_RESTART_HISTORY: usize = 256;

/// Condition types that report a reconcile error when `True`.
const ERROR_CONDITIONS: [&str; 5] = ["Error", "Degraded", "ReconcileError", "Failed", "Stalled"];

/// What the probe remembers between checks. Keys start with the cluster context, so one
/// probe can watch a whole fleet.
#[derive(Debug, Default)]
struct Memory {
    /// (context, namespace, pod uid) → (observed at, restart count), oldest first.
    restarts: HashMap<(String, String, String), Vec<(SystemTime, u32)>>,
    /// (context, resource uid) → first check that saw `observedGeneration` behind.
    lag_since: HashMap<(String, String), SystemTime>,
    /// (context, resource uid) → first check that saw `Ready=False` without a time.
    not_ready_since: HashMap<(String, String), SystemTime>,
}

/// Observes releases; remembers earlier observations per cluster (restart counts, when a
/// lag was first seen) so that durations are measured across checks.
pub struct HealthProbe {
    settings: HealthSettings,
    kinds: Vec<WatchedKind>,
    release: Option<String>,
    clock: Clock,
    memory: Mutex<Memory>,
}

impl std::fmt::Debug for HealthProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthProbe")
            .field("settings", &self.settings)
            .field("kinds", &self.kinds)
            .field("release", &self.release)
            .finish_non_exhaustive()
    }
}

impl HealthProbe {
    pub fn new(settings: HealthSettings, kinds: Vec<WatchedKind>) -> HealthProbe {
        HealthProbe {
            settings,
            kinds,
            release: None,
            clock: Arc::new(SystemTime::now),
            memory: Mutex::new(Memory::default()),
        }
    }

    /// Only webhook configurations of this Helm release (see the module documentation).
    pub fn with_release(mut self, release: &str) -> HealthProbe {
        self.release = Some(release.to_string());
        self
    }

    /// Replaces the clock durations are measured with (tests step it).
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The settings the probe was built with.
    pub fn settings(&self) -> &HealthSettings {
        &self.settings
    }

    /// The memory, recovering from a poisoned lock: it only holds observations, and a
    /// panicking caller elsewhere must not stop every later check.
    fn memory(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One observation of the release in `namespace` of `cluster`.
    pub async fn observe(
        &self,
        cluster: &Cluster,
        namespace: &str,
    ) -> Result<HealthSnapshot, ClusterError> {
        let now = (self.clock)();
        let (pods, webhooks, resources) = futures::try_join!(
            self.pods(cluster, namespace, now),
            self.webhooks(cluster, namespace, now),
            self.resources(cluster, now),
        )?;
        Ok(HealthSnapshot {
            pods,
            webhooks,
            resources,
        })
    }

    // -----------------------------------------------------------------------------------
    // Pods

    async fn pods(
        &self,
        cluster: &Cluster,
        namespace: &str,
        now: SystemTime,
    ) -> Result<Vec<PodHealth>, ClusterError> {
        let query = ListQuery::namespace(namespace).labels(&self.settings.controller_selector);
        let mut items = cluster.list("v1", "Pod", &query).await?;
        items.sort_by(|a, b| name_of(a).cmp(name_of(b)));
        let window_start = now.checked_sub(self.settings.crash_loop_window);
        let mut memory = self.memory();
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for pod in &items {
            if pod.pointer("/metadata/deletionTimestamp").is_some()
                || str_at(pod, "/status/phase") == Some("Succeeded")
            {
                continue;
            }
            let name = name_of(pod).to_string();
            let uid = str_at(pod, "/metadata/uid").unwrap_or(&name).to_string();
            let statuses = container_statuses(pod, "containerStatuses");
            let restart_count = statuses
                .iter()
                .filter_map(|c| c.get("restartCount").and_then(Value::as_u64))
                .fold(0u32, |sum, n| {
                    sum.saturating_add(u32::try_from(n).unwrap_or(u32::MAX))
                });
            let crash_loop_back_off = statuses
                .iter()
                .chain(container_statuses(pod, "initContainerStatuses").iter())
                .any(|c| str_at(c, "/state/waiting/reason") == Some("CrashLoopBackOff"));
            let recent_terminations = statuses
                .iter()
                .filter_map(|c| str_at(c, "/lastState/terminated/finishedAt"))
                .filter_map(parse_time)
                .filter(|t| window_start.is_none_or(|start| *t >= start) && *t <= now)
                .count();
            let key = (cluster.context.clone(), namespace.to_string(), uid);
            let history = memory.restarts.entry(key.clone()).or_default();
            if let Some(start) = window_start {
                history.retain(|(at, _)| *at >= start);
            }
            let delta = match history.first() {
                // A count lower than before means the containers were recreated.
                Some((_, base)) if restart_count >= *base => restart_count - base,
                Some(_) => restart_count,
                None => 0,
            };
            history.push((now, restart_count));
            if history.len() > MAX_RESTART_HISTORY {
                history.remove(0);
            }
            seen.insert(key);
            out.push(PodHealth {
                name,
                ready: condition(pod, "Ready").is_some_and(|c| status_is(c, "True")),
                restart_count,
                restarts_in_window: delta
                    .max(u32::try_from(recent_terminations).unwrap_or(u32::MAX)),
                crash_loop_back_off,
            });
        }
        // Pods that are gone are forgotten, so the memory stays as large as the fleet.
        memory
            .restarts
            .retain(|k, _| k.0 != cluster.context || k.1 != namespace || seen.contains(k));
        Ok(out)
    }

    // -----------------------------------------------------------------------------------
    // Webhooks

    async fn webhooks(
        &self,
        cluster: &Cluster,
        namespace: &str,
        now: SystemTime,
    ) -> Result<Vec<WebhookHealth>, ClusterError> {
        let mut targets: BTreeMap<(String, u16), WebhookTarget> = BTreeMap::new();
        for kind in [
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration",
        ] {
            let configs =
                match list_optional(cluster, "admissionregistration.k8s.io/v1", kind).await? {
                    Some(c) => c,
                    None => continue,
                };
            for config in configs
                .iter()
                .filter(|c| self.belongs_to_release(c, namespace))
            {
                collect_targets(config, namespace, &mut targets);
            }
        }
        let checks = targets
            .into_values()
            .map(|t| self.webhook(cluster, namespace, t, now));
        futures::future::try_join_all(checks).await
    }

    fn belongs_to_release(&self, config: &Value, namespace: &str) -> bool {
        let Some(release) = &self.release else {
            return true;
        };
        let annotated = str_at(config, "/metadata/annotations/meta.helm.sh~1release-name");
        let annotated_ns = str_at(
            config,
            "/metadata/annotations/meta.helm.sh~1release-namespace",
        );
        let labelled = str_at(config, "/metadata/labels/app.kubernetes.io~1instance");
        match (annotated, labelled) {
            (None, None) => true,
            _ => {
                (annotated == Some(release) && annotated_ns.is_none_or(|ns| ns == namespace))
                    || labelled == Some(release)
            }
        }
    }

    async fn webhook(
        &self,
        cluster: &Cluster,
        namespace: &str,
        target: WebhookTarget,
        now: SystemTime,
    ) -> Result<WebhookHealth, ClusterError> {
        let bound = self.settings.webhook_timeout.saturating_mul(2);
        let (ready_endpoints, latency, serving) = futures::try_join!(
            ready_endpoints(cluster, namespace, &target.service),
            answer_latency(cluster, namespace, &target, bound),
            serving_cert_expiry(cluster, namespace, &target.service),
        )?;
        let mut expiries: Vec<SystemTime> = target.ca_expiries.clone();
        expiries.extend(serving);
        let cert_valid_for = expiries
            .into_iter()
            .min()
            .map(|t| t.duration_since(now).unwrap_or(Duration::ZERO));
        let name = if target.port == 443 {
            target.service.clone()
        } else {
            format!("{}:{}", target.service, target.port)
        };
        Ok(WebhookHealth {
            name,
            ready_endpoints,
            latency,
            cert_valid_for,
        })
    }

    // -----------------------------------------------------------------------------------
    // Custom resources

    async fn resources(
        &self,
        cluster: &Cluster,
        now: SystemTime,
    ) -> Result<Vec<ResourceHealth>, ClusterError> {
        let lists = futures::future::try_join_all(
            self.kinds
                .iter()
                .map(|k| list_optional(cluster, &k.api_version, &k.kind)),
        )
        .await?;
        let mut memory = self.memory();
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (kind, items) in self.kinds.iter().zip(lists) {
            let mut items = items.unwrap_or_default();
            items.sort_by(|a, b| (namespace_of(a), name_of(a)).cmp(&(namespace_of(b), name_of(b))));
            for item in &items {
                let name = match namespace_of(item) {
                    "" => format!("{}/{}", kind.kind, name_of(item)),
                    ns => format!("{}/{ns}/{}", kind.kind, name_of(item)),
                };
                let uid = str_at(item, "/metadata/uid").unwrap_or(&name).to_string();
                let key = (cluster.context.clone(), uid);
                seen.insert(key.clone());
                let generation_lag_for = if generation_lags(item) {
                    let since = *memory.lag_since.entry(key.clone()).or_insert(now);
                    Some(now.duration_since(since).unwrap_or(Duration::ZERO))
                } else {
                    memory.lag_since.remove(&key);
                    None
                };
                let ready = condition(item, "Ready");
                let not_ready_for = match ready.filter(|c| status_is(c, "False")) {
                    Some(c) => {
                        let since = match c
                            .get("lastTransitionTime")
                            .and_then(Value::as_str)
                            .and_then(parse_time)
                        {
                            Some(t) => {
                                memory.not_ready_since.remove(&key);
                                t
                            }
                            None => *memory.not_ready_since.entry(key.clone()).or_insert(now),
                        };
                        Some(now.duration_since(since).unwrap_or(Duration::ZERO))
                    }
                    None => {
                        memory.not_ready_since.remove(&key);
                        None
                    }
                };
                out.push(ResourceHealth {
                    name,
                    generation_lag_for,
                    not_ready_for,
                    error: reports_error(item),
                });
            }
        }
        memory
            .lag_since
            .retain(|k, _| k.0 != cluster.context || seen.contains(k));
        memory
            .not_ready_since
            .retain(|k, _| k.0 != cluster.context || seen.contains(k));
        Ok(out)
    }
}

/// One Service a webhook configuration calls.
#[derive(Debug, Clone)]
struct WebhookTarget {
    service: String,
    port: u16,
    /// The first webhook's path (`/validate-…`), `/` when none is given.
    path: String,
    /// `notAfter` of every certificate in the caBundles pointing at this Service.
    ca_expiries: Vec<SystemTime>,
}

fn collect_targets(
    config: &Value,
    namespace: &str,
    targets: &mut BTreeMap<(String, u16), WebhookTarget>,
) {
    let hooks = config
        .get("webhooks")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for hook in hooks {
        let Some(service) = hook.pointer("/clientConfig/service") else {
            continue;
        };
        if str_at(service, "/namespace") != Some(namespace) {
            continue;
        }
        let Some(name) = str_at(service, "/name") else {
            continue;
        };
        let port = service
            .get("port")
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(443);
        let target = targets
            .entry((name.to_string(), port))
            .or_insert_with(|| WebhookTarget {
                service: name.to_string(),
                port,
                path: str_at(service, "/path").unwrap_or("/").to_string(),
                ca_expiries: Vec::new(),
            });
        if let Some(bundle) = str_at(hook, "/clientConfig/caBundle") {
            target
                .ca_expiries
                .extend(pem_expiries(&decode_base64(bundle)));
        }
    }
}

/// Ready endpoints of a Service: EndpointSlices, else v1 Endpoints.
async fn ready_endpoints(
    cluster: &Cluster,
    namespace: &str,
    service: &str,
) -> Result<usize, ClusterError> {
    let selector = format!("kubernetes.io/service-name={service}");
    let slices = match cluster
        .list(
            "discovery.k8s.io/v1",
            "EndpointSlice",
            &ListQuery::namespace(namespace).labels(&selector),
        )
        .await
    {
        Ok(s) => s,
        Err(ClusterError::UnknownKind { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    if !slices.is_empty() {
        return Ok(slices
            .iter()
            .filter_map(|s| s.get("endpoints").and_then(Value::as_array))
            .flatten()
            .filter(|e| {
                e.pointer("/conditions/ready")
                    .and_then(Value::as_bool)
                    .unwrap_or(true)
            })
            .count());
    }
    let endpoints = match cluster
        .get("v1", "Endpoints", Some(namespace), service)
        .await
    {
        Ok(e) => e,
        Err(ClusterError::UnknownKind { .. }) => None,
        Err(e) => return Err(e),
    };
    Ok(endpoints
        .as_ref()
        .and_then(|e| e.get("subsets"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("addresses").and_then(Value::as_array))
        .map(Vec::len)
        .sum())
}

/// How long the Service took to answer through the API server proxy; `None` when it did
/// not answer within `bound` or the API server could not reach it.
async fn answer_latency(
    cluster: &Cluster,
    namespace: &str,
    target: &WebhookTarget,
    bound: Duration,
) -> Result<Option<Duration>, ClusterError> {
    let path = if target.path.starts_with('/') {
        target.path.clone()
    } else {
        format!("/{}", target.path)
    };
    let uri = format!(
        "/api/v1/namespaces/{namespace}/services/https:{}:{}/proxy{path}",
        target.service, target.port
    );
    let action = format!(
        "call webhook Service {namespace}/{} through the API server proxy",
        target.service
    );
    let request = http::Request::get(uri.as_str())
        .body(kube::client::Body::from(Vec::new()))
        .map_err(|e| {
            ClusterError::InvalidArgument(format!(
                "context \"{}\": cannot {action}: {e}",
                cluster.context
            ))
        })?;
    let started = Instant::now();
    let exchange = async {
        let response = cluster.client.send(request).await?;
        let latency = started.elapsed();
        let status = response.status().as_u16();
        // The body matters only to tell the API server's own refusals apart.
        let body = if matches!(status, 401 | 403) {
            response
                .into_body()
                .collect_bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok::<_, kube::Error>((status, latency, body))
    };
    let (status, latency, body) = match tokio::time::timeout(bound, exchange).await {
        Err(_) => return Ok(None),
        Ok(Err(e)) => {
            return Err(ClusterError::Unreachable {
                context: cluster.context.clone(),
                server: cluster.server.clone(),
                action,
                message: e.to_string(),
            })
        }
        Ok(Ok(answer)) => answer,
    };
    if let Some((reason, message)) = api_server_status(&body) {
        match (status, reason.as_str()) {
            (401, "Unauthorized") => {
                return Err(ClusterError::Unauthorized {
                    context: cluster.context.clone(),
                    action,
                    message,
                })
            }
            (403, "Forbidden") => {
                return Err(ClusterError::Forbidden {
                    context: cluster.context.clone(),
                    action,
                    message,
                })
            }
            _ => {}
        }
    }
    Ok(match status {
        502..=504 => None,
        _ => Some(latency),
    })
}

/// `(reason, message)` of a `kind: Status` body.
fn api_server_status(body: &[u8]) -> Option<(String, String)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if v.get("kind").and_then(Value::as_str) != Some("Status") {
        return None;
    }
    Some((
        str_at(&v, "/reason").unwrap_or_default().to_string(),
        str_at(&v, "/message").unwrap_or_default().to_string(),
    ))
}

/// `notAfter` of the serving certificates in the TLS Secrets the Service's pods mount
/// (the earliest, when several). `None` when there is no selector, no pod, no such Secret,
/// or reading one is forbidden (the caBundle then stands in).
async fn serving_cert_expiry(
    cluster: &Cluster,
    namespace: &str,
    service: &str,
) -> Result<Option<SystemTime>, ClusterError> {
    let tolerated = |e: &ClusterError| e.is_forbidden() || e.is_not_found();
    let svc = match cluster.get("v1", "Service", Some(namespace), service).await {
        Ok(Some(s)) => s,
        Ok(None) => return Ok(None),
        Err(e) if tolerated(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let selector: Vec<String> = svc
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
        .collect();
    if selector.is_empty() {
        return Ok(None);
    }
    let pods = match cluster
        .list(
            "v1",
            "Pod",
            &ListQuery::namespace(namespace).labels(&selector.join(",")),
        )
        .await
    {
        Ok(p) => p,
        Err(e) if tolerated(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut secrets = BTreeSet::new();
    for pod in &pods {
        for volume in pod
            .pointer("/spec/volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = str_at(volume, "/secret/secretName") {
                secrets.insert(name.to_string());
            }
            for source in volume
                .pointer("/projected/sources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = str_at(source, "/secret/name") {
                    secrets.insert(name.to_string());
                }
            }
        }
    }
    let mut earliest: Option<SystemTime> = None;
    for name in &secrets {
        let secret = match cluster.get("v1", "Secret", Some(namespace), name).await {
            Ok(Some(s)) => s,
            Ok(None) => continue,
            Err(e) if tolerated(&e) => continue,
            Err(e) => return Err(e),
        };
        let Some(crt) = str_at(&secret, "/data/tls.crt") else {
            continue;
        };
        // The leaf comes first in tls.crt; the rest of the chain is the caBundle's business.
        if let Some(leaf) = pem_expiries(&decode_base64(crt)).first() {
            earliest = Some(earliest.map_or(*leaf, |e| e.min(*leaf)));
        }
    }
    Ok(earliest)
}

/// Lists a kind in all namespaces; `None` when the cluster does not serve it.
async fn list_optional(
    cluster: &Cluster,
    api_version: &str,
    kind: &str,
) -> Result<Option<Vec<Value>>, ClusterError> {
    match cluster.list(api_version, kind, &ListQuery::all()).await {
        Ok(items) => Ok(Some(items)),
        Err(ClusterError::UnknownKind { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// Reading objects

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn name_of(v: &Value) -> &str {
    str_at(v, "/metadata/name").unwrap_or_default()
}

fn namespace_of(v: &Value) -> &str {
    str_at(v, "/metadata/namespace").unwrap_or_default()
}

fn container_statuses<'a>(pod: &'a Value, field: &str) -> &'a [Value] {
    pod.get("status")
        .and_then(|s| s.get(field))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn conditions(v: &Value) -> &[Value] {
    v.pointer("/status/conditions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn condition<'a>(v: &'a Value, kind: &str) -> Option<&'a Value> {
    conditions(v)
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

fn status_is(c: &Value, status: &str) -> bool {
    c.get("status").and_then(Value::as_str) == Some(status)
}

/// `status.observedGeneration` (or the newest per-condition one) behind
/// `metadata.generation`.
fn generation_lags(item: &Value) -> bool {
    let Some(generation) = item.pointer("/metadata/generation").and_then(Value::as_u64) else {
        return false;
    };
    let observed = item
        .pointer("/status/observedGeneration")
        .and_then(Value::as_u64)
        .or_else(|| {
            conditions(item)
                .iter()
                .filter_map(|c| c.get("observedGeneration").and_then(Value::as_u64))
                .max()
        });
    observed.is_some_and(|o| o < generation)
}

fn reports_error(item: &Value) -> bool {
    conditions(item).iter().any(|c| {
        let kind = c.get("type").and_then(Value::as_str).unwrap_or_default();
        if ERROR_CONDITIONS.contains(&kind) {
            return status_is(c, "True");
        }
        if kind == "Ready" && status_is(c, "False") {
            let says = |field: &str| {
                let text = c
                    .get(field)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                text.contains("error") || text.contains("fail")
            };
            return says("reason") || says("message");
        }
        false
    })
}

/// RFC 3339 timestamps as the API server writes them.
fn parse_time(s: &str) -> Option<SystemTime> {
    s.parse::<jiff::Timestamp>().ok().map(SystemTime::from)
}

/// The bytes of a base64 field (empty when it is not base64).
fn decode_base64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .unwrap_or_default()
}

/// `notAfter` of each certificate in a PEM bundle, in order; nothing for what does not parse.
/// The blocks are cut out here rather than with `Certificate::load_pem_chain`, which
/// panics on an empty bundle and gives up on text between certificates (openssl's
/// `subject=` lines, comments), both common in hand-made bundles.
fn pem_expiries(pem: &[u8]) -> Vec<SystemTime> {
    use x509_cert::der::DecodePem;
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(pem);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find(BEGIN) {
        let Some(len) = rest[start..].find(END) else {
            break;
        };
        let end = start + len + END.len();
        let block = &rest[start..end];
        if let Ok(cert) = x509_cert::Certificate::from_pem(block.as_bytes()) {
            out.push(cert.tbs_certificate.validity.not_after.to_system_time());
        }
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_conditions() {
        let with = |conds: Value| json!({"status": {"conditions": conds}});
        assert!(reports_error(&with(
            json!([{"type": "Ready", "status": "False", "reason": "ReconcileFailed"}])
        )));
        assert!(reports_error(&with(
            json!([{"type": "Ready", "status": "False", "reason": "Pending", "message": "API error: 500"}])
        )));
        assert!(!reports_error(&with(
            json!([{"type": "Ready", "status": "False", "reason": "Progressing", "message": "waiting for pods"}])
        )));
        assert!(reports_error(&with(
            json!([{"type": "Degraded", "status": "True"}])
        )));
        assert!(!reports_error(&with(
            json!([{"type": "Degraded", "status": "False", "reason": "AsExpected"}])
        )));
        assert!(reports_error(&with(
            json!([{"type": "ReconcileError", "status": "True"}])
        )));
        assert!(!reports_error(&json!({"status": {}})));
    }

    #[test]
    fn generation_lag_sources() {
        assert!(generation_lags(
            &json!({"metadata": {"generation": 3}, "status": {"observedGeneration": 2}})
        ));
        assert!(!generation_lags(
            &json!({"metadata": {"generation": 3}, "status": {"observedGeneration": 3}})
        ));
        // Per-condition observedGeneration (KEP-1623) when the status has none.
        assert!(generation_lags(&json!({"metadata": {"generation": 3},
            "status": {"conditions": [{"type": "Ready", "status": "True", "observedGeneration": 2}]}})));
        // Nothing reported: cannot tell, taken as current.
        assert!(!generation_lags(
            &json!({"metadata": {"generation": 3}, "status": {}})
        ));
    }

    #[test]
    fn timestamps_and_bad_base64() {
        assert_eq!(
            parse_time("1970-01-01T00:01:00Z"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(60))
        );
        assert_eq!(parse_time("yesterday"), None);
        assert!(decode_base64("!!").is_empty());
        assert!(pem_expiries(b"not a certificate").is_empty());
        assert!(pem_expiries(b"").is_empty());
        assert!(pem_expiries(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----").is_empty());
    }
}
