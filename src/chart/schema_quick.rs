//! A quick pre-check of values against values.schema.json that can only say "valid".
//!
//! Compiling a schema with the full validator costs more than rendering a small chart
//! (cert-manager's 114 KB schema: three quarters of a whole `render` run), and nearly every
//! render passes its schema. So values are first checked here, directly against the parsed
//! schema document, for the keywords operator charts use. The answer is one-sided: `true`
//! means the full validator would accept both the schema and the values; `false` means "not
//! sure" (the values fail, or the schema uses something this check does not model), and the
//! caller then runs the full validator, which words the errors. Being stricter than the
//! full validator is therefore harmless (it only costs time); being more lenient would be a
//! bug, which is why every keyword outside a small, fully modelled set means "not sure".
//!
//! The schema document is read into a light tree of its own ([`Json`]): most of the time of
//! a parse into `serde_json::Value` goes to building ordered maps this check never needs.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::template::value::Value;

/// A JSON document. Objects keep their entries in order, duplicates included (lookups take
/// the last, as `serde_json` does).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Int(i64),
    /// Integers above `i64::MAX`.
    UInt(u64),
    Float(f64),
    Str(Box<str>),
    Arr(Vec<Json>),
    Obj(Vec<(Box<str>, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| &**k == key)
                .map(|e| &e.1),
            _ => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Int(i) if i.unsigned_abs() < EXACT => Some(*i as f64),
            Json::Float(f) => Some(*f),
            _ => None,
        }
    }

    fn as_count(&self) -> Option<usize> {
        match self {
            Json::Int(i) if *i >= 0 => usize::try_from(*i).ok(),
            Json::Float(f) if *f >= 0.0 && f.fract() == 0.0 && *f < EXACT as f64 => {
                Some(*f as usize)
            }
            _ => None,
        }
    }
}

/// Integers below 2^53 convert to and from `f64` exactly.
const EXACT: u64 = 1 << 53;

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(i64::try_from(v).map_or(Json::UInt(v), Json::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(Box::from(v)))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v.into_boxed_str()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            entries.push((k.into_boxed_str(), v));
        }
        Ok(Json::Obj(entries))
    }
}

/// Parse a schema document (`None` if it is not JSON: the full validator reports that).
pub(crate) fn parse(schema: &[u8]) -> Option<Json> {
    serde_json::from_slice(schema).ok()
}

/// `true` when the full validator would surely accept `schema` and `values` against it;
/// `false` when unsure (see the module documentation).
pub(crate) fn surely_valid(schema: &Json, values: &Value) -> bool {
    if !known_draft(schema) || !schema_ok(schema, schema, 0) {
        return false;
    }
    Check { root: schema }.valid(schema, values, 0)
}

/// Drafts whose keywords below mean the same thing (draft 4 types `exclusiveMinimum` as a
/// boolean and has no boolean schemas).
fn known_draft(root: &Json) -> bool {
    match root.get("$schema") {
        None => true,
        Some(Json::Str(uri)) => matches!(
            uri.trim_end_matches('#'),
            "http://json-schema.org/draft-06/schema"
                | "http://json-schema.org/draft-07/schema"
                | "https://json-schema.org/draft/2019-09/schema"
                | "https://json-schema.org/draft/2020-12/schema"
        ),
        Some(_) => false,
    }
}

/// Keywords that never affect validation (in the drafts above), with the JSON types their
/// meta-schemas allow (checked so that a schema the full validator would refuse as invalid
/// is never passed here).
fn annotation_ok(key: &str, value: &Json) -> Option<bool> {
    let ok = match key {
        "$schema" | "$comment" | "title" | "description" => matches!(value, Json::Str(_)),
        "default" => true,
        "examples" => matches!(value, Json::Arr(_)),
        "readOnly" | "writeOnly" | "deprecated" => matches!(value, Json::Bool(_)),
        // Vendor extensions are ignored by validators.
        k if k.starts_with("x-") => true,
        _ => return None,
    };
    Some(ok)
}

const TYPES: &[&str] = &[
    "null", "boolean", "object", "array", "number", "integer", "string",
];

fn is_schema(v: &Json) -> bool {
    matches!(v, Json::Obj(_) | Json::Bool(_))
}

fn all_distinct(items: &[Json]) -> bool {
    items
        .iter()
        .enumerate()
        .all(|(i, a)| items.iter().skip(i + 1).all(|b| !json_eq(a, b)))
}

/// Check the whole schema once: every keyword is one this module models, with arguments of
/// the types the meta-schema requires, and every `$ref` resolves inside the document.
fn schema_ok(root: &Json, schema: &Json, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let entries = match schema {
        Json::Bool(_) => return true,
        Json::Obj(entries) => entries,
        _ => return false,
    };
    let sub = |s: &Json| is_schema(s) && schema_ok(root, s, depth + 1);
    let schema_map = |m: &Json| match m {
        Json::Obj(entries) => entries.iter().all(|(_, s)| sub(s)),
        _ => false,
    };
    let schema_list = |l: &Json| match l {
        Json::Arr(items) => !items.is_empty() && items.iter().all(sub),
        _ => false,
    };
    for (key, value) in entries {
        if let Some(ok) = annotation_ok(key, value) {
            if !ok {
                return false;
            }
            continue;
        }
        let ok = match &**key {
            // Only the root may name the document; a nested `$id` moves the base URI.
            "$id" => depth == 0 && matches!(value, Json::Str(_)),
            "type" => match value {
                Json::Str(t) => TYPES.contains(&&**t),
                Json::Arr(ts) => {
                    !ts.is_empty()
                        && all_distinct(ts)
                        && ts
                            .iter()
                            .all(|t| matches!(t, Json::Str(t) if TYPES.contains(&&**t)))
                }
                _ => false,
            },
            "properties" | "definitions" | "$defs" => schema_map(value),
            "additionalProperties" | "items" | "not" => sub(value),
            "allOf" | "anyOf" | "oneOf" => schema_list(value),
            "required" => match value {
                Json::Arr(names) => {
                    all_distinct(names) && names.iter().all(|n| matches!(n, Json::Str(_)))
                }
                _ => false,
            },
            "enum" => matches!(value, Json::Arr(items) if !items.is_empty() && all_distinct(items)),
            "const" => true,
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                value.as_f64().is_some()
            }
            "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties"
            | "maxProperties" => value.as_count().is_some(),
            "uniqueItems" => matches!(value, Json::Bool(false)),
            "dependencies" => match value {
                Json::Obj(deps) => deps.iter().all(|(_, d)| match d {
                    Json::Arr(names) => {
                        all_distinct(names) && names.iter().all(|n| matches!(n, Json::Str(_)))
                    }
                    other => sub(other),
                }),
                _ => false,
            },
            "$ref" => match value {
                Json::Str(r) => resolve(root, r).is_some(),
                _ => false,
            },
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// A `$ref` to a place in this document (`#`, `#/$defs/x`, `#/definitions/x`, …).
fn resolve<'a>(root: &'a Json, reference: &str) -> Option<&'a Json> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        return Some(root);
    }
    let pointer = pointer.strip_prefix('/')?;
    // Percent-encoded pointers are rare; leave them to the full validator.
    if pointer.contains('%') {
        return None;
    }
    let mut node = root;
    for segment in pointer.split('/') {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        node = match node {
            Json::Obj(_) => node.get(&segment)?,
            Json::Arr(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    is_schema(node).then_some(node)
}

/// Nesting bound for schemas and values (and `$ref` cycles).
const MAX_DEPTH: usize = 200;

struct Check<'a> {
    root: &'a Json,
}

/// The JSON type of a value as the full validator sees it (integral floats are integers,
/// as the values are converted for it). `None` for what converts to something else.
fn json_kind(v: &Value) -> Option<&'static str> {
    Some(match v {
        Value::Nil => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_, _) => "integer",
        Value::Float(f) if !f.is_finite() => return None,
        Value::Float(f) if f.fract() == 0.0 && f.abs() < EXACT as f64 => "integer",
        Value::Float(_) => "number",
        Value::String(_) | Value::Bytes(_) => "string",
        Value::List(_) => "array",
        Value::Map(_) => "object",
        Value::Object(_) => return None,
    })
}

fn type_matches(kind: &str, want: &str) -> bool {
    kind == want || (want == "number" && kind == "integer")
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i, _) if i.unsigned_abs() < EXACT => Some(*i as f64),
        Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

/// JSON equality (numbers by value) between two schema values.
fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Arr(x), Json::Arr(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Json::Obj(x), Json::Obj(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// Whether a value equals a schema constant. `false` when unsure.
fn value_eq(v: &Value, j: &Json) -> bool {
    match (v, j) {
        (Value::Nil, Json::Null) => true,
        (Value::Bool(a), Json::Bool(b)) => a == b,
        (Value::String(s), Json::Str(t)) => **s == **t,
        (Value::List(items), Json::Arr(js)) => {
            items.len() == js.len() && items.iter().zip(js).all(|(v, j)| value_eq(v, j))
        }
        (Value::Map(m), Json::Obj(entries)) => {
            let m = m.borrow();
            m.len() == entries.len()
                && m.iter()
                    .all(|(k, v)| j.get(k).is_some_and(|w| value_eq(v, w)))
        }
        (Value::Int(_, _) | Value::Float(_), _) => match (number(v), j.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        _ => false,
    }
}

impl Check<'_> {
    fn valid(&self, schema: &Json, v: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let entries = match schema {
            Json::Bool(b) => return *b,
            Json::Obj(entries) => entries,
            _ => return false,
        };
        let Some(kind) = json_kind(v) else {
            return false;
        };
        for (key, arg) in entries {
            let ok = match &**key {
                "type" => match arg {
                    Json::Str(t) => type_matches(kind, t),
                    Json::Arr(ts) => ts
                        .iter()
                        .any(|t| matches!(t, Json::Str(t) if type_matches(kind, t))),
                    _ => false,
                },
                "$ref" => match arg {
                    Json::Str(r) => {
                        resolve(self.root, r).is_some_and(|s| self.valid(s, v, depth + 1))
                    }
                    _ => false,
                },
                "allOf" => self.all(arg, v, depth),
                "anyOf" => match arg {
                    Json::Arr(subs) => subs.iter().any(|s| self.valid(s, v, depth + 1)),
                    _ => false,
                },
                // Exactly one must match; "not sure" about a branch makes the whole unsure.
                "oneOf" => match arg {
                    Json::Arr(subs) => {
                        subs.iter().filter(|s| self.valid(s, v, depth + 1)).count() == 1
                            && subs.iter().all(|s| self.surely_invalid_or_valid(s, v))
                    }
                    _ => false,
                },
                // `not` needs a sure "invalid", which this check cannot give.
                "not" => false,
                "enum" => match arg {
                    Json::Arr(options) => options.iter().any(|o| value_eq(v, o)),
                    _ => false,
                },
                "const" => value_eq(v, arg),
                "minimum" => number(v).is_none_or(|n| arg.as_f64().is_some_and(|l| n >= l)),
                "maximum" => number(v).is_none_or(|n| arg.as_f64().is_some_and(|l| n <= l)),
                "exclusiveMinimum" => number(v).is_none_or(|n| arg.as_f64().is_some_and(|l| n > l)),
                "exclusiveMaximum" => number(v).is_none_or(|n| arg.as_f64().is_some_and(|l| n < l)),
                "minLength" | "maxLength" => match v {
                    Value::String(s) => {
                        let len = s.chars().count();
                        arg.as_count().is_some_and(|l| {
                            if &**key == "minLength" {
                                len >= l
                            } else {
                                len <= l
                            }
                        })
                    }
                    // Bytes convert lossily; leave them to the full validator.
                    Value::Bytes(_) => false,
                    _ => true,
                },
                "minItems" | "maxItems" => match v {
                    Value::List(items) => arg.as_count().is_some_and(|l| {
                        if &**key == "minItems" {
                            items.len() >= l
                        } else {
                            items.len() <= l
                        }
                    }),
                    _ => true,
                },
                "minProperties" | "maxProperties" => match v {
                    Value::Map(m) => {
                        let len = m.borrow().len();
                        arg.as_count().is_some_and(|l| {
                            if &**key == "minProperties" {
                                len >= l
                            } else {
                                len <= l
                            }
                        })
                    }
                    _ => true,
                },
                "items" => match v {
                    Value::List(items) => items.iter().all(|i| self.valid(arg, i, depth + 1)),
                    _ => true,
                },
                "required" => match (v, arg) {
                    (Value::Map(m), Json::Arr(names)) => {
                        let m = m.borrow();
                        names
                            .iter()
                            .all(|n| matches!(n, Json::Str(n) if m.contains_key(&**n)))
                    }
                    (Value::Map(_), _) => false,
                    _ => true,
                },
                "properties" => match (v, arg) {
                    (Value::Map(m), Json::Obj(props)) => {
                        let m = m.borrow();
                        props.iter().all(|(name, s)| {
                            m.get(&**name).is_none_or(|pv| self.valid(s, pv, depth + 1))
                        })
                    }
                    (Value::Map(_), _) => false,
                    _ => true,
                },
                "additionalProperties" => match v {
                    Value::Map(m) => {
                        let props = schema.get("properties");
                        m.borrow().iter().all(|(k, pv)| {
                            props.is_some_and(|p| p.get(k).is_some())
                                || self.valid(arg, pv, depth + 1)
                        })
                    }
                    _ => true,
                },
                "dependencies" => match (v, arg) {
                    (Value::Map(m), Json::Obj(deps)) => deps.iter().all(|(name, dep)| {
                        if !m.borrow().contains_key(&**name) {
                            return true;
                        }
                        match dep {
                            Json::Arr(names) => {
                                let m = m.borrow();
                                names
                                    .iter()
                                    .all(|n| matches!(n, Json::Str(n) if m.contains_key(&**n)))
                            }
                            other => self.valid(other, v, depth + 1),
                        }
                    }),
                    (Value::Map(_), _) => false,
                    _ => true,
                },
                "uniqueItems" => matches!(arg, Json::Bool(false)),
                // Annotations (checked by `schema_ok`) and the definitions themselves.
                "definitions" | "$defs" | "$id" => true,
                k => annotation_ok(k, arg).unwrap_or(false),
            };
            if !ok {
                return false;
            }
        }
        true
    }

    fn all(&self, arg: &Json, v: &Value, depth: usize) -> bool {
        match arg {
            Json::Arr(subs) => subs.iter().all(|s| self.valid(s, v, depth + 1)),
            _ => false,
        }
    }

    /// For `oneOf`: this check can only prove "valid", so a branch it does not accept might
    /// still match in the full validator. Only branches that `type` plainly excludes count
    /// as surely not matching.
    fn surely_invalid_or_valid(&self, schema: &Json, v: &Value) -> bool {
        self.valid(schema, v, 0) || surely_invalid(schema, v, 0)
    }
}

/// The JSON category of a value for "surely different" comparisons; `None` where the
/// comparison is left to the full validator (numbers compare by value, bytes and objects
/// are converted first).
fn category(v: &Value) -> Option<&'static str> {
    Some(match v {
        Value::Nil => "null",
        Value::Bool(_) => "boolean",
        Value::String(_) => "string",
        Value::Int(_, _) => "number",
        Value::Float(f) if f.is_finite() => "number",
        Value::List(_) => "array",
        Value::Map(_) => "object",
        _ => return None,
    })
}

fn json_category(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Str(_) => "string",
        Json::Int(_) | Json::UInt(_) | Json::Float(_) => "number",
        Json::Arr(_) => "array",
        Json::Obj(_) => "object",
    }
}

/// Whether a value is certainly not equal to a schema constant (different JSON kinds, or
/// different null/boolean/string values). `false` when unsure.
fn surely_differs(v: &Value, j: &Json) -> bool {
    let Some(kind) = category(v) else {
        return false;
    };
    if kind != json_category(j) {
        return true;
    }
    match (v, j) {
        (Value::Bool(a), Json::Bool(b)) => a != b,
        (Value::String(s), Json::Str(t)) => **s != **t,
        _ => false,
    }
}

/// Whether the full validator would certainly reject `v` against `schema` (a well-formed
/// schema, as [`parse`] checked). `false` means "not sure". Used where a failing branch
/// is what makes the values valid (`oneOf`: every branch but one must fail).
fn surely_invalid(schema: &Json, v: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let entries = match schema {
        Json::Bool(b) => return !*b,
        Json::Obj(entries) => entries,
        _ => return false,
    };
    // Duplicate keys: only the last one counts (as in the parsed schema of the validator).
    let last = |key: &str, arg: &Json| schema.get(key).is_some_and(|l| std::ptr::eq(l, arg));
    entries.iter().any(|(key, arg)| match &**key {
        _ if !last(key, arg) => false,
        "type" => {
            let Some(kind) = json_kind(v) else {
                return false;
            };
            match arg {
                Json::Str(t) => !type_matches(kind, t),
                Json::Arr(ts) => ts
                    .iter()
                    .all(|t| matches!(t, Json::Str(t) if !type_matches(kind, t))),
                _ => false,
            }
        }
        "const" => surely_differs(v, arg),
        "enum" => matches!(arg, Json::Arr(items) if items.iter().all(|j| surely_differs(v, j))),
        "required" => match (v, arg) {
            (Value::Map(m), Json::Arr(names)) => {
                let m = m.borrow();
                names
                    .iter()
                    .any(|n| matches!(n, Json::Str(n) if !m.contains_key(&**n)))
            }
            _ => false,
        },
        "properties" => match (v, arg) {
            (Value::Map(m), Json::Obj(props)) => {
                let m = m.borrow();
                props.iter().any(|(name, sub)| {
                    arg.get(name).is_some_and(|l| std::ptr::eq(l, sub))
                        && m.get(&**name)
                            .is_some_and(|value| surely_invalid(sub, value, depth + 1))
                })
            }
            _ => false,
        },
        "allOf" => {
            matches!(arg, Json::Arr(subs) if subs.iter().any(|s| surely_invalid(s, v, depth + 1)))
        }
        "anyOf" => {
            matches!(arg, Json::Arr(subs) if subs.iter().all(|s| surely_invalid(s, v, depth + 1)))
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(json: &str) -> Value {
        super::super::tests::json_value(json)
    }

    fn check(schema: &str, vals: &str) -> bool {
        let schema = parse(schema.as_bytes()).unwrap();
        surely_valid(&schema, &values(vals))
    }

    const SCHEMA: &str = r##"{
      "$schema": "http://json-schema.org/draft-07/schema#",
      "type": "object",
      "required": ["name"],
      "additionalProperties": false,
      "properties": {
        "name": {"type": "string", "minLength": 1, "description": "x"},
        "replicas": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        "mode": {"enum": ["a", "b", 3]},
        "ports": {"type": "array", "items": {"$ref": "#/$defs/port"}, "maxItems": 2},
        "one": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "any": {"anyOf": [{"type": "string"}, {"const": true}]},
        "deps": {"type": "object", "dependencies": {"a": ["b"]}}
      },
      "$defs": {"port": {"type": "object", "properties": {"n": {"type": "integer"}}}}
    }"##;

    #[test]
    fn accepts_valid_values() {
        assert!(check(SCHEMA, r#"{"name":"x"}"#));
        assert!(check(
            SCHEMA,
            r#"{"name":"x","replicas":3.0,"mode":3,"ports":[{"n":1}],"one":1,"any":true,
                "deps":{"a":1,"b":2}}"#
        ));
        assert!(check(SCHEMA, r#"{"name":"x","replicas":null,"mode":"b"}"#));
    }

    #[test]
    fn unsure_about_invalid_values() {
        for vals in [
            r#"{}"#,
            r#"{"name":""}"#,
            r#"{"name":"x","extra":1}"#,
            r#"{"name":"x","replicas":0}"#,
            r#"{"name":"x","replicas":2.5}"#,
            r#"{"name":"x","mode":"c"}"#,
            r#"{"name":"x","ports":[{"n":"a"}]}"#,
            r#"{"name":"x","ports":[{},{},{}]}"#,
            r#"{"name":"x","one":true}"#,
            r#"{"name":"x","any":false}"#,
            r#"{"name":"x","deps":{"a":1}}"#,
        ] {
            assert!(!check(SCHEMA, vals), "{vals}");
        }
    }

    #[test]
    fn unsure_about_unmodelled_schemas() {
        for schema in [
            r#"{"type":"object","properties":{"a":{"pattern":"^x$"}}}"#,
            r#"{"properties":{"a":{"format":"email"}}}"#,
            r##"{"properties":{"a":{"$ref":"other.json#/x"}}}"##,
            r##"{"properties":{"a":{"$ref":"#/$defs/missing"}}}"##,
            r#"{"$schema":"http://json-schema.org/draft-04/schema#"}"#,
            r#"{"properties":{"b":{"type":"strin"}}}"#,
            r#"{"properties":{"b":{"required":"b"}}}"#,
            r#"{"properties":{"b":{"$id":"x"}}}"#,
            r#"{"not":{"type":"string"}}"#,
        ] {
            assert!(!check(schema, r#"{"a":"x"}"#), "{schema}");
        }
    }

    #[test]
    fn ref_cycles_end() {
        let schema = r##"{"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/a"}}}"##;
        assert!(!check(schema, r#"{}"#));
    }

    #[test]
    fn one_of_with_unsure_branches_is_unsure() {
        // The second branch is not modelled (`not`), so "exactly one" cannot be proven.
        let schema = r#"{"oneOf":[{"type":"string"},{"not":{"type":"integer"}}]}"#;
        assert!(!check(schema, r#""x""#));
    }

    #[test]
    fn one_of_decided_by_const_and_required() {
        // Velero's shape: a flag selects the branch; the other branch fails on `const`.
        let schema = r#"{"type":"object","dependencies":{"agent":{"oneOf":[
            {"properties":{"agent":{"const":false}}},
            {"properties":{"agent":{"const":true}},"required":["nodeAgent"]}]}}}"#;
        assert!(check(schema, r#"{"agent":false}"#));
        assert!(check(schema, r#"{"agent":true,"nodeAgent":{}}"#));
        // Both branches fail here: not "surely valid" (the full validator words the error).
        assert!(!check(schema, r#"{"agent":true}"#));
        // A number against a boolean constant: different kinds, surely different.
        let schema = r#"{"oneOf":[{"const":1},{"enum":["a","b"]}]}"#;
        assert!(check(schema, r#""a""#));
        // Numbers only compare by value in the full validator: unsure.
        let schema = r#"{"oneOf":[{"const":1},{"const":2.5}]}"#;
        assert!(!check(schema, r#"1"#));
    }

    #[test]
    fn surely_invalid_takes_the_last_duplicate() {
        // serde_json keeps the last `const`; the first one must not decide anything.
        let schema = parse(br#"{"const":"x","const":"y"}"#).unwrap();
        assert!(!surely_invalid(&schema, &values(r#""y""#), 0));
        assert!(surely_invalid(&schema, &values(r#""x""#), 0));
    }

    mod against_the_full_validator {
        use super::*;
        use proptest::prelude::*;

        fn scalar() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("null".to_string()),
                Just("true".to_string()),
                Just("false".to_string()),
                Just("1".to_string()),
                Just("2.5".to_string()),
                Just(r#""a""#.to_string()),
                Just(r#""b""#.to_string()),
            ]
        }

        fn value() -> impl Strategy<Value = String> {
            scalar().prop_recursive(3, 12, 3, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..3)
                        .prop_map(|items| format!("[{}]", items.join(","))),
                    prop::collection::vec((prop::sample::select(vec!["a", "b", "c"]), inner), 0..3)
                        .prop_map(|entries| {
                            let body: Vec<String> = entries
                                .iter()
                                .map(|(k, v)| format!("\"{k}\":{v}"))
                                .collect();
                            format!("{{{}}}", body.join(","))
                        }),
                ]
            })
        }

        fn schema() -> impl Strategy<Value = String> {
            let leaf = prop_oneof![
                prop::sample::select(vec![
                    "null", "boolean", "string", "integer", "number", "array", "object"
                ])
                .prop_map(|t| format!(r#"{{"type":"{t}"}}"#)),
                scalar().prop_map(|c| format!(r#"{{"const":{c}}}"#)),
                prop::collection::vec(scalar(), 1..3)
                    .prop_map(|items| format!(r#"{{"enum":[{}]}}"#, items.join(","))),
                prop::sample::subsequence(vec!["a", "b", "c"], 1..3).prop_map(|names| {
                    let names: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
                    format!(r#"{{"required":[{}]}}"#, names.join(","))
                }),
                Just("true".to_string()),
                Just("false".to_string()),
            ];
            leaf.prop_recursive(3, 16, 3, |inner| {
                prop_oneof![
                    (
                        prop::sample::select(vec!["oneOf", "anyOf", "allOf"]),
                        prop::collection::vec(inner.clone(), 1..3)
                    )
                        .prop_map(|(k, subs)| format!(r#"{{"{k}":[{}]}}"#, subs.join(","))),
                    prop::collection::vec((prop::sample::select(vec!["a", "b", "c"]), inner), 1..3)
                        .prop_map(|props| {
                            let body: Vec<String> =
                                props.iter().map(|(k, s)| format!("\"{k}\":{s}")).collect();
                            format!(r#"{{"properties":{{{}}}}}"#, body.join(","))
                        }),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            /// The quick answers are one-sided: "surely valid" and "surely invalid" must
            /// agree with the full validator whenever they are given.
            #[test]
            fn quick_answers_agree(schema_text in schema(), value_text in value()) {
                let full_schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
                let Ok(validator) = jsonschema::validator_for(&full_schema) else {
                    return Ok(());
                };
                let instance: serde_json::Value = serde_json::from_str(&value_text).unwrap();
                let accepted = validator.is_valid(&instance);
                let quick = parse(schema_text.as_bytes()).unwrap();
                let v = values(&value_text);
                if surely_valid(&quick, &v) {
                    prop_assert!(accepted, "quick said valid: {schema_text} {value_text}");
                }
                if surely_invalid(&quick, &v, 0) {
                    prop_assert!(!accepted, "quick said invalid: {schema_text} {value_text}");
                }
            }
        }
    }
}
