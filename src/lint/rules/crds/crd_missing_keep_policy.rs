//! `crd-missing-keep-policy`: a templated CRD that `helm uninstall` would delete.

use super::{has_keep_policy, is_crd, KEEP_ANNOTATION};
use crate::lint::{Context, Finding};

declare_rule! {
    CrdMissingKeepPolicy {
        id: "crd-missing-keep-policy",
        family: "crds",
        severity: Warning,
        summary: "Templated CRD without `helm.sh/resource-policy: keep` and no keep toggle",
        doc: r#"## What it does
Reports a CustomResourceDefinition rendered from `templates/` that carries no
`helm.sh/resource-policy: keep` annotation when the chart has no toggle (such as
`crds.keep`) to add it.

## Why is this bad?
Helm deletes templated resources on `helm uninstall`. Deleting a CRD deletes every custom
resource of that kind in the cluster: an uninstall (or a release renamed by mistake)
wipes the operator's user data.

## Example
```yaml
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
```

## Fix
Add a `crds.keep` value (default `true`) and render the annotation from it:
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
    if ctx.chart.is_none() || ctx.toggles.iter().any(|t| t.purpose == "crds-keep") {
        return;
    }
    for (i, obj) in ctx.objects.iter().enumerate() {
        let from_crds_dir = obj
            .source
            .as_ref()
            .is_some_and(|s| s.file.starts_with("crds/"));
        if is_crd(obj) && !from_crds_dir && !has_keep_policy(obj) {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "CustomResourceDefinition {} has no {KEEP_ANNOTATION}: keep annotation; helm uninstall deletes it and every {} object",
                        obj.name,
                        super::super::util::string_at(&obj.object, "spec.names.kind")
                            .unwrap_or_else(|| "custom".to_string())
                    ),
                )
                .field("metadata.annotations"),
            );
        }
    }
}
