//! [`LiveBackend`]: the rollout engine's [`Backend`] on real clusters (the kube client of
//! [`crate::cluster`]) and the real helm binary ([`super::helm`]).
//!
//! [`LiveBackend::connect`] does everything that can fail before a rollout touches
//! anything: it resolves every plan context from the kubeconfig, reads `/version` from each
//! (an unreachable or refused cluster is an exit-3 error naming its context), finds and
//! checks helm, and reads the chart's CRDs once per distinct values/namespace combination
//! (`crds/` files and templated CRDs, rendered by our own engine for a local chart;
//! `helm show crds` for a repository chart). Those CRDs feed the CRD gate
//! ([`Backend::crd_changes`]) and the custom resource kinds the health probe watches.
//!
//! Where things live in each cluster (DESIGN.md "Rollout state"): the state ConfigMap and
//! the Lease `<release>-opm-rollout` and the Events are in the cluster's release namespace
//! from the plan (Blue-Green keeps them with blue); release revisions are read with Helm's
//! storage driver (`HELM_DRIVER`, Secrets by default). Helm gets the user's kubeconfig by
//! reference only; nothing here logs or stores credentials.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use super::backend::{Backend, BackendError, LockRequest, Revision, UpgradeRequest};
use super::health::HealthSnapshot;
use super::helm::{self, HelmBinary, HelmError, HelmLookup, HelmRun, HelmTarget};
use super::plan::{ChartRef, HealthSettings, Plan};
use super::probe::{HealthProbe, WatchedKind};
use super::state::{RolloutState, StateError};
use crate::cluster::release::StoredRelease;
use crate::cluster::{
    for_each_target, resolve_targets, Cluster, ClusterArgs, ClusterEnv, ClusterError, EventType,
    LeaseGuard, ListQuery, Patch, RetryPolicy, StateStore,
};
use crate::crd::command::{diff_loaded, DiffRequest};
use crate::crd::model::{parse_crds, Crd};
use crate::crd::source::{load_chart, ChartOptions};
use crate::crd::CrdError;
use crate::live::stored::{stored_version_findings, RULE_STORED_VERSION};
use crate::report::{Diagnostic, Severity};

/// The label `helm upgrade --labels` stamps on every revision a rollout installs.
pub const ROLLOUT_ID_LABEL: &str = "kubectl-opm/rollout-id";

/// Default lease duration: the engine renews well within it; a dead runner's lock frees
/// itself after it.
pub const DEFAULT_LOCK_DURATION: Duration = Duration::from_secs(120);

/// Default time limit of one helm run (helm's own `--timeout` default is 5 minutes).
pub const DEFAULT_HELM_TIMEOUT: Duration = Duration::from_secs(600);

/// How long `helm version` may take.
const HELM_PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// State writes re-read and re-merge this often after conflicts before giving up.
const STORE_ATTEMPTS: u32 = 8;

/// Stack of the thread that renders the chart's CRDs (rendering recurses as deep as
/// Helm's `include` limit allows; the memory is only reserved).
const RENDER_STACK: usize = 256 * 1024 * 1024;

/// The `TRACEPARENT` to give helm for a call on a cluster (W3C trace context), if any.
pub type TraceparentFn = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How [`LiveBackend::connect`] reaches clusters and helm.
#[derive(Clone)]
pub struct LiveOptions {
    /// `--kubeconfig`; else `KUBECONFIG` / `~/.kube/config` from [`LiveOptions::env`].
    pub kubeconfig: Option<PathBuf>,
    /// `KUBECONFIG`, `HELM_DRIVER`, `HOME` (read once, so tests can set them).
    pub env: ClusterEnv,
    /// `--request-timeout`: time limit of one API request.
    pub request_timeout: Option<Duration>,
    /// Retry policy of API requests (default: the cluster layer's).
    pub retry: Option<RetryPolicy>,
    /// How many clusters are contacted at once while connecting.
    pub parallel: usize,
    /// Where helm is (`$HELM_BIN`, `--helm-bin`, `PATH`).
    pub helm: HelmLookup,
    /// Find and check helm while connecting (commands that never run helm, such as
    /// `approve` or `status`, set this to false; helm is then looked up on first use).
    pub require_helm: bool,
    /// Read the chart's CRDs while connecting (needed by the CRD gate and the health
    /// probe; commands that only read or write the state skip it).
    pub prepare_chart: bool,
    /// Lease duration of the rollout lock.
    pub lock_duration: Duration,
    /// Extra flags appended to `helm upgrade` (`--timeout 10m`, `--skip-crds`, …).
    pub helm_flags: Vec<String>,
    /// Extra environment for helm (`HELM_CACHE_HOME`, registry settings, …).
    pub helm_env: Vec<(OsString, OsString)>,
    /// Time limit of one helm run; helm is stopped after it.
    pub helm_timeout: Duration,
    /// The `TRACEPARENT` for helm, per cluster. When `None`, helm gets the trace context of
    /// the current tracing span (the engine's `helm.install`), else inherits ours.
    pub traceparent: Option<TraceparentFn>,
}

impl std::fmt::Debug for LiveOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveOptions")
            .field("kubeconfig", &self.kubeconfig)
            .field("request_timeout", &self.request_timeout)
            .field("parallel", &self.parallel)
            .field("helm", &self.helm)
            .field("require_helm", &self.require_helm)
            .field("prepare_chart", &self.prepare_chart)
            .field("lock_duration", &self.lock_duration)
            .field("helm_flags", &self.helm_flags)
            .field("helm_timeout", &self.helm_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            kubeconfig: None,
            env: ClusterEnv::default(),
            request_timeout: None,
            retry: None,
            parallel: 16,
            helm: HelmLookup::default(),
            require_helm: true,
            prepare_chart: true,
            lock_duration: DEFAULT_LOCK_DURATION,
            helm_flags: Vec::new(),
            helm_env: Vec::new(),
            helm_timeout: DEFAULT_HELM_TIMEOUT,
            traceparent: None,
        }
    }
}

impl LiveOptions {
    /// The defaults with this process's environment (`KUBECONFIG`, `HELM_*`, `HELM_BIN`,
    /// `PATH`) and the `--helm-bin` flag.
    pub fn from_process(helm_bin: Option<PathBuf>) -> LiveOptions {
        LiveOptions {
            env: ClusterEnv::from_process(),
            helm: HelmLookup::from_process(helm_bin),
            ..LiveOptions::default()
        }
    }
}

/// Why [`LiveBackend::connect`] failed. Nothing has been changed in any cluster.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// A context that cannot be used (unknown, unreachable, credentials refused); the
    /// message names it, and the other contexts that failed too.
    #[error("{first}{}", others_text(.others))]
    Cluster {
        first: Box<ClusterError>,
        others: Vec<String>,
    },
    /// helm is missing, unusable or too old.
    #[error(transparent)]
    Helm(#[from] HelmError),
    /// The chart's CRDs cannot be read (bad chart, broken CRD).
    #[error(transparent)]
    Chart(#[from] CrdError),
    /// Something else in the environment (a thread that cannot be started).
    #[error("{0}")]
    Environment(String),
}

fn others_text(others: &[String]) -> String {
    if others.is_empty() {
        String::new()
    } else {
        format!(
            "\n(also failing: {}; every cluster of the plan must be reachable before a rollout starts)",
            others.join(", ")
        )
    }
}

impl From<ClusterError> for ConnectError {
    fn from(first: ClusterError) -> Self {
        ConnectError::Cluster {
            first: Box::new(first),
            others: Vec::new(),
        }
    }
}

impl ConnectError {
    /// Process exit code: 3 for the environment (clusters, helm), 2 for a bad chart.
    pub fn exit_code(&self) -> i32 {
        match self {
            ConnectError::Cluster { first, .. } => first.exit_code(),
            ConnectError::Helm(_) | ConnectError::Environment(_) => 3,
            ConnectError::Chart(e) => e.exit_code(),
        }
    }
}

/// One cluster of the plan, connected.
#[derive(Debug)]
struct Member {
    cluster: Cluster,
    /// The release namespace from the plan: where the state, the Lease and Events live.
    namespace: String,
    /// The chart's CRDs as rendered with this cluster's values and namespace.
    crds: Arc<Vec<Crd>>,
}

/// The live backend: connected clusters, helm, and the chart's CRDs.
pub struct LiveBackend {
    release: String,
    chart: ChartRef,
    version: Option<String>,
    controller_selector: String,
    health: HealthSettings,
    kinds: Vec<WatchedKind>,
    members: BTreeMap<String, Member>,
    helm_lookup: HelmLookup,
    helm: tokio::sync::OnceCell<Result<HelmBinary, HelmError>>,
    kubeconfig: Option<PathBuf>,
    env: ClusterEnv,
    lock_duration: Duration,
    helm_flags: Vec<String>,
    helm_env: Vec<(OsString, OsString)>,
    helm_timeout: Duration,
    traceparent: Option<TraceparentFn>,
    probes: Mutex<HashMap<(String, String), Arc<HealthProbe>>>,
    namespaces_ready: Mutex<HashSet<(String, String)>>,
}

impl std::fmt::Debug for LiveBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveBackend")
            .field("release", &self.release)
            .field("chart", &self.chart)
            .field("clusters", &self.members.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl LiveBackend {
    /// Connects every cluster of `plan`, checks helm (unless `require_helm` is off) and
    /// reads the chart's CRDs (unless `prepare_chart` is off). Call it on the tokio runtime
    /// the rollout runs on: the clients live there.
    pub async fn connect(plan: &Plan, options: &LiveOptions) -> Result<LiveBackend, ConnectError> {
        let helm_cell = tokio::sync::OnceCell::new();
        if options.require_helm {
            let binary = probe_helm(&options.helm).await?;
            let _ = helm_cell.set(Ok(binary));
        }
        let clusters = connect_clusters(plan, options).await?;
        let crds = if options.prepare_chart {
            let helm = match helm_cell.get() {
                Some(Ok(b)) => Some(b.clone()),
                _ => None,
            };
            chart_crds(plan, options, helm.as_ref()).await?
        } else {
            BTreeMap::new()
        };
        let mut kinds: Vec<WatchedKind> = Vec::new();
        for list in crds.values() {
            for crd in list.iter() {
                if let Some(kind) = watched_kind(crd) {
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                }
            }
        }
        kinds.sort_by(|a, b| (&a.api_version, &a.kind).cmp(&(&b.api_version, &b.kind)));
        let mut members = BTreeMap::new();
        for (c, cluster) in plan.clusters.iter().zip(clusters) {
            let key = (plan.values_for(c.environment), c.namespace.clone());
            members.insert(
                c.context.clone(),
                Member {
                    cluster,
                    namespace: c.namespace.clone(),
                    crds: crds.get(&key).cloned().unwrap_or_default(),
                },
            );
        }
        Ok(LiveBackend {
            release: plan.release.clone(),
            chart: plan.chart.clone(),
            version: plan.version.clone(),
            controller_selector: plan.health.controller_selector.clone(),
            health: plan.health.clone(),
            kinds,
            members,
            helm_lookup: options.helm.clone(),
            helm: helm_cell,
            kubeconfig: options.kubeconfig.clone(),
            env: options.env.clone(),
            lock_duration: options.lock_duration,
            helm_flags: options.helm_flags.clone(),
            helm_env: options.helm_env.clone(),
            helm_timeout: options.helm_timeout,
            traceparent: options.traceparent.clone(),
            probes: Mutex::new(HashMap::new()),
            namespaces_ready: Mutex::new(HashSet::new()),
        })
    }

    /// The custom resource kinds of the chart's CRDs (what the health probe watches).
    pub fn watched_kinds(&self) -> &[WatchedKind] {
        &self.kinds
    }

    /// The chart's CRDs as read for `cluster` (empty when the chart has none or they were
    /// not read).
    pub fn chart_crds(&self, cluster: &str) -> Option<&[Crd]> {
        self.members.get(cluster).map(|m| m.crds.as_slice())
    }

    /// The connected client of a plan cluster.
    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.members.get(name).map(|m| &m.cluster)
    }

    /// The helm binary in use, found and checked on first use.
    pub async fn helm(&self) -> Result<&HelmBinary, HelmError> {
        let lookup = &self.helm_lookup;
        let result = self
            .helm
            .get_or_init(|| async move { probe_helm(lookup).await })
            .await;
        result.as_ref().map_err(Clone::clone)
    }

    fn member(&self, cluster: &str) -> Result<&Member, BackendError> {
        self.members.get(cluster).ok_or_else(|| {
            BackendError::Environment(format!(
                "context \"{cluster}\" is not one of this rollout's clusters"
            ))
        })
    }

    fn state_store<'a>(&'a self, m: &'a Member) -> StateStore<'a> {
        m.cluster.state_store(&m.namespace, &self.release)
    }

    /// Creates the release namespace if it does not exist yet, so the state ConfigMap,
    /// Lease and Events can be written before helm's `--create-namespace` runs. Done once
    /// per cluster and namespace; a caller who may not read namespaces is assumed to
    /// work in an existing one.
    async fn ensure_namespace(&self, m: &Member, namespace: &str) -> Result<(), BackendError> {
        let key = (m.cluster.context.clone(), namespace.to_string());
        if lock(&self.namespaces_ready).contains(&key) {
            return Ok(());
        }
        match m.cluster.get("v1", "Namespace", None, namespace).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}});
                match m.cluster.create(&ns).await {
                    Ok(_) => {}
                    Err(e) if e.is_conflict() => {}
                    Err(e) => return Err(environment(e)),
                }
            }
            Err(e) if e.is_forbidden() => {}
            Err(e) => return Err(environment(e)),
        }
        lock(&self.namespaces_ready).insert(key);
        Ok(())
    }

    fn decode_state(&self, m: &Member, value: &Value) -> Result<RolloutState, BackendError> {
        RolloutState::from_json(&value.to_string()).map_err(|e| {
            BackendError::Environment(format!(
                "context \"{}\": rollout state ConfigMap {}/{}: {e}",
                m.cluster.context,
                m.namespace,
                self.state_store(m).name()
            ))
        })
    }

    /// Runs helm for `m` and returns the release's latest revision afterwards.
    async fn run_helm(
        &self,
        m: &Member,
        namespace: &str,
        args: Vec<OsString>,
    ) -> Result<Revision, BackendError> {
        let binary = self.helm().await.map_err(helm_error)?;
        let mut env = self.helm_env.clone();
        if self.kubeconfig.is_none() {
            if let Some(k) = &self.env.kubeconfig {
                env.push(("KUBECONFIG".into(), k.clone()));
            }
        }
        if let Some(d) = &self.env.helm_driver {
            env.push(("HELM_DRIVER".into(), d.into()));
        }
        match &self.traceparent {
            Some(hook) => {
                if let Some(tp) = hook(&m.cluster.context) {
                    env.push(("TRACEPARENT".into(), tp.into()));
                }
            }
            // Inside the engine's `helm.install`/`operator.rollback` span, helm joins that
            // trace; outside any span it inherits our TRACEPARENT, if any.
            None => {
                for (k, v) in crate::telemetry::child_env() {
                    env.push((k.into(), v.into()));
                }
            }
        }
        helm::run(HelmRun {
            binary: &binary.path,
            args,
            env,
            context: &m.cluster.context,
            timeout: self.helm_timeout,
        })
        .await
        .map_err(helm_error)?;
        self.latest(m, namespace).await?.ok_or_else(|| {
            BackendError::Environment(format!(
                "context \"{}\": helm succeeded but release {} has no revision in namespace {namespace}",
                m.cluster.context, self.release
            ))
        })
    }

    fn target<'a>(&'a self, m: &'a Member, namespace: &'a str) -> HelmTarget<'a> {
        HelmTarget {
            release: &self.release,
            namespace,
            context: &m.cluster.context,
            kubeconfig: self.kubeconfig.as_deref(),
        }
    }

    async fn latest(&self, m: &Member, namespace: &str) -> Result<Option<Revision>, BackendError> {
        m.cluster
            .releases()
            .latest(namespace, &self.release)
            .await
            .map(|r| r.as_ref().map(revision_of))
            .map_err(environment)
    }

    fn probe(&self, cluster: &str, namespace: &str) -> Arc<HealthProbe> {
        lock(&self.probes)
            .entry((cluster.to_string(), namespace.to_string()))
            .or_insert_with(|| {
                Arc::new(
                    HealthProbe::new(self.health.clone(), self.kinds.clone())
                        .with_release(&self.release),
                )
            })
            .clone()
    }
}

/// A std mutex, recovered if a panic poisoned it (the data are plain sets and maps).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn environment(e: ClusterError) -> BackendError {
    BackendError::Environment(e.to_string())
}

fn helm_error(e: HelmError) -> BackendError {
    match e {
        HelmError::Failed { .. } => BackendError::Helm(e.to_string()),
        other => BackendError::Environment(other.to_string()),
    }
}

async fn probe_helm(lookup: &HelmLookup) -> Result<HelmBinary, HelmError> {
    let path = helm::resolve(lookup)?;
    HelmBinary::probe(path, HELM_PROBE_TIMEOUT).await
}

/// Resolves and connects every plan context (in plan order) and reads `/version` from each.
async fn connect_clusters(
    plan: &Plan,
    options: &LiveOptions,
) -> Result<Vec<Cluster>, ConnectError> {
    let args = ClusterArgs {
        kubeconfig: options.kubeconfig.clone(),
        contexts: plan.clusters.iter().map(|c| c.context.clone()).collect(),
        parallel: options.parallel.max(1),
        request_timeout: options.request_timeout,
        ..ClusterArgs::default()
    };
    let targets = resolve_targets(&args, &options.env).await?;
    let retry = options.retry;
    let results = for_each_target(&targets, args.parallel, |t| async move {
        let mut cluster = Cluster::connect(t)?;
        if let Some(policy) = retry {
            cluster = cluster.with_retry_policy(policy);
        }
        cluster
            .get_path("/version")
            .await
            .map_err(|e| e.with_action("connect (read /version)"))?;
        Ok::<_, ClusterError>(cluster)
    })
    .await;
    let mut clusters = Vec::with_capacity(results.len());
    let mut first = None;
    let mut others = Vec::new();
    for (t, r) in targets.iter().zip(results) {
        match r {
            Ok(c) => clusters.push(c),
            Err(e) if first.is_none() => first = Some(e),
            Err(_) => others.push(t.context.clone()),
        }
    }
    match first {
        Some(first) => Err(ConnectError::Cluster {
            first: Box::new(first),
            others,
        }),
        None => Ok(clusters),
    }
}

/// The chart's CRDs per (values files, namespace) in use by the plan's clusters.
type CrdsByKey = BTreeMap<(Vec<PathBuf>, String), Arc<Vec<Crd>>>;

async fn chart_crds(
    plan: &Plan,
    options: &LiveOptions,
    helm: Option<&HelmBinary>,
) -> Result<CrdsByKey, ConnectError> {
    let keys: BTreeSet<(Vec<PathBuf>, String)> = plan
        .clusters
        .iter()
        .map(|c| (plan.values_for(c.environment), c.namespace.clone()))
        .collect();
    match &plan.chart {
        ChartRef::Path(path) => {
            let path = path.clone();
            let release = plan.release.clone();
            let (tx, rx) = tokio::sync::oneshot::channel();
            std::thread::Builder::new()
                .name("chart-crds".into())
                .stack_size(RENDER_STACK)
                .spawn(move || {
                    let _ = tx.send(render_chart_crds(&path, &release, keys));
                })
                .map_err(|e| {
                    ConnectError::Environment(format!(
                        "cannot start a thread to read the chart's CRDs: {e}"
                    ))
                })?;
            rx.await.map_err(|_| {
                ConnectError::Environment(
                    "internal error: reading the chart's CRDs stopped unexpectedly".to_string(),
                )
            })?
        }
        ChartRef::Repo(reference) => {
            // The chart is fetched by helm; its `crds/` files are what `helm show crds`
            // prints. Templated CRDs of a repository chart are not seen by the gate.
            let binary = match helm {
                Some(b) => b.clone(),
                None => probe_helm(&options.helm).await?,
            };
            let out = helm::run(HelmRun {
                binary: &binary.path,
                args: helm::show_crds_args(reference, plan.version.as_deref()),
                env: options.helm_env.clone(),
                context: "(none)",
                timeout: options.helm_timeout,
            })
            .await?;
            let crds = Arc::new(parse_crds(&out.stdout, &format!("{reference} crds/"))?);
            Ok(keys.into_iter().map(|k| (k, crds.clone())).collect())
        }
    }
}

/// Renders the CRDs of a local chart for each key (runs on its own thread).
fn render_chart_crds(
    path: &std::path::Path,
    release: &str,
    keys: BTreeSet<(Vec<PathBuf>, String)>,
) -> Result<CrdsByKey, ConnectError> {
    let shown = path.display().to_string();
    let mut out = BTreeMap::new();
    for (values, namespace) in keys {
        let opts = ChartOptions {
            release_name: release.to_string(),
            namespace: namespace.clone(),
            values: crate::chart::ValuesOptions {
                value_files: values.clone(),
                ..crate::chart::ValuesOptions::default()
            },
            ..ChartOptions::default()
        };
        let crds = match load_chart(path, &shown, &opts) {
            Ok(c) => c,
            // An operator chart without CRDs: nothing to gate, nothing to watch.
            Err(CrdError::NoCrds { .. }) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        out.insert((values, namespace), Arc::new(crds));
    }
    Ok(out)
}

/// The kind a CRD defines, at the version objects are stored in (else the first served).
fn watched_kind(crd: &Crd) -> Option<WatchedKind> {
    let version = crd
        .storage_version()
        .filter(|v| v.served)
        .or_else(|| crd.versions.iter().find(|v| v.served))?;
    Some(WatchedKind {
        api_version: format!("{}/{}", crd.group, version.name),
        kind: crd.names.kind.clone(),
    })
}

/// A stored revision as the engine sees it.
pub fn revision_of(s: &StoredRelease) -> Revision {
    Revision {
        revision: u32::try_from(s.release.version).unwrap_or(u32::MAX),
        status: s.release.status().to_string(),
        chart: s.release.chart_label(),
        rollout_id: s.release.labels.get(ROLLOUT_ID_LABEL).cloned(),
        description: s
            .release
            .info
            .as_ref()
            .map(|i| i.description.clone())
            .unwrap_or_default(),
    }
}

/// Whether `value` can be a label value (what `--labels` will store).
fn is_label_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let edge = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    !value.is_empty()
        && value.len() <= 63
        && edge(bytes.first())
        && edge(bytes.last())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The breaking changes of upgrading the `live` CRDs to the chart's, one line each: the
/// CRD diff's breaking findings (Error at the default levels), with versions still listed
/// in `status.storedVersions` reported by the stored-version check (which also catches
/// versions that stop being served).
pub fn upgrade_breaking_lines(live: &[Crd], chart: &[Crd], context: &str) -> Vec<String> {
    let req = DiffRequest {
        breaking_only: true,
        ..DiffRequest::default()
    };
    let mut found: Vec<Diagnostic> = diff_loaded(live, chart, &req)
        .diagnostics
        .into_iter()
        .filter(|d| d.rule != RULE_STORED_VERSION)
        .collect();
    found.extend(stored_version_findings(live, chart, Some(context)));
    lines(&found)
}

/// What rolling back to an older chart would break, one line each.
///
/// `templated` are the older revision's CRDs from its manifest: `helm rollback` applies
/// them, so they are checked like an upgrade from the live CRDs (versions in
/// `storedVersions` the older CRD lacks, fields it drops, …). `crds_dir` are its `crds/`
/// files: Helm never installs those on rollback (nor upgrade), so the live CRD stays; what
/// can break is the older controller, when the version it stores in is no longer served.
pub fn rollback_breaking_lines(
    live: &[Crd],
    templated: &[Crd],
    crds_dir: &[Crd],
    context: &str,
) -> Vec<String> {
    let live_templated: Vec<Crd> = live
        .iter()
        .filter(|l| templated.iter().any(|t| t.name == l.name))
        .cloned()
        .collect();
    let mut out = upgrade_breaking_lines(&live_templated, templated, context);
    for old in crds_dir {
        if templated.iter().any(|t| t.name == old.name) {
            continue;
        }
        let Some(l) = live.iter().find(|l| l.name == old.name) else {
            continue;
        };
        let Some(storage) = old.storage_version() else {
            continue;
        };
        if l.version(&storage.name).is_none_or(|v| !v.served) {
            out.push(format!(
                "{}: {}: the older chart's controller stores objects as {}, which the live CRD \
                 no longer serves (helm rollback leaves crds/ CRDs as they are)",
                old.name, storage.name, storage.name
            ));
        }
    }
    out
}

fn lines(found: &[Diagnostic]) -> Vec<String> {
    found
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| match &d.object {
            Some(o) => format!("{}: {}", o.name, d.message),
            None => d.message.clone(),
        })
        .collect()
}

/// The CRDs a stored release carries: its chart's `crds/` files and the CRDs in its
/// rendered manifest (templated ones).
fn release_crds(s: &StoredRelease) -> Result<(Vec<Crd>, Vec<Crd>), String> {
    use base64::Engine as _;
    let label = format!("revision {}", s.release.version);
    let mut crds_dir = Vec::new();
    let files = s
        .release
        .chart
        .as_ref()
        .and_then(|c| c.extra.get("files"))
        .and_then(Value::as_array);
    for f in files.into_iter().flatten() {
        let name = f.get("name").and_then(Value::as_str).unwrap_or_default();
        let is_manifest = [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e));
        if !name.starts_with("crds/") || !is_manifest {
            continue;
        }
        let data = f.get("data").and_then(Value::as_str).unwrap_or_default();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| format!("{label}: chart file {name} is not base64: {e}"))?;
        let text = String::from_utf8_lossy(&bytes);
        crds_dir.extend(parse_crds(&text, &format!("{label} {name}")).map_err(|e| e.to_string())?);
    }
    let templated =
        parse_crds(&s.release.manifest, &format!("{label} manifest")).map_err(|e| e.to_string())?;
    Ok((templated, crds_dir))
}

/// Live CRDs of the given names (those not installed are left out).
async fn live_crds(cluster: &Cluster, names: &[&str]) -> Result<Vec<Crd>, BackendError> {
    let mut out = Vec::new();
    for name in names {
        if let Some(crd) = cluster.get_crd(name).await.map_err(environment)? {
            out.push(crd);
        }
    }
    Ok(out)
}

/// The release's webhook configurations: Helm's ownership annotation, or the standard
/// instance label, names the release. Others that point at the same namespace (another
/// operator installed there) are not ours to move.
fn owned_by(config: &Value, release: &str) -> bool {
    let meta = config.get("metadata");
    let annotation = meta
        .and_then(|m| m.pointer("/annotations/meta.helm.sh~1release-name"))
        .and_then(Value::as_str);
    let label = meta
        .and_then(|m| m.pointer("/labels/app.kubernetes.io~1instance"))
        .and_then(Value::as_str);
    annotation == Some(release) || label == Some(release)
}

/// JSON patch operations moving every webhook of `config` whose service is in `from` to
/// `to`; each replace is guarded by a test of the value read.
fn webhook_switch_ops(config: &Value, from: &str, to: &str) -> Vec<Value> {
    let mut ops = Vec::new();
    let hooks = config.get("webhooks").and_then(Value::as_array);
    for (i, hook) in hooks.into_iter().flatten().enumerate() {
        let ns = hook
            .pointer("/clientConfig/service/namespace")
            .and_then(Value::as_str);
        if ns == Some(from) {
            let path = format!("/webhooks/{i}/clientConfig/service/namespace");
            ops.push(json!({"op": "test", "path": path, "value": from}));
            ops.push(json!({"op": "replace", "path": path, "value": to}));
        }
    }
    ops
}

impl Backend for LiveBackend {
    async fn identity(&self, cluster: &str) -> Result<String, BackendError> {
        let m = self.member(cluster)?;
        m.cluster
            .whoami()
            .await
            .map(|id| id.username)
            .map_err(environment)
    }

    async fn lock(&self, cluster: &str, request: &LockRequest) -> Result<(), BackendError> {
        let m = self.member(cluster)?;
        self.ensure_namespace(m, &m.namespace).await?;
        let store = self.state_store(m);
        let taken = if request.take_over {
            store.take_over(&request.holder, self.lock_duration).await
        } else {
            store.acquire(&request.holder, self.lock_duration).await
        };
        match taken {
            Ok(_) => Ok(()),
            Err(ClusterError::LockHeld {
                context,
                namespace,
                lease,
                holder,
                until,
            }) => Err(BackendError::Environment(format!(
                "context \"{context}\": the rollout lock (Lease {namespace}/{lease}) is held by \
                 {holder} until {until}; another runner is working on this release. Wait for it \
                 to finish, or if that runner died, run again with --take-over"
            ))),
            Err(e) => Err(environment(e)),
        }
    }

    async fn unlock(&self, cluster: &str, holder: &str) -> Result<(), BackendError> {
        let m = self.member(cluster)?;
        let guard = LeaseGuard {
            holder: holder.to_string(),
            resource_version: String::new(),
            duration: self.lock_duration,
            until: String::new(),
        };
        match self.state_store(m).release_lock(&guard).await {
            Ok(()) => Ok(()),
            // Someone changed the lease meanwhile: it is not ours to clear any more.
            Err(e) if e.is_conflict() || e.is_not_found() => Ok(()),
            Err(e) => Err(environment(e)),
        }
    }

    async fn load(&self, cluster: &str) -> Result<Option<RolloutState>, BackendError> {
        let m = self.member(cluster)?;
        match self.state_store(m).load::<Value>().await {
            Ok(None) => Ok(None),
            Ok(Some((value, _))) => self.decode_state(m, &value).map(Some),
            Err(e) => Err(environment(e)),
        }
    }

    async fn store(
        &self,
        cluster: &str,
        record: &RolloutState,
    ) -> Result<RolloutState, BackendError> {
        let m = self.member(cluster)?;
        self.ensure_namespace(m, &m.namespace).await?;
        let store = self.state_store(m);
        for _ in 0..STORE_ATTEMPTS {
            let stored = store.load::<Value>().await.map_err(environment)?;
            let written = match stored {
                None => store.create(record).await.map(|_| record.clone()),
                Some((value, rv)) => {
                    let stored = self.decode_state(m, &value)?;
                    let merged = record.merge_stored(&stored).map_err(|e| match e {
                        StateError::OtherRollout { .. } => BackendError::Conflict(format!(
                            "context \"{}\": {e}",
                            m.cluster.context
                        )),
                        other => BackendError::Environment(format!(
                            "context \"{}\": {other}",
                            m.cluster.context
                        )),
                    })?;
                    store.save(&merged, &rv).await.map(|_| merged)
                }
            };
            match written {
                Ok(r) => return Ok(r),
                // Another writer (an `approve`, a second runner) got in between: re-read,
                // re-merge, write again.
                Err(e) if e.is_conflict() => continue,
                Err(e) => return Err(environment(e)),
            }
        }
        Err(BackendError::Environment(format!(
            "context \"{}\": rollout state {}/{} kept changing while it was written ({STORE_ATTEMPTS} attempts)",
            m.cluster.context,
            m.namespace,
            store.name()
        )))
    }

    async fn mirror(
        &self,
        cluster: &str,
        namespace: &str,
        annotations: &BTreeMap<String, String>,
    ) -> Result<(), BackendError> {
        let m = self.member(cluster)?;
        match m
            .cluster
            .state_store(namespace, &self.release)
            .mirror_annotations(annotations)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(environment(e)),
        }
    }

    async fn event(
        &self,
        cluster: &str,
        reason: &str,
        message: &str,
        warning: bool,
    ) -> Result<(), BackendError> {
        let m = self.member(cluster)?;
        self.ensure_namespace(m, &m.namespace).await?;
        let kind = if warning {
            EventType::Warning
        } else {
            EventType::Normal
        };
        self.state_store(m)
            .emit_event(reason, message, kind)
            .await
            .map_err(environment)
    }

    async fn current(
        &self,
        cluster: &str,
        namespace: &str,
    ) -> Result<Option<Revision>, BackendError> {
        let m = self.member(cluster)?;
        self.latest(m, namespace).await
    }

    async fn upgrade(
        &self,
        cluster: &str,
        request: &UpgradeRequest,
    ) -> Result<Revision, BackendError> {
        let m = self.member(cluster)?;
        if !is_label_value(&request.rollout_id) {
            return Err(BackendError::Environment(format!(
                "rollout id {:?} cannot be stored as the {ROLLOUT_ID_LABEL} label: at most 63 \
                 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit",
                request.rollout_id
            )));
        }
        let args = helm::upgrade_args(
            &self.target(m, &request.namespace),
            &self.chart.helm_arg(),
            self.version.as_deref(),
            &request.values,
            &[(ROLLOUT_ID_LABEL.to_string(), request.rollout_id.clone())],
            &self.helm_flags,
        );
        self.run_helm(m, &request.namespace, args).await
    }

    async fn rollback(
        &self,
        cluster: &str,
        namespace: &str,
        revision: u32,
    ) -> Result<Revision, BackendError> {
        let m = self.member(cluster)?;
        let args = helm::rollback_args(&self.target(m, namespace), revision);
        self.run_helm(m, namespace, args).await
    }

    async fn health(&self, cluster: &str, namespace: &str) -> Result<HealthSnapshot, BackendError> {
        let m = self.member(cluster)?;
        let probe = self.probe(cluster, namespace);
        probe
            .observe(&m.cluster, namespace)
            .await
            .map_err(environment)
    }

    async fn crd_changes(&self, cluster: &str) -> Result<Vec<String>, BackendError> {
        let m = self.member(cluster)?;
        if m.crds.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<&str> = m.crds.iter().map(|c| c.name.as_str()).collect();
        let live = live_crds(&m.cluster, &names).await?;
        Ok(upgrade_breaking_lines(&live, &m.crds, &m.cluster.context))
    }

    async fn rollback_crd_check(
        &self,
        cluster: &str,
        namespace: &str,
        revision: u32,
    ) -> Result<Vec<String>, BackendError> {
        let m = self.member(cluster)?;
        let history = m
            .cluster
            .releases()
            .history(namespace, &self.release)
            .await
            .map_err(environment)?;
        let Some(target) = history
            .iter()
            .find(|r| r.release.version == u64::from(revision))
        else {
            return Err(BackendError::Environment(format!(
                "context \"{}\": release {} has no revision {revision} in namespace {namespace}",
                m.cluster.context, self.release
            )));
        };
        let (templated, crds_dir) = match release_crds(target) {
            Ok(found) => found,
            // What cannot be read cannot be shown safe.
            Err(message) => {
                return Ok(vec![format!(
                    "the CRDs of revision {revision} cannot be read, so going back cannot be checked: {message}"
                )])
            }
        };
        let mut names: Vec<&str> = templated
            .iter()
            .chain(&crds_dir)
            .map(|c| c.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        let live = live_crds(&m.cluster, &names).await?;
        Ok(rollback_breaking_lines(
            &live,
            &templated,
            &crds_dir,
            &m.cluster.context,
        ))
    }

    async fn scale_controllers(
        &self,
        cluster: &str,
        namespace: &str,
        replicas: u32,
    ) -> Result<(), BackendError> {
        let m = self.member(cluster)?;
        let query = ListQuery::namespace(namespace).labels(&self.controller_selector);
        let patch = Patch::Merge(json!({"spec": {"replicas": replicas}}));
        for kind in ["Deployment", "StatefulSet"] {
            let objects = m
                .cluster
                .list("apps/v1", kind, &query)
                .await
                .map_err(environment)?;
            for o in &objects {
                let Some(name) = o.pointer("/metadata/name").and_then(Value::as_str) else {
                    continue;
                };
                m.cluster
                    .patch("apps/v1", kind, Some(namespace), name, &patch)
                    .await
                    .map_err(environment)?;
            }
        }
        Ok(())
    }

    async fn switch_webhooks(
        &self,
        cluster: &str,
        from_namespace: &str,
        to_namespace: &str,
    ) -> Result<(), BackendError> {
        let m = self.member(cluster)?;
        if from_namespace == to_namespace {
            return Ok(());
        }
        for kind in [
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration",
        ] {
            let configs = m
                .cluster
                .list("admissionregistration.k8s.io/v1", kind, &ListQuery::all())
                .await
                .map_err(environment)?;
            for config in configs.iter().filter(|c| owned_by(c, &self.release)) {
                let ops = webhook_switch_ops(config, from_namespace, to_namespace);
                let Some(name) = config.pointer("/metadata/name").and_then(Value::as_str) else {
                    continue;
                };
                if ops.is_empty() {
                    continue;
                }
                m.cluster
                    .patch(
                        "admissionregistration.k8s.io/v1",
                        kind,
                        None,
                        name,
                        &Patch::Json(Value::Array(ops)),
                    )
                    .await
                    .map_err(environment)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd(yaml: &str) -> Crd {
        parse_crds(yaml, "test.yaml").unwrap().remove(0)
    }

    fn widgets(versions: &[(&str, bool, bool)], stored: &[&str]) -> Crd {
        let mut text = String::from(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}\n  versions:\n",
        );
        for (name, served, storage) in versions {
            text.push_str(&format!(
                "  - name: {name}\n    served: {served}\n    storage: {storage}\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              size: {{type: integer}}\n"
            ));
        }
        if !stored.is_empty() {
            text.push_str(&format!(
                "status:\n  storedVersions: [{}]\n",
                stored.join(", ")
            ));
        }
        crd(&text)
    }

    #[test]
    fn stored_version_removal_is_one_breaking_line() {
        let live = widgets(
            &[("v1alpha1", true, false), ("v1", true, true)],
            &["v1alpha1", "v1"],
        );
        let chart = widgets(&[("v1", true, true)], &[]);
        let lines = upgrade_breaking_lines(
            std::slice::from_ref(&live),
            std::slice::from_ref(&chart),
            "prod",
        );
        assert_eq!(
            lines,
            [
                "widgets.example.com: v1alpha1: version removed; objects are now served as v1; clients and manifests using example.com/v1alpha1 fail, and the API server refuses the CRD update while objects are still stored as v1alpha1",
                "widgets.example.com: v1alpha1: version removed while the cluster's status.storedVersions lists it (v1alpha1, v1): objects may still be stored as v1alpha1",
            ]
        );
        // A cluster without the CRD (installing it breaks nothing), and one that already
        // has the chart's CRD.
        assert!(upgrade_breaking_lines(&[], std::slice::from_ref(&chart), "prod").is_empty());
        assert!(upgrade_breaking_lines(
            std::slice::from_ref(&chart),
            std::slice::from_ref(&chart),
            "prod"
        )
        .is_empty());
    }

    #[test]
    fn rollback_checks_templated_crds_like_an_upgrade() {
        let live = widgets(&[("v1", true, false), ("v2", true, true)], &["v1", "v2"]);
        let older = widgets(&[("v1", true, true)], &[]);
        let lines = rollback_breaking_lines(
            std::slice::from_ref(&live),
            std::slice::from_ref(&older),
            &[],
            "c",
        );
        assert!(
            lines.iter().any(|l| l.contains(
                "v2: version removed while the cluster's status.storedVersions lists it (v1, v2)"
            )),
            "{lines:?}"
        );
        // The same older CRD in crds/: helm leaves the live one alone, and v1 is served.
        assert!(
            rollback_breaking_lines(&[live], &[], std::slice::from_ref(&older), "c").is_empty()
        );
        // ... unless the live CRD stopped serving the version the older controller uses.
        let live = widgets(&[("v1", false, false), ("v2", true, true)], &["v2"]);
        assert_eq!(
            rollback_breaking_lines(&[live], &[], &[older], "c"),
            ["widgets.example.com: v1: the older chart's controller stores objects as v1, which the live CRD no longer serves (helm rollback leaves crds/ CRDs as they are)"]
        );
    }

    #[test]
    fn rollback_reports_dropped_fields_of_templated_crds() {
        let live = widgets(&[("v1", true, true)], &["v1"]);
        let older_text = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties: {}\n";
        let older = crd(older_text);
        let lines = rollback_breaking_lines(&[live], &[older], &[], "c");
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("widgets.example.com: v1 spec.size: "),
            "{lines:?}"
        );
    }

    #[test]
    fn webhook_ops_only_touch_the_from_namespace() {
        let config = json!({"webhooks": [
            {"name": "a", "clientConfig": {"service": {"namespace": "blue", "name": "op"}}},
            {"name": "b", "clientConfig": {"service": {"namespace": "elsewhere", "name": "x"}}},
            {"name": "c", "clientConfig": {"url": "https://example.com"}},
        ]});
        assert_eq!(
            webhook_switch_ops(&config, "blue", "green"),
            [
                json!({"op": "test", "path": "/webhooks/0/clientConfig/service/namespace", "value": "blue"}),
                json!({"op": "replace", "path": "/webhooks/0/clientConfig/service/namespace", "value": "green"}),
            ]
        );
        let mine = json!({"metadata": {"annotations": {"meta.helm.sh/release-name": "op"}}});
        let labelled = json!({"metadata": {"labels": {"app.kubernetes.io/instance": "op"}}});
        let other = json!({"metadata": {"annotations": {"meta.helm.sh/release-name": "other"}}});
        assert!(owned_by(&mine, "op") && owned_by(&labelled, "op"));
        assert!(!owned_by(&other, "op") && !owned_by(&json!({}), "op"));
    }

    #[test]
    fn label_values() {
        assert!(is_label_value("r-20261123-1a2b"));
        assert!(is_label_value("a.b_c"));
        assert!(!is_label_value(""));
        assert!(!is_label_value("-x"));
        assert!(!is_label_value("a/b"));
        assert!(!is_label_value(&"a".repeat(64)));
    }

    #[test]
    fn watched_kind_uses_the_storage_version() {
        let c = widgets(&[("v1alpha1", true, false), ("v1", true, true)], &[]);
        assert_eq!(
            watched_kind(&c),
            Some(WatchedKind {
                api_version: "example.com/v1".into(),
                kind: "Widget".into()
            })
        );
    }
}
