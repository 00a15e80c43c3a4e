//! `networkpolicy-missing`: operator pods that no NetworkPolicy selects.

use crate::lint::rules::util::{
    get, is_long_running, label_selector_matches, labels, pod_template,
};
use crate::lint::{Context, Finding};

declare_rule! {
    NetworkpolicyMissing {
        id: "networkpolicy-missing",
        family: "network",
        severity: Info,
        summary: "No NetworkPolicy of the chart selects the workload's pods",
        doc: r#"## What it does
Reports long-running workloads whose pods are not selected by any NetworkPolicy the chart
renders in their namespace.

## Why is this bad?
In clusters with default-deny policies the operator cannot reach the API server or
receive webhook calls unless the chart ships its own policy; in clusters without them,
anything can reach its metrics and webhook ports.

## Example
```yaml
# a Deployment and no NetworkPolicy
```

## Fix
Ship an optional NetworkPolicy (`networkPolicy.enabled`) selecting the operator pods,
allowing ingress to the webhook and metrics ports and egress to the API server and DNS.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if !is_long_running(obj) {
            continue;
        }
        let Some((_, template)) = pod_template(obj) else {
            continue;
        };
        let pod_labels = labels(&template);
        let selected = ctx.objects.iter().any(|np| {
            np.kind == "NetworkPolicy"
                && np.namespace == obj.namespace
                && label_selector_matches(
                    &get(&np.object, "spec.podSelector").unwrap_or_default(),
                    &pod_labels,
                )
        });
        if !selected {
            out.push(Finding::on(
                i,
                format!(
                    "no NetworkPolicy selects the pods of {} {}",
                    obj.kind, obj.name
                ),
            ));
        }
    }
}
