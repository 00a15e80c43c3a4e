//! `image-pull-policy-invalid`: unknown pull policies.

use super::images;
use crate::lint::rules::util::string_at;
use crate::lint::{Context, Finding};

declare_rule! {
    ImagePullPolicyInvalid {
        id: "image-pull-policy-invalid",
        family: "images",
        severity: Error,
        summary: "`imagePullPolicy` is not Always, IfNotPresent or Never",
        doc: r#"## What it does
Reports containers whose `imagePullPolicy` is set to anything other than `Always`,
`IfNotPresent` or `Never` (the values are case-sensitive).

## Why is this bad?
The API server rejects the pod template, so the workload never starts.

## Example
```yaml
imagePullPolicy: ifNotPresent
```

## Fix
Use one of the three exact values; leave it unset to get the default.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, c, _) in images(ctx) {
        let Some(policy) = string_at(&c.value, "imagePullPolicy") else {
            continue;
        };
        if !matches!(policy.as_str(), "Always" | "IfNotPresent" | "Never") {
            out.push(
                Finding::on(
                    i,
                    format!("container {:?} has imagePullPolicy {policy:?}", c.name),
                )
                .field(format!("{}.imagePullPolicy", c.path)),
            );
        }
    }
}
