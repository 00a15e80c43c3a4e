//! `probe-missing`: serving containers without liveness or readiness probes.

use super::serving_containers;
use crate::lint::rules::util::get;
use crate::lint::{Context, Finding};

declare_rule! {
    ProbeMissing {
        id: "probe-missing",
        family: "probes",
        severity: Warning,
        summary: "Container of a long-running workload lacks a liveness or readiness probe",
        doc: r#"## What it does
Reports containers of Deployments, StatefulSets and DaemonSets (not hooks, Jobs or init
containers) without a `livenessProbe` or a `readinessProbe`.

## Why is this bad?
Without liveness a deadlocked controller keeps running and reconciles nothing; without
readiness a webhook or metrics endpoint receives traffic before it can serve, and rolling
updates proceed past broken pods.

## Example
```yaml
containers:
  - name: manager
    image: example/operator:v1
```

## Fix
controller-runtime serves `/healthz` and `/readyz` on the health port:
```yaml
livenessProbe:
  httpGet: {path: /healthz, port: health}
readinessProbe:
  httpGet: {path: /readyz, port: health}
```
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, c) in serving_containers(ctx) {
        let missing: Vec<&str> = ["livenessProbe", "readinessProbe"]
            .into_iter()
            .filter(|p| get(&c.value, p).is_none_or(|v| v.is_nil()))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let Some(obj) = ctx.objects.get(i) else {
            continue;
        };
        out.push(
            Finding::on(
                i,
                format!(
                    "container {:?} of {} {} has no {}",
                    c.name,
                    obj.kind,
                    obj.name,
                    missing.join(" or ")
                ),
            )
            .field(format!(
                "{}.{}",
                c.path,
                missing.first().copied().unwrap_or_default()
            )),
        );
    }
}
