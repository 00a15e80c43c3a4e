//! `probe-identical`: liveness and readiness probes that are the same.

use super::serving_containers;
use crate::lint::rules::util::get;
use crate::lint::{Context, Finding};

declare_rule! {
    ProbeIdentical {
        id: "probe-identical",
        family: "probes",
        severity: Warning,
        summary: "Liveness and readiness probes are identical",
        doc: r#"## What it does
Reports containers whose `livenessProbe` and `readinessProbe` are exactly the same.

## Why is this bad?
Readiness answers "send me traffic?", liveness "restart me?". With one check for both, a
pod that is only temporarily not ready (API server slow, leader election pending) is
killed and restarted in a loop instead of being taken out of rotation.

## Example
```yaml
livenessProbe:  {httpGet: {path: /healthz, port: 8081}}
readinessProbe: {httpGet: {path: /healthz, port: 8081}}
```

## Fix
Point readiness at `/readyz` and liveness at `/healthz`, and give liveness a longer
`failureThreshold`.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, c) in serving_containers(ctx) {
        let (Some(live), Some(ready)) = (
            get(&c.value, "livenessProbe"),
            get(&c.value, "readinessProbe"),
        ) else {
            continue;
        };
        if !live.is_nil() && live == ready {
            let Some(obj) = ctx.objects.get(i) else {
                continue;
            };
            out.push(
                Finding::on(
                    i,
                    format!(
                        "container {:?} of {} {} uses the same probe for liveness and readiness",
                        c.name, obj.kind, obj.name
                    ),
                )
                .field(format!("{}.livenessProbe", c.path)),
            );
        }
    }
}
