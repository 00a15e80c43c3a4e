//! What a live cluster answers during a render (`render --cluster`): `lookup` and the API
//! versions of `.Capabilities`. The renderer is synchronous and single-threaded; the hook
//! is a plain function the caller implements (a blocking bridge to the async cluster
//! client), so this module knows nothing about clusters.

use std::sync::Arc;

use serde_json::Value as Json;

use std::rc::Rc;

use crate::template::{FuncError, Map, Value};

/// `lookup apiVersion kind namespace name` answered by a cluster: the object (or, with an
/// empty name, the list object `{apiVersion, kind: <Kind>List, metadata, items}`), an
/// empty map when it does not exist, or an error message.
pub type LookupFn = dyn Fn(&str, &str, &str, &str) -> Result<Json, String> + Send + Sync;

/// The cluster side of a render.
#[derive(Clone)]
pub struct ClusterHooks {
    pub lookup: Arc<LookupFn>,
    /// `.Capabilities.APIVersions` from discovery (`group/version` and
    /// `group/version/Kind`), replacing Helm's offline list as Helm does with a cluster.
    pub api_versions: Vec<String>,
}

impl std::fmt::Debug for ClusterHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterHooks")
            .field("api_versions", &self.api_versions.len())
            .finish_non_exhaustive()
    }
}

/// A JSON object from the API server as a template value, the way Kubernetes' unstructured
/// decoding gives it to Helm: whole numbers are int64, others float64.
pub fn json_to_value(j: &Json) -> Value {
    match j {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::int64(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::str(s),
        Json::Array(items) => Value::list(items.iter().map(json_to_value).collect()),
        Json::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), json_to_value(v));
            }
            Value::map(out)
        }
    }
}

/// The `lookup` template function over `hooks`.
pub(crate) fn lookup_func(hooks: &ClusterHooks) -> crate::template::funcs::HostFn {
    let lookup = Arc::clone(&hooks.lookup);
    Rc::new(move |_, args: &[Value]| {
        if args.len() != 4 {
            return Err(FuncError::arity(format!(
                "wrong number of args for lookup: want 4 got {}",
                args.len()
            )));
        }
        let mut strings = Vec::with_capacity(4);
        for i in 0..4 {
            strings
                .push(crate::template::funcs::convert::string_arg("lookup", args, i)?.into_owned());
        }
        let [api_version, kind, namespace, name] = strings.as_slice() else {
            return Ok(Value::empty_map());
        };
        let found = lookup(api_version, kind, namespace, name).map_err(FuncError::new)?;
        Ok(match found {
            Json::Object(_) => json_to_value(&found),
            _ => Value::empty_map(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_int64_when_whole() {
        let v = json_to_value(&json!({"a": 3, "b": 1.5, "c": [true, null, "x"]}));
        assert_eq!(v.get("a"), Some(Value::int(3)));
        assert_eq!(v.get("b"), Some(Value::Float(1.5)));
        assert_eq!(
            v.get("c"),
            Some(Value::list(vec![
                Value::Bool(true),
                Value::Nil,
                Value::str("x")
            ]))
        );
    }
}
