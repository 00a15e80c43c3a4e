//! Admission webhook rules: the Service behind each webhook, its CA bundle and certificate,
//! and how much of the cluster a webhook can stall (failure policy, timeouts, selectors).

pub mod webhook_catches_kube_system;
pub mod webhook_certificate_missing;
pub mod webhook_fail_policy_single_replica;
pub mod webhook_missing_ca_bundle;
pub mod webhook_service_missing;
pub mod webhook_service_port_missing;
pub mod webhook_timeout_too_high;

use super::util::{get, int_at, items, string_at};
use crate::lint::{Context, LintObject};
use crate::template::Value;

/// One webhook of a Validating/MutatingWebhookConfiguration.
pub struct Webhook {
    /// Index of the configuration object.
    pub object: usize,
    pub name: String,
    pub value: Value,
    /// `webhooks[0]`.
    pub path: String,
}

pub fn is_webhook_configuration(obj: &LintObject) -> bool {
    obj.kind == "ValidatingWebhookConfiguration" || obj.kind == "MutatingWebhookConfiguration"
}

pub fn webhooks(ctx: &Context<'_>) -> Vec<Webhook> {
    let mut out = Vec::new();
    for (i, obj) in ctx.objects.iter().enumerate() {
        if !is_webhook_configuration(obj) {
            continue;
        }
        for (j, w) in items(obj.get("webhooks")).into_iter().enumerate() {
            out.push(Webhook {
                object: i,
                name: string_at(&w, "name").unwrap_or_default(),
                value: w,
                path: format!("webhooks[{j}]"),
            });
        }
    }
    out
}

/// The Service a webhook calls: (namespace, name, port — 443 when unset).
pub fn service_ref(w: &Webhook) -> Option<(String, String, i64)> {
    let svc = get(&w.value, "clientConfig.service")?;
    let name = string_at(&svc, "name")?;
    let namespace = string_at(&svc, "namespace")?;
    let port = int_at(&svc, "port").unwrap_or(443);
    Some((namespace, name, port))
}

/// The chart's Service with that namespace and name.
pub fn find_service(ctx: &Context<'_>, namespace: &str, name: &str) -> Option<usize> {
    ctx.objects.iter().position(|o| {
        o.kind == "Service" && o.name == name && o.namespace.as_deref() == Some(namespace)
    })
}

/// `failurePolicy`, defaulted as the API server does (`Fail` in v1, `Ignore` in v1beta1).
pub fn failure_policy(obj: &LintObject, w: &Webhook) -> String {
    string_at(&w.value, "failurePolicy").unwrap_or_else(|| {
        if obj.api_version.ends_with("v1beta1") {
            "Ignore".into()
        } else {
            "Fail".into()
        }
    })
}
