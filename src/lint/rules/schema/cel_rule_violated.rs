//! `cel-rule-violated`: a finding of the schema pass (see [`crate::lint::schema`]).

use crate::lint::{Context, Finding};

declare_rule! {
    CelRuleViolated {
        id: "cel-rule-violated",
        family: "schema",
        severity: Error,
        summary: "A custom resource breaks an x-kubernetes-validations CEL rule of its CRD",
        doc: r#"## What it does
Evaluates every `x-kubernetes-validations` rule of the custom resource's CRD version with
CEL, with `self` bound to the value at the rule's place and the Kubernetes CEL libraries
(lists, strings, regex, quantity, url, ip/cidr, format). A rule that is false — or that
fails at run time the way the API server fails it (no such key) — is reported with the
rule's `message` (or `messageExpression`).

## Why is this bad?
The API server rejects the custom resource with the same message.

## Example
```yaml
# rule: self.minReplicas <= self.maxReplicas
spec:
  minReplicas: 5
  maxReplicas: 3
```

## Fix
Change the values so the rule holds; the message says what the CRD expects.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    crate::lint::schema::emit(ctx, META.id, out);
}
