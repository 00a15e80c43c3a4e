//! `duplicate-object`: the same object rendered twice.

use crate::lint::query::api_group;
use crate::lint::{Context, Finding};

declare_rule! {
    DuplicateObject {
        id: "duplicate-object",
        family: "workloads",
        severity: Error,
        summary: "Two rendered objects have the same kind, namespace and name",
        doc: r#"## What it does
Reports objects whose API group, kind, namespace and name repeat an earlier object of
the same render (Helm hooks are left out: they are created and deleted on their own schedule).

## Why is this bad?
Helm refuses to install a release with duplicates, or one silently overwrites the other
with `kubectl apply`. It usually comes from two templates using the same name helper
(for example two components both named `{{ fullname }}`).

## Example
```yaml
# templates/service.yaml and templates/metrics-service.yaml
kind: Service
metadata:
  name: my-operator
```

## Fix
Give each object its own name (`{{ include "chart.fullname" . }}-metrics`).
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        // Hooks are created and deleted at their own times; only release objects clash.
        if obj.name.is_empty() || !obj.hook_events.is_empty() {
            continue;
        }
        let earlier = ctx.objects.iter().take(i).position(|o| {
            o.kind == obj.kind
                && o.name == obj.name
                && o.namespace == obj.namespace
                && api_group(&o.api_version) == api_group(&obj.api_version)
                && o.hook_events.is_empty()
        });
        if let Some(first) = earlier {
            let at = ctx
                .objects
                .get(first)
                .and_then(|o| o.source.as_ref())
                .map(|s| format!(" (first at {}:{})", s.file, s.line))
                .unwrap_or_default();
            out.push(Finding::on(
                i,
                format!("{} {} is rendered twice{at}", obj.kind, obj.name),
            ));
        }
    }
}
