//! `servicemonitor-selects-nothing`: a ServiceMonitor that scrapes nothing.

use super::{selected_services, selects_api_server, Scope};
use crate::lint::rules::util::renders_custom_resources;
use crate::lint::{Context, Finding};
use crate::report::Severity;

declare_rule! {
    ServicemonitorSelectsNothing {
        id: "servicemonitor-selects-nothing",
        family: "monitoring",
        severity: Error,
        summary: "ServiceMonitor selector matches no Service of the chart",
        doc: r#"## What it does
Matches each ServiceMonitor's `spec.selector` against the labels of the chart's Services
in the namespaces its `namespaceSelector` covers (its own namespace by default). Monitors
aimed only at namespaces the chart does not use, or at any namespace, are left alone.

## Why is this bad?
Prometheus silently scrapes nothing: no metrics, and alerts on the operator never fire.
Usually the Service's labels changed (or only the pods carry the label).

## Example
```yaml
kind: ServiceMonitor
spec:
  selector:
    matchLabels:
      app.kubernetes.io/component: metrics   # the Service has no such label
```

When the chart renders custom resources (whose operator may create what is selected at
runtime) the finding is a warning.

## Fix
Put the selector labels on the metrics Service (not only on the pods), rendered from the
same helper in both templates.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, sm) in ctx.objects.iter().enumerate() {
        if sm.kind != "ServiceMonitor" {
            continue;
        }
        let scope = Scope::of(sm, ctx);
        // Services matched only outside the scope are the namespace-selector rule's case.
        if !scope.is_chart_local(ctx, sm)
            || selects_api_server(sm)
            || !selected_services(ctx, sm).is_empty()
        {
            continue;
        }
        let mut f = Finding::on(
            i,
            format!("ServiceMonitor {} selects no Service of the chart", sm.name),
        )
        .field("spec.selector");
        // Services an operator creates for the chart's custom resources are invisible here.
        if renders_custom_resources(ctx) {
            f.severity = Some(Severity::Warning);
        }
        out.push(f);
    }
}
