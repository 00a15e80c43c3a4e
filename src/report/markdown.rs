//! Markdown output for pull-request comments: a heading with the counts and one table row
//! per diagnostic.

use super::{Diagnostic, ReportMeta, Summary};

/// Make text safe inside a table cell: no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('\r', "")
        .replace('\n', "<br>")
}

pub fn write(diags: &[Diagnostic], meta: &ReportMeta) -> String {
    let s = Summary::of(diags);
    if diags.is_empty() {
        return format!("### {} lint: no problems found\n", meta.tool_name);
    }
    let mut out = format!(
        "### {} lint: {} error(s), {} warning(s), {} info\n\n",
        meta.tool_name, s.error, s.warning, s.info
    );
    out.push_str("| Severity | Rule | Object | Location | Message |\n|---|---|---|---|---|\n");
    for (i, d) in diags.iter().enumerate() {
        let rule = match &d.docs {
            Some(url) => format!("[`{}`]({url})", d.rule),
            None => format!("`{}`", d.rule),
        };
        let object = d
            .object
            .as_ref()
            .map(|o| match &o.namespace {
                Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
                None => format!("{} {}", o.kind, o.name),
            })
            .unwrap_or_default();
        let location = match (&d.source, meta.display_path(i, d)) {
            (Some(src), Some(path)) => format!("`{path}:{}`", src.line),
            _ => String::new(),
        };
        let mut message = d.message.clone();
        if let Some(v) = &d.values {
            message.push_str(&format!(" (values: `{v}`)"));
        }
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        out.push_str(&format!(
            "| {} | {rule} | {} | {location} | {} |\n",
            d.severity,
            cell(&object),
            cell(&message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn table() {
        let (diags, meta) = fixtures::diagnostics();
        assert_eq!(
            write(&diags, &meta),
            "### kubectl-opm lint: 1 error(s), 1 warning(s), 0 info\n\n\
| Severity | Rule | Object | Location | Message |\n|---|---|---|---|---|\n\
| warning | [`crd-toggle-missing`](https://kubectl-opm.dev/rules/crd-toggle-missing) |  |  | the chart ships CRDs in crds/ & no <toggle> \"turns\" them off |\n\
| error | [`pdb-blocks-eviction`](https://kubectl-opm.dev/rules/pdb-blocks-eviction) | PodDisruptionBudget ops/op | `charts/op/templates/pdb.yaml:6` | minAvailable 1 equals the 1 replica of Deployment op: no pod can ever be evicted (values: `ci/prod-values.yaml`)<br>help: Use `maxUnavailable: 1` or run more replicas |\n"
        );
        assert_eq!(
            write(&[], &ReportMeta::default()),
            "### kubectl-opm lint: no problems found\n"
        );
    }
}
