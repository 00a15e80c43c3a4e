//! `container-capabilities-not-dropped`: capabilities not dropped with `ALL`.

use super::subjects;
use crate::lint::rules::util::{items, scalar};
use crate::lint::{Context, Finding};

declare_rule! {
    ContainerCapabilitiesNotDropped {
        id: "container-capabilities-not-dropped",
        family: "security",
        severity: Warning,
        summary: "Container does not drop ALL capabilities",
        doc: r#"## What it does
Reports containers whose `securityContext.capabilities.drop` does not contain `ALL`.

## Why is this bad?
Containers keep the runtime's default capabilities (`NET_RAW`, `CHOWN`, `SETUID`, …),
which operators never need and attackers use. Required by the restricted Pod Security
Standard.

## Example
```yaml
securityContext:
  capabilities:
    drop: ["NET_RAW"]
```

## Fix
```yaml
securityContext:
  capabilities:
    drop: ["ALL"]
```
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for s in subjects(ctx) {
        let dropped = items(s.own("capabilities.drop"))
            .iter()
            .filter_map(scalar)
            .any(|c| c == "ALL");
        if !dropped {
            out.push(
                Finding::on(
                    s.object,
                    format!("{} does not drop ALL capabilities", s.label(ctx)),
                )
                .field(format!(
                    "{}.securityContext.capabilities.drop",
                    s.container.path
                )),
            );
        }
    }
}
