//! `.Files`: the chart's non-template files as templates see them (Helm's `engine.files`).
//!
//! Helm's type is `map[string][]byte` with methods, so it can be ranged over (path → bytes,
//! sorted by path) as well as called: `Get`, `GetBytes`, `Glob`, `Lines`, `AsConfig`,
//! `AsSecrets`.

use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine as _;

use super::glob::Glob;
use crate::template::{FuncError, Map, Object, Value};

/// The bytes of one file: shared with the loaded chart (no copy per render), or owned.
#[derive(Debug, Clone)]
enum FileBytes {
    Owned(Rc<[u8]>),
    Chart(crate::chart::FileData),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Owned(b) => b,
            FileBytes::Chart(b) => b,
        }
    }
}

impl FileBytes {
    /// The bytes as a template value (`[]byte`); a chart's file is copied only here, when
    /// a template reads it.
    fn to_rc(&self) -> Rc<[u8]> {
        match self {
            FileBytes::Owned(b) => b.clone(),
            FileBytes::Chart(b) => Rc::from(b.as_slice()),
        }
    }
}

/// A set of chart files, keyed by path relative to the chart root (`files/x.conf`).
#[derive(Debug, Clone, Default)]
pub struct Files {
    files: Rc<BTreeMap<String, FileBytes>>,
}

impl Files {
    pub fn new(files: BTreeMap<String, Rc<[u8]>>) -> Files {
        let files = files
            .into_iter()
            .map(|(k, v)| (k, FileBytes::Owned(v)))
            .collect();
        Files {
            files: Rc::new(files),
        }
    }

    /// Files that share their bytes with a loaded chart's [`crate::chart::ChartFile`]s.
    pub fn shared(files: BTreeMap<String, crate::chart::FileData>) -> Files {
        let files = files
            .into_iter()
            .map(|(k, v)| (k, FileBytes::Chart(v)))
            .collect();
        Files {
            files: Rc::new(files),
        }
    }

    pub fn into_value(self) -> Value {
        Value::Object(Rc::new(self))
    }

    fn get_bytes(&self, name: &str) -> Option<&FileBytes> {
        self.files.get(name)
    }

    fn glob(&self, pattern: &str) -> Files {
        let Some(glob) = Glob::new(pattern) else {
            return Files::default();
        };
        let matched = self
            .files
            .iter()
            .filter(|(name, _)| glob.is_match(name))
            .map(|(name, data)| (name.clone(), data.clone()))
            .collect();
        Files {
            files: Rc::new(matched),
        }
    }

    /// `AsConfig`/`AsSecrets`: a YAML map from each file's base name to its content.
    fn as_yaml_map(&self, encode: impl Fn(&[u8]) -> String) -> String {
        if self.files.is_empty() {
            return String::new();
        }
        let mut map = Map::new();
        for (name, data) in self.files.iter() {
            let base = name.rsplit('/').next().unwrap_or(name);
            map.insert(base.to_string(), Value::string(encode(data)));
        }
        let yaml = crate::yaml::to_yaml(&Value::map(map));
        yaml.strip_suffix('\n').unwrap_or(&yaml).to_string()
    }

    fn lines(&self, name: &str) -> Value {
        let Some(data) = self.get_bytes(name) else {
            return Value::list(Vec::new());
        };
        let text = String::from_utf8_lossy(data);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        Value::list(text.split('\n').map(Value::str).collect())
    }
}

fn string_arg<'a>(method: &str, args: &'a [Value]) -> Result<&'a str, FuncError> {
    match args {
        [Value::String(s)] => Ok(s),
        [other] => Err(FuncError::new(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        ))),
        _ => Err(FuncError::new(format!(
            "wrong number of args for {method}: want 1 got {}",
            args.len()
        ))),
    }
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "AsConfig" => {
                Some(Value::string(self.as_yaml_map(|data| {
                    String::from_utf8_lossy(data).into_owned()
                })))
            }
            "AsSecrets" => {
                Some(Value::string(self.as_yaml_map(|data| {
                    base64::engine::general_purpose::STANDARD.encode(data)
                })))
            }
            _ => None,
        }
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let result = match name {
            // Go's `string(bytes)` keeps any bytes; text that is not UTF-8 (a chart reading a
            // .bz2) stays bytes here so `b64enc` and friends see the file unchanged.
            "Get" => string_arg(name, args).map(|path| match self.get_bytes(path) {
                Some(data) => match std::str::from_utf8(data) {
                    Ok(text) => Value::str(text),
                    Err(_) => Value::Bytes(data.to_rc()),
                },
                None => Value::str(""),
            }),
            "GetBytes" => string_arg(name, args).map(|path| match self.get_bytes(path) {
                Some(data) => Value::Bytes(data.to_rc()),
                None => Value::Bytes(Rc::from(Vec::new())),
            }),
            "Glob" => string_arg(name, args).map(|pattern| self.glob(pattern).into_value()),
            "Lines" => string_arg(name, args).map(|path| self.lines(path)),
            "AsConfig" | "AsSecrets" => {
                if !args.is_empty() {
                    return Some(Err(FuncError::new(format!(
                        "wrong number of args for {name}: want 0 got {}",
                        args.len()
                    ))));
                }
                return self.field(name).map(Ok);
            }
            _ => return None,
        };
        Some(result)
    }

    /// Go prints a `map[string][]byte` as `map[path:[bytes…] …]`.
    fn display(&self) -> String {
        let mut out = String::from("map[");
        for (i, (name, data)) in self.files.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(name);
            out.push(':');
            out.push_str(&Value::Bytes(data.to_rc()).to_string());
        }
        out.push(']');
        out
    }

    fn to_data(&self) -> Value {
        let map: Map = self
            .files
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    Value::string(base64::engine::general_purpose::STANDARD.encode(&**v)),
                )
            })
            .collect();
        Value::map(map)
    }

    fn entries(&self) -> Option<Vec<(Value, Value)>> {
        Some(
            self.files
                .iter()
                .map(|(k, v)| (Value::str(k), Value::Bytes(v.to_rc())))
                .collect(),
        )
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Files {
        let mut m = BTreeMap::new();
        m.insert("files/a.conf".to_string(), Rc::from(b"x=1\ny=2\n".to_vec()));
        m.insert("files/b.conf".to_string(), Rc::from(b"z".to_vec()));
        m.insert("other/c.txt".to_string(), Rc::from(b"c".to_vec()));
        Files::new(m)
    }

    #[test]
    fn get_and_lines() {
        let f = files();
        let got = f.call_method("Get", &[Value::str("files/b.conf")]);
        assert_eq!(got, Some(Ok(Value::str("z"))));
        let missing = f.call_method("Get", &[Value::str("nope")]);
        assert_eq!(missing, Some(Ok(Value::str(""))));
        let lines = f.call_method("Lines", &[Value::str("files/a.conf")]);
        assert_eq!(
            lines,
            Some(Ok(Value::list(vec![Value::str("x=1"), Value::str("y=2")])))
        );
    }

    #[test]
    fn glob_ranges_in_path_order() {
        let f = files();
        let Some(Ok(Value::Object(globbed))) = f.call_method("Glob", &[Value::str("files/*")])
        else {
            panic!("glob returned no object");
        };
        let keys: Vec<String> = globbed
            .entries()
            .unwrap()
            .into_iter()
            .map(|(k, _)| k.to_string())
            .collect();
        assert_eq!(keys, vec!["files/a.conf", "files/b.conf"]);
    }
}
