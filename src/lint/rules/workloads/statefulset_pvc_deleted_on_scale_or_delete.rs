//! `statefulset-pvc-deleted-on-scale-or-delete`: StatefulSets that delete their data.

use crate::lint::rules::util::{items, string_at};
use crate::lint::{Context, Finding};

declare_rule! {
    StatefulsetPvcDeletedOnScaleOrDelete {
        id: "statefulset-pvc-deleted-on-scale-or-delete",
        family: "workloads",
        severity: Warning,
        summary: "StatefulSet deletes its PersistentVolumeClaims when deleted or scaled down",
        doc: r#"## What it does
Reports StatefulSets with `volumeClaimTemplates` whose
`persistentVolumeClaimRetentionPolicy` sets `whenDeleted` or `whenScaled` to `Delete`.

## Why is this bad?
For data-bearing workloads (databases, queues, the operator's own state) a
`helm uninstall`, a renamed release or a scale-down deletes the volumes and the data
with them, with no way back.

## Example
```yaml
persistentVolumeClaimRetentionPolicy:
  whenDeleted: Delete
```

## Fix
Keep the default `Retain` (make `Delete` an explicit opt-in value for throw-away
environments).
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if obj.kind != "StatefulSet" || items(obj.get("spec.volumeClaimTemplates")).is_empty() {
            continue;
        }
        for when in ["whenDeleted", "whenScaled"] {
            let path = format!("spec.persistentVolumeClaimRetentionPolicy.{when}");
            if string_at(&obj.object, &path).as_deref() == Some("Delete") {
                out.push(
                    Finding::on(
                        i,
                        format!(
                            "StatefulSet {} deletes its PersistentVolumeClaims ({when}: Delete)",
                            obj.name
                        ),
                    )
                    .field(path),
                );
            }
        }
    }
}
