//! `rbac-wildcard-resources`: RBAC rules granting every resource.

use crate::lint::{Context, Finding};

declare_rule! {
    RbacWildcardResources {
        id: "rbac-wildcard-resources",
        family: "rbac",
        severity: Warning,
        summary: "Role or ClusterRole grants `resources: [\"*\"]`",
        doc: r#"## What it does
Reports Role and ClusterRole rules whose `resources` contain `*`.

## Why is this bad?
`*` covers Secrets, RBAC objects, and every resource added to the group later,
including subresources such as `pods/exec`.

## Example
```yaml
rules:
  - apiGroups: [""]
    resources: ["*"]
    verbs: ["get", "list", "watch"]
```

## Fix
List the resources the operator reconciles (`["configmaps", "services"]`).
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    super::report_wildcards(ctx, out, "resources", |r| &r.resources);
}
