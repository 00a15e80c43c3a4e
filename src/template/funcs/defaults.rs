//! Sprig's defaults and flow-control functions: `default`, `empty`, `coalesce`, `all`,
//! `any`, `ternary`, `fail`.
//!
//! Sprig's notion of "empty" is Go's zero value: nil, false, 0, 0.0, and empty strings,
//! lists and maps. Structs (our objects) are never empty.

use super::convert::{expect_args, expect_bool, expect_min_args, string_arg};
use super::FuncMap;
use crate::template::value::{FuncError, Value};

/// Register the defaults and flow functions.
pub fn register(map: &mut FuncMap) {
    map.insert("default", default);
    map.insert("empty", empty);
    map.insert("coalesce", coalesce);
    map.insert("all", all);
    map.insert("any", any);
    map.insert("ternary", ternary);
    map.insert("fail", fail);
}

/// Sprig `empty`: the zero value of its type.
pub fn is_empty(v: &Value) -> bool {
    // Go's truthiness (text/template `isTrue`) and Sprig's `empty` agree on every kind we
    // model: both treat non-nil pointers and structs as set.
    !v.truthy()
}

/// `default DEFAULT GIVEN…`: GIVEN (only the first is looked at) unless it is empty.
fn default(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("default", args, 1)?;
    match args.get(1) {
        Some(given) if !is_empty(given) => Ok(given.clone()),
        _ => Ok(args[0].clone()),
    }
}

fn empty(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("empty", args, 1)?;
    Ok(Value::Bool(is_empty(&args[0])))
}

/// `coalesce`: the first non-empty argument, or nil.
fn coalesce(args: &[Value]) -> Result<Value, FuncError> {
    Ok(args
        .iter()
        .find(|v| !is_empty(v))
        .cloned()
        .unwrap_or(Value::Nil))
}

/// `all`: no argument is empty (true for no arguments).
fn all(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::Bool(args.iter().all(|v| !is_empty(v))))
}

/// `any`: some argument is non-empty (false for no arguments).
fn any(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::Bool(args.iter().any(|v| !is_empty(v))))
}

/// `ternary TRUE_VAL FALSE_VAL COND`; COND must be a real bool, as Go's signature demands.
fn ternary(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("ternary", args, 3)?;
    let cond = expect_bool(&args[2])?;
    Ok(if cond {
        args[0].clone()
    } else {
        args[1].clone()
    })
}

/// `fail MSG`: stop rendering with MSG as the error.
fn fail(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("fail", args, 1)?;
    Err(FuncError::new(string_arg("fail", args, 0)?.into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::value::Map;

    fn call(name: &str, args: Vec<Value>) -> Result<Value, FuncError> {
        let mut map = FuncMap::new();
        register(&mut map);
        match map.get(name) {
            Some(super::super::Function::Native(f)) => f(&args),
            _ => panic!("no function {name}"),
        }
    }

    #[test]
    fn default_uses_sprig_emptiness() {
        let d = Value::str("d");
        for given in [
            Value::Nil,
            Value::Bool(false),
            Value::int(0),
            Value::Float(0.0),
            Value::str(""),
            Value::list(vec![]),
            Value::empty_map(),
        ] {
            assert_eq!(call("default", vec![d.clone(), given]).unwrap(), d);
        }
        assert_eq!(call("default", vec![d.clone()]).unwrap(), d);
        assert_eq!(
            call("default", vec![d.clone(), Value::int(3)]).unwrap(),
            Value::int(3)
        );
        let mut m = Map::new();
        m.insert("a".into(), Value::Nil);
        let given = Value::map(m);
        assert_eq!(
            call("default", vec![d.clone(), given.clone()]).unwrap(),
            given
        );
        // Only the first GIVEN counts.
        assert_eq!(
            call("default", vec![d.clone(), Value::Nil, Value::int(1)]).unwrap(),
            d
        );
    }

    #[test]
    fn empty_coalesce_all_any() {
        assert_eq!(call("empty", vec![Value::Nil]).unwrap(), Value::Bool(true));
        assert_eq!(
            call("empty", vec![Value::str(" ")]).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(
            call(
                "coalesce",
                vec![Value::Nil, Value::str(""), Value::int(2), Value::int(3)]
            )
            .unwrap(),
            Value::int(2)
        );
        assert_eq!(call("coalesce", vec![Value::Nil]).unwrap(), Value::Nil);
        assert_eq!(call("all", vec![]).unwrap(), Value::Bool(true));
        assert_eq!(
            call("all", vec![Value::int(1), Value::str("")]).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(call("any", vec![]).unwrap(), Value::Bool(false));
        assert_eq!(
            call("any", vec![Value::int(0), Value::str("x")]).unwrap(),
            Value::Bool(true)
        );
    }

    #[test]
    fn ternary_and_fail() {
        let t = |c: Value| call("ternary", vec![Value::str("y"), Value::str("n"), c]);
        assert_eq!(t(Value::Bool(true)).unwrap(), Value::str("y"));
        assert_eq!(t(Value::Bool(false)).unwrap(), Value::str("n"));
        assert_eq!(
            t(Value::str("true")).unwrap_err().message,
            "wrong type for value; expected bool; got string"
        );
        assert_eq!(
            call("fail", vec![Value::str("boom")]).unwrap_err().message,
            "boom"
        );
    }
}
