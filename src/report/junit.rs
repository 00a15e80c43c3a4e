//! JUnit XML for CI test reports: one `<testsuite>` per linted target and values file, one
//! `<testcase>` per rule × object with a finding (a `<failure>` when the finding is at or
//! above `--fail-on`, otherwise a passing case whose `<system-out>` carries the finding),
//! and one passing `<testcase>` per rule that found nothing in that suite.

use std::collections::BTreeSet;

use super::{Diagnostic, ReportMeta};

/// Escape text for XML attributes and content.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

struct Suite<'a> {
    name: String,
    root: &'a str,
    values: Option<&'a str>,
}

pub fn write(diags: &[Diagnostic], meta: &ReportMeta) -> String {
    // Suites in a stable order: targets as given, then any (root, values) the diagnostics add.
    let mut keys: Vec<(&str, Option<&str>)> = Vec::new();
    for t in &meta.targets {
        keys.push((t.as_str(), None));
    }
    for (i, d) in diags.iter().enumerate() {
        let key = (meta.root(i), d.values.as_deref());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        keys.push(("", None));
    }
    let suites: Vec<Suite<'_>> = keys
        .into_iter()
        .map(|(root, values)| {
            let base = if root.is_empty() { "." } else { root };
            Suite {
                name: match values {
                    Some(v) => format!("{base} [{v}]"),
                    None => base.to_string(),
                },
                root,
                values,
            }
        })
        .collect();

    let mut body = String::new();
    let (mut total_tests, mut total_failures) = (0, 0);
    for suite in &suites {
        let members: Vec<(usize, &Diagnostic)> = diags
            .iter()
            .enumerate()
            .filter(|(i, d)| meta.root(*i) == suite.root && d.values.as_deref() == suite.values)
            .collect();
        let mut cases = String::new();
        let (mut tests, mut failures) = (0, 0);
        let mut rules_with_findings = BTreeSet::new();
        for (i, d) in &members {
            rules_with_findings.insert(d.rule.as_str());
            tests += 1;
            let object = d
                .object
                .as_ref()
                .map(|o| match &o.namespace {
                    Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
                    None => format!("{} {}", o.kind, o.name),
                })
                .unwrap_or_else(|| "chart".to_string());
            let location = match (&d.source, meta.display_path(*i, d)) {
                (Some(src), Some(path)) => format!("{path}:{}", src.line),
                _ => String::new(),
            };
            let mut detail = format!("{}: {}", d.severity, d.message);
            if !location.is_empty() {
                detail.push_str(&format!("\nat {location}"));
            }
            if let Some(f) = &d.field {
                detail.push_str(&format!("\nfield: {f}"));
            }
            if let Some(h) = &d.help {
                detail.push_str(&format!("\nhelp: {h}"));
            }
            let open = format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(&d.rule),
                xml(&object)
            );
            let file_attr = d
                .source
                .as_ref()
                .zip(meta.display_path(*i, d))
                .map(|(s, p)| format!(" file=\"{}\" line=\"{}\"", xml(&p), s.line))
                .unwrap_or_default();
            if d.severity >= meta.fail_on {
                failures += 1;
                cases.push_str(&format!(
                    "{open}{file_attr}>\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    d.severity,
                    xml(&d.message),
                    xml(&detail)
                ));
            } else {
                cases.push_str(&format!(
                    "{open}{file_attr}>\n      <system-out>{}</system-out>\n    </testcase>\n",
                    xml(&detail)
                ));
            }
        }
        for r in &meta.rules {
            if !rules_with_findings.contains(r.id.as_str()) {
                tests += 1;
                cases.push_str(&format!(
                    "    <testcase classname=\"{}\" name=\"{}\"/>\n",
                    xml(&r.id),
                    xml(&r.summary)
                ));
            }
        }
        total_tests += tests;
        total_failures += failures;
        body.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n",
            xml(&suite.name)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{} lint\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"0\">\n{body}</testsuites>\n",
        xml(&meta.tool_name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn suites_per_target_and_values() {
        let (diags, meta) = fixtures::diagnostics();
        assert_eq!(
            write(&diags, &meta),
            r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="kubectl-opm lint" tests="4" failures="1" errors="0">
  <testsuite name="charts/op" tests="2" failures="0" errors="0" skipped="0">
    <testcase classname="crd-toggle-missing" name="chart">
      <system-out>warning: the chart ships CRDs in crds/ &amp; no &lt;toggle&gt; &quot;turns&quot; them off</system-out>
    </testcase>
    <testcase classname="pdb-blocks-eviction" name="pdb-blocks-eviction summary"/>
  </testsuite>
  <testsuite name="charts/op [ci/prod-values.yaml]" tests="2" failures="1" errors="0" skipped="0">
    <testcase classname="pdb-blocks-eviction" name="PodDisruptionBudget ops/op" file="charts/op/templates/pdb.yaml" line="6">
      <failure type="error" message="minAvailable 1 equals the 1 replica of Deployment op: no pod can ever be evicted">error: minAvailable 1 equals the 1 replica of Deployment op: no pod can ever be evicted
at charts/op/templates/pdb.yaml:6
field: spec.minAvailable
help: Use `maxUnavailable: 1` or run more replicas</failure>
    </testcase>
    <testcase classname="crd-toggle-missing" name="crd-toggle-missing summary"/>
  </testsuite>
</testsuites>
"#
        );
    }

    #[test]
    fn empty_run_is_one_passing_suite() {
        let text = write(&[], &ReportMeta::default());
        assert!(
            text.contains("<testsuite name=\".\" tests=\"0\" failures=\"0\""),
            "{text}"
        );
        assert_eq!(xml("a\u{1}b"), "a\u{FFFD}b");
    }
}
