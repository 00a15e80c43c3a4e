//! `crd-toggle-ineffective`: switching the CRD toggle off still renders CRDs.

use super::{is_crd, main_crd};
use crate::lint::{Context, Finding};

declare_rule! {
    CrdToggleIneffective {
        id: "crd-toggle-ineffective",
        family: "crds",
        severity: Error,
        summary: "CRD install toggle set to off still renders CustomResourceDefinitions",
        doc: r#"## What it does
Renders the chart with its CRD toggle switched off (`crds.install=false`, or whatever key
the chart uses) and reports every CustomResourceDefinition that is still rendered.

## Why is this bad?
Users set the toggle precisely because the CRDs are owned elsewhere (another release, a
GitOps repo). If CRDs are still rendered, Helm refuses to install (`exists and cannot be
imported into the current release`) or, worse, takes ownership and deletes them — with
every custom resource — on uninstall.

## Example
```yaml
{{- if .Values.crds.install }}
# crd-a.yaml is guarded …
{{- end }}
---
# … but crd-b.yaml in another template is not
kind: CustomResourceDefinition
```

## Fix
Guard every templated CRD with the same toggle (including CRDs loaded with
`.Files.Get`), e.g. `{{- if .Values.crds.install }}` around each document.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for variant in ctx.toggles.iter().filter(|t| t.purpose == "crds") {
        // The "off" render is the variant when the toggle was flipped to false, or the main
        // render when the chart defaults to off and the variant switched it on.
        // Decided by the values the main render really used: a matrix file may have set
        // the toggle either way.
        let keys: Vec<&str> = variant.key.split('.').collect();
        let main_off = !ctx.values.get_path(&keys).is_some_and(|v| v.truthy());
        let (off_objects, variant_is_off) = if main_off {
            (ctx.objects, false)
        } else if !variant.value.truthy() {
            match &variant.objects {
                Ok(objs) => (objs.as_slice(), true),
                Err(_) => continue,
            }
        } else {
            continue;
        };
        for crd in off_objects.iter().filter(|o| is_crd(o)) {
            let message = format!(
                "CustomResourceDefinition {} is still rendered with {}={}",
                crd.name,
                variant.key,
                if variant_is_off {
                    variant.value.to_string()
                } else {
                    "off".to_string()
                }
            );
            match main_crd(ctx, &crd.name) {
                Some(i) => out.push(Finding::on(i, message)),
                None => out.push(Finding::chart(message)),
            }
        }
    }
}
