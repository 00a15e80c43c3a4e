//! `opm values-doc`: the values table of a chart (like helm-docs, without Go), and keeping a
//! README's copy of it current.
//!
//! Values are loaded with Helm's semantics (`crate::yaml::load_values`), so the types and
//! defaults are the ones templates see. Descriptions come from the comment lines directly
//! above each key: a saphyr-parser event pass gives every mapping key's line, and the lines
//! above it are read back from the source. Two conventions are understood:
//! - helm-docs: `# -- description` (continued by the following `#` lines), with
//!   `# @default -- text` overriding the shown default. When a file uses `# --` anywhere,
//!   only those comments are descriptions, as with helm-docs; plain comments are notes.
//! - plain: otherwise, the comment block directly above a key (no blank line between) is its
//!   description, without lines that are commented-out YAML (`# foo: bar`, `# - item`).
//!
//! Rows are sorted by key like helm-docs. Maps are documented by their leaves (`image.tag`);
//! empty maps and lists are rows of their own; a map with a `# --` description is one row.

mod readme;

pub use readme::{check_readme, update_readme, ReadmeCheck, MARKER_END, MARKER_START};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use saphyr_parser::{Event, Parser};

use crate::template::value::Value;

/// Why the values of a chart could not be documented.
#[derive(Debug, thiserror::Error)]
pub enum ValuesDocError {
    #[error("{}: cannot read the chart: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a chart directory (no Chart.yaml)", path.display())]
    NotAChart { path: PathBuf },
    #[error("{0}")]
    Yaml(#[from] crate::yaml::YamlError),
    #[error(
        "{}: the README has no values table markers; add the lines `{MARKER_START}` and `{MARKER_END}` where the table belongs",
        path.display()
    )]
    NoMarkers { path: PathBuf },
    #[error("{}: the values table markers are out of order or repeated (line {line})", path.display())]
    BadMarkers { path: PathBuf, line: usize },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One documented value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ValueRow {
    /// Dotted key (`image.repository`); segments that are not plain words are quoted.
    pub key: String,
    /// `string`, `int`, `float`, `bool`, `list` or `object`, or the type a helm-docs
    /// comment names (`# -- (int) Node port`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The default as compact JSON, or the `# @default --` text.
    pub default: String,
    /// Description from the comments above the key (may be empty).
    pub description: String,
    /// 1-based line of the key in values.yaml.
    pub line: usize,
}

/// Longest default shown in full in the Markdown table; longer ones are cut (JSON output
/// keeps them whole).
const MAX_DEFAULT_CHARS: usize = 80;

/// The documented values of the chart at `chart` (a directory with `Chart.yaml`).
pub fn document_chart(chart: &Path) -> Result<Vec<ValueRow>, ValuesDocError> {
    if !chart.join("Chart.yaml").is_file() {
        if !chart.exists() {
            return Err(ValuesDocError::Read {
                path: chart.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
            });
        }
        return Err(ValuesDocError::NotAChart {
            path: chart.to_path_buf(),
        });
    }
    let path = chart.join("values.yaml");
    let src = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        // A chart without values.yaml has nothing to document.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(ValuesDocError::Read { path, source }),
    };
    document_values(&src, &path.display().to_string())
}

/// The documented values of one values.yaml text; `file` names it in errors.
pub fn document_values(src: &str, file: &str) -> Result<Vec<ValueRow>, ValuesDocError> {
    let values = crate::yaml::load_values(src, file)?;
    let lines = key_lines(src);
    let source_lines: Vec<&str> = src.lines().collect();
    let helm_docs = source_lines.iter().any(|l| is_marker(l.trim_start()));
    // In flow style (`labels: {a: b}`) several keys share a line; the comment above it
    // belongs to the first one only.
    let mut first_on_line: HashMap<usize, &Vec<String>> = HashMap::new();
    let mut first_column: HashMap<usize, usize> = HashMap::new();
    for (path, &(line, column)) in &lines {
        let first = first_column.entry(line).or_insert(column);
        if column <= *first {
            *first = column;
            first_on_line.insert(line, path);
        }
    }
    let walker = Walker {
        key_lines: &lines,
        first_on_line: &first_on_line,
        source_lines: &source_lines,
        helm_docs,
    };
    let mut rows = Vec::new();
    for (key, value) in &values {
        walker.walk(&[key.as_str()], value, &mut rows);
    }
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(rows)
}

struct Walker<'a> {
    key_lines: &'a HashMap<Vec<String>, (usize, usize)>,
    first_on_line: &'a HashMap<usize, &'a Vec<String>>,
    source_lines: &'a [&'a str],
    helm_docs: bool,
}

impl Walker<'_> {
    fn walk(&self, path: &[&str], value: &Value, rows: &mut Vec<ValueRow>) {
        let owned: Vec<String> = path.iter().map(|s| (*s).to_string()).collect();
        let line = self.key_lines.get(&owned).map_or(0, |&(line, _)| line);
        let comment = self.comment_of(&owned, line);
        if let Value::Map(map) = value {
            let map = map.borrow();
            let described = self.helm_docs && comment.marked;
            if !map.is_empty() && !described {
                for (key, child) in map.iter() {
                    let mut next = path.to_vec();
                    next.push(key.as_str());
                    self.walk(&next, child, rows);
                }
                return;
            }
        }
        let documented = !self.helm_docs || comment.marked;
        rows.push(ValueRow {
            key: dotted(path),
            kind: comment
                .kind
                .clone()
                .unwrap_or_else(|| type_name(value).to_string()),
            default: comment
                .default
                .clone()
                .unwrap_or_else(|| default_json(value)),
            description: if documented {
                comment.text.clone()
            } else {
                String::new()
            },
            line,
        });
        // Children of a map documented as a whole still get rows when they carry their own
        // `# --` description (helm-docs does the same).
        if let Value::Map(map) = value {
            for (key, child) in map.borrow().iter() {
                let mut next = path.to_vec();
                next.push(key.as_str());
                self.walk_described_only(&next, child, rows);
            }
        }
    }

    fn walk_described_only(&self, path: &[&str], value: &Value, rows: &mut Vec<ValueRow>) {
        let owned: Vec<String> = path.iter().map(|s| (*s).to_string()).collect();
        let line = self.key_lines.get(&owned).map_or(0, |&(line, _)| line);
        if self.comment_of(&owned, line).marked {
            self.walk(path, value, rows);
        } else if let Value::Map(map) = value {
            for (key, child) in map.borrow().iter() {
                let mut next = path.to_vec();
                next.push(key.as_str());
                self.walk_described_only(&next, child, rows);
            }
        }
    }

    /// The comment of the key at `path` (on `line`): none for a key that shares its line
    /// with an outer one.
    fn comment_of(&self, path: &Vec<String>, line: usize) -> Comment {
        match self.first_on_line.get(&line) {
            Some(first) if *first == path => self.comment_above(line),
            _ => Comment::default(),
        }
    }

    /// The comment block directly above 1-based `line`, interpreted.
    fn comment_above(&self, line: usize) -> Comment {
        let mut block = Vec::new();
        let mut index = line.saturating_sub(1);
        while index > 0 {
            let Some(text) = self.source_lines.get(index - 1) else {
                break;
            };
            let trimmed = text.trim_start();
            if !trimmed.starts_with('#') {
                break;
            }
            block.push(trimmed);
            index -= 1;
        }
        block.reverse();
        parse_comment(&block, self.helm_docs)
    }
}

#[derive(Debug, Default)]
struct Comment {
    text: String,
    default: Option<String>,
    /// A type named in parentheses after the marker: `# -- (int) text`.
    kind: Option<String>,
    /// Written with helm-docs' `# --` marker.
    marked: bool,
}

fn parse_comment(block: &[&str], helm_docs: bool) -> Comment {
    let mut out = Comment::default();
    let mut parts: Vec<String> = Vec::new();
    if helm_docs {
        // The description starts at the last `# --` line; `# @…` lines end it.
        let Some(start) = block.iter().rposition(|l| is_marker(l)) else {
            out.default = find_default(block);
            return out;
        };
        out.marked = true;
        let mut first = block
            .get(start)
            .and_then(|l| l.strip_prefix("# --"))
            .unwrap_or("")
            .trim();
        if let Some((kind, rest)) = first
            .strip_prefix('(')
            .and_then(|r| r.split_once(')'))
            .filter(|(k, _)| !k.is_empty() && !k.contains(char::is_whitespace))
        {
            out.kind = Some(kind.to_string());
            first = rest.trim();
        }
        parts.push(first.to_string());
        for line in block.iter().skip(start + 1) {
            let body = strip_hash(line);
            if body.trim_start().starts_with('@') {
                break;
            }
            parts.push(body.trim().to_string());
        }
    } else {
        for line in block {
            let body = strip_hash(line);
            if body.trim_start().starts_with('@') || looks_like_yaml(body) || is_rule(body) {
                continue;
            }
            parts.push(body.trim().to_string());
        }
    }
    out.default = find_default(block);
    out.text = parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    out
}

/// helm-docs' description marker: `# --` alone or followed by a space (not `# -----`).
fn is_marker(line: &str) -> bool {
    line.strip_prefix("# --")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

/// A decorative line (`# ------`, `# =====`, `#####`): not prose.
fn is_rule(body: &str) -> bool {
    let t = body.trim();
    !t.is_empty()
        && t.chars()
            .all(|c| matches!(c, '-' | '=' | '#' | '*' | '_' | '~'))
}

fn find_default(block: &[&str]) -> Option<String> {
    block.iter().find_map(|l| {
        strip_hash(l)
            .trim_start()
            .strip_prefix("@default --")
            .map(|d| d.trim().to_string())
    })
}

fn strip_hash(line: &str) -> &str {
    let body = line.trim_start().trim_start_matches('#');
    body.strip_prefix(' ').unwrap_or(body)
}

/// A comment line that is commented-out YAML rather than prose: `key: value`, `key:`,
/// `- item`, `---`. `ref: https://…` notes are prose.
fn looks_like_yaml(body: &str) -> bool {
    let t = body.trim();
    if t.is_empty() {
        return false;
    }
    if t == "---" || t.starts_with("- ") || t == "-" {
        return true;
    }
    let Some((key, rest)) = t.split_once(':') else {
        return false;
    };
    let key = key.trim_matches(|c| c == '"' || c == '\'');
    let word = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'));
    let value = rest.trim_start();
    word && (rest.is_empty() || rest.starts_with(' ')) && !value.starts_with("http")
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "bool",
        Value::Int(_, _) => "int",
        Value::Float(f) if f.fract() == 0.0 && f.is_finite() => "int",
        Value::Float(_) => "float",
        Value::List(_) => "list",
        Value::Map(_) => "object",
        _ => "string",
    }
}

fn default_json(value: &Value) -> String {
    match value {
        Value::Nil => "nil".to_string(),
        v => crate::yaml::to_raw_json(v).unwrap_or_else(|_| "?".to_string()),
    }
}

/// A dotted key; a segment that is not a plain word is written in double quotes
/// (`podAnnotations."prometheus.io/scrape"`).
fn dotted(path: &[&str]) -> String {
    let mut out = String::new();
    for (i, seg) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        let plain = !seg.is_empty()
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if plain {
            out.push_str(seg);
        } else {
            out.push('"');
            out.push_str(seg);
            out.push('"');
        }
    }
    out
}

/// The line and column of every mapping key reachable through maps only (keys inside lists
/// are not documented separately). Later duplicates win, as they do when values load.
fn key_lines(src: &str) -> HashMap<Vec<String>, (usize, usize)> {
    enum Frame {
        /// A mapping: the key just read (its text and line) when a value is expected next.
        Map(Option<(String, (usize, usize))>),
        Seq,
    }
    let mut lines = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    // Path of keys to the current mapping; `None` once inside a sequence.
    let mut path: Vec<String> = Vec::new();
    let mut in_seq = 0usize;
    let mut parser = Parser::new_from_str(src);
    while let Some(Ok((event, span))) = parser.next_event() {
        // A value completes the pending key of the innermost mapping.
        let is_value_start = matches!(
            event,
            Event::Scalar(..)
                | Event::Alias(..)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
        );
        let mut entering_key: Option<String> = None;
        if is_value_start {
            if let Some(Frame::Map(pending)) = stack.last_mut() {
                match pending.take() {
                    None => {
                        // This event is a key.
                        if let Event::Scalar(text, ..) = &event {
                            *pending =
                                Some((text.to_string(), (span.start.line(), span.start.col())));
                        } else {
                            // A complex key: remember a placeholder so its value is skipped.
                            *pending = Some((String::new(), (span.start.line(), span.start.col())));
                        }
                        if matches!(event, Event::Scalar(..) | Event::Alias(..)) {
                            continue;
                        }
                    }
                    Some((key, line)) => {
                        if in_seq == 0 && !key.is_empty() && key != "<<" {
                            let mut full = path.clone();
                            full.push(key.clone());
                            lines.insert(full, line);
                        }
                        entering_key = Some(key);
                    }
                }
            }
        }
        match event {
            Event::MappingStart(..) => {
                if let Some(key) = entering_key {
                    path.push(key);
                } else if !stack.is_empty() {
                    path.push(String::new());
                }
                stack.push(Frame::Map(None));
            }
            Event::SequenceStart(..) => {
                if entering_key.is_some() || !stack.is_empty() {
                    path.push(String::new());
                }
                stack.push(Frame::Seq);
                in_seq += 1;
            }
            Event::MappingEnd => {
                stack.pop();
                if !stack.is_empty() {
                    path.pop();
                }
            }
            Event::SequenceEnd => {
                stack.pop();
                in_seq = in_seq.saturating_sub(1);
                if !stack.is_empty() {
                    path.pop();
                }
            }
            Event::DocumentEnd => {
                stack.clear();
                path.clear();
                in_seq = 0;
            }
            _ => {}
        }
    }
    lines
}

/// The values table as Markdown (helm-docs' columns), ending with a newline.
pub fn render_markdown(rows: &[ValueRow]) -> String {
    let mut out = String::from(
        "| Key | Type | Default | Description |\n|-----|------|---------|-------------|\n",
    );
    for row in rows {
        let default = shorten(&row.default);
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            cell(&row.key),
            row.kind,
            code(&default),
            cell(&row.description)
        ));
    }
    out
}

/// The rows as a JSON document: `{"values": [{"key", "type", "default", "description", "line"}]}`.
pub fn render_json(rows: &[ValueRow]) -> String {
    let doc = serde_json::json!({ "values": rows });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_DEFAULT_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX_DEFAULT_CHARS - 3).collect();
    format!("{cut}...")
}

/// A table cell: pipes escaped, line breaks flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// An inline code span that survives backticks in the text, with pipes escaped.
fn code(text: &str) -> String {
    let text = cell(text);
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(src: &str) -> Vec<(String, String, String, String)> {
        document_values(src, "values.yaml")
            .unwrap()
            .into_iter()
            .map(|r| (r.key, r.kind, r.default, r.description))
            .collect()
    }

    fn row(key: &str, kind: &str, default: &str, desc: &str) -> (String, String, String, String) {
        (
            key.to_string(),
            kind.to_string(),
            default.to_string(),
            desc.to_string(),
        )
    }

    #[test]
    fn plain_comments_nested_keys_and_types() {
        let src = "# Header, separated by a blank line.\n\n# Replicas to run.\nreplicaCount: 2\nimage:\n  # Where the image lives.\n  repository: ghcr.io/x\n  # tag: v1\n  tag: \"\"\nratio: 0.5\nenabled: yes\nlist: [1, 2]\nempty: {}\nnothing:\n";
        assert_eq!(
            rows(src),
            vec![
                row("empty", "object", "{}", ""),
                row("enabled", "bool", "true", ""),
                row(
                    "image.repository",
                    "string",
                    "\"ghcr.io/x\"",
                    "Where the image lives."
                ),
                row("image.tag", "string", "\"\"", ""),
                row("list", "list", "[1,2]", ""),
                row("nothing", "string", "nil", ""),
                row("ratio", "float", "0.5", ""),
                row("replicaCount", "int", "2", "Replicas to run."),
            ]
        );
    }

    #[test]
    fn helm_docs_convention_with_default_override_and_whole_maps() {
        let src = "# A note, not a description.\nplain: 1\n# -- Resources of the pod.\n# More words.\n# @default -- see below\nresources:\n  limits:\n    cpu: 1\n  # -- The requests.\n  requests: {}\n# some note\n# -- Labels.\nlabels: {\"a.b/c\": x}\n";
        assert_eq!(
            rows(src),
            vec![
                row("labels", "object", "{\"a.b/c\":\"x\"}", "Labels."),
                row("plain", "int", "1", ""),
                row(
                    "resources",
                    "object",
                    "see below",
                    "Resources of the pod. More words."
                ),
                row("resources.requests", "object", "{}", "The requests."),
            ]
        );
    }

    #[test]
    fn quoted_segments_and_keys_inside_lists_are_not_confused() {
        let src = "podAnnotations:\n  # Scrape me.\n  prometheus.io/scrape: \"true\"\nitems:\n  - name: a\n    # Not a top-level key.\n    value: 1\nvalue: 2\n";
        assert_eq!(
            rows(src),
            vec![
                row("items", "list", "[{\"name\":\"a\",\"value\":1}]", ""),
                row(
                    "podAnnotations.\"prometheus.io/scrape\"",
                    "string",
                    "\"true\"",
                    "Scrape me."
                ),
                row("value", "int", "2", ""),
            ]
        );
    }

    #[test]
    fn helm_docs_type_override() {
        let src = "# -- (int) Node port; empty picks one.\nnodePort: \"\"\n";
        assert_eq!(
            rows(src),
            vec![row(
                "nodePort",
                "int",
                "\"\"",
                "Node port; empty picks one."
            )]
        );
    }

    #[test]
    fn separator_lines_are_not_helm_docs_markers() {
        let src = "settings:\n  # --------------------\n  # How often to sync.\n  syncPeriod: 1m\n";
        assert_eq!(
            rows(src),
            vec![row(
                "settings.syncPeriod",
                "string",
                "\"1m\"",
                "How often to sync."
            )]
        );
    }

    #[test]
    fn markdown_escapes_and_shortens() {
        let rows = vec![ValueRow {
            key: "a".into(),
            kind: "string".into(),
            default: format!("\"{}\"", "x|".repeat(50)),
            description: "one | two".into(),
            line: 1,
        }];
        let md = render_markdown(&rows);
        let line = md.lines().nth(2).unwrap();
        assert!(line.starts_with("| a | string | `\"x\\|x\\|"), "{line}");
        assert!(line.ends_with("...` | one \\| two |"), "{line}");
    }

    #[test]
    fn broken_yaml_is_an_error_with_a_line() {
        let err = document_values("a: 1\nb: [\n", "values.yaml").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("values.yaml:"), "{text}");
    }
}
