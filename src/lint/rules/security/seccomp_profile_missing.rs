//! `seccomp-profile-missing`: no RuntimeDefault (or Localhost) seccomp profile.

use super::subjects;
use crate::lint::rules::util::string_at;
use crate::lint::{Context, Finding};

declare_rule! {
    SeccompProfileMissing {
        id: "seccomp-profile-missing",
        family: "security",
        severity: Warning,
        summary: "Container has no `seccompProfile` of type RuntimeDefault or Localhost",
        doc: r#"## What it does
Reports containers whose effective `seccompProfile.type` (container, else pod) is not
`RuntimeDefault` or `Localhost`.

## Why is this bad?
Without a seccomp profile every system call is allowed, including the rarely used ones
most kernel exploits need. Required by the restricted Pod Security Standard.

## Example
```yaml
securityContext:
  runAsNonRoot: true
```

## Fix
```yaml
securityContext:        # pod level
  seccompProfile:
    type: RuntimeDefault
```
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for s in subjects(ctx) {
        let kind = s
            .inherited("seccompProfile")
            .and_then(|p| string_at(&p, "type"))
            .unwrap_or_default();
        if kind != "RuntimeDefault" && kind != "Localhost" {
            let what = if kind.is_empty() {
                "no seccompProfile".to_string()
            } else {
                format!("seccompProfile {kind}")
            };
            out.push(
                Finding::on(s.object, format!("{} has {what}", s.label(ctx))).field(format!(
                    "{}.securityContext.seccompProfile",
                    s.container.path
                )),
            );
        }
    }
}
