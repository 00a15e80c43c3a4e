//! `api-version-unavailable`: a finding of the schema pass (see [`crate::lint::schema`]).

use crate::lint::{Context, Finding};

declare_rule! {
    ApiVersionUnavailable {
        id: "api-version-unavailable",
        family: "schema",
        severity: Error,
        summary: "An apiVersion the target Kubernetes version does not serve yet",
        doc: r#"## What it does
Reports built-in kinds whose `apiVersion` is only served by Kubernetes versions newer
than `--kube-version` (for example a beta API that appeared later).

## Why is this bad?
Installing on the target version fails with `no matches for kind`.

## Example
```yaml
# --kube-version 1.29
apiVersion: resource.k8s.io/v1
kind: DeviceClass
```

## Fix
Raise the chart's `kubeVersion` constraint, or guard the template with
`.Capabilities.APIVersions.Has`.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    crate::lint::schema::emit(ctx, META.id, out);
}
