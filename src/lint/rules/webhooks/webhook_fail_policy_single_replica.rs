//! `webhook-fail-policy-single-replica`: a fail-closed webhook served by one pod.

use super::{failure_policy, find_service, service_ref, webhooks};
use crate::lint::rules::util::{
    get, hpa_for, int_at, map_selector_matches, matching_workloads, replicas,
};
use crate::lint::{Context, Finding};

declare_rule! {
    WebhookFailPolicySingleReplica {
        id: "webhook-fail-policy-single-replica",
        family: "webhooks",
        severity: Warning,
        summary: "Webhook with `failurePolicy: Fail` is served by a single replica",
        doc: r#"## What it does
Reports webhooks with `failurePolicy: Fail` (the default in `admissionregistration/v1`)
whose Service is backed by a workload running fewer than two replicas (or an HPA with
`minReplicas` < 2).

## Why is this bad?
Every restart, node drain or crash of that one pod rejects all matching API requests —
including the operator's own custom resources and, with broad rules, Deployments and Pods
cluster-wide.

## Example
```yaml
failurePolicy: Fail
# Deployment behind the webhook Service: replicas: 1
```

## Fix
Run at least two replicas with a PodDisruptionBudget (`maxUnavailable: 1`), or use
`failurePolicy: Ignore` where skipping validation is acceptable.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for w in webhooks(ctx) {
        let Some(obj) = ctx.objects.get(w.object) else {
            continue;
        };
        if failure_policy(obj, &w) != "Fail" {
            continue;
        }
        let Some((ns, name, _)) = service_ref(&w) else {
            continue;
        };
        let Some(svc) = find_service(ctx, &ns, &name).and_then(|s| ctx.objects.get(s)) else {
            continue;
        };
        let Some(sel) = get(&svc.object, "spec.selector") else {
            continue;
        };
        for (j, _) in matching_workloads(ctx, Some(&ns), |l| map_selector_matches(&sel, l)) {
            let Some(workload) = ctx.objects.get(j) else {
                continue;
            };
            let min = match hpa_for(ctx, workload).and_then(|h| ctx.objects.get(h)) {
                Some(hpa) => int_at(&hpa.object, "spec.minReplicas").or(Some(1)),
                None => replicas(workload),
            };
            if let Some(n) = min.filter(|&n| n < 2) {
                out.push(
                    Finding::on(
                        w.object,
                        format!(
                            "webhook {} fails closed but {} {} runs {n} replica(s)",
                            w.name, workload.kind, workload.name
                        ),
                    )
                    .field(format!("{}.failurePolicy", w.path)),
                );
            }
        }
    }
}
