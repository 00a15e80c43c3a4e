//! GitHub Actions workflow commands: one `::error file=…,line=…,col=…,title=rule::message`
//! per diagnostic (`::warning`, `::notice` for info), so findings appear as annotations on
//! the pull request's changed lines.

use super::{Diagnostic, ReportMeta, Severity};

/// Escape a command's message (`%`, CR, LF), as the Actions runner expects.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value: also `:` and `,`, which delimit properties.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(diags: &[Diagnostic], meta: &ReportMeta) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if let (Some(src), Some(path)) = (&d.source, meta.display_path(i, d)) {
            props.push(format!("file={}", escape_property(&path)));
            props.push(format!("line={}", src.line));
            if let Some(c) = src.column {
                props.push(format!("col={c}"));
            }
        }
        props.push(format!("title={}", escape_property(&d.rule)));
        let mut message = match &d.object {
            Some(o) => match &o.namespace {
                Some(ns) => format!("{} {ns}/{}: {}", o.kind, o.name, d.message),
                None => format!("{} {}: {}", o.kind, o.name, d.message),
            },
            None => d.message.clone(),
        };
        if let Some(v) = &d.values {
            message.push_str(&format!(" (values: {v})"));
        }
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        out.push_str(&format!(
            "::{command} {}::{}\n",
            props.join(","),
            escape_data(&message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn workflow_commands() {
        let (diags, meta) = fixtures::diagnostics();
        assert_eq!(
            write(&diags, &meta),
            "::warning title=crd-toggle-missing::the chart ships CRDs in crds/ & no <toggle> \"turns\" them off\n\
::error file=charts/op/templates/pdb.yaml,line=6,col=3,title=pdb-blocks-eviction::PodDisruptionBudget ops/op: minAvailable 1 equals the 1 replica of Deployment op: no pod can ever be evicted (values: ci/prod-values.yaml)%0Ahelp: Use `maxUnavailable: 1` or run more replicas\n"
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50%\r\nx"), "50%25%0D%0Ax");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
