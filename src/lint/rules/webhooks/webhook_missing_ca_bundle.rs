//! `webhook-missing-ca-bundle`: nobody provides the CA the API server needs.

use super::{service_ref, webhooks};
use crate::lint::rules::util::{annotation, policy_rules, string_at};
use crate::lint::{Context, Finding};

declare_rule! {
    WebhookMissingCaBundle {
        id: "webhook-missing-ca-bundle",
        family: "webhooks",
        severity: Error,
        summary: "Service webhook has no caBundle and no cert-manager CA injection",
        doc: r#"## What it does
Reports webhook configurations with Service-backed webhooks that have no
`clientConfig.caBundle`, when the configuration has no cert-manager CA-injector
annotation (`cert-manager.io/inject-ca-from`, `inject-ca-from-secret`,
`inject-apiserver-ca`) and the chart grants no one the right to patch webhook
configurations (the pattern of operators and hook Jobs that inject the CA themselves).

## Why is this bad?
The API server cannot verify the webhook's serving certificate, so every call fails
with `x509: certificate signed by unknown authority`; with `failurePolicy: Fail`
all matching requests are rejected.

## Example
```yaml
kind: ValidatingWebhookConfiguration
webhooks:
  - clientConfig:
      service: {name: my-operator-webhook, namespace: ops}
```

## Fix
Use cert-manager: a Certificate for the webhook Service and
`cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/<certificate>` on the
configuration; or generate the CA with `genCA` and set `caBundle`.
"#,
    }
}

const INJECTORS: [&str; 3] = [
    "cert-manager.io/inject-ca-from",
    "cert-manager.io/inject-ca-from-secret",
    "cert-manager.io/inject-apiserver-ca",
];

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let patched_at_runtime = ctx.objects.iter().any(|o| {
        policy_rules(o).iter().any(|r| {
            [
                "validatingwebhookconfigurations",
                "mutatingwebhookconfigurations",
            ]
            .iter()
            .any(|res| {
                r.grants("admissionregistration.k8s.io", res, "update")
                    || r.grants("admissionregistration.k8s.io", res, "patch")
            })
        })
    });
    if patched_at_runtime {
        return;
    }
    for w in webhooks(ctx) {
        if service_ref(&w).is_none() {
            continue;
        }
        let Some(obj) = ctx.objects.get(w.object) else {
            continue;
        };
        let injected = INJECTORS
            .iter()
            .any(|a| annotation(&obj.object, a).is_some_and(|v| !v.is_empty()));
        let bundle = string_at(&w.value, "clientConfig.caBundle").unwrap_or_default();
        if !injected && bundle.trim().is_empty() {
            out.push(
                Finding::on(
                    w.object,
                    format!(
                        "webhook {} has no caBundle and no cert-manager CA injection annotation",
                        w.name
                    ),
                )
                .field(format!("{}.clientConfig.caBundle", w.path)),
            );
        }
    }
}
