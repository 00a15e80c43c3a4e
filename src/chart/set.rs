//! The `--set` family of flags: Helm's `strvals` grammar.
//!
//! `a.b=c` nests maps, `a[0]=x` and `a[0].b=y` index lists (growing them with nulls, at most
//! index 65536), commas separate assignments, `\` escapes the next character, `{a,b}` is a list.
//! With `--set` values are typed like strvals' `typedVal`: `true`/`false` (any case) are
//! booleans, `null` is null (which later deletes a chart default), `0` and base-10 integers
//! not starting with `0` are int64, everything else (including `1.5`, `0x1`, `007`) stays a
//! string. `--set-string` keeps strings, `--set-literal` takes everything after the first
//! `=` verbatim (no commas, escapes or lists), `--set-json` parses each value as JSON, and
//! `--set-file` reads each value as a path and uses the file's content.
//!
//! Errors carry strvals' wording (`key "x" has no value`), including the ones Go produces by
//! recovering from a failed type assertion (`--set a=1,a.b=2`).

use std::rc::Rc;

use crate::template::value::{MapRef, Value};

use super::error::ValuesError;
use super::values::merge_user_values;

/// Which flag an expression came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: typed values.
    Value,
    /// `--set-string`: every value is a string.
    String,
    /// `--set-literal`: the value is everything after the first `=`.
    Literal,
    /// `--set-json`: values are JSON (numbers become float64).
    Json,
    /// `--set-file`: values are paths; the files' contents become string values.
    File,
}

impl SetKind {
    /// The flag name, as used in error messages.
    pub fn flag(self) -> &'static str {
        match self {
            SetKind::Value => "--set",
            SetKind::String => "--set-string",
            SetKind::Literal => "--set-literal",
            SetKind::Json => "--set-json",
            SetKind::File => "--set-file",
        }
    }
}

/// strvals refuses deeper nesting and larger list indexes than these.
const MAX_NESTED_NAME_LEVEL: usize = 30;
const MAX_INDEX: i64 = 65536;

/// Apply one `--set*` expression to `values` (a map; replaced by an empty map if it is not).
/// Helm applies `-f` files first, then all `--set-json`, `--set`, `--set-string`,
/// `--set-file` and `--set-literal` flags in that order (see [`ValuesOptions`]).
///
/// [`ValuesOptions`]: super::ValuesOptions
pub fn apply_set(values: &mut Value, expr: &str, kind: SetKind) -> Result<(), ValuesError> {
    if !matches!(values, Value::Map(_)) {
        *values = Value::empty_map();
    }
    if kind == SetKind::Json {
        let trimmed = expr.trim();
        if trimmed.starts_with('{') {
            // A whole JSON object is merged into the values.
            let parsed: serde_json::Value =
                serde_json::from_str(trimmed).map_err(|e| ValuesError::Json {
                    expr: expr.to_string(),
                    message: e.to_string(),
                })?;
            let obj = from_json(&parsed);
            if !matches!(obj, Value::Map(_)) {
                return Err(ValuesError::Json {
                    expr: expr.to_string(),
                    message: "not a JSON object".to_string(),
                });
            }
            *values = merge_user_values(values, &obj);
            return Ok(());
        }
    }
    let Value::Map(root) = values else {
        return Ok(());
    };
    let mut parser = Parser {
        src: expr.chars().collect(),
        pos: 0,
        kind,
    };
    parser.parse(root).map_err(|e| match e {
        ParseError::Message(message) if kind == SetKind::Json => ValuesError::Json {
            expr: expr.to_string(),
            message,
        },
        ParseError::Message(message) => ValuesError::Set {
            flag: kind.flag(),
            message,
        },
        ParseError::Read(err) => err,
        ParseError::Eof => ValuesError::Set {
            flag: kind.flag(),
            message: "unexpected end of input".to_string(),
        },
    })
}

/// JSON as Helm's values see it: numbers are float64, objects are maps.
pub(crate) fn from_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::str(s),
        serde_json::Value::Array(items) => Value::list(items.iter().map(from_json).collect()),
        serde_json::Value::Object(map) => {
            Value::map(map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

enum ParseError {
    /// End of input, which ends parsing normally at the start of a key.
    Eof,
    Message(String),
    Read(ValuesError),
}

impl From<String> for ParseError {
    fn from(s: String) -> Self {
        ParseError::Message(s)
    }
}

/// Go type names for the "interface conversion" messages strvals produces.
fn go_type(v: &Value) -> String {
    match v {
        Value::Nil => "nil".to_string(),
        Value::Int(_, kind) => kind.name().to_string(),
        other => other.type_name(),
    }
}

fn conversion_error(v: &Value, want: &str) -> ParseError {
    ParseError::Message(format!(
        "unable to parse key: interface conversion: interface {{}} is {}, not {want}",
        go_type(v)
    ))
}

const MAP_TYPE: &str = "map[string]interface {}";
const LIST_TYPE: &str = "[]interface {}";

struct Parser {
    src: Vec<char>,
    pos: usize,
    kind: SetKind,
}

impl Parser {
    fn literal(&self) -> bool {
        self.kind == SetKind::Literal
    }

    fn next(&mut self) -> Option<char> {
        let c = self.src.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Read until a stop character (consumed, returned) or the end (`None`). `\` escapes the
    /// next character except in literal mode.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut out = String::new();
        while let Some(c) = self.next() {
            if stop.contains(&c) {
                return (out, Some(c));
            }
            if c == '\\' && !self.literal() {
                match self.next() {
                    Some(n) => out.push(n),
                    None => return (out, None),
                }
                continue;
            }
            out.push(c);
        }
        (out, None)
    }

    fn parse(&mut self, data: &MapRef) -> Result<(), ParseError> {
        loop {
            match self.key(data, 0) {
                Ok(()) => continue,
                Err(ParseError::Eof) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    fn typed(&self, raw: String) -> Result<Value, ParseError> {
        match self.kind {
            SetKind::String | SetKind::Literal | SetKind::Json => Ok(Value::string(raw)),
            SetKind::Value => Ok(typed_val(raw)),
            SetKind::File => read_file_value(&raw),
        }
    }

    fn key(&mut self, data: &MapRef, level: usize) -> Result<(), ParseError> {
        let stop: &[char] = if self.literal() {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let (k, last) = self.until(stop);
        match last {
            None => {
                if k.is_empty() {
                    Err(ParseError::Eof)
                } else {
                    Err(format!("key {k:?} has no value").into())
                }
            }
            Some('[') => {
                let i = self.key_index()?;
                let mut list = match data.borrow().get(&k) {
                    None => Vec::new(),
                    Some(Value::List(l)) => l.as_ref().clone(),
                    Some(other) => return Err(conversion_error(other, LIST_TYPE)),
                };
                let result = self.list_item(&mut list, i, level);
                set(data, &k, Value::list(list));
                result
            }
            Some('=') => {
                if self.kind == SetKind::Json {
                    return self.json_value(data, &k);
                }
                if self.literal() {
                    let (value, _) = self.until(&[]);
                    set(data, &k, Value::string(value));
                    return Ok(());
                }
                match self.val_list()? {
                    ListOrNot::List(list) => {
                        set(data, &k, Value::list(list));
                        Ok(())
                    }
                    ListOrNot::Eof => {
                        set(data, &k, Value::str(""));
                        Err(ParseError::Eof)
                    }
                    ListOrNot::NotList => {
                        let (raw, _) = self.until(&[',']);
                        let v = self.typed(raw)?;
                        set(data, &k, v);
                        Ok(())
                    }
                }
            }
            Some(',') => {
                set(data, &k, Value::str(""));
                Err(format!("key {k:?} has no value (cannot end with ,)").into())
            }
            Some(_) => {
                // '.': descend into a map.
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return Err(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    )
                    .into());
                }
                let inner = match data.borrow().get(&k) {
                    None => Rc::new(std::cell::RefCell::new(Default::default())),
                    Some(Value::Map(m)) => m.clone(),
                    Some(other) => return Err(conversion_error(other, MAP_TYPE)),
                };
                let result = self.key(&inner, level);
                let empty = inner.borrow().is_empty();
                if result.is_ok() && empty {
                    return Err(format!("key map {k:?} has no value").into());
                }
                if !empty {
                    set(data, &k, Value::Map(inner));
                }
                result
            }
        }
    }

    fn key_index(&mut self) -> Result<i64, ParseError> {
        let (v, last) = self.until(&[']']);
        if last.is_none() {
            // Go wraps io.EOF here, and the top level treats any EOF as the end of input:
            // `--set a[` silently sets nothing.
            return Err(ParseError::Eof);
        }
        go_atoi(&v).ok_or_else(|| {
            ParseError::Message(format!(
                "error parsing index: strconv.Atoi: parsing {v:?}: invalid syntax"
            ))
        })
    }

    fn list_item(&mut self, list: &mut Vec<Value>, i: i64, level: usize) -> Result<(), ParseError> {
        if i < 0 {
            return Err(format!("negative {i} index not allowed").into());
        }
        let (k, last) = self.until(&['[', '.', '=']);
        if !k.is_empty() {
            // Go formats the rune slice with %q: ['x' 'y'].
            let runes: Vec<String> = k.chars().map(|c| format!("{c:?}")).collect();
            return Err(format!(
                "unexpected data at end of array index: [{}]",
                runes.join(" ")
            )
            .into());
        }
        match last {
            None => Err(ParseError::Eof),
            Some('=') => {
                if self.kind == SetKind::Json {
                    let v = match self.json_or_empty()? {
                        Some(v) => v,
                        None => Value::Nil,
                    };
                    set_index(list, i, v)?;
                    self.empty_val();
                    return Ok(());
                }
                if self.literal() {
                    let (value, _) = self.until(&[]);
                    return set_index(list, i, Value::string(value));
                }
                match self.val_list()? {
                    ListOrNot::List(l) => set_index(list, i, Value::list(l)),
                    ListOrNot::Eof => set_index(list, i, Value::str("")),
                    ListOrNot::NotList => {
                        let (raw, _) = self.until(&[',']);
                        let v = self.typed(raw)?;
                        set_index(list, i, v)
                    }
                }
            }
            Some('[') => {
                let next_i = self.key_index()?;
                let mut inner = match usize::try_from(i).ok().and_then(|idx| list.get(idx)) {
                    None | Some(Value::Nil) => Vec::new(),
                    Some(Value::List(l)) => l.as_ref().clone(),
                    Some(other) => return Err(conversion_error(other, LIST_TYPE)),
                };
                self.list_item(&mut inner, next_i, level)?;
                set_index(list, i, Value::list(inner))
            }
            Some(_) => {
                // '.': a map inside the list element.
                let idx = usize::try_from(i).unwrap_or(usize::MAX);
                let inner = match list.get(idx) {
                    Some(Value::Map(m)) => m.clone(),
                    Some(_) => {
                        // Indices out of order: strvals replaces the element with a map.
                        let m: MapRef = Rc::new(std::cell::RefCell::new(Default::default()));
                        if let Some(slot) = list.get_mut(idx) {
                            *slot = Value::Map(m.clone());
                        }
                        m
                    }
                    None => Rc::new(std::cell::RefCell::new(Default::default())),
                };
                self.key(&inner, level)?;
                set_index(list, i, Value::Map(inner))
            }
        }
    }

    /// `{a,b}` list syntax. Anything else is left unread.
    fn val_list(&mut self) -> Result<ListOrNot, ParseError> {
        match self.src.get(self.pos) {
            None => return Ok(ListOrNot::Eof),
            Some('{') => self.pos += 1,
            Some(_) => return Ok(ListOrNot::NotList),
        }
        let mut list = Vec::new();
        loop {
            let (raw, last) = self.until(&[',', '}']);
            match last {
                None => return Err("list must terminate with '}'".to_string().into()),
                Some('}') => {
                    if self.src.get(self.pos) == Some(&',') {
                        self.pos += 1;
                    }
                    list.push(self.typed(raw)?);
                    return Ok(ListOrNot::List(list));
                }
                Some(_) => list.push(self.typed(raw)?),
            }
        }
    }

    /// Skip blanks; true if the value is empty (end of input or a comma, which is consumed).
    fn empty_val(&mut self) -> bool {
        while let Some(&c) = self.src.get(self.pos) {
            if c == ',' {
                self.pos += 1;
                return true;
            }
            if !c.is_whitespace() {
                return false;
            }
            self.pos += 1;
        }
        true
    }

    /// One JSON value at the cursor (`None` for an empty value, which means null).
    fn json_or_empty(&mut self) -> Result<Option<Value>, ParseError> {
        if self.empty_val() {
            return Ok(None);
        }
        let rest: String = self.src[self.pos..].iter().collect();
        let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<serde_json::Value>();
        let parsed = match stream.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(ParseError::Message(e.to_string())),
            None => return Err(ParseError::Message("EOF".to_string())),
        };
        let consumed_bytes = stream.byte_offset();
        let consumed_chars = rest[..consumed_bytes.min(rest.len())].chars().count();
        self.pos += consumed_chars;
        Ok(Some(from_json(&parsed)))
    }

    fn json_value(&mut self, data: &MapRef, k: &str) -> Result<(), ParseError> {
        match self.json_or_empty()? {
            None => set(data, k, Value::Nil),
            Some(v) => {
                set(data, k, v);
                self.empty_val();
            }
        }
        Ok(())
    }
}

enum ListOrNot {
    List(Vec<Value>),
    NotList,
    Eof,
}

fn set(data: &MapRef, key: &str, v: Value) {
    // strvals never sets an empty key.
    if key.is_empty() {
        return;
    }
    data.borrow_mut().insert(key.to_string(), v);
}

fn set_index(list: &mut Vec<Value>, i: i64, v: Value) -> Result<(), ParseError> {
    if i < 0 {
        return Err(format!("negative {i} index not allowed").into());
    }
    if i > MAX_INDEX {
        return Err(
            format!("index of {i} is greater than maximum supported index of {MAX_INDEX}").into(),
        );
    }
    let idx = usize::try_from(i).unwrap_or(0);
    if list.len() <= idx {
        list.resize(idx + 1, Value::Nil);
    }
    if let Some(slot) = list.get_mut(idx) {
        *slot = v;
    }
    Ok(())
}

/// Go's `strconv.Atoi`: optional sign, decimal digits only.
fn go_atoi(s: &str) -> Option<i64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// strvals `typedVal` for `--set`.
fn typed_val(val: String) -> Value {
    if val.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if val.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if val.eq_ignore_ascii_case("null") {
        return Value::Nil;
    }
    if val == "0" {
        return Value::int64(0);
    }
    if !val.is_empty() && !val.starts_with('0') {
        if let Some(i) = go_parse_int10(&val) {
            return Value::int64(i);
        }
    }
    Value::string(val)
}

/// `strconv.ParseInt(s, 10, 64)`: sign, digits, no underscores.
fn go_parse_int10(s: &str) -> Option<i64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `--set-file`: the value is a path (`-` is standard input) whose content becomes a string.
fn read_file_value(path: &str) -> Result<Value, ParseError> {
    let data = if path.trim() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    };
    match data {
        Ok(bytes) => Ok(Value::string(String::from_utf8_lossy(&bytes).into_owned())),
        Err(source) => Err(ParseError::Read(ValuesError::Read {
            path: path.to_string(),
            source,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Errors carry Helm's CLI prefix here, as `ValuesOptions::merge` adds it.
    fn run(exprs: &[(&str, SetKind)]) -> Result<String, String> {
        let mut v = Value::empty_map();
        for (e, k) in exprs {
            apply_set(&mut v, e, *k).map_err(|err| match err {
                ValuesError::Read { .. } => err.to_string(),
                other => format!("failed parsing {} data: {other}", k.flag()),
            })?;
        }
        Ok(super::super::tests::to_json(&v))
    }

    fn set1(e: &str) -> Result<String, String> {
        run(&[(e, SetKind::Value)])
    }

    // Expected outputs below were produced by `helm template` with a template printing
    // `{{ toJson .Values }}` (int64 and float64 print alike in JSON).
    #[test]
    fn typed_values() {
        assert_eq!(
            set1("a=1,b=true,c=FALSE,d=1.5,e=007,f=0,g=-3,h=0x1f,i=null,j=,k=+4").unwrap(),
            r#"{"a":1,"b":true,"c":false,"d":"1.5","e":"007","f":0,"g":-3,"h":"0x1f","i":null,"j":"","k":4}"#
        );
    }

    #[test]
    fn int64_is_kept() {
        let mut v = Value::empty_map();
        apply_set(&mut v, "n=42", SetKind::Value).unwrap();
        assert!(matches!(v.get("n"), Some(Value::Int(42, _))));
        apply_set(&mut v, "n=42", SetKind::String).unwrap();
        assert_eq!(v.get("n"), Some(Value::str("42")));
    }

    #[test]
    fn nesting_lists_and_escapes() {
        assert_eq!(
            set1(r"a.b.c=x,l[1]=y,m[0].k=v,n={a,b,3},e=a\,b,f\.g=h,q=a=b").unwrap(),
            r#"{"a":{"b":{"c":"x"}},"e":"a,b","f.g":"h","l":[null,"y"],"m":[{"k":"v"}],"n":["a","b",3],"q":"a=b"}"#
        );
        assert_eq!(
            set1("z[0][1]=x,y={},w=").unwrap(),
            r#"{"w":"","y":[""],"z":[[null,"x"]]}"#
        );
        // Truncated input ends parsing silently, as in Helm.
        assert_eq!(set1("a[").unwrap(), "{}");
        assert_eq!(set1("a[0]").unwrap(), r#"{"a":[]}"#);
        assert_eq!(set1("a.").unwrap(), "{}");
    }

    #[test]
    fn later_assignments_override_and_merge() {
        assert_eq!(
            run(&[("a.b=1,a.c=2", SetKind::Value), ("a.b=3", SetKind::String)]).unwrap(),
            r#"{"a":{"b":"3","c":2}}"#
        );
    }

    #[test]
    fn errors_like_strvals() {
        assert_eq!(
            set1("a").unwrap_err(),
            "failed parsing --set data: key \"a\" has no value"
        );
        assert_eq!(
            set1("a,b=1").unwrap_err(),
            "failed parsing --set data: key \"a\" has no value (cannot end with ,)"
        );
        assert_eq!(
            set1("a.=1").unwrap_err(),
            "failed parsing --set data: key map \"a\" has no value"
        );
        assert_eq!(
            set1("a=1,a.b=2").unwrap_err(),
            "failed parsing --set data: unable to parse key: interface conversion: interface {} is int64, not map[string]interface {}"
        );
        assert_eq!(
            set1("a=null,a.b=1").unwrap_err(),
            "failed parsing --set data: unable to parse key: interface conversion: interface {} is nil, not map[string]interface {}"
        );
        assert_eq!(
            set1("a.b=1,a[0]=2").unwrap_err(),
            "failed parsing --set data: unable to parse key: interface conversion: interface {} is map[string]interface {}, not []interface {}"
        );
        assert_eq!(
            set1("a[x]=1").unwrap_err(),
            "failed parsing --set data: error parsing index: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            set1("a[-1]=1").unwrap_err(),
            "failed parsing --set data: negative -1 index not allowed"
        );
        assert_eq!(
            set1("a[70000]=1").unwrap_err(),
            "failed parsing --set data: index of 70000 is greater than maximum supported index of 65536"
        );
        assert_eq!(
            set1("a={x,y").unwrap_err(),
            "failed parsing --set data: list must terminate with '}'"
        );
        assert_eq!(
            set1("a[0]x=1").unwrap_err(),
            "failed parsing --set data: unexpected data at end of array index: ['x']"
        );
    }

    #[test]
    fn literal_takes_everything() {
        assert_eq!(
            run(&[(r"a.b=x,y=z\,{1}", SetKind::Literal)]).unwrap(),
            r#"{"a":{"b":"x,y=z\\,{1}"}}"#
        );
        assert_eq!(
            run(&[("l[1]=v,w", SetKind::Literal)]).unwrap(),
            r#"{"l":[null,"v,w"]}"#
        );
    }

    #[test]
    fn json_values() {
        assert_eq!(
            run(&[(r#"a={"x":[1,2]},b=2 , c=,d="s""#, SetKind::Json)]).unwrap(),
            r#"{" c":null,"a":{"x":[1,2]},"b":2,"d":"s"}"#
        );
        let mut v = Value::empty_map();
        apply_set(&mut v, "n=3", SetKind::Json).unwrap();
        assert!(matches!(v.get("n"), Some(Value::Float(_))));
        assert_eq!(
            run(&[
                ("a.b=1", SetKind::Value),
                (r#"{"a":{"c":2}}"#, SetKind::Json)
            ])
            .unwrap(),
            r#"{"a":{"b":1,"c":2}}"#
        );
        assert!(run(&[("a={bad", SetKind::Json)])
            .unwrap_err()
            .starts_with("failed parsing --set-json data: a={bad"));
    }

    #[test]
    fn file_values() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        std::fs::write(&p, "line1\nline2\n").unwrap();
        let expr = format!("cfg={}", p.display());
        assert_eq!(
            run(&[(&expr, SetKind::File)]).unwrap(),
            r#"{"cfg":"line1\nline2\n"}"#
        );
        let missing = format!("cfg={}", dir.path().join("nope").display());
        assert!(run(&[(&missing, SetKind::File)])
            .unwrap_err()
            .starts_with("cannot read"));
    }
}
