//! `rbac-secrets-cluster-wide`: reading every Secret in the cluster.

use crate::lint::rules::util::{policy_rules, string_at};
use crate::lint::{Context, Finding};

declare_rule! {
    RbacSecretsClusterWide {
        id: "rbac-secrets-cluster-wide",
        family: "rbac",
        severity: Warning,
        summary: "ClusterRole bound cluster-wide can read every Secret",
        doc: r#"## What it does
Reports a ClusterRole, bound by a ClusterRoleBinding of the chart, that grants `get`,
`list` or `watch` on `secrets` (explicitly or through `*`) without `resourceNames`.

## Why is this bad?
The operator's ServiceAccount can read every credential in every namespace: whoever
compromises the operator pod owns the cluster's secrets.

## Example
```yaml
kind: ClusterRole
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["get", "list", "watch"]
```

## Fix
Grant Secret access with a Role (plus RoleBinding) in the namespaces the operator
manages, or restrict it with `resourceNames`.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if obj.kind != "ClusterRole" {
            continue;
        }
        let bound_cluster_wide = ctx.objects.iter().any(|b| {
            b.kind == "ClusterRoleBinding"
                && string_at(&b.object, "roleRef.kind").as_deref() == Some("ClusterRole")
                && string_at(&b.object, "roleRef.name").as_deref() == Some(obj.name.as_str())
        });
        if !bound_cluster_wide {
            continue;
        }
        for rule in policy_rules(obj) {
            if !rule.resource_names.is_empty() {
                continue;
            }
            let reads: Vec<&str> = ["get", "list", "watch"]
                .into_iter()
                .filter(|v| rule.grants("", "secrets", v))
                .collect();
            if !reads.is_empty() {
                out.push(
                    Finding::on(
                        i,
                        format!(
                            "ClusterRole {} grants {} on secrets in all namespaces (rules[{}])",
                            obj.name,
                            reads.join("/"),
                            rule.index
                        ),
                    )
                    .field(format!("rules[{}]", rule.index)),
                );
            }
        }
    }
}
