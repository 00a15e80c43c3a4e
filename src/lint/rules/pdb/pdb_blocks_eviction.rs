//! `pdb-blocks-eviction`: a budget that allows no voluntary disruption at all.

use super::{blocks, budget, expected_pods, selected};
use crate::lint::rules::util::format_budget;
use crate::lint::{Context, Finding};

declare_rule! {
    PdbBlocksEviction {
        id: "pdb-blocks-eviction",
        family: "pdb",
        severity: Error,
        summary: "PodDisruptionBudget allows zero disruptions for the replicas it selects",
        doc: r#"## What it does
Computes the disruptions a PodDisruptionBudget allows for the workloads it selects
(replicas, or an HPA's `maxReplicas`), rounding percentages up as the disruption
controller does, and reports budgets that allow none: `maxUnavailable: 0`,
`minAvailable: 100%`, or `minAvailable` ≥ replicas.

## Why is this bad?
`kubectl drain`, cluster-autoscaler scale-down and node upgrades wait forever: the
eviction API refuses every eviction. Managed node-pool upgrades stall or force-delete.

## Example
```yaml
# Deployment replicas: 1
kind: PodDisruptionBudget
spec:
  minAvailable: 1
```

## Fix
Use `maxUnavailable: 1`, or run enough replicas that `minAvailable` leaves room
(`replicas: 2` with `minAvailable: 1`); render the PDB only when replicas > 1.
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
        if w.is_empty() {
            continue;
        }
        let Some((field, b)) = budget(pdb) else {
            continue;
        };
        let mut total = Some(0);
        for &j in &w {
            let pods = ctx.objects.get(j).and_then(|o| expected_pods(ctx, o));
            total = match (total, pods) {
                (Some(t), Some(p)) => Some(t + p),
                _ => None,
            };
        }
        if total == Some(0) {
            continue;
        }
        if blocks(field, b, total) {
            let pods = total
                .map(|t| format!("{t} replica(s)"))
                .unwrap_or_else(|| "its pods".to_string());
            out.push(
                Finding::on(
                    i,
                    format!(
                        "PodDisruptionBudget {} with {field}: {} allows no eviction of {pods}",
                        pdb.name,
                        format_budget(b)
                    ),
                )
                .field(format!("spec.{field}")),
            );
        }
    }
}
