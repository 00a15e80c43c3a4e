//! `deprecated-api-version`: API versions deprecated in the target Kubernetes.

use super::{capability_fallback, kube_minor, lookup};
use crate::lint::{Context, Finding};

declare_rule! {
    DeprecatedApiVersion {
        id: "deprecated-api-version",
        family: "deprecations",
        severity: Warning,
        summary: "Object uses an apiVersion deprecated (not yet removed) in the target Kubernetes version",
        doc: r#"## What it does
Reports objects whose `apiVersion` is deprecated at `--kube-version` but still served.

## Why is this bad?
The chart breaks on the cluster upgrade that removes the version, and Helm cannot upgrade
releases that contain it once it is gone (the stored manifest no longer maps).

## Example
```yaml
# --kube-version 1.24
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
```

## Fix
Switch to the replacement named in the message; gate on
`.Capabilities.APIVersions.Has` only if older clusters must still be supported.
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
        if target >= d.deprecated && target < d.removed {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "{} {} is deprecated since Kubernetes 1.{} and removed in 1.{}; use {}",
                        obj.api_version, obj.kind, d.deprecated, d.removed, d.replacement
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
