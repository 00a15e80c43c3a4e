//! `prometheusrule-missing-labels`: alerts nobody can route.

use crate::lint::rules::util::{get, items, string_at};
use crate::lint::{Context, Finding};

declare_rule! {
    PrometheusruleMissingLabels {
        id: "prometheusrule-missing-labels",
        family: "monitoring",
        severity: Warning,
        summary: "Alerting rule has no `severity` label",
        doc: r#"## What it does
Reports alerting rules (`alert:`) of PrometheusRules without a `labels.severity`.

## Why is this bad?
Alertmanager routes and silences by `severity`; an alert without it lands in the default
route (often nowhere, or everyone's pager), and dashboards cannot rank it.

## Example
```yaml
- alert: OperatorReconcileErrors
  expr: rate(controller_runtime_reconcile_errors_total[5m]) > 0
```

## Fix
```yaml
  labels:
    severity: warning
```
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if obj.kind != "PrometheusRule" {
            continue;
        }
        for (g, group) in items(get(&obj.object, "spec.groups")).iter().enumerate() {
            for (r, rule) in items(get(group, "rules")).iter().enumerate() {
                let Some(alert) = string_at(rule, "alert") else {
                    continue;
                };
                if string_at(rule, "labels.severity").is_none_or(|s| s.is_empty()) {
                    out.push(
                        Finding::on(
                            i,
                            format!(
                                "PrometheusRule {} alert {alert} has no severity label",
                                obj.name
                            ),
                        )
                        .field(format!("spec.groups[{g}].rules[{r}].labels")),
                    );
                }
            }
        }
    }
}
