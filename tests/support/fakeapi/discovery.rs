//! The resource table of a fake cluster (built-in types plus the ones registered by CRDs) and
//! the discovery and OpenAPI documents served from it.
//!
//! Discovery is served in the legacy format only (`APIGroupList`, `APIResourceList`). Clients
//! that ask for aggregated discovery (`as=APIGroupDiscoveryList` in `Accept`) read the
//! `Content-Type: application/json` answer and fall back, as they do against old servers.
//! OpenAPI v3 is served as far as client-go's field-validation check needs it: a root listing
//! every group version and, per group version, a PATCH operation for every kind that carries
//! `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter, so helm and
//! kubectl leave validation to the server (which accepts any field).

use serde_json::{json, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// One resource as discovery describes it, at one version.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceInfo {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub verbs: Vec<String>,
    /// Subresources served under `<plural>/<name>`: `status`, `scale`.
    pub subresources: Vec<String>,
    pub categories: Vec<String>,
}

impl ResourceInfo {
    /// `v1` for the core group, `group/version` otherwise.
    pub fn api_version(&self) -> String {
        api_version(&self.group, &self.version)
    }

    /// The name used in error messages and RBAC: `secrets`, `deployments.apps`.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn has_status(&self) -> bool {
        self.subresources.iter().any(|s| s == "status")
    }

    /// The storage key: objects are stored once per group and plural, whatever the version.
    pub fn storage_key(&self) -> (String, String) {
        (self.group.clone(), self.plural.clone())
    }
}

/// `v1` for the core group, `group/version` otherwise.
pub fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    }
}

/// Splits an `apiVersion` into group and version.
pub fn split_api_version(api_version: &str) -> (String, String) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g.to_owned(), v.to_owned()),
        None => (String::new(), api_version.to_owned()),
    }
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// (group, version, plural, singular, kind, namespaced, short names, subresources)
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    &'static [&'static str],
);

const BUILTINS: &[Builtin] = &[
    (
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        false,
        &["ns"],
        &["status"],
    ),
    (
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        &["cm"],
        &[],
    ),
    ("", "v1", "secrets", "secret", "Secret", true, &[], &[]),
    (
        "",
        "v1",
        "services",
        "service",
        "Service",
        true,
        &["svc"],
        &["status"],
    ),
    (
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        true,
        &["sa"],
        &[],
    ),
    ("", "v1", "pods", "pod", "Pod", true, &["po"], &["status"]),
    (
        "",
        "v1",
        "endpoints",
        "endpoints",
        "Endpoints",
        true,
        &["ep"],
        &[],
    ),
    ("", "v1", "events", "event", "Event", true, &["ev"], &[]),
    (
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
        &["status"],
    ),
    (
        "",
        "v1",
        "nodes",
        "node",
        "Node",
        false,
        &["no"],
        &["status"],
    ),
    (
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
        &["deploy"],
        &["status", "scale"],
    ),
    (
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
        &["sts"],
        &["status", "scale"],
    ),
    (
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        true,
        &["ds"],
        &["status"],
    ),
    (
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        true,
        &["rs"],
        &["status", "scale"],
    ),
    ("batch", "v1", "jobs", "job", "Job", true, &[], &["status"]),
    (
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        "CronJob",
        true,
        &["cj"],
        &["status"],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "role",
        "Role",
        true,
        &[],
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "rolebinding",
        "RoleBinding",
        true,
        &[],
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "clusterrole",
        "ClusterRole",
        false,
        &[],
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        false,
        &[],
        &[],
    ),
    (
        "policy",
        "v1",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        "PodDisruptionBudget",
        true,
        &["pdb"],
        &["status"],
    ),
    (
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "networkpolicy",
        "NetworkPolicy",
        true,
        &["netpol"],
        &[],
    ),
    (
        "networking.k8s.io",
        "v1",
        "ingresses",
        "ingress",
        "Ingress",
        true,
        &["ing"],
        &["status"],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "validatingwebhookconfiguration",
        "ValidatingWebhookConfiguration",
        false,
        &[],
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        "MutatingWebhookConfiguration",
        false,
        &[],
        &[],
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
        &["status"],
    ),
    (
        "coordination.k8s.io",
        "v1",
        "leases",
        "lease",
        "Lease",
        true,
        &[],
        &[],
    ),
    (
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "endpointslice",
        "EndpointSlice",
        true,
        &[],
        &[],
    ),
    (
        "events.k8s.io",
        "v1",
        "events",
        "event",
        "Event",
        true,
        &["ev"],
        &[],
    ),
    (
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
        &["status"],
    ),
    (
        "authentication.k8s.io",
        "v1",
        "selfsubjectreviews",
        "selfsubjectreview",
        "SelfSubjectReview",
        false,
        &[],
        &[],
    ),
    (
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        "SelfSubjectAccessReview",
        false,
        &[],
        &[],
    ),
];

/// Resources that only accept `create` and are answered, not stored.
pub fn is_review(group: &str, plural: &str) -> bool {
    matches!(
        (group, plural),
        ("authentication.k8s.io", "selfsubjectreviews")
            | ("authorization.k8s.io", "selfsubjectaccessreviews")
    )
}

fn builtin_resources() -> Vec<ResourceInfo> {
    BUILTINS
        .iter()
        .map(
            |&(group, version, plural, singular, kind, namespaced, short, subs)| {
                let verbs: Vec<String> = if is_review(group, plural) {
                    vec!["create".to_owned()]
                } else {
                    ALL_VERBS.iter().map(|v| (*v).to_owned()).collect()
                };
                ResourceInfo {
                    group: group.to_owned(),
                    version: version.to_owned(),
                    plural: plural.to_owned(),
                    singular: singular.to_owned(),
                    kind: kind.to_owned(),
                    namespaced,
                    short_names: short.iter().map(|s| (*s).to_owned()).collect(),
                    verbs,
                    subresources: subs.iter().map(|s| (*s).to_owned()).collect(),
                    categories: Vec::new(),
                }
            },
        )
        .collect()
}

/// The resource table: built-ins plus the resources of every stored CRD.
#[derive(Clone, Debug)]
pub struct Registry {
    builtins: Vec<ResourceInfo>,
    /// CRD name → the resources it serves (one per served version).
    crds: BTreeMap<String, Vec<ResourceInfo>>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            builtins: builtin_resources(),
            crds: BTreeMap::new(),
        }
    }
}

impl Registry {
    pub fn all(&self) -> impl Iterator<Item = &ResourceInfo> {
        self.builtins.iter().chain(self.crds.values().flatten())
    }

    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceInfo> {
        self.all()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
    }

    pub fn find_kind(&self, group: &str, version: &str, kind: &str) -> Option<&ResourceInfo> {
        self.all()
            .find(|r| r.group == group && r.version == version && r.kind == kind)
    }

    /// Any version of `group`/`plural` (used when an object is stored under several versions).
    pub fn find_any_version(&self, group: &str, plural: &str) -> Option<&ResourceInfo> {
        self.all().find(|r| r.group == group && r.plural == plural)
    }

    /// Registers (or re-registers) the served versions of a CRD object. Returns an error
    /// message when the CRD is not valid enough to serve.
    pub fn register_crd(&mut self, crd: &Value) -> Result<(), String> {
        let resources = crd_resources(crd)?;
        let name = crd
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        self.crds.insert(name, resources);
        Ok(())
    }

    pub fn unregister_crd(&mut self, name: &str) -> Option<Vec<ResourceInfo>> {
        self.crds.remove(name)
    }

    /// Group versions served, grouped: group → versions, preferred first.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for r in self.all() {
            match groups.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, versions)) => {
                    if !versions.contains(&r.version) {
                        versions.push(r.version.clone());
                    }
                }
                None => groups.push((r.group.clone(), vec![r.version.clone()])),
            }
        }
        for (_, versions) in &mut groups {
            versions.sort_by(|a, b| compare_versions(a, b));
        }
        groups
    }

    /// `/api`: the core group's versions.
    pub fn api_versions(&self, server_address: &str) -> Value {
        json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
        })
    }

    /// `/apis`: every named group with its versions.
    pub fn api_group_list(&self) -> Value {
        let groups: Vec<Value> = self
            .groups()
            .into_iter()
            .filter(|(g, _)| !g.is_empty())
            .map(|(g, versions)| group_json(&g, &versions))
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    /// `/apis/<group>`.
    pub fn api_group(&self, group: &str) -> Option<Value> {
        self.groups()
            .into_iter()
            .find(|(g, _)| g == group && !g.is_empty())
            .map(|(g, versions)| {
                let mut v = group_json(&g, &versions);
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("kind".into(), json!("APIGroup"));
                    obj.insert("apiVersion".into(), json!("v1"));
                }
                v
            })
    }

    /// `/api/v1` or `/apis/<group>/<version>`: the APIResourceList.
    pub fn resource_list(&self, group: &str, version: &str) -> Option<Value> {
        let resources: Vec<&ResourceInfo> = self
            .all()
            .filter(|r| r.group == group && r.version == version)
            .collect();
        if resources.is_empty() {
            return None;
        }
        let mut list = Vec::new();
        for r in &resources {
            let mut entry = json!({
                "name": r.plural,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": r.verbs,
            });
            if let Some(obj) = entry.as_object_mut() {
                if !r.short_names.is_empty() {
                    obj.insert("shortNames".into(), json!(r.short_names));
                }
                if !r.categories.is_empty() {
                    obj.insert("categories".into(), json!(r.categories));
                }
                obj.insert(
                    "storageVersionHash".into(),
                    json!(short_hash(&r.qualified())),
                );
            }
            list.push(entry);
            for sub in &r.subresources {
                let (kind, verbs, group, version) = if sub == "scale" {
                    ("Scale", vec!["get", "patch", "update"], "autoscaling", "v1")
                } else {
                    (r.kind.as_str(), vec!["get", "patch", "update"], "", "")
                };
                let mut entry = json!({
                    "name": format!("{}/{}", r.plural, sub),
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "kind": kind,
                    "verbs": verbs,
                });
                if let Some(obj) = entry.as_object_mut() {
                    if !group.is_empty() {
                        obj.insert("group".into(), json!(group));
                        obj.insert("version".into(), json!(version));
                    }
                }
                list.push(entry);
            }
        }
        Some(json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": api_version(group, version),
            "resources": list,
        }))
    }

    /// `/openapi/v3`: one path per served group version.
    pub fn openapi_v3_root(&self) -> Value {
        let mut paths = serde_json::Map::new();
        for (group, versions) in self.groups() {
            for version in versions {
                let key = openapi_gv_path(&group, &version);
                let doc = self.openapi_v3_group_version(&group, &version);
                let hash = short_hash(&doc.to_string());
                paths.insert(
                    key.clone(),
                    json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={hash}")}),
                );
            }
        }
        json!({"paths": paths})
    }

    /// `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`: PATCH operations that
    /// name their kind and accept `fieldValidation`, which is all client-go checks.
    pub fn openapi_v3_group_version(&self, group: &str, version: &str) -> Value {
        let mut paths = serde_json::Map::new();
        let prefix = if group.is_empty() {
            "/api/v1".to_owned()
        } else {
            format!("/apis/{group}/{version}")
        };
        for r in self
            .all()
            .filter(|r| r.group == group && r.version == version)
        {
            if r.verbs.iter().all(|v| v != "patch") {
                continue;
            }
            let path = if r.namespaced {
                format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
            } else {
                format!("{prefix}/{}/{{name}}", r.plural)
            };
            let params: Vec<Value> = ["dryRun", "fieldManager", "fieldValidation", "force"]
                .iter()
                .map(|p| json!({"name": p, "in": "query", "schema": {"type": "string", "uniqueItems": true}}))
                .collect();
            paths.insert(
                path,
                json!({"patch": {
                    "operationId": format!("patch{}", r.kind),
                    "parameters": params,
                    "responses": {"200": {"description": "OK"}},
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": {"group": r.group, "version": r.version, "kind": r.kind},
                }}),
            );
        }
        json!({
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": "v1.35.0"},
            "paths": paths,
            "components": {"schemas": {}},
        })
    }
}

/// `api/v1` or `apis/<group>/<version>`: the key of a group version in `/openapi/v3`.
pub fn openapi_gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn group_json(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": api_version(group, v), "version": v}))
        .collect();
    let preferred = vs.first().cloned().unwrap_or(Value::Null);
    json!({"name": group, "versions": vs, "preferredVersion": preferred})
}

/// A short stable hash (FNV-1a, hex) for discovery's `storageVersionHash` and OpenAPI URLs.
pub fn short_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Kubernetes version priority: GA > beta > alpha, higher numbers first, others last.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn parse(v: &str) -> Option<(u64, u8, u64)> {
        let rest = v.strip_prefix('v')?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let major: u64 = digits.parse().ok()?;
        let tail = &rest[digits.len()..];
        if tail.is_empty() {
            return Some((major, 3, 0));
        }
        let (level, num) = if let Some(n) = tail.strip_prefix("beta") {
            (2, n)
        } else if let Some(n) = tail.strip_prefix("alpha") {
            (1, n)
        } else {
            return None;
        };
        Some((major, level, num.parse().ok()?))
    }
    match (parse(a), parse(b)) {
        (Some((ma, la, na)), Some((mb, lb, nb))) => lb.cmp(&la).then(mb.cmp(&ma)).then(nb.cmp(&na)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The resources a CRD serves, one per served version, or why it is invalid.
pub fn crd_resources(crd: &Value) -> Result<Vec<ResourceInfo>, String> {
    let name = crd
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let spec = crd.get("spec").ok_or("spec: Required value")?;
    let group = spec
        .get("group")
        .and_then(Value::as_str)
        .filter(|g| !g.is_empty())
        .ok_or("spec.group: Required value")?;
    let names = spec.get("names").ok_or("spec.names: Required value")?;
    let plural = names
        .get("plural")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .ok_or("spec.names.plural: Required value")?;
    let kind = names
        .get("kind")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .ok_or("spec.names.kind: Required value")?;
    if name != format!("{plural}.{group}") {
        return Err(format!(
            "metadata.name: Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"
        ));
    }
    let singular = names
        .get("singular")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| kind.to_ascii_lowercase());
    let scope = spec
        .get("scope")
        .and_then(Value::as_str)
        .ok_or("spec.scope: Required value")?;
    let namespaced = match scope {
        "Namespaced" => true,
        "Cluster" => false,
        other => {
            return Err(format!(
                "spec.scope: Unsupported value: \"{other}\": supported values: \"Cluster\", \"Namespaced\""
            ))
        }
    };
    let versions = spec
        .get("versions")
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
        .ok_or("spec.versions: Invalid value: null: must have exactly one version marked as storage version")?;
    let storage_count = versions
        .iter()
        .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .count();
    if storage_count != 1 {
        return Err(format!(
            "spec.versions: Invalid value: {}: must have exactly one version marked as storage version",
            Value::Array(versions.clone())
        ));
    }
    let mut out = Vec::new();
    for v in versions {
        if v.get("served").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let version = v
            .get("name")
            .and_then(Value::as_str)
            .ok_or("spec.versions[].name: Required value")?;
        let mut subresources = Vec::new();
        if let Some(subs) = v.get("subresources") {
            if subs.get("status").is_some() {
                subresources.push("status".to_owned());
            }
            if subs.get("scale").is_some() {
                subresources.push("scale".to_owned());
            }
        }
        out.push(ResourceInfo {
            group: group.to_owned(),
            version: version.to_owned(),
            plural: plural.to_owned(),
            singular: singular.clone(),
            kind: kind.to_owned(),
            namespaced,
            short_names: str_list(names.get("shortNames")),
            verbs: ALL_VERBS.iter().map(|v| (*v).to_owned()).collect(),
            subresources,
            categories: str_list(names.get("categories")),
        });
    }
    Ok(out)
}

/// The storage version of a CRD (the one marked `storage: true`).
pub fn crd_storage_version(crd: &Value) -> Option<String> {
    crd.pointer("/spec/versions")?
        .as_array()?
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))?
        .get("name")?
        .as_str()
        .map(str::to_owned)
}
