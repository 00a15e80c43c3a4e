//! `x-kubernetes-validations` rules, evaluated offline with CEL (the `cel` crate) plus the
//! Kubernetes CEL libraries that rules use in practice:
//! - lists: `isSorted`, `sum`, `min`, `max` (and the cel-go `ext.Lists` set);
//! - strings: the cel-go `ext.Strings` set (`lowerAscii`, `split`, `join`, …);
//! - regex: `matches` (standard), `find`, `findAll`;
//! - quantity: `quantity`, `isQuantity`, `isGreaterThan`, `isLessThan`, `compareTo`, `sign`,
//!   `isInteger`, `asInteger`, `asApproximateFloat`, `add`, `sub` — exact decimal
//!   arithmetic ([`super::quantity`]), never float rounding in comparisons;
//! - url: `url`, `isURL`, `getScheme`, `getHost`, `getHostname`, `getPort`,
//!   `getEscapedPath`;
//! - ip/cidr: `isIP`, `isCIDR`;
//! - format: `format.<name>.validate(s)` (and `format.<name>()`), `format.named(name)`
//!   for the thirteen named formats ([`super::formats`]);
//! - duration/timestamp (cel's `chrono` feature): `duration()`, `timestamp()`, their
//!   arithmetic, comparisons and accessors.
//!
//! Anything else (`authorizer`, …) makes the rule "not evaluated" — reported as info, never
//! silently passed. Transition rules (`oldSelf`) need the stored object and are not
//! applicable offline.
//!
//! Values reach CEL typed by the schema, as the API server does it: `integer` fields are
//! `int`, `number` fields `double`, strings with `format: duration` are durations, with
//! `date`/`date-time` timestamps, with `byte` bytes, and schema defaults are applied to
//! absent fields first (the API server defaults before it validates).

use std::collections::HashMap;
use std::sync::Arc;

use cel::extractors::This;
use cel::objects::{Key, Map, Opaque, OptionalValue};
use cel::{Context, Env, ExecutionError, Program};
use serde_json::Value as Json;

use super::node::{Additional, CelRule, Schema, Types};
use super::quantity::{parse_quantity, Quantity};
use crate::template::Value;

/// The result of one rule on one value.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleOutcome {
    Pass,
    /// The rule evaluated to false; the message is the rule's (or its messageExpression's).
    Fail {
        message: String,
    },
    /// The rule failed at run time in a way the API server also rejects (no such key).
    Error {
        message: String,
    },
    /// We could not evaluate the rule (unsupported function, transition rule, …).
    NotEvaluated {
        reason: String,
    },
}

fn env() -> Arc<Env> {
    static ENV: std::sync::OnceLock<Arc<Env>> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        // Both extensions ship with the crate; failure would mean a name clash inside it, and
        // the functions would then show up as "not evaluated", not as wrong results.
        let _ = env.add_extension(cel::extensions::strings);
        let _ = env.add_extension(cel::extensions::lists);
        Arc::new(env)
    })
    .clone()
}

/// Compile a rule; the error is the parser's message.
pub fn compile(rule: &str) -> Result<Program, String> {
    env().compile(rule).map_err(|e| e.to_string())
}

thread_local! {
    /// Compiled rules by text. Operator CRDs repeat the same rules many times (every
    /// version of a CRD, and several CRDs of one operator, carry the same checks), and a
    /// CRD's rules are compiled twice: once to report rules that do not compile, once into
    /// the validator.
    static COMPILED: std::cell::RefCell<HashMap<String, Result<Arc<Program>, String>>> =
        std::cell::RefCell::new(HashMap::new());
}

/// [`compile`], once per distinct rule text on this thread.
pub fn compile_shared(rule: &str) -> Result<Arc<Program>, String> {
    if let Some(hit) = COMPILED.with(|c| c.borrow().get(rule).cloned()) {
        return hit;
    }
    let compiled = compile(rule).map(Arc::new);
    COMPILED.with(|c| {
        c.borrow_mut().insert(rule.to_string(), compiled.clone());
    });
    compiled
}

/// Whether the program reads `oldSelf` (a transition rule).
pub fn references_old_self(p: &Program) -> bool {
    p.references().has_variable("oldSelf")
}

thread_local! {
    static ROOT: Context<'static, 'static> = kubernetes_context();
}

fn kubernetes_context() -> Context<'static, 'static> {
    let mut ctx = Context::with_env(env());
    // A name the environment already declares cannot be added again; it keeps the
    // environment's meaning, which is the standard one.
    let _ = ctx.add_function("isSorted", is_sorted);
    let _ = ctx.add_function("sum", sum);
    let _ = ctx.add_function("min", list_min);
    let _ = ctx.add_function("max", list_max);
    let _ = ctx.add_function("find", find);
    let _ = ctx.add_function("findAll", find_all);
    let _ = ctx.add_function("quantity", quantity);
    let _ = ctx.add_function("isQuantity", is_quantity);
    let _ = ctx.add_function("isGreaterThan", is_greater_than);
    let _ = ctx.add_function("isLessThan", is_less_than);
    let _ = ctx.add_function("compareTo", compare_to);
    let _ = ctx.add_function("sign", sign);
    let _ = ctx.add_function("isInteger", is_integer);
    let _ = ctx.add_function("asInteger", as_integer);
    let _ = ctx.add_function("asApproximateFloat", as_approximate_float);
    let _ = ctx.add_function("add", quantity_add);
    let _ = ctx.add_function("sub", quantity_sub);
    let _ = ctx.add_function("url", url);
    let _ = ctx.add_function("isURL", is_url);
    let _ = ctx.add_function("getScheme", get_scheme);
    let _ = ctx.add_function("getHost", get_host);
    let _ = ctx.add_function("getHostname", get_hostname);
    let _ = ctx.add_function("getPort", get_port);
    let _ = ctx.add_function("getEscapedPath", get_escaped_path);
    let _ = ctx.add_function("isIP", is_ip);
    let _ = ctx.add_function("isCIDR", is_cidr);
    let _ = ctx.add_function("named", format_named);
    let _ = ctx.add_function("validate", format_validate);
    // The library's constants are fields (`format.dns1123Label.validate(s)`); the call
    // form `format.dns1123Label()` is accepted too.
    for name in FORMAT_NAMES {
        let name: &'static str = name;
        let _ = ctx.add_function(name, move |This(_ns): This<cel::Value>| {
            cel::Value::Opaque(Arc::new(KubeFormat(name)))
        });
    }
    ctx.add_variable_from_value("format", format_namespace());
    ctx
}

/// Evaluate `rule` with `self` bound to `this`.
pub fn evaluate(rule: &CelRule, this: &cel::Value) -> RuleOutcome {
    let program = match &rule.program {
        Ok(p) => p,
        Err(e) => {
            return RuleOutcome::NotEvaluated {
                reason: format!("rule {:?} does not compile: {e}", rule.rule),
            }
        }
    };
    if rule.uses_old_self {
        return RuleOutcome::NotEvaluated {
            reason: format!(
                "transition rule {:?} compares with the stored object (oldSelf); \
                 not applicable offline",
                rule.rule
            ),
        };
    }
    ROOT.with(|root| {
        let mut ctx = root.new_inner_scope();
        ctx.add_variable_from_value("self", this.clone());
        match program.execute(&ctx) {
            Ok(cel::Value::Bool(true)) => RuleOutcome::Pass,
            Ok(cel::Value::Bool(false)) => RuleOutcome::Fail {
                message: failure_message(rule, &ctx),
            },
            Ok(other) => RuleOutcome::NotEvaluated {
                reason: format!("rule {:?} evaluated to {other:?}, not a bool", rule.rule),
            },
            Err(ExecutionError::NoSuchKey(key)) => RuleOutcome::Error {
                message: format!("no such key: {key} evaluating rule: {}", rule.rule),
            },
            Err(e) => RuleOutcome::NotEvaluated {
                reason: format!("rule {:?} could not be evaluated offline: {e}", rule.rule),
            },
        }
    })
}

fn failure_message(rule: &CelRule, ctx: &Context<'_, '_>) -> String {
    if let Some(expr) = &rule.message_expression {
        if let Ok(p) = compile(expr) {
            if let Ok(cel::Value::String(s)) = p.execute(ctx) {
                if !s.trim().is_empty() {
                    return s.to_string();
                }
            }
        }
    }
    match &rule.message {
        Some(m) if !m.trim().is_empty() => m.clone(),
        _ => format!("failed rule: {}", rule.rule),
    }
}

/// Convert a document value to CEL, typed by its schema (see module docs).
pub fn to_cel(v: &Value, s: &Schema) -> cel::Value {
    match v {
        Value::Nil => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Int(i, _) => {
            if wants_double(s) {
                cel::Value::Float(*i as f64)
            } else {
                cel::Value::Int(*i)
            }
        }
        Value::Float(f) => {
            if !wants_double(s) && f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18 {
                cel::Value::Int(*f as i64)
            } else {
                cel::Value::Float(*f)
            }
        }
        Value::String(text) => typed_string(text, s),
        Value::Bytes(b) => cel::Value::Bytes(Arc::new(b.to_vec())),
        Value::Object(o) => cel::Value::String(Arc::new(o.display())),
        Value::List(items) => {
            let empty = Schema::default();
            let item_schema = s.items.as_deref().unwrap_or(&empty);
            cel::Value::List(Arc::new(
                items.iter().map(|i| to_cel(i, item_schema)).collect(),
            ))
        }
        Value::Map(map) => {
            let empty = Schema::default();
            let map = map.borrow();
            let mut out: HashMap<Key, cel::Value> = HashMap::with_capacity(map.len());
            for (k, item) in map.iter() {
                let child = match (s.properties.get(k), &s.additional) {
                    (Some(p), _) => p,
                    (None, Additional::Schema(a)) => a,
                    _ => &empty,
                };
                out.insert(Key::String(Arc::new(k.clone())), to_cel(item, child));
            }
            for (k, p) in &s.properties {
                if map.contains_key(k) {
                    continue;
                }
                if let Some(d) = &p.default {
                    out.insert(Key::String(Arc::new(k.clone())), json_to_cel(d, p));
                }
            }
            cel::Value::Map(Map { map: Arc::new(out) })
        }
    }
}

/// Strings typed by their schema `format`, as the API server's CEL types them:
/// `duration` → duration, `date`/`date-time` → timestamp, `byte` → bytes. A value that
/// does not parse stays a string (the schema check reports the bad format).
fn typed_string(text: &str, s: &Schema) -> cel::Value {
    let typed = match s.format.as_deref() {
        Some("duration") => parse_go_duration(text).map(cel::Value::Duration),
        Some("date-time") => chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(cel::Value::Timestamp),
        Some("date") => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| cel::Value::Timestamp(t.and_utc().fixed_offset())),
        Some("byte") => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()
                .map(|b| cel::Value::Bytes(Arc::new(b)))
        }
        _ => None,
    };
    typed.unwrap_or_else(|| cel::Value::String(Arc::new(text.to_string())))
}

/// A Go `time.ParseDuration` string (`1h30m`, `-1.5s`, `300ms`, `0`).
pub fn parse_go_duration(text: &str) -> Option<chrono::Duration> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(chrono::Duration::zero());
    }
    if rest.is_empty() {
        return None;
    }
    let mut total_nanos: i128 = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = rest.get(..num_len)?;
        if number.is_empty() || number == "." {
            return None;
        }
        rest = rest.get(num_len..)?;
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = rest.get(..unit_len)?;
        rest = rest.get(unit_len..)?;
        let unit_nanos: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        let int: i128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().ok()?
        };
        let mut nanos = int.checked_mul(unit_nanos)?;
        let mut scale = unit_nanos;
        for digit in frac_part.chars() {
            scale /= 10;
            nanos = nanos.checked_add(i128::from(digit.to_digit(10)?) * scale)?;
        }
        total_nanos = total_nanos.checked_add(nanos)?;
    }
    if negative {
        total_nanos = -total_nanos;
    }
    Some(chrono::Duration::nanoseconds(
        i64::try_from(total_nanos).ok()?,
    ))
}

fn wants_double(s: &Schema) -> bool {
    s.types.contains(Types::NUMBER) && !s.types.contains(Types::INTEGER)
}

fn json_to_cel(j: &Json, s: &Schema) -> cel::Value {
    match j {
        Json::Null => cel::Value::Null,
        Json::Bool(b) => cel::Value::Bool(*b),
        Json::Number(n) => match (n.as_i64(), wants_double(s)) {
            (Some(i), false) => cel::Value::Int(i),
            _ => cel::Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(text) => cel::Value::String(Arc::new(text.clone())),
        Json::Array(items) => {
            let empty = Schema::default();
            let item_schema = s.items.as_deref().unwrap_or(&empty);
            cel::Value::List(Arc::new(
                items.iter().map(|i| json_to_cel(i, item_schema)).collect(),
            ))
        }
        Json::Object(obj) => {
            let empty = Schema::default();
            let out: HashMap<Key, cel::Value> = obj
                .iter()
                .map(|(k, v)| {
                    let child = s.properties.get(k).unwrap_or(&empty);
                    (Key::String(Arc::new(k.clone())), json_to_cel(v, child))
                })
                .collect();
            cel::Value::Map(Map { map: Arc::new(out) })
        }
    }
}

// ---- lists ----

fn ordered(a: &cel::Value, b: &cel::Value) -> Option<std::cmp::Ordering> {
    a.partial_cmp(b)
}

fn is_sorted(This(list): This<Arc<Vec<cel::Value>>>) -> Result<bool, ExecutionError> {
    for pair in list.windows(2) {
        if let [a, b] = pair {
            match ordered(a, b) {
                Some(std::cmp::Ordering::Greater) => return Ok(false),
                Some(_) => {}
                None => return Err(ExecutionError::function_error("isSorted", "incomparable")),
            }
        }
    }
    Ok(true)
}

fn sum(This(list): This<Arc<Vec<cel::Value>>>) -> Result<cel::Value, ExecutionError> {
    let mut int_total: i64 = 0;
    let mut float_total = 0.0;
    let mut is_float = false;
    for v in list.iter() {
        match v {
            cel::Value::Int(i) => {
                int_total = int_total
                    .checked_add(*i)
                    .ok_or_else(|| ExecutionError::function_error("sum", "overflow"))?
            }
            cel::Value::Float(f) => {
                is_float = true;
                float_total += f;
            }
            other => {
                return Err(ExecutionError::function_error(
                    "sum",
                    format!("cannot sum {other:?}"),
                ))
            }
        }
    }
    Ok(if is_float {
        cel::Value::Float(float_total + int_total as f64)
    } else {
        cel::Value::Int(int_total)
    })
}

fn extreme(
    name: &str,
    list: &[cel::Value],
    want: std::cmp::Ordering,
) -> Result<cel::Value, ExecutionError> {
    let mut best: Option<&cel::Value> = None;
    for v in list {
        best = match best {
            None => Some(v),
            Some(b) => match ordered(v, b) {
                Some(o) if o == want => Some(v),
                Some(_) => Some(b),
                None => return Err(ExecutionError::function_error(name, "incomparable")),
            },
        };
    }
    best.cloned()
        .ok_or_else(|| ExecutionError::function_error(name, "called on an empty list"))
}

fn list_min(This(list): This<Arc<Vec<cel::Value>>>) -> Result<cel::Value, ExecutionError> {
    extreme("min", &list, std::cmp::Ordering::Less)
}

fn list_max(This(list): This<Arc<Vec<cel::Value>>>) -> Result<cel::Value, ExecutionError> {
    extreme("max", &list, std::cmp::Ordering::Greater)
}

// ---- regex ----

fn regex_for(name: &str, pattern: &str) -> Result<regex::Regex, ExecutionError> {
    super::node::shared_regex(pattern).map_err(|e| ExecutionError::function_error(name, e))
}

fn find(This(s): This<Arc<String>>, pattern: Arc<String>) -> Result<cel::Value, ExecutionError> {
    Ok(text(
        regex_for("find", &pattern)?
            .find(&s)
            .map(|m| m.as_str().to_string())
            .unwrap_or_default(),
    ))
}

fn text(s: String) -> cel::Value {
    cel::Value::String(Arc::new(s))
}

fn find_all(
    This(s): This<Arc<String>>,
    pattern: Arc<String>,
) -> Result<cel::Value, ExecutionError> {
    let re = regex_for("findAll", &pattern)?;
    Ok(cel::Value::List(Arc::new(
        re.find_iter(&s)
            .map(|m| cel::Value::String(Arc::new(m.as_str().to_string())))
            .collect(),
    )))
}

// ---- quantity ----

/// A Kubernetes quantity as a CEL opaque value, with exact decimal arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KubeQuantity(Quantity);

impl Opaque for KubeQuantity {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.Quantity"
    }
}

fn quantity_value(q: Quantity) -> cel::Value {
    cel::Value::Opaque(Arc::new(KubeQuantity(q)))
}

fn as_quantity(name: &str, v: &cel::Value) -> Result<Quantity, ExecutionError> {
    match v {
        cel::Value::Opaque(o) => o
            .downcast_ref::<KubeQuantity>()
            .map(|q| q.0)
            .ok_or_else(|| ExecutionError::function_error(name, "not a quantity")),
        _ => Err(ExecutionError::function_error(name, "not a quantity")),
    }
}

/// The second operand of `add`/`sub`: a quantity or an int.
fn quantity_or_int(name: &str, v: &cel::Value) -> Result<Quantity, ExecutionError> {
    match v {
        cel::Value::Int(i) => Ok(Quantity::from_i64(*i)),
        other => as_quantity(name, other),
    }
}

fn quantity(s: Arc<String>) -> Result<cel::Value, ExecutionError> {
    let q = parse_quantity(&s).ok_or_else(|| {
        ExecutionError::function_error("quantity", format!("invalid quantity {s:?}"))
    })?;
    Ok(quantity_value(q))
}

fn is_quantity(s: Arc<String>) -> bool {
    parse_quantity(&s).is_some()
}

fn is_greater_than(This(a): This<cel::Value>, b: cel::Value) -> Result<bool, ExecutionError> {
    Ok(as_quantity("isGreaterThan", &a)? > as_quantity("isGreaterThan", &b)?)
}

fn is_less_than(This(a): This<cel::Value>, b: cel::Value) -> Result<bool, ExecutionError> {
    Ok(as_quantity("isLessThan", &a)? < as_quantity("isLessThan", &b)?)
}

fn compare_to(This(a): This<cel::Value>, b: cel::Value) -> Result<i64, ExecutionError> {
    let (a, b) = (as_quantity("compareTo", &a)?, as_quantity("compareTo", &b)?);
    Ok(match a.cmp(&b) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    })
}

fn sign(This(a): This<cel::Value>) -> Result<i64, ExecutionError> {
    Ok(as_quantity("sign", &a)?.sign())
}

fn is_integer(This(a): This<cel::Value>) -> Result<bool, ExecutionError> {
    Ok(as_quantity("isInteger", &a)?.as_i64().is_some())
}

fn as_integer(This(a): This<cel::Value>) -> Result<i64, ExecutionError> {
    as_quantity("asInteger", &a)?.as_i64().ok_or_else(|| {
        ExecutionError::function_error("asInteger", "cannot convert value to integer")
    })
}

fn as_approximate_float(This(a): This<cel::Value>) -> Result<f64, ExecutionError> {
    Ok(as_quantity("asApproximateFloat", &a)?.as_f64())
}

fn quantity_add(This(a): This<cel::Value>, b: cel::Value) -> Result<cel::Value, ExecutionError> {
    let sum = as_quantity("add", &a)?
        .checked_add(&quantity_or_int("add", &b)?)
        .map_err(|e| ExecutionError::function_error("add", e))?;
    Ok(quantity_value(sum))
}

fn quantity_sub(This(a): This<cel::Value>, b: cel::Value) -> Result<cel::Value, ExecutionError> {
    let diff = as_quantity("sub", &a)?
        .checked_sub(&quantity_or_int("sub", &b)?)
        .map_err(|e| ExecutionError::function_error("sub", e))?;
    Ok(quantity_value(diff))
}

// ---- format ----

/// A named string format of the Kubernetes `format` library (`format.dns1123Label`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KubeFormat(&'static str);

impl Opaque for KubeFormat {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.NamedFormat"
    }
}

/// The names `format.named()` knows, in the order of the Kubernetes library.
const FORMAT_NAMES: &[&str] = &[
    "dns1123Label",
    "dns1123Subdomain",
    "dns1035Label",
    "qualifiedName",
    "dns1123LabelPrefix",
    "dns1123SubdomainPrefix",
    "dns1035LabelPrefix",
    "labelValue",
    "uri",
    "uuid",
    "byte",
    "date",
    "datetime",
];

/// The `format` variable: a map from format name to format, so that both the library's
/// constants (`format.dns1123Label.validate(s)`) and `format.named("…")` work.
fn format_namespace() -> cel::Value {
    let map: HashMap<Key, cel::Value> = FORMAT_NAMES
        .iter()
        .map(|n| {
            (
                Key::String(Arc::new((*n).to_string())),
                cel::Value::Opaque(Arc::new(KubeFormat(n))),
            )
        })
        .collect();
    cel::Value::Map(Map { map: Arc::new(map) })
}

fn optional(v: Option<cel::Value>) -> cel::Value {
    cel::Value::Opaque(Arc::new(match v {
        Some(v) => OptionalValue::of(v),
        None => OptionalValue::none(),
    }))
}

/// `format.named(name) -> optional<Format>`.
fn format_named(This(_ns): This<cel::Value>, name: Arc<String>) -> cel::Value {
    optional(
        FORMAT_NAMES
            .iter()
            .find(|n| **n == name.as_str())
            .map(|n| cel::Value::Opaque(Arc::new(KubeFormat(n)))),
    )
}

/// `<Format>.validate(s) -> optional<list<string>>`: none when valid, else the errors.
fn format_validate(
    This(f): This<cel::Value>,
    text: Arc<String>,
) -> Result<cel::Value, ExecutionError> {
    let format = match &f {
        cel::Value::Opaque(o) => o.downcast_ref::<KubeFormat>().map(|k| k.0),
        _ => None,
    }
    .ok_or_else(|| ExecutionError::function_error("validate", "not a format"))?;
    let errors = super::formats::validate_named(format, &text);
    Ok(optional((!errors.is_empty()).then(|| {
        cel::Value::List(Arc::new(
            errors
                .into_iter()
                .map(|e| cel::Value::String(Arc::new(e)))
                .collect(),
        ))
    })))
}

// ---- url ----

/// A parsed URL: enough of Go's `net/url` for the accessors rules use.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KubeUrl {
    scheme: String,
    host: String,
    path: String,
}

impl Opaque for KubeUrl {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.URL"
    }
}

/// Parse like the Kubernetes `url()` function: an absolute URI or an absolute path.
fn parse_url(s: &str) -> Option<KubeUrl> {
    if s.starts_with('/') {
        return Some(KubeUrl {
            scheme: String::new(),
            host: String::new(),
            path: s.split(['?', '#']).next().unwrap_or("").to_string(),
        });
    }
    let (scheme, rest) = s.split_once("://")?;
    if scheme.is_empty()
        || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        || s.contains(char::is_whitespace)
    {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = rest.get(..end)?;
    let host = host.rsplit('@').next().unwrap_or(host);
    let after = rest.get(end..).unwrap_or("");
    let path = after.split(['?', '#']).next().unwrap_or("");
    Some(KubeUrl {
        scheme: scheme.to_string(),
        host: host.to_string(),
        path: path.to_string(),
    })
}

fn as_url(name: &str, v: &cel::Value) -> Result<KubeUrl, ExecutionError> {
    match v {
        cel::Value::Opaque(o) => o
            .downcast_ref::<KubeUrl>()
            .cloned()
            .ok_or_else(|| ExecutionError::function_error(name, "not a URL")),
        _ => Err(ExecutionError::function_error(name, "not a URL")),
    }
}

fn url(s: Arc<String>) -> Result<cel::Value, ExecutionError> {
    let u = parse_url(&s)
        .ok_or_else(|| ExecutionError::function_error("url", format!("invalid URL {s:?}")))?;
    Ok(cel::Value::Opaque(Arc::new(u)))
}

fn is_url(s: Arc<String>) -> bool {
    parse_url(&s).is_some()
}

fn get_scheme(This(u): This<cel::Value>) -> Result<cel::Value, ExecutionError> {
    Ok(text(as_url("getScheme", &u)?.scheme))
}

fn get_host(This(u): This<cel::Value>) -> Result<cel::Value, ExecutionError> {
    Ok(text(as_url("getHost", &u)?.host))
}

fn split_host_port(host: &str) -> (String, String) {
    if let Some(rest) = host.strip_prefix('[') {
        if let Some((h, after)) = rest.split_once(']') {
            return (h.to_string(), after.trim_start_matches(':').to_string());
        }
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_string(), p.to_string()),
        _ => (host.to_string(), String::new()),
    }
}

fn get_hostname(This(u): This<cel::Value>) -> Result<cel::Value, ExecutionError> {
    Ok(text(split_host_port(&as_url("getHostname", &u)?.host).0))
}

fn get_port(This(u): This<cel::Value>) -> Result<cel::Value, ExecutionError> {
    Ok(text(split_host_port(&as_url("getPort", &u)?.host).1))
}

fn get_escaped_path(This(u): This<cel::Value>) -> Result<cel::Value, ExecutionError> {
    Ok(text(as_url("getEscapedPath", &u)?.path))
}

// ---- ip / cidr ----

fn is_ip(s: Arc<String>) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

fn is_cidr(s: Arc<String>) -> bool {
    super::validate::check_format("cidr", &s).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::node::compile as compile_schema;

    fn eval(schema: serde_json::Value, doc: &str) -> Vec<RuleOutcome> {
        let s = compile_schema(&schema).unwrap();
        let v = crate::yaml::load_str(doc, "t.yaml").unwrap();
        let this = to_cel(&v, &s);
        s.rules.iter().map(|r| evaluate(r, &this)).collect()
    }

    fn rules(list: &[&str]) -> serde_json::Value {
        let rules: Vec<serde_json::Value> = list
            .iter()
            .map(|r| serde_json::json!({"rule": r}))
            .collect();
        serde_json::json!({
            "type": "object",
            "properties": {
                "min": {"type": "integer"}, "max": {"type": "integer"},
                "mem": {"x-kubernetes-int-or-string": true},
                "endpoint": {"type": "string"},
                "list": {"type": "array", "items": {"type": "string"}},
                "mode": {"type": "string", "default": "fast"},
            },
            "x-kubernetes-validations": rules,
        })
    }

    #[test]
    fn kubernetes_library_functions() {
        let doc = "min: 1\nmax: 3\nmem: 1Gi\nendpoint: https://example.com:8443/x\nlist: [a, b]\n";
        let got = eval(
            rules(&[
                "self.min <= self.max",
                "quantity(self.mem).isGreaterThan(quantity('512Mi'))",
                "url(self.endpoint).getScheme() == 'https'",
                "url(self.endpoint).getPort() == '8443'",
                "self.list.isSorted()",
                "self.endpoint.matches('^https://')",
                "self.mode == 'fast'",
                "has(self.list) && self.list.all(x, x.size() == 1)",
                "[1, 2, 3].sum() == 6",
                "isURL(self.endpoint) && isQuantity('100m')",
                "self.?missing.orValue(7) == 7",
                "self.list.exists(x, x.startsWith('a')) && size(self.list) == 2",
                "self.endpoint.find('[0-9]+') == '8443'",
                "int(self.min) + 1 == 2 && string(self.max) == '3'",
            ]),
            doc,
        );
        assert!(got.iter().all(|o| *o == RuleOutcome::Pass), "{got:?}");
    }

    #[test]
    fn failures_messages_and_not_evaluated() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {"min": {"type": "integer"}, "max": {"type": "integer"}},
            "x-kubernetes-validations": [
                {"rule": "self.min <= self.max", "message": "min must not exceed max"},
                {"rule": "self.min == 0"},
                {"rule": "self.min == oldSelf.min"},
                {"rule": "authorizer.group('apps').resource('deployments').check('get').allowed()"},
                {"rule": "self.missing == 1"},
            ],
        });
        let got = eval(schema, "min: 5\nmax: 3\n");
        assert_eq!(
            got.first(),
            Some(&RuleOutcome::Fail {
                message: "min must not exceed max".into()
            })
        );
        assert_eq!(
            got.get(1),
            Some(&RuleOutcome::Fail {
                message: "failed rule: self.min == 0".into()
            })
        );
        assert!(matches!(got.get(2), Some(RuleOutcome::NotEvaluated { .. })));
        assert!(matches!(got.get(3), Some(RuleOutcome::NotEvaluated { .. })));
        assert!(matches!(got.get(4), Some(RuleOutcome::Error { .. })));
    }

    fn all_pass(schema: serde_json::Value, doc: &str) {
        let got = eval(schema, doc);
        let failed: Vec<_> = got
            .iter()
            .enumerate()
            .filter(|(_, o)| **o != RuleOutcome::Pass)
            .collect();
        assert!(failed.is_empty(), "{failed:?}");
    }

    #[test]
    fn format_library() {
        all_pass(
            rules(&[
                "!format.dns1123Label.validate('my-name').hasValue()",
                "format.dns1123Label.validate('My_Name').hasValue()",
                "format.dns1123Label().validate('ok').orValue([]).size() == 0",
                "format.named('dns1123Subdomain').value().validate('a.b-c').hasValue() == false",
                "!format.named('noSuchFormat').hasValue()",
                "format.dns1035Label.validate('1abc').value().size() == 1",
                "!format.qualifiedName.validate('example.com/My.Name').hasValue()",
                "!format.dns1123LabelPrefix.validate('prefix-').hasValue()",
                "!format.dns1123SubdomainPrefix.validate('sub.prefix-').hasValue()",
                "!format.dns1035LabelPrefix.validate('prefix-').hasValue()",
                "format.labelValue.validate('-bad').hasValue()",
                "!format.uri.validate('https://example.com/x').hasValue()",
                "format.uri.validate('example.com').value()[0] == 'parse \"example.com\": invalid URI for request'",
                "!format.uuid.validate('123e4567-e89b-12d3-a456-426614174000').hasValue()",
                "format.byte.validate('!!').hasValue()",
                "!format.date.validate('2024-02-29').hasValue()",
                "format.datetime.validate('2024-02-30T00:00:00Z').hasValue()",
                "self.list.all(x, !format.dns1123Label.validate(x).hasValue())",
            ]),
            "list: [a, b]\n",
        );
    }

    #[test]
    fn quantities_are_exact() {
        all_pass(
            rules(&[
                "quantity('1.5Gi').isGreaterThan(quantity('1G'))",
                "quantity('9223372036854775809').isGreaterThan(quantity('9223372036854775808'))",
                "quantity('0.1').add(quantity('0.2')).compareTo(quantity('300m')) == 0",
                "quantity('1Gi').sub(quantity('1Mi')).asInteger() == 1072693248",
                "quantity('1').add(2).asInteger() == 3",
                "quantity('5').sub(7).sign() == -1",
                "quantity('1500m').isInteger() == false && quantity('2000m').isInteger()",
                "quantity('1.5').asApproximateFloat() == 1.5",
                "quantity('999m').isLessThan(quantity('1'))",
                "quantity('1e3').compareTo(quantity('1k')) == 0",
                "isQuantity('1Gi') && !isQuantity('1GB')",
                "quantity(self.mem).isGreaterThan(quantity('1073741823'))",
            ]),
            "mem: 1Gi\n",
        );
        let schema = rules(&["quantity('1.5').asInteger() == 1"]);
        assert!(matches!(
            eval(schema, "{}").first(),
            Some(RuleOutcome::NotEvaluated { .. })
        ));
    }

    #[test]
    fn durations_and_timestamps() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "interval": {"type": "string", "format": "duration"},
                "start": {"type": "string", "format": "date-time"},
                "day": {"type": "string", "format": "date"},
                "raw": {"type": "string"},
            },
            "x-kubernetes-validations": [
                {"rule": "self.interval >= duration('30s')"},
                {"rule": "self.interval == duration('1m30s')"},
                {"rule": "duration(self.raw) < duration('1h')"},
                {"rule": "self.start < timestamp('2030-01-01T00:00:00Z')"},
                {"rule": "self.start + self.interval == timestamp('2024-05-01T12:01:30Z')"},
                {"rule": "self.start.getHours() == 12 && self.start.getFullYear() == 2024"},
                {"rule": "self.day.getDayOfMonth() == 0"},
                {"rule": "timestamp('2024-05-02T00:00:00Z') - self.start == duration('12h')"},
                {"rule": "self.interval.getSeconds() == 90"},
            ],
        });
        all_pass(
            schema,
            "interval: 1m30s\nstart: '2024-05-01T12:00:00Z'\nday: '2024-05-01'\nraw: 300ms\n",
        );
        assert_eq!(
            parse_go_duration("1h2m3.5s"),
            Some(chrono::Duration::milliseconds(3_723_500))
        );
        assert_eq!(
            parse_go_duration("-1.5us"),
            Some(chrono::Duration::nanoseconds(-1500))
        );
        for bad in ["", "1", "1d", "h", "1.2.3s", "--1s"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn invalid_rule_does_not_compile() {
        assert!(compile("self.a ==").is_err());
        let s = compile_schema(&serde_json::json!({
            "type": "object", "x-kubernetes-validations": [{"rule": "self.a =="}]
        }))
        .unwrap();
        let r = s.rules.first().unwrap();
        assert!(matches!(
            evaluate(r, &cel::Value::Null),
            RuleOutcome::NotEvaluated { .. }
        ));
    }
}
