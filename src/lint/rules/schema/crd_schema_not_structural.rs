//! `crd-schema-not-structural`: a finding of the schema pass (see [`crate::lint::schema`]).

use crate::lint::{Context, Finding};

declare_rule! {
    CrdSchemaNotStructural {
        id: "crd-schema-not-structural",
        family: "schema",
        severity: Error,
        summary: "A CRD schema is not structural",
        doc: r#"## What it does
Checks each CRD version's `openAPIV3Schema` for the structural-schema rules of
`apiextensions.k8s.io/v1`: every field has a `type` (or `x-kubernetes-int-or-string` /
`x-kubernetes-preserve-unknown-fields`), no `type` inside `anyOf`/`allOf`/`oneOf`/`not`,
`items` set for arrays, no `additionalProperties` beside `properties`.

## Why is this bad?
The API server rejects non-structural v1 CRDs, so the chart cannot be installed.

## Example
```yaml
properties:
  size: {}    # no type
```

## Fix
Add the missing `type` (or `x-kubernetes-preserve-unknown-fields: true`); regenerate the
CRD with controller-gen.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    crate::lint::schema::emit(ctx, META.id, out);
}
