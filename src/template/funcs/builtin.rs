//! Go `text/template`'s builtin functions (`and`, `or`, `not`, `len`, `index`, `slice`,
//! `print*`, `html`, `js`, `urlquery`, `call`, and the comparisons), with Go's semantics and
//! error messages.
//!
//! They are resolved by the parser when no function of the same name is in the set's
//! [`FuncMap`](super::FuncMap) (a user function overrides a builtin, as in Go). `and`, `or`
//! and `call` need the executor (short-circuiting, calling a function value) and are handled
//! there; the rest are plain functions of their evaluated arguments.

use crate::template::gofmt::{sprint, sprintf, sprintln};
use crate::template::value::{FuncError, Value};

/// A Go builtin function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Print,
    Printf,
    Println,
    Html,
    Js,
    Urlquery,
    Call,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Builtin {
    pub fn from_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "and" => Builtin::And,
            "or" => Builtin::Or,
            "not" => Builtin::Not,
            "len" => Builtin::Len,
            "index" => Builtin::Index,
            "slice" => Builtin::Slice,
            "print" => Builtin::Print,
            "printf" => Builtin::Printf,
            "println" => Builtin::Println,
            "html" => Builtin::Html,
            "js" => Builtin::Js,
            "urlquery" => Builtin::Urlquery,
            "call" => Builtin::Call,
            "eq" => Builtin::Eq,
            "ne" => Builtin::Ne,
            "lt" => Builtin::Lt,
            "le" => Builtin::Le,
            "gt" => Builtin::Gt,
            "ge" => Builtin::Ge,
            _ => return None,
        })
    }

    /// The Go signature's parameter count and whether the last one is variadic; the
    /// executor checks arity before evaluating arguments, as Go does.
    pub fn arity(self) -> (usize, bool) {
        match self {
            Builtin::And | Builtin::Or | Builtin::Index | Builtin::Slice | Builtin::Call => {
                (2, true)
            }
            Builtin::Eq | Builtin::Printf => (2, true),
            Builtin::Print | Builtin::Println | Builtin::Html | Builtin::Js | Builtin::Urlquery => {
                (1, true)
            }
            Builtin::Not | Builtin::Len => (1, false),
            Builtin::Ne | Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => (2, false),
        }
    }

    /// Call a builtin on evaluated arguments (`and`/`or`/`call` are handled by the executor;
    /// here they act on already evaluated values).
    pub fn call(self, args: &[Value]) -> Result<Value, FuncError> {
        match self {
            Builtin::And => Ok(args
                .iter()
                .find(|v| !v.truthy())
                .or(args.last())
                .cloned()
                .unwrap_or_default()),
            Builtin::Or => Ok(args
                .iter()
                .find(|v| v.truthy())
                .or(args.last())
                .cloned()
                .unwrap_or_default()),
            Builtin::Not => Ok(Value::Bool(!args.first().is_some_and(Value::truthy))),
            Builtin::Len => length(args.first().unwrap_or(&Value::Nil)),
            Builtin::Index => index(
                args.first().unwrap_or(&Value::Nil),
                args.get(1..).unwrap_or_default(),
            ),
            Builtin::Slice => slice(
                args.first().unwrap_or(&Value::Nil),
                args.get(1..).unwrap_or_default(),
            ),
            Builtin::Print => Ok(Value::string(sprint(args))),
            Builtin::Println => Ok(Value::string(sprintln(args))),
            Builtin::Printf => {
                let format = match args.first() {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => {
                        return Err(FuncError::new(format!(
                            "wrong type for value; expected string; got {}",
                            other.type_name()
                        )))
                    }
                    None => {
                        return Err(FuncError::new(
                            "wrong number of args for printf: want at least 1 got 0",
                        ))
                    }
                };
                Ok(Value::string(sprintf(
                    &format,
                    args.get(1..).unwrap_or_default(),
                )))
            }
            Builtin::Html => Ok(Value::string(html_escape(&eval_args(args)))),
            Builtin::Js => Ok(Value::string(js_escape(&eval_args(args)))),
            Builtin::Urlquery => Ok(Value::string(query_escape(&eval_args(args)))),
            // The executor passes the callee's text first (Go's `call(name, fn, args...)`).
            Builtin::Call => match args.get(1) {
                None | Some(Value::Nil) => Err(FuncError::new("call of nil")),
                Some(other) => Err(FuncError::new(format!(
                    "non-function {} of type {}",
                    args.first().map(|n| n.to_string()).unwrap_or_default(),
                    other.type_name()
                ))),
            },
            Builtin::Eq => {
                let first = args.first().unwrap_or(&Value::Nil);
                eq(first, args.get(1..).unwrap_or_default()).map(Value::Bool)
            }
            Builtin::Ne => {
                let (a, b) = two(args);
                eq(a, std::slice::from_ref(b)).map(|t| Value::Bool(!t))
            }
            Builtin::Lt => {
                let (a, b) = two(args);
                lt(a, b).map(Value::Bool)
            }
            Builtin::Le => {
                let (a, b) = two(args);
                le(a, b).map(Value::Bool)
            }
            Builtin::Gt => {
                let (a, b) = two(args);
                le(a, b).map(|t| Value::Bool(!t))
            }
            Builtin::Ge => {
                let (a, b) = two(args);
                lt(a, b).map(|t| Value::Bool(!t))
            }
        }
    }
}

fn two(args: &[Value]) -> (&Value, &Value) {
    match args {
        [a, b, ..] => (a, b),
        // Arity is checked by the executor before the call.
        [a] => (a, a),
        [] => (&Value::Nil, &Value::Nil),
    }
}

/// `evalArgs` of html/js/urlquery: a lone string as is, anything else through `fmt.Sprint`.
fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    sprint(args)
}

fn length(v: &Value) -> Result<Value, FuncError> {
    let n = match v {
        Value::String(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.borrow().len(),
        Value::Object(o) if o.entries().is_some() => o.entries().map_or(0, |e| e.len()),
        Value::Nil => return Err(FuncError::new("len of nil pointer")),
        other => return Err(FuncError::new(format!("len of type {}", other.type_name()))),
    };
    Ok(Value::int(n as i64))
}

/// Go's `indexArg`: an integer index in `0..=cap`.
fn index_arg(index: &Value, cap: usize) -> Result<usize, FuncError> {
    let x = match index {
        Value::Int(i, _) => *i,
        Value::Nil => return Err(FuncError::new("cannot index slice/array with nil")),
        other => {
            return Err(FuncError::new(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            )))
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(FuncError::new(format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

fn index(item: &Value, indexes: &[Value]) -> Result<Value, FuncError> {
    if item.is_nil() {
        return Err(FuncError::new("index of untyped nil"));
    }
    let mut item = item.clone();
    for (step, idx) in indexes.iter().enumerate() {
        let next = match &item {
            // A nil reached after the first step is a nil interface inside a container.
            Value::Nil if step > 0 => return Err(FuncError::new("index of nil pointer")),
            Value::List(l) => {
                let x = index_arg(idx, l.len())?;
                l.get(x)
                    .cloned()
                    .ok_or_else(|| FuncError::new("reflect: slice index out of range"))?
            }
            Value::Bytes(b) => {
                let x = index_arg(idx, b.len())?;
                Value::int(i64::from(*b.get(x).ok_or_else(|| {
                    FuncError::new("reflect: slice index out of range")
                })?))
            }
            Value::String(s) => {
                let x = index_arg(idx, s.len())?;
                Value::int(i64::from(*s.as_bytes().get(x).ok_or_else(|| {
                    FuncError::new("reflect: string index out of range")
                })?))
            }
            Value::Map(m) => match idx {
                Value::String(k) => m.borrow().get(&**k).cloned().unwrap_or_default(),
                Value::Nil => return Err(FuncError::new("value is nil; should be of type string")),
                other => {
                    return Err(FuncError::new(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    )))
                }
            },
            other => {
                return Err(FuncError::new(format!(
                    "can't index item of type {}",
                    other.type_name()
                )))
            }
        };
        item = next;
    }
    Ok(item)
}

fn slice(item: &Value, indexes: &[Value]) -> Result<Value, FuncError> {
    if item.is_nil() {
        return Err(FuncError::new("slice of untyped nil"));
    }
    if indexes.len() > 3 {
        return Err(FuncError::new(format!(
            "too many slice indexes: {}",
            indexes.len()
        )));
    }
    let len = match item {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err(FuncError::new("cannot 3-index slice a string"));
            }
            s.len()
        }
        Value::List(l) => l.len(),
        Value::Bytes(b) => b.len(),
        other => {
            return Err(FuncError::new(format!(
                "can't slice item of type {}",
                other.type_name()
            )))
        }
    };
    let mut idx = [0usize, len, len];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(index, len)?;
    }
    if idx[0] > idx[1] {
        return Err(FuncError::new(format!(
            "invalid slice index: {} > {}",
            idx[0], idx[1]
        )));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(FuncError::new(format!(
            "invalid slice index: {} > {}",
            idx[1], idx[2]
        )));
    }
    let (lo, hi) = (idx[0], idx[1]);
    Ok(match item {
        Value::String(s) => {
            Value::string(String::from_utf8_lossy(&s.as_bytes()[lo..hi]).into_owned())
        }
        Value::List(l) => Value::list(l[lo..hi].to_vec()),
        Value::Bytes(b) => Value::Bytes(b[lo..hi].into()),
        _ => Value::Nil,
    })
}

/// Go's `basicKind` classes for comparisons.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_, _) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        _ => Kind::Invalid,
    }
}

fn type_of(v: &Value) -> String {
    v.type_name()
}

fn incompatible(a: &Value, b: &Value) -> FuncError {
    FuncError::new(format!(
        "incompatible types for comparison: {} and {}",
        type_of(a),
        type_of(b)
    ))
}

/// Go's `eq`: true if `a` equals any of `others`; basic kinds must match.
pub fn eq(a: &Value, others: &[Value]) -> Result<bool, FuncError> {
    if others.is_empty() {
        return Err(FuncError::new("missing argument for comparison"));
    }
    let k1 = basic_kind(a);
    for b in others {
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            if !a.is_nil() && !b.is_nil() {
                return Err(incompatible(a, b));
            }
            false
        } else {
            match (a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x, _), Value::Int(y, _)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                _ => {
                    // Non-basic kinds: nil compares to anything; otherwise the Go types must
                    // match and be comparable (slices and maps are not).
                    if a.is_nil() || b.is_nil() {
                        a.is_nil() == b.is_nil()
                    } else if a.type_name() != b.type_name() {
                        return Err(FuncError::new(format!(
                            "non-comparable types {}: {}, {}: {}",
                            sprintf("%s", std::slice::from_ref(a)),
                            a.type_name(),
                            b.type_name(),
                            sprintf("%v", std::slice::from_ref(b)),
                        )));
                    } else {
                        match (a, b) {
                            (Value::Object(x), Value::Object(y)) => std::rc::Rc::ptr_eq(x, y),
                            _ => {
                                return Err(FuncError::new(format!(
                                    "non-comparable type {}: {}",
                                    sprintf("%s", std::slice::from_ref(b)),
                                    b.type_name()
                                )))
                            }
                        }
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Go's `lt`: both operands of the same basic ordered kind.
pub fn lt(a: &Value, b: &Value) -> Result<bool, FuncError> {
    let bad_type = || FuncError::new("invalid type for comparison");
    let k1 = basic_kind(a);
    if k1 == Kind::Invalid {
        return Err(bad_type());
    }
    let k2 = basic_kind(b);
    if k2 == Kind::Invalid {
        return Err(bad_type());
    }
    if k1 != k2 {
        return Err(incompatible(a, b));
    }
    match (a, b) {
        (Value::Int(x, _), Value::Int(y, _)) => Ok(x < y),
        (Value::Float(x), Value::Float(y)) => Ok(x < y),
        (Value::String(x), Value::String(y)) => Ok(x < y),
        _ => Err(bad_type()),
    }
}

fn le(a: &Value, b: &Value) -> Result<bool, FuncError> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(a, std::slice::from_ref(b))
}

/// `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if (c as u32) < 0x80 => out.push(c),
            c if c.is_control() || (c.is_whitespace() && c != ' ') => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    #[test]
    fn escapes() {
        assert_eq!(
            html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            js_escape("a'b\"c<d>=&\n\\"),
            "a\\'b\\\"c\\u003Cd\\u003E\\u003D\\u0026\\u000A\\\\"
        );
        assert_eq!(query_escape("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn comparisons() {
        assert_eq!(eq(&s("a"), &[s("b"), s("a")]), Ok(true));
        assert_eq!(eq(&Value::Nil, &[Value::Nil]), Ok(true));
        assert_eq!(eq(&Value::Nil, &[Value::int(1)]), Ok(false));
        assert_eq!(
            eq(&Value::Float(1.0), &[Value::int(1)])
                .unwrap_err()
                .message,
            "incompatible types for comparison: float64 and int"
        );
        assert_eq!(
            lt(&Value::Nil, &Value::int(1)).unwrap_err().message,
            "invalid type for comparison"
        );
        assert_eq!(lt(&s("a"), &s("b")), Ok(true));
        assert_eq!(
            Builtin::Ge.call(&[Value::int(2), Value::int(2)]),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            Builtin::Gt.call(&[Value::int(2), Value::int(2)]),
            Ok(Value::Bool(false))
        );
        let l = Value::list(vec![Value::Float(1.0)]);
        assert_eq!(
            eq(&l, std::slice::from_ref(&l)).unwrap_err().message,
            "non-comparable type [%!s(float64=1)]: []interface {}"
        );
    }

    #[test]
    fn index_and_slice() {
        let l = Value::list(vec![s("a"), s("b")]);
        assert_eq!(index(&l, &[Value::int(1)]), Ok(s("b")));
        assert_eq!(
            index(&l, &[Value::int(5)]).unwrap_err().message,
            "index out of range: 5"
        );
        assert_eq!(
            index(&Value::Nil, &[Value::int(5)]).unwrap_err().message,
            "index of untyped nil"
        );
        assert_eq!(
            slice(&s("hello"), &[Value::int(1), Value::int(3)]),
            Ok(s("el"))
        );
        assert_eq!(slice(&l, &[Value::int(1)]), Ok(Value::list(vec![s("b")])));
        assert_eq!(
            slice(&l, &[Value::int(2), Value::int(1)])
                .unwrap_err()
                .message,
            "invalid slice index: 2 > 1"
        );
        assert_eq!(length(&s("héllo")), Ok(Value::int(6)));
        assert_eq!(
            length(&Value::int(3)).unwrap_err().message,
            "len of type int"
        );
    }
}
