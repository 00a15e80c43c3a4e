//! `toYaml` output, byte for byte as Helm prints it.
//!
//! Helm's `toYaml` is sigs.k8s.io/yaml `Marshal`: the value is JSON-encoded, the JSON is
//! decoded again by go-yaml v2 (so numbers regain int/float types) and that is printed by
//! go-yaml v2's libyaml-derived emitter. What users see follows from that chain:
//! - map keys sorted with go-yaml's "natural" order (`a2` before `a10`, non-letters first);
//! - sequences inside mappings are not indented (`key:\n- a`);
//! - float64 values that are whole print as integers (`1000000`, not `1e+06`), other floats
//!   with Go's `%g` (`0.5`, `1e-07`, `1.5e+300`);
//! - strings are quoted when plain text would read back as something else (`"yes"`, `"1"`,
//!   `""`, `"2001-12-14"`), single-quoted when plain is merely not allowed (`' x'`, `'a: b'`),
//!   double-quoted with escapes when they hold control or non-BMP characters, and written as
//!   literal blocks (`|`, `|-`, `|+`) when they contain a newline;
//! - long plain and quoted scalars are folded at spaces after column 80.
//!
//! `toYamlPretty` uses go-yaml v3's encoder on the value directly (no JSON step), indenting
//! sequences under their keys and never folding lines; [`to_yaml_pretty`] mirrors that.

use std::fmt;
use std::rc::Rc;

use super::json::{base64_encode, format_json_float};
use super::load::{is_base60_float, resolves_as_string};
use crate::template::value::{format_float_g, Value};

/// Why a value cannot be printed as YAML (JSON marshalling refused it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct EmitError(pub String);

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Helm's `toYaml` before its trailing-newline trim: "" when the value cannot be marshalled
/// (Helm swallows the error).
pub fn to_yaml(v: &Value) -> String {
    try_to_yaml(v).unwrap_or_default()
}

/// `toYaml` with the marshalling error kept (`mustToYaml`).
pub fn try_to_yaml(v: &Value) -> Result<String, EmitError> {
    let node = json_node(v)?;
    let mut e = Emitter::new(Mode::V2);
    e.document(&node);
    Ok(e.out)
}

/// Helm's `toYamlPretty` (go-yaml v3 encoder, indent 2) before the trailing-newline trim.
pub fn to_yaml_pretty(v: &Value) -> String {
    let node = direct_node(v);
    let mut e = Emitter::new(Mode::V3);
    e.document(&node);
    e.out
}

/// A node ready for the emitter. Scalars that are not strings are always plain.
enum Node {
    Plain(String),
    Str(Rc<str>),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// The value as sigs.k8s.io/yaml hands it to go-yaml: after `json.Marshal` and a go-yaml
/// decode of that JSON.
fn json_node(v: &Value) -> Result<Node, EmitError> {
    Ok(match v {
        Value::Nil => Node::Plain("null".to_string()),
        Value::Bool(b) => Node::Plain(b.to_string()),
        Value::Int(i, _) => Node::Plain(i.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                let shown = if f.is_nan() {
                    "NaN"
                } else if *f > 0.0 {
                    "+Inf"
                } else {
                    "-Inf"
                };
                return Err(EmitError(format!(
                    "error marshaling into JSON: json: unsupported value: {shown}"
                )));
            }
            Node::Plain(json_number_as_yaml(*f))
        }
        Value::String(s) => Node::Str(json_string_as_yaml(s)?),
        Value::Bytes(b) => Node::Str(Rc::from(base64_encode(b))),
        Value::List(items) => Node::Seq(items.iter().map(json_node).collect::<Result<_, _>>()?),
        Value::Map(m) => {
            let m = m.borrow();
            let mut entries: Vec<(String, Node)> = Vec::with_capacity(m.len());
            let mut folded_keys = false;
            for (k, item) in m.iter() {
                let key = if k.contains(|c: char| !c.is_ascii()) {
                    json_string_as_yaml(&Rc::from(k.as_str()))?.to_string()
                } else {
                    k.clone()
                };
                folded_keys |= key != *k;
                entries.push((key, json_node(item)?));
            }
            if folded_keys {
                // Folding can make keys collide; go-yaml keeps the later one.
                let mut seen = std::collections::HashMap::new();
                for (i, (k, _)) in entries.iter().enumerate() {
                    seen.insert(k.clone(), i);
                }
                entries = entries
                    .into_iter()
                    .enumerate()
                    .filter(|(i, (k, _))| seen.get(k) == Some(i))
                    .map(|(_, e)| e)
                    .collect();
            }
            Node::Map(sort_entries(entries, false))
        }
        Value::Object(o) => json_node(&o.to_data())?,
    })
}

/// A string after the JSON text is read back by go-yaml: libyaml's reader refuses some
/// characters that JSON leaves unescaped (DEL, C1 controls, U+FFFE/U+FFFF), and a raw NEL
/// (U+0085) is a line break inside the double-quoted scalar, so it is folded like one.
fn json_string_as_yaml(s: &Rc<str>) -> Result<Rc<str>, EmitError> {
    if s.chars().any(|c| {
        let n = c as u32;
        n == 0x7F || ((0x80..=0x9F).contains(&n) && n != 0x85) || n == 0xFFFE || n == 0xFFFF
    }) {
        return Err(EmitError(
            "yaml: control characters are not allowed".to_string(),
        ));
    }
    if !s.contains('\u{85}') {
        return Ok(s.clone());
    }
    // Flow-scalar folding: spaces around a run of breaks vanish; one break becomes a space,
    // n breaks become n-1 newlines.
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut pending_spaces = 0usize;
    while let Some(c) = chars.next() {
        match c {
            ' ' => pending_spaces += 1,
            '\u{85}' => {
                pending_spaces = 0;
                let mut breaks = 1;
                while let Some(&n) = chars.peek() {
                    match n {
                        ' ' => {}
                        '\u{85}' => breaks += 1,
                        _ => break,
                    }
                    chars.next();
                }
                if breaks == 1 {
                    out.push(' ');
                } else {
                    for _ in 1..breaks {
                        out.push('\n');
                    }
                }
            }
            other => {
                for _ in 0..pending_spaces {
                    out.push(' ');
                }
                pending_spaces = 0;
                out.push(other);
            }
        }
    }
    for _ in 0..pending_spaces {
        out.push(' ');
    }
    Ok(Rc::from(out))
}

/// How a float64 prints after JSON encoding and go-yaml's re-resolution of the number: a
/// JSON integer that fits int64/uint64 stays an integer, anything else is a float printed
/// with `%g`.
fn json_number_as_yaml(f: f64) -> String {
    let text = format_json_float(f);
    if !text.contains(['.', 'e']) {
        if let Ok(i) = text.parse::<i64>() {
            return i.to_string();
        }
        if let Ok(u) = text.parse::<u64>() {
            return u.to_string();
        }
    }
    format_float_g(f)
}

/// The value as go-yaml v3 sees plain Go data (no JSON step).
fn direct_node(v: &Value) -> Node {
    match v {
        Value::Nil => Node::Plain("null".to_string()),
        Value::Bool(b) => Node::Plain(b.to_string()),
        Value::Int(i, _) => Node::Plain(i.to_string()),
        Value::Float(f) => Node::Plain(if f.is_nan() {
            ".nan".to_string()
        } else if f.is_infinite() {
            if *f > 0.0 { ".inf" } else { "-.inf" }.to_string()
        } else {
            format_float_g(*f)
        }),
        Value::String(s) => Node::Str(s.clone()),
        // go-yaml v3 prints a []byte as a sequence of integers.
        Value::Bytes(b) => Node::Seq(b.iter().map(|x| Node::Plain(x.to_string())).collect()),
        Value::List(items) => Node::Seq(items.iter().map(direct_node).collect()),
        Value::Map(m) => {
            let entries = m
                .borrow()
                .iter()
                .map(|(k, item)| (k.clone(), direct_node(item)))
                .collect();
            Node::Map(sort_entries(entries, true))
        }
        Value::Object(o) => direct_node(&o.to_data()),
    }
}

/// Sort map entries with go-yaml's key order. A merge sort that only asks "less?" keeps us
/// panic-free whatever the comparison does with odd keys. Entries arrive in byte order,
/// which usually is the natural order already.
fn sort_entries(entries: Vec<(String, Node)>, v3: bool) -> Vec<(String, Node)> {
    if entries.windows(2).all(|w| !key_less(&w[1].0, &w[0].0, v3)) {
        return entries;
    }
    let mut entries = entries;
    merge_sort(&mut entries, &|a, b| key_less(&a.0, &b.0, v3));
    entries
}

fn key_less(a: &str, b: &str, v3: bool) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return natural_less(a.as_bytes(), b.as_bytes(), v3);
    }
    let ac: Vec<char> = a.chars().collect();
    let bc: Vec<char> = b.chars().collect();
    natural_less(&ac, &bc, v3)
}

/// A character sequence for [`natural_less`]: bytes of an ASCII key or decoded chars.
trait CharAt: Copy {
    fn ch(self) -> char;
}

impl CharAt for u8 {
    fn ch(self) -> char {
        char::from(self)
    }
}

impl CharAt for char {
    fn ch(self) -> char {
        self
    }
}

fn merge_sort<T>(items: &mut Vec<T>, less: &dyn Fn(&T, &T) -> bool) {
    if items.len() <= 1 {
        return;
    }
    let right_half = items.split_off(items.len() / 2);
    let mut left: Vec<T> = std::mem::take(items);
    let mut right = right_half;
    merge_sort(&mut left, less);
    merge_sort(&mut right, less);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut li = left.into_iter().peekable();
    let mut ri = right.into_iter().peekable();
    loop {
        let take_right = match (li.peek(), ri.peek()) {
            (Some(l), Some(r)) => less(r, l),
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => break,
        };
        let next = if take_right { ri.next() } else { li.next() };
        if let Some(x) = next {
            out.push(x);
        }
    }
    *items = out;
}

fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

/// go-yaml's `keyList.Less` for two string keys: runs of digits compare by value, letters
/// by code point, and a non-letter sorts before a letter. v3 adds a rule for a letter that
/// follows a run of equal digits.
fn natural_less<T: CharAt>(a: &[T], b: &[T], v3: bool) -> bool {
    let mut digits = false;
    let n = a.len().min(b.len());
    for i in 0..n {
        let (ac, bc) = (a[i].ch(), b[i].ch());
        if ac == bc {
            digits = is_digit(ac);
            continue;
        }
        let al = is_letter(ac);
        let bl = is_letter(bc);
        if al && bl {
            return ac < bc;
        }
        if al || bl {
            if v3 && digits {
                return al;
            }
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ac == '0' || bc == '0' {
            let mut j = i;
            while j > 0 && is_digit(a[j - 1].ch()) {
                j -= 1;
                if a[j].ch() != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < a.len() && is_digit(a[ai].ch()) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(a[ai].ch() as u32) - i64::from('0' as u32));
            ai += 1;
        }
        let mut bi = i;
        while bi < b.len() && is_digit(b[bi].ch()) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(b[bi].ch() as u32) - i64::from('0' as u32));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ac < bc;
    }
    a.len() < b.len()
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// go-yaml v2 as used by sigs.k8s.io/yaml: indentless sequences in mappings, folding.
    V2,
    /// go-yaml v3 with indent 2: sequences indented under keys, no folding.
    V3,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// libyaml's scalar analysis: which styles can represent the text faithfully.
struct Analysis {
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// libyaml's `is_printable` on UTF-8: note that it rejects everything outside the BMP, so
/// emoji end up double-quoted as `\U0001F600`.
fn is_printable(c: char) -> bool {
    let n = c as u32;
    n == 0x0A
        || (0x20..=0x7E).contains(&n)
        || (0xA0..=0xD7FF).contains(&n)
        || ((0xE000..=0xFFFD).contains(&n) && n != 0xFEFF)
}

fn analyze(value: &str, mode: Mode) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut tab_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;

    if value.starts_with("---") || value.starts_with("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut chars = value.char_indices().peekable();
    let mut first = true;
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let followed_by_whitespace = next.is_none_or(is_blank);
        let last = next.is_none();
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                '?' | ':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                '-' if followed_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_indicators = true,
                ':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                '#' if preceded_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        }
        if mode == Mode::V3 && c == '\t' {
            tab_characters = true;
        } else if !is_printable(c) {
            special_characters = true;
        }
        if c == ' ' {
            if first {
                leading_space = true;
            }
            if last {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if first {
                leading_break = true;
            }
            if last {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c);
        first = false;
        let _ = i;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || tab_characters || special_characters {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_indicators {
        a.flow_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// The style go-yaml's encoder asks for a string (`stringv`).
fn requested_style(s: &str, mode: Mode) -> Style {
    if s.contains('\n') {
        return Style::Literal;
    }
    let can_use_plain =
        resolves_as_string(s) && !is_base60_float(s) && !(mode == Mode::V3 && is_old_bool(s));
    if can_use_plain {
        Style::Plain
    } else {
        Style::Double
    }
}

/// YAML 1.1 booleans that go-yaml v3 no longer reads as such but still quotes.
fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

const BEST_INDENT: i32 = 2;
const BEST_WIDTH: usize = 80;

/// The parts of libyaml's emitter state that block-style output depends on.
struct Emitter {
    out: String,
    mode: Mode,
    best_width: usize,
    indent: i32,
    indents: Vec<i32>,
    column: usize,
    whitespace: bool,
    indention: bool,
    flow_level: usize,
    mapping_context: bool,
    simple_key_context: bool,
}

impl Emitter {
    fn new(mode: Mode) -> Self {
        Emitter {
            out: String::new(),
            mode,
            best_width: if mode == Mode::V2 {
                BEST_WIDTH
            } else {
                usize::MAX
            },
            indent: -1,
            indents: Vec::new(),
            column: 0,
            whitespace: true,
            indention: true,
            flow_level: 0,
            mapping_context: false,
            simple_key_context: false,
        }
    }

    fn document(&mut self, node: &Node) {
        self.node(node, false, false);
        // Document end: go-yaml ends the last line.
        self.write_indent();
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        for c in ind.chars() {
            self.put(c);
        }
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn node(&mut self, node: &Node, mapping: bool, simple_key: bool) {
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        match node {
            Node::Plain(s) => self.scalar(s, Style::Plain),
            Node::Str(s) => self.scalar(s, requested_style(s, self.mode)),
            Node::Seq(items) if items.is_empty() => self.empty_flow("[", "]"),
            Node::Map(entries) if entries.is_empty() => self.empty_flow("{", "}"),
            Node::Seq(items) => self.block_sequence(items),
            Node::Map(entries) => self.block_mapping(entries),
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.flow_level += 1;
        self.flow_level -= 1;
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    fn block_sequence(&mut self, items: &[Node]) {
        let indentless = match self.mode {
            Mode::V2 => self.mapping_context && !self.indention,
            Mode::V3 => false,
        };
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, false, false);
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, entries: &[(String, Node)]) {
        self.increase_indent(false, false);
        for (key, value) in entries {
            self.write_indent();
            let analysis = analyze(key, self.mode);
            let key_node_style = requested_style(key, self.mode);
            if !analysis.multiline && key.len() <= 128 {
                self.mapping_context = true;
                self.simple_key_context = true;
                self.scalar_analyzed(key, key_node_style, &analysis);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.mapping_context = true;
                self.simple_key_context = false;
                self.scalar_analyzed(key, key_node_style, &analysis);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(value, true, false);
        }
        self.pop_indent();
    }

    fn scalar(&mut self, value: &str, style: Style) {
        let analysis = analyze(value, self.mode);
        self.scalar_analyzed(value, style, &analysis);
    }

    fn scalar_analyzed(&mut self, value: &str, requested: Style, a: &Analysis) {
        let style = self.select_style(value, requested, a);
        self.increase_indent(true, false);
        let allow_breaks = !self.simple_key_context;
        match style {
            Style::Plain => self.write_plain(value, allow_breaks),
            Style::Single => self.write_single(value, allow_breaks),
            Style::Double => self.write_double(value, allow_breaks),
            Style::Literal => self.write_literal(value),
        }
        self.pop_indent();
    }

    fn select_style(&self, value: &str, requested: Style, a: &Analysis) -> Style {
        let mut style = requested;
        if self.simple_key_context && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain {
            if (self.flow_level > 0 && !a.flow_plain_allowed)
                || (self.flow_level == 0 && !a.block_plain_allowed)
            {
                style = Style::Single;
            }
            if value.is_empty() && (self.flow_level > 0 || self.simple_key_context) {
                style = Style::Single;
            }
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal
            && (!a.block_allowed || self.flow_level > 0 || self.simple_key_context)
        {
            style = Style::Double;
        }
        style
    }

    fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        // Common case: the text cannot reach the folding column and holds no breaks.
        let width = value.chars().count();
        if (!allow_breaks || self.column.saturating_add(width) <= self.best_width)
            && !value.chars().any(is_break)
        {
            self.out.push_str(value);
            self.column += width;
            self.whitespace = false;
            self.indention = false;
            return;
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            let next_is_space = chars.peek() == Some(&' ');
            if c == ' ' {
                if allow_breaks && !spaces && self.column > self.best_width && !next_is_space {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let len = value.len();
        let mut chars = value.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let next_is_space = chars.peek().map(|&(_, n)| n) == Some(' ');
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i + 1 < len
                    && !next_is_space
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, value: &str, allow_breaks: bool) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        self.write_indicator("\"", true, false, false);
        // libyaml's BOM test looks at the start of the string for every character, so a
        // leading BOM makes it escape everything.
        let bom = value.starts_with('\u{FEFF}');
        let mut spaces = false;
        let len = value.len();
        let mut chars = value.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if !is_printable(c) || bom || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                let short = match c {
                    '\0' => Some('0'),
                    '\u{7}' => Some('a'),
                    '\u{8}' => Some('b'),
                    '\t' => Some('t'),
                    '\n' => Some('n'),
                    '\u{b}' => Some('v'),
                    '\u{c}' => Some('f'),
                    '\r' => Some('r'),
                    '\u{1b}' => Some('e'),
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    '\u{85}' => Some('N'),
                    '\u{a0}' => Some('_'),
                    '\u{2028}' => Some('L'),
                    '\u{2029}' => Some('P'),
                    _ => None,
                };
                match short {
                    Some(s) => self.put(s),
                    None => {
                        let n = c as u32;
                        let (tag, width) = if n <= 0xFF {
                            ('x', 2)
                        } else if n <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(tag);
                        for k in (0..width).rev() {
                            self.put(char::from(HEX[((n >> (4 * k)) & 0xF) as usize]));
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > self.best_width && i > 0 && i + 1 < len
                {
                    self.write_indent();
                    if chars.peek().map(|&(_, n)| n) == Some(' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        // Block scalar hints: an explicit indentation when the text starts with a space or
        // a break, and the chomping indicator for the trailing breaks.
        if value.starts_with(' ') || value.chars().next().is_some_and(is_break) {
            self.write_indicator("2", false, false, false);
        }
        let mut rev = value.chars().rev();
        let chomp = match rev.next() {
            None => Some("-"),
            Some(last) if !is_break(last) => Some("-"),
            Some(_) => match rev.next() {
                None => Some("+"),
                Some(prev) if is_break(prev) => Some("+"),
                Some(_) => None,
            },
        };
        if let Some(ch) = chomp {
            self.write_indicator(ch, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut rest = value;
        while let Some(c) = rest.chars().next() {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
                rest = &rest[c.len_utf8()..];
            } else {
                if breaks {
                    self.write_indent();
                }
                // The rest of the line in one go.
                let line_len = rest.find(is_break).unwrap_or(rest.len());
                let line = &rest[..line_len];
                self.out.push_str(line);
                self.column += line.chars().count();
                self.indention = false;
                breaks = false;
                rest = &rest[line_len..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::value::Map;
    use crate::yaml::load_str;

    // The .toYaml / .toYamlPretty files are helm v4's `{{ toYaml .Values }}` and
    // `{{ toYamlPretty .Values }}` for tricky.yaml as the chart's values.
    const TRICKY: &str = include_str!("testdata/tricky.yaml");

    #[test]
    fn to_yaml_matches_helm_on_tricky_values() {
        let v = load_str(TRICKY, "tricky.yaml").unwrap();
        assert_eq!(to_yaml(&v), include_str!("testdata/tricky.toYaml"));
    }

    #[test]
    fn to_yaml_pretty_matches_helm_on_tricky_values() {
        let v = load_str(TRICKY, "tricky.yaml").unwrap();
        assert_eq!(
            to_yaml_pretty(&v),
            include_str!("testdata/tricky.toYamlPretty")
        );
    }

    fn map(entries: &[(&str, Value)]) -> Value {
        let mut m = Map::new();
        for (k, v) in entries {
            m.insert(k.to_string(), v.clone());
        }
        Value::map(m)
    }

    #[test]
    fn scalars_at_the_root() {
        assert_eq!(to_yaml(&Value::Nil), "null\n");
        assert_eq!(to_yaml(&Value::str("a")), "a\n");
        assert_eq!(to_yaml(&Value::str("a\nb")), "|-\n  a\n  b\n");
        assert_eq!(to_yaml(&Value::Float(1e6)), "1000000\n");
        assert_eq!(to_yaml_pretty(&Value::Float(1e6)), "1e+06\n");
        assert_eq!(to_yaml(&Value::int(-3)), "-3\n");
        assert_eq!(to_yaml(&Value::empty_map()), "{}\n");
        assert_eq!(to_yaml(&Value::list(vec![])), "[]\n");
    }

    #[test]
    fn pretty_layouts_match_helm() {
        // helm v4: {{ toYamlPretty … }} / {{ toYaml … }} of template-built values.
        let ints = |v: &[i64]| Value::list(v.iter().map(|i| Value::int(*i)).collect());
        assert_eq!(to_yaml_pretty(&Value::str("a")), "a\n");
        assert_eq!(to_yaml_pretty(&Value::str("a\nb")), "|-\n  a\n  b\n");
        let nested = Value::list(vec![ints(&[1, 2]), ints(&[])]);
        assert_eq!(to_yaml_pretty(&nested), "- - 1\n  - 2\n- []\n");
        assert_eq!(to_yaml(&nested), "- - 1\n  - 2\n- []\n");
        assert_eq!(to_yaml_pretty(&Value::Nil), "null\n");
        let deep = map(&[(
            "k",
            Value::list(vec![map(&[("a", Value::int(1)), ("b", ints(&[1]))])]),
        )]);
        assert_eq!(to_yaml_pretty(&deep), "k:\n  - a: 1\n    b:\n      - 1\n");
        assert_eq!(to_yaml(&deep), "k:\n- a: 1\n  b:\n  - 1\n");
        let multiline_key = map(&[("a\nb", Value::int(1))]);
        assert_eq!(to_yaml_pretty(&multiline_key), "? |-\n  a\n  b\n: 1\n");
        assert_eq!(to_yaml(&multiline_key), "? |-\n  a\n  b\n: 1\n");
        let quoted = Value::list(
            ["yes", "y", "0755", "", " x"]
                .iter()
                .map(|s| Value::str(s))
                .collect(),
        );
        assert_eq!(
            to_yaml_pretty(&quoted),
            "- \"yes\"\n- \"y\"\n- \"0755\"\n- \"\"\n- ' x'\n"
        );
    }

    #[test]
    fn unmarshalable_values_give_empty_output() {
        assert_eq!(to_yaml(&Value::Float(f64::NAN)), "");
        assert_eq!(to_yaml(&map(&[("a", Value::Float(f64::INFINITY))])), "");
        assert_eq!(to_yaml(&map(&[("a", Value::str("x\u{7f}"))])), "");
        assert!(try_to_yaml(&Value::str("\u{80}")).is_err());
        assert_eq!(to_yaml_pretty(&Value::Float(f64::INFINITY)), ".inf\n");
    }

    #[test]
    fn nel_is_folded_by_the_json_round_trip() {
        // helm: {{ toYaml .Values }} with a: "x \u0085 y", b: "x\u0085\u0085y", …
        let v = map(&[
            ("a", Value::str("x \u{85} y")),
            ("b", Value::str("x\u{85}\u{85}y")),
            ("c", Value::str("\u{85}y")),
            ("d", Value::str("x\u{85}")),
            ("h", Value::str("x\t\u{85}\ty")),
            ("i", Value::str("x\u{2028}y")),
            ("j", Value::str("a  b \u{85}\u{85} \u{85} c  ")),
        ]);
        assert_eq!(
            to_yaml(&v),
            "a: x y\nb: |-\n  x\n  y\nc: ' y'\nd: 'x '\nh: \"x\\t \\ty\"\ni: 'x\u{2028}  y'\nj: \"a  b\\n\\nc  \"\n"
        );
    }

    #[test]
    fn bytes_and_ints() {
        let v = map(&[
            ("b", Value::Bytes(std::rc::Rc::from(&b"hi"[..]))),
            ("i", Value::int(7)),
        ]);
        assert_eq!(to_yaml(&v), "b: aGk=\ni: 7\n");
    }

    /// A small deterministic generator of awkward values (xorshift; no external crates).
    /// Property: whatever toYaml / toYamlPretty print loads back as the same value.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn string(&mut self, full_unicode: bool) -> String {
            // "<<" is left out: go-yaml (and we) read a plain "<<" key back as a merge key.
            const POOL: &[&str] = &[
                "",
                "yes",
                "No",
                "on",
                "~",
                "null",
                "1",
                "0755",
                "1e3",
                ".5",
                "0x1F",
                "1:20",
                "2001-12-14",
                " lead",
                "trail ",
                "- x",
                "a: b",
                "a #b",
                "#c",
                "[x]",
                "{x}",
                "*a",
                "&a",
                "!t",
                "|p",
                ">g",
                "'q",
                "\"d",
                "%p",
                "@a",
                "`b",
                "? x",
                ": x",
                "tab\there",
                "bell\u{7}",
                "emoji 😀",
                "é",
                "line1\nline2",
                "x\n",
                "x\n\n",
                "\nlead",
                " a\nb",
                "a \nb",
                "x\n y",
                "---",
                "...",
                "a'b",
                "\u{a0}",
                "cr\rx",
                "\u{feff}bom",
                "a\\b",
                "-",
                "+1",
                ".inf",
                "0b1",
            ];
            let mut out = String::new();
            for _ in 0..=self.below(3) {
                if self.below(3) == 0 {
                    out.push_str(POOL[self.below(POOL.len())]);
                } else {
                    let c = match self.below(10) {
                        0 => ' ',
                        1 => '\n',
                        // C1 controls, except NEL: the loader (YAML 1.2 rules) does not
                        // treat NEL/LS/PS as line breaks the way libyaml does.
                        2 if full_unicode => {
                            char::from_u32(0x86 + self.below(0x1a) as u32).unwrap_or('x')
                        }
                        3 => ':',
                        4 => '#',
                        _ => char::from(b'a' + self.below(26) as u8),
                    };
                    out.push(c);
                    if self.below(4) == 0 {
                        // Long text exercises folding at column 80.
                        out.push_str(&"lorem ipsum ".repeat(self.below(12)));
                    }
                }
            }
            out
        }

        fn value(&mut self, depth: usize, full_unicode: bool) -> Value {
            let kinds = if depth == 0 { 5 } else { 7 };
            match self.below(kinds) {
                0 => Value::Nil,
                1 => Value::Bool(self.below(2) == 0),
                2 => {
                    const FLOATS: &[f64] = &[
                        0.0,
                        1.0,
                        -1.0,
                        0.5,
                        1e6,
                        1e-7,
                        1.5e300,
                        1e21,
                        1e20,
                        123456789.123,
                        0.1,
                        12345678901234567890.0,
                        -0.0,
                        3.25e-5,
                    ];
                    Value::Float(FLOATS[self.below(FLOATS.len())])
                }
                3 => Value::int(self.next() as i64 >> self.below(64)),
                4 => Value::string(self.string(full_unicode)),
                5 => Value::list(
                    (0..self.below(4))
                        .map(|_| self.value(depth - 1, full_unicode))
                        .collect(),
                ),
                _ => {
                    let mut m = Map::new();
                    for _ in 0..self.below(5) {
                        let k = self.string(full_unicode);
                        let v = self.value(depth - 1, full_unicode);
                        m.insert(k, v);
                    }
                    Value::map(m)
                }
            }
        }
    }

    #[test]
    fn round_trip_through_the_loader() {
        let mut g = Gen(0x9E37_79B9_7F4A_7C15);
        for i in 0..3000 {
            let v = g.value(4, false);
            let text = to_yaml(&v);
            let back = load_str(&text, "rt").unwrap_or_else(|e| panic!("case {i}: {e}\n{text}"));
            assert!(
                back == v,
                "case {i}: toYaml\n{text}\nloaded as {back:?}\nwanted {v:?}"
            );
            // Both loader paths (fast and general) must agree.
            let general = crate::yaml::load_all_general(&text, "rt").unwrap();
            assert!(
                general.first() == Some(&back),
                "case {i}: paths differ on\n{text}"
            );
        }
    }

    #[test]
    fn pretty_round_trip_through_the_loader() {
        let mut g = Gen(0x2545_F491_4F6C_DD1D);
        for i in 0..3000 {
            let v = g.value(4, true);
            let text = to_yaml_pretty(&v);
            let back = load_str(&text, "rt").unwrap_or_else(|e| panic!("case {i}: {e}\n{text}"));
            assert!(
                back == v,
                "case {i}: toYamlPretty\n{text}\nloaded as {back:?}\nwanted {v:?}"
            );
            // Both loader paths (fast and general) must agree.
            let general = crate::yaml::load_all_general(&text, "rt").unwrap();
            assert!(
                general.first() == Some(&back),
                "case {i}: paths differ on\n{text}"
            );
        }
    }
}
