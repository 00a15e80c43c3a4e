//! The validator: walks a document ([`Value`]) and a compiled [`Schema`] together and
//! records every violation with the dotted field path where it happens
//! (`spec.template.spec.containers[0].image`).
//!
//! Two modes, because the API server treats built-in kinds and custom resources
//! differently:
//! - [`Mode::BuiltIn`]: JSON Schema semantics of the strict built-in schemas
//!   (`additionalProperties: false` marks unknown fields; `null` only where the type allows).
//! - [`Mode::Crd`]: structural-schema semantics: fields not in `properties` are unknown
//!   unless `x-kubernetes-preserve-unknown-fields`; a `null` for a non-nullable field is
//!   pruned, not rejected; `x-kubernetes-list-type` uniqueness; `x-kubernetes-validations`
//!   rules evaluated with CEL.

use std::rc::Rc;

use serde_json::Value as Json;

use super::cel::{self, RuleOutcome};
use super::node::{Additional, Schema, Types};
use super::quantity::parse_quantity;
use crate::template::Value;

/// Which semantics to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    BuiltIn,
    Crd,
}

/// What kind of problem a violation is; each maps to a rule id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    TypeMismatch,
    UnknownField,
    RequiredMissing,
    /// Enum, pattern, bounds, format, duplicates, anyOf/oneOf/not.
    Invalid,
    CelViolated,
    CelNotEvaluated,
}

impl ViolationKind {
    pub fn rule_id(self) -> &'static str {
        match self {
            ViolationKind::TypeMismatch => super::RULE_TYPE_MISMATCH,
            ViolationKind::UnknownField => super::RULE_UNKNOWN_FIELD,
            ViolationKind::RequiredMissing => super::RULE_REQUIRED_MISSING,
            ViolationKind::Invalid => super::RULE_INVALID,
            ViolationKind::CelViolated => super::RULE_CEL_VIOLATED,
            ViolationKind::CelNotEvaluated => super::RULE_CEL_NOT_EVALUATED,
        }
    }
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub kind: ViolationKind,
    /// Dotted path; empty for the document root.
    pub path: String,
    pub message: String,
}

/// Finds named definitions (`$ref`) for built-in schemas.
pub trait Resolver {
    fn resolve(&self, name: &str) -> Option<Rc<Schema>>;
}

/// A resolver that knows no definitions (self-contained schemas).
pub struct NoRefs;

impl Resolver for NoRefs {
    fn resolve(&self, _name: &str) -> Option<Rc<Schema>> {
        None
    }
}

#[derive(Debug, Clone)]
enum Seg {
    Field(String),
    Index(usize),
}

/// Render a path: fields dotted, list indices in brackets; a key that is not a plain
/// identifier (a label like `app.kubernetes.io/name`) is bracketed so the path stays readable.
fn render(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Field(name) => {
                let plain = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
                if plain {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                } else {
                    out.push('[');
                    out.push_str(name);
                    out.push(']');
                }
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// Join a CEL rule's `fieldPath` (`.spec.x`, `['a.b']`) to the current path.
fn join_field_path(base: &str, field_path: &str) -> String {
    let rel = field_path.trim();
    let rel = rel.strip_prefix('.').unwrap_or(rel);
    if base.is_empty() {
        rel.to_string()
    } else if rel.starts_with('[') {
        format!("{base}{rel}")
    } else if rel.is_empty() {
        base.to_string()
    } else {
        format!("{base}.{rel}")
    }
}

/// Walks values against schemas, collecting [`Violation`]s.
pub struct Validator<'r> {
    resolver: &'r dyn Resolver,
    mode: Mode,
    path: Vec<Seg>,
    violations: Vec<Violation>,
    /// Off inside `allOf`/`anyOf`/`oneOf`/`not` branches of CRD schemas: those hold value
    /// validations only; the structural schema decides which fields exist.
    check_unknown: bool,
    /// Definition used for `metadata` of custom resources and embedded resources.
    object_meta: Option<Rc<Schema>>,
}

impl<'r> Validator<'r> {
    pub fn new(resolver: &'r dyn Resolver, mode: Mode) -> Self {
        Validator {
            resolver,
            mode,
            path: Vec::new(),
            violations: Vec::new(),
            check_unknown: true,
            object_meta: None,
        }
    }

    /// The schema `metadata` of custom and embedded resources is checked against (the
    /// built-in `ObjectMeta`).
    pub fn with_object_meta(mut self, meta: Option<Rc<Schema>>) -> Self {
        self.object_meta = meta;
        self
    }

    pub fn into_violations(self) -> Vec<Violation> {
        self.violations
    }

    /// Validate a whole document. For CRDs the root is a resource: `apiVersion`, `kind` and
    /// `metadata` are implicit.
    pub fn validate_root(&mut self, schema: &Schema, value: &Value) {
        match self.mode {
            Mode::BuiltIn => self.check(schema, value),
            Mode::Crd => self.check_node(schema, value, true),
        }
    }

    fn push(&mut self, kind: ViolationKind, message: impl Into<String>) {
        self.violations.push(Violation {
            kind,
            path: render(&self.path),
            message: message.into(),
        });
    }

    fn push_at(&mut self, kind: ViolationKind, child: &str, message: impl Into<String>) {
        self.path.push(Seg::Field(child.to_string()));
        self.push(kind, message);
        self.path.pop();
    }

    fn check(&mut self, s: &Schema, v: &Value) {
        self.check_node(s, v, false);
    }

    fn check_node(&mut self, s: &Schema, v: &Value, resource_root: bool) {
        if let Some(name) = &s.reference {
            match self.resolver.resolve(name) {
                Some(target) => self.check_node(&target, v, resource_root),
                None => self.push(
                    ViolationKind::Invalid,
                    format!("schema definition {name:?} not found"),
                ),
            }
            return;
        }
        if v.is_nil() {
            if !(s.nullable || s.types.is_any() || s.types.contains(Types::NULL)) {
                self.push(
                    ViolationKind::TypeMismatch,
                    format!("must be of type {}, got null", s.types.describe()),
                );
            }
            return;
        }
        if !self.check_type(s, v) {
            return;
        }
        if let Some(options) = &s.enumeration {
            if !options.iter().any(|o| json_equals(o, v)) {
                let shown: Vec<String> = options.iter().map(|o| o.to_string()).collect();
                self.push(
                    ViolationKind::Invalid,
                    format!(
                        "unsupported value {}: supported values: {}",
                        show(v),
                        shown.join(", ")
                    ),
                );
            }
        }
        match v {
            Value::String(text) => self.check_string(s, text),
            Value::Int(_, _) | Value::Float(_) => self.check_number(s, number(v).unwrap_or(0.0)),
            Value::List(items) => self.check_list(s, items),
            Value::Map(map) => {
                let map = map.borrow();
                self.check_object(s, &map, resource_root || s.embedded_resource);
            }
            _ => {}
        }
        self.check_combinators(s, v);
        if !s.rules.is_empty() {
            self.check_rules(s, v);
        }
    }

    /// Type check; false when the value has the wrong type (nothing below is checked then).
    fn check_type(&mut self, s: &Schema, v: &Value) -> bool {
        let actual = json_type(v);
        if s.quantity {
            return match v {
                Value::String(text) => {
                    if parse_quantity(text).is_none() {
                        self.push(
                            ViolationKind::Invalid,
                            format!(
                                "invalid quantity {text:?}: quantities must match the regular \
                                 expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
                            ),
                        );
                    }
                    false
                }
                Value::Int(_, _) | Value::Float(_) => false,
                _ => {
                    self.push(
                        ViolationKind::TypeMismatch,
                        format!(
                            "must be a quantity (string or number), got {}",
                            type_word(v)
                        ),
                    );
                    false
                }
            };
        }
        if s.int_or_string {
            if actual == Types::INTEGER || actual == Types::STRING {
                return true;
            }
            self.push(
                ViolationKind::TypeMismatch,
                format!(
                    "must be of type integer or string, got {}",
                    describe_value(v)
                ),
            );
            return false;
        }
        if s.types.is_any() {
            return true;
        }
        let ok = s.types.contains(actual)
            || (actual == Types::INTEGER && s.types.contains(Types::NUMBER));
        if !ok {
            self.push(
                ViolationKind::TypeMismatch,
                format!(
                    "must be of type {}, got {}",
                    s.types.describe(),
                    describe_value(v)
                ),
            );
        }
        ok
    }

    fn check_string(&mut self, s: &Schema, text: &str) {
        let len = text.chars().count() as u64;
        if let Some(min) = s.min_length {
            if len < min {
                self.push(
                    ViolationKind::Invalid,
                    format!("{text:?} is shorter than the minimum length {min}"),
                );
            }
        }
        if let Some(max) = s.max_length {
            if len > max {
                self.push(
                    ViolationKind::Invalid,
                    format!("may not be longer than {max} characters (got {len})"),
                );
            }
        }
        if let Some((source, re)) = &s.pattern {
            if !re.is_match(text) {
                self.push(
                    ViolationKind::Invalid,
                    format!("{text:?} does not match pattern {source:?}"),
                );
            }
        }
        if let Some(format) = &s.format {
            if let Some(problem) = check_format(format, text) {
                self.push(ViolationKind::Invalid, problem);
            }
        }
    }

    fn check_number(&mut self, s: &Schema, n: f64) {
        let shown = crate::template::value::format_float_g(n);
        if let Some(min) = s.minimum {
            if n < min || (s.exclusive_minimum && n == min) {
                let op = if s.exclusive_minimum { ">" } else { ">=" };
                self.push(
                    ViolationKind::Invalid,
                    format!(
                        "{shown} must be {op} {}",
                        crate::template::value::format_float_g(min)
                    ),
                );
            }
        }
        if let Some(max) = s.maximum {
            if n > max || (s.exclusive_maximum && n == max) {
                let op = if s.exclusive_maximum { "<" } else { "<=" };
                self.push(
                    ViolationKind::Invalid,
                    format!(
                        "{shown} must be {op} {}",
                        crate::template::value::format_float_g(max)
                    ),
                );
            }
        }
        if let Some(m) = s.multiple_of {
            if m > 0.0 && ((n / m).round() * m - n).abs() > 1e-9 * m.max(1.0) {
                self.push(
                    ViolationKind::Invalid,
                    format!(
                        "{shown} must be a multiple of {}",
                        crate::template::value::format_float_g(m)
                    ),
                );
            }
        }
        // Go decodes into int32/int64 fields and fails on anything else.
        let (lo, hi) = match s.format.as_deref() {
            Some("int32") => (i32::MIN as f64, i32::MAX as f64),
            Some("int64") => (i64::MIN as f64, i64::MAX as f64),
            _ => return,
        };
        if n < lo || n > hi {
            self.push(
                ViolationKind::Invalid,
                format!(
                    "{shown} is out of range for {}",
                    s.format.as_deref().unwrap_or("")
                ),
            );
        }
    }

    fn check_list(&mut self, s: &Schema, items: &[Value]) {
        let n = items.len() as u64;
        if let Some(min) = s.min_items {
            if n < min {
                self.push(
                    ViolationKind::Invalid,
                    format!("must have at least {min} items (got {n})"),
                );
            }
        }
        if let Some(max) = s.max_items {
            if n > max {
                self.push(
                    ViolationKind::Invalid,
                    format!("must have at most {max} items (got {n})"),
                );
            }
        }
        if let Some(item_schema) = &s.items {
            for (i, item) in items.iter().enumerate() {
                self.path.push(Seg::Index(i));
                self.check(item_schema, item);
                self.path.pop();
            }
        }
        let set_semantics =
            s.unique_items || (self.mode == Mode::Crd && s.list_type.as_deref() == Some("set"));
        if set_semantics {
            for (i, item) in items.iter().enumerate() {
                if items
                    .get(..i)
                    .is_some_and(|before| before.iter().any(|b| deep_equals(b, item)))
                {
                    self.path.push(Seg::Index(i));
                    self.push(
                        ViolationKind::Invalid,
                        format!("duplicate value: {}", show(item)),
                    );
                    self.path.pop();
                }
            }
        }
        if self.mode == Mode::Crd
            && s.list_type.as_deref() == Some("map")
            && !s.list_map_keys.is_empty()
        {
            let key_of = |item: &Value| -> Vec<Value> {
                s.list_map_keys
                    .iter()
                    .map(|k| item.get(k).unwrap_or(Value::Nil))
                    .collect()
            };
            let keys: Vec<Vec<Value>> = items.iter().map(key_of).collect();
            for (i, key) in keys.iter().enumerate() {
                let dup = keys.get(..i).is_some_and(|before| {
                    before
                        .iter()
                        .any(|b| b.iter().zip(key).all(|(x, y)| deep_equals(x, y)))
                });
                if dup {
                    let shown: Vec<String> = s
                        .list_map_keys
                        .iter()
                        .zip(key)
                        .map(|(k, v)| format!("{k}={}", show(v)))
                        .collect();
                    self.path.push(Seg::Index(i));
                    self.push(
                        ViolationKind::Invalid,
                        format!("duplicate entry with key {}", shown.join(", ")),
                    );
                    self.path.pop();
                }
            }
        }
    }

    fn check_object(
        &mut self,
        s: &Schema,
        map: &std::collections::BTreeMap<String, Value>,
        resource: bool,
    ) {
        let n = map.len() as u64;
        if let Some(min) = s.min_properties {
            if n < min {
                self.push(
                    ViolationKind::Invalid,
                    format!("must have at least {min} properties (got {n})"),
                );
            }
        }
        if let Some(max) = s.max_properties {
            if n > max {
                self.push(
                    ViolationKind::Invalid,
                    format!("must have at most {max} properties (got {n})"),
                );
            }
        }
        for name in &s.required {
            let present = match map.get(name) {
                None => false,
                // Built-in: a required field given as null is as good as missing.
                // CRD: null is pruned before validation for non-nullable fields.
                Some(Value::Nil) => {
                    s.properties.get(name).is_some_and(|p| p.nullable) && self.mode == Mode::Crd
                }
                Some(_) => true,
            };
            if !present {
                self.push_at(
                    ViolationKind::RequiredMissing,
                    name,
                    format!("missing required field {name:?}"),
                );
            }
        }
        let crd = self.mode == Mode::Crd;
        for (key, value) in map {
            if let Some(prop) = s.properties.get(key) {
                if crd && value.is_nil() && !prop.nullable {
                    continue;
                }
                self.path.push(Seg::Field(key.clone()));
                if resource && key == "metadata" {
                    self.check_metadata(prop, value);
                } else {
                    self.check(prop, value);
                }
                self.path.pop();
                continue;
            }
            if resource && (key == "apiVersion" || key == "kind" || key == "metadata") {
                if key == "metadata" {
                    self.path.push(Seg::Field(key.clone()));
                    self.check_metadata(&Schema::default(), value);
                    self.path.pop();
                }
                continue;
            }
            match &s.additional {
                Additional::Schema(values) => {
                    self.path.push(Seg::Field(key.clone()));
                    self.check(values, value);
                    self.path.pop();
                }
                Additional::Allow => {}
                Additional::Deny => {
                    if self.check_unknown {
                        self.push_at(
                            ViolationKind::UnknownField,
                            key,
                            format!("unknown field {key:?}"),
                        );
                    }
                }
                Additional::Unspecified => {
                    if crd && self.check_unknown && !s.preserve_unknown && !s.types.is_any() {
                        self.push_at(
                            ViolationKind::UnknownField,
                            key,
                            format!("unknown field {key:?}"),
                        );
                    }
                }
            }
        }
    }

    /// `metadata` of a custom (or embedded) resource: the API server checks it as a built-in
    /// `ObjectMeta`; a CRD schema may add constraints on `name` and `generateName` only.
    fn check_metadata(&mut self, crd_schema: &Schema, value: &Value) {
        if let Some(meta) = self.object_meta.clone() {
            let saved = self.mode;
            self.mode = Mode::BuiltIn;
            self.check(&meta, value);
            self.mode = saved;
        }
        let saved = std::mem::replace(&mut self.check_unknown, false);
        self.check(crd_schema, value);
        self.check_unknown = saved;
    }

    fn check_combinators(&mut self, s: &Schema, v: &Value) {
        if s.all_of.is_empty() && s.any_of.is_empty() && s.one_of.is_empty() && s.not.is_none() {
            return;
        }
        let saved_unknown = self.check_unknown;
        if self.mode == Mode::Crd {
            self.check_unknown = false;
        }
        for sub in &s.all_of {
            self.check(sub, v);
        }
        if !s.any_of.is_empty() {
            let passing = s.any_of.iter().filter(|sub| self.passes(sub, v)).count();
            if passing == 0 {
                self.push(
                    ViolationKind::Invalid,
                    format!("{} must match at least one of the anyOf schemas", show(v)),
                );
            }
        }
        if !s.one_of.is_empty() {
            let passing = s.one_of.iter().filter(|sub| self.passes(sub, v)).count();
            if passing != 1 {
                self.push(
                    ViolationKind::Invalid,
                    format!(
                        "{} must match exactly one of the oneOf schemas (matches {passing})",
                        show(v)
                    ),
                );
            }
        }
        if let Some(not) = &s.not {
            if self.passes(not, v) {
                self.push(
                    ViolationKind::Invalid,
                    format!("{} must not match the schema in \"not\"", show(v)),
                );
            }
        }
        self.check_unknown = saved_unknown;
    }

    /// Whether `v` satisfies `s`, without recording anything.
    fn passes(&mut self, s: &Schema, v: &Value) -> bool {
        let saved = std::mem::take(&mut self.violations);
        self.check(s, v);
        let ok = self
            .violations
            .iter()
            .all(|x| x.kind == ViolationKind::CelNotEvaluated);
        self.violations = saved;
        ok
    }

    fn check_rules(&mut self, s: &Schema, v: &Value) {
        let this = cel::to_cel(v, s);
        let here = render(&self.path);
        for rule in &s.rules {
            let outcome = cel::evaluate(rule, &this);
            let (kind, path, message) = match outcome {
                RuleOutcome::Pass => continue,
                RuleOutcome::Fail { message } => (
                    ViolationKind::CelViolated,
                    match &rule.field_path {
                        Some(fp) => join_field_path(&here, fp),
                        None => here.clone(),
                    },
                    message,
                ),
                RuleOutcome::Error { message } => {
                    (ViolationKind::CelViolated, here.clone(), message)
                }
                RuleOutcome::NotEvaluated { reason } => {
                    (ViolationKind::CelNotEvaluated, here.clone(), reason)
                }
            };
            self.violations.push(Violation {
                kind,
                path,
                message,
            });
        }
    }
}

/// The JSON type of a value as the API server sees it after decoding: whole numbers are
/// integers (our YAML loader gives every number as float64, like Helm's JSON round trip).
pub fn json_type(v: &Value) -> Types {
    match v {
        Value::Nil => Types::NULL,
        Value::Bool(_) => Types::BOOLEAN,
        Value::Int(_, _) => Types::INTEGER,
        Value::Float(f) if f.is_finite() && f.fract() == 0.0 => Types::INTEGER,
        Value::Float(_) => Types::NUMBER,
        Value::String(_) | Value::Bytes(_) | Value::Object(_) => Types::STRING,
        Value::List(_) => Types::ARRAY,
        Value::Map(_) => Types::OBJECT,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i, _) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn type_word(v: &Value) -> &'static str {
    let t = json_type(v);
    match t {
        Types::NULL => "null",
        Types::BOOLEAN => "boolean",
        Types::INTEGER => "integer",
        Types::NUMBER => "number",
        Types::STRING => "string",
        Types::ARRAY => "array",
        _ => "object",
    }
}

/// `string ("three")`, `integer (3)`, `object`.
fn describe_value(v: &Value) -> String {
    match v {
        Value::List(_) | Value::Map(_) => type_word(v).to_string(),
        _ => format!("{} ({})", type_word(v), show(v)),
    }
}

/// A scalar as JSON would print it; collections abbreviated.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{:?}", s.as_ref()),
        Value::Nil => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i, _) => i.to_string(),
        Value::Float(f) => crate::template::value::format_float_g(*f),
        Value::List(_) => "array".to_string(),
        Value::Map(_) => "object".to_string(),
        other => other.to_string(),
    }
}

fn json_equals(j: &Json, v: &Value) -> bool {
    match (j, v) {
        (Json::Null, Value::Nil) => true,
        (Json::Bool(a), Value::Bool(b)) => a == b,
        (Json::Number(a), _) => match (a.as_f64(), number(v)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        (Json::String(a), Value::String(b)) => a.as_str() == b.as_ref(),
        (Json::Array(a), Value::List(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| json_equals(x, y))
        }
        (Json::Object(a), Value::Map(b)) => {
            let b = b.borrow();
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| json_equals(x, y)))
        }
        _ => false,
    }
}

/// Structural equality with numeric comparison (`1` equals `1.0`).
pub fn deep_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equals(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| deep_equals(p, q)))
        }
        _ => match (number(a), number(b)) {
            (Some(p), Some(q)) => p == q,
            _ => match (a, b) {
                (Value::String(p), Value::String(q)) => p == q,
                (Value::Bool(p), Value::Bool(q)) => p == q,
                (Value::Nil, Value::Nil) => true,
                _ => false,
            },
        },
    }
}

/// Check the string formats the API server validates (`k8s.io/kube-openapi` strfmt
/// registry, as used for CRDs). Unknown formats pass, as they do on the server.
pub fn check_format(format: &str, text: &str) -> Option<String> {
    let ok = match format {
        "byte" => is_base64(text),
        "date-time" | "datetime" => is_date_time(text),
        "date" => is_date(text),
        "ipv4" => text.parse::<std::net::Ipv4Addr>().is_ok(),
        "ipv6" => text.parse::<std::net::Ipv6Addr>().is_ok(),
        "cidr" => is_cidr(text),
        "uuid" | "uuid3" | "uuid4" | "uuid5" => is_uuid(text),
        "hostname" => is_hostname(text),
        "mac" => is_mac(text),
        "email" => text
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.')),
        "uri" => is_uri(text),
        _ => true,
    };
    if ok {
        None
    } else {
        Some(format!("{text:?} is not a valid {format}"))
    }
}

fn is_base64(text: &str) -> bool {
    // Go's encoding/json decodes []byte with StdEncoding, which skips \r and \n.
    let clean: Vec<u8> = text
        .bytes()
        .filter(|b| *b != b'\n' && *b != b'\r')
        .collect();
    if !clean.len().is_multiple_of(4) {
        return false;
    }
    let body_len = clean.iter().rposition(|b| *b != b'=').map_or(0, |p| p + 1);
    let padding = clean.len() - body_len;
    padding <= 2
        && clean.get(..body_len).is_some_and(|body| {
            body.iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        })
}

fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
        // A real calendar day, as Go's time.Parse checks it.
        && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

fn is_date_time(text: &str) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
        )
        .ok()
    })
    .as_ref()
    .is_none_or(|re| re.is_match(text))
        && text.get(..10).is_some_and(is_date)
        && text.get(11..19).is_some_and(|t| {
            chrono::NaiveTime::parse_from_str(t, "%H:%M:%S").is_ok_and(|_| !t.starts_with("24"))
        })
}

fn is_cidr(text: &str) -> bool {
    let Some((ip, bits)) = text.split_once('/') else {
        return false;
    };
    let Ok(bits) = bits.parse::<u8>() else {
        return false;
    };
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => bits <= 32,
        Ok(std::net::IpAddr::V6(_)) => bits <= 128,
        Err(_) => false,
    }
}

fn is_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_hostname(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn is_mac(text: &str) -> bool {
    let parts: Vec<&str> = text.split([':', '-']).collect();
    matches!(parts.len(), 6 | 8 | 20)
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

fn is_uri(text: &str) -> bool {
    match text.split_once(':') {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::node::compile;

    fn run(schema: serde_json::Value, doc: &str, mode: Mode) -> Vec<(String, ViolationKind)> {
        let s = compile(&schema).unwrap();
        let v = crate::yaml::load_str(doc, "t.yaml").unwrap();
        let mut val = Validator::new(&NoRefs, mode);
        val.validate_root(&s, &v);
        val.into_violations()
            .into_iter()
            .map(|x| (x.path, x.kind))
            .collect()
    }

    #[test]
    fn paths_and_kinds() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"},
                    "replicas": {"type": "integer", "minimum": 1},
                    "items": {"type": "array", "items": {"type": "object", "properties": {
                        "port": {"x-kubernetes-int-or-string": true}}}},
                }}
            }
        });
        let got = run(
            schema,
            "spec:\n  replicas: 0\n  extra: 1\n  items:\n  - port: [1]\n",
            Mode::Crd,
        );
        assert_eq!(
            got,
            vec![
                ("spec.name".to_string(), ViolationKind::RequiredMissing),
                ("spec.extra".to_string(), ViolationKind::UnknownField),
                (
                    "spec.items[0].port".to_string(),
                    ViolationKind::TypeMismatch
                ),
                ("spec.replicas".to_string(), ViolationKind::Invalid),
            ]
        );
    }

    #[test]
    fn crd_nulls_are_pruned_and_whole_floats_are_integers() {
        let schema = serde_json::json!({"type": "object", "properties": {
            "a": {"type": "string"}, "b": {"type": "integer"}}});
        assert!(run(schema, "a: null\nb: 3\n", Mode::Crd).is_empty());
    }

    #[test]
    fn formats() {
        assert_eq!(check_format("byte", "aGVsbG8="), None);
        assert!(check_format("byte", "not base64!").is_some());
        assert_eq!(check_format("date-time", "2024-01-02T03:04:05Z"), None);
        assert!(check_format("date-time", "yesterday").is_some());
        assert_eq!(check_format("cidr", "10.0.0.0/8"), None);
        assert!(check_format("cidr", "10.0.0.0/33").is_some());
        assert_eq!(check_format("unknown-format", "x"), None);
    }

    #[test]
    fn label_keys_are_bracketed() {
        let path = vec![
            Seg::Field("metadata".into()),
            Seg::Field("labels".into()),
            Seg::Field("app.kubernetes.io/name".into()),
        ];
        assert_eq!(render(&path), "metadata.labels[app.kubernetes.io/name]");
        assert_eq!(join_field_path("spec", ".replicas"), "spec.replicas");
        assert_eq!(join_field_path("", ".spec.x"), "spec.x");
    }
}
