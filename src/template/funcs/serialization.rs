//! Serialisation functions: Helm's `toYaml`/`fromYaml`/`toJson`/`fromJson`/`toToml` family
//! (pkg/engine/funcs.go) and Sprig's JSON helpers that Helm keeps.
//!
//! Error behaviour is Helm's, which differs per function on purpose: `toYaml`, `toJson` and
//! `toPrettyJson` swallow errors and return "", `toToml` returns the error text, `fromYaml`
//! and `fromJson` return a map holding an "Error" key, `fromYamlArray`/`fromJsonArray` a
//! one-element list with the message, and the `must*` variants (and Sprig's `toRawJson`)
//! fail the template.

use super::super::value::{FuncError, Map, Value};
use super::convert::{expect_args, expect_string};
use super::FuncMap;
use crate::yaml;

/// Register the serialisation functions.
pub fn register(map: &mut FuncMap) {
    map.insert("toYaml", to_yaml);
    map.insert("mustToYaml", must_to_yaml);
    map.insert("toYamlPretty", to_yaml_pretty);
    map.insert("fromYaml", from_yaml);
    map.insert("fromYamlArray", from_yaml_array);
    map.insert("toJson", to_json);
    map.insert("mustToJson", must_to_json);
    map.insert("toPrettyJson", to_pretty_json);
    map.insert("mustToPrettyJson", must_to_pretty_json);
    map.insert("toRawJson", to_raw_json);
    map.insert("mustToRawJson", to_raw_json);
    map.insert("fromJson", from_json);
    map.insert("fromJsonArray", from_json_array);
    map.insert("mustFromJson", must_from_json);
    map.insert("toToml", to_toml);
    map.insert("fromToml", from_toml);
}

/// Helm trims exactly one trailing newline from YAML output.
fn trim_one_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
    }
    s
}

fn to_yaml(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("toYaml", args, 1)?;
    Ok(Value::string(trim_one_newline(yaml::to_yaml(&args[0]))))
}

fn must_to_yaml(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("mustToYaml", args, 1)?;
    match yaml::try_to_yaml(&args[0]) {
        Ok(s) => Ok(Value::string(trim_one_newline(s))),
        Err(e) => Err(FuncError::new(e.to_string())),
    }
}

fn to_yaml_pretty(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("toYamlPretty", args, 1)?;
    Ok(Value::string(trim_one_newline(yaml::to_yaml_pretty(
        &args[0],
    ))))
}

/// The message encoding/json gives when a document's top level has the wrong shape.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Map(_) => "object",
        Value::List(_) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    }
}

fn error_map(message: String) -> Value {
    let mut m = Map::new();
    m.insert("Error".to_string(), Value::string(message));
    Value::map(m)
}

fn from_yaml(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("fromYaml", args, 1)?;
    let src = expect_string("fromYaml", &args[0])?;
    Ok(match yaml::load_str(&src, "") {
        Ok(v @ Value::Map(_)) => v,
        // An empty document decodes to JSON null, which leaves the map empty.
        Ok(Value::Nil) => Value::empty_map(),
        Ok(other) => error_map(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(e) => error_map(e.helm_message()),
    })
}

fn from_yaml_array(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("fromYamlArray", args, 1)?;
    let src = expect_string("fromYamlArray", &args[0])?;
    Ok(match yaml::load_str(&src, "") {
        Ok(v @ Value::List(_)) => v,
        Ok(Value::Nil) => Value::list(Vec::new()),
        Ok(other) => Value::list(vec![Value::string(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(e) => Value::list(vec![Value::string(e.helm_message())]),
    })
}

fn to_json(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("toJson", args, 1)?;
    Ok(Value::string(yaml::to_json(&args[0]).unwrap_or_default()))
}

fn must_to_json(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("mustToJson", args, 1)?;
    yaml::to_json(&args[0])
        .map(Value::string)
        .map_err(|e| FuncError::new(e.to_string()))
}

fn to_pretty_json(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("toPrettyJson", args, 1)?;
    Ok(Value::string(
        yaml::to_pretty_json(&args[0]).unwrap_or_default(),
    ))
}

fn must_to_pretty_json(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("mustToPrettyJson", args, 1)?;
    yaml::to_pretty_json(&args[0])
        .map(Value::string)
        .map_err(|e| FuncError::new(e.to_string()))
}

/// Sprig's `toRawJson` panics on error (the template fails) just like `mustToRawJson`.
fn to_raw_json(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("toRawJson", args, 1)?;
    yaml::to_raw_json(&args[0])
        .map(Value::string)
        .map_err(|e| FuncError::new(e.to_string()))
}

fn from_json(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("fromJson", args, 1)?;
    let src = expect_string("fromJson", &args[0])?;
    Ok(match yaml::from_json_lenient(&src) {
        Ok((v @ Value::Map(_), type_error)) => {
            // Go keeps what it decoded and the map also gets the error.
            if let (Value::Map(m), Some(e)) = (&v, type_error) {
                m.borrow_mut()
                    .insert("Error".to_string(), Value::string(e.to_string()));
            }
            v
        }
        // JSON null sets the Go map to nil.
        Ok((Value::Nil, _)) => Value::Nil,
        Ok((other, _)) => error_map(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(e) => error_map(e.to_string()),
    })
}

fn from_json_array(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("fromJsonArray", args, 1)?;
    let src = expect_string("fromJsonArray", &args[0])?;
    Ok(match yaml::from_json_lenient(&src) {
        Ok((v @ Value::List(_), None)) => v,
        Ok((Value::List(_), Some(e))) => Value::list(vec![Value::string(e.to_string())]),
        Ok((Value::Nil, _)) => Value::Nil,
        Ok((other, _)) => Value::list(vec![Value::string(format!(
            "json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(e) => Value::list(vec![Value::string(e.to_string())]),
    })
}

fn must_from_json(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("mustFromJson", args, 1)?;
    let src = expect_string("mustFromJson", &args[0])?;
    yaml::from_json(&src).map_err(|e| FuncError::new(e.to_string()))
}

fn to_toml(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("toToml", args, 1)?;
    Ok(Value::string(match yaml::to_toml(&args[0]) {
        Ok(s) => s,
        Err(e) => e.to_string(),
    }))
}

fn from_toml(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("fromToml", args, 1)?;
    let src = expect_string("fromToml", &args[0])?;
    Ok(match yaml::from_toml(&src) {
        Ok(v) => v,
        Err(e) => error_map(e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, arg: Value) -> Value {
        let mut map = FuncMap::new();
        register(&mut map);
        match map.get(name) {
            Some(super::super::Function::Native(f)) => f(&[arg]).unwrap(),
            _ => panic!("{name} not registered"),
        }
    }

    fn call_err(name: &str, arg: Value) -> String {
        let mut map = FuncMap::new();
        register(&mut map);
        match map.get(name) {
            Some(super::super::Function::Native(f)) => f(&[arg]).unwrap_err().message,
            _ => panic!("{name} not registered"),
        }
    }

    fn json_of(v: &Value) -> String {
        yaml::to_json(v).unwrap()
    }

    fn s(text: &str) -> Value {
        Value::str(text)
    }

    // Expected strings: helm v4 `{{ fromYaml "…" | toJson }}` and friends.

    #[test]
    fn from_yaml_errors_like_helm() {
        let cases = [
            (
                "a: b: c",
                r#"{"Error":"error converting YAML to JSON: yaml: mapping values are not allowed in this context"}"#,
            ),
            (
                "x: 1\na: b: c",
                r#"{"Error":"error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context"}"#,
            ),
            (
                "- 1",
                r#"{"Error":"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"}"#,
            ),
            (
                "foo",
                r#"{"Error":"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type map[string]interface {}"}"#,
            ),
            (
                "1",
                r#"{"Error":"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go value of type map[string]interface {}"}"#,
            ),
            (
                "true",
                r#"{"Error":"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal bool into Go value of type map[string]interface {}"}"#,
            ),
            ("", "{}"),
            ("null", "{}"),
            (
                "a: .inf",
                r#"{"Error":"error converting YAML to JSON: json: unsupported value: +Inf"}"#,
            ),
            (
                "~: 1",
                r#"{"Error":"error converting YAML to JSON: unsupported map key of type: %!s(\u003cnil\u003e), key: \u003cnil\u003e, value: 1"}"#,
            ),
            (
                "a: *x",
                r#"{"Error":"error converting YAML to JSON: yaml: unknown anchor 'x' referenced"}"#,
            ),
            (
                "a: !!int x",
                r#"{"Error":"error converting YAML to JSON: yaml: cannot decode !!str `x` as a !!int"}"#,
            ),
            ("a: 1\n---\nb: 2", r#"{"a":1}"#),
            (
                "a: @",
                r#"{"Error":"error converting YAML to JSON: yaml: found character that cannot start any token"}"#,
            ),
            (
                "? [a]\n: 1",
                r#"{"Error":"error converting YAML to JSON: yaml: invalid map key: []interface {}{\"a\"}"}"#,
            ),
            (
                "a: &x [*x]",
                r#"{"Error":"error converting YAML to JSON: yaml: anchor 'x' value contains itself"}"#,
            ),
            (
                "a: 1\n a: 2",
                r#"{"Error":"error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context"}"#,
            ),
            (
                "9223372036854775808: 1",
                r#"{"Error":"error converting YAML to JSON: unsupported map key of type: uint64, key: 0x8000000000000000, value: 1"}"#,
            ),
        ];
        for (src, want) in cases {
            assert_eq!(json_of(&call("fromYaml", s(src))), want, "fromYaml {src:?}");
        }
    }

    #[test]
    fn from_yaml_array_like_helm() {
        assert_eq!(
            json_of(&call("fromYamlArray", s("a: 1"))),
            r#"["error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}"]"#
        );
        assert_eq!(json_of(&call("fromYamlArray", s("- 1\n- a"))), r#"[1,"a"]"#);
        assert_eq!(json_of(&call("fromYamlArray", s(""))), "[]");
        assert_eq!(
            json_of(&call("fromYamlArray", s("x"))),
            r#"["error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type []interface {}"]"#
        );
    }

    #[test]
    fn from_json_like_helm() {
        let cases = [
            (
                "[1,2]",
                r#"{"Error":"json: cannot unmarshal array into Go value of type map[string]interface {}"}"#,
            ),
            (
                "{\"a\": 1e400}",
                r#"{"Error":"json: cannot unmarshal number 1e400 into Go value of type float64","a":null}"#,
            ),
            (
                "{\"a\" 1}",
                r#"{"Error":"invalid character '1' after object key"}"#,
            ),
            ("null", "null"),
            ("", r#"{"Error":"unexpected end of JSON input"}"#),
        ];
        for (src, want) in cases {
            assert_eq!(json_of(&call("fromJson", s(src))), want, "fromJson {src:?}");
        }
        assert_eq!(
            json_of(&call("fromJsonArray", s("{}"))),
            r#"["json: cannot unmarshal object into Go value of type []interface {}"]"#
        );
        assert_eq!(json_of(&call("fromJsonArray", s("null"))), "null");
        assert_eq!(
            json_of(&call("fromJsonArray", s("[1,\"a\",{}]"))),
            r#"[1,"a",{}]"#
        );
        assert_eq!(json_of(&call("mustFromJson", s("\"s\""))), r#""s""#);
        assert_eq!(
            call_err("mustFromJson", s("{")),
            "unexpected end of JSON input"
        );
    }

    #[test]
    fn to_functions_error_behaviour() {
        let nan = Value::Float(f64::NAN);
        assert_eq!(call("toYaml", nan.clone()).as_str(), Some(""));
        assert_eq!(call("toJson", nan.clone()).as_str(), Some(""));
        assert_eq!(call("toPrettyJson", nan.clone()).as_str(), Some(""));
        assert_eq!(
            call_err("mustToJson", nan.clone()),
            "json: unsupported value: NaN"
        );
        assert_eq!(
            call_err("toRawJson", nan.clone()),
            "json: unsupported value: NaN"
        );
        assert_eq!(
            call_err("mustToYaml", nan),
            "error marshaling into JSON: json: unsupported value: NaN"
        );
        assert_eq!(
            call("toYaml", Value::list(vec![s("a"), s("b")])).as_str(),
            Some("- a\n- b")
        );
        assert_eq!(
            call_err("fromYaml", Value::int(1)),
            "wrong type for value in fromYaml; expected string; got int"
        );
    }

    #[test]
    fn toml_like_helm() {
        // helm v4: {{ toToml .Values }} for a values file with these entries.
        let values = yaml::load_str(
            "a: 1\nb: 1.5\nc: \"str\\\"q\\n\\ttab é 😀\"\nd: true\ne: null\nf: [1, 2, 3]\n\
g: [a, 1]\nh: {x: 1, y: {z: 2}}\ni: [{p: 1}, {p: 2, q: {r: 3}}]\nj: 1e6\nk: 1e21\n\
l: []\nm: {}\n\"key with space\": 1\n\"\": 2\nn: [[1, 2], [a]]\no: 0.1\np: -0.0\n\
q: [{a: 1}, 2]\nr: 100000000000000000000\nt: 12345678\n",
            "",
        )
        .unwrap();
        assert_eq!(
            call("toToml", values).as_str(),
            Some(
                "\"\" = 2.0\na = 1.0\nb = 1.5\nc = \"str\\\"q\\n\\ttab é 😀\"\nd = true\n\
f = [1.0, 2.0, 3.0]\nfalse = [[1.0, 2.0], [\"a\"]]\ng = [\"a\", 1.0]\nj = 1e+06\n\
k = 1e+21\n\"key with space\" = 1.0\nl = []\no = 0.1\np = -0.0\nq = [{a = 1.0}, 2.0]\n\
r = 1e+20\nt = 1.2345678e+07\n\n[h]\n  x = 1.0\n  [h.true]\n    z = 2.0\n\n[[i]]\n  p = 1.0\n\
\n[[i]]\n  p = 2.0\n  [i.q]\n    r = 3.0\n\n[m]\n"
            )
        );
        let mut m = Map::new();
        m.insert("a".into(), Value::list(vec![Value::int(1), s("x")]));
        assert_eq!(
            call("toToml", Value::map(m)).as_str(),
            Some("a = [1, \"x\"]\n")
        );
        assert_eq!(
            call("toToml", Value::list(vec![Value::int(1), Value::int(2)])).as_str(),
            Some("[1, 2]")
        );
        assert_eq!(call("toToml", s("s")).as_str(), Some("\"s\""));
        let mut m = Map::new();
        m.insert("s".into(), Value::list(vec![Value::Nil]));
        assert_eq!(
            call("toToml", Value::map(m)).as_str(),
            Some("toml: cannot encode array with nil element")
        );
    }

    #[test]
    fn from_toml_values() {
        let v = call(
            "fromToml",
            s("a = 1\nb = 'x'\n[t]\nc = 1.5\nd = 2024-01-02T03:04:05Z\n[[arr]]\nx = 1"),
        );
        assert_eq!(
            json_of(&v),
            r#"{"a":1,"arr":[{"x":1}],"b":"x","t":{"c":1.5,"d":"2024-01-02T03:04:05Z"}}"#
        );
        assert!(matches!(v.get("a"), Some(Value::Int(1, _))));
        let bad = call("fromToml", s("a = "));
        assert!(bad.get("Error").is_some());
    }
}
