//! `pod-host-namespaces`: pods sharing the node's network, PID or IPC namespace.

use crate::lint::rules::util::{bool_at, join, pod_template};
use crate::lint::{Context, Finding};

declare_rule! {
    PodHostNamespaces {
        id: "pod-host-namespaces",
        family: "security",
        severity: Warning,
        summary: "Pod uses hostNetwork, hostPID or hostIPC",
        doc: r#"## What it does
Reports pod templates with `hostNetwork`, `hostPID` or `hostIPC` set to `true`.

## Why is this bad?
The pod sees (and can interfere with) every process or network interface of the node,
bypasses NetworkPolicies, and conflicts on ports with other host-network pods. The
baseline Pod Security Standard forbids it.

## Example
```yaml
spec:
  hostNetwork: true
```

## Fix
Remove the setting; expose the port through a Service instead.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        let Some((path, template)) = pod_template(obj) else {
            continue;
        };
        for field in ["hostNetwork", "hostPID", "hostIPC"] {
            if bool_at(&template, &format!("spec.{field}")) == Some(true) {
                out.push(
                    Finding::on(i, format!("{} {} sets {field}: true", obj.kind, obj.name))
                        .field(join(&path, &format!("spec.{field}"))),
                );
            }
        }
    }
}
