//! `removed-api-version`: API versions the target Kubernetes no longer serves.

use super::{capability_fallback, kube_minor, lookup};
use crate::lint::{Context, Finding};

declare_rule! {
    RemovedApiVersion {
        id: "removed-api-version",
        family: "deprecations",
        severity: Error,
        summary: "Object uses an apiVersion removed in the target Kubernetes version",
        doc: r#"## What it does
Looks up each object's `apiVersion` and kind in the table of Kubernetes API removals
(1.16 – 1.32: `extensions/v1beta1`, `apps/v1beta1/2`, `policy/v1beta1`,
`batch/v1beta1` CronJob, `autoscaling/v2beta1/2`, `flowcontrol` betas, …) and reports
those removed at or before `--kube-version`.

## Why is this bad?
The API server does not know the version: `helm install` fails with
`no matches for kind "PodDisruptionBudget" in version "policy/v1beta1"`, and releases
already installed with it cannot be upgraded.

## Example
```yaml
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
```

## Fix
Use the replacement named in the message (`policy/v1`), adjusting fields where the
version changed them.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(target) = kube_minor(ctx.kube_version) else {
        return;
    };
    for (i, obj) in ctx.objects.iter().enumerate() {
        let Some(d) = lookup(&obj.api_version, &obj.kind) else {
            continue;
        };
        if capability_fallback(ctx, obj, d) {
            continue;
        }
        if target >= d.removed {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "{} {} was removed in Kubernetes 1.{} (target {}); use {}",
                        obj.api_version, obj.kind, d.removed, ctx.kube_version, d.replacement
                    ),
                )
                .field("apiVersion"),
            );
        }
    }
    // Versions the table above does not know (CRD versions marked deprecated, removals
    // seen only in the embedded schemas) come from the schema pass.
    crate::lint::schema::emit(ctx, META.id, out);
}
