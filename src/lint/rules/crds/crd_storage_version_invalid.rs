//! `crd-storage-version-invalid`: a CRD must store exactly one version.

use super::is_crd;
use crate::lint::rules::util::{bool_at, get, items};
use crate::lint::{Context, Finding};

declare_rule! {
    CrdStorageVersionInvalid {
        id: "crd-storage-version-invalid",
        family: "crds",
        severity: Error,
        summary: "CRD does not mark exactly one version `storage: true`, or serves none",
        doc: r#"## What it does
Checks `spec.versions` of `apiextensions.k8s.io/v1` CustomResourceDefinitions: exactly
one version must have `storage: true`, and at least one must be `served`.

## Why is this bad?
The API server rejects such a CRD, so the install or upgrade fails.

## Example
```yaml
versions:
  - name: v1alpha1
    served: true
    storage: true
  - name: v1
    served: true
    storage: true
```

## Fix
Mark exactly one version (usually the newest stable one) `storage: true`.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if !is_crd(obj) || obj.api_version != "apiextensions.k8s.io/v1" {
            continue;
        }
        let versions = items(get(&obj.object, "spec.versions"));
        if versions.is_empty() {
            continue;
        }
        let storage = versions
            .iter()
            .filter(|v| bool_at(v, "storage") == Some(true))
            .count();
        let served = versions
            .iter()
            .filter(|v| bool_at(v, "served") == Some(true))
            .count();
        if storage != 1 {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "CustomResourceDefinition {} has {storage} storage versions; exactly one is required",
                        obj.name
                    ),
                )
                .field("spec.versions"),
            );
        }
        if served == 0 {
            out.push(
                Finding::on(
                    i,
                    format!("CustomResourceDefinition {} serves no version", obj.name),
                )
                .field("spec.versions"),
            );
        }
    }
}
