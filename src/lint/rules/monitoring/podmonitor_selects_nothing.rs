//! `podmonitor-selects-nothing`: a PodMonitor that scrapes no pod.

use super::Scope;
use crate::lint::rules::util::{
    get, label_selector_matches, matching_workloads, renders_custom_resources,
};
use crate::lint::{Context, Finding};
use crate::report::Severity;

declare_rule! {
    PodmonitorSelectsNothing {
        id: "podmonitor-selects-nothing",
        family: "monitoring",
        severity: Error,
        summary: "PodMonitor selector matches no pod template of the chart in the namespaces it watches",
        doc: r#"## What it does
Matches each PodMonitor's `spec.selector` against the pod template labels of the chart's
workloads in the namespaces its `namespaceSelector` covers (its own by default). Monitors
aimed only at namespaces the chart does not use, or at any namespace, are left alone.

## Why is this bad?
Prometheus scrapes nothing and alerts on the operator never fire.

## Example
```yaml
kind: PodMonitor
spec:
  selector:
    matchLabels:
      app: my-operator        # pods carry app.kubernetes.io/name
```

When the chart renders custom resources (whose operator may create what is selected at
runtime) the finding is a warning.

## Fix
Render the selector from the workload's selector-labels helper, and keep the
`namespaceSelector` on `{{ .Release.Namespace }}`.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, pm) in ctx.objects.iter().enumerate() {
        if pm.kind != "PodMonitor" {
            continue;
        }
        let scope = Scope::of(pm, ctx);
        let selector = get(&pm.object, "spec.selector").unwrap_or_default();
        let all = matching_workloads(ctx, None, |l| label_selector_matches(&selector, l));
        let in_scope = all.iter().any(|(j, _)| {
            ctx.objects
                .get(*j)
                .is_some_and(|o| scope.contains(o.namespace.as_deref()))
        });
        if in_scope {
            continue;
        }
        if !all.is_empty() {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "PodMonitor {} matches the chart's pods, but its namespaceSelector does not cover their namespace",
                        pm.name
                    ),
                )
                .field("spec.namespaceSelector"),
            );
        } else if scope.is_chart_local(ctx, pm) {
            let mut f = Finding::on(
                i,
                format!("PodMonitor {} selects no pod of the chart", pm.name),
            )
            .field("spec.selector");
            // Pods an operator creates for the chart's custom resources are invisible here.
            if renders_custom_resources(ctx) {
                f.severity = Some(Severity::Warning);
            }
            out.push(f);
        }
    }
}
