//! `schema-required-missing`: a finding of the schema pass (see [`crate::lint::schema`]).

use crate::lint::{Context, Finding};

declare_rule! {
    SchemaRequiredMissing {
        id: "schema-required-missing",
        family: "schema",
        severity: Error,
        summary: "A field the schema requires is absent",
        doc: r#"## What it does
Reports required fields that are missing from a rendered object: a container without
`name`, a Service port without `port`, a custom resource without a field its CRD
requires.

## Why is this bad?
The API server rejects the object with `Required value`, so the install or upgrade fails.

## Example
```yaml
containers:
  - image: ghcr.io/example/manager:v1   # no name
```

## Fix
Render the required field (guard it with `required` if it comes from values).
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    crate::lint::schema::emit(ctx, META.id, out);
}
