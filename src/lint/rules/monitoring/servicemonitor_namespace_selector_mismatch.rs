//! `servicemonitor-namespace-selector-mismatch`: the monitor looks in the wrong namespace.

use super::{selected_services, Scope};
use crate::lint::{Context, Finding};

declare_rule! {
    ServicemonitorNamespaceSelectorMismatch {
        id: "servicemonitor-namespace-selector-mismatch",
        family: "monitoring",
        severity: Error,
        summary: "ServiceMonitor selects the chart's Service by labels, but its namespaceSelector excludes that namespace",
        doc: r#"## What it does
Reports ServiceMonitors whose label selector matches Services of the chart only in
namespaces that `spec.namespaceSelector` does not cover (a hard-coded `matchNames`, or
the monitor rendered in another namespace than the Service without a selector).

## Why is this bad?
Prometheus looks for the Service in the wrong namespace and scrapes nothing.

## Example
```yaml
kind: ServiceMonitor
metadata:
  namespace: monitoring
spec:
  namespaceSelector:
    matchNames: [monitoring]   # the Service is in the release namespace
```

## Fix
`namespaceSelector: {matchNames: [{{ .Release.Namespace }}]}`, or render the monitor in
the release namespace.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, sm) in ctx.objects.iter().enumerate() {
        if sm.kind != "ServiceMonitor" {
            continue;
        }
        let scope = Scope::of(sm, ctx);
        let services = selected_services(ctx, sm);
        let in_scope = services
            .iter()
            .filter_map(|&j| ctx.objects.get(j))
            .any(|s| scope.contains(s.namespace.as_deref()));
        if services.is_empty() || in_scope {
            continue;
        }
        let found: Vec<String> = services
            .iter()
            .filter_map(|&j| ctx.objects.get(j))
            .map(|s| format!("{}/{}", s.namespace.as_deref().unwrap_or(""), s.name))
            .collect();
        out.push(
            Finding::on(
                i,
                format!(
                    "ServiceMonitor {} matches Service {} but its namespaceSelector does not cover that namespace",
                    sm.name,
                    found.join(", ")
                ),
            )
            .field("spec.namespaceSelector"),
        );
    }
}
