//! `hpa-invalid-range`: replica bounds the API server rejects.

use crate::lint::rules::util::int_at;
use crate::lint::{Context, Finding};

declare_rule! {
    HpaInvalidRange {
        id: "hpa-invalid-range",
        family: "scaling",
        severity: Error,
        summary: "HorizontalPodAutoscaler `minReplicas` exceeds `maxReplicas`, or `maxReplicas` < 1",
        doc: r#"## What it does
Checks `spec.minReplicas` (default 1) against `spec.maxReplicas`.

## Why is this bad?
The API server rejects the HPA (`minReplicas must be less than or equal to
maxReplicas`), failing the install — typically when a values file raises one bound only.

## Example
```yaml
minReplicas: 3
maxReplicas: 2
```

## Fix
Keep `minReplicas` ≤ `maxReplicas` in every values file.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, hpa) in ctx.objects.iter().enumerate() {
        if hpa.kind != "HorizontalPodAutoscaler" {
            continue;
        }
        let Some(max) = int_at(&hpa.object, "spec.maxReplicas") else {
            continue;
        };
        let min = int_at(&hpa.object, "spec.minReplicas").unwrap_or(1);
        if max < 1 || min > max {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "HorizontalPodAutoscaler {} has minReplicas {min} and maxReplicas {max}",
                        hpa.name
                    ),
                )
                .field("spec.maxReplicas"),
            );
        }
    }
}
