//! values.schema.json validation, as Helm runs it after coalescing: the chart's schema
//! against its values, then every (enabled) subchart's schema against the values under the
//! subchart's name. Failures are collected for all charts and reported together, worded like
//! Helm 4's validator (santhosh-tekuri/jsonschema v6): `- at '/replicas': got string, want
//! integer`.

use crate::template::value::Value;

use super::error::ChartError;
use super::Chart;

/// Values as JSON for the validator. Integral floats become JSON integers so `integer` types
/// accept `3` from YAML (Go's validator treats an integral number as an integer too).
pub(crate) fn to_json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Nil => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i, _) => serde_json::Value::from(*i),
        Value::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
                serde_json::Value::from(*f as i64)
            } else {
                serde_json::Number::from_f64(*f)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null)
            }
        }
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::Bytes(b) => serde_json::Value::String(String::from_utf8_lossy(b).into_owned()),
        Value::List(items) => serde_json::Value::Array(items.iter().map(to_json_value).collect()),
        Value::Map(m) => serde_json::Value::Object(
            m.borrow()
                .iter()
                .map(|(k, v)| (k.clone(), to_json_value(v)))
                .collect(),
        ),
        Value::Object(o) => to_json_value(&o.to_data()),
    }
}

/// Validate the chart and its subcharts; one error listing every failing chart.
pub fn validate_chart(chart: &Chart, values: &Value) -> Result<(), ChartError> {
    let mut report = String::new();
    collect(chart, values, &mut report);
    if report.is_empty() {
        Ok(())
    } else {
        Err(ChartError::Schema { message: report })
    }
}

fn collect(chart: &Chart, values: &Value, report: &mut String) {
    if let Some(schema) = &chart.schema {
        if let Err(msg) = validate_single(values, schema) {
            report.push_str(chart.name());
            report.push_str(":\n");
            report.push_str(&msg);
        }
    }
    for sub in &chart.dependencies {
        match values.get(sub.name()) {
            None | Some(Value::Nil) => {}
            Some(v @ Value::Map(_)) => collect(sub, &v, report),
            Some(other) => {
                report.push_str(&format!(
                    "{}:\ninvalid type for values: expected object (map), got {}\n",
                    sub.name(),
                    other.type_name()
                ));
            }
        }
    }
}

/// `'…'` quoting as the Go validator prints names and strings.
fn quote(s: &str) -> String {
    let q = format!("{s:?}");
    let inner = q.get(1..q.len().saturating_sub(1)).unwrap_or("");
    format!("'{}'", inner.replace("\\\"", "\"").replace('\'', "\\'"))
}

fn display(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => quote(s),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => "value".to_string(),
        serde_json::Value::Null => "<nil>".to_string(),
        other => other.to_string(),
    }
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// Validate `values` against one schema document. The error text lists one failure per
/// line (nested causes of `oneOf`/`anyOf` indented below), ending with a newline, as Helm's
/// does.
pub fn validate_single(values: &Value, schema: &[u8]) -> Result<(), String> {
    // Most values pass: prove that cheaply before compiling the schema (see schema_quick).
    if let Some(quick) = super::schema_quick::parse(schema) {
        if super::schema_quick::surely_valid(&quick, values) {
            return Ok(());
        }
    }
    let schema: serde_json::Value =
        serde_json::from_slice(schema).map_err(|e| format!("invalid values.schema.json: {e}\n"))?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| format!("invalid values.schema.json: {e}\n"))?;
    let instance = to_json_value(values);
    // Each error with its nested causes; Go reports them in the order of the schema's
    // `properties`, while this validator follows the (sorted) values.
    let mut groups: Vec<(Vec<usize>, Vec<Line>)> = Vec::new();
    for err in go_reported(validator.iter_errors(&instance).collect()) {
        let mut lines = Vec::new();
        // Missing properties of one object are merged into the previous line.
        if let Some((_, prev)) = groups.last_mut() {
            if matches!(
                err.kind(),
                jsonschema::error::ValidationErrorKind::Required { .. }
            ) {
                let before = prev.len();
                describe(&err, &instance, 0, prev);
                if prev.len() == before {
                    continue;
                }
                if let Some(line) = prev.pop() {
                    lines.push(line);
                }
            }
        }
        if lines.is_empty() {
            describe(&err, &instance, 0, &mut lines);
        }
        let key = schema_order(&schema, &err.instance_path().to_string());
        groups.push((key, lines));
    }
    if groups.is_empty() {
        return Ok(());
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for line in groups.into_iter().flat_map(|(_, lines)| lines) {
        for _ in 0..line.depth {
            out.push_str("  ");
        }
        out.push_str(&format!("- at {}: {}\n", quote(&line.path), line.message));
    }
    Err(out)
}

/// The errors Helm's validator reports among `errors`. It checks a schema node's `type`,
/// `const`, `enum` and `format` in that order and stops at the first that fails, so that
/// failure is the node's only one for the value: `{"type": "string", "enum": [...]}` given a
/// number says "got number, want string" and nothing about the enum. This validator reports
/// every failing keyword; drop the ones Go never reaches.
fn go_reported(
    errors: Vec<jsonschema::ValidationError<'_>>,
) -> Vec<jsonschema::ValidationError<'_>> {
    use jsonschema::error::ValidationErrorKind as K;
    let rank = |e: &jsonschema::ValidationError<'_>| match e.kind() {
        K::Type { .. } => Some(0),
        K::Constant { .. } => Some(1),
        K::Enum { .. } => Some(2),
        K::Format { .. } => Some(3),
        _ => None,
    };
    let paths: Vec<(String, String)> = errors
        .iter()
        .map(|e| {
            (
                e.evaluation_path().to_string(),
                e.instance_path().to_string(),
            )
        })
        .collect();
    // (schema node, value, index of the error that stops the node), first of the best rank.
    let mut stops: Vec<(&str, &str, usize, u8)> = Vec::new();
    for (i, e) in errors.iter().enumerate() {
        let Some(r) = rank(e) else { continue };
        let (eval, inst) = (&paths[i].0, &paths[i].1);
        let node = eval.rsplit_once('/').map_or("", |(n, _)| n);
        match stops.iter_mut().find(|s| s.0 == node && s.1 == inst) {
            Some(stop) if r < stop.3 => {
                stop.2 = i;
                stop.3 = r;
            }
            Some(_) => {}
            None => stops.push((node, inst, i, r)),
        }
    }
    let under = |path: &str, prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    let keep: Vec<bool> = (0..errors.len())
        .map(|i| {
            stops.iter().all(|&(node, inst, stop, _)| {
                i == stop || !(under(&paths[i].0, node) && under(&paths[i].1, inst))
            })
        })
        .collect();
    errors
        .into_iter()
        .zip(keep)
        .filter_map(|(e, k)| k.then_some(e))
        .collect()
}

/// Positions of the path's keys in the schema's nested `properties` (unknown keys last).
fn schema_order(schema: &serde_json::Value, pointer: &str) -> Vec<usize> {
    let mut key = Vec::new();
    let mut node = Some(schema);
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        let props = node
            .and_then(|n| n.get("properties"))
            .and_then(|p| p.as_object());
        match props.and_then(|p| p.keys().position(|k| *k == seg)) {
            Some(i) => {
                key.push(i);
                node = props.and_then(|p| p.get(&seg));
            }
            None => {
                key.push(usize::MAX);
                node = None;
            }
        }
    }
    key
}

struct Line {
    depth: usize,
    path: String,
    message: String,
}

/// Append the Go validator's wording for one error (and its nested causes) to `lines`.
fn describe(
    err: &jsonschema::ValidationError<'_>,
    root: &serde_json::Value,
    depth: usize,
    lines: &mut Vec<Line>,
) {
    use jsonschema::error::ValidationErrorKind as K;
    let path = err.instance_path().to_string();
    let got = err.instance();
    let mut nested: Option<&Vec<Vec<jsonschema::ValidationError<'static>>>> = None;
    let message = match err.kind() {
        K::Type { kind } => {
            let want = match kind {
                jsonschema::error::TypeKind::Single(t) => t.to_string(),
                jsonschema::error::TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("got {}, want {want}", json_type(got))
        }
        K::Required { property } => {
            let name = property.as_str().unwrap_or_default().to_string();
            // Go reports all missing properties of one object on one line.
            if let Some(last) = lines.last_mut() {
                if last.depth == depth
                    && last.path == path
                    && last.message.starts_with("missing propert")
                {
                    let names = last
                        .message
                        .trim_start_matches("missing properties ")
                        .trim_start_matches("missing property ")
                        .to_string();
                    last.message = format!("missing properties {names}, {}", quote(&name));
                    return;
                }
            }
            format!("missing property {}", quote(&name))
        }
        K::AdditionalProperties { unexpected } => additional(unexpected),
        K::FalseSchema
            if err
                .schema_path()
                .to_string()
                .ends_with("/additionalProperties") =>
        {
            // `additionalProperties: false` without `properties`: every key is unexpected.
            let keys: Vec<String> = root
                .pointer(&path)
                .and_then(|o| o.as_object())
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            additional(&keys)
        }
        K::Enum { options } => match options.as_ref() {
            serde_json::Value::Array(items)
                if items.iter().all(|i| {
                    !matches!(
                        i,
                        serde_json::Value::Array(_) | serde_json::Value::Object(_)
                    )
                }) =>
            {
                if items.len() == 1 {
                    format!("value must be {}", display(&items[0]))
                } else {
                    format!(
                        "value must be one of {}",
                        items.iter().map(display).collect::<Vec<_>>().join(", ")
                    )
                }
            }
            _ => "enum failed".to_string(),
        },
        K::Constant { expected_value } => match expected_value.as_ref() {
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                "const failed".to_string()
            }
            v => format!("value must be {}", display(v)),
        },
        K::Minimum { limit } => format!("minimum: got {got}, want {limit}"),
        K::Maximum { limit } => format!("maximum: got {got}, want {limit}"),
        K::ExclusiveMinimum { limit } => format!("exclusiveMinimum: got {got}, want {limit}"),
        K::ExclusiveMaximum { limit } => format!("exclusiveMaximum: got {got}, want {limit}"),
        K::MinLength { limit } => format!(
            "minLength: got {}, want {limit}",
            got.as_str().map_or(0, |s| s.chars().count())
        ),
        K::MaxLength { limit } => format!(
            "maxLength: got {}, want {limit}",
            got.as_str().map_or(0, |s| s.chars().count())
        ),
        K::MinItems { limit } => format!(
            "minItems: got {}, want {limit}",
            got.as_array().map_or(0, Vec::len)
        ),
        K::MaxItems { limit } => format!(
            "maxItems: got {}, want {limit}",
            got.as_array().map_or(0, Vec::len)
        ),
        K::MinProperties { limit } => format!(
            "minProperties: got {}, want {limit}",
            got.as_object().map_or(0, |o| o.len())
        ),
        K::MaxProperties { limit } => format!(
            "maxProperties: got {}, want {limit}",
            got.as_object().map_or(0, |o| o.len())
        ),
        K::Pattern { pattern } => format!(
            "{} does not match pattern {}",
            quote(got.as_str().unwrap_or_default()),
            quote(pattern)
        ),
        K::FalseSchema => "false schema".to_string(),
        K::AnyOf { context } => {
            nested = Some(context);
            "'anyOf' failed".to_string()
        }
        K::OneOfNotValid { context } => {
            nested = Some(context);
            "'oneOf' failed, none matched".to_string()
        }
        K::OneOfMultipleValid { .. } => {
            "'oneOf' failed, more than one subschema matched".to_string()
        }
        K::Not { .. } => "'not' failed".to_string(),
        K::Format { format } => format!("{} is not valid {format}", display(got)),
        _ => err.to_string(),
    };
    lines.push(Line {
        depth,
        path,
        message,
    });
    for group in nested.into_iter().flatten() {
        for cause in group {
            describe(cause, root, depth + 1, lines);
        }
    }
}

fn additional(names: &[String]) -> String {
    format!(
        "additional properties {} not allowed",
        names
            .iter()
            .map(|p| quote(p))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(json: &str) -> Value {
        super::super::tests::json_value(json)
    }

    const SCHEMA: &str = r##"{
      "type": "object",
      "required": ["name", "image"],
      "properties": {
        "replicas": {"type": "integer", "minimum": 1},
        "mode": {"enum": ["a", "b"]},
        "extra": {"type": "object", "additionalProperties": false},
        "pat": {"type": "string", "pattern": "^x+$"},
        "one": {"oneOf": [{"type":"string"},{"type":"integer"}]},
        "ref": {"$ref": "#/$defs/r"}
      },
      "$defs": {"r": {"type": "boolean"}}
    }"##;

    /// Go stops at a node's first failing `type`, `const` or `enum`; the keywords after
    /// it are not reported. Expected lines are Helm 4's for `--set a=1`, `--set b=true`,
    /// `--set b=3` and `--set b=7`.
    #[test]
    fn a_failed_type_or_enum_is_the_only_failure_of_its_node() {
        let schema = r#"{"type":"object","properties":{
            "a":{"type":"string","enum":["x","y"]},
            "b":{"type":"integer","enum":[1,2],"minimum":5},
            "c":{"const":3,"enum":[4]}}}"#;
        for (vals, want) in [
            (r#"{"a":1}"#, "- at '/a': got number, want string\n"),
            (r#"{"b":true}"#, "- at '/b': got boolean, want integer\n"),
            (r#"{"b":3}"#, "- at '/b': value must be one of 1, 2\n"),
            (r#"{"b":7}"#, "- at '/b': value must be one of 1, 2\n"),
            (r#"{"c":5}"#, "- at '/c': value must be 3\n"),
        ] {
            let err = validate_single(&values(vals), schema.as_bytes()).unwrap_err();
            assert_eq!(err, want, "{vals}");
        }
        // Different values each keep their own failure.
        let err = validate_single(&values(r#"{"a":1,"b":3}"#), schema.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            "- at '/a': got number, want string\n- at '/b': value must be one of 1, 2\n"
        );
    }

    /// The expected text is Helm 4's output for the same schema and
    /// `--set replicas=0,mode=c,extra.x=1,extra.y=2,pat=abc,one=true,ref=1`.
    #[test]
    fn failures_worded_like_helm() {
        let vals = values(
            r#"{"replicas":0,"mode":"c","extra":{"x":1,"y":2},"pat":"abc","one":true,"ref":1}"#,
        );
        let err = validate_single(&vals, SCHEMA.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            "- at '': missing properties 'name', 'image'
- at '/replicas': minimum: got 0, want 1
- at '/mode': value must be one of 'a', 'b'
- at '/extra': additional properties 'x', 'y' not allowed
- at '/pat': 'abc' does not match pattern '^x+$'
- at '/one': 'oneOf' failed, none matched
  - at '/one': got boolean, want string
  - at '/one': got boolean, want integer
- at '/ref': got number, want boolean
"
        );
        let err = validate_single(
            &values(r#"{"replicas":"abc","name":"n","image":"i"}"#),
            SCHEMA.as_bytes(),
        )
        .unwrap_err();
        assert_eq!(err, "- at '/replicas': got string, want integer\n");
    }

    #[test]
    fn subchart_failures_are_listed_per_chart() {
        let mut top = super::super::tests::bare_chart("top");
        top.schema = Some(SCHEMA.as_bytes().to_vec());
        let mut sub = super::super::tests::bare_chart("sub");
        sub.schema =
            Some(br#"{"type":"object","properties":{"port":{"type":"integer"}}}"#.to_vec());
        top.dependencies.push(sub);
        let vals = values(r#"{"replicas":"abc","name":"n","image":"i","sub":{"port":"abc"}}"#);
        let err = validate_chart(&top, &vals).unwrap_err();
        assert_eq!(
            err.to_string(),
            "values don't meet the specifications of the schema(s) in the following chart(s):
top:
- at '/replicas': got string, want integer
sub:
- at '/port': got string, want integer
"
        );
    }

    #[test]
    fn integral_floats_are_integers() {
        validate_single(
            &values(r#"{"replicas":3.0,"name":"n","image":"i"}"#),
            SCHEMA.as_bytes(),
        )
        .unwrap();
    }
}
