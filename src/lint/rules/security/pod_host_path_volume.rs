//! `pod-host-path-volume`: hostPath volumes.

use crate::lint::rules::util::{get, items, join, pod_template, string_at};
use crate::lint::{Context, Finding};

declare_rule! {
    PodHostPathVolume {
        id: "pod-host-path-volume",
        family: "security",
        severity: Warning,
        summary: "Pod mounts a hostPath volume",
        doc: r#"## What it does
Reports pod templates with `hostPath` volumes.

## Why is this bad?
hostPath exposes the node's filesystem (container runtime socket, kubelet credentials,
other pods' data) and ties the pod to one node's layout. The baseline and restricted Pod
Security Standards forbid it.

## Example
```yaml
volumes:
  - name: docker
    hostPath:
      path: /var/run/docker.sock
```

## Fix
Use `emptyDir`, a ConfigMap/Secret, or a PersistentVolumeClaim.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        let Some((path, template)) = pod_template(obj) else {
            continue;
        };
        for (v, vol) in items(get(&template, "spec.volumes")).iter().enumerate() {
            if let Some(host) = get(vol, "hostPath") {
                out.push(
                    Finding::on(
                        i,
                        format!(
                            "{} {} mounts hostPath {}",
                            obj.kind,
                            obj.name,
                            string_at(&host, "path").unwrap_or_default()
                        ),
                    )
                    .field(join(&path, &format!("spec.volumes[{v}].hostPath"))),
                );
            }
        }
    }
}
