//! JSON output, the stable contract (DESIGN.md "JSON output"):
//! `{"diagnostics":[…],"summary":{"error":N,"warning":N,"info":N}}`, pretty-printed with
//! two-space indentation and a trailing newline. Keys appear in a fixed order; absent facts
//! are omitted.

use serde::Serialize;

use super::{Diagnostic, ReportMeta, Summary};

#[derive(Serialize)]
struct Document<'a> {
    diagnostics: &'a [Diagnostic],
    summary: Summary,
}

pub fn write(diags: &[Diagnostic], _meta: &ReportMeta) -> String {
    let doc = Document {
        diagnostics: diags,
        summary: Summary::of(diags),
    };
    // Serialising plain data with string keys cannot fail; keep a valid document anyway.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| {
        "{\"diagnostics\":[],\"summary\":{\"error\":0,\"warning\":0,\"info\":0}}".to_string()
    });
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn contract_shape() {
        let (diags, meta) = fixtures::diagnostics();
        let text = write(&diags, &meta);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["summary"],
            serde_json::json!({"error": 1, "warning": 1, "info": 0})
        );
        assert_eq!(
            v["diagnostics"][1],
            serde_json::json!({
                "rule": "pdb-blocks-eviction",
                "severity": "error",
                "message": "minAvailable 1 equals the 1 replica of Deployment op: no pod can ever be evicted",
                "object": {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "namespace": "ops", "name": "op"},
                "field": "spec.minAvailable",
                "source": {"file": "templates/pdb.yaml", "line": 6, "column": 3},
                "values": "ci/prod-values.yaml",
                "help": "Use `maxUnavailable: 1` or run more replicas",
                "docs": "https://kubectl-opm.dev/rules/pdb-blocks-eviction"
            })
        );
        // Key order is part of the contract.
        let keys: Vec<&str> = v["diagnostics"][1]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "rule", "severity", "message", "object", "field", "source", "values", "help",
                "docs"
            ]
        );
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn empty() {
        assert_eq!(
            write(&[], &ReportMeta::default()),
            "{\n  \"diagnostics\": [],\n  \"summary\": {\n    \"error\": 0,\n    \"warning\": 0,\n    \"info\": 0\n  }\n}\n"
        );
    }
}
