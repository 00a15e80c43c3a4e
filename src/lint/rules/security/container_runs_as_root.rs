//! `container-runs-as-root`: containers not forced to run as a non-root user.

use super::subjects;
use crate::lint::rules::util::int;
use crate::lint::{Context, Finding};
use crate::template::Value;

declare_rule! {
    ContainerRunsAsRoot {
        id: "container-runs-as-root",
        family: "security",
        severity: Warning,
        summary: "Container may run as root (`runAsNonRoot: true` missing, or `runAsUser: 0`)",
        doc: r#"## What it does
Reports containers whose effective security context (container, else pod) does not set
`runAsNonRoot: true`, or sets `runAsUser: 0`.

## Why is this bad?
The restricted Pod Security Standard requires `runAsNonRoot`; namespaces enforcing it
reject the pod. A process running as root turns a container escape into root on the
node.

## Example
```yaml
securityContext: {}
```

## Fix
```yaml
securityContext:        # pod level
  runAsNonRoot: true
  runAsUser: 65532
```
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for s in subjects(ctx) {
        let uid = s.inherited("runAsUser").as_ref().and_then(int);
        let non_root = s.inherited("runAsNonRoot") == Some(Value::Bool(true));
        let message = if uid == Some(0) {
            format!("{} runs as UID 0", s.label(ctx))
        } else if !non_root {
            format!("{} does not set runAsNonRoot: true", s.label(ctx))
        } else {
            continue;
        };
        out.push(
            Finding::on(s.object, message).field(format!("{}.securityContext", s.container.path)),
        );
    }
}
