//! `webhook-certificate-missing`: the CA-injection source or its issuer is not rendered.

use super::is_webhook_configuration;
use crate::lint::rules::util::{annotation, string_at};
use crate::lint::{Context, Finding};

declare_rule! {
    WebhookCertificateMissing {
        id: "webhook-certificate-missing",
        family: "webhooks",
        severity: Error,
        summary: "`inject-ca-from` names a Certificate the chart does not render, or a Certificate's Issuer is missing",
        doc: r#"## What it does
Follows `cert-manager.io/inject-ca-from: <namespace>/<certificate>` on webhook
configurations (and CRDs with conversion webhooks) to a cert-manager Certificate of the
chart, and each Certificate's `issuerRef` of kind `Issuer` to an Issuer in its namespace.

## Why is this bad?
Without the Certificate, cert-manager never injects a CA and never issues the serving
certificate: the webhook pod cannot start (its TLS secret is missing) and the API server
rejects every call. A missing Issuer leaves the Certificate pending forever.

## Example
```yaml
metadata:
  annotations:
    cert-manager.io/inject-ca-from: ops/my-operator-serving-cert   # Certificate is my-operator-webhook-cert
```

## Fix
Build the annotation from the Certificate's name helper and render the Certificate and its
(self-signed) Issuer under the same condition as the webhook.
"#,
    }
}

fn is_cert_manager(api_version: &str) -> bool {
    api_version.starts_with("cert-manager.io/")
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if !is_webhook_configuration(obj) && obj.kind != "CustomResourceDefinition" {
            continue;
        }
        let Some(source) = annotation(&obj.object, "cert-manager.io/inject-ca-from") else {
            continue;
        };
        // Charts that turn cert-manager off sometimes leave a placeholder (`none`) that
        // cert-manager ignores; only a `<namespace>/<name>` reference points at something.
        let Some((ns, name)) = source.split_once('/') else {
            continue;
        };
        let found = ctx.objects.iter().any(|c| {
            c.kind == "Certificate"
                && is_cert_manager(&c.api_version)
                && c.name == name
                && c.namespace.as_deref() == Some(ns)
        });
        if !found {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "{} {} injects its CA from Certificate {ns}/{name}, which the chart does not render",
                        obj.kind, obj.name
                    ),
                )
                .field("metadata.annotations"),
            );
        }
    }
    for (i, cert) in ctx.objects.iter().enumerate() {
        if cert.kind != "Certificate" || !is_cert_manager(&cert.api_version) {
            continue;
        }
        let kind =
            string_at(&cert.object, "spec.issuerRef.kind").unwrap_or_else(|| "Issuer".into());
        let group = string_at(&cert.object, "spec.issuerRef.group")
            .unwrap_or_else(|| "cert-manager.io".into());
        let Some(issuer) = string_at(&cert.object, "spec.issuerRef.name") else {
            continue;
        };
        if kind != "Issuer" || group != "cert-manager.io" {
            continue;
        }
        let found = ctx
            .objects
            .iter()
            .any(|o| o.kind == "Issuer" && o.name == issuer && o.namespace == cert.namespace);
        if !found {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "Certificate {} is issued by Issuer {issuer}, which the chart does not render in its namespace",
                        cert.name
                    ),
                )
                .field("spec.issuerRef.name"),
            );
        }
    }
}
