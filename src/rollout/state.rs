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
    pub clusters: BTreeMap<String, ClusterState>,
    pub approvals: Vec<Approval>,
    pub audit: VecDeque<AuditEntry>,
}

/// Why a stored record cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("rollout state is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("rollout state has format version {found}; this kubectl-opm reads version {STATE_VERSION}: upgrade kubectl-opm")]
    Version { found: u32 },
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
            r#"{"version":1,"rolloutId":"r1","planDigest":"sha256:0","release":"op","strategy":"Rolling","stage":0,"clusters":{"a":{"phase":"Planning","consecutiveFailedChecks":0,"healthyChecks":0,"totalChecks":0}},"approvals":[],"audit":["#
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
