//! `image-invalid-reference`: image references that cannot be pulled.

use super::images;
use crate::lint::{Context, Finding};

declare_rule! {
    ImageInvalidReference {
        id: "image-invalid-reference",
        family: "images",
        severity: Error,
        summary: "Container image is empty or malformed (empty tag, empty repository, spaces)",
        doc: r#"## What it does
Reports container images that are empty or not valid references: a trailing `:` or `@`
(empty tag or digest), a leading `:` or `/` (empty repository), upper-case repository
names, or whitespace.

## Why is this bad?
The API server rejects an empty image; malformed ones give `InvalidImageName` and the pod
never starts. This is what a template renders when a values key is misspelt
(`{{ .Values.image.repo }}:{{ .Values.image.tag }}`).

## Example
```yaml
image: "ghcr.io/example/operator:"
```

## Fix
Fix the values keys, and default the tag: `{{ .Values.image.tag | default .Chart.AppVersion }}`.
"#,
    }
}

fn problem(image: &str) -> Option<&'static str> {
    if image.trim().is_empty() {
        return Some("is empty");
    }
    if image.chars().any(char::is_whitespace) {
        return Some("contains whitespace");
    }
    if image.ends_with(':') || image.ends_with('@') {
        return Some("has an empty tag or digest");
    }
    if image.starts_with(':') || image.starts_with('/') || image.starts_with('@') {
        return Some("has an empty repository");
    }
    let name = image.split(['@']).next().unwrap_or(image);
    let path = match name.rsplit_once('/') {
        Some((_, last)) => last.split(':').next().unwrap_or(last),
        None => name.split(':').next().unwrap_or(name),
    };
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Some("has upper-case letters in the repository name");
    }
    None
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, c, image) in images(ctx) {
        if let Some(why) = problem(&image) {
            out.push(
                Finding::on(
                    i,
                    format!("image {image:?} of container {:?} {why}", c.name),
                )
                .field(format!("{}.image", c.path)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn judges_references_like_the_runtime() {
        assert_eq!(problem("ghcr.io/x/op:v1"), None);
        assert_eq!(problem("localhost:5000/op"), None);
        assert_eq!(problem("op@sha256:abc"), None);
        assert_eq!(problem("op:"), Some("has an empty tag or digest"));
        assert_eq!(problem(":v1"), Some("has an empty repository"));
        assert_eq!(problem(""), Some("is empty"));
        assert_eq!(
            problem("Example/Op:v1"),
            Some("has upper-case letters in the repository name")
        );
    }
}
