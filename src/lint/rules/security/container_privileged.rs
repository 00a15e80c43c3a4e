//! `container-privileged`: privileged containers.

use super::subjects;
use crate::lint::{Context, Finding};
use crate::template::Value;

declare_rule! {
    ContainerPrivileged {
        id: "container-privileged",
        family: "security",
        severity: Error,
        summary: "Container runs privileged",
        doc: r#"## What it does
Reports containers with `securityContext.privileged: true`.

## Why is this bad?
A privileged container has every capability and all host devices: it is root on the
node. Any compromise of the pod is a compromise of the node and of every pod on it.

## Example
```yaml
securityContext:
  privileged: true
```

## Fix
Remove `privileged`; grant the one capability or device the workload needs, if any.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for s in subjects(ctx) {
        if s.own("privileged") == Some(Value::Bool(true)) {
            out.push(
                Finding::on(s.object, format!("{} is privileged", s.label(ctx)))
                    .field(format!("{}.securityContext.privileged", s.container.path)),
            );
        }
    }
}
