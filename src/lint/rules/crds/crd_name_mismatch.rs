//! `crd-name-mismatch`: a CRD's name must be `<plural>.<group>`.

use super::is_crd;
use crate::lint::rules::util::string_at;
use crate::lint::{Context, Finding};

declare_rule! {
    CrdNameMismatch {
        id: "crd-name-mismatch",
        family: "crds",
        severity: Error,
        summary: "CRD `metadata.name` is not `<spec.names.plural>.<spec.group>`",
        doc: r#"## What it does
Compares a CustomResourceDefinition's `metadata.name` with `spec.names.plural` and
`spec.group`.

## Why is this bad?
The API server rejects a CRD whose name is not exactly `<plural>.<group>`, so the
install fails.

## Example
```yaml
metadata:
  name: widget.example.com   # plural is "widgets"
spec:
  group: example.com
  names:
    plural: widgets
```

## Fix
Name the CRD `<plural>.<group>` (`widgets.example.com`).
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if !is_crd(obj) {
            continue;
        }
        let (Some(plural), Some(group)) = (
            string_at(&obj.object, "spec.names.plural"),
            string_at(&obj.object, "spec.group"),
        ) else {
            continue;
        };
        let want = format!("{plural}.{group}");
        if obj.name != want {
            out.push(
                Finding::on(
                    i,
                    format!("CustomResourceDefinition {} must be named {want}", obj.name),
                )
                .field("metadata.name"),
            );
        }
    }
}
