//! `image-pull-policy-never`: images that must already be on the node.

use super::images;
use crate::lint::rules::util::string_at;
use crate::lint::{Context, Finding};

declare_rule! {
    ImagePullPolicyNever {
        id: "image-pull-policy-never",
        family: "images",
        severity: Warning,
        summary: "`imagePullPolicy: Never` only works where the image was pre-loaded",
        doc: r#"## What it does
Reports containers with `imagePullPolicy: Never`.

## Why is this bad?
The kubelet never pulls the image: on any node that does not already have it (a new
node, a real cluster instead of kind/minikube) the pod fails with `ErrImageNeverPull`.
It is usually a development setting that leaked into the chart's defaults.

## Example
```yaml
imagePullPolicy: Never
```

## Fix
Default to `IfNotPresent` with a pinned tag; set `Never` only in local-development values.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, c, image) in images(ctx) {
        if string_at(&c.value, "imagePullPolicy").as_deref() == Some("Never") {
            out.push(
                Finding::on(
                    i,
                    format!("container {:?} never pulls image {image}", c.name),
                )
                .field(format!("{}.imagePullPolicy", c.path)),
            );
        }
    }
}
