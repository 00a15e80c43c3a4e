//! `service-selects-nothing`: Services without endpoints.

use crate::lint::rules::util::{
    entries, get, map_selector_matches, matching_workloads, renders_custom_resources, scalar,
};
use crate::lint::{Context, Finding};
use crate::report::Severity;

declare_rule! {
    ServiceSelectsNothing {
        id: "service-selects-nothing",
        family: "network",
        severity: Error,
        summary: "Service selector matches no pod template of the chart",
        doc: r#"## What it does
Matches each Service's `spec.selector` against the pod template labels of the chart's
workloads in its namespace (in the release namespace, or where the chart has workloads).
When the selector shares no label with the chart's pods and the chart renders custom
resources, it may be aimed at pods their operator creates at runtime, so the finding is
then only a warning.

## Why is this bad?
The Service has no endpoints: webhook calls, metrics scrapes and clients fail with
`connection refused` / `no endpoints available`.

## Example
```yaml
selector:
  app.kubernetes.io/name: my-operator
  app.kubernetes.io/component: controler     # pods: controller
```

## Fix
Render the selector from the workload's selector-labels helper.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, svc) in ctx.objects.iter().enumerate() {
        if svc.kind != "Service" {
            continue;
        }
        let Some(selector) = get(&svc.object, "spec.selector") else {
            continue;
        };
        let wanted: Vec<(String, String)> = entries(Some(selector.clone()))
            .into_iter()
            .filter_map(|(k, v)| scalar(&v).map(|v| (k, v)))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let ns = svc.namespace.as_deref();
        let workloads = matching_workloads(ctx, ns, |_| true);
        if workloads.is_empty() && ns != Some(ctx.namespace) {
            continue;
        }
        if !matching_workloads(ctx, ns, |l| map_selector_matches(&selector, l)).is_empty() {
            continue;
        }
        let overlaps =
            !matching_workloads(ctx, ns, |l| wanted.iter().any(|w| l.contains(w))).is_empty();
        let mut f = Finding::on(
            i,
            format!(
                "Service {} selects no pod of the chart (selector {})",
                svc.name,
                wanted
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        )
        .field("spec.selector");
        if !overlaps && renders_custom_resources(ctx) {
            f.severity = Some(Severity::Warning);
        }
        out.push(f);
    }
}
