//! Sprig's type conversions: `toString`, `toStrings`, `atoi`, `int`, `int64`, `float64`,
//! `toDecimal`. They never fail on bad input: like spf13/cast they return 0 instead.

use super::convert::{expect_args, parse_go_float, string_arg, strval, to_int64};
use super::strings::string_list;
use super::FuncMap;
use crate::template::value::{FuncError, Value};

/// Register the conversion functions.
pub fn register(map: &mut FuncMap) {
    map.insert("toString", to_string);
    map.insert("toStrings", to_strings);
    map.insert("atoi", atoi);
    map.insert("int", int);
    map.insert("int64", int64);
    map.insert("float64", float64);
    map.insert("toDecimal", to_decimal);
}

fn to_string(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("toString", args, 1)?;
    match &args[0] {
        s @ Value::String(_) => Ok(s.clone()),
        // A Go string holds any bytes; ours hold UTF-8. Bytes that are not UTF-8 stay bytes
        // (as `.Files.Get` does for binary files), so `toString | b64enc` round-trips them.
        Value::Bytes(b) if std::str::from_utf8(b).is_err() => Ok(Value::Bytes(b.clone())),
        other => Ok(Value::string(strval(other))),
    }
}

fn to_strings(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("toStrings", args, 1)?;
    Ok(Value::list(
        string_list(&args[0])
            .into_iter()
            .map(Value::string)
            .collect(),
    ))
}

/// Go `strconv.Atoi` with the error dropped: 0 for bad syntax, the clamped value for out of
/// range numbers (that is what Atoi returns alongside its range error).
fn atoi(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("atoi", args, 1)?;
    let s = string_arg("atoi", args, 0)?;
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, &s[..]),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Value::int(0));
    }
    let mut n: i64 = 0;
    for b in digits.bytes() {
        let d = i64::from(b - b'0');
        n = match n.checked_mul(10).and_then(|n| {
            if neg {
                n.checked_sub(d)
            } else {
                n.checked_add(d)
            }
        }) {
            Some(n) => n,
            None => return Ok(Value::int(if neg { i64::MIN } else { i64::MAX })),
        };
    }
    Ok(Value::int(n))
}

/// `int`: spf13/cast `ToInt` (floats truncate, strings parse with base prefixes).
fn int(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("int", args, 1)?;
    Ok(Value::int(to_int64(&args[0])))
}

/// Like `int`, but the result is a Go `int64`.
fn int64(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("int64", args, 1)?;
    Ok(Value::int64(to_int64(&args[0])))
}

/// spf13/cast `ToFloat64`: strings go through Go's `ParseFloat` (no whitespace allowed).
fn float64(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("float64", args, 1)?;
    let x = match &args[0] {
        Value::Int(i, _) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => parse_go_float(s).unwrap_or(0.0),
        _ => 0.0,
    };
    Ok(Value::Float(x))
}

/// `toDecimal`: the `%v` text of the argument read as an octal number ("0777" → 511);
/// 0 when it is not one.
fn to_decimal(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("toDecimal", args, 1)?;
    let text = args[0].to_string();
    let (neg, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, &text[..]),
    };
    let parsed = if digits.is_empty() || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        None
    } else {
        u64::from_str_radix(digits, 8).ok().and_then(|m| {
            if neg {
                (m <= i64::MAX as u64 + 1).then(|| (m as i128).wrapping_neg() as i64)
            } else {
                i64::try_from(m).ok()
            }
        })
    };
    Ok(Value::int64(parsed.unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Vec<Value>) -> Result<Value, FuncError> {
        let mut map = FuncMap::new();
        register(&mut map);
        match map.get(name) {
            Some(super::super::Function::Native(f)) => f(&args),
            _ => panic!("no function {name}"),
        }
    }

    fn one(name: &str, arg: Value) -> Value {
        call(name, vec![arg]).unwrap()
    }

    #[test]
    fn to_string_uses_strval() {
        assert_eq!(one("toString", Value::Float(1e6)), Value::str("1e+06"));
        assert_eq!(one("toString", Value::Nil), Value::str("<nil>"));
        assert_eq!(one("toString", Value::Bool(true)), Value::str("true"));
        assert_eq!(
            one("toString", Value::Bytes(b"hi".to_vec().into())),
            Value::str("hi")
        );
        let list = Value::list(vec![Value::int(1), Value::Nil, Value::str("a")]);
        assert_eq!(one("toString", list.clone()), Value::str("[1 <nil> a]"));
        assert_eq!(one("toStrings", list).to_string(), "[1 a]");
    }

    #[test]
    fn atoi_matches_strconv() {
        assert_eq!(one("atoi", Value::str("42")), Value::int(42));
        assert_eq!(one("atoi", Value::str("-7")), Value::int(-7));
        assert_eq!(one("atoi", Value::str("+7")), Value::int(7));
        assert_eq!(one("atoi", Value::str(" 7")), Value::int(0));
        assert_eq!(one("atoi", Value::str("0x10")), Value::int(0));
        assert_eq!(one("atoi", Value::str("3.5")), Value::int(0));
        assert_eq!(
            one("atoi", Value::str("99999999999999999999")),
            Value::int(i64::MAX)
        );
        assert!(call("atoi", vec![Value::int(1)]).is_err());
    }

    #[test]
    fn int_and_float_follow_cast() {
        assert_eq!(one("int", Value::str("0x1f")), Value::int(31));
        assert_eq!(one("int64", Value::Float(3.99)), Value::int(3));
        assert_eq!(one("int", Value::str("5.0")), Value::int(5));
        assert_eq!(one("int", Value::Nil), Value::int(0));
        assert_eq!(one("float64", Value::str("1.5")), Value::Float(1.5));
        assert_eq!(one("float64", Value::str(" 1.5")), Value::Float(0.0));
        assert_eq!(one("float64", Value::str("1e400")), Value::Float(0.0));
        assert_eq!(one("float64", Value::int(2)), Value::Float(2.0));
        assert_eq!(one("float64", Value::Bool(true)), Value::Float(1.0));
    }

    #[test]
    fn to_decimal_reads_octal() {
        assert_eq!(one("toDecimal", Value::str("0777")), Value::int(511));
        assert_eq!(one("toDecimal", Value::int(777)), Value::int(511));
        assert_eq!(one("toDecimal", Value::Float(644.0)), Value::int(420));
        assert_eq!(one("toDecimal", Value::str("-10")), Value::int(-8));
        assert_eq!(one("toDecimal", Value::str("8")), Value::int(0));
        assert_eq!(one("toDecimal", Value::str("0o7")), Value::int(0));
        assert_eq!(one("toDecimal", Value::str("-+7")), Value::int(0));
    }
}
