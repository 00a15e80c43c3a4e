//! `container-requests-missing`: containers without CPU and memory requests.

use super::all_containers;
use crate::lint::rules::util::get;
use crate::lint::{Context, Finding};

declare_rule! {
    ContainerRequestsMissing {
        id: "container-requests-missing",
        family: "resources",
        severity: Warning,
        summary: "Container has no CPU or memory request",
        doc: r#"## What it does
Reports containers (including init containers and hook Jobs, not helm test pods) without
`resources.requests.cpu` or `resources.requests.memory`.

## Why is this bad?
Without requests the scheduler places the pod anywhere, it is the first to be evicted
under memory pressure (BestEffort), and autoscalers and quotas cannot account for it.
Namespaces with a ResourceQuota reject it outright.

## Example
```yaml
resources: {}
```

## Fix
```yaml
resources:
  requests:
    cpu: 10m
    memory: 64Mi
```
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, c) in all_containers(ctx) {
        let missing: Vec<&str> = ["cpu", "memory"]
            .into_iter()
            .filter(|r| {
                get(&c.value, &format!("resources.requests.{r}")).is_none_or(|v| v.is_nil())
            })
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
                    "container {:?} of {} {} has no {} request",
                    c.name,
                    obj.kind,
                    obj.name,
                    missing.join(" or ")
                ),
            )
            .field(format!("{}.resources.requests", c.path)),
        );
    }
}
