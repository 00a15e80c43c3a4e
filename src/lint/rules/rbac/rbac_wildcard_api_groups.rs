//! `rbac-wildcard-api-groups`: RBAC rules granting every API group.

use crate::lint::{Context, Finding};

declare_rule! {
    RbacWildcardApiGroups {
        id: "rbac-wildcard-api-groups",
        family: "rbac",
        severity: Warning,
        summary: "Role or ClusterRole grants `apiGroups: [\"*\"]`",
        doc: r#"## What it does
Reports Role and ClusterRole rules whose `apiGroups` contain `*`.

## Why is this bad?
The rule then applies to every API group installed in the cluster, now and in the future
(including other operators' CRDs and `rbac.authorization.k8s.io`).

## Example
```yaml
rules:
  - apiGroups: ["*"]
    resources: ["widgets"]
    verbs: ["get"]
```

## Fix
Name the groups: `apiGroups: ["example.com"]`.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    super::report_wildcards(ctx, out, "apiGroups", |r| &r.api_groups);
}
