//! `resources-limit-below-request`: limits smaller than requests.

use super::all_containers;
use crate::lint::rules::util::{get, parse_quantity};
use crate::lint::{Context, Finding};

declare_rule! {
    ResourcesLimitBelowRequest {
        id: "resources-limit-below-request",
        family: "resources",
        severity: Error,
        summary: "Container limit is lower than its request",
        doc: r#"## What it does
Compares each container's `resources.limits` with its `resources.requests` for `cpu`,
`memory` and `ephemeral-storage`, with Kubernetes quantity units.

## Why is this bad?
The API server rejects the pod template (`must be less than or equal to … limit`), so the
Deployment never creates pods — typically after someone raised a request in one values
file but not the limit.

## Example
```yaml
resources:
  requests: {memory: 512Mi}
  limits:   {memory: 256Mi}
```

## Fix
Raise the limit to at least the request.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, c) in all_containers(ctx) {
        for r in ["cpu", "memory", "ephemeral-storage"] {
            let req = get(&c.value, &format!("resources.requests.{r}"));
            let lim = get(&c.value, &format!("resources.limits.{r}"));
            let (Some(req), Some(lim)) = (req, lim) else {
                continue;
            };
            let (Some(rq), Some(lm)) = (parse_quantity(&req), parse_quantity(&lim)) else {
                continue;
            };
            if lm < rq {
                let Some(obj) = ctx.objects.get(i) else {
                    continue;
                };
                out.push(
                    Finding::on(
                        i,
                        format!(
                            "container {:?} of {} {}: {r} limit {lim} is below its request {req}",
                            c.name, obj.kind, obj.name
                        ),
                    )
                    .field(format!("{}.resources.limits.{r}", c.path)),
                );
            }
        }
    }
}
