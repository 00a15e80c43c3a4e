//! Go's `fmt` formatting for template values: `Sprint`, `Sprintln`, `Sprintf` (the `print`,
//! `println` and `printf` builtins; Sprig reuses them) and `strconv.Quote`.
//!
//! Only the parts charts can reach are modelled, but those exactly: verbs
//! `%v %s %q %d %t %f %F %e %E %g %G %x %X %o %O %b %c %U %T %%`, flags `- + # 0 space`,
//! width and precision (also `*` and explicit argument indexes `%[n]d`), and Go's error
//! notations (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA string=x)`, `%!(NOVERB)`).

use super::value::{shortest_digits, Value};

/// `strconv.Quote`: a double-quoted Go string literal with Go's escapes.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    quote_into(&mut out, s, '"');
    out.push('"');
    out
}

/// `strconv.QuoteRune`-style single-quoted literal.
fn quote_rune(c: char) -> String {
    let mut out = String::from("'");
    quote_into(&mut out, c.encode_utf8(&mut [0u8; 4]), '\'');
    out.push('\'');
    out
}

fn quote_into(out: &mut String, s: &str, q: char) {
    for c in s.chars() {
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            '\u{fffd}' => out.push(c),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
}

/// Approximates Go's `strconv.IsPrint`: printable unless a control, format or separator
/// character (other than U+0020).
fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    // Format characters (Cf) commonly met: soft hyphen, zero-width and bidi marks, BOM.
    !matches!(u, 0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xE000..=0xF8FF | 0xF0000..=0x10FFFF)
}

/// `fmt.Sprint`: operands printed with `%v`, a space added between operands when neither
/// is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_));
        if i > 0 && !is_string && !matches!(args[i - 1], Value::String(_)) {
            out.push(' ');
        }
        let mut p = Printer::new(&mut out);
        p.print_arg(arg, 'v');
    }
    out
}

/// `fmt.Sprintln`: operands printed with `%v`, always space-separated, newline appended.
pub fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let mut p = Printer::new(&mut out);
        p.print_arg(arg, 'v');
    }
    out.push('\n');
    out
}

/// `fmt.Sprintf` with Go's verbs, flags and error notations (a transcription of the state
/// machine of Go's `doPrintf`).
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let bytes = format.as_bytes();
    let end = bytes.len();
    let mut arg_num = 0usize;
    // Set once any explicit `[n]` index is seen; disables the EXTRA report.
    let mut reordered = false;
    let mut i = 0usize;
    while i < end {
        let mut good_arg_num = true;
        let lasti = i;
        while i < end && bytes[i] != b'%' {
            i += 1;
        }
        if i > lasti {
            out.push_str(&format[lasti..i]);
        }
        if i >= end {
            break;
        }
        // Skip '%'.
        i += 1;
        let mut flags = Flags::default();
        while i < end {
            match bytes[i] {
                b'#' => flags.sharp = true,
                b'0' => flags.zero = true,
                b'+' => flags.plus = true,
                b'-' => flags.minus = true,
                b' ' => flags.space = true,
                _ => break,
            }
            i += 1;
        }
        // Argument index, then width. `after_index` is Go's `afterIndex` (the previous
        // item was an index like `[3]`); `reordered` (any index seen) only decides whether
        // unused arguments are reported as EXTRA.
        let mut index = ArgIndex::parse(arg_num, format, i, args.len());
        index.apply(&mut arg_num, &mut i, &mut reordered, &mut good_arg_num);
        let mut after_index = index.found;
        if bytes.get(i) == Some(&b'*') {
            i += 1;
            let (w, is_int, na) = int_from_arg(args, arg_num);
            arg_num = na;
            flags.width = Some(w);
            if !is_int {
                out.push_str("%!(BADWIDTH)");
            }
            if w < 0 {
                flags.width = Some(-w);
                flags.minus = true;
                flags.zero = false;
            }
            after_index = false;
        } else {
            let (w, ni) = parse_num(format, i);
            if ni > i {
                flags.width = w;
                if after_index {
                    good_arg_num = false;
                }
            }
            i = ni;
        }
        // Precision.
        if i + 1 < end && bytes[i] == b'.' {
            i += 1;
            if after_index {
                good_arg_num = false;
            }
            index = ArgIndex::parse(arg_num, format, i, args.len());
            index.apply(&mut arg_num, &mut i, &mut reordered, &mut good_arg_num);
            after_index = index.found;
            if bytes.get(i) == Some(&b'*') {
                i += 1;
                let (p, is_int, na) = int_from_arg(args, arg_num);
                arg_num = na;
                flags.prec = if p < 0 { None } else { Some(p) };
                // A negative precision counts as absent, which Go reports too.
                if !is_int || p < 0 {
                    out.push_str("%!(BADPREC)");
                }
                after_index = false;
            } else {
                let (p, ni) = parse_num(format, i);
                flags.prec = Some(p.unwrap_or(0));
                i = ni;
            }
        }
        if !after_index {
            index = ArgIndex::parse(arg_num, format, i, args.len());
            index.apply(&mut arg_num, &mut i, &mut reordered, &mut good_arg_num);
        }
        if i >= end {
            out.push_str("%!(NOVERB)");
            break;
        }
        let verb = format[i..].chars().next().unwrap_or('%');
        i += verb.len_utf8();
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !good_arg_num {
            out.push_str("%!");
            out.push(verb);
            out.push_str("(BADINDEX)");
            continue;
        }
        let Some(arg) = args.get(arg_num) else {
            out.push_str("%!");
            out.push(verb);
            out.push_str("(MISSING)");
            continue;
        };
        if flags.minus {
            flags.zero = false;
        }
        if verb == 'v' {
            // `%+v` and `%#v` mean struct-field and Go syntax, not sign and alternate form.
            flags.sharp_v = flags.sharp;
            flags.sharp = false;
            flags.plus = false;
        }
        arg_num += 1;
        let mut p = Printer {
            out: &mut out,
            flags,
        };
        p.print_arg(arg, verb);
    }
    if !reordered && arg_num < args.len() {
        out.push_str("%!(EXTRA ");
        for (k, arg) in args[arg_num..].iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            if arg.is_nil() {
                out.push_str("<nil>");
            } else {
                out.push_str(&arg.type_name());
                out.push('=');
                let mut p = Printer::new(&mut out);
                p.print_arg(arg, 'v');
            }
        }
        out.push(')');
    }
    out
}

/// Go's `argNumber`: an explicit argument index like `[2]` at `i`, if there is one.
struct ArgIndex {
    arg_num: usize,
    next: usize,
    /// An index was written (`[`…`]`), valid or not.
    bracket: bool,
    /// It parsed as a number (Go's `found`).
    found: bool,
    /// It names an existing argument.
    good: bool,
}

impl ArgIndex {
    fn parse(arg_num: usize, format: &str, i: usize, num_args: usize) -> ArgIndex {
        let bytes = format.as_bytes();
        let none = ArgIndex {
            arg_num,
            next: i,
            bracket: false,
            found: false,
            good: true,
        };
        if bytes.get(i) != Some(&b'[') {
            return none;
        }
        // Go's `parseArgNumber`: at least `[n]`, digits only, one-based.
        let close = bytes[i + 1..].iter().position(|&b| b == b']');
        let (index, next, found) = match close {
            Some(k) if bytes.len() - i >= 3 => {
                let inner = &format[i + 1..i + 1 + k];
                let digits = !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit());
                match inner.parse::<usize>() {
                    Ok(n) if digits => (n.checked_sub(1), i + k + 2, true),
                    _ => (None, i + k + 2, false),
                }
            }
            _ => (None, i + 1, false),
        };
        match index {
            Some(n) if found && n < num_args => ArgIndex {
                arg_num: n,
                next,
                bracket: true,
                found: true,
                good: true,
            },
            _ => ArgIndex {
                arg_num,
                next,
                bracket: true,
                found,
                good: false,
            },
        }
    }

    fn apply(&self, arg_num: &mut usize, i: &mut usize, reordered: &mut bool, good: &mut bool) {
        *arg_num = self.arg_num;
        *i = self.next;
        if self.bracket {
            *reordered = true;
        }
        if !self.good {
            *good = false;
        }
    }
}

fn parse_num(format: &str, start: usize) -> (Option<i64>, usize) {
    let bytes = format.as_bytes();
    let mut i = start;
    let mut n: i64 = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        n = n
            .saturating_mul(10)
            .saturating_add(i64::from(bytes[i] - b'0'));
        if n > 1_000_000 {
            // Go gives up on absurd widths: no width, and the digits are consumed.
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            return (None, i);
        }
        i += 1;
    }
    if i == start {
        (None, i)
    } else {
        (Some(n), i)
    }
}

fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    match args.get(arg_num) {
        Some(Value::Int(n, _)) if n.unsigned_abs() <= 1_000_000 => (*n, true, arg_num + 1),
        Some(_) => (0, false, arg_num + 1),
        None => (0, false, arg_num),
    }
}

#[derive(Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    /// `%#v`: Go-syntax representation.
    sharp_v: bool,
    width: Option<i64>,
    prec: Option<i64>,
}

struct Printer<'a> {
    out: &'a mut String,
    flags: Flags,
}

impl<'a> Printer<'a> {
    fn new(out: &'a mut String) -> Self {
        Printer {
            out,
            flags: Flags::default(),
        }
    }

    /// Write `s` padded to the width (spaces, or zeros when `zero` and allowed).
    fn pad(&mut self, s: &str) {
        let width = self.flags.width.unwrap_or(0).max(0) as usize;
        let len = s.chars().count();
        if len >= width {
            self.out.push_str(s);
            return;
        }
        let fill = width - len;
        if self.flags.minus {
            self.out.push_str(s);
            self.out.extend(std::iter::repeat_n(' ', fill));
        } else {
            let c = if self.flags.zero { '0' } else { ' ' };
            self.out.extend(std::iter::repeat_n(c, fill));
            self.out.push_str(s);
        }
    }

    /// Padding for strings: Go never zero-pads... except it does for `%05s` (it pads with
    /// zeros), so `pad` is used as is.
    fn fmt_string(&mut self, s: &str, verb: char) {
        match verb {
            'v' | 's' => {
                let s = self.truncate(s);
                self.pad(&s);
            }
            'q' => {
                let s = self.truncate(s);
                let q = if self.flags.sharp && !s.contains('`') {
                    format!("`{s}`")
                } else if self.flags.plus {
                    quote_ascii(&s)
                } else {
                    quote(&s)
                };
                self.pad(&q);
            }
            'x' | 'X' => self.fmt_hex_bytes(s.as_bytes(), verb),
            _ => {}
        }
    }

    fn truncate(&self, s: &str) -> String {
        match self.flags.prec {
            Some(p) if p >= 0 => s.chars().take(p as usize).collect(),
            _ => s.to_string(),
        }
    }

    fn fmt_hex_bytes(&mut self, b: &[u8], verb: char) {
        let b = match self.flags.prec {
            Some(p) if p >= 0 && (p as usize) < b.len() => &b[..p as usize],
            _ => b,
        };
        let digits: &[u8; 16] = if verb == 'X' {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let mut s = String::with_capacity(b.len() * 2);
        for (i, byte) in b.iter().enumerate() {
            if self.flags.space && i > 0 {
                s.push(' ');
            }
            if self.flags.sharp && (self.flags.space || i == 0) {
                s.push('0');
                s.push(verb);
            }
            s.push(digits[(byte >> 4) as usize] as char);
            s.push(digits[(byte & 15) as usize] as char);
        }
        self.pad(&s);
    }

    fn bad_verb(&mut self, arg: &Value, verb: char) {
        self.out.push_str("%!");
        self.out.push(verb);
        self.out.push('(');
        if arg.is_nil() {
            self.out.push_str("<nil>");
        } else {
            self.out.push_str(&arg.type_name());
            self.out.push('=');
            self.print_arg(arg, 'v');
        }
        self.out.push(')');
    }

    fn print_arg(&mut self, arg: &Value, verb: char) {
        if self.flags.sharp_v && verb == 'v' {
            let s = go_syntax(arg);
            self.pad(&s);
            return;
        }
        if verb == 'T' {
            let t = if arg.is_nil() {
                "<nil>".to_string()
            } else {
                arg.type_name()
            };
            self.fmt_string(&t, 's');
            return;
        }
        match arg {
            Value::Nil => match verb {
                'v' => self.pad("<nil>"),
                _ => self.bad_verb(arg, verb),
            },
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad(if *b { "true" } else { "false" }),
                _ => self.bad_verb(arg, verb),
            },
            Value::Int(n, _) => self.fmt_int_verb(arg, *n, verb),
            Value::Float(x) => self.fmt_float_verb(arg, *x, verb),
            Value::String(s) => match verb {
                'v' | 's' | 'q' | 'x' | 'X' => self.fmt_string(s, verb),
                _ => self.bad_verb(arg, verb),
            },
            Value::Bytes(b) => match verb {
                's' | 'q' => self.fmt_string(&String::from_utf8_lossy(b), verb),
                'x' | 'X' => self.fmt_hex_bytes(b, verb),
                _ => {
                    // Printed like a list of uint8.
                    let items: Vec<Value> = b.iter().map(|x| Value::int(i64::from(*x))).collect();
                    self.print_list(&items, verb);
                }
            },
            Value::List(items) => self.print_list(items, verb),
            Value::Map(m) => {
                self.out.push_str("map[");
                for (i, (k, v)) in m.borrow().iter().enumerate() {
                    if i > 0 {
                        self.out.push(' ');
                    }
                    self.print_arg(&Value::str(k), verb);
                    self.out.push(':');
                    self.print_nested(v, verb);
                }
                self.out.push(']');
            }
            Value::Object(o) => match verb {
                'v' | 's' => self.fmt_string(&o.display(), 's'),
                'q' | 'x' | 'X' => self.fmt_string(&o.display(), verb),
                _ => self.bad_verb(arg, verb),
            },
        }
    }

    /// An element inside a list or map: a nil interface prints `<nil>` whatever the verb.
    fn print_nested(&mut self, v: &Value, verb: char) {
        if v.is_nil() {
            self.pad("<nil>");
        } else {
            self.print_arg(v, verb);
        }
    }

    fn print_list(&mut self, items: &[Value], verb: char) {
        self.out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(' ');
            }
            self.print_nested(item, verb);
        }
        self.out.push(']');
    }

    fn fmt_int_verb(&mut self, arg: &Value, n: i64, verb: char) {
        match verb {
            'v' | 'd' => self.fmt_integer(n, 10, verb),
            'b' => self.fmt_integer(n, 2, verb),
            'o' | 'O' => self.fmt_integer(n, 8, verb),
            'x' | 'X' => self.fmt_integer(n, 16, verb),
            'c' => {
                let c = u32::try_from(n)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{fffd}');
                self.pad(&c.to_string());
            }
            'q' => {
                let c = u32::try_from(n)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{fffd}');
                self.pad(&quote_rune(c));
            }
            'U' => {
                let mut s = format!("U+{:04X}", n);
                if self.flags.sharp {
                    if let Some(c) = u32::try_from(n).ok().and_then(char::from_u32) {
                        if is_go_printable(c) {
                            s.push_str(&format!(" '{c}'"));
                        }
                    }
                }
                self.pad(&s);
            }
            _ => self.bad_verb(arg, verb),
        }
    }

    fn fmt_integer(&mut self, n: i64, base: u32, verb: char) {
        let neg = n < 0;
        let mag = n.unsigned_abs();
        let mut digits = match base {
            2 => format!("{mag:b}"),
            8 => format!("{mag:o}"),
            16 if verb == 'X' => format!("{mag:X}"),
            16 => format!("{mag:x}"),
            _ => mag.to_string(),
        };
        // Precision is the minimum number of digits; %.0d of 0 prints nothing.
        if let Some(p) = self.flags.prec {
            if p == 0 && n == 0 {
                digits.clear();
            }
            while (digits.len() as i64) < p {
                digits.insert(0, '0');
            }
        } else if self.flags.zero && !self.flags.minus {
            if let Some(w) = self.flags.width {
                let mut extra = 0;
                if neg || self.flags.plus || self.flags.space {
                    extra += 1;
                }
                if self.flags.sharp && matches!(base, 16 | 2) || verb == 'O' {
                    extra += 2;
                } else if self.flags.sharp && base == 8 && !digits.starts_with('0') {
                    extra += 1;
                }
                while (digits.len() as i64) + extra < w {
                    digits.insert(0, '0');
                }
            }
        }
        let mut prefix = String::new();
        if neg {
            prefix.push('-');
        } else if self.flags.plus {
            prefix.push('+');
        } else if self.flags.space {
            prefix.push(' ');
        }
        if self.flags.sharp {
            match base {
                2 => prefix.push_str("0b"),
                8 if !digits.starts_with('0') => prefix.push('0'),
                16 if verb == 'X' => prefix.push_str("0X"),
                16 => prefix.push_str("0x"),
                _ => {}
            }
        }
        if verb == 'O' {
            prefix.push_str("0o");
        }
        let s = format!("{prefix}{digits}");
        let saved = self.flags.zero;
        self.flags.zero = false;
        self.pad(&s);
        self.flags.zero = saved;
    }

    fn fmt_float_verb(&mut self, arg: &Value, x: f64, verb: char) {
        match verb {
            'v' => self.fmt_float(x, 'g', self.flags.prec),
            'g' | 'G' | 'b' | 'x' | 'X' => self.fmt_float(x, verb, self.flags.prec),
            'f' | 'F' | 'e' | 'E' => self.fmt_float(x, verb, Some(self.flags.prec.unwrap_or(6))),
            _ => self.bad_verb(arg, verb),
        }
    }

    fn fmt_float(&mut self, x: f64, verb: char, prec: Option<i64>) {
        let mut num = if x.is_nan() {
            "NaN".to_string()
        } else if x.is_infinite() {
            if x > 0.0 { "+Inf" } else { "-Inf" }.to_string()
        } else {
            let p = prec.map(|p| p.max(0) as usize);
            match verb {
                'e' | 'E' => format_e(x, p.unwrap_or(6), verb == 'E'),
                'f' | 'F' => format!("{:.*}", p.unwrap_or(6), x),
                'g' | 'G' => format_g(x, p, verb == 'G'),
                'x' | 'X' => format_hex_float(x, verb == 'X'),
                'b' => format_binary_float(x),
                _ => format_g(x, None, false),
            }
        };
        if x.is_infinite() || x.is_nan() {
            if x.is_nan() && !(self.flags.plus || self.flags.space) {
                // no sign
            } else if !num.starts_with(['+', '-']) {
                num.insert(0, '+');
            }
            if num.starts_with('+') && !self.flags.plus {
                if self.flags.space {
                    num.replace_range(0..1, " ");
                } else {
                    num.remove(0);
                }
            }
            let saved = self.flags.zero;
            self.flags.zero = false;
            self.pad(&num);
            self.flags.zero = saved;
            return;
        }
        if self.flags.sharp && verb != 'b' && !num.contains('.') {
            // %#g etc keep a decimal point.
            if let Some(epos) = num.find(['e', 'E']) {
                num.insert(epos, '.');
            } else {
                num.push('.');
            }
        }
        let neg = num.starts_with('-');
        let body = if neg { &num[1..] } else { &num[..] };
        let sign = if neg {
            "-"
        } else if self.flags.plus {
            "+"
        } else if self.flags.space {
            " "
        } else {
            ""
        };
        if self.flags.zero && !self.flags.minus {
            let width = self.flags.width.unwrap_or(0).max(0) as usize;
            let len = sign.len() + body.len();
            self.out.push_str(sign);
            if len < width {
                self.out.extend(std::iter::repeat_n('0', width - len));
            }
            self.out.push_str(body);
        } else {
            let s = format!("{sign}{body}");
            self.pad(&s);
        }
    }
}

/// `%#v`: the Go-syntax form of a value.
fn go_syntax(v: &Value) -> String {
    match v {
        Value::Nil => "<nil>".to_string(),
        Value::String(s) => quote(s),
        Value::Float(x) => format_g(*x, None, false),
        Value::List(items) => {
            let inner: Vec<String> = items.iter().map(go_syntax).collect();
            format!("[]interface {{}}{{{}}}", inner.join(", "))
        }
        Value::Map(m) => {
            let inner: Vec<String> = m
                .borrow()
                .iter()
                .map(|(k, v)| format!("{}:{}", quote(k), go_syntax(v)))
                .collect();
            format!("map[string]interface {{}}{{{}}}", inner.join(", "))
        }
        Value::Bytes(b) => {
            let inner: Vec<String> = b.iter().map(|x| format!("0x{x:x}")).collect();
            format!("[]byte{{{}}}", inner.join(", "))
        }
        other => other.to_string(),
    }
}

/// `strconv.FormatFloat(x, 'x', -1, 64)`: shortest hexadecimal mantissa, `p` exponent.
fn format_hex_float(x: f64, upper: bool) -> String {
    let bits = x.to_bits();
    let neg = bits >> 63 == 1;
    let exp_bits = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    let mut exp = exp_bits - 1023;
    if exp_bits == 0 {
        if mant == 0 {
            exp = 0;
        } else {
            // Subnormal: normalise so the leading digit is 1.
            exp = -1022;
            while mant & (1u64 << 52) == 0 {
                mant <<= 1;
                exp -= 1;
            }
            mant &= (1u64 << 52) - 1;
        }
    }
    let lead = if exp_bits == 0 && bits & ((1u64 << 63) - 1) == 0 {
        '0'
    } else {
        '1'
    };
    let mut frac = format!("{mant:013x}");
    while frac.ends_with('0') {
        frac.pop();
    }
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    s.push_str("0x");
    s.push(lead);
    if !frac.is_empty() {
        s.push('.');
        s.push_str(&frac);
    }
    s.push('p');
    s.push(if exp < 0 { '-' } else { '+' });
    s.push_str(&format!("{:02}", exp.unsigned_abs()));
    if upper {
        s = s.to_uppercase();
    }
    s
}

/// `strconv.FormatFloat(x, 'b', -1, 64)`: decimal mantissa and binary exponent.
fn format_binary_float(x: f64) -> String {
    let bits = x.to_bits();
    let neg = bits >> 63 == 1;
    let exp_bits = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    let exp = if exp_bits == 0 {
        -1074
    } else {
        mant |= 1u64 << 52;
        exp_bits - 1075
    };
    let sign = if neg { "-" } else { "" };
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{sign}{mant}p{esign}{}", exp.unsigned_abs())
}

/// `strconv.QuoteToASCII`.
fn quote_ascii(s: &str) -> String {
    let q = quote(s);
    let mut out = String::with_capacity(q.len());
    for c in q.chars() {
        if c.is_ascii() {
            out.push(c);
        } else if (c as u32) < 0x10000 {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push_str(&format!("\\U{:08x}", c as u32));
        }
    }
    out
}

/// `%e` with `prec` digits after the point: Go writes at least two exponent digits.
fn format_e(x: f64, prec: usize, upper: bool) -> String {
    let s = format!("{:.*e}", prec, x);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let e = if upper { 'E' } else { 'e' };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}{e}{sign}{:02}", exp.unsigned_abs())
}

/// `%g` with an optional precision (significant digits); `None` is the shortest form.
fn format_g(x: f64, prec: Option<usize>, upper: bool) -> String {
    if x == 0.0 {
        let mut s = if x.is_sign_negative() { "-0" } else { "0" }.to_string();
        if upper {
            s = s.to_uppercase();
        }
        return s;
    }
    let (digits, dp, eprec) = match prec {
        None => {
            let (d, dp) = shortest_digits(x);
            (d, dp, 6)
        }
        Some(p) => {
            let p = p.max(1);
            let s = format!("{:.*e}", p - 1, x.abs());
            let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
            let exp: i32 = exp.parse().unwrap_or(0);
            let mut d: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
            while d.len() > 1 && d.ends_with('0') {
                d.pop();
            }
            let dp = exp + 1;
            let nd = d.len() as i32;
            let mut eprec = p as i32;
            if eprec > nd && nd >= dp {
                eprec = nd;
            }
            (d, dp, eprec)
        }
    };
    let exp = dp - 1;
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    if exp < -4 || exp >= eprec {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push(if upper { 'E' } else { 'e' });
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    } else {
        crate::template::value::layout_fixed(&mut out, &digits, dp);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    #[test]
    fn quote_like_strconv() {
        assert_eq!(quote("a\"b\\c\n\t"), r#""a\"b\\c\n\t""#);
        assert_eq!(quote("é\x01"), "\"é\\x01\"");
    }

    #[test]
    fn sprint_spacing() {
        assert_eq!(
            sprint(&[Value::int(1), Value::int(2), s("a"), Value::int(3)]),
            "1 2a3"
        );
        assert_eq!(sprint(&[s("a"), s("b")]), "ab");
        assert_eq!(sprint(&[Value::Nil, Value::int(1)]), "<nil> 1");
        assert_eq!(sprintln(&[s("a"), Value::int(1)]), "a 1\n");
    }

    // Expected outputs checked with helm's printf.
    #[test]
    fn sprintf_verbs() {
        assert_eq!(sprintf("%s-%d", &[s("a"), Value::int(5)]), "a-5");
        assert_eq!(
            sprintf("%v %d", &[Value::Nil, s("s")]),
            "<nil> %!d(string=s)"
        );
        assert_eq!(sprintf("%q", &[s("a\"b")]), r#""a\"b""#);
        assert_eq!(
            sprintf(
                "%5d|%-5d|%05d",
                &[Value::int(42), Value::int(42), Value::int(-42)]
            ),
            "   42|42   |-0042"
        );
        assert_eq!(
            sprintf(
                "%x %X %o %b %#x",
                &[
                    Value::int(255),
                    Value::int(255),
                    Value::int(8),
                    Value::int(5),
                    Value::int(255)
                ]
            ),
            "ff FF 10 101 0xff"
        );
        assert_eq!(
            sprintf(
                "%.2f %f %e %g",
                &[
                    Value::Float(2.34567),
                    Value::Float(1.5),
                    Value::Float(1234.5678),
                    Value::Float(1e6)
                ]
            ),
            "2.35 1.500000 1.234568e+03 1e+06"
        );
        assert_eq!(
            sprintf("%t %v", &[Value::Bool(true), Value::Bool(false)]),
            "true false"
        );
        assert_eq!(sprintf("%s", &[]), "%!s(MISSING)");
        assert_eq!(sprintf("a", &[s("x")]), "a%!(EXTRA string=x)");
        assert_eq!(sprintf("%d%%", &[Value::int(50)]), "50%");
        assert_eq!(sprintf("%c", &[Value::int(65)]), "A");
        assert_eq!(
            sprintf("%T %T %T", &[s("a"), Value::int(1), Value::Float(1.0)]),
            "string int float64"
        );
        assert_eq!(sprintf("%*d", &[Value::int(4), Value::int(7)]), "   7");
        assert_eq!(sprintf("%.3s", &[s("abcdef")]), "abc");
        assert_eq!(sprintf("%+d % d", &[Value::int(3), Value::int(3)]), "+3  3");
        assert_eq!(sprintf("%x", &[s("hi")]), "6869");
        assert_eq!(sprintf("%d", &[Value::Float(1.5)]), "%!d(float64=1.5)");
        assert_eq!(sprintf("%s", &[Value::int(3)]), "%!s(int=3)");
        assert_eq!(sprintf("%", &[]), "%!(NOVERB)");
        assert_eq!(
            sprintf("%8.3f|%-8.2f|", &[Value::Float(2.34567), Value::Float(2.5)]),
            "   2.346|2.50    |"
        );
        assert_eq!(
            sprintf(
                "%.3g %g %G",
                &[
                    Value::Float(2.34567),
                    Value::Float(0.00001),
                    Value::Float(1e-7)
                ]
            ),
            "2.35 1e-05 1E-07"
        );
    }

    #[test]
    fn sprintf_collections() {
        let l = Value::list(vec![s("a"), Value::int(1)]);
        assert_eq!(sprintf("%v", std::slice::from_ref(&l)), "[a 1]");
        assert_eq!(sprintf("%s", std::slice::from_ref(&l)), "[a %!s(int=1)]");
        assert_eq!(
            sprintf("%q", &[Value::list(vec![s("a"), s("b")])]),
            r#"["a" "b"]"#
        );
        let mut m = crate::template::value::Map::new();
        m.insert("k".into(), Value::int(1));
        assert_eq!(sprintf("%v", &[Value::map(m)]), "map[k:1]");
        assert_eq!(sprintf("%d", &[Value::list(vec![Value::Nil])]), "[<nil>]");
    }
}
