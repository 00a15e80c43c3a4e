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
        Value::Int(i) => {
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
    } else if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let dpu = dp as usize;
        if dpu >= digits.len() {
            out.push_str(&digits);
            for _ in digits.len()..dpu {
                out.push('0');
            }
        } else {
            out.push_str(digits.get(..dpu).unwrap_or(""));
            out.push('.');
            out.push_str(digits.get(dpu..).unwrap_or(""));
        }
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
