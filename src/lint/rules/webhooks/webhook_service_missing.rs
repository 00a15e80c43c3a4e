//! `webhook-service-missing`: a webhook calling a Service the chart does not render.

use super::{find_service, service_ref, webhooks};
use crate::lint::{Context, Finding};

declare_rule! {
    WebhookServiceMissing {
        id: "webhook-service-missing",
        family: "webhooks",
        severity: Error,
        summary: "Webhook `clientConfig.service` names a Service the chart does not render",
        doc: r#"## What it does
Reports webhooks whose `clientConfig.service` points at a Service in the release
namespace (or another namespace the chart uses) that the chart does not render.

## Why is this bad?
The API server cannot reach the webhook. With `failurePolicy: Fail` every matching
request is rejected (`service "x" not found`), which can block the whole cluster;
with `Ignore` the webhook silently does nothing.

## Example
```yaml
clientConfig:
  service:
    name: my-operator-webhook        # the Service is my-operator-webhook-service
    namespace: ops
```

## Fix
Render the webhook's service name from the same helper as the Service.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for w in webhooks(ctx) {
        let Some((ns, name, _)) = service_ref(&w) else {
            continue;
        };
        let chart_namespace = ns == ctx.namespace
            || ctx
                .objects
                .iter()
                .any(|o| o.namespace.as_deref() == Some(&ns));
        if chart_namespace && find_service(ctx, &ns, &name).is_none() {
            out.push(
                Finding::on(
                    w.object,
                    format!(
                        "webhook {} calls Service {ns}/{name}, which the chart does not render",
                        w.name
                    ),
                )
                .field(format!("{}.clientConfig.service.name", w.path)),
            );
        }
    }
}
