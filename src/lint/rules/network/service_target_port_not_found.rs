//! `service-target-port-not-found`: named target ports the pods do not declare.

use crate::lint::rules::util::{
    container_ports, get, items, map_selector_matches, matching_workloads, string_at,
};
use crate::lint::{Context, Finding};
use crate::template::Value;

declare_rule! {
    ServiceTargetPortNotFound {
        id: "service-target-port-not-found",
        family: "network",
        severity: Error,
        summary: "Service `targetPort` name is not a container port of the selected pods",
        doc: r#"## What it does
For Services that select pods of the chart, checks that every named `targetPort` is the
name of a container port of those pods.

## Why is this bad?
Endpoints for that port are never created: traffic (webhook calls, scrapes) to the
Service port goes nowhere.

## Example
```yaml
ports:
  - port: 443
    targetPort: webhook-server   # the container port is named webhook
```

## Fix
Use the container port's name, rendered from the same value in both templates.
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
        let pods = matching_workloads(ctx, svc.namespace.as_deref(), |l| {
            map_selector_matches(&selector, l)
        });
        if pods.is_empty() {
            continue;
        }
        let names: Vec<String> = pods
            .iter()
            .flat_map(|(_, t)| container_ports(t))
            .filter_map(|(n, _)| n)
            .collect();
        for (p, port) in items(get(&svc.object, "spec.ports")).iter().enumerate() {
            let Some(Value::String(target)) = get(port, "targetPort") else {
                continue;
            };
            if target.parse::<i64>().is_ok() || names.iter().any(|n| n.as_str() == &*target) {
                continue;
            }
            out.push(
                Finding::on(
                    i,
                    format!(
                        "Service {} port {} targets {target:?}, which no selected container declares (ports: {names:?})",
                        svc.name,
                        string_at(port, "name").unwrap_or_else(|| p.to_string())
                    ),
                )
                .field(format!("spec.ports[{p}].targetPort")),
            );
        }
    }
}
