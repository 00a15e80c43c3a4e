//! `rbac-binding-missing-role`: a RoleBinding to a Role the chart does not render.

use crate::lint::rules::util::string_at;
use crate::lint::{Context, Finding};

declare_rule! {
    RbacBindingMissingRole {
        id: "rbac-binding-missing-role",
        family: "rbac",
        severity: Warning,
        summary: "RoleBinding refers to a Role that is not rendered in its namespace",
        doc: r#"## What it does
Reports RoleBindings whose `roleRef` is a `Role` that the chart does not render in the
binding's namespace.

## Why is this bad?
A binding to a missing Role grants nothing: the operator gets `forbidden` errors at
runtime, often only on the code path that needs the permission. Typical causes are a
typo, a name built differently in two templates, or a Role behind a different toggle.

## Example
```yaml
kind: RoleBinding
roleRef:
  kind: Role
  name: my-operator-leader-election   # the Role is named my-operator-leader-elect
```

## Fix
Build both names with the same helper (`{{ include "chart.fullname" . }}-…`) and render
them under the same condition.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if obj.kind != "RoleBinding"
            || string_at(&obj.object, "roleRef.kind").as_deref() != Some("Role")
        {
            continue;
        }
        let Some(role) = string_at(&obj.object, "roleRef.name") else {
            continue;
        };
        let exists = ctx
            .objects
            .iter()
            .any(|r| r.kind == "Role" && r.name == role && r.namespace == obj.namespace);
        if !exists {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "RoleBinding {} refers to Role {role}, which the chart does not render in namespace {}",
                        obj.name,
                        obj.namespace.as_deref().unwrap_or(ctx.namespace)
                    ),
                )
                .field("roleRef.name"),
            );
        }
    }
}
