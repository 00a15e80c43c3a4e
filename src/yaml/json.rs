//! JSON as Go's `encoding/json` writes and reads it, for `toJson`, `toPrettyJson`,
//! `toRawJson` and `fromJson`.
//!
//! Go details copied on purpose: map keys sorted, no spaces, `<`, `>` and `&` escaped as
//! `\u003c`… (unless raw), U+2028/U+2029 always escaped, floats in the shortest form that
//! round-trips with exponent form only below 1e-6 or from 1e21 (`1e+21`, `1e-7`), and
//! `[]byte` as base64 text.

use std::fmt::Write as _;

use crate::template::value::{shortest_digits, Value};

/// A value JSON cannot represent (`json: unsupported value: NaN`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("json: unsupported value: {0}")]
pub struct JsonError(pub String);

/// How the encoder lays out output.
#[derive(Clone, Copy)]
struct Style<'a> {
    escape_html: bool,
    /// `Some(indent)` for `MarshalIndent("", indent)`.
    indent: Option<&'a str>,
}

/// `json.Marshal`: compact, HTML-escaped.
pub fn to_json(v: &Value) -> Result<String, JsonError> {
    encode(
        v,
        Style {
            escape_html: true,
            indent: None,
        },
    )
}

/// `json.MarshalIndent(v, "", "  ")` as Sprig's `toPrettyJson` uses it.
pub fn to_pretty_json(v: &Value) -> Result<String, JsonError> {
    encode(
        v,
        Style {
            escape_html: true,
            indent: Some("  "),
        },
    )
}

/// Sprig's `toRawJson`: an encoder with `SetEscapeHTML(false)`, trailing newline trimmed.
pub fn to_raw_json(v: &Value) -> Result<String, JsonError> {
    encode(
        v,
        Style {
            escape_html: false,
            indent: None,
        },
    )
}

fn encode(v: &Value, style: Style<'_>) -> Result<String, JsonError> {
    let mut out = String::new();
    write_value(&mut out, v, style, 0)?;
    Ok(out)
}

fn newline(out: &mut String, style: Style<'_>, depth: usize) {
    if let Some(indent) = style.indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(indent);
        }
    }
}

fn write_value(
    out: &mut String,
    v: &Value,
    style: Style<'_>,
    depth: usize,
) -> Result<(), JsonError> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i, _) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_float(out, *f)?,
        Value::String(s) => write_string(out, s, style.escape_html),
        Value::Bytes(b) => {
            out.push('"');
            out.push_str(&base64_encode(b));
            out.push('"');
        }
        Value::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                write_value(out, item, style, depth + 1)?;
            }
            newline(out, style, depth);
            out.push(']');
        }
        Value::Map(m) => {
            let m = m.borrow();
            if m.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                write_string(out, k, style.escape_html);
                out.push(':');
                if style.indent.is_some() {
                    out.push(' ');
                }
                write_value(out, item, style, depth + 1)?;
            }
            newline(out, style, depth);
            out.push('}');
        }
        Value::Object(o) => write_value(out, &o.to_data(), style, depth)?,
    }
    Ok(())
}

/// Go's float64 encoder: `strconv.FormatFloat(f, 'f' or 'e', -1, 64)`, with exponent form
/// for |f| < 1e-6 or ≥ 1e21 and `e-07` cleaned up to `e-7`.
pub fn write_float(out: &mut String, f: f64) -> Result<(), JsonError> {
    if f.is_nan() {
        return Err(JsonError("NaN".to_string()));
    }
    if f.is_infinite() {
        return Err(JsonError(if f > 0.0 { "+Inf" } else { "-Inf" }.to_string()));
    }
    out.push_str(&format_json_float(f));
    Ok(())
}

/// The text Go's `encoding/json` gives a finite float64.
pub fn format_json_float(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let abs = f.abs();
    let (digits, dp) = shortest_digits(f);
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    if !(1e-6..1e21).contains(&abs) {
        out.push_str(digits.get(..1).unwrap_or("0"));
        if digits.len() > 1 {
            out.push('.');
            out.push_str(digits.get(1..).unwrap_or(""));
        }
        let exp = dp - 1;
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        // strconv pads to two digits; encoding/json strips the pad for negative exponents.
        if e < 10 && exp >= 0 {
            out.push('0');
        }
        let _ = write!(out, "{e}");
    } else {
        crate::template::value::layout_fixed(&mut out, &digits, dp);
    }
    out
}

/// A JSON string literal as Go writes it.
pub fn write_string(out: &mut String, s: &str, escape_html: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '<' | '>' | '&' if escape_html => None,
            '\u{2028}' | '\u{2029}' => None,
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                let n = c as u32;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(char::from(HEX[((n >> shift) & 0xf) as usize]));
                }
            }
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Standard base64 with padding (Go's `base64.StdEncoding`), as JSON writes `[]byte`.
pub fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A JSON document Go's `json.Unmarshal` would reject, with Go's message
/// (`invalid character 'x' looking for beginning of value`, `unexpected end of JSON input`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct JsonParseError(pub String);

/// `json.Unmarshal` into `interface{}`: objects become maps, arrays lists, numbers float64.
pub fn from_json(src: &str) -> Result<Value, JsonParseError> {
    let (v, type_error) = from_json_lenient(src)?;
    match type_error {
        Some(e) => Err(e),
        None => Ok(v),
    }
}

/// Like [`from_json`], but a value that is syntactically fine and only out of range for its
/// Go type (`1e400`) becomes nil and is reported beside the decoded value, as Go's decoder
/// keeps going after such errors.
pub fn from_json_lenient(src: &str) -> Result<(Value, Option<JsonParseError>), JsonParseError> {
    let mut p = JsonParser {
        s: src.as_bytes(),
        src,
        i: 0,
        depth: 0,
        type_error: None,
    };
    p.skip_ws();
    let v = p.value()?;
    p.skip_ws();
    if let Some(c) = p.peek_char() {
        return Err(JsonParseError(format!(
            "invalid character {} after top-level value",
            quote_char(c)
        )));
    }
    Ok((v, p.type_error.map(JsonParseError)))
}

/// Go's `quoteChar` for error messages.
fn quote_char(c: char) -> String {
    match c {
        '\'' => "'\\''".to_string(),
        '"' => "'\"'".to_string(),
        c => {
            let q = format!("{:?}", c.to_string());
            // Rust's Debug quoting matches strconv.Quote for the characters JSON errors show.
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

struct JsonParser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    depth: usize,
    /// The first value that parsed but did not fit its Go type (a number out of range).
    type_error: Option<String>,
}

/// Go allows 10000 levels; we stop at 1000 so that deep input cannot overflow the stack of
/// a small thread. Real documents come nowhere near either.
const JSON_MAX_DEPTH: usize = 1000;

impl JsonParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn peek_char(&self) -> Option<char> {
        self.src.get(self.i..).and_then(|r| r.chars().next())
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eof() -> JsonParseError {
        JsonParseError("unexpected end of JSON input".to_string())
    }

    fn invalid(&self, context: &str) -> JsonParseError {
        match self.peek_char() {
            Some(c) => JsonParseError(format!("invalid character {} {context}", quote_char(c))),
            None => Self::eof(),
        }
    }

    fn value(&mut self) -> Result<Value, JsonParseError> {
        match self.peek() {
            None => Err(Self::eof()),
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => Ok(Value::string(self.string()?)),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Nil),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.invalid("looking for beginning of value")),
        }
    }

    fn enter(&mut self) -> Result<(), JsonParseError> {
        self.depth += 1;
        if self.depth > JSON_MAX_DEPTH {
            return Err(JsonParseError("exceeded max depth".to_string()));
        }
        Ok(())
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, JsonParseError> {
        for (k, expected) in word.bytes().enumerate() {
            match self.peek() {
                None => return Err(Self::eof()),
                Some(c) if c == expected => self.i += 1,
                Some(_) if k == 0 => return Err(self.invalid("looking for beginning of value")),
                Some(_) => {
                    return Err(self.invalid(&format!(
                        "in literal {word} (expecting {})",
                        quote_char(char::from(expected))
                    )))
                }
            }
        }
        Ok(v)
    }

    fn number(&mut self) -> Result<Value, JsonParseError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.i += 1;
                }
            }
            None => {
                return Err(JsonParseError(
                    "invalid character ' ' in numeric literal".into(),
                ))
            }
            Some(_) => return Err(self.invalid("in numeric literal")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            match self.peek() {
                Some(c) if c.is_ascii_digit() => {}
                None => {
                    return Err(JsonParseError(
                        "invalid character ' ' after decimal point in numeric literal".into(),
                    ))
                }
                Some(_) => return Err(self.invalid("after decimal point in numeric literal")),
            }
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            match self.peek() {
                Some(c) if c.is_ascii_digit() => {}
                None => {
                    return Err(JsonParseError(
                        "invalid character ' ' in exponent of numeric literal".into(),
                    ))
                }
                Some(_) => return Err(self.invalid("in exponent of numeric literal")),
            }
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
        }
        let text = self.src.get(start..self.i).unwrap_or("0");
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => {
                // Go records the type error, leaves the value nil and keeps decoding.
                if self.type_error.is_none() {
                    self.type_error = Some(format!(
                        "json: cannot unmarshal number {text} into Go value of type float64"
                    ));
                }
                Ok(Value::Nil)
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonParseError> {
        let mut n = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                None => return Err(Self::eof()),
                Some(c) => match char::from(c).to_digit(16) {
                    Some(d) => d,
                    None => return Err(self.invalid("in \\u hexadecimal character escape")),
                },
            };
            self.i += 1;
            n = n * 16 + d;
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, JsonParseError> {
        // Opening quote.
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.push_str(self.src.get(start..self.i).unwrap_or(""));
            match self.peek() {
                None => return Err(Self::eof()),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let Some(e) = self.peek() else {
                        return Err(Self::eof());
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi)
                                && self.s.get(self.i) == Some(&b'\\')
                                && self.s.get(self.i + 1) == Some(&b'u')
                            {
                                let save = self.i;
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                    out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                    continue;
                                }
                                self.i = save;
                            }
                            out.push(char::from_u32(hi).unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.invalid("in string escape code"));
                        }
                    }
                }
                Some(_) => return Err(self.invalid("in string literal")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, JsonParseError> {
        self.enter()?;
        self.i += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return Ok(Value::list(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    break;
                }
                None => return Err(Self::eof()),
                Some(_) => return Err(self.invalid("after array element")),
            }
        }
        self.depth -= 1;
        Ok(Value::list(items))
    }

    fn object(&mut self) -> Result<Value, JsonParseError> {
        self.enter()?;
        self.i += 1;
        let mut map = crate::template::value::Map::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok(Value::map(map));
        }
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(Self::eof()),
                Some(_) => return Err(self.invalid("looking for beginning of object key string")),
            }
            let key = self.string()?;
            self.skip_ws();
            match self.peek() {
                Some(b':') => self.i += 1,
                None => return Err(Self::eof()),
                Some(_) => return Err(self.invalid("after object key")),
            }
            self.skip_ws();
            let v = self.value()?;
            map.insert(key, v);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                None => return Err(Self::eof()),
                Some(_) => return Err(self.invalid("after object key:value pair")),
            }
        }
        self.depth -= 1;
        Ok(Value::map(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load_str;

    // Expected strings are helm v4 output of toJson / toPrettyJson / toRawJson / fromJson.

    const SAMPLE: &str = r#"
html: "<a href='x'>&</a>"
ls: "a\u2028b\u2029c"
ctl: "\x01\x1f\b\f\t\n\r\"\\/"
nums: [0, 1, -1, 0.5, 1e6, 1e20, 1e21, 1e-6, 1e-7, 1.5e-7, 123456789012345678, 0.000001234, 100000000000000000000000]
empty: {}
el: []
nested: {a: [1, {b: null}], c: true}
emoji: "😀é"
"#;

    #[test]
    fn encoders_match_helm() {
        let v = load_str(SAMPLE, "v").unwrap();
        assert_eq!(
            to_json(&v).unwrap(),
            r#"{"ctl":"\u0001\u001f\b\f\t\n\r\"\\/","el":[],"emoji":"😀é","empty":{},"html":"\u003ca href='x'\u003e\u0026\u003c/a\u003e","ls":"a\u2028b\u2029c","nested":{"a":[1,{"b":null}],"c":true},"nums":[0,1,-1,0.5,1000000,100000000000000000000,1e+21,0.000001,1e-7,1.5e-7,123456789012345680,0.000001234,1e+23]}"#
        );
        assert_eq!(
            to_raw_json(&v).unwrap(),
            r#"{"ctl":"\u0001\u001f\b\f\t\n\r\"\\/","el":[],"emoji":"😀é","empty":{},"html":"<a href='x'>&</a>","ls":"a\u2028b\u2029c","nested":{"a":[1,{"b":null}],"c":true},"nums":[0,1,-1,0.5,1000000,100000000000000000000,1e+21,0.000001,1e-7,1.5e-7,123456789012345680,0.000001234,1e+23]}"#
        );
        let nested = v.get("nested").unwrap();
        assert_eq!(
            to_pretty_json(&nested).unwrap(),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"c\": true\n}"
        );
        let mixed = Value::list(vec![
            Value::list(vec![]),
            Value::empty_map(),
            Value::Float(1.0),
        ]);
        assert_eq!(to_pretty_json(&mixed).unwrap(), "[\n  [],\n  {},\n  1\n]");
        assert_eq!(to_pretty_json(&Value::empty_map()).unwrap(), "{}");
    }

    #[test]
    fn unsupported_values() {
        assert_eq!(
            to_json(&Value::Float(f64::NAN)).unwrap_err().to_string(),
            "json: unsupported value: NaN"
        );
        assert_eq!(
            to_json(&Value::Float(f64::NEG_INFINITY))
                .unwrap_err()
                .to_string(),
            "json: unsupported value: -Inf"
        );
    }

    fn err(src: &str) -> String {
        from_json(src).unwrap_err().to_string()
    }

    #[test]
    fn decoder_errors_match_go() {
        assert_eq!(err("{\"a\" 1}"), "invalid character '1' after object key");
        assert_eq!(
            err("{\"a\": tru}"),
            "invalid character '}' in literal true (expecting 'e')"
        );
        assert_eq!(
            err("{\"a\": [1,]}"),
            "invalid character ']' looking for beginning of value"
        );
        assert_eq!(
            err("{\"a\": \"\\x\"}"),
            "invalid character 'x' in string escape code"
        );
        assert_eq!(
            err("{\"a\": 1} x"),
            "invalid character 'x' after top-level value"
        );
        assert_eq!(
            err("{\"a\": 01}"),
            "invalid character '1' after object key:value pair"
        );
        assert_eq!(
            err("{\"a\": -}"),
            "invalid character '}' in numeric literal"
        );
        assert_eq!(
            err("{\"a\": 1."),
            "invalid character ' ' after decimal point in numeric literal"
        );
        assert_eq!(err(""), "unexpected end of JSON input");
        assert_eq!(
            err("{'a': 1}"),
            "invalid character '\\'' looking for beginning of object key string"
        );
        assert_eq!(
            err("{\"a\": \"x\ty\"}"),
            "invalid character '\\t' in string literal"
        );
        assert_eq!(
            err("{\"a\": 1e400}"),
            "json: cannot unmarshal number 1e400 into Go value of type float64"
        );
        let (v, e) = from_json_lenient("{\"a\": 1e400}").unwrap();
        assert!(e.is_some());
        assert_eq!(to_json(&v).unwrap(), r#"{"a":null}"#);
    }

    #[test]
    fn decoding() {
        let v = from_json("{\"a\":\"\\ud83d\\ude00\\ud800x\", \"n\": [1, 2.5, -0, true, null]}")
            .unwrap();
        assert_eq!(v.get("a").unwrap().as_str(), Some("😀\u{FFFD}x"));
        assert_eq!(
            to_json(&v).unwrap(),
            r#"{"a":"😀�x","n":[1,2.5,-0,true,null]}"#
        );
        assert!(matches!(from_json(" 3 ").unwrap(), Value::Float(x) if x == 3.0));
    }
}
