//! `crd-schema-invalid`: a finding of the schema pass (see [`crate::lint::schema`]).

use crate::lint::{Context, Finding};

declare_rule! {
    CrdSchemaInvalid {
        id: "crd-schema-invalid",
        family: "schema",
        severity: Error,
        summary: "A CRD schema cannot be compiled (bad pattern, bad default, …)",
        doc: r#"## What it does
Reports CRD versions whose schema cannot be used: a `pattern` that is not a valid regular
expression, a missing `openAPIV3Schema`, a malformed `x-kubernetes-validations` entry.

## Why is this bad?
The API server rejects the CRD, and custom resources of that version cannot be validated.

## Example
```yaml
name:
  type: string
  pattern: "[a-z"
```

## Fix
Correct the schema (regenerate it with controller-gen).
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    crate::lint::schema::emit(ctx, META.id, out);
}
