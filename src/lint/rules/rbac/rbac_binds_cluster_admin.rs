//! `rbac-binds-cluster-admin`: bindings to the `cluster-admin` ClusterRole.

use crate::lint::rules::util::string_at;
use crate::lint::{Context, Finding};

declare_rule! {
    RbacBindsClusterAdmin {
        id: "rbac-binds-cluster-admin",
        family: "rbac",
        severity: Error,
        summary: "RoleBinding or ClusterRoleBinding grants `cluster-admin`",
        doc: r#"## What it does
Reports RoleBindings and ClusterRoleBindings whose `roleRef` is the built-in
`cluster-admin` ClusterRole.

## Why is this bad?
The bound ServiceAccount can do anything in the cluster (or, through a RoleBinding,
anything in the namespace, including reading every Secret and rewriting RBAC). Any
vulnerability in the pod is a full cluster compromise.

## Example
```yaml
kind: ClusterRoleBinding
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
```

## Fix
Ship a ClusterRole (or Role) listing exactly the resources and verbs the operator uses
and bind that instead.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if obj.kind != "RoleBinding" && obj.kind != "ClusterRoleBinding" {
            continue;
        }
        if string_at(&obj.object, "roleRef.kind").as_deref() == Some("ClusterRole")
            && string_at(&obj.object, "roleRef.name").as_deref() == Some("cluster-admin")
        {
            out.push(
                Finding::on(i, format!("{} {} grants cluster-admin", obj.kind, obj.name))
                    .field("roleRef.name"),
            );
        }
    }
}
