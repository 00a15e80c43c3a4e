//! Map a rendered object's field back to a line of the template (or manifest) it came from.
//!
//! Helm renders a template to text and forgets where each line came from, so we map
//! backwards heuristically, always preferring a line we can defend:
//! 1. find the document's segment in the template (the text between `---` lines): the one
//!    whose top-level `kind:` names the object's kind (the n-th such segment for the n-th
//!    rendered object of that kind from this file), else the n-th segment;
//! 2. within that segment, follow the field path key by key (`spec:` → `minAvailable:`,
//!    `containers:` → the i-th `- ` item → `image:`), each key searched inside the block of
//!    the one before, and stop at the deepest key that is written literally (keys produced
//!    by `toYaml`/`include` are not in the template; their parent is);
//! 3. fall back to the segment's `kind:` line, then its `metadata:` line, then its first
//!    line, then line 1.
//!
//! Lines that are only a template action (`{{- if .Values.x }}`, `{{ toYaml … | nindent 8 }}`)
//! are ignored for indentation, since they do not take part in the YAML structure.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::query::split_field_path;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A line's YAML shape, as far as we need it.
struct LineShape<'a> {
    /// Leading spaces.
    indent: usize,
    /// The line starts a sequence item (`- `).
    dash: bool,
    /// The mapping key on this line, unquoted, and its 0-based column.
    key: Option<(&'a str, usize)>,
}

/// `None` for lines that do not count structurally: blank, comments, and lines that are only
/// template actions.
fn shape(line: &str) -> Option<LineShape<'_>> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    if trimmed.starts_with("{{") && trimmed.ends_with("}}") && !trimmed.contains(": ") {
        return None;
    }
    let indent = line.len() - line.trim_start_matches(' ').len();
    let mut rest = &line[indent..];
    let mut col = indent;
    let mut dash = false;
    while rest == "-" || rest.starts_with("- ") {
        dash = true;
        let after = rest.get(1..).unwrap_or("");
        let spaces = after.len() - after.trim_start_matches(' ').len();
        col += 1 + spaces;
        rest = &after[spaces..];
    }
    Some(LineShape {
        indent,
        dash,
        key: mapping_key(rest).map(|k| (k, col)),
    })
}

/// The key of `key: value` / `key:` / `"key": value`.
fn mapping_key(s: &str) -> Option<&str> {
    if s.starts_with("{{") {
        return None;
    }
    let (quoted, body) = match s.chars().next() {
        Some(q @ ('"' | '\'')) => (Some(q), &s[1..]),
        _ => (None, s),
    };
    match quoted {
        Some(q) => {
            let end = body.find(q)?;
            let after = &body[end + 1..];
            (after.starts_with(':')).then(|| &body[..end])
        }
        None => {
            let mut search = 0;
            loop {
                let i = body[search..].find(':')? + search;
                let after = &body[i + 1..];
                if after.is_empty() || after.starts_with(' ') || after.starts_with('\t') {
                    let key = body[..i].trim_end();
                    return (!key.is_empty() && !key.contains("{{")).then_some(key);
                }
                search = i + 1;
            }
        }
    }
}

/// Whether a line is a document separator.
fn is_separator(line: &str) -> bool {
    let t = line.trim_end();
    t == "---" || t.starts_with("--- ") || t.starts_with("---\t")
}

/// Document segments: (first line index, end line index exclusive), 0-based, skipping
/// segments with no YAML content.
fn segments(lines: &[&str]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, line) in lines.iter().enumerate() {
        if is_separator(line) {
            out.push((start, i));
            start = i + 1;
        }
    }
    out.push((start, lines.len()));
    out.retain(|&(s, e)| {
        lines[s..e]
            .iter()
            .any(|l| shape(l).is_some_and(|sh| sh.key.is_some() || sh.dash))
    });
    out
}

/// The line of a top-level `kind: <kind>` in a segment (0-based), if literal.
fn kind_line(lines: &[&str], (s, e): (usize, usize), kind: Option<&str>) -> Option<usize> {
    (s..e).find(|&i| {
        let line = lines[i];
        let Some(rest) = line.strip_prefix("kind:") else {
            return false;
        };
        match kind {
            None => true,
            Some(k) => rest.trim().trim_matches(|c| c == '"' || c == '\'') == k,
        }
    })
}

/// The 1-based line where the object's document starts in its template: see the module
/// doc. `kind_ordinal` counts objects of the same kind rendered from this file before it,
/// `ordinal` all objects rendered from this file before it.
pub fn document_line(text: &str, kind: &str, kind_ordinal: usize, ordinal: usize) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let segs = segments(&lines);
    let with_kind: Vec<(usize, usize)> = segs
        .iter()
        .copied()
        .filter(|&seg| kind_line(&lines, seg, Some(kind)).is_some())
        .collect();
    let seg = if let Some(last) = with_kind.last() {
        with_kind.get(kind_ordinal).copied().unwrap_or(*last)
    } else if let Some(last) = segs.last() {
        segs.get(ordinal).copied().unwrap_or(*last)
    } else {
        return 1;
    };
    first_content_line(&lines, seg) + 1
}

fn first_content_line(lines: &[&str], (s, e): (usize, usize)) -> usize {
    (s..e).find(|&i| !lines[i].trim().is_empty()).unwrap_or(s)
}

/// The segment containing 0-based line `at`.
fn segment_at(lines: &[&str], at: usize) -> (usize, usize) {
    let mut start = 0;
    for (i, line) in lines.iter().enumerate() {
        if is_separator(line) {
            if i >= at && i > 0 && at >= start {
                return (start, i);
            }
            start = i + 1;
        }
    }
    (start.min(at), lines.len())
}

/// Where a search for child keys is confined.
#[derive(Clone, Copy)]
enum Parent {
    /// The whole segment.
    Top,
    /// Under a mapping key at this indent (sequence items may sit at the same indent).
    Key(usize),
    /// Inside a sequence item whose dash is at this indent.
    Item(usize),
}

fn block_ended(parent: Parent, sh: &LineShape<'_>) -> bool {
    match parent {
        Parent::Top => false,
        Parent::Key(p) => sh.indent < p || (sh.indent == p && !sh.dash),
        Parent::Item(p) => sh.indent <= p,
    }
}

/// Position of `field` (a Diagnostic field path) of the document starting at 1-based
/// `doc_line` in `text`; without a field, the document's `kind:` line.
pub fn locate(text: &str, doc_line: usize, field: Option<&str>) -> Position {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return Position { line: 1, column: 1 };
    }
    let at = doc_line.saturating_sub(1).min(lines.len() - 1);
    let seg = segment_at(&lines, at);
    let seg = (at.max(seg.0), seg.1);
    let fallback = || {
        let i = kind_line(&lines, seg, None)
            .or_else(|| (seg.0..seg.1).find(|&i| lines[i].starts_with("metadata:")))
            .unwrap_or_else(|| first_content_line(&lines, seg));
        Position {
            line: i + 1,
            column: 1,
        }
    };
    let Some(field) = field else {
        return fallback();
    };
    let mut best: Option<Position> = None;
    let mut pos = seg.0;
    let mut parent = Parent::Top;
    for part in split_field_path(field) {
        if let Some(index) = part
            .strip_prefix('[')
            .and_then(|p| p.strip_suffix(']'))
            .and_then(|p| p.parse::<usize>().ok())
        {
            // The index-th item of the sequence (the last one if the template makes fewer
            // literal items than the render has: a `range` writes one for all).
            let mut item_indent = None;
            let mut found = Vec::new();
            for (i, line) in lines.iter().enumerate().take(seg.1).skip(pos) {
                let Some(sh) = shape(line) else { continue };
                if block_ended(parent, &sh) {
                    break;
                }
                if sh.dash {
                    match item_indent {
                        None => {
                            item_indent = Some(sh.indent);
                            found.push((i, sh.key.map_or(sh.indent + 2, |k| k.1)));
                        }
                        Some(ind) if ind == sh.indent => {
                            found.push((i, sh.key.map_or(sh.indent + 2, |k| k.1)))
                        }
                        Some(ind) if sh.indent < ind => break,
                        Some(_) => {}
                    }
                } else if item_indent.is_some_and(|ind| sh.indent <= ind) {
                    break;
                }
            }
            let (Some(ind), Some(&(line, col))) = (item_indent, found.get(index).or(found.last()))
            else {
                break;
            };
            best = Some(Position {
                line: line + 1,
                column: col + 1,
            });
            pos = line;
            parent = Parent::Item(ind);
            continue;
        }
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().take(seg.1).skip(pos) {
            let Some(sh) = shape(line) else { continue };
            // The item line itself (`- name: x`) belongs to its item.
            let own_item_line = matches!(parent, Parent::Item(p) if i == pos && sh.indent == p);
            if !own_item_line && block_ended(parent, &sh) {
                break;
            }
            if let Some((key, col)) = sh.key {
                if key == part {
                    hit = Some((i, col));
                    break;
                }
            }
        }
        let Some((line, col)) = hit else { break };
        best = Some(Position {
            line: line + 1,
            column: col + 1,
        });
        pos = line + 1;
        parent = Parent::Key(col);
    }
    best.unwrap_or_else(fallback)
}

/// Answers already given, per source text. A lint run asks the same questions about the
/// same templates for every render (each document's line, each finding's field), and a
/// template can be megabytes of CRDs; the answers depend only on the text and the question.
#[derive(Default)]
struct Memo {
    /// The texts answered about, by address; holding them keeps an address from being
    /// reused by another text while its answers are cached.
    texts: HashMap<usize, Rc<str>>,
    lines: HashMap<(usize, String, usize, usize), usize>,
    positions: HashMap<(usize, usize, Option<String>), Position>,
}

/// Texts kept before the memo starts over (a bound for long-lived processes).
const MEMO_TEXTS: usize = 4096;

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

impl Memo {
    fn key(&mut self, text: &Rc<str>) -> usize {
        let key = Rc::as_ptr(text) as *const u8 as usize;
        if !self.texts.contains_key(&key) {
            if self.texts.len() >= MEMO_TEXTS {
                *self = Memo::default();
            }
            self.texts.insert(key, Rc::clone(text));
        }
        key
    }
}

/// [`document_line`], answered once per text and question on this thread.
pub fn document_line_shared(
    text: &Rc<str>,
    kind: &str,
    kind_ordinal: usize,
    ordinal: usize,
) -> usize {
    let key = MEMO.with(|m| {
        let mut m = m.borrow_mut();
        let t = m.key(text);
        (t, kind.to_string(), kind_ordinal, ordinal)
    });
    if let Some(hit) = MEMO.with(|m| m.borrow().lines.get(&key).copied()) {
        return hit;
    }
    let line = document_line(text, kind, kind_ordinal, ordinal);
    MEMO.with(|m| m.borrow_mut().lines.insert(key, line));
    line
}

/// [`locate`], answered once per text and question on this thread.
pub fn locate_shared(text: &Rc<str>, doc_line: usize, field: Option<&str>) -> Position {
    let key = MEMO.with(|m| {
        let mut m = m.borrow_mut();
        let t = m.key(text);
        (t, doc_line, field.map(str::to_string))
    });
    if let Some(hit) = MEMO.with(|m| m.borrow().positions.get(&key).copied()) {
        return hit;
    }
    let pos = locate(text, doc_line, field);
    MEMO.with(|m| m.borrow_mut().positions.insert(key, pos));
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDB: &str = r#"{{- if .Values.pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "op.fullname" . }}
  labels:
    {{- include "op.labels" . | nindent 4 }}
spec:
  minAvailable: {{ .Values.pdb.minAvailable }}
  selector:
    matchLabels:
      {{- include "op.selectorLabels" . | nindent 6 }}
{{- end }}
"#;

    #[test]
    fn finds_a_literal_key() {
        let p = locate(PDB, 1, Some("spec.minAvailable"));
        assert_eq!(p, Position { line: 9, column: 3 });
        // A key produced by an include maps to its literal parent.
        let p = locate(PDB, 1, Some("spec.selector.matchLabels.app"));
        assert_eq!(
            p,
            Position {
                line: 11,
                column: 5
            }
        );
        // An object-level finding points at `kind:`.
        assert_eq!(locate(PDB, 1, None), Position { line: 3, column: 1 });
        // A field that is not written at all falls back to the deepest literal ancestor.
        assert_eq!(
            locate(PDB, 1, Some("spec.maxUnavailable")),
            Position { line: 8, column: 1 }
        );
        // No literal key at all: the kind line.
        assert_eq!(
            locate(PDB, 1, Some("status.x")),
            Position { line: 3, column: 1 }
        );
    }

    const DEPLOY: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: op
spec:
  template:
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      initContainers:
      - name: init
        image: busybox
      containers:
        - name: manager
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          ports:
            - name: metrics
              containerPort: 8080
        - name: proxy
          image: kube-rbac-proxy
          securityContext:
            runAsNonRoot: true
      volumes:
        - name: x
"#;

    #[test]
    fn follows_sequences() {
        let p = locate(DEPLOY, 1, Some("spec.template.spec.containers[0].image"));
        assert_eq!(
            p,
            Position {
                line: 17,
                column: 11
            }
        );
        let p = locate(DEPLOY, 1, Some("spec.template.spec.containers[1].image"));
        assert_eq!(
            p,
            Position {
                line: 22,
                column: 11
            }
        );
        let p = locate(DEPLOY, 1, Some("spec.template.spec.containers[1]"));
        assert_eq!(
            p,
            Position {
                line: 21,
                column: 11
            }
        );
        // Compact sequences (dash at the key's indent).
        let p = locate(
            DEPLOY,
            1,
            Some("spec.template.spec.initContainers[0].image"),
        );
        assert_eq!(
            p,
            Position {
                line: 14,
                column: 9
            }
        );
        let p = locate(
            DEPLOY,
            1,
            Some("spec.template.spec.containers[0].ports[0].containerPort"),
        );
        assert_eq!(
            p,
            Position {
                line: 20,
                column: 15
            }
        );
        // Does not leak into the next item: container 0 has no securityContext.
        let p = locate(
            DEPLOY,
            1,
            Some("spec.template.spec.containers[0].securityContext.runAsNonRoot"),
        );
        assert_eq!(
            p,
            Position {
                line: 16,
                column: 11
            }
        );
        let p = locate(
            DEPLOY,
            1,
            Some("spec.template.spec.containers[1].securityContext.runAsNonRoot"),
        );
        assert_eq!(
            p,
            Position {
                line: 24,
                column: 13
            }
        );
        // Pod-level securityContext written via toYaml.
        let p = locate(
            DEPLOY,
            1,
            Some("spec.template.spec.securityContext.runAsUser"),
        );
        assert_eq!(p, Position { line: 9, column: 7 });
        // A range makes more items than the template writes: the last literal one.
        let p = locate(DEPLOY, 1, Some("spec.template.spec.containers[5].image"));
        assert_eq!(
            p,
            Position {
                line: 22,
                column: 11
            }
        );
    }

    const MULTI: &str = r#"---
# leading separator and comment
apiVersion: v1
kind: ServiceAccount
metadata:
  name: a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: b
rules:
  - apiGroups: [""]
    resources: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: b
roleRef:
  kind: ClusterRole
  name: b
{{- range .Values.extra }}
---
kind: ClusterRole
metadata:
  name: {{ . }}
rules: []
{{- end }}
"#;

    #[test]
    fn finds_documents_by_kind() {
        assert_eq!(document_line(MULTI, "ServiceAccount", 0, 0), 2);
        assert_eq!(document_line(MULTI, "ClusterRole", 0, 1), 8);
        // `roleRef.kind: ClusterRole` is nested, not the document's kind.
        assert_eq!(document_line(MULTI, "ClusterRoleBinding", 0, 2), 16);
        // Range-generated documents map to the ranged segment.
        assert_eq!(document_line(MULTI, "ClusterRole", 1, 3), 25);
        assert_eq!(document_line(MULTI, "ClusterRole", 4, 6), 25);
        // Unknown (templated) kind: by position among documents.
        assert_eq!(document_line(MULTI, "Secret", 0, 1), 8);
        assert_eq!(document_line(MULTI, "Secret", 0, 99), 25);
        assert_eq!(document_line("", "X", 0, 0), 1);

        let line = document_line(MULTI, "ClusterRole", 0, 1);
        assert_eq!(
            locate(MULTI, line, Some("rules[0].resources")),
            Position {
                line: 14,
                column: 5
            }
        );
        assert_eq!(locate(MULTI, line, None), Position { line: 9, column: 1 });
        // The search never crosses into the next document.
        assert_eq!(
            locate(MULTI, 2, Some("roleRef.name")),
            Position { line: 4, column: 1 }
        );
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for text in [
            "",
            "\n\n",
            "---\n---\n",
            "- a\n- b\n",
            "key: [\n",
            "{{ x }}",
        ] {
            for field in [None, Some("a.b[3].c"), Some("[0]"), Some("")] {
                let p = locate(text, 7, field);
                assert!(p.line >= 1);
            }
            document_line(text, "Pod", 3, 3);
        }
        assert_eq!(
            locate("a:\n  \"b.c\": 1\n", 1, Some("a[\"b.c\"]")),
            Position { line: 2, column: 3 }
        );
    }

    #[test]
    fn keys() {
        assert_eq!(mapping_key("a: b"), Some("a"));
        assert_eq!(mapping_key("a:"), Some("a"));
        assert_eq!(mapping_key("image: \"x:y\""), Some("image"));
        assert_eq!(mapping_key("\"a.b/c\": x"), Some("a.b/c"));
        assert_eq!(mapping_key("http://x"), None);
        assert_eq!(mapping_key("{{ .x }}: y"), None);
        assert_eq!(mapping_key("plain"), None);
    }
}
