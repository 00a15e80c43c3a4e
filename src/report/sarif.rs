//! SARIF 2.1.0 output (GitHub code scanning and other SARIF viewers): one run, the rules in
//! `tool.driver.rules`, one result per diagnostic with a physical location (the template
//! line) and a logical location (the Kubernetes object). Checked against the official
//! schema in the tests.

use serde_json::{json, Map, Value};

use super::{Diagnostic, ReportMeta, RuleInfo, Severity};

/// SARIF's level for a severity (`note` is SARIF's word for info).
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The first paragraph of a doc section (`## What it does`), for `fullDescription`.
fn section_text(doc: &str, heading: &str) -> Option<String> {
    let mut lines = doc.lines();
    lines.find(|l| l.trim_end() == heading)?;
    let text: Vec<&str> = lines
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("## "))
        .map(str::trim)
        .collect();
    let text = text.join(" ");
    (!text.is_empty()).then_some(text)
}

fn rule_descriptor(r: &RuleInfo) -> Value {
    let full = section_text(&r.doc, "## What it does").unwrap_or_else(|| r.summary.clone());
    json!({
        "id": r.id,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": full},
        "help": {"text": r.doc.trim(), "markdown": r.doc.trim()},
        "helpUri": r.docs_url,
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {"tags": [r.family]},
    })
}

fn result(i: usize, d: &Diagnostic, meta: &ReportMeta) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(d.rule));
    if let Some(index) = meta.rules.iter().position(|x| x.id == d.rule) {
        r.insert("ruleIndex".into(), json!(index));
    }
    r.insert("level".into(), json!(level(d.severity)));
    r.insert("message".into(), json!({"text": d.message}));
    let mut location = Map::new();
    if let (Some(src), Some(path)) = (&d.source, meta.display_path(i, d)) {
        let mut region = Map::new();
        region.insert("startLine".into(), json!(src.line.max(1)));
        if let Some(c) = src.column {
            region.insert("startColumn".into(), json!(c.max(1)));
        }
        location.insert(
            "physicalLocation".into(),
            json!({"artifactLocation": {"uri": path}, "region": region}),
        );
    }
    if let Some(o) = &d.object {
        let fqn = match &o.namespace {
            Some(ns) => format!("{ns}/{}/{}", o.kind, o.name),
            None => format!("{}/{}", o.kind, o.name),
        };
        location.insert(
            "logicalLocations".into(),
            json!([{"name": o.name, "fullyQualifiedName": fqn, "kind": "resource"}]),
        );
    }
    if !location.is_empty() {
        r.insert("locations".into(), json!([location]));
    }
    let mut props = Map::new();
    if let Some(o) = &d.object {
        props.insert("apiVersion".into(), json!(o.api_version));
    }
    if let Some(f) = &d.field {
        props.insert("field".into(), json!(f));
    }
    if let Some(v) = &d.values {
        props.insert("values".into(), json!(v));
    }
    if let Some(h) = &d.help {
        props.insert("help".into(), json!(h));
    }
    if !props.is_empty() {
        r.insert("properties".into(), Value::Object(props));
    }
    Value::Object(r)
}

pub fn write(diags: &[Diagnostic], meta: &ReportMeta) -> String {
    let rules: Vec<Value> = meta.rules.iter().map(rule_descriptor).collect();
    let results: Vec<Value> = diags
        .iter()
        .enumerate()
        .map(|(i, d)| result(i, d, meta))
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": meta.tool_name,
                "version": meta.tool_version,
                "informationUri": "https://kubectl-opm.dev",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn results_and_rules() {
        let (diags, meta) = fixtures::diagnostics();
        let v: Value = serde_json::from_str(&write(&diags, &meta)).unwrap();
        let run = &v["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["id"],
            "pdb-blocks-eviction"
        );
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["fullDescription"]["text"],
            "pdb-blocks-eviction."
        );
        assert_eq!(
            run["results"][1],
            json!({
                "ruleId": "pdb-blocks-eviction",
                "ruleIndex": 0,
                "level": "error",
                "message": {"text": "minAvailable 1 equals the 1 replica of Deployment op: no pod can ever be evicted"},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": "charts/op/templates/pdb.yaml"},
                        "region": {"startLine": 6, "startColumn": 3}
                    },
                    "logicalLocations": [{"name": "op", "fullyQualifiedName": "ops/PodDisruptionBudget/op", "kind": "resource"}]
                }],
                "properties": {"apiVersion": "policy/v1", "field": "spec.minAvailable", "values": "ci/prod-values.yaml", "help": "Use `maxUnavailable: 1` or run more replicas"}
            })
        );
        assert_eq!(run["results"][0]["level"], "warning");
        assert!(run["results"][0].get("locations").is_none());
    }

    /// The output validates against the official SARIF 2.1.0 schema
    /// (testdata/schemas/sarif-2.1.0.json, fetched by scripts/fetch-sarif-schema.sh).
    #[test]
    fn validates_against_sarif_schema() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/schemas/sarif-2.1.0.json");
        let mut schema: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        // The schema's `language` patterns have a stray `]` that ECMAScript regexes accept
        // as a literal and Rust's do not; escape it (we never emit `language`).
        let fixed = escape_stray_bracket(&mut schema);
        assert_eq!(fixed, 2, "expected the two `language` patterns");
        let validator = jsonschema::validator_for(&schema).unwrap();
        let (diags, meta) = fixtures::diagnostics();
        for (d, m) in [
            (diags.clone(), meta.clone()),
            (Vec::new(), ReportMeta::default()),
        ] {
            let doc: Value = serde_json::from_str(&write(&d, &m)).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&doc)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{errors:#?}");
        }
        // The validator does catch a broken document.
        let mut bad: Value = serde_json::from_str(&write(&diags, &meta)).unwrap();
        bad["runs"][0]["results"][1]["level"] = json!("fatal");
        assert!(!validator.is_valid(&bad));
    }

    fn escape_stray_bracket(v: &mut Value) -> usize {
        const BAD: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
        match v {
            Value::Object(m) => {
                let mut n = 0;
                for (k, child) in m.iter_mut() {
                    if k == "pattern" && child == BAD {
                        *child = json!("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$");
                        n += 1;
                    } else {
                        n += escape_stray_bracket(child);
                    }
                }
                n
            }
            Value::Array(a) => a.iter_mut().map(escape_stray_bracket).sum(),
            _ => 0,
        }
    }
}
