//! `pdb-selects-multiple-workloads`: one PodDisruptionBudget over several workloads.

use super::selected;
use crate::lint::{Context, Finding};

declare_rule! {
    PdbSelectsMultipleWorkloads {
        id: "pdb-selects-multiple-workloads",
        family: "pdb",
        severity: Warning,
        summary: "PodDisruptionBudget selects the pods of several workloads",
        doc: r#"## What it does
Reports PodDisruptionBudgets whose selector matches the pod templates of more than one
workload (for example a selector with only `app.kubernetes.io/instance`).

## Why is this bad?
The budget is shared: evicting webhook pods consumes the operator's budget and the
other way round, and the eviction API refuses to evict pods covered by more than one
PDB, which blocks node drains.

## Example
```yaml
selector:
  matchLabels:
    app.kubernetes.io/instance: my-release   # operator and webhook share it
```

## Fix
Add the component label (`app.kubernetes.io/component: controller`) to the selector, one
PDB per workload.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, pdb) in ctx.objects.iter().enumerate() {
        if pdb.kind != "PodDisruptionBudget" {
            continue;
        }
        let Some(w) = selected(ctx, pdb) else {
            continue;
        };
        if w.len() > 1 {
            let names: Vec<String> = w
                .iter()
                .filter_map(|&j| ctx.objects.get(j))
                .map(|o| format!("{}/{}", o.kind, o.name))
                .collect();
            out.push(
                Finding::on(
                    i,
                    format!(
                        "PodDisruptionBudget {} selects pods of {} workloads: {}",
                        pdb.name,
                        w.len(),
                        names.join(", ")
                    ),
                )
                .field("spec.selector"),
            );
        }
    }
}
