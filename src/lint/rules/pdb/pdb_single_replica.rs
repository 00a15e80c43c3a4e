//! `pdb-single-replica`: a PodDisruptionBudget over a single pod.

use super::{blocks, budget, expected_pods, selected};
use crate::lint::{Context, Finding};

declare_rule! {
    PdbSingleReplica {
        id: "pdb-single-replica",
        family: "pdb",
        severity: Warning,
        summary: "PodDisruptionBudget covers a workload with a single replica",
        doc: r#"## What it does
Reports PodDisruptionBudgets whose selected workloads run one pod in total (and whose
budget does not already block evictions, which `pdb-blocks-eviction` reports).

## Why is this bad?
With one replica a PDB cannot keep the service available: it either blocks every drain
or allows the only pod to be evicted. It gives a false sense of high availability.

## Example
```yaml
# replicas: 1
kind: PodDisruptionBudget
spec:
  maxUnavailable: 1
```

## Fix
Render the PDB only when `replicas > 1` (`{{- if gt (int .Values.replicaCount) 1 }}`), or
run two replicas with leader election.
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
        let mut total = 0;
        for &j in &w {
            match ctx.objects.get(j).and_then(|o| expected_pods(ctx, o)) {
                Some(p) => total += p,
                None => {
                    total = -1;
                    break;
                }
            }
        }
        if total != 1 {
            continue;
        }
        if let Some((field, b)) = budget(pdb) {
            if blocks(field, b, Some(1)) {
                continue;
            }
        }
        out.push(Finding::on(
            i,
            format!(
                "PodDisruptionBudget {} covers a single replica: it cannot keep the workload available",
                pdb.name
            ),
        ));
    }
}
