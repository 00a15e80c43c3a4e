//! [`Cluster`]: a kube client for one [`Target`] with a generic object API over
//! `serde_json::Value` (get, list with paging and selectors, create, replace, patch, delete)
//! that resolves `apiVersion` + `kind` to a resource through discovery (cached per cluster).
//!
//! Every request goes through [`Cluster::request`], which runs the [`RetryPolicy`] loop and
//! classifies failures into [`ClusterError`]s that name the context and the action. Requests
//! are built with kube's request builder and sent raw, so the loop sees status codes and
//! `Retry-After` headers itself (kube's own retry layer is switched off in
//! [`super::config`] so nothing is retried twice).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use kube::core::params::{
    DeleteParams, GetParams, ListParams, Patch as KubePatch, PatchParams, PostParams,
};
use kube::core::Request;
use rand::Rng;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::config::Target;
use super::error::ClusterError;
use super::release::Driver;
use super::retry::{parse_retry_after, Decision, Failure, RetryPolicy};

/// Page size for lists: small enough for busy API servers, large enough to be quick.
pub const DEFAULT_PAGE_SIZE: u32 = 500;

/// One API resource as discovery describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    /// `v1`, `apps/v1`, `coordination.k8s.io/v1`.
    pub api_version: String,
    /// Empty for the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The URL segment (`secrets`, `customresourcedefinitions`).
    pub plural: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl ResourceInfo {
    /// The collection URL: `/api/v1/namespaces/ns/secrets`, `/apis/g/v/plural`, … For
    /// namespaced resources `None` means all namespaces.
    pub fn collection_path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.plural),
            _ => format!("{base}/{}", self.plural),
        }
    }
}

/// Which objects a list returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// One namespace, or all namespaces when `None` (ignored for cluster-scoped kinds).
    pub namespace: Option<String>,
    /// Label selector (`owner=helm,name=app`).
    pub label_selector: Option<String>,
    /// Field selector (`metadata.name=x`).
    pub field_selector: Option<String>,
    /// Page size (`limit`); [`DEFAULT_PAGE_SIZE`] when `None`.
    pub page_size: Option<u32>,
}

impl ListQuery {
    /// All objects of one namespace.
    pub fn namespace(ns: &str) -> Self {
        ListQuery {
            namespace: Some(ns.to_string()),
            ..ListQuery::default()
        }
    }

    /// All objects in all namespaces (or a cluster-scoped kind).
    pub fn all() -> Self {
        ListQuery::default()
    }

    /// Adds a label selector.
    pub fn labels(mut self, selector: &str) -> Self {
        self.label_selector = Some(selector.to_string());
        self
    }
}

/// A patch and its content type.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch {
    /// `application/merge-patch+json` (RFC 7386).
    Merge(Value),
    /// `application/json-patch+json` (RFC 6902): a list of operations.
    Json(Value),
    /// Server-side apply (`application/apply-patch+yaml`) with a field manager.
    Apply {
        object: Value,
        field_manager: String,
        force: bool,
    },
}

/// Field manager used for our writes (shown in `managedFields`).
pub const FIELD_MANAGER: &str = "kubectl-opm";

/// A connected cluster: one context, its namespace and a client.
#[derive(Clone)]
pub struct Cluster {
    /// The kubeconfig context (or `in-cluster`).
    pub context: String,
    /// The namespace resolved for this target.
    pub namespace: String,
    /// The API server URL (for messages).
    pub server: String,
    /// The raw kube client, for what the generic API does not cover.
    pub client: kube::Client,
    /// Helm's storage driver for releases here.
    pub driver: Driver,
    policy: RetryPolicy,
    request_timeout: Option<Duration>,
    discovery: Arc<Mutex<HashMap<String, Arc<Vec<ResourceInfo>>>>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("context", &self.context)
            .field("namespace", &self.namespace)
            .field("server", &self.server)
            .finish()
    }
}

/// Builds a client for a target. No request is made: an unreachable server shows on the
/// first call. Call it from code running on a tokio runtime (inside the command's
/// `block_on`): the client's connection worker is spawned on that runtime, so connect and
/// use a `Cluster` within one runtime. Outside a runtime this is an error, not a panic.
pub fn connect(target: &Target) -> Result<Cluster, ClusterError> {
    Cluster::connect(target)
}

impl Cluster {
    /// Builds a client for a target (see [`connect`]).
    pub fn connect(target: &Target) -> Result<Cluster, ClusterError> {
        // kube's client spawns its request buffer on the current runtime and would panic
        // without one.
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ClusterError::Config {
                message: format!(
                    "context \"{}\": a cluster client can only be built inside a tokio runtime",
                    target.context
                ),
            });
        }
        let client =
            kube::Client::try_from(target.config.clone()).map_err(|e| ClusterError::Config {
                message: format!(
                    "context \"{}\": cannot build a client for {}: {e}",
                    target.context,
                    target.server()
                ),
            })?;
        Ok(Cluster {
            context: target.context.clone(),
            namespace: target.namespace.clone(),
            server: target.server(),
            client,
            driver: target.driver,
            policy: RetryPolicy::default(),
            request_timeout: target.request_timeout.filter(|t| !t.is_zero()),
            discovery: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// Replaces the retry policy (tests use short budgets).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets the per-request time limit.
    pub fn with_request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout.filter(|t| !t.is_zero());
        self
    }

    /// The retry policy in use.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.policy
    }

    /// Sends one request through the retry policy and returns the successful body.
    /// `action` names what is being done, for error messages.
    pub async fn request(
        &self,
        action: &str,
        request: http::Request<Vec<u8>>,
    ) -> Result<Vec<u8>, ClusterError> {
        let (parts, body) = request.into_parts();
        let started = Instant::now();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let mut builder = http::Request::builder()
                .method(parts.method.clone())
                .uri(parts.uri.clone());
            for (name, value) in &parts.headers {
                builder = builder.header(name, value);
            }
            let req = builder
                .body(kube::client::Body::from(body.clone()))
                .map_err(|e| self.invalid(action, e.to_string()))?;
            let outcome = self.attempt(req).await;
            let (failure, retry_after, err) = match outcome {
                Ok(Reply::Ok(bytes)) => return Ok(bytes),
                Ok(Reply::Status {
                    code,
                    retry_after,
                    message,
                }) => (
                    Failure::Status(code),
                    retry_after,
                    self.status_error(action, code, message),
                ),
                Err(AttemptError::Timeout) => (
                    Failure::Timeout,
                    None,
                    ClusterError::Timeout {
                        context: self.context.clone(),
                        action: action.to_string(),
                        after: self.request_timeout.unwrap_or_default(),
                        attempts: attempt,
                    },
                ),
                Err(AttemptError::Connection(message)) => (
                    Failure::Connection,
                    None,
                    ClusterError::Unreachable {
                        context: self.context.clone(),
                        server: self.server.clone(),
                        action: action.to_string(),
                        message,
                    },
                ),
                Err(AttemptError::Final(err)) => return Err(err),
            };
            let jitter: f64 = rand::thread_rng().gen_range(0.0..=1.0);
            match self
                .policy
                .decide(attempt, started.elapsed(), failure, retry_after, jitter)
            {
                Decision::RetryAfter(delay) => tokio::time::sleep(delay).await,
                Decision::Fail => return Err(err),
                Decision::Exhausted => {
                    return Err(match (failure, err) {
                        (
                            Failure::Timeout,
                            ClusterError::Timeout {
                                context,
                                action,
                                after,
                                ..
                            },
                        ) => ClusterError::Timeout {
                            context,
                            action,
                            after,
                            attempts: attempt,
                        },
                        (Failure::Connection, e) => e,
                        (_, e) => ClusterError::BudgetExhausted {
                            context: self.context.clone(),
                            action: action.to_string(),
                            attempts: attempt,
                            elapsed: started.elapsed(),
                            last: last_words(&e),
                        },
                    })
                }
            }
        }
    }

    async fn attempt(&self, req: http::Request<kube::client::Body>) -> Result<Reply, AttemptError> {
        let exchange = async {
            let res = self.client.send(req).await.map_err(classify_transport)?;
            let status = res.status().as_u16();
            let retry_after = res
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            let bytes = res
                .into_body()
                .collect_bytes()
                .await
                .map_err(|e| AttemptError::Connection(e.to_string()))?
                .to_vec();
            if (200..300).contains(&status) {
                return Ok(Reply::Ok(bytes));
            }
            Ok(Reply::Status {
                code: status,
                retry_after,
                message: status_message(&bytes),
            })
        };
        match self.request_timeout {
            Some(limit) => match tokio::time::timeout(limit, exchange).await {
                Ok(r) => r,
                Err(_) => Err(AttemptError::Timeout),
            },
            None => exchange.await,
        }
    }

    fn status_error(&self, action: &str, code: u16, message: String) -> ClusterError {
        let context = self.context.clone();
        let action = action.to_string();
        match code {
            401 => ClusterError::Unauthorized {
                context,
                action,
                message,
            },
            403 => ClusterError::Forbidden {
                context,
                action,
                message,
            },
            404 => ClusterError::NotFound {
                context,
                action,
                message,
            },
            409 => ClusterError::Conflict {
                context,
                action,
                message,
            },
            _ => ClusterError::Api {
                context,
                action,
                code,
                message,
            },
        }
    }

    fn invalid(&self, action: &str, message: String) -> ClusterError {
        ClusterError::InvalidArgument(format!(
            "context \"{}\": cannot {action}: {message}",
            self.context
        ))
    }

    fn decode_error(&self, action: &str, message: String) -> ClusterError {
        ClusterError::Decode {
            context: self.context.clone(),
            action: action.to_string(),
            message,
        }
    }

    /// A GET of any path, decoded as JSON (discovery documents, `/version`).
    pub async fn get_path(&self, path: &str) -> Result<Value, ClusterError> {
        let action = format!("get {path}");
        let req = http::Request::get(path)
            .body(Vec::new())
            .map_err(|e| self.invalid(&action, e.to_string()))?;
        let bytes = self.request(&action, req).await?;
        self.json(&action, &bytes)
    }

    fn json(&self, action: &str, bytes: &[u8]) -> Result<Value, ClusterError> {
        serde_json::from_slice(bytes).map_err(|e| {
            self.decode_error(action, format!("the API server sent invalid JSON: {e}"))
        })
    }

    /// Resolves `apiVersion` + `kind` to a resource (discovery, cached per group-version;
    /// a miss refreshes once, since CRDs may have been installed since).
    pub async fn resource(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<ResourceInfo, ClusterError> {
        for refresh in [false, true] {
            let list = self.discover(api_version, refresh).await?;
            if let Some(r) = list.iter().find(|r| r.kind == kind) {
                return Ok(r.clone());
            }
        }
        Err(ClusterError::UnknownKind {
            context: self.context.clone(),
            api_version: api_version.to_string(),
            kind: kind.to_string(),
        })
    }

    async fn discover(
        &self,
        api_version: &str,
        refresh: bool,
    ) -> Result<Arc<Vec<ResourceInfo>>, ClusterError> {
        if !refresh {
            if let Some(hit) = self.discovery.lock().await.get(api_version) {
                return Ok(hit.clone());
            }
        }
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        if version.is_empty() || api_version.matches('/').count() > 1 {
            return Err(ClusterError::InvalidArgument(format!(
                "{api_version:?} is not an apiVersion (expected v1 or group/version)"
            )));
        }
        let path = if group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{group}/{version}")
        };
        let doc = match self.get_path(&path).await {
            Ok(doc) => doc,
            // A group-version the server does not serve: no resources.
            Err(e) if e.is_not_found() => json!({"resources": []}),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for r in doc
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = r.get("name").and_then(Value::as_str).unwrap_or_default();
            // Subresources (`pods/log`) are not objects of their own.
            if name.is_empty() || name.contains('/') {
                continue;
            }
            out.push(ResourceInfo {
                api_version: api_version.to_string(),
                group: group.clone(),
                version: version.clone(),
                kind: r
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                plural: name.to_string(),
                namespaced: r
                    .get("namespaced")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                verbs: r
                    .get("verbs")
                    .and_then(Value::as_array)
                    .map(|v| {
                        v.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        let out = Arc::new(out);
        self.discovery
            .lock()
            .await
            .insert(api_version.to_string(), out.clone());
        Ok(out)
    }

    fn scoped<'a>(&'a self, info: &ResourceInfo, namespace: Option<&'a str>) -> Option<&'a str> {
        if info.namespaced {
            Some(namespace.unwrap_or(&self.namespace))
        } else {
            None
        }
    }

    /// Gets one object; `Ok(None)` when it does not exist. `namespace` defaults to the
    /// target's for namespaced kinds.
    pub async fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>, ClusterError> {
        let info = self
            .resource_for("get", api_version, kind, namespace, name)
            .await?;
        let ns = self.scoped(&info, namespace);
        let action = format!("get {}", describe(kind, ns, name));
        let req = Request::new(info.collection_path(ns))
            .get(name, &GetParams::default())
            .map_err(|e| self.invalid(&action, e.to_string()))?;
        match self.request(&action, req).await {
            Ok(bytes) => self.json(&action, &bytes).map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Lists every object matching `query`, following `continue` tokens through all pages.
    pub async fn list(
        &self,
        api_version: &str,
        kind: &str,
        query: &ListQuery,
    ) -> Result<Vec<Value>, ClusterError> {
        let info = self
            .resource(api_version, kind)
            .await
            .map_err(|e| e.with_action(&format!("list {kind} objects")))?;
        let ns = if info.namespaced {
            query.namespace.as_deref()
        } else {
            None
        };
        let action = match (info.namespaced, ns) {
            (true, Some(ns)) => format!("list {} in namespace {ns}", info.plural),
            (true, None) => format!("list {} in all namespaces", info.plural),
            (false, _) => format!("list {}", info.plural),
        };
        let path = info.collection_path(ns);
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut lp =
                ListParams::default().limit(query.page_size.unwrap_or(DEFAULT_PAGE_SIZE).max(1));
            if let Some(l) = &query.label_selector {
                lp = lp.labels(l);
            }
            if let Some(f) = &query.field_selector {
                lp = lp.fields(f);
            }
            if let Some(t) = &token {
                lp = lp.continue_token(t);
            }
            let req = Request::new(&path)
                .list(&lp)
                .map_err(|e| self.invalid(&action, e.to_string()))?;
            let bytes = self.request(&action, req).await?;
            let mut page = self.json(&action, &bytes)?;
            if let Some(Value::Array(list)) = page.get_mut("items").map(Value::take) {
                for mut item in list {
                    // Items of a list carry no apiVersion/kind; callers expect them.
                    if let Some(obj) = item.as_object_mut() {
                        obj.entry("apiVersion")
                            .or_insert_with(|| json!(info.api_version));
                        obj.entry("kind").or_insert_with(|| json!(info.kind));
                    }
                    items.push(item);
                }
            }
            token = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                return Ok(items);
            }
        }
    }

    /// Creates an object (`apiVersion`, `kind`, `metadata.namespace` read from it; the
    /// target namespace when it has none). `metadata.generateName` works too.
    pub async fn create(&self, object: &Value) -> Result<Value, ClusterError> {
        let (info, ns, name) = self.object_coordinates("create", object).await?;
        let action = format!("create {}", describe(&info.kind, ns.as_deref(), &name));
        let mut body = object.clone();
        if let (Some(ns), Some(meta)) =
            (&ns, body.get_mut("metadata").and_then(Value::as_object_mut))
        {
            meta.insert("namespace".into(), json!(ns));
        }
        let data = serde_json::to_vec(&body).map_err(|e| self.invalid(&action, e.to_string()))?;
        let req = Request::new(info.collection_path(ns.as_deref()))
            .create(&PostParams::default(), data)
            .map_err(|e| self.invalid(&action, e.to_string()))?;
        let bytes = self.request(&action, req).await?;
        self.json(&action, &bytes)
    }

    /// Replaces an object (PUT). With `metadata.resourceVersion` set the write only succeeds
    /// if nobody changed the object since (else [`ClusterError::Conflict`]).
    pub async fn replace(&self, object: &Value) -> Result<Value, ClusterError> {
        let (info, ns, name) = self.object_coordinates("replace", object).await?;
        let action = format!("replace {}", describe(&info.kind, ns.as_deref(), &name));
        if name.is_empty() {
            return Err(self.invalid(&action, "the object has no metadata.name".into()));
        }
        let mut body = object.clone();
        if let (Some(ns), Some(meta)) =
            (&ns, body.get_mut("metadata").and_then(Value::as_object_mut))
        {
            meta.insert("namespace".into(), json!(ns));
        }
        let data = serde_json::to_vec(&body).map_err(|e| self.invalid(&action, e.to_string()))?;
        let req = Request::new(info.collection_path(ns.as_deref()))
            .replace(&name, &PostParams::default(), data)
            .map_err(|e| self.invalid(&action, e.to_string()))?;
        let bytes = self.request(&action, req).await?;
        self.json(&action, &bytes)
    }

    /// Patches an object (merge, JSON or server-side apply).
    pub async fn patch(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        patch: &Patch,
    ) -> Result<Value, ClusterError> {
        let info = self
            .resource_for("patch", api_version, kind, namespace, name)
            .await?;
        let ns = self.scoped(&info, namespace);
        let action = format!("patch {}", describe(kind, ns, name));
        let path = info.collection_path(ns);
        let built = match patch {
            Patch::Merge(v) => {
                Request::new(&path).patch(name, &PatchParams::default(), &KubePatch::Merge(v))
            }
            Patch::Json(v) => {
                let ops: json_patch_ops::Ops = serde_json::from_value(v.clone())
                    .map_err(|e| self.invalid(&action, format!("not a JSON patch: {e}")))?;
                let body =
                    serde_json::to_vec(&ops.0).map_err(|e| self.invalid(&action, e.to_string()))?;
                return self
                    .raw_patch(&action, &path, name, "application/json-patch+json", body)
                    .await;
            }
            Patch::Apply {
                object,
                field_manager,
                force,
            } => {
                let mut pp = PatchParams::apply(field_manager);
                pp.force = *force;
                Request::new(&path).patch(name, &pp, &KubePatch::Apply(object))
            }
        };
        let req = built.map_err(|e| self.invalid(&action, e.to_string()))?;
        let bytes = self.request(&action, req).await?;
        self.json(&action, &bytes)
    }

    async fn raw_patch(
        &self,
        action: &str,
        path: &str,
        name: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<Value, ClusterError> {
        let req = http::Request::patch(format!("{path}/{name}"))
            .header(http::header::CONTENT_TYPE, content_type)
            .header(http::header::ACCEPT, "application/json")
            .body(body)
            .map_err(|e| self.invalid(action, e.to_string()))?;
        let bytes = self.request(action, req).await?;
        self.json(action, &bytes)
    }

    /// Deletes an object; `Ok(false)` when it was already gone. With `resource_version`,
    /// only that version is deleted (precondition), else [`ClusterError::Conflict`].
    pub async fn delete(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        resource_version: Option<&str>,
    ) -> Result<bool, ClusterError> {
        let info = self
            .resource_for("delete", api_version, kind, namespace, name)
            .await?;
        let ns = self.scoped(&info, namespace);
        let action = format!("delete {}", describe(kind, ns, name));
        let mut dp = DeleteParams::default();
        if let Some(rv) = resource_version {
            dp = dp.preconditions(kube::core::params::Preconditions {
                resource_version: Some(rv.to_string()),
                uid: None,
            });
        }
        let req = Request::new(info.collection_path(ns))
            .delete(name, &dp)
            .map_err(|e| self.invalid(&action, e.to_string()))?;
        match self.request(&action, req).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// [`Cluster::resource`] with failures told as failures of `verb` on the object.
    async fn resource_for(
        &self,
        verb: &str,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<ResourceInfo, ClusterError> {
        self.resource(api_version, kind)
            .await
            .map_err(|e| e.with_action(&format!("{verb} {}", describe(kind, namespace, name))))
    }

    async fn object_coordinates(
        &self,
        verb: &str,
        object: &Value,
    ) -> Result<(ResourceInfo, Option<String>, String), ClusterError> {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if api_version.is_empty() || kind.is_empty() {
            return Err(ClusterError::InvalidArgument(format!(
                "context \"{}\": an object to write needs apiVersion and kind",
                self.context
            )));
        }
        let meta = object.get("metadata");
        let given_ns = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str);
        let given_name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let info = self
            .resource_for(verb, api_version, kind, given_ns, given_name)
            .await?;
        let ns = if info.namespaced {
            Some(
                meta.and_then(|m| m.get("namespace"))
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .unwrap_or(&self.namespace)
                    .to_string(),
            )
        } else {
            None
        };
        let name = meta
            .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Ok((info, ns, name))
    }
}

/// Minimal typing of a JSON patch so a malformed one is refused before it is sent.
mod json_patch_ops {
    #[derive(serde::Deserialize)]
    pub struct Op {
        pub op: String,
        pub path: String,
        #[serde(flatten)]
        pub rest: serde_json::Map<String, serde_json::Value>,
    }
    #[derive(serde::Deserialize)]
    pub struct Ops(pub Vec<Op>);

    impl serde::Serialize for Op {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = self.rest.clone();
            m.insert("op".into(), self.op.clone().into());
            m.insert("path".into(), self.path.clone().into());
            m.serialize(s)
        }
    }
}

/// `Secret ops/name`, `CustomResourceDefinition name`.
pub(crate) fn describe(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

enum Reply {
    Ok(Vec<u8>),
    Status {
        code: u16,
        retry_after: Option<Duration>,
        message: String,
    },
}

enum AttemptError {
    Timeout,
    Connection(String),
    Final(ClusterError),
}

/// Transport failures: connection problems are retried; credential plugin failures are not.
fn classify_transport(e: kube::Error) -> AttemptError {
    match e {
        kube::Error::Auth(e) => AttemptError::Final(ClusterError::Config {
            message: format!("cannot get credentials from the kubeconfig: {e}"),
        }),
        kube::Error::HyperError(e) => AttemptError::Connection(full_chain(&e)),
        kube::Error::Service(e) => AttemptError::Connection(full_chain(e.as_ref())),
        other => AttemptError::Connection(full_chain(&other)),
    }
}

/// An error with its causes (`client error (Connect): tcp connect error: Connection refused`).
pub(crate) fn full_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The `message` of a `metav1.Status` body, or the body itself.
fn status_message(bytes: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        if let Some(m) = v.get("message").and_then(Value::as_str) {
            return m.to_string();
        }
    }
    let text = String::from_utf8_lossy(bytes).trim().to_string();
    if text.is_empty() {
        "(no message)".to_string()
    } else {
        text
    }
}

/// What the last failure said, for [`ClusterError::BudgetExhausted`].
fn last_words(e: &ClusterError) -> String {
    match e {
        ClusterError::Api { code, message, .. } => format!("HTTP {code}: {message}"),
        ClusterError::Unreachable { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_paths() {
        let mut r = ResourceInfo {
            api_version: "v1".into(),
            group: String::new(),
            version: "v1".into(),
            kind: "Secret".into(),
            plural: "secrets".into(),
            namespaced: true,
            verbs: vec![],
        };
        assert_eq!(
            r.collection_path(Some("ops")),
            "/api/v1/namespaces/ops/secrets"
        );
        assert_eq!(r.collection_path(None), "/api/v1/secrets");
        r.group = "apiextensions.k8s.io".into();
        r.plural = "customresourcedefinitions".into();
        r.namespaced = false;
        assert_eq!(
            r.collection_path(Some("ops")),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        );
    }

    #[test]
    fn status_messages() {
        let body = br#"{"kind":"Status","message":"secrets is forbidden: User \"bob\" cannot list resource \"secrets\" in API group \"\" in the namespace \"ops\"","code":403}"#;
        assert_eq!(
            status_message(body),
            "secrets is forbidden: User \"bob\" cannot list resource \"secrets\" in API group \"\" in the namespace \"ops\""
        );
        assert_eq!(status_message(b"  upstream down \n"), "upstream down");
        assert_eq!(status_message(b""), "(no message)");
    }
}
