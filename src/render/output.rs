//! From rendered template files to what `helm template` prints.
//!
//! Helm splits every rendered file into YAML documents, reads each document's head
//! (`apiVersion`, `kind`, `metadata.name`, `metadata.annotations`), moves documents with a
//! `helm.sh/hook` annotation to the hooks, and sorts both lists by kind in Helm 4's install
//! order (webhook configurations right after workloads), stable within a kind so file path
//! order and order within a file are kept.

use std::collections::BTreeMap;

use super::RenderError;
use crate::template::Value;

/// Helm 4's `releaseutil.InstallOrder`.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Hook events Helm knows; a document naming any other event is dropped entirely.
const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// One rendered YAML document and where it came from.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Template path, as in `# Source:` (`chart/templates/x.yaml`).
    pub source: String,
    /// Document text (leading whitespace trimmed, as Helm does).
    pub content: String,
    /// 1-based line in the rendered file where the document starts.
    pub start_line: usize,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// Hook events (`helm.sh/hook`), lower-cased; empty for ordinary manifests.
    pub hook_events: Vec<String>,
    /// The parsed document, built on first use by [`Manifest::object`]: sorting only needs
    /// the head, and keeping every object of a large render would double its peak memory.
    object: std::cell::OnceCell<Value>,
}

impl Manifest {
    /// A manifest whose object is parsed from `content` when first asked for; `head` is
    /// (apiVersion, kind, metadata.name).
    pub fn new(
        source: String,
        content: String,
        start_line: usize,
        head: (String, String, String),
        hook_events: Vec<String>,
    ) -> Manifest {
        let (api_version, kind, name) = head;
        Manifest {
            source,
            content,
            start_line,
            api_version,
            kind,
            name,
            hook_events,
            object: std::cell::OnceCell::new(),
        }
    }

    /// The parsed document (Nil for comment-only documents). Sorting already parsed it
    /// once successfully, so parsing it again cannot fail.
    pub fn object(&self) -> &Value {
        self.object.get_or_init(|| {
            crate::yaml::load_str(&self.content, &self.source).unwrap_or(Value::Nil)
        })
    }

    pub fn is_test_hook(&self) -> bool {
        self.hook_events
            .iter()
            .any(|e| e == "test" || e == "test-success")
    }
}

/// Manifests and hooks in the order Helm installs (and prints) them.
#[derive(Debug, Clone, Default)]
pub struct SortedManifests {
    pub manifests: Vec<Manifest>,
    pub hooks: Vec<Manifest>,
}

/// Go's `\s` (ASCII whitespace).
fn is_go_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

/// The matches (start, end) of Helm 4.1's document separator `(?:^|\s*\n)---\s*` in
/// `text`, left to right, without compiling a regular expression: a match starts where a
/// run of whitespace ending in `\n` precedes `---` (or at `---` at the very start), and
/// takes the whitespace after `---` too.
fn separators(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let skip_space = |mut i: usize| {
        while i < b.len() && is_go_space(b[i]) {
            i += 1;
        }
        i
    };
    let mut out = Vec::new();
    let mut last = 0;
    if b.starts_with(b"---") {
        last = skip_space(3);
        out.push((0, last));
    }
    let finder = memchr::memmem::Finder::new("\n---");
    let mut from = last;
    while let Some(x) = b.get(from..).and_then(|rest| finder.find(rest)) {
        let nl = from + x;
        let mut start = nl;
        while start > last && is_go_space(b[start - 1]) {
            start -= 1;
        }
        last = skip_space(nl + 4);
        out.push((start, last));
        from = last;
    }
    out
}

/// Helm's `SplitManifests`: the text is trimmed, split at the separator, empty pieces are
/// dropped and each piece is trimmed. Returns (1-based start line in `text`, document).
pub fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let trimmed = text.trim();
    let base = text.len() - text.trim_start().len();
    let mut pieces = Vec::new();
    let mut last = 0;
    for (start, end) in separators(trimmed) {
        pieces.push((last, start));
        last = end;
    }
    pieces.push((last, trimmed.len()));
    let mut docs = Vec::new();
    for (from, to) in pieces {
        let piece = &trimmed[from..to];
        if piece.is_empty() {
            continue;
        }
        let offset = base + from + (piece.len() - piece.trim_start().len());
        let line = 1 + text[..offset].matches('\n').count();
        docs.push((line, piece.trim()));
    }
    docs
}

fn kind_rank(kind: &str) -> Option<usize> {
    INSTALL_ORDER.iter().position(|k| *k == kind)
}

/// Helm's `lessByKind`: known kinds in install order, unknown kinds after them sorted by
/// name; the sort is stable.
pub fn sort_by_kind(items: &mut [Manifest]) {
    items.sort_by(|a, b| match (kind_rank(&a.kind), kind_rank(&b.kind)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.kind.cmp(&b.kind),
    });
}

fn string_at(v: &Value, path: &[&str]) -> String {
    match v.get_path(path) {
        Some(Value::String(s)) => s.to_string(),
        _ => String::new(),
    }
}

/// The JSON kind of a value, as Go's `json.UnmarshalTypeError` names it.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Nil => "null",
        Value::Bool(_) => "bool",
        Value::Int(_, _) | Value::Float(_) => "number",
        Value::String(_) => "string",
        Value::List(_) | Value::Bytes(_) => "array",
        Value::Map(_) | Value::Object(_) => "object",
    }
}

/// Helm decodes every document into `SimpleHead` (`apiVersion`, `kind`, `metadata`); a
/// document that is not a mapping, or whose `apiVersion`/`kind` is a list or a mapping,
/// fails there. (Scalars are fine: sigs.k8s.io/yaml turns them into the string fields.)
fn check_head_types(source: &str, object: &Value) -> Result<(), RenderError> {
    let type_error = |detail: String| RenderError::Yaml {
        template: source.to_string(),
        message: format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {detail}"
        ),
    };
    match object {
        Value::Nil | Value::Map(_) => {}
        other => {
            return Err(type_error(format!(
                "{} into Go value of type util.SimpleHead",
                json_kind(other)
            )))
        }
    }
    for field in ["apiVersion", "kind"] {
        if let Some(v @ (Value::List(_) | Value::Map(_))) = object.get(field) {
            return Err(type_error(format!(
                "{} into Go struct field SimpleHead.{field} of type string",
                json_kind(&v)
            )));
        }
    }
    Ok(())
}

/// A document and what sorting needs of it: plain strings, so it can be made on another
/// thread (see [`BackgroundSorter`]) and become a [`Manifest`] on the rendering one.
#[derive(Debug)]
struct Head {
    source: String,
    content: String,
    start_line: usize,
    head: (String, String, String),
    hook_events: Vec<String>,
}

impl Head {
    fn into_manifest(self) -> Manifest {
        Manifest::new(
            self.source,
            self.content,
            self.start_line,
            self.head,
            self.hook_events,
        )
    }
}

/// (apiVersion, kind, metadata.name) of a document, and its `helm.sh/hook` annotation when
/// that is a string.
type HeadFields = ((String, String, String), Option<String>);

/// The events of a `helm.sh/hook` annotation; `["<unknown>"]` when one of them is not an
/// event Helm knows.
fn hook_events(hooks: Option<&str>) -> Vec<String> {
    let mut hook_events = Vec::new();
    for event in hooks.into_iter().flat_map(|h| h.split(',')) {
        let event = event.trim().to_ascii_lowercase();
        if HOOK_EVENTS.contains(&event.as_str()) {
            hook_events.push(event);
        } else {
            // Helm skips documents with an unknown hook event ("skipping unknown hooks").
            return vec!["<unknown>".to_string()];
        }
    }
    hook_events
}

/// (apiVersion, kind, metadata.name) and the hook annotation of a valid document, read by
/// skimming it without building its object; `None` when the skim cannot tell (the document
/// needs the general parser) or the document is one `SimpleHead` decoding rejects, whose
/// error the full path reports.
fn skimmed_head(doc: &str) -> Option<HeadFields> {
    use crate::yaml::{HeadField, Top};
    let head = crate::yaml::skim_first(doc)?;
    if head.top == Top::Other {
        return None;
    }
    let text = |field: HeadField| match field {
        HeadField::Text(s) => Some(Some(s)),
        HeadField::Missing => Some(None),
        // A list or a map where `SimpleHead` wants a string is an error.
        HeadField::List | HeadField::Map => None,
    };
    let api_version = text(head.api_version)?.unwrap_or_default();
    let kind = text(head.kind)?.unwrap_or_default();
    let name = match head.name {
        HeadField::Text(s) => s,
        _ => String::new(),
    };
    let hook = match head.hook {
        HeadField::Text(s) => Some(s),
        _ => None,
    };
    Some(((api_version, kind, name), hook))
}

/// Parse a document head the way Helm's `SimpleHead` unmarshalling sees it (Helm parses the
/// whole document, so a YAML error anywhere in it fails the render). The common case is
/// skimmed (validated without building the object, see [`crate::yaml::skim_first`]); the
/// rest is parsed in full, which also gives Helm's error messages.
fn parse_head(source: &str, start_line: usize, doc: &str) -> Result<Head, RenderError> {
    let (head, hook) = match skimmed_head(doc) {
        Some(skimmed) => skimmed,
        None => full_head(source, doc)?,
    };
    Ok(Head {
        source: source.to_string(),
        content: doc.to_string(),
        start_line,
        head,
        hook_events: hook_events(hook.as_deref()),
    })
}

/// The head from the fully parsed document.
fn full_head(source: &str, doc: &str) -> Result<HeadFields, RenderError> {
    let object = crate::yaml::load_str(doc, source).map_err(|e| RenderError::Yaml {
        template: source.to_string(),
        message: e.helm_message(),
    })?;
    check_head_types(source, &object)?;
    let hook = match object.get_path(&["metadata", "annotations", "helm.sh/hook"]) {
        Some(Value::String(hooks)) => Some(hooks.to_string()),
        _ => None,
    };
    let head = (
        string_at(&object, &["apiVersion"]),
        string_at(&object, &["kind"]),
        string_at(&object, &["metadata", "name"]),
    );
    Ok((head, hook))
}

/// The documents of one rendered file (none for partials and blank output).
fn file_heads(path: &str, content: &str) -> Result<Vec<Head>, RenderError> {
    let base = path.rsplit('/').next().unwrap_or(path);
    if base.starts_with('_') || content.trim().is_empty() {
        return Ok(Vec::new());
    }
    split_documents(content)
        .into_iter()
        .map(|(line, doc)| parse_head(path, line, doc))
        .collect()
}

/// Helm's order from the files' documents, taken in path order; the first failing file
/// (in path order) is the error, as Helm reports it.
fn sort_heads(
    files: impl Iterator<Item = Result<Vec<Head>, RenderError>>,
) -> Result<SortedManifests, RenderError> {
    let mut sorted = SortedManifests::default();
    for heads in files {
        for head in heads? {
            let manifest = head.into_manifest();
            if manifest.hook_events.is_empty() {
                sorted.manifests.push(manifest);
            } else if manifest.hook_events.iter().all(|e| e != "<unknown>") {
                sorted.hooks.push(manifest);
            }
        }
    }
    sort_by_kind(&mut sorted.manifests);
    sort_by_kind(&mut sorted.hooks);
    Ok(sorted)
}

/// Helm's `SortManifests` over rendered files (path → text).
pub fn sort_manifests(files: &BTreeMap<String, String>) -> Result<SortedManifests, RenderError> {
    sort_heads(
        files
            .iter()
            .map(|(path, content)| file_heads(path, content)),
    )
}

/// [`sort_manifests`] done on a second thread while templates are still rendering: each
/// file is handed over soon after it is rendered ([`BackgroundSorter::add`]), so reading
/// the documents (a full YAML parse each, as Helm does) overlaps with execution; once
/// rendering is done, the rendering thread takes its share of what is left
/// ([`BackgroundSorter::finish`]). The rendered text moves to the sorter and comes back
/// with the result (no copy).
///
/// Files go over in batches of about [`BATCH_BYTES`]: a sorter that has caught up sleeps,
/// and waking it for every small file cost a system call and a cross-CPU wake-up each (on
/// a chart of 250 files, about as long as the sorter's own work).
pub struct BackgroundSorter {
    sender: std::sync::mpsc::Sender<Batch>,
    queue: SorterQueue,
    worker: std::thread::JoinHandle<SorterOutput>,
    /// Files not yet handed over, and their size in bytes.
    pending: std::cell::RefCell<(Batch, usize)>,
}

type Batch = Vec<(String, String)>;
type SorterQueue = std::sync::Arc<std::sync::Mutex<std::sync::mpsc::Receiver<Batch>>>;
type SorterOutput = BTreeMap<String, (String, Result<Vec<Head>, RenderError>)>;

/// The YAML loader recurses per nesting level; reserved, not used.
const SORTER_STACK_SIZE: usize = 64 * 1024 * 1024;

/// Rendered bytes collected before a batch goes to the sorter.
const BATCH_BYTES: usize = 32 * 1024;

/// Take batches from `queue` until it is closed and empty, reading their documents.
fn drain(queue: &SorterQueue, done: &mut SorterOutput) {
    loop {
        // The lock is held only while waiting for the next batch, not while reading it.
        let next = match queue.lock() {
            Ok(receiver) => receiver.recv().ok(),
            Err(_) => None,
        };
        let Some(batch) = next else {
            return;
        };
        for (path, content) in batch {
            let heads = file_heads(&path, &content);
            done.insert(path, (content, heads));
        }
    }
}

impl BackgroundSorter {
    /// Start the worker; `None` if no thread can be started (sort afterwards instead).
    pub fn start() -> Option<BackgroundSorter> {
        let (sender, receiver) = std::sync::mpsc::channel::<Batch>();
        let queue: SorterQueue = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        let worker_queue = std::sync::Arc::clone(&queue);
        let worker = std::thread::Builder::new()
            .stack_size(SORTER_STACK_SIZE)
            .spawn(move || {
                let mut done = BTreeMap::new();
                drain(&worker_queue, &mut done);
                done
            })
            .ok()?;
        Some(BackgroundSorter {
            sender,
            queue,
            worker,
            pending: std::cell::RefCell::new((Vec::new(), 0)),
        })
    }

    /// Hand over one rendered file (path → text); it goes to the sorter with the next batch.
    pub fn add(&self, path: String, content: String) {
        let mut pending = self.pending.borrow_mut();
        pending.1 += content.len();
        pending.0.push((path, content));
        if pending.1 >= BATCH_BYTES {
            let batch = std::mem::take(&mut pending.0);
            pending.1 = 0;
            // The queue only closes when the sender is dropped (a dead worker is reported
            // by `finish`).
            let _ = self.sender.send(batch);
        }
    }

    /// Help the worker with the files still queued, wait for it, and return the files
    /// handed over (path → text) with their documents sorted exactly as [`sort_manifests`]
    /// sorts them.
    pub fn finish(
        self,
    ) -> (
        BTreeMap<String, String>,
        Result<SortedManifests, RenderError>,
    ) {
        // The last files go one by one, so that both threads share them.
        let (rest, _) = self.pending.into_inner();
        for file in rest {
            let _ = self.sender.send(vec![file]);
        }
        drop(self.sender);
        let mut done = BTreeMap::new();
        drain(&self.queue, &mut done);
        let Ok(theirs) = self.worker.join() else {
            let error = RenderError::Yaml {
                template: String::new(),
                message: "internal error: the document sorter stopped".to_string(),
            };
            return (BTreeMap::new(), Err(error));
        };
        done.extend(theirs);
        let mut files = BTreeMap::new();
        let mut heads = Vec::with_capacity(done.len());
        for (path, (content, file_heads)) in done {
            files.insert(path, content);
            heads.push(file_heads);
        }
        (files, sort_heads(heads.into_iter()))
    }
}

/// `---\n# Source: NAME\nCONTENT\n`, Helm's framing of one document.
pub fn write_document(out: &mut String, source: &str, content: &str) {
    for piece in document_pieces(source, content) {
        out.push_str(piece);
    }
}

/// One printed document: the separator, its `# Source:` line, its text.
fn document_pieces<'a>(source: &'a str, content: &'a str) -> [&'a str; 5] {
    ["---\n# Source: ", source, "\n", content, "\n"]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(source: &str, content: &str, hook: Option<&str>) -> Manifest {
        let head = ("v1".to_string(), "ConfigMap".to_string(), "x".to_string());
        let events = hook.map(|h| vec![h.to_string()]).unwrap_or_default();
        Manifest::new(source.into(), content.into(), 1, head, events)
    }

    /// What Helm does: join the manifests, `strings.TrimSpace`, a newline, then the hooks.
    fn joined(crds: &[CrdFile], sorted: &SortedManifests, layout: TextLayout) -> String {
        let mut manifest = String::new();
        let crds = crds.iter().filter(|_| layout.include_crds);
        for (source, content) in crds
            .map(|c| (&c.source, &c.content))
            .chain(sorted.manifests.iter().map(|m| (&m.source, &m.content)))
        {
            write_document(&mut manifest, source, content);
        }
        let mut out = manifest.trim().to_string() + "\n";
        for hook in sorted.hooks.iter().filter(|_| !layout.no_hooks) {
            if !(layout.skip_tests && hook.is_test_hook()) {
                write_document(&mut out, &hook.source, &hook.content);
            }
        }
        out
    }

    #[test]
    fn text_is_helms_joined_and_trimmed_documents_written_or_streamed() {
        let crds = [CrdFile {
            source: "c/crds/a.yaml".into(),
            content: "kind: CustomResourceDefinition".into(),
        }];
        let hooks = vec![
            manifest("c/templates/job.yaml", "kind: Job", Some("pre-install")),
            manifest("c/templates/t.yaml", "kind: Pod", Some("test")),
        ];
        let contents: [&[&str]; 5] = [
            &["a: 1", "b: 2\n\n"],
            &[],
            &["", " \n", "a: 1\u{2003}\n "],
            &["\u{85}"],
            &["a: 1", "  \n", ""],
        ];
        for docs in contents {
            let sorted = SortedManifests {
                manifests: docs
                    .iter()
                    .map(|d| manifest("c/templates/m.yaml", d, None))
                    .collect(),
                hooks: hooks.clone(),
            };
            for bits in 0..8 {
                let layout = TextLayout {
                    include_crds: bits & 1 != 0,
                    no_hooks: bits & 2 != 0,
                    skip_tests: bits & 4 != 0,
                };
                let want = joined(&crds, &sorted, layout);
                assert_eq!(
                    template_text(&crds, &sorted, layout),
                    want,
                    "{docs:?} {layout:?}"
                );
                let mut streamed = Vec::new();
                write_template_text(&mut streamed, &crds, &sorted, layout).unwrap();
                assert_eq!(String::from_utf8(streamed).unwrap(), want);
            }
        }
    }

    #[test]
    fn splits_like_helm() {
        let docs = split_documents("\n\na: 1  \n---\nb: 2\n--- \n\n\nc: 3\n\n");
        let texts: Vec<&str> = docs.iter().map(|(_, d)| *d).collect();
        assert_eq!(texts, vec!["a: 1", "b: 2", "c: 3"]);
        let lines: Vec<usize> = docs.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![3, 5, 9]);
        // Only a newline (or the start) before `---` separates; `---` also eats what follows.
        let docs = split_documents("---\na: x---y\n---z: 1");
        let texts: Vec<&str> = docs.iter().map(|(_, d)| *d).collect();
        assert_eq!(texts, vec!["a: x---y", "z: 1"]);
    }

    #[test]
    fn separators_match_helms_pattern() {
        let re = regex::Regex::new(r"(?:^|[\t\n\x0C\r ]*\n)---[\t\n\x0C\r ]*").unwrap();
        let alphabet = ["-", "\n", " ", "a", "---", "\r\n"];
        let mut layer = vec![String::new()];
        for _ in 0..6 {
            let mut next = Vec::new();
            for s in &layer {
                for piece in alphabet {
                    let t = format!("{s}{piece}");
                    let want: Vec<(usize, usize)> =
                        re.find_iter(&t).map(|m| (m.start(), m.end())).collect();
                    assert_eq!(separators(&t), want, "{t:?}");
                    next.push(t);
                }
            }
            layer = next;
        }
    }

    #[test]
    fn skimmed_heads_are_the_parsed_heads() {
        let skimmed = [
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
            "kind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install, Post-Upgrade\n",
            "kind: Job\nmetadata:\n  annotations: {\"helm.sh/hook\": test-success}\n",
            "kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install,bogus\n",
            "kind: 5\napiVersion: true\nmetadata:\n  name: 1.5\n",
            "# Source: x\n# only comments\n",
            "~\n",
            "kind: A\nkind: B\n",
        ];
        for doc in skimmed {
            let skim = skimmed_head(doc);
            assert!(skim.is_some(), "{doc:?}");
            assert_eq!(skim, full_head("t.yaml", doc).ok(), "{doc:?}");
        }
        // Documents `SimpleHead` rejects and documents the fast loader leaves alone take the
        // full path, which reports Helm's error or reads them.
        let full = [
            (
                "- a\n",
                "cannot unmarshal array into Go value of type util.SimpleHead",
            ),
            (
                "text\n",
                "cannot unmarshal string into Go value of type util.SimpleHead",
            ),
            (
                "kind: [a]\n",
                "cannot unmarshal array into Go struct field SimpleHead.kind",
            ),
            (
                "apiVersion: {a: b}\n",
                "cannot unmarshal object into Go struct field",
            ),
            ("kind: a\n b: c\n d\n", "error converting YAML to JSON"),
        ];
        for (doc, error) in full {
            assert_eq!(skimmed_head(doc), None, "{doc:?}");
            let message = parse_head("t.yaml", 1, doc).unwrap_err().to_string();
            assert!(message.contains(error), "{doc:?}: {message}");
        }
        let anchored = "kind: &k Pod\nmetadata:\n  name: *k\n";
        assert_eq!(skimmed_head(anchored), None);
        let head = parse_head("t.yaml", 1, anchored).unwrap();
        assert_eq!(head.head, (String::new(), "Pod".into(), "Pod".into()));
        let hooks = parse_head("t.yaml", 1, skimmed[1]).unwrap();
        assert_eq!(hooks.hook_events, vec!["pre-install", "post-upgrade"]);
        let unknown = parse_head("t.yaml", 1, skimmed[3]).unwrap();
        assert_eq!(unknown.hook_events, vec!["<unknown>"]);
    }

    #[test]
    fn kind_order_is_stable_and_unknown_last() {
        let mk = |kind: &str, name: &str| {
            Manifest::new(
                String::new(),
                String::new(),
                1,
                (String::new(), kind.into(), name.into()),
                vec![],
            )
        };
        let mut items = vec![
            mk("ValidatingWebhookConfiguration", "v"),
            mk("Zeta", "z"),
            mk("Deployment", "d1"),
            mk("Alpha", "a"),
            mk("Service", "s"),
            mk("Deployment", "d2"),
            mk("ServiceAccount", "sa"),
        ];
        sort_by_kind(&mut items);
        let names: Vec<&str> = items.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, vec!["sa", "s", "d1", "d2", "v", "a", "z"]);
    }
}

/// A CRD file from a chart's `crds/` directory, printed with `--include-crds`.
#[derive(Debug, Clone)]
pub struct CrdFile {
    /// `chart/crds/x.yaml` (subcharts: `chart/charts/sub/crds/x.yaml`).
    pub source: String,
    pub content: String,
}

/// Which documents `helm template` prints besides the chart's manifests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextLayout {
    /// The `crds/` files first (`--include-crds`).
    pub include_crds: bool,
    /// No hooks at all (`--no-hooks`).
    pub no_hooks: bool,
    /// No test hooks (`--skip-tests`).
    pub skip_tests: bool,
}

/// The text `helm template` prints, in pieces: the manifests (CRDs first with
/// `include_crds`) with surrounding white space trimmed, a newline, then the hooks.
fn template_pieces<'a>(
    crds: &'a [CrdFile],
    sorted: &'a SortedManifests,
    layout: TextLayout,
) -> Vec<&'a str> {
    let crds = crds.iter().filter(|_| layout.include_crds);
    let mut pieces: Vec<&str> = crds
        .map(|c| (&c.source, &c.content))
        .chain(sorted.manifests.iter().map(|m| (&m.source, &m.content)))
        .flat_map(|(source, content)| document_pieces(source, content))
        .collect();
    // Helm trims the joined manifests (`strings.TrimSpace`); white space never spans a
    // character, so trimming piece by piece from either end is the same.
    let end = pieces.iter().rposition(|p| !p.trim_end().is_empty());
    pieces.truncate(end.map_or(0, |last| last + 1));
    let start = pieces.iter().position(|p| !p.trim_start().is_empty());
    pieces.drain(..start.unwrap_or(0));
    if let Some(p) = pieces.last_mut() {
        *p = p.trim_end();
    }
    if let Some(p) = pieces.first_mut() {
        *p = p.trim_start();
    }
    pieces.push("\n");
    if !layout.no_hooks {
        for hook in &sorted.hooks {
            if layout.skip_tests && hook.is_test_hook() {
                continue;
            }
            pieces.extend(document_pieces(&hook.source, &hook.content));
        }
    }
    pieces
}

/// The text `helm template` prints for these documents.
pub fn template_text(crds: &[CrdFile], sorted: &SortedManifests, layout: TextLayout) -> String {
    // One allocation of the exact length.
    template_pieces(crds, sorted, layout).concat()
}

/// Write [`template_text`] to `out`, in large writes, without assembling it first.
pub fn write_template_text(
    out: &mut dyn std::io::Write,
    crds: &[CrdFile],
    sorted: &SortedManifests,
    layout: TextLayout,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    for piece in template_pieces(crds, sorted, layout) {
        out.write_all(piece.as_bytes())?;
    }
    out.flush()
}

/// Go's `filepath.Match` (as `--show-only` uses it): `*` and `?` stop at `/`, classes.
fn path_match(pattern: &str, path: &str) -> bool {
    let escaped = pattern
        .replace('{', "\\{")
        .replace('}', "\\}")
        .replace("**", "*");
    super::glob::Glob::new(&escaped).is_some_and(|g| g.is_match(path))
}

/// `helm template --show-only`: keep the documents whose source (without the chart name)
/// matches one of `patterns`, in pattern order. Errors name the first pattern that matched
/// nothing, as Helm does.
pub fn show_only(text: &str, patterns: &[String]) -> Result<String, String> {
    let docs = split_documents(text);
    let mut out = String::new();
    for pattern in patterns {
        let pattern = pattern.replace('\\', "/");
        let mut found = false;
        for (_, doc) in &docs {
            let Some(source_line) = doc.lines().find(|l| l.starts_with("# Source: ")) else {
                continue;
            };
            let source = &source_line["# Source: ".len()..];
            let Some((_, rest)) = source.split_once('/') else {
                continue;
            };
            if path_match(&pattern, rest) {
                out.push_str("---\n");
                out.push_str(doc);
                out.push('\n');
                found = true;
            }
        }
        if !found {
            return Err(format!("could not find template {pattern} in chart"));
        }
    }
    Ok(out)
}
