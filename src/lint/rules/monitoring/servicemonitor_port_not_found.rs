//! `servicemonitor-port-not-found`: endpoints naming ports the Service does not have.

use super::{selected_services, Scope};
use crate::lint::rules::util::{
    container_ports, get, items, map_selector_matches, matching_workloads, string_at,
};
use crate::lint::{Context, Finding};
use crate::template::Value;

declare_rule! {
    ServicemonitorPortNotFound {
        id: "servicemonitor-port-not-found",
        family: "monitoring",
        severity: Error,
        summary: "ServiceMonitor endpoint `port` is not a port name of the selected Service (or `targetPort` not a container port)",
        doc: r#"## What it does
For ServiceMonitors that select Services of the chart, checks that every endpoint's
`port` is the *name* of a port of those Services, and that a named `targetPort` is a
container port name of the pods behind them.

## Why is this bad?
Prometheus Operator generates no scrape target for an endpoint whose port does not
exist: the operator's metrics are never collected, without any error.

## Example
```yaml
# Service port: {name: http-metrics, port: 8080}
endpoints:
  - port: metrics
```

## Fix
Use the Service port's name (`port: http-metrics`); give the Service port a name if it
has none.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, sm) in ctx.objects.iter().enumerate() {
        if sm.kind != "ServiceMonitor" {
            continue;
        }
        let scope = Scope::of(sm, ctx);
        let services: Vec<usize> = selected_services(ctx, sm)
            .into_iter()
            .filter(|&j| {
                ctx.objects
                    .get(j)
                    .is_some_and(|s| scope.contains(s.namespace.as_deref()))
            })
            .collect();
        if services.is_empty() {
            continue;
        }
        let mut port_names = Vec::new();
        let mut container_port_names = Vec::new();
        let mut pods_known = false;
        for &j in &services {
            let Some(svc) = ctx.objects.get(j) else {
                continue;
            };
            for p in items(get(&svc.object, "spec.ports")) {
                if let Some(n) = string_at(&p, "name") {
                    port_names.push(n);
                }
            }
            if let Some(sel) = get(&svc.object, "spec.selector") {
                for (_, template) in matching_workloads(ctx, svc.namespace.as_deref(), |l| {
                    map_selector_matches(&sel, l)
                }) {
                    pods_known = true;
                    container_port_names.extend(
                        container_ports(&template)
                            .into_iter()
                            .filter_map(|(n, _)| n),
                    );
                }
            }
        }
        for (e, endpoint) in items(get(&sm.object, "spec.endpoints")).iter().enumerate() {
            if let Some(port) = string_at(endpoint, "port") {
                if !port_names.contains(&port) {
                    out.push(
                        Finding::on(
                            i,
                            format!(
                                "ServiceMonitor {} endpoint port {port:?} is not a port name of the selected Service (ports: {:?})",
                                sm.name, port_names
                            ),
                        )
                        .field(format!("spec.endpoints[{e}].port")),
                    );
                }
            } else if let Some(Value::String(tp)) = get(endpoint, "targetPort") {
                let tp = tp.to_string();
                if pods_known && tp.parse::<i64>().is_err() && !container_port_names.contains(&tp) {
                    out.push(
                        Finding::on(
                            i,
                            format!(
                                "ServiceMonitor {} endpoint targetPort {tp:?} is not a container port name of the selected pods",
                                sm.name
                            ),
                        )
                        .field(format!("spec.endpoints[{e}].targetPort")),
                    );
                }
            }
        }
    }
}
