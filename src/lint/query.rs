//! Object queries that rules share: objects by kind, workloads and their pod templates,
//! containers, label selectors, replicas, int-or-percent fields.
//!
//! Rules stay small and linear by asking these helpers instead of walking `Value`s by hand.
//! Field paths returned here use the Diagnostic spelling (`spec.template.spec.containers[0]`)
//! so a rule can pass them straight to [`Finding::field`](super::Finding::field), and the
//! engine maps them to a template line.

use std::collections::BTreeMap;

use super::{Context, LintObject};
use crate::template::Value;

/// Kinds that carry a pod template (or are a pod).
pub const WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Pod",
];

/// Kinds whose pods are long-running and counted by `spec.replicas` (what a PDB protects).
pub const REPLICATED_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
];

/// RBAC kinds (what an `rbac.create` toggle guards).
pub const RBAC_KINDS: &[&str] = &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

/// Built-in kinds that have no namespace. Unknown kinds (custom resources) are treated as
/// namespaced, which is what nearly every operator's CRs are.
pub const CLUSTER_SCOPED_KINDS: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "FlowSchema",
    "RuntimeClass",
    "IngressClass",
    "PodSecurityPolicy",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRoleBindingList",
    "IPAddress",
    "ServiceCIDR",
    "DeviceClass",
];

/// Whether objects of this kind live in a namespace.
pub fn is_namespaced(kind: &str) -> bool {
    !CLUSTER_SCOPED_KINDS.contains(&kind)
}

/// The API group of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``).
pub fn api_group(api_version: &str) -> &str {
    match api_version.split_once('/') {
        Some((group, _)) => group,
        None => "",
    }
}

/// A pod template found in a workload.
#[derive(Debug, Clone)]
pub struct PodTemplate {
    /// Index of the workload in `Context::objects`.
    pub object: usize,
    /// The pod spec map (`spec.template.spec`, or `spec` for a Pod).
    pub spec: Value,
    /// Dotted path of the pod spec inside the object (`spec.template.spec`).
    pub spec_path: &'static str,
    /// The pod template's metadata map (Nil when absent).
    pub metadata: Value,
    /// Dotted path of that metadata (`spec.template.metadata`).
    pub metadata_path: &'static str,
}

impl PodTemplate {
    /// Labels of the pods this template creates.
    pub fn labels(&self) -> Value {
        self.metadata.get("labels").unwrap_or(Value::Nil)
    }

    /// Annotations of the pods this template creates.
    pub fn annotations(&self) -> Value {
        self.metadata.get("annotations").unwrap_or(Value::Nil)
    }

    /// All containers (init containers first, as the kubelet starts them), with field paths.
    pub fn containers(&self) -> Vec<ContainerRef> {
        containers_of(&self.spec, self.spec_path)
    }

    /// Only the regular (`containers`) entries: init containers do not serve probes or traffic.
    pub fn main_containers(&self) -> Vec<ContainerRef> {
        self.containers()
            .into_iter()
            .filter(|c| c.kind == ContainerKind::Container)
            .collect()
    }

    /// A pod spec field (`serviceAccountName`, `hostNetwork`, …).
    pub fn get(&self, key: &str) -> Option<Value> {
        self.spec.get(key)
    }

    /// The ServiceAccount pods run as: `serviceAccountName`, else the deprecated
    /// `serviceAccount`, else `default` (what the API server fills in).
    pub fn service_account(&self) -> String {
        for key in ["serviceAccountName", "serviceAccount"] {
            if let Some(name) = self.spec.get(key).as_ref().and_then(scalar_string) {
                if !name.is_empty() {
                    return name;
                }
            }
        }
        "default".to_string()
    }

    /// Volumes of the pod as (name, volume map, field path).
    pub fn volumes(&self) -> Vec<(String, Value, String)> {
        let mut out = Vec::new();
        if let Some(volumes) = self.spec.get("volumes") {
            for (i, v) in items(&volumes).iter().enumerate() {
                let name = v
                    .get("name")
                    .as_ref()
                    .and_then(scalar_string)
                    .unwrap_or_default();
                out.push((name, v.clone(), format!("{}.volumes[{i}]", self.spec_path)));
            }
        }
        out
    }
}

/// Where a container sits in the pod spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    Init,
    Container,
    Ephemeral,
}

/// One container of a pod spec.
#[derive(Debug, Clone)]
pub struct ContainerRef {
    pub kind: ContainerKind,
    pub index: usize,
    pub name: String,
    /// The container map.
    pub value: Value,
    /// Field path of the container (`spec.template.spec.containers[0]`).
    pub path: String,
}

impl ContainerRef {
    pub fn get(&self, key: &str) -> Option<Value> {
        self.value.get(key)
    }

    /// Field path of a key inside this container (`…containers[0].image`).
    pub fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// Declared ports as (name, containerPort).
    pub fn ports(&self) -> Vec<(Option<String>, Option<i64>)> {
        let mut out = Vec::new();
        if let Some(ports) = self.value.get("ports") {
            for p in items(&ports) {
                let name = p
                    .get("name")
                    .as_ref()
                    .and_then(scalar_string)
                    .filter(|n| !n.is_empty());
                let port = p.get("containerPort").as_ref().and_then(as_int);
                out.push((name, port));
            }
        }
        out
    }

    /// The container's `image` string ("" when absent).
    pub fn image(&self) -> String {
        self.value
            .get("image")
            .as_ref()
            .and_then(scalar_string)
            .unwrap_or_default()
    }
}

/// Containers of a pod spec (init, regular, ephemeral) with their field paths.
pub fn containers_of(pod_spec: &Value, spec_path: &str) -> Vec<ContainerRef> {
    let mut out = Vec::new();
    for (key, kind) in [
        ("initContainers", ContainerKind::Init),
        ("containers", ContainerKind::Container),
        ("ephemeralContainers", ContainerKind::Ephemeral),
    ] {
        let Some(list) = pod_spec.get(key) else {
            continue;
        };
        for (index, c) in items(&list).iter().enumerate() {
            let name = c
                .get("name")
                .as_ref()
                .and_then(scalar_string)
                .unwrap_or_default();
            let path = if spec_path.is_empty() {
                format!("{key}[{index}]")
            } else {
                format!("{spec_path}.{key}[{index}]")
            };
            out.push(ContainerRef {
                kind,
                index,
                name,
                value: c.clone(),
                path,
            });
        }
    }
    out
}

/// The pod template of a workload object, if it has one.
pub fn pod_template_of(object: &LintObject, index: usize) -> Option<PodTemplate> {
    let (spec_keys, spec_path, meta_keys, metadata_path): (&[&str], _, &[&str], _) =
        match object.kind.as_str() {
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "Job" => (
                &["spec", "template", "spec"],
                "spec.template.spec",
                &["spec", "template", "metadata"],
                "spec.template.metadata",
            ),
            "CronJob" => (
                &["spec", "jobTemplate", "spec", "template", "spec"],
                "spec.jobTemplate.spec.template.spec",
                &["spec", "jobTemplate", "spec", "template", "metadata"],
                "spec.jobTemplate.spec.template.metadata",
            ),
            "Pod" => (&["spec"], "spec", &["metadata"], "metadata"),
            _ => return None,
        };
    let spec = object.object.get_path(spec_keys)?;
    if !matches!(spec, Value::Map(_)) {
        return None;
    }
    let metadata = object.object.get_path(meta_keys).unwrap_or(Value::Nil);
    Some(PodTemplate {
        object: index,
        spec,
        spec_path,
        metadata,
        metadata_path,
    })
}

impl LintObject {
    /// `metadata.labels` as strings (non-string values printed as Go would).
    pub fn labels(&self) -> BTreeMap<String, String> {
        string_map(
            &self
                .object
                .get_path(&["metadata", "labels"])
                .unwrap_or(Value::Nil),
        )
    }

    /// `metadata.annotations` as strings.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        string_map(
            &self
                .object
                .get_path(&["metadata", "annotations"])
                .unwrap_or(Value::Nil),
        )
    }

    /// One annotation's value.
    pub fn annotation(&self, key: &str) -> Option<String> {
        self.object
            .get_path(&["metadata", "annotations", key])
            .as_ref()
            .and_then(scalar_string)
    }

    /// Whether this is a Helm hook (`helm.sh/hook` set).
    pub fn is_hook(&self) -> bool {
        !self.hook_events.is_empty()
    }

    pub fn is_workload(&self) -> bool {
        WORKLOAD_KINDS.contains(&self.kind.as_str())
    }

    /// API group of the object (`apps`, `""` for core).
    pub fn group(&self) -> &str {
        api_group(&self.api_version)
    }

    /// Effective replicas of a Deployment/StatefulSet/ReplicaSet/ReplicationController:
    /// `spec.replicas`, or 1 when unset (the API server default). `None` for other kinds and
    /// for a value that is not a number.
    pub fn replicas(&self) -> Option<i64> {
        if !REPLICATED_KINDS.contains(&self.kind.as_str()) {
            return None;
        }
        match self.object.get_path(&["spec", "replicas"]) {
            None | Some(Value::Nil) => Some(1),
            Some(v) => as_int(&v),
        }
    }

    /// Whether `spec.replicas` is set explicitly (an HPA-managed workload often omits it).
    pub fn replicas_set(&self) -> bool {
        !matches!(
            self.object.get_path(&["spec", "replicas"]),
            None | Some(Value::Nil)
        )
    }

    /// `spec.selector` of a workload (a LabelSelector), Nil when absent.
    pub fn selector(&self) -> Value {
        self.object
            .get_path(&["spec", "selector"])
            .unwrap_or(Value::Nil)
    }

    /// Whether `other` is in the same namespace (both cluster-scoped counts as the same).
    pub fn same_namespace(&self, other: &LintObject) -> bool {
        self.namespace == other.namespace
    }
}

impl<'a> Context<'a> {
    /// Objects of one kind, with their indices.
    pub fn objects_of_kind<'s>(
        &'s self,
        kind: &'s str,
    ) -> impl Iterator<Item = (usize, &'a LintObject)> + 's {
        let objects: &'a [LintObject] = self.objects;
        objects
            .iter()
            .enumerate()
            .filter(move |(_, o)| o.kind == kind)
    }

    /// Objects whose kind is any of `kinds`.
    pub fn objects_of_kinds<'s>(
        &'s self,
        kinds: &'s [&'s str],
    ) -> impl Iterator<Item = (usize, &'a LintObject)> + 's {
        let objects: &'a [LintObject] = self.objects;
        objects
            .iter()
            .enumerate()
            .filter(move |(_, o)| kinds.contains(&o.kind.as_str()))
    }

    /// Workloads (kinds with a pod template, and Pods), hooks included.
    pub fn workloads(&self) -> impl Iterator<Item = (usize, &'a LintObject)> + '_ {
        let objects: &'a [LintObject] = self.objects;
        objects.iter().enumerate().filter(|(_, o)| o.is_workload())
    }

    /// Pod templates of all workloads, in object order.
    pub fn pod_templates(&self) -> Vec<PodTemplate> {
        self.workloads()
            .filter_map(|(i, o)| pod_template_of(o, i))
            .collect()
    }

    /// The pod template of object `i` (None if it is not a workload or has no pod spec).
    pub fn pod_spec(&self, i: usize) -> Option<PodTemplate> {
        self.objects.get(i).and_then(|o| pod_template_of(o, i))
    }

    /// The object at `i`.
    pub fn object(&self, i: usize) -> Option<&'a LintObject> {
        self.objects.get(i)
    }

    /// Find an object by kind and name; `namespace` `None` matches any namespace.
    pub fn find(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<usize> {
        self.objects.iter().position(|o| {
            o.kind == kind
                && o.name == name
                && match namespace {
                    Some(ns) => o.namespace.as_deref() == Some(ns) || o.namespace.is_none(),
                    None => true,
                }
        })
    }

    /// Workloads in `namespace` whose pod template labels match a LabelSelector
    /// (PDB, ServiceMonitor-free pods, NetworkPolicy podSelector). Pods, Jobs and CronJobs are
    /// included; hooks are not (they are transient).
    pub fn workloads_selected_by(&self, selector: &Value, namespace: Option<&str>) -> Vec<usize> {
        self.pod_templates()
            .into_iter()
            .filter(|t| {
                let Some(o) = self.objects.get(t.object) else {
                    return false;
                };
                !o.is_hook()
                    && (namespace.is_none() || o.namespace.as_deref() == namespace)
                    && selects(selector, &t.labels())
            })
            .map(|t| t.object)
            .collect()
    }

    /// Workloads whose pod labels a plain map selector (Service `spec.selector`) matches.
    pub fn workloads_matching_map(&self, selector: &Value, namespace: Option<&str>) -> Vec<usize> {
        self.pod_templates()
            .into_iter()
            .filter(|t| {
                let Some(o) = self.objects.get(t.object) else {
                    return false;
                };
                !o.is_hook()
                    && (namespace.is_none() || o.namespace.as_deref() == namespace)
                    && map_selects(selector, &t.labels())
            })
            .map(|t| t.object)
            .collect()
    }

    /// Objects of `kind` whose `metadata.labels` match a LabelSelector (ServiceMonitor →
    /// Services), restricted to `namespace` when given.
    pub fn objects_selected_by(
        &self,
        kind: &str,
        selector: &Value,
        namespace: Option<&str>,
    ) -> Vec<usize> {
        self.objects_of_kind(kind)
            .filter(|(_, o)| {
                (namespace.is_none() || o.namespace.as_deref() == namespace)
                    && selects(
                        selector,
                        &o.object
                            .get_path(&["metadata", "labels"])
                            .unwrap_or(Value::Nil),
                    )
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The chart's default values (values.yaml), or the render's values for manifests.
    pub fn default_values(&self) -> &Value {
        match self.chart {
            Some(c) => &c.default_values,
            None => self.values,
        }
    }

    /// A value by dotted path in the values of this render.
    pub fn value(&self, path: &str) -> Option<Value> {
        let keys: Vec<&str> = path.split('.').collect();
        self.values.get_path(&keys)
    }

    /// Whether the target Kubernetes version is at least `major.minor`.
    pub fn kube_at_least(&self, major: u32, minor: u32) -> bool {
        match parse_kube_version(self.kube_version) {
            Some(v) => v >= (major, minor),
            None => true,
        }
    }
}

/// `1.33`, `v1.33.2`, `1.33+` → (1, 33).
pub fn parse_kube_version(s: &str) -> Option<(u32, u32)> {
    let s = s.trim().trim_start_matches('v');
    let mut parts = s.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor_raw = parts.next().unwrap_or("0");
    let digits: String = minor_raw
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let minor = digits.parse().ok()?;
    Some((major, minor))
}

/// Kubernetes `LabelSelector` semantics (`matchLabels` AND `matchExpressions`): a null
/// selector selects nothing, an empty one (`{}`) selects everything. Operators `In`, `NotIn`,
/// `Exists`, `DoesNotExist`; an unknown operator selects nothing (the API server would have
/// rejected the object).
pub fn selects(selector: &Value, labels: &Value) -> bool {
    let Value::Map(sel) = selector else {
        return false;
    };
    let labels = string_map(labels);
    let sel = sel.borrow();
    if let Some(match_labels) = sel.get("matchLabels") {
        for (k, v) in string_map(match_labels) {
            if labels.get(&k) != Some(&v) {
                return false;
            }
        }
    }
    if let Some(exprs) = sel.get("matchExpressions") {
        for e in items(exprs) {
            let key = e
                .get("key")
                .as_ref()
                .and_then(scalar_string)
                .unwrap_or_default();
            let op = e
                .get("operator")
                .as_ref()
                .and_then(scalar_string)
                .unwrap_or_default();
            let values: Vec<String> = e
                .get("values")
                .map(|v| items(&v).iter().filter_map(scalar_string).collect())
                .unwrap_or_default();
            let have = labels.get(&key);
            let ok = match op.as_str() {
                "In" => have.is_some_and(|h| values.contains(h)),
                "NotIn" => have.is_none_or(|h| !values.contains(h)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

/// A plain `map[string]string` selector (Service `spec.selector`, ReplicationController):
/// empty or absent selects nothing (a Service without selector has manual endpoints).
pub fn map_selects(selector: &Value, labels: &Value) -> bool {
    let sel = string_map(selector);
    if sel.is_empty() {
        return false;
    }
    let labels = string_map(labels);
    sel.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Whether a LabelSelector is empty (`{}` or only empty parts): it selects everything.
pub fn selector_is_empty(selector: &Value) -> bool {
    match selector {
        Value::Map(m) => {
            let m = m.borrow();
            let labels_empty = m.get("matchLabels").is_none_or(|v| !v.truthy());
            let exprs_empty = m.get("matchExpressions").is_none_or(|v| !v.truthy());
            labels_empty && exprs_empty
        }
        _ => false,
    }
}

/// A map's entries as strings; scalars print as Go's `%v` would. Non-maps give an empty map.
pub fn string_map(v: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Value::Map(m) = v {
        for (k, val) in m.borrow().iter() {
            if let Some(s) = scalar_string(val) {
                out.insert(k.clone(), s);
            }
        }
    }
    out
}

/// A scalar as a string (strings as is, numbers and bools as Go prints them); None for
/// nil, lists and maps.
pub fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string()),
        Value::Int(_, _) | Value::Float(_) | Value::Bool(_) => Some(v.to_string()),
        _ => None,
    }
}

/// The items of a list (empty for anything else), borrowed.
pub fn items(v: &Value) -> &[Value] {
    match v {
        Value::List(l) => l.as_slice(),
        _ => &[],
    }
}

/// A map's entries in key order (empty for anything else).
pub fn entries(v: &Value) -> Vec<(String, Value)> {
    match v {
        Value::Map(m) => m
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

/// An integer: ints, integral floats (YAML numbers may be float64) and numeric strings.
pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i, _) => Some(*i),
        Value::Float(f) if f.fract() == 0.0 && f.is_finite() => Some(*f as i64),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean: `true`/`false` values and the strings `"true"`/`"false"`.
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_ref() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A Kubernetes `IntOrString` that is a count or a percentage (`minAvailable`,
/// `maxUnavailable`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IntOrPercent {
    Int(i64),
    Percent(f64),
}

impl IntOrPercent {
    pub fn parse(v: &Value) -> Option<IntOrPercent> {
        match v {
            Value::String(s) => {
                if let Some(p) = s.trim().strip_suffix('%') {
                    p.trim().parse().ok().map(IntOrPercent::Percent)
                } else {
                    s.trim().parse().ok().map(IntOrPercent::Int)
                }
            }
            other => as_int(other).map(IntOrPercent::Int),
        }
    }

    /// The absolute number for `total` pods, rounding percentages up as Kubernetes does
    /// for `minAvailable` and `maxUnavailable` of a PDB (`GetScaledValueFromIntOrPercent`
    /// with roundUp = true).
    pub fn scaled(self, total: i64) -> i64 {
        match self {
            IntOrPercent::Int(i) => i,
            IntOrPercent::Percent(p) => ((p * total as f64) / 100.0).ceil() as i64,
        }
    }
}

/// Split a Diagnostic field path into segments: `spec.containers[0].image` →
/// `["spec", "containers", "[0]", "image"]` (index segments keep their brackets). Keys that
/// contain dots can be written `metadata.annotations["a.b/c"]`.
pub fn split_field_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            '[' => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    inner.push(c);
                }
                let quoted = inner.len() >= 2
                    && ((inner.starts_with('"') && inner.ends_with('"'))
                        || (inner.starts_with('\'') && inner.ends_with('\'')));
                if quoted {
                    out.push(inner[1..inner.len() - 1].to_string());
                } else {
                    out.push(format!("[{inner}]"));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Build `Value`s and `LintObject`s in tests without the YAML loader.
    use super::*;
    use crate::template::value::Map;

    /// A map from `(key, value)` pairs.
    pub fn map(pairs: &[(&str, Value)]) -> Value {
        let mut m = Map::new();
        for (k, v) in pairs {
            m.insert((*k).to_string(), v.clone());
        }
        Value::map(m)
    }

    pub fn s(v: &str) -> Value {
        Value::str(v)
    }

    pub fn list(v: Vec<Value>) -> Value {
        Value::list(v)
    }

    /// A LintObject with the given document; kind/name/namespace read from it.
    pub fn object(doc: Value) -> LintObject {
        let get = |p: &[&str]| doc.get_path(p).as_ref().and_then(scalar_string);
        let kind = get(&["kind"]).unwrap_or_default();
        let namespace = get(&["metadata", "namespace"])
            .or_else(|| is_namespaced(&kind).then(|| "default".to_string()));
        LintObject {
            api_version: get(&["apiVersion"]).unwrap_or_default(),
            kind,
            namespace,
            name: get(&["metadata", "name"]).unwrap_or_default(),
            object: doc,
            source: None,
            source_text: None,
            hook_events: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    fn deployment(name: &str, labels: Value, replicas: Option<i64>) -> LintObject {
        let mut spec = vec![
            ("selector", map(&[("matchLabels", labels.clone())])),
            (
                "template",
                map(&[
                    ("metadata", map(&[("labels", labels)])),
                    (
                        "spec",
                        map(&[
                            (
                                "initContainers",
                                list(vec![map(&[("name", s("init")), ("image", s("busybox"))])]),
                            ),
                            (
                                "containers",
                                list(vec![map(&[
                                    ("name", s("manager")),
                                    ("image", s("ctrl:v1")),
                                    (
                                        "ports",
                                        list(vec![map(&[
                                            ("name", s("metrics")),
                                            ("containerPort", Value::Float(8080.0)),
                                        ])]),
                                    ),
                                ])]),
                            ),
                        ]),
                    ),
                ]),
            ),
        ];
        if let Some(r) = replicas {
            spec.push(("replicas", Value::int(r)));
        }
        object(map(&[
            ("apiVersion", s("apps/v1")),
            ("kind", s("Deployment")),
            ("metadata", map(&[("name", s(name))])),
            ("spec", map(&spec)),
        ]))
    }

    fn ctx_with<'a>(objects: &'a [LintObject], values: &'a Value) -> Context<'a> {
        Context {
            toggles: &[],
            objects,
            values,
            chart: None,
            namespace: "default",
            kube_version: "1.33",
            schema: None,
        }
    }

    #[test]
    fn label_selector_semantics() {
        let labels = map(&[("app", s("op")), ("tier", s("ctl"))]);
        assert!(!selects(&Value::Nil, &labels), "null selects nothing");
        assert!(selects(&map(&[]), &labels), "empty selects everything");
        let ml = map(&[("matchLabels", map(&[("app", s("op"))]))]);
        assert!(selects(&ml, &labels));
        let ml = map(&[("matchLabels", map(&[("app", s("other"))]))]);
        assert!(!selects(&ml, &labels));
        let expr = |op: &str, vals: Vec<Value>| {
            map(&[(
                "matchExpressions",
                list(vec![map(&[
                    ("key", s("tier")),
                    ("operator", s(op)),
                    ("values", list(vals)),
                ])]),
            )])
        };
        assert!(selects(&expr("In", vec![s("ctl"), s("x")]), &labels));
        assert!(!selects(&expr("NotIn", vec![s("ctl")]), &labels));
        assert!(selects(&expr("Exists", vec![]), &labels));
        assert!(!selects(&expr("DoesNotExist", vec![]), &labels));
        assert!(!selects(&expr("Bogus", vec![]), &labels));
    }

    #[test]
    fn map_selector_needs_entries() {
        let labels = map(&[("app", s("op"))]);
        assert!(!map_selects(&map(&[]), &labels));
        assert!(!map_selects(&Value::Nil, &labels));
        assert!(map_selects(&map(&[("app", s("op"))]), &labels));
        assert!(!map_selects(
            &map(&[("app", s("op")), ("x", s("y"))]),
            &labels
        ));
    }

    #[test]
    fn pod_templates_and_containers() {
        let objs = vec![
            deployment("a", map(&[("app", s("a"))]), None),
            deployment("b", map(&[("app", s("b"))]), Some(3)),
        ];
        let values = Value::Nil;
        let ctx = ctx_with(&objs, &values);
        assert_eq!(ctx.workloads().count(), 2);
        let t = ctx.pod_spec(1).unwrap();
        assert_eq!(t.spec_path, "spec.template.spec");
        let cs = t.containers();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].kind, ContainerKind::Init);
        assert_eq!(cs[1].path, "spec.template.spec.containers[0]");
        assert_eq!(
            cs[1].field("image"),
            "spec.template.spec.containers[0].image"
        );
        assert_eq!(
            cs[1].ports(),
            vec![(Some("metrics".to_string()), Some(8080))]
        );
        assert_eq!(t.main_containers().len(), 1);
        assert_eq!(t.service_account(), "default");
        assert_eq!(objs[0].replicas(), Some(1));
        assert!(!objs[0].replicas_set());
        assert_eq!(objs[1].replicas(), Some(3));
        let sel = map(&[("matchLabels", map(&[("app", s("b"))]))]);
        assert_eq!(ctx.workloads_selected_by(&sel, Some("default")), vec![1]);
        assert_eq!(
            ctx.workloads_selected_by(&sel, Some("other")),
            Vec::<usize>::new()
        );
        assert_eq!(
            ctx.workloads_matching_map(&map(&[("app", s("a"))]), None),
            vec![0]
        );
        assert_eq!(ctx.find("Deployment", Some("default"), "b"), Some(1));
        assert_eq!(ctx.find("Deployment", None, "zz"), None);
    }

    #[test]
    fn cronjob_and_pod_templates() {
        let cron = object(map(&[
            ("kind", s("CronJob")),
            ("metadata", map(&[("name", s("c"))])),
            (
                "spec",
                map(&[(
                    "jobTemplate",
                    map(&[(
                        "spec",
                        map(&[(
                            "template",
                            map(&[(
                                "spec",
                                map(&[("containers", list(vec![map(&[("name", s("x"))])]))]),
                            )]),
                        )]),
                    )]),
                )]),
            ),
        ]));
        let t = pod_template_of(&cron, 0).unwrap();
        assert_eq!(
            t.containers()[0].path,
            "spec.jobTemplate.spec.template.spec.containers[0]"
        );
        let pod = object(map(&[
            ("kind", s("Pod")),
            ("metadata", map(&[("labels", map(&[("a", s("b"))]))])),
            (
                "spec",
                map(&[
                    ("serviceAccountName", s("sa")),
                    ("containers", list(vec![])),
                ]),
            ),
        ]));
        let t = pod_template_of(&pod, 0).unwrap();
        assert_eq!(t.service_account(), "sa");
        assert_eq!(
            string_map(&t.labels()).get("a").map(String::as_str),
            Some("b")
        );
        let svc = object(map(&[("kind", s("Service"))]));
        assert!(pod_template_of(&svc, 0).is_none());
    }

    #[test]
    fn int_or_percent() {
        assert_eq!(
            IntOrPercent::parse(&s("50%")),
            Some(IntOrPercent::Percent(50.0))
        );
        assert_eq!(
            IntOrPercent::parse(&Value::Float(2.0)),
            Some(IntOrPercent::Int(2))
        );
        assert_eq!(IntOrPercent::parse(&s("3")), Some(IntOrPercent::Int(3)));
        assert_eq!(IntOrPercent::parse(&s("x")), None);
        assert_eq!(IntOrPercent::Percent(50.0).scaled(3), 2);
        assert_eq!(IntOrPercent::Percent(100.0).scaled(1), 1);
        assert_eq!(IntOrPercent::Int(1).scaled(5), 1);
    }

    #[test]
    fn field_paths_split() {
        assert_eq!(
            split_field_path("spec.template.spec.containers[0].image"),
            vec!["spec", "template", "spec", "containers", "[0]", "image"]
        );
        assert_eq!(
            split_field_path("metadata.annotations[\"helm.sh/resource-policy\"]"),
            vec!["metadata", "annotations", "helm.sh/resource-policy"]
        );
        assert_eq!(split_field_path(""), Vec::<String>::new());
    }

    #[test]
    fn kube_versions() {
        assert_eq!(parse_kube_version("1.33"), Some((1, 33)));
        assert_eq!(parse_kube_version("v1.29.3"), Some((1, 29)));
        assert_eq!(parse_kube_version("1.30+"), Some((1, 30)));
        assert_eq!(parse_kube_version("x"), None);
        let objs = vec![];
        let v = Value::Nil;
        let ctx = ctx_with(&objs, &v);
        assert!(ctx.kube_at_least(1, 25));
        assert!(!ctx.kube_at_least(1, 34));
    }

    #[test]
    fn annotations_and_labels_as_strings() {
        let o = object(map(&[
            ("kind", s("ConfigMap")),
            (
                "metadata",
                map(&[
                    ("name", s("cm")),
                    (
                        "labels",
                        map(&[("n", Value::Float(1.0)), ("b", Value::Bool(true))]),
                    ),
                    (
                        "annotations",
                        map(&[("helm.sh/resource-policy", s("keep"))]),
                    ),
                ]),
            ),
        ]));
        assert_eq!(o.labels().get("n").map(String::as_str), Some("1"));
        assert_eq!(o.labels().get("b").map(String::as_str), Some("true"));
        assert_eq!(
            o.annotation("helm.sh/resource-policy").as_deref(),
            Some("keep")
        );
        assert_eq!(o.namespace.as_deref(), Some("default"));
        assert!(is_namespaced("ConfigMap"));
        assert!(!is_namespaced("ClusterRole"));
        assert_eq!(
            api_group("rbac.authorization.k8s.io/v1"),
            "rbac.authorization.k8s.io"
        );
        assert_eq!(api_group("v1"), "");
    }
}
