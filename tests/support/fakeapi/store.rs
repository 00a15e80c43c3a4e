//! The object store of one fake cluster: objects by resource, namespace and name, one
//! resourceVersion counter, the event log watches replay, and the write rules of the real
//! server (metadata defaults, generation, status subresource, optimistic concurrency, CRD
//! registration, namespace cascade).
//!
//! Objects are stored once per group and plural and presented at whatever version the
//! request names (no conversion, like a CRD with `strategy: None`).

use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

use super::discovery::{self, split_api_version, Registry, ResourceInfo};
use super::patch;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::{success_status, ApiError};

/// Which part of an object a write addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sub {
    /// The object itself: status is kept when the resource has a status subresource.
    Main,
    /// `/status`: only status changes.
    Status,
}

/// The patch types of `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    Merge,
    Json,
    Strategic,
    Apply,
}

impl PatchType {
    pub fn from_content_type(ct: &str) -> Option<PatchType> {
        let base = ct.split(';').next().unwrap_or_default().trim();
        match base {
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/json-patch+json" => Some(PatchType::Json),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
                Some(PatchType::Apply)
            }
            _ => None,
        }
    }
}

/// One change, as watches replay it.
#[derive(Clone, Debug)]
pub struct Event {
    pub rv: u64,
    pub kind: &'static str,
    pub group: String,
    pub plural: String,
    pub namespace: String,
    /// The object as stored (its `apiVersion` is fixed up per watch).
    pub object: Value,
}

/// Parameters of a list.
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
}

type Objects = BTreeMap<(String, String), Value>;

/// All state of one cluster.
pub struct Store {
    pub registry: Registry,
    objects: BTreeMap<(String, String), Objects>,
    rv: u64,
    pub events: Vec<Event>,
    /// Last configuration each field manager applied, by object and manager.
    applied: HashMap<(String, String, String, String, String), Value>,
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn new_uid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn random_suffix() -> String {
    // The alphabet of apimachinery's utilrand.String (no vowels, no confusable digits).
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| {
            let i = rand::random::<usize>() % ALPHABET.len();
            char::from(ALPHABET.get(i).copied().unwrap_or(b'x'))
        })
        .collect()
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let Value::Object(map) = obj else {
        unreachable!("made an object above")
    };
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    match meta {
        Value::Object(m) => m,
        _ => unreachable!("made an object above"),
    }
}

/// Resources whose strategy maintains `metadata.generation`.
fn tracks_generation(res: &ResourceInfo) -> bool {
    !res.group.is_empty() || res.plural == "pods"
}

/// The part of an object whose change bumps `generation`: all but metadata and status.
fn spec_part(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Value::Object(m) = &mut v {
        m.remove("metadata");
        m.remove("status");
        m.remove("apiVersion");
        m.remove("kind");
    }
    v
}

/// Parses a request body: JSON, or YAML for server-side apply.
pub fn parse_body(body: &[u8], yaml_ok: bool) -> Result<Value, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => Ok(v),
        Err(e) if yaml_ok => {
            let text = std::str::from_utf8(body)
                .map_err(|_| ApiError::bad_request("body is not UTF-8"))?;
            serde_saphyr::from_str::<Value>(text).map_err(|y| {
                ApiError::bad_request(format!("error decoding YAML: {y} (as JSON: {e})"))
            })
        }
        Err(e) => Err(ApiError::bad_request(format!(
            "couldn't get version/kind; json parse error: {e}"
        ))),
    }
}

const INITIAL_NAMESPACES: &[&str] = &["default", "kube-node-lease", "kube-public", "kube-system"];

impl Store {
    /// A store holding the namespaces every cluster starts with.
    pub fn new() -> Store {
        let mut store = Store {
            registry: Registry::default(),
            objects: BTreeMap::new(),
            rv: 0,
            events: Vec::new(),
            applied: HashMap::new(),
        };
        for ns in INITIAL_NAMESPACES {
            let res = store.resource("", "v1", "namespaces");
            let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            if let Some(res) = res {
                // Cannot fail: a fresh store has no namespaces yet.
                let _ = store.create(&res, "", obj, false);
            }
        }
        store
    }

    pub fn resource(&self, group: &str, version: &str, plural: &str) -> Option<ResourceInfo> {
        self.registry.find(group, version, plural).cloned()
    }

    /// The resource of an `apiVersion` and `kind`.
    pub fn resource_for_kind(&self, api_version: &str, kind: &str) -> Option<ResourceInfo> {
        let (g, v) = split_api_version(api_version);
        self.registry.find_kind(&g, &v, kind).cloned()
    }

    /// The newest resourceVersion handed out.
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    fn bucket(&self, res: &ResourceInfo) -> Option<&Objects> {
        self.objects.get(&res.storage_key())
    }

    fn stored(&self, res: &ResourceInfo, ns: &str, name: &str) -> Option<&Value> {
        self.bucket(res)?.get(&(ns.to_owned(), name.to_owned()))
    }

    /// The object as a client at `res`'s version sees it.
    pub fn present(res: &ResourceInfo, obj: &Value) -> Value {
        let mut v = obj.clone();
        if let Value::Object(m) = &mut v {
            m.insert("apiVersion".into(), json!(res.api_version()));
            m.insert("kind".into(), json!(res.kind));
        }
        v
    }

    fn push_event(&mut self, kind: &'static str, res: &ResourceInfo, ns: &str, obj: Value) {
        self.events.push(Event {
            rv: self.rv,
            kind,
            group: res.group.clone(),
            plural: res.plural.clone(),
            namespace: ns.to_owned(),
            object: obj,
        });
    }

    /// Stores `obj` with a new resourceVersion and records the event.
    fn write(
        &mut self,
        res: &ResourceInfo,
        ns: &str,
        name: &str,
        mut obj: Value,
        kind: &'static str,
    ) -> Value {
        self.rv += 1;
        metadata_mut(&mut obj).insert("resourceVersion".into(), json!(self.rv.to_string()));
        let stored = Store::present(res, &obj);
        self.objects
            .entry(res.storage_key())
            .or_default()
            .insert((ns.to_owned(), name.to_owned()), stored.clone());
        self.push_event(kind, res, ns, stored.clone());
        stored
    }

    fn namespace_exists(&self, ns: &str) -> bool {
        self.objects
            .get(&(String::new(), "namespaces".to_owned()))
            .is_some_and(|b| b.contains_key(&(String::new(), ns.to_owned())))
    }

    pub fn get(&self, res: &ResourceInfo, ns: &str, name: &str) -> Result<Value, ApiError> {
        self.stored(res, ns, name)
            .map(|o| Store::present(res, o))
            .ok_or_else(|| ApiError::not_found(res, name))
    }

    /// Matching objects, in key order (namespace, name), presented at `res`'s version.
    pub fn matching(&self, res: &ResourceInfo, ns: Option<&str>, opts: &ListOptions) -> Vec<Value> {
        let Some(bucket) = self.bucket(res) else {
            return Vec::new();
        };
        bucket
            .iter()
            .filter(|((o_ns, _), _)| ns.is_none_or(|n| n == o_ns))
            .map(|(_, o)| o)
            .filter(|o| opts.labels.matches(o) && opts.fields.matches(o))
            .map(|o| Store::present(res, o))
            .collect()
    }

    /// A list answer with `limit`/`continue` paging.
    pub fn list(
        &self,
        res: &ResourceInfo,
        ns: Option<&str>,
        opts: &ListOptions,
    ) -> Result<Value, ApiError> {
        let mut list_rv = self.rv;
        let mut start_after: Option<String> = None;
        if let Some(token) = opts.continue_token.as_deref().filter(|t| !t.is_empty()) {
            let (rv, start) = decode_continue(token)?;
            list_rv = rv;
            start_after = Some(start);
        }
        let all = self.matching(res, ns, opts);
        let key = |o: &Value| format!("{}/{}", meta_str(o, "namespace"), meta_str(o, "name"));
        let remaining: Vec<Value> = match &start_after {
            Some(s) => all.into_iter().filter(|o| key(o) > *s).collect(),
            None => all,
        };
        let mut metadata = json!({"resourceVersion": list_rv.to_string()});
        let items = match opts.limit.filter(|l| *l > 0) {
            Some(limit) if remaining.len() > limit => {
                let rest = remaining.len() - limit;
                let page: Vec<Value> = remaining.into_iter().take(limit).collect();
                if let Some(last) = page.last() {
                    metadata["continue"] = json!(encode_continue(list_rv, &key(last)));
                    metadata["remainingItemCount"] = json!(rest);
                }
                page
            }
            _ => remaining,
        };
        Ok(json!({
            "apiVersion": res.api_version(),
            "kind": format!("{}List", res.kind),
            "metadata": metadata,
            "items": items,
        }))
    }

    /// Creates an object. `strict` applies the HTTP rules (namespace must exist and match).
    pub fn create(
        &mut self,
        res: &ResourceInfo,
        ns: &str,
        mut obj: Value,
        strict: bool,
    ) -> Result<Value, ApiError> {
        if !obj.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request was not an object",
            ));
        }
        let body_ns = meta_str(&obj, "namespace").to_owned();
        let ns = if res.namespaced {
            if strict && !body_ns.is_empty() && body_ns != ns {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            if ns.is_empty() {
                body_ns
            } else {
                ns.to_owned()
            }
        } else {
            String::new()
        };
        let mut name = meta_str(&obj, "name").to_owned();
        if name.is_empty() {
            let generate = meta_str(&obj, "generateName").to_owned();
            if generate.is_empty() {
                return Err(ApiError::invalid(
                    res,
                    "",
                    "metadata.name: Required value: name or generateName is required",
                ));
            }
            name = format!("{generate}{}", random_suffix());
        }
        if res.namespaced && strict && !self.namespace_exists(&ns) {
            let ns_res = self.resource("", "v1", "namespaces");
            if let Some(ns_res) = ns_res {
                return Err(ApiError::not_found(&ns_res, &ns));
            }
        }
        if self.stored(res, &ns, &name).is_some() {
            return Err(ApiError::already_exists(res, &name));
        }
        {
            let meta = metadata_mut(&mut obj);
            meta.insert("name".into(), json!(name));
            if res.namespaced {
                meta.insert("namespace".into(), json!(ns));
            } else {
                meta.remove("namespace");
            }
            meta.insert("uid".into(), json!(new_uid()));
            meta.insert("creationTimestamp".into(), json!(now()));
            if tracks_generation(res) {
                meta.insert("generation".into(), json!(1));
            } else {
                meta.remove("generation");
            }
        }
        self.defaults_on_create(res, &name, &mut obj)?;
        if strict
            && res.has_status()
            && res.group != "apiextensions.k8s.io"
            && res.plural != "namespaces"
        {
            // The main endpoint ignores status on create, like the real strategies.
            if let Value::Object(m) = &mut obj {
                m.remove("status");
            }
        }
        if res.group == "apiextensions.k8s.io" && res.plural == "customresourcedefinitions" {
            self.crd_written(res, &name, &mut obj, None, !strict)?;
        }
        Ok(self.write(res, &ns, &name, obj, "ADDED"))
    }

    fn defaults_on_create(
        &mut self,
        res: &ResourceInfo,
        name: &str,
        obj: &mut Value,
    ) -> Result<(), ApiError> {
        match (res.group.as_str(), res.plural.as_str()) {
            ("", "namespaces") => {
                let meta = metadata_mut(obj);
                let labels = meta.entry("labels").or_insert_with(|| json!({}));
                if let Value::Object(l) = labels {
                    l.insert("kubernetes.io/metadata.name".into(), json!(name));
                }
                if let Value::Object(m) = obj {
                    m.entry("spec")
                        .or_insert_with(|| json!({"finalizers": ["kubernetes"]}));
                    if m.get("status").is_none_or(|s| s.get("phase").is_none()) {
                        m.insert("status".into(), json!({"phase": "Active"}));
                    }
                }
            }
            ("", "services") => {
                let kind = obj
                    .pointer("/spec/type")
                    .and_then(Value::as_str)
                    .unwrap_or("ClusterIP")
                    .to_owned();
                let n = self.rv + 10;
                let Some(Value::Object(spec)) = obj
                    .as_object_mut()
                    .map(|m| m.entry("spec").or_insert_with(|| json!({})))
                else {
                    return Err(ApiError::invalid(
                        res,
                        name,
                        "spec: Invalid value: must be an object",
                    ));
                };
                spec.insert("type".into(), json!(kind));
                if kind != "ExternalName" && !spec.contains_key("clusterIP") {
                    let ip = format!("10.96.{}.{}", (n / 250) % 250, n % 250 + 1);
                    spec.insert("clusterIP".into(), json!(ip));
                    spec.insert("clusterIPs".into(), json!([ip]));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Registers a written CRD and fills its status like the apiextensions controller:
    /// accepted names, Established, and storedVersions (appended when the storage version
    /// changes; kept as given when a test seeds it).
    fn crd_written(
        &mut self,
        res: &ResourceInfo,
        name: &str,
        obj: &mut Value,
        old: Option<&Value>,
        keep_given: bool,
    ) -> Result<(), ApiError> {
        let candidate_registry = {
            let mut r = self.registry.clone();
            r.register_crd(obj)
                .map_err(|e| ApiError::invalid(res, name, &e))?;
            r
        };
        let storage = discovery::crd_storage_version(obj).unwrap_or_default();
        let given = obj.pointer("/status/storedVersions").cloned();
        let mut stored: Vec<Value> = match (&given, old) {
            (Some(Value::Array(g)), _) if keep_given => g.clone(),
            (_, Some(o)) => o
                .pointer("/status/storedVersions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        if !stored.iter().any(|v| v.as_str() == Some(storage.as_str())) {
            stored.push(json!(storage));
        }
        let names = obj.pointer("/spec/names").cloned().unwrap_or(json!({}));
        let mut status = obj.get("status").cloned().unwrap_or(json!({}));
        if !status.is_object() {
            status = json!({});
        }
        status["acceptedNames"] = names;
        status["storedVersions"] = Value::Array(stored);
        let ts = now();
        status["conditions"] = json!([
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
             "message": "no conflicts found", "lastTransitionTime": ts},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted", "lastTransitionTime": ts},
        ]);
        obj["status"] = status;
        self.registry = candidate_registry;
        Ok(())
    }

    /// Replaces an object (PUT), following the subresource and concurrency rules.
    pub fn update(
        &mut self,
        res: &ResourceInfo,
        ns: &str,
        name: &str,
        body: Value,
        sub: Sub,
    ) -> Result<Value, ApiError> {
        if !body.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request was not an object",
            ));
        }
        let body_name = meta_str(&body, "name");
        if !body_name.is_empty() && body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        let body_ns = meta_str(&body, "namespace");
        if res.namespaced && !body_ns.is_empty() && body_ns != ns {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        let Some(old) = self.stored(res, ns, name).cloned() else {
            return Err(ApiError::not_found(res, name));
        };
        self.replace(res, ns, name, &old, body, sub, true)
    }

    /// The shared tail of update, patch and seed: merge per subresource, check the
    /// precondition, keep server-owned metadata, bump generation, skip no-op writes.
    #[allow(clippy::too_many_arguments)]
    fn replace(
        &mut self,
        res: &ResourceInfo,
        ns: &str,
        name: &str,
        old: &Value,
        body: Value,
        sub: Sub,
        strict: bool,
    ) -> Result<Value, ApiError> {
        if !body.is_object() {
            return Err(ApiError::bad_request("the patched object is not an object"));
        }
        let body_rv = meta_str(&body, "resourceVersion");
        if strict && !body_rv.is_empty() && body_rv != meta_str(old, "resourceVersion") {
            return Err(ApiError::conflict(res, name));
        }
        let mut new = match sub {
            Sub::Status => {
                let mut n = old.clone();
                match body.get("status") {
                    Some(s) => n["status"] = s.clone(),
                    None => {
                        if let Value::Object(m) = &mut n {
                            m.remove("status");
                        }
                    }
                }
                n
            }
            Sub::Main => {
                let mut n = body;
                if strict && res.has_status() {
                    match old.get("status") {
                        Some(s) => n["status"] = s.clone(),
                        None => {
                            if let Value::Object(m) = &mut n {
                                m.remove("status");
                            }
                        }
                    }
                }
                n
            }
        };
        {
            let old_meta = old.get("metadata").cloned().unwrap_or(json!({}));
            let meta = metadata_mut(&mut new);
            meta.insert("name".into(), json!(name));
            if res.namespaced {
                meta.insert("namespace".into(), json!(ns));
            }
            for keep in ["uid", "creationTimestamp", "resourceVersion"] {
                if let Some(v) = old_meta.get(keep) {
                    meta.insert(keep.into(), v.clone());
                }
            }
            match old_meta.get("generation") {
                Some(g) => {
                    meta.insert("generation".into(), g.clone());
                }
                None => {
                    meta.remove("generation");
                }
            }
        }
        if tracks_generation(res) && spec_part(&new) != spec_part(old) {
            let g = old
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            metadata_mut(&mut new).insert("generation".into(), json!(g + 1));
        }
        if res.group == "apiextensions.k8s.io" && res.plural == "customresourcedefinitions" {
            let keep_given = sub == Sub::Status || !strict;
            if sub == Sub::Status {
                // The status endpoint sets storedVersions as given; only the registration
                // is refreshed.
                let mut r = self.registry.clone();
                r.register_crd(&new)
                    .map_err(|e| ApiError::invalid(res, name, &e))?;
                self.registry = r;
            } else {
                self.crd_written(res, name, &mut new, Some(old), keep_given)?;
            }
        }
        let new = Store::present(res, &new);
        if new == Store::present(res, old) {
            // The real server does not write (or bump resourceVersion) for a no-op update.
            return Ok(new);
        }
        Ok(self.write(res, ns, name, new, "MODIFIED"))
    }

    /// Applies a patch; server-side apply creates missing objects. Returns the object and
    /// whether it was created.
    #[allow(clippy::too_many_arguments)]
    pub fn patch(
        &mut self,
        res: &ResourceInfo,
        ns: &str,
        name: &str,
        ptype: PatchType,
        body: &[u8],
        sub: Sub,
        manager: &str,
    ) -> Result<(Value, bool), ApiError> {
        let old = self.stored(res, ns, name).cloned();
        if ptype == PatchType::Apply {
            let cfg = parse_body(body, true)?;
            if !cfg.is_object() {
                return Err(ApiError::bad_request(
                    "the apply configuration is not an object",
                ));
            }
            let cfg_name = meta_str(&cfg, "name");
            if !cfg_name.is_empty() && cfg_name != name {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({cfg_name}) does not match the name on the URL ({name})"
                )));
            }
            let key = (
                res.group.clone(),
                res.plural.clone(),
                ns.to_owned(),
                name.to_owned(),
                manager.to_owned(),
            );
            let result = match old {
                None => {
                    if sub == Sub::Status {
                        return Err(ApiError::not_found(res, name));
                    }
                    let mut obj = cfg.clone();
                    metadata_mut(&mut obj).insert("name".into(), json!(name));
                    let created = self.create(res, ns, obj, true)?;
                    (created, true)
                }
                Some(old) => {
                    let mut live = Store::present(res, &old);
                    if let Some(prev) = self.applied.get(&key) {
                        if let Some(rm) = patch::removed_fields(prev, &cfg) {
                            patch::strategic_merge(&mut live, &rm);
                        }
                    }
                    patch::strategic_merge(&mut live, &cfg);
                    (self.replace(res, ns, name, &old, live, sub, true)?, false)
                }
            };
            self.applied.insert(key, cfg);
            return Ok(result);
        }
        let Some(old) = old else {
            return Err(ApiError::not_found(res, name));
        };
        let mut live = Store::present(res, &old);
        let p = parse_body(body, false)?;
        match ptype {
            PatchType::Merge => patch::merge_patch(&mut live, &p),
            PatchType::Strategic => patch::strategic_merge(&mut live, &p),
            PatchType::Json => {
                patch::json_patch(&mut live, &p).map_err(|e| ApiError::new(422, "Invalid", e))?
            }
            PatchType::Apply => {}
        }
        Ok((self.replace(res, ns, name, &old, live, sub, true)?, false))
    }

    /// Deletes an object; namespaces take their objects with them, CRDs their instances.
    pub fn delete(&mut self, res: &ResourceInfo, ns: &str, name: &str) -> Result<Value, ApiError> {
        let Some(old) = self.stored(res, ns, name).cloned() else {
            return Err(ApiError::not_found(res, name));
        };
        if res.group.is_empty() && res.plural == "namespaces" {
            let keys: Vec<(String, String)> = self.objects.keys().cloned().collect();
            for key in keys {
                let names: Vec<(String, String)> = self
                    .objects
                    .get(&key)
                    .map(|b| b.keys().filter(|(o_ns, _)| o_ns == name).cloned().collect())
                    .unwrap_or_default();
                for (o_ns, o_name) in names {
                    if let Some(r) = self.registry.find_any_version(&key.0, &key.1).cloned() {
                        self.remove(&r, &o_ns, &o_name);
                    }
                }
            }
        }
        if res.group == "apiextensions.k8s.io" && res.plural == "customresourcedefinitions" {
            if let Some(served) = self.registry.find_any_version(
                old.pointer("/spec/group")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                old.pointer("/spec/names/plural")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            ) {
                let served = served.clone();
                let names: Vec<(String, String)> = self
                    .bucket(&served)
                    .map(|b| b.keys().cloned().collect())
                    .unwrap_or_default();
                for (o_ns, o_name) in names {
                    self.remove(&served, &o_ns, &o_name);
                }
                self.objects.remove(&served.storage_key());
            }
            self.registry.unregister_crd(name);
        }
        let gone = self.remove(res, ns, name).unwrap_or(old);
        let uid = meta_str(&gone, "uid").to_owned();
        // Resources deleted through a finalizer-driven strategy answer with the object.
        if (res.group.is_empty() && matches!(res.plural.as_str(), "namespaces" | "pods"))
            || res.plural == "customresourcedefinitions"
        {
            return Ok(gone);
        }
        Ok(success_status(res, name, &uid))
    }

    fn remove(&mut self, res: &ResourceInfo, ns: &str, name: &str) -> Option<Value> {
        let mut obj = self
            .objects
            .get_mut(&res.storage_key())?
            .remove(&(ns.to_owned(), name.to_owned()))?;
        self.applied.retain(|(g, p, n, o, _), _| {
            !(*g == res.group && *p == res.plural && n == ns && o == name)
        });
        self.rv += 1;
        metadata_mut(&mut obj).insert("resourceVersion".into(), json!(self.rv.to_string()));
        let shown = Store::present(res, &obj);
        self.push_event("DELETED", res, ns, shown.clone());
        Some(shown)
    }

    /// `DELETE` on a collection: removes every match and answers with the list of them.
    pub fn delete_collection(
        &mut self,
        res: &ResourceInfo,
        ns: Option<&str>,
        opts: &ListOptions,
    ) -> Result<Value, ApiError> {
        let victims = self.matching(res, ns, opts);
        let mut items = Vec::new();
        for v in victims {
            let (o_ns, o_name) = (
                meta_str(&v, "namespace").to_owned(),
                meta_str(&v, "name").to_owned(),
            );
            if let Some(gone) = self.remove(res, &o_ns, &o_name) {
                items.push(gone);
            }
        }
        Ok(json!({
            "apiVersion": res.api_version(),
            "kind": format!("{}List", res.kind),
            "metadata": {"resourceVersion": self.rv.to_string()},
            "items": items,
        }))
    }

    /// The test-side write: creates or replaces the object as given (status included),
    /// without the HTTP rules (namespace need not exist, no precondition).
    pub fn seed(&mut self, obj: Value) -> Result<Value, String> {
        let api_version = obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        let res = self.resource_for_kind(api_version, kind).ok_or_else(|| {
            format!("the fake cluster serves no kind {kind:?} in {api_version:?}")
        })?;
        let name = meta_str(&obj, "name").to_owned();
        let ns = if res.namespaced {
            match meta_str(&obj, "namespace") {
                "" => "default".to_owned(),
                n => n.to_owned(),
            }
        } else {
            String::new()
        };
        let result = match self.stored(&res, &ns, &name).cloned() {
            Some(old) => self.replace(&res, &ns, &name, &old, obj, Sub::Main, false),
            None => self.create(&res, &ns, obj, false),
        };
        result.map_err(|e| e.message)
    }

    /// Removes an object by kind (test side). Returns whether it existed.
    pub fn unseed(
        &mut self,
        api_version: &str,
        kind: &str,
        ns: &str,
        name: &str,
    ) -> Result<bool, String> {
        let res = self.resource_for_kind(api_version, kind).ok_or_else(|| {
            format!("the fake cluster serves no kind {kind:?} in {api_version:?}")
        })?;
        let ns = if res.namespaced { ns } else { "" };
        match self.delete(&res, ns, name) {
            Ok(_) => Ok(true),
            Err(e) if e.code == 404 => Ok(false),
            Err(e) => Err(e.message),
        }
    }
}

/// An opaque continue token like the real server's: base64 of the list's resourceVersion
/// and the key to start after.
fn encode_continue(rv: u64, start: &str) -> String {
    let raw = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": format!("{start}\u{0}")});
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw.to_string())
}

fn decode_continue(token: &str) -> Result<(u64, String), ApiError> {
    let bad = || {
        ApiError::bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let rv = v.get("rv").and_then(Value::as_u64).ok_or_else(bad)?;
    let start = v
        .get("start")
        .and_then(Value::as_str)
        .ok_or_else(bad)?
        .trim_end_matches('\u{0}')
        .to_owned();
    Ok((rv, start))
}
