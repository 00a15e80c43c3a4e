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
    /// Parse as Helm 4 does: Kubernetes' `version.ParseGeneric` (optional leading space and
    /// `v`, two or more dot-separated numbers, then anything at all, which is ignored),
    /// keeping the input itself, `v`-prefixed, as `.Version`.
    pub fn parse(input: &str) -> Result<KubeVersion, KubeVersionError> {
        let err = |reason: String| KubeVersionError {
            input: input.to_string(),
            reason,
        };
        let body = input.trim_start();
        let body = body.strip_prefix('v').unwrap_or(body);
        // `[0-9]+(\.[0-9]+)*`: the longest run of numbers joined by single dots.
        let bytes = body.as_bytes();
        let mut end = 0;
        loop {
            let digits = bytes[end..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits == 0 {
                // Only at the start: a dot is taken only with a digit after it.
                break;
            }
            end += digits;
            if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
                end += 1;
            } else {
                break;
            }
        }
        if end == 0 {
            return Err(err(format!("could not parse {input:?} as version")));
        }
        let parts: Vec<&str> = body[..end].split('.').collect();
        if parts.len() < 2 {
            return Err(err(format!("illegal version string {input:?}")));
        }
        let mut nums = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            if i == 0 && part.len() > 1 && part.starts_with('0') {
                return Err(err(format!(
                    "illegal zero-prefixed version component {part:?} in {input:?}"
                )));
            }
            let n = part.parse::<u64>().map_err(|e| {
                err(format!(
                    "illegal version string {input:?}: strconv.ParseUint: parsing {part:?}: {}",
                    if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) {
                        "value out of range"
                    } else {
                        "invalid syntax"
                    }
                ))
            })?;
            nums.push(n);
        }
        let version = if input.starts_with('v') {
            input.to_string()
        } else {
            format!("v{input}")
        };
        let joined: Vec<String> = nums.iter().map(u64::to_string).collect();
        Ok(KubeVersion {
            version,
            // What Helm 4 prints for `{{ .Capabilities.KubeVersion }}` and checks a chart's
            // `kubeVersion` against: the numbers alone, as given (`v1.33` stays two).
            normalized: format!("v{}", joined.join(".")),
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
                .map(|(i, v)| (Value::int(i as i64), Value::str(v)))
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
        assert_eq!(v.normalized, "v1.29");
        let v = KubeVersion::parse("1.33.4-gke.1245000").unwrap();
        assert_eq!(v.version, "v1.33.4-gke.1245000");
        assert_eq!(v.normalized, "v1.33.4");
        assert_eq!(v.minor, "33");
        // Helm 4.1's output for each of these, checked against the real binary.
        let v = KubeVersion::parse("v1.30.2+k3s1").unwrap();
        assert_eq!(
            (v.version.as_str(), v.normalized.as_str()),
            ("v1.30.2+k3s1", "v1.30.2")
        );
        let v = KubeVersion::parse("1.2.3.4").unwrap();
        assert_eq!((v.normalized.as_str(), v.minor.as_str()), ("v1.2.3.4", "2"));
        let v = KubeVersion::parse("1.033x").unwrap();
        assert_eq!(
            (v.version.as_str(), v.normalized.as_str()),
            ("v1.033x", "v1.33")
        );
        let v = KubeVersion::parse(" 1.33").unwrap();
        assert_eq!(
            (v.version.as_str(), v.normalized.as_str()),
            ("v 1.33", "v1.33")
        );
        let msg = |s: &str| KubeVersion::parse(s).unwrap_err().reason;
        assert_eq!(
            msg("01.33"),
            "illegal zero-prefixed version component \"01\" in \"01.33\""
        );
        assert_eq!(msg("banana"), "could not parse \"banana\" as version");
        assert_eq!(msg("1"), "illegal version string \"1\"");
        assert_eq!(msg("1."), "illegal version string \"1.\"");
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
