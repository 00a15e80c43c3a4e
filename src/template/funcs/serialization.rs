//! Helm's serialisation functions (`pkg/engine/funcs.go`) and Sprig's JSON ones:
//! `toYaml`, `toJson` and friends, with Helm's error behaviour (failures become "" or an
//! `Error` key rather than stopping the render).

use super::convert::{expect_args, expect_string};
use super::FuncMap;
use crate::template::{FuncError, Map, Value};

pub fn register(map: &mut FuncMap) {
    map.insert("toYaml", |args| {
        expect_args("toYaml", args, 1)?;
        Ok(Value::string(trim_newline(
            crate::yaml::try_to_yaml(&args[0]).unwrap_or_default(),
        )))
    });
    map.insert("mustToYaml", |args| {
        expect_args("mustToYaml", args, 1)?;
        let yaml = crate::yaml::try_to_yaml(&args[0]).map_err(|e| FuncError::new(e.to_string()))?;
        Ok(Value::string(trim_newline(yaml)))
    });
    map.insert("toYamlPretty", |args| {
        expect_args("toYamlPretty", args, 1)?;
        Ok(Value::string(trim_newline(crate::yaml::to_yaml_pretty(
            &args[0],
        ))))
    });
    map.insert("fromYaml", |args| {
        expect_args("fromYaml", args, 1)?;
        let text = expect_string("fromYaml", &args[0])?;
        Ok(match crate::yaml::load_str(&text, "") {
            Ok(Value::Map(m)) => Value::Map(m),
            Ok(Value::Nil) => Value::empty_map(),
            Ok(other) => error_map(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&other)
            )),
            Err(e) => error_map(format!("error converting YAML to JSON: yaml: {}", go_yaml_message(&e))),
        })
    });
    map.insert("fromYamlArray", |args| {
        expect_args("fromYamlArray", args, 1)?;
        let text = expect_string("fromYamlArray", &args[0])?;
        Ok(match crate::yaml::load_str(&text, "") {
            Ok(Value::List(l)) => Value::List(l),
            Ok(Value::Nil) => Value::list(Vec::new()),
            Ok(other) => Value::list(vec![Value::string(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))]),
            Err(e) => Value::list(vec![Value::string(format!(
                "error converting YAML to JSON: yaml: {}",
                go_yaml_message(&e)
            ))]),
        })
    });
    map.insert("toJson", |args| {
        expect_args("toJson", args, 1)?;
        Ok(Value::string(
            crate::yaml::to_json(&args[0]).unwrap_or_default(),
        ))
    });
    map.insert("mustToJson", |args| {
        expect_args("mustToJson", args, 1)?;
        crate::yaml::to_json(&args[0])
            .map(Value::string)
            .map_err(|e| FuncError::new(e.0))
    });
    map.insert("toPrettyJson", |args| {
        expect_args("toPrettyJson", args, 1)?;
        Ok(Value::string(
            crate::yaml::to_pretty_json(&args[0]).unwrap_or_default(),
        ))
    });
    map.insert("mustToPrettyJson", |args| {
        expect_args("mustToPrettyJson", args, 1)?;
        crate::yaml::to_pretty_json(&args[0])
            .map(Value::string)
            .map_err(|e| FuncError::new(e.0))
    });
    map.insert("toRawJson", |args| {
        expect_args("toRawJson", args, 1)?;
        Ok(Value::string(
            crate::yaml::to_raw_json(&args[0]).unwrap_or_default(),
        ))
    });
    map.insert("mustToRawJson", |args| {
        expect_args("mustToRawJson", args, 1)?;
        crate::yaml::to_raw_json(&args[0])
            .map(Value::string)
            .map_err(|e| FuncError::new(e.0))
    });
    map.insert("fromJson", |args| {
        expect_args("fromJson", args, 1)?;
        let text = expect_string("fromJson", &args[0])?;
        Ok(match crate::yaml::load_str(&text, "") {
            Ok(Value::Map(m)) => Value::Map(m),
            Ok(other) => error_map(format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&other)
            )),
            Err(e) => error_map(go_yaml_message(&e)),
        })
    });
    map.insert("fromJsonArray", |args| {
        expect_args("fromJsonArray", args, 1)?;
        let text = expect_string("fromJsonArray", &args[0])?;
        Ok(match crate::yaml::load_str(&text, "") {
            Ok(Value::List(l)) => Value::List(l),
            Ok(other) => Value::list(vec![Value::string(format!(
                "json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))]),
            Err(e) => Value::list(vec![Value::string(go_yaml_message(&e))]),
        })
    });
}

fn trim_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
    }
    s
}

fn error_map(message: String) -> Value {
    let mut m = Map::new();
    m.insert("Error".into(), Value::string(message));
    Value::map(m)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Int(_) | Value::Float(_) => "number",
        Value::Bool(_) => "bool",
        Value::List(_) | Value::Bytes(_) => "array",
        Value::Map(_) | Value::Object(_) => "object",
        Value::Nil => "null",
    }
}

/// go-yaml's wording: `line N: message`.
pub fn go_yaml_message(e: &crate::yaml::YamlError) -> String {
    if e.line == 0 {
        e.message.clone()
    } else {
        format!("line {}: {}", e.line, e.message)
    }
}
