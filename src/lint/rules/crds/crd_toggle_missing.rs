//! `crd-toggle-missing`: the chart ships CRDs but has no values toggle to skip installing them.

use super::is_crd;
use crate::lint::{Context, Finding};

declare_rule! {
    CrdToggleMissing {
        id: "crd-toggle-missing",
        family: "crds",
        severity: Warning,
        summary: "Chart ships CRDs but has no values toggle (e.g. `crds.install`) to leave them out",
        doc: r#"## What it does
Reports a chart that installs CustomResourceDefinitions (templated or in `crds/`) when no
values key switches them off (`crds.install`, `crds.enabled`, `installCRDs`, …). Toggle
keys are detected from the chart itself, not assumed.

## Why is this bad?
CRDs are cluster-wide and shared by every installation of the operator. Platform teams
often manage them separately (GitOps, a dedicated CRD chart, or a second release in
another namespace); without a toggle they cannot install the chart at all without
fighting over CRD ownership.

## Example
```yaml
# templates/crds.yaml — always rendered
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
```

## Fix
Wrap templated CRDs in a toggle, default on:
```yaml
{{- if .Values.crds.install }}
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
{{- end }}
```
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(chart) = ctx.chart else { return };
    if ctx.toggles.iter().any(|t| t.purpose == "crds") {
        return;
    }
    let first_crd = ctx.objects.iter().position(is_crd);
    match first_crd {
        Some(i) => out.push(Finding::on(
            i,
            "the chart renders CustomResourceDefinitions but no values toggle turns them off",
        )),
        None if !chart.crd_dir_files.is_empty() => out.push(Finding::chart(format!(
            "the chart ships CustomResourceDefinitions in crds/ ({}) and no values toggle turns them off",
            chart.crd_dir_files.join(", ")
        ))),
        None => {}
    }
}
