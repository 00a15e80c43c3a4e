//! What the rollout engine needs from the world, as one trait: the clusters (state record,
//! lock, release history, health observations, CRDs, Events) and the helm binary.
//!
//! The engine ([`super::engine`]) is written against [`Backend`] only, so its state machine
//! (stages, gates, approvals, automatic rollback, kill and resume) is tested against an
//! in-memory backend with scripted failures, and the same engine drives real clusters
//! through the live backend ([`super::live`]: kube client + helm binary), which the
//! end-to-end tests run against fake API servers with the real helm.
//!
//! Every method names the cluster by its plan name (the kube context). Methods are async
//! and `Send`, so the engine works on many clusters at once on one runtime.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;

use serde::Serialize;

use super::health::HealthSnapshot;
use super::state::RolloutState;

/// Why a backend call failed, sorted by what the engine does about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BackendError {
    /// The environment is in the way (unreachable, forbidden, helm missing, lock held):
    /// the rollout stops where it is, with its state intact, and exits 3; `resume` continues.
    #[error("{0}")]
    Environment(String),
    /// Helm ran and failed (the upgrade or rollback did not succeed): a rollout failure of
    /// that cluster, handled like a failed health gate.
    #[error("{0}")]
    Helm(String),
    /// Someone else wrote the state in a way that cannot be merged (another rollout id).
    #[error("{0}")]
    Conflict(String),
}

/// A Helm release revision, as far as the engine cares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    pub revision: u32,
    /// Helm's status: `deployed`, `failed`, `pending-upgrade`, `superseded`, …
    pub status: String,
    /// `name-version` of the chart.
    pub chart: String,
    /// The `kubectl-opm/rollout-id` label Helm stored with this revision (`--labels`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_id: Option<String>,
    /// Helm's description (`Upgrade complete`, `Rollback to 3`, …).
    pub description: String,
}

/// One `helm upgrade --install`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeRequest {
    /// Namespace the release is installed into on that cluster.
    pub namespace: String,
    /// Values files in the order helm gets them.
    pub values: Vec<PathBuf>,
    /// Stamped with `--labels kubectl-opm/rollout-id=<id>`.
    pub rollout_id: String,
}

/// Lock (Lease) request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRequest {
    /// `<rollout-id>/<runner>`: who holds it.
    pub holder: String,
    /// Take the lease over even when another holder's lease is unexpired (`--take-over`,
    /// after a runner died).
    pub take_over: bool,
}

/// Access to the clusters of one rollout (one release) and to helm.
///
/// Implementations must be cheap to call concurrently for different clusters.
pub trait Backend: Send + Sync + 'static {
    /// Who the cluster says we are (SelfSubjectReview): recorded in the audit trail.
    fn identity(&self, cluster: &str) -> impl Future<Output = Result<String, BackendError>> + Send;

    /// Takes or renews the release's Lease in `cluster`.
    fn lock(
        &self,
        cluster: &str,
        request: &LockRequest,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Releases the Lease (end of the run, or pause).
    fn unlock(
        &self,
        cluster: &str,
        holder: &str,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// The record stored in `cluster`, if any.
    fn load(
        &self,
        cluster: &str,
    ) -> impl Future<Output = Result<Option<RolloutState>, BackendError>> + Send;

    /// Stores `record` in `cluster` with optimistic concurrency: reads what is stored,
    /// merges with [`RolloutState::merge_stored`] (so approvals, rejections and control
    /// requests written by other processes are kept), writes, and retries on a conflict.
    /// Returns what was written (the engine adopts it: that is how it sees an approval).
    fn store(
        &self,
        cluster: &str,
        record: &RolloutState,
    ) -> impl Future<Output = Result<RolloutState, BackendError>> + Send;

    /// Mirrors `kubectl-opm/<key>` annotations onto the current release revision (keys are
    /// given without the prefix). No-op when the release does not exist yet.
    fn mirror(
        &self,
        cluster: &str,
        namespace: &str,
        annotations: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Emits a Kubernetes Event on the state object.
    fn event(
        &self,
        cluster: &str,
        reason: &str,
        message: &str,
        warning: bool,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// The latest revision of the release in `namespace`, if it exists.
    fn current(
        &self,
        cluster: &str,
        namespace: &str,
    ) -> impl Future<Output = Result<Option<Revision>, BackendError>> + Send;

    /// `helm upgrade --install`; returns the new revision.
    fn upgrade(
        &self,
        cluster: &str,
        request: &UpgradeRequest,
    ) -> impl Future<Output = Result<Revision, BackendError>> + Send;

    /// `helm rollback` to `revision`; returns the new revision.
    fn rollback(
        &self,
        cluster: &str,
        namespace: &str,
        revision: u32,
    ) -> impl Future<Output = Result<Revision, BackendError>> + Send;

    /// One health observation of the release's controllers, webhooks and custom resources.
    fn health(
        &self,
        cluster: &str,
        namespace: &str,
    ) -> impl Future<Output = Result<HealthSnapshot, BackendError>> + Send;

    /// Breaking changes of the chart's CRDs against the live ones (one line each); empty
    /// when the upgrade is safe.
    fn crd_changes(
        &self,
        cluster: &str,
    ) -> impl Future<Output = Result<Vec<String>, BackendError>> + Send;

    /// Before rolling back to `revision`: what going back would break (the older chart's
    /// CRDs dropping versions or fields that live objects store). Empty when safe; the
    /// engine then rolls back, and otherwise leaves CRDs as they are (Helm never downgrades
    /// CRDs in `crds/`; templated CRDs are the risk) and says so.
    fn rollback_crd_check(
        &self,
        cluster: &str,
        namespace: &str,
        revision: u32,
    ) -> impl Future<Output = Result<Vec<String>, BackendError>> + Send;

    /// Scales the controller Deployments/StatefulSets matching the controller selector in
    /// `namespace` to `replicas` (Blue-Green switch and switch-back).
    fn scale_controllers(
        &self,
        cluster: &str,
        namespace: &str,
        replicas: u32,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Points the release's webhook configurations at the Services in `to_namespace`
    /// instead of `from_namespace` (Blue-Green switch and switch-back).
    fn switch_webhooks(
        &self,
        cluster: &str,
        from_namespace: &str,
        to_namespace: &str,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
}
