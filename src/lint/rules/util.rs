//! Small queries over rendered Kubernetes objects shared by the rules: pod templates and
//! their containers, label selectors, replicas, RBAC rules, quantities.
//!
//! Everything here is total: a missing or oddly typed field yields `None` or an empty list,
//! never a panic, because rendered charts are arbitrary user input.

use crate::lint::{Context, LintObject};
use crate::template::Value;

/// Follow a dotted path of map keys in a value.
pub fn get(v: &Value, path: &str) -> Option<Value> {
    let mut current = v.clone();
    for key in path.split('.') {
        current = current.get(key)?;
    }
    Some(current)
}

/// The items of a list (empty for anything else, including a missing field).
pub fn items(v: Option<Value>) -> Vec<Value> {
    match v {
        Some(Value::List(l)) => l.as_ref().clone(),
        _ => Vec::new(),
    }
}

/// The entries of a map (empty for anything else).
pub fn entries(v: Option<Value>) -> Vec<(String, Value)> {
    match v {
        Some(Value::Map(m)) => m
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

/// A scalar as the string Kubernetes would see after JSON decoding into a string field
/// (YAML `true` or `8080` in a label value renders as such).
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string()),
        Value::Bool(_) | Value::Int(_, _) | Value::Float(_) => Some(v.to_string()),
        _ => None,
    }
}

/// A string field (`None` when missing or not a scalar).
pub fn string_at(v: &Value, path: &str) -> Option<String> {
    get(v, path).as_ref().and_then(scalar)
}

/// A list of strings (non-scalars are skipped).
pub fn strings_at(v: &Value, path: &str) -> Vec<String> {
    items(get(v, path)).iter().filter_map(scalar).collect()
}

/// An integer field: YAML numbers arrive as floats, `--set` numbers as ints, and some
/// charts quote numbers.
pub use crate::lint::query::as_int as int;

pub fn int_at(v: &Value, path: &str) -> Option<i64> {
    get(v, path).as_ref().and_then(int)
}

/// A boolean field; only real booleans count (Kubernetes rejects `"true"` for bool fields).
pub fn bool_at(v: &Value, path: &str) -> Option<bool> {
    match get(v, path) {
        Some(Value::Bool(b)) => Some(b),
        _ => None,
    }
}

pub use crate::lint::query::IntOrPercent;

/// How a budget is written in values and messages (`2`, `25%`).
pub fn format_budget(b: IntOrPercent) -> String {
    match b {
        IntOrPercent::Int(i) => i.to_string(),
        IntOrPercent::Percent(p) => format!("{}%", crate::template::value::format_float_g(p)),
    }
}

/// Kinds that have no namespace (the lint framework's list).
pub fn is_cluster_scoped(kind: &str) -> bool {
    !crate::lint::query::is_namespaced(kind)
}

/// Helm test pods (`helm.sh/hook: test`), which run only under `helm test`.
pub fn is_test(obj: &LintObject) -> bool {
    obj.hook_events
        .iter()
        .any(|e| e == "test" || e == "test-success" || e == "test-failure")
}

/// Any Helm hook (install/upgrade/delete/test…): short-lived helpers, not the operator.
pub fn is_hook(obj: &LintObject) -> bool {
    !obj.hook_events.is_empty()
}

/// The pod template of a workload and the dotted path to it (`spec.template`; empty for a
/// bare Pod, whose metadata and spec are the object's own).
pub fn pod_template(obj: &LintObject) -> Option<(String, Value)> {
    let path = match obj.kind.as_str() {
        "Pod" => return Some((String::new(), obj.object.clone())),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => "spec.template",
        "Rollout" if obj.api_version.starts_with("argoproj.io/") => "spec.template",
        "CronJob" => "spec.jobTemplate.spec.template",
        _ => return None,
    };
    let template = get(&obj.object, path)?;
    match template {
        Value::Map(_) => Some((path.to_string(), template)),
        _ => None,
    }
}

/// Join a dotted prefix and a field (`"" + "spec"` → `spec`).
pub fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_string()
    } else {
        format!("{prefix}.{field}")
    }
}

/// Long-running workloads: their containers serve traffic and need probes, PDBs, leader
/// election. Jobs, CronJobs and hooks run to completion.
pub fn is_long_running(obj: &LintObject) -> bool {
    !is_hook(obj)
        && (matches!(
            obj.kind.as_str(),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController"
        ) || (obj.kind == "Rollout" && obj.api_version.starts_with("argoproj.io/")))
}

/// A container of a pod template, with the dotted path to it.
#[derive(Debug, Clone)]
pub struct Container {
    pub name: String,
    pub value: Value,
    /// `spec.template.spec.containers[0]`.
    pub path: String,
    pub init: bool,
}

/// Containers (and, with `with_init`, init containers) of a pod template.
pub fn containers(template_path: &str, template: &Value, with_init: bool) -> Vec<Container> {
    let mut out = Vec::new();
    let mut lists = vec![("containers", false)];
    if with_init {
        lists.push(("initContainers", true));
    }
    for (list, init) in lists {
        for (i, c) in items(get(template, &format!("spec.{list}")))
            .into_iter()
            .enumerate()
        {
            out.push(Container {
                name: string_at(&c, "name").unwrap_or_default(),
                path: join(template_path, &format!("spec.{list}[{i}]")),
                value: c,
                init,
            });
        }
    }
    out
}

/// Labels of an object or pod template (`metadata.labels`) as strings.
pub fn labels(v: &Value) -> Vec<(String, String)> {
    entries(get(v, "metadata.labels"))
        .into_iter()
        .filter_map(|(k, v)| scalar(&v).map(|s| (k, s)))
        .collect()
}

pub fn annotation(obj: &Value, key: &str) -> Option<String> {
    get(obj, "metadata.annotations")?
        .get(key)
        .as_ref()
        .and_then(scalar)
}

/// Labels that controllers add to pods at runtime (StatefulSet pod names, ReplicaSet and
/// revision hashes, Job names): a pod template never carries them, so selectors using them
/// (redis-ha's per-pod "announce" Services) are judged on their other labels.
pub fn is_runtime_label(key: &str) -> bool {
    matches!(
        key,
        "statefulset.kubernetes.io/pod-name"
            | "apps.kubernetes.io/pod-index"
            | "pod-template-hash"
            | "controller-revision-hash"
            | "pod-template-generation"
            | "batch.kubernetes.io/job-name"
            | "batch.kubernetes.io/controller-uid"
            | "job-name"
            | "controller-uid"
    )
}

fn label<'a>(labels: &'a [(String, String)], key: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A plain `key: value` selector (Service `spec.selector`): every pair must match. An empty
/// selector matches nothing here (a Service without selector has no pods to match).
pub fn map_selector_matches(selector: &Value, labels: &[(String, String)]) -> bool {
    let pairs = entries(Some(selector.clone()));
    !pairs.is_empty()
        && pairs
            .iter()
            .all(|(k, v)| is_runtime_label(k) || scalar(v).as_deref() == label(labels, k))
}

/// A `metav1.LabelSelector` (`matchLabels` + `matchExpressions`). An empty selector
/// (`{}`) matches everything, as Kubernetes defines it.
pub fn label_selector_matches(selector: &Value, labels: &[(String, String)]) -> bool {
    for (k, v) in entries(get(selector, "matchLabels")) {
        if !is_runtime_label(&k) && scalar(&v).as_deref() != label(labels, &k) {
            return false;
        }
    }
    for expr in items(get(selector, "matchExpressions")) {
        let key = string_at(&expr, "key").unwrap_or_default();
        let op = string_at(&expr, "operator").unwrap_or_default();
        let values = strings_at(&expr, "values");
        let have = label(labels, &key);
        let ok = match op.as_str() {
            "In" => have.is_some_and(|h| values.iter().any(|v| v == h)),
            "NotIn" => have.is_none_or(|h| values.iter().all(|v| v != h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Whether a `metav1.LabelSelector` has no requirement at all.
pub fn label_selector_is_empty(selector: &Value) -> bool {
    entries(get(selector, "matchLabels")).is_empty()
        && items(get(selector, "matchExpressions")).is_empty()
}

/// Indices of the objects that have a pod template.
pub fn workloads(ctx: &Context<'_>) -> Vec<usize> {
    (0..ctx.objects.len())
        .filter(|&i| ctx.objects.get(i).and_then(pod_template).is_some())
        .collect()
}

/// Two objects live in the same namespace (both cluster-scoped counts too).
pub fn same_namespace(a: &LintObject, b: &LintObject) -> bool {
    a.namespace == b.namespace
}

/// The namespace an object is in, or the release namespace when unknown.
pub fn namespace_or<'a>(obj: &'a LintObject, ctx: &'a Context<'_>) -> &'a str {
    obj.namespace.as_deref().unwrap_or(ctx.namespace)
}

/// Find an object by kind, name and namespace (`None` namespace = cluster-scoped or any).
pub fn find(ctx: &Context<'_>, kind: &str, name: &str, namespace: Option<&str>) -> Option<usize> {
    ctx.objects.iter().position(|o| {
        o.kind == kind
            && o.name == name
            && (namespace.is_none() || o.namespace.as_deref().or(Some(ctx.namespace)) == namespace)
    })
}

/// Desired replicas of a scalable workload (Kubernetes defaults a missing `replicas` to 1).
/// `None` for kinds that do not scale by replicas (DaemonSet, Job, Pod…).
pub fn replicas(obj: &LintObject) -> Option<i64> {
    let scalable = matches!(
        obj.kind.as_str(),
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController"
    ) || (obj.kind == "Rollout" && obj.api_version.starts_with("argoproj.io/"));
    if !scalable {
        return None;
    }
    match get(&obj.object, "spec.replicas") {
        None | Some(Value::Nil) => Some(1),
        Some(v) => int(&v),
    }
}

/// The HorizontalPodAutoscaler (index) that targets a workload, if the chart renders one.
pub fn hpa_for(ctx: &Context<'_>, workload: &LintObject) -> Option<usize> {
    ctx.objects.iter().position(|o| {
        o.kind == "HorizontalPodAutoscaler"
            && same_namespace(o, workload)
            && string_at(&o.object, "spec.scaleTargetRef.kind").as_deref()
                == Some(workload.kind.as_str())
            && string_at(&o.object, "spec.scaleTargetRef.name").as_deref()
                == Some(workload.name.as_str())
    })
}

/// The ServiceAccount a pod runs as (`default` when unset).
pub fn service_account_name(template: &Value) -> String {
    string_at(template, "spec.serviceAccountName")
        .or_else(|| string_at(template, "spec.serviceAccount"))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_string())
}

/// One rule of a Role or ClusterRole.
#[derive(Debug, Clone)]
pub struct PolicyRule {
    pub index: usize,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

impl PolicyRule {
    /// Whether the rule grants `verb` on `group`/`resource` (wildcards honoured;
    /// `resource` may be `secrets` or `leases`).
    pub fn grants(&self, group: &str, resource: &str, verb: &str) -> bool {
        let any = |list: &[String], want: &str| list.iter().any(|x| x == "*" || x == want);
        any(&self.api_groups, group) && any(&self.resources, resource) && any(&self.verbs, verb)
    }
}

/// The rules of a Role or ClusterRole (empty for other kinds).
pub fn policy_rules(obj: &LintObject) -> Vec<PolicyRule> {
    if obj.kind != "Role" && obj.kind != "ClusterRole" {
        return Vec::new();
    }
    items(obj.get("rules"))
        .iter()
        .enumerate()
        .map(|(index, r)| PolicyRule {
            index,
            api_groups: strings_at(r, "apiGroups"),
            resources: strings_at(r, "resources"),
            verbs: strings_at(r, "verbs"),
            resource_names: strings_at(r, "resourceNames"),
            non_resource_urls: strings_at(r, "nonResourceURLs"),
        })
        .collect()
}

/// A binding's link to a ServiceAccount.
#[derive(Debug, Clone)]
pub struct SaBinding {
    /// Index of the RoleBinding / ClusterRoleBinding.
    pub binding: usize,
    /// `Role` or `ClusterRole`.
    pub role_kind: String,
    pub role_name: String,
    /// Index of the bound role, when the chart renders it.
    pub role: Option<usize>,
}

/// Bindings whose subjects include ServiceAccount `name` in `namespace`.
pub fn bindings_for_sa(ctx: &Context<'_>, name: &str, namespace: &str) -> Vec<SaBinding> {
    let mut out = Vec::new();
    for (i, b) in ctx.objects.iter().enumerate() {
        if b.kind != "RoleBinding" && b.kind != "ClusterRoleBinding" {
            continue;
        }
        let binds = items(b.get("subjects")).iter().any(|s| {
            string_at(s, "kind").as_deref() == Some("ServiceAccount")
                && string_at(s, "name").as_deref() == Some(name)
                && string_at(s, "namespace")
                    .as_deref()
                    .or(b.namespace.as_deref())
                    .unwrap_or(ctx.namespace)
                    == namespace
        });
        if !binds {
            continue;
        }
        let role_kind = string_at(&b.object, "roleRef.kind").unwrap_or_default();
        let role_name = string_at(&b.object, "roleRef.name").unwrap_or_default();
        let role = ctx.objects.iter().position(|r| {
            r.kind == role_kind
                && r.name == role_name
                && (role_kind == "ClusterRole" || same_namespace(r, b))
        });
        out.push(SaBinding {
            binding: i,
            role_kind,
            role_name,
            role,
        });
    }
    out
}

/// Parse a Kubernetes quantity (`100m`, `128Mi`, `1.5Gi`, `2e3`) into base units.
pub fn parse_quantity(v: &Value) -> Option<f64> {
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Int(i, _) => return Some(*i as f64),
        Value::Float(f) => return Some(*f),
        _ => return None,
    };
    let suffixes: [(&str, f64); 13] = [
        ("Ki", 1024.0),
        ("Mi", 1024.0 * 1024.0),
        ("Gi", 1024.0 * 1024.0 * 1024.0),
        ("Ti", 1024f64.powi(4)),
        ("Pi", 1024f64.powi(5)),
        ("Ei", 1024f64.powi(6)),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    for (suffix, factor) in suffixes {
        if let Some(num) = s.strip_suffix(suffix) {
            return num.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    if let Some(num) = s.strip_suffix('P') {
        return num.parse::<f64>().ok().map(|n| n * 1e15);
    }
    if let Some(num) = s.strip_suffix('E') {
        return num.parse::<f64>().ok().map(|n| n * 1e18);
    }
    s.parse().ok()
}

/// Container ports of a pod template: `(name, containerPort)`.
pub fn container_ports(template: &Value) -> Vec<(Option<String>, Option<i64>)> {
    let mut out = Vec::new();
    for c in containers("", template, true) {
        for p in items(get(&c.value, "ports")) {
            out.push((string_at(&p, "name"), int_at(&p, "containerPort")));
        }
    }
    out
}

/// Pod templates (object index, template) whose labels a selector-like predicate accepts,
/// within the given namespace.
pub fn matching_workloads(
    ctx: &Context<'_>,
    namespace: Option<&str>,
    mut accepts: impl FnMut(&[(String, String)]) -> bool,
) -> Vec<(usize, Value)> {
    let mut out = Vec::new();
    for (i, obj) in ctx.objects.iter().enumerate() {
        if is_test(obj) {
            continue;
        }
        if let Some((_, template)) = pod_template(obj) {
            if namespace.is_some() && obj.namespace.as_deref() != namespace {
                continue;
            }
            if accepts(&labels(&template)) {
                out.push((i, template));
            }
        }
    }
    out
}

/// Whether the chart has any namespace-scoped objects in `namespace` (so a selector aimed at
/// it is about the chart's own objects).
pub fn chart_uses_namespace(ctx: &Context<'_>, namespace: &str) -> bool {
    ctx.objects
        .iter()
        .any(|o| o.namespace.as_deref() == Some(namespace))
}

/// Is this a bool-like "enabled" values flag set to true.
pub fn truthy_at(values: &Value, path: &str) -> bool {
    get(values, path).is_some_and(|v| v.truthy())
}

/// Whether the chart renders custom resource instances (a `Prometheus`, a database
/// `Cluster`) whose operator creates pods and Services at runtime; selectors that match
/// nothing of the chart may then be aimed at those. Supporting kinds that never create pods
/// (monitors, rules, certificates, issuers) do not count.
pub fn renders_custom_resources(ctx: &Context<'_>) -> bool {
    ctx.objects.iter().any(|o| {
        let group = crate::lint::query::api_group(&o.api_version);
        let builtin = group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io");
        let support = matches!(
            o.kind.as_str(),
            "ServiceMonitor"
                | "PodMonitor"
                | "PrometheusRule"
                | "Probe"
                | "ScrapeConfig"
                | "Certificate"
                | "Issuer"
                | "ClusterIssuer"
        );
        !builtin && !support
    })
}

/// Whether `needle` appears as a string anywhere in `values` (e.g. a ServiceAccount name the
/// user supplied, which documents it as existing outside the chart).
pub fn values_mention(values: &Value, needle: &str) -> bool {
    match values {
        Value::String(s) => s.as_ref() == needle,
        Value::List(l) => l.iter().any(|v| values_mention(v, needle)),
        Value::Map(m) => m.borrow().values().any(|v| values_mention(v, needle)),
        _ => false,
    }
}

/// ServiceAccounts the chart renders in `namespace`.
pub fn service_account_exists(objects: &[LintObject], name: &str, namespace: &str) -> bool {
    objects.iter().any(|o| {
        o.kind == "ServiceAccount" && o.name == name && o.namespace.as_deref() == Some(namespace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Map;

    fn labels_of(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn map(pairs: Vec<(&str, Value)>) -> Value {
        let mut m = Map::new();
        for (k, v) in pairs {
            m.insert(k.to_string(), v);
        }
        Value::map(m)
    }

    #[test]
    fn label_selectors_follow_kubernetes_semantics() {
        let pod = labels_of(&[("app", "op"), ("tier", "ctl")]);
        let sel = map(vec![("matchLabels", map(vec![("app", Value::str("op"))]))]);
        assert!(label_selector_matches(&sel, &pod));
        let expr = |op: &str, vals: &[&str]| {
            map(vec![(
                "matchExpressions",
                Value::list(vec![map(vec![
                    ("key", Value::str("tier")),
                    ("operator", Value::str(op)),
                    (
                        "values",
                        Value::list(vals.iter().map(|v| Value::str(v)).collect()),
                    ),
                ])]),
            )])
        };
        assert!(label_selector_matches(&expr("In", &["ctl", "x"]), &pod));
        assert!(!label_selector_matches(&expr("NotIn", &["ctl"]), &pod));
        assert!(label_selector_matches(&expr("Exists", &[]), &pod));
        assert!(!label_selector_matches(&expr("DoesNotExist", &[]), &pod));
        assert!(label_selector_matches(&Value::empty_map(), &pod));
        assert!(!map_selector_matches(&Value::empty_map(), &pod));
    }

    #[test]
    fn budgets_round_up_like_the_disruption_controller() {
        let p = IntOrPercent::parse(&Value::str("50%")).unwrap();
        assert_eq!(p.scaled(3), 2);
        assert_eq!(p.scaled(1), 1);
        assert_eq!(format_budget(p), "50%");
        assert_eq!(
            IntOrPercent::parse(&Value::Float(2.0)),
            Some(IntOrPercent::Int(2))
        );
        assert_eq!(IntOrPercent::parse(&Value::str("x")), None);
    }

    #[test]
    fn quantities_parse_with_binary_and_decimal_suffixes() {
        assert_eq!(parse_quantity(&Value::str("100m")), Some(0.1));
        assert_eq!(parse_quantity(&Value::str("128Mi")), Some(134_217_728.0));
        assert_eq!(parse_quantity(&Value::str("1G")), Some(1e9));
        assert_eq!(parse_quantity(&Value::Float(2.0)), Some(2.0));
        assert_eq!(parse_quantity(&Value::str("lots")), None);
    }
}
