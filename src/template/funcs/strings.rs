//! Sprig's string functions (`quote`, `trim*`, `indent`, `trunc`, `title`, case conversions,
//! `split*`, `join`, …), with the exact semantics of the Go code Helm runs: Go's `strings`
//! package, Masterminds/goutils and huandu/xstrings.
//!
//! Several of those Go functions work on bytes, not characters (`trunc`, `substr`, `abbrev`,
//! `wrap`, `initials`, `nospace`). We copy that: cutting inside a multi-byte character gives
//! the same bytes Go would, shown here with U+FFFD where they are not valid UTF-8.

use std::borrow::Cow;

use super::convert::{expect_args, int_arg, string_arg, strslice, strval};
use super::gounicode;
use super::FuncMap;
use crate::template::value::{FuncError, Map, Value};

/// Register the string functions.
pub fn register(map: &mut FuncMap) {
    map.insert("abbrev", abbrev);
    map.insert("abbrevboth", abbrevboth);
    map.insert("trunc", trunc);
    map.insert("trim", trim);
    map.insert("upper", upper);
    map.insert("lower", lower);
    map.insert("title", title);
    map.insert("untitle", untitle);
    map.insert("substr", substr);
    map.insert("repeat", repeat);
    map.insert("trimall", trim_all);
    map.insert("trimAll", trim_all);
    map.insert("trimSuffix", trim_suffix);
    map.insert("trimPrefix", trim_prefix);
    map.insert("nospace", nospace);
    map.insert("initials", initials);
    map.insert("swapcase", swapcase);
    map.insert("snakecase", snakecase);
    map.insert("camelcase", camelcase);
    map.insert("kebabcase", kebabcase);
    map.insert("wrap", wrap);
    map.insert("wrapWith", wrap_with);
    map.insert("contains", contains);
    map.insert("hasPrefix", has_prefix);
    map.insert("hasSuffix", has_suffix);
    map.insert("quote", quote);
    map.insert("squote", squote);
    map.insert("cat", cat);
    map.insert("indent", indent);
    map.insert("nindent", nindent);
    map.insert("replace", replace);
    map.insert("plural", plural);
    map.insert("split", split);
    map.insert("splitList", split_list);
    map.insert("splitn", splitn);
    map.insert("join", join);
    map.insert("sortAlpha", sort_alpha);
    map.insert("hello", hello);
}

/// Sprig's `hello`, registered by Helm like the rest of the map.
fn hello(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("hello", args, 0)?;
    Ok(Value::str("Hello!"))
}

/// A string argument at `idx` (Go `string` parameter).
fn arg<'a>(name: &str, args: &'a [Value], idx: usize) -> Result<Cow<'a, str>, FuncError> {
    match args.get(idx) {
        Some(_) => string_arg(name, args, idx),
        None => Err(FuncError::new(format!("missing argument for {name}"))),
    }
}

/// Bytes that Go would produce, as a string (invalid UTF-8 shown as U+FFFD).
fn from_bytes(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Clamp a Go `int` to a byte index.
fn to_index(n: i64) -> usize {
    usize::try_from(n.max(0)).unwrap_or(usize::MAX)
}

fn abbrev(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("abbrev", args, 2)?;
    let width = int_arg("abbrev", args, 0)?;
    let s = arg("abbrev", args, 1)?;
    if width < 4 {
        return Ok(Value::str(&s));
    }
    Ok(Value::string(abbreviate_full(s.as_bytes(), 0, width)))
}

fn abbrevboth(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("abbrevboth", args, 3)?;
    let left = int_arg("abbrevboth", args, 0)?;
    let right = int_arg("abbrevboth", args, 1)?;
    let s = arg("abbrevboth", args, 2)?;
    // Sprig returns the input unchanged where goutils would return an error.
    if right < 4 || left > 0 && right < 7 {
        return Ok(Value::str(&s));
    }
    Ok(Value::string(abbreviate_full(s.as_bytes(), left, right)))
}

/// goutils `AbbreviateFull` (byte based); its error cases give "" as Sprig ignores the error.
fn abbreviate_full(s: &[u8], offset: i64, max_width: i64) -> String {
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    if s.is_empty() || max_width < 4 {
        return String::new();
    }
    if len <= max_width {
        return from_bytes(s);
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    let marker = "...";
    if offset <= 4 {
        return from_bytes(&s[..to_index(max_width - 3)]) + marker;
    }
    if max_width < 7 {
        return String::new();
    }
    if offset + max_width - 3 < len {
        return marker.to_string() + &abbreviate_full(&s[to_index(offset)..], 0, max_width - 3);
    }
    marker.to_string() + &from_bytes(&s[to_index(len - (max_width - 3))..])
}

fn trunc(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("trunc", args, 2)?;
    let c = int_arg("trunc", args, 0)?;
    let s = arg("trunc", args, 1)?;
    let bytes = s.as_bytes();
    let len = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    // Negative counts keep the end of the string: `trunc -3 "abcdef"` is "def".
    if c < 0 && len + c > 0 {
        return Ok(Value::string(from_bytes(&bytes[to_index(len + c)..])));
    }
    if c >= 0 && len > c {
        return Ok(Value::string(from_bytes(&bytes[..to_index(c)])));
    }
    Ok(Value::str(&s))
}

fn trim(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("trim", args, 1)?;
    Ok(Value::str(arg("trim", args, 0)?.trim()))
}

fn upper(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("upper", args, 1)?;
    Ok(Value::string(gounicode::upper(&arg("upper", args, 0)?)))
}

fn lower(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("lower", args, 1)?;
    Ok(Value::string(gounicode::lower(&arg("lower", args, 0)?)))
}

/// Go's `strings.Title` word boundary: anything but ASCII alphanumerics, `_`, and Unicode
/// letters and digits counts only if it is a space.
fn is_title_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if gounicode::is_letter(c) || gounicode::is_digit(c) {
        return false;
    }
    gounicode::is_space(c)
}

/// Go `strings.Title`: title-case the first letter of every word, leave the rest alone.
pub fn go_title(s: &str) -> String {
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.push(if is_title_separator(prev) {
            gounicode::to_title(c)
        } else {
            c
        });
        prev = c;
    }
    out
}

fn title(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("title", args, 1)?;
    Ok(Value::string(go_title(&arg("title", args, 0)?)))
}

/// goutils `Uncapitalize`: lower-case the first letter after whitespace.
fn untitle(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("untitle", args, 1)?;
    let s = arg("untitle", args, 0)?;
    let mut next = true;
    let out: String = s
        .chars()
        .map(|c| {
            if gounicode::is_space(c) {
                next = true;
                c
            } else if next {
                next = false;
                gounicode::to_lower(c)
            } else {
                c
            }
        })
        .collect();
    Ok(Value::string(out))
}

/// Go's runtime panic text for a bad slice, which text/template turns into the error.
fn slice_error(detail: String) -> FuncError {
    FuncError::new(format!("runtime error: slice bounds out of range {detail}"))
}

fn substr(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("substr", args, 3)?;
    let start = int_arg("substr", args, 0)?;
    let end = int_arg("substr", args, 1)?;
    let s = arg("substr", args, 2)?;
    let bytes = s.as_bytes();
    let len = bytes.len() as i64;
    // Sprig: start < 0 means s[:end]; end < 0 or past the end means s[start:].
    let (lo, hi) = if start < 0 {
        if end < 0 {
            return Err(slice_error(format!("[:{end}]")));
        }
        if end > len {
            return Err(slice_error(format!("[:{end}] with length {len}")));
        }
        (0, end)
    } else if end < 0 || end > len {
        if start > len {
            return Err(slice_error(format!("[{start}:{len}]")));
        }
        (start, len)
    } else {
        if start > end {
            return Err(slice_error(format!("[{start}:{end}]")));
        }
        (start, end)
    };
    Ok(Value::string(from_bytes(
        &bytes[to_index(lo)..to_index(hi)],
    )))
}

/// Refuse results Go could not allocate either; Go would panic with this message on
/// overflow and run out of memory well before.
const MAX_REPEAT_BYTES: usize = 1 << 30;

fn go_repeat(s: &str, count: i64) -> Result<String, FuncError> {
    if count < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    let count = to_index(count);
    match s.len().checked_mul(count) {
        Some(n) if n <= MAX_REPEAT_BYTES => Ok(s.repeat(count)),
        _ => Err(FuncError::new("strings: Repeat output length overflow")),
    }
}

fn repeat(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("repeat", args, 2)?;
    let count = int_arg("repeat", args, 0)?;
    let s = arg("repeat", args, 1)?;
    Ok(Value::string(go_repeat(&s, count)?))
}

/// `trimAll CUTSET S` = Go `strings.Trim(S, CUTSET)`.
fn trim_all(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("trimAll", args, 2)?;
    let cutset = arg("trimAll", args, 0)?;
    let s = arg("trimAll", args, 1)?;
    Ok(Value::str(s.trim_matches(|c| cutset.contains(c))))
}

fn trim_suffix(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("trimSuffix", args, 2)?;
    let suffix = arg("trimSuffix", args, 0)?;
    let s = arg("trimSuffix", args, 1)?;
    Ok(Value::str(s.strip_suffix(&*suffix).unwrap_or(&s)))
}

fn trim_prefix(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("trimPrefix", args, 2)?;
    let prefix = arg("trimPrefix", args, 0)?;
    let s = arg("trimPrefix", args, 1)?;
    Ok(Value::str(s.strip_prefix(&*prefix).unwrap_or(&s)))
}

/// Go's `unicode.IsSpace` applied to a single byte read as a Latin-1 rune, as goutils does.
fn is_latin1_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' | 0x85 | 0xA0)
}

/// goutils `DeleteWhiteSpace`. It walks bytes and re-encodes each kept byte as a Latin-1
/// rune, so non-ASCII text is mangled whenever some whitespace was removed; we copy that.
fn nospace(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("nospace", args, 1)?;
    let s = arg("nospace", args, 0)?;
    if !s.bytes().any(is_latin1_space) {
        return Ok(Value::str(&s));
    }
    let out: String = s
        .bytes()
        .filter(|b| !is_latin1_space(*b))
        .map(char::from)
        .collect();
    Ok(Value::string(out))
}

/// goutils `Initials`: the first byte of every whitespace-separated word (Latin-1 re-encoded,
/// like `nospace`).
fn initials(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("initials", args, 1)?;
    let s = arg("initials", args, 0)?;
    let mut out = String::new();
    let mut gap = true;
    for b in s.bytes() {
        if is_latin1_space(b) {
            gap = true;
        } else if gap {
            out.push(char::from(b));
            gap = false;
        }
    }
    Ok(Value::string(out))
}

/// goutils `SwapCase`: upper and title become lower; lower becomes title after whitespace
/// (or at the start) and upper elsewhere.
fn swapcase(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("swapcase", args, 1)?;
    let s = arg("swapcase", args, 0)?;
    let mut whitespace = true;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if gounicode::is_upper(c) || gounicode::is_title(c) {
            out.push(gounicode::to_lower(c));
            whitespace = false;
        } else if gounicode::is_lower(c) {
            out.push(if whitespace {
                gounicode::to_title(c)
            } else {
                gounicode::to_upper(c)
            });
            whitespace = false;
        } else {
            out.push(c);
            whitespace = gounicode::is_space(c);
        }
    }
    Ok(Value::string(out))
}

fn snakecase(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("snakecase", args, 1)?;
    Ok(Value::string(camel_to_lower(
        &arg("snakecase", args, 0)?,
        '_',
    )))
}

fn kebabcase(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("kebabcase", args, 1)?;
    Ok(Value::string(camel_to_lower(
        &arg("kebabcase", args, 0)?,
        '-',
    )))
}

/// Sprig's `camelcase` is xstrings `ToPascalCase`.
fn camelcase(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("camelcase", args, 1)?;
    Ok(Value::string(to_pascal_case(&arg("camelcase", args, 0)?)))
}

/// xstrings' word connectors: `-`, `_` and whitespace.
fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || gounicode::is_space(c)
}

/// xstrings `toCamelCase(s, isBig=true)`: connectors are dropped and the next rune
/// upper-cased; a run of upper case after a word start is lower-cased ("HTTP_SERVER" →
/// "HttpServer"); leading and doubled connectors survive ("_a__b" → "_A_B").
pub fn to_pascal_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut first_upper = false;
    let mut r0 = None;
    for c in chars.by_ref() {
        if !is_connector(c) {
            first_upper = gounicode::is_upper(c);
            r0 = Some(gounicode::to_upper(c));
            break;
        }
        out.push(c);
    }
    let Some(mut r0) = r0 else {
        // Go writes the last rune once more when the string is all connectors: "__" → "___".
        if let Some(last) = s.chars().last() {
            out.push(last);
        }
        return out;
    };
    for c in chars {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            first_upper = gounicode::is_upper(r0);
            r0 = gounicode::to_upper(r0);
        } else {
            if first_upper {
                if gounicode::is_upper(r0) {
                    r0 = gounicode::to_lower(r0);
                } else {
                    first_upper = false;
                }
            }
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum WordType {
    Invalid,
    Number,
    UpperCase,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// xstrings' `isAlphabet`: a letter that is not a CJK ideograph.
fn is_alphabet(c: char) -> bool {
    if !gounicode::is_letter(c) {
        return false;
    }
    let u = c as u32;
    !(0x4E00..=0x9FCC).contains(&u)
        && !(0x3400..=0x4DB5).contains(&u)
        && !(0x20000..=0x2A6D6).contains(&u)
        && !(0x2A700..=0x2B734).contains(&u)
        && !(0x2B740..=0x2B81D).contains(&u)
        && !(0xF900..=0xFAFF).contains(&u)
        && !(0x2F800..=0x2FA1F).contains(&u)
}

/// xstrings `nextWord`: split off the first word of `s` and classify it.
fn next_word(s: &str) -> (WordType, &str, &str) {
    let mut chars = s.char_indices().peekable();
    let Some((_, first)) = chars.next() else {
        return (WordType::Invalid, "", "");
    };
    let mut end = first.len_utf8();
    // Extend the word while `pred` holds for the following runes.
    let extend = |end: &mut usize, pred: &dyn Fn(char) -> bool| {
        for (i, c) in s[*end..].char_indices() {
            if !pred(c) {
                *end += i;
                return;
            }
        }
        *end = s.len();
    };
    let wt = if is_connector(first) {
        extend(&mut end, &is_connector);
        WordType::Connector
    } else if gounicode::is_punct(first) {
        extend(&mut end, &gounicode::is_punct);
        WordType::Punct
    } else if gounicode::is_upper(first) {
        if let Some(next) = s[end..].chars().next() {
            if gounicode::is_upper(next) {
                // "HTTPStatus" splits as "HTTP" + "Status": the last upper-case rune before
                // a letter starts the next word.
                let mut last_upper_start = end;
                let mut stop = s.len();
                let mut stopped_on_alpha = false;
                for (i, c) in s[end..].char_indices() {
                    if !gounicode::is_upper(c) {
                        stop = end + i;
                        stopped_on_alpha = is_alphabet(c);
                        break;
                    }
                    last_upper_start = end + i;
                }
                end = if stop < s.len() && stopped_on_alpha {
                    last_upper_start
                } else {
                    stop
                };
            } else if is_alphabet(next) {
                extend(&mut end, &|c| is_alphabet(c) && !gounicode::is_upper(c));
            }
        }
        WordType::UpperCase
    } else if is_alphabet(first) {
        extend(&mut end, &|c| is_alphabet(c) && !gounicode::is_upper(c));
        WordType::Alphabet
    } else if gounicode::is_number(first) {
        extend(&mut end, &gounicode::is_number);
        WordType::Number
    } else {
        extend(&mut end, &|c| {
            !(is_connector(c)
                || is_alphabet(c)
                || gounicode::is_number(c)
                || gounicode::is_punct(c))
        });
        WordType::Other
    };
    (wt, &s[..end], &s[end..])
}

/// xstrings `toLower` for one word: upper-case words and connectors are rewritten.
fn push_lower(out: &mut String, wt: WordType, word: &str, connector: char) {
    if wt != WordType::UpperCase && wt != WordType::Connector {
        out.push_str(word);
        return;
    }
    for c in word.chars() {
        if is_connector(c) {
            out.push(connector);
        } else if gounicode::is_upper(c) {
            out.push(gounicode::to_lower(c));
        } else {
            out.push(c);
        }
    }
}

/// xstrings `camelCaseToLowerCase`, behind `snakecase` and `kebabcase`:
/// "HTTPServer" → "http_server", "http2xx" → "http_2xx", "Bld4Floor3rd" → "bld4_floor_3rd".
pub fn camel_to_lower(s: &str, connector: char) -> String {
    if s.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(s.len() + 4);
    let (mut wt, mut word, mut remaining) = next_word(s);
    while !remaining.is_empty() {
        if wt != WordType::Connector {
            push_lower(&mut out, wt, word, connector);
        }
        let prev = wt;
        let last = word;
        (wt, word, remaining) = next_word(remaining);
        match prev {
            WordType::Number => {
                while wt == WordType::Alphabet || wt == WordType::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word, remaining) = next_word(remaining);
                }
                if wt != WordType::Invalid && wt != WordType::Punct && wt != WordType::Connector {
                    out.push(connector);
                }
            }
            WordType::Connector => push_lower(&mut out, prev, last, connector),
            WordType::Punct => {}
            _ => {
                if wt != WordType::Number {
                    if wt != WordType::Connector && wt != WordType::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if remaining.is_empty() {
                    continue;
                }
                let number = word;
                (wt, word, remaining) = next_word(remaining);
                // A number followed by anything but letters belongs to the previous word:
                // "Bld4Floor" → "bld4_floor".
                if wt != WordType::Alphabet {
                    push_lower(&mut out, WordType::Number, number, connector);
                    if wt != WordType::Connector && wt != WordType::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                // Lower-case letters after a number start a new word: "HTTP2xx" → "http_2xx".
                out.push(connector);
                push_lower(&mut out, WordType::Number, number, connector);
                while wt == WordType::Alphabet || wt == WordType::Number {
                    push_lower(&mut out, wt, word, connector);
                    (wt, word, remaining) = next_word(remaining);
                }
                if wt != WordType::Invalid && wt != WordType::Connector && wt != WordType::Punct {
                    out.push(connector);
                }
            }
        }
    }
    push_lower(&mut out, wt, word, connector);
    out
}

/// goutils `WrapCustom` (byte based): break at the last space within `width`; long words
/// are kept whole unless `wrap_long` (then cut at `width` bytes).
pub fn wrap_custom(s: &str, width: i64, newline: &str, wrap_long: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let newline = if newline.is_empty() { "\n" } else { newline };
    let width = to_index(width.max(1));
    let bytes = s.as_bytes();
    let len = bytes.len();
    let mut offset = 0usize;
    let mut out: Vec<u8> = Vec::with_capacity(len + len / width.max(1));
    while len - offset > width {
        if bytes[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = width + offset + 1;
        let window = &bytes[offset..end];
        if let Some(space) = window.iter().rposition(|b| *b == b' ') {
            let at = offset + space;
            out.extend_from_slice(&bytes[offset..at]);
            out.extend_from_slice(newline.as_bytes());
            offset = at + 1;
        } else if wrap_long {
            let end = width + offset;
            out.extend_from_slice(&bytes[offset..end]);
            out.extend_from_slice(newline.as_bytes());
            offset += width;
        } else {
            let end = width + offset;
            match bytes[end..].iter().position(|b| *b == b' ') {
                None => {
                    out.extend_from_slice(&bytes[offset..]);
                    offset = len;
                }
                Some(index) => {
                    let at = index + end;
                    out.extend_from_slice(&bytes[offset..at]);
                    out.extend_from_slice(newline.as_bytes());
                    offset = at + 1;
                }
            }
        }
    }
    out.extend_from_slice(&bytes[offset..]);
    from_bytes(&out)
}

fn wrap(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("wrap", args, 2)?;
    let width = int_arg("wrap", args, 0)?;
    let s = arg("wrap", args, 1)?;
    Ok(Value::string(wrap_custom(&s, width, "", false)))
}

fn wrap_with(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("wrapWith", args, 3)?;
    let width = int_arg("wrapWith", args, 0)?;
    let sep = arg("wrapWith", args, 1)?;
    let s = arg("wrapWith", args, 2)?;
    Ok(Value::string(wrap_custom(&s, width, &sep, true)))
}

fn contains(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("contains", args, 2)?;
    let needle = arg("contains", args, 0)?;
    let s = arg("contains", args, 1)?;
    Ok(Value::Bool(s.contains(&*needle)))
}

fn has_prefix(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("hasPrefix", args, 2)?;
    let prefix = arg("hasPrefix", args, 0)?;
    let s = arg("hasPrefix", args, 1)?;
    Ok(Value::Bool(s.starts_with(&*prefix)))
}

fn has_suffix(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("hasSuffix", args, 2)?;
    let suffix = arg("hasSuffix", args, 0)?;
    let s = arg("hasSuffix", args, 1)?;
    Ok(Value::Bool(s.ends_with(&*suffix)))
}

/// Go `strconv.Quote` (what `%q` does to a string): `\a \b \f \n \r \t \v \\ \"` escapes,
/// other control and non-printable runes as `\xNN`, `\uNNNN` or `\UNNNNNNNN`; printable
/// Unicode is kept as is.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if gounicode::is_print(c) => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// `quote`: each non-nil argument through `strval` and `%q`, joined by spaces.
fn quote(args: &[Value]) -> Result<Value, FuncError> {
    let parts: Vec<String> = args
        .iter()
        .filter(|v| !v.is_nil())
        .map(|v| go_quote(&strval(v)))
        .collect();
    Ok(Value::string(parts.join(" ")))
}

/// `squote`: each non-nil argument as `'%v'` (no escaping at all), joined by spaces.
fn squote(args: &[Value]) -> Result<Value, FuncError> {
    let parts: Vec<String> = args
        .iter()
        .filter(|v| !v.is_nil())
        .map(|v| format!("'{v}'"))
        .collect();
    Ok(Value::string(parts.join(" ")))
}

/// `cat`: the non-nil arguments printed with `%v`, separated by spaces.
fn cat(args: &[Value]) -> Result<Value, FuncError> {
    let parts: Vec<String> = args
        .iter()
        .filter(|v| !v.is_nil())
        .map(|v| v.to_string())
        .collect();
    Ok(Value::string(parts.join(" ")))
}

fn go_indent(spaces: i64, s: &str) -> Result<String, FuncError> {
    let pad = go_repeat(" ", spaces)?;
    let mut out = String::with_capacity(s.len() + pad.len() * 4);
    out.push_str(&pad);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    Ok(out)
}

fn indent(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("indent", args, 2)?;
    let spaces = int_arg("indent", args, 0)?;
    let s = arg("indent", args, 1)?;
    Ok(Value::string(go_indent(spaces, &s)?))
}

fn nindent(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("nindent", args, 2)?;
    let spaces = int_arg("nindent", args, 0)?;
    let s = arg("nindent", args, 1)?;
    Ok(Value::string(format!("\n{}", go_indent(spaces, &s)?)))
}

/// `replace OLD NEW SRC`; an empty OLD inserts NEW around every character, as in Go.
fn replace(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("replace", args, 3)?;
    let old = arg("replace", args, 0)?;
    let new = arg("replace", args, 1)?;
    let s = arg("replace", args, 2)?;
    Ok(Value::string(s.replace(&*old, &new)))
}

fn plural(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("plural", args, 3)?;
    let one = arg("plural", args, 0)?;
    let many = arg("plural", args, 1)?;
    let count = int_arg("plural", args, 2)?;
    Ok(Value::str(if count == 1 { &one } else { &many }))
}

/// Go `strings.SplitN`: `n < 0` means all, `n == 0` nothing; an empty separator splits
/// into UTF-8 characters; the last piece keeps the unsplit remainder.
pub fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<&str> = s
            .char_indices()
            .map(|(i, c)| &s[i..i + c.len_utf8()])
            .collect();
        let limit = if n < 0 { chars.len() } else { to_index(n) };
        if chars.len() <= limit {
            return chars.into_iter().map(str::to_string).collect();
        }
        let mut out: Vec<String> = chars[..limit - 1].iter().map(|c| c.to_string()).collect();
        let used: usize = chars[..limit - 1].iter().map(|c| c.len()).sum();
        out.push(s[used..].to_string());
        return out;
    }
    if n < 0 {
        s.split(sep).map(str::to_string).collect()
    } else {
        s.splitn(to_index(n), sep).map(str::to_string).collect()
    }
}

/// The `_0`, `_1`, … map that `split` and `splitn` return.
fn numbered_parts(parts: Vec<String>) -> Value {
    let map: Map = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (format!("_{i}"), Value::string(p)))
        .collect();
    Value::map(map)
}

fn split(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("split", args, 2)?;
    let sep = arg("split", args, 0)?;
    let s = arg("split", args, 1)?;
    Ok(numbered_parts(go_split(&s, &sep, -1)))
}

fn splitn(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("splitn", args, 3)?;
    let sep = arg("splitn", args, 0)?;
    let n = int_arg("splitn", args, 1)?;
    let s = arg("splitn", args, 2)?;
    Ok(numbered_parts(go_split(&s, &sep, n)))
}

fn strings_value(parts: Vec<String>) -> Value {
    Value::list(parts.into_iter().map(Value::string).collect())
}

fn split_list(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("splitList", args, 2)?;
    let sep = arg("splitList", args, 0)?;
    let s = arg("splitList", args, 1)?;
    Ok(strings_value(go_split(&s, &sep, -1)))
}

/// Sprig `strslice`, including `[]byte`, which Go reflects on as a slice of numbers.
pub fn string_list(v: &Value) -> Vec<String> {
    match v {
        Value::Bytes(b) => b.iter().map(|x| x.to_string()).collect(),
        other => strslice(other),
    }
}

/// `join SEP LIST`: the list's elements through `strval` (nils dropped); a non-list is one
/// element.
fn join(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("join", args, 2)?;
    let sep = arg("join", args, 0)?;
    Ok(Value::string(string_list(&args[1]).join(&sep)))
}

/// `sortAlpha LIST`: elements as strings, sorted bytewise; a non-list becomes a one-element
/// list (nil becomes `["<nil>"]`, as Go's `%v` prints it).
fn sort_alpha(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("sortAlpha", args, 1)?;
    let mut items = match &args[0] {
        v @ (Value::List(_) | Value::Bytes(_)) => string_list(v),
        other => vec![strval(other)],
    };
    items.sort_unstable();
    Ok(strings_value(items))
}

#[cfg(test)]
/// Expected outputs were checked against `helm template` (Helm 4.1.4) where Go's behaviour
/// was not obvious from its source.
mod tests {
    use super::*;

    fn call(name: &str, args: Vec<Value>) -> Result<Value, FuncError> {
        let mut map = FuncMap::new();
        register(&mut map);
        match map.get(name) {
            Some(super::super::Function::Native(f)) => f(&args),
            _ => panic!("no function {name}"),
        }
    }

    fn s(name: &str, args: Vec<Value>) -> String {
        match call(name, args) {
            Ok(v) => v.to_string(),
            Err(e) => format!("ERR {}", e.message),
        }
    }

    fn v(x: &str) -> Value {
        Value::str(x)
    }

    fn i(x: i64) -> Value {
        Value::int(x)
    }

    #[test]
    fn quote_variants() {
        assert_eq!(s("quote", vec![v("a\"b\\c\n\t")]), r#""a\"b\\c\n\t""#);
        assert_eq!(s("quote", vec![v("x"), Value::Nil, i(3)]), r#""x" "3""#);
        assert_eq!(s("quote", vec![]), "");
        assert_eq!(
            s("quote", vec![v("é\u{a0}\u{1}\u{7f}")]),
            r#""é\u00a0\x01\x7f""#
        );
        assert_eq!(s("quote", vec![Value::Float(1e6)]), r#""1e+06""#);
        assert_eq!(
            s("squote", vec![v("it's"), Value::Nil, Value::Bool(true)]),
            "'it's' 'true'"
        );
        assert_eq!(s("cat", vec![v("a"), Value::Nil, i(2), v("")]), "a 2 ");
    }

    #[test]
    fn trims() {
        assert_eq!(s("trim", vec![v("  a b \n")]), "a b");
        assert_eq!(s("trimAll", vec![v("$-"), v("$-a$b-$")]), "a$b");
        assert_eq!(s("trimPrefix", vec![v("ab"), v("ababc")]), "abc");
        assert_eq!(s("trimSuffix", vec![v(".yaml"), v("x.yaml")]), "x");
        assert_eq!(
            s("trim", vec![i(3)]),
            "ERR wrong type for value in trim; expected string; got int"
        );
    }

    #[test]
    fn indent_and_nindent() {
        assert_eq!(s("indent", vec![i(2), v("a\nb\n")]), "  a\n  b\n  ");
        assert_eq!(s("nindent", vec![i(4), v("a: 1")]), "\n    a: 1");
        assert_eq!(s("indent", vec![i(0), v("x")]), "x");
        assert_eq!(
            s("indent", vec![i(-1), v("x")]),
            "ERR strings: negative Repeat count"
        );
        assert_eq!(
            s("indent", vec![Value::Float(2.0), v("x")]),
            "ERR wrong type for value; expected int; got float64"
        );
    }

    #[test]
    fn trunc_and_substr_are_byte_based() {
        assert_eq!(s("trunc", vec![i(3), v("abcdef")]), "abc");
        assert_eq!(s("trunc", vec![i(-2), v("abcdef")]), "ef");
        assert_eq!(s("trunc", vec![i(-6), v("abcdef")]), "abcdef");
        assert_eq!(s("trunc", vec![i(10), v("abc")]), "abc");
        assert_eq!(s("trunc", vec![i(0), v("abc")]), "");
        assert_eq!(s("trunc", vec![i(63), v("")]), "");
        assert_eq!(s("trunc", vec![i(1), v("é")]), "\u{fffd}");
        assert_eq!(s("substr", vec![i(1), i(3), v("abcdef")]), "bc");
        assert_eq!(s("substr", vec![i(0), i(5), v("abc")]), "abc");
        assert_eq!(s("substr", vec![i(-1), i(2), v("abc")]), "ab");
        assert_eq!(
            s("substr", vec![i(5), i(-1), v("abc")]),
            "ERR runtime error: slice bounds out of range [5:3]"
        );
        assert_eq!(
            s("substr", vec![i(2), i(1), v("abc")]),
            "ERR runtime error: slice bounds out of range [2:1]"
        );
        assert_eq!(
            s("substr", vec![i(-1), i(-1), v("abc")]),
            "ERR runtime error: slice bounds out of range [:-1]"
        );
        assert_eq!(
            s("substr", vec![i(-1), i(9), v("abc")]),
            "ERR runtime error: slice bounds out of range [:9] with length 3"
        );
    }

    #[test]
    fn case_functions() {
        assert_eq!(s("upper", vec![v("aé")]), "AÉ");
        assert_eq!(s("lower", vec![v("AÉ")]), "aé");
        assert_eq!(
            s("title", vec![v("hello wORLD foo_bar a-b x.y")]),
            "Hello WORLD Foo_bar A-B X.Y"
        );
        assert_eq!(s("title", vec![v("élan vital")]), "Élan Vital");
        assert_eq!(
            s("untitle", vec![v("Hello World  FOO")]),
            "hello world  fOO"
        );
        assert_eq!(s("swapcase", vec![v("Hello wOrld")]), "hELLO WoRLD");
        assert_eq!(s("camelcase", vec![v("http_server")]), "HttpServer");
        assert_eq!(s("camelcase", vec![v("_complex__case_")]), "_Complex_Case_");
        assert_eq!(s("camelcase", vec![v("GOLANG_IS_GREAT")]), "GolangIsGreat");
        assert_eq!(s("camelcase", vec![v("some words")]), "SomeWords");
        assert_eq!(s("camelcase", vec![v("myApp-name")]), "MyAppName");
        assert_eq!(s("camelcase", vec![v("a")]), "A");
        assert_eq!(s("camelcase", vec![v("__")]), "___");
        assert_eq!(s("snakecase", vec![v("FirstName")]), "first_name");
        assert_eq!(s("snakecase", vec![v("HTTPServer")]), "http_server");
        assert_eq!(s("snakecase", vec![v("NoHTTPS")]), "no_https");
        assert_eq!(s("snakecase", vec![v("GO_PATH")]), "go_path");
        assert_eq!(s("snakecase", vec![v("GO PATH")]), "go_path");
        assert_eq!(s("snakecase", vec![v("GO-PATH")]), "go_path");
        assert_eq!(s("snakecase", vec![v("http2xx")]), "http_2xx");
        assert_eq!(s("snakecase", vec![v("HTTP20xOK")]), "http_20x_ok");
        assert_eq!(s("snakecase", vec![v("Duration2m3s")]), "duration_2m3s");
        assert_eq!(s("snakecase", vec![v("Bld4Floor3rd")]), "bld4_floor_3rd");
        assert_eq!(s("kebabcase", vec![v("FirstName")]), "first-name");
        assert_eq!(s("kebabcase", vec![v("myAppName")]), "my-app-name");
        assert_eq!(s("kebabcase", vec![v("my.app name")]), "my.app-name");
        assert_eq!(s("snakecase", vec![v("a$b")]), "a_$_b");
        assert_eq!(s("swapcase", vec![v("ǆemal")]), "ǅEMAL");
        assert_eq!(s("title", vec![v("ǆemal")]), "ǅemal");
        assert_eq!(s("upper", vec![v("straße")]), "STRAßE");
        assert_eq!(s("lower", vec![v("İSTANBUL")]), "istanbul");
    }

    #[test]
    fn goutils_byte_functions() {
        assert_eq!(s("nospace", vec![v(" a b\tc\n")]), "abc");
        assert_eq!(s("nospace", vec![v("héllo")]), "héllo");
        // goutils re-encodes each byte as Latin-1 once some space was removed.
        assert_eq!(s("nospace", vec![v("héllo wörld")]), "hÃ©llowÃ¶rld");
        assert_eq!(s("initials", vec![v("élan vital")]), "Ãv");
        assert_eq!(s("initials", vec![v("John Doe  foo")]), "JDf");
        assert_eq!(s("initials", vec![v("")]), "");
        assert_eq!(s("abbrev", vec![i(5), v("hello world")]), "he...");
        assert_eq!(s("abbrev", vec![i(3), v("hello world")]), "hello world");
        assert_eq!(s("abbrev", vec![i(20), v("hello world")]), "hello world");
        assert_eq!(
            s("abbrevboth", vec![i(5), i(10), v("1234 5678 9123")]),
            "...5678..."
        );
        assert_eq!(
            s("abbrevboth", vec![i(0), i(10), v("1234 5678 9123")]),
            "1234 56..."
        );
        assert_eq!(
            s("abbrevboth", vec![i(1), i(6), v("1234 5678 9123")]),
            "1234 5678 9123"
        );
    }

    #[test]
    fn wrapping() {
        assert_eq!(s("wrap", vec![i(5), v("Hello World")]), "Hello\nWorld");
        assert_eq!(s("wrap", vec![i(3), v("abcdef gh")]), "abcdef\ngh");
        assert_eq!(s("wrap", vec![i(10), v("short")]), "short");
        assert_eq!(
            s("wrapWith", vec![i(5), v("\t"), v("Hello World")]),
            "Hello\tWorld"
        );
        assert_eq!(s("wrapWith", vec![i(3), v("|"), v("abcdefg")]), "abc|def|g");
    }

    #[test]
    fn predicates_and_replace() {
        assert_eq!(s("contains", vec![v("cat"), v("concatenate")]), "true");
        assert_eq!(s("hasPrefix", vec![v("con"), v("concatenate")]), "true");
        assert_eq!(s("hasSuffix", vec![v("x"), v("concatenate")]), "false");
        assert_eq!(s("replace", vec![v(" "), v("-"), v("a b c")]), "a-b-c");
        assert_eq!(s("replace", vec![v(""), v("-"), v("ab")]), "-a-b-");
        assert_eq!(s("repeat", vec![i(3), v("ab")]), "ababab");
        assert_eq!(s("plural", vec![v("one"), v("many"), i(1)]), "one");
        assert_eq!(s("plural", vec![v("one"), v("many"), i(0)]), "many");
    }

    #[test]
    fn splitting_and_joining() {
        assert_eq!(s("split", vec![v("/"), v("a/b/c")]), "map[_0:a _1:b _2:c]");
        assert_eq!(
            s("splitn", vec![v("/"), i(2), v("a/b/c")]),
            "map[_0:a _1:b/c]"
        );
        assert_eq!(s("splitn", vec![v("/"), i(0), v("a/b/c")]), "map[]");
        assert_eq!(s("splitList", vec![v(","), v("")]), "[]");
        assert_eq!(
            call("splitList", vec![v(","), v("")]).unwrap(),
            Value::list(vec![v("")])
        );
        assert_eq!(s("splitList", vec![v(""), v("héj")]), "[h é j]");
        assert_eq!(
            go_split("abc", "", 2),
            vec!["a".to_string(), "bc".to_string()]
        );
        let list = Value::list(vec![v("b"), Value::Nil, i(1), v("a")]);
        assert_eq!(s("join", vec![v(","), list.clone()]), "b,1,a");
        assert_eq!(s("join", vec![v(","), v("x")]), "x");
        assert_eq!(s("sortAlpha", vec![list]), "[1 a b]");
        assert_eq!(s("sortAlpha", vec![Value::Nil]), "[<nil>]");
    }

    /// Case conversions over tricky inputs; expected results produced by `helm template`
    /// (Helm 4.1.4: Go strings, goutils 1.1.1, xstrings 1.5.0).
    #[test]
    fn case_conversions_match_helm_matrix() {
        let cases: &[(&str, &str, &str)] = &[
            ("title", "HTTPServerURL", "HTTPServerURL"),
            ("untitle", "HTTPServerURL", "hTTPServerURL"),
            ("camelcase", "HTTPServerURL", "HttpserverURL"),
            ("snakecase", "HTTPServerURL", "http_server_url"),
            ("kebabcase", "HTTPServerURL", "http-server-url"),
            ("swapcase", "HTTPServerURL", "httpsERVERurl"),
            ("initials", "HTTPServerURL", "H"),
            ("upper", "HTTPServerURL", "HTTPSERVERURL"),
            ("lower", "HTTPServerURL", "httpserverurl"),
            ("title", "myXMLParser2Go", "MyXMLParser2Go"),
            ("untitle", "myXMLParser2Go", "myXMLParser2Go"),
            ("camelcase", "myXMLParser2Go", "MyXMLParser2Go"),
            ("snakecase", "myXMLParser2Go", "my_xml_parser2_go"),
            ("kebabcase", "myXMLParser2Go", "my-xml-parser2-go"),
            ("swapcase", "myXMLParser2Go", "MYxmlpARSER2gO"),
            ("initials", "myXMLParser2Go", "m"),
            ("upper", "myXMLParser2Go", "MYXMLPARSER2GO"),
            ("lower", "myXMLParser2Go", "myxmlparser2go"),
            ("title", "hello_world-foo bar", "Hello_world-Foo Bar"),
            ("untitle", "hello_world-foo bar", "hello_world-foo bar"),
            ("camelcase", "hello_world-foo bar", "HelloWorldFooBar"),
            ("snakecase", "hello_world-foo bar", "hello_world_foo_bar"),
            ("kebabcase", "hello_world-foo bar", "hello-world-foo-bar"),
            ("swapcase", "hello_world-foo bar", "HELLO_WORLD-FOO BAR"),
            ("initials", "hello_world-foo bar", "hb"),
            ("upper", "hello_world-foo bar", "HELLO_WORLD-FOO BAR"),
            ("lower", "hello_world-foo bar", "hello_world-foo bar"),
            ("title", "  leading space", "  Leading Space"),
            ("untitle", "  leading space", "  leading space"),
            ("camelcase", "  leading space", "  LeadingSpace"),
            ("snakecase", "  leading space", "__leading_space"),
            ("kebabcase", "  leading space", "--leading-space"),
            ("swapcase", "  leading space", "  LEADING SPACE"),
            ("initials", "  leading space", "ls"),
            ("upper", "  leading space", "  LEADING SPACE"),
            ("lower", "  leading space", "  leading space"),
            ("title", "ÉcoleNormale", "ÉcoleNormale"),
            ("untitle", "ÉcoleNormale", "écoleNormale"),
            ("camelcase", "ÉcoleNormale", "ÉcoleNormale"),
            ("snakecase", "ÉcoleNormale", "école_normale"),
            ("kebabcase", "ÉcoleNormale", "école-normale"),
            ("swapcase", "ÉcoleNormale", "éCOLEnORMALE"),
            ("initials", "ÉcoleNormale", "Ã"),
            ("upper", "ÉcoleNormale", "ÉCOLENORMALE"),
            ("lower", "ÉcoleNormale", "écolenormale"),
            ("title", "snake_case_here", "Snake_case_here"),
            ("untitle", "snake_case_here", "snake_case_here"),
            ("camelcase", "snake_case_here", "SnakeCaseHere"),
            ("snakecase", "snake_case_here", "snake_case_here"),
            ("kebabcase", "snake_case_here", "snake-case-here"),
            ("swapcase", "snake_case_here", "SNAKE_CASE_HERE"),
            ("initials", "snake_case_here", "s"),
            ("upper", "snake_case_here", "SNAKE_CASE_HERE"),
            ("lower", "snake_case_here", "snake_case_here"),
            ("title", "kebab-case-here", "Kebab-Case-Here"),
            ("untitle", "kebab-case-here", "kebab-case-here"),
            ("camelcase", "kebab-case-here", "KebabCaseHere"),
            ("snakecase", "kebab-case-here", "kebab_case_here"),
            ("kebabcase", "kebab-case-here", "kebab-case-here"),
            ("swapcase", "kebab-case-here", "KEBAB-CASE-HERE"),
            ("initials", "kebab-case-here", "k"),
            ("upper", "kebab-case-here", "KEBAB-CASE-HERE"),
            ("lower", "kebab-case-here", "kebab-case-here"),
            ("title", "Mixed UPPER lower", "Mixed UPPER Lower"),
            ("untitle", "Mixed UPPER lower", "mixed uPPER lower"),
            ("camelcase", "Mixed UPPER lower", "MixedUpperLower"),
            ("snakecase", "Mixed UPPER lower", "mixed_upper_lower"),
            ("kebabcase", "Mixed UPPER lower", "mixed-upper-lower"),
            ("swapcase", "Mixed UPPER lower", "mIXED upper LOWER"),
            ("initials", "Mixed UPPER lower", "MUl"),
            ("upper", "Mixed UPPER lower", "MIXED UPPER LOWER"),
            ("lower", "Mixed UPPER lower", "mixed upper lower"),
            ("title", "v1.2.3-rc", "V1.2.3-Rc"),
            ("untitle", "v1.2.3-rc", "v1.2.3-rc"),
            ("camelcase", "v1.2.3-rc", "V1.2.3Rc"),
            ("snakecase", "v1.2.3-rc", "v1.2.3_rc"),
            ("kebabcase", "v1.2.3-rc", "v1.2.3-rc"),
            ("swapcase", "v1.2.3-rc", "V1.2.3-RC"),
            ("initials", "v1.2.3-rc", "v"),
            ("upper", "v1.2.3-rc", "V1.2.3-RC"),
            ("lower", "v1.2.3-rc", "v1.2.3-rc"),
            ("title", "a1b2c3", "A1b2c3"),
            ("untitle", "a1b2c3", "a1b2c3"),
            ("camelcase", "a1b2c3", "A1b2c3"),
            ("snakecase", "a1b2c3", "a_1b2c3"),
            ("kebabcase", "a1b2c3", "a-1b2c3"),
            ("swapcase", "a1b2c3", "A1B2C3"),
            ("initials", "a1b2c3", "a"),
            ("upper", "a1b2c3", "A1B2C3"),
            ("lower", "a1b2c3", "a1b2c3"),
            ("title", "ID", "ID"),
            ("untitle", "ID", "iD"),
            ("camelcase", "ID", "Id"),
            ("snakecase", "ID", "id"),
            ("kebabcase", "ID", "id"),
            ("swapcase", "ID", "id"),
            ("initials", "ID", "I"),
            ("upper", "ID", "ID"),
            ("lower", "ID", "id"),
            ("title", "iOS8App", "IOS8App"),
            ("untitle", "iOS8App", "iOS8App"),
            ("camelcase", "iOS8App", "IOS8App"),
            ("snakecase", "iOS8App", "i_os8_app"),
            ("kebabcase", "iOS8App", "i-os8-app"),
            ("swapcase", "iOS8App", "Ios8aPP"),
            ("initials", "iOS8App", "i"),
            ("upper", "iOS8App", "IOS8APP"),
            ("lower", "iOS8App", "ios8app"),
            ("title", "X", "X"),
            ("untitle", "X", "x"),
            ("camelcase", "X", "X"),
            ("snakecase", "X", "x"),
            ("kebabcase", "X", "x"),
            ("swapcase", "X", "x"),
            ("initials", "X", "X"),
            ("upper", "X", "X"),
            ("lower", "X", "x"),
            ("title", "x", "X"),
            ("untitle", "x", "x"),
            ("camelcase", "x", "X"),
            ("snakecase", "x", "x"),
            ("kebabcase", "x", "x"),
            ("swapcase", "x", "X"),
            ("initials", "x", "x"),
            ("upper", "x", "X"),
            ("lower", "x", "x"),
            ("title", "__init__", "__init__"),
            ("untitle", "__init__", "__init__"),
            ("camelcase", "__init__", "__Init__"),
            ("snakecase", "__init__", "__init__"),
            ("kebabcase", "__init__", "--init--"),
            ("swapcase", "__init__", "__INIT__"),
            ("initials", "__init__", "_"),
            ("upper", "__init__", "__INIT__"),
            ("lower", "__init__", "__init__"),
            ("title", "foo..bar", "Foo..Bar"),
            ("untitle", "foo..bar", "foo..bar"),
            ("camelcase", "foo..bar", "Foo..bar"),
            ("snakecase", "foo..bar", "foo..bar"),
            ("kebabcase", "foo..bar", "foo..bar"),
            ("swapcase", "foo..bar", "FOO..BAR"),
            ("initials", "foo..bar", "f"),
            ("upper", "foo..bar", "FOO..BAR"),
            ("lower", "foo..bar", "foo..bar"),
            ("title", "foo$bar", "Foo$Bar"),
            ("untitle", "foo$bar", "foo$bar"),
            ("camelcase", "foo$bar", "Foo$bar"),
            ("snakecase", "foo$bar", "foo_$_bar"),
            ("kebabcase", "foo$bar", "foo-$-bar"),
            ("swapcase", "foo$bar", "FOO$BAR"),
            ("initials", "foo$bar", "f"),
            ("upper", "foo$bar", "FOO$BAR"),
            ("lower", "foo$bar", "foo$bar"),
            ("title", "Ünïcödé wörds", "Ünïcödé Wörds"),
            ("untitle", "Ünïcödé wörds", "ünïcödé wörds"),
            ("camelcase", "Ünïcödé wörds", "ÜnïcödéWörds"),
            ("snakecase", "Ünïcödé wörds", "ünïcödé_wörds"),
            ("kebabcase", "Ünïcödé wörds", "ünïcödé-wörds"),
            ("swapcase", "Ünïcödé wörds", "üNÏCÖDÉ WÖRDS"),
            ("initials", "Ünïcödé wörds", "Ãw"),
            ("upper", "Ünïcödé wörds", "ÜNÏCÖDÉ WÖRDS"),
            ("lower", "Ünïcödé wörds", "ünïcödé wörds"),
            ("title", "tab\tsep", "Tab\tSep"),
            ("untitle", "tab\tsep", "tab\tsep"),
            ("camelcase", "tab\tsep", "TabSep"),
            ("snakecase", "tab\tsep", "tab_sep"),
            ("kebabcase", "tab\tsep", "tab-sep"),
            ("swapcase", "tab\tsep", "TAB\tSEP"),
            ("initials", "tab\tsep", "ts"),
            ("upper", "tab\tsep", "TAB\tSEP"),
            ("lower", "tab\tsep", "tab\tsep"),
            ("title", "JSONData", "JSONData"),
            ("untitle", "JSONData", "jSONData"),
            ("camelcase", "JSONData", "Jsondata"),
            ("snakecase", "JSONData", "json_data"),
            ("kebabcase", "JSONData", "json-data"),
            ("swapcase", "JSONData", "jsondATA"),
            ("initials", "JSONData", "J"),
            ("upper", "JSONData", "JSONDATA"),
            ("lower", "JSONData", "jsondata"),
            ("title", "getHTTPResponseCode", "GetHTTPResponseCode"),
            ("untitle", "getHTTPResponseCode", "getHTTPResponseCode"),
            ("camelcase", "getHTTPResponseCode", "GetHTTPResponseCode"),
            ("snakecase", "getHTTPResponseCode", "get_http_response_code"),
            ("kebabcase", "getHTTPResponseCode", "get-http-response-code"),
            ("swapcase", "getHTTPResponseCode", "GEThttprESPONSEcODE"),
            ("initials", "getHTTPResponseCode", "g"),
            ("upper", "getHTTPResponseCode", "GETHTTPRESPONSECODE"),
            ("lower", "getHTTPResponseCode", "gethttpresponsecode"),
            ("title", "äÖü", "ÄÖü"),
            ("untitle", "äÖü", "äÖü"),
            ("camelcase", "äÖü", "ÄÖü"),
            ("snakecase", "äÖü", "ä_öü"),
            ("kebabcase", "äÖü", "ä-öü"),
            ("swapcase", "äÖü", "ÄöÜ"),
            ("initials", "äÖü", "Ã"),
            ("upper", "äÖü", "ÄÖÜ"),
            ("lower", "äÖü", "äöü"),
            ("title", "ǅungla", "ǅungla"),
            ("untitle", "ǅungla", "ǆungla"),
            ("camelcase", "ǅungla", "Ǆungla"),
            ("snakecase", "ǅungla", "ǅungla"),
            ("kebabcase", "ǅungla", "ǅungla"),
            ("swapcase", "ǅungla", "ǆUNGLA"),
            ("initials", "ǅungla", "Çu"),
            ("upper", "ǅungla", "ǄUNGLA"),
            ("lower", "ǅungla", "ǆungla"),
            ("title", "hello   world", "Hello   World"),
            ("untitle", "hello   world", "hello   world"),
            ("camelcase", "hello   world", "Hello  World"),
            ("snakecase", "hello   world", "hello___world"),
            ("kebabcase", "hello   world", "hello---world"),
            ("swapcase", "hello   world", "HELLO   WORLD"),
            ("initials", "hello   world", "hw"),
            ("upper", "hello   world", "HELLO   WORLD"),
            ("lower", "hello   world", "hello   world"),
            ("title", "9lives", "9lives"),
            ("untitle", "9lives", "9lives"),
            ("camelcase", "9lives", "9lives"),
            ("snakecase", "9lives", "9lives"),
            ("kebabcase", "9lives", "9lives"),
            ("swapcase", "9lives", "9LIVES"),
            ("initials", "9lives", "9"),
            ("upper", "9lives", "9LIVES"),
            ("lower", "9lives", "9lives"),
            ("title", "end_", "End_"),
            ("untitle", "end_", "end_"),
            ("camelcase", "end_", "End_"),
            ("snakecase", "end_", "end_"),
            ("kebabcase", "end_", "end-"),
            ("swapcase", "end_", "END_"),
            ("initials", "end_", "e"),
            ("upper", "end_", "END_"),
            ("lower", "end_", "end_"),
            ("title", "-start", "-Start"),
            ("untitle", "-start", "-start"),
            ("camelcase", "-start", "-Start"),
            ("snakecase", "-start", "_start"),
            ("kebabcase", "-start", "-start"),
            ("swapcase", "-start", "-START"),
            ("initials", "-start", "-"),
            ("upper", "-start", "-START"),
            ("lower", "-start", "-start"),
        ];
        let mut wrong = Vec::new();
        for (f, input, want) in cases {
            let got = s(f, vec![v(input)]);
            if got != *want {
                wrong.push(format!("{f} {input:?}: want {want:?}, got {got:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
