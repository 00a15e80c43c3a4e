//! Sprig's dictionary functions (`dict.go`): `dict`, `get`, `set`, `merge`, `dig`, …
//!
//! Go maps are references: `set`, `unset`, `merge` and `mergeOverwrite` change the map they
//! are given (charts rely on `$_ := set $ctx "k" v`), which is why [`Value::Map`] is shared
//! and mutated in place here.
//!
//! `merge`/`mergeOverwrite` copy `dario.cat/mergo` v1.0.1 on `map[string]interface{}`
//! exactly, including its odd corners (see [`merge_into`]). `keys` and `values` return Go's
//! random map order in Helm; we return key order, which is deterministic.

use super::convert::{
    expect_args, expect_map, expect_min_args, expect_string, go_empty, string_arg, strval,
};
use super::FuncMap;
use crate::template::value::{FuncError, Map, MapRef, Value};

pub fn register(map: &mut FuncMap) {
    map.insert("dict", dict);
    map.insert("get", get);
    map.insert("set", set);
    map.insert("unset", unset);
    map.insert("hasKey", has_key);
    map.insert("pluck", pluck);
    map.insert("keys", keys);
    map.insert("values", values);
    map.insert("pick", pick);
    map.insert("omit", omit);
    map.insert("merge", merge);
    map.insert("mustMerge", merge);
    map.insert("mergeOverwrite", merge_overwrite);
    map.insert("mustMergeOverwrite", merge_overwrite);
    map.insert("deepCopy", deep_copy);
    map.insert("mustDeepCopy", deep_copy);
    map.insert("dig", dig);
}

/// A Go map argument as a snapshot of its entries (an empty one for a nil map).
fn entries(m: &Option<MapRef>) -> Map {
    m.as_ref().map(|m| m.borrow().clone()).unwrap_or_default()
}

fn dict(args: &[Value]) -> Result<Value, FuncError> {
    let mut out = Map::new();
    for pair in args.chunks(2) {
        let key = pair.first().map(strval).unwrap_or_default();
        // An odd trailing key gets "" as its value.
        let value = pair.get(1).cloned().unwrap_or_else(|| Value::str(""));
        out.insert(key, value);
    }
    Ok(Value::map(out))
}

/// `get $d "k"`: the value, or "" (not nil) when the key is missing.
fn get(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("get", args, 2)?;
    let m = expect_map(&args[0])?;
    let key = string_arg("get", args, 1)?;
    Ok(m.and_then(|m| m.borrow().get(key.as_ref()).cloned())
        .unwrap_or_else(|| Value::str("")))
}

fn set(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("set", args, 3)?;
    let m =
        expect_map(&args[0])?.ok_or_else(|| FuncError::new("assignment to entry in nil map"))?;
    let key = string_arg("set", args, 1)?.into_owned();
    m.borrow_mut().insert(key, args[2].clone());
    Ok(Value::Map(m))
}

fn unset(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("unset", args, 2)?;
    let key = string_arg("unset", args, 1)?;
    match expect_map(&args[0])? {
        Some(m) => {
            m.borrow_mut().remove(key.as_ref());
            Ok(Value::Map(m))
        }
        // Deleting from a nil map is a no-op in Go; the nil map prints as `map[]`.
        None => Ok(Value::empty_map()),
    }
}

fn has_key(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("hasKey", args, 2)?;
    let m = expect_map(&args[0])?;
    let key = string_arg("hasKey", args, 1)?;
    Ok(Value::Bool(
        m.is_some_and(|m| m.borrow().contains_key(key.as_ref())),
    ))
}

fn pluck(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("pluck", args, 1)?;
    let key = string_arg("pluck", args, 0)?;
    let mut out = Vec::new();
    for d in &args[1..] {
        if let Some(m) = expect_map(d)? {
            if let Some(v) = m.borrow().get(key.as_ref()) {
                out.push(v.clone());
            }
        }
    }
    Ok(Value::list(out))
}

fn keys(args: &[Value]) -> Result<Value, FuncError> {
    let mut out = Vec::new();
    for d in args {
        if let Some(m) = expect_map(d)? {
            out.extend(m.borrow().keys().map(|k| Value::str(k)));
        }
    }
    Ok(Value::list(out))
}

fn values(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("values", args, 1)?;
    let m = expect_map(&args[0])?;
    Ok(Value::list(entries(&m).into_values().collect()))
}

fn pick(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("pick", args, 1)?;
    let m = entries(&expect_map(&args[0])?);
    let mut out = Map::new();
    for k in &args[1..] {
        let k = expect_string("pick", k)?;
        if let Some(v) = m.get(k.as_ref()) {
            out.insert(k.into_owned(), v.clone());
        }
    }
    Ok(Value::map(out))
}

fn omit(args: &[Value]) -> Result<Value, FuncError> {
    expect_min_args("omit", args, 1)?;
    let mut m = entries(&expect_map(&args[0])?);
    for k in &args[1..] {
        m.remove(expect_string("omit", k)?.as_ref());
    }
    Ok(Value::map(m))
}

fn merge(args: &[Value]) -> Result<Value, FuncError> {
    merge_all("merge", args, false)
}

fn merge_overwrite(args: &[Value]) -> Result<Value, FuncError> {
    merge_all("mergeOverwrite", args, true)
}

fn merge_all(name: &str, args: &[Value], overwrite: bool) -> Result<Value, FuncError> {
    expect_min_args(name, args, 1)?;
    let srcs = args[1..]
        .iter()
        .map(expect_map)
        .collect::<Result<Vec<_>, _>>()?;
    // mergo gives a nil destination a fresh map (Sprig returns it).
    let dst = expect_map(&args[0])?.unwrap_or_default();
    for src in srcs.iter().flatten() {
        merge_into(&dst, src, overwrite);
    }
    Ok(Value::Map(dst))
}

/// `mergo.Merge(&dst, src)` (or `MergeWithOverwrite` when `overwrite`) for
/// `map[string]interface{}`, key by key:
/// - a nil source value is skipped, or stored as nil when overwriting;
/// - nested maps are merged recursively (in place, so holders of the nested map see it), and
///   an empty destination map is then replaced by the source map itself;
/// - a list, like any other value, lands when the destination is missing or empty
///   (mergo's `isEmptyValue`: "", 0, false, nil, empty list or map) or when overwriting;
///   lists are never merged element-wise;
/// - when overwriting, empty source values ("", 0, false, []) do overwrite: mergo only checks
///   emptiness of the destination for maps' elements.
fn merge_into(dst: &MapRef, src: &MapRef, overwrite: bool) {
    // Snapshot the source so that merging a map into itself cannot alias a borrow.
    let src_entries: Vec<(String, Value)> = src
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (key, src_value) in src_entries {
        if src_value.is_nil() {
            if overwrite {
                dst.borrow_mut().insert(key, Value::Nil);
            }
            continue;
        }
        let dst_value = dst.borrow().get(&key).cloned();
        if let (Value::Map(src_map), Some(Value::Map(dst_map))) = (&src_value, &dst_value) {
            if !std::rc::Rc::ptr_eq(src_map, dst_map) {
                merge_into(dst_map, src_map, overwrite);
            }
        }
        if let Some(existing) = &dst_value {
            if !go_empty(existing) {
                if matches!(src_value, Value::List(_) | Value::Bytes(_)) {
                    // mergo already stored the list (when overwriting) or kept the old value.
                    if overwrite {
                        dst.borrow_mut().insert(key, src_value);
                    }
                    continue;
                }
                if matches!((&src_value, existing), (Value::Map(_), Value::Map(_))) {
                    continue;
                }
            }
        }
        if overwrite || dst_value.as_ref().is_none_or(go_empty) {
            dst.borrow_mut().insert(key, src_value);
        }
    }
}

/// `deepCopy`: copystructure fails on a nil interface with reflect's message.
fn deep_copy(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("deepCopy", args, 1)?;
    if args[0].is_nil() {
        return Err(FuncError::new(
            "reflect: call of reflect.Value.Type on zero Value",
        ));
    }
    Ok(args[0].deep_copy())
}

/// `dig "a" "b" default $dict`: Sprig type-asserts every step, so a path through a value that
/// is not a map is an error (Go's interface-conversion panic), not the default.
fn dig(args: &[Value]) -> Result<Value, FuncError> {
    if args.len() < 3 {
        return Err(FuncError::new("dig needs at least three arguments"));
    }
    let (path, rest) = args.split_at(args.len() - 2);
    let default = &rest[0];
    let mut current = as_dict(&rest[1])?;
    let keys = path
        .iter()
        .map(|k| match k {
            Value::String(s) => Ok(s.clone()),
            other => Err(FuncError::new(format!(
                "interface conversion: interface {{}} is {}, not string",
                go_type(other)
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut remaining = keys.len();
    for key in keys {
        remaining -= 1;
        let step = current.borrow().get(key.as_ref()).cloned();
        let Some(step) = step else {
            return Ok(default.clone());
        };
        if remaining == 0 {
            return Ok(step);
        }
        current = as_dict(&step)?;
    }
    Ok(default.clone())
}

/// Go's `v.(map[string]interface{})` type assertion.
fn as_dict(v: &Value) -> Result<MapRef, FuncError> {
    match v {
        Value::Map(m) => Ok(m.clone()),
        other => Err(FuncError::new(format!(
            "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
            go_type(other)
        ))),
    }
}

/// Type name as a Go interface-conversion panic prints it (`nil` for a nil interface).
fn go_type(v: &Value) -> String {
    match v {
        Value::Nil => "nil".to_string(),
        other => other.type_name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(pairs: &[(&str, Value)]) -> Value {
        Value::map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    fn i(x: i64) -> Value {
        Value::int(x)
    }

    fn l(xs: &[Value]) -> Value {
        Value::list(xs.to_vec())
    }

    fn call(f: fn(&[Value]) -> Result<Value, FuncError>, args: &[Value]) -> String {
        match f(args) {
            Ok(v) => v.to_string(),
            Err(e) => format!("ERR {e}"),
        }
    }

    /// The destination and source used for the merge checks against helm v4.1.4.
    fn merge_fixture() -> (Value, Value) {
        let dst = d(&[
            ("a", s("x")),
            ("b", s("")),
            ("c", i(0)),
            ("e", l(&[i(1)])),
            ("f", l(&[])),
            ("g", d(&[("h", i(1)), ("i", s(""))])),
            ("j", Value::Bool(false)),
            ("k", d(&[])),
            ("l", s("s")),
            ("n", Value::Nil),
            ("o", Value::Bool(true)),
        ]);
        let src = d(&[
            ("a", s("y")),
            ("b", s("z")),
            ("c", i(5)),
            ("d", s("new")),
            ("e", l(&[i(2)])),
            ("f", l(&[i(3)])),
            ("g", d(&[("h", i(2)), ("i", s("q")), ("m", i(3))])),
            ("j", Value::Bool(true)),
            ("k", d(&[("z", i(1))])),
            ("l", d(&[("q", i(1))])),
            ("n", s("nn")),
            ("o", Value::Bool(false)),
        ]);
        (dst, src)
    }

    #[test]
    fn merge_fills_only_missing_or_empty_values() {
        let (dst, src) = merge_fixture();
        assert_eq!(
            call(merge, &[dst, src]),
            "map[a:x b:z c:5 d:new e:[1] f:[3] g:map[h:1 i:q m:3] j:true k:map[z:1] l:s n:nn o:true]"
        );
    }

    #[test]
    fn merge_overwrite_lets_source_win() {
        let (dst, src) = merge_fixture();
        assert_eq!(
            call(merge_overwrite, &[dst, src]),
            "map[a:y b:z c:5 d:new e:[2] f:[3] g:map[h:2 i:q m:3] j:true k:map[z:1] l:map[q:1] n:nn o:false]"
        );
    }

    #[test]
    fn merge_overwrite_with_empty_source_values() {
        let (dst, _) = merge_fixture();
        let src = d(&[
            ("a", s("")),
            ("c", i(0)),
            ("e", l(&[])),
            ("j", Value::Bool(false)),
            ("g", d(&[("h", i(0))])),
            ("n", Value::Nil),
            ("l", Value::Nil),
        ]);
        assert_eq!(
            call(merge_overwrite, &[dst.deep_copy(), src.clone()]),
            "map[a: b: c:0 e:[] f:[] g:map[h:0 i:] j:false k:map[] l:<nil> n:<nil> o:true]"
        );
        assert_eq!(
            call(merge, &[dst, src]),
            "map[a:x b: c:0 e:[1] f:[] g:map[h:1 i:] j:false k:map[] l:s n:<nil> o:true]"
        );
    }

    #[test]
    fn merge_type_mismatches() {
        let str_list = call(
            merge_overwrite,
            &[d(&[("a", l(&[i(1)]))]), d(&[("a", s("str"))])],
        );
        assert_eq!(str_list, "map[a:str]");
        let list_str = call(
            merge_overwrite,
            &[d(&[("a", s("str"))]), d(&[("a", l(&[i(1)]))])],
        );
        assert_eq!(list_str, "map[a:[1]]");
        assert_eq!(call(merge, &[d(&[]), d(&[("a", l(&[]))])]), "map[a:[]]");
        assert_eq!(
            call(merge, &[d(&[("a", s("s"))]), d(&[("a", l(&[i(1)]))])]),
            "map[a:s]"
        );
        assert_eq!(
            call(
                merge,
                &[d(&[("a", d(&[]))]), d(&[("a", d(&[("b", i(1))]))])]
            ),
            "map[a:map[b:1]]"
        );
        assert_eq!(call(merge, &[Value::Nil, d(&[("a", i(1))])]), "map[a:1]");
        assert_eq!(call(merge, &[Value::Nil, Value::Nil]), "map[]");
    }

    #[test]
    fn merge_mutates_destination_and_nested_maps() {
        let nested = d(&[("x", i(1))]);
        let dst = d(&[("n", nested.clone())]);
        let src = d(&[("n", d(&[("y", i(2))])), ("top", i(3))]);
        let out = merge(&[dst.clone(), src]).unwrap();
        assert_eq!(dst.to_string(), "map[n:map[x:1 y:2] top:3]");
        assert_eq!(nested.to_string(), "map[x:1 y:2]");
        assert_eq!(out, dst);
        // Merging a map into itself must not fail.
        assert_eq!(
            call(merge_overwrite, &[dst.clone(), dst]),
            "map[n:map[x:1 y:2] top:3]"
        );
    }

    #[test]
    fn set_unset_get_has_key() {
        let m = d(&[("a", i(1))]);
        assert_eq!(call(set, &[m.clone(), s("b"), i(2)]), "map[a:1 b:2]");
        assert_eq!(m.to_string(), "map[a:1 b:2]");
        assert_eq!(call(unset, &[m.clone(), s("a")]), "map[b:2]");
        assert_eq!(call(get, &[m.clone(), s("b")]), "2");
        assert_eq!(get(&[m.clone(), s("zz")]).unwrap(), s(""));
        assert_eq!(get(&[Value::Nil, s("zz")]).unwrap(), s(""));
        assert_eq!(call(has_key, &[m.clone(), s("b")]), "true");
        assert_eq!(call(has_key, &[Value::Nil, s("b")]), "false");
        assert_eq!(
            call(set, &[Value::Nil, s("a"), i(1)]),
            "ERR assignment to entry in nil map"
        );
        assert_eq!(call(unset, &[Value::Nil, s("a")]), "map[]");
        assert_eq!(
            call(get, &[s("x"), s("a")]),
            "ERR wrong type for value; expected map[string]interface {}; got string"
        );
    }

    #[test]
    fn dict_pluck_keys_values_pick_omit() {
        assert_eq!(call(dict, &[s("a")]), "map[a:]");
        assert_eq!(
            call(
                dict,
                &[i(1), i(2), Value::Bool(true), i(3), Value::Nil, i(4)]
            ),
            "map[1:2 <nil>:4 true:3]"
        );
        assert_eq!(
            call(
                pluck,
                &[
                    s("a"),
                    d(&[("a", i(1))]),
                    d(&[("b", i(2))]),
                    d(&[("a", i(3))])
                ]
            ),
            "[1 3]"
        );
        assert_eq!(
            call(
                keys,
                &[
                    d(&[("b", i(1)), ("a", i(2))]),
                    d(&[("c", i(1)), ("a", i(5))])
                ]
            ),
            "[a b a c]"
        );
        assert_eq!(call(keys, &[]), "[]");
        assert_eq!(call(keys, &[Value::Nil]), "[]");
        assert_eq!(call(values, &[d(&[("b", i(1)), ("a", i(2))])]), "[2 1]");
        let abc = d(&[("a", i(1)), ("b", i(2)), ("c", i(3))]);
        assert_eq!(
            call(pick, &[abc.clone(), s("a"), s("c"), s("z")]),
            "map[a:1 c:3]"
        );
        assert_eq!(call(omit, &[abc.clone(), s("a")]), "map[b:2 c:3]");
        assert_eq!(abc.to_string(), "map[a:1 b:2 c:3]");
    }

    #[test]
    fn dig_like_sprig() {
        let m = d(&[("a", d(&[("b", i(1))]))]);
        assert_eq!(call(dig, &[s("a"), s("b"), s("def"), m.clone()]), "1");
        assert_eq!(call(dig, &[s("a"), s("x"), s("def"), m.clone()]), "def");
        assert_eq!(call(dig, &[s("z"), s("x"), s("def"), m.clone()]), "def");
        assert_eq!(
            call(dig, &[s("a"), s("def"), d(&[("a", Value::Nil)])]),
            "<nil>"
        );
        assert_eq!(
            call(dig, &[s("a"), s("b"), s("def"), d(&[("a", s("s"))])]),
            "ERR interface conversion: interface {} is string, not map[string]interface {}"
        );
        assert_eq!(
            call(dig, &[s("a"), s("b"), s("def"), d(&[("a", Value::Nil)])]),
            "ERR interface conversion: interface {} is nil, not map[string]interface {}"
        );
        assert_eq!(
            call(dig, &[i(1), s("def"), d(&[])]),
            "ERR interface conversion: interface {} is int, not string"
        );
        assert_eq!(
            call(dig, &[s("a"), d(&[])]),
            "ERR dig needs at least three arguments"
        );
    }

    #[test]
    fn deep_copy_copies_and_refuses_nil() {
        let m = d(&[("a", l(&[i(1), d(&[("b", i(2))])]))]);
        let c = deep_copy(std::slice::from_ref(&m)).unwrap();
        assert_eq!(c, m);
        let _ = set(&[c.clone(), s("x"), i(1)]);
        assert_eq!(m.to_string(), "map[a:[1 map[b:2]]]");
        assert_eq!(call(deep_copy, &[i(3)]), "3");
        assert_eq!(
            call(deep_copy, &[Value::Nil]),
            "ERR reflect: call of reflect.Value.Type on zero Value"
        );
    }
}
