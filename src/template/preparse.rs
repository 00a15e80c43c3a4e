//! Parsing template files on a helper thread while the caller is still loading the chart,
//! and then while it executes them.
//!
//! A render loads the chart (reading every file, parsing values files), then prepares its
//! values (coalescing, dependency conditions, the values schema), which together take
//! several milliseconds on a large chart, and only then knows the templates it renders.
//! Parsing is the largest part of a large render and depends on none of that, so template
//! files are handed to a [`PreParse`] as soon as they are read ([`PreParse::submit`]); once
//! enough template source has arrived to be worth a thread, a helper parses what is
//! waiting (files that may define templates first, then the largest) and waits for more.
//!
//! When the caller knows its files (`PreParse::stream`, through
//! [`TemplateSet::add_all_streaming`](super::TemplateSet::add_all_streaming)), the files it
//! does not want are dropped (the templates of disabled subcharts, which Helm never parses,
//! so their errors never surface) and the helper follows the caller's order: the files that
//! may define templates, then the others in the order they execute. The caller takes each
//! parse when it needs it (`Stream::take`), parsing itself whatever nobody has started,
//! and the next files in its order rather than waiting for the one the helper is on.
//!
//! A parse is used only where it was made from the very bytes the caller asks for (the
//! same memory), under the name it asks for (`ParsedFile::renamed`); anything else,
//! including every file that failed to parse under another name, is parsed again, so the
//! result is always what parsing in order would give.
//!
//! Names given to [`PreParse::submit`] only label the work: a file is read before the chart
//! it belongs to is known by its final name.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use super::funcs::FuncMap;
use super::parser::{parse_detached, parse_shared, FuncNames, ParsedFile, StableBytes};
use super::HashMap;

/// Stack for the helper: the parser recurses once per nesting level (see main.rs); only
/// reserved.
const STACK_SIZE: usize = 64 * 1024 * 1024;

/// Source bytes that wake a sleeping helper. A helper that keeps up with loading would
/// otherwise be woken for every file (on kube-prometheus-stack, 235 wake-ups costing a
/// system call each on the loading thread and a cross-CPU wake-up each); submission's end
/// wakes it for whatever is left.
const WAKE_BYTES: usize = 64 * 1024;

/// How long a thread that has run out of work watches for more before it sleeps. On the
/// virtual machines renders run on, a CPU that went idle takes from a few hundred
/// microseconds to over a millisecond to run a woken thread again: longer than most waits
/// here last (one file's parse, the next few files read). Watching costs only the time of
/// a CPU that had nothing else to do.
const WATCH: Duration = Duration::from_millis(1);

/// Where a file's bytes lie: the key a parse is found by.
type SourceKey = (usize, usize);

fn key_of(bytes: &[u8]) -> SourceKey {
    (bytes.as_ptr() as usize, bytes.len())
}

/// Template files being parsed ahead of time (see the module documentation).
pub struct PreParse<D: StableBytes + Clone> {
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
    /// Wakes the caller when the helper has stored a parse it waits for.
    parsed: Condvar,
    /// Made by the helper as it starts (or by the caller, whichever needs them first).
    names: OnceLock<FuncNames>,
    /// Counts changes a waiting thread may be waiting for (a file submitted, a file parsed
    /// by the helper, submission ended, the helper gone), so it can watch without taking
    /// the lock.
    events: AtomicUsize,
}

impl<D> Shared<D> {
    /// Note a change to the queue (made before this call).
    fn changed_now(&self) {
        self.events.fetch_add(1, Ordering::Release);
    }

    /// Wait for a change to the queue: release `queue` and watch for one for up to
    /// [`WATCH`]; if none comes, mark this thread as sleeping (`sleeping`, which makes the
    /// next change signal `wake`) and sleep. Returns with the queue locked again, to be
    /// looked at afresh. A change made after `queue` was locked is always seen: it takes the
    /// lock, so it is counted after the count read here.
    fn wait<'a>(
        &'a self,
        queue: MutexGuard<'a, Queue<D>>,
        wake: &Condvar,
        sleeping: fn(&mut Queue<D>),
    ) -> MutexGuard<'a, Queue<D>> {
        let seen = self.events.load(Ordering::Acquire);
        drop(queue);
        let start = Instant::now();
        while self.events.load(Ordering::Acquire) == seen && start.elapsed() < WATCH {
            for _ in 0..64 {
                std::hint::spin_loop();
            }
        }
        let mut queue = lock(&self.queue);
        if self.events.load(Ordering::Acquire) != seen {
            return queue;
        }
        sleeping(&mut queue);
        match wake.wait(queue) {
            Ok(queue) => queue,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

struct Queue<D> {
    files: Vec<Pending<D>>,
    /// No more files will come; files nobody has taken by then stay unparsed.
    closed: bool,
    /// The helper sleeps until signalled (a submission only signals then, once
    /// [`WAKE_BYTES`] have come in since it fell asleep).
    helper_waiting: bool,
    /// Bytes submitted since the helper fell asleep.
    unseen: usize,
    /// The caller sleeps until the helper stores a parse.
    caller_waiting: bool,
    /// The helper has ended (its last file done, or a panic while on one).
    helper_gone: bool,
    /// Entries in the caller's rank order, once known, and how many of them at the front
    /// are known to be taken.
    ranked: Vec<usize>,
    cursor: usize,
    /// Before that, the entries by what to take first: (may define, size, earliest).
    unranked: std::collections::BinaryHeap<(bool, usize, std::cmp::Reverse<usize>)>,
}

struct Pending<D> {
    name: String,
    data: D,
    state: State,
    /// A partial by its name (`_helpers.tpl`), which most likely defines templates: such
    /// files are parsed first, since execution can start only once every definition is
    /// known. Only a guess for the order (see [`defines`] for the answer).
    partial: bool,
    /// The place in the caller's parse order (see [`PreParse::stream`]); until the caller
    /// knows its files, definitions first, then the largest file.
    rank: Option<usize>,
}

enum State {
    Waiting,
    /// A thread is parsing it.
    Taken,
    /// Parsed; `None` when the bytes are not UTF-8 (the caller parses those from the
    /// lossy conversion).
    Done(Option<ParsedFile>),
    /// Not wanted, or given up.
    Skipped,
}

impl<D: StableBytes + Clone> PreParse<D> {
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
                    unseen: 0,
                    caller_waiting: false,
                    helper_gone: false,
                    ranked: Vec::new(),
                    cursor: 0,
                    unranked: std::collections::BinaryHeap::new(),
                }),
                changed: Condvar::new(),
                parsed: Condvar::new(),
                names: OnceLock::new(),
                events: AtomicUsize::new(0),
            }),
            helper: None,
            submitted: 0,
            start_at,
            funcs,
        }
    }

    /// Hand over one template file (a label for it, its bytes) to be parsed.
    pub fn submit(&mut self, name: String, data: D) {
        let len = data.stable_bytes().len();
        self.submitted += len;
        let mut queue = lock(&self.shared.queue);
        let partial = name
            .rsplit('/')
            .next()
            .is_some_and(|base| base.starts_with('_'));
        let index = queue.files.len();
        queue
            .unranked
            .push((partial, len, std::cmp::Reverse(index)));
        queue.files.push(Pending {
            name,
            data,
            state: State::Waiting,
            partial,
            rank: None,
        });
        self.shared.changed_now();
        let mut wake = false;
        if queue.helper_waiting {
            queue.unseen += len;
            if queue.unseen >= WAKE_BYTES {
                queue.helper_waiting = false;
                wake = true;
            }
        }
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
        let theirs = Arc::clone(&self.shared);
        let funcs = self.funcs;
        self.helper = std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                let _gone = HelperGone(&theirs);
                // Made here, while the caller goes on loading (the caller's first need of
                // them waits for this).
                let names = theirs.names.get_or_init(|| FuncNames::new(&funcs()));
                let mut queue = lock(&theirs.queue);
                loop {
                    if let Some(taken) = take_next(&mut queue, None) {
                        drop(queue);
                        let parsed = parse_pending(&taken, names);
                        queue = lock(&theirs.queue);
                        store(&mut queue, taken.2, parsed);
                        theirs.changed_now();
                        if std::mem::take(&mut queue.caller_waiting) {
                            theirs.parsed.notify_one();
                        }
                    } else if queue.closed {
                        return;
                    } else {
                        queue = theirs.wait(queue, &theirs.changed, |queue| {
                            queue.helper_waiting = true;
                            queue.unseen = 0;
                        });
                    }
                }
            })
            .ok();
        if self.helper.is_none() {
            self.start_at = usize::MAX;
        }
    }

    /// End submission and turn to the caller's files, `files` (name, source) in the order
    /// the caller adds them. A file whose source is the very bytes of a submitted one (the
    /// same memory) uses that submission; a second file on the same bytes (an aliased
    /// subchart's copy) gets an entry of its own; any other file (a copy, never
    /// submitted) is parsed by the caller from its own copy. Sources that are not UTF-8 are
    /// read as `String::from_utf8_lossy` reads them. Submissions
    /// nobody wants (the templates of disabled subcharts) are never parsed from now on.
    ///
    /// From here the helper parses in the caller's order, except that every file that
    /// may define templates comes first, largest first: execution can start once those are
    /// known (see [`TemplateSet::add_all_streaming`](super::TemplateSet::add_all_streaming)).
    pub(crate) fn stream(self, files: &[(&str, &[u8])]) -> Stream<D> {
        let mut queue = lock(&self.shared.queue);
        queue.closed = true;
        let mut by_key: HashMap<SourceKey, usize> = HashMap::default();
        for (index, file) in queue.files.iter().enumerate() {
            by_key
                .entry(key_of(file.data.stable_bytes()))
                .or_insert(index);
        }
        let mut used = vec![false; queue.files.len()];
        let mut slots = Vec::with_capacity(files.len());
        for (name, source) in files {
            let slot = match by_key.get(&key_of(source)) {
                Some(&index) if !used[index] => {
                    used[index] = true;
                    let file = &mut queue.files[index];
                    if matches!(file.state, State::Waiting) {
                        // Not started: parse it under the caller's name.
                        file.name = (*name).to_string();
                    }
                    Slot::Queued {
                        index,
                        name: (*name).to_string(),
                        defines: defines(file),
                    }
                }
                Some(&index) => {
                    let original = &queue.files[index];
                    let (data, partial, defines) =
                        (original.data.clone(), original.partial, defines(original));
                    queue.files.push(Pending {
                        name: (*name).to_string(),
                        data,
                        state: State::Waiting,
                        partial,
                        rank: None,
                    });
                    used.push(true);
                    Slot::Queued {
                        index: queue.files.len() - 1,
                        name: (*name).to_string(),
                        defines,
                    }
                }
                None => Slot::Own {
                    name: (*name).to_string(),
                    source: String::from_utf8_lossy(source).into(),
                    defines: may_define(source),
                },
            };
            slots.push(slot);
        }
        for (file, used) in queue.files.iter_mut().zip(&used) {
            if !used && matches!(file.state, State::Waiting) {
                file.state = State::Skipped;
            }
        }
        // Definitions first, largest first; then the caller's order.
        let mut ranked: Vec<usize> = (0..slots.len()).collect();
        ranked.sort_by_key(|&i| {
            (
                !slots[i].defines(),
                std::cmp::Reverse(if slots[i].defines() {
                    files[i].1.len()
                } else {
                    0
                }),
                i,
            )
        });
        for (rank, &i) in ranked.iter().enumerate() {
            if let Slot::Queued { index, .. } = slots[i] {
                queue.files[index].rank = Some(rank);
                queue.ranked.push(index);
            }
        }
        drop(queue);
        self.shared.changed_now();
        self.shared.changed.notify_all();
        Stream { pre: self, slots }
    }
}

/// The caller's side of a [`PreParse`] once it knows its files ([`PreParse::stream`]):
/// each file's parse, taken once, in any order.
pub(crate) struct Stream<D: StableBytes + Clone> {
    pre: PreParse<D>,
    /// One per file of the caller, in its order.
    slots: Vec<Slot>,
}

enum Slot {
    /// Parsed through the queue (entry `index`) under the caller's `name`.
    Queued {
        index: usize,
        name: String,
        defines: bool,
    },
    /// Parsed here from the caller's copy.
    Own {
        name: String,
        source: Box<str>,
        defines: bool,
    },
    /// Already handed out.
    Used,
}

impl Slot {
    fn defines(&self) -> bool {
        match self {
            Slot::Queued { defines, .. } | Slot::Own { defines, .. } => *defines,
            Slot::Used => false,
        }
    }
}

impl<D: StableBytes + Clone> Stream<D> {
    /// Whether file `i` may define templates besides itself: its parse says so, or (not
    /// parsed yet) its source contains `define` or `block`.
    pub(crate) fn defines(&self, i: usize) -> bool {
        self.slots.get(i).is_some_and(Slot::defines)
    }

    /// The parses of files `wanted` (indices into the caller's files, each taken once), in
    /// that order. Wanted files nobody has started are parsed here, lowest rank first, while
    /// the helper works on others; while the helper is on the last of them, this parses the
    /// next files in the caller's order instead of waiting.
    pub(crate) fn take(&mut self, wanted: &[usize]) -> Vec<ParsedFile> {
        let names = self.pre.names();
        let mut out: Vec<Option<ParsedFile>> = wanted.iter().map(|_| None).collect();
        // Queue entries wanted: entry, place in `out`, the caller's name.
        let mut entries: Vec<(usize, usize, String)> = Vec::new();
        for (k, &i) in wanted.iter().enumerate() {
            match self
                .slots
                .get_mut(i)
                .map(|s| std::mem::replace(s, Slot::Used))
            {
                Some(Slot::Queued { index, name, .. }) => entries.push((index, k, name)),
                Some(Slot::Own { name, source, .. }) => {
                    out[k] = Some(parse_detached(&name, &source, names));
                }
                // Taken before: the caller holds it already.
                Some(Slot::Used) | None => debug_assert!(false, "file {i} taken twice"),
            }
        }
        let shared = &self.pre.shared;
        let mut queue = lock(&shared.queue);
        let among: Vec<usize> = entries.iter().map(|(index, _, _)| *index).collect();
        // Finished parses: entry, parse, whether it was made under the caller's name, bytes.
        let mut done = Vec::with_capacity(entries.len());
        let mut left = entries.len();
        loop {
            for (entry, (index, _, name)) in entries.iter().enumerate() {
                let Some(file) = queue.files.get_mut(*index) else {
                    continue;
                };
                if !matches!(file.state, State::Done(_)) {
                    continue;
                }
                if let State::Done(parsed) = std::mem::replace(&mut file.state, State::Skipped) {
                    done.push((entry, parsed, file.name == *name, file.data.clone()));
                    left -= 1;
                }
            }
            if left == 0 {
                break;
            }
            // A wanted file nobody has started, else (the helper is on the wanted ones) the
            // next file in the caller's order rather than sitting idle: it is needed soon.
            let next = take_next(&mut queue, Some(&among)).or_else(|| {
                (!queue.helper_gone)
                    .then(|| take_next(&mut queue, None))
                    .flatten()
            });
            if let Some(taken) = next {
                drop(queue);
                let parsed = parse_pending(&taken, names);
                queue = lock(&shared.queue);
                store(&mut queue, taken.2, parsed);
            } else if queue.helper_gone {
                // The helper stopped inside a file (it panicked): parse that here.
                for (index, _, _) in &entries {
                    if let Some(file) = queue.files.get_mut(*index) {
                        if matches!(file.state, State::Taken) {
                            file.state = State::Waiting;
                        }
                    }
                }
            } else {
                // The helper is on the files wanted: most likely done soon.
                queue = shared.wait(queue, &shared.parsed, |queue| queue.caller_waiting = true);
            }
        }
        drop(queue);
        for (entry, parsed, same_name, data) in done {
            let (_, k, name) = &entries[entry];
            let again = || {
                let text = String::from_utf8_lossy(data.stable_bytes());
                parse_detached(name, &text, names)
            };
            out[*k] = Some(match parsed {
                Some(parsed) if same_name => parsed,
                // Made under a label: renamed, or (a failure, whose messages name the file)
                // parsed again under the caller's name.
                Some(parsed) => parsed.renamed(name).unwrap_or_else(again),
                // Not UTF-8: parsed as `String::from_utf8_lossy` reads it.
                None => again(),
            });
        }
        out.into_iter()
            .map(|p| p.unwrap_or(ParsedFile(Ok(Vec::new()))))
            .collect()
    }
}

impl<D: StableBytes + Clone> Drop for PreParse<D> {
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
            self.shared.changed_now();
            self.shared.changed.notify_all();
            let _ = helper.join();
        }
    }
}

/// Marks the helper's end, however it ends (a panic included), and wakes a caller waiting
/// for a file the helper was on.
struct HelperGone<'a, D>(&'a Shared<D>);

impl<D> Drop for HelperGone<'_, D> {
    fn drop(&mut self) {
        let mut queue = lock(&self.0.queue);
        queue.helper_gone = true;
        drop(queue);
        self.0.changed_now();
        self.0.parsed.notify_all();
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

/// Take the next waiting file (among the entries `among`, if given): the lowest rank, else
/// (before the caller has ranked them) a file that may define templates, the largest
/// first. Returns its name, its bytes and its index.
fn take_next<D: StableBytes + Clone>(
    queue: &mut Queue<D>,
    among: Option<&[usize]>,
) -> Option<(String, D, usize)> {
    let index = match among {
        Some(among) => among
            .iter()
            .copied()
            .filter(|&i| queue.files.get(i).is_some_and(Pending::waiting))
            .min_by_key(|&i| pick_key(&queue.files[i], i))?,
        None if !queue.ranked.is_empty() => {
            // Ranks never change: everything before the cursor is taken already.
            while queue
                .ranked
                .get(queue.cursor)
                .is_some_and(|&i| !queue.files[i].waiting())
            {
                queue.cursor += 1;
            }
            *queue.ranked.get(queue.cursor)?
        }
        None => loop {
            let (_, _, std::cmp::Reverse(i)) = queue.unranked.pop()?;
            if queue.files.get(i).is_some_and(Pending::waiting) {
                break i;
            }
        },
    };
    let file = &mut queue.files[index];
    file.state = State::Taken;
    Some((file.name.clone(), file.data.clone(), index))
}

/// The order files are taken in: by rank, else definitions first and the largest first.
fn pick_key<D: StableBytes>(
    file: &Pending<D>,
    index: usize,
) -> (usize, bool, std::cmp::Reverse<usize>, usize) {
    (
        file.rank.unwrap_or(usize::MAX),
        !file.partial,
        std::cmp::Reverse(file.data.stable_bytes().len()),
        index,
    )
}

impl<D> Pending<D> {
    fn waiting(&self) -> bool {
        matches!(self.state, State::Waiting)
    }
}

/// Whether a file may define templates besides itself: what its parse says when it has
/// one (a failed parse counts as defining: the caller then adds everything in order), else
/// what its source says.
fn defines<D: StableBytes>(file: &Pending<D>) -> bool {
    match &file.state {
        State::Done(Some(ParsedFile(Ok(trees)))) => trees.len() > 1,
        State::Done(_) => true,
        State::Waiting | State::Taken | State::Skipped => may_define(file.data.stable_bytes()),
    }
}

/// Whether a template source may define templates: `define` and `block` are the only
/// actions that do, and a source without either word defines nothing but itself.
fn may_define(source: &[u8]) -> bool {
    memchr::memmem::find(source, b"define").is_some()
        || memchr::memmem::find(source, b"block").is_some()
}

fn store<D>(queue: &mut Queue<D>, index: usize, parsed: Option<ParsedFile>) {
    if let Some(file) = queue.files.get_mut(index) {
        file.state = State::Done(parsed);
    }
}

/// Parse one file, its trees referring to the file's own bytes; `None` when they are not
/// UTF-8 (left to the caller, which parses the lossy conversion).
fn parse_pending<D: StableBytes + Clone>(
    (name, data, _): &(String, D, usize),
    names: &FuncNames,
) -> Option<ParsedFile> {
    parse_shared(name, Arc::new(data.clone()), names)
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

    /// Helm's functions (`include`, `fail`, …) and one of the tests' own.
    fn funcs() -> FuncMap {
        let mut funcs = crate::render::helm_funcs();
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

    /// The caller's files: the files of `files` named in `order`, in that order, with the
    /// very bytes the pre-parse was given.
    fn in_order<'a>(files: &'a [(&str, Bytes)], order: &[&'a str]) -> Vec<(&'a str, &'a str)> {
        order
            .iter()
            .map(|name| {
                let (_, data) = files.iter().find(|(n, _)| n == name).unwrap();
                (*name, std::str::from_utf8(data).unwrap())
            })
            .collect()
    }

    /// Every file of `files` added with the ahead-of-time parse and without it; both sets
    /// must give the same outcome for each name in `check`.
    fn both_ways(files: &[(&str, Bytes)], wanted: &[&str], check: &[&str]) -> [String; 2] {
        let sources = in_order(files, wanted);
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
        // Each file is as large as what wakes a sleeping helper.
        let files: Vec<(String, Bytes)> = (0..50)
            .map(|i| {
                let text = format!("f{i}\n").repeat(WAKE_BYTES / 3);
                (format!("c/templates/f{i}.yaml"), bytes(&text))
            })
            .collect();
        let mut pre = PreParse::new(funcs, 0);
        for (name, data) in &files {
            pre.submit(name.clone(), Arc::clone(data));
            // Give the helper time to run dry and go to sleep now and then.
            if name.ends_with("0.yaml") {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
        // The helper alone gets through all of them.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !lock(&pre.shared.queue)
            .files
            .iter()
            .all(|f| matches!(f.state, State::Done(Some(_))))
        {
            assert!(std::time::Instant::now() < deadline, "files left unparsed");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let wanted: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (n.as_str(), &**d)).collect();
        let all: Vec<usize> = (0..files.len()).collect();
        let parsed = pre.into_started().unwrap().stream(&wanted).take(&all);
        for ((name, text), file) in wanted.iter().zip(parsed) {
            let trees = file.0.unwrap();
            assert_eq!(&*trees[0].name, *name);
            assert_eq!(&*trees[0].parse_name, *name);
            assert_eq!(trees[0].src.as_bytes(), *text);
        }
    }

    #[test]
    fn small_files_wait_for_a_batch_or_the_end_of_submission() {
        let mut pre = PreParse::new(funcs, 0);
        let first = bytes("{{ 1 }}");
        pre.submit("c/templates/first.yaml".to_string(), Arc::clone(&first));
        // The helper parses the first file and falls asleep.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !lock(&pre.shared.queue).helper_waiting {
            assert!(
                std::time::Instant::now() < deadline,
                "the helper never slept"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // Files well under WAKE_BYTES in all do not wake it.
        let small: Vec<(String, Bytes)> = (0..20)
            .map(|i| {
                (
                    format!("c/templates/s{i}.yaml"),
                    bytes(&format!("{{{{ {i} }}}}")),
                )
            })
            .collect();
        for (name, data) in &small {
            pre.submit(name.clone(), Arc::clone(data));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        {
            let queue = lock(&pre.shared.queue);
            assert!(queue.helper_waiting);
            assert!(queue.files[1..]
                .iter()
                .all(|f| matches!(f.state, State::Waiting)));
        }
        // Ending submission hands them over; every one comes back parsed.
        let mut wanted: Vec<(&str, &[u8])> = vec![("c/templates/first.yaml", &*first)];
        wanted.extend(small.iter().map(|(n, d)| (n.as_str(), &**d)));
        let all: Vec<usize> = (0..wanted.len()).collect();
        let parsed = pre.into_started().unwrap().stream(&wanted).take(&all);
        for ((name, text), file) in wanted.iter().zip(parsed) {
            let trees = file.0.unwrap();
            assert_eq!(&*trees[0].name, *name);
            assert_eq!(trees[0].src.as_bytes(), *text);
        }
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

    /// A render's outcome (every file of `run` executed in turn, stopping at the first
    /// failure), with the files added by `add_all_streaming` and with `add_all` (which
    /// parses everything before anything runs).
    fn render_both_ways(files: &[(&str, Bytes)], order: &[&str], run: &[&str]) -> [String; 2] {
        let sources = in_order(files, order);
        let bytes: Vec<(&str, &[u8])> = sources.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
        let render = |set: &TemplateSet| -> Result<String, String> {
            let mut out = Vec::new();
            for name in run {
                out.push(
                    set.execute(name, &Value::empty_map())
                        .map_err(|e| e.to_string())?,
                );
            }
            set.complete().map_err(|e| e.to_string())?;
            Ok(out.join("|"))
        };
        let outcome = |r: Result<String, String>| match r {
            Ok(out) => out,
            Err(e) => format!("error: {e}"),
        };
        let mut streamed = TemplateSet::new(funcs());
        let streamed = match streamed.add_all_streaming(&bytes, start(files)) {
            Ok(()) => render(&streamed),
            Err(e) => Err(e.to_string()),
        };
        let mut plain = TemplateSet::new(funcs());
        let plain = match plain.add_all(&sources) {
            Ok(()) => render(&plain),
            Err(e) => Err(e.to_string()),
        };
        [outcome(streamed), outcome(plain)]
    }

    #[test]
    fn execution_starts_before_files_that_define_nothing_are_parsed() {
        let files = [
            ("c/templates/_h.tpl", bytes(r#"{{define "x"}}X{{end}}"#)),
            ("c/templates/a.yaml", bytes(r#"a: {{template "x"}}"#)),
            ("c/templates/b.yaml", bytes(r#"b: {{include "x" .}}"#)),
        ];
        let order = [
            "c/templates/b.yaml",
            "c/templates/a.yaml",
            "c/templates/_h.tpl",
        ];
        let mut set = TemplateSet::new(funcs());
        let sources: Vec<(&str, &[u8])> = in_order(&files, &order)
            .into_iter()
            .map(|(n, t)| (n, t.as_bytes()))
            .collect();
        set.add_all_streaming(&sources, start(&files)).unwrap();
        // Only the defining file is in; the others join as they are executed.
        assert_eq!(set.added(), (2, true));
        assert_eq!(
            set.execute("c/templates/a.yaml", &Value::Nil).unwrap(),
            "a: X"
        );
        assert_eq!(set.added(), (3, true));
        set.complete().unwrap();
        assert_eq!(set.added(), (4, false));
        let [streamed, plain] = render_both_ways(&files, &order, &order[..2]);
        assert_eq!(streamed, "b: X|a: X");
        assert_eq!(streamed, plain);
    }

    #[test]
    fn a_later_parse_error_wins_over_an_execution_error() {
        // Helm parses everything before executing: b.yaml's failure is never seen.
        let files = [
            ("c/templates/a.yaml", bytes(r#"{{ fail "boom" }}"#)),
            ("c/templates/b.yaml", bytes("{{ if }}")),
        ];
        let order = ["c/templates/a.yaml", "c/templates/b.yaml"];
        let [streamed, plain] = render_both_ways(&files, &order, &order[..1]);
        assert!(
            streamed.starts_with("error: template: c/templates/b.yaml:1:"),
            "{streamed}"
        );
        assert_eq!(streamed, plain);
    }

    #[test]
    fn a_partial_that_fails_to_parse_fails_a_render_that_executed() {
        let files = [
            ("c/templates/a.yaml", bytes("a")),
            ("c/templates/_x.tpl", bytes("{{ end }}")),
        ];
        let order = ["c/templates/a.yaml", "c/templates/_x.tpl"];
        let [streamed, plain] = render_both_ways(&files, &order, &order[..1]);
        assert!(
            streamed.starts_with("error: template: c/templates/_x.tpl:1:"),
            "{streamed}"
        );
        assert_eq!(streamed, plain);
    }

    #[test]
    fn the_first_parse_error_in_order_wins_whichever_file_fails_first() {
        let files = [
            ("c/templates/a.yaml", bytes("{{ nosuchfunc }}")),
            ("c/templates/b.yaml", bytes("b")),
            ("c/templates/c.yaml", bytes("{{ end }}")),
        ];
        // c.yaml runs first and fails to parse; a.yaml, earlier in the order, fails too.
        let order = [
            "c/templates/a.yaml",
            "c/templates/b.yaml",
            "c/templates/c.yaml",
        ];
        let run = [
            "c/templates/c.yaml",
            "c/templates/b.yaml",
            "c/templates/a.yaml",
        ];
        let [streamed, plain] = render_both_ways(&files, &order, &run);
        assert!(
            streamed.starts_with("error: template: c/templates/a.yaml:1:"),
            "{streamed}"
        );
        assert_eq!(streamed, plain);
    }

    #[test]
    fn a_template_named_like_a_file_not_parsed_yet_is_found() {
        let files = [
            (
                "c/templates/a.yaml",
                bytes(r#"a: {{ include "c/templates/b.yaml" . }}"#),
            ),
            ("c/templates/b.yaml", bytes("B")),
        ];
        let order = ["c/templates/a.yaml", "c/templates/b.yaml"];
        let [streamed, plain] = render_both_ways(&files, &order, &order[..1]);
        assert_eq!(streamed, "a: B");
        assert_eq!(streamed, plain);
        // A name no file has still fails, after every file is in.
        let files = [
            ("c/templates/a.yaml", bytes(r#"{{ template "nope" }}"#)),
            ("c/templates/b.yaml", bytes("B")),
        ];
        let [streamed, plain] = render_both_ways(&files, &order, &order);
        assert!(
            streamed.contains(r#"template "nope" not defined"#),
            "{streamed}"
        );
        assert_eq!(streamed, plain);
    }

    #[test]
    fn a_definition_named_like_a_file_keeps_the_order() {
        // The later file's definition replaces the earlier file's own template (Helm's
        // order), which joining files as they run would get wrong: all join in order.
        let files = [
            ("c/templates/x.yaml", bytes("from the file")),
            (
                "c/templates/_h.tpl",
                bytes(r#"{{define "c/templates/x.yaml"}}from the definition{{end}}"#),
            ),
        ];
        let order = ["c/templates/x.yaml", "c/templates/_h.tpl"];
        let [streamed, plain] = render_both_ways(&files, &order, &order[..1]);
        assert_eq!(streamed, "from the definition");
        assert_eq!(streamed, plain);
        let order = ["c/templates/_h.tpl", "c/templates/x.yaml"];
        let [streamed, plain] = render_both_ways(&files, &order, &order[1..]);
        assert_eq!(streamed, "from the file");
        assert_eq!(streamed, plain);
    }

    #[test]
    fn a_definition_that_fails_to_parse_is_reported_in_order() {
        let files = [
            ("c/templates/a.yaml", bytes("{{ end }}")),
            (
                "c/templates/_h.tpl",
                bytes(r#"{{define "x"}}{{ if }}{{end}}"#),
            ),
        ];
        let order = ["c/templates/a.yaml", "c/templates/_h.tpl"];
        let [streamed, plain] = render_both_ways(&files, &order, &order[..1]);
        assert!(
            streamed.starts_with("error: template: c/templates/a.yaml:1:"),
            "{streamed}"
        );
        assert_eq!(streamed, plain);
    }

    #[test]
    fn many_files_stream_like_they_parse_in_order() {
        // Enough files that the helper and the caller take turns.
        let mut files = vec![(
            "c/templates/_h.tpl".to_string(),
            bytes(r#"{{define "h"}}{{ .n }}{{end}}"#),
        )];
        for i in 0..200 {
            files.push((
                format!("c/templates/f{i:03}.yaml"),
                bytes(&format!(
                    "{{{{ $n := {i} }}}}{}",
                    "{{ include \"h\" (dict \"n\" $n) }}\n".repeat(20)
                )),
            ));
        }
        let files: Vec<(&str, Bytes)> = files
            .iter()
            .map(|(n, d)| (n.as_str(), Arc::clone(d)))
            .collect();
        let order: Vec<&str> = files.iter().rev().map(|(n, _)| *n).collect();
        let run: Vec<&str> = order
            .iter()
            .copied()
            .filter(|n| !n.contains("/_"))
            .collect();
        let [streamed, plain] = render_both_ways(&files, &order, &run);
        assert!(streamed.starts_with(&"199\n".repeat(20)), "{streamed}");
        assert_eq!(streamed, plain);
    }

    #[test]
    fn a_source_that_is_not_utf8_reads_as_the_lossy_conversion() {
        let files = [
            ("c/templates/a.yaml", Bytes::from(&b"a: \xff{{ 1 }}"[..])),
            ("c/templates/b.yaml", bytes("b")),
        ];
        let sources: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (*n, &**d)).collect();
        let mut set = TemplateSet::new(funcs());
        set.add_all_streaming(&sources, start(&files)).unwrap();
        assert_eq!(
            set.execute("c/templates/a.yaml", &Value::Nil).unwrap(),
            "a: \u{fffd}1"
        );
        // Not in the pre-parse at all (a copy): parsed from the caller's bytes.
        let copy = b"c: \xfe".to_vec();
        let sources = [("c/templates/c.yaml", copy.as_slice())];
        let mut set = TemplateSet::new(funcs());
        set.add_all_streaming(&sources, start(&files)).unwrap();
        assert_eq!(
            set.execute("c/templates/c.yaml", &Value::Nil).unwrap(),
            "c: \u{fffd}"
        );
        set.complete().unwrap();
    }
}
