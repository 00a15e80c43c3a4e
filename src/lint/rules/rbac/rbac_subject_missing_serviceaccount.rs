//! `rbac-subject-missing-serviceaccount`: bindings to ServiceAccounts that do not exist.

use crate::lint::rules::util::{items, service_account_exists, string_at, values_mention};
use crate::lint::{Context, Finding};

declare_rule! {
    RbacSubjectMissingServiceaccount {
        id: "rbac-subject-missing-serviceaccount",
        family: "rbac",
        severity: Error,
        summary: "Binding subject names a ServiceAccount the chart does not create",
        doc: r#"## What it does
Reports RoleBinding and ClusterRoleBinding subjects of kind `ServiceAccount` in a
namespace where the chart creates ServiceAccounts, when no ServiceAccount of that name is
rendered and the name does not come from the values (an existing, external account).

## Why is this bad?
The permissions go to an account nobody uses, while the operator's real account gets
`forbidden` errors. Usually a name built two different ways, or a typo.

## Example
```yaml
subjects:
  - kind: ServiceAccount
    name: my-operater        # the ServiceAccount is my-operator
    namespace: ops
```

## Fix
Build subject names with the same helper as the ServiceAccount
(`{{ include "chart.serviceAccountName" . }}`).
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if obj.kind != "RoleBinding" && obj.kind != "ClusterRoleBinding" {
            continue;
        }
        for (j, subject) in items(obj.get("subjects")).iter().enumerate() {
            if string_at(subject, "kind").as_deref() != Some("ServiceAccount") {
                continue;
            }
            let Some(name) = string_at(subject, "name") else {
                continue;
            };
            let Some(ns) = string_at(subject, "namespace").or_else(|| obj.namespace.clone()) else {
                continue;
            };
            let chart_manages_sas = ctx
                .objects
                .iter()
                .any(|o| o.kind == "ServiceAccount" && o.namespace.as_deref() == Some(&ns));
            if name == "default"
                || !chart_manages_sas
                || service_account_exists(ctx.objects, &name, &ns)
                || values_mention(ctx.values, &name)
            {
                continue;
            }
            out.push(
                Finding::on(
                    i,
                    format!(
                        "{} {} binds ServiceAccount {ns}/{name}, which the chart does not create",
                        obj.kind, obj.name
                    ),
                )
                .field(format!("subjects[{j}].name")),
            );
        }
    }
}
