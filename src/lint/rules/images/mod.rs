//! Image rules: references that are valid, pinned, and pulled sensibly.

pub mod image_invalid_reference;
pub mod image_pull_policy_invalid;
pub mod image_pull_policy_never;
pub mod image_tag_latest;

use super::util::{containers, pod_template, string_at, Container};
use crate::lint::Context;

/// Every container (init included) with its image string, when set.
pub fn images(ctx: &Context<'_>) -> Vec<(usize, Container, String)> {
    let mut out = Vec::new();
    for (i, obj) in ctx.objects.iter().enumerate() {
        let Some((path, template)) = pod_template(obj) else {
            continue;
        };
        for c in containers(&path, &template, true) {
            let image = string_at(&c.value, "image").unwrap_or_default();
            out.push((i, c, image));
        }
    }
    out
}

/// The tag of an image reference (`None` for no tag), ignoring a registry port.
pub fn tag(image: &str) -> Option<&str> {
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split_once(':').map(|(_, t)| t)
}

pub fn has_digest(image: &str) -> bool {
    image.contains("@sha256:")
}
