//! A fast loader for the plain block YAML that values files and rendered manifests are
//! made of, used before the general parser.
//!
//! It understands block mappings and sequences (including `- key: value` and indentless
//! sequences under keys), plain scalars over several lines, single-line quoted scalars,
//! literal and folded block scalars, single-line flow collections, comments and document
//! markers. Anything else — anchors, tags, complex keys, multi-line quoted or flow text,
//! tabs or CR in structure, unusual characters, and every kind of error — makes it give up
//! (`None`), and the caller parses the document with the general parser instead. So it never
//! changes a result, it only makes the common case cheaper (no event objects, no token
//! queue, no per-character allocation). Scalars are resolved by the same functions as the
//! general path.

use super::load::{resolve_plain_text, scalar_key_text, scalar_value_text};
use crate::template::value::{Map, Value};

/// Parse every document, or `None` if the input needs the general parser.
pub(crate) fn load_all(src: &str) -> Option<Vec<Value>> {
    let mut p = FastParser::new(src)?;
    let mut docs = Vec::new();
    while let Some(doc) = p.document()? {
        docs.push(doc);
    }
    Some(docs)
}

/// Parse the first document only (what go-yaml's `Unmarshal` reads).
pub(crate) fn load_first(src: &str) -> Option<Value> {
    let mut p = FastParser::new(src)?;
    Some(p.document()?.unwrap_or(Value::Nil))
}

/// Byte offsets of one line (without its `\n`) and its indentation in spaces.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    indent: usize,
}

/// Deeper nesting is left to the general parser (which has its own limit).
const MAX_DEPTH: usize = 200;

struct FastParser<'a> {
    src: &'a str,
    b: &'a [u8],
    lines: Vec<Line>,
    cur: usize,
    /// When set, the current line's content starts at this byte offset (compact nesting
    /// after `- `), and its column counts as the indentation.
    at: Option<usize>,
    depth: usize,
    started: bool,
}

/// Characters libyaml treats specially (control characters, NEL/LS/PS breaks, BOM,
/// non-characters) or that we leave to the general parser (CR).
fn has_unusual_chars(b: &[u8]) -> bool {
    // Plain printable ASCII is by far the common case: test whole chunks without branches
    // (this vectorises) and look closely only at chunks that hold something else.
    let mut chunk_start = 0;
    for chunk in b.chunks(64) {
        let odd = chunk.iter().fold(false, |acc, &c| {
            acc | !((0x20..0x7F).contains(&c) || c == b'\n' || c == b'\t')
        });
        if odd && has_unusual_chars_from(b, chunk_start, chunk_start + chunk.len()) {
            return true;
        }
        chunk_start += chunk.len();
    }
    false
}

/// The detailed check for characters starting in `from..to` (multi-byte sequences may run
/// past `to`).
fn has_unusual_chars_from(b: &[u8], from: usize, to: usize) -> bool {
    let mut i = from;
    // Step back to the start of a UTF-8 sequence that began in the previous chunk.
    while i > 0 && (b[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    let b = &b[..b.len().min(to + 3)];
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            if (c < 0x20 && c != b'\n' && c != b'\t') || c == 0x7F || c == b'\r' {
                return true;
            }
            i += 1;
            continue;
        }
        let (d, e) = (b.get(i + 1).copied(), b.get(i + 2).copied());
        let unusual = match c {
            // C1 controls, NEL included.
            0xC2 => d.is_some_and(|d| d < 0xA0),
            // LS and PS.
            0xE2 => d == Some(0x80) && matches!(e, Some(0xA8 | 0xA9)),
            // BOM and the non-characters U+FFFE, U+FFFF.
            0xEF => {
                (d == Some(0xBB) && e == Some(0xBF))
                    || (d == Some(0xBF) && matches!(e, Some(0xBE | 0xBF)))
            }
            _ => false,
        };
        if unusual {
            return true;
        }
        i += 1;
    }
    false
}

impl<'a> FastParser<'a> {
    fn new(src: &'a str) -> Option<Self> {
        let b = src.as_bytes();
        if has_unusual_chars(b) {
            return None;
        }
        let mut lines = Vec::with_capacity(b.len() / 32 + 1);
        let mut start = 0;
        loop {
            let mut indent = 0;
            while b.get(start + indent) == Some(&b' ') {
                indent += 1;
            }
            let from = start + indent;
            let end = match memchr_newline(b.get(from..).unwrap_or(&[])) {
                Some(p) => from + p,
                None => b.len(),
            };
            lines.push(Line { start, end, indent });
            if end >= b.len() {
                break;
            }
            start = end + 1;
        }
        Some(FastParser {
            src,
            b,
            lines,
            cur: 0,
            at: None,
            depth: 0,
            started: false,
        })
    }

    fn line(&self) -> Option<Line> {
        self.lines.get(self.cur).copied()
    }

    /// Offset where the current line's content begins.
    fn content_start(&self) -> Option<usize> {
        let l = self.line()?;
        Some(self.at.unwrap_or(l.start + l.indent))
    }

    /// Column of the current line's content.
    fn column(&self) -> Option<usize> {
        let l = self.line()?;
        Some(self.content_start()? - l.start)
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    /// Whether `i` (inside a line) is followed by a space or the end of the line.
    fn blank_or_eol(&self, i: usize) -> bool {
        matches!(self.byte(i), None | Some(b' ' | b'\n'))
    }

    /// A line that is empty, all spaces, or a comment. Tabs in such lines are harmless.
    fn is_blank_line(&self, l: Line) -> bool {
        match self.b[l.start..l.end]
            .iter()
            .find(|&&c| c != b' ' && c != b'\t')
        {
            None => true,
            Some(b'#') => true,
            Some(_) => false,
        }
    }

    fn skip_blank_lines(&mut self) {
        if self.at.is_some() {
            return;
        }
        while let Some(l) = self.line() {
            if !self.is_blank_line(l) {
                break;
            }
            self.cur += 1;
        }
    }

    fn next_line(&mut self) {
        self.at = None;
        self.cur += 1;
    }

    /// `---` or `...` at column 0, followed by a blank or the end of the line.
    fn marker(&self) -> Option<u8> {
        if self.at.is_some() {
            return None;
        }
        let l = self.line()?;
        let t = &self.b[l.start..l.end];
        if t.len() >= 3
            && (t.starts_with(b"---") || t.starts_with(b"..."))
            && (t.len() == 3 || t[3] == b' ' || t[3] == b'\t')
        {
            return Some(t[0]);
        }
        None
    }

    /// Does a marker line carry content after the marker (other than a comment)?
    fn marker_has_content(&self) -> bool {
        let Some(l) = self.line() else { return false };
        let rest = &self.b[l.start + 3..l.end];
        match rest.iter().find(|&&c| c != b' ' && c != b'\t') {
            None | Some(b'#') => false,
            Some(_) => true,
        }
    }

    /// The next document, `Ok(None)`-like `Some(None)` at the end of the stream.
    fn document(&mut self) -> Option<Option<Value>> {
        self.skip_blank_lines();
        let Some(_) = self.line() else {
            return Some(None);
        };
        match self.marker() {
            Some(b'-') => {
                if self.marker_has_content() {
                    return None;
                }
                self.next_line();
            }
            // `...` without an open document, or content after `...`: leave it to the parser.
            Some(_) => return None,
            None => {
                if self.started && self.cur > 0 {
                    // A bare document after `...`: uncommon, leave it.
                    return None;
                }
            }
        }
        self.started = true;
        self.skip_blank_lines();
        let value = match (self.line(), self.marker()) {
            (None, _) | (Some(_), Some(_)) => Value::Nil,
            (Some(_), None) => self.node(-1)?,
        };
        self.skip_blank_lines();
        match self.marker() {
            Some(b'.') => {
                if self.marker_has_content() {
                    return None;
                }
                self.next_line();
                self.skip_blank_lines();
                // Only another `---` or the end may follow.
                if self.line().is_some() && self.marker() != Some(b'-') {
                    return None;
                }
            }
            Some(_) => {}
            None => {
                if self.line().is_some() {
                    // Something after the root node that we did not consume: an error or a
                    // construct we do not handle.
                    return None;
                }
            }
        }
        Some(Some(value))
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A block node whose content starts at the current position, owned by a collection at
    /// column `parent` (-1 at the top).
    fn node(&mut self, parent: isize) -> Option<Value> {
        let start = self.content_start()?;
        let col = self.column()?;
        if (col as isize) <= parent {
            return Some(Value::Nil);
        }
        if self.byte(start) == Some(b'-') && self.blank_or_eol(start + 1) {
            return self.sequence(col);
        }
        if self.key_at(start)?.is_some() {
            return self.mapping(col);
        }
        self.inline_value(start, parent)
    }

    /// If a mapping key starts at `i`, its text (`Cow`-free) and the offset just after the
    /// `:`. `Some(None)` when the line is not a key; `None` when we must give up.
    fn key_at(&self, i: usize) -> Option<Option<(String, usize, bool)>> {
        let end = self.line()?.end;
        match self.byte(i)? {
            b'"' | b'\'' => {
                let (text, after) = self.quoted(i, end)?;
                let mut j = after;
                while self.byte(j) == Some(b' ') {
                    j += 1;
                }
                if j < end && self.b[j] == b':' && self.blank_or_eol(j + 1) {
                    Some(Some((text, j + 1, true)))
                } else {
                    Some(None)
                }
            }
            c if starts_special(c, self.byte(i + 1)) => Some(None),
            _ => {
                let mut j = i;
                while j < end {
                    match self.b[j] {
                        b':' if self.blank_or_eol(j + 1) => {
                            let text = self.src.get(i..j)?.trim_end_matches(' ');
                            if text.contains('\t') {
                                return None;
                            }
                            return Some(Some((text.to_string(), j + 1, false)));
                        }
                        b'#' if j > i && matches!(self.b[j - 1], b' ' | b'\t') => {
                            return Some(None)
                        }
                        _ => j += 1,
                    }
                }
                Some(None)
            }
        }
    }

    fn mapping(&mut self, col: usize) -> Option<Value> {
        self.enter()?;
        let mut map = Map::new();
        loop {
            let start = self.content_start()?;
            let (key_text, after, quoted) = self.key_at(start)??;
            let key = if quoted {
                key_text
            } else {
                if key_text == "<<" {
                    return None;
                }
                scalar_key_text(resolve_plain_text(&key_text)?)?
            };
            let value = self.map_value(after, col)?;
            map.insert(key, value);
            self.skip_blank_lines();
            if self.line().is_none() || self.marker().is_some() {
                break;
            }
            let c = self.column()?;
            if c < col {
                break;
            }
            if c > col {
                return None;
            }
            let s = self.content_start()?;
            if self.byte(s) == Some(b'-') && self.blank_or_eol(s + 1) {
                return None;
            }
        }
        self.depth -= 1;
        Some(Value::map(map))
    }

    /// The value after `key:` (at offset `after`) of a mapping at column `col`.
    fn map_value(&mut self, after: usize, col: usize) -> Option<Value> {
        let end = self.line()?.end;
        let mut i = after;
        while i < end && self.b[i] == b' ' {
            i += 1;
        }
        if i < end && self.b[i] == b'\t' {
            return None;
        }
        if i >= end || self.b[i] == b'#' {
            self.next_line();
            self.skip_blank_lines();
            if self.line().is_none() || self.marker().is_some() {
                return Some(Value::Nil);
            }
            let c = self.column()?;
            if c > col {
                return self.node(col as isize);
            }
            let s = self.content_start()?;
            if c == col && self.byte(s) == Some(b'-') && self.blank_or_eol(s + 1) {
                // An indentless sequence as the value.
                return self.sequence(col);
            }
            return Some(Value::Nil);
        }
        self.inline_value(i, col as isize)
    }

    fn sequence(&mut self, col: usize) -> Option<Value> {
        self.enter()?;
        let mut items = Vec::new();
        loop {
            let start = self.content_start()?;
            let end = self.line()?.end;
            let mut i = start + 1;
            while i < end && self.b[i] == b' ' {
                i += 1;
            }
            if i < end && self.b[i] == b'\t' {
                return None;
            }
            let item = if i >= end || self.b[i] == b'#' {
                self.next_line();
                self.skip_blank_lines();
                match self.line() {
                    Some(_) if self.marker().is_none() && self.column()? > col => {
                        self.node(col as isize)?
                    }
                    _ => Value::Nil,
                }
            } else {
                let item_col = i - self.line()?.start;
                if (self.b[i] == b'-' && self.blank_or_eol(i + 1)) || self.key_at(i)?.is_some() {
                    self.at = Some(i);
                    if self.b[i] == b'-' && self.blank_or_eol(i + 1) {
                        self.sequence(item_col)?
                    } else {
                        self.mapping(item_col)?
                    }
                } else {
                    self.inline_value(i, col as isize)?
                }
            };
            items.push(item);
            self.skip_blank_lines();
            if self.line().is_none() || self.marker().is_some() {
                break;
            }
            let c = self.column()?;
            if c < col {
                break;
            }
            if c > col {
                return None;
            }
            let s = self.content_start()?;
            if !(self.byte(s) == Some(b'-') && self.blank_or_eol(s + 1)) {
                break;
            }
        }
        self.depth -= 1;
        Some(Value::list(items))
    }

    /// A scalar or flow collection starting at offset `i` of the current line, owned by a
    /// collection at column `parent`. Leaves the cursor on the line after the value.
    fn inline_value(&mut self, i: usize, parent: isize) -> Option<Value> {
        let end = self.line()?.end;
        let c = self.byte(i)?;
        match c {
            b'|' | b'>' => self.block_scalar(i, parent),
            b'"' | b'\'' => {
                let (text, after) = self.quoted_scan(i, Some(parent))?;
                // Continue on the line where the scalar closed.
                self.at = None;
                if after > end {
                    self.cur = match self.lines.binary_search_by(|l| l.start.cmp(&after)) {
                        Ok(k) => k,
                        Err(k) => k.saturating_sub(1),
                    };
                }
                let close_end = self.line()?.end;
                self.expect_line_end(after, close_end)?;
                self.next_line();
                Some(Value::string(text))
            }
            b'[' | b'{' => {
                let (v, after) = self.flow(i, end, 0)?;
                self.expect_line_end(after, end)?;
                self.next_line();
                Some(v)
            }
            _ if starts_special(c, self.byte(i + 1)) => None,
            _ => {
                let text = self.plain(i, parent)?;
                scalar_value_text(resolve_plain_text(&text)?)
            }
        }
    }

    /// Only spaces and an optional comment may follow a value on its line.
    fn expect_line_end(&self, mut i: usize, end: usize) -> Option<()> {
        let had_space = i < end && self.b[i] == b' ';
        while i < end && self.b[i] == b' ' {
            i += 1;
        }
        if i >= end || (had_space && self.b[i] == b'#') {
            Some(())
        } else {
            None
        }
    }

    /// A plain scalar in block context, folded over continuation lines more indented than
    /// `parent`, as libyaml scans it.
    fn plain(&mut self, i: usize, parent: isize) -> Option<String> {
        let end = self.line()?.end;
        let (piece, by_comment) = self.plain_piece(i, end)?;
        let mut text = piece.to_string();
        let mut ended_by_comment = by_comment;
        self.next_line();
        loop {
            let mut j = self.cur;
            let mut breaks = 0;
            while let Some(l) = self.lines.get(j) {
                if self.b[l.start..l.end]
                    .iter()
                    .all(|&c| c == b' ' || c == b'\t')
                {
                    breaks += 1;
                    j += 1;
                } else {
                    break;
                }
            }
            let Some(l) = self.lines.get(j).copied() else {
                break;
            };
            if (l.indent as isize) <= parent {
                break;
            }
            let first = self.b.get(l.start + l.indent).copied();
            if first == Some(b'#') || first == Some(b'\t') {
                // A comment ends the scalar; a tab in indentation is for the parser.
                if first == Some(b'\t') {
                    return None;
                }
                break;
            }
            if l.indent == 0 {
                let t = &self.b[l.start..l.end];
                if t.starts_with(b"---") || t.starts_with(b"...") {
                    break;
                }
            }
            if ended_by_comment {
                return None;
            }
            let (piece, by_comment) = self.plain_piece(l.start + l.indent, l.end)?;
            if breaks == 0 {
                text.push(' ');
            } else {
                for _ in 0..breaks {
                    text.push('\n');
                }
            }
            text.push_str(piece);
            ended_by_comment = by_comment;
            self.cur = j + 1;
        }
        Some(text)
    }

    /// One line of a plain scalar: up to a comment or the end, trailing blanks trimmed.
    /// Gives up on `: ` (a mapping value where none is allowed) and on tabs.
    fn plain_piece(&self, i: usize, end: usize) -> Option<(&'a str, bool)> {
        let mut j = i;
        let mut by_comment = false;
        while j < end {
            match self.b[j] {
                b'\t' => return None,
                b':' if self.blank_or_eol(j + 1) => return None,
                b'#' if j > i && self.b[j - 1] == b' ' => {
                    by_comment = true;
                    break;
                }
                _ => j += 1,
            }
        }
        let piece = self.src.get(i..j)?.trim_end_matches(' ');
        Some((piece, by_comment))
    }

    /// A single-line quoted scalar starting at `i` (the quote); its text and the offset after
    /// the closing quote.
    fn quoted(&self, i: usize, end: usize) -> Option<(String, usize)> {
        let (text, after) = self.quoted_scan(i, None)?;
        (after <= end).then_some((text, after))
    }

    /// A quoted scalar starting at `i`, possibly over several lines (libyaml's
    /// `scan_flow_scalar`): line breaks fold to a space, blank lines to newlines, and an
    /// escaped break joins lines. With `parent` set, continuation lines must be indented
    /// more than it; with `None` the scalar must end on its line.
    fn quoted_scan(&self, i: usize, parent: Option<isize>) -> Option<(String, usize)> {
        let b = self.b;
        let single = b[i] == b'\'';
        let mut out = String::new();
        let mut pos = i + 1;
        loop {
            // Non-blank characters.
            let mut leading_blanks = false;
            let mut run = pos;
            loop {
                let c = *b.get(pos)?;
                if matches!(c, b' ' | b'\t' | b'\n') {
                    break;
                }
                if single {
                    if c == b'\'' {
                        out.push_str(self.src.get(run..pos)?);
                        if b.get(pos + 1) == Some(&b'\'') {
                            out.push('\'');
                            pos += 2;
                            run = pos;
                            continue;
                        }
                        return Some((out, pos + 1));
                    }
                    pos += 1;
                    continue;
                }
                match c {
                    b'"' => {
                        out.push_str(self.src.get(run..pos)?);
                        return Some((out, pos + 1));
                    }
                    b'\\' => {
                        out.push_str(self.src.get(run..pos)?);
                        let e = *b.get(pos + 1)?;
                        if e == b'\n' {
                            parent?;
                            // An escaped line break: the lines are joined without a space.
                            pos += 2;
                            leading_blanks = true;
                            run = pos;
                            break;
                        }
                        pos += 2;
                        let simple = match e {
                            b'0' => Some('\0'),
                            b'a' => Some('\u{7}'),
                            b'b' => Some('\u{8}'),
                            b't' | b'\t' => Some('\t'),
                            b'n' => Some('\n'),
                            b'v' => Some('\u{b}'),
                            b'f' => Some('\u{c}'),
                            b'r' => Some('\r'),
                            b'e' => Some('\u{1b}'),
                            b' ' => Some(' '),
                            b'"' => Some('"'),
                            b'\'' => Some('\''),
                            b'\\' => Some('\\'),
                            b'N' => Some('\u{85}'),
                            b'_' => Some('\u{a0}'),
                            b'L' => Some('\u{2028}'),
                            b'P' => Some('\u{2029}'),
                            _ => None,
                        };
                        match simple {
                            Some(ch) => out.push(ch),
                            None => {
                                let width = match e {
                                    b'x' => 2,
                                    b'u' => 4,
                                    b'U' => 8,
                                    _ => return None,
                                };
                                let hex = self.src.get(pos..pos + width)?;
                                if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                                    return None;
                                }
                                let n = u32::from_str_radix(hex, 16).ok()?;
                                out.push(char::from_u32(n)?);
                                pos += width;
                            }
                        }
                        run = pos;
                    }
                    _ => pos += 1,
                }
            }
            if !leading_blanks {
                out.push_str(self.src.get(run..pos)?);
            }
            // Blanks and breaks.
            let ws_start = pos;
            let mut leading_break = false;
            let mut trailing_breaks = 0usize;
            while let Some(&c) = b.get(pos) {
                match c {
                    b' ' | b'\t' => pos += 1,
                    b'\n' => {
                        parent?;
                        if leading_blanks {
                            trailing_breaks += 1;
                        } else {
                            leading_break = true;
                            leading_blanks = true;
                        }
                        pos += 1;
                        // The next line: indentation, document markers.
                        let line_start = pos;
                        let spaces = b[pos..].iter().take_while(|&&c| c == b' ').count();
                        let rest = &b[pos + spaces..];
                        let blank = matches!(rest.first(), None | Some(b'\n'));
                        if !blank {
                            if spaces == 0 && (rest.starts_with(b"---") || rest.starts_with(b"..."))
                            {
                                return None;
                            }
                            if rest.first() == Some(&b'\t') {
                                return None;
                            }
                            if let Some(p) = parent {
                                if (spaces as isize) <= p {
                                    return None;
                                }
                            }
                        }
                        let _ = line_start;
                    }
                    _ => break,
                }
            }
            b.get(pos)?;
            if leading_blanks {
                if leading_break && trailing_breaks == 0 {
                    out.push(' ');
                }
                for _ in 0..trailing_breaks {
                    out.push('\n');
                }
            } else {
                out.push_str(self.src.get(ws_start..pos)?);
            }
        }
    }

    /// A single-line flow collection starting at `i`; the value and the offset after it.
    fn flow(&self, i: usize, end: usize, depth: usize) -> Option<(Value, usize)> {
        if depth > 100 {
            return None;
        }
        let open = self.b[i];
        let close = if open == b'[' { b']' } else { b'}' };
        let mut j = i + 1;
        let skip = |j: &mut usize| {
            while *j < end && self.b[*j] == b' ' {
                *j += 1;
            }
        };
        let mut items = Vec::new();
        let mut map = Map::new();
        skip(&mut j);
        if j < end && self.b[j] == close {
            let v = if open == b'[' {
                Value::list(items)
            } else {
                Value::map(map)
            };
            return Some((v, j + 1));
        }
        loop {
            skip(&mut j);
            if j >= end {
                return None;
            }
            let (node, after, plain) = self.flow_node(j, end, depth)?;
            j = after;
            skip(&mut j);
            if open == b'{' {
                if j >= end || self.b[j] != b':' {
                    return None;
                }
                j += 1;
                if j < end && self.b[j] != b' ' {
                    return None;
                }
                skip(&mut j);
                if j >= end || matches!(self.b[j], b',' | b'}') {
                    return None;
                }
                let key = match (node, plain) {
                    (FlowNode::Text(t), true) => scalar_key_text(resolve_plain_text(&t)?)?,
                    (FlowNode::Text(t), false) => t,
                    (FlowNode::Value(_), _) => return None,
                };
                let (vnode, after, vplain) = self.flow_node(j, end, depth)?;
                j = after;
                map.insert(key, flow_value(vnode, vplain)?);
            } else {
                items.push(flow_value(node, plain)?);
            }
            skip(&mut j);
            if j >= end {
                return None;
            }
            if self.b[j] == close {
                j += 1;
                break;
            }
            if self.b[j] != b',' {
                return None;
            }
            j += 1;
            skip(&mut j);
            if j < end && self.b[j] == close {
                // A trailing comma: leave it to the parser.
                return None;
            }
        }
        let v = if open == b'[' {
            Value::list(items)
        } else {
            Value::map(map)
        };
        Some((v, j))
    }

    /// One entry of a flow collection: nested collection, quoted or plain text.
    fn flow_node(&self, j: usize, end: usize, depth: usize) -> Option<(FlowNode, usize, bool)> {
        let c = self.b[j];
        match c {
            b'[' | b'{' => {
                let (v, after) = self.flow(j, end, depth + 1)?;
                Some((FlowNode::Value(v), after, false))
            }
            b'"' | b'\'' => {
                let (t, after) = self.quoted(j, end)?;
                Some((FlowNode::Text(t), after, false))
            }
            _ if starts_special(c, self.byte(j + 1)) => None,
            _ => {
                let mut k = j;
                while k < end && !matches!(self.b[k], b',' | b'[' | b']' | b'{' | b'}') {
                    match self.b[k] {
                        b':' | b'\t' => break,
                        b'#' if self.b[k - 1] == b' ' => return None,
                        _ => k += 1,
                    }
                }
                if k < end && self.b[k] == b'\t' {
                    return None;
                }
                if k < end && self.b[k] == b':' && !self.blank_or_eol(k + 1) {
                    // `a:b` inside flow: unusual, leave it.
                    return None;
                }
                let t = self.src.get(j..k)?.trim_end_matches(' ');
                if t.is_empty() {
                    return None;
                }
                Some((FlowNode::Text(t.to_string()), j + t.len(), true))
            }
        }
    }

    /// A literal (`|`) or folded (`>`) block scalar whose indicator is at `i`, owned by a
    /// collection at column `parent`; a port of libyaml's block scalar scanner.
    fn block_scalar(&mut self, i: usize, parent: isize) -> Option<Value> {
        let literal = self.b[i] == b'|';
        let line_end = self.line()?.end;
        let mut j = i + 1;
        let mut chomp: i8 = 0;
        let mut increment = 0usize;
        for _ in 0..2 {
            match self.byte(j) {
                Some(b'+') if chomp == 0 && j < line_end => {
                    chomp = 1;
                    j += 1;
                }
                Some(b'-') if chomp == 0 && j < line_end => {
                    chomp = -1;
                    j += 1;
                }
                Some(d @ b'1'..=b'9') if increment == 0 && j < line_end => {
                    increment = usize::from(d - b'0');
                    j += 1;
                }
                _ => break,
            }
        }
        self.expect_line_end(j, line_end)?;
        if j < line_end && self.b[j] != b' ' {
            return None;
        }
        let parent_indent = parent.max(-1);
        let mut indent: usize = if increment > 0 {
            if parent_indent >= 0 {
                parent_indent as usize + increment
            } else {
                increment
            }
        } else {
            0
        };
        // Position at the start of the next line.
        let mut pos = if line_end < self.b.len() {
            line_end + 1
        } else {
            self.b.len()
        };
        let mut s = String::new();
        let mut leading_break = String::new();
        let mut trailing_breaks = String::new();
        let mut leading_blank = false;
        let mut col = 0usize;
        // Leading breaks and indentation.
        self.block_breaks(
            &mut pos,
            &mut col,
            &mut indent,
            &mut trailing_breaks,
            parent_indent,
        )?;
        while col == indent && pos < self.b.len() {
            let trailing_blank = matches!(self.byte(pos), Some(b' ' | b'\t'));
            if !literal && leading_break.starts_with('\n') && !leading_blank && !trailing_blank {
                if trailing_breaks.is_empty() {
                    s.push(' ');
                }
                leading_break.clear();
            } else {
                s.push_str(&leading_break);
                leading_break.clear();
            }
            s.push_str(&trailing_breaks);
            trailing_breaks.clear();
            leading_blank = matches!(self.byte(pos), Some(b' ' | b'\t'));
            let eol = self.b[pos..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(self.b.len(), |p| pos + p);
            s.push_str(self.src.get(pos..eol)?);
            pos = eol;
            // A last line without its newline still ends with a break (libyaml and the
            // general parser agree on this).
            leading_break.push('\n');
            if pos < self.b.len() {
                pos += 1;
            }
            col = 0;
            self.block_breaks(
                &mut pos,
                &mut col,
                &mut indent,
                &mut trailing_breaks,
                parent_indent,
            )?;
        }
        if chomp != -1 {
            s.push_str(&leading_break);
        }
        if chomp == 1 {
            s.push_str(&trailing_breaks);
        }
        // Continue with the line holding `pos` (a less indented line, or the end).
        self.at = None;
        self.cur = match self.lines.binary_search_by(|l| l.start.cmp(&pos)) {
            Ok(k) => k,
            Err(k) => k.saturating_sub(1),
        };
        if pos >= self.b.len() {
            self.cur = self.lines.len();
        } else if let Some(l) = self.line() {
            // `pos` sits inside the line after its indentation was eaten; that is fine for
            // the line-based parser, which re-reads the indentation.
            if pos > l.end {
                return None;
            }
        }
        Some(Value::string(s))
    }

    /// libyaml's `scan_block_scalar_breaks`: eat indentation and empty lines, fix the
    /// indentation on first use.
    fn block_breaks(
        &self,
        pos: &mut usize,
        col: &mut usize,
        indent: &mut usize,
        breaks: &mut String,
        parent: isize,
    ) -> Option<()> {
        let mut max_indent = 0usize;
        loop {
            while (*indent == 0 || *col < *indent) && self.byte(*pos) == Some(b' ') {
                *pos += 1;
                *col += 1;
            }
            max_indent = max_indent.max(*col);
            if (*indent == 0 || *col < *indent) && self.byte(*pos) == Some(b'\t') {
                return None;
            }
            if self.byte(*pos) != Some(b'\n') {
                break;
            }
            breaks.push('\n');
            *pos += 1;
            *col = 0;
        }
        if *indent == 0 {
            let mut n = max_indent;
            let min = (parent + 1).max(1) as usize;
            if n < min {
                n = min;
            }
            *indent = n;
        }
        Some(())
    }
}

/// Position of the first `\n`, eight bytes at a time.
fn memchr_newline(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const NL: u64 = LO * b'\n' as u64;
    let mut i = 0;
    while i + 8 <= b.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(word) ^ NL;
        if (x.wrapping_sub(LO) & !x & HI) != 0 {
            break;
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c == b'\n').map(|p| i + p)
}

enum FlowNode {
    Value(Value),
    Text(String),
}

fn flow_value(node: FlowNode, plain: bool) -> Option<Value> {
    match node {
        FlowNode::Value(v) => Some(v),
        FlowNode::Text(t) if plain => scalar_value_text(resolve_plain_text(&t)?),
        FlowNode::Text(t) => Some(Value::string(t)),
    }
}

/// Characters that cannot start a plain scalar here, or start constructs we leave to the
/// general parser (anchors, aliases, tags, directives, complex keys).
fn starts_special(c: u8, next: Option<u8>) -> bool {
    match c {
        b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' | b'\t' => true,
        b'-' | b'?' | b':' => matches!(next, None | Some(b' ' | b'\n' | b'\t')) || c == b'?',
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{load_all_general, to_json, to_yaml, to_yaml_pretty};

    /// The fast path must agree with the general parser whenever it answers.
    fn agree(src: &str) -> bool {
        let Some(fast) = load_all(src) else {
            return false;
        };
        let general = load_all_general(src, "t")
            .unwrap_or_else(|e| panic!("general parser failed where fast did not: {e}\n{src}"));
        let show = |d: &[Value]| {
            d.iter()
                .map(|v| to_json(v).unwrap_or_default())
                .collect::<Vec<_>>()
        };
        assert!(
            fast == general,
            "fast {:?}\ngeneral {:?}\nfor {src:?}",
            show(&fast),
            show(&general)
        );
        true
    }

    #[test]
    fn handles_common_shapes_like_the_parser() {
        let cases = [
            "a: 1\nb: two\nc:\n  d: [1, \"x\", {e: f}]\n  g: {}\n  h: []\n",
            "# c\n---\n# Source: x\napiVersion: v1\nkind: List\n---\nb: 2\n...\n---\n",
            "list:\n- a\n- b: 1\n  c: 2\n-   - x\n    - y\n-\n  z: 1\n- \nk: v\n",
            "a: |\n  x\n   y\n\n  z\nb: |-\n  x\n\nc: |+\n  x\n\n\nd: >\n  a\n  b\n\n  c\n   d\n  e\n",
            "a: >-\n\n  lead\n  more\nb: |2\n    x\n   y\nc: |\n  # not a comment\n# a comment\nd: 1\n",
            "a: |\n\n  x\nb: |\n  x\n    \n  y\n",
            "a: >\n  x\n\n    indented\n  back\n",
            "description: This is a long\n  plain scalar over\n\n  several lines  # comment\nnext: 1\n",
            "q: \"a\\tb \\u00e9 \\x41\"\nr: 'it''s'\ns: \"multi\n  line\n\n  text\"\nt: \"esc\\\n   aped\"\n",
            "u: 'one\n  two'\nv: \"\"\nw: ''\n",
            "a: yes\nb: 0755\nc: 1e3\nd: ~\ne: 2001-12-14\nf: \"yes\"\n1: x\ntrue: y\n",
            "- - a\n  - b\n- c\n",
            "a:\n  - x\n  - y\nb: c\n",
            "key with spaces: v\n\"quoted key\": 1\n'single': 2\nurl: http://x.y/z\n",
            "a: b # c\nd: e#f\ng: \"h\" # i\n",
            "plain: [a b, c-d, 1.5, null, ~]\n",
            "",
            "# only\n",
            "---\n---\n",
            "scalar doc\n",
            "a: |\n  no newline at end",
            "a:\n  b:\n    c: 1\n  d: 2\ne: 3\n",
        ];
        for src in cases {
            assert!(agree(src), "fast path gave up on {src:?}");
        }
    }

    #[test]
    fn gives_up_on_what_it_does_not_handle() {
        let cases = [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "? a\n: b\n",
            "a:\tb\n",
            "a: 1\r\n",
            "a: b: c\n",
            "a: [1,\n  2]\n",
            "<<: {a: 1}\n",
            "a: \"x\\/y\"\n",
            "a:\n  b: 1\n   c: 2\n",
            "\u{feff}a: 1\n",
            "a: x\u{85}y\n",
            "%YAML 1.1\n---\na: 1\n",
            "a: |\n   \n  x\n",
        ];
        for src in cases {
            assert!(
                load_all(src).is_none(),
                "fast path should give up on {src:?}"
            );
        }
    }

    #[test]
    fn agrees_on_emitted_yaml() {
        // Whatever toYaml prints for awkward data is parsed the same by both paths.
        let data = crate::yaml::load_str(include_str!("testdata/tricky.yaml"), "t").unwrap();
        for text in [to_yaml(&data), to_yaml_pretty(&data)] {
            let _ = agree(&text);
            for part in text.split("\n- ") {
                let _ = agree(part);
            }
        }
        // Sections without characters it leaves to the parser are handled by the fast path.
        for key in ["numbers", "other"] {
            let section = data.get(key).unwrap();
            assert!(agree(&to_yaml(&section)), "{key}");
            assert!(agree(&to_yaml_pretty(&section)), "{key}");
        }
    }
}
