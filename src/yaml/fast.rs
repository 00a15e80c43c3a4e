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
//!
//! The grammar is written once, over a [`Build`] that receives what it recognises: the
//! tree builder makes `Value`s ([`load_all`], [`load_first`]); the head skimmer
//! ([`skim_first`]) accepts exactly the same documents but keeps only what Helm's
//! `SimpleHead` reads (`apiVersion`, `kind`, `metadata.name`, the `helm.sh/hook`
//! annotation), so sorting rendered manifests validates each document without building
//! and dropping its object tree.

use std::borrow::Cow;

use super::load::{resolve_plain_text, scalar_key_text, scalar_value_text, Scalar};
use crate::template::value::{Map, Value};

/// Parse every document, or `None` if the input needs the general parser.
pub(crate) fn load_all(src: &str) -> Option<Vec<Value>> {
    let mut p = FastParser::new(src, Tree)?;
    let mut docs = Vec::new();
    while let Some(doc) = p.document()? {
        docs.push(doc);
    }
    Some(docs)
}

/// Parse the first document only (what go-yaml's `Unmarshal` reads).
pub(crate) fn load_first(src: &str) -> Option<Value> {
    let mut p = FastParser::new(src, Tree)?;
    Some(p.document()?.unwrap_or(Value::Nil))
}

/// What Helm's `SimpleHead` decoding reads of a document, as [`skim_first`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DocHead {
    pub top: Top,
    pub api_version: HeadField,
    pub kind: HeadField,
    /// `metadata.name`.
    pub name: HeadField,
    /// `metadata.annotations["helm.sh/hook"]`.
    pub hook: HeadField,
}

/// The shape of a document's root node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Top {
    Map,
    /// An empty or comment-only document, or an explicit null.
    Empty,
    /// A scalar or a sequence (which `SimpleHead` decoding rejects).
    Other,
}

/// One field of the head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeadField {
    /// Absent, null, or a scalar that is not a string (a bool, a number).
    Missing,
    Text(String),
    List,
    Map,
}

/// The head of the first document, found by walking it with the same acceptance rules as
/// [`load_first`] without building it: `Some` exactly when `load_first` would give a value,
/// and then equal to what that value holds.
pub(crate) fn skim_first(src: &str) -> Option<DocHead> {
    let mut p = FastParser::new(src, Skim::default())?;
    let root = p.document()?;
    let head = p.build.head;
    let top = match root {
        Some(Skimmed::Map) => return Some(head),
        None | Some(Skimmed::Nil) => Top::Empty,
        Some(_) => Top::Other,
    };
    Some(DocHead {
        top,
        ..DocHead::empty()
    })
}

impl DocHead {
    fn empty() -> DocHead {
        DocHead {
            top: Top::Map,
            api_version: HeadField::Missing,
            kind: HeadField::Missing,
            name: HeadField::Missing,
            hook: HeadField::Missing,
        }
    }
}

/// What the parser hands the nodes it recognises to. Every method may be called for a
/// document that later turns out to need the general parser; the result is then dropped.
trait Build {
    type Node;
    type Map;
    type Seq;
    /// A mapping key as the builder keeps it.
    type Key;
    /// Where a node sits, as far as the builder cares (the skimmer follows the head path).
    type Ctx: Copy;

    fn root_ctx(&self) -> Self::Ctx;
    /// The context of a sequence's items (in block or flow style).
    fn item_ctx(ctx: Self::Ctx) -> Self::Ctx;
    fn nil(&mut self) -> Self::Node;
    /// A quoted or block scalar: always a string.
    fn string(&mut self, ctx: Self::Ctx, text: &str) -> Self::Node;
    /// A plain scalar, resolved; `None` when JSON cannot hold it.
    fn plain(&mut self, ctx: Self::Ctx, text: &str) -> Option<Self::Node>;
    /// A mapping key in a mapping at `ctx` (plain keys are resolved, `None` when JSON
    /// cannot hold them), and the context of its value.
    fn key(
        &mut self,
        ctx: Self::Ctx,
        text: Cow<'_, str>,
        quoted: bool,
    ) -> Option<(Self::Key, Self::Ctx)>;
    fn new_map(&mut self, ctx: Self::Ctx) -> Self::Map;
    /// Later duplicates of a key replace earlier ones.
    fn insert(&mut self, map: &mut Self::Map, key: Self::Key, value: Self::Node);
    fn end_map(&mut self, map: Self::Map) -> Self::Node;
    fn new_seq(&mut self) -> Self::Seq;
    fn push(&mut self, seq: &mut Self::Seq, item: Self::Node);
    fn end_seq(&mut self, seq: Self::Seq) -> Self::Node;
}

/// Builds the document as `Value`s.
struct Tree;

impl Build for Tree {
    type Node = Value;
    type Map = Map;
    type Seq = Vec<Value>;
    type Key = String;
    type Ctx = ();

    #[inline]
    fn root_ctx(&self) {}

    #[inline]
    fn item_ctx(_: ()) {}

    #[inline]
    fn nil(&mut self) -> Value {
        Value::Nil
    }

    #[inline]
    fn string(&mut self, _: (), text: &str) -> Value {
        Value::str(text)
    }

    #[inline]
    fn plain(&mut self, _: (), text: &str) -> Option<Value> {
        scalar_value_text(resolve_plain_text(text)?)
    }

    #[inline]
    fn key(&mut self, _: (), text: Cow<'_, str>, quoted: bool) -> Option<(String, ())> {
        let key = if quoted {
            text.into_owned()
        } else {
            scalar_key_text(resolve_plain_text(&text)?)?
        };
        Some((key, ()))
    }

    #[inline]
    fn new_map(&mut self, _: ()) -> Map {
        Map::new()
    }

    #[inline]
    fn insert(&mut self, map: &mut Map, key: String, value: Value) {
        map.insert(key, value);
    }

    #[inline]
    fn end_map(&mut self, map: Map) -> Value {
        Value::map(map)
    }

    #[inline]
    fn new_seq(&mut self) -> Vec<Value> {
        Vec::new()
    }

    #[inline]
    fn push(&mut self, seq: &mut Vec<Value>, item: Value) {
        seq.push(item);
    }

    #[inline]
    fn end_seq(&mut self, seq: Vec<Value>) -> Value {
        Value::list(seq)
    }
}

/// Walks the document keeping only the head: the nodes are shapes, and strings are kept
/// only where a head field sits. The fields live in the skimmer rather than in the nodes;
/// a mapping on the head path clears the fields below it when it starts, and a later
/// duplicate key that is not a mapping clears them when inserted, which is what replacing
/// the whole value does in the tree.
#[derive(Default)]
struct Skim {
    head: DocHead,
}

impl Default for DocHead {
    fn default() -> DocHead {
        DocHead::empty()
    }
}

/// Where a node sits relative to the head path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Root,
    Metadata,
    Annotations,
    /// The value of a head field: strings are kept.
    Field,
    /// Anywhere else.
    Elsewhere,
}

/// Which head entry a mapping key is.
#[derive(Debug, Clone, Copy)]
enum Role {
    ApiVersion,
    Kind,
    Metadata,
    Name,
    Annotations,
    Hook,
    Other,
}

/// A node's shape; the text only of strings that are head fields.
enum Skimmed {
    Nil,
    Text(String),
    /// Any other scalar.
    Scalar,
    List,
    Map,
}

/// The head entry `key` names in a mapping at `ctx`, and the context of its value.
fn role(ctx: At, key: &str) -> (Role, At) {
    const OTHER: (Role, At) = (Role::Other, At::Elsewhere);
    match ctx {
        At::Root => match key {
            "apiVersion" => (Role::ApiVersion, At::Field),
            "kind" => (Role::Kind, At::Field),
            "metadata" => (Role::Metadata, At::Metadata),
            _ => OTHER,
        },
        At::Metadata => match key {
            "name" => (Role::Name, At::Field),
            "annotations" => (Role::Annotations, At::Annotations),
            _ => OTHER,
        },
        At::Annotations if key == "helm.sh/hook" => (Role::Hook, At::Field),
        At::Annotations | At::Field | At::Elsewhere => OTHER,
    }
}

fn head_field(node: Skimmed) -> HeadField {
    match node {
        Skimmed::Nil | Skimmed::Scalar => HeadField::Missing,
        Skimmed::Text(s) => HeadField::Text(s),
        Skimmed::List => HeadField::List,
        Skimmed::Map => HeadField::Map,
    }
}

impl Build for Skim {
    type Node = Skimmed;
    type Map = ();
    type Seq = ();
    type Key = Role;
    type Ctx = At;

    fn root_ctx(&self) -> At {
        At::Root
    }

    fn item_ctx(_: At) -> At {
        At::Elsewhere
    }

    fn nil(&mut self) -> Skimmed {
        Skimmed::Nil
    }

    fn string(&mut self, ctx: At, text: &str) -> Skimmed {
        if ctx == At::Field {
            Skimmed::Text(text.to_string())
        } else {
            Skimmed::Scalar
        }
    }

    fn plain(&mut self, ctx: At, text: &str) -> Option<Skimmed> {
        // Plain strings (the common case) need no value; everything else goes through the
        // tree builder's conversion, so what fails there fails here.
        let node = match resolve_plain_text(text)? {
            Scalar::Str(_) if ctx != At::Field => Skimmed::Scalar,
            Scalar::Str(s) => Skimmed::Text(s.into_owned()),
            other => match scalar_value_text(other)? {
                Value::Nil => Skimmed::Nil,
                Value::String(s) if ctx == At::Field => Skimmed::Text(s.to_string()),
                _ => Skimmed::Scalar,
            },
        };
        Some(node)
    }

    fn key(&mut self, ctx: At, text: Cow<'_, str>, quoted: bool) -> Option<(Role, At)> {
        if quoted {
            return Some(role(ctx, &text));
        }
        match resolve_plain_text(&text)? {
            Scalar::Str(s) => Some(role(ctx, &s)),
            // Booleans and numbers name no head field; which of them JSON refuses is the
            // tree builder's rule.
            other => {
                scalar_key_text(other)?;
                Some((Role::Other, At::Elsewhere))
            }
        }
    }

    fn new_map(&mut self, ctx: At) {
        let head = &mut self.head;
        match ctx {
            At::Root => *head = DocHead::empty(),
            At::Metadata => {
                head.name = HeadField::Missing;
                head.hook = HeadField::Missing;
            }
            At::Annotations => head.hook = HeadField::Missing,
            At::Field | At::Elsewhere => {}
        }
    }

    fn insert(&mut self, _: &mut (), key: Role, value: Skimmed) {
        let head = &mut self.head;
        match key {
            Role::ApiVersion => head.api_version = head_field(value),
            Role::Kind => head.kind = head_field(value),
            Role::Name => head.name = head_field(value),
            Role::Hook => head.hook = head_field(value),
            // A mapping filled the fields below it as it was read (after clearing them).
            Role::Metadata if !matches!(value, Skimmed::Map) => {
                head.name = HeadField::Missing;
                head.hook = HeadField::Missing;
            }
            Role::Annotations if !matches!(value, Skimmed::Map) => {
                head.hook = HeadField::Missing;
            }
            Role::Metadata | Role::Annotations | Role::Other => {}
        }
    }

    fn end_map(&mut self, _: ()) -> Skimmed {
        Skimmed::Map
    }

    fn new_seq(&mut self) {}

    fn push(&mut self, _: &mut (), _: Skimmed) {}

    fn end_seq(&mut self, _: ()) -> Skimmed {
        Skimmed::List
    }
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

struct FastParser<'a, B: Build> {
    build: B,
    src: &'a str,
    b: &'a [u8],
    lines: Vec<Line>,
    cur: usize,
    /// When set, the current line's content starts at this byte offset (compact nesting
    /// after `- `), and its column counts as the indentation.
    at: Option<usize>,
    depth: usize,
    started: bool,
    /// Reused for scalars whose text is not a slice of the source (plain scalars over
    /// several lines, block scalars), so reading them allocates nothing of its own.
    scratch: String,
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

impl<'a, B: Build> FastParser<'a, B> {
    fn new(src: &'a str, build: B) -> Option<Self> {
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
            build,
            src,
            b,
            lines,
            cur: 0,
            at: None,
            depth: 0,
            started: false,
            scratch: String::new(),
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
        // The indentation is spaces by construction.
        match self.b[l.start + l.indent..l.end]
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
    fn document(&mut self) -> Option<Option<B::Node>> {
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
            (None, _) | (Some(_), Some(_)) => self.build.nil(),
            (Some(_), None) => {
                let ctx = self.build.root_ctx();
                self.node(-1, ctx)?
            }
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
    fn node(&mut self, parent: isize, ctx: B::Ctx) -> Option<B::Node> {
        let start = self.content_start()?;
        let col = self.column()?;
        if (col as isize) <= parent {
            return Some(self.build.nil());
        }
        if self.byte(start) == Some(b'-') && self.blank_or_eol(start + 1) {
            return self.sequence(col, ctx);
        }
        if self.key_at(start)?.is_some() {
            return self.mapping(col, ctx);
        }
        self.inline_value(start, parent, ctx)
    }

    /// If a mapping key starts at `i`, its text, the offset just after the `:` and whether
    /// it was quoted. `Some(None)` when the line is not a key; `None` when we must give up.
    fn key_at(&self, i: usize) -> Option<Option<(Cow<'a, str>, usize, bool)>> {
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
                let mut tab = false;
                while j < end {
                    match self.b[j] {
                        b':' if self.blank_or_eol(j + 1) => {
                            if tab {
                                return None;
                            }
                            let text = self.src.get(i..j)?.trim_end_matches(' ');
                            return Some(Some((Cow::Borrowed(text), j + 1, false)));
                        }
                        b'#' if j > i && matches!(self.b[j - 1], b' ' | b'\t') => {
                            return Some(None)
                        }
                        b'\t' => {
                            tab = true;
                            j += 1;
                        }
                        _ => j += 1,
                    }
                }
                Some(None)
            }
        }
    }

    fn mapping(&mut self, col: usize, ctx: B::Ctx) -> Option<B::Node> {
        self.enter()?;
        let mut map = self.build.new_map(ctx);
        loop {
            let start = self.content_start()?;
            let (key_text, after, quoted) = self.key_at(start)??;
            if !quoted && key_text == "<<" {
                return None;
            }
            let (key, value_ctx) = self.build.key(ctx, key_text, quoted)?;
            let value = self.map_value(after, col, value_ctx)?;
            self.build.insert(&mut map, key, value);
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
        Some(self.build.end_map(map))
    }

    /// The value after `key:` (at offset `after`) of a mapping at column `col`.
    fn map_value(&mut self, after: usize, col: usize, ctx: B::Ctx) -> Option<B::Node> {
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
                return Some(self.build.nil());
            }
            let c = self.column()?;
            if c > col {
                return self.node(col as isize, ctx);
            }
            let s = self.content_start()?;
            if c == col && self.byte(s) == Some(b'-') && self.blank_or_eol(s + 1) {
                // An indentless sequence as the value.
                return self.sequence(col, ctx);
            }
            return Some(self.build.nil());
        }
        self.inline_value(i, col as isize, ctx)
    }

    fn sequence(&mut self, col: usize, ctx: B::Ctx) -> Option<B::Node> {
        self.enter()?;
        let ctx = B::item_ctx(ctx);
        let mut items = self.build.new_seq();
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
                        self.node(col as isize, ctx)?
                    }
                    _ => self.build.nil(),
                }
            } else {
                let item_col = i - self.line()?.start;
                if (self.b[i] == b'-' && self.blank_or_eol(i + 1)) || self.key_at(i)?.is_some() {
                    self.at = Some(i);
                    if self.b[i] == b'-' && self.blank_or_eol(i + 1) {
                        self.sequence(item_col, ctx)?
                    } else {
                        self.mapping(item_col, ctx)?
                    }
                } else {
                    self.inline_value(i, col as isize, ctx)?
                }
            };
            self.build.push(&mut items, item);
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
        Some(self.build.end_seq(items))
    }

    /// A scalar or flow collection starting at offset `i` of the current line, owned by a
    /// collection at column `parent`. Leaves the cursor on the line after the value.
    fn inline_value(&mut self, i: usize, parent: isize, ctx: B::Ctx) -> Option<B::Node> {
        let end = self.line()?.end;
        let c = self.byte(i)?;
        match c {
            b'|' | b'>' => {
                let mut buf = std::mem::take(&mut self.scratch);
                buf.clear();
                self.block_scalar(i, parent, &mut buf)?;
                let node = self.build.string(ctx, &buf);
                self.scratch = buf;
                Some(node)
            }
            b'"' | b'\'' => {
                let (text, after) = self.quoted_text(i, Some(parent))?;
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
                Some(self.build.string(ctx, &text))
            }
            b'[' | b'{' => {
                let (v, after) = self.flow(i, end, 0, ctx)?;
                self.expect_line_end(after, end)?;
                self.next_line();
                Some(v)
            }
            _ if starts_special(c, self.byte(i + 1)) => None,
            _ => {
                let mut buf = std::mem::take(&mut self.scratch);
                buf.clear();
                let node = match self.plain(i, parent, &mut buf)? {
                    Some(line) => self.build.plain(ctx, line),
                    None => self.build.plain(ctx, &buf),
                };
                self.scratch = buf;
                node
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
    /// `parent`, as libyaml scans it: `Some(text)` when it is one line of the source,
    /// `None` when it spans several and its text was written to `buf`.
    fn plain(&mut self, i: usize, parent: isize, buf: &mut String) -> Option<Option<&'a str>> {
        let end = self.line()?.end;
        let (first_line, by_comment) = self.plain_piece(i, end)?;
        let mut folded = false;
        let mut ended_by_comment = by_comment;
        self.next_line();
        loop {
            let mut j = self.cur;
            let mut breaks = 0;
            while let Some(l) = self.lines.get(j) {
                if self.b[l.start + l.indent..l.end]
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
            if !folded {
                buf.push_str(first_line);
                folded = true;
            }
            if breaks == 0 {
                buf.push(' ');
            } else {
                for _ in 0..breaks {
                    buf.push('\n');
                }
            }
            buf.push_str(piece);
            ended_by_comment = by_comment;
            self.cur = j + 1;
        }
        Some((!folded).then_some(first_line))
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
    fn quoted(&self, i: usize, end: usize) -> Option<(Cow<'a, str>, usize)> {
        let (text, after) = self.quoted_text(i, None)?;
        (after <= end).then_some((text, after))
    }

    /// [`Self::quoted_scan`], without copying the text in the common case: a scalar that
    /// closes on its line with nothing to unescape is its source text.
    fn quoted_text(&self, i: usize, parent: Option<isize>) -> Option<(Cow<'a, str>, usize)> {
        let b = self.b;
        let quote = *b.get(i)?;
        let mut j = i + 1;
        while let Some(&c) = b.get(j) {
            if c == quote {
                if quote == b'\'' && b.get(j + 1) == Some(&b'\'') {
                    break;
                }
                return Some((Cow::Borrowed(self.src.get(i + 1..j)?), j + 1));
            }
            if c == b'\n' || (quote == b'"' && c == b'\\') {
                break;
            }
            j += 1;
        }
        let (text, after) = self.quoted_scan(i, parent)?;
        Some((Cow::Owned(text), after))
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
    fn flow(
        &mut self,
        i: usize,
        end: usize,
        depth: usize,
        ctx: B::Ctx,
    ) -> Option<(B::Node, usize)> {
        if depth > 100 {
            return None;
        }
        let b = self.b;
        let open = b[i];
        let close = if open == b'[' { b']' } else { b'}' };
        let skip = |mut j: usize| {
            while j < end && b[j] == b' ' {
                j += 1;
            }
            j
        };
        let mut coll = if open == b'[' {
            Collection::Seq(self.build.new_seq())
        } else {
            Collection::Map(self.build.new_map(ctx))
        };
        let item_ctx = B::item_ctx(ctx);
        let mut j = skip(i + 1);
        if j < end && b[j] == close {
            return Some((self.end_collection(coll), j + 1));
        }
        loop {
            j = skip(j);
            if j >= end {
                return None;
            }
            // A key cannot be a collection, so its context does not matter.
            let (node, after, plain) = self.flow_node(j, end, depth, item_ctx)?;
            j = skip(after);
            match &mut coll {
                Collection::Map(map) => {
                    if j >= end || b[j] != b':' {
                        return None;
                    }
                    j += 1;
                    if j < end && b[j] != b' ' {
                        return None;
                    }
                    j = skip(j);
                    if j >= end || matches!(b[j], b',' | b'}') {
                        return None;
                    }
                    let FlowNode::Text(text) = node else {
                        return None;
                    };
                    let (key, value_ctx) = self.build.key(ctx, text, !plain)?;
                    let (vnode, after, vplain) = self.flow_node(j, end, depth, value_ctx)?;
                    j = after;
                    let value = self.flow_value(vnode, vplain, value_ctx)?;
                    self.build.insert(map, key, value);
                }
                Collection::Seq(items) => {
                    let item = self.flow_value(node, plain, item_ctx)?;
                    self.build.push(items, item);
                }
            }
            j = skip(j);
            if j >= end {
                return None;
            }
            if b[j] == close {
                j += 1;
                break;
            }
            if b[j] != b',' {
                return None;
            }
            j = skip(j + 1);
            if j < end && b[j] == close {
                // A trailing comma: leave it to the parser.
                return None;
            }
        }
        Some((self.end_collection(coll), j))
    }

    fn end_collection(&mut self, coll: Collection<B::Map, B::Seq>) -> B::Node {
        match coll {
            Collection::Seq(items) => self.build.end_seq(items),
            Collection::Map(map) => self.build.end_map(map),
        }
    }

    /// A flow entry as a node: plain text is resolved, quoted text is a string.
    fn flow_value(
        &mut self,
        node: FlowNode<'a, B::Node>,
        plain: bool,
        ctx: B::Ctx,
    ) -> Option<B::Node> {
        match node {
            FlowNode::Value(v) => Some(v),
            FlowNode::Text(t) if plain => self.build.plain(ctx, &t),
            FlowNode::Text(t) => Some(self.build.string(ctx, &t)),
        }
    }

    /// One entry of a flow collection: nested collection, quoted or plain text.
    fn flow_node(
        &mut self,
        j: usize,
        end: usize,
        depth: usize,
        ctx: B::Ctx,
    ) -> Option<(FlowNode<'a, B::Node>, usize, bool)> {
        let c = self.b[j];
        match c {
            b'[' | b'{' => {
                let (v, after) = self.flow(j, end, depth + 1, ctx)?;
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
                Some((FlowNode::Text(Cow::Borrowed(t)), j + t.len(), true))
            }
        }
    }

    /// A literal (`|`) or folded (`>`) block scalar whose indicator is at `i`, owned by a
    /// collection at column `parent`; a port of libyaml's block scalar scanner. The text is
    /// written to `s`.
    fn block_scalar(&mut self, i: usize, parent: isize, s: &mut String) -> Option<()> {
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
        // libyaml keeps these breaks as strings; they only ever hold newlines, so counting
        // them is enough (the leading break is one newline or none).
        let mut leading_break = false;
        let mut trailing_breaks = 0usize;
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
            if !literal && leading_break && !leading_blank && !trailing_blank {
                if trailing_breaks == 0 {
                    s.push(' ');
                }
            } else if leading_break {
                s.push('\n');
            }
            push_newlines(s, trailing_breaks);
            trailing_breaks = 0;
            leading_blank = matches!(self.byte(pos), Some(b' ' | b'\t'));
            let eol = self.b[pos..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(self.b.len(), |p| pos + p);
            s.push_str(self.src.get(pos..eol)?);
            pos = eol;
            // A last line without its newline still ends with a break (libyaml and the
            // general parser agree on this).
            leading_break = true;
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
        if chomp != -1 && leading_break {
            s.push('\n');
        }
        if chomp == 1 {
            push_newlines(s, trailing_breaks);
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
        Some(())
    }

    /// libyaml's `scan_block_scalar_breaks`: eat indentation and empty lines, fix the
    /// indentation on first use.
    fn block_breaks(
        &self,
        pos: &mut usize,
        col: &mut usize,
        indent: &mut usize,
        breaks: &mut usize,
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
            *breaks += 1;
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

fn push_newlines(s: &mut String, n: usize) {
    for _ in 0..n {
        s.push('\n');
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

/// An entry of a flow collection before it is known to be a key or a value.
enum FlowNode<'a, N> {
    Value(N),
    Text(Cow<'a, str>),
}

/// A flow collection being filled.
enum Collection<M, S> {
    Map(M),
    Seq(S),
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

    /// Documents the fast path handles; shared by the tree and the skim tests.
    const COMMON_SHAPES: &[&str] = &[
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

    /// Documents the fast path leaves to the general parser.
    const GIVE_UP: &[&str] = &[
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

    #[test]
    fn handles_common_shapes_like_the_parser() {
        for src in COMMON_SHAPES {
            assert!(agree(src), "fast path gave up on {src:?}");
        }
    }

    #[test]
    fn gives_up_on_what_it_does_not_handle() {
        for src in GIVE_UP {
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

    /// A head field as `parse_head` reads it from the parsed document.
    fn field_of(v: Option<Value>) -> HeadField {
        match v {
            Some(Value::String(s)) => HeadField::Text(s.to_string()),
            Some(Value::List(_)) => HeadField::List,
            Some(Value::Map(_)) => HeadField::Map,
            _ => HeadField::Missing,
        }
    }

    /// The head of a parsed document, computed from the tree.
    fn head_of(v: &Value) -> DocHead {
        match v {
            Value::Map(_) => DocHead {
                top: Top::Map,
                api_version: field_of(v.get("apiVersion")),
                kind: field_of(v.get("kind")),
                name: field_of(v.get_path(&["metadata", "name"])),
                hook: field_of(v.get_path(&["metadata", "annotations", "helm.sh/hook"])),
            },
            Value::Nil => DocHead {
                top: Top::Empty,
                ..DocHead::empty()
            },
            _ => DocHead {
                top: Top::Other,
                ..DocHead::empty()
            },
        }
    }

    /// The skim answers exactly when the tree builder does, with the tree's head.
    /// Returns whether they answered.
    fn skim_agrees(src: &str) -> bool {
        let full = load_first(src);
        let skim = skim_first(src);
        assert_eq!(skim, full.as_ref().map(head_of), "for {src:?}");
        full.is_some()
    }

    fn text(s: &str) -> HeadField {
        HeadField::Text(s.to_string())
    }

    #[test]
    fn skim_agrees_with_the_tree_on_every_shape() {
        for src in COMMON_SHAPES {
            assert!(skim_agrees(src), "skim gave up on {src:?}");
        }
        for src in GIVE_UP {
            assert!(!skim_agrees(src), "skim should give up on {src:?}");
        }
        let data = crate::yaml::load_str(include_str!("testdata/tricky.yaml"), "t").unwrap();
        for text in [to_yaml(&data), to_yaml_pretty(&data)] {
            skim_agrees(&text);
            for part in text.split("\n- ") {
                skim_agrees(part);
            }
            // The same data under head keys, so its strings and shapes land in head fields.
            let indented: String = text.lines().map(|l| format!("    {l}\n")).collect();
            for key in ["apiVersion", "kind"] {
                skim_agrees(&format!("{key}:\n{indented}"));
            }
            skim_agrees(&format!("metadata:\n  name:\n{indented}"));
            skim_agrees(&format!(
                "metadata:\n  annotations:\n    helm.sh/hook:\n{}",
                text.lines()
                    .map(|l| format!("      {l}\n"))
                    .collect::<String>()
            ));
        }
    }

    /// Head edge cases, with the head the skim must find.
    #[test]
    fn skims_head_edge_cases() {
        let map = |api: HeadField, kind: HeadField, name: HeadField, hook: HeadField| DocHead {
            top: Top::Map,
            api_version: api,
            kind,
            name,
            hook,
        };
        use HeadField::{List, Map as M, Missing};
        let cases: Vec<(&str, DocHead)> = vec![
            (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
                map(text("v1"), text("ConfigMap"), text("cm"), Missing),
            ),
            (
                "kind: A\nkind: B\n",
                map(Missing, text("B"), Missing, Missing),
            ),
            (
                "kind: B\nkind: 123\n",
                map(Missing, Missing, Missing, Missing),
            ),
            ("kind: [a]\n", map(Missing, List, Missing, Missing)),
            ("kind:\n- a\n", map(Missing, List, Missing, Missing)),
            ("apiVersion: {a: b}\n", map(M, Missing, Missing, Missing)),
            ("apiVersion:\n  a: b\n", map(M, Missing, Missing, Missing)),
            (
                "kind: true\napiVersion: ~\n",
                map(Missing, Missing, Missing, Missing),
            ),
            ("kind: <<\n", map(Missing, text("<<"), Missing, Missing)),
            ("kind: '123'\n", map(Missing, text("123"), Missing, Missing)),
            (
                "metadata:\n  name: a\nmetadata: null\n",
                map(Missing, Missing, Missing, Missing),
            ),
            (
                "metadata: {name: x}\n",
                map(Missing, Missing, text("x"), Missing),
            ),
            (
                "metadata: {name: x}\nmetadata:\n  labels: {}\n",
                map(Missing, Missing, Missing, Missing),
            ),
            (
                "\"kind\": Q\n'apiVersion': \"v\\x41\"\n",
                map(text("vA"), text("Q"), Missing, Missing),
            ),
            (
                "metadata:\n  name: |-\n    block\n    name\n",
                map(Missing, Missing, text("block\nname"), Missing),
            ),
            (
                "metadata:\n  name: plain\n    folded\n\n    name\n",
                map(Missing, Missing, text("plain folded\nname"), Missing),
            ),
            (
                "metadata:\n  annotations: {\"helm.sh/hook\": pre-install, x: y}\n",
                map(Missing, Missing, Missing, text("pre-install")),
            ),
            (
                "metadata:\n  annotations: {helm.sh/hook: 'post-install,pre-upgrade'}\n",
                map(Missing, Missing, Missing, text("post-install,pre-upgrade")),
            ),
            (
                "metadata:\n  annotations:\n    helm.sh/hook: test\n  annotations:\n    a: b\n",
                map(Missing, Missing, Missing, Missing),
            ),
            (
                "metadata:\n  annotations:\n    helm.sh/hook: test\n  name: nm\n",
                map(Missing, Missing, text("nm"), text("test")),
            ),
            (
                "metadata:\n  annotations:\n    helm.sh/hook: test\nmetadata:\n  name: x\n",
                map(Missing, Missing, text("x"), Missing),
            ),
            (
                "metadata:\n  annotations:\n    helm.sh/hook: test\n  annotations: ~\n",
                map(Missing, Missing, Missing, Missing),
            ),
            (
                "metadata:\n  annotations: {helm.sh/hook: test}\n  annotations: [a]\n",
                map(Missing, Missing, Missing, Missing),
            ),
            // YAML 1.1: `n` is false, so no name.
            (
                "metadata:\n  name: n\n",
                map(Missing, Missing, Missing, Missing),
            ),
            (
                "metadata:\n  annotations:\n    helm.sh/hook: 1\n",
                map(Missing, Missing, Missing, Missing),
            ),
            (
                "spec:\n  kind: inner\n  metadata:\n    name: inner\nkind: outer\n",
                map(Missing, text("outer"), Missing, Missing),
            ),
            (
                "items:\n- kind: inner\n  metadata: {name: inner}\n",
                map(Missing, Missing, Missing, Missing),
            ),
            (
                "- kind: a\n",
                DocHead {
                    top: Top::Other,
                    ..DocHead::empty()
                },
            ),
            (
                "just text\n",
                DocHead {
                    top: Top::Other,
                    ..DocHead::empty()
                },
            ),
            (
                "[kind, a]\n",
                DocHead {
                    top: Top::Other,
                    ..DocHead::empty()
                },
            ),
            (
                "\"quoted\"\n",
                DocHead {
                    top: Top::Other,
                    ..DocHead::empty()
                },
            ),
            (
                "# only a comment\n",
                DocHead {
                    top: Top::Empty,
                    ..DocHead::empty()
                },
            ),
            (
                "null\n",
                DocHead {
                    top: Top::Empty,
                    ..DocHead::empty()
                },
            ),
            (
                "",
                DocHead {
                    top: Top::Empty,
                    ..DocHead::empty()
                },
            ),
            (
                "{kind: K, metadata: {name: nm, annotations: {helm.sh/hook: test}}}\n",
                map(Missing, text("K"), text("nm"), text("test")),
            ),
            ("kind: K\n...\n", map(Missing, text("K"), Missing, Missing)),
        ];
        for (src, want) in cases {
            assert!(skim_agrees(src), "skim gave up on {src:?}");
            assert_eq!(skim_first(src), Some(want), "for {src:?}");
        }
        // What the tree builder refuses, the skim refuses too.
        for src in [
            "<<: {kind: a}\nkind: b\n",
            "kind: a\n~: b\n",
            "kind: .inf\n",
            "metadata:\n  name: x\n   bad: 1\n",
            "metadata: {name: x\n",
            "kind: &a b\n",
            "kind: a\n- b\n",
            "18446744073709551615: x\n",
        ] {
            assert!(!skim_agrees(src), "skim should give up on {src:?}");
        }
    }

    mod prop {
        use super::skim_agrees;
        use proptest::prelude::{any, prop_oneof, proptest, Just};
        use proptest::strategy::{BoxedStrategy, Strategy};

        /// A YAML-ish node made from pieces the head path cares about.
        #[derive(Debug, Clone)]
        enum Gen {
            Scalar(&'static str),
            Map(Vec<(&'static str, Gen)>),
            Seq(Vec<Gen>),
        }

        /// Keys: mostly the head path's, some that resolve to other things or fail.
        const KEYS: &[&str] = &[
            "apiVersion",
            "kind",
            "metadata",
            "name",
            "annotations",
            "helm.sh/hook",
            "\"kind\"",
            "'name'",
            "\"helm.sh/hook\"",
            "labels",
            "spec",
            "true",
            "1",
            "a b",
        ];
        const BAD_KEYS: &[&str] = &["<<", "~", "18446744073709551615", "&k x", "? x"];

        /// Scalars and flow text, all valid.
        const SCALARS: &[&str] = &[
            "v1",
            "ConfigMap",
            "pre-install,post-upgrade",
            "test",
            "n",
            "123",
            "0x1F",
            "1e3",
            "~",
            "null",
            "",
            "yes",
            "<<",
            "\"quoted \\\"x\\\"\"",
            "\"v\\x41\"",
            "'it''s'",
            "\"\"",
            "[a, {name: x}]",
            "{name: y, helm.sh/hook: test}",
            "{kind: [1, 2], apiVersion: 'v'}",
            "{annotations: {\"helm.sh/hook\": pre-delete}}",
            "|\n  block\n  text",
            "|+\n  keep\n",
            ">-\n  folded\n\n  text",
            "plain\n  continued",
            "x # comment",
            "'one\n  two'",
        ];
        /// Things the tree builder refuses or leaves to the general parser.
        const BAD_SCALARS: &[&str] = &[
            ".inf",
            "&anchor x",
            "*alias",
            "!!str 5",
            "[unclosed",
            "a: b",
            "'unclosed",
            "{a: 1,}",
        ];

        fn key() -> impl Strategy<Value = &'static str> {
            prop_oneof![
                40 => proptest::sample::select(KEYS),
                1 => proptest::sample::select(BAD_KEYS),
            ]
        }

        fn leaf() -> BoxedStrategy<Gen> {
            prop_oneof![
                30 => proptest::sample::select(SCALARS).prop_map(Gen::Scalar),
                1 => proptest::sample::select(BAD_SCALARS).prop_map(Gen::Scalar),
            ]
            .boxed()
        }

        fn gen() -> BoxedStrategy<Gen> {
            let node = leaf().prop_recursive(4, 24, 5, |inner| {
                prop_oneof![
                    3 => proptest::collection::vec((key(), inner.clone()), 0..5)
                        .prop_map(Gen::Map),
                    1 => proptest::collection::vec(inner, 0..4).prop_map(Gen::Seq),
                ]
            });
            // Mostly mappings at the top, as manifests are.
            prop_oneof![
                6 => proptest::collection::vec((key(), node.clone()), 1..6).prop_map(Gen::Map),
                1 => node,
            ]
            .boxed()
        }

        /// A mapping whose entries are mostly `keys` (in several spellings, often repeated)
        /// with values from `value`, plus a few other entries.
        fn head_map(
            keys: &'static [&'static str],
            value: BoxedStrategy<Gen>,
            other: BoxedStrategy<Gen>,
        ) -> BoxedStrategy<Gen> {
            let entry = prop_oneof![
                3 => (proptest::sample::select(keys), value),
                1 => (key(), other),
            ];
            proptest::collection::vec(entry, 0..5)
                .prop_map(Gen::Map)
                .boxed()
        }

        /// Documents shaped like manifests: the head path with duplicate keys and values of
        /// every shape along it.
        fn manifest() -> BoxedStrategy<Gen> {
            // Head fields are mostly scalars.
            let any_node = prop_oneof![3 => leaf(), 1 => gen()].boxed();
            let hook = head_map(
                &["helm.sh/hook", "\"helm.sh/hook\"", "'helm.sh/hook'"],
                any_node.clone(),
                any_node.clone(),
            );
            let annotations = prop_oneof![3 => hook, 1 => any_node.clone()].boxed();
            let metadata = prop_oneof![
                3 => head_map(
                    &["name", "annotations", "'annotations'", "\"name\""],
                    prop_oneof![annotations, any_node.clone()].boxed(),
                    any_node.clone(),
                ),
                1 => any_node.clone(),
            ]
            .boxed();
            head_map(
                &["apiVersion", "kind", "metadata", "\"metadata\"", "'kind'"],
                prop_oneof![2 => metadata, 1 => any_node.clone()].boxed(),
                any_node,
            )
        }

        /// Block YAML for `g` at `indent`; multi-line scalars are re-indented.
        fn render(g: &Gen, indent: usize, out: &mut String) {
            let pad = " ".repeat(indent);
            match g {
                Gen::Scalar(s) => {
                    let mut lines = s.split('\n');
                    out.push(' ');
                    out.push_str(lines.next().unwrap_or(""));
                    out.push('\n');
                    for l in lines {
                        out.push_str(&pad);
                        out.push_str(l);
                        out.push('\n');
                    }
                }
                Gen::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
                Gen::Seq(items) if items.is_empty() => out.push_str(" []\n"),
                Gen::Map(entries) => {
                    out.push('\n');
                    for (k, v) in entries {
                        out.push_str(&pad);
                        out.push_str(k);
                        out.push(':');
                        render(v, indent + 2, out);
                    }
                }
                Gen::Seq(items) => {
                    out.push('\n');
                    for item in items {
                        out.push_str(&pad);
                        out.push('-');
                        render(item, indent + 2, out);
                    }
                }
            }
        }

        fn document(g: &Gen) -> String {
            let mut out = String::new();
            render(g, 0, &mut out);
            // The root was rendered as if it were a value after `key:`.
            out.trim_start_matches([' ', '\n']).to_string()
        }

        /// Small edits that break or reshape the text: insert a character, delete one.
        fn mutate(src: &str, edits: &[(usize, u8, bool)]) -> String {
            let mut b = src.as_bytes().to_vec();
            for &(at, c, insert) in edits {
                if b.is_empty() {
                    break;
                }
                let at = at % b.len();
                if insert {
                    b.insert(at, c);
                } else {
                    b.remove(at);
                }
            }
            String::from_utf8_lossy(&b).into_owned()
        }

        proptest! {
            #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

            #[test]
            fn skim_agrees_on_generated_documents(
                g in prop_oneof![gen(), manifest()],
                edits in proptest::collection::vec(
                    (
                        any::<usize>(),
                        prop_oneof![
                            Just(b' '), Just(b'\n'), Just(b':'), Just(b'-'), Just(b'#'),
                            Just(b'{'), Just(b'}'), Just(b'['), Just(b','), Just(b'\''),
                            Just(b'"'), Just(b'|'), Just(b'a'), Just(b'\t'),
                        ],
                        any::<bool>(),
                    ),
                    0..3,
                ),
            ) {
                let src = document(&g);
                skim_agrees(&src);
                skim_agrees(&mutate(&src, &edits));
            }
        }
    }
}
