//! `values.schema.json` of a scaffolded chart: types and ranges of every value the templates
//! use, so `helm install` rejects a typo'd or mistyped value before anything reaches the
//! cluster. Objects whose keys are all known refuse unknown keys.

use serde_json::{json, Map, Value};

use super::CreateOptions;

/// The JSON Schema (draft 7) for the chart's values, pretty-printed with a final newline.
pub fn values_schema(opts: &CreateOptions) -> String {
    let string = json!({"type": "string"});
    let boolean = json!({"type": "boolean"});
    let port = json!({"type": "integer", "minimum": 1, "maximum": 65535});
    let mut props = Map::new();
    props.insert("nameOverride".into(), string.clone());
    props.insert("fullnameOverride".into(), string.clone());
    props.insert(
        "crds".into(),
        closed(json!({"install": boolean, "keep": boolean})),
    );
    props.insert(
        "image".into(),
        closed(json!({
            "repository": {"type": "string", "minLength": 1},
            "tag": string,
            "pullPolicy": {"type": "string", "enum": ["Always", "IfNotPresent", "Never"]},
        })),
    );
    props.insert(
        "imagePullSecrets".into(),
        json!({"type": "array", "items": {"type": "object"}}),
    );
    props.insert(
        "replicaCount".into(),
        json!({"type": "integer", "minimum": 0}),
    );
    props.insert("leaderElection".into(), closed(json!({"enabled": boolean})));
    props.insert(
        "logLevel".into(),
        json!({"type": "string", "enum": ["debug", "info", "error"]}),
    );
    props.insert(
        "serviceAccount".into(),
        closed(json!({"create": boolean, "name": string, "annotations": {"type": "object"}})),
    );
    props.insert("rbac".into(), closed(json!({"create": boolean})));
    props.insert(
        "podDisruptionBudget".into(),
        closed(json!({
            "enabled": boolean,
            "maxUnavailable": {"type": ["integer", "string"]},
        })),
    );
    props.insert("resources".into(), json!({"type": "object"}));
    props.insert("podAnnotations".into(), json!({"type": "object"}));
    props.insert("healthPort".into(), port.clone());
    if opts.metrics {
        props.insert(
            "metrics".into(),
            closed(json!({
                "enabled": boolean,
                "port": port,
                "serviceMonitor": closed(json!({
                    "enabled": boolean,
                    "interval": {"type": "string", "pattern": "^([0-9]+(ms|s|m|h))+$"},
                })),
                "prometheusRule": closed(json!({"enabled": boolean})),
            })),
        );
    }
    if opts.webhooks {
        props.insert(
            "webhook".into(),
            closed(json!({
                "enabled": boolean,
                "port": port,
                "failurePolicy": {"type": "string", "enum": ["Fail", "Ignore"]},
                "timeoutSeconds": {"type": "integer", "minimum": 1, "maximum": 30},
            })),
        );
    }
    props.insert("networkPolicy".into(), closed(json!({"enabled": boolean})));
    props.insert("nodeSelector".into(), json!({"type": "object"}));
    props.insert("tolerations".into(), json!({"type": "array"}));
    props.insert("affinity".into(), json!({"type": "object"}));
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": format!("Values of the {} chart", opts.name),
        "type": "object",
        "properties": Value::Object(props),
    });
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// An object schema with exactly these properties.
fn closed(properties: Value) -> Value {
    json!({"type": "object", "additionalProperties": false, "properties": properties})
}
