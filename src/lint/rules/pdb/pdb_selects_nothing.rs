//! `pdb-selects-nothing`: a PodDisruptionBudget that protects no pod.

use super::selected;
use crate::lint::rules::util::renders_custom_resources;
use crate::lint::{Context, Finding};
use crate::report::Severity;

declare_rule! {
    PdbSelectsNothing {
        id: "pdb-selects-nothing",
        family: "pdb",
        severity: Error,
        summary: "PodDisruptionBudget selector matches no workload of the chart",
        doc: r#"## What it does
Matches each PodDisruptionBudget's `spec.selector` (matchLabels and matchExpressions)
against the pod template labels of the chart's workloads in the PDB's namespace.

## Why is this bad?
A PDB that selects nothing protects nothing: a node drain can evict every operator pod at
once, while everyone believes the disruption budget is in place. The usual cause is a
label changed in the Deployment's template but not in the PDB.

## Example
```yaml
kind: PodDisruptionBudget
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: my-operator          # pods are labelled app.kubernetes.io/name: my-operator
```

When the chart renders custom resources (whose operator may create the selected pods at
runtime) the finding is a warning.

## Fix
Render the PDB selector from the same helper as the workload's selector
(`{{- include "chart.selectorLabels" . | nindent 6 }}`).
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, pdb) in ctx.objects.iter().enumerate() {
        if pdb.kind != "PodDisruptionBudget" {
            continue;
        }
        match selected(ctx, pdb) {
            None => out.push(
                Finding::on(
                    i,
                    format!(
                        "PodDisruptionBudget {} has no selector, so it selects no pods",
                        pdb.name
                    ),
                )
                .field("spec.selector"),
            ),
            Some(w) if w.is_empty() => {
                let mut f = Finding::on(
                    i,
                    format!(
                        "PodDisruptionBudget {} selects no pods of any workload in namespace {}",
                        pdb.name,
                        pdb.namespace.as_deref().unwrap_or(ctx.namespace)
                    ),
                )
                .field("spec.selector");
                // Pods an operator creates for the chart's custom resources are invisible here.
                if renders_custom_resources(ctx) {
                    f.severity = Some(Severity::Warning);
                }
                out.push(f)
            }
            Some(_) => {}
        }
    }
}
