//! Lexer for Go `text/template` sources: turns text into items (text, delimiters, and the
//! words of actions), each with its byte offset and line, following Go's `parse/lex.go`
//! rules exactly (trim markers need the space: `{{- 3}}` trims, `{{-3}}` is the number -3;
//! comments must hug their delimiters).
//!
//! The whole file is lexed up front into a vector of small `Copy` items whose text borrows
//! the source (no allocation per token; lines are computed from positions only when an
//! error message needs them); a lexing error ends the vector with an
//! [`ItemKind::Error`] item, and Go's message for it is returned beside the items.

use std::cell::Cell;

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

/// What an item is. Keywords are separate kinds, as in Go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemKind {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    String,
    Text,
    Variable,
    // Keywords (Go prints them as `<word>`).
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl ItemKind {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            ItemKind::Block
                | ItemKind::Break
                | ItemKind::Continue
                | ItemKind::Dot
                | ItemKind::Define
                | ItemKind::Else
                | ItemKind::End
                | ItemKind::If
                | ItemKind::Nil
                | ItemKind::Range
                | ItemKind::Template
                | ItemKind::With
        )
    }
}

/// One lexed item. `val` borrows the source; for an `Error` item it is empty and the
/// message is [`Lexed::error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Item<'a> {
    pub kind: ItemKind,
    /// Byte offset of the item in the source.
    pub pos: usize,
    pub val: &'a str,
    /// Whether white space comes right before the item inside its action. Go's lexer emits
    /// that space as an item of its own; here it is this flag, so that the parser does not
    /// step over a third of all items (see [`Lexer::lex_space`]).
    pub space: bool,
}

/// The items of a source, and the lexing error that ended them, if any.
pub(crate) struct Lexed<'a> {
    pub items: Vec<Item<'a>>,
    pub error: Option<String>,
}

/// Go's `item.String()`, used in "unexpected X in Y" messages (an `Error` item prints its
/// message, which the caller passes in `val` via [`Lexed::error`]).
impl std::fmt::Display for Item<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            ItemKind::Eof => f.write_str("EOF"),
            ItemKind::Error => f.write_str(self.val),
            k if k.is_keyword() => write!(f, "<{}>", self.val),
            _ => {
                if self.val.chars().count() > 10 {
                    let head: String = self.val.chars().take(10).collect();
                    write!(f, "{}...", crate::template::gofmt::quote(&head))
                } else {
                    f.write_str(&crate::template::gofmt::quote(self.val))
                }
            }
        }
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// ASCII bytes of Go identifiers: letters, digits and `_`.
const IDENT_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric() || b == b'_';
        i += 1;
    }
    table
};

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

thread_local! {
    /// The largest item buffer given back on this thread ([`recycle`]), empty.
    static SPARE_ITEMS: Cell<Vec<Item<'static>>> = const { Cell::new(Vec::new()) };
}

/// An empty item buffer for sources of another lifetime, in the same memory.
fn relabel<'b>(items: Vec<Item<'_>>) -> Vec<Item<'b>> {
    let mut items = std::mem::ManuallyDrop::new(items);
    items.clear();
    // SAFETY: the vector is empty, so it refers to no source at all; `Item<'a>` and
    // `Item<'b>` differ only in a lifetime, so they have one layout, and the allocation
    // (pointer and capacity, with the allocator that made it) is handed over whole, once.
    unsafe { Vec::from_raw_parts(items.as_mut_ptr().cast::<Item<'b>>(), 0, items.capacity()) }
}

/// Give back the items of a source parsed: the next [`lex`] on this thread reuses their
/// memory. A chart's template files are lexed one after another, each into a buffer of
/// several bytes per source byte, which fresh every time was megabytes of new memory.
pub(crate) fn recycle(items: Vec<Item<'_>>) {
    let items = relabel(items);
    SPARE_ITEMS.with(|spare| {
        let old = spare.take();
        spare.set(if old.capacity() > items.capacity() {
            old
        } else {
            items
        });
    });
}

/// Lex `src` completely. The items always end with an `Eof` or an `Error` item.
pub(crate) fn lex(src: &str) -> Lexed<'_> {
    let mut items = relabel(SPARE_ITEMS.with(Cell::take));
    // Dense templates make about one item per 6 bytes of source, but large files are
    // mostly plain text (a CRD is one item): start small and let the buffer grow, which
    // costs a copy of what is already in it, rather than reserving megabytes that are
    // never written.
    items.reserve(src.len() / 64 + 16);
    let mut l = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        start: 0,
        paren_depth: 0,
        space: false,
        items,
        error: None,
    };
    l.run();
    Lexed {
        items: l.items,
        error: l.error,
    }
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    start: usize,
    paren_depth: i32,
    /// White space was skipped since the last item (marks the next one, [`Item::space`]).
    space: bool,
    items: Vec<Item<'a>>,
    error: Option<String>,
}

impl<'a> Lexer<'a> {
    fn emit(&mut self, kind: ItemKind) {
        let val = self.src.get(self.start..self.pos).unwrap_or("");
        self.items.push(Item {
            kind,
            pos: self.start,
            val,
            space: std::mem::take(&mut self.space),
        });
        self.start = self.pos;
    }

    fn error(&mut self, msg: String) {
        self.items.push(Item {
            kind: ItemKind::Error,
            pos: self.start,
            val: "",
            space: false,
        });
        self.error = Some(msg);
    }

    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek_char() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    /// `{{- ` : a left trim marker is a '-' followed by a space character.
    fn has_left_trim_marker(s: &[u8]) -> bool {
        s.len() >= 2 && s[0] == b'-' && is_space(s[1])
    }

    /// ` -}}`: a right trim marker is a space character followed by '-'.
    fn has_right_trim_marker(s: &[u8]) -> bool {
        s.len() >= 2 && is_space(s[0]) && s[1] == b'-'
    }

    /// Is the input at a right delimiter (possibly trim-marked)? Returns (delim, trim).
    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        if Self::has_right_trim_marker(rest)
            && rest
                .get(2..)
                .is_some_and(|r| r.starts_with(RIGHT.as_bytes()))
        {
            return (true, true);
        }
        (rest.starts_with(RIGHT.as_bytes()), false)
    }

    fn run(&mut self) {
        loop {
            // Text up to the next left delimiter.
            match find_left_delim(self.bytes, self.pos) {
                Some(x) => {
                    let delim_pos = x;
                    let after = self.bytes.get(delim_pos + LEFT.len()..).unwrap_or_default();
                    let trim = Self::has_left_trim_marker(after);
                    let mut text_end = delim_pos;
                    if trim {
                        while text_end > self.pos && is_space(self.bytes[text_end - 1]) {
                            text_end -= 1;
                        }
                    }
                    self.pos = text_end;
                    if self.pos > self.start {
                        self.emit(ItemKind::Text);
                    }
                    self.pos = delim_pos;
                    self.start = delim_pos;
                    if !self.lex_left_delim(trim) {
                        return;
                    }
                }
                None => {
                    self.pos = self.src.len();
                    if self.pos > self.start {
                        self.emit(ItemKind::Text);
                    }
                    self.emit(ItemKind::Eof);
                    return;
                }
            }
        }
    }

    /// At a left delimiter. Returns false when lexing must stop (error).
    fn lex_left_delim(&mut self, trim: bool) -> bool {
        self.pos += LEFT.len();
        let after_marker = if trim { 2 } else { 0 };
        if self
            .bytes
            .get(self.pos + after_marker..)
            .unwrap_or_default()
            .starts_with(b"/*")
        {
            self.pos += after_marker;
            self.start = self.pos;
            return self.lex_comment();
        }
        self.emit(ItemKind::LeftDelim);
        self.pos += after_marker;
        self.start = self.pos;
        self.paren_depth = 0;
        self.lex_inside_action()
    }

    fn lex_comment(&mut self) -> bool {
        self.pos += 2;
        let Some(x) = self.rest().find("*/") else {
            self.error("unclosed comment".to_string());
            return false;
        };
        self.pos += x + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            self.error("comment ends before closing delimiter".to_string());
            return false;
        }
        // Comments are dropped (Go only keeps them with ParseComments).
        if trim {
            self.pos += 2;
        }
        self.pos += RIGHT.len();
        if trim {
            self.skip_leading_space();
        }
        self.start = self.pos;
        true
    }

    fn skip_leading_space(&mut self) {
        while self.pos < self.bytes.len() && is_space(self.bytes[self.pos]) {
            self.pos += 1;
        }
    }

    fn lex_right_delim(&mut self, trim: bool) {
        if trim {
            self.pos += 2;
            self.start = self.pos;
        }
        self.pos += RIGHT.len();
        self.emit(ItemKind::RightDelim);
        if trim {
            self.skip_leading_space();
            self.start = self.pos;
        }
    }

    /// Lex the inside of an action up to and including its right delimiter.
    ///
    /// Dispatches on the next byte: every delimiter, operator and keyword is ASCII, and a
    /// right delimiter can only begin at `}` or (trim-marked, ` -}}`) at a space.
    fn lex_inside_action(&mut self) -> bool {
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                self.error("unclosed action".to_string());
                return false;
            };
            match b {
                b'}' if self.bytes.get(self.pos + 1) == Some(&b'}') => {
                    return self.at_delim(false);
                }
                b' ' | b'\t' | b'\r' | b'\n' => {
                    if self.bytes.get(self.pos + 1) == Some(&b'-')
                        && self
                            .bytes
                            .get(self.pos + 2..)
                            .is_some_and(|r| r.starts_with(b"}}"))
                    {
                        return self.at_delim(true);
                    }
                    self.lex_space();
                }
                b'=' => {
                    self.pos += 1;
                    self.emit(ItemKind::Assign);
                }
                b':' => {
                    self.pos += 1;
                    if self.next_char() != Some('=') {
                        self.error("expected :=".to_string());
                        return false;
                    }
                    self.emit(ItemKind::Declare);
                }
                b'|' => {
                    self.pos += 1;
                    self.emit(ItemKind::Pipe);
                }
                b'"' => {
                    self.pos += 1;
                    if !self.lex_quote() {
                        return false;
                    }
                }
                b'`' => {
                    self.pos += 1;
                    if !self.lex_raw_quote() {
                        return false;
                    }
                }
                b'$' => {
                    self.pos += 1;
                    if !self.lex_field_or_variable(ItemKind::Variable) {
                        return false;
                    }
                }
                b'\'' => {
                    self.pos += 1;
                    if !self.lex_char() {
                        return false;
                    }
                }
                b'.' if !self
                    .bytes
                    .get(self.pos + 1)
                    .is_some_and(|d| d.is_ascii_digit()) =>
                {
                    self.pos += 1;
                    if !self.lex_field_or_variable(ItemKind::Field) {
                        return false;
                    }
                }
                b'.' | b'+' | b'-' | b'0'..=b'9' => {
                    if !self.lex_number() {
                        return false;
                    }
                }
                b'(' => {
                    self.pos += 1;
                    self.paren_depth += 1;
                    self.emit(ItemKind::LeftParen);
                }
                b')' => {
                    self.pos += 1;
                    self.paren_depth -= 1;
                    if self.paren_depth < 0 {
                        self.error("unexpected right paren".to_string());
                        return false;
                    }
                    self.emit(ItemKind::RightParen);
                }
                b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                    if !self.lex_identifier() {
                        return false;
                    }
                }
                _ if b.is_ascii() => {
                    self.pos += 1;
                    if b.is_ascii_control() {
                        self.error(format!(
                            "unrecognized character in action: {}",
                            unicode_plus(b as char)
                        ));
                        return false;
                    }
                    self.emit(ItemKind::Char);
                }
                _ => {
                    // A non-ASCII character: a letter or digit starts an identifier.
                    let c = self.peek_char().unwrap_or('\0');
                    if is_alnum(c) {
                        if !self.lex_identifier() {
                            return false;
                        }
                    } else {
                        self.pos += c.len_utf8();
                        self.error(format!(
                            "unrecognized character in action: {}",
                            unicode_plus(c)
                        ));
                        return false;
                    }
                }
            }
        }
    }

    /// At the action's right delimiter (`trim`: preceded by ` -`).
    fn at_delim(&mut self, trim: bool) -> bool {
        if self.paren_depth == 0 {
            self.lex_right_delim(trim);
            return true;
        }
        self.error("unclosed left paren".to_string());
        false
    }

    fn lex_space(&mut self) {
        let mut num_spaces = 0;
        while self.pos < self.bytes.len() && is_space(self.bytes[self.pos]) {
            self.pos += 1;
            num_spaces += 1;
        }
        // A trim-marked right delimiter starts with a space: leave that space for it.
        let from_last = self.bytes.get(self.pos - 1..).unwrap_or_default();
        if Self::has_right_trim_marker(from_last)
            && from_last
                .get(2..)
                .is_some_and(|r| r.starts_with(RIGHT.as_bytes()))
        {
            self.pos -= 1;
            if num_spaces == 1 {
                return;
            }
        }
        // Where Go emits a space item, mark the next item instead.
        self.space = true;
        self.start = self.pos;
    }

    /// Advance over identifier characters (Go's `isAlphaNumeric`), ASCII bytes first.
    fn skip_alnum(&mut self) {
        loop {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            let ascii = rest.iter().take_while(|&&b| IDENT_BYTE[b as usize]).count();
            self.pos += ascii;
            match rest.get(ascii) {
                Some(b) if !b.is_ascii() => match self.peek_char() {
                    Some(c) if is_alnum(c) => self.pos += c.len_utf8(),
                    _ => return,
                },
                _ => return,
            }
        }
    }

    fn at_terminator(&self) -> bool {
        match self.bytes.get(self.pos) {
            None => true,
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'.' | b',' | b'|' | b':' | b')' | b'(') => true,
            Some(b'}') => self.bytes.get(self.pos + 1) == Some(&b'}'),
            Some(_) => false,
        }
    }

    fn lex_identifier(&mut self) -> bool {
        self.skip_alnum();
        if !self.at_terminator() {
            let c = self.peek_char().unwrap_or('\0');
            self.error(format!("bad character {}", unicode_plus(c)));
            return false;
        }
        let word = self.src.get(self.start..self.pos).unwrap_or("");
        let kind = match word {
            "block" => ItemKind::Block,
            "break" => ItemKind::Break,
            "continue" => ItemKind::Continue,
            "define" => ItemKind::Define,
            "else" => ItemKind::Else,
            "end" => ItemKind::End,
            "if" => ItemKind::If,
            "range" => ItemKind::Range,
            "nil" => ItemKind::Nil,
            "template" => ItemKind::Template,
            "with" => ItemKind::With,
            "true" | "false" => ItemKind::Bool,
            _ => ItemKind::Identifier,
        };
        self.emit(kind);
        true
    }

    /// After `$` or `.`: a variable/field name, or alone `$` / `.`.
    fn lex_field_or_variable(&mut self, kind: ItemKind) -> bool {
        if self.at_terminator() {
            self.emit(if kind == ItemKind::Variable {
                ItemKind::Variable
            } else {
                ItemKind::Dot
            });
            return true;
        }
        self.skip_alnum();
        if !self.at_terminator() {
            let c = self.peek_char().unwrap_or('\0');
            self.error(format!("bad character {}", unicode_plus(c)));
            return false;
        }
        self.emit(kind);
        true
    }

    fn lex_char(&mut self) -> bool {
        loop {
            match self.next_char() {
                Some('\\') => {
                    if self.next_char().is_none() {
                        self.error("unterminated character constant".to_string());
                        return false;
                    }
                }
                None | Some('\n') => {
                    self.error("unterminated character constant".to_string());
                    return false;
                }
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.emit(ItemKind::CharConstant);
        true
    }

    fn lex_quote(&mut self) -> bool {
        // Only three ASCII bytes matter, and no byte of a multi-byte character is one of
        // them: scan bytes rather than decode characters.
        loop {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            let Some(at) = memchr::memchr3(b'"', b'\\', b'\n', rest) else {
                self.pos = self.bytes.len();
                break;
            };
            let found = rest[at];
            self.pos += at + 1;
            match found {
                b'"' => {
                    self.emit(ItemKind::String);
                    return true;
                }
                // An escape: the character after it is taken as it is, unless it ends the
                // line or the source.
                b'\\' => match self.peek_char() {
                    Some(c) if c != '\n' => self.pos += c.len_utf8(),
                    Some(_) => {
                        self.pos += 1;
                        break;
                    }
                    None => break,
                },
                _ => break,
            }
        }
        self.error("unterminated quoted string".to_string());
        false
    }

    fn lex_raw_quote(&mut self) -> bool {
        match self.rest().find('`') {
            Some(x) => {
                self.pos += x + 1;
                self.emit(ItemKind::RawString);
                true
            }
            None => {
                self.error("unterminated raw quoted string".to_string());
                false
            }
        }
    }

    fn lex_number(&mut self) -> bool {
        if !self.scan_number() {
            let text = self.src.get(self.start..self.pos).unwrap_or("");
            self.error(format!(
                "bad number syntax: {}",
                crate::template::gofmt::quote(text)
            ));
            return false;
        }
        let sign = self.peek_char();
        if matches!(sign, Some('+' | '-')) {
            // Complex: 1+2i.
            if !self.scan_number() || self.bytes.get(self.pos - 1) != Some(&b'i') {
                let text = self.src.get(self.start..self.pos).unwrap_or("");
                self.error(format!(
                    "bad number syntax: {}",
                    crate::template::gofmt::quote(text)
                ));
                return false;
            }
            self.emit(ItemKind::Complex);
        } else {
            self.emit(ItemKind::Number);
        }
        true
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek_char().is_some_and(is_alnum) {
            self.next_char();
            return false;
        }
        true
    }
}

/// Byte offset of the next `{{` at or after `from`.
fn find_left_delim(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let x = from + memchr::memchr(b'{', bytes.get(from..)?)?;
        if bytes.get(x + 1) == Some(&b'{') {
            return Some(x);
        }
        from = x + 1;
    }
}

/// Go's `%#U`: `U+0041 'A'`.
fn unicode_plus(c: char) -> String {
    format!("U+{:04X} '{}'", c as u32, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(ItemKind, String)> {
        lex(src)
            .items
            .into_iter()
            .map(|i| (i.kind, i.val.to_string()))
            .collect()
    }

    #[test]
    fn text_and_action() {
        use ItemKind::*;
        assert_eq!(
            kinds("a {{ .x.y | f 1 }} b"),
            vec![
                (Text, "a ".into()),
                (LeftDelim, "{{".into()),
                (Field, ".x".into()),
                (Field, ".y".into()),
                (Pipe, "|".into()),
                (Identifier, "f".into()),
                (Number, "1".into()),
                (RightDelim, "}}".into()),
                (Text, " b".into()),
                (Eof, "".into()),
            ]
        );
        // Go's space items are flags on the item after them.
        let spaced: Vec<bool> = lex("{{ .x.y | f 1 }}")
            .items
            .iter()
            .map(|i| i.space)
            .collect();
        assert_eq!(spaced, [false, true, false, true, true, true, true, false]);
        // The space of a trim marker is not white space before the delimiter.
        let trimmed: Vec<bool> = lex("{{ 1 -}}{{ 1  -}}")
            .items
            .iter()
            .map(|i| i.space)
            .collect();
        assert_eq!(trimmed, [false, true, false, false, true, true, false]);
    }

    #[test]
    fn trim_markers_need_space() {
        use ItemKind::*;
        assert_eq!(
            kinds("a  {{- 3 -}}  b"),
            vec![
                (Text, "a".into()),
                (LeftDelim, "{{".into()),
                (Number, "3".into()),
                (RightDelim, "}}".into()),
                (Text, "b".into()),
                (Eof, "".into()),
            ]
        );
        assert_eq!(
            kinds("a {{-3}}"),
            vec![
                (Text, "a ".into()),
                (LeftDelim, "{{".into()),
                (Number, "-3".into()),
                (RightDelim, "}}".into()),
                (Eof, "".into()),
            ]
        );
    }

    #[test]
    fn comments_and_lines() {
        let src = "a\n{{- /* c\n */ -}}\n\nb{{ $x := 1 }}";
        let items = lex(src).items;
        assert_eq!(items[0].val, "a");
        assert_eq!(items[1].val, "b");
        assert_eq!(src[..items[1].pos].matches('\n').count() + 1, 5);
        assert_eq!(items[2].kind, ItemKind::LeftDelim);
        let bad = lex("{{/* x */ }}");
        assert_eq!(
            bad.error.as_deref(),
            Some("comment ends before closing delimiter")
        );
    }

    #[test]
    fn lexing_errors() {
        let last = |s: &str| lex(s).error.unwrap_or_default();
        assert_eq!(last("{{ .x "), "unclosed action");
        assert_eq!(last("{{ (1 }}"), "unclosed left paren");
        assert_eq!(last("{{ 1) }}"), "unexpected right paren");
        assert_eq!(last("{{ \"abc }}"), "unterminated quoted string");
        assert_eq!(last("{{ \"a\nb\" }}"), "unterminated quoted string");
        assert_eq!(last("{{ \"a\\\nb\" }}"), "unterminated quoted string");
        assert_eq!(last("{{ \"a\\"), "unterminated quoted string");
        assert_eq!(last("{{ \"a\\\""), "unterminated quoted string");
        assert_eq!(last("{{ 3k }}"), "bad number syntax: \"3k\"");
        assert_eq!(last("{{ a:b }}"), "expected :=");
        assert_eq!(last("{{/* x"), "unclosed comment");
    }

    #[test]
    fn quoted_strings_keep_escapes_and_multibyte_text() {
        // An escaped quote, an escaped multi-byte character and multi-byte text: one
        // string item each, ending at its closing quote.
        let src = "{{ \"a\\\"b\" \"\\é\" \"ü\\\\\" }}";
        let strings: Vec<&str> = lex(src)
            .items
            .iter()
            .filter(|i| i.kind == ItemKind::String)
            .map(|i| i.val)
            .collect();
        assert_eq!(strings, ["\"a\\\"b\"", "\"\\é\"", "\"ü\\\\\""]);
        assert!(lex(src).error.is_none());
    }

    #[test]
    fn item_display_like_go() {
        let items = lex("{{ if \"a long string here\" }}").items;
        assert_eq!(items[1].to_string(), "<if>");
        assert_eq!(items[2].to_string(), "\"\\\"a long st\"...");
    }
}
