//! `crd-version-not-served`: a finding of the schema pass (see [`crate::lint::schema`]).

use crate::lint::{Context, Finding};

declare_rule! {
    CrdVersionNotServed {
        id: "crd-version-not-served",
        family: "schema",
        severity: Error,
        summary: "A custom resource uses a CRD version with served: false",
        doc: r#"## What it does
Reports custom resources whose `apiVersion` names a version of their CRD that has
`served: false`.

## Why is this bad?
The API server does not serve that version: creating the resource fails with `no matches
for kind`.

## Example
```yaml
apiVersion: example.com/v1alpha1   # served: false in the CRD
kind: Widget
```

## Fix
Use a served version of the CRD.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    crate::lint::schema::emit(ctx, META.id, out);
}
