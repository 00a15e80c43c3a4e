//! `config-checksum-missing`: mounted chart ConfigMaps/Secrets without a checksum annotation.

use crate::lint::rules::util::{entries, get, is_long_running, items, pod_template, string_at};
use crate::lint::{Context, Finding};
use crate::template::Value;

declare_rule! {
    ConfigChecksumMissing {
        id: "config-checksum-missing",
        family: "config",
        severity: Warning,
        summary: "Workload uses a ConfigMap/Secret of the chart but has no checksum annotation",
        doc: r#"## What it does
Reports long-running workloads that mount (volume, projected volume, `envFrom`,
`env.valueFrom`) a ConfigMap or Secret rendered by the chart, when the pod template has no
`checksum/…` annotation (and no Reloader annotation).

## Why is this bad?
`helm upgrade` changes the ConfigMap but not the pod template, so the pods keep running
with the old configuration until something restarts them by chance.

## Example
```yaml
volumes:
  - name: config
    configMap:
      name: my-operator-config
```

## Fix
```yaml
template:
  metadata:
    annotations:
      checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
```
"#,
    }
}

/// ConfigMaps and Secrets a pod template reads: `(kind, name)`.
fn referenced(template: &Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for vol in items(get(template, "spec.volumes")) {
        if let Some(n) = string_at(&vol, "configMap.name") {
            out.push(("ConfigMap", n));
        }
        if let Some(n) = string_at(&vol, "secret.secretName") {
            out.push(("Secret", n));
        }
        for src in items(get(&vol, "projected.sources")) {
            if let Some(n) = string_at(&src, "configMap.name") {
                out.push(("ConfigMap", n));
            }
            if let Some(n) = string_at(&src, "secret.name") {
                out.push(("Secret", n));
            }
        }
    }
    for list in ["containers", "initContainers"] {
        for c in items(get(template, &format!("spec.{list}"))) {
            for from in items(get(&c, "envFrom")) {
                if let Some(n) = string_at(&from, "configMapRef.name") {
                    out.push(("ConfigMap", n));
                }
                if let Some(n) = string_at(&from, "secretRef.name") {
                    out.push(("Secret", n));
                }
            }
            for env in items(get(&c, "env")) {
                if let Some(n) = string_at(&env, "valueFrom.configMapKeyRef.name") {
                    out.push(("ConfigMap", n));
                }
                if let Some(n) = string_at(&env, "valueFrom.secretKeyRef.name") {
                    out.push(("Secret", n));
                }
            }
        }
    }
    out
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if !is_long_running(obj) {
            continue;
        }
        let Some((path, template)) = pod_template(obj) else {
            continue;
        };
        let restarts_on_change = entries(get(&template, "metadata.annotations"))
            .iter()
            .any(|(k, _)| k.contains("checksum") || k.contains("reloader"))
            || entries(get(&obj.object, "metadata.annotations"))
                .iter()
                .any(|(k, _)| k.contains("reloader"));
        if restarts_on_change {
            continue;
        }
        let mut seen = Vec::new();
        for (kind, name) in referenced(&template) {
            let rendered = ctx.objects.iter().any(|o| {
                o.kind == kind
                    && o.name == name
                    && o.namespace == obj.namespace
                    && o.hook_events.is_empty()
            });
            if rendered && !seen.contains(&(kind, name.clone())) {
                seen.push((kind, name.clone()));
                out.push(
                    Finding::on(
                        i,
                        format!(
                            "{} {} uses {kind} {name} of the chart but has no checksum annotation, so upgrades do not restart it",
                            obj.kind, obj.name
                        ),
                    )
                    .field(if path.is_empty() {
                        "metadata.annotations".to_string()
                    } else {
                        format!("{path}.metadata.annotations")
                    }),
                );
            }
        }
    }
}
