//! The rollout record: what a rollout has done and is doing, stored as JSON in each target
//! cluster's `<release>-opm-rollout` ConfigMap (see DESIGN.md "Rollout state") and written
//! before every transition, so `status` can read it from anywhere and `resume` can continue.
//!
//! The record is versioned (`version`), carries the digest of the plan it runs (a resumed
//! rollout must run the same plan), and keeps its audit trail bounded so the object stays
//! far below Kubernetes' 1 MiB limit even for large fleets.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::plan::StrategyKind;

/// Format version of the record; readers refuse versions they do not know.
pub const STATE_VERSION: u32 = 1;

/// Audit entries kept; older ones are dropped first (Events keep the full history).
pub const AUDIT_CAPACITY: usize = 200;

/// Phase of one cluster (the seed system's lifecycle plus Paused and WaitingForApproval).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Planning,
    Deploying,
    Validating,
    Completed,
    RollingBack,
    Failed,
    Paused,
    WaitingForApproval,
}

/// Where one cluster stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterState {
    pub phase: Phase,
    /// Helm revision to go back to (the one deployed before this rollout touched it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_good_revision: Option<u32>,
    /// Helm revision this rollout installed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_revision: Option<u32>,
    pub consecutive_failed_checks: u32,
    pub healthy_checks: u32,
    pub total_checks: u32,
    /// Index of the stage this cluster belongs to.
    #[serde(default)]
    pub stage: usize,
    /// The last problem seen (failed check, helm error), for `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The cluster was rolled back by this rollout (its phase is then Failed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rolled_back: bool,
}

impl ClusterState {
    pub fn new() -> ClusterState {
        ClusterState {
            phase: Phase::Planning,
            last_good_revision: None,
            target_revision: None,
            consecutive_failed_checks: 0,
            healthy_checks: 0,
            total_checks: 0,
            stage: 0,
            message: None,
            rolled_back: false,
        }
    }
}

impl Default for ClusterState {
    fn default() -> Self {
        ClusterState::new()
    }
}

/// An approval or rejection; `who` comes from the cluster (SelfSubjectReview), not a flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    pub who: String,
    /// RFC 3339 timestamp.
    pub when: String,
    pub why: String,
    /// Index of the stage approved.
    pub stage: usize,
    /// False for a rejection.
    pub approved: bool,
}

/// What another process asks a running rollout to do (`rollout pause|abort|rollback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ControlAction {
    Pause,
    Abort,
    Rollback,
}

/// A request from `rollout pause|abort|rollback`, picked up by the running engine at its
/// next step (or by `resume`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlRequest {
    /// Unique within the record (`<when>/<who>`), so merging is idempotent.
    pub id: String,
    pub action: ControlAction,
    pub who: String,
    pub when: String,
    pub why: String,
    /// The engine acted on it.
    #[serde(default)]
    pub handled: bool,
}

/// One audit trail entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub when: String,
    pub who: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    pub message: String,
}

/// The rollout record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutState {
    pub version: u32,
    pub rollout_id: String,
    pub plan_digest: String,
    pub release: String,
    pub strategy: StrategyKind,
    /// Index of the stage in progress (equal to the number of stages when done).
    pub stage: usize,
    /// Phase of the rollout as a whole.
    #[serde(default = "planning")]
    pub phase: Phase,
    /// Bumped by the engine on every write, so the freshest of the per-cluster copies wins
    /// when they are merged ([`RolloutState::merge_copies`]).
    #[serde(default)]
    pub seq: u64,
    /// Chart and version being rolled out (for `status` and `history`).
    #[serde(default)]
    pub chart: String,
    /// Who started it (from the cluster) and when (RFC 3339).
    #[serde(default)]
    pub started_by: String,
    #[serde(default)]
    pub started_at: String,
    #[serde(default)]
    pub updated_at: String,
    /// When the health gate of the current stage started (RFC 3339), so a resumed rollout
    /// evaluates only what is left of the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_started_at: Option<String>,
    /// Blue-Green: until when the blue release is kept (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain_until: Option<String>,
    pub clusters: BTreeMap<String, ClusterState>,
    pub approvals: Vec<Approval>,
    #[serde(default)]
    pub requests: Vec<ControlRequest>,
    pub audit: VecDeque<AuditEntry>,
}

fn planning() -> Phase {
    Phase::Planning
}

/// Control requests kept (handled ones are dropped first).
pub const REQUEST_CAPACITY: usize = 50;

/// Why a stored record cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("rollout state is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("rollout state has format version {found}; this kubectl-opm reads version {STATE_VERSION}: upgrade kubectl-opm")]
    Version { found: u32 },
    #[error("release {release} is in the middle of rollout {stored} ({phase:?}); finish it with `kubectl opm rollout resume` or `abort` before starting {ours}")]
    OtherRollout {
        release: String,
        stored: String,
        ours: String,
        phase: Phase,
    },
}

impl Phase {
    /// The rollout (or cluster) has ended: nothing more will happen to it.
    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Completed | Phase::Failed)
    }
}

impl RolloutState {
    /// A fresh record with every cluster in Planning.
    pub fn new(
        rollout_id: &str,
        plan_digest: &str,
        release: &str,
        strategy: StrategyKind,
        clusters: &[String],
    ) -> RolloutState {
        RolloutState {
            version: STATE_VERSION,
            rollout_id: rollout_id.to_string(),
            plan_digest: plan_digest.to_string(),
            release: release.to_string(),
            strategy,
            stage: 0,
            phase: Phase::Planning,
            seq: 0,
            chart: String::new(),
            started_by: String::new(),
            started_at: String::new(),
            updated_at: String::new(),
            evaluation_started_at: None,
            retain_until: None,
            requests: Vec::new(),
            clusters: clusters
                .iter()
                .map(|c| (c.clone(), ClusterState::new()))
                .collect(),
            approvals: Vec::new(),
            audit: VecDeque::new(),
        }
    }

    /// Append to the audit trail, dropping the oldest entry beyond [`AUDIT_CAPACITY`].
    pub fn record(&mut self, entry: AuditEntry) {
        while self.audit.len() >= AUDIT_CAPACITY {
            self.audit.pop_front();
        }
        self.audit.push_back(entry);
    }

    /// The record to write over `stored` (what is in the cluster now): ours, plus the
    /// approvals, control requests and audit entries other processes added to the stored
    /// copy. A stored record of another rollout that has not ended is refused.
    pub fn merge_stored(&self, stored: &RolloutState) -> Result<RolloutState, StateError> {
        if stored.rollout_id != self.rollout_id {
            if !stored.phase.is_terminal() {
                return Err(StateError::OtherRollout {
                    release: self.release.clone(),
                    stored: stored.rollout_id.clone(),
                    ours: self.rollout_id.clone(),
                    phase: stored.phase,
                });
            }
            return Ok(self.clone());
        }
        // The copy with the higher `seq` is the engine's latest word on stages and clusters;
        // commands that only add approvals or requests (`approve`, `pause`) never bump it,
        // so they can never roll the engine's progress back.
        let (mut out, other) = if stored.seq > self.seq {
            (stored.clone(), self)
        } else {
            (self.clone(), stored)
        };
        let stored = other;
        out.adopt_decisions(stored);
        out.requests
            .sort_by(|a, b| a.when.cmp(&b.when).then(a.id.cmp(&b.id)));
        while out.requests.len() > REQUEST_CAPACITY {
            match out.requests.iter().position(|r| r.handled) {
                Some(i) => out.requests.remove(i),
                None => out.requests.remove(0),
            };
        }
        for c in stored.clusters.keys() {
            if !out.clusters.contains_key(c) {
                if let Some(v) = stored.clusters.get(c) {
                    out.clusters.insert(c.clone(), v.clone());
                }
            }
        }
        out.audit = merge_audit(&out.audit, &stored.audit);
        Ok(out)
    }

    /// One record from the copies stored in each cluster. The engine writes snapshots of
    /// one in-memory record, numbered by `seq`, so the copy with the highest `seq` is the
    /// freshest picture of everything (a crash in the middle of writing to every cluster
    /// leaves some copies behind, never ahead). Approvals, requests and audit entries that
    /// other processes added to any copy are merged in. `None` for no copies; copies of
    /// other rollouts than the freshest one are ignored.
    pub fn merge_copies(copies: &[(String, RolloutState)]) -> Option<RolloutState> {
        let (_, freshest) = copies
            .iter()
            .max_by_key(|(_, c)| (c.seq, c.updated_at.clone()))?;
        let mut out = freshest.clone();
        for (_, copy) in copies {
            if copy.rollout_id != out.rollout_id {
                continue;
            }
            out.adopt_decisions(copy);
            out.audit = merge_audit(&out.audit, &copy.audit);
        }
        out.requests
            .sort_by(|a, b| a.when.cmp(&b.when).then(a.id.cmp(&b.id)));
        Some(out)
    }

    /// Takes over the approvals and control requests of `other` that this record lacks
    /// (a request handled in either copy is handled). Other processes only ever add these,
    /// so a union never loses one.
    pub fn adopt_decisions(&mut self, other: &RolloutState) {
        for a in &other.approvals {
            if !self.approvals.contains(a) {
                self.approvals.push(a.clone());
            }
        }
        for r in &other.requests {
            match self.requests.iter_mut().find(|m| m.id == r.id) {
                Some(m) => m.handled |= r.handled,
                None => self.requests.push(r.clone()),
            }
        }
    }

    /// Approval (or rejection) recorded for `stage`, the latest one winning.
    pub fn approval_for(&self, stage: usize) -> Option<&Approval> {
        self.approvals
            .iter()
            .filter(|a| a.stage == stage)
            .max_by(|a, b| a.when.cmp(&b.when))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parse a stored record, refusing unknown format versions.
    pub fn from_json(text: &str) -> Result<RolloutState, StateError> {
        let probe: serde_json::Value = serde_json::from_str(text)?;
        let found = probe
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if found != u64::from(STATE_VERSION) {
            return Err(StateError::Version {
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        Ok(serde_json::from_value(probe)?)
    }
}

/// Both trails, deduplicated, in time order, bounded to [`AUDIT_CAPACITY`].
fn merge_audit(a: &VecDeque<AuditEntry>, b: &VecDeque<AuditEntry>) -> VecDeque<AuditEntry> {
    let mut all: Vec<AuditEntry> = a.iter().cloned().collect();
    for e in b {
        if !all.contains(e) {
            all.push(e.clone());
        }
    }
    // Stable: entries of the same second keep the order they were recorded in.
    all.sort_by(|x, y| x.when.cmp(&y.when));
    let skip = all.len().saturating_sub(AUDIT_CAPACITY);
    all.into_iter().skip(skip).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: usize) -> AuditEntry {
        AuditEntry {
            when: "2026-11-23T14:00:00Z".into(),
            who: "system:serviceaccount:ci:deployer".into(),
            cluster: Some(format!("prod-cluster-{i:03}")),
            message: format!(
                "cluster prod-cluster-{i:03}: health check 3 of 3 failed (pod cert-operator-7d9f crash loop: 4 restarts in 5m); rolling back to revision 41"
            ),
        }
    }

    #[test]
    fn audit_trail_is_bounded() {
        let mut s = RolloutState::new("r1", "sha256:0", "op", StrategyKind::Canary, &[]);
        for i in 0..450 {
            s.record(entry(i));
        }
        assert_eq!(s.audit.len(), AUDIT_CAPACITY);
        assert_eq!(s.audit.front(), Some(&entry(250)));
        assert_eq!(s.audit.back(), Some(&entry(449)));
    }

    #[test]
    fn hundred_clusters_stay_far_under_one_mebibyte() {
        let clusters: Vec<String> = (0..100).map(|i| format!("prod-cluster-{i:03}")).collect();
        let mut s = RolloutState::new(
            "20261123-140000-cert-operator",
            &format!("sha256:{}", "f".repeat(64)),
            "cert-operator",
            StrategyKind::Canary,
            &clusters,
        );
        for c in s.clusters.values_mut() {
            c.phase = Phase::RollingBack;
            c.last_good_revision = Some(4_000_000);
            c.target_revision = Some(4_000_001);
            c.consecutive_failed_checks = 3;
            c.healthy_checks = 100_000;
            c.total_checks = 100_000;
        }
        for stage in 0..50 {
            s.approvals.push(Approval {
                who: "oidc:someone.with.a.long.name@example.org".into(),
                when: "2026-11-23T14:00:00Z".into(),
                why: "x".repeat(500),
                stage,
                approved: true,
            });
        }
        for i in 0..1000 {
            s.record(entry(i));
        }
        let size = s.to_json().len();
        // A quarter of the 1 MiB object limit, with room for metadata.
        assert!(size < 256 * 1024, "record is {size} bytes");
    }

    #[test]
    fn json_round_trip_and_version_check() {
        let mut s = RolloutState::new(
            "r1",
            "sha256:0",
            "op",
            StrategyKind::Rolling,
            &["a".to_string()],
        );
        s.record(entry(1));
        let text = s.to_json();
        assert!(text.starts_with(
            r#"{"version":1,"rolloutId":"r1","planDigest":"sha256:0","release":"op","strategy":"Rolling","stage":0,"phase":"Planning","seq":0,"chart":"","startedBy":"","startedAt":"","updatedAt":"","clusters":{"a":{"phase":"Planning","consecutiveFailedChecks":0,"healthyChecks":0,"totalChecks":0,"stage":0}},"approvals":[],"requests":[],"audit":["#
        ), "{text}");
        assert_eq!(RolloutState::from_json(&text).unwrap(), s);
        let future = text.replacen("\"version\":1", "\"version\":7", 1);
        assert_eq!(
            RolloutState::from_json(&future).unwrap_err().to_string(),
            "rollout state has format version 7; this kubectl-opm reads version 1: upgrade kubectl-opm"
        );
        assert!(RolloutState::from_json("{").is_err());
    }
}
