//! `servicemonitor-not-capability-guarded`: monitoring objects rendered although the
//! cluster has no Prometheus Operator API.

use super::is_monitoring_kind;
use crate::lint::{Context, Finding};

declare_rule! {
    ServicemonitorNotCapabilityGuarded {
        id: "servicemonitor-not-capability-guarded",
        family: "monitoring",
        severity: Warning,
        summary: "Monitoring toggle renders ServiceMonitor/PodMonitor/PrometheusRule even when `monitoring.coreos.com/v1` is not available",
        doc: r#"## What it does
Renders the chart with its monitoring toggle on but without the
`monitoring.coreos.com/v1` API available, and reports ServiceMonitors, PodMonitors and
PrometheusRules that are still rendered.

## Why is this bad?
On a cluster without the Prometheus Operator CRDs the install fails with
`no matches for kind "ServiceMonitor"`: enabling metrics breaks the whole release.

## Example
```yaml
{{- if .Values.metrics.serviceMonitor.enabled }}
kind: ServiceMonitor
{{- end }}
```

## Fix
```yaml
{{- if and .Values.metrics.serviceMonitor.enabled
           (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}
```
"#,
    }
}

const API: &str = "monitoring.coreos.com/v1";

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let mut seen = Vec::new();
    for variant in ctx.toggles.iter().filter(|t| t.purpose == "monitoring") {
        if !variant.value.truthy() || variant.api_versions.iter().any(|a| a == API) {
            continue;
        }
        let Ok(objects) = &variant.objects else {
            continue;
        };
        for obj in objects.iter().filter(|o| is_monitoring_kind(&o.kind)) {
            let key = (obj.kind.clone(), obj.name.clone());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let message = format!(
                "with {}={} and no {API} API in the cluster, {} {} is still rendered (no .Capabilities.APIVersions.Has guard)",
                variant.key, variant.value, obj.kind, obj.name
            );
            let main = ctx
                .objects
                .iter()
                .position(|o| o.kind == obj.kind && o.name == obj.name);
            out.push(match main {
                Some(i) => Finding::on(i, message),
                None => Finding::chart(message),
            });
        }
    }
}
