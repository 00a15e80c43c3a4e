//! `pdb-invalid-budget`: budgets the API server rejects.

use crate::lint::rules::util::{get, IntOrPercent};
use crate::lint::{Context, Finding};

declare_rule! {
    PdbInvalidBudget {
        id: "pdb-invalid-budget",
        family: "pdb",
        severity: Error,
        summary: "PodDisruptionBudget sets both minAvailable and maxUnavailable, or a malformed value",
        doc: r#"## What it does
Reports PodDisruptionBudgets that set both `minAvailable` and `maxUnavailable`, or a value
that is neither a non-negative integer nor a percentage.

## Why is this bad?
The API server rejects the object, so `helm install` fails. Charts hit this when both
values have defaults and the template renders whichever is set.

## Example
```yaml
spec:
  minAvailable: 1
  maxUnavailable: 1
```

## Fix
Render exactly one: `{{- if .Values.pdb.minAvailable }}minAvailable: …{{- else }}maxUnavailable: …{{- end }}`.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, pdb) in ctx.objects.iter().enumerate() {
        if pdb.kind != "PodDisruptionBudget" {
            continue;
        }
        let min = get(&pdb.object, "spec.minAvailable").filter(|v| !v.is_nil());
        let max = get(&pdb.object, "spec.maxUnavailable").filter(|v| !v.is_nil());
        if min.is_some() && max.is_some() {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "PodDisruptionBudget {} sets both minAvailable and maxUnavailable",
                        pdb.name
                    ),
                )
                .field("spec"),
            );
        }
        for (field, v) in [("minAvailable", min), ("maxUnavailable", max)] {
            let Some(v) = v else { continue };
            let ok = match IntOrPercent::parse(&v) {
                Some(IntOrPercent::Int(n)) => n >= 0,
                Some(IntOrPercent::Percent(p)) => (0.0..=100.0).contains(&p),
                None => false,
            };
            if !ok {
                out.push(
                    Finding::on(
                        i,
                        format!(
                            "PodDisruptionBudget {} has an invalid {field}: {v}",
                            pdb.name
                        ),
                    )
                    .field(format!("spec.{field}")),
                );
            }
        }
    }
}
