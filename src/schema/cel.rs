//! `x-kubernetes-validations` rules, evaluated offline with CEL (the `cel` crate) plus the
//! Kubernetes CEL libraries that rules use in practice:
//! - lists: `isSorted`, `sum`, `min`, `max` (and the cel-go `ext.Lists` set);
//! - strings: the cel-go `ext.Strings` set (`lowerAscii`, `split`, `join`, …);
//! - regex: `matches` (standard), `find`, `findAll`;
//! - quantity: `quantity`, `isQuantity`, `isGreaterThan`, `isLessThan`, `compareTo`, `sign`,
//!   `isInteger`, `asInteger`, `asApproximateFloat`, `add`, `sub`;
//! - url: `url`, `isURL`, `getScheme`, `getHost`, `getHostname`, `getPort`,
//!   `getEscapedPath`;
//! - ip/cidr: `isIP`, `isCIDR`.
//!
//! Anything else (the `format` library, `authorizer`, optional types) makes the rule
//! "not evaluated" — reported as info, never silently passed. Transition rules (`oldSelf`)
//! need the stored object and are not applicable offline.
//!
//! Values reach CEL typed by the schema, as the API server does it: `integer` fields are
//! `int`, `number` fields `double`, and schema defaults are applied to absent fields first
//! (the API server defaults before it validates).

use std::collections::HashMap;
use std::sync::Arc;

use cel::extractors::This;
use cel::objects::{Key, Map, Opaque};
use cel::{Context, Env, ExecutionError, Program};
use serde_json::Value as Json;

use super::node::{Additional, CelRule, Schema, Types};
use super::quantity::parse_quantity;
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
        Value::Int(i) => {
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
        Value::String(text) => cel::Value::String(Arc::new(text.to_string())),
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
    regex::Regex::new(pattern).map_err(|e| ExecutionError::function_error(name, e))
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

/// A Kubernetes quantity as a CEL opaque value.
#[derive(Debug, Clone, Copy)]
struct KubeQuantity(f64);

impl PartialEq for KubeQuantity {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for KubeQuantity {}

impl Opaque for KubeQuantity {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.Quantity"
    }
}

fn as_quantity(name: &str, v: &cel::Value) -> Result<f64, ExecutionError> {
    match v {
        cel::Value::Opaque(o) => o
            .downcast_ref::<KubeQuantity>()
            .map(|q| q.0)
            .ok_or_else(|| ExecutionError::function_error(name, "not a quantity")),
        cel::Value::Int(i) => Ok(*i as f64),
        _ => Err(ExecutionError::function_error(name, "not a quantity")),
    }
}

fn quantity(s: Arc<String>) -> Result<cel::Value, ExecutionError> {
    let q = parse_quantity(&s).ok_or_else(|| {
        ExecutionError::function_error("quantity", format!("invalid quantity {s:?}"))
    })?;
    Ok(cel::Value::Opaque(Arc::new(KubeQuantity(q.value))))
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
    Ok(match a.partial_cmp(&b) {
        Some(std::cmp::Ordering::Less) => -1,
        Some(std::cmp::Ordering::Greater) => 1,
        _ => 0,
    })
}

fn sign(This(a): This<cel::Value>) -> Result<i64, ExecutionError> {
    let a = as_quantity("sign", &a)?;
    Ok(if a > 0.0 {
        1
    } else if a < 0.0 {
        -1
    } else {
        0
    })
}

fn is_integer(This(a): This<cel::Value>) -> Result<bool, ExecutionError> {
    let a = as_quantity("isInteger", &a)?;
    Ok(a.fract() == 0.0 && a.abs() < 9.2e18)
}

fn as_integer(This(a): This<cel::Value>) -> Result<i64, ExecutionError> {
    let a = as_quantity("asInteger", &a)?;
    if a.fract() != 0.0 || a.abs() >= 9.2e18 {
        return Err(ExecutionError::function_error(
            "asInteger",
            "cannot convert value to integer",
        ));
    }
    Ok(a as i64)
}

fn as_approximate_float(This(a): This<cel::Value>) -> Result<f64, ExecutionError> {
    as_quantity("asApproximateFloat", &a)
}

fn quantity_add(This(a): This<cel::Value>, b: cel::Value) -> Result<cel::Value, ExecutionError> {
    let sum = as_quantity("add", &a)? + as_quantity("add", &b)?;
    Ok(cel::Value::Opaque(Arc::new(KubeQuantity(sum))))
}

fn quantity_sub(This(a): This<cel::Value>, b: cel::Value) -> Result<cel::Value, ExecutionError> {
    let diff = as_quantity("sub", &a)? - as_quantity("sub", &b)?;
    Ok(cel::Value::Opaque(Arc::new(KubeQuantity(diff))))
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
                {"rule": "format.dns1123Label().validate('x').hasValue()"},
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
