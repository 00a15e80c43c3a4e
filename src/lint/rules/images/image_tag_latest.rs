//! `image-tag-latest`: images on `latest` or without a tag.

use super::{has_digest, images, tag};
use crate::lint::{Context, Finding};

declare_rule! {
    ImageTagLatest {
        id: "image-tag-latest",
        family: "images",
        severity: Warning,
        summary: "Image uses the `latest` tag or no tag and no digest",
        doc: r#"## What it does
Reports container images with the tag `latest`, or with neither a tag nor a digest
(which means `latest`).

## Why is this bad?
The version that runs depends on when each node pulled it: replicas run different code,
rollbacks do not roll back, and the chart's `appVersion` means nothing.

## Example
```yaml
image: ghcr.io/example/operator
```

## Fix
Pin a version, defaulting to the chart's appVersion:
`image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"`,
or a digest (`@sha256:…`).
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, c, image) in images(ctx) {
        if image.is_empty() || has_digest(&image) {
            continue;
        }
        let why = match tag(&image) {
            None => "has no tag (so latest)",
            Some("latest") => "uses the latest tag",
            Some(_) => continue,
        };
        out.push(
            Finding::on(i, format!("image {image} of container {:?} {why}", c.name))
                .field(format!("{}.image", c.path)),
        );
    }
}
