//! Loading YAML into template values with the semantics Helm gets from Go.
//!
//! Helm reads values files, `Chart.yaml` and `fromYaml` input through sigs.k8s.io/yaml, which
//! decodes with go-yaml v2 (YAML 1.1 scalar resolution), converts the result to JSON and
//! decodes that JSON again. The round trip is what shapes the data templates see:
//! - every number becomes a `float64` (so `0755` is the float 493, `1e3` is 1000);
//! - `yes`/`no`/`on`/`off`/`y`/`n` in their accepted casings are booleans;
//! - timestamps stay strings (go-yaml v2 keeps them as strings for `interface{}` targets);
//! - mapping keys become strings (`1:` → "1", `true:` → "true", float keys are printed with
//!   float32 precision); a `null` key, a large unsigned key, or a collection key is an error;
//! - `.inf`/`.nan` values are an error (`json: unsupported value: +Inf`);
//! - duplicate keys are accepted and the last one wins; merge keys (`<<`) are applied in
//!   document order, so an explicit key *before* a merge is overwritten by it.
//!
//! Parsing itself is done by `saphyr-parser`'s event stream; this module only builds values.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, StrInput, Tag};

use crate::template::value::{Map, Value};

/// A YAML document that could not be loaded, with the position of the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct YamlError {
    /// File name as the caller gave it (`values.yaml`, `templates/x.yaml`, …).
    pub file: String,
    /// 1-based line; 0 when the problem has no position.
    pub line: usize,
    /// 1-based column; 0 when unknown.
    pub column: usize,
    /// What went wrong, worded like go-yaml / sigs.k8s.io/yaml where that is practical.
    pub message: String,
    /// Which stage failed; decides how Helm words the error.
    pub kind: YamlErrorKind,
    /// For a syntax error, the line go-yaml names (`yaml: line N: …`), 0 for none. It is
    /// not always where the problem is: go-yaml prints libyaml's 0-based line of the
    /// construct being parsed (or of the problem, if that is on the first line), plus one
    /// for scanner errors only.
    pub helm_line: usize,
}

/// The stage of Helm's YAML → JSON → Go pipeline that refused the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// Not well-formed YAML (libyaml scanner/parser).
    Syntax,
    /// Well-formed, but go-yaml could not decode it (bad anchor, tag mismatch, complex key).
    Decode,
    /// Decoded, but not representable as JSON (null or huge map key, `.inf`).
    Convert,
    /// Fine YAML of the wrong shape for its use (a list where values must be a map), or a
    /// bad document separator; the message is Helm's complete text.
    Shape,
}

impl YamlError {
    /// The text Helm shows for this error from sigs.k8s.io/yaml, e.g.
    /// `error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context`
    /// (what `fromYaml` puts under "Error").
    pub fn helm_message(&self) -> String {
        match self.kind {
            YamlErrorKind::Syntax if self.helm_line > 0 => format!(
                "error converting YAML to JSON: yaml: line {}: {}",
                self.helm_line, self.message
            ),
            YamlErrorKind::Syntax | YamlErrorKind::Decode => {
                format!("error converting YAML to JSON: yaml: {}", self.message)
            }
            YamlErrorKind::Convert => format!("error converting YAML to JSON: {}", self.message),
            YamlErrorKind::Shape => self.message.clone(),
        }
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, 0) => f.write_str(&self.message),
            (true, line) => write!(f, "{line}:{}: {}", self.column, self.message),
            (false, 0) => write!(f, "{}: {}", self.file, self.message),
            (false, line) => write!(f, "{}:{line}:{}: {}", self.file, self.column, self.message),
        }
    }
}

/// Load a single YAML document. An empty stream, or one holding only comments, is `Nil`.
/// If the stream holds several documents only the first is returned, as go-yaml's
/// `Unmarshal` does.
pub fn load_str(src: &str, file: &str) -> Result<Value, YamlError> {
    if let Some(v) = super::fast::load_first(src) {
        return Ok(v);
    }
    with_tab_fixes(src, file, |loader| {
        loader.expect_stream_start()?;
        Ok(loader.next_document()?.unwrap_or(Value::Nil))
    })
}

/// Load every document of a multi-document stream (`---` separated). Empty documents load
/// as `Nil`; an empty stream yields no documents.
pub fn load_all(src: &str, file: &str) -> Result<Vec<Value>, YamlError> {
    if let Some(docs) = super::fast::load_all(src) {
        return Ok(docs);
    }
    with_tab_fixes(src, file, |loader| {
        loader.expect_stream_start()?;
        let mut docs = Vec::new();
        while let Some(doc) = loader.next_document()? {
            docs.push(doc);
        }
        Ok(docs)
    })
}

/// Helm 4's `LoadValues` for a values file: the text is cut into documents at lines starting
/// with `---` (as Kubernetes' YAML reader does), each document must be a map (or empty), and
/// the maps are merged in order, later values winning and nested maps merged recursively.
pub fn load_values(src: &str, file: &str) -> Result<Map, YamlError> {
    let mut values = Map::new();
    let mut chunk_start = 0usize;
    let mut chunk_first_line = 1usize;
    let mut offset = 0usize;
    let mut line_no = 0usize;
    let mut chunks: Vec<(usize, usize, usize)> = Vec::new();
    for line in src.split_inclusive('\n') {
        line_no += 1;
        if let Some(rest) = line.strip_prefix("---") {
            let trimmed = rest.trim();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                return Err(YamlError {
                    file: file.to_string(),
                    line: line_no,
                    column: 4,
                    message: format!(
                        "error reading yaml document: invalid Yaml document separator: {trimmed}"
                    ),
                    kind: YamlErrorKind::Shape,
                    helm_line: 0,
                });
            }
            if offset > chunk_start {
                chunks.push((chunk_start, offset, chunk_first_line));
            }
            chunk_start = offset + line.len();
            chunk_first_line = line_no + 1;
        }
        offset += line.len();
    }
    if offset > chunk_start {
        chunks.push((chunk_start, offset, chunk_first_line));
    }
    for (from, to, first_line) in chunks {
        let text = src.get(from..to).unwrap_or("");
        let doc = load_str(text, file).map_err(|mut e| {
            if e.line > 0 {
                e.line += first_line - 1;
            }
            e
        })?;
        match doc {
            Value::Nil => {}
            Value::Map(m) => {
                let m = m.borrow();
                merge_maps(&mut values, &m);
            }
            other => {
                let kind = match other {
                    Value::List(_) => "array",
                    Value::String(_) => "string",
                    Value::Bool(_) => "bool",
                    _ => "number",
                };
                return Err(YamlError {
                    file: file.to_string(),
                    line: first_line,
                    column: 1,
                    message: format!(
                        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
                    ),
                    kind: YamlErrorKind::Shape,
                    helm_line: 0,
                });
            }
        }
    }
    Ok(values)
}

/// Helm's `MergeMaps`: `b` over `a`, recursing where both sides hold maps.
fn merge_maps(a: &mut Map, b: &Map) {
    for (k, v) in b {
        if let (Value::Map(bm), Some(Value::Map(am))) = (v, a.get(k)) {
            let mut merged = am.borrow().clone();
            merge_maps(&mut merged, &bm.borrow());
            a.insert(k.clone(), Value::map(merged));
            continue;
        }
        a.insert(k.clone(), v.clone());
    }
}

/// [`load_all`] without the fast path: the general parser only.
pub fn load_all_general(src: &str, file: &str) -> Result<Vec<Value>, YamlError> {
    with_tab_fixes(src, file, |loader| {
        loader.expect_stream_start()?;
        let mut docs = Vec::new();
        while let Some(doc) = loader.next_document()? {
            docs.push(doc);
        }
        Ok(docs)
    })
}

/// Run `f` over a loader for `src`, retrying where the parser is stricter than libyaml (and
/// so Helm) about input whose meaning is clear:
/// - a tab as the only separator after `:` or `-` (see [`with_tab_fixes_only`]);
/// - continuation lines of a flow collection or a quoted scalar indented no deeper than the
///   enclosing block (`command: [` … `]` with the items under the key). Leading white space
///   on such lines carries no meaning, so the lines are indented and the text parsed again.
///
/// When a retry fails too, the error of the text as written is returned.
fn with_tab_fixes<T>(
    src: &str,
    file: &str,
    f: impl Fn(&mut Loader<'_>) -> Result<T, YamlError>,
) -> Result<T, YamlError> {
    let mut indentation_error = false;
    let first = with_tab_fixes_only(src, file, &f, &mut indentation_error);
    if first.is_ok() || !indentation_error {
        return first;
    }
    match indent_continuations(src) {
        Some(padded) => {
            let mut again = false;
            with_tab_fixes_only(&padded, file, &f, &mut again).or(first)
        }
        None => first,
    }
}

/// Scan errors that [`indent_continuations`] may cure.
fn is_indentation_error(info: &str) -> bool {
    matches!(
        info,
        "invalid indentation"
            | "invalid indentation in flow construct"
            | "invalid indentation in quoted scalar"
    )
}

/// `src` with every line that starts inside a flow collection or a quoted scalar indented
/// to the column where the outermost of them opened; `None` when there is no such line.
///
/// A light scan, not a parser: it follows block structure only as far as needed to find
/// where flow collections, quoted scalars, block scalars and comments begin and end. A line
/// it misjudges gains leading spaces inside a construct where they are folded away, or the
/// retry fails and the original error stands.
fn indent_continuations(src: &str) -> Option<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Quote {
        None,
        Single,
        Double,
    }
    let mut out = String::with_capacity(src.len() + 64);
    let mut changed = false;
    // Columns of the open flow collections, outermost first.
    let mut flow: Vec<usize> = Vec::new();
    let mut quote = Quote::None;
    let mut quote_col = 0usize;
    // Inside a block scalar whose parent node is at this column.
    let mut block_scalar: Option<usize> = None;
    for line in src.split_inclusive('\n') {
        let indent = line.chars().take_while(|c| *c == ' ').count();
        let blank = line.trim().is_empty();
        if let Some(parent) = block_scalar {
            if blank || indent > parent {
                out.push_str(line);
                continue;
            }
            block_scalar = None;
        }
        let open_col = flow
            .first()
            .copied()
            .or((quote != Quote::None).then_some(quote_col));
        match open_col {
            Some(col) if !blank && indent < col => {
                out.extend(std::iter::repeat_n(' ', col - indent));
                changed = true;
            }
            _ => {}
        }
        out.push_str(line);
        if quote == Quote::None
            && flow.is_empty()
            && (line.starts_with("---") || line.starts_with("..."))
        {
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0usize;
        // Column of the key or `-` this line's node belongs to (a block scalar's parent).
        let mut entry_col = indent;
        // At a place where a block node may start (after indentation, `- `, `? `, `: `).
        let mut node_start = quote == Quote::None && flow.is_empty();
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied().unwrap_or('\n');
            let prev = if i == 0 { ' ' } else { chars[i - 1] };
            match quote {
                Quote::Double => {
                    if c == '\\' {
                        i += 2;
                        continue;
                    }
                    if c == '"' {
                        quote = Quote::None;
                    }
                    i += 1;
                    continue;
                }
                Quote::Single => {
                    if c == '\'' {
                        if next == '\'' {
                            i += 2;
                            continue;
                        }
                        quote = Quote::None;
                    }
                    i += 1;
                    continue;
                }
                Quote::None => {}
            }
            if c == '#' && prev.is_whitespace() {
                break;
            }
            if !flow.is_empty() {
                match c {
                    '[' | '{' => flow.push(i),
                    ']' | '}' => {
                        flow.pop();
                        if flow.is_empty() {
                            node_start = false;
                        }
                    }
                    '"' | '\'' if prev.is_whitespace() || matches!(prev, '[' | '{' | ',' | ':') => {
                        quote = if c == '"' {
                            Quote::Double
                        } else {
                            Quote::Single
                        };
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
                i += 1;
                continue;
            }
            if node_start {
                match c {
                    '-' | '?' if next == ' ' || next == '\n' || next == '\r' => {
                        entry_col = i;
                        i += 1;
                        continue;
                    }
                    '[' | '{' => {
                        flow.push(i);
                        i += 1;
                        continue;
                    }
                    '"' | '\'' => {
                        quote = if c == '"' {
                            Quote::Double
                        } else {
                            Quote::Single
                        };
                        quote_col = i;
                        node_start = false;
                        i += 1;
                        continue;
                    }
                    '|' | '>' => {
                        block_scalar = Some(entry_col);
                        break;
                    }
                    _ => {
                        entry_col = i;
                        node_start = false;
                    }
                }
            }
            // Plain text or what follows a closed scalar: a `: ` starts the value.
            if c == ':' && (next == ' ' || next == '\n' || next == '\r' || next == '\t') {
                node_start = true;
            }
            i += 1;
        }
    }
    changed.then_some(out)
}

/// Run `f` over a loader for `src`, retrying with tab fixes. The parser follows YAML 1.2
/// strictly and refuses a tab
/// as the only separator after `:` or `-` (`a:\t1`), which libyaml — and so Helm — accepts.
/// Such tabs carry no meaning, so on that error we turn them into spaces and parse again.
fn with_tab_fixes_only<T>(
    src: &str,
    file: &str,
    f: &impl Fn(&mut Loader<'_>) -> Result<T, YamlError>,
    indentation_error: &mut bool,
) -> Result<T, YamlError> {
    let mut loader = Loader::new(src, file);
    let first = f(&mut loader);
    let Err(err) = first else {
        return first;
    };
    *indentation_error = loader.indentation_error;
    let Some(mut at) = loader.tab_fix_at else {
        return Err(err);
    };
    let mut patched: Vec<char> = src.chars().collect();
    // Each round fixes one place; give up if a fix does not move us forward.
    for _ in 0..1000 {
        let mut i = at.min(patched.len());
        let mut changed = false;
        while i > 0 && patched.get(i - 1) == Some(&'\t') {
            i -= 1;
            if let Some(c) = patched.get_mut(i) {
                *c = ' ';
                changed = true;
            }
        }
        if !changed {
            return Err(err);
        }
        let text: String = patched.iter().collect();
        let mut loader = Loader::new(&text, file);
        match f(&mut loader) {
            Ok(v) => return Ok(v),
            Err(e) => match loader.tab_fix_at {
                _ if loader.indentation_error => {
                    *indentation_error = true;
                    return Err(err);
                }
                Some(next) if next > at => at = next,
                _ => return Err(e),
            },
        }
    }
    Err(err)
}

/// Nesting deeper than this is refused instead of overflowing the stack (go-yaml has no
/// such limit, but no real values file or manifest comes close).
const MAX_DEPTH: usize = 400;

/// A resolved plain scalar before the JSON round trip, keeping the Go type that matters for
/// how a mapping key is printed.
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(Cow<'a, str>),
    /// The merge key `<<`.
    Merge,
}

/// A node as the builder sees it: a finished value, or the merge-key marker.
enum Node {
    Value(Value),
    Merge,
}

struct Loader<'a> {
    parser: Parser<'a, StrInput<'a>>,
    src: &'a str,
    /// Anchors whose node is still being built: an alias to one is self-reference.
    open_anchors: Vec<usize>,
    /// First mapping key JSON cannot represent (reported after decoding succeeds).
    key_error: Option<YamlError>,
    /// First value JSON cannot represent (`.inf`), reported after key errors.
    value_error: Option<YamlError>,
    file: &'a str,
    anchors: HashMap<usize, Value>,
    /// Current collection nesting, bounded by `MAX_DEPTH`.
    depth: usize,
    /// Character index of a "must be followed by whitespace" error caused by a tab.
    tab_fix_at: Option<usize>,
    /// The parser refused an indentation that libyaml accepts in some contexts.
    indentation_error: bool,
}

impl<'a> Loader<'a> {
    fn new(src: &'a str, file: &'a str) -> Self {
        Loader {
            parser: Parser::new_from_str(src),
            src,
            open_anchors: Vec::new(),
            key_error: None,
            value_error: None,
            file,
            anchors: HashMap::new(),
            depth: 0,
            tab_fix_at: None,
            indentation_error: false,
        }
    }

    fn error_at(&self, span: &Span, message: impl Into<String>) -> YamlError {
        self.error_kind(span, message, YamlErrorKind::Decode)
    }

    fn error_kind(
        &self,
        span: &Span,
        message: impl Into<String>,
        kind: YamlErrorKind,
    ) -> YamlError {
        YamlError {
            file: self.file.to_string(),
            line: span.start.line(),
            column: span.start.col() + 1,
            message: message.into(),
            kind,
            helm_line: 0,
        }
    }

    /// The anchor or alias name written at `span` (`*name` / `&name`), for messages.
    fn name_at(&self, span: &Span) -> String {
        let start = span.start.index();
        let text = match self.src.char_indices().nth(start) {
            Some((b, _)) => self.src.get(b..).unwrap_or(""),
            None => "",
        };
        text.trim_start_matches(['*', '&'])
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
            .collect()
    }

    fn scan_error(&mut self, err: &ScanError) -> YamlError {
        if err
            .info()
            .contains("must be followed by a valid YAML whitespace")
        {
            self.tab_fix_at = Some(err.marker().index());
        }
        if is_indentation_error(err.info()) {
            self.indentation_error = true;
        }
        let span = Span::empty(*err.marker());
        if err.info().contains("unknown anchor") {
            let name = self.name_at(&span);
            return self.error_at(&span, format!("unknown anchor '{name}' referenced"));
        }
        let mut error = self.error_kind(
            &span,
            translate_scan_error(err.info()),
            YamlErrorKind::Syntax,
        );
        error.helm_line = self.go_line(err);
        error
    }

    /// The line go-yaml puts in the message of this syntax error: libyaml's 0-based line
    /// of the problem, plus one for scanner errors only (not parser errors, such as "did
    /// not find expected key"); a line of 0 is not printed.
    fn go_line(&self, err: &ScanError) -> usize {
        let info = err.info();
        let marker = err.marker();
        let mut line = marker.line().saturating_sub(1);
        // libyaml ends the stream on a new line: a last line without a line break counts.
        if marker.col() > 0 && self.src.chars().count() <= marker.index() {
            line += 1;
        }
        if info.ends_with("found unexpected end of stream") {
            // Reported here at the start of the unclosed scalar; libyaml at the end.
            line = self.src.matches('\n').count() + usize::from(!self.src.ends_with('\n'));
        } else if info == "while scanning a plain scalar, found a tab" {
            // Reported here at the start of the scalar; libyaml at the tab, on a later line.
            line = self
                .src
                .lines()
                .enumerate()
                .skip(marker.line())
                .find(|(_, l)| {
                    l.chars()
                        .take_while(|c| c.is_whitespace())
                        .any(|c| c == '\t')
                })
                .map_or(line, |(i, _)| i);
        }
        let parser_error = info.starts_with("while parsing") || info.contains("<document");
        match line {
            0 => 0,
            _ if parser_error => line,
            _ => line + 1,
        }
    }

    fn next(&mut self) -> Result<(Event<'a>, Span), YamlError> {
        match self.parser.next_event() {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => {
                let err = self.scan_error(&e);
                Err(err)
            }
            None => Err(YamlError {
                file: self.file.to_string(),
                line: 0,
                column: 0,
                message: "found unexpected end of stream".to_string(),
                kind: YamlErrorKind::Syntax,
                helm_line: 0,
            }),
        }
    }

    fn expect_stream_start(&mut self) -> Result<(), YamlError> {
        match self.next()? {
            (Event::StreamStart, _) => Ok(()),
            (_, span) => Err(self.error_at(&span, "did not find expected <stream-start>")),
        }
    }

    /// The next document of the stream, or `None` at the end of the stream.
    fn next_document(&mut self) -> Result<Option<Value>, YamlError> {
        loop {
            let (ev, span) = self.next()?;
            match ev {
                Event::StreamEnd => return Ok(None),
                Event::DocumentStart(_) => break,
                Event::Nothing => continue,
                _ => return Err(self.error_at(&span, "did not find expected <document start>")),
            }
        }
        // Anchors are scoped to their document.
        self.anchors.clear();
        self.key_error = None;
        self.value_error = None;
        let (ev, span) = self.next()?;
        let doc = match ev {
            Event::DocumentEnd => return Ok(Some(Value::Nil)),
            ev => self.node(ev, span)?,
        };
        let value = match doc {
            Node::Value(v) => v,
            Node::Merge => Value::str("<<"),
        };
        loop {
            let (ev, span) = self.next()?;
            match ev {
                Event::DocumentEnd => break,
                Event::Nothing => continue,
                _ => return Err(self.error_at(&span, "did not find expected <document end>")),
            }
        }
        if let Some(e) = self.key_error.take().or_else(|| self.value_error.take()) {
            return Err(e);
        }
        Ok(Some(value))
    }

    /// Build the node that starts with `ev`.
    fn node(&mut self, ev: Event<'a>, span: Span) -> Result<Node, YamlError> {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let scalar = resolve_scalar(text, style, tag.as_deref())
                    .map_err(|m| self.error_at(&span, m))?;
                let value = match scalar {
                    Scalar::Merge => return Ok(Node::Merge),
                    s => match scalar_value(s) {
                        Ok(v) => v,
                        Err(m) => {
                            // json.Marshal runs after the whole document was converted.
                            if self.value_error.is_none() {
                                self.value_error =
                                    Some(self.error_kind(&span, m, YamlErrorKind::Convert));
                            }
                            Value::Nil
                        }
                    },
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                }
                Ok(Node::Value(value))
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                // go-yaml decodes an alias by decoding the anchored node again, so every use
                // is an independent copy (which matters once templates mutate maps).
                Some(v) => Ok(Node::Value(v.deep_copy())),
                None => Err(self.alias_error(id, &span)),
            },
            Event::SequenceStart(anchor, _) => {
                self.enter(&span)?;
                self.open_anchors.push(anchor);
                let mut items = Vec::new();
                loop {
                    let (ev, span) = self.next()?;
                    match ev {
                        Event::SequenceEnd => break,
                        ev => match self.node(ev, span)? {
                            Node::Value(v) => items.push(v),
                            Node::Merge => items.push(Value::str("<<")),
                        },
                    }
                }
                self.depth -= 1;

                self.open_anchors.pop();
                let value = Value::list(items);
                if anchor > 0 {
                    self.anchors.insert(anchor, value.deep_copy());
                }
                Ok(Node::Value(value))
            }
            Event::MappingStart(anchor, _) => {
                self.enter(&span)?;
                self.open_anchors.push(anchor);
                let map = self.mapping()?;
                self.depth -= 1;

                self.open_anchors.pop();
                let value = Value::map(map);
                if anchor > 0 {
                    self.anchors.insert(anchor, value.deep_copy());
                }
                Ok(Node::Value(value))
            }
            _ => Err(self.error_at(&span, "did not find expected node content")),
        }
    }

    fn alias_error(&self, id: usize, span: &Span) -> YamlError {
        let name = self.name_at(span);
        if self.open_anchors.contains(&id) {
            self.error_at(span, format!("anchor '{name}' value contains itself"))
        } else {
            self.error_at(span, format!("unknown anchor '{name}' referenced"))
        }
    }

    fn enter(&mut self, span: &Span) -> Result<(), YamlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(span, "exceeded max depth"));
        }
        Ok(())
    }

    /// The entries of a mapping, after its `MappingStart`.
    fn mapping(&mut self) -> Result<Map, YamlError> {
        let mut map = Map::new();
        loop {
            let (ev, key_span) = self.next()?;
            // A key that JSON cannot carry is only reported once the whole document has
            // decoded: go-yaml finishes first, sigs.k8s.io/yaml converts afterwards.
            let key: Result<Option<String>, String> = match ev {
                Event::MappingEnd => return Ok(map),
                Event::Scalar(text, style, anchor, tag) => {
                    let scalar = resolve_scalar(text, style, tag.as_deref())
                        .map_err(|m| self.error_at(&key_span, m))?;
                    if anchor > 0 {
                        if let Ok(v) = scalar_value_ref(&scalar) {
                            self.anchors.insert(anchor, v);
                        }
                    }
                    match scalar {
                        Scalar::Merge => Ok(None),
                        s => scalar_key(s).map(Some),
                    }
                }
                Event::Alias(id) => match self.anchors.get(&id) {
                    Some(v) => value_key(v).map(Some),
                    None => return Err(self.alias_error(id, &key_span)),
                },
                ev @ (Event::SequenceStart(..) | Event::MappingStart(..)) => {
                    let key = match self.node(ev, key_span)? {
                        Node::Value(v) => v,
                        Node::Merge => Value::str("<<"),
                    };
                    return Err(
                        self.error_at(&key_span, format!("invalid map key: {}", go_sharp_v(&key)))
                    );
                }
                _ => return Err(self.error_at(&key_span, "did not find expected key")),
            };
            let (ev, span) = self.next()?;
            let value = match self.node(ev, span)? {
                Node::Value(v) => v,
                Node::Merge => Value::str("<<"),
            };
            match key {
                Ok(Some(k)) => {
                    // Duplicate keys: go-yaml v2 (non-strict) keeps the last one.
                    map.insert(k, value);
                }
                Ok(None) => self.merge(&mut map, value, &span)?,
                Err(prefix) => {
                    if self.key_error.is_none() {
                        let message = format!("{prefix}, value: {}", go_sharp_v(&value));
                        self.key_error =
                            Some(self.error_kind(&key_span, message, YamlErrorKind::Convert));
                    }
                }
            }
        }
    }

    /// Apply a merge key's value. go-yaml v2 decodes merged maps into the target in place,
    /// so they overwrite earlier keys; a list is applied last-to-first so that earlier maps
    /// in the list win.
    fn merge(&self, map: &mut Map, value: Value, span: &Span) -> Result<(), YamlError> {
        const WANT_MAP: &str = "map merge requires map or sequence of maps as the value";
        match value {
            Value::Map(m) => {
                for (k, v) in m.borrow().iter() {
                    map.insert(k.clone(), v.clone());
                }
                Ok(())
            }
            Value::List(items) => {
                for item in items.iter().rev() {
                    match item {
                        Value::Map(m) => {
                            for (k, v) in m.borrow().iter() {
                                map.insert(k.clone(), v.deep_copy());
                            }
                        }
                        _ => return Err(self.error_at(span, WANT_MAP)),
                    }
                }
                Ok(())
            }
            _ => Err(self.error_at(span, WANT_MAP)),
        }
    }
}

/// Reword the parser's messages into libyaml's where they differ, since users know those
/// (`while parsing a flow sequence, expected ',' or ']'` → `did not find expected ',' or ']'`).
fn translate_scan_error(info: &str) -> String {
    let lower = info.to_ascii_lowercase();
    if lower.contains("mapping values are not allowed") {
        return "mapping values are not allowed in this context".to_string();
    }
    if lower.contains("cannot start any token") || lower.starts_with("unexpected character") {
        return "found character that cannot start any token".to_string();
    }
    if info == "while scanning a plain scalar, found a tab" {
        return "found a tab character that violates indentation".to_string();
    }
    // libyaml's Go port reports the problem without the "while …" context.
    let core = match info.split_once(", ") {
        Some((context, rest)) if context.starts_with("while ") => rest,
        _ => info,
    };
    if core.starts_with("expected ") {
        format!("did not find {core}")
    } else {
        core.to_string()
    }
}

const YAML_CORE: &str = "tag:yaml.org,2002:";

/// The core-schema tag name (`str`, `int`, …) when the tag is one; `Some("")` for none.
fn core_tag(tag: Option<&Tag>) -> Option<&str> {
    match tag {
        None => Some(""),
        Some(t) if t.handle == YAML_CORE => Some(t.suffix.as_str()),
        // A verbatim tag, `!<tag:yaml.org,2002:int>`.
        Some(t) if t.handle.is_empty() && t.suffix.starts_with(YAML_CORE) => {
            t.suffix.get(YAML_CORE.len()..)
        }
        Some(t) if t.handle == "!" && t.suffix.is_empty() => Some("!"),
        Some(_) => None,
    }
}

/// go-yaml v2's `resolve` for one scalar, plus its handling of explicit tags.
fn resolve_scalar<'a>(
    text: Cow<'a, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Result<Scalar<'a>, String> {
    let tag = match core_tag(tag) {
        // Unknown (application) tags are not resolved: the text is a string.
        None | Some("!") => return Ok(Scalar::Str(text)),
        Some(t) => t,
    };
    // Quoted and block scalars without a tag are always strings.
    if tag.is_empty() && style != ScalarStyle::Plain {
        return Ok(Scalar::Str(text));
    }
    match tag {
        "" => Ok(resolve_plain(text)),
        "str" => Ok(Scalar::Str(text)),
        "binary" => decode_base64(&text)
            .map(|bytes| Scalar::Str(Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())))
            .ok_or_else(|| "!!binary value contains invalid base64 data".to_string()),
        "bool" | "int" | "float" | "timestamp" | "null" => {
            let resolved = resolve_plain(text.clone());
            let rtag = match &resolved {
                Scalar::Null => "null",
                Scalar::Bool(_) => "bool",
                Scalar::Int(_) | Scalar::Uint(_) => "int",
                Scalar::Float(_) => "float",
                Scalar::Merge => "merge",
                Scalar::Str(s) => {
                    if tag == "timestamp" && parse_timestamp(s) {
                        "timestamp"
                    } else {
                        "str"
                    }
                }
            };
            if rtag == tag {
                return Ok(resolved);
            }
            // An integer is acceptable where a float is asked for.
            if tag == "float" {
                match resolved {
                    Scalar::Int(i) => return Ok(Scalar::Float(i as f64)),
                    Scalar::Uint(u) => return Ok(Scalar::Float(u as f64)),
                    _ => {}
                }
            }
            Err(format!("cannot decode !!{rtag} `{text}` as a !!{tag}"))
        }
        // Other core tags (`!!map` on a scalar, …): left as the text.
        _ => Ok(Scalar::Str(text)),
    }
}

/// [`resolve_plain`] for the fast loader.
pub(crate) fn resolve_plain_text(text: &str) -> Option<Scalar<'_>> {
    Some(resolve_plain(Cow::Borrowed(text)))
}

/// A plain key as JSON sees it, or `None` when it would be an error.
pub(crate) fn scalar_key_text(s: Scalar<'_>) -> Option<String> {
    match s {
        Scalar::Merge => None,
        s => scalar_key(s).ok(),
    }
}

/// A plain value after the JSON round trip, or `None` when it would be an error.
pub(crate) fn scalar_value_text(s: Scalar<'_>) -> Option<Value> {
    scalar_value(s).ok()
}

/// go-yaml v2's implicit resolution of a plain scalar (YAML 1.1 booleans, nulls, numbers).
fn resolve_plain(text: Cow<'_, str>) -> Scalar<'_> {
    let s: &str = &text;
    let Some(&first) = s.as_bytes().first() else {
        return Scalar::Null;
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => match s {
            "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
                Scalar::Bool(true)
            }
            "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off"
            | "OFF" => Scalar::Bool(false),
            "~" | "null" | "Null" | "NULL" => Scalar::Null,
            _ => Scalar::Str(text),
        },
        b'.' => match s {
            ".nan" | ".NaN" | ".NAN" => Scalar::Float(f64::NAN),
            ".inf" | ".Inf" | ".INF" => Scalar::Float(f64::INFINITY),
            // strconv.ParseFloat on the raw text; out-of-range values are an error there,
            // leaving the text a string.
            _ => match parse_go_decimal_float(s) {
                Some(f) => Scalar::Float(f),
                None => Scalar::Str(text),
            },
        },
        b'<' if s == "<<" => Scalar::Merge,
        b'+' | b'-' | b'0'..=b'9' => match s {
            "+.inf" | "+.Inf" | "+.INF" => Scalar::Float(f64::INFINITY),
            "-.inf" | "-.Inf" | "-.INF" => Scalar::Float(f64::NEG_INFINITY),
            _ => match resolve_number(s) {
                Some(n) => n,
                None => Scalar::Str(text),
            },
        },
        _ => Scalar::Str(text),
    }
}

/// The numeric part of go-yaml v2's resolution: underscores are dropped, then
/// `strconv.ParseInt(s, 0, 64)`, `ParseUint`, a YAML-style float, and finally the odd
/// `0b`-prefix fallback (which is why `0b-101` is -5).
fn resolve_number(s: &str) -> Option<Scalar<'static>> {
    let owned;
    let plain: &str = if s.contains('_') {
        owned = s.replace('_', "");
        &owned
    } else {
        s
    };
    if let Some(n) = go_parse_int_base0(plain) {
        return Some(n);
    }
    if is_yaml_style_float(plain) {
        if let Some(f) = parse_go_decimal_float(plain) {
            return Some(Scalar::Float(f));
        }
    }
    if let Some(rest) = plain.strip_prefix("0b") {
        let (neg, digits) = match rest.as_bytes().first() {
            Some(b'-') => (true, &rest[1..]),
            Some(b'+') => (false, &rest[1..]),
            _ => (false, rest),
        };
        let u = parse_digits(digits, 2)?;
        return signed_or_unsigned(neg, u, true);
    }
    None
}

/// `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint(s, 0, 64)` for values that only
/// fit unsigned (no sign allowed there).
fn go_parse_int_base0(s: &str) -> Option<Scalar<'static>> {
    let (neg, signed, body) = match s.as_bytes().first()? {
        b'-' => (true, true, &s[1..]),
        b'+' => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let b = body.as_bytes();
    let (radix, digits) = if b.len() >= 2 && b[0] == b'0' {
        match b[1] {
            b'x' | b'X' => (16, &body[2..]),
            b'o' | b'O' => (8, &body[2..]),
            b'b' | b'B' => (2, &body[2..]),
            _ => (8, &body[1..]),
        }
    } else {
        (10, body)
    };
    let u = parse_digits(digits, radix)?;
    signed_or_unsigned(neg, u, !signed)
}

fn signed_or_unsigned(neg: bool, u: u64, allow_unsigned: bool) -> Option<Scalar<'static>> {
    if neg {
        if u <= (i64::MAX as u64) + 1 {
            Some(Scalar::Int((u as i64).wrapping_neg()))
        } else {
            None
        }
    } else if u <= i64::MAX as u64 {
        Some(Scalar::Int(u as i64))
    } else if allow_unsigned {
        Some(Scalar::Uint(u))
    } else {
        None
    }
}

/// Digits in `radix` (no sign, no underscores) into a u64; `None` on bad digit or overflow.
fn parse_digits(digits: &str, radix: u32) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for c in digits.bytes() {
        let d = (c as char).to_digit(radix)?;
        n = n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `strconv.ParseFloat(s, 64)` for decimal text: out-of-range values are an error (Go
/// returns ±Inf with `ErrRange`), and Go's extra spellings (`inf`, hex floats) never reach
/// here because callers only pass text starting with a digit, sign or dot.
fn parse_go_decimal_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    // Rust accepts forms Go rejects ("inf", "nan", "infinity" after a sign); Go accepts
    // nothing but digits, one dot, and an exponent here.
    if !b
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    if f.is_finite() {
        Some(f)
    } else {
        None
    }
}

/// Whether go-yaml's `resolve("", s)` leaves `s` a string, i.e. the emitter may write it
/// plain without it reading back as a bool, null, number or timestamp.
pub(crate) fn resolves_as_string(s: &str) -> bool {
    match resolve_plain(Cow::Borrowed(s)) {
        // go-yaml's table has no entry for '<', so "<<" resolves to a string here.
        Scalar::Str(_) | Scalar::Merge => {
            !(s.as_bytes().first().is_some_and(|c| c.is_ascii_digit()) && parse_timestamp(s))
        }
        _ => false,
    }
}

/// YAML 1.1 base-60 floats (`1:20`, `-3:25:45.5`): go-yaml no longer reads them as numbers
/// but quotes them on output for older parsers.
/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
pub(crate) fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) || !s.contains(':') {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]
        let d1 = b.get(i).copied();
        let d2 = b.get(i + 1).copied();
        match (d1, d2) {
            (Some(x @ b'0'..=b'5'), Some(y)) if y.is_ascii_digit() => {
                let _ = x;
                i += 2;
            }
            (Some(x), _) if x.is_ascii_digit() => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// go-yaml's `parseTimestamp`: Go's `time.Parse` with the layouts `2006-1-2T15:4:5.999999999Z07:00`
/// (also with a lower-case `t`), `2006-1-2 15:4:5.999999999` and `2006-1-2`.
pub(crate) fn parse_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: u32 = b[..4]
        .iter()
        .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'));
    let mut i = 5;
    // Go's getnum: one or two digits.
    let num = |i: &mut usize| -> Option<u32> {
        let d1 = b.get(*i).filter(|c| c.is_ascii_digit())?;
        *i += 1;
        let mut n = u32::from(d1 - b'0');
        if let Some(d2) = b.get(*i).filter(|c| c.is_ascii_digit()) {
            *i += 1;
            n = n * 10 + u32::from(d2 - b'0');
        }
        Some(n)
    };
    let Some(month) = num(&mut i) else {
        return false;
    };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = num(&mut i) else { return false };
    if !(1..=12).contains(&month) {
        return false;
    }
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day < 1 || day > days {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let with_zone = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    i += 1;
    let Some(hour) = num(&mut i) else {
        return false;
    };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(minute) = num(&mut i) else {
        return false;
    };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(second) = num(&mut i) else {
        return false;
    };
    if hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    // Optional fraction: a period or comma followed by digits.
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if !with_zone {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let rest = &b[i + 1..];
            rest.len() == 5
                && rest[0].is_ascii_digit()
                && rest[1].is_ascii_digit()
                && rest[2] == b':'
                && rest[3].is_ascii_digit()
                && rest[4].is_ascii_digit()
                && u32::from(rest[0] - b'0') * 10 + u32::from(rest[1] - b'0') <= 24
                && u32::from(rest[3] - b'0') * 10 + u32::from(rest[4] - b'0') <= 60
        }
        _ => false,
    }
}

/// A resolved scalar as a value after the JSON round trip.
fn scalar_value(s: Scalar<'_>) -> Result<Value, String> {
    Ok(match s {
        Scalar::Str(text) => Value::str(&text),
        other => scalar_value_ref(&other)?,
    })
}

fn scalar_value_ref(s: &Scalar<'_>) -> Result<Value, String> {
    Ok(match s {
        Scalar::Null => Value::Nil,
        Scalar::Bool(b) => Value::Bool(*b),
        Scalar::Int(i) => Value::Float(*i as f64),
        Scalar::Uint(u) => Value::Float(*u as f64),
        Scalar::Float(f) => {
            if !f.is_finite() {
                // json.Marshal refuses these; Go prints them as +Inf, -Inf, NaN.
                let shown = if f.is_nan() {
                    "NaN"
                } else if *f > 0.0 {
                    "+Inf"
                } else {
                    "-Inf"
                };
                return Err(format!("json: unsupported value: {shown}"));
            }
            Value::Float(*f)
        }
        Scalar::Str(text) => Value::str(text),
        Scalar::Merge => Value::str("<<"),
    })
}

/// How sigs.k8s.io/yaml turns a decoded key into a JSON object key.
fn scalar_key(s: Scalar<'_>) -> Result<String, String> {
    Ok(match s {
        Scalar::Str(text) => text.into_owned(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => float32_key(f),
        Scalar::Uint(u) => return Err(format!("unsupported map key of type: uint64, key: {u:#x}")),
        Scalar::Null => return Err("unsupported map key of type: %!s(<nil>), key: <nil>".into()),
        Scalar::Merge => "<<".to_string(),
    })
}

/// A key given by an alias: we only have the converted value, so integral floats are
/// printed as the integers they most likely were.
fn value_key(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok((*f as i64).to_string()),
        Value::Float(f) => Ok(float32_key(*f)),
        Value::Nil => Err("unsupported map key of type: %!s(<nil>), key: <nil>".into()),
        other => Err(format!("invalid map key: {}", go_sharp_v(other))),
    }
}

/// Roughly Go's `%#v` of decoded YAML data, for error messages (`[]interface {}{"a"}`).
fn go_sharp_v(v: &Value) -> String {
    match v {
        Value::Nil => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i, _) => i.to_string(),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Value::Float(f) => crate::template::value::format_float_g(*f),
        Value::String(s) => format!("{:?}", s.as_ref()),
        Value::Bytes(_) | Value::Object(_) => v.to_string(),
        Value::List(items) => {
            let inner: Vec<String> = items.iter().map(go_sharp_v).collect();
            format!("[]interface {{}}{{{}}}", inner.join(", "))
        }
        Value::Map(m) => {
            let inner: Vec<String> = m
                .borrow()
                .iter()
                .map(|(k, v)| format!("{:?}:{}", k, go_sharp_v(v)))
                .collect();
            format!("map[interface {{}}]interface {{}}{{{}}}", inner.join(", "))
        }
    }
}

/// `strconv.FormatFloat(f, 'g', -1, 32)` with YAML's spellings for the specials, which is
/// how sigs.k8s.io/yaml names float keys (`1.5:` → "1.5", `123456789.123:` → "1.2345679e+08").
fn float32_key(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    let x = f as f32;
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Shortest digits that round-trip as float32, then Go's %g layout.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    crate::template::value::layout_g(&digits, exp + 1, x < 0.0)
}

/// Standard base64 with padding, as Go's `base64.StdEncoding` (which ignores `\r`/`\n`).
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    }
    let clean: Vec<u8> = s.bytes().filter(|c| !matches!(c, b'\r' | b'\n')).collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let chunks = clean.chunks(4);
    let n = chunks.len();
    for (i, chunk) in chunks.enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != n) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &chunk[..4 - pad] {
            acc = (acc << 6) | val(c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::to_json;

    fn json(src: &str) -> String {
        to_json(&load_str(src, "values.yaml").unwrap()).unwrap()
    }

    fn err(src: &str) -> String {
        load_str(src, "values.yaml").unwrap_err().to_string()
    }

    // Expected strings below are `{{ toJson .Values }}` from helm v4 for the same input.

    /// go-yaml names libyaml's 0-based line of the problem, plus one for scanner errors
    /// only, and no line when that is 0. Expected texts are Helm 4's `fromYaml` errors.
    #[test]
    fn syntax_error_lines_counted_like_go_yaml() {
        let helm = |src: &str| load_str(src, "v.yaml").unwrap_err().helm_message();
        let p = "error converting YAML to JSON: yaml: ";
        for (src, want) in [
            (
                "a: b: c\n",
                "mapping values are not allowed in this context",
            ),
            (
                "x: 1\na: b: c\n",
                "line 2: mapping values are not allowed in this context",
            ),
            ("a: [unclosed\n", "line 1: did not find expected ',' or ']'"),
            ("a: 1\nb: [x\n", "line 2: did not find expected ',' or ']'"),
            ("a: [", "line 1: did not find expected node content"),
            (
                "out: |\n  x\n bad: y\n",
                "line 2: did not find expected key",
            ),
            ("a: \"x\n", "line 2: found unexpected end of stream"),
            (
                "k: v\n\tx: 1\n",
                "line 2: found a tab character that violates indentation",
            ),
            ("a: &x 1\nb: *y\n", "unknown anchor 'y' referenced"),
        ] {
            assert_eq!(helm(src), format!("{p}{want}"), "{src:?}");
        }
    }

    #[test]
    fn flow_and_quoted_continuations_at_the_block_indentation() {
        // libyaml accepts continuation lines that are not indented past the key.
        assert_eq!(json("a: [1,\n2]\n"), r#"{"a":[1,2]}"#);
        assert_eq!(json("a: [1,\n2\n]\n"), r#"{"a":[1,2]}"#);
        assert_eq!(
            json("m:\n  cmd: [\n    \"x\",\n  \"y\"\n  ]\n"),
            r#"{"m":{"cmd":["x","y"]}}"#
        );
        assert_eq!(
            json("m:\n  o: {a: 1,\n  b: 2}\n"),
            r#"{"m":{"o":{"a":1,"b":2}}}"#
        );
        assert_eq!(json("t:\n  - [1,\n  2]\n"), r#"{"t":[[1,2]]}"#);
        assert_eq!(json("a:\n  - x: [1,\n   2]\n"), r#"{"a":[{"x":[1,2]}]}"#);
        assert_eq!(json("a: [1,\n[2,\n3]]\n"), r#"{"a":[1,[2,3]]}"#);
        assert_eq!(json("a: [1,\n#c\n2]\n"), r#"{"a":[1,2]}"#);
        assert_eq!(json("a: ['it''s',\n'b']\n"), r#"{"a":["it's","b"]}"#);
        // Quoted scalars over several lines, in block context.
        assert_eq!(json("a: \"foo\nbar\"\n"), r#"{"a":"foo bar"}"#);
        assert_eq!(json("a: 'x\ny'\n"), r#"{"a":"x y"}"#);
        assert_eq!(json("a: \"x\\\n\ny\"\n"), r#"{"a":"x\ny"}"#);
        // A block scalar holding a bracket does not open a flow collection.
        assert_eq!(
            json("a:\n  b: |\n    x [\n  c: [1,\n  2]\n"),
            r#"{"a":{"b":"x [\n","c":[1,2]}}"#
        );
        // Bad block indentation is still an error.
        assert!(load_str("a:\n  b: 1\n c: 2\n", "values.yaml").is_err());
        assert!(load_str("a: [1,\n2\n", "values.yaml").is_err());
    }

    #[test]
    fn yaml11_scalars() {
        let src = "b1: yes\nb2: Yes\nb3: YES\nb4: yEs\nb5: on\nb6: Off\nb7: y\nb8: N\nb9: TRUE\n\
n1: ~\nn2: null\nn3: Null\nn4: NULL\nn5:\nn6: nUll\n\
i1: 0755\ni2: 0x1F\ni3: 0o17\ni4: 0b101\ni5: -0b101\ni6: +12\ni7: 1_000\ni8: 08\n\
i9: 12345678901234567890\ni10: 123456789012345678901234567890\n\
f1: 1e3\nf2: .5\nf3: -.5\nf4: 1.\nf5: +.5\nf6: 6.02e+23\nf7: 0x1p3\nf8: .5e3\nf9: 1e-7\n\
t1: 2001-12-14t21:59:43.10-05:00\nt2: 2002-12-14\n\
s1: \"yes\"\ns2: '12'\ns3: !!str 12\ns4: !!int \"12\"\ns5: !!float \"1\"\ns6: !!bool \"yes\"\n\
s8: .iNf\ns9: 1:2\ns10: 0.1.2\n\
k:\n  1: a\n  true: b\n  0x10: c\n  1.5: d\n  1e3: e\n  yes: f\n";
        assert_eq!(
            json(src),
            r#"{"b1":true,"b2":true,"b3":true,"b4":"yEs","b5":true,"b6":false,"b7":true,"b8":false,"b9":true,"f1":1000,"f2":0.5,"f3":-0.5,"f4":1,"f5":0.5,"f6":6.02e+23,"f7":"0x1p3","f8":500,"f9":1e-7,"i1":493,"i10":1.2345678901234568e+29,"i2":31,"i3":15,"i4":5,"i5":-5,"i6":12,"i7":1000,"i8":8,"i9":12345678901234567000,"k":{"1":"a","1.5":"d","1000":"e","16":"c","true":"f"},"n1":null,"n2":null,"n3":null,"n4":null,"n5":null,"n6":"nUll","s1":"yes","s10":"0.1.2","s2":"12","s3":"12","s4":12,"s5":1,"s6":true,"s8":".iNf","s9":"1:2","t1":"2001-12-14t21:59:43.10-05:00","t2":"2002-12-14"}"#
        );
    }

    #[test]
    fn numbers_are_float64() {
        let v = load_str("a: 1\nb: 0755\n", "v").unwrap();
        assert!(matches!(v.get("a"), Some(Value::Float(x)) if x == 1.0));
        assert!(matches!(v.get("b"), Some(Value::Float(x)) if x == 493.0));
    }

    #[test]
    fn structure_merge_and_blocks() {
        let src = "d: 1\nd: 2\nbase: &b {x: 1, y: 2}\nother: &o {y: 3, z: 4}\n\
m1:\n  x: 0\n  <<: *b\nm2:\n  <<: *b\n  x: 0\nm3:\n  <<: [*b, *o]\nm4:\n  <<: [*o, *b]\n\
lit: |\n  a\n   b\n\n  c\nlit2: |-\n  a\nlit3: |+\n  a\n\n\
fold: >\n  a\n  b\n\n  c\n   d\n  e\nfold2: >2-\n    x\n    y\n\
dq: \"a\\tb\\u00e9\\x41 \\\n  cont\"\nsq: 'it''s\n  multi'\nplain: a\n  b\n   c\n\
flow: [a, {b: c}, \"d\", 1]\nemptyflow: {}\n";
        assert_eq!(
            json(src),
            r#"{"base":{"true":2,"x":1},"d":2,"dq":"a\tbéA cont","emptyflow":{},"flow":["a",{"b":"c"},"d",1],"fold":"a b\nc\n d\ne\n","fold2":"  x\n  y","lit":"a\n b\n\nc\n","lit2":"a","lit3":"a\n\n","m1":{"true":2,"x":1},"m2":{"true":2,"x":0},"m3":{"true":2,"x":1,"z":4},"m4":{"true":3,"x":1,"z":4},"other":{"true":3,"z":4},"plain":"a b c","sq":"it's multi"}"#
        );
    }

    #[test]
    fn tags_keys_and_ranges() {
        assert_eq!(json("a: !!binary aGVsbG8="), r#"{"a":"hello"}"#);
        assert_eq!(json("a: !!null \"\""), r#"{"a":null}"#);
        assert_eq!(json("a: !foo bar"), r#"{"a":"bar"}"#);
        assert_eq!(json("a: !!float 0x10"), r#"{"a":16}"#);
        assert_eq!(json("a: !!timestamp 2001-01-01"), r#"{"a":"2001-01-01"}"#);
        assert_eq!(json("{a: 1, a: 2}"), r#"{"a":2}"#);
        assert_eq!(json("a: \"\\N\""), "{\"a\":\"\u{85}\"}");
        assert_eq!(
            json("a: 9223372036854775808"),
            r#"{"a":9223372036854776000}"#
        );
        assert_eq!(
            json("a: -9223372036854775809"),
            r#"{"a":-9223372036854776000}"#
        );
        assert_eq!(json("1e20: 1"), r#"{"1e+20":1}"#);
        assert_eq!(json("0.1: a"), r#"{"0.1":"a"}"#);
        assert_eq!(json("1.0: b"), r#"{"1":"b"}"#);
        assert_eq!(json("123456789.123: c"), r#"{"1.2345679e+08":"c"}"#);
        assert_eq!(json("a: 1e400"), r#"{"a":"1e400"}"#);
        assert_eq!(json("a: 1e-400"), r#"{"a":0}"#);
        assert_eq!(json("a: 0b-101"), r#"{"a":-5}"#);
        assert_eq!(json("-1: x"), r#"{"-1":"x"}"#);
        assert_eq!(json(".inf: x"), r#"{".inf":"x"}"#);
        assert_eq!(json(".nan: y"), r#"{".nan":true}"#);
        assert_eq!(json("a:\t1"), r#"{"a":1}"#);
        assert_eq!(
            json("a: ! x\nb: !!str 1.5\nc: !<tag:yaml.org,2002:int> \"7\"\n"),
            r#"{"a":"x","b":"1.5","c":7}"#
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            err("a: .inf"),
            "values.yaml:1:4: json: unsupported value: +Inf"
        );
        assert!(err("~: 1").contains("unsupported map key of type: %!s(<nil>)"));
        assert!(err("9223372036854775808: 1").contains("unsupported map key of type: uint64"));
        assert!(err("? [a]\n: 1").contains("invalid map key"));
        assert_eq!(
            err("a: !!int abc"),
            "values.yaml:1:4: cannot decode !!str `abc` as a !!int"
        );
        assert!(err("a: *x").contains("unknown anchor"));
        assert!(err("a: &x [*x]").starts_with("values.yaml:1:"));
        assert_eq!(
            err("x: 1\na: b: c"),
            "values.yaml:2:5: mapping values are not allowed in this context"
        );
        assert!(err("a: \"unterminated").starts_with("values.yaml:"));
        assert!(err("a: [1, 2").starts_with("values.yaml:"));
        assert!(err("a: @x").contains("cannot start any token"));
    }

    #[test]
    fn empty_and_multi_document() {
        assert!(load_str("", "v").unwrap().is_nil());
        assert!(load_str("# only a comment\n", "v").unwrap().is_nil());
        assert_eq!(json("---\na: 1\n---\nb: 2\n"), r#"{"a":1}"#);
        let docs = load_all("---\na: 1\n---\n---\n- x\n", "v").unwrap();
        assert_eq!(docs.len(), 3);
        assert!(docs[1].is_nil());
        assert_eq!(to_json(&docs[2]).unwrap(), r#"["x"]"#);
        assert!(load_all("", "v").unwrap().is_empty());
        assert!(load_all("# c\n", "v").unwrap().is_empty());
    }

    #[test]
    fn values_files_are_merged_documents() {
        // helm v4 merges the documents of values.yaml (LoadValues).
        let v = load_values(
            "a: 1\nm: {x: 1, q: 2}\n---\nb: 2\nm: {q: 3}\n--- # c\n",
            "values.yaml",
        )
        .unwrap();
        assert_eq!(
            to_json(&Value::map(v)).unwrap(),
            r#"{"a":1,"b":2,"m":{"q":3,"x":1}}"#
        );
        assert!(load_values("", "v").unwrap().is_empty());
        assert!(load_values("# only\n", "v").unwrap().is_empty());
        let e = load_values("a: 1\n---\n- x\n", "values.yaml").unwrap_err();
        assert_eq!(
            e.helm_message(),
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
        let e = load_values("a: 1\n---\nb: c: d\n", "values.yaml").unwrap_err();
        assert_eq!(e.line, 3);
        let e = load_values("a: 1\n---foo\n", "values.yaml").unwrap_err();
        assert!(e
            .helm_message()
            .contains("invalid Yaml document separator: foo"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(5000) + &"]".repeat(5000);
        // Run on a small stack, as a template thread might have.
        let result = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || load_str(&deep, "v").map(|_| ()).map_err(|e| e.message))
            .unwrap()
            .join()
            .unwrap();
        // The parser's own recursion limit or ours, whichever trips first.
        assert!(result.is_err());
        let deep_block: String = (0..3000)
            .map(|i| format!("{}- \n", "  ".repeat(i)))
            .collect();
        let result = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                load_str(&deep_block, "v")
                    .map(|_| ())
                    .map_err(|e| e.message)
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(result.is_err());
        let json = "[".repeat(5000) + &"]".repeat(5000);
        let result = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || crate::yaml::from_json(&json).map(|_| ()).map_err(|e| e.0))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(result, Err("exceeded max depth".to_string()));
    }

    #[test]
    fn aliases_are_independent_copies() {
        let v = load_str("a: &x {k: 1}\nb: *x\n", "v").unwrap();
        let (Some(Value::Map(a)), Some(Value::Map(b))) = (v.get("a"), v.get("b")) else {
            panic!("maps expected");
        };
        assert!(!std::rc::Rc::ptr_eq(&a, &b));
    }
}
