//! `webhook-service-port-missing`: a webhook calling a port its Service does not expose.

use super::{find_service, service_ref, webhooks};
use crate::lint::rules::util::{get, int_at, items};
use crate::lint::{Context, Finding};

declare_rule! {
    WebhookServicePortMissing {
        id: "webhook-service-port-missing",
        family: "webhooks",
        severity: Error,
        summary: "Webhook calls a port (443 by default) that its Service does not expose",
        doc: r#"## What it does
For webhooks whose Service the chart renders, checks that `clientConfig.service.port`
(443 when unset) is one of the Service's `ports[].port`.

## Why is this bad?
The API server's calls fail (`connection refused` / no endpoints on that port): with
`failurePolicy: Fail` matching requests are rejected cluster-wide.

## Example
```yaml
# Service ports: [{port: 9443, targetPort: webhook}]
clientConfig:
  service:
    name: my-operator-webhook
    namespace: ops              # port unset → 443
```

## Fix
Set `clientConfig.service.port` to the Service port, or expose 443 on the Service with
`targetPort` pointing at the container's webhook port.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for w in webhooks(ctx) {
        let Some((ns, name, port)) = service_ref(&w) else {
            continue;
        };
        let Some(s) = find_service(ctx, &ns, &name) else {
            continue;
        };
        let Some(svc) = ctx.objects.get(s) else {
            continue;
        };
        let ports: Vec<i64> = items(get(&svc.object, "spec.ports"))
            .iter()
            .filter_map(|p| int_at(p, "port"))
            .collect();
        if !ports.contains(&port) {
            out.push(
                Finding::on(
                    w.object,
                    format!(
                        "webhook {} calls port {port} of Service {ns}/{name}, which exposes {ports:?}",
                        w.name
                    ),
                )
                .field(format!("{}.clientConfig.service.port", w.path)),
            );
        }
    }
}
