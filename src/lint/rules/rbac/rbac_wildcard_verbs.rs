//! `rbac-wildcard-verbs`: RBAC rules granting every verb.

use crate::lint::{Context, Finding};

declare_rule! {
    RbacWildcardVerbs {
        id: "rbac-wildcard-verbs",
        family: "rbac",
        severity: Warning,
        summary: "Role or ClusterRole grants `verbs: [\"*\"]`",
        doc: r#"## What it does
Reports Role and ClusterRole rules whose `verbs` contain `*`.

## Why is this bad?
`*` includes `delete`, `deletecollection`, `escalate`, `bind`, `impersonate` and every verb
added to the API later. An operator compromised through a bug gets far more power than it
needs (least privilege).

## Example
```yaml
rules:
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: ["*"]
```

## Fix
List the verbs the operator uses, usually
`["get", "list", "watch", "create", "update", "patch", "delete"]`.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    super::report_wildcards(ctx, out, "verbs", |r| &r.verbs);
}
