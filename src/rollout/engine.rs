//! The rollout engine: runs a plan's stages against a [`Backend`], with gates, approvals,
//! health evaluation and automatic rollback, recording every transition in the clusters
//! before taking it so that any runner can `resume` after a crash.
//!
//! ## The state machine
//! For each stage, from the record's `stage` on:
//! 1. control requests (`rollout pause|abort|rollback` from other processes) are honoured;
//! 2. Rolling's pause between clusters;
//! 3. gates: the CRD gate (breaking CRD changes against each cluster need an approval) and
//!    the environment gate (prod needs an approval); the rollout waits in
//!    `WaitingForApproval`, re-reading the record until `rollout approve` or `reject`;
//! 4. the action: `helm upgrade --install` per cluster (bounded parallelism), the
//!    Blue-Green switch, or nothing (validation only);
//! 5. the health gate: every `checkInterval` each cluster of the stage is observed and
//!    judged; `failureThreshold` consecutive failures, or a Canary stage whose share of
//!    healthy checks stays under `successThreshold`, fail the cluster, which triggers the
//!    rollback policy (this cluster, its stage, or every cluster the rollout upgraded).
//!
//! ## Crash safety
//! A cluster's entry is written to that cluster's copy of the record before each of its
//! transitions, and rollout-wide changes (stage, phase) to every copy. On resume, a cluster
//! found `Deploying` is checked against Helm's history: if its latest revision carries this
//! rollout's id (`--labels kubectl-opm/rollout-id`), the upgrade happened and is not
//! repeated; `RollingBack` likewise checks whether the rollback revision exists.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Mutex;
use tracing::Instrument;

use super::backend::{Backend, BackendError, LockRequest, Revision, UpgradeRequest};
use super::health::evaluate;
use super::plan::{Plan, RollbackScope};
use super::stages::{Stage, StageAction};
use super::state::{AuditEntry, ControlAction, Phase, RolloutState};
use crate::cluster::for_each_target;
use crate::telemetry::metrics::{metrics, MetricAttrs};
use crate::telemetry::spans;

/// How a run ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Every stage passed.
    Completed,
    /// Stopped on request (`rollout pause`); `resume` continues.
    Paused,
    /// A gate failed, a cluster was rolled back, an approval was rejected or the rollout
    /// was aborted.
    Failed(String),
}

impl Outcome {
    /// Exit code: 0 completed or paused, 1 failed or rolled back.
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Completed | Outcome::Paused => 0,
            Outcome::Failed(_) => 1,
        }
    }
}

/// Why the engine could not go on.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The environment failed (exit 3); the record is intact and `resume` continues.
    #[error("{0}")]
    Environment(String),
    /// What was asked makes no sense for the stored state (exit 2): resuming with another
    /// plan, resuming a finished rollout, starting over a running one.
    #[error("{0}")]
    Usage(String),
}

impl From<BackendError> for EngineError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Environment(m) | BackendError::Helm(m) => EngineError::Environment(m),
            BackendError::Conflict(m) => EngineError::Usage(m),
        }
    }
}

/// How the engine was started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// A new rollout with this id.
    Start { rollout_id: String },
    /// Continue the rollout recorded in the clusters.
    Resume,
}

/// Knobs of one run.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub mode: Mode,
    /// This process, for the lock holder (`<rollout-id>/<runner>`).
    pub runner: String,
    /// Take the lock over from a runner that died.
    pub take_over: bool,
    /// How often the record is re-read while waiting for an approval.
    pub approval_poll: Duration,
    /// Clusters worked on at once (upgrades within a stage are also bounded by the stage).
    pub parallel: usize,
    /// How often the Leases are renewed while the rollout runs (a third of their duration).
    pub lock_renew: Duration,
}

/// Something that happened, for the progress view, JSON events and notifications.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressEvent {
    /// RFC 3339.
    pub time: String,
    pub rollout_id: String,
    pub release: String,
    pub event: EventKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    pub message: String,
}

/// Kinds of [`ProgressEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    Started,
    Resumed,
    StageStarted,
    Gate,
    ApprovalNeeded,
    Approved,
    Rejected,
    ClusterPhase,
    Check,
    StageCompleted,
    RolledBack,
    Paused,
    Completed,
    Failed,
}

impl EventKind {
    /// Events that go to `--notify`.
    pub fn notifies(self) -> bool {
        matches!(
            self,
            EventKind::ApprovalNeeded
                | EventKind::StageCompleted
                | EventKind::Completed
                | EventKind::RolledBack
                | EventKind::Failed
        )
    }
}

/// Called after each record write with the number of writes so far (tests use it to stop
/// the process at every step; the CLI wires it to a hidden testing variable).
pub type StoreHook = Arc<dyn Fn(u64) + Send + Sync>;

/// One run of a rollout.
pub struct Engine<B: Backend> {
    backend: Arc<B>,
    plan: Plan,
    stages: Vec<Stage>,
    opts: EngineOptions,
    record: Arc<Mutex<RolloutState>>,
    events: Option<UnboundedSender<ProgressEvent>>,
    user: String,
    writes: Arc<std::sync::atomic::AtomicU64>,
    on_store: Option<StoreHook>,
    holder: String,
    started: std::time::Instant,
    renewed: Mutex<tokio::time::Instant>,
    root: Option<tracing::Span>,
}

/// Now, RFC 3339 with milliseconds (sorts as text).
pub fn now_rfc3339() -> String {
    let now = jiff::Timestamp::now();
    let ms = now.subsec_millisecond();
    format!("{}.{ms:03}Z", now.strftime("%Y-%m-%dT%H:%M:%S"))
}

fn since(rfc3339: &str) -> Duration {
    rfc3339
        .parse::<jiff::Timestamp>()
        .ok()
        .and_then(|t| {
            let d = jiff::Timestamp::now().duration_since(t);
            Duration::try_from(d).ok()
        })
        .unwrap_or(Duration::ZERO)
}

/// A fresh rollout id: UTC time and release (`20261123-140501-123-cert-operator`), unique
/// enough per release since a Lease keeps two runners apart. It is also a label value, so
/// it stays within 63 characters (the release part is cut).
pub fn new_rollout_id(release: &str) -> String {
    let now = jiff::Timestamp::now();
    let stamp = format!(
        "{}-{:03}-",
        now.strftime("%Y%m%d-%H%M%S"),
        now.subsec_millisecond()
    );
    let room = 63usize.saturating_sub(stamp.len());
    let cut: String = release.chars().take(room).collect();
    let cut = cut.trim_end_matches(['-', '.', '_']);
    format!("{stamp}{cut}")
}

/// The record of `clusters`, merged from their copies ([`RolloutState::merge_copies`]);
/// `None` when none of them has one.
pub async fn load_merged<B: Backend>(
    backend: &B,
    clusters: &[String],
    parallel: usize,
) -> Result<Option<RolloutState>, BackendError> {
    let loaded = for_each_target(clusters, parallel, |c| async move {
        backend.load(c).await.map(|r| r.map(|r| (c.clone(), r)))
    })
    .await;
    let mut copies = Vec::new();
    for l in loaded {
        if let Some(copy) = l? {
            copies.push(copy);
        }
    }
    Ok(RolloutState::merge_copies(&copies))
}

impl<B: Backend> Engine<B> {
    pub fn new(backend: Arc<B>, plan: Plan, stages: Vec<Stage>, opts: EngineOptions) -> Self {
        let record = RolloutState::new("", &plan.digest, &plan.release, plan.strategy.kind(), &[]);
        Engine {
            backend,
            plan,
            stages,
            opts,
            record: Arc::new(Mutex::new(record)),
            events: None,
            user: String::new(),
            writes: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            on_store: None,
            holder: String::new(),
            started: std::time::Instant::now(),
            renewed: Mutex::new(tokio::time::Instant::now()),
            root: None,
        }
    }

    /// Progress events go to `sender`.
    pub fn with_events(mut self, sender: UnboundedSender<ProgressEvent>) -> Self {
        self.events = Some(sender);
        self
    }

    /// Runs under `span` (an `operator.deploy` span the caller opened, so that its own
    /// steps, such as connecting the clusters, belong to the same trace).
    pub fn with_root_span(mut self, span: tracing::Span) -> Self {
        self.root = Some(span);
        self
    }

    /// `hook` runs after every record write.
    pub fn with_store_hook(mut self, hook: StoreHook) -> Self {
        self.on_store = Some(hook);
        self
    }

    /// Metric attributes of this rollout (and a cluster).
    fn attrs(&self, cluster: Option<&str>) -> MetricAttrs {
        let mut a = MetricAttrs::new()
            .release(self.plan.release.clone())
            .strategy(self.plan.strategy.kind().as_str().to_lowercase());
        if let Some(c) = cluster {
            a = a.cluster(c.to_string());
            if let Some(env) = self.plan.cluster(c).map(|p| p.environment) {
                a = a.environment(env.as_str());
            }
        }
        a
    }

    fn cluster_names(&self) -> Vec<String> {
        self.plan
            .clusters
            .iter()
            .map(|c| c.context.clone())
            .collect()
    }

    fn namespace_of(&self, cluster: &str, action_ns: Option<&String>) -> String {
        if let Some(ns) = action_ns {
            return ns.clone();
        }
        self.plan
            .cluster(cluster)
            .map(|c| c.namespace.clone())
            .unwrap_or_else(|| self.plan.namespace.clone())
    }

    /// The namespace the release lives in for `stage` (green for Blue-Green).
    fn release_namespace(&self, cluster: &str, stage: &Stage) -> String {
        match &stage.action {
            StageAction::Upgrade { namespace } | StageAction::Validate { namespace } => {
                self.namespace_of(cluster, namespace.as_ref())
            }
            StageAction::Switch { to, .. } => to.clone(),
            StageAction::Retain { .. } => self.namespace_of(cluster, None),
        }
    }

    async fn emit(
        &self,
        event: EventKind,
        stage: Option<usize>,
        cluster: Option<&str>,
        phase: Option<Phase>,
        message: String,
    ) {
        let id = self.record.lock().await.rollout_id.clone();
        // The structured log line (inside the rollout's spans, so it carries operatorName,
        // version, deploymentId, user and traceId; `--log-format json`).
        match event {
            EventKind::Failed | EventKind::RolledBack | EventKind::Rejected => tracing::warn!(
                cluster = cluster.unwrap_or_default(),
                event = ?event,
                stage = stage.map(|s| s + 1),
                "{message}"
            ),
            _ => tracing::info!(
                cluster = cluster.unwrap_or_default(),
                event = ?event,
                stage = stage.map(|s| s + 1),
                "{message}"
            ),
        }
        if let Some(tx) = &self.events {
            let _ = tx.send(ProgressEvent {
                time: now_rfc3339(),
                rollout_id: id,
                release: self.plan.release.clone(),
                event,
                stage,
                stage_name: stage
                    .and_then(|s| self.stages.get(s))
                    .map(|s| s.name.clone()),
                cluster: cluster.map(str::to_string),
                phase,
                message,
            });
        }
    }

    /// Appends to the audit trail (in memory; written with the next store).
    async fn audit(&self, cluster: Option<&str>, message: &str) {
        let mut r = self.record.lock().await;
        r.record(AuditEntry {
            when: now_rfc3339(),
            who: self.user.clone(),
            cluster: cluster.map(str::to_string),
            message: message.to_string(),
        });
    }

    /// Writes the record to `clusters` (their copies), adopting approvals and requests
    /// other processes stored meanwhile.
    async fn store(&self, clusters: &[String]) -> Result<(), EngineError> {
        let snapshot = {
            let mut r = self.record.lock().await;
            r.seq += 1;
            r.updated_at = now_rfc3339();
            r.clone()
        };
        let backend = &self.backend;
        let results = for_each_target(clusters, self.opts.parallel, |c| {
            let snapshot = &snapshot;
            async move { backend.store(c, snapshot).await }
        })
        .await;
        let mut r = self.record.lock().await;
        for written in results {
            r.adopt_decisions(&written?);
        }
        drop(r);
        let n = self
            .writes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        if let Some(hook) = &self.on_store {
            hook(n);
        }
        Ok(())
    }

    async fn store_all(&self) -> Result<(), EngineError> {
        let all = self.cluster_names();
        self.store(&all).await
    }

    async fn set_cluster<F: FnOnce(&mut super::state::ClusterState)>(
        &self,
        cluster: &str,
        change: F,
    ) {
        let mut r = self.record.lock().await;
        let entry = r.clusters.entry(cluster.to_string()).or_default();
        change(entry);
    }

    /// Mirrors the rollout onto the release's current revision (best effort: the record
    /// is the truth; a failed mirror is reported, not fatal).
    async fn mirror(&self, cluster: &str, namespace: &str) {
        let (id, strategy, entry) = {
            let r = self.record.lock().await;
            (
                r.rollout_id.clone(),
                r.strategy.as_str().to_string(),
                r.clusters.get(cluster).cloned().unwrap_or_default(),
            )
        };
        let mut ann = BTreeMap::new();
        ann.insert("rollout-id".to_string(), id);
        ann.insert("strategy".to_string(), strategy);
        ann.insert("phase".to_string(), format!("{:?}", entry.phase));
        if let Some(rev) = entry.last_good_revision {
            ann.insert("last-good-revision".to_string(), rev.to_string());
        }
        if let Err(e) = self.backend.mirror(cluster, namespace, &ann).await {
            tracing::warn!(cluster, "could not annotate the release: {e}");
        }
    }

    async fn k8s_event(&self, cluster: &str, reason: &str, message: &str, warning: bool) {
        if let Err(e) = self.backend.event(cluster, reason, message, warning).await {
            tracing::warn!(cluster, "could not record the event {reason}: {e}");
        }
    }

    /// Locks every cluster; on failure releases what was taken.
    async fn lock_all(&self) -> Result<(), EngineError> {
        let names = self.cluster_names();
        let request = LockRequest {
            holder: self.holder.clone(),
            take_over: self.opts.take_over,
        };
        let backend = &self.backend;
        let results = for_each_target(&names, self.opts.parallel, |c| {
            let request = &request;
            async move { backend.lock(c, request).await }
        })
        .await;
        if let Some(err) = results.iter().find_map(|r| r.as_ref().err()).cloned() {
            let holder = &self.holder;
            for_each_target(&names, self.opts.parallel, |c| async move {
                let _ = backend.unlock(c, holder).await;
            })
            .await;
            return Err(err.into());
        }
        Ok(())
    }

    /// Renews the Leases when a third of their life has passed (called between steps).
    async fn renew(&self) -> Result<(), EngineError> {
        let mut last = self.renewed.lock().await;
        if last.elapsed() < self.opts.lock_renew {
            return Ok(());
        }
        let names = self.cluster_names();
        let request = LockRequest {
            holder: self.holder.clone(),
            take_over: false,
        };
        let backend = &self.backend;
        let results = for_each_target(&names, self.opts.parallel, |c| {
            let request = &request;
            async move { backend.lock(c, request).await }
        })
        .await;
        for r in results {
            r?;
        }
        *last = tokio::time::Instant::now();
        Ok(())
    }

    async fn unlock_all(&self) {
        let names = self.cluster_names();
        let backend = &self.backend;
        let holder = &self.holder;
        for_each_target(&names, self.opts.parallel, |c| async move {
            if let Err(e) = backend.unlock(c, holder).await {
                tracing::warn!(cluster = %c, "could not release the lock: {e}");
            }
        })
        .await;
    }

    /// The record stored in the plan's clusters, merged from their copies.
    async fn load_record(&self) -> Result<Option<RolloutState>, EngineError> {
        Ok(load_merged(
            self.backend.as_ref(),
            &self.cluster_names(),
            self.opts.parallel,
        )
        .await?)
    }

    /// Runs the rollout to its end (or to a pause). Locks are released on every path.
    pub async fn run(mut self) -> Result<Outcome, EngineError> {
        let first = self
            .plan
            .clusters
            .first()
            .map(|c| c.context.clone())
            .ok_or_else(|| EngineError::Usage("the plan has no clusters".into()))?;
        self.user = self.backend.identity(&first).await?;
        let stored = self.load_record().await?;
        let rollout_id = match (&self.opts.mode, &stored) {
            (Mode::Start { rollout_id }, Some(s)) if !s.phase.is_terminal() => {
                return Err(EngineError::Usage(format!(
                    "release {} is in the middle of rollout {} ({:?}); continue it with `kubectl opm rollout resume` or stop it with `kubectl opm rollout abort` before starting {rollout_id}",
                    self.plan.release, s.rollout_id, s.phase
                )))
            }
            (Mode::Start { rollout_id }, _) => rollout_id.clone(),
            (Mode::Resume, None) => {
                return Err(EngineError::Usage(format!(
                    "there is no rollout of release {} to resume in the plan's clusters",
                    self.plan.release
                )))
            }
            (Mode::Resume, Some(s)) => {
                if s.plan_digest != self.plan.digest {
                    return Err(EngineError::Usage(format!(
                        "rollout {} was started with another plan ({}); this plan is {}: resume it with the plan it started with",
                        s.rollout_id, s.plan_digest, self.plan.digest
                    )));
                }
                s.rollout_id.clone()
            }
        };
        self.holder = format!("{rollout_id}/{}", self.opts.runner);
        self.lock_all().await?;
        *self.renewed.lock().await = tokio::time::Instant::now();
        let result = self.drive(rollout_id, stored).await;
        self.unlock_all().await;
        result
    }

    async fn drive(
        &self,
        rollout_id: String,
        stored: Option<RolloutState>,
    ) -> Result<Outcome, EngineError> {
        let names = self.cluster_names();
        let resuming = matches!(self.opts.mode, Mode::Resume);
        {
            let mut r = self.record.lock().await;
            match (&self.opts.mode, stored) {
                (Mode::Resume, Some(s)) => {
                    *r = s;
                    if r.phase.is_terminal() {
                        let phase = r.phase;
                        drop(r);
                        // Only pending requests (a rollback of a finished rollout) remain.
                        if self.pending(ControlAction::Rollback).await.is_some() {
                            return self.handle_rollback_request().await;
                        }
                        // The previous runner may have died while writing the end:
                        // make every copy say so, and report the outcome again.
                        self.audit(
                            None,
                            &format!("rollout resumed by {} after it had ended", self.user),
                        )
                        .await;
                        self.store_all().await?;
                        let last = {
                            let r = self.record.lock().await;
                            let n = r.audit.len();
                            n.checked_sub(2)
                                .and_then(|i| r.audit.get(i))
                                .map(|a| a.message.clone())
                                .unwrap_or_default()
                        };
                        self.emit(
                            EventKind::Resumed,
                            None,
                            None,
                            Some(phase),
                            format!("rollout {rollout_id} has already ended ({phase:?}): {last}"),
                        )
                        .await;
                        return Ok(match phase {
                            Phase::Completed => Outcome::Completed,
                            _ => Outcome::Failed(last),
                        });
                    }
                }
                _ => {
                    let mut fresh = RolloutState::new(
                        &rollout_id,
                        &self.plan.digest,
                        &self.plan.release,
                        self.plan.strategy.kind(),
                        &names,
                    );
                    fresh.chart = match &self.plan.version {
                        Some(v) => format!("{}@{v}", self.plan.chart.helm_arg()),
                        None => self.plan.chart.helm_arg(),
                    };
                    fresh.started_by = self.user.clone();
                    fresh.started_at = now_rfc3339();
                    fresh.phase = Phase::Deploying;
                    *r = fresh;
                }
            }
        }
        let span = self.root.clone().unwrap_or_else(|| {
            spans::deploy(
                &spans::DeployFields {
                    operator_name: self.plan.release.clone(),
                    version: self.plan.version.clone().unwrap_or_default(),
                    deployment_id: rollout_id.clone(),
                    user: Some(self.user.clone()),
                    release: self.plan.release.clone(),
                    strategy: self.plan.strategy.kind().as_str().to_lowercase(),
                },
                None,
            )
        });
        metrics().set_active_deployments(1, &self.attrs(None));
        async {
            if resuming {
                let phase = {
                    let mut r = self.record.lock().await;
                    if r.phase == Phase::Paused {
                        r.phase = Phase::Deploying;
                    }
                    r.phase
                };
                self.audit(None, &format!("rollout resumed by {}", self.user))
                    .await;
                self.store_all().await?;
                self.emit(
                    EventKind::Resumed,
                    None,
                    None,
                    Some(phase),
                    format!("rollout {rollout_id} resumed"),
                )
                .await;
            } else {
                self.audit(
                    None,
                    &format!(
                        "rollout {rollout_id} of {} started by {} ({})",
                        self.plan.release,
                        self.user,
                        super::plan::describe_strategy(&self.plan.strategy)
                    ),
                )
                .await;
                self.store_all().await?;
                for c in &names {
                    self.k8s_event(
                        c,
                        "RolloutStarted",
                        &format!("rollout {rollout_id} started"),
                        false,
                    )
                    .await;
                }
                self.emit(
                    EventKind::Started,
                    None,
                    None,
                    Some(Phase::Deploying),
                    format!(
                        "rollout {rollout_id}: {} to {} clusters in {} stages",
                        self.plan.release,
                        names.len(),
                        self.stages.len()
                    ),
                )
                .await;
            }
            if resuming && self.record.lock().await.phase == Phase::RollingBack {
                return self.finish_interrupted_rollback().await;
            }
            self.stages_loop().await
        }
        .instrument(span)
        .await
    }

    /// A rollback was under way when the previous runner stopped: finish it.
    async fn finish_interrupted_rollback(&self) -> Result<Outcome, EngineError> {
        let targets: Vec<String> = {
            let r = self.record.lock().await;
            r.clusters
                .iter()
                .filter(|(_, e)| e.phase == Phase::RollingBack)
                .map(|(c, _)| c.clone())
                .collect()
        };
        let why = "finishing the rollback interrupted by the previous runner";
        let outcome = self.rollback_clusters(&targets, why).await?;
        let msg = format!("rollout failed and rolled back ({outcome})");
        self.fail(EventKind::RolledBack, None, msg).await
    }

    /// Marks `targets` RollingBack (and the rollout) and writes that everywhere, before
    /// any of them is touched, so a resumed runner knows what to finish.
    async fn begin_rollback(&self, targets: &[String]) -> Result<(), EngineError> {
        {
            let mut r = self.record.lock().await;
            r.phase = Phase::RollingBack;
            for c in targets {
                if let Some(e) = r.clusters.get_mut(c) {
                    e.phase = Phase::RollingBack;
                }
            }
        }
        self.store_all().await
    }

    /// The oldest pending request of `action`.
    async fn pending(&self, action: ControlAction) -> Option<String> {
        let r = self.record.lock().await;
        r.requests
            .iter()
            .find(|q| !q.handled && q.action == action)
            .map(|q| q.id.clone())
    }

    async fn mark_handled(&self, id: &str) {
        let mut r = self.record.lock().await;
        if let Some(q) = r.requests.iter_mut().find(|q| q.id == id) {
            q.handled = true;
        }
    }

    /// Honours pause, abort and rollback requests. `Some` ends the run.
    async fn control(&self) -> Result<Option<Outcome>, EngineError> {
        if self.pending(ControlAction::Rollback).await.is_some() {
            return self.handle_rollback_request().await.map(Some);
        }
        if let Some(id) = self.pending(ControlAction::Abort).await {
            let who = self.requester(&id).await;
            self.mark_handled(&id).await;
            let msg = format!("rollout aborted by {who}; clusters stay where they are");
            return self.fail(EventKind::Failed, None, msg).await.map(Some);
        }
        if let Some(id) = self.pending(ControlAction::Pause).await {
            let who = self.requester(&id).await;
            self.mark_handled(&id).await;
            let msg =
                format!("rollout paused by {who}; continue with `kubectl opm rollout resume`");
            {
                let mut r = self.record.lock().await;
                r.phase = Phase::Paused;
            }
            self.audit(None, &msg).await;
            self.store_all().await?;
            self.emit(EventKind::Paused, None, None, Some(Phase::Paused), msg)
                .await;
            return Ok(Some(Outcome::Paused));
        }
        Ok(None)
    }

    async fn requester(&self, id: &str) -> String {
        let r = self.record.lock().await;
        r.requests
            .iter()
            .find(|q| q.id == id)
            .map(|q| {
                if q.why.is_empty() {
                    q.who.clone()
                } else {
                    format!("{} ({})", q.who, q.why)
                }
            })
            .unwrap_or_default()
    }

    async fn handle_rollback_request(&self) -> Result<Outcome, EngineError> {
        let Some(id) = self.pending(ControlAction::Rollback).await else {
            return Ok(Outcome::Failed("rollback".into()));
        };
        let who = self.requester(&id).await;
        self.mark_handled(&id).await;
        let msg = format!("rollback of every upgraded cluster requested by {who}");
        self.audit(None, &msg).await;
        let targets = self.upgraded_clusters(None).await;
        self.begin_rollback(&targets).await?;
        self.rollback_clusters(&targets, &msg).await?;
        let done = format!("rolled back on request of {who}");
        self.fail(EventKind::RolledBack, None, done).await
    }

    /// Ends the rollout as Failed (recorded, Events, metrics), reports `kind`, and returns
    /// the outcome.
    async fn fail(
        &self,
        kind: EventKind,
        stage: Option<usize>,
        msg: String,
    ) -> Result<Outcome, EngineError> {
        self.finish(Phase::Failed, &msg).await?;
        self.emit(kind, stage, None, Some(Phase::Failed), msg.clone())
            .await;
        Ok(Outcome::Failed(msg))
    }

    async fn finish(&self, phase: Phase, message: &str) -> Result<(), EngineError> {
        {
            let mut r = self.record.lock().await;
            r.phase = phase;
            if phase == Phase::Completed {
                r.stage = self.stages.len();
            }
        }
        self.audit(None, message).await;
        self.store_all().await?;
        let m = metrics();
        let attrs = self.attrs(None);
        m.set_active_deployments(0, &attrs);
        m.deploy_duration(self.started.elapsed().as_secs_f64(), &attrs);
        if phase == Phase::Failed {
            m.failed(&attrs);
        }
        let warning = phase != Phase::Completed;
        let reason = if warning {
            "RolloutFailed"
        } else {
            "RolloutCompleted"
        };
        for c in self.cluster_names() {
            self.k8s_event(&c, reason, message, warning).await;
        }
        Ok(())
    }

    async fn sleep_with_control(&self, total: Duration) -> Result<Option<Outcome>, EngineError> {
        let step = self
            .plan
            .health
            .check_interval
            .max(Duration::from_millis(10));
        let deadline = tokio::time::Instant::now() + total;
        loop {
            if let Some(o) = self.control().await? {
                return Ok(Some(o));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(step.min(deadline - now)).await;
            // Requests arrive through the clusters: re-read them.
            self.refresh_requests().await?;
        }
    }

    /// Adopts approvals and requests stored by other processes (and renews the Leases).
    async fn refresh_requests(&self) -> Result<(), EngineError> {
        self.renew().await?;
        if let Some(stored) = self.load_record().await? {
            let mut r = self.record.lock().await;
            if stored.rollout_id == r.rollout_id {
                r.adopt_decisions(&stored);
            }
        }
        Ok(())
    }

    async fn stages_loop(&self) -> Result<Outcome, EngineError> {
        loop {
            let index = self.record.lock().await.stage;
            let Some(stage) = self.stages.get(index) else {
                break;
            };
            if let Some(o) = self.control().await? {
                return Ok(o);
            }
            if let Some(o) = self.run_stage(index, stage).await? {
                return Ok(o);
            }
            {
                let mut r = self.record.lock().await;
                r.stage = index + 1;
                r.evaluation_started_at = None;
                // A cluster is Completed once its last stage has passed.
                for c in &stage.clusters {
                    let later = self
                        .stages
                        .get(index + 1..)
                        .unwrap_or(&[])
                        .iter()
                        .any(|s| s.clusters.contains(c));
                    if let Some(e) = r.clusters.get_mut(c) {
                        if !later && !e.phase.is_terminal() {
                            e.phase = Phase::Completed;
                        }
                    }
                }
            }
            let msg = format!("stage {} ({}) passed", index + 1, stage.name);
            self.audit(None, &msg).await;
            self.store_all().await?;
            for c in &stage.clusters {
                let ns = self.release_namespace(c, stage);
                self.mirror(c, &ns).await;
                self.k8s_event(c, "StageCompleted", &msg, false).await;
            }
            self.emit(EventKind::StageCompleted, Some(index), None, None, msg)
                .await;
        }
        let msg = format!(
            "rollout of {} completed on {} clusters",
            self.plan.release,
            self.plan.clusters.len()
        );
        self.finish(Phase::Completed, &msg).await?;
        self.emit(
            EventKind::Completed,
            None,
            None,
            Some(Phase::Completed),
            msg,
        )
        .await;
        Ok(Outcome::Completed)
    }

    /// One stage; `Some` ends the run.
    async fn run_stage(&self, index: usize, stage: &Stage) -> Result<Option<Outcome>, EngineError> {
        self.emit(
            EventKind::StageStarted,
            Some(index),
            None,
            None,
            format!(
                "stage {}/{} ({}): {}",
                index + 1,
                self.stages.len(),
                stage.name,
                stage.clusters.join(", ")
            ),
        )
        .await;
        let evaluating = self.record.lock().await.evaluation_started_at.is_some();
        if !stage.pause_before.is_zero() && !evaluating {
            let untouched = {
                let r = self.record.lock().await;
                stage.clusters.iter().all(|c| {
                    r.clusters
                        .get(c)
                        .is_none_or(|e| e.stage < index || e.phase == Phase::Planning)
                })
            };
            if untouched {
                if let Some(o) = self.sleep_with_control(stage.pause_before).await? {
                    return Ok(Some(o));
                }
            }
        }
        if !evaluating {
            if let Some(o) = self.gates(index, stage).await? {
                return Ok(Some(o));
            }
            match &stage.action {
                StageAction::Upgrade { namespace } => {
                    if let Some(o) = self.upgrade_stage(index, stage, namespace.as_ref()).await? {
                        return Ok(Some(o));
                    }
                }
                StageAction::Validate { .. } => {
                    for c in &stage.clusters {
                        self.set_cluster(c, |e| {
                            e.stage = index;
                            if !e.phase.is_terminal() {
                                e.phase = Phase::Validating;
                            }
                        })
                        .await;
                    }
                }
                StageAction::Switch { from, to } => {
                    if let Some(o) = self.switch_stage(index, stage, from, to).await? {
                        return Ok(Some(o));
                    }
                }
                StageAction::Retain { namespace, period } => {
                    let until = jiff::Timestamp::now()
                        .checked_add(jiff::SignedDuration::try_from(*period).unwrap_or_default())
                        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                        .unwrap_or_default();
                    let msg = format!(
                        "blue release kept in namespace {namespace} (scaled to 0) until {until}; remove it afterwards with `helm uninstall {} -n {namespace}`",
                        self.plan.release
                    );
                    self.record.lock().await.retain_until = Some(until);
                    self.audit(None, &msg).await;
                    self.emit(EventKind::Gate, Some(index), None, None, msg)
                        .await;
                    return Ok(None);
                }
            }
        }
        let Some(evaluation) = &stage.evaluation else {
            return Ok(None);
        };
        self.evaluate_stage(
            index,
            stage,
            evaluation.period,
            evaluation.success_threshold,
        )
        .await
    }

    /// CRD and environment gates; waits for an approval when one is needed.
    async fn gates(&self, index: usize, stage: &Stage) -> Result<Option<Outcome>, EngineError> {
        if self.approved(index).await == Some(true) {
            return Ok(None);
        }
        let mut reasons = Vec::new();
        if stage.needs_approval {
            reasons.push(match stage.action {
                StageAction::Switch { .. } => {
                    "autoSwitch is off: the switch to green needs an approval".to_string()
                }
                _ => format!(
                    "stage {} touches {} clusters",
                    stage.name,
                    self.plan
                        .approval_environments
                        .iter()
                        .map(|e| e.as_str())
                        .collect::<Vec<_>>()
                        .join("/")
                ),
            });
        }
        if matches!(stage.action, StageAction::Upgrade { .. }) {
            let backend = &self.backend;
            let span = spans::validate();
            let found = for_each_target(&stage.clusters, self.opts.parallel, |c| async move {
                (c, backend.crd_changes(c).await)
            })
            .instrument(span)
            .await;
            for (c, changes) in found {
                let changes = changes?;
                metrics().crds_validated(1, &self.attrs(Some(c)));
                if !changes.is_empty() {
                    let msg = format!("breaking CRD changes against {c}: {}", changes.join("; "));
                    self.emit(EventKind::Gate, Some(index), Some(c), None, msg.clone())
                        .await;
                    reasons.push(msg);
                }
            }
        }
        if reasons.is_empty() {
            return Ok(None);
        }
        self.wait_for_approval(index, stage, &reasons.join("; "))
            .await
    }

    async fn approved(&self, index: usize) -> Option<bool> {
        self.record
            .lock()
            .await
            .approval_for(index)
            .map(|a| a.approved)
    }

    async fn wait_for_approval(
        &self,
        index: usize,
        stage: &Stage,
        why: &str,
    ) -> Result<Option<Outcome>, EngineError> {
        if self.approved(index).await.is_none() {
            {
                let mut r = self.record.lock().await;
                r.phase = Phase::WaitingForApproval;
                for c in &stage.clusters {
                    if let Some(e) = r.clusters.get_mut(c) {
                        if !e.phase.is_terminal() {
                            e.phase = Phase::WaitingForApproval;
                            e.stage = index;
                        }
                    }
                }
            }
            let msg = format!(
                "stage {} ({}) waits for approval: {why}; approve with `kubectl opm rollout approve --stage {} --reason …`",
                index + 1,
                stage.name,
                index + 1
            );
            self.audit(None, &msg).await;
            self.store_all().await?;
            for c in &stage.clusters {
                self.k8s_event(c, "ApprovalNeeded", &msg, false).await;
            }
            self.emit(
                EventKind::ApprovalNeeded,
                Some(index),
                None,
                Some(Phase::WaitingForApproval),
                msg,
            )
            .await;
        }
        loop {
            let decision = self.record.lock().await.approval_for(index).cloned();
            match decision {
                Some(a) if a.approved => {
                    let msg = format!("stage {} approved by {}: {}", index + 1, a.who, a.why);
                    {
                        let mut r = self.record.lock().await;
                        r.phase = Phase::Deploying;
                    }
                    self.audit(None, &msg).await;
                    self.store_all().await?;
                    self.emit(EventKind::Approved, Some(index), None, None, msg)
                        .await;
                    return Ok(None);
                }
                Some(a) => {
                    let msg = format!("stage {} rejected by {}: {}", index + 1, a.who, a.why);
                    {
                        let mut r = self.record.lock().await;
                        for c in &stage.clusters {
                            if let Some(e) = r.clusters.get_mut(c) {
                                if e.phase == Phase::WaitingForApproval {
                                    e.phase = Phase::Failed;
                                    e.message = Some(msg.clone());
                                }
                            }
                        }
                    }
                    return self
                        .fail(EventKind::Rejected, Some(index), msg)
                        .await
                        .map(Some);
                }
                None => {}
            }
            if let Some(o) = self.control().await? {
                return Ok(Some(o));
            }
            tokio::time::sleep(self.opts.approval_poll).await;
            self.refresh_requests().await?;
        }
    }

    /// `helm upgrade --install` on the stage's clusters; failures roll back per policy.
    async fn upgrade_stage(
        &self,
        index: usize,
        stage: &Stage,
        namespace: Option<&String>,
    ) -> Result<Option<Outcome>, EngineError> {
        let parallel = stage.parallelism.max(1).min(self.opts.parallel.max(1));
        let results = for_each_target(&stage.clusters, parallel, |c| async move {
            (c.clone(), self.deploy_cluster(index, c, namespace).await)
        })
        .await;
        let mut failed = Vec::new();
        for (c, r) in results {
            match r {
                Ok(None) => {}
                Ok(Some(problem)) => failed.push((c, problem)),
                Err(e) => return Err(e),
            }
        }
        if failed.is_empty() {
            return Ok(None);
        }
        self.fail_clusters(index, &failed).await.map(Some)
    }

    /// Upgrades one cluster; `Ok(Some(problem))` when helm failed.
    async fn deploy_cluster(
        &self,
        index: usize,
        cluster: &str,
        namespace: Option<&String>,
    ) -> Result<Option<String>, EngineError> {
        let ns = self.namespace_of(cluster, namespace);
        let (phase, stage_of) = {
            let r = self.record.lock().await;
            let e = r.clusters.get(cluster).cloned().unwrap_or_default();
            (e.phase, e.stage)
        };
        let rollout_id = self.record.lock().await.rollout_id.clone();
        if stage_of == index
            && matches!(
                phase,
                Phase::Validating | Phase::Completed | Phase::Failed | Phase::RollingBack
            )
        {
            return Ok(None);
        }
        let span = spans::helm_install(
            cluster,
            &self.plan.release,
            self.plan.version.as_deref().unwrap_or(""),
        );
        let span_handle = span.clone();
        async {
            let current = self.backend.current(cluster, &ns).await?;
            if phase == Phase::Deploying && stage_of == index {
                // Resumed after a crash: did the upgrade happen?
                if let Some(rev) = &current {
                    if rev.rollout_id.as_deref() == Some(rollout_id.as_str()) {
                        if rev.status == "deployed" {
                            self.deployed(index, cluster, &ns, rev).await?;
                            return Ok(None);
                        }
                        if rev.status.starts_with("pending") {
                            return Err(EngineError::Environment(format!(
                                "{cluster}: revision {} of {} is {} (a helm operation was interrupted); fix it with `helm rollback {} -n {ns} --kube-context {cluster}` and resume",
                                rev.revision, self.plan.release, rev.status, self.plan.release
                            )));
                        }
                    }
                }
            } else {
                let last_good = current
                    .as_ref()
                    .filter(|r| r.status == "deployed")
                    .map(|r| r.revision);
                self.set_cluster(cluster, |e| {
                    e.stage = index;
                    e.phase = Phase::Deploying;
                    e.last_good_revision = last_good;
                    e.consecutive_failed_checks = 0;
                    e.healthy_checks = 0;
                    e.total_checks = 0;
                    e.message = None;
                })
                .await;
                self.audit(
                    Some(cluster),
                    &format!(
                        "{cluster}: upgrading {} in {ns} (last good revision {})",
                        self.plan.release,
                        last_good.map_or("none".to_string(), |r| r.to_string())
                    ),
                )
                .await;
                self.store(&[cluster.to_string()]).await?;
                self.emit(
                    EventKind::ClusterPhase,
                    Some(index),
                    Some(cluster),
                    Some(Phase::Deploying),
                    format!("{cluster}: helm upgrade --install {} -n {ns}", self.plan.release),
                )
                .await;
            }
            let env = self.plan.cluster(cluster).map(|c| c.environment);
            let request = UpgradeRequest {
                namespace: ns.clone(),
                values: env.map(|e| self.plan.values_for(e)).unwrap_or_default(),
                rollout_id: rollout_id.clone(),
            };
            let began = std::time::Instant::now();
            let upgraded = self.backend.upgrade(cluster, &request).await;
            let attrs = self.attrs(Some(cluster));
            metrics().helm_install_duration(began.elapsed().as_secs_f64(), &attrs);
            match upgraded {
                Ok(rev) => {
                    metrics().deployed(&attrs);
                    spans::record_success(&span_handle);
                    self.deployed(index, cluster, &ns, &rev).await?;
                    Ok(None)
                }
                Err(BackendError::Helm(m)) => {
                    spans::record_failure(&span_handle, &m);
                    self.mirror(cluster, &ns).await;
                    Ok(Some(format!("helm upgrade failed: {m}")))
                }
                Err(e) => Err(e.into()),
            }
        }
        .instrument(span)
        .await
    }

    async fn deployed(
        &self,
        index: usize,
        cluster: &str,
        ns: &str,
        rev: &Revision,
    ) -> Result<(), EngineError> {
        self.set_cluster(cluster, |e| {
            e.stage = index;
            e.phase = Phase::Validating;
            e.target_revision = Some(rev.revision);
        })
        .await;
        let msg = format!(
            "{cluster}: revision {} deployed ({})",
            rev.revision, rev.chart
        );
        self.audit(Some(cluster), &msg).await;
        self.store(&[cluster.to_string()]).await?;
        self.mirror(cluster, ns).await;
        self.k8s_event(cluster, "Deployed", &msg, false).await;
        self.emit(
            EventKind::ClusterPhase,
            Some(index),
            Some(cluster),
            Some(Phase::Validating),
            msg,
        )
        .await;
        Ok(())
    }

    /// Blue-Green switch: blue's controllers to 0, webhooks to green.
    async fn switch_stage(
        &self,
        index: usize,
        stage: &Stage,
        from: &str,
        to: &str,
    ) -> Result<Option<Outcome>, EngineError> {
        for c in &stage.clusters {
            let done = {
                let r = self.record.lock().await;
                r.clusters
                    .get(c)
                    .is_some_and(|e| e.stage == index && e.phase == Phase::Validating)
            };
            if done {
                continue;
            }
            self.set_cluster(c, |e| {
                e.stage = index;
                e.phase = Phase::Deploying;
            })
            .await;
            self.audit(
                Some(c),
                &format!("{c}: switching webhooks from {from} to {to}, scaling {from} to 0"),
            )
            .await;
            self.store(std::slice::from_ref(c)).await?;
            let switched = async {
                self.backend.switch_webhooks(c, from, to).await?;
                self.backend.scale_controllers(c, from, 0).await
            }
            .await;
            match switched {
                Ok(()) => {
                    self.set_cluster(c, |e| {
                        e.phase = Phase::Validating;
                        e.consecutive_failed_checks = 0;
                        e.healthy_checks = 0;
                        e.total_checks = 0;
                    })
                    .await;
                    let msg = format!("{c}: switched to {to}");
                    self.audit(Some(c), &msg).await;
                    self.store(std::slice::from_ref(c)).await?;
                    self.emit(
                        EventKind::ClusterPhase,
                        Some(index),
                        Some(c),
                        Some(Phase::Validating),
                        msg,
                    )
                    .await;
                }
                Err(BackendError::Environment(m)) => return Err(EngineError::Environment(m)),
                Err(e) => {
                    return self
                        .fail_clusters(index, &[(c.clone(), format!("switch failed: {e}"))])
                        .await
                        .map(Some)
                }
            }
        }
        Ok(None)
    }

    /// The health gate of a stage.
    async fn evaluate_stage(
        &self,
        index: usize,
        stage: &Stage,
        period: Duration,
        success_threshold: Option<f64>,
    ) -> Result<Option<Outcome>, EngineError> {
        let started = {
            let mut r = self.record.lock().await;
            if r.evaluation_started_at.is_none() {
                r.evaluation_started_at = Some(now_rfc3339());
                r.phase = Phase::Validating;
                for c in &stage.clusters {
                    if let Some(e) = r.clusters.get_mut(c) {
                        if !e.phase.is_terminal() {
                            e.stage = index;
                            e.phase = Phase::Validating;
                        }
                    }
                }
                None
            } else {
                r.evaluation_started_at.clone()
            }
        };
        if started.is_none() {
            self.store_all().await?;
        }
        let already = started.as_deref().map(since).unwrap_or(Duration::ZERO);
        let remaining = period.saturating_sub(already);
        let deadline = tokio::time::Instant::now() + remaining;
        let interval = self.plan.health.check_interval;
        let active: Vec<String> = {
            let r = self.record.lock().await;
            stage
                .clusters
                .iter()
                .filter(|c| r.clusters.get(*c).is_none_or(|e| !e.phase.is_terminal()))
                .cloned()
                .collect()
        };
        loop {
            if let Some(o) = self.control().await? {
                return Ok(Some(o));
            }
            let failed = self.check_round(index, stage, &active).await?;
            if !failed.is_empty() {
                return self.fail_clusters(index, &failed).await.map(Some);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                break;
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            self.refresh_requests().await?;
        }
        // The period is over: judge the stage.
        let r = self.record.lock().await;
        let (healthy, total) = active.iter().fold((0u64, 0u64), |(h, t), c| {
            let e = r.clusters.get(c).cloned().unwrap_or_default();
            (
                h + u64::from(e.healthy_checks),
                t + u64::from(e.total_checks),
            )
        });
        let last_bad: Vec<(String, String)> = active
            .iter()
            .filter_map(|c| {
                let e = r.clusters.get(c)?;
                (e.consecutive_failed_checks > 0).then(|| {
                    (
                        c.clone(),
                        e.message
                            .clone()
                            .unwrap_or_else(|| "last health check failed".into()),
                    )
                })
            })
            .collect();
        drop(r);
        match success_threshold {
            Some(threshold) => {
                let share = if total == 0 {
                    1.0
                } else {
                    healthy as f64 / total as f64
                };
                if share + 1e-12 < threshold {
                    let msg = format!(
                        "stage {} ({}) healthy in {healthy} of {total} checks ({:.1}%), under the success threshold {:.1}%",
                        index + 1,
                        stage.name,
                        share * 100.0,
                        threshold * 100.0
                    );
                    let all: Vec<(String, String)> =
                        active.iter().map(|c| (c.clone(), msg.clone())).collect();
                    return self.fail_clusters(index, &all).await.map(Some);
                }
                Ok(None)
            }
            None if !last_bad.is_empty() => self.fail_clusters(index, &last_bad).await.map(Some),
            None => Ok(None),
        }
    }

    /// One health check of each active cluster; returns the clusters that reached the
    /// failure threshold.
    async fn check_round(
        &self,
        index: usize,
        stage: &Stage,
        active: &[String],
    ) -> Result<Vec<(String, String)>, EngineError> {
        let results = for_each_target(active, self.opts.parallel, |c| {
            let ns = self.release_namespace(c, stage);
            async move {
                let span = spans::healthcheck(c);
                let began = std::time::Instant::now();
                let observed = self.backend.health(c, &ns).instrument(span.clone()).await;
                metrics().healthcheck_duration(began.elapsed().as_secs_f64(), &self.attrs(Some(c)));
                let failed = self.record_check(index, c, observed).await;
                match &failed {
                    Ok(None) => spans::record_success(&span),
                    Ok(Some((_, why))) => spans::record_failure(&span, why),
                    Err(e) => spans::record_failure(&span, e),
                }
                failed
            }
        })
        .await;
        let (healthy, unhealthy) = {
            let r = self.record.lock().await;
            active.iter().fold((0u64, 0u64), |(h, u), c| {
                match r.clusters.get(c).map(|e| e.consecutive_failed_checks) {
                    Some(0) => (h + 1, u),
                    _ => (h, u + 1),
                }
            })
        };
        let attrs = self.attrs(None);
        metrics().set_healthy(healthy, &attrs);
        metrics().set_unhealthy(unhealthy, &attrs);
        let mut failed = Vec::new();
        for r in results {
            if let Some(f) = r? {
                failed.push(f);
            }
        }
        Ok(failed)
    }

    /// Judges one observation of `cluster`, records it, and returns the failure when the
    /// cluster reached the failure threshold.
    async fn record_check(
        &self,
        index: usize,
        c: &str,
        observed: Result<super::health::HealthSnapshot, BackendError>,
    ) -> Result<Option<(String, String)>, EngineError> {
        let threshold = self.plan.health.failure_threshold.max(1);
        let verdict = match observed {
            Ok(snapshot) => evaluate(&snapshot, &self.plan.health),
            Err(BackendError::Helm(m)) | Err(BackendError::Environment(m)) => {
                super::health::HealthVerdict {
                    healthy: false,
                    problems: vec![format!("cannot observe the cluster: {m}")],
                }
            }
            Err(e) => return Err(e.into()),
        };
        let (consecutive, healthy, total) = {
            let mut r = self.record.lock().await;
            let e = r.clusters.entry(c.to_string()).or_default();
            e.total_checks += 1;
            if verdict.healthy {
                e.healthy_checks += 1;
                e.consecutive_failed_checks = 0;
                e.message = None;
            } else {
                e.consecutive_failed_checks += 1;
                e.message = Some(verdict.problems.join("; "));
            }
            (
                e.consecutive_failed_checks,
                e.healthy_checks,
                e.total_checks,
            )
        };
        let msg = if verdict.healthy {
            format!("{c}: healthy ({healthy}/{total} checks)")
        } else {
            format!(
                "{c}: health check failed ({consecutive} of {threshold}): {}",
                verdict.problems.join("; ")
            )
        };
        if !verdict.healthy {
            self.audit(Some(c), &msg).await;
        }
        self.store(&[c.to_string()]).await?;
        self.emit(
            EventKind::Check,
            Some(index),
            Some(c),
            Some(Phase::Validating),
            msg,
        )
        .await;
        Ok((consecutive >= threshold).then(|| {
            (
                c.to_string(),
                format!(
                    "{consecutive} consecutive failed health checks: {}",
                    verdict.problems.join("; ")
                ),
            )
        }))
    }

    /// Clusters this rollout upgraded (in `stage`, or all).
    async fn upgraded_clusters(&self, stage: Option<&Stage>) -> Vec<String> {
        let r = self.record.lock().await;
        r.clusters
            .iter()
            .filter(|(name, e)| {
                stage.is_none_or(|s| s.clusters.contains(name))
                    && e.target_revision.is_some()
                    && !e.rolled_back
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Clusters failed: roll back per policy, end the rollout as Failed.
    async fn fail_clusters(
        &self,
        index: usize,
        failed: &[(String, String)],
    ) -> Result<Outcome, EngineError> {
        let stage = self.stages.get(index);
        for (c, problem) in failed {
            self.set_cluster(c, |e| e.message = Some(problem.clone()))
                .await;
            let msg = format!("{c}: failed: {problem}");
            self.audit(Some(c), &msg).await;
            self.k8s_event(c, "ClusterFailed", &msg, true).await;
        }
        let summary = failed
            .iter()
            .map(|(c, p)| format!("{c}: {p}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !self.plan.rollback.automatic {
            {
                let mut r = self.record.lock().await;
                for (c, _) in failed {
                    if let Some(e) = r.clusters.get_mut(c) {
                        e.phase = Phase::Failed;
                    }
                }
            }
            let msg = format!(
                "rollout failed (automatic rollback is off; roll back with `kubectl opm rollout rollback`): {summary}"
            );
            return self.fail(EventKind::Failed, Some(index), msg).await;
        }
        let mut targets: Vec<String> = failed.iter().map(|(c, _)| c.clone()).collect();
        let more = match self.plan.rollback.scope {
            RollbackScope::Cluster => Vec::new(),
            RollbackScope::Stage => self.upgraded_clusters(stage).await,
            RollbackScope::All => self.upgraded_clusters(None).await,
        };
        for c in more {
            if !targets.contains(&c) {
                targets.push(c);
            }
        }
        self.begin_rollback(&targets).await?;
        // Blue-Green after the switch: switch back first, instantly.
        if let Some(StageAction::Switch { from, to }) = stage.map(|s| &s.action) {
            for c in &targets {
                let back = async {
                    self.backend.switch_webhooks(c, to, from).await?;
                    self.backend.scale_controllers(c, from, 1).await
                }
                .await;
                let msg = match back {
                    Ok(()) => format!("{c}: switched back to {from}"),
                    Err(e) => format!("{c}: switching back to {from} failed: {e}"),
                };
                self.audit(Some(c), &msg).await;
                self.emit(EventKind::ClusterPhase, Some(index), Some(c), None, msg)
                    .await;
            }
        }
        let outcome = self.rollback_clusters(&targets, &summary).await?;
        let msg = format!("rollout failed and rolled back ({outcome}): {summary}");
        self.fail(EventKind::RolledBack, Some(index), msg).await
    }

    /// Rolls back each cluster to its last good revision; returns a summary.
    async fn rollback_clusters(
        &self,
        targets: &[String],
        why: &str,
    ) -> Result<String, EngineError> {
        let results = for_each_target(targets, self.opts.parallel, |c| async move {
            let good = self
                .record
                .lock()
                .await
                .clusters
                .get(c)
                .and_then(|e| e.last_good_revision);
            let span = spans::rollback(c, good.map(u64::from));
            let began = std::time::Instant::now();
            let r = self.rollback_cluster(c, why).instrument(span.clone()).await;
            let attrs = self.attrs(Some(c));
            metrics().rollback_duration(began.elapsed().as_secs_f64(), &attrs);
            match &r {
                Ok(Ok(())) => {
                    metrics().rolled_back(&attrs);
                    spans::record_success(&span);
                }
                Ok(Err(p)) => spans::record_failure(&span, p),
                Err(e) => spans::record_failure(&span, e),
            }
            (c.clone(), r)
        })
        .await;
        let mut back = 0;
        let mut problems = Vec::new();
        for (c, r) in results {
            match r? {
                Ok(()) => back += 1,
                Err(p) => problems.push(format!("{c}: {p}")),
            }
        }
        let mut out = format!(
            "{back} of {} clusters back on their last good revision",
            targets.len()
        );
        if !problems.is_empty() {
            out.push_str(&format!("; not rolled back: {}", problems.join("; ")));
        }
        Ok(out)
    }

    /// Records that `cluster` could not be brought back: Failed, with `msg`.
    async fn cluster_failed(&self, cluster: &str, msg: &str) -> Result<(), EngineError> {
        self.set_cluster(cluster, |e| {
            e.phase = Phase::Failed;
            e.message = Some(msg.to_string());
        })
        .await;
        self.audit(Some(cluster), msg).await;
        self.store(&[cluster.to_string()]).await
    }

    /// Rolls one cluster back; `Ok(Err(problem))` when it could not be.
    async fn rollback_cluster(
        &self,
        cluster: &str,
        why: &str,
    ) -> Result<Result<(), String>, EngineError> {
        let (entry, index) = {
            let r = self.record.lock().await;
            let e = r.clusters.get(cluster).cloned().unwrap_or_default();
            (e.clone(), e.stage)
        };
        let stage = self.stages.get(index);
        let ns = match stage {
            Some(s) => self.release_namespace(cluster, s),
            None => self.namespace_of(cluster, None),
        };
        let ns = match stage.map(|s| &s.action) {
            // After the switch the release that went bad is green's.
            Some(StageAction::Switch { to, .. }) => to.clone(),
            _ => ns,
        };
        let Some(good) = entry.last_good_revision else {
            let msg = format!(
                "{cluster}: no earlier revision to roll back to (this rollout installed the release); remove it with `helm uninstall {} -n {ns}` if needed",
                self.plan.release
            );
            self.cluster_failed(cluster, &msg).await?;
            return Ok(Err(msg));
        };
        let rollout_id = self.record.lock().await.rollout_id.clone();
        // Resumed mid-rollback: done if the latest revision came after this rollout's
        // upgrade and is not ours (a rollback writes a new revision without our label).
        if let Some(cur) = self.backend.current(cluster, &ns).await? {
            let after_ours = entry.target_revision.is_some_and(|t| cur.revision > t);
            if after_ours
                && cur.status == "deployed"
                && cur.rollout_id.as_deref() != Some(rollout_id.as_str())
            {
                return self.rolled_back(cluster, &ns, good, &cur).await.map(Ok);
            }
        }
        let msg = format!("{cluster}: rolling back to revision {good}: {why}");
        self.audit(Some(cluster), &msg).await;
        self.k8s_event(cluster, "RollingBack", &msg, true).await;
        self.emit(
            EventKind::ClusterPhase,
            Some(index),
            Some(cluster),
            Some(Phase::RollingBack),
            msg,
        )
        .await;
        let problems = self.backend.rollback_crd_check(cluster, &ns, good).await?;
        if !problems.is_empty() {
            let msg = format!(
                "{cluster}: rollback to revision {good} blocked, the older CRDs would lose stored data: {}; custom resources were left untouched",
                problems.join("; ")
            );
            self.cluster_failed(cluster, &msg).await?;
            self.k8s_event(cluster, "RollbackBlocked", &msg, true).await;
            return Ok(Err(msg));
        }
        match self.backend.rollback(cluster, &ns, good).await {
            Ok(rev) => self.rolled_back(cluster, &ns, good, &rev).await.map(Ok),
            Err(BackendError::Helm(m)) => {
                let msg = format!("{cluster}: helm rollback to revision {good} failed: {m}");
                self.cluster_failed(cluster, &msg).await?;
                Ok(Err(msg))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn rolled_back(
        &self,
        cluster: &str,
        ns: &str,
        good: u32,
        rev: &Revision,
    ) -> Result<(), EngineError> {
        // One health check of what we went back to, for the record.
        let verdict = match self.backend.health(cluster, ns).await {
            Ok(s) => {
                let v = evaluate(&s, &self.plan.health);
                if v.healthy {
                    "healthy".to_string()
                } else {
                    format!("still unhealthy: {}", v.problems.join("; "))
                }
            }
            Err(e) => format!("health unknown: {e}"),
        };
        self.set_cluster(cluster, |e| {
            e.phase = Phase::Failed;
            e.rolled_back = true;
        })
        .await;
        let msg = format!(
            "{cluster}: rolled back to revision {good} (now revision {}), {verdict}",
            rev.revision
        );
        self.audit(Some(cluster), &msg).await;
        self.store(&[cluster.to_string()]).await?;
        self.mirror(cluster, ns).await;
        self.k8s_event(cluster, "RolledBack", &msg, true).await;
        self.emit(
            EventKind::RolledBack,
            None,
            Some(cluster),
            Some(Phase::Failed),
            msg,
        )
        .await;
        Ok(())
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
