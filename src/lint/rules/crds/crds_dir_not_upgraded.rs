//! `crds-dir-not-upgraded`: CRDs in the chart's `crds/` directory.

use super::is_crd;
use crate::lint::{Context, Finding};

declare_rule! {
    CrdsDirNotUpgraded {
        id: "crds-dir-not-upgraded",
        family: "crds",
        severity: Warning,
        summary: "CRDs in `crds/` are installed once and never upgraded or deleted by Helm",
        doc: r#"## What it does
Reports CustomResourceDefinitions shipped in the chart's `crds/` directory.

## Why is this bad?
Helm installs `crds/` files on the first `helm install` only. `helm upgrade` never updates
them, so a new operator version runs against old schemas (new fields are pruned
silently), and there is no toggle to skip or keep them.

## Example
```text
mychart/
  crds/widgets.yaml
```

## Fix
Move the CRDs to `templates/` behind `crds.install` (default `true`) with a `crds.keep`
toggle that adds `helm.sh/resource-policy: keep`, so upgrades update them and uninstall
leaves them in place.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(chart) = ctx.chart else { return };
    if chart.crd_dir_files.is_empty() {
        return;
    }
    let mut reported = false;
    for (i, obj) in ctx.objects.iter().enumerate() {
        let in_dir = obj
            .source
            .as_ref()
            .is_some_and(|s| s.file.starts_with("crds/"));
        if is_crd(obj) && in_dir {
            reported = true;
            out.push(Finding::on(
                i,
                format!(
                    "CustomResourceDefinition {} is shipped in crds/: helm upgrade never updates it",
                    obj.name
                ),
            ));
        }
    }
    if !reported {
        for file in &chart.crd_dir_files {
            out.push(Finding::chart(format!(
                "{file} is in crds/: Helm installs it once and never upgrades or deletes it"
            )));
        }
    }
}
