//! Argument conversions shared by the function families, with the semantics of the Go code
//! Helm runs: Sprig's `strval`/`strslice` and spf13/cast's `ToInt64`/`ToFloat64`/`ToBool`.

use super::super::value::{FuncError, IntKind, Value};

/// Fail unless exactly `want` arguments were given (Go's "wrong number of args" check).
pub fn expect_args(name: &str, args: &[Value], want: usize) -> Result<(), FuncError> {
    if args.len() != want {
        return Err(FuncError::arity(format!(
            "wrong number of args for {name}: want {want} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// Fail unless at least `min` arguments were given (variadic Go functions).
pub fn expect_min_args(name: &str, args: &[Value], min: usize) -> Result<(), FuncError> {
    if args.len() < min {
        return Err(FuncError::arity(format!(
            "wrong number of args for {name}: want at least {min} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// Sprig `strval`: strings as-is, `[]byte` as text, everything else with `%v`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        other => other.to_string(),
    }
}

/// A Go `string` parameter: text/template refuses other types for it. We accept strings and
/// byte slices and report Go's error otherwise.
pub fn expect_string<'a>(name: &str, v: &'a Value) -> Result<std::borrow::Cow<'a, str>, FuncError> {
    match v {
        Value::String(s) => Ok(std::borrow::Cow::Borrowed(s)),
        Value::Bytes(b) => Ok(String::from_utf8_lossy(b)),
        other => Err(FuncError::new(format!(
            "wrong type for value in {name}; expected string; got {}",
            other.type_name()
        ))),
    }
}

/// Argument `index` of `args` as a Go `string` parameter (see [`expect_string`]); a
/// mismatch is reported by the executor at that argument, as Go's executor does.
pub fn string_arg<'a>(
    name: &str,
    args: &'a [Value],
    index: usize,
) -> Result<std::borrow::Cow<'a, str>, FuncError> {
    let v = args.get(index).unwrap_or(&Value::Nil);
    expect_string(name, v).map_err(|e| FuncError::arg_type(index, "string", e.message))
}

/// cast's `trimZeroDecimal`: "3.0" → "3", "3.50" unchanged.
fn trim_zero_decimal(s: &str) -> &str {
    if let Some((int, frac)) = s.split_once('.') {
        if !frac.is_empty() && frac.bytes().all(|b| b == b'0') {
            return int;
        }
    }
    s
}

/// Go `strconv.ParseInt(s, 0, 64)`: optional sign, `0x`/`0o`/`0b`/leading-`0` prefixes,
/// underscores only with a prefix.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest.to_string(), true)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest.to_string(), true)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    let digits = if prefixed {
        digits.replace('_', "")
    } else if digits.contains('_') {
        return None;
    } else {
        digits
    };
    if digits.is_empty() {
        return None;
    }
    let magnitude = u64::from_str_radix(&digits, radix).ok()?;
    if neg {
        if magnitude <= (i64::MAX as u64) + 1 {
            Some((magnitude as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// spf13/cast `ToInt64`: numbers truncate, strings parse (base prefixes allowed, "3.0" ok),
/// booleans are 1/0, anything else (and parse failures) is 0.
pub fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i, _) => *i,
        Value::Float(f) => {
            if f.is_nan() {
                0
            } else {
                *f as i64
            }
        }
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// spf13/cast `ToFloat64`: numbers convert, strings parse, booleans are 1/0, else 0.
pub fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i, _) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => s.trim().parse::<f64>().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// spf13/cast `ToBool`: bools as-is, numbers non-zero, strings by `strconv.ParseBool`.
pub fn to_bool(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Int(i, _) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::String(s) => matches!(&**s, "1" | "t" | "T" | "TRUE" | "true" | "True"),
        _ => false,
    }
}

/// Sprig `strslice`: a list becomes its elements' `strval` (nil elements dropped), nil an
/// empty list, anything else a one-element list.
pub fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(items) => items
            .iter()
            .filter(|item| !item.is_nil())
            .map(strval)
            .collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

/// A list argument (Sprig functions take `interface{}` and reflect on slices). Byte slices
/// are lists of integers, as Go sees them.
pub fn as_list(name: &str, v: &Value) -> Result<Vec<Value>, FuncError> {
    match v {
        Value::List(items) => Ok(items.as_ref().clone()),
        Value::Bytes(b) => Ok(b.iter().map(|x| Value::int(i64::from(*x))).collect()),
        Value::Nil => Ok(Vec::new()),
        // A Go slice type with methods (`.Capabilities.APIVersions`).
        Value::Object(o) => match o.entries() {
            Some(entries) if entries.iter().all(|(k, _)| matches!(k, Value::Int(_, _))) => {
                Ok(entries.into_iter().map(|(_, v)| v).collect())
            }
            _ => Err(FuncError::new(format!(
                "Cannot find {name} on type {}",
                o.type_name()
            ))),
        },
        other => Err(FuncError::new(format!(
            "Cannot find {name} on type {}",
            other.type_name()
        ))),
    }
}

/// Go's `reflect.DeepEqual` on template values: unlike `==` on [`Value`], numbers of different
/// kinds are never equal (`has 1.0 (list 1)` is false in Helm, `uniq` keeps both).
pub fn go_deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        // `int`, `int64` and `uint64` are different types: `deepEqual 1 (add 0 1)` is false.
        (Value::Int(x, kx), Value::Int(y, ky)) => x == y && kx == ky,
        // DeepEqual uses `==` on floats: NaN is not equal to itself.
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| go_deep_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            if std::rc::Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| go_deep_equal(v, w)))
        }
        (Value::Object(x), Value::Object(y)) => {
            std::rc::Rc::ptr_eq(x, y)
                || (x.type_name() == y.type_name() && x.display() == y.display())
        }
        _ => false,
    }
}

/// Sprig's `empty` (and mergo's `isEmptyValue`): nil, false, 0, and empty strings, lists and
/// maps are empty; structs never are.
pub fn go_empty(v: &Value) -> bool {
    !matches!(v, Value::Object(_)) && !v.truthy()
}

/// A Go `map[string]interface{}` parameter: `None` is Go's nil map (what text/template passes
/// for a nil argument); anything that is not a map is refused with Go's message.
pub fn expect_map(v: &Value) -> Result<Option<super::super::value::MapRef>, FuncError> {
    match v {
        Value::Map(m) => Ok(Some(m.clone())),
        Value::Nil => Ok(None),
        other => Err(FuncError::new(format!(
            "wrong type for value; expected map[string]interface {{}}; got {}",
            other.type_name()
        ))),
    }
}

/// The message of the Go runtime panic a nil interface causes in Sprig's reflection-based
/// functions (`reflect.TypeOf(nil).Kind()`); text/template turns the panic into an error.
pub const NIL_DEREFERENCE: &str =
    "runtime error: invalid memory address or nil pointer dereference";
/// Go's message when text/template cannot pass `v` to a parameter of type `want`. A missing
/// value reaches the function as a nil `interface {}`, which is what Go reports.
fn wrong_type(want: &str, v: &Value) -> FuncError {
    let got = match v {
        Value::Nil => "interface {}".to_string(),
        other => other.type_name(),
    };
    FuncError::new(format!("wrong type for value; expected {want}; got {got}"))
}

/// A Go `int` parameter: text/template passes an `int` only. A float64 from a values file
/// and an int64 from `--set` or `add` are refused, as in Helm.
pub fn expect_int(v: &Value) -> Result<i64, FuncError> {
    match v {
        Value::Int(i, IntKind::Int) => Ok(*i),
        other => Err(wrong_type("int", other)),
    }
}

/// The Go `int` parameter at `idx`: a value of another type is text/template's argument
/// error (`wrong type for value; expected int; got int64`), reported at that argument.
pub fn int_arg(name: &str, args: &[Value], idx: usize) -> Result<i64, FuncError> {
    match args.get(idx) {
        Some(v) => expect_int(v).map_err(|e| FuncError::arg_type(idx, "int", e.message)),
        None => Err(FuncError::new(format!("missing argument for {name}"))),
    }
}

/// A Go `bool` parameter.
pub fn expect_bool(v: &Value) -> Result<bool, FuncError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong_type("bool", other)),
    }
}

/// Go `strconv.ParseFloat(s, 64)`: no surrounding whitespace, `inf`/`nan` spellings, hex
/// floats with a `p` exponent, underscores only after a base prefix; out of range is an error.
pub fn parse_go_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let magnitude = match lower.as_str() {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => {
            if let Some(hex) = lower.strip_prefix("0x") {
                parse_hex_float(&hex.replace('_', ""))?
            } else {
                let ok = !lower.is_empty()
                    && lower
                        .bytes()
                        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
                    && lower.bytes().any(|b| b.is_ascii_digit());
                if !ok {
                    return None;
                }
                let x: f64 = lower.parse().ok()?;
                if x.is_infinite() {
                    return None;
                }
                x
            }
        }
    };
    Some(if neg { -magnitude } else { magnitude })
}

/// The part of a Go hex float after `0x`: hex mantissa with optional point, `p` exponent
/// (required by Go).
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exp) = s.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    let x = value * 2f64.powi(exp);
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_to_int64_matches_spf13_cast() {
        assert_eq!(to_int64(&Value::str("42")), 42);
        assert_eq!(to_int64(&Value::str("3.0")), 3);
        assert_eq!(to_int64(&Value::str("0x1f")), 31);
        assert_eq!(to_int64(&Value::str("010")), 8);
        assert_eq!(to_int64(&Value::str("3.5")), 0);
        assert_eq!(to_int64(&Value::str("abc")), 0);
        assert_eq!(to_int64(&Value::Float(3.9)), 3);
        assert_eq!(to_int64(&Value::Float(-3.9)), -3);
        assert_eq!(to_int64(&Value::Bool(true)), 1);
        assert_eq!(to_int64(&Value::Nil), 0);
    }

    #[test]
    fn strslice_drops_nils() {
        let list = Value::list(vec![Value::str("a"), Value::Nil, Value::int(1)]);
        assert_eq!(strslice(&list), vec!["a".to_string(), "1".to_string()]);
        assert_eq!(strslice(&Value::Nil), Vec::<String>::new());
        assert_eq!(strslice(&Value::str("x")), vec!["x".to_string()]);
    }
}
