//! Map a field path (`spec.containers[0].image`) to the line and column where that field is
//! written in a YAML manifest, so a finding points at the exact line.
//!
//! Only plain manifests are mapped: a template's text is not the document it renders, so for
//! templates the finding keeps the document's own location (absent facts are not guessed).

use saphyr_parser::{Event, Parser};

/// A YAML node with the position of its first character (1-based line, 1-based column).
#[derive(Debug)]
enum Node {
    Map(Vec<(String, (usize, usize), Node)>, (usize, usize)),
    Seq(Vec<Node>, (usize, usize)),
    Leaf((usize, usize)),
}

impl Node {
    fn pos(&self) -> (usize, usize) {
        match self {
            Node::Map(_, p) | Node::Seq(_, p) | Node::Leaf(p) => *p,
        }
    }
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !cur.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut cur)));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut cur)));
                }
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    inner.push(c);
                }
                match inner.parse::<usize>() {
                    Ok(i) => steps.push(Step::Index(i)),
                    Err(_) => steps.push(Step::Key(inner)),
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        steps.push(Step::Key(cur));
    }
    steps
}

struct Builder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    depth: usize,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Option<(Event<'a>, (usize, usize))> {
        let (ev, span) = self.parser.next_event()?.ok()?;
        Some((ev, (span.start.line(), span.start.col() + 1)))
    }

    fn node(&mut self, ev: Event<'a>, pos: (usize, usize)) -> Option<Node> {
        match ev {
            Event::MappingStart(..) => {
                self.depth += 1;
                if self.depth > 500 {
                    return None;
                }
                let mut entries = Vec::new();
                loop {
                    let (ev, kpos) = self.next()?;
                    let key = match ev {
                        Event::MappingEnd => break,
                        Event::Scalar(text, ..) => text.to_string(),
                        other => {
                            // Complex keys never name a field; skip the key node.
                            self.node(other, kpos)?;
                            String::new()
                        }
                    };
                    let (ev, vpos) = self.next()?;
                    let value = self.node(ev, vpos)?;
                    entries.push((key, kpos, value));
                }
                self.depth -= 1;
                Some(Node::Map(entries, pos))
            }
            Event::SequenceStart(..) => {
                self.depth += 1;
                if self.depth > 500 {
                    return None;
                }
                let mut items = Vec::new();
                loop {
                    let (ev, ipos) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(ev, ipos)?);
                }
                self.depth -= 1;
                Some(Node::Seq(items, pos))
            }
            _ => Some(Node::Leaf(pos)),
        }
    }
}

/// Documents of a YAML stream with their root positions; `None` if the text does not parse.
fn documents(text: &str) -> Option<Vec<Node>> {
    let mut b = Builder {
        parser: Parser::new_from_str(text),
        depth: 0,
    };
    let mut docs = Vec::new();
    loop {
        let (ev, _) = b.next()?;
        match ev {
            Event::StreamEnd => return Some(docs),
            Event::DocumentStart(_) => {
                let (ev, pos) = b.next()?;
                if matches!(ev, Event::DocumentEnd) {
                    continue;
                }
                docs.push(b.node(ev, pos)?);
                // DocumentEnd
                b.next()?;
            }
            _ => {}
        }
    }
}

/// Line and column of `path` in the document of `text` that starts at or after
/// `doc_line`. When the path leads to a field that is absent (a missing required field),
/// the position of the closest present parent is returned.
pub fn locate(text: &str, doc_line: usize, path: &str) -> Option<(usize, usize)> {
    let docs = documents(text)?;
    let doc = docs.iter().find(|d| d.pos().0 >= doc_line)?;
    let mut node = doc;
    let mut pos = doc.pos();
    for step in parse_path(path) {
        match (step, node) {
            (Step::Key(k), Node::Map(entries, _)) => {
                let Some((_, kpos, v)) = entries.iter().find(|(key, _, _)| *key == k) else {
                    break;
                };
                pos = *kpos;
                node = v;
            }
            (Step::Index(i), Node::Seq(items, _)) => {
                let Some(item) = items.get(i) else {
                    break;
                };
                pos = item.pos();
                node = item;
            }
            _ => break,
        }
    }
    Some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
apiVersion: v1
kind: ConfigMap
---
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
      - name: a
        image: nginx
      - name: b
        image: x
";

    #[test]
    fn finds_fields_in_the_right_document() {
        assert_eq!(locate(TEXT, 4, "kind"), Some((5, 1)));
        assert_eq!(locate(TEXT, 1, "kind"), Some((2, 1)));
        assert_eq!(
            locate(TEXT, 4, "spec.template.spec.containers[1].image"),
            Some((13, 9))
        );
        // Missing field: the closest parent present.
        assert_eq!(
            locate(TEXT, 4, "spec.template.spec.containers[0].ports"),
            Some((10, 9))
        );
        assert_eq!(parse_path("metadata.labels[a.b/c]").len(), 3);
    }
}
