//! Rollout state kept in the cluster (DESIGN.md "Rollout state"): for each release a
//! ConfigMap `<release>-opm-rollout` in the release's namespace holding one JSON record,
//! written with optimistic concurrency; a `coordination.k8s.io/v1` Lease of the same name as
//! the lock; the Helm release's current revision annotated with `kubectl-opm/…` keys as a
//! visible mirror; core/v1 Events on the ConfigMap as the audit trail; and the caller's
//! identity from a SelfSubjectReview.
//!
//! The record type is the caller's (`T: Serialize + DeserializeOwned`): this module only
//! stores it. Readers trust the ConfigMap; annotations are re-applied after every Helm call
//! because Helm rewrites revision objects.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use super::client::Cluster;
use super::error::ClusterError;
use super::release::StoredRelease;

/// Data key of the state ConfigMap holding the JSON record.
pub const STATE_KEY: &str = "state.json";
/// Prefix of the annotations mirrored onto the Helm release object.
pub const ANNOTATION_PREFIX: &str = "kubectl-opm/";
/// `app.kubernetes.io/managed-by` value on objects we create.
pub const MANAGED_BY: &str = "kubectl-opm";
/// How often [`StateStore::update`] re-reads and retries after a conflict.
const UPDATE_ATTEMPTS: u32 = 8;

/// State of one release in one cluster.
#[derive(Debug, Clone)]
pub struct StateStore<'a> {
    cluster: &'a Cluster,
    release: String,
    namespace: String,
}

/// A held lock: what [`StateStore::renew`] and [`StateStore::release_lock`] need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseGuard {
    pub holder: String,
    pub resource_version: String,
    pub duration: Duration,
    /// RFC 3339 time the lease expires unless renewed.
    pub until: String,
}

/// Who the cluster says we are (`kubectl auth whoami`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub username: String,
    pub groups: Vec<String>,
}

/// Event type (`Normal` or `Warning`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// `<release>-opm-rollout`: the name of the state ConfigMap and of the Lease.
pub fn state_object_name(release: &str) -> String {
    format!("{release}-opm-rollout")
}

impl<'a> StateStore<'a> {
    /// The store of `release` in `namespace` (the release's namespace).
    pub fn new(cluster: &'a Cluster, namespace: &str, release: &str) -> Self {
        StateStore {
            cluster,
            release: release.to_string(),
            namespace: namespace.to_string(),
        }
    }

    /// Name of the ConfigMap and the Lease.
    pub fn name(&self) -> String {
        state_object_name(&self.release)
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn release(&self) -> &str {
        &self.release
    }

    fn decode_error(&self, message: String) -> ClusterError {
        ClusterError::Decode {
            context: self.cluster.context.clone(),
            action: format!(
                "read rollout state ConfigMap {}/{}",
                self.namespace,
                self.name()
            ),
            message,
        }
    }

    fn config_map(&self, data: String, resource_version: Option<&str>) -> Value {
        let mut meta = json!({
            "name": self.name(),
            "namespace": self.namespace,
            "labels": {
                "app.kubernetes.io/managed-by": MANAGED_BY,
                "kubectl-opm/release": self.release,
            },
        });
        if let (Some(rv), Some(m)) = (resource_version, meta.as_object_mut()) {
            m.insert("resourceVersion".into(), json!(rv));
        }
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {STATE_KEY: data}})
    }

    fn encode<T: Serialize>(&self, value: &T) -> Result<String, ClusterError> {
        serde_json::to_string_pretty(value)
            .map_err(|e| ClusterError::InvalidArgument(format!("cannot encode rollout state: {e}")))
    }

    fn resource_version_of(&self, obj: &Value) -> Result<String, ClusterError> {
        obj.pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| self.decode_error("the API server returned no resourceVersion".into()))
    }

    /// The record and its resourceVersion, or `None` when there is no state yet.
    pub async fn load<T: DeserializeOwned>(&self) -> Result<Option<(T, String)>, ClusterError> {
        let Some(obj) = self
            .cluster
            .get("v1", "ConfigMap", Some(&self.namespace), &self.name())
            .await?
        else {
            return Ok(None);
        };
        let data = obj
            .pointer(&format!("/data/{STATE_KEY}"))
            .and_then(Value::as_str)
            .ok_or_else(|| self.decode_error(format!("it has no data key {STATE_KEY}")))?;
        let value = serde_json::from_str(data)
            .map_err(|e| self.decode_error(format!("{STATE_KEY} is not a rollout record: {e}")))?;
        Ok(Some((value, self.resource_version_of(&obj)?)))
    }

    /// Creates the state; [`ClusterError::Conflict`] if it already exists. Returns the
    /// resourceVersion.
    pub async fn create<T: Serialize>(&self, value: &T) -> Result<String, ClusterError> {
        let obj = self.config_map(self.encode(value)?, None);
        let written = self.cluster.create(&obj).await?;
        self.resource_version_of(&written)
    }

    /// Saves the state if nobody wrote it since `resource_version` was read; else
    /// [`ClusterError::Conflict`]. Returns the new resourceVersion.
    pub async fn save<T: Serialize>(
        &self,
        value: &T,
        resource_version: &str,
    ) -> Result<String, ClusterError> {
        let obj = self.config_map(self.encode(value)?, Some(resource_version));
        let written = self.cluster.replace(&obj).await?;
        self.resource_version_of(&written)
    }

    /// Reads, changes with `change` and saves, re-reading and re-applying `change` after a
    /// conflict. [`ClusterError::NotFound`] when there is no state. Returns the saved record.
    pub async fn update<T, F>(&self, mut change: F) -> Result<(T, String), ClusterError>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(&mut T),
    {
        let mut last = None;
        for _ in 0..UPDATE_ATTEMPTS {
            let Some((mut value, rv)) = self.load::<T>().await? else {
                return Err(ClusterError::NotFound {
                    context: self.cluster.context.clone(),
                    action: format!("update rollout state {}/{}", self.namespace, self.name()),
                    message: "there is no rollout state for this release".into(),
                });
            };
            change(&mut value);
            match self.save(&value, &rv).await {
                Ok(rv) => return Ok((value, rv)),
                Err(e) if e.is_conflict() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| ClusterError::Conflict {
            context: self.cluster.context.clone(),
            action: format!("update rollout state {}/{}", self.namespace, self.name()),
            message: "other writers kept changing it".into(),
        }))
    }

    /// Deletes the state (end of a rollout's life); `false` if there was none.
    pub async fn delete(&self) -> Result<bool, ClusterError> {
        self.cluster
            .delete("v1", "ConfigMap", Some(&self.namespace), &self.name(), None)
            .await
    }

    fn lease(
        &self,
        holder: &str,
        duration: Duration,
        acquire: &str,
        transitions: i64,
        rv: Option<&str>,
    ) -> Value {
        let now = micro_time(jiff::Timestamp::now());
        let mut meta = json!({
            "name": self.name(),
            "namespace": self.namespace,
            "labels": {"app.kubernetes.io/managed-by": MANAGED_BY, "kubectl-opm/release": self.release},
        });
        if let (Some(rv), Some(m)) = (rv, meta.as_object_mut()) {
            m.insert("resourceVersion".into(), json!(rv));
        }
        json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": meta,
            "spec": {
                "holderIdentity": holder,
                "leaseDurationSeconds": duration.as_secs().max(1),
                "acquireTime": if acquire.is_empty() { now.clone() } else { acquire.to_string() },
                "renewTime": now,
                "leaseTransitions": transitions,
            }
        })
    }

    fn guard(&self, lease: &Value, duration: Duration) -> Result<LeaseGuard, ClusterError> {
        let state = LeaseState::of(lease);
        Ok(LeaseGuard {
            holder: state.holder.clone(),
            resource_version: self.resource_version_of(lease)?,
            duration,
            until: state.expires.map(micro_time).unwrap_or_default(),
        })
    }

    /// The lock's Lease as it is now (`None` if there is none).
    async fn read_lease(&self) -> Result<Option<Value>, ClusterError> {
        self.cluster
            .get(
                "coordination.k8s.io/v1",
                "Lease",
                Some(&self.namespace),
                &self.name(),
            )
            .await
    }

    /// Takes the lock for `holder` for `duration`. Fails with [`ClusterError::LockHeld`]
    /// ("held by X until T") while another holder's lease is unexpired; takes over an expired
    /// or released lease with its resourceVersion, so of two runners taking over at once one
    /// wins and the other sees the winner. The same holder re-acquiring renews.
    pub async fn acquire(
        &self,
        holder: &str,
        duration: Duration,
    ) -> Result<LeaseGuard, ClusterError> {
        for _ in 0..3 {
            let current = self.read_lease().await?;
            let result = match &current {
                None => {
                    self.cluster
                        .create(&self.lease(holder, duration, "", 0, None))
                        .await
                }
                Some(lease) => {
                    let state = LeaseState::of(lease);
                    let now = jiff::Timestamp::now();
                    let free = state.holder.is_empty()
                        || state.holder == holder
                        || state.expires.is_none_or(|t| t <= now);
                    if !free {
                        return Err(self.held(&state));
                    }
                    let rv = self.resource_version_of(lease)?;
                    let (acquire, transitions) = if state.holder == holder {
                        (state.acquire_time.clone(), state.transitions)
                    } else {
                        (String::new(), state.transitions + 1)
                    };
                    self.cluster
                        .replace(&self.lease(holder, duration, &acquire, transitions, Some(&rv)))
                        .await
                }
            };
            match result {
                Ok(lease) => return self.guard(&lease, duration),
                // Someone else created or took it between our read and write: look again.
                Err(e) if e.is_conflict() => continue,
                Err(e) => return Err(e),
            }
        }
        let lease = self.read_lease().await?;
        Err(match lease {
            Some(l) => self.held(&LeaseState::of(&l)),
            None => ClusterError::Conflict {
                context: self.cluster.context.clone(),
                action: format!("acquire lock {}/{}", self.namespace, self.name()),
                message: "the lease kept changing".into(),
            },
        })
    }

    /// Takes the lock for `holder` even while another holder's lease is unexpired (a runner
    /// that died, `--take-over`). The write carries the resourceVersion just read, so of
    /// two runners taking over at once one wins and the other sees the winner's lease.
    pub async fn take_over(
        &self,
        holder: &str,
        duration: Duration,
    ) -> Result<LeaseGuard, ClusterError> {
        let current = self.read_lease().await?;
        let Some(lease) = current else {
            return self.acquire(holder, duration).await;
        };
        let state = LeaseState::of(&lease);
        if state.holder == holder {
            return self.acquire(holder, duration).await;
        }
        let rv = self.resource_version_of(&lease)?;
        let written = self
            .cluster
            .replace(&self.lease(holder, duration, "", state.transitions + 1, Some(&rv)))
            .await
            .map_err(|e| {
                if e.is_conflict() {
                    ClusterError::Conflict {
                        context: self.cluster.context.clone(),
                        action: format!("take over lock {}/{}", self.namespace, self.name()),
                        message: "another runner changed the lease at the same time".into(),
                    }
                } else {
                    e
                }
            })?;
        self.guard(&written, duration)
    }

    fn held(&self, state: &LeaseState) -> ClusterError {
        ClusterError::LockHeld {
            context: self.cluster.context.clone(),
            namespace: self.namespace.clone(),
            lease: self.name(),
            holder: state.holder.clone(),
            until: state
                .expires
                .map(micro_time)
                .unwrap_or_else(|| "(no expiry)".into()),
        }
    }

    /// Extends a held lock by its duration from now. Fails with LockHeld if another holder
    /// took it over (after it expired), Conflict if it changed otherwise.
    pub async fn renew(&self, guard: &LeaseGuard) -> Result<LeaseGuard, ClusterError> {
        let current = self.read_lease().await?;
        let Some(lease) = current else {
            return self.acquire(&guard.holder, guard.duration).await;
        };
        let state = LeaseState::of(&lease);
        if state.holder != guard.holder {
            return Err(self.held(&state));
        }
        let written = self
            .cluster
            .replace(&self.lease(
                &guard.holder,
                guard.duration,
                &state.acquire_time,
                state.transitions,
                Some(&guard.resource_version),
            ))
            .await?;
        self.guard(&written, guard.duration)
    }

    /// Gives the lock up (clears the holder) so the next runner need not wait for expiry.
    /// A lock someone else holds by now is left alone.
    pub async fn release_lock(&self, guard: &LeaseGuard) -> Result<(), ClusterError> {
        let Some(lease) = self.read_lease().await? else {
            return Ok(());
        };
        let state = LeaseState::of(&lease);
        if state.holder != guard.holder {
            return Ok(());
        }
        let rv = self.resource_version_of(&lease)?;
        let mut cleared = self.lease(
            "",
            guard.duration,
            &state.acquire_time,
            state.transitions,
            Some(&rv),
        );
        if let Some(spec) = cleared.get_mut("spec").and_then(Value::as_object_mut) {
            spec.remove("holderIdentity");
        }
        self.cluster.replace(&cleared).await.map(|_| ())
    }

    /// Annotates the release's current revision object with `kubectl-opm/<key>` entries
    /// (keys given without the prefix get it). Call after every Helm call.
    pub async fn mirror_annotations(
        &self,
        values: &BTreeMap<String, String>,
    ) -> Result<StoredRelease, ClusterError> {
        let prefixed: BTreeMap<String, String> = values
            .iter()
            .map(|(k, v)| {
                let key = if k.starts_with(ANNOTATION_PREFIX) {
                    k.clone()
                } else {
                    format!("{ANNOTATION_PREFIX}{k}")
                };
                (key, v.clone())
            })
            .collect();
        self.cluster
            .releases()
            .annotate_current(&self.namespace, &self.release, &prefixed)
            .await
    }

    /// Records an Event on the state ConfigMap (visible in `kubectl get events` and
    /// `kubectl describe configmap`). The ConfigMap need not exist yet.
    pub async fn emit_event(
        &self,
        reason: &str,
        message: &str,
        kind: EventType,
    ) -> Result<(), ClusterError> {
        let now = jiff::Timestamp::now();
        let uid = self
            .cluster
            .get("v1", "ConfigMap", Some(&self.namespace), &self.name())
            .await?
            .and_then(|cm| {
                cm.pointer("/metadata/uid")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        let mut involved = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": self.name(),
            "namespace": self.namespace,
        });
        if let (Some(uid), Some(m)) = (uid, involved.as_object_mut()) {
            m.insert("uid".into(), json!(uid));
        }
        let seconds = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        let event = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": format!("{}.", self.name()), "namespace": self.namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": kind.as_str(),
            "count": 1,
            "firstTimestamp": seconds,
            "lastTimestamp": seconds,
            "eventTime": micro_time(now),
            "action": reason,
            "source": {"component": MANAGED_BY},
            "reportingComponent": MANAGED_BY,
            "reportingInstance": MANAGED_BY,
        });
        self.cluster.create(&event).await.map(|_| ())
    }
}

impl Cluster {
    /// Who the API server says the caller is (`authentication.k8s.io/v1`
    /// SelfSubjectReview, Kubernetes 1.28+): the approver identity for rollouts.
    pub async fn whoami(&self) -> Result<Identity, ClusterError> {
        let review = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "metadata": {}});
        let answer = self.create(&review).await?;
        let user = answer.pointer("/status/userInfo");
        let username = user
            .and_then(|u| u.get("username"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if username.is_empty() {
            return Err(ClusterError::Decode {
                context: self.context.clone(),
                action: "ask who we are (SelfSubjectReview)".into(),
                message: "the answer names no user".into(),
            });
        }
        let groups = user
            .and_then(|u| u.get("groups"))
            .and_then(Value::as_array)
            .map(|g| {
                g.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Identity { username, groups })
    }

    /// The state store of a release in this cluster.
    pub fn state_store(&self, namespace: &str, release: &str) -> StateStore<'_> {
        StateStore::new(self, namespace, release)
    }
}

/// The facts of a Lease that locking needs.
#[derive(Debug, Clone, Default)]
struct LeaseState {
    holder: String,
    acquire_time: String,
    transitions: i64,
    expires: Option<jiff::Timestamp>,
}

impl LeaseState {
    fn of(lease: &Value) -> LeaseState {
        let spec = lease.get("spec");
        let text = |k: &str| {
            spec.and_then(|s| s.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let duration = spec
            .and_then(|s| s.get("leaseDurationSeconds"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let renew = text("renewTime");
        let renew = if renew.is_empty() {
            text("acquireTime")
        } else {
            renew
        };
        let expires = renew.parse::<jiff::Timestamp>().ok().and_then(|t| {
            t.checked_add(jiff::SignedDuration::from_secs(duration))
                .ok()
        });
        LeaseState {
            holder: text("holderIdentity"),
            acquire_time: text("acquireTime"),
            transitions: spec
                .and_then(|s| s.get("leaseTransitions"))
                .and_then(Value::as_i64)
                .unwrap_or(0),
            expires,
        }
    }
}

/// Kubernetes `MicroTime`: RFC 3339 with exactly six fractional digits, UTC.
fn micro_time(t: jiff::Timestamp) -> String {
    let micros = t.subsec_microsecond();
    format!("{}.{micros:06}Z", t.strftime("%Y-%m-%dT%H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micro_time_has_six_digits() {
        let t: jiff::Timestamp = "2026-11-23T12:00:01.5Z".parse().unwrap();
        assert_eq!(micro_time(t), "2026-11-23T12:00:01.500000Z");
    }

    #[test]
    fn lease_expiry_from_renew_time() {
        let lease = json!({"spec": {"holderIdentity": "ci-1", "leaseDurationSeconds": 30,
            "acquireTime": "2026-11-23T12:00:00.000000Z", "renewTime": "2026-11-23T12:01:00.000000Z",
            "leaseTransitions": 2}});
        let s = LeaseState::of(&lease);
        assert_eq!(s.holder, "ci-1");
        assert_eq!(s.transitions, 2);
        assert_eq!(
            s.expires.map(micro_time).as_deref(),
            Some("2026-11-23T12:01:30.000000Z")
        );
        assert_eq!(state_object_name("app"), "app-opm-rollout");
    }
}
