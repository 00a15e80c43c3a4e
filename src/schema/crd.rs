//! CustomResourceDefinitions as validators: each served version's `openAPIV3Schema` is
//! checked for the structural-schema rules the API server enforces, compiled once, and
//! used for custom resources of that group/version/kind.

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value as Json;

use super::node::{compile, Schema};
use crate::lint::LintObject;
use crate::template::Value;

/// A problem with a CRD itself (not with a custom resource).
#[derive(Debug, Clone, PartialEq)]
pub struct CrdProblem {
    /// Rule id: `crd-schema-not-structural`, `crd-schema-invalid`, `cel-rule-invalid`.
    pub rule: &'static str,
    pub field: String,
    pub message: String,
}

/// One version of a CRD.
#[derive(Debug, Clone)]
pub struct CrdVersion {
    /// `metadata.name` of the CRD.
    pub crd_name: String,
    pub served: bool,
    pub deprecated: bool,
    pub deprecation_warning: Option<String>,
    /// `None` when the CRD has no usable schema for this version.
    pub schema: Option<Rc<Schema>>,
}

/// CRD versions by `(group/version, kind)`.
#[derive(Debug, Default)]
pub struct CrdIndex {
    versions: HashMap<(String, String), CrdVersion>,
}

impl CrdIndex {
    pub fn get(&self, api_version: &str, kind: &str) -> Option<&CrdVersion> {
        self.versions
            .get(&(api_version.to_string(), kind.to_string()))
    }

    /// Whether a CRD defines this group (any version), to tell "unknown version of a known
    /// CRD" from "no CRD at all".
    pub fn group_kind_versions(&self, group: &str, kind: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .versions
            .keys()
            .filter(|(gv, k)| k == kind && gv.split('/').next() == Some(group))
            .map(|(gv, _)| gv.clone())
            .collect();
        out.sort();
        out
    }

    /// Add a CRD object; returns the problems found in it.
    pub fn add(&mut self, crd: &LintObject) -> Vec<CrdProblem> {
        let compiled = compile_crd(crd);
        self.insert(&compiled);
        compiled.problems
    }

    /// Add a CRD compiled before (see [`compile_crd`]).
    pub fn insert(&mut self, compiled: &CompiledCrd) {
        for (key, version) in &compiled.versions {
            self.versions.insert(key.clone(), version.clone());
        }
    }
}

/// A CRD checked and compiled: its versions by `(group/version, kind)` and its problems.
/// Compiling is the expensive part (operator CRDs are megabytes of schema), so lint does
/// it once per CRD document and reuses it for every render.
#[derive(Debug, Clone, Default)]
pub struct CompiledCrd {
    /// `metadata.name` of the CRD (versions carry it too; a CRD may have none).
    pub name: String,
    pub versions: Vec<((String, String), CrdVersion)>,
    pub problems: Vec<CrdProblem>,
}

/// Check and compile a CRD object.
pub fn compile_crd(crd: &LintObject) -> CompiledCrd {
    let mut problems = Vec::new();
    let mut compiled = Vec::new();
    {
        let json = to_json(&crd.object);
        let spec = json.get("spec");
        let group = spec
            .and_then(|s| s.get("group"))
            .and_then(Json::as_str)
            .unwrap_or("");
        let kind = spec
            .and_then(|s| s.pointer("/names/kind"))
            .and_then(Json::as_str)
            .unwrap_or("");
        if group.is_empty() || kind.is_empty() {
            problems.push(CrdProblem {
                rule: super::RULE_CRD_SCHEMA_INVALID,
                field: "spec".to_string(),
                message: "CustomResourceDefinition needs spec.group and spec.names.kind"
                    .to_string(),
            });
            return CompiledCrd {
                name: crd.name.clone(),
                versions: compiled,
                problems,
            };
        }
        let versions = spec
            .and_then(|s| s.get("versions"))
            .and_then(Json::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for (i, v) in versions.iter().enumerate() {
            let Some(name) = v.get("name").and_then(Json::as_str) else {
                continue;
            };
            let base = format!("spec.versions[{i}].schema.openAPIV3Schema");
            let raw = v.pointer("/schema/openAPIV3Schema");
            let schema = match raw {
                None => None,
                Some(raw) => {
                    structural_problems(raw, &base, true, &mut problems);
                    rule_problems(raw, &base, &mut problems);
                    match compile(raw) {
                        Ok(s) => Some(Rc::new(s)),
                        Err(e) => {
                            problems.push(CrdProblem {
                                rule: super::RULE_CRD_SCHEMA_INVALID,
                                field: format!("{base}.{}", e.path),
                                message: format!(
                                    "schema of version {name} is invalid: {}",
                                    e.message
                                ),
                            });
                            None
                        }
                    }
                }
            };
            compiled.push((
                (format!("{group}/{name}"), kind.to_string()),
                CrdVersion {
                    crd_name: crd.name.clone(),
                    served: v.get("served").and_then(Json::as_bool).unwrap_or(false),
                    deprecated: v.get("deprecated").and_then(Json::as_bool).unwrap_or(false),
                    deprecation_warning: v
                        .get("deprecationWarning")
                        .and_then(Json::as_str)
                        .map(str::to_string),
                    schema,
                },
            ));
        }
    }
    CompiledCrd {
        name: crd.name.clone(),
        versions: compiled,
        problems,
    }
}

/// Whether an object is a CRD we can read.
pub fn is_crd(o: &LintObject) -> bool {
    o.kind == "CustomResourceDefinition" && o.api_version == "apiextensions.k8s.io/v1"
}

/// Plain JSON of a document value (numbers that are whole become integers, as the API
/// server's JSON decoder would give them).
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i, _) => Json::from(*i),
        Value::Float(f) => {
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
                Json::from(*f as i64)
            } else {
                serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number)
            }
        }
        Value::String(s) => Json::String(s.to_string()),
        Value::Bytes(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(m) => Json::Object(
            m.borrow()
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        Value::Object(o) => Json::String(o.display()),
    }
}

/// The structural-schema rules of apiextensions-apiserver (the ones that matter in
/// practice): every node that has properties, items or additionalProperties, and every
/// leaf, has a `type` unless `x-kubernetes-int-or-string` or
/// `x-kubernetes-preserve-unknown-fields` says otherwise; no `$ref`; `properties` and
/// `additionalProperties` are exclusive; no `uniqueItems: true`; int-or-string has no type;
/// the root is an object.
fn structural_problems(node: &Json, path: &str, root: bool, out: &mut Vec<CrdProblem>) {
    let Json::Object(obj) = node else {
        out.push(CrdProblem {
            rule: super::RULE_CRD_NOT_STRUCTURAL,
            field: path.to_string(),
            message: "schema must be an object".to_string(),
        });
        return;
    };
    let mut problem = |field: String, message: String| {
        out.push(CrdProblem {
            rule: super::RULE_CRD_NOT_STRUCTURAL,
            field,
            message,
        })
    };
    let ty = obj.get("type").and_then(Json::as_str).unwrap_or("");
    let int_or_string = obj
        .get("x-kubernetes-int-or-string")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let preserve = obj
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    if root && ty != "object" {
        problem(
            format!("{path}.type"),
            "type: must be object at the root".to_string(),
        );
    }
    if ty.is_empty() && !int_or_string && !preserve {
        problem(
            format!("{path}.type"),
            "must not be empty for specified fields".to_string(),
        );
    }
    if int_or_string && !ty.is_empty() {
        problem(
            format!("{path}.type"),
            "must be empty when x-kubernetes-int-or-string is true".to_string(),
        );
    }
    if obj.contains_key("$ref") {
        problem(
            format!("{path}.$ref"),
            "$ref is forbidden in CRD schemas".to_string(),
        );
    }
    if obj.contains_key("properties") && obj.contains_key("additionalProperties") {
        problem(
            format!("{path}.additionalProperties"),
            "additionalProperties and properties are mutually exclusive".to_string(),
        );
    }
    if obj.get("uniqueItems").and_then(Json::as_bool) == Some(true) {
        problem(
            format!("{path}.uniqueItems"),
            "uniqueItems cannot be set to true since the runtime complexity becomes \
             quadratic"
                .to_string(),
        );
    }
    if ty == "array" && !obj.contains_key("items") {
        problem(
            format!("{path}.items"),
            "must be specified for arrays".to_string(),
        );
    }
    if let Some(Json::Object(props)) = obj.get("properties") {
        for (name, sub) in props {
            structural_problems(sub, &format!("{path}.properties[{name}]"), false, out);
        }
    }
    if let Some(items) = obj.get("items") {
        structural_problems(items, &format!("{path}.items"), false, out);
    }
    if let Some(add @ Json::Object(_)) = obj.get("additionalProperties") {
        structural_problems(add, &format!("{path}.additionalProperties"), false, out);
    }
}

/// Rules that do not compile are CRD errors (the API server rejects the CRD).
fn rule_problems(node: &Json, path: &str, out: &mut Vec<CrdProblem>) {
    let Json::Object(obj) = node else {
        return;
    };
    if let Some(Json::Array(rules)) = obj.get("x-kubernetes-validations") {
        for (i, r) in rules.iter().enumerate() {
            let Some(rule) = r.get("rule").and_then(Json::as_str) else {
                continue;
            };
            if let Err(e) = super::cel::compile_shared(rule) {
                out.push(CrdProblem {
                    rule: super::RULE_CEL_INVALID,
                    field: format!("{path}.x-kubernetes-validations[{i}].rule"),
                    message: format!("rule {rule:?} does not compile: {e}"),
                });
            }
        }
    }
    if let Some(Json::Object(props)) = obj.get("properties") {
        for (name, sub) in props {
            rule_problems(sub, &format!("{path}.properties[{name}]"), out);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = obj.get(key) {
            rule_problems(sub, &format!("{path}.{key}"), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd(schema: &str) -> LintObject {
        let text = format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
             metadata: {{name: widgets.example.com}}\nspec:\n  group: example.com\n  \
             names: {{kind: Widget, plural: widgets}}\n  scope: Namespaced\n  versions:\n  \
             - name: v1\n    served: true\n    storage: true\n    schema:\n      \
             openAPIV3Schema: {schema}\n"
        );
        let object = crate::yaml::load_str(&text, "crd.yaml").unwrap();
        LintObject {
            api_version: "apiextensions.k8s.io/v1".into(),
            kind: "CustomResourceDefinition".into(),
            namespace: None,
            name: "widgets.example.com".into(),
            object,
            source: None,
            source_text: None,
            hook_events: vec![],
        }
    }

    #[test]
    fn indexes_versions() {
        let mut idx = CrdIndex::default();
        let problems = idx.add(&crd("{type: object, properties: {spec: {type: object}}}"));
        assert!(problems.is_empty(), "{problems:?}");
        let v = idx.get("example.com/v1", "Widget").unwrap();
        assert!(v.served && v.schema.is_some());
        assert_eq!(
            idx.group_kind_versions("example.com", "Widget"),
            vec!["example.com/v1"]
        );
    }

    #[test]
    fn non_structural_and_bad_cel_are_reported() {
        let mut idx = CrdIndex::default();
        let problems = idx.add(&crd(
            "{type: object, properties: {spec: {properties: {a: {type: string}}, \
             x-kubernetes-validations: [{rule: 'self.a =='}]}}}",
        ));
        let rules: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.rule, p.field.as_str()))
            .collect();
        assert_eq!(
            rules,
            vec![
                (
                    "crd-schema-not-structural",
                    "spec.versions[0].schema.openAPIV3Schema.properties[spec].type"
                ),
                (
                    "cel-rule-invalid",
                    "spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule"
                ),
            ]
        );
    }
}
