//! `hpa-target-missing`: an HPA scaling a workload the chart does not render.

use crate::lint::rules::util::string_at;
use crate::lint::{Context, Finding};

declare_rule! {
    HpaTargetMissing {
        id: "hpa-target-missing",
        family: "scaling",
        severity: Error,
        summary: "HorizontalPodAutoscaler targets a Deployment/StatefulSet the chart does not render",
        doc: r#"## What it does
Reports HorizontalPodAutoscalers whose `scaleTargetRef` is a Deployment, StatefulSet or
ReplicaSet that the chart does not render in the HPA's namespace.

## Why is this bad?
The autoscaler does nothing (`FailedGetScale`) and the workload it was meant for runs at
its fixed replica count.

## Example
```yaml
scaleTargetRef:
  apiVersion: apps/v1
  kind: Deployment
  name: my-operator-controller    # the Deployment is my-operator
```

## Fix
Render the target name from the same helper as the workload.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, hpa) in ctx.objects.iter().enumerate() {
        if hpa.kind != "HorizontalPodAutoscaler" {
            continue;
        }
        let kind = string_at(&hpa.object, "spec.scaleTargetRef.kind").unwrap_or_default();
        let Some(name) = string_at(&hpa.object, "spec.scaleTargetRef.name") else {
            continue;
        };
        if !matches!(kind.as_str(), "Deployment" | "StatefulSet" | "ReplicaSet") {
            continue;
        }
        let found = ctx
            .objects
            .iter()
            .any(|o| o.kind == kind && o.name == name && o.namespace == hpa.namespace);
        if !found {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "HorizontalPodAutoscaler {} targets {kind} {name}, which the chart does not render",
                        hpa.name
                    ),
                )
                .field("spec.scaleTargetRef.name"),
            );
        }
    }
}
