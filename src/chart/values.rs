//! Values: Helm's map merging for `-f` files, the coalescing of chart defaults with user
//! values (chartutil `CoalesceValues`/`MergeValues`), and path lookups used by conditions
//! and import-values.
//!
//! Go maps are references and Helm's coalescing relies on that (it edits maps in place and
//! sometimes shares a sub-map between two places), so these functions work on the shared
//! [`Value::Map`] handles the same way. We never hold a map borrow across a recursive call:
//! entries are snapshotted first, which also mirrors Go's tolerance of maps changing while
//! they are ranged over.

use std::rc::Rc;

use crate::template::value::{Map, MapRef, Value};

use super::error::ChartError;
use super::Chart;

/// Helm's key for values shared with every subchart.
pub const GLOBAL_KEY: &str = "global";

/// Warnings Helm prints to stderr while coalescing (type conflicts it skips).
pub type Warnings = Vec<String>;

pub(crate) fn as_map(v: &Value) -> Option<&MapRef> {
    match v {
        Value::Map(m) => Some(m),
        _ => None,
    }
}

fn is_table(v: &Value) -> bool {
    matches!(v, Value::Map(_))
}

fn get(m: &MapRef, key: &str) -> Option<Value> {
    m.borrow().get(key).cloned()
}

fn insert(m: &MapRef, key: &str, v: Value) {
    m.borrow_mut().insert(key.to_string(), v);
}

fn remove(m: &MapRef, key: &str) {
    m.borrow_mut().remove(key);
}

fn snapshot(m: &MapRef) -> Vec<(String, Value)> {
    m.borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn new_map() -> MapRef {
    Rc::new(std::cell::RefCell::new(Map::new()))
}

fn concat_prefix(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// Helm's `loader.MergeMaps`, used to combine `-f` files (and multi-document values files):
/// keys of `overlay` win, maps present on both sides are merged recursively, and `null` is
/// kept (it deletes chart defaults later, during coalescing).
pub fn merge_user_values(base: &Value, overlay: &Value) -> Value {
    let Some(a) = as_map(base) else {
        return match overlay {
            Value::Map(_) => overlay.clone(),
            _ => Value::empty_map(),
        };
    };
    let mut out: Map = a.borrow().clone();
    if let Some(b) = as_map(overlay) {
        for (k, v) in b.borrow().iter() {
            if let (Value::Map(_), Some(existing @ Value::Map(_))) = (v, out.get(k)) {
                let merged = merge_user_values(existing, v);
                out.insert(k.clone(), merged);
                continue;
            }
            out.insert(k.clone(), v.clone());
        }
    }
    Value::map(out)
}

/// Walk `path` (dot-separated) through nested maps: Helm's `Values.Table`.
pub fn table(values: &Value, path: &str) -> Option<Value> {
    let mut current = values.clone();
    for key in path.split('.') {
        let next = as_map(&current)?.borrow().get(key).cloned()?;
        if !is_table(&next) {
            return None;
        }
        current = next;
    }
    Some(current)
}

/// Helm's `Values.PathValue`: the non-map value at a dotted path (`None` when missing or a
/// map). A `null` value is found (as `Some(Nil)`).
pub fn path_value(values: &Value, path: &str) -> Option<Value> {
    let (parent, key) = match path.rsplit_once('.') {
        Some((parent, key)) => (table(values, parent)?, key),
        None => (values.clone(), path),
    };
    let v = as_map(&parent)?.borrow().get(key).cloned()?;
    if is_table(&v) {
        None
    } else {
        Some(v)
    }
}

/// Coalescing state: whether nulls are kept (`MergeValues`) or delete keys
/// (`CoalesceValues`), and the warnings Helm would log.
pub(crate) struct Coalescer<'w> {
    pub warnings: &'w mut Warnings,
}

impl Coalescer<'_> {
    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }

    /// `chartutil.CoalesceValues` (merge = false) / `MergeValues` (merge = true): a deep copy
    /// of `vals` with the chart's defaults and every subchart's defaults filled in.
    pub fn coalesce_chart(
        &mut self,
        chart: &Chart,
        vals: &Value,
        merge: bool,
    ) -> Result<Value, ChartError> {
        let copy = match vals.deep_copy() {
            Value::Map(m) => m,
            _ => new_map(),
        };
        self.coalesce(chart, &copy, "", merge)?;
        Ok(Value::Map(copy))
    }

    fn coalesce(
        &mut self,
        chart: &Chart,
        dest: &MapRef,
        prefix: &str,
        merge: bool,
    ) -> Result<(), ChartError> {
        self.coalesce_values(chart, dest, prefix, merge);
        self.coalesce_deps(chart, dest, prefix, merge)
    }

    fn coalesce_deps(
        &mut self,
        chart: &Chart,
        dest: &MapRef,
        prefix: &str,
        merge: bool,
    ) -> Result<(), ChartError> {
        for sub in &chart.dependencies {
            let name = sub.name();
            let dv = match get(dest, name) {
                None => {
                    let m = new_map();
                    insert(dest, name, Value::Map(m.clone()));
                    m
                }
                Some(Value::Map(m)) => m,
                Some(other) => {
                    return Err(ChartError::TypeMismatch {
                        key: name.to_string(),
                        got: other.type_name(),
                    })
                }
            };
            let sub_prefix = concat_prefix(prefix, chart.name());
            self.coalesce_globals(&dv, dest, &sub_prefix);
            self.coalesce(sub, &dv, &sub_prefix, merge)?;
        }
        Ok(())
    }

    /// Copy the parent's `global` into a subchart's values, merging maps top-down.
    fn coalesce_globals(&mut self, dest: &MapRef, src: &MapRef, prefix: &str) {
        let dg = match get(dest, GLOBAL_KEY) {
            None => new_map(),
            Some(Value::Map(m)) => m,
            Some(_) => {
                self.warn(format!(
                    "warning: skipping globals because destination {GLOBAL_KEY} is not a table."
                ));
                return;
            }
        };
        let sg = match get(src, GLOBAL_KEY) {
            None => new_map(),
            Some(Value::Map(m)) => m,
            Some(_) => {
                self.warn(format!(
                    "warning: skipping globals because source {GLOBAL_KEY} is not a table."
                ));
                return;
            }
        };
        for (key, val) in snapshot(&sg) {
            if let Value::Map(vm) = &val {
                // A shallow copy, as Helm makes: nested maps stay shared.
                let vv: MapRef = Rc::new(std::cell::RefCell::new(vm.borrow().clone()));
                match get(&dg, &key) {
                    None => insert(&dg, &key, Value::Map(vv)),
                    Some(Value::Map(destv)) => {
                        // The subchart's own global values win over the parent's here; Helm
                        // always merges (keeps nulls) at this point.
                        self.coalesce_tables(&vv, &destv, &concat_prefix(prefix, &key), true);
                        insert(&dg, &key, Value::Map(vv));
                    }
                    Some(_) => self.warn(format!(
                        "Conflict: cannot merge map onto non-map for {key:?}. Skipping."
                    )),
                }
            } else if matches!(get(&dg, &key), Some(Value::Map(_))) {
                self.warn(format!("key {key} is table. Skipping"));
            } else {
                insert(&dg, &key, val);
            }
        }
        insert(dest, GLOBAL_KEY, Value::Map(dg));
    }

    /// Fill `v` (user values for this chart) with the chart's defaults.
    fn coalesce_values(&mut self, chart: &Chart, v: &MapRef, prefix: &str, merge: bool) {
        let sub_prefix = concat_prefix(prefix, chart.name());
        // A deep copy so the chart's own defaults are never edited.
        let defaults = match chart.values.deep_copy() {
            Value::Map(m) => m,
            _ => new_map(),
        };
        for (key, val) in snapshot(&defaults) {
            match get(v, &key) {
                Some(Value::Nil) if !merge => {
                    // A user null deletes the chart default.
                    remove(v, &key);
                }
                Some(Value::Map(dest)) => match &val {
                    Value::Map(src) => {
                        let merge = merge || chart.dependencies.iter().any(|d| d.name() == key);
                        self.coalesce_tables(&dest, src, &concat_prefix(&sub_prefix, &key), merge);
                    }
                    Value::Nil => {}
                    _ => self.warn(format!(
                        "warning: skipped value for {sub_prefix}.{key}: Not a table."
                    )),
                },
                Some(_) => {}
                None => insert(v, &key, val),
            }
        }
    }

    /// Helm's `coalesceTablesFullKey`: `dst` is authoritative, `src` fills the gaps.
    pub fn coalesce_tables(&mut self, dst: &MapRef, src: &MapRef, prefix: &str, merge: bool) {
        let src_non_nil: std::collections::HashSet<String> = src
            .borrow()
            .iter()
            .filter(|(_, v)| !v.is_nil())
            .map(|(k, _)| k.clone())
            .collect();
        for (key, val) in snapshot(dst) {
            if val.is_nil() {
                insert(src, &key, Value::Nil);
            }
        }
        for (key, val) in snapshot(src) {
            let full_key = concat_prefix(prefix, &key);
            let dv = get(dst, &key);
            match dv {
                Some(Value::Nil) if !merge && src_non_nil.contains(&key) => {
                    // The user nulled a chart default: drop the key.
                    remove(dst, &key);
                }
                None => insert(dst, &key, val),
                Some(dv) => {
                    if let Value::Map(sv) = &val {
                        if let Value::Map(dm) = &dv {
                            self.coalesce_tables(dm, sv, &full_key, merge);
                        } else {
                            self.warn(format!(
                                "warning: cannot overwrite table with non table for {full_key} ({val})"
                            ));
                        }
                    } else if is_table(&dv) && !val.is_nil() {
                        self.warn(format!(
                            "warning: destination for {full_key} is a table. Ignoring non-table value ({val})"
                        ));
                    }
                }
            }
        }
    }
}

/// `chartutil.CoalesceTables(dst, src)` / `MergeTables` on plain values (maps expected).
pub(crate) fn coalesce_tables_values(
    dst: &Value,
    src: &Value,
    merge: bool,
    warnings: &mut Warnings,
) -> Value {
    match (dst, src) {
        (Value::Map(d), Value::Map(s)) => {
            Coalescer { warnings }.coalesce_tables(d, s, "", merge);
            dst.clone()
        }
        (Value::Map(_), _) => dst.clone(),
        _ => src.clone(),
    }
}

/// `chartutil.CoalesceValues`: user values over chart defaults, for the chart and all its
/// subcharts, nulls deleting keys. Warnings are appended to `warnings`.
pub fn coalesce_values(
    chart: &Chart,
    user_values: &Value,
    warnings: &mut Warnings,
) -> Result<Value, ChartError> {
    Coalescer { warnings }.coalesce_chart(chart, user_values, false)
}

/// The JSON kind of a value, as Go's `json.UnmarshalTypeError` names it.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Nil => "null",
        Value::Bool(_) => "bool",
        Value::Int(_, _) | Value::Float(_) => "number",
        Value::String(_) => "string",
        Value::List(_) | Value::Bytes(_) => "array",
        Value::Map(_) | Value::Object(_) => "object",
    }
}

/// Split a values file into YAML documents the way Kubernetes' YAML reader does (a line
/// starting with `---`, followed only by blanks or a comment), parse each, and merge them in
/// order. Empty documents are skipped; a document that is not a map is an error.
pub fn parse_values_documents(text: &str, file: &str) -> Result<Value, String> {
    let mut merged = Value::empty_map();
    // Almost every values file is one document (no line starts with `---`): parse it in
    // place rather than copying it line by line.
    let separated = memchr::memmem::find_iter(text.as_bytes(), b"---")
        .any(|at| at == 0 || text.as_bytes().get(at - 1) == Some(&b'\n'));
    if !separated {
        if !text.is_empty() {
            merge_values_document(&mut merged, text, file)?;
        }
        return Ok(merged);
    }
    let mut doc = String::new();
    let mut line_no = 0usize;
    let mut docs: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        line_no += 1;
        if let Some(rest) = line.strip_prefix("---") {
            let trimmed = rest.trim();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                // Helm's words; it names no line, so say which one.
                return Err(format!(
                    "error reading yaml document: invalid Yaml document separator: {trimmed} (line {line_no})"
                ));
            }
            if !doc.is_empty() {
                docs.push(std::mem::take(&mut doc));
            }
            continue;
        }
        doc.push_str(line);
    }
    if !doc.is_empty() {
        docs.push(doc);
    }
    // Each document is parsed on its own, so a line in an error counts from the start of
    // its document, as in Helm.
    for doc in docs {
        merge_values_document(&mut merged, &doc, file)?;
    }
    Ok(merged)
}

/// Parse one document of a values file and merge it over `merged`.
fn merge_values_document(merged: &mut Value, text: &str, file: &str) -> Result<(), String> {
    let value = crate::yaml::load_str(text, file).map_err(|e| {
        // Helm's `LoadValues`: sigs.k8s.io/yaml wraps go-yaml's `yaml: line N: …` or
        // the JSON conversion's `json: …`.
        format!("cannot unmarshal yaml document: {}", e.helm_message())
    })?;
    match value {
        Value::Nil => {}
        Value::Map(_) => *merged = merge_user_values(merged, &value),
        other => {
            return Err(format!(
                "cannot unmarshal yaml document: error unmarshaling JSON: while decoding \
                 JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&other)
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn v(json: &str) -> Value {
        super::super::tests::json_value(json)
    }

    fn chart(name: &str, values: &str, deps: Vec<Chart>) -> Chart {
        let mut c = super::super::tests::bare_chart(name);
        c.values = v(values);
        c.dependencies = deps;
        c
    }

    fn json(v: &Value) -> String {
        super::super::tests::to_json(v)
    }

    #[test]
    fn merge_user_values_like_helm_merge_maps() {
        let a = v(r#"{"a":{"b":1,"c":2},"d":[1],"e":"x"}"#);
        let b = v(r#"{"a":{"b":null,"z":3},"d":{"k":1},"e":null}"#);
        assert_eq!(
            json(&merge_user_values(&a, &b)),
            r#"{"a":{"b":null,"c":2,"z":3},"d":{"k":1},"e":null}"#
        );
    }

    #[test]
    fn null_deletes_defaults_and_maps_merge() {
        let c = chart(
            "top",
            r#"{"a":1,"b":{"x":1,"y":2},"c":"keep","n":null}"#,
            vec![],
        );
        let user = v(r#"{"a":null,"b":{"y":null,"z":3},"new":null}"#);
        let mut w = Vec::new();
        let out = coalesce_values(&c, &user, &mut w).unwrap();
        // Checked against helm template with {{ toJson .Values }}.
        assert_eq!(
            json(&out),
            r#"{"b":{"x":1,"z":3},"c":"keep","n":null,"new":null}"#
        );
        assert!(w.is_empty());
    }

    #[test]
    fn subchart_defaults_and_globals() {
        let sub = chart("sub", r#"{"s":1,"global":{"g":"sub","h":1}}"#, vec![]);
        let c = chart("top", r#"{"global":{"g":"top"},"sub":{"s":2}}"#, vec![sub]);
        let mut w = Vec::new();
        let out = coalesce_values(&c, &v("{}"), &mut w).unwrap();
        assert_eq!(
            json(&out),
            r#"{"global":{"g":"top"},"sub":{"global":{"g":"top","h":1},"s":2}}"#
        );
    }

    #[test]
    fn type_conflicts_warn_like_helm() {
        let c = chart("top", r#"{"a":{"x":1},"b":1}"#, vec![]);
        let mut w = Vec::new();
        let out = coalesce_values(&c, &v(r#"{"a":"str","b":{"y":1}}"#), &mut w).unwrap();
        assert_eq!(json(&out), r#"{"a":"str","b":{"y":1}}"#);
        assert_eq!(
            w,
            vec!["warning: skipped value for top.b: Not a table.".to_string()]
        );
        let mut w = Vec::new();
        let c = chart("top", r#"{"m":{"a":{"x":1},"b":1}}"#, vec![]);
        coalesce_values(&c, &v(r#"{"m":{"a":"s","b":{"y":1}}}"#), &mut w).unwrap();
        assert_eq!(
            w,
            vec![
                "warning: cannot overwrite table with non table for top.m.a (map[x:1])".to_string(),
                "warning: destination for top.m.b is a table. Ignoring non-table value (1)"
                    .to_string()
            ]
        );
    }

    #[test]
    fn path_lookups() {
        let vals = v(r#"{"a":{"b":{"c":true},"n":null},"t":1}"#);
        assert_eq!(path_value(&vals, "a.b.c"), Some(Value::Bool(true)));
        assert_eq!(path_value(&vals, "a.n"), Some(Value::Nil));
        assert_eq!(path_value(&vals, "a.b"), None);
        assert_eq!(path_value(&vals, "t"), Some(Value::Float(1.0)));
        assert_eq!(path_value(&vals, "t.x"), None);
        assert!(table(&vals, "a.b").is_some());
        assert!(table(&vals, "t").is_none());
    }
}
