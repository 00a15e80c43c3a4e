//! `networkpolicy-selects-nothing`: NetworkPolicies that apply to no pod of the chart.

use crate::lint::rules::util::{get, label_selector_matches, matching_workloads};
use crate::lint::{Context, Finding};

declare_rule! {
    NetworkpolicySelectsNothing {
        id: "networkpolicy-selects-nothing",
        family: "network",
        severity: Warning,
        summary: "NetworkPolicy podSelector matches no workload of the chart",
        doc: r#"## What it does
Matches each NetworkPolicy's `spec.podSelector` against the pod templates of the chart's
workloads in the policy's namespace (only where the chart has workloads).

## Why is this bad?
The policy protects nothing — the operator is as exposed as without it — and, if it was
meant to allow traffic under a default-deny policy, the operator is cut off.

## Example
```yaml
podSelector:
  matchLabels:
    app: my-operator      # pods are labelled app.kubernetes.io/name
```

## Fix
Render `podSelector.matchLabels` from the workload's selector-labels helper.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, np) in ctx.objects.iter().enumerate() {
        if np.kind != "NetworkPolicy" {
            continue;
        }
        let ns = np.namespace.as_deref();
        if matching_workloads(ctx, ns, |_| true).is_empty() {
            continue;
        }
        let selector = get(&np.object, "spec.podSelector").unwrap_or_default();
        if matching_workloads(ctx, ns, |l| label_selector_matches(&selector, l)).is_empty() {
            out.push(
                Finding::on(
                    i,
                    format!("NetworkPolicy {} selects no pod of the chart", np.name),
                )
                .field("spec.podSelector"),
            );
        }
    }
}
