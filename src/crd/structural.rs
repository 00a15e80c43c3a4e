//! Reading an `openAPIV3Schema` into a [`Schema`] tree while checking that it is
//! *structural*, as Kubernetes requires for `apiextensions.k8s.io/v1` CRDs:
//! - every node has a `type` (`object`, `array`, `string`, `integer`, `number`, `boolean`),
//!   unless it sets `x-kubernetes-int-or-string` or `x-kubernetes-preserve-unknown-fields`;
//!   the root is an `object`;
//! - `properties`/`additionalProperties` belong to objects, `items` (one schema, not a list)
//!   to arrays, and an array must say what its items are;
//! - `properties` and `additionalProperties` are mutually exclusive;
//! - `$ref`, `definitions`, `dependencies`, `patternProperties`, `additionalItems` are absent;
//! - `allOf`/`anyOf`/`oneOf`/`not` only add value validations: no `type`, `default`,
//!   `nullable`, `description`, `title`, `additionalProperties` or `x-kubernetes-*` inside
//!   them — except the int-or-string idiom `anyOf: [{type: integer}, {type: string}]`.
//!
//! A diff of non-structural schemas would compare shapes the API server never enforces, so
//! such input is refused with the path of the first offending node.

use std::collections::BTreeMap;

use super::model::{canonical_json, AdditionalProperties, Schema, ValidationRule};
use crate::template::Value;

/// Where and why a schema is not structural.
#[derive(Debug, Clone, PartialEq)]
pub struct StructuralError {
    /// Dotted path of the node (`spec.ports[*]`), empty for the root.
    pub path: String,
    pub reason: String,
}

const TYPES: [&str; 6] = ["object", "array", "string", "integer", "number", "boolean"];
const FORBIDDEN: [&str; 6] = [
    "$ref",
    "definitions",
    "dependencies",
    "patternProperties",
    "additionalItems",
    "$schema",
];
const COMBINATORS: [&str; 4] = ["allOf", "anyOf", "oneOf", "not"];

/// Read and check the root of a version's schema.
pub fn parse_schema(root: &Value) -> Result<Schema, StructuralError> {
    let mut path = String::new();
    let schema = parse_node(root, &mut path)?;
    if schema.type_name != Some("object") {
        return Err(StructuralError {
            path: String::new(),
            reason: "type must be object at the root".to_string(),
        });
    }
    Ok(schema)
}

fn error(path: &str, reason: impl Into<String>) -> StructuralError {
    StructuralError {
        path: path.to_string(),
        reason: reason.into(),
    }
}

fn parse_node(v: &Value, path: &mut String) -> Result<Schema, StructuralError> {
    let Value::Map(map) = v else {
        return Err(error(path, "a schema must be a mapping"));
    };
    let map = map.borrow();
    let mut s = Schema::default();
    // Children and combinators are read after the node's own keywords, which decide
    // whether they are allowed.
    let mut properties = None;
    let mut items = None;
    let mut additional = None;
    let mut combinators: Vec<(&str, &Value)> = Vec::new();
    // One pass over the node's keys: a schema node has a handful of them, and CRDs have
    // tens of thousands of nodes, so this beats looking up every keyword.
    for (key, value) in map.iter() {
        let v = value;
        match key.as_str() {
            "type" => {
                s.type_name = match v {
                    Value::String(t) if t.is_empty() => None,
                    Value::String(t) => match TYPES.iter().find(|known| ***known == **t) {
                        Some(known) => Some(*known),
                        None => return Err(bad_type(path, v)),
                    },
                    other => return Err(bad_type(path, other)),
                }
            }
            "description" => s.description = text(v, key, path)?.map(|d| fingerprint(&d)),
            "format" => s.format = text(v, key, path)?,
            "pattern" => s.pattern = text(v, key, path)?,
            "x-kubernetes-list-type" => s.list_type = text(v, key, path)?,
            "x-kubernetes-map-type" => s.map_type = text(v, key, path)?,
            "x-kubernetes-list-map-keys" => s.list_map_keys = texts(v, key, path)?,
            "required" => s.required = texts(v, key, path)?,
            "enum" => match v {
                Value::List(l) => s.enum_values = Some(l.iter().map(canonical_json).collect()),
                _ => return Err(error(path, "enum must be a list")),
            },
            "default" => s.default = Some(canonical_json(v)),
            "nullable" => s.nullable = flag(v, key, path)?,
            "uniqueItems" => s.unique_items = flag(v, key, path)?,
            "exclusiveMinimum" => s.exclusive_minimum = flag(v, key, path)?,
            "exclusiveMaximum" => s.exclusive_maximum = flag(v, key, path)?,
            "x-kubernetes-int-or-string" => s.int_or_string = flag(v, key, path)?,
            "x-kubernetes-preserve-unknown-fields" => {
                s.preserve_unknown_fields = flag(v, key, path)?
            }
            "x-kubernetes-embedded-resource" => s.embedded_resource = flag(v, key, path)?,
            "minimum" => s.minimum = number(v, key, path)?,
            "maximum" => s.maximum = number(v, key, path)?,
            "multipleOf" => s.multiple_of = number(v, key, path)?,
            "minLength" => s.min_length = number(v, key, path)?,
            "maxLength" => s.max_length = number(v, key, path)?,
            "minItems" => s.min_items = number(v, key, path)?,
            "maxItems" => s.max_items = number(v, key, path)?,
            "minProperties" => s.min_properties = number(v, key, path)?,
            "maxProperties" => s.max_properties = number(v, key, path)?,
            "x-kubernetes-validations" => s.validations = validations(v, path)?,
            "properties" => properties = Some(v),
            "items" => items = Some(v),
            "additionalProperties" => additional = Some(v),
            "allOf" | "anyOf" | "oneOf" | "not" => combinators.push((key.as_str(), v)),
            k if FORBIDDEN.contains(&k) => {
                return Err(error(path, format!("{k} is not allowed")));
            }
            _ => {}
        }
    }
    if s.type_name.is_none() && !s.int_or_string && !s.preserve_unknown_fields {
        return Err(error(
            path,
            "type is missing (set a type, or x-kubernetes-int-or-string / x-kubernetes-preserve-unknown-fields: true)",
        ));
    }

    let typed = s.type_name.is_some();
    let is_object = s.type_name == Some("object");
    if let Some(props) = properties {
        if typed && !is_object {
            return Err(error(path, "properties is only allowed with type object"));
        }
        let Value::Map(props) = props else {
            return Err(error(path, "properties must be a mapping"));
        };
        let mut out = BTreeMap::new();
        for (name, child) in props.borrow().iter() {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(name);
            let parsed = parse_node(child, path)?;
            path.truncate(len);
            out.insert(name.clone(), parsed);
        }
        s.properties = out;
    }
    match additional {
        None => {}
        Some(Value::Bool(b)) => s.additional_properties = Some(AdditionalProperties::Allowed(*b)),
        Some(child @ Value::Map(_)) => {
            if typed && !is_object {
                return Err(error(
                    path,
                    "additionalProperties is only allowed with type object",
                ));
            }
            let len = path.len();
            path.push_str("{*}");
            let parsed = parse_node(child, path)?;
            path.truncate(len);
            s.additional_properties = Some(AdditionalProperties::Schema(Box::new(parsed)));
        }
        Some(_) => {
            return Err(error(
                path,
                "additionalProperties must be a boolean or a schema",
            ))
        }
    }
    if properties.is_some() && s.allows_extra_keys() {
        return Err(error(
            path,
            "properties and additionalProperties are mutually exclusive",
        ));
    }
    match items {
        None => {
            if s.type_name == Some("array") {
                return Err(error(path, "items must be specified for type array"));
            }
        }
        Some(child @ Value::Map(_)) => {
            if typed && s.type_name != Some("array") {
                return Err(error(path, "items is only allowed with type array"));
            }
            let len = path.len();
            path.push_str("[*]");
            let parsed = parse_node(child, path)?;
            path.truncate(len);
            s.items = Some(Box::new(parsed));
        }
        Some(Value::List(_)) => {
            return Err(error(
                path,
                "items must be one schema, not a list (tuple validation is not structural)",
            ))
        }
        Some(_) => return Err(error(path, "items must be a schema")),
    }

    let mut kept = crate::template::value::Map::new();
    for (key, c) in combinators {
        check_value_validation(key, c, s.int_or_string, path)?;
        // The int-or-string idiom only spells out the flag; it validates nothing more.
        if s.int_or_string && key == "anyOf" && is_int_or_string_idiom(c) {
            continue;
        }
        kept.insert(key.to_string(), c.clone());
    }
    if !kept.is_empty() {
        s.combinators = Some(canonical_json(&Value::map(kept)));
    }
    Ok(s)
}

fn bad_type(path: &str, v: &Value) -> StructuralError {
    error(
        path,
        format!("type {v} is not one of object, array, string, integer, number, boolean"),
    )
}

/// A 64-bit fingerprint of a text we only ever compare (descriptions are long, numerous,
/// and never printed), so the model does not keep a copy of each.
fn fingerprint(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// `[{type: integer}, {type: string}]` (either order).
fn is_int_or_string_idiom(v: &Value) -> bool {
    let Value::List(l) = v else {
        return false;
    };
    let mut types: Vec<String> = Vec::new();
    for branch in l.iter() {
        let Value::Map(m) = branch else {
            return false;
        };
        let m = m.borrow();
        match (m.len(), m.get("type")) {
            (1, Some(Value::String(t))) => types.push(t.to_string()),
            _ => return false,
        }
    }
    types.sort();
    types == ["integer", "string"]
}

/// Keys that must not appear inside `allOf`/`anyOf`/`oneOf`/`not`.
fn forbidden_in_value_validation(key: &str) -> bool {
    matches!(
        key,
        "type" | "default" | "nullable" | "description" | "title" | "additionalProperties"
    ) || key.starts_with("x-kubernetes-")
}

/// Check a combinator's branches. `int_or_string` allows `type` in the branches of the
/// idiom `anyOf: [{type: integer}, {type: string}]` (also when nested one `allOf` deep).
fn check_value_validation(
    key: &str,
    v: &Value,
    int_or_string: bool,
    path: &str,
) -> Result<(), StructuralError> {
    let branches: Vec<Value> = match (key, v) {
        ("not", Value::Map(_)) => vec![v.clone()],
        (_, Value::List(l)) if key != "not" => l.iter().cloned().collect(),
        _ => return Err(error(path, format!("{key} has the wrong shape"))),
    };
    for branch in &branches {
        let Value::Map(m) = branch else {
            return Err(error(path, format!("{key} entries must be schemas")));
        };
        let m = m.borrow();
        for k in m.keys() {
            let idiom = k == "type" && int_or_string && (key == "anyOf" || key == "allOf");
            if forbidden_in_value_validation(k) && !idiom {
                return Err(error(
                    path,
                    format!("{key} must only hold value validations, but sets {k}"),
                ));
            }
        }
        for nested in COMBINATORS {
            if let Some(c) = m.get(nested) {
                let allow = int_or_string && key == "allOf" && nested == "anyOf";
                check_value_validation(nested, c, allow, path)?;
            }
        }
        if let Some(Value::Map(props)) = m.get("properties") {
            for child in props.borrow().values() {
                check_nested(child, path)?;
            }
        }
        if let Some(items) = m.get("items") {
            check_nested(items, path)?;
        }
    }
    Ok(())
}

fn check_nested(v: &Value, path: &str) -> Result<(), StructuralError> {
    let Value::Map(m) = v else {
        return Ok(());
    };
    let m = m.borrow();
    for k in m.keys() {
        if forbidden_in_value_validation(k) {
            return Err(error(
                path,
                format!("value validations inside allOf/anyOf/oneOf/not must not set {k}"),
            ));
        }
    }
    for nested in COMBINATORS {
        if let Some(c) = m.get(nested) {
            check_value_validation(nested, c, false, path)?;
        }
    }
    Ok(())
}

fn flag(v: &Value, key: &str, path: &str) -> Result<bool, StructuralError> {
    match v {
        Value::Nil => Ok(false),
        Value::Bool(b) => Ok(*b),
        _ => Err(error(path, format!("{key} must be a boolean"))),
    }
}

fn text(v: &Value, key: &str, path: &str) -> Result<Option<String>, StructuralError> {
    match v {
        Value::Nil => Ok(None),
        Value::String(s) => Ok(Some(s.to_string())),
        _ => Err(error(path, format!("{key} must be a string"))),
    }
}

fn texts(v: &Value, key: &str, path: &str) -> Result<Vec<String>, StructuralError> {
    match v {
        Value::Nil => Ok(Vec::new()),
        Value::List(l) => l
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.to_string()),
                _ => Err(error(path, format!("{key} must be a list of strings"))),
            })
            .collect(),
        _ => Err(error(path, format!("{key} must be a list of strings"))),
    }
}

fn number(v: &Value, key: &str, path: &str) -> Result<Option<f64>, StructuralError> {
    match v {
        Value::Nil => Ok(None),
        Value::Float(f) => Ok(Some(*f)),
        Value::Int(i, _) => Ok(Some(*i as f64)),
        _ => Err(error(path, format!("{key} must be a number"))),
    }
}

fn validations(v: &Value, path: &str) -> Result<Vec<ValidationRule>, StructuralError> {
    let Value::List(list) = v else {
        return Err(error(path, "x-kubernetes-validations must be a list"));
    };
    let mut out = Vec::with_capacity(list.len());
    for entry in list.iter() {
        let Value::Map(m) = entry else {
            return Err(error(
                path,
                "x-kubernetes-validations entries must be mappings",
            ));
        };
        let mut details = m.borrow().clone();
        let rule = match details.remove("rule") {
            Some(Value::String(r)) => r.to_string(),
            _ => return Err(error(path, "x-kubernetes-validations entry without a rule")),
        };
        out.push(ValidationRule {
            rule,
            details: canonical_json(&Value::map(details)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str) -> Result<Schema, StructuralError> {
        parse_schema(&crate::yaml::load_str(src, "s.yaml").unwrap())
    }

    fn reason(src: &str) -> (String, String) {
        let e = check(src).unwrap_err();
        (e.path, e.reason)
    }

    #[test]
    fn missing_type_is_not_structural() {
        assert_eq!(
            reason("type: object\nproperties:\n  spec:\n    properties: {a: {type: string}}\n"),
            (
                "spec".to_string(),
                "type is missing (set a type, or x-kubernetes-int-or-string / x-kubernetes-preserve-unknown-fields: true)".to_string()
            )
        );
    }

    #[test]
    fn untyped_nodes_are_fine_with_the_escape_hatches() {
        let s = check("type: object\nproperties:\n  raw: {x-kubernetes-preserve-unknown-fields: true}\n  port:\n    x-kubernetes-int-or-string: true\n    anyOf: [{type: integer}, {type: string}]\n").unwrap();
        assert!(s.properties["raw"].preserve_unknown_fields);
        assert!(s.properties["port"].int_or_string);
        assert_eq!(s.properties["port"].combinators, None);
    }

    #[test]
    fn root_must_be_an_object() {
        assert_eq!(
            reason("type: string\n"),
            (String::new(), "type must be object at the root".to_string())
        );
    }

    #[test]
    fn shape_rules() {
        assert_eq!(
            reason("type: object\nproperties:\n  l: {type: array}\n"),
            (
                "l".to_string(),
                "items must be specified for type array".to_string()
            )
        );
        assert_eq!(
            reason("type: object\nproperties:\n  l: {type: array, items: [{type: string}]}\n"),
            (
                "l".to_string(),
                "items must be one schema, not a list (tuple validation is not structural)"
                    .to_string()
            )
        );
        assert_eq!(
            reason("type: object\nproperties:\n  m:\n    type: object\n    properties: {a: {type: string}}\n    additionalProperties: {type: string}\n"),
            ("m".to_string(), "properties and additionalProperties are mutually exclusive".to_string())
        );
        assert_eq!(
            reason(
                "type: object\nproperties:\n  s: {type: string, properties: {a: {type: string}}}\n"
            ),
            (
                "s".to_string(),
                "properties is only allowed with type object".to_string()
            )
        );
        assert_eq!(
            reason("type: object\nproperties:\n  m: {type: object, additionalProperties: {type: array, items: {$ref: '#/x'}}}\n"),
            ("m{*}[*]".to_string(), "$ref is not allowed".to_string())
        );
        assert_eq!(
            reason("type: object\nproperties:\n  t: {type: strin}\n"),
            (
                "t".to_string(),
                "type strin is not one of object, array, string, integer, number, boolean"
                    .to_string()
            )
        );
    }

    #[test]
    fn combinators_hold_value_validations_only() {
        assert_eq!(
            reason("type: object\nproperties:\n  a:\n    type: string\n    anyOf: [{type: string}, {default: x}]\n"),
            ("a".to_string(), "anyOf must only hold value validations, but sets type".to_string())
        );
        assert_eq!(
            reason("type: object\nproperties:\n  a:\n    type: object\n    oneOf:\n    - properties: {b: {type: string}}\n"),
            (
                "a".to_string(),
                "value validations inside allOf/anyOf/oneOf/not must not set type".to_string()
            )
        );
        let ok = check("type: object\nproperties:\n  a:\n    type: object\n    properties: {b: {type: string}, c: {type: string}}\n    oneOf: [{required: [b]}, {required: [c]}]\n").unwrap();
        assert_eq!(
            ok.properties["a"].combinators.as_deref(),
            Some(r#"{"oneOf":[{"required":["b"]},{"required":["c"]}]}"#)
        );
    }

    #[test]
    fn validation_rules_split_rule_from_details() {
        let s = check("type: object\nx-kubernetes-validations:\n- rule: self.a == 1\n  message: a must be 1\n").unwrap();
        assert_eq!(s.validations[0].rule, "self.a == 1");
        assert_eq!(s.validations[0].details, r#"{"message":"a must be 1"}"#);
    }
}
