//! Parsing template files on a helper thread before the caller knows which of them it needs.
//!
//! A render first loads the chart and prepares its values (coalescing, dependency
//! conditions, the values schema), which takes a few milliseconds on a large chart, and only
//! then knows the templates it renders. Parsing is the largest part of a large render and
//! depends on none of that, so a helper thread starts on every template file of the loaded
//! chart at once ([`PreParse::start`]). When the caller is ready it takes over
//! ([`TemplateSet::add_all_preparsed`](super::TemplateSet::add_all_preparsed)): it parses
//! the wanted files the helper has not reached itself, skips the unwanted ones (the
//! templates of disabled subcharts, which Helm never parses), waits for the file the helper
//! is on, and uses a parsed file only where name and source are the very ones it asked for
//! (the same bytes in memory); anything else is parsed again, so the result is always what
//! parsing in order would give.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::funcs::FuncMap;
use super::parser::{parse_detached, FuncNames, ParsedFile};
use super::HashMap;

/// Stack for the helper: the parser recurses once per nesting level (see main.rs); only
/// reserved.
const STACK_SIZE: usize = 64 * 1024 * 1024;

/// Template files being parsed ahead of time (see the module documentation).
pub struct PreParse<D: Deref<Target = [u8]> + Send + Sync + 'static> {
    shared: Arc<Shared<D>>,
    helper: Option<std::thread::JoinHandle<()>>,
}

struct Shared<D> {
    files: Vec<Pending<D>>,
    names: FuncNames,
}

struct Pending<D> {
    name: String,
    data: D,
    /// Set by whichever thread takes the file first (to parse or to skip it).
    claimed: AtomicBool,
    result: Mutex<Option<ParsedFile>>,
}

/// A file parsed ahead of time: where its source lay, and the parse.
pub(crate) struct Ready {
    source: (usize, usize),
    parsed: ParsedFile,
}

impl Ready {
    /// The parse, if it was made from exactly `source` (the same bytes in memory).
    pub(crate) fn take_if_from(self, source: &str) -> Option<ParsedFile> {
        (self.source == (source.as_ptr() as usize, source.len())).then_some(self.parsed)
    }
}

impl<D: Deref<Target = [u8]> + Send + Sync + 'static> PreParse<D> {
    /// Start parsing `files` (full template name, source bytes), largest first, against the
    /// functions of `funcs`, which must resolve every name as the caller's set will. `None`
    /// when a thread cannot be started or only one CPU is available.
    pub fn start(mut files: Vec<(String, D)>, funcs: &FuncMap) -> Option<PreParse<D>> {
        if !std::thread::available_parallelism().is_ok_and(|n| n.get() > 1) {
            return None;
        }
        files.sort_by_key(|(_, data)| std::cmp::Reverse(data.len()));
        let shared = Arc::new(Shared {
            files: files
                .into_iter()
                .map(|(name, data)| Pending {
                    name,
                    data,
                    claimed: AtomicBool::new(false),
                    result: Mutex::new(None),
                })
                .collect(),
            names: FuncNames::new(funcs),
        });
        let theirs = Arc::clone(&shared);
        let helper = std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                for file in &theirs.files {
                    if !file.claimed.swap(true, Ordering::AcqRel) {
                        let parsed = parse_pending(file, &theirs.names);
                        if let Ok(mut slot) = file.result.lock() {
                            *slot = parsed;
                        }
                    }
                }
            })
            .ok()?;
        Some(PreParse {
            shared,
            helper: Some(helper),
        })
    }

    /// Parse here the files named in `wanted` that the helper has not taken, skip the
    /// others, wait for the helper, and return what was parsed by name.
    pub(crate) fn finish(mut self, wanted: &[&str]) -> HashMap<String, Ready> {
        let wanted: std::collections::HashSet<&str, foldhash::fast::RandomState> =
            wanted.iter().copied().collect();
        for file in &self.shared.files {
            if !file.claimed.swap(true, Ordering::AcqRel) && wanted.contains(file.name.as_str()) {
                let parsed = parse_pending(file, &self.shared.names);
                if let Ok(mut slot) = file.result.lock() {
                    *slot = parsed;
                }
            }
        }
        // A helper that panicked leaves its file without a result: parsed again later.
        if let Some(helper) = self.helper.take() {
            let _ = helper.join();
        }
        let mut ready = HashMap::default();
        for file in &self.shared.files {
            let parsed = file.result.lock().ok().and_then(|mut slot| slot.take());
            if let Some(parsed) = parsed {
                let source = (file.data.as_ptr() as usize, file.data.len());
                ready.insert(file.name.clone(), Ready { source, parsed });
            }
        }
        ready
    }
}

impl<D: Deref<Target = [u8]> + Send + Sync + 'static> Drop for PreParse<D> {
    /// Not finished (the caller gave up, e.g. on a values error): stop the helper after its
    /// current file and wait for it.
    fn drop(&mut self) {
        if let Some(helper) = self.helper.take() {
            for file in &self.shared.files {
                file.claimed.store(true, Ordering::Release);
            }
            let _ = helper.join();
        }
    }
}

/// Parse one file as the caller will see it. A file that is not valid UTF-8 reaches the
/// caller converted, in new memory, so a parse of it here would never be used: it is left
/// to the caller (`None`).
fn parse_pending<D: Deref<Target = [u8]>>(
    file: &Pending<D>,
    names: &FuncNames,
) -> Option<ParsedFile> {
    // `from_utf8` validates several times faster than the lossy conversion.
    let text = std::str::from_utf8(&file.data).ok()?;
    Some(parse_detached(&file.name, text, names))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{TemplateSet, Value};
    use std::sync::Arc;

    /// Shared bytes, like a chart's files.
    type Bytes = Arc<[u8]>;

    fn bytes(s: &str) -> Bytes {
        Arc::from(s.as_bytes())
    }

    fn funcs() -> FuncMap {
        let mut funcs = FuncMap::new();
        funcs.insert("upper", |args| {
            Ok(Value::str(&args[0].to_string().to_uppercase()))
        });
        funcs
    }

    /// A pre-parse of `files` (name, bytes).
    fn start(files: &[(&str, Bytes)]) -> PreParse<Bytes> {
        PreParse::start(
            files
                .iter()
                .map(|(n, d)| (n.to_string(), Arc::clone(d)))
                .collect(),
            &funcs(),
        )
        .expect("tests run with two CPUs or more")
    }

    /// Every file of `files` added with the ahead-of-time parse and without it; both sets
    /// must give the same outcome for each name in `check`.
    fn both_ways(files: &[(&str, Bytes)], wanted: &[&str], check: &[&str]) -> [String; 2] {
        let sources: Vec<(&str, &str)> = wanted
            .iter()
            .map(|name| {
                let (_, data) = files.iter().find(|(n, _)| n == name).unwrap();
                (*name, std::str::from_utf8(data).unwrap())
            })
            .collect();
        let pre = start(files);
        let mut with = TemplateSet::new(funcs());
        let with = with.add_all_preparsed(&sources, pre).map(|()| with);
        let mut without = TemplateSet::new(funcs());
        let without = without.add_all(&sources).map(|()| without);
        let outcome = |set: Result<TemplateSet, crate::template::TemplateError>| match set {
            Ok(set) => check
                .iter()
                .map(|name| match set.execute(name, &Value::Nil) {
                    Ok(out) => out,
                    Err(e) => format!("exec error: {e}"),
                })
                .collect::<Vec<_>>()
                .join("|"),
            Err(e) => format!("parse error: {e}"),
        };
        [outcome(with), outcome(without)]
    }

    #[test]
    fn parsed_ahead_renders_like_parsed_in_order() {
        let files = [
            (
                "c/templates/_h.tpl",
                bytes(r#"{{define "x"}}X{{upper "a"}}{{end}}"#),
            ),
            ("c/templates/a.yaml", bytes(r#"a: {{template "x" .}}"#)),
            // Redefines "x": the later file in the caller's order wins, as in Helm.
            ("c/templates/b.yaml", bytes(r#"{{define "x"}}Y{{end}}b"#)),
        ];
        let order = [
            "c/templates/_h.tpl",
            "c/templates/b.yaml",
            "c/templates/a.yaml",
        ];
        let [with, without] = both_ways(&files, &order, &["c/templates/a.yaml"]);
        assert_eq!(with, "a: Y");
        assert_eq!(with, without);
    }

    #[test]
    fn unwanted_files_are_never_reported() {
        // A disabled subchart's broken template is not in the caller's list: no error.
        let files = [
            ("c/templates/a.yaml", bytes("a: {{ 1 }}")),
            ("c/charts/off/templates/bad.yaml", bytes("{{ if }}")),
        ];
        let [with, without] = both_ways(&files, &["c/templates/a.yaml"], &["c/templates/a.yaml"]);
        assert_eq!(with, "a: 1");
        assert_eq!(with, without);
    }

    #[test]
    fn the_first_failing_file_in_order_is_reported() {
        let files = [
            ("c/templates/a.yaml", bytes("{{ nosuchfunc }}")),
            ("c/templates/b.yaml", bytes("{{ end }}")),
        ];
        let order = ["c/templates/b.yaml", "c/templates/a.yaml"];
        let [with, without] = both_ways(&files, &order, &[]);
        assert!(
            with.starts_with("parse error: template: c/templates/b.yaml:1"),
            "{with}"
        );
        assert_eq!(with, without);
    }

    #[test]
    fn a_parse_of_other_bytes_or_another_name_is_not_used() {
        let files = [("c/templates/a.yaml", bytes("ahead"))];
        let pre = start(&files);
        // Same name, equal text, but other memory (a chart prepared from a copy), and a
        // renamed file (an aliased subchart): both parsed again from the caller's text.
        let copy = String::from("again");
        let sources = [
            ("c/templates/a.yaml", copy.as_str()),
            ("c/charts/x/t.yaml", "x"),
        ];
        let mut set = TemplateSet::new(funcs());
        set.add_all_preparsed(&sources, pre).unwrap();
        assert_eq!(
            set.execute("c/templates/a.yaml", &Value::Nil).unwrap(),
            "again"
        );
        assert_eq!(set.execute("c/charts/x/t.yaml", &Value::Nil).unwrap(), "x");
    }

    #[test]
    fn dropping_an_unfinished_pre_parse_stops_the_helper() {
        let files: Vec<(String, Bytes)> = (0..200)
            .map(|i| {
                (
                    format!("c/templates/f{i}.yaml"),
                    bytes(&"{{ 1 }}\n".repeat(500)),
                )
            })
            .collect();
        let pre = PreParse::start(files, &funcs()).unwrap();
        let shared = Arc::clone(&pre.shared);
        drop(pre);
        // The helper has been joined: only this test holds the files now.
        assert_eq!(Arc::strong_count(&shared), 1);
        assert!(shared
            .files
            .iter()
            .all(|f| f.claimed.load(Ordering::Acquire)));
    }
}
