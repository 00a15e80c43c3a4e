//! `container-capabilities-added`: added Linux capabilities.

use super::subjects;
use crate::lint::rules::util::{items, scalar};
use crate::lint::{Context, Finding};

declare_rule! {
    ContainerCapabilitiesAdded {
        id: "container-capabilities-added",
        family: "security",
        severity: Warning,
        summary: "Container adds Linux capabilities other than NET_BIND_SERVICE",
        doc: r#"## What it does
Reports containers whose `securityContext.capabilities.add` contains anything but
`NET_BIND_SERVICE` (the only capability the restricted Pod Security Standard allows).

## Why is this bad?
Capabilities such as `SYS_ADMIN`, `NET_ADMIN` or `SYS_PTRACE` are most of root's power;
an operator talking to the API server needs none of them.

## Example
```yaml
capabilities:
  add: ["NET_ADMIN"]
```

## Fix
Remove them; bind to ports above 1024 instead of adding capabilities.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for s in subjects(ctx) {
        let added: Vec<String> = items(s.own("capabilities.add"))
            .iter()
            .filter_map(scalar)
            .filter(|c| c != "NET_BIND_SERVICE")
            .collect();
        if !added.is_empty() {
            out.push(
                Finding::on(
                    s.object,
                    format!("{} adds capabilities {added:?}", s.label(ctx)),
                )
                .field(format!(
                    "{}.securityContext.capabilities.add",
                    s.container.path
                )),
            );
        }
    }
}
