//! `crd-keep-toggle-ineffective`: the keep toggle is on but a CRD lacks the keep policy.

use super::{has_keep_policy, is_crd, main_crd, KEEP_ANNOTATION};
use crate::lint::{Context, Finding};

declare_rule! {
    CrdKeepToggleIneffective {
        id: "crd-keep-toggle-ineffective",
        family: "crds",
        severity: Error,
        summary: "With the CRD keep toggle on, a CRD lacks `helm.sh/resource-policy: keep`",
        doc: r#"## What it does
Renders the chart with its CRD keep toggle on (`crds.keep=true`) and reports every
CustomResourceDefinition without the annotation `helm.sh/resource-policy: keep`.

## Why is this bad?
Without the annotation `helm uninstall` deletes the CRD, and Kubernetes deletes every
custom resource of that kind with it — all user data of the operator. Users who turned the
toggle on believe they are protected.

## Example
```yaml
metadata:
  name: widgets.example.com
  # annotations only on some CRDs
```

## Fix
Put the annotation on every templated CRD, driven by the toggle:
```yaml
metadata:
  {{- if .Values.crds.keep }}
  annotations:
    helm.sh/resource-policy: keep
  {{- end }}
```
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for variant in ctx.toggles.iter().filter(|t| t.purpose == "crds-keep") {
        // The "keep on" render: the main render when its values have the toggle on (a
        // matrix file may have turned it off), else the variant if that flipped it on.
        let keys: Vec<&str> = variant.key.split('.').collect();
        let main_on = ctx.values.get_path(&keys).is_some_and(|v| v.truthy());
        let (on_objects, key_text) = if main_on {
            (ctx.objects, format!("{} on", variant.key))
        } else if variant.value.truthy() {
            match &variant.objects {
                Ok(objs) => (
                    objs.as_slice(),
                    format!("{}={}", variant.key, variant.value),
                ),
                Err(_) => continue,
            }
        } else {
            continue;
        };
        for crd in on_objects
            .iter()
            .filter(|o| is_crd(o) && !has_keep_policy(o))
        {
            let message = format!(
                "CustomResourceDefinition {} has no {KEEP_ANNOTATION}: keep annotation with {key_text}",
                crd.name
            );
            match main_crd(ctx, &crd.name) {
                Some(i) => out.push(Finding::on(i, message).field("metadata.annotations")),
                None => out.push(Finding::chart(message)),
            }
        }
    }
}
