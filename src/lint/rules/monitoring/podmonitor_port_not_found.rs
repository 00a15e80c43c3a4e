//! `podmonitor-port-not-found`: PodMonitor endpoints naming ports the pods lack.

use super::Scope;
use crate::lint::rules::util::{
    container_ports, get, items, label_selector_matches, matching_workloads, string_at,
};
use crate::lint::{Context, Finding};

declare_rule! {
    PodmonitorPortNotFound {
        id: "podmonitor-port-not-found",
        family: "monitoring",
        severity: Error,
        summary: "PodMonitor endpoint `port` is not a container port name of the selected pods",
        doc: r#"## What it does
For PodMonitors that select pods of the chart, checks that every
`podMetricsEndpoints[].port` is the name of a container port of those pods.

## Why is this bad?
Prometheus Operator creates no target for a port name the pods do not declare: no
metrics, no alerts, no error.

## Example
```yaml
# container ports: [{name: metrics, containerPort: 8080}]
podMetricsEndpoints:
  - port: http-metrics
```

## Fix
Use the container port's name, and name the port in the pod spec.
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
        let pods: Vec<_> = matching_workloads(ctx, None, |l| label_selector_matches(&selector, l))
            .into_iter()
            .filter(|(j, _)| {
                ctx.objects
                    .get(*j)
                    .is_some_and(|o| scope.contains(o.namespace.as_deref()))
            })
            .collect();
        if pods.is_empty() {
            continue;
        }
        let names: Vec<String> = pods
            .iter()
            .flat_map(|(_, t)| container_ports(t))
            .filter_map(|(n, _)| n)
            .collect();
        for (e, ep) in items(get(&pm.object, "spec.podMetricsEndpoints"))
            .iter()
            .enumerate()
        {
            let Some(port) = string_at(ep, "port") else {
                continue;
            };
            if !names.contains(&port) {
                out.push(
                    Finding::on(
                        i,
                        format!(
                            "PodMonitor {} endpoint port {port:?} is not a container port name of the selected pods (ports: {names:?})",
                            pm.name
                        ),
                    )
                    .field(format!("spec.podMetricsEndpoints[{e}].port")),
                );
            }
        }
    }
}
