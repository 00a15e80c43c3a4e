//! Decoding of the protobuf request bodies client-go's typed clients send for core objects.
//! Helm's release storage creates and updates its Secrets and ConfigMaps through the typed
//! clientset, which speaks `application/vnd.kubernetes.protobuf`; only those two kinds (and
//! the ObjectMeta fields helm sets) are decoded. Answers are always JSON.

use base64::Engine as _;
use serde_json::{json, Map, Value};

/// Splits a protobuf message into (field number, wire value) pairs.
fn fields(mut buf: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let tag = varint(&mut buf)?;
        let value = match tag & 7 {
            0 => Field::Varint(varint(&mut buf)?),
            2 => {
                let len = usize::try_from(varint(&mut buf)?).ok()?;
                let (data, rest) = (buf.get(..len)?, buf.get(len..)?);
                buf = rest;
                Field::Bytes(data)
            }
            1 => {
                buf = buf.get(8..)?;
                Field::Other
            }
            5 => {
                buf = buf.get(4..)?;
                Field::Other
            }
            _ => return None,
        };
        out.push((tag >> 3, value));
    }
    Some(out)
}

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Other,
}

fn varint(buf: &mut &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first()?;
        *buf = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn string(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A `map<string, X>` entry: (key, raw value).
fn map_entry(b: &[u8]) -> Option<(String, &[u8])> {
    let mut key = String::new();
    let mut value: &[u8] = &[];
    for (n, f) in fields(b)? {
        match (n, f) {
            (1, Field::Bytes(k)) => key = string(k),
            (2, Field::Bytes(v)) => value = v,
            _ => {}
        }
    }
    Some((key, value))
}

fn object_meta(b: &[u8]) -> Option<Value> {
    let mut m = Map::new();
    let mut labels = Map::new();
    let mut annotations = Map::new();
    let mut finalizers = Vec::new();
    for (n, f) in fields(b)? {
        match (n, f) {
            (1, Field::Bytes(v)) => {
                m.insert("name".into(), json!(string(v)));
            }
            (2, Field::Bytes(v)) => {
                m.insert("generateName".into(), json!(string(v)));
            }
            (3, Field::Bytes(v)) => {
                m.insert("namespace".into(), json!(string(v)));
            }
            (6, Field::Bytes(v)) => {
                m.insert("resourceVersion".into(), json!(string(v)));
            }
            (11, Field::Bytes(v)) => {
                let (k, val) = map_entry(v)?;
                labels.insert(k, json!(string(val)));
            }
            (12, Field::Bytes(v)) => {
                let (k, val) = map_entry(v)?;
                annotations.insert(k, json!(string(val)));
            }
            (14, Field::Bytes(v)) => finalizers.push(json!(string(v))),
            _ => {}
        }
    }
    if !labels.is_empty() {
        m.insert("labels".into(), Value::Object(labels));
    }
    if !annotations.is_empty() {
        m.insert("annotations".into(), Value::Object(annotations));
    }
    if !finalizers.is_empty() {
        m.insert("finalizers".into(), Value::Array(finalizers));
    }
    Some(Value::Object(m))
}

/// Decodes a `k8s\0`-enveloped protobuf Secret or ConfigMap into its JSON form.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let unsupported = || "only protobuf Secrets and ConfigMaps are understood".to_owned();
    let inner = body.strip_prefix(b"k8s\0").ok_or_else(unsupported)?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for (n, f) in fields(inner).ok_or_else(unsupported)? {
        match (n, f) {
            (1, Field::Bytes(tm)) => {
                for (tn, tf) in fields(tm).ok_or_else(unsupported)? {
                    match (tn, tf) {
                        (1, Field::Bytes(v)) => api_version = string(v),
                        (2, Field::Bytes(v)) => kind = string(v),
                        _ => {}
                    }
                }
            }
            (2, Field::Bytes(r)) => raw = r,
            _ => {}
        }
    }
    let mut obj = json!({"apiVersion": api_version, "kind": kind});
    let mut data = Map::new();
    for (n, f) in fields(raw).ok_or_else(unsupported)? {
        match (kind.as_str(), n, f) {
            (_, 1, Field::Bytes(v)) => obj["metadata"] = object_meta(v).ok_or_else(unsupported)?,
            ("Secret", 2, Field::Bytes(v)) => {
                let (k, val) = map_entry(v).ok_or_else(unsupported)?;
                data.insert(
                    k,
                    json!(base64::engine::general_purpose::STANDARD.encode(val)),
                );
            }
            ("Secret", 3, Field::Bytes(v)) => obj["type"] = json!(string(v)),
            ("Secret" | "ConfigMap", 5 | 4, Field::Varint(v)) => obj["immutable"] = json!(v != 0),
            ("ConfigMap", 2, Field::Bytes(v)) => {
                let (k, val) = map_entry(v).ok_or_else(unsupported)?;
                data.insert(k, json!(string(val)));
            }
            ("Secret" | "ConfigMap", _, _) => {}
            _ => return Err(unsupported()),
        }
    }
    if !data.is_empty() {
        obj["data"] = Value::Object(data);
    }
    Ok(obj)
}
