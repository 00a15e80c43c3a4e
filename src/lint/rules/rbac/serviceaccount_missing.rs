//! `serviceaccount-missing`: pods that run as a ServiceAccount that does not exist.

use crate::lint::rules::util::{
    bindings_for_sa, join, pod_template, service_account_exists, service_account_name,
    values_mention,
};
use crate::lint::{Context, Finding};

declare_rule! {
    ServiceaccountMissing {
        id: "serviceaccount-missing",
        family: "rbac",
        severity: Error,
        summary: "Workload runs as a ServiceAccount the chart does not create",
        doc: r#"## What it does
Reports workloads whose `serviceAccountName` is not rendered by the chart although the
chart creates ServiceAccounts in that namespace (or binds RBAC to that name), unless the
name comes from the values (an existing account the user supplied).

## Why is this bad?
The ReplicaSet controller cannot create the pods (`serviceaccount "x" not found`): the
operator never starts. Typically the ServiceAccount is behind a toggle the workload does
not follow, or the two names are built differently.

## Example
```yaml
spec:
  template:
    spec:
      serviceAccountName: my-operator-controller   # chart creates "my-operator"
```

## Fix
Use one helper for both names, the usual `chart.serviceAccountName` that returns the
generated name when `serviceAccount.create` is true and `serviceAccount.name` (or
`default`) otherwise.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        let Some((path, template)) = pod_template(obj) else {
            continue;
        };
        let name = service_account_name(&template);
        let ns = obj
            .namespace
            .clone()
            .unwrap_or_else(|| ctx.namespace.to_string());
        if name == "default"
            || service_account_exists(ctx.objects, &name, &ns)
            || values_mention(ctx.values, &name)
        {
            continue;
        }
        let chart_manages_sas = ctx
            .objects
            .iter()
            .any(|o| o.kind == "ServiceAccount" && o.namespace.as_deref() == Some(&ns));
        let has_rbac_for_it = !bindings_for_sa(ctx, &name, &ns).is_empty();
        if chart_manages_sas || has_rbac_for_it {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "{} {} runs as ServiceAccount {name}, which the chart does not create in namespace {ns}",
                        obj.kind, obj.name
                    ),
                )
                .field(join(&path, "spec.serviceAccountName")),
            );
        }
    }
}
