//! `webhook-catches-kube-system`: webhooks intercepting the control plane's own objects.

use super::webhooks;
use crate::lint::rules::util::{get, items, label_selector_matches, strings_at};
use crate::lint::{Context, Finding};

declare_rule! {
    WebhookCatchesKubeSystem {
        id: "webhook-catches-kube-system",
        family: "webhooks",
        severity: Warning,
        summary: "Webhook on built-in resources does not exclude kube-system",
        doc: r#"## What it does
Evaluates each webhook's `namespaceSelector` (and `objectSelector`) against the
`kube-system` namespace (label `kubernetes.io/metadata.name: kube-system`) and reports
webhooks on built-in API groups (`""`, `apps`, `batch`, `*.k8s.io`, `*`) that would
intercept requests there.

## Why is this bad?
When the webhook is down, system components in kube-system (CoreDNS, CNI, kube-proxy)
cannot be updated or rescheduled, and with `failurePolicy: Fail` the cluster can
deadlock — including the webhook's own pods if they need something from kube-system.

## Example
```yaml
rules:
  - apiGroups: [""]
    resources: ["pods"]
# no namespaceSelector
```

## Fix
```yaml
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: ["kube-system"]
```
"#,
    }
}

fn builtin_group(group: &str) -> bool {
    group.is_empty() || group == "*" || !group.contains('.') || group.ends_with(".k8s.io")
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    let kube_system = [(
        "kubernetes.io/metadata.name".to_string(),
        "kube-system".to_string(),
    )];
    for w in webhooks(ctx) {
        let ns_selector = get(&w.value, "namespaceSelector").unwrap_or_default();
        if !label_selector_matches(&ns_selector, &kube_system) {
            continue;
        }
        // An object selector that needs some label lets unlabelled system objects through.
        let obj_selector = get(&w.value, "objectSelector").unwrap_or_default();
        if !label_selector_matches(&obj_selector, &[]) {
            continue;
        }
        let rules = items(get(&w.value, "rules"));
        let builtin: Vec<String> = rules
            .iter()
            .flat_map(|r| strings_at(r, "apiGroups"))
            .filter(|g| builtin_group(g))
            .collect();
        if builtin.is_empty() {
            continue;
        }
        let resources: Vec<String> = rules
            .iter()
            .flat_map(|r| strings_at(r, "resources"))
            .collect();
        out.push(
            Finding::on(
                w.object,
                format!(
                    "webhook {} intercepts {resources:?} in kube-system (namespaceSelector does not exclude it)",
                    w.name
                ),
            )
            .field(format!("{}.namespaceSelector", w.path)),
        );
    }
}
