//! `crd-installed-as-hook`: CRDs created by Helm hooks.

use super::is_crd;
use crate::lint::{Context, Finding};

declare_rule! {
    CrdInstalledAsHook {
        id: "crd-installed-as-hook",
        family: "crds",
        severity: Warning,
        summary: "CRD installed through a Helm hook is not managed (upgraded, kept) by the release",
        doc: r#"## What it does
Reports CustomResourceDefinitions annotated with `helm.sh/hook`.

## Why is this bad?
Hook resources are not part of the release: Helm does not upgrade them with the chart,
does not show them in `helm get manifest`, and deletes or leaves them depending on the
hook delete policy. CRD schemas drift from the operator version.

## Example
```yaml
metadata:
  annotations:
    helm.sh/hook: pre-install
```

## Fix
Render CRDs as ordinary templates behind `crds.install`, with `crds.keep` adding
`helm.sh/resource-policy: keep`.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if is_crd(obj) && !obj.hook_events.is_empty() {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "CustomResourceDefinition {} is a Helm hook ({}), so upgrades never update it",
                        obj.name,
                        obj.hook_events.join(",")
                    ),
                )
                .field("metadata.annotations"),
            );
        }
    }
}
