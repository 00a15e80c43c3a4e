//! Deprecated and removed Kubernetes API versions, relative to the target
//! `--kube-version`.

pub mod deprecated_api_version;
pub mod removed_api_version;

/// One deprecated API: `apiVersion`, kind (`*` = every kind of that version), the minor
/// release that deprecated it, the minor release that removed it, and the replacement.
pub struct Deprecation {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub deprecated: u32,
    pub removed: u32,
    pub replacement: &'static str,
}

const fn d(
    api_version: &'static str,
    kind: &'static str,
    deprecated: u32,
    removed: u32,
    replacement: &'static str,
) -> Deprecation {
    Deprecation {
        api_version,
        kind,
        deprecated,
        removed,
        replacement,
    }
}

/// From the Kubernetes deprecated API migration guide (all Kubernetes 1.x minors).
pub const DEPRECATIONS: &[Deprecation] = &[
    d("extensions/v1beta1", "Deployment", 9, 16, "apps/v1"),
    d("extensions/v1beta1", "DaemonSet", 9, 16, "apps/v1"),
    d("extensions/v1beta1", "ReplicaSet", 9, 16, "apps/v1"),
    d(
        "extensions/v1beta1",
        "NetworkPolicy",
        9,
        16,
        "networking.k8s.io/v1",
    ),
    d(
        "extensions/v1beta1",
        "PodSecurityPolicy",
        10,
        16,
        "policy/v1beta1 (itself removed in 1.25)",
    ),
    d(
        "extensions/v1beta1",
        "Ingress",
        14,
        22,
        "networking.k8s.io/v1",
    ),
    d("apps/v1beta1", "*", 9, 16, "apps/v1"),
    d("apps/v1beta2", "*", 9, 16, "apps/v1"),
    d(
        "networking.k8s.io/v1beta1",
        "Ingress",
        19,
        22,
        "networking.k8s.io/v1",
    ),
    d(
        "networking.k8s.io/v1beta1",
        "IngressClass",
        19,
        22,
        "networking.k8s.io/v1",
    ),
    d(
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        16,
        22,
        "admissionregistration.k8s.io/v1",
    ),
    d(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        16,
        22,
        "admissionregistration.k8s.io/v1",
    ),
    d(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        16,
        22,
        "apiextensions.k8s.io/v1",
    ),
    d(
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        19,
        22,
        "apiregistration.k8s.io/v1",
    ),
    d(
        "authentication.k8s.io/v1beta1",
        "TokenReview",
        19,
        22,
        "authentication.k8s.io/v1",
    ),
    d(
        "authorization.k8s.io/v1beta1",
        "*",
        19,
        22,
        "authorization.k8s.io/v1",
    ),
    d(
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        19,
        22,
        "certificates.k8s.io/v1",
    ),
    d(
        "coordination.k8s.io/v1beta1",
        "Lease",
        19,
        22,
        "coordination.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io/v1beta1",
        "*",
        17,
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "rbac.authorization.k8s.io/v1alpha1",
        "*",
        17,
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    d(
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        14,
        22,
        "scheduling.k8s.io/v1",
    ),
    d(
        "scheduling.k8s.io/v1alpha1",
        "PriorityClass",
        14,
        17,
        "scheduling.k8s.io/v1",
    ),
    d(
        "storage.k8s.io/v1beta1",
        "CSIDriver",
        19,
        22,
        "storage.k8s.io/v1",
    ),
    d(
        "storage.k8s.io/v1beta1",
        "CSINode",
        17,
        22,
        "storage.k8s.io/v1",
    ),
    d(
        "storage.k8s.io/v1beta1",
        "StorageClass",
        19,
        22,
        "storage.k8s.io/v1",
    ),
    d(
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        19,
        22,
        "storage.k8s.io/v1",
    ),
    d(
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        24,
        27,
        "storage.k8s.io/v1",
    ),
    d("batch/v1beta1", "CronJob", 21, 25, "batch/v1"),
    d(
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        21,
        25,
        "discovery.k8s.io/v1",
    ),
    d("events.k8s.io/v1beta1", "Event", 21, 25, "events.k8s.io/v1"),
    d(
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        22,
        25,
        "autoscaling/v2",
    ),
    d(
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        23,
        26,
        "autoscaling/v2",
    ),
    d("policy/v1beta1", "PodDisruptionBudget", 21, 25, "policy/v1"),
    d(
        "policy/v1beta1",
        "PodSecurityPolicy",
        21,
        25,
        "Pod Security Admission",
    ),
    d(
        "node.k8s.io/v1beta1",
        "RuntimeClass",
        20,
        25,
        "node.k8s.io/v1",
    ),
    d(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "*",
        23,
        26,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    d(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "*",
        26,
        29,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    d(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "*",
        29,
        32,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

/// The deprecation entry for an object, if any.
pub fn lookup(api_version: &str, kind: &str) -> Option<&'static Deprecation> {
    DEPRECATIONS
        .iter()
        .find(|d| d.api_version == api_version && (d.kind == "*" || d.kind == kind))
}

/// Whether the object's template picks this version only as a fallback, behind
/// `.Capabilities.APIVersions.Has "<replacement>…"`: offline renders (like
/// `helm template`) may lack the kind-level API versions a real cluster reports, so the
/// fallback branch shows up although a real install would use the replacement.
pub fn capability_fallback(
    ctx: &crate::lint::Context<'_>,
    obj: &crate::lint::LintObject,
    d: &Deprecation,
) -> bool {
    let replacement = d
        .replacement
        .split_whitespace()
        .next()
        .unwrap_or(d.replacement);
    let mentions = |text: &str| text.contains("APIVersions.Has") && text.contains(replacement);
    if obj.source_text.as_deref().is_some_and(mentions) {
        return true;
    }
    let Some(file) = obj.source.as_ref().map(|s| s.file.as_str()) else {
        return false;
    };
    ctx.chart.is_some_and(|c| {
        c.templates
            .iter()
            .any(|(path, text)| (path == file || file.ends_with(path.as_str())) && mentions(text))
    })
}

/// The minor version of a `MAJOR.MINOR[.PATCH]` Kubernetes version (`v1.33.0` → 33).
pub fn kube_minor(version: &str) -> Option<u32> {
    let v = version.trim().trim_start_matches('v');
    let mut parts = v.split('.');
    if parts.next()? != "1" {
        return None;
    }
    let minor: String = parts
        .next()?
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    minor.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_versions_parse() {
        assert_eq!(kube_minor("1.33"), Some(33));
        assert_eq!(kube_minor("v1.25.3"), Some(25));
        assert_eq!(kube_minor("1.29+"), Some(29));
        assert_eq!(kube_minor("2.0"), None);
    }

    #[test]
    fn table_finds_kind_specific_and_whole_version_entries() {
        assert_eq!(
            lookup("policy/v1beta1", "PodDisruptionBudget").map(|d| d.removed),
            Some(25)
        );
        assert_eq!(
            lookup("apps/v1beta2", "StatefulSet").map(|d| d.removed),
            Some(16)
        );
        assert!(lookup("policy/v1", "PodDisruptionBudget").is_none());
        for d in DEPRECATIONS {
            assert!(d.deprecated < d.removed, "{} {}", d.api_version, d.kind);
        }
    }
}
