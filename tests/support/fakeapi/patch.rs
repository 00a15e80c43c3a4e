//! The four patch types the API server accepts, applied to JSON objects.
//!
//! - JSON merge patch (RFC 7386).
//! - JSON patch (RFC 6902): add, remove, replace, move, copy, test.
//! - Strategic merge patch: a merge patch whose lists of named things (containers, env,
//!   volumes, ports, …) merge by key, with the `$patch`, `$setElementOrder/…`, `$retainKeys`
//!   and `$deleteFromPrimitiveList/…` directives kubectl and helm send. The merge keys come
//!   from a small table of the Kubernetes types' `patchMergeKey`s instead of the OpenAPI
//!   schema, which covers what helm's three-way patches and kubectl's apply produce.
//! - Server-side apply is built on the strategic merge (see `store`), plus
//!   [`removed_fields`] to drop what a manager applied before and no longer applies.

use serde_json::{Map, Value};

/// The merge key of a list field, by field name (Kubernetes `patchMergeKey`s).
fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    let key = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "conditions" => "type",
        "topologySpreadConstraints" => "topologyKey",
        // Container ports merge by containerPort, Service ports by port.
        "ports" => {
            if items.iter().any(|i| i.get("containerPort").is_some()) {
                "containerPort"
            } else {
                "port"
            }
        }
        _ => return None,
    };
    Some(key)
}

/// Primitive lists that merge as sets rather than being replaced.
fn is_set_list(field: &str) -> bool {
    field == "finalizers"
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in patch {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// Applies a strategic merge patch (see the module doc for what is supported).
pub fn strategic_merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut clean = p.clone();
        clean.remove("$patch");
        *target = Value::Object(clean);
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(t) = target else { return };
    let mut orders: Vec<(String, Vec<Value>)> = Vec::new();
    let mut retain: Option<Vec<String>> = None;
    for (k, v) in p {
        if let Some(field) = k.strip_prefix("$setElementOrder/") {
            if let Value::Array(order) = v {
                orders.push((field.to_owned(), order.clone()));
            }
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Value::Array(gone)) = (t.get_mut(field), v) {
                list.retain(|x| !gone.contains(x));
            }
            continue;
        }
        if k == "$retainKeys" {
            if let Value::Array(keys) = v {
                retain = Some(
                    keys.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                );
            }
            continue;
        }
        if k.starts_with('$') {
            continue;
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        if let Value::Object(inner) = v {
            if inner.get("$patch").and_then(Value::as_str) == Some("delete") {
                t.remove(k);
                continue;
            }
        }
        match v {
            Value::Array(items) => {
                let slot = t.entry(k.clone()).or_insert(Value::Null);
                merge_list(k, slot, items);
            }
            Value::Object(_) => {
                strategic_merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
    for (field, order) in orders {
        if let Some(Value::Array(list)) = t.get_mut(&field) {
            reorder(&field, list, &order);
        }
    }
    if let Some(keys) = retain {
        t.retain(|k, _| keys.iter().any(|r| r == k));
    }
}

fn merge_list(field: &str, slot: &mut Value, items: &[Value]) {
    if is_set_list(field) {
        let mut list = match slot.take() {
            Value::Array(l) => l,
            _ => Vec::new(),
        };
        for i in items {
            if !list.contains(i) {
                list.push(i.clone());
            }
        }
        *slot = Value::Array(list);
        return;
    }
    let key = match merge_key(field, items) {
        Some(k) if items.iter().all(Value::is_object) => k,
        _ => {
            *slot = Value::Array(items.to_vec());
            return;
        }
    };
    if items
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        let clean: Vec<Value> = items
            .iter()
            .filter(|i| i.get("$patch").is_none())
            .cloned()
            .collect();
        *slot = Value::Array(clean);
        return;
    }
    let mut list = match slot.take() {
        Value::Array(l) => l,
        _ => Vec::new(),
    };
    for item in items {
        let id = item.get(key).cloned();
        let pos = id
            .as_ref()
            .and_then(|id| list.iter().position(|x| x.get(key) == Some(id)));
        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
        match (pos, delete) {
            (Some(p), true) => {
                list.remove(p);
            }
            (None, true) => {}
            (Some(p), false) => {
                if let Some(existing) = list.get_mut(p) {
                    strategic_merge(existing, item);
                }
            }
            (None, false) => {
                let mut fresh = Value::Null;
                strategic_merge(&mut fresh, item);
                list.push(fresh);
            }
        }
    }
    *slot = Value::Array(list);
}

/// `$setElementOrder`: the listed elements come first in the given order, others after.
fn reorder(field: &str, list: &mut Vec<Value>, order: &[Value]) {
    let key = merge_key(field, list);
    let ident = |v: &Value| -> Value {
        match key {
            Some(k) if v.is_object() => v.get(k).cloned().unwrap_or(Value::Null),
            _ => v.clone(),
        }
    };
    let mut rest = std::mem::take(list);
    for o in order {
        let want = ident(o);
        if let Some(p) = rest.iter().position(|x| ident(x) == want) {
            list.push(rest.remove(p));
        }
    }
    list.extend(rest);
}

/// Applies an RFC 6902 JSON patch. The error is the server's wording.
pub fn json_patch(target: &mut Value, ops: &Value) -> Result<(), String> {
    let Value::Array(ops) = ops else {
        return Err("json: cannot unmarshal object into Go value of type jsonpatch.Patch".into());
    };
    for op in ops {
        let name = op.get("op").and_then(Value::as_str).unwrap_or_default();
        let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
        match name {
            "add" => add(target, path, value_of(op)?)?,
            "remove" => {
                remove(target, path)?;
            }
            "replace" => {
                remove(target, path)?;
                add(target, path, value_of(op)?)?;
            }
            "move" => {
                let from = op.get("from").and_then(Value::as_str).unwrap_or_default();
                let v = remove(target, from)?;
                add(target, path, v)?;
            }
            "copy" => {
                let from = op.get("from").and_then(Value::as_str).unwrap_or_default();
                let v = target.pointer(from).cloned().ok_or_else(|| missing(from))?;
                add(target, path, v)?;
            }
            "test" => {
                let want = value_of(op)?;
                if target.pointer(path) != Some(&want) {
                    return Err(format!("testing value {path} failed: test failed"));
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(())
}

fn value_of(op: &Value) -> Result<Value, String> {
    op.get("value")
        .cloned()
        .ok_or_else(|| "missing value".to_owned())
}

fn missing(path: &str) -> String {
    format!("doc is missing path: \"{path}\": missing value")
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn parent_and_last(path: &str) -> Result<(String, String), String> {
    let (parent, last) = path.rsplit_once('/').ok_or_else(|| missing(path))?;
    Ok((parent.to_owned(), unescape(last)))
}

fn add(target: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *target = value;
        return Ok(());
    }
    let (parent, last) = parent_and_last(path)?;
    match target.pointer_mut(&parent) {
        Some(Value::Object(m)) => {
            m.insert(last, value);
            Ok(())
        }
        Some(Value::Array(a)) => {
            if last == "-" {
                a.push(value);
                return Ok(());
            }
            let i: usize = last.parse().map_err(|_| missing(path))?;
            if i > a.len() {
                return Err(format!(
                    "add operation does not apply: doc is missing path: \"{path}\": missing value"
                ));
            }
            a.insert(i, value);
            Ok(())
        }
        _ => Err(format!(
            "add operation does not apply: doc is missing path: \"{path}\": missing value"
        )),
    }
}

fn remove(target: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, last) = parent_and_last(path)?;
    match target.pointer_mut(&parent) {
        Some(Value::Object(m)) => m.remove(&last).ok_or_else(|| missing(path)),
        Some(Value::Array(a)) => {
            let i: usize = last.parse().map_err(|_| missing(path))?;
            if i < a.len() {
                Ok(a.remove(i))
            } else {
                Err(missing(path))
            }
        }
        _ => Err(missing(path)),
    }
}

/// A strategic merge patch that removes what `before` set and `after` no longer sets: `null`
/// for dropped map keys, `$patch: delete` for dropped elements of keyed lists. Server-side
/// apply uses it to forget fields a manager stopped applying.
pub fn removed_fields(before: &Value, after: &Value) -> Option<Value> {
    removed_in(before, after, "")
}

fn removed_in(before: &Value, after: &Value, field: &str) -> Option<Value> {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut out = Map::new();
            for (k, bv) in b {
                match a.get(k) {
                    None => {
                        out.insert(k.clone(), Value::Null);
                    }
                    Some(av) => {
                        if let Some(inner) = removed_in(bv, av, k) {
                            out.insert(k.clone(), inner);
                        }
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        (Value::Array(b), Value::Array(a)) => {
            let key = merge_key(field, b)?;
            let mut out = Vec::new();
            for item in b {
                let id = item.get(key)?;
                match a.iter().find(|x| x.get(key) == Some(id)) {
                    None => {
                        out.push(serde_json::json!({ key: id, "$patch": "delete" }));
                    }
                    Some(now) => {
                        if let Some(Value::Object(mut inner)) = removed_in(item, now, "") {
                            inner.insert(key.to_owned(), id.clone());
                            out.push(Value::Object(inner));
                        }
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Array(out))
        }
        _ => None,
    }
}
