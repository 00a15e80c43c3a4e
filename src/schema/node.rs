//! Compiled schemas: the subset of JSON Schema / OpenAPI v3 that Kubernetes uses, plus the
//! `x-kubernetes-*` extensions, compiled once from JSON into a tree the validator walks
//! without re-parsing (patterns are compiled regexes, CEL rules compiled programs).
//!
//! Built-in definitions refer to each other by name (`$ref`), resolved lazily by the
//! validator; CRD schemas are self-contained trees.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as Json;

/// JSON types as a small bit set; an empty set means "any type".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Types(u8);

impl Types {
    pub const NULL: Types = Types(1);
    pub const BOOLEAN: Types = Types(2);
    pub const INTEGER: Types = Types(4);
    pub const NUMBER: Types = Types(8);
    pub const STRING: Types = Types(16);
    pub const ARRAY: Types = Types(32);
    pub const OBJECT: Types = Types(64);

    pub fn is_any(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, t: Types) -> bool {
        self.0 & t.0 != 0
    }

    fn insert(&mut self, t: Types) {
        self.0 |= t.0;
    }

    fn from_name(name: &str) -> Option<Types> {
        Some(match name {
            "null" => Types::NULL,
            "boolean" => Types::BOOLEAN,
            "integer" => Types::INTEGER,
            "number" => Types::NUMBER,
            "string" => Types::STRING,
            "array" => Types::ARRAY,
            "object" => Types::OBJECT,
            _ => return None,
        })
    }

    /// `string`, `integer or string`… for messages. Null is left out: it is never the point.
    pub fn describe(self) -> String {
        let names = [
            (Types::BOOLEAN, "boolean"),
            (Types::INTEGER, "integer"),
            (Types::NUMBER, "number"),
            (Types::STRING, "string"),
            (Types::ARRAY, "array"),
            (Types::OBJECT, "object"),
        ];
        let parts: Vec<&str> = names
            .iter()
            .filter(|(t, _)| self.contains(*t))
            .map(|(_, n)| *n)
            .collect();
        parts.join(" or ")
    }
}

/// What an object schema says about keys not listed in `properties`.
#[derive(Debug, Default)]
pub enum Additional {
    /// Nothing said: built-in schemas allow them; CRD schemas prune them (unknown field).
    #[default]
    Unspecified,
    /// `additionalProperties: false`.
    Deny,
    /// `additionalProperties: true`.
    Allow,
    /// `additionalProperties: {schema}` — the object is a map.
    Schema(Box<Schema>),
}

/// One `x-kubernetes-validations` entry.
#[derive(Debug)]
pub struct CelRule {
    pub rule: String,
    pub message: Option<String>,
    pub message_expression: Option<String>,
    /// Relative JSONPath-like field (`.spec.replicas`) the failure is reported at.
    pub field_path: Option<String>,
    pub reason: Option<String>,
    /// The rule reads `oldSelf`: a transition rule, which needs the stored object.
    pub uses_old_self: bool,
    /// The compiled program, or the compile error message.
    pub program: Result<Arc<cel::Program>, String>,
}

/// A compiled schema node.
#[derive(Debug, Default)]
pub struct Schema {
    /// `$ref` to a named definition (built-in schemas).
    pub reference: Option<String>,
    pub types: Types,
    pub nullable: bool,
    pub properties: BTreeMap<String, Schema>,
    pub additional: Additional,
    pub items: Option<Box<Schema>>,
    pub required: Vec<String>,
    pub enumeration: Option<Vec<Json>>,
    pub format: Option<String>,
    pub pattern: Option<(String, regex::Regex)>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: bool,
    pub exclusive_maximum: bool,
    pub multiple_of: Option<f64>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub unique_items: bool,
    pub all_of: Vec<Schema>,
    pub any_of: Vec<Schema>,
    pub one_of: Vec<Schema>,
    pub not: Option<Box<Schema>>,
    /// `x-kubernetes-int-or-string`.
    pub int_or_string: bool,
    /// A `resource.Quantity` (built-in): a number, or a string in quantity syntax.
    pub quantity: bool,
    /// `x-kubernetes-preserve-unknown-fields`.
    pub preserve_unknown: bool,
    /// `x-kubernetes-embedded-resource`.
    pub embedded_resource: bool,
    /// `x-kubernetes-list-type` (`atomic`, `set`, `map`).
    pub list_type: Option<String>,
    /// `x-kubernetes-list-map-keys`.
    pub list_map_keys: Vec<String>,
    /// `x-kubernetes-validations`.
    pub rules: Vec<CelRule>,
    /// `default`: applied to absent fields before CEL rules see the object.
    pub default: Option<Json>,
}

/// A schema that cannot be compiled (bad regex, wrong keyword type).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct CompileError {
    /// Where in the schema, as a JSON-pointer-like path (`properties.spec.pattern`).
    pub path: String,
    pub message: String,
}

impl Schema {
    /// The built-in `IntOrString`.
    pub fn int_or_string() -> Schema {
        Schema {
            int_or_string: true,
            nullable: true,
            ..Schema::default()
        }
    }

    /// The built-in `resource.Quantity`.
    pub fn quantity() -> Schema {
        Schema {
            quantity: true,
            nullable: true,
            ..Schema::default()
        }
    }
}

/// Compile a JSON schema (a built-in definition or a CRD version's `openAPIV3Schema`).
pub fn compile(json: &Json) -> Result<Schema, CompileError> {
    let mut path = Vec::new();
    compile_at(json, &mut path)
}

fn err(path: &[String], message: impl Into<String>) -> CompileError {
    CompileError {
        path: if path.is_empty() {
            "<root>".to_string()
        } else {
            path.join(".")
        },
        message: message.into(),
    }
}

fn compile_at(json: &Json, path: &mut Vec<String>) -> Result<Schema, CompileError> {
    let Json::Object(obj) = json else {
        // `true`/`false` schemas are legal JSON Schema; `true` allows anything.
        return match json {
            Json::Bool(true) => Ok(Schema::default()),
            _ => Err(err(path, "schema must be an object")),
        };
    };
    let mut s = Schema::default();
    for (key, value) in obj {
        path.push(key.clone());
        compile_keyword(&mut s, key, value, path)?;
        path.pop();
    }
    Ok(s)
}

fn as_u64(v: &Json, path: &[String]) -> Result<u64, CompileError> {
    v.as_u64()
        .or_else(|| {
            v.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        })
        .ok_or_else(|| err(path, "must be a non-negative integer"))
}

fn as_f64(v: &Json, path: &[String]) -> Result<f64, CompileError> {
    v.as_f64().ok_or_else(|| err(path, "must be a number"))
}

fn as_bool(v: &Json, path: &[String]) -> Result<bool, CompileError> {
    v.as_bool().ok_or_else(|| err(path, "must be a boolean"))
}

fn sub_list(v: &Json, path: &mut Vec<String>) -> Result<Vec<Schema>, CompileError> {
    let Json::Array(items) = v else {
        return Err(err(path, "must be a list of schemas"));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        path.push(i.to_string());
        out.push(compile_at(item, path)?);
        path.pop();
    }
    Ok(out)
}

fn compile_keyword(
    s: &mut Schema,
    key: &str,
    value: &Json,
    path: &mut Vec<String>,
) -> Result<(), CompileError> {
    match key {
        "$ref" => {
            let r = value
                .as_str()
                .ok_or_else(|| err(path, "must be a string"))?;
            s.reference = Some(r.rsplit('/').next().unwrap_or(r).to_string());
        }
        "type" => match value {
            Json::String(name) => {
                s.types.insert(
                    Types::from_name(name)
                        .ok_or_else(|| err(path, format!("unknown type {name:?}")))?,
                );
            }
            Json::Array(names) => {
                for n in names {
                    let t = n
                        .as_str()
                        .and_then(Types::from_name)
                        .ok_or_else(|| err(path, format!("unknown type {n}")))?;
                    if t == Types::NULL {
                        s.nullable = true;
                    }
                    s.types.insert(t);
                }
            }
            _ => return Err(err(path, "must be a string or a list of strings")),
        },
        "nullable" => s.nullable = as_bool(value, path)?,
        "properties" => {
            let Json::Object(props) = value else {
                return Err(err(path, "must be an object"));
            };
            for (name, sub) in props {
                path.push(name.clone());
                let compiled = compile_at(sub, path)?;
                path.pop();
                s.properties.insert(name.clone(), compiled);
            }
        }
        "additionalProperties" => {
            s.additional = match value {
                Json::Bool(false) => Additional::Deny,
                Json::Bool(true) => Additional::Allow,
                other => Additional::Schema(Box::new(compile_at(other, path)?)),
            }
        }
        "items" => {
            // Kubernetes allows only a single schema here (JSONSchemaPropsOrArray with one).
            let item = match value {
                Json::Array(list) if list.len() == 1 => list.first().unwrap_or(value),
                other => other,
            };
            s.items = Some(Box::new(compile_at(item, path)?));
        }
        "required" => {
            let Json::Array(names) = value else {
                return Err(err(path, "must be a list of strings"));
            };
            for n in names {
                let n = n
                    .as_str()
                    .ok_or_else(|| err(path, "must be a list of strings"))?;
                s.required.push(n.to_string());
            }
        }
        "enum" => {
            let Json::Array(values) = value else {
                return Err(err(path, "must be a list"));
            };
            s.enumeration = Some(values.clone());
        }
        "format" => s.format = value.as_str().map(str::to_string),
        "pattern" => {
            let p = value
                .as_str()
                .ok_or_else(|| err(path, "must be a string"))?;
            let re =
                shared_regex(p).map_err(|e| err(path, format!("invalid pattern {p:?}: {e}")))?;
            s.pattern = Some((p.to_string(), re));
        }
        "minimum" => s.minimum = Some(as_f64(value, path)?),
        "maximum" => s.maximum = Some(as_f64(value, path)?),
        "exclusiveMinimum" => s.exclusive_minimum = as_bool(value, path)?,
        "exclusiveMaximum" => s.exclusive_maximum = as_bool(value, path)?,
        "multipleOf" => s.multiple_of = Some(as_f64(value, path)?),
        "minLength" => s.min_length = Some(as_u64(value, path)?),
        "maxLength" => s.max_length = Some(as_u64(value, path)?),
        "minItems" => s.min_items = Some(as_u64(value, path)?),
        "maxItems" => s.max_items = Some(as_u64(value, path)?),
        "minProperties" => s.min_properties = Some(as_u64(value, path)?),
        "maxProperties" => s.max_properties = Some(as_u64(value, path)?),
        "uniqueItems" => s.unique_items = as_bool(value, path)?,
        "allOf" => s.all_of = sub_list(value, path)?,
        "anyOf" => s.any_of = sub_list(value, path)?,
        "oneOf" => s.one_of = sub_list(value, path)?,
        "not" => s.not = Some(Box::new(compile_at(value, path)?)),
        "x-kubernetes-int-or-string" => s.int_or_string = as_bool(value, path)?,
        "x-kubernetes-preserve-unknown-fields" => s.preserve_unknown = as_bool(value, path)?,
        "x-kubernetes-embedded-resource" => s.embedded_resource = as_bool(value, path)?,
        "x-kubernetes-list-type" => s.list_type = value.as_str().map(str::to_string),
        "x-kubernetes-list-map-keys" => {
            if let Json::Array(keys) = value {
                s.list_map_keys = keys
                    .iter()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect();
            }
        }
        "x-kubernetes-validations" => {
            let Json::Array(rules) = value else {
                return Err(err(path, "must be a list of rules"));
            };
            for r in rules {
                s.rules.push(compile_rule(r, path)?);
            }
        }
        "default" => s.default = Some(value.clone()),
        // Documentation and the rest change nothing about what is valid.
        _ => {}
    }
    Ok(())
}

thread_local! {
    /// Compiled patterns by source. CRDs repeat a handful of patterns hundreds of times
    /// (durations, label names, quantities), and building a regex is most of what
    /// compiling a CRD schema costs. A `Regex` clone shares the compiled program.
    static PATTERNS: std::cell::RefCell<std::collections::HashMap<String, Result<regex::Regex, regex::Error>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// `regex::Regex::new`, once per distinct pattern on this thread.
pub fn shared_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    if let Some(hit) = PATTERNS.with(|c| c.borrow().get(pattern).cloned()) {
        return hit;
    }
    let compiled = regex::Regex::new(pattern);
    PATTERNS.with(|c| {
        c.borrow_mut().insert(pattern.to_string(), compiled.clone());
    });
    compiled
}

fn compile_rule(r: &Json, path: &[String]) -> Result<CelRule, CompileError> {
    let text = |k: &str| r.get(k).and_then(Json::as_str).map(str::to_string);
    let rule = text("rule").ok_or_else(|| err(path, "validation rule without `rule`"))?;
    let program = super::cel::compile_shared(&rule);
    let uses_old_self = match &program {
        Ok(p) => super::cel::references_old_self(p),
        Err(_) => rule.contains("oldSelf"),
    };
    Ok(CelRule {
        message: text("message"),
        message_expression: text("messageExpression"),
        field_path: text("fieldPath"),
        reason: text("reason"),
        uses_old_self,
        program,
        rule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_keywords() {
        let s = compile(&serde_json::json!({
            "type": "object",
            "required": ["a"],
            "properties": {
                "a": {"type": ["string", "null"], "pattern": "^x", "maxLength": 3},
                "b": {"x-kubernetes-int-or-string": true},
            },
            "additionalProperties": false,
        }))
        .unwrap();
        assert!(s.types.contains(Types::OBJECT));
        assert_eq!(s.required, vec!["a"]);
        let a = s.properties.get("a").unwrap();
        assert!(a.nullable);
        assert_eq!(a.max_length, Some(3));
        assert!(s.properties.get("b").unwrap().int_or_string);
        assert!(matches!(s.additional, Additional::Deny));
    }

    #[test]
    fn bad_pattern_is_a_compile_error_with_path() {
        let e = compile(&serde_json::json!({
            "properties": {"spec": {"properties": {"x": {"pattern": "("}}}}
        }))
        .unwrap_err();
        assert_eq!(e.path, "properties.spec.properties.x.pattern");
    }
}
