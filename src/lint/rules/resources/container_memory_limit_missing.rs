//! `container-memory-limit-missing`: containers without a memory limit.

use super::all_containers;
use crate::lint::rules::util::get;
use crate::lint::{Context, Finding};

declare_rule! {
    ContainerMemoryLimitMissing {
        id: "container-memory-limit-missing",
        family: "resources",
        severity: Warning,
        summary: "Container has no memory limit",
        doc: r#"## What it does
Reports containers (not helm test pods) without `resources.limits.memory`.

## Why is this bad?
An operator whose informer caches grow with the cluster can eat the node's memory and
get other pods OOM-killed. A limit confines the damage to the operator itself.

## Example
```yaml
resources:
  requests: {cpu: 10m, memory: 64Mi}
```

## Fix
```yaml
resources:
  limits:
    memory: 256Mi
```
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, c) in all_containers(ctx) {
        if get(&c.value, "resources.limits.memory").is_some_and(|v| !v.is_nil()) {
            continue;
        }
        let Some(obj) = ctx.objects.get(i) else {
            continue;
        };
        out.push(
            Finding::on(
                i,
                format!(
                    "container {:?} of {} {} has no memory limit",
                    c.name, obj.kind, obj.name
                ),
            )
            .field(format!("{}.resources.limits.memory", c.path)),
        );
    }
}
