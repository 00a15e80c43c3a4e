//! The dynamic value that templates compute with.
//!
//! Helm hands Go's `text/template` plain Go data: `map[string]interface{}`, `[]interface{}`,
//! `string`, `float64` (numbers from YAML/JSON values files), `int64` (numbers from `--set`
//! and Sprig's arithmetic), `int` (template literals, `len`), `bool` and `nil`, plus a few
//! structs with methods (`.Capabilities`, `.Files`, semver versions, `time.Time`). [`Value`]
//! models exactly that; an integer keeps its Go type ([`IntKind`]) because `typeOf`, Sprig's
//! type switches and text/template's parameter checks all tell `int` from `int64`.
//!
//! Two Go semantics matter and are copied on purpose:
//! - **Maps are references.** Sprig's `set`, `unset`, `merge` and friends mutate the map in
//!   place and every holder sees the change (charts rely on `$_ := set $ctx "k" v`). So
//!   [`Value::Map`] is a shared, interior-mutable map and `clone()` is a cheap handle copy.
//!   Use [`Value::deep_copy`] where Go code copies.
//! - **Map iteration is by sorted key** (`range`, `toYaml`, `toJson` all sort), so the map is a
//!   `BTreeMap`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// A Go map of string keys, as Helm values are.
pub type Map = BTreeMap<String, Value>;

/// Shared handle to a Go map.
pub type MapRef = Rc<RefCell<Map>>;

/// A template value. Cloning is cheap (reference counted).
#[derive(Clone, Default)]
pub enum Value {
    /// Go `nil` (a nil interface, or a missing map key with `missingkey=zero`).
    #[default]
    Nil,
    Bool(bool),
    /// A Go integer, and which Go type holds it: template literals, `len` and `atoi` give
    /// `int`; `--set`, Sprig's arithmetic and `int64` give `int64`; semver fields are `uint64`.
    /// The type shows in `typeOf`/`kindOf`/`%T`, decides whether a function taking an `int`
    /// accepts it, and decides Sprig's type switches (`duration` takes only `int64`).
    Int(i64, IntKind),
    /// `float64`: every number that came from a YAML or JSON document.
    Float(f64),
    String(Rc<str>),
    /// `[]byte` (`.Files.GetBytes`), printed by Go as a list of numbers.
    Bytes(Rc<[u8]>),
    /// `[]interface{}`. Immutable: Sprig's list functions return new lists.
    List(Rc<Vec<Value>>),
    /// `map[string]interface{}`: shared and mutable, like a Go map.
    Map(MapRef),
    /// A Go struct or pointer with fields and methods (`.Capabilities`, `.Files`, semver, time).
    Object(Rc<dyn Object>),
}

/// The Go type of a [`Value::Int`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntKind {
    /// `int`.
    Int,
    /// `int64`.
    Int64,
    /// `uint64` (semver's `Major`, `Minor`, `Patch`); the value is never negative.
    Uint64,
}

impl IntKind {
    /// The Go type name, which is also its `reflect.Kind` name.
    pub fn name(self) -> &'static str {
        match self {
            IntKind::Int => "int",
            IntKind::Int64 => "int64",
            IntKind::Uint64 => "uint64",
        }
    }
}

/// A Go struct value exposed to templates: field access, method calls, and how `%v` prints it.
pub trait Object: fmt::Debug {
    /// Go type name as `printf "%T"` / `typeOf` shows it, e.g. `*semver.Version`.
    fn type_name(&self) -> &str;
    /// A field or a method taking no arguments (`.Capabilities.KubeVersion`, `.Files.Glob`…).
    /// `None` when the object has no such field or method.
    fn field(&self, name: &str) -> Option<Value> {
        let _ = name;
        None
    }
    /// Call a method with arguments (`.Capabilities.APIVersions.Has "v1"`, `.Files.Get "x"`).
    /// `None` when there is no such method.
    fn call_method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let _ = (name, args);
        None
    }
    /// How Go's `%v` prints it (the `String()` method if the Go type has one).
    fn display(&self) -> String;
    /// Plain data for serialisation (`toYaml`, `toJson`): what `json.Marshal` would see.
    fn to_data(&self) -> Value {
        Value::String(Rc::from(self.display()))
    }
    /// Entries for `range` and `len` when the Go type is a map or slice with methods
    /// (`.Files.Glob` is a `map[string][]byte`, `.Capabilities.APIVersions` a `[]string`):
    /// `(key, value)` pairs in Go's iteration order (sorted keys for maps, indices for slices).
    /// `None` for plain structs, which cannot be ranged over.
    fn entries(&self) -> Option<Vec<(Value, Value)>> {
        None
    }
    /// Downcasting support for functions that take a specific object (semver, time).
    fn as_any(&self) -> &dyn std::any::Any;
}

/// The error a template function returns; the executor adds template name and position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FuncError {
    pub message: String,
    /// What kind of failure it is, which decides how the executor reports it.
    pub kind: FuncErrorKind,
    /// The template error this function error *is* (Go's `include` returns the failure of
    /// the template it executed unchanged; `tpl` wraps its template's failure). Helm walks
    /// that chain of wrapped errors when it reformats an execution error.
    pub template: Option<Box<super::error::TemplateError>>,
}

/// How the executor reports a [`FuncError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FuncErrorKind {
    /// The function ran and failed: `error calling NAME: MESSAGE` at the command.
    #[default]
    Call,
    /// The arguments do not fit the Go signature's parameter count. Go's executor checks
    /// this before calling: `wrong number of args for NAME: …` at the function name.
    Arity,
    /// Argument `index` does not fit the Go parameter type `expected` (e.g. `string`).
    /// Go's executor converts arguments before calling, so the error is reported at the
    /// argument, worded by how the argument was written (literal or computed value).
    ArgType {
        index: usize,
        expected: &'static str,
    },
}

impl FuncError {
    pub fn new(message: impl Into<String>) -> Self {
        FuncError {
            message: message.into(),
            kind: FuncErrorKind::Call,
            template: None,
        }
    }

    /// A wrong number of arguments (see [`FuncErrorKind::Arity`]).
    pub fn arity(message: impl Into<String>) -> Self {
        FuncError {
            kind: FuncErrorKind::Arity,
            ..FuncError::new(message)
        }
    }

    /// Argument `index` is not of Go type `expected`; `message` is what a direct caller sees.
    pub fn arg_type(index: usize, expected: &'static str, message: impl Into<String>) -> Self {
        FuncError {
            kind: FuncErrorKind::ArgType { index, expected },
            ..FuncError::new(message)
        }
    }

    /// A function error that is the failure of a template it executed (Go returns that
    /// error unchanged, so its text is the template error's).
    pub fn from_template(err: super::error::TemplateError) -> Self {
        FuncError {
            message: err.to_string(),
            kind: FuncErrorKind::Call,
            template: Some(Box::new(err)),
        }
    }
}

impl From<String> for FuncError {
    fn from(message: String) -> Self {
        FuncError::new(message)
    }
}

impl From<&str> for FuncError {
    fn from(message: &str) -> Self {
        FuncError::new(message)
    }
}

impl Value {
    /// A Go `int`.
    pub fn int(i: i64) -> Value {
        Value::Int(i, IntKind::Int)
    }

    /// A Go `int64`.
    pub fn int64(i: i64) -> Value {
        Value::Int(i, IntKind::Int64)
    }

    /// The integer, whatever Go integer type holds it.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i, _) => Some(*i),
            _ => None,
        }
    }

    pub fn str(s: &str) -> Value {
        Value::String(Rc::from(s))
    }

    pub fn string(s: String) -> Value {
        Value::String(Rc::from(s))
    }

    /// A Go `string` made of arbitrary bytes: a string when they are UTF-8, otherwise the
    /// bytes themselves (our strings hold only UTF-8), so that functions taking bytes
    /// (`b64enc`, `len`) still see exactly what Go would.
    pub fn go_string(bytes: Vec<u8>) -> Value {
        match String::from_utf8(bytes) {
            Ok(s) => Value::string(s),
            Err(e) => Value::Bytes(Rc::from(e.into_bytes())),
        }
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }

    pub fn map(map: Map) -> Value {
        Value::Map(Rc::new(RefCell::new(map)))
    }

    pub fn empty_map() -> Value {
        Value::map(Map::new())
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Go truthiness as `if`, `with`, `and`, `or`, `not` see it: false, 0, nil, and empty
    /// strings, lists and maps are false; structs are always true.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i, _) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Object(_) => true,
        }
    }

    /// Go `reflect.Kind` name as Sprig's `kindOf` reports it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_, kind) => kind.name(),
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) | Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(_) => "ptr",
        }
    }

    /// Go type name as `printf "%T"` and Sprig's `typeOf` report it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".to_string(),
            Value::Bool(_) => "bool".to_string(),
            Value::Int(_, kind) => kind.name().to_string(),
            Value::Float(_) => "float64".to_string(),
            Value::String(_) => "string".to_string(),
            Value::Bytes(_) => "[]uint8".to_string(),
            Value::List(_) => "[]interface {}".to_string(),
            Value::Map(_) => "map[string]interface {}".to_string(),
            Value::Object(o) => o.type_name().to_string(),
        }
    }

    /// A Go deep copy (Sprig `deepCopy`): maps and lists are copied recursively.
    pub fn deep_copy(&self) -> Value {
        match self {
            Value::Map(m) => {
                let copied: Map = m
                    .borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.deep_copy()))
                    .collect();
                Value::map(copied)
            }
            Value::List(l) => Value::list(l.iter().map(Value::deep_copy).collect()),
            other => other.clone(),
        }
    }

    /// Look up a key if this is a map.
    pub fn get(&self, key: &str) -> Option<Value> {
        match self {
            Value::Map(m) => m.borrow().get(key).cloned(),
            _ => None,
        }
    }

    /// Follow a dotted path of map keys (`a.b.c`); `None` if any step is missing.
    pub fn get_path(&self, path: &[&str]) -> Option<Value> {
        let mut current = self.clone();
        for key in path {
            current = current.get(key)?;
        }
        Some(current)
    }
}

/// Structural equality (Go `reflect.DeepEqual`-like); numbers compare by value across kinds.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a, _), Value::Int(b, _)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Int(a, _), Value::Float(b)) | (Value::Float(b), Value::Int(a, _)) => {
                (*a as f64) == *b
            }
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::List(a), Value::List(b)) => Rc::ptr_eq(a, b) || a == b,
            (Value::Map(a), Value::Map(b)) => Rc::ptr_eq(a, b) || *a.borrow() == *b.borrow(),
            (Value::Object(a), Value::Object(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i, _) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}f"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "bytes({})", b.len()),
            Value::List(l) => f.debug_list().entries(l.iter()).finish(),
            Value::Map(m) => f.debug_map().entries(m.borrow().iter()).finish(),
            Value::Object(o) => write!(f, "{o:?}"),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::string(s)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::list(items)
    }
}

impl From<Map> for Value {
    fn from(map: Map) -> Self {
        Value::map(map)
    }
}

/// Go's `%v` formatting, which `print`, `{{ . }}` output and Sprig's `toString` use.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("<nil>"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i, _) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&format_float_g(*x)),
            Value::String(s) => f.write_str(s),
            Value::Bytes(b) => {
                f.write_str("[")?;
                for (i, byte) in b.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{byte}")?;
                }
                f.write_str("]")
            }
            Value::List(l) => {
                f.write_str("[")?;
                for (i, item) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("map[")?;
                for (i, (k, v)) in m.borrow().iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{k}:{v}")?;
                }
                f.write_str("]")
            }
            Value::Object(o) => f.write_str(&o.display()),
        }
    }
}

/// Decimal digits and decimal-point position of the shortest representation that
/// round-trips (what Go's `strconv` calls `digs.d` and `digs.dp`). `x` must be finite, non-zero.
pub fn shortest_digits(x: f64) -> (String, i32) {
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    (digits, exp + 1)
}

/// `strconv.FormatFloat(x, 'g', -1, 64)` as `%v` uses it: shortest digits, exponent form when
/// the exponent is < -4 or >= 6 (so `1000000` prints `1e+06`, as Helm users know).
pub fn format_float_g(x: f64) -> String {
    // Fast path for the common range: with a decimal exponent in [-4, 6) Go prints plain
    // decimals, which is what Rust's shortest `Display` prints too.
    let abs = x.abs();
    if (1e-4..1e6).contains(&abs) {
        if x.fract() == 0.0 {
            return (x as i64).to_string();
        }
        return format!("{x}");
    }
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let (digits, dp) = shortest_digits(x);
    layout_g(&digits, dp, x < 0.0)
}

/// Plain decimal layout of `digits` with the decimal point at `dp` (`dp <= 0`: leading
/// `0.` and zeros; `dp >= len`: trailing zeros, no point), as Go's `strconv` writes it.
pub fn layout_fixed(out: &mut String, digits: &str, dp: i32) {
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(digits);
        return;
    }
    let dp = dp as usize;
    if dp >= digits.len() {
        out.push_str(digits);
        for _ in digits.len()..dp {
            out.push('0');
        }
    } else {
        out.push_str(digits.get(..dp).unwrap_or(""));
        out.push('.');
        out.push_str(digits.get(dp..).unwrap_or(""));
    }
}

/// Go's `%g` layout of shortest digits `digits` with decimal-point position `dp`: exponent
/// form when the exponent is < -4 or >= 6 (Go decides with precision 6 for shortest output).
/// Shared by every place that prints floats like Go (float64 `%v`, float32 keys and fields).
pub fn layout_g(digits: &str, dp: i32, negative: bool) -> String {
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
    } else {
        layout_fixed(&mut out, digits, dp);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go_percent_v() {
        assert_eq!(format_float_g(1_000_000.0), "1e+06");
        assert_eq!(format_float_g(123_456.0), "123456");
        assert_eq!(format_float_g(1_234_567.0), "1.234567e+06");
        assert_eq!(format_float_g(0.5), "0.5");
        assert_eq!(format_float_g(0.0001), "0.0001");
        assert_eq!(format_float_g(0.00001), "1e-05");
        assert_eq!(format_float_g(-2.5), "-2.5");
        assert_eq!(format_float_g(3.0), "3");
        assert_eq!(format_float_g(1e100), "1e+100");
        assert_eq!(format_float_g(999_999.5), "999999.5");
        assert_eq!(format_float_g(0.000_123_45), "0.00012345");
        assert_eq!(format_float_g(-42.0), "-42");
        assert_eq!(format_float_g(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn collections_print_like_go() {
        let mut m = Map::new();
        m.insert("b".into(), Value::int(2));
        m.insert("a".into(), Value::list(vec![Value::str("x"), Value::Nil]));
        assert_eq!(Value::map(m).to_string(), "map[a:[x <nil>] b:2]");
    }

    #[test]
    fn maps_are_shared_references() {
        let a = Value::empty_map();
        let b = a.clone();
        if let Value::Map(m) = &b {
            m.borrow_mut().insert("k".into(), Value::Bool(true));
        }
        assert_eq!(a.get("k"), Some(Value::Bool(true)));
        let c = a.deep_copy();
        if let Value::Map(m) = &c {
            m.borrow_mut().insert("k".into(), Value::Bool(false));
        }
        assert_eq!(a.get("k"), Some(Value::Bool(true)));
    }
}
