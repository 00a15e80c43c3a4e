//! `cel-rule-not-evaluated`: a finding of the schema pass (see [`crate::lint::schema`]).

use crate::lint::{Context, Finding};

declare_rule! {
    CelRuleNotEvaluated {
        id: "cel-rule-not-evaluated",
        family: "schema",
        severity: Info,
        summary: "An x-kubernetes-validations rule could not be evaluated offline",
        doc: r#"## What it does
Reports CEL rules that were not evaluated: transition rules (`oldSelf`) need the stored
object, and some functions (`authorizer`) need a live API server. The rule is reported
rather than silently passed.

## Why is this bad?
Nothing is wrong with the object as far as we know; the finding says that one check was
left to the API server.

## Example
```yaml
x-kubernetes-validations:
  - rule: self == oldSelf
    message: immutable
```

## Fix
Nothing to fix in the chart; turn the rule off in `.opm.yaml` if the notes are noise.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    crate::lint::schema::emit(ctx, META.id, out);
}
