//! `statefulset-pvc-retention-missing`: no explicit PVC retention policy.

use crate::lint::rules::util::{get, items};
use crate::lint::{Context, Finding};

declare_rule! {
    StatefulsetPvcRetentionMissing {
        id: "statefulset-pvc-retention-missing",
        family: "workloads",
        severity: Info,
        summary: "StatefulSet with volumeClaimTemplates has no explicit persistentVolumeClaimRetentionPolicy",
        doc: r#"## What it does
Reports StatefulSets with `volumeClaimTemplates` that do not state a
`persistentVolumeClaimRetentionPolicy`.

## Why is this bad?
What happens to the data on uninstall and scale-down is then implicit (Retain), and
users of a data-bearing operator cannot see or choose it from the values.

## Example
```yaml
kind: StatefulSet
spec:
  volumeClaimTemplates: [...]
```

## Fix
```yaml
persistentVolumeClaimRetentionPolicy:
  whenDeleted: {{ .Values.persistence.whenDeleted | default "Retain" }}
  whenScaled: Retain
```
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if obj.kind != "StatefulSet" || items(obj.get("spec.volumeClaimTemplates")).is_empty() {
            continue;
        }
        if get(&obj.object, "spec.persistentVolumeClaimRetentionPolicy").is_none_or(|v| v.is_nil())
        {
            out.push(
                Finding::on(
                    i,
                    format!(
                        "StatefulSet {} does not state a PVC retention policy",
                        obj.name
                    ),
                )
                .field("spec.persistentVolumeClaimRetentionPolicy"),
            );
        }
    }
}
