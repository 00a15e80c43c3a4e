//! Sprig's regular-expression functions (`regexMatch`, `regexFind`, `regexFindAll`,
//! `regexReplaceAll`, `regexReplaceAllLiteral`, `regexSplit`, `regexQuoteMeta` and their
//! `must*` forms) with Go `regexp` semantics on top of the `regex` crate's engine
//! (`regex-automata`'s meta regex, configured without the fully compiled DFA: charts use a
//! pattern a handful of times per render, and building that DFA took up to 0.4 ms per
//! pattern, several times the cost of the matching it speeds up).
//!
//! Both engines implement RE2 syntax with leftmost-first matching. What differs, and is
//! bridged here:
//! - Go's `\d \w \s \b` are ASCII-only; the `regex` crate's are Unicode. Patterns are
//!   rewritten to explicit ASCII classes before compiling.
//! - Go's iteration rules for empty matches (`FindAll`, `ReplaceAll`, `Split`) and its `$name`
//!   template expansion (`$1x` names group "1x") are implemented here, not borrowed.
//! - The non-`must` functions other than `regexMatch` use Go's `MustCompile`, so a bad
//!   pattern is an error for them too (Go panics, text/template reports it).

use std::cell::RefCell;
use std::collections::HashMap;

use regex_automata::meta;
use regex_automata::util::captures::Captures;
use regex_automata::{Input, PatternID};

use super::convert::{expect_args, expect_string, int_arg, string_arg};
use super::gounicode;
use super::FuncMap;
use crate::template::value::{FuncError, Value};

/// A compiled pattern (cheap to clone).
#[derive(Clone)]
pub struct Regex {
    re: meta::Regex,
    /// The pattern as compiled (after the Go rewrite).
    pattern: std::rc::Rc<str>,
}

/// A match: its byte range in the haystack.
#[derive(Clone, Copy)]
pub struct Match<'h> {
    hay: &'h str,
    start: usize,
    end: usize,
}

impl<'h> Match<'h> {
    pub fn start(&self) -> usize {
        self.start
    }

    pub fn end(&self) -> usize {
        self.end
    }

    pub fn as_str(&self) -> &'h str {
        self.hay.get(self.start..self.end).unwrap_or_default()
    }
}

impl Regex {
    /// Compile `pattern` (already rewritten from `go_pattern`); the error is Go's text.
    fn new(pattern: &str, go_pattern: &str) -> Result<Regex, String> {
        // The `regex` crate's configuration for `Regex::new`, less the full DFA.
        let config = meta::Regex::config()
            .match_kind(regex_automata::MatchKind::LeftmostFirst)
            .utf8_empty(true)
            .nfa_size_limit(Some(10 * (1 << 20)))
            .hybrid_cache_capacity(2 * (1 << 20))
            .dfa(false);
        let re = meta::Regex::builder()
            .configure(config)
            .syntax(regex_automata::util::syntax::Config::new().utf8(true))
            .build(pattern)
            .map_err(|e| parse_error(go_pattern, &e))?;
        Ok(Regex {
            re,
            pattern: pattern.into(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    pub fn is_match(&self, hay: &str) -> bool {
        self.re.is_match(hay)
    }

    pub fn find<'h>(&self, hay: &'h str) -> Option<Match<'h>> {
        self.find_at(hay, 0)
    }

    /// The first match starting at or after `start`; the text before `start` still counts
    /// for `^` and `\b`.
    pub fn find_at<'h>(&self, hay: &'h str, start: usize) -> Option<Match<'h>> {
        let m = self.re.find(Input::new(hay).range(start..))?;
        Some(Match {
            hay,
            start: m.start(),
            end: m.end(),
        })
    }

    /// The groups of the first match at or after `start`.
    fn captures_at(&self, hay: &str, start: usize) -> Option<Captures> {
        let mut caps = self.re.create_captures();
        self.re
            .search_captures(&Input::new(hay).range(start..), &mut caps);
        caps.is_match().then_some(caps)
    }

    /// Group names by index (`None` for unnamed groups, and for group 0).
    fn capture_names(&self) -> impl Iterator<Item = Option<&str>> {
        self.re.group_info().pattern_names(PatternID::ZERO)
    }
}

/// Register the regex functions.
pub fn register(map: &mut FuncMap) {
    map.insert("regexMatch", regex_match);
    map.insert("mustRegexMatch", must_regex_match);
    map.insert("regexFindAll", regex_find_all);
    map.insert("mustRegexFindAll", must_regex_find_all);
    map.insert("regexFind", regex_find);
    map.insert("mustRegexFind", must_regex_find);
    map.insert("regexReplaceAll", regex_replace_all);
    map.insert("mustRegexReplaceAll", must_regex_replace_all);
    map.insert("regexReplaceAllLiteral", regex_replace_all_literal);
    map.insert("mustRegexReplaceAllLiteral", must_regex_replace_all_literal);
    map.insert("regexSplit", regex_split);
    map.insert("mustRegexSplit", must_regex_split);
    map.insert("regexQuoteMeta", regex_quote_meta);
}

const ASCII_DIGIT: &str = "0-9";
const ASCII_WORD: &str = "0-9A-Za-z_";
const ASCII_SPACE: &str = r"\t\n\f\r ";

/// Rewrite a Go pattern for the `regex` crate: Perl classes become Go's ASCII sets and
/// `\Q…\E` literal runs are escaped (the crate does not support them).
pub fn translate_go_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let set = match e {
                    'd' | 'D' => Some(ASCII_DIGIT),
                    'w' | 'W' => Some(ASCII_WORD),
                    's' | 'S' => Some(ASCII_SPACE),
                    _ => None,
                };
                match (set, in_class) {
                    (Some(set), false) => {
                        let neg = if e.is_ascii_uppercase() { "^" } else { "" };
                        out.push_str(&format!("[{neg}{set}]"));
                    }
                    (Some(set), true) => {
                        if e.is_ascii_lowercase() {
                            out.push_str(set);
                        } else {
                            out.push_str(&format!("[^{set}]"));
                        }
                        // In Go (Perl syntax) a `-` right after a class escape is a literal;
                        // after the expansion above it would start a bogus range.
                        if chars.peek() == Some(&'-') {
                            chars.next();
                            out.push_str("\\-");
                        }
                    }
                    (None, false) if e == 'b' || e == 'B' => {
                        out.push_str(&format!("(?-u:\\{e})"));
                    }
                    (None, false) if e == 'Q' => {
                        let mut literal = String::new();
                        while let Some(l) = chars.next() {
                            if l == '\\' && chars.peek() == Some(&'E') {
                                chars.next();
                                break;
                            }
                            literal.push(l);
                        }
                        out.push_str(&::regex::escape(&literal));
                    }
                    _ => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                // A `]` first in a class is a literal.
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if chars.peek() == Some(&':') => {
                // POSIX class such as [:alpha:], copied whole.
                out.push('[');
                for p in chars.by_ref() {
                    out.push(p);
                    if p == ']' {
                        break;
                    }
                }
            }
            '[' => out.push_str("\\["),
            '{' if !in_class && !is_go_repeat(chars.clone()) => out.push_str("\\{"),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            other => out.push(other),
        }
    }
    out
}

/// Whether the text after a `{` is a Go repetition (`{n}`, `{n,}`, `{n,m}`); Go reads any
/// other `{` literally (`a{`, `{,3}`) where the `regex` crate would refuse the pattern.
fn is_go_repeat(mut rest: impl Iterator<Item = char>) -> bool {
    let mut digits = 0;
    let mut comma = false;
    for c in rest.by_ref() {
        match c {
            '0'..='9' => digits += 1,
            ',' if digits > 0 && !comma => comma = true,
            '}' => return digits > 0,
            _ => return false,
        }
    }
    false
}

/// The text of a compile error as Go words it (`error parsing regexp: CODE: `EXPR``).
/// Go's codes differ from the `regex` crate's wording; the common ones whose expression is
/// the whole pattern are translated, others keep the crate's reason.
fn parse_error(pattern: &str, err: &meta::BuildError) -> String {
    let text = match err.syntax_error() {
        Some(syntax) => syntax.to_string(),
        None => err.to_string(),
    };
    let reason = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(text.trim());
    let reason = match reason {
        "unclosed group" => "missing closing )",
        "unopened group" => "unexpected )",
        other => other,
    };
    format!("error parsing regexp: {reason}: `{pattern}`")
}

thread_local! {
    /// Compiled patterns: charts call these functions in loops with the same few patterns.
    static CACHE: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

const CACHE_LIMIT: usize = 512;

/// Go `regexp.Compile`; the error text is Go's.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    if let Some(re) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(re);
    }
    let re = Regex::new(&translate_go_pattern(pattern), pattern)?;
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(pattern.to_string(), re.clone());
    });
    Ok(re)
}

/// Go `regexp.MustCompile`, whose panic text/template reports as the call's error.
fn must_compile(pattern: &str) -> Result<Regex, FuncError> {
    compile(pattern).map_err(|e| FuncError::new(format!("regexp: Compile(`{pattern}`): {e}")))
}

/// `regexp.Compile` for the `must*` functions: the error is returned as is.
fn compile_or_error(pattern: &str) -> Result<Regex, FuncError> {
    compile(pattern).map_err(FuncError::new)
}

/// Go's `allMatches`: successive non-overlapping matches, skipping an empty match that
/// abuts the previous match; at most `n` (all when `n < 0`).
pub fn find_all(re: &Regex, s: &str, n: i64) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let limit = if n < 0 {
        usize::MAX
    } else {
        usize::try_from(n).unwrap_or(usize::MAX)
    };
    let mut pos = 0usize;
    let mut prev_end: Option<usize> = None;
    while out.len() < limit && pos <= s.len() {
        let Some(m) = re.find_at(s, pos) else {
            break;
        };
        let mut accept = true;
        if m.end() == pos {
            if prev_end == Some(m.start()) {
                accept = false;
            }
            pos += s[pos..].chars().next().map_or(1, char::len_utf8);
        } else {
            pos = m.end();
        }
        prev_end = Some(m.end());
        if accept {
            out.push((m.start(), m.end()));
        }
    }
    out
}

/// Go's `replaceAll` loop; `repl` appends the replacement for the match at `start`.
fn replace_all_with(
    re: &Regex,
    src: &str,
    mut repl: impl FnMut(&mut String, usize, usize),
) -> String {
    let mut buf = String::with_capacity(src.len());
    let mut last_end = 0usize;
    let mut search = 0usize;
    while search <= src.len() {
        let Some(m) = re.find_at(src, search) else {
            break;
        };
        buf.push_str(&src[last_end..m.start()]);
        // No replacement for an empty match right after another match.
        if m.end() > last_end || m.start() == 0 {
            repl(&mut buf, m.start(), m.end());
        }
        last_end = m.end();
        let width = src[search..].chars().next().map_or(0, char::len_utf8);
        if search + width > m.end() {
            search += width;
        } else if search + 1 > m.end() {
            search += 1;
        } else {
            search = m.end();
        }
    }
    buf.push_str(&src[last_end..]);
    buf
}

/// Go `Regexp.Expand` for one match: `$n`, `${n}`, `$name`, `${name}`, `$$`; the longest
/// run of letters, digits and `_` is the name, so `$1x` is the (usually missing) group "1x".
/// Unknown groups expand to nothing; a malformed `$` is kept literally.
fn expand(out: &mut String, template: &str, hay: &str, caps: &Captures, names: &[Option<&str>]) {
    let mut rest = template;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        rest = &rest[dollar + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        let (brace, body) = match rest.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let name_len: usize = body
            .chars()
            .take_while(|c| gounicode::is_letter(*c) || gounicode::is_digit(*c) || *c == '_')
            .map(char::len_utf8)
            .sum();
        if name_len == 0 || brace && !body[name_len..].starts_with('}') {
            out.push('$');
            continue;
        }
        let name = &body[..name_len];
        rest = &body[name_len + usize::from(brace)..];
        let number = if name.bytes().all(|b| b.is_ascii_digit())
            && !(name.len() > 1 && name.starts_with('0'))
            && name.len() <= 8
        {
            name.parse::<usize>().ok()
        } else {
            None
        };
        let group = match number {
            Some(n) => caps.get_group(n),
            None => names
                .iter()
                .position(|n| *n == Some(name))
                .and_then(|i| caps.get_group(i)),
        };
        if let Some(span) = group {
            out.push_str(hay.get(span.range()).unwrap_or_default());
        }
    }
    out.push_str(rest);
}

/// Go `ReplaceAllString`.
pub fn replace_all(re: &Regex, src: &str, template: &str) -> String {
    let names: Vec<Option<&str>> = re.capture_names().collect();
    replace_all_with(re, src, |buf, start, _| {
        if let Some(caps) = re.captures_at(src, start) {
            expand(buf, template, src, &caps, &names);
        }
    })
}

/// Go `ReplaceAllLiteralString`.
pub fn replace_all_literal(re: &Regex, src: &str, repl: &str) -> String {
    replace_all_with(re, src, |buf, _, _| buf.push_str(repl))
}

/// Go `Regexp.Split`.
pub fn split(re: &Regex, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !re.as_str().is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let limit = usize::try_from(n).unwrap_or(0);
    let mut out = Vec::new();
    let (mut beg, mut end) = (0usize, 0usize);
    for (start, stop) in find_all(re, s, n) {
        if n > 0 && out.len() == limit - 1 {
            break;
        }
        end = start;
        if stop != 0 {
            out.push(s[beg..end].to_string());
        }
        beg = stop;
    }
    if end != s.len() {
        out.push(s[beg..].to_string());
    }
    out
}

/// Go `regexp.QuoteMeta`: backslash before every one of `\.+*?()|[]{}^$`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn strings_value(items: Vec<String>) -> Value {
    Value::list(items.into_iter().map(Value::string).collect())
}

fn regex_match(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("regexMatch", args, 2)?;
    let pattern = string_arg("regexMatch", args, 0)?;
    let s = string_arg("regexMatch", args, 1)?;
    // Sprig drops the compile error here: a bad pattern simply does not match.
    Ok(Value::Bool(
        compile(&pattern).is_ok_and(|re| re.is_match(&s)),
    ))
}

fn must_regex_match(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("mustRegexMatch", args, 2)?;
    let pattern = string_arg("mustRegexMatch", args, 0)?;
    let s = string_arg("mustRegexMatch", args, 1)?;
    Ok(Value::Bool(compile_or_error(&pattern)?.is_match(&s)))
}

fn find_all_impl(name: &str, args: &[Value], must: bool) -> Result<Value, FuncError> {
    expect_args(name, args, 3)?;
    let pattern = string_arg(name, args, 0)?;
    let s = string_arg(name, args, 1)?;
    let n = int_arg(name, args, 2)?;
    let re = if must {
        compile_or_error(&pattern)?
    } else {
        must_compile(&pattern)?
    };
    let found = find_all(&re, &s, n)
        .into_iter()
        .map(|(a, b)| s[a..b].to_string())
        .collect();
    Ok(strings_value(found))
}

fn regex_find_all(args: &[Value]) -> Result<Value, FuncError> {
    find_all_impl("regexFindAll", args, false)
}

fn must_regex_find_all(args: &[Value]) -> Result<Value, FuncError> {
    find_all_impl("mustRegexFindAll", args, true)
}

fn find_impl(name: &str, args: &[Value], must: bool) -> Result<Value, FuncError> {
    expect_args(name, args, 2)?;
    let pattern = string_arg(name, args, 0)?;
    let s = string_arg(name, args, 1)?;
    let re = if must {
        compile_or_error(&pattern)?
    } else {
        must_compile(&pattern)?
    };
    Ok(Value::str(re.find(&s).map_or("", |m| m.as_str())))
}

fn regex_find(args: &[Value]) -> Result<Value, FuncError> {
    find_impl("regexFind", args, false)
}

fn must_regex_find(args: &[Value]) -> Result<Value, FuncError> {
    find_impl("mustRegexFind", args, true)
}

fn replace_impl(name: &str, args: &[Value], must: bool, literal: bool) -> Result<Value, FuncError> {
    expect_args(name, args, 3)?;
    let pattern = string_arg(name, args, 0)?;
    let s = string_arg(name, args, 1)?;
    let repl = string_arg(name, args, 2)?;
    let re = if must {
        compile_or_error(&pattern)?
    } else {
        must_compile(&pattern)?
    };
    Ok(Value::string(if literal {
        replace_all_literal(&re, &s, &repl)
    } else {
        replace_all(&re, &s, &repl)
    }))
}

fn regex_replace_all(args: &[Value]) -> Result<Value, FuncError> {
    replace_impl("regexReplaceAll", args, false, false)
}

fn must_regex_replace_all(args: &[Value]) -> Result<Value, FuncError> {
    replace_impl("mustRegexReplaceAll", args, true, false)
}

fn regex_replace_all_literal(args: &[Value]) -> Result<Value, FuncError> {
    replace_impl("regexReplaceAllLiteral", args, false, true)
}

fn must_regex_replace_all_literal(args: &[Value]) -> Result<Value, FuncError> {
    replace_impl("mustRegexReplaceAllLiteral", args, true, true)
}

fn split_impl(name: &str, args: &[Value], must: bool) -> Result<Value, FuncError> {
    expect_args(name, args, 3)?;
    let pattern = string_arg(name, args, 0)?;
    let s = string_arg(name, args, 1)?;
    let n = int_arg(name, args, 2)?;
    let re = if must {
        compile_or_error(&pattern)?
    } else {
        must_compile(&pattern)?
    };
    Ok(strings_value(split(&re, &s, n)))
}

fn regex_split(args: &[Value]) -> Result<Value, FuncError> {
    split_impl("regexSplit", args, false)
}

fn must_regex_split(args: &[Value]) -> Result<Value, FuncError> {
    split_impl("mustRegexSplit", args, true)
}

fn regex_quote_meta(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("regexQuoteMeta", args, 1)?;
    Ok(Value::string(quote_meta(&expect_string(
        "regexQuoteMeta",
        &args[0],
    )?)))
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

    fn s(name: &str, args: &[&str]) -> String {
        let args = args.iter().map(|a| Value::str(a)).collect();
        match call(name, args) {
            Ok(v) => v.to_string(),
            Err(e) => format!("ERR {}", e.message),
        }
    }

    fn sn(name: &str, pattern: &str, text: &str, n: i64) -> String {
        let args = vec![Value::str(pattern), Value::str(text), Value::int(n)];
        match call(name, args) {
            Ok(v) => format!("{v:?}"),
            Err(e) => format!("ERR {}", e.message),
        }
    }

    #[test]
    fn match_and_find() {
        assert_eq!(s("regexMatch", &["^[a-z]+\\d$", "abc1"]), "true");
        assert_eq!(s("regexMatch", &["(", "abc"]), "false");
        assert_eq!(
            s("mustRegexMatch", &["(", "abc"]),
            "ERR error parsing regexp: missing closing ): `(`"
        );
        assert_eq!(s("regexFind", &["[0-9]+", "ab12cd34"]), "12");
        assert_eq!(s("regexFind", &["x", "abc"]), "");
        assert!(s("regexFind", &["(", "abc"])
            .starts_with("ERR regexp: Compile(`(`): error parsing regexp:"));
        assert_eq!(
            sn("regexFindAll", "[0-9]+", "a1b22c333", -1),
            r#"["1", "22", "333"]"#
        );
        assert_eq!(
            sn("regexFindAll", "[0-9]+", "a1b22c333", 2),
            r#"["1", "22"]"#
        );
        assert_eq!(sn("regexFindAll", "[0-9]+", "a1b22c333", 0), "[]");
        assert_eq!(sn("regexFindAll", "a*", "baaac", -1), r#"["", "aaa", ""]"#);
    }

    #[test]
    fn dash_after_class_escape_is_literal() {
        let re = compile(r"^[\w-\.]+$").unwrap();
        assert!(re.is_match("argo-cd.x_1"));
        assert!(!re.is_match("argo cd"));
    }

    #[test]
    fn perl_classes_are_ascii_like_go() {
        assert_eq!(s("regexMatch", &["^\\w+$", "héllo"]), "false");
        assert_eq!(s("regexMatch", &["^\\d$", "٣"]), "false");
        assert_eq!(s("regexMatch", &["^[\\w.]+$", "a.b_c"]), "true");
        assert_eq!(s("regexMatch", &["^[^\\s]+$", "ab"]), "true");
        assert_eq!(s("regexMatch", &["\\bé", "é"]), "false");
        assert_eq!(s("regexMatch", &["^[]a]+$", "]a"]), "true");
        assert_eq!(s("regexMatch", &["^[[:alpha:]]+$", "ab"]), "true");
        assert_eq!(s("regexMatch", &["\\Qa.b\\E", "a.b"]), "true");
        assert_eq!(s("regexMatch", &["\\Qa.b\\E", "axb"]), "false");
        assert_eq!(s("regexMatch", &["^a{,2}$", "a{,2}"]), "true");
        assert_eq!(s("regexMatch", &["^a{$", "a{"]), "true");
        assert_eq!(s("regexMatch", &["^a{2}$", "aa"]), "true");
        assert_eq!(s("regexMatch", &["^a{1,}$", "aaa"]), "true");
    }

    #[test]
    fn replace_all_expands_like_go() {
        assert_eq!(
            s("regexReplaceAll", &["a(x*)b", "-ab-axxb-", "${1}W"]),
            "-W-xxW-"
        );
        // `$1W` names the group "1W", which does not exist: it expands to nothing.
        assert_eq!(s("regexReplaceAll", &["a(x*)b", "-ab-axxb-", "$1W"]), "---");
        assert_eq!(
            s("regexReplaceAll", &["a(x*)b", "-ab-axxb-", "$1"]),
            "--xx-"
        );
        assert_eq!(
            s(
                "regexReplaceAll",
                &[
                    "(?P<first>\\w+) (?P<last>\\w+)",
                    "Jane Doe",
                    "$last, $first"
                ]
            ),
            "Doe, Jane"
        );
        assert_eq!(s("regexReplaceAll", &["b", "abc", "$$"]), "a$c");
        assert_eq!(s("regexReplaceAll", &["b", "abc", "$"]), "a$c");
        assert_eq!(s("regexReplaceAll", &["b", "abc", "${x"]), "a${xc");
        assert_eq!(s("regexReplaceAll", &["a*", "baaac", "X"]), "XbXcX");
        assert_eq!(s("regexReplaceAll", &["", "abc", "-"]), "-a-b-c-");
        assert_eq!(
            s("regexReplaceAllLiteral", &["a(x*)b", "-ab-axxb-", "$1"]),
            "-$1-$1-"
        );
    }

    #[test]
    fn split_like_go() {
        assert_eq!(sn("regexSplit", "z+", "pizza", -1), r#"["pi", "a"]"#);
        assert_eq!(sn("regexSplit", "z+", "pizza", 0), "[]");
        assert_eq!(sn("regexSplit", "z+", "pizza", 1), r#"["pizza"]"#);
        assert_eq!(sn("regexSplit", "z+", "pizza", 2), r#"["pi", "a"]"#);
        assert_eq!(
            sn("regexSplit", "a*", "abaabaccadaaae", 5),
            r#"["", "b", "b", "c", "cadaaae"]"#
        );
        assert_eq!(sn("regexSplit", "", "abc", -1), r#"["a", "b", "c"]"#);
        assert_eq!(sn("regexSplit", ",", "", -1), r#"[""]"#);
    }

    #[test]
    fn quote_meta_like_go() {
        assert_eq!(s("regexQuoteMeta", &["1.2.3+x[y]"]), "1\\.2\\.3\\+x\\[y\\]");
    }
}
