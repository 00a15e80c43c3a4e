//! TOML for Helm's `toToml` and `fromToml`, which use BurntSushi/toml.
//!
//! The encoder copies BurntSushi's layout: in every table the plain keys come first (sorted),
//! then sub-tables and arrays of tables (sorted); top-level tables are preceded by a blank
//! line; nested headers and their keys are indented two spaces per level; floats always
//! carry a decimal point or exponent (`1.0`, `1e+06`); nil map values are skipped and a nil
//! array element is an error. Decoding uses the `toml` crate and maps integers to int64,
//! floats to float64 and datetimes to their text.

use std::fmt;

use crate::template::value::{format_float_g, Map, Value};

/// A value BurntSushi's encoder refuses; Helm's `toToml` prints the message instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct TomlError(pub String);

impl fmt::Display for TomlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const INDENT: &str = "  ";

/// `toml.NewEncoder(w).Encode(v)`.
pub fn to_toml(v: &Value) -> Result<String, TomlError> {
    let mut e = TomlEncoder { out: String::new() };
    e.encode(&[], v)?;
    Ok(e.out)
}

/// Decode a TOML document into a map (`toml.Unmarshal` into `map[string]interface{}`).
pub fn from_toml(src: &str) -> Result<Value, TomlError> {
    match src.parse::<::toml::Table>() {
        Ok(table) => Ok(table_value(&table)),
        Err(e) => Err(TomlError(toml_error_message(src, &e))),
    }
}

fn toml_error_message(src: &str, e: &::toml::de::Error) -> String {
    let detail = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let line = src
                .get(..span.start)
                .map_or(1, |before| before.matches('\n').count() + 1);
            format!("toml: line {line}: {detail}")
        }
        None => format!("toml: {detail}"),
    }
}

fn table_value(table: &::toml::Table) -> Value {
    let mut map = Map::new();
    for (k, v) in table {
        map.insert(k.clone(), toml_value(v));
    }
    Value::map(map)
}

fn toml_value(v: &::toml::Value) -> Value {
    match v {
        ::toml::Value::String(s) => Value::str(s),
        ::toml::Value::Integer(i) => Value::int64(*i),
        ::toml::Value::Float(f) => Value::Float(*f),
        ::toml::Value::Boolean(b) => Value::Bool(*b),
        ::toml::Value::Datetime(d) => Value::string(d.to_string()),
        ::toml::Value::Array(items) => Value::list(items.iter().map(toml_value).collect()),
        ::toml::Value::Table(t) => table_value(t),
    }
}

/// BurntSushi's idea of a value's TOML type, as far as layout depends on it.
#[derive(PartialEq)]
enum Kind {
    Nil,
    Table,
    ArrayOfTables,
    Other,
}

fn kind_of(v: &Value) -> Result<Kind, TomlError> {
    Ok(match v {
        Value::Nil => Kind::Nil,
        Value::Map(_) => Kind::Table,
        Value::List(items) => {
            // isTableArray: every element a table; a nil element is refused outright.
            let mut all_tables = !items.is_empty();
            for item in items.iter() {
                match kind_of(item)? {
                    Kind::Nil => {
                        return Err(TomlError(
                            "toml: cannot encode array with nil element".to_string(),
                        ))
                    }
                    Kind::Table => {}
                    _ => all_tables = false,
                }
            }
            if all_tables {
                Kind::ArrayOfTables
            } else {
                Kind::Other
            }
        }
        Value::Object(o) => kind_of(&o.to_data())?,
        _ => Kind::Other,
    })
}

/// A key path written as BurntSushi's `Key.String()` / `maybeQuoted` do.
fn key_part(k: &str) -> String {
    if k.is_empty() {
        return "\"\"".to_string();
    }
    if k.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        quoted(k)
    }
}

fn key_path(key: &[String]) -> String {
    key.iter()
        .map(|k| key_part(k))
        .collect::<Vec<_>>()
        .join(".")
}

/// A basic TOML string with BurntSushi's escapes (control characters as `\uXXXX`).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct TomlEncoder {
    out: String,
}

impl TomlEncoder {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// BurntSushi writes a newline only once something has been written.
    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn indent(&self, key: &[String]) -> String {
        INDENT.repeat(key.len().saturating_sub(1))
    }

    fn encode(&mut self, key: &[String], v: &Value) -> Result<(), TomlError> {
        match v {
            Value::Nil => Ok(()),
            Value::Map(_) => self.table(key, v),
            Value::List(_) => {
                if kind_of(v)? == Kind::ArrayOfTables {
                    self.array_of_tables(key, v)
                } else {
                    self.key_value(key, v, false)
                }
            }
            Value::Object(o) => self.encode(key, &o.to_data()),
            _ => self.key_value(key, v, false),
        }
    }

    fn key_value(&mut self, key: &[String], v: &Value, inline: bool) -> Result<(), TomlError> {
        let Some(last) = key.last() else {
            return self.element(v);
        };
        let line = format!("{}{} = ", self.indent(key), key_part(last));
        self.write(&line);
        self.element(v)?;
        if !inline {
            self.newline();
        }
        Ok(())
    }

    fn table(&mut self, key: &[String], v: &Value) -> Result<(), TomlError> {
        if key.len() == 1 {
            // A blank line between top-level tables.
            self.newline();
        }
        if !key.is_empty() {
            let header = format!("{}[{}]", self.indent(key), key_path(key));
            self.write(&header);
            self.newline();
        }
        self.map(key, v, false)
    }

    fn array_of_tables(&mut self, key: &[String], v: &Value) -> Result<(), TomlError> {
        if key.is_empty() {
            return Err(TomlError(
                "toml: top-level values must be Go maps or structs".to_string(),
            ));
        }
        if let Value::List(items) = v {
            for item in items.iter() {
                self.newline();
                let header = format!("{}[[{}]]", self.indent(key), key_path(key));
                self.write(&header);
                self.newline();
                self.map(key, item, false)?;
            }
        }
        Ok(())
    }

    fn map(&mut self, key: &[String], v: &Value, inline: bool) -> Result<(), TomlError> {
        let data;
        let m = match v {
            Value::Map(m) => m,
            Value::Object(o) => {
                data = o.to_data();
                return self.map(key, &data, inline);
            }
            _ => return Ok(()),
        };
        let m = m.borrow();
        let mut direct: Vec<(&String, &Value)> = Vec::new();
        let mut sub: Vec<(&String, &Value)> = Vec::new();
        for (k, item) in m.iter() {
            match kind_of(item)? {
                Kind::Table | Kind::ArrayOfTables => sub.push((k, item)),
                _ => direct.push((k, item)),
            }
        }
        if inline {
            self.write("{");
        }
        let has_sub = !sub.is_empty();
        for (group, trailing_comma) in [(direct, has_sub), (sub, false)] {
            let n = group.len();
            for (i, (k, item)) in group.into_iter().enumerate() {
                if item.is_nil() {
                    continue;
                }
                if inline {
                    self.key_value(std::slice::from_ref(k), item, true)?;
                    if trailing_comma || i + 1 != n {
                        self.write(", ");
                    }
                } else {
                    let mut path = key.to_vec();
                    path.push(k.clone());
                    self.encode(&path, item)?;
                }
            }
        }
        if inline {
            self.write("}");
        }
        Ok(())
    }

    /// A value in `key = value` position or inside an inline array.
    fn element(&mut self, v: &Value) -> Result<(), TomlError> {
        match v {
            Value::Nil => {
                return Err(TomlError(
                    "toml: cannot encode array with nil element".to_string(),
                ))
            }
            Value::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Value::Int(i, _) => self.write(&i.to_string()),
            Value::Float(f) => {
                let text = if f.is_nan() {
                    if f.is_sign_negative() { "-nan" } else { "nan" }.to_string()
                } else if f.is_infinite() {
                    if *f < 0.0 { "-inf" } else { "inf" }.to_string()
                } else {
                    let g = format_float_g(*f);
                    if g.contains(['.', 'e']) {
                        g
                    } else {
                        g + ".0"
                    }
                };
                self.write(&text);
            }
            Value::String(s) => self.write(&quoted(s)),
            Value::Bytes(b) => {
                let items: Vec<String> = b.iter().map(u8::to_string).collect();
                self.write(&format!("[{}]", items.join(", ")));
            }
            Value::List(items) => {
                self.write("[");
                let n = items.len();
                for (i, item) in items.iter().enumerate() {
                    self.element(item)?;
                    if i + 1 != n {
                        self.write(", ");
                    }
                }
                self.write("]");
            }
            Value::Map(_) => self.map(&[], v, true)?,
            Value::Object(o) => self.element(&o.to_data())?,
        }
        Ok(())
    }
}
