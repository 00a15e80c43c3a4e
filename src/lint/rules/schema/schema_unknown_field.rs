//! `schema-unknown-field`: a finding of the schema pass (see [`crate::lint::schema`]).

use crate::lint::{Context, Finding};

declare_rule! {
    SchemaUnknownField {
        id: "schema-unknown-field",
        family: "schema",
        severity: Error,
        summary: "A field the schema does not know (kubectl strict validation)",
        doc: r#"## What it does
Reports fields that the kind's schema does not define, like `kubectl apply
--validate=strict` does. Custom resources are checked against their CRD (fields under
`x-kubernetes-preserve-unknown-fields` are allowed).

## Why is this bad?
The API server drops unknown fields (or rejects them with strict field validation): a
misspelt `imagePullPolicy` or a field at the wrong indentation silently does nothing.

## Example
```yaml
containers:
  - name: manager
    resource:        # should be `resources`
      limits: {memory: 128Mi}
```

## Fix
Correct the field name or its indentation (`nindent` count) in the template.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    crate::lint::schema::emit(ctx, META.id, out);
}
