//! Object-by-object comparison of two sets of manifests: what `helm upgrade` would change,
//! as the helm-diff plugin shows it. The old side is the manifest (and hooks) stored in the
//! deployed release, the new side our render of the chart; both are plain text, so this
//! module needs no cluster and is tested on its own.
//!
//! Objects are paired by API group, kind, namespace and name (the version is left out of
//! the key so that `policy/v1beta1` → `policy/v1` shows as a change of one object, as
//! helm-diff does). Secrets never show their values: every `data`/`stringData` entry is
//! replaced by a placeholder that says whether it changed and how long it is.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;
use similar::{ChangeTag, TextDiff};

use crate::render::output::split_documents;
use crate::template::Value;

/// Kinds that live outside namespaces: their key never gets the release namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// One object of one side.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectDoc {
    pub api_version: String,
    pub kind: String,
    /// `metadata.namespace`, or the release namespace for namespaced kinds without one.
    pub namespace: String,
    pub name: String,
    /// `# Source:` template path, when known.
    pub source: String,
    /// Hook events (`helm.sh/hook`), empty for ordinary objects.
    pub hooks: Vec<String>,
    /// The document as shown in diffs (secrets masked, or normalised YAML).
    pub text: String,
    /// The document as JSON, for field-level changes (secret values masked).
    pub json: Json,
    /// A Secret's unmasked document: kept only to tell which values changed when the pair
    /// is compared, never shown.
    secret: Option<Json>,
}

impl ObjectDoc {
    /// The pairing key: `namespace, name, Kind (group)` — helm-diff's wording.
    pub fn key(&self) -> String {
        let group = self
            .api_version
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or("");
        let ns = if self.namespace.is_empty() {
            String::new()
        } else {
            format!("{}, ", self.namespace)
        };
        if group.is_empty() {
            format!("{ns}{}, {}", self.name, self.kind)
        } else {
            format!("{ns}{}, {} ({group})", self.name, self.kind)
        }
    }

    fn is_test(&self) -> bool {
        self.hooks
            .iter()
            .any(|h| h == "test" || h == "test-success")
    }
}

/// How a document becomes the text that is diffed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions<'a> {
    /// Namespace of the release, given to namespaced objects without one.
    pub namespace: &'a str,
    /// Compare normalised YAML (sorted keys, no comments) instead of the text as rendered.
    pub normalize: bool,
}

/// Why a manifest could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{what}: document {index} is not valid YAML: {message}")]
pub struct ManifestError {
    pub what: String,
    pub index: usize,
    pub message: String,
}

/// Read a manifest as Helm stores it (`---\n# Source: path\n…` documents).
pub fn parse_stored(
    text: &str,
    what: &str,
    opts: ParseOptions<'_>,
) -> Result<Vec<ObjectDoc>, ManifestError> {
    let mut out = Vec::new();
    for (index, (_, doc)) in split_documents(text).into_iter().enumerate() {
        let (source, body) = match doc.strip_prefix("# Source: ") {
            Some(rest) => match rest.split_once('\n') {
                Some((src, body)) => (src.trim().to_string(), body),
                None => (rest.trim().to_string(), ""),
            },
            None => (String::new(), doc),
        };
        if let Some(obj) = parse_doc(body, &source, what, index + 1, opts)? {
            out.push(obj);
        }
    }
    Ok(out)
}

/// Read one rendered document (its text without the `# Source:` line).
pub fn parse_doc(
    body: &str,
    source: &str,
    what: &str,
    index: usize,
    opts: ParseOptions<'_>,
) -> Result<Option<ObjectDoc>, ManifestError> {
    let value = crate::yaml::load_str(body, source).map_err(|e| ManifestError {
        what: what.to_string(),
        index,
        message: e.to_string(),
    })?;
    if !matches!(value, Value::Map(_)) {
        return Ok(None);
    }
    let s = |path: &[&str]| {
        value
            .get_path(path)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let kind = s(&["kind"]);
    let mut namespace = s(&["metadata", "namespace"]);
    if namespace.is_empty() && !CLUSTER_SCOPED.contains(&kind.as_str()) {
        namespace = opts.namespace.to_string();
    }
    let hooks: Vec<String> = s(&["metadata", "annotations", "helm.sh/hook"])
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    let mut json = crate::schema::crd::to_json(&value);
    let secret = (kind == "Secret").then(|| json.clone());
    if secret.is_some() {
        mask_secret_json(&mut json, None);
    }
    let text = if secret.is_some() || opts.normalize {
        json_to_yaml(&json)
    } else {
        body.trim_end().to_string()
    };
    Ok(Some(ObjectDoc {
        api_version: s(&["apiVersion"]),
        kind,
        namespace,
        name: s(&["metadata", "name"]),
        source: source.to_string(),
        hooks,
        text,
        json,
        secret,
    }))
}

/// YAML of a JSON value through the Helm-compatible emitter (sorted keys, block style).
fn json_to_yaml(json: &Json) -> String {
    let text = serde_json::to_string(json).unwrap_or_default();
    match crate::yaml::from_json(&text) {
        Ok(v) => crate::yaml::to_yaml(&v).trim_end().to_string(),
        Err(_) => text,
    }
}

/// The decoded length of a Secret value (`data` is base64; `stringData` is plain).
fn secret_len(value: &Json, base64: bool) -> usize {
    let Some(s) = value.as_str() else {
        return 0;
    };
    if base64 {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map(|b| b.len())
            .unwrap_or(s.len())
    } else {
        s.len()
    }
}

/// Which side of a pair a Secret is masked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Old,
    New,
}

/// Replace every value of a Secret's `data`/`stringData` with a placeholder that never
/// shows the value: `(N bytes)` alone, and against the same Secret on the other side
/// `(unchanged, N bytes)`, `(old value, N bytes)` / `(changed, N bytes)`, `(added, …)`
/// or `(removed, …)`, so the unified diff shows which keys changed.
fn mask_secret_json(json: &mut Json, other: Option<(&Json, Side)>) {
    for (field, base64) in [("data", true), ("stringData", false)] {
        let Some(Json::Object(map)) = json.get_mut(field) else {
            continue;
        };
        let other_map = other.map(|(o, side)| (o.get(field).and_then(Json::as_object), side));
        for (key, value) in map.iter_mut() {
            let len = secret_len(value, base64);
            let text = match other_map {
                None => format!("({len} bytes)"),
                Some((m, side)) => match (m.and_then(|m| m.get(key)), side) {
                    (Some(o), _) if o == value => format!("(unchanged, {len} bytes)"),
                    (Some(_), Side::Old) => format!("(old value, {len} bytes)"),
                    (Some(_), Side::New) => format!("(changed, {len} bytes)"),
                    (None, Side::Old) => format!("(removed, {len} bytes)"),
                    (None, Side::New) => format!("(added, {len} bytes)"),
                },
            };
            *value = Json::String(text);
        }
    }
}

/// Options of a comparison.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// Leave hooks out (helm-diff's `--no-hooks`).
    pub no_hooks: bool,
    /// Keep test hooks (`helm.sh/hook: test`), left out by default as helm-diff does.
    pub include_tests: bool,
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// One field that differs (dotted path), with its values unless they are secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Json>,
}

/// One object that differs between the sides.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectChange {
    pub change: ChangeKind,
    pub old: Option<ObjectDoc>,
    pub new: Option<ObjectDoc>,
}

impl ObjectChange {
    fn doc(&self) -> Option<&ObjectDoc> {
        self.new.as_ref().or(self.old.as_ref())
    }

    pub fn key(&self) -> String {
        self.doc().map(ObjectDoc::key).unwrap_or_default()
    }

    /// Field-level changes (added fields have no `old`, removed ones no `new`); Secret
    /// values are never included.
    pub fn fields(&self) -> Vec<FieldChange> {
        let null = Json::Null;
        let old = self.old.as_ref().map(|d| &d.json).unwrap_or(&null);
        let new = self.new.as_ref().map(|d| &d.json).unwrap_or(&null);
        let secret = self.doc().is_some_and(|d| d.kind == "Secret");
        let mut out = Vec::new();
        field_changes("", old, new, &mut out);
        if secret {
            for f in &mut out {
                if f.path.starts_with("data.") || f.path.starts_with("stringData.") {
                    f.old = None;
                    f.new = None;
                }
            }
        }
        out
    }
}

/// Walk two JSON values; record leaves (and whole subtrees present on one side only).
fn field_changes(path: &str, old: &Json, new: &Json, out: &mut Vec<FieldChange>) {
    if old == new {
        return;
    }
    let join = |k: &str| {
        let plain = !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        match (path.is_empty(), plain) {
            (true, true) => k.to_string(),
            (false, true) => format!("{path}.{k}"),
            (_, false) => format!("{path}[{k}]"),
        }
    };
    match (old, new) {
        (Json::Object(a), Json::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = join(k);
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => field_changes(&p, x, y, out),
                    (Some(x), None) => out.push(FieldChange {
                        path: p,
                        old: Some(x.clone()),
                        new: None,
                    }),
                    (None, Some(y)) => out.push(FieldChange {
                        path: p,
                        old: None,
                        new: Some(y.clone()),
                    }),
                    (None, None) => {}
                }
            }
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                field_changes(&format!("{path}[{i}]"), x, y, out);
            }
        }
        _ => out.push(FieldChange {
            path: path.to_string(),
            old: (!old.is_null()).then(|| old.clone()),
            new: (!new.is_null()).then(|| new.clone()),
        }),
    }
}

/// Pair the objects of both sides and keep those that differ, sorted by key.
pub fn compare(old: &[ObjectDoc], new: &[ObjectDoc], opts: DiffOptions) -> Vec<ObjectChange> {
    let keep = |d: &&ObjectDoc| {
        (d.hooks.is_empty() || !opts.no_hooks) && (!d.is_test() || opts.include_tests)
    };
    let old: BTreeMap<String, &ObjectDoc> = old.iter().filter(keep).map(|d| (d.key(), d)).collect();
    let new: BTreeMap<String, &ObjectDoc> = new.iter().filter(keep).map(|d| (d.key(), d)).collect();
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        match (old.get(key), new.get(key)) {
            (Some(a), Some(b)) => {
                let (mut a, mut b) = ((*a).clone(), (*b).clone());
                if a.kind == "Secret" {
                    remask_pair(&mut a, &mut b);
                }
                if a.text != b.text {
                    out.push(ObjectChange {
                        change: ChangeKind::Changed,
                        old: Some(a),
                        new: Some(b),
                    });
                }
            }
            (Some(a), None) => out.push(ObjectChange {
                change: ChangeKind::Removed,
                old: Some((*a).clone()),
                new: None,
            }),
            (None, Some(b)) => out.push(ObjectChange {
                change: ChangeKind::Added,
                old: None,
                new: Some((*b).clone()),
            }),
            (None, None) => {}
        }
    }
    out
}

/// Mask a Secret pair against each other: a placeholder says whether the value differs
/// from the other side's.
fn remask_pair(a: &mut ObjectDoc, b: &mut ObjectDoc) {
    let (Some(ra), Some(rb)) = (&a.secret, &b.secret) else {
        return;
    };
    let mut ja = ra.clone();
    let mut jb = rb.clone();
    mask_secret_json(&mut ja, Some((rb, Side::Old)));
    mask_secret_json(&mut jb, Some((ra, Side::New)));
    a.text = json_to_yaml(&ja);
    b.text = json_to_yaml(&jb);
    a.json = ja;
    b.json = jb;
}

/// How the text report looks.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Lines of context around changes; `None` shows whole objects (helm-diff's default).
    pub context: Option<usize>,
    pub color: bool,
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// The unified diff of one object: `- `/`+ `/`  ` line prefixes, `...` between hunks when
/// the context is limited.
pub fn unified(change: &ObjectChange, opts: TextOptions) -> String {
    let old = change.old.as_ref().map(|d| d.text.as_str()).unwrap_or("");
    let new = change.new.as_ref().map(|d| d.text.as_str()).unwrap_or("");
    let old = format!("{old}\n");
    let new = format!("{new}\n");
    let diff = TextDiff::from_lines(old.as_str(), new.as_str());
    let paint = |tag: ChangeTag, line: &str| -> String {
        let line = line.trim_end_matches('\n');
        let (prefix, colour) = match tag {
            ChangeTag::Delete => ("- ", RED),
            ChangeTag::Insert => ("+ ", GREEN),
            ChangeTag::Equal => ("  ", ""),
        };
        if opts.color && !colour.is_empty() {
            format!("{colour}{prefix}{line}{RESET}\n")
        } else {
            format!("{prefix}{line}\n")
        }
    };
    let mut out = String::new();
    match opts.context {
        None => {
            for c in diff.iter_all_changes() {
                // An added or removed object is all one colour; skip the empty side.
                if c.tag() == ChangeTag::Equal && c.value().trim().is_empty() && old == new {
                    continue;
                }
                out.push_str(&paint(c.tag(), c.value()));
            }
        }
        Some(n) => {
            for (i, group) in diff.grouped_ops(n).iter().enumerate() {
                if i > 0 {
                    out.push_str("...\n");
                }
                for op in group {
                    for c in diff.iter_changes(op) {
                        out.push_str(&paint(c.tag(), c.value()));
                    }
                }
            }
        }
    }
    // The empty side contributes one blank line; drop it.
    out.lines()
        .filter(|l| {
            *l != "- "
                && *l != "+ "
                && !l.ends_with(&format!("- {RESET}"))
                && !l.ends_with(&format!("+ {RESET}"))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Counts of a comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

pub fn summary(changes: &[ObjectChange]) -> Summary {
    let mut s = Summary::default();
    for c in changes {
        match c.change {
            ChangeKind::Added => s.added += 1,
            ChangeKind::Changed => s.changed += 1,
            ChangeKind::Removed => s.removed += 1,
        }
    }
    s
}

/// helm-diff's text report: a header per object, its unified diff, and a summary line.
pub fn write_text(changes: &[ObjectChange], opts: TextOptions) -> String {
    let mut out = String::new();
    for c in changes {
        let verb = match c.change {
            ChangeKind::Added => "has been added",
            ChangeKind::Removed => "has been removed",
            ChangeKind::Changed => "has changed",
        };
        let header = format!("{} {verb}:", c.key());
        if opts.color {
            out.push_str(&format!("{YELLOW}{header}{RESET}\n"));
        } else {
            out.push_str(&header);
            out.push('\n');
        }
        if let Some(source) = c.doc().map(|d| &d.source).filter(|s| !s.is_empty()) {
            out.push_str(&format!("  # Source: {source}\n"));
        }
        out.push_str(&unified(c, opts));
        out.push('\n');
    }
    let s = summary(changes);
    if changes.is_empty() {
        out.push_str("No changes.\n");
    } else {
        out.push_str(&format!(
            "{} to add, {} to change, {} to remove.\n",
            s.added, s.changed, s.removed
        ));
    }
    out
}

/// The JSON report: every differing object with its field-level changes and its unified
/// diff (secret values masked), and the counts.
pub fn to_json_report(
    release: &str,
    namespace: &str,
    changes: &[ObjectChange],
    context: Option<usize>,
) -> Json {
    let items: Vec<Json> = changes
        .iter()
        .filter_map(|c| {
            let d = c.doc()?;
            let mut m = serde_json::Map::new();
            m.insert("change".into(), serde_json::to_value(c.change).ok()?);
            m.insert("apiVersion".into(), Json::String(d.api_version.clone()));
            m.insert("kind".into(), Json::String(d.kind.clone()));
            if !d.namespace.is_empty() {
                m.insert("namespace".into(), Json::String(d.namespace.clone()));
            }
            m.insert("name".into(), Json::String(d.name.clone()));
            if !d.source.is_empty() {
                m.insert("source".into(), Json::String(d.source.clone()));
            }
            if !d.hooks.is_empty() {
                m.insert("hooks".into(), serde_json::to_value(&d.hooks).ok()?);
            }
            if c.change == ChangeKind::Changed {
                m.insert("fields".into(), serde_json::to_value(c.fields()).ok()?);
            }
            m.insert(
                "diff".into(),
                Json::String(unified(
                    c,
                    TextOptions {
                        context,
                        color: false,
                    },
                )),
            );
            Some(Json::Object(m))
        })
        .collect();
    serde_json::json!({
        "release": release,
        "namespace": namespace,
        "changes": items,
        "summary": summary(changes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: ParseOptions<'static> = ParseOptions {
        namespace: "ops",
        normalize: false,
    };

    fn stored(docs: &[(&str, &str)]) -> String {
        let mut out = String::new();
        for (src, body) in docs {
            crate::render::output::write_document(&mut out, src, body);
        }
        out
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: op\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: op\n        image: op:1.0";

    #[test]
    fn keys_pair_objects_by_group_kind_namespace_name() {
        let docs = parse_stored(
            &stored(&[
                ("c/templates/d.yaml", DEPLOY),
                (
                    "c/templates/cr.yaml",
                    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: op",
                ),
            ]),
            "release",
            NS,
        )
        .unwrap();
        let keys: Vec<String> = docs.iter().map(ObjectDoc::key).collect();
        assert_eq!(
            keys,
            vec![
                "ops, op, Deployment (apps)",
                "op, ClusterRole (rbac.authorization.k8s.io)"
            ]
        );
        assert_eq!(docs[0].source, "c/templates/d.yaml");
    }

    #[test]
    fn changed_added_removed_with_context() {
        let old = parse_stored(
            &stored(&[
                ("c/templates/d.yaml", DEPLOY),
                (
                    "c/templates/sa.yaml",
                    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gone",
                ),
            ]),
            "release",
            NS,
        )
        .unwrap();
        let new = parse_stored(
            &stored(&[
                ("c/templates/d.yaml", &DEPLOY.replace("op:1.0", "op:1.1")),
                (
                    "c/templates/cm.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\ndata:\n  a: b",
                ),
            ]),
            "chart",
            NS,
        )
        .unwrap();
        let changes = compare(&old, &new, DiffOptions::default());
        let text = write_text(
            &changes,
            TextOptions {
                context: Some(1),
                color: false,
            },
        );
        assert_eq!(
            text,
            "ops, gone, ServiceAccount has been removed:\n  # Source: c/templates/sa.yaml\n- apiVersion: v1\n- kind: ServiceAccount\n- metadata:\n-   name: gone\n\n\
ops, new, ConfigMap has been added:\n  # Source: c/templates/cm.yaml\n+ apiVersion: v1\n+ kind: ConfigMap\n+ metadata:\n+   name: new\n+ data:\n+   a: b\n\n\
ops, op, Deployment (apps) has changed:\n  # Source: c/templates/d.yaml\n        - name: op\n-         image: op:1.0\n+         image: op:1.1\n\n\
1 to add, 1 to change, 1 to remove.\n"
        );
        let fields = changes[2].fields();
        assert_eq!(
            fields,
            vec![FieldChange {
                path: "spec.template.spec.containers[0].image".to_string(),
                old: Some(Json::String("op:1.0".into())),
                new: Some(Json::String("op:1.1".into())),
            }]
        );
    }

    #[test]
    fn secrets_never_show_values() {
        let secret = |pw: &str, token: &str| {
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  password: {pw}\n  token: {token}\nstringData:\n  plain: hunter2"
            )
        };
        // "c2VjcmV0" = "secret", "b3RoZXIx" = "other1", "dG9rZW4=" = "token"
        let old = parse_stored(
            &stored(&[("c/templates/s.yaml", &secret("c2VjcmV0", "dG9rZW4="))]),
            "release",
            NS,
        )
        .unwrap();
        let new = parse_stored(
            &stored(&[("c/templates/s.yaml", &secret("b3RoZXIx", "dG9rZW4="))]),
            "chart",
            NS,
        )
        .unwrap();
        let changes = compare(&old, &new, DiffOptions::default());
        assert_eq!(changes.len(), 1);
        let text = write_text(
            &changes,
            TextOptions {
                context: Some(0),
                color: false,
            },
        );
        assert_eq!(
            text,
            "ops, creds, Secret has changed:\n  # Source: c/templates/s.yaml\n-   password: (old value, 6 bytes)\n+   password: (changed, 6 bytes)\n\n0 to add, 1 to change, 0 to remove.\n"
        );
        for secret_text in ["c2VjcmV0", "b3RoZXIx", "hunter2", "dG9rZW4="] {
            assert!(!text.contains(secret_text));
            let json = to_json_report("r", "ops", &changes, None).to_string();
            assert!(!json.contains(secret_text), "{json}");
        }
        assert_eq!(
            changes[0].fields(),
            vec![FieldChange {
                path: "data.password".to_string(),
                old: None,
                new: None
            }]
        );
        // Equal secrets are no change at all.
        assert!(compare(&old, &old, DiffOptions::default()).is_empty());
    }

    #[test]
    fn hooks_and_tests_follow_the_flags() {
        let hook = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade";
        let test = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test";
        let new = parse_stored(
            &stored(&[("c/templates/h.yaml", hook), ("c/templates/t.yaml", test)]),
            "chart",
            NS,
        )
        .unwrap();
        let keys = |o: DiffOptions| -> Vec<String> {
            compare(&[], &new, o)
                .iter()
                .map(ObjectChange::key)
                .collect()
        };
        assert_eq!(
            keys(DiffOptions::default()),
            vec!["ops, migrate, Job (batch)"]
        );
        assert!(keys(DiffOptions {
            no_hooks: true,
            include_tests: true
        })
        .is_empty());
        assert_eq!(
            keys(DiffOptions {
                no_hooks: false,
                include_tests: true
            }),
            vec!["ops, migrate, Job (batch)", "ops, t, Pod"]
        );
    }

    #[test]
    fn normalised_comparison_ignores_formatting() {
        let a = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {a: b}  # comment";
        let b = "kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: x\ndata:\n  a: b";
        let norm = ParseOptions {
            namespace: "ops",
            normalize: true,
        };
        let old = parse_stored(&stored(&[("s", a)]), "r", norm).unwrap();
        let new = parse_stored(&stored(&[("s", b)]), "c", norm).unwrap();
        assert!(compare(&old, &new, DiffOptions::default()).is_empty());
        let old = parse_stored(&stored(&[("s", a)]), "r", NS).unwrap();
        let new = parse_stored(&stored(&[("s", b)]), "c", NS).unwrap();
        assert_eq!(compare(&old, &new, DiffOptions::default()).len(), 1);
    }

    #[test]
    fn colour_only_when_asked() {
        let new = parse_stored(
            &stored(&[("s", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x")]),
            "c",
            NS,
        )
        .unwrap();
        let changes = compare(&[], &new, DiffOptions::default());
        let text = write_text(
            &changes,
            TextOptions {
                context: None,
                color: true,
            },
        );
        assert!(text.starts_with("\x1b[33mops, x, ConfigMap has been added:\x1b[0m\n"));
        assert!(text.contains("\x1b[32m+ kind: ConfigMap\x1b[0m\n"));
    }

    #[test]
    fn broken_yaml_is_reported_with_its_document() {
        let err = parse_stored("---\n# Source: a\nkey: [unclosed\n", "release r", NS).unwrap_err();
        assert_eq!(err.what, "release r");
        assert_eq!(err.index, 1);
    }
}
