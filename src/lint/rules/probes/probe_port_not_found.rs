//! `probe-port-not-found`: probes on named ports the container does not declare.

use crate::lint::rules::util::{containers, get, items, pod_template, string_at};
use crate::lint::{Context, Finding};
use crate::template::Value;

declare_rule! {
    ProbePortNotFound {
        id: "probe-port-not-found",
        family: "probes",
        severity: Error,
        summary: "Probe uses a named port the container does not declare",
        doc: r#"## What it does
Reports liveness, readiness and startup probes (`httpGet` or `tcpSocket`) whose `port` is
a name that is not one of the container's own `ports[].name`.

## Why is this bad?
The kubelet cannot resolve the port, so the probe always fails: the pod never becomes
ready, and a failing liveness probe restarts it forever.

## Example
```yaml
ports:
  - name: healthz
    containerPort: 8081
livenessProbe:
  httpGet: {path: /healthz, port: health}
```

## Fix
Use the declared port name (`port: healthz`) or the number.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        let Some((path, template)) = pod_template(obj) else {
            continue;
        };
        for c in containers(&path, &template, true) {
            let names: Vec<String> = items(get(&c.value, "ports"))
                .iter()
                .filter_map(|p| string_at(p, "name"))
                .collect();
            for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                for handler in ["httpGet", "tcpSocket"] {
                    let Some(Value::String(port)) =
                        get(&c.value, &format!("{probe}.{handler}.port"))
                    else {
                        continue;
                    };
                    if port.parse::<i64>().is_ok() || names.iter().any(|n| n.as_str() == &*port) {
                        continue;
                    }
                    out.push(
                        Finding::on(
                            i,
                            format!(
                                "{probe} of container {:?} in {} {} uses port {port:?}, which the container does not declare (ports: {names:?})",
                                c.name, obj.kind, obj.name
                            ),
                        )
                        .field(format!("{}.{probe}.{handler}.port", c.path)),
                    );
                }
            }
        }
    }
}
