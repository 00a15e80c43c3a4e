//! `?watch=true`: a streaming body of newline-delimited watch events (`ADDED`, `MODIFIED`,
//! `DELETED`, and the initial-events `BOOKMARK` of streaming lists), replayed from the event
//! log after the requested resourceVersion and then followed live until `timeoutSeconds`,
//! the client going away, or the cluster stopping.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};

use super::discovery::ResourceInfo;
use super::server::Shared;
use super::store::{Event, ListOptions, Store};

/// What to watch.
pub struct WatchRequest {
    pub res: ResourceInfo,
    pub namespace: Option<String>,
    pub opts: ListOptions,
    /// Events after this resourceVersion; `None` (or 0) starts with the current objects.
    pub resource_version: Option<u64>,
    pub timeout: Duration,
    /// `sendInitialEvents=true`: end the initial ADDED events with a bookmark.
    pub send_initial_events: bool,
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut text = json!({"type": kind, "object": object}).to_string();
    text.push('\n');
    Bytes::from(text)
}

fn event_matches(w: &WatchRequest, e: &Event) -> bool {
    e.group == w.res.group
        && e.plural == w.res.plural
        && w.namespace.as_deref().is_none_or(|n| n == e.namespace)
        && w.opts.labels.matches(&e.object)
        && w.opts.fields.matches(&e.object)
}

/// Starts the watch and returns the receiving end of its lines.
pub fn start(shared: Arc<Shared>, w: WatchRequest) -> tokio::sync::mpsc::Receiver<Bytes> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(256);
    let mut changed = shared.changed.subscribe();
    let mut stopped = shared.epoch.subscribe();
    let (initial, mut next, list_rv) = {
        let store = shared.lock_store();
        let from = w.resource_version.filter(|rv| *rv > 0);
        match from {
            None => {
                let objs = store.matching(&w.res, w.namespace.as_deref(), &w.opts);
                (objs, store.events.len(), store.resource_version())
            }
            Some(rv) => {
                let idx = store.events.partition_point(|e| e.rv <= rv);
                (Vec::new(), idx, store.resource_version())
            }
        }
    };
    tokio::spawn(async move {
        for obj in &initial {
            if tx.send(line("ADDED", obj)).await.is_err() {
                return;
            }
        }
        if w.send_initial_events {
            let bookmark = json!({
                "apiVersion": w.res.api_version(),
                "kind": w.res.kind,
                "metadata": {
                    "resourceVersion": list_rv.to_string(),
                    "annotations": {"k8s.io/initial-events-end": "true"},
                },
            });
            if tx.send(line("BOOKMARK", &bookmark)).await.is_err() {
                return;
            }
        }
        let deadline = tokio::time::Instant::now() + w.timeout;
        loop {
            let lines: Vec<Bytes> = {
                let store = shared.lock_store();
                let fresh = store.events.get(next..).unwrap_or_default();
                next = store.events.len();
                fresh
                    .iter()
                    .filter(|e| event_matches(&w, e))
                    .map(|e| line(e.kind, &Store::present(&w.res, &e.object)))
                    .collect()
            };
            for l in lines {
                if tx.send(l).await.is_err() {
                    return;
                }
            }
            tokio::select! {
                r = changed.changed() => if r.is_err() { return },
                _ = stopped.changed() => return,
                _ = tokio::time::sleep_until(deadline) => return,
                _ = tx.closed() => return,
            }
        }
    });
    rx
}
