//! `container-writable-root-filesystem`: root filesystem not read-only.

use super::subjects;
use crate::lint::{Context, Finding};
use crate::template::Value;

declare_rule! {
    ContainerWritableRootFilesystem {
        id: "container-writable-root-filesystem",
        family: "security",
        severity: Warning,
        summary: "Container does not set `readOnlyRootFilesystem: true`",
        doc: r#"## What it does
Reports containers whose `securityContext.readOnlyRootFilesystem` is not `true`.

## Why is this bad?
A writable image filesystem lets an attacker drop tools and persist changes inside the
container, and hides state that is lost on restart anyway.

## Example
```yaml
securityContext:
  allowPrivilegeEscalation: false
```

## Fix
```yaml
securityContext:
  readOnlyRootFilesystem: true
```
and mount an `emptyDir` where the process must write (`/tmp`).
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for s in subjects(ctx) {
        if s.own("readOnlyRootFilesystem") != Some(Value::Bool(true)) {
            out.push(
                Finding::on(
                    s.object,
                    format!("{} has a writable root filesystem", s.label(ctx)),
                )
                .field(format!(
                    "{}.securityContext.readOnlyRootFilesystem",
                    s.container.path
                )),
            );
        }
    }
}
