//! `schema-type-mismatch`: a finding of the schema pass (see [`crate::lint::schema`]).

use crate::lint::{Context, Finding};

declare_rule! {
    SchemaTypeMismatch {
        id: "schema-type-mismatch",
        family: "schema",
        severity: Error,
        summary: "A field has the wrong type for its schema",
        doc: r#"## What it does
Validates every rendered object against the schema of its kind for the target
`--kube-version` (built-in kinds: the embedded Kubernetes OpenAPI schemas; custom
resources: their CRD's structural schema) and reports fields whose value has the wrong
type: a string where an integer is expected, a map where a list is expected, a quoted
`"true"` for a boolean.

## Why is this bad?
The API server rejects the object (`cannot unmarshal string into Go struct field`), so
`helm install` fails — often only for the values that take this template branch.

## Example
```yaml
spec:
  replicas: "3"   # a string from `quote`
```

## Fix
Render the value with the right type: drop `quote`, use `int`/`toYaml`, or fix the
values file.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    crate::lint::schema::emit(ctx, META.id, out);
}
