//! Sprig's reflection functions: `typeOf`, `typeIs`, `typeIsLike`, `kindOf`, `kindIs`,
//! `deepEqual`, answering with Go's type and kind names.
//!
//! Integers keep their Go type (`int`, `int64`, `uint64`). Lists and maps do not remember a
//! typed Go element (`[]string` vs `[]interface {}`); they report the generic type, which is
//! what Helm values have.

use super::convert::{expect_args, string_arg};
use super::FuncMap;
use crate::template::value::{FuncError, Value};

/// Register the reflection functions.
pub fn register(map: &mut FuncMap) {
    map.insert("typeOf", type_of);
    map.insert("typeIs", type_is);
    map.insert("typeIsLike", type_is_like);
    map.insert("kindOf", kind_of);
    map.insert("kindIs", kind_is);
    map.insert("deepEqual", deep_equal_fn);
}

/// Go `reflect.Kind` name; objects are pointers unless their Go type is a plain struct.
pub fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Object(o) if !o.type_name().starts_with('*') => "struct",
        other => other.kind_name(),
    }
}

/// Go `reflect.DeepEqual` (one implementation, shared with the list functions).
pub use super::convert::go_deep_equal as deep_equal;

fn type_of(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("typeOf", args, 1)?;
    Ok(Value::string(args[0].type_name()))
}

fn type_is(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("typeIs", args, 2)?;
    let target = string_arg("typeIs", args, 0)?;
    Ok(Value::Bool(*target == args[1].type_name()))
}

/// `typeIsLike T V`: V's type is T or `*T`.
fn type_is_like(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("typeIsLike", args, 2)?;
    let target = string_arg("typeIsLike", args, 0)?;
    let t = args[1].type_name();
    Ok(Value::Bool(
        *target == t || t.strip_prefix('*') == Some(&*target),
    ))
}

fn kind_of(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("kindOf", args, 1)?;
    Ok(Value::str(kind_name(&args[0])))
}

fn kind_is(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("kindIs", args, 2)?;
    let target = string_arg("kindIs", args, 0)?;
    Ok(Value::Bool(*target == *kind_name(&args[1])))
}

fn deep_equal_fn(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("deepEqual", args, 2)?;
    Ok(Value::Bool(deep_equal(&args[0], &args[1])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::value::Map;

    fn call(f: fn(&[Value]) -> Result<Value, FuncError>, args: Vec<Value>) -> Value {
        f(&args).unwrap()
    }

    #[test]
    fn type_and_kind_names() {
        assert_eq!(
            call(type_of, vec![Value::Float(1.0)]),
            Value::str("float64")
        );
        assert_eq!(call(type_of, vec![Value::Nil]), Value::str("<nil>"));
        assert_eq!(
            call(type_of, vec![Value::empty_map()]),
            Value::str("map[string]interface {}")
        );
        assert_eq!(
            call(kind_of, vec![Value::list(vec![])]),
            Value::str("slice")
        );
        assert_eq!(call(kind_of, vec![Value::Nil]), Value::str("invalid"));
        assert_eq!(
            call(kind_is, vec![Value::str("map"), Value::empty_map()]),
            Value::Bool(true)
        );
        assert_eq!(
            call(type_is, vec![Value::str("string"), Value::str("x")]),
            Value::Bool(true)
        );
        assert_eq!(
            call(type_is_like, vec![Value::str("int"), Value::int(1)]),
            Value::Bool(true)
        );
    }

    #[test]
    fn deep_equal_is_type_strict() {
        assert!(!deep_equal(&Value::int(1), &Value::Float(1.0)));
        assert!(deep_equal(&Value::Float(1.0), &Value::Float(1.0)));
        assert!(!deep_equal(
            &Value::Float(f64::NAN),
            &Value::Float(f64::NAN)
        ));
        let mut a = Map::new();
        a.insert("k".into(), Value::list(vec![Value::str("x"), Value::Nil]));
        let mut b = Map::new();
        b.insert("k".into(), Value::list(vec![Value::str("x"), Value::Nil]));
        assert!(deep_equal(&Value::map(a.clone()), &Value::map(b)));
        a.insert("j".into(), Value::Nil);
        assert!(!deep_equal(&Value::map(a), &Value::empty_map()));
        assert_eq!(
            call(deep_equal_fn, vec![Value::str("a"), Value::str("a")]),
            Value::Bool(true)
        );
    }
}
