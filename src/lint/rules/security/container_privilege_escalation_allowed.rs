//! `container-privilege-escalation-allowed`: `allowPrivilegeEscalation` not false.

use super::subjects;
use crate::lint::{Context, Finding};
use crate::template::Value;

declare_rule! {
    ContainerPrivilegeEscalationAllowed {
        id: "container-privilege-escalation-allowed",
        family: "security",
        severity: Warning,
        summary: "Container does not set `allowPrivilegeEscalation: false`",
        doc: r#"## What it does
Reports containers whose `securityContext.allowPrivilegeEscalation` is not `false`.

## Why is this bad?
Without it a process can gain more privileges than its parent (setuid binaries,
`no_new_privs` unset). The restricted Pod Security Standard requires `false`.

## Example
```yaml
securityContext:
  runAsNonRoot: true
```

## Fix
```yaml
securityContext:
  allowPrivilegeEscalation: false
```
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for s in subjects(ctx) {
        if s.own("allowPrivilegeEscalation") != Some(Value::Bool(false)) {
            out.push(
                Finding::on(
                    s.object,
                    format!(
                        "{} does not set allowPrivilegeEscalation: false",
                        s.label(ctx)
                    ),
                )
                .field(format!(
                    "{}.securityContext.allowPrivilegeEscalation",
                    s.container.path
                )),
            );
        }
    }
}
