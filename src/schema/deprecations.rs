//! Deprecated and removed built-in API versions, like pluto: for a target Kubernetes
//! version, an object whose `apiVersion`/`kind` is removed is an error, one that is
//! deprecated is a warning naming the replacement and the release it goes away in.
//!
//! The table follows the Kubernetes deprecated API migration guide. Versions removed after
//! 1.29 are also detected from the embedded schemas themselves (a kind that exists in an
//! older embedded version but not in the target), so new removals show up on regeneration.

/// One deprecated API version of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deprecation {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// Minor version (of 1.x) it was deprecated in.
    pub deprecated_in: u32,
    /// Minor version it is no longer served from; `None` when no removal is scheduled.
    pub removed_in: Option<u32>,
    /// `apiVersion` to use instead, when there is one.
    pub replacement: Option<&'static str>,
}

const fn d(
    api_version: &'static str,
    kind: &'static str,
    deprecated_in: u32,
    removed_in: Option<u32>,
    replacement: Option<&'static str>,
) -> Deprecation {
    Deprecation {
        api_version,
        kind,
        deprecated_in,
        removed_in,
        replacement,
    }
}

/// The table. `kind` `*` matches every kind of that API version.
pub const DEPRECATIONS: &[Deprecation] = &[
    d(
        "extensions/v1beta1",
        "Deployment",
        9,
        Some(16),
        Some("apps/v1"),
    ),
    d(
        "extensions/v1beta1",
        "DaemonSet",
        9,
        Some(16),
        Some("apps/v1"),
    ),
    d(
        "extensions/v1beta1",
        "ReplicaSet",
        9,
        Some(16),
        Some("apps/v1"),
    ),
    d(
        "extensions/v1beta1",
        "NetworkPolicy",
        9,
        Some(16),
        Some("networking.k8s.io/v1"),
    ),
    d(
        "extensions/v1beta1",
        "PodSecurityPolicy",
        10,
        Some(16),
        None,
    ),
    d(
        "extensions/v1beta1",
        "Ingress",
        14,
        Some(22),
        Some("networking.k8s.io/v1"),
    ),
    d("apps/v1beta1", "*", 9, Some(16), Some("apps/v1")),
    d("apps/v1beta2", "*", 9, Some(16), Some("apps/v1")),
    d(
        "networking.k8s.io/v1beta1",
        "Ingress",
        19,
        Some(22),
        Some("networking.k8s.io/v1"),
    ),
    d(
        "networking.k8s.io/v1beta1",
        "IngressClass",
        19,
        Some(22),
        Some("networking.k8s.io/v1"),
    ),
    d(
        "admissionregistration.k8s.io/v1beta1",
        "*",
        16,
        Some(22),
        Some("admissionregistration.k8s.io/v1"),
    ),
    d(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        16,
        Some(22),
        Some("apiextensions.k8s.io/v1"),
    ),
    d(
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        19,
        Some(22),
        Some("apiregistration.k8s.io/v1"),
    ),
    d(
        "authentication.k8s.io/v1beta1",
        "TokenReview",
        19,
        Some(22),
        Some("authentication.k8s.io/v1"),
    ),
    d(
        "authorization.k8s.io/v1beta1",
        "*",
        19,
        Some(22),
        Some("authorization.k8s.io/v1"),
    ),
    d(
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        19,
        Some(22),
        Some("certificates.k8s.io/v1"),
    ),
    d(
        "coordination.k8s.io/v1beta1",
        "Lease",
        19,
        Some(22),
        Some("coordination.k8s.io/v1"),
    ),
    d(
        "rbac.authorization.k8s.io/v1beta1",
        "*",
        17,
        Some(22),
        Some("rbac.authorization.k8s.io/v1"),
    ),
    d(
        "rbac.authorization.k8s.io/v1alpha1",
        "*",
        17,
        Some(22),
        Some("rbac.authorization.k8s.io/v1"),
    ),
    d(
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        14,
        Some(22),
        Some("scheduling.k8s.io/v1"),
    ),
    d(
        "scheduling.k8s.io/v1alpha1",
        "PriorityClass",
        14,
        Some(17),
        Some("scheduling.k8s.io/v1"),
    ),
    d(
        "storage.k8s.io/v1beta1",
        "CSIDriver",
        19,
        Some(22),
        Some("storage.k8s.io/v1"),
    ),
    d(
        "storage.k8s.io/v1beta1",
        "CSINode",
        17,
        Some(22),
        Some("storage.k8s.io/v1"),
    ),
    d(
        "storage.k8s.io/v1beta1",
        "StorageClass",
        19,
        Some(22),
        Some("storage.k8s.io/v1"),
    ),
    d(
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        19,
        Some(22),
        Some("storage.k8s.io/v1"),
    ),
    d("batch/v1beta1", "CronJob", 21, Some(25), Some("batch/v1")),
    d(
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        21,
        Some(25),
        Some("discovery.k8s.io/v1"),
    ),
    d(
        "events.k8s.io/v1beta1",
        "Event",
        21,
        Some(25),
        Some("events.k8s.io/v1"),
    ),
    d(
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        22,
        Some(25),
        Some("autoscaling/v2"),
    ),
    d(
        "policy/v1beta1",
        "PodDisruptionBudget",
        21,
        Some(25),
        Some("policy/v1"),
    ),
    d("policy/v1beta1", "PodSecurityPolicy", 21, Some(25), None),
    d(
        "node.k8s.io/v1beta1",
        "RuntimeClass",
        20,
        Some(25),
        Some("node.k8s.io/v1"),
    ),
    d(
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        23,
        Some(26),
        Some("autoscaling/v2"),
    ),
    d(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "*",
        23,
        Some(26),
        Some("flowcontrol.apiserver.k8s.io/v1"),
    ),
    d(
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        24,
        Some(27),
        Some("storage.k8s.io/v1"),
    ),
    d(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "*",
        26,
        Some(29),
        Some("flowcontrol.apiserver.k8s.io/v1"),
    ),
    d(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "*",
        29,
        Some(32),
        Some("flowcontrol.apiserver.k8s.io/v1"),
    ),
    d(
        "v1",
        "Endpoints",
        33,
        None,
        Some("discovery.k8s.io/v1 EndpointSlice"),
    ),
];

/// What the table says about `apiVersion`/`kind` on Kubernetes 1.`minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Removed(Deprecation),
    Deprecated(Deprecation),
}

pub fn status(api_version: &str, kind: &str, minor: u32) -> Option<Status> {
    let entry = DEPRECATIONS
        .iter()
        .find(|e| e.api_version == api_version && (e.kind == "*" || e.kind == kind))?;
    match entry.removed_in {
        Some(removed) if minor >= removed => Some(Status::Removed(*entry)),
        _ if minor >= entry.deprecated_in => Some(Status::Deprecated(*entry)),
        _ => None,
    }
}

/// The minor number of a `1.MINOR` version string.
pub fn minor_of(version: &str) -> Option<u32> {
    version.strip_prefix("1.")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_and_deprecated() {
        assert!(matches!(
            status("policy/v1beta1", "PodDisruptionBudget", 29),
            Some(Status::Removed(_))
        ));
        assert!(matches!(
            status("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 30),
            Some(Status::Deprecated(Deprecation {
                removed_in: Some(32),
                ..
            }))
        ));
        assert!(matches!(
            status("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 32),
            Some(Status::Removed(_))
        ));
        assert_eq!(status("apps/v1", "Deployment", 33), None);
        assert_eq!(status("v1", "Endpoints", 32), None);
        assert!(matches!(
            status("v1", "Endpoints", 33),
            Some(Status::Deprecated(_))
        ));
    }
}
