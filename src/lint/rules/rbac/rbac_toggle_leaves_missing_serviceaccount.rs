//! `rbac-toggle-leaves-missing-serviceaccount`: turning RBAC off removes the account the
//! workload still uses.

use crate::lint::rules::util::{
    pod_template, service_account_exists, service_account_name, values_mention,
};
use crate::lint::{Context, Finding, LintObject};
use crate::report::Severity;

declare_rule! {
    RbacToggleLeavesMissingServiceaccount {
        id: "rbac-toggle-leaves-missing-serviceaccount",
        family: "rbac",
        severity: Error,
        summary: "With `rbac.create=false` (or `serviceAccount.create=false`) the workload names a ServiceAccount that no longer exists",
        doc: r#"## What it does
Renders the chart with its RBAC toggle (and ServiceAccount toggle) switched off and
reports workloads that still run as a ServiceAccount the chart created in the normal
render but no longer renders, when that name is not given in the values as an existing
account.

## Why is this bad?
`rbac.create=false` is how platform teams install operators whose RBAC they manage
themselves. If the ServiceAccount disappears with the RBAC but the Deployment keeps its
name, pods are never created (`serviceaccount "x" not found`).

## Example
```yaml
{{- if .Values.rbac.create }}
kind: ServiceAccount            # gated by rbac.create …
{{- end }}
---
serviceAccountName: {{ include "chart.fullname" . }}   # … but always used
```

With the ServiceAccount toggle (rather than the RBAC toggle) the finding is a warning:
charts often expect an existing account with the generated name then.

## Fix
Gate the ServiceAccount with its own `serviceAccount.create` toggle, and name it in the
pod with a helper that falls back to `serviceAccount.name` (or `default`) when it is not
created.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for variant in ctx
        .toggles
        .iter()
        .filter(|t| t.purpose == "rbac" || t.purpose == "service-account")
    {
        let Ok(variant_objects) = &variant.objects else {
            continue;
        };
        // Compare the render with the toggle off against the one with it on.
        let (off, on, off_is_variant): (&[LintObject], &[LintObject], bool) =
            if variant.value.truthy() {
                (ctx.objects, variant_objects, false)
            } else {
                (variant_objects, ctx.objects, true)
            };
        for workload in off {
            let Some((_, template)) = pod_template(workload) else {
                continue;
            };
            let name = service_account_name(&template);
            let ns = workload
                .namespace
                .clone()
                .unwrap_or_else(|| ctx.namespace.to_string());
            if name == "default"
                || service_account_exists(off, &name, &ns)
                || !service_account_exists(on, &name, &ns)
                || values_mention(ctx.values, &name)
            {
                continue;
            }
            let setting = if off_is_variant {
                format!("{}={}", variant.key, variant.value)
            } else {
                format!("{} off (its default)", variant.key)
            };
            let message = format!(
                "with {setting} {} {} still runs as ServiceAccount {name}, which is then not created",
                workload.kind, workload.name
            );
            let main = ctx
                .objects
                .iter()
                .position(|o| o.kind == workload.kind && o.name == workload.name);
            let mut f = match main {
                Some(i) => Finding::on(i, message),
                None => Finding::chart(message),
            };
            // `serviceAccount.create=false` commonly means "bring your own account with the
            // generated name"; only the RBAC toggle removing it is a broken install.
            if variant.purpose == "service-account" {
                f.severity = Some(Severity::Warning);
            }
            out.push(f);
        }
    }
}
