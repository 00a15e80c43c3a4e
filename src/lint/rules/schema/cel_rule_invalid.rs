//! `cel-rule-invalid`: a finding of the schema pass (see [`crate::lint::schema`]).

use crate::lint::{Context, Finding};

declare_rule! {
    CelRuleInvalid {
        id: "cel-rule-invalid",
        family: "schema",
        severity: Error,
        summary: "A CRD's x-kubernetes-validations rule does not compile",
        doc: r#"## What it does
Compiles every `x-kubernetes-validations` rule of the CRDs the chart renders or ships in
`crds/` and reports rules that are not valid CEL.

## Why is this bad?
The API server rejects the CRD (`compilation failed`), so the chart cannot be installed.

## Example
```yaml
x-kubernetes-validations:
  - rule: "self.replicas >="
```

## Fix
Correct the expression (the message has the parser's error).
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    crate::lint::schema::emit(ctx, META.id, out);
}
