//! Parsing template files on a helper thread while the caller is still loading the chart.
//!
//! A render loads the chart (reading every file, parsing values files), then prepares its
//! values (coalescing, dependency conditions, the values schema), which together take
//! several milliseconds on a large chart, and only then knows the templates it renders.
//! Parsing is the largest part of a large render and depends on none of that, so template
//! files are handed to a [`PreParse`] as soon as they are read ([`PreParse::submit`]); once
//! enough template source has arrived to be worth a thread, a helper parses what is
//! waiting, largest first, and waits for more. When the caller is ready it takes over
//! ([`TemplateSet::add_all_preparsed`](super::TemplateSet::add_all_preparsed)): it shares
//! the wanted files the helper has not reached, skips the unwanted ones (the templates of
//! disabled subcharts, which Helm never parses, so their errors never surface), waits for
//! the file the helper is on, and uses a parse only where it was made from the very bytes
//! it asks for (the same memory), under the name it asks for (see
//! [`ParsedFile::renamed`]); anything else, including every file that failed to parse, is
//! parsed again, so the result is always what parsing in order would give.
//!
//! Names given to [`PreParse::submit`] only label the work: a file is read before the chart
//! it belongs to is known by its final name.

use std::ops::Deref;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use super::funcs::FuncMap;
use super::parser::{parse_detached, FuncNames, ParsedFile};
use super::HashMap;

/// Stack for the helper: the parser recurses once per nesting level (see main.rs); only
/// reserved.
const STACK_SIZE: usize = 64 * 1024 * 1024;

/// Where a file's bytes lie: the key a parse is found by.
type SourceKey = (usize, usize);

fn key_of(bytes: &[u8]) -> SourceKey {
    (bytes.as_ptr() as usize, bytes.len())
}

/// Template files being parsed ahead of time (see the module documentation).
pub struct PreParse<D: Deref<Target = [u8]> + Clone + Send + Sync + 'static> {
    shared: Arc<Shared<D>>,
    helper: Option<std::thread::JoinHandle<()>>,
    /// Bytes submitted so far, and how many start the helper.
    submitted: usize,
    start_at: usize,
    /// The caller's functions, built only when the helper starts (small charts never
    /// need them).
    funcs: fn() -> FuncMap,
}

struct Shared<D> {
    queue: Mutex<Queue<D>>,
    /// Wakes the helper when a file is submitted or submission ends.
    changed: Condvar,
    /// Set before the helper starts.
    names: OnceLock<FuncNames>,
}

struct Queue<D> {
    files: Vec<Pending<D>>,
    /// No more files will come; files nobody has taken by then stay unparsed.
    closed: bool,
    /// The helper sleeps until signalled (a submission only signals then).
    helper_waiting: bool,
}

struct Pending<D> {
    name: String,
    data: D,
    state: State,
}

enum State {
    Waiting,
    /// A thread is parsing it.
    Taken,
    /// Parsed; `None` when the bytes are not UTF-8 (the caller converts those into new
    /// memory, so a parse made here could never be used).
    Done(Option<ParsedFile>),
    /// Not wanted, or given up.
    Skipped,
}

impl<D: Deref<Target = [u8]> + Clone + Send + Sync + 'static> PreParse<D> {
    /// An empty pre-parse for a set with the functions `funcs` makes, which must resolve
    /// every name as the caller's set will. Its helper starts once `start_at` bytes of
    /// template source have been submitted; no thread is started (and no function map
    /// made) before that.
    pub fn new(funcs: fn() -> FuncMap, start_at: usize) -> PreParse<D> {
        PreParse {
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue {
                    files: Vec::new(),
                    closed: false,
                    helper_waiting: false,
                }),
                changed: Condvar::new(),
                names: OnceLock::new(),
            }),
            helper: None,
            submitted: 0,
            start_at,
            funcs,
        }
    }

    /// Hand over one template file (a label for it, its bytes) to be parsed.
    pub fn submit(&mut self, name: String, data: D) {
        self.submitted += data.len();
        let mut queue = lock(&self.shared.queue);
        queue.files.push(Pending {
            name,
            data,
            state: State::Waiting,
        });
        let wake = std::mem::take(&mut queue.helper_waiting);
        drop(queue);
        if wake {
            self.shared.changed.notify_one();
        } else if self.helper.is_none() && self.submitted >= self.start_at {
            self.start_helper();
        }
    }

    /// The names parses resolve functions against (made on first use).
    fn names(&self) -> &FuncNames {
        self.shared
            .names
            .get_or_init(|| FuncNames::new(&(self.funcs)()))
    }

    /// The pre-parse if its helper runs: `None` when too little source was submitted to
    /// start it, or when no second CPU or thread is available (the caller parses as usual).
    pub fn into_started(self) -> Option<PreParse<D>> {
        self.helper.is_some().then_some(self)
    }

    fn start_helper(&mut self) {
        if crate::available_cpus() < 2 {
            // Never again: `start_at` can no longer be reached.
            self.start_at = usize::MAX;
            return;
        }
        self.names();
        let theirs = Arc::clone(&self.shared);
        self.helper = std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                let Some(names) = theirs.names.get() else {
                    return;
                };
                let mut queue = lock(&theirs.queue);
                loop {
                    if let Some(taken) = take_largest(&mut queue) {
                        drop(queue);
                        let parsed = parse_pending(&taken, names);
                        queue = lock(&theirs.queue);
                        store(&mut queue, taken.2, parsed);
                    } else if queue.closed {
                        return;
                    } else {
                        queue.helper_waiting = true;
                        queue = match theirs.changed.wait(queue) {
                            Ok(queue) => queue,
                            Err(poisoned) => poisoned.into_inner(),
                        };
                    }
                }
            })
            .ok();
        if self.helper.is_none() {
            self.start_at = usize::MAX;
        }
    }

    /// End submission, parse here the files with sources in `wanted` that the helper has not
    /// taken (sharing them with the helper), skip the others, wait for the helper, and
    /// return every parse by where its source lies.
    pub(crate) fn finish(mut self, wanted: &[&str]) -> HashMap<SourceKey, ParsedFile> {
        let wanted: std::collections::HashSet<SourceKey, foldhash::fast::RandomState> =
            wanted.iter().map(|s| key_of(s.as_bytes())).collect();
        let mut queue = lock(&self.shared.queue);
        queue.closed = true;
        for file in &mut queue.files {
            if matches!(file.state, State::Waiting) && !wanted.contains(&key_of(&file.data)) {
                file.state = State::Skipped;
            }
        }
        self.shared.changed.notify_all();
        while let Some(taken) = take_largest(&mut queue) {
            drop(queue);
            let parsed = parse_pending(&taken, self.names());
            queue = lock(&self.shared.queue);
            store(&mut queue, taken.2, parsed);
        }
        drop(queue);
        // A helper that panicked leaves its file taken: it is parsed again later.
        if let Some(helper) = self.helper.take() {
            let _ = helper.join();
        }
        let mut queue = lock(&self.shared.queue);
        let mut ready = HashMap::default();
        for file in &mut queue.files {
            if let State::Done(Some(parsed)) = std::mem::replace(&mut file.state, State::Skipped) {
                ready.insert(key_of(&file.data), parsed);
            }
        }
        ready
    }
}

impl<D: Deref<Target = [u8]> + Clone + Send + Sync + 'static> Drop for PreParse<D> {
    /// Not finished (the caller gave up, e.g. on a values error): stop the helper after its
    /// current file and wait for it.
    fn drop(&mut self) {
        if let Some(helper) = self.helper.take() {
            let mut queue = lock(&self.shared.queue);
            queue.closed = true;
            for file in &mut queue.files {
                if matches!(file.state, State::Waiting) {
                    file.state = State::Skipped;
                }
            }
            drop(queue);
            self.shared.changed.notify_all();
            let _ = helper.join();
        }
    }
}

/// The queue's lock; a thread that panicked holding it left nothing half-written (every
/// change is a single assignment), so a poisoned lock is used as it is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Take the largest waiting file: its label, its bytes and its index.
fn take_largest<D: Deref<Target = [u8]> + Clone>(
    queue: &mut Queue<D>,
) -> Option<(String, D, usize)> {
    let (index, file) = queue
        .files
        .iter_mut()
        .enumerate()
        .filter(|(_, f)| matches!(f.state, State::Waiting))
        .max_by_key(|(i, f)| (f.data.len(), std::cmp::Reverse(*i)))?;
    file.state = State::Taken;
    Some((file.name.clone(), file.data.clone(), index))
}

fn store<D>(queue: &mut Queue<D>, index: usize, parsed: Option<ParsedFile>) {
    if let Some(file) = queue.files.get_mut(index) {
        file.state = State::Done(parsed);
    }
}

/// Parse one file as the caller will see it. A file that is not valid UTF-8 reaches the
/// caller converted, in new memory, so a parse of it here would never be used: it is left
/// to the caller (`None`).
fn parse_pending<D: Deref<Target = [u8]>>(
    (name, data, _): &(String, D, usize),
    names: &FuncNames,
) -> Option<ParsedFile> {
    // `from_utf8` validates several times faster than the lossy conversion.
    let text = std::str::from_utf8(data).ok()?;
    Some(parse_detached(name, text, names))
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

    /// A pre-parse of `files` (name, bytes), submitted under labels that are not the names
    /// the caller will ask for (as a chart's files are, before its name is known).
    fn start(files: &[(&str, Bytes)]) -> PreParse<Bytes> {
        let mut pre = PreParse::new(funcs, 0);
        for (name, data) in files {
            pre.submit(format!("read/{name}"), Arc::clone(data));
        }
        pre.into_started().expect("tests run with two CPUs or more")
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
    fn a_parse_is_used_for_its_own_bytes_under_the_callers_name() {
        let shared = bytes("{{ .a.b }}");
        let files = [
            ("c/templates/a.yaml", bytes("ahead")),
            ("sub", Arc::clone(&shared)),
        ];
        let pre = start(&files);
        // Equal text in other memory (a chart prepared from a copy) is parsed again from the
        // caller's text; the same bytes under a new name are used, renamed, and a second
        // file on those bytes (an aliased subchart's copy) is parsed again.
        let copy = String::from("again");
        let text = std::str::from_utf8(&shared).unwrap();
        let sources = [
            ("c/templates/a.yaml", copy.as_str()),
            ("c/charts/x/templates/e.yaml", text),
            ("c/charts/y/templates/e.yaml", text),
        ];
        let mut set = TemplateSet::new(funcs());
        set.add_all_preparsed(&sources, pre).unwrap();
        assert_eq!(
            set.execute("c/templates/a.yaml", &Value::Nil).unwrap(),
            "again"
        );
        for name in ["c/charts/x/templates/e.yaml", "c/charts/y/templates/e.yaml"] {
            let err = set
                .execute(name, &Value::empty_map())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&format!("template: {name}:1:")), "{err}");
            assert!(err.contains(&format!("executing \"{name}\"")), "{err}");
        }
    }

    #[test]
    fn a_failed_parse_is_reported_under_the_callers_name() {
        let files = [("label", bytes("x\n{{ if }}"))];
        let text = std::str::from_utf8(&files[0].1).unwrap();
        let mut set = TemplateSet::new(funcs());
        let err = set
            .add_all_preparsed(&[("c/templates/bad.yaml", text)], start(&files))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("template: c/templates/bad.yaml:2:"),
            "{err}"
        );
        assert!(!err.contains("label"), "{err}");
    }

    #[test]
    fn no_helper_below_the_threshold() {
        let mut pre: PreParse<Bytes> = PreParse::new(funcs, 100);
        pre.submit("a".into(), bytes(&"x".repeat(99)));
        assert!(pre.helper.is_none());
        assert!(pre.into_started().is_none());
        let mut pre: PreParse<Bytes> = PreParse::new(funcs, 100);
        pre.submit("a".into(), bytes(&"x".repeat(60)));
        pre.submit("b".into(), bytes(&"x".repeat(40)));
        assert!(pre.into_started().is_some());
    }

    #[test]
    fn files_submitted_while_the_helper_waits_are_parsed() {
        let files: Vec<(String, Bytes)> = (0..50)
            .map(|i| (format!("c/templates/f{i}.yaml"), bytes(&format!("f{i}"))))
            .collect();
        let mut pre = PreParse::new(funcs, 0);
        for (name, data) in &files {
            pre.submit(name.clone(), Arc::clone(data));
            // Give the helper time to run dry and go to sleep now and then.
            if name.ends_with("0.yaml") {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
        let wanted: Vec<&str> = files
            .iter()
            .map(|(_, d)| std::str::from_utf8(d).unwrap())
            .collect();
        let ready = pre.into_started().unwrap().finish(&wanted);
        assert_eq!(ready.len(), files.len());
    }

    #[test]
    fn dropping_an_unfinished_pre_parse_stops_the_helper() {
        let mut pre = PreParse::new(funcs, 0);
        for i in 0..200 {
            pre.submit(
                format!("c/templates/f{i}.yaml"),
                bytes(&"{{ 1 }}\n".repeat(500)),
            );
        }
        let shared = Arc::clone(&pre.shared);
        drop(pre);
        // The helper has been joined: only this test holds the files now, and none is
        // left waiting or half-parsed.
        assert_eq!(Arc::strong_count(&shared), 1);
        let queue = lock(&shared.queue);
        assert!(queue.closed);
        assert!(queue
            .files
            .iter()
            .all(|f| matches!(f.state, State::Done(_) | State::Skipped)));
    }
}
