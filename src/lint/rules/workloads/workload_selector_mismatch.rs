//! `workload-selector-mismatch`: a workload whose selector does not match its own pods.

use crate::lint::rules::util::{
    get, label_selector_is_empty, label_selector_matches, labels, pod_template,
};
use crate::lint::{Context, Finding};

declare_rule! {
    WorkloadSelectorMismatch {
        id: "workload-selector-mismatch",
        family: "workloads",
        severity: Error,
        summary: "Deployment/StatefulSet/DaemonSet selector does not match its pod template labels",
        doc: r#"## What it does
Checks that `spec.selector` of Deployments, StatefulSets, DaemonSets and ReplicaSets is
present, not empty, and matches the labels of `spec.template`.

## Why is this bad?
The API server rejects the object (`selector does not match template labels`), so the
install fails — usually after a label was added to the selector helper but not to the
template, or the other way round.

## Example
```yaml
selector:
  matchLabels: {app.kubernetes.io/name: my-operator, app.kubernetes.io/component: controller}
template:
  metadata:
    labels: {app.kubernetes.io/name: my-operator}
```

## Fix
Render both from the same `chart.selectorLabels` helper.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if !matches!(
            obj.kind.as_str(),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
        ) || !obj.api_version.starts_with("apps/")
        {
            continue;
        }
        let Some((_, template)) = pod_template(obj) else {
            continue;
        };
        let selector = get(&obj.object, "spec.selector").filter(|s| !s.is_nil());
        let message = match selector {
            None => format!("{} {} has no spec.selector", obj.kind, obj.name),
            Some(s) if label_selector_is_empty(&s) => {
                format!("{} {} has an empty spec.selector", obj.kind, obj.name)
            }
            Some(s) if !label_selector_matches(&s, &labels(&template)) => format!(
                "{} {}: spec.selector does not match the pod template labels",
                obj.kind, obj.name
            ),
            Some(_) => continue,
        };
        out.push(Finding::on(i, message).field("spec.selector"));
    }
}
