//! `schema-invalid`: a finding of the schema pass (see [`crate::lint::schema`]).

use crate::lint::{Context, Finding};

declare_rule! {
    SchemaInvalid {
        id: "schema-invalid",
        family: "schema",
        severity: Error,
        summary: "A value breaks its schema (enum, pattern, bounds, format, quantity, oneOf)",
        doc: r#"## What it does
Reports values that have the right type but break the schema's other constraints: an
enum value that does not exist, a string that does not match `pattern` or `format`, a
number out of `minimum`/`maximum`, a malformed resource quantity, duplicate list-map
keys, no matching `oneOf`/`anyOf` branch, a missing `apiVersion` or `kind`.

## Why is this bad?
The API server rejects the object with `Unsupported value` or `Invalid value`.

## Example
```yaml
imagePullPolicy: Sometimes
resources:
  limits:
    cpu: lots
```

## Fix
Use a value the schema accepts; the message names the allowed values or the pattern.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    crate::lint::schema::emit(ctx, META.id, out);
}
