//! `rbac-clusterrole-where-role-suffices`: cluster-wide grants in a namespace-scoped mode.

use crate::lint::rules::util::{get, policy_rules, string_at};
use crate::lint::{Context, Finding};
use crate::template::Value;

declare_rule! {
    RbacClusterroleWhereRoleSuffices {
        id: "rbac-clusterrole-where-role-suffices",
        family: "rbac",
        severity: Warning,
        summary: "Namespace-scoped mode is on, yet a ClusterRoleBinding grants only namespaced resources",
        doc: r#"## What it does
When the render has the chart's namespace-scoped mode switched on (`watchNamespace`,
`watchNamespaces`, `namespaced: true`, `singleNamespace: true`, `scope.enabled: true`,
`clusterWide: false`, …), reports ClusterRoles bound with a ClusterRoleBinding whose rules
cover only namespaced resources.

## Why is this bad?
Users choose the namespace-scoped mode to confine the operator. A ClusterRoleBinding still
grants the permissions in every namespace, so the confinement is only on paper.

## Example
```yaml
# values: watchNamespace: team-a
kind: ClusterRoleBinding
roleRef:
  kind: ClusterRole
  name: my-operator      # only configmaps, deployments, widgets
```

## Fix
In namespace-scoped mode render a Role and RoleBinding (in each watched namespace)
instead: `{{- if .Values.watchNamespace }}kind: Role{{ else }}kind: ClusterRole{{ end }}`.
"#,
    }
}

/// Resources that only exist cluster-wide, so granting them needs a ClusterRole.
const CLUSTER_RESOURCES: &[&str] = &[
    "nodes",
    "namespaces",
    "persistentvolumes",
    "storageclasses",
    "customresourcedefinitions",
    "clusterroles",
    "clusterrolebindings",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "validatingadmissionpolicies",
    "validatingadmissionpolicybindings",
    "apiservices",
    "certificatesigningrequests",
    "tokenreviews",
    "subjectaccessreviews",
    "selfsubjectaccessreviews",
    "selfsubjectrulesreviews",
    "priorityclasses",
    "ingressclasses",
    "runtimeclasses",
    "csidrivers",
    "csinodes",
    "volumeattachments",
    "podsecuritypolicies",
    "flowschemas",
    "prioritylevelconfigurations",
    "componentstatuses",
    "signers",
];

/// The values key that puts the chart in namespace-scoped mode in this render, if any.
pub fn namespace_mode(values: &Value, path: &str) -> Option<String> {
    let Value::Map(m) = values else { return None };
    let entries: Vec<(String, Value)> = m
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (key, value) in entries {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let active = match key.to_ascii_lowercase().as_str() {
            "watchnamespace" | "watchnamespaces" => value.truthy(),
            "namespacescoped" | "singlenamespace" | "namespaced" => value == Value::Bool(true),
            "clusterwide" | "clusterscoped" | "watchanynamespace" | "watchallnamespaces" => {
                value == Value::Bool(false)
            }
            "scope" => {
                value == Value::Bool(true) || get(&value, "enabled") == Some(Value::Bool(true))
            }
            _ => false,
        };
        if active {
            return Some(here);
        }
        if let Some(found) = namespace_mode(&value, &here) {
            return Some(found);
        }
    }
    None
}

fn cluster_scoped_resource(ctx: &Context<'_>, resource: &str) -> bool {
    let base = resource.split('/').next().unwrap_or(resource);
    if base == "*" || CLUSTER_RESOURCES.contains(&base) || base.starts_with("cluster") {
        return true;
    }
    ctx.objects.iter().any(|o| {
        o.kind == "CustomResourceDefinition"
            && string_at(&o.object, "spec.names.plural").as_deref() == Some(base)
            && string_at(&o.object, "spec.scope").as_deref() == Some("Cluster")
    })
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(mode_key) = namespace_mode(ctx.values, "") else {
        return;
    };
    for (i, obj) in ctx.objects.iter().enumerate() {
        if obj.kind != "ClusterRoleBinding"
            || string_at(&obj.object, "roleRef.kind").as_deref() != Some("ClusterRole")
        {
            continue;
        }
        let Some(role_name) = string_at(&obj.object, "roleRef.name") else {
            continue;
        };
        let Some(role) = ctx
            .objects
            .iter()
            .find(|r| r.kind == "ClusterRole" && r.name == role_name)
        else {
            continue;
        };
        let rules = policy_rules(role);
        let namespaced_only = !rules.is_empty()
            && rules.iter().all(|r| {
                r.non_resource_urls.is_empty()
                    && !r.resources.is_empty()
                    && r.resources
                        .iter()
                        .all(|res| !cluster_scoped_resource(ctx, res))
            });
        if namespaced_only {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "{mode_key} puts the chart in namespace-scoped mode, but ClusterRoleBinding {} grants ClusterRole {role_name} (namespaced resources only) in every namespace",
                        obj.name
                    ),
                )
                .field("roleRef"),
            );
        }
    }
}
