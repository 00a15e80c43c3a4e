//! `hpa-with-fixed-replicas`: a workload that sets replicas while an HPA scales it.

use crate::lint::rules::util::{get, hpa_for};
use crate::lint::{Context, Finding};

declare_rule! {
    HpaWithFixedReplicas {
        id: "hpa-with-fixed-replicas",
        family: "scaling",
        severity: Warning,
        summary: "Workload sets `spec.replicas` although an HPA scales it",
        doc: r#"## What it does
Reports Deployments and StatefulSets that set `spec.replicas` while a
HorizontalPodAutoscaler of the chart targets them.

## Why is this bad?
Every `helm upgrade` resets the replica count to the chart's value, undoing the
autoscaler: a scaled-out operator or webhook drops back to 1 pod during the upgrade.

## Example
```yaml
spec:
  replicas: 1        # and an HPA with minReplicas: 2
```

## Fix
`{{- if not .Values.autoscaling.enabled }}replicas: {{ .Values.replicaCount }}{{- end }}`
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if get(&obj.object, "spec.replicas").is_none_or(|v| v.is_nil()) {
            continue;
        }
        if let Some(h) = hpa_for(ctx, obj).and_then(|h| ctx.objects.get(h)) {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "{} {} sets replicas although HorizontalPodAutoscaler {} scales it",
                        obj.kind, obj.name, h.name
                    ),
                )
                .field("spec.replicas"),
            );
        }
    }
}
