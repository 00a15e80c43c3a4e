//! `.Capabilities`: the Kubernetes and Helm versions templates are rendered for.
//!
//! Offline (no cluster), Helm uses its built-in defaults: the Kubernetes version its
//! client-go was built for and the API group versions client-go knows. We reproduce Helm
//! 4.1's defaults exactly so `helm template` and `kubectl opm render` agree on charts that
//! branch on `.Capabilities` (`semverCompare ">=1.21-0" .Capabilities.KubeVersion.Version`,
//! `.Capabilities.APIVersions.Has "policy/v1"`).

use std::rc::Rc;

use crate::template::{FuncError, Map, Object, Value};

/// The Helm release whose behaviour we reproduce; charts see it as `.Capabilities.HelmVersion`.
pub const HELM_VERSION: &str = "v4.1.4";
const HELM_GIT_COMMIT: &str = "05fa37973dc9e42b76e1d2883494c87174b6074f";
const HELM_GO_VERSION: &str = "go1.25.9";
const HELM_KUBE_CLIENT_VERSION: &str = "v1.35";

/// Kubernetes version Helm 4.1 assumes offline (client-go 0.35 → Kubernetes 1.35).
pub const DEFAULT_KUBE_VERSION: &str = "v1.35.0";

/// API group versions Helm 4.1 reports offline, in Helm's order (client-go's scheme,
/// prioritized, plus apiextensions v1beta1 and v1).
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// A parsed `--kube-version`, as Helm's `common.ParseKubeVersion` produces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeVersion {
    /// What the user gave, with a `v` prefix (`v1.33.4-gke.1`): `.Version`, `.GitVersion`.
    pub version: String,
    /// `vMAJOR.MINOR.PATCH[-pre][+meta]` normalised: what `{{ .Capabilities.KubeVersion }}` prints.
    pub normalized: String,
    pub major: String,
    pub minor: String,
}

/// Error for a `--kube-version` that is not a version.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid kube version '{input}': {reason}")]
pub struct KubeVersionError {
    pub input: String,
    pub reason: String,
}

impl KubeVersion {
    /// Parse like Kubernetes' `version.ParseGeneric`: optional `v`, at least `MAJOR.MINOR`,
    /// optional `.PATCH`, then anything after `-` or `+` is kept as pre-release/metadata.
    pub fn parse(input: &str) -> Result<KubeVersion, KubeVersionError> {
        let err = |reason: &str| KubeVersionError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = input.trim();
        let body = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let split_at = body.find(['-', '+']).unwrap_or(body.len());
        let (numbers, suffix) = body.split_at(split_at);
        let parts: Vec<&str> = numbers.split('.').collect();
        if parts.len() < 2 || parts.len() > 3 {
            return Err(err("could not parse pieces of version"));
        }
        let mut nums = Vec::new();
        for part in &parts {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(&format!("illegal version component {part:?}")));
            }
            if part.len() > 1 && part.starts_with('0') {
                return Err(err(&format!(
                    "illegal zero-prefixed version component {part:?}"
                )));
            }
            nums.push(
                part.parse::<u64>()
                    .map_err(|_| err("version component out of range"))?,
            );
        }
        let patch = nums.get(2).copied().unwrap_or(0);
        let version = if trimmed.starts_with('v') {
            trimmed.to_string()
        } else {
            format!("v{trimmed}")
        };
        Ok(KubeVersion {
            version,
            normalized: format!("v{}.{}.{}{}", nums[0], nums[1], patch, suffix),
            major: nums[0].to_string(),
            minor: nums[1].to_string(),
        })
    }

    pub fn default_version() -> KubeVersion {
        KubeVersion {
            version: DEFAULT_KUBE_VERSION.to_string(),
            normalized: DEFAULT_KUBE_VERSION.to_string(),
            major: "1".to_string(),
            minor: "35".to_string(),
        }
    }
}

impl Object for KubeVersion {
    fn type_name(&self) -> &str {
        "common.KubeVersion"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" | "GitVersion" => Some(Value::str(&self.version)),
            "Major" => Some(Value::str(&self.major)),
            "Minor" => Some(Value::str(&self.minor)),
            "String" => Some(Value::str(&self.normalized)),
            _ => None,
        }
    }
    fn display(&self) -> String {
        self.normalized.clone()
    }
    fn to_data(&self) -> Value {
        let mut m = Map::new();
        m.insert("Version".into(), Value::str(&self.version));
        m.insert("Major".into(), Value::str(&self.major));
        m.insert("Minor".into(), Value::str(&self.minor));
        Value::map(m)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `.Capabilities.APIVersions`: a `[]string` with a `Has` method.
#[derive(Debug, Clone)]
pub struct ApiVersions(pub Vec<String>);

impl Object for ApiVersions {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        if name != "Has" {
            return None;
        }
        Some(match args {
            [Value::String(s)] => Ok(Value::Bool(self.0.iter().any(|v| v == &**s))),
            [other] => Err(FuncError::new(format!(
                "wrong type for value; expected string; got {}",
                other.type_name()
            ))),
            _ => Err(FuncError::new(format!(
                "wrong number of args for Has: want 1 got {}",
                args.len()
            ))),
        })
    }
    fn display(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
    fn to_data(&self) -> Value {
        Value::list(self.0.iter().map(|s| Value::str(s)).collect())
    }
    fn entries(&self) -> Option<Vec<(Value, Value)>> {
        Some(
            self.0
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), Value::str(v)))
                .collect(),
        )
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `.Capabilities.HelmVersion` (Helm's `version.BuildInfo`).
#[derive(Debug, Clone)]
pub struct HelmVersion;

impl Object for HelmVersion {
    fn type_name(&self) -> &str {
        "version.BuildInfo"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::str(HELM_VERSION)),
            "GitCommit" => Some(Value::str(HELM_GIT_COMMIT)),
            "GitTreeState" => Some(Value::str("clean")),
            "GoVersion" => Some(Value::str(HELM_GO_VERSION)),
            "KubeClientVersion" => Some(Value::str(HELM_KUBE_CLIENT_VERSION)),
            _ => None,
        }
    }
    fn display(&self) -> String {
        format!(
            "{{{HELM_VERSION} {HELM_GIT_COMMIT} clean {HELM_GO_VERSION} {HELM_KUBE_CLIENT_VERSION}}}"
        )
    }
    fn to_data(&self) -> Value {
        let mut m = Map::new();
        m.insert("version".into(), Value::str(HELM_VERSION));
        m.insert("git_commit".into(), Value::str(HELM_GIT_COMMIT));
        m.insert("git_tree_state".into(), Value::str("clean"));
        m.insert("go_version".into(), Value::str(HELM_GO_VERSION));
        m.insert(
            "kube_client_version".into(),
            Value::str(HELM_KUBE_CLIENT_VERSION),
        );
        Value::map(m)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `.Capabilities`.
#[derive(Debug, Clone)]
pub struct Capabilities {
    pub kube_version: KubeVersion,
    pub api_versions: Vec<String>,
}

impl Capabilities {
    /// Helm's offline capabilities, with `--kube-version` and `--api-versions` applied
    /// (extra API versions are appended to the defaults, as Helm does).
    pub fn new(kube_version: Option<KubeVersion>, extra_api_versions: &[String]) -> Self {
        let mut api_versions: Vec<String> =
            DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect();
        api_versions.extend(extra_api_versions.iter().cloned());
        Capabilities {
            kube_version: kube_version.unwrap_or_else(KubeVersion::default_version),
            api_versions,
        }
    }

    pub fn into_value(self) -> Value {
        Value::Object(Rc::new(self))
    }
}

impl Object for Capabilities {
    fn type_name(&self) -> &str {
        "*common.Capabilities"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(Value::Object(Rc::new(self.kube_version.clone()))),
            "APIVersions" => Some(Value::Object(Rc::new(ApiVersions(
                self.api_versions.clone(),
            )))),
            "HelmVersion" => Some(Value::Object(Rc::new(HelmVersion))),
            _ => None,
        }
    }
    fn display(&self) -> String {
        format!(
            "&{{{} {} {}}}",
            KubeVersionDisplay(&self.kube_version),
            ApiVersions(self.api_versions.clone()).display(),
            HelmVersion.display()
        )
    }
    fn to_data(&self) -> Value {
        let mut m = Map::new();
        m.insert("KubeVersion".into(), self.kube_version.to_data());
        m.insert(
            "APIVersions".into(),
            ApiVersions(self.api_versions.clone()).to_data(),
        );
        m.insert("HelmVersion".into(), HelmVersion.to_data());
        Value::map(m)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Go prints the `KubeVersion` struct inside `Capabilities` field by field.
struct KubeVersionDisplay<'a>(&'a KubeVersion);

impl std::fmt::Display for KubeVersionDisplay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{{{} {} {} {}}}",
            self.0.version, self.0.normalized, self.0.major, self.0.minor
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kube_versions_like_helm() {
        let v = KubeVersion::parse("1.33.0").unwrap();
        assert_eq!(v.version, "v1.33.0");
        assert_eq!(v.normalized, "v1.33.0");
        assert_eq!((v.major.as_str(), v.minor.as_str()), ("1", "33"));
        let v = KubeVersion::parse("v1.29").unwrap();
        assert_eq!(v.version, "v1.29");
        assert_eq!(v.normalized, "v1.29.0");
        let v = KubeVersion::parse("1.33.4-gke.1245000").unwrap();
        assert_eq!(v.version, "v1.33.4-gke.1245000");
        assert_eq!(v.minor, "33");
        assert!(KubeVersion::parse("banana").is_err());
        assert!(KubeVersion::parse("1").is_err());
    }

    #[test]
    fn api_versions_has() {
        let caps = Capabilities::new(None, &["monitoring.coreos.com/v1".to_string()]);
        let Some(Value::Object(apis)) = caps.field("APIVersions") else {
            panic!("no APIVersions");
        };
        let has = |s: &str| apis.call_method("Has", &[Value::str(s)]);
        assert_eq!(has("policy/v1"), Some(Ok(Value::Bool(true))));
        assert_eq!(has("monitoring.coreos.com/v1"), Some(Ok(Value::Bool(true))));
        assert_eq!(has("policy/v2"), Some(Ok(Value::Bool(false))));
    }
}
