//! Sprig's list functions (`list.go`): `list`, `first`, `rest`, `append`, `uniq`, `has`, …
//!
//! Sprig reflects on any slice, so every function here accepts a list (or a byte slice, which
//! Go sees as a slice of integers) and refuses other kinds with Sprig's own message
//! ("Cannot find first on type string"). A nil argument makes Sprig's `reflect.TypeOf(nil)
//! .Kind()` dereference nil; text/template turns that panic into the error we return too.
//!
//! The `must*` variants return the error that the plain variants raise as a panic. Helm's
//! text/template converts such panics into errors as well, so both report the same message
//! and share one implementation here.
//!
//! Lists are immutable values: every function returns a new list and never touches its input.

use super::convert::{
    expect_args, expect_min_args, go_deep_equal, go_empty, int_arg, to_int64, NIL_DEREFERENCE,
};
use super::FuncMap;
use crate::template::value::{FuncError, Value};

pub fn register(map: &mut FuncMap) {
    map.insert("list", list);
    // Sprig keeps `tuple` as an old alias of `list`.
    map.insert("tuple", list);
    map.insert("append", push);
    map.insert("push", push);
    map.insert("mustAppend", push);
    map.insert("mustPush", push);
    map.insert("prepend", prepend);
    map.insert("mustPrepend", prepend);
    map.insert("first", first);
    map.insert("mustFirst", first);
    map.insert("rest", rest);
    map.insert("mustRest", rest);
    map.insert("last", last);
    map.insert("mustLast", last);
    map.insert("initial", initial);
    map.insert("mustInitial", initial);
    map.insert("reverse", reverse);
    map.insert("mustReverse", reverse);
    map.insert("uniq", uniq);
    map.insert("mustUniq", uniq);
    map.insert("without", without);
    map.insert("mustWithout", without);
    map.insert("has", has);
    map.insert("mustHas", has);
    map.insert("compact", compact);
    map.insert("mustCompact", compact);
    // A FuncMap entry named like a text/template builtin replaces it, so charts get Sprig's
    // `slice` (lists only) rather than Go's (which also slices strings).
    map.insert("slice", slice);
    map.insert("mustSlice", slice);
    map.insert("concat", concat);
    map.insert("chunk", chunk);
    map.insert("mustChunk", chunk);
}

/// The elements of a slice argument. `message` is Sprig's error for other kinds, with
/// `{kind}` standing for the Go kind name.
fn items(v: &Value, message: &str) -> Result<Vec<Value>, FuncError> {
    match v {
        Value::List(items) => Ok(items.as_ref().clone()),
        Value::Bytes(b) => Ok(b.iter().map(|x| Value::int(i64::from(*x))).collect()),
        Value::Nil => Err(FuncError::new(NIL_DEREFERENCE)),
        // Go slice types with methods (`.Capabilities.APIVersions`) reflect as slices.
        Value::Object(o) => match o.entries() {
            Some(entries) if entries.iter().all(|(k, _)| matches!(k, Value::Int(_, _))) => {
                Ok(entries.into_iter().map(|(_, v)| v).collect())
            }
            _ => Err(FuncError::new(message.replace("{kind}", v.kind_name()))),
        },
        other => Err(FuncError::new(message.replace("{kind}", other.kind_name()))),
    }
}

/// Go's `cast.ToInt` index arguments, as Sprig's `slice` reads them.
fn index(v: &Value) -> i64 {
    to_int64(v)
}

fn list(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::list(args.to_vec()))
}

fn push(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("append", args, 2)?;
    let mut out = items(&args[0], "Cannot push on type {kind}")?;
    out.push(args[1].clone());
    Ok(Value::list(out))
}

fn prepend(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("prepend", args, 2)?;
    let rest = items(&args[0], "Cannot prepend on type {kind}")?;
    let mut out = Vec::with_capacity(rest.len() + 1);
    out.push(args[1].clone());
    out.extend(rest);
    Ok(Value::list(out))
}

fn first(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("first", args, 1)?;
    let list = items(&args[0], "Cannot find first on type {kind}")?;
    Ok(list.into_iter().next().unwrap_or(Value::Nil))
}

fn last(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("last", args, 1)?;
    let list = items(&args[0], "Cannot find last on type {kind}")?;
    Ok(list.into_iter().next_back().unwrap_or(Value::Nil))
}

fn rest(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("rest", args, 1)?;
    let list = items(&args[0], "Cannot find rest on type {kind}")?;
    Ok(Value::list(list.into_iter().skip(1).collect()))
}

fn initial(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("initial", args, 1)?;
    let mut list = items(&args[0], "Cannot find initial on type {kind}")?;
    list.pop();
    Ok(Value::list(list))
}

fn reverse(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("reverse", args, 1)?;
    let mut list = items(&args[0], "Cannot find reverse on type {kind}")?;
    list.reverse();
    Ok(Value::list(list))
}

fn uniq(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("uniq", args, 1)?;
    let list = items(&args[0], "Cannot find uniq on type {kind}")?;
    let mut out: Vec<Value> = Vec::new();
    for item in list {
        if !out.iter().any(|seen| go_deep_equal(&item, seen)) {
            out.push(item);
        }
    }
    Ok(Value::list(out))
}

fn without(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("without", args, 1)?;
    let list = items(&args[0], "Cannot find without on type {kind}")?;
    let omit = &args[1..];
    let out = list
        .into_iter()
        .filter(|item| !omit.iter().any(|o| go_deep_equal(item, o)))
        .collect();
    Ok(Value::list(out))
}

fn has(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("has", args, 2)?;
    // Sprig checks for a nil haystack before reflecting on it.
    if args[1].is_nil() {
        return Ok(Value::Bool(false));
    }
    let list = items(&args[1], "Cannot find has on type {kind}")?;
    Ok(Value::Bool(
        list.iter().any(|item| go_deep_equal(&args[0], item)),
    ))
}

fn compact(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("compact", args, 1)?;
    let list = items(&args[0], "Cannot compact on type {kind}")?;
    Ok(Value::list(
        list.into_iter().filter(|item| !go_empty(item)).collect(),
    ))
}

/// `slice $list [start [end]]`: Go slice bounds, so an empty list gives nil and bad bounds
/// are reflect's "slice index out of bounds" error.
fn slice(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("slice", args, 1)?;
    let list = items(&args[0], "list should be type of slice or array but {kind}")?;
    if list.is_empty() {
        return Ok(Value::Nil);
    }
    let len = list.len() as i64;
    let start = args.get(1).map_or(0, index);
    let end = args.get(2).map_or(len, index);
    if start < 0 || end < start || end > len {
        return Err(FuncError::new(
            "reflect.Value.Slice: slice index out of bounds",
        ));
    }
    Ok(Value::list(
        list.into_iter()
            .skip(start as usize)
            .take((end - start) as usize)
            .collect(),
    ))
}

fn concat(args: &[Value]) -> Result<Value, FuncError> {
    let mut out = Vec::new();
    for arg in args {
        out.extend(items(arg, "Cannot concat type {kind} as list")?);
    }
    Ok(Value::list(out))
}

/// `chunk size list`: Sprig computes the chunk count in float64, so a zero or negative size
/// ends in Go's "makeslice: len out of range" panic rather than a friendlier message.
fn chunk(args: &[Value]) -> Result<Value, FuncError> {
    const BAD_LEN: &str = "runtime error: makeslice: len out of range";
    expect_args("chunk", args, 2)?;
    let size = int_arg("chunk", args, 0)?;
    let list = items(&args[1], "Cannot chunk type {kind}")?;
    let len = list.len() as i64;
    let count = ((len - 1) as f64 / size as f64).floor() + 1.0;
    if !count.is_finite() || count < 0.0 {
        return Err(FuncError::new(BAD_LEN));
    }
    let count = count as i64;
    let mut out = Vec::new();
    for i in 0..count {
        let mut clen = size;
        if i == count - 1 {
            clen = (len as f64 % size as f64).floor() as i64;
            if clen == 0 {
                clen = size;
            }
        }
        if clen < 0 {
            return Err(FuncError::new(BAD_LEN));
        }
        let mut part = Vec::new();
        for j in 0..clen {
            let ix = i * size + j;
            let item = usize::try_from(ix)
                .ok()
                .and_then(|ix| list.get(ix))
                .ok_or_else(|| FuncError::new("reflect: slice index out of range"))?;
            part.push(item.clone());
        }
        out.push(Value::list(part));
    }
    Ok(Value::list(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(xs: &[i64]) -> Value {
        Value::list(xs.iter().map(|x| Value::int(*x)).collect())
    }

    fn call(f: fn(&[Value]) -> Result<Value, FuncError>, args: &[Value]) -> String {
        match f(args) {
            Ok(v) => v.to_string(),
            Err(e) => format!("ERR {e}"),
        }
    }

    // Expected strings below were printed by `helm template` (v4.1.4) for the same calls.
    #[test]
    fn first_last_rest_initial() {
        assert_eq!(call(first, &[ints(&[1, 2])]), "1");
        assert_eq!(call(first, &[ints(&[])]), "<nil>");
        assert_eq!(call(last, &[ints(&[1, 2])]), "2");
        assert_eq!(call(rest, &[ints(&[1, 2])]), "[2]");
        assert_eq!(call(rest, &[ints(&[])]), "[]");
        assert_eq!(call(initial, &[ints(&[1, 2, 3])]), "[1 2]");
        assert_eq!(
            call(first, &[Value::str("abc")]),
            "ERR Cannot find first on type string"
        );
        assert_eq!(
            call(first, &[Value::Float(3.0)]),
            "ERR Cannot find first on type float64"
        );
        assert_eq!(call(first, &[Value::Nil]), format!("ERR {NIL_DEREFERENCE}"));
    }

    #[test]
    fn append_prepend_concat() {
        assert_eq!(call(push, &[ints(&[1]), Value::int(2)]), "[1 2]");
        assert_eq!(call(prepend, &[ints(&[1]), Value::int(0)]), "[0 1]");
        assert_eq!(
            call(push, &[Value::Nil, Value::int(1)]),
            format!("ERR {NIL_DEREFERENCE}")
        );
        assert_eq!(call(concat, &[ints(&[1]), ints(&[2, 3])]), "[1 2 3]");
        assert_eq!(call(concat, &[]), "[]");
        assert_eq!(
            call(concat, &[ints(&[1]), Value::Nil]),
            format!("ERR {NIL_DEREFERENCE}")
        );
        assert_eq!(
            call(concat, &[Value::str("x")]),
            "ERR Cannot concat type string as list"
        );
    }

    #[test]
    fn input_lists_are_not_mutated() {
        let original = ints(&[3, 1, 2]);
        let _ = reverse(std::slice::from_ref(&original));
        let _ = push(&[original.clone(), Value::int(9)]);
        assert_eq!(original.to_string(), "[3 1 2]");
    }

    #[test]
    fn uniq_without_has_use_go_deep_equal() {
        let mixed = Value::list(vec![
            Value::int(1),
            Value::int(1),
            Value::str("a"),
            Value::str("a"),
            Value::Float(1.0),
        ]);
        assert_eq!(call(uniq, &[mixed]), "[1 a 1]");
        assert_eq!(
            call(
                without,
                &[ints(&[1, 2, 3, 2]), Value::int(2), Value::int(3)]
            ),
            "[1]"
        );
        assert_eq!(
            call(
                without,
                &[Value::list(vec![Value::int(1), Value::Nil]), Value::Nil]
            ),
            "[1]"
        );
        assert_eq!(call(has, &[Value::int(2), ints(&[1, 2])]), "true");
        assert_eq!(call(has, &[Value::Float(1.0), ints(&[1])]), "false");
        assert_eq!(call(has, &[Value::str("1"), ints(&[1])]), "false");
        assert_eq!(call(has, &[Value::int(2), Value::Nil]), "false");
        assert_eq!(
            call(has, &[Value::int(1), Value::int(3)]),
            "ERR Cannot find has on type int"
        );
    }

    #[test]
    fn compact_drops_empty_values() {
        let l = Value::list(vec![
            Value::int(0),
            Value::int(1),
            Value::str(""),
            Value::str("a"),
            Value::Nil,
            Value::list(vec![]),
            Value::empty_map(),
            Value::Bool(false),
            Value::Bool(true),
        ]);
        assert_eq!(call(compact, &[l]), "[1 a true]");
    }

    #[test]
    fn slice_follows_go_bounds() {
        let l = ints(&[1, 2, 3, 4]);
        assert_eq!(
            call(slice, &[l.clone(), Value::int(1), Value::int(3)]),
            "[2 3]"
        );
        assert_eq!(call(slice, &[l.clone(), Value::int(1)]), "[2 3 4]");
        assert_eq!(call(slice, std::slice::from_ref(&l)), "[1 2 3 4]");
        assert_eq!(call(slice, &[ints(&[])]), "<nil>");
        assert_eq!(
            call(slice, &[l, Value::int(1), Value::int(5)]),
            "ERR reflect.Value.Slice: slice index out of bounds"
        );
        assert_eq!(
            call(slice, &[Value::str("abcdef"), Value::int(1)]),
            "ERR list should be type of slice or array but string"
        );
    }

    #[test]
    fn chunk_like_sprig() {
        assert_eq!(
            call(chunk, &[Value::int(2), ints(&[1, 2, 3, 4, 5])]),
            "[[1 2] [3 4] [5]]"
        );
        assert_eq!(
            call(chunk, &[Value::int(2), ints(&[1, 2, 3, 4])]),
            "[[1 2] [3 4]]"
        );
        assert_eq!(call(chunk, &[Value::int(2), ints(&[])]), "[]");
        assert_eq!(call(chunk, &[Value::int(-1), ints(&[1, 2])]), "[]");
        assert_eq!(
            call(chunk, &[Value::int(0), ints(&[1])]),
            "ERR runtime error: makeslice: len out of range"
        );
        assert_eq!(
            call(chunk, &[Value::Float(2.0), ints(&[1])]),
            "ERR wrong type for value; expected int; got float64"
        );
    }

    #[test]
    fn list_and_tuple_build_lists() {
        assert_eq!(call(list, &[]), "[]");
        assert_eq!(call(list, &[Value::int(1), Value::str("a")]), "[1 a]");
    }
}
