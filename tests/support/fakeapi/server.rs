//! HTTP serving and routing: the listener (plain or TLS, HTTP/1.1 and HTTP/2), bearer-token
//! authentication, fault injection, RBAC denials, and the dispatch of discovery, OpenAPI,
//! review and resource requests to the store.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request as HttpRequest, Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::watch;

use super::discovery::{self, ResourceInfo};
use super::faults::{forbidden_message, Deny, FaultAction, Faults};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::{parse_body, ListOptions, PatchType, Store, Sub};
use super::watch::{self as watching, WatchRequest};
use super::Request;

pub type Body = BoxBody<Bytes, Infallible>;

/// State shared by the listener, every connection and the test-side handle.
pub struct Shared {
    pub store: Mutex<Store>,
    pub faults: Faults,
    pub requests: Mutex<Vec<Request>>,
    pub denies: Mutex<Vec<Deny>>,
    pub token: Option<String>,
    pub user: String,
    pub groups: Vec<String>,
    pub git_version: String,
    /// Bumped after every write, so watches wake up.
    pub changed: watch::Sender<u64>,
    /// Bumped when connections must close (cluster dropped or made unreachable).
    pub epoch: watch::Sender<u64>,
    /// False while the cluster is unreachable; the listener is closed then.
    pub reachable: watch::Sender<bool>,
    /// True once the cluster handle is dropped.
    pub shutdown: watch::Sender<bool>,
    pub addr: SocketAddr,
    pub tls: bool,
    /// How Services answer through the service proxy (see `proxy.rs`).
    pub proxies: Mutex<Vec<super::proxy::ProxyRoute>>,
}

impl Shared {
    /// The store, recovering from a poisoned lock (a panicking test thread must not wedge
    /// every other request).
    pub fn lock_store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn notify(&self) {
        let rv = self.lock_store().resource_version();
        self.changed.send_replace(rv);
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug)]
pub struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DroppedConnection {}

fn full(code: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()).boxed());
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn json_response(code: u16, v: &Value) -> Response<Body> {
    full(code, "application/json", v.to_string())
}

fn error_response(e: &ApiError) -> Response<Body> {
    json_response(e.code, &e.to_status())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decoded query parameters, in order.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

fn param<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn truthy(v: Option<&str>) -> bool {
    matches!(v, Some("true" | "1"))
}

/// Answers one HTTP request.
pub async fn handle(
    shared: Arc<Shared>,
    req: HttpRequest<Incoming>,
) -> Result<Response<Body>, DroppedConnection> {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let content_type = header("content-type");
    let authorization = header("authorization");
    if let Ok(mut log) = shared.requests.lock() {
        log.push(Request {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            content_type: content_type.clone(),
            user_agent: header("user-agent"),
        });
    }
    match shared.faults.take(&method, &path) {
        Some(FaultAction::Status(code)) => {
            let (reason, message) = match code {
                500 => ("InternalError", "Internal error occurred: injected fault".to_owned()),
                503 => ("ServiceUnavailable", "the server is currently unable to handle the request".to_owned()),
                504 => ("Timeout", "the server was unable to return a response in the time allotted, but may still be processing the request".to_owned()),
                404 => ("NotFound", "the server could not find the requested resource".to_owned()),
                409 => ("Conflict", "the server reported a conflict".to_owned()),
                _ => ("InternalError", format!("injected fault with status {code}")),
            };
            return Ok(error_response(&ApiError::new(code, reason, message)));
        }
        Some(FaultAction::TooManyRequests { retry_after_secs }) => {
            let mut e = ApiError::new(
                429,
                "TooManyRequests",
                "the server has received too many requests and has asked us to try again later",
            );
            e.details = Some(json!({"retryAfterSeconds": retry_after_secs}));
            let mut r = error_response(&e);
            if let Ok(v) = retry_after_secs.to_string().parse() {
                r.headers_mut().insert(hyper::header::RETRY_AFTER, v);
            }
            return Ok(r);
        }
        Some(FaultAction::Delay(d)) => tokio::time::sleep(d).await,
        Some(FaultAction::DropConnection) => return Err(DroppedConnection),
        None => {}
    }
    if let Some(token) = &shared.token {
        let given = authorization
            .strip_prefix("Bearer ")
            .unwrap_or_default()
            .trim();
        if given != token {
            return Ok(error_response(&ApiError::new(
                401,
                "Unauthorized",
                "Unauthorized",
            )));
        }
    }
    if let Some(answer) = super::proxy::handle(&shared, &method, &path).await {
        return Ok(match answer {
            Ok((code, body)) => full(code, "application/json", body),
            Err(e) => error_response(&e),
        });
    }
    let mut body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(DroppedConnection),
    };
    if content_type.starts_with("application/vnd.kubernetes.protobuf") {
        match super::protobuf::decode(&body) {
            Ok(v) => body = Bytes::from(v.to_string()),
            Err(e) => {
                return Ok(error_response(&ApiError::new(
                    415,
                    "UnsupportedMediaType",
                    e,
                )))
            }
        }
    } else if content_type.contains("protobuf") || content_type.contains("cbor") {
        return Ok(error_response(&ApiError::new(
            415,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {content_type})"),
        )));
    }
    let q = parse_query(&query);
    match route(&shared, &method, &path, &q, &content_type, &body) {
        Ok(Reply::Json(code, v)) => Ok(json_response(code, &v)),
        Ok(Reply::Text(v)) => Ok(full(200, "text/plain; charset=utf-8", v)),
        Ok(Reply::Watch(w)) => {
            let rx = watching::start(shared.clone(), *w);
            let stream = futures::stream::unfold(rx, |mut rx| async move {
                rx.recv()
                    .await
                    .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
            });
            let mut r = Response::new(BodyExt::boxed(StreamBody::new(stream)));
            if let Ok(v) = "application/json".parse() {
                r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
            }
            Ok(r)
        }
        Err(e) => Ok(error_response(&e)),
    }
}

pub enum Reply {
    Json(u16, Value),
    Text(String),
    Watch(Box<WatchRequest>),
}

fn route(
    shared: &Arc<Shared>,
    method: &str,
    path: &str,
    q: &[(String, String)],
    content_type: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let get_only = |r: Reply| {
        if method == "GET" {
            Ok(r)
        } else {
            Err(ApiError::method_not_allowed())
        }
    };
    match segs.as_slice() {
        [] => get_only(Reply::Json(
            200,
            json!({"paths": ["/api", "/api/v1", "/apis", "/openapi/v3", "/version", "/healthz", "/livez", "/readyz"]}),
        )),
        ["version"] => get_only(Reply::Json(200, version_info(&shared.git_version))),
        ["healthz" | "livez" | "readyz"] => get_only(Reply::Text("ok".into())),
        ["api"] => get_only(Reply::Json(
            200,
            shared
                .lock_store()
                .registry
                .api_versions(&shared.addr.to_string()),
        )),
        ["apis"] => get_only(Reply::Json(
            200,
            shared.lock_store().registry.api_group_list(),
        )),
        ["apis", group] => {
            let g = shared.lock_store().registry.api_group(group);
            get_only(Reply::Json(200, g.ok_or_else(ApiError::no_route)?))
        }
        ["api", "v1"] => {
            let l = shared.lock_store().registry.resource_list("", "v1");
            get_only(Reply::Json(200, l.ok_or_else(ApiError::no_route)?))
        }
        ["apis", group, version] => {
            let l = shared.lock_store().registry.resource_list(group, version);
            get_only(Reply::Json(200, l.ok_or_else(ApiError::no_route)?))
        }
        ["openapi", "v3"] => get_only(Reply::Json(
            200,
            shared.lock_store().registry.openapi_v3_root(),
        )),
        ["openapi", "v3", "api", version] => {
            let store = shared.lock_store();
            if store.registry.resource_list("", version).is_none() {
                return Err(ApiError::no_route());
            }
            get_only(Reply::Json(
                200,
                store.registry.openapi_v3_group_version("", version),
            ))
        }
        ["openapi", "v3", "apis", group, version] => {
            let store = shared.lock_store();
            if store.registry.resource_list(group, version).is_none() {
                return Err(ApiError::no_route());
            }
            get_only(Reply::Json(
                200,
                store.registry.openapi_v3_group_version(group, version),
            ))
        }
        ["api", "v1", rest @ ..] => {
            resource_request(shared, method, "", "v1", rest, q, content_type, body)
        }
        ["apis", group, version, rest @ ..] => {
            resource_request(shared, method, group, version, rest, q, content_type, body)
        }
        _ => Err(ApiError::no_route()),
    }
}

fn version_info(git_version: &str) -> Value {
    let trimmed = git_version.trim_start_matches('v');
    let mut parts = trimmed.split('.');
    let major = parts.next().unwrap_or("1");
    let minor = parts.next().unwrap_or("35");
    json!({
        "major": major,
        "minor": minor,
        "emulationMajor": major,
        "emulationMinor": minor,
        "gitVersion": git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-12-17T00:00:00Z",
        "goVersion": "go1.25.5",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

fn list_options(q: &[(String, String)], plural: &str) -> Result<ListOptions, ApiError> {
    let labels = match param(q, "labelSelector") {
        Some(s) if !s.is_empty() => LabelSelector::parse(s).map_err(ApiError::bad_request)?,
        _ => LabelSelector::default(),
    };
    let fields = match param(q, "fieldSelector") {
        Some(s) if !s.is_empty() => {
            FieldSelector::parse(s, plural).map_err(ApiError::bad_request)?
        }
        _ => FieldSelector::default(),
    };
    let limit = match param(q, "limit") {
        Some(l) if !l.is_empty() => Some(
            l.parse::<usize>()
                .map_err(|_| ApiError::bad_request(format!("invalid limit: {l}")))?,
        ),
        _ => None,
    };
    Ok(ListOptions {
        labels,
        fields,
        limit,
        continue_token: param(q, "continue").map(str::to_owned),
    })
}

/// The verb RBAC sees for a request.
fn verb_of(method: &str, has_name: bool, watch: bool) -> &'static str {
    match (method, has_name) {
        ("GET", _) if watch => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "unknown",
    }
}

#[allow(clippy::too_many_arguments)]
fn resource_request(
    shared: &Arc<Shared>,
    method: &str,
    group: &str,
    version: &str,
    rest: &[&str],
    q: &[(String, String)],
    content_type: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    // `/api/v1/namespaces/<ns>/<plural>…` is namespaced, except the namespace's own
    // subresources `/api/v1/namespaces/<name>/status|finalize`.
    let (namespace, tail): (Option<&str>, &[&str]) = match rest {
        ["namespaces", _] | ["namespaces", _, "status" | "finalize"] if group.is_empty() => {
            (None, rest)
        }
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some(*ns), tail),
        _ => (None, rest),
    };
    let (plural, name, sub) = match tail {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some(*name), None),
        [plural, name, sub] => (*plural, Some(*name), Some(*sub)),
        _ => return Err(ApiError::no_route()),
    };
    let res = shared
        .lock_store()
        .resource(group, version, plural)
        .ok_or_else(ApiError::no_route)?;
    if !res.namespaced && namespace.is_some() {
        return Err(ApiError::no_route());
    }
    if res.namespaced && namespace.is_none() && name.is_some() {
        return Err(ApiError::no_route());
    }
    let sub = match sub {
        None => Sub::Main,
        Some("status") if res.has_status() => Sub::Status,
        Some(_) => return Err(ApiError::no_route()),
    };
    let watch = truthy(param(q, "watch"));
    let verb = verb_of(method, name.is_some(), watch);
    let ns_str = namespace.unwrap_or_default();
    let rbac_resource = if sub == Sub::Status {
        format!("{plural}/status")
    } else {
        plural.to_owned()
    };
    let denied = shared
        .denies
        .lock()
        .map(|d| {
            d.iter()
                .any(|d| d.matches(verb, group, &rbac_resource, ns_str))
        })
        .unwrap_or(false);
    if denied {
        let mut e = ApiError::new(
            403,
            "Forbidden",
            forbidden_message(
                &shared.user,
                verb,
                group,
                &rbac_resource,
                name.unwrap_or_default(),
                ns_str,
            ),
        );
        let mut d = json!({"kind": plural});
        if let Some(n) = name {
            d["name"] = json!(n);
        }
        if !group.is_empty() {
            d["group"] = json!(group);
        }
        e.details = Some(d);
        return Err(e);
    }
    if discovery::is_review(group, plural) {
        if method != "POST" || name.is_some() {
            return Err(ApiError::method_not_allowed());
        }
        return review(shared, &res, body);
    }
    let reply = match (method, name) {
        ("GET", _) if watch => {
            let mut opts = list_options(q, plural)?;
            if let Some(n) = name {
                opts.fields = FieldSelector::parse(&format!("metadata.name={n}"), plural)
                    .map_err(ApiError::bad_request)?;
            }
            let rv = match param(q, "resourceVersion") {
                Some(v) if !v.is_empty() => Some(v.parse::<u64>().map_err(|_| {
                    ApiError::bad_request(format!("invalid resource version: {v}"))
                })?),
                _ => None,
            };
            let timeout = param(q, "timeoutSeconds")
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(1800);
            return Ok(Reply::Watch(Box::new(WatchRequest {
                res,
                namespace: namespace.map(str::to_owned),
                opts,
                resource_version: rv,
                timeout: Duration::from_secs(timeout),
                send_initial_events: truthy(param(q, "sendInitialEvents")),
            })));
        }
        ("GET", Some(n)) => Reply::Json(200, shared.lock_store().get(&res, ns_str, n)?),
        ("GET", None) => {
            let opts = list_options(q, plural)?;
            Reply::Json(200, shared.lock_store().list(&res, namespace, &opts)?)
        }
        ("POST", None) => {
            let obj = parse_body(body, false)?;
            if dry_run(q) {
                return Ok(Reply::Json(201, Store::present(&res, &obj)));
            }
            Reply::Json(201, shared.lock_store().create(&res, ns_str, obj, true)?)
        }
        ("PUT", Some(n)) => {
            let obj = parse_body(body, false)?;
            if dry_run(q) {
                return Ok(Reply::Json(200, Store::present(&res, &obj)));
            }
            Reply::Json(200, shared.lock_store().update(&res, ns_str, n, obj, sub)?)
        }
        ("PATCH", Some(n)) => {
            let ptype = PatchType::from_content_type(content_type).ok_or_else(|| {
                ApiError::new(415, "UnsupportedMediaType", format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {content_type})"))
            })?;
            if ptype == PatchType::Apply && param(q, "fieldManager").is_none_or(str::is_empty) {
                return Err(ApiError::bad_request(
                    "PATCH, fieldManager: Required value: is required for apply patch",
                ));
            }
            if dry_run(q) {
                return Ok(Reply::Json(200, shared.lock_store().get(&res, ns_str, n)?));
            }
            let manager = param(q, "fieldManager").unwrap_or("unknown");
            let (obj, created) = shared
                .lock_store()
                .patch(&res, ns_str, n, ptype, body, sub, manager)?;
            Reply::Json(if created { 201 } else { 200 }, obj)
        }
        ("DELETE", Some(n)) => Reply::Json(200, shared.lock_store().delete(&res, ns_str, n)?),
        ("DELETE", None) => {
            let opts = list_options(q, plural)?;
            Reply::Json(
                200,
                shared
                    .lock_store()
                    .delete_collection(&res, namespace, &opts)?,
            )
        }
        _ => return Err(ApiError::method_not_allowed()),
    };
    shared.notify();
    Ok(reply)
}

fn dry_run(q: &[(String, String)]) -> bool {
    param(q, "dryRun").is_some_and(|v| v == "All")
}

/// SelfSubjectReview answers with the token's user; SelfSubjectAccessReview answers from
/// the RBAC denials.
fn review(shared: &Arc<Shared>, res: &ResourceInfo, body: &[u8]) -> Result<Reply, ApiError> {
    let mut obj = parse_body(body, false)?;
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request was not an object",
        ));
    }
    obj["apiVersion"] = json!(res.api_version());
    obj["kind"] = json!(res.kind);
    if obj.get("metadata").is_none_or(|m| !m.is_object()) {
        obj["metadata"] = json!({});
    }
    obj["metadata"]["creationTimestamp"] = Value::Null;
    if res.plural == "selfsubjectreviews" {
        obj["status"] = json!({"userInfo": {"username": shared.user, "groups": shared.groups}});
    } else {
        let attr = obj
            .pointer("/spec/resourceAttributes")
            .cloned()
            .unwrap_or(json!({}));
        let s = |k: &str| {
            attr.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let mut resource = s("resource");
        if !s("subresource").is_empty() {
            resource = format!("{resource}/{}", s("subresource"));
        }
        let denied = shared
            .denies
            .lock()
            .map(|d| {
                d.iter()
                    .any(|d| d.matches(&s("verb"), &s("group"), &resource, &s("namespace")))
            })
            .unwrap_or(false);
        obj["status"] = if denied {
            json!({"allowed": false, "denied": true})
        } else {
            json!({"allowed": true})
        };
    }
    Ok(Reply::Json(201, obj))
}
