//! An in-process fake Kubernetes API server for the cluster tests.
//!
//! Each [`FakeCluster`] listens on `127.0.0.1` (plain HTTP or TLS, HTTP/1.1 and HTTP/2) and
//! keeps objects in memory with the real server's semantics and wire format: discovery,
//! OpenAPI v3 as far as client-go's field validation asks, CRUD with resourceVersion
//! conflicts, label and field selectors, paging, watches, merge/JSON/strategic patches,
//! server-side apply, status subresources, CRD registration, `kind: Status` errors. The real
//! kube client, kubectl and helm 3/4 talk to it through a kubeconfig it writes.
//!
//! Every cluster of a test process runs on one shared background tokio runtime, so a test
//! can start a hundred of them cheaply ([`FakeFleet`]). The test-side API is synchronous and
//! callable from plain `#[test]` functions. Dropping a cluster stops its listener and closes
//! its connections.
//!
//! ```ignore
//! use serde_json::json;
//! use support::fakeapi::{FakeCluster, Fault, FaultAction};
//!
//! let cluster = FakeCluster::builder().tls(true).token("secret-token").build();
//! cluster.apply(json!({
//!     "apiVersion": "v1", "kind": "ConfigMap",
//!     "metadata": {"name": "settings", "namespace": "default"},
//!     "data": {"mode": "fast"},
//! }));
//! let dir = tempfile::tempdir().unwrap();
//! let kubeconfig = dir.path().join("kubeconfig");
//! support::fakeapi::write_kubeconfig(&[("prod", &cluster)], &kubeconfig).unwrap();
//! // … run the code under test with KUBECONFIG=kubeconfig …
//! cluster.faults().add(Fault::new("/configmaps", FaultAction::Status(503)));
//! cluster.forbid("list", "", "secrets", Some("default"));
//! assert!(cluster.get("v1", "ConfigMap", "default", "settings").is_some());
//! assert!(cluster.requests().iter().any(|r| r.method == "GET"));
//! ```
//!
//! Limits (kept out on purpose): no admission, defaulting or schema validation beyond
//! what is listed, no conversion between versions, no garbage collection by owner
//! references, no finalizers or `deletionTimestamp`, no managedFields; server-side apply
//! merges by the Kubernetes merge keys and forgets fields a manager stops applying, but
//! never reports field-manager conflicts.

pub mod discovery;
pub mod faults;
pub mod kubeconfig;
pub mod patch;
pub mod protobuf;
pub mod proxy;
pub mod selectors;
pub mod server;
pub mod status;
pub mod store;
pub mod tls;
pub mod watch;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch as tokio_watch;

// Each test crate uses a different subset of the re-exports.
#[allow(unused_imports)]
pub use faults::{Deny, Fault, FaultAction, Faults};
#[allow(unused_imports)]
pub use kubeconfig::{kubeconfig_yaml, write_kubeconfig};
#[allow(unused_imports)]
pub use proxy::ProxyAnswer;
use server::Shared;
use store::Store;

/// One request the server received (recorded before faults and authentication).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// The raw query string (still percent-encoded).
    pub query: String,
    pub content_type: String,
    pub user_agent: String,
}

impl Request {
    /// The decoded value of a query parameter.
    pub fn param(&self, key: &str) -> Option<String> {
        server::parse_query(&self.query)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// The runtime every fake cluster of this process runs on.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(3)
            .thread_name("fake-apiserver")
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("cannot start the fake API server runtime: {e}"),
        }
    })
}

/// Options for [`FakeCluster`]; see [`FakeCluster::builder`].
#[derive(Clone, Debug)]
pub struct FakeClusterBuilder {
    tls: bool,
    token: Option<String>,
    user: String,
    groups: Vec<String>,
    namespace: Option<String>,
    git_version: String,
}

impl Default for FakeClusterBuilder {
    fn default() -> Self {
        FakeClusterBuilder {
            tls: false,
            token: None,
            user: "kubernetes-admin".to_owned(),
            groups: vec![
                "kubeadm:cluster-admins".to_owned(),
                "system:authenticated".to_owned(),
            ],
            namespace: None,
            git_version: "v1.35.0".to_owned(),
        }
    }
}

impl FakeClusterBuilder {
    /// Serve HTTPS with the process-wide test CA (in the kubeconfig as CA data).
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// Require `Authorization: Bearer <token>` (401 otherwise); the kubeconfig carries it.
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// The user name the token authenticates as (SelfSubjectReview, 403 messages).
    pub fn user(mut self, user: &str) -> Self {
        self.user = user.to_owned();
        self
    }

    /// The user's groups (SelfSubjectReview).
    pub fn groups(mut self, groups: &[&str]) -> Self {
        self.groups = groups.iter().map(|g| (*g).to_owned()).collect();
        self
    }

    /// The namespace the kubeconfig context selects.
    pub fn namespace(mut self, ns: &str) -> Self {
        self.namespace = Some(ns.to_owned());
        self
    }

    /// The `gitVersion` `/version` reports (default `v1.35.0`).
    pub fn kube_version(mut self, git_version: &str) -> Self {
        self.git_version = git_version.to_owned();
        self
    }

    /// Starts the cluster. Panics when no local port can be bound (a test environment
    /// problem, not something tests handle).
    pub fn build(self) -> FakeCluster {
        let std_listener = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("fake API server: cannot bind 127.0.0.1: {e}"),
        };
        let addr = match std_listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic!("fake API server: no local address: {e}"),
        };
        if let Err(e) = std_listener.set_nonblocking(true) {
            panic!("fake API server: cannot make the listener non-blocking: {e}");
        }
        if self.tls {
            // Generate the certificates here, not on the first connection.
            let _ = tls::tls();
        }
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new()),
            faults: Faults::default(),
            requests: Mutex::new(Vec::new()),
            denies: Mutex::new(Vec::new()),
            token: self.token,
            user: self.user,
            groups: self.groups,
            git_version: self.git_version,
            changed: tokio_watch::channel(0).0,
            epoch: tokio_watch::channel(0).0,
            reachable: tokio_watch::channel(true).0,
            shutdown: tokio_watch::channel(false).0,
            addr,
            tls: self.tls,
            proxies: Mutex::new(Vec::new()),
        });
        let task_shared = shared.clone();
        runtime().spawn(async move {
            match TcpListener::from_std(std_listener) {
                Ok(listener) => accept_loop(task_shared, listener).await,
                Err(e) => eprintln!("fake API server: cannot register the listener: {e}"),
            }
        });
        FakeCluster {
            shared,
            namespace: self.namespace,
        }
    }
}

/// Accepts connections until shutdown; while unreachable the listener is closed (connects
/// are refused) and reopened on the same port afterwards.
async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    let mut listener = Some(listener);
    let mut reachable = shared.reachable.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        if *shutdown.borrow() {
            return;
        }
        if !*reachable.borrow_and_update() {
            listener = None;
            tokio::select! {
                _ = reachable.changed() => {}
                _ = shutdown.changed() => return,
            }
            continue;
        }
        let current = match listener.take() {
            Some(l) => l,
            None => match rebind(shared.addr) {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("fake API server: cannot reopen {}: {e}", shared.addr);
                    return;
                }
            },
        };
        tokio::select! {
            accepted = current.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(serve_connection(shared.clone(), stream));
                }
                listener = Some(current);
            }
            _ = reachable.changed() => {
                // Dropping `current` closes the port.
            }
            _ = shutdown.changed() => return,
        }
    }
}

fn rebind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn serve_connection(shared: Arc<Shared>, stream: tokio::net::TcpStream) {
    let mut epoch = shared.epoch.subscribe();
    epoch.borrow_and_update();
    let _ = stream.set_nodelay(true);
    let svc_shared = shared.clone();
    let service = hyper::service::service_fn(move |req| server::handle(svc_shared.clone(), req));
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    if shared.tls {
        let acceptor = tokio_rustls::TlsAcceptor::from(tls::tls().server_config.clone());
        let Ok(tls_stream) = acceptor.accept(stream).await else {
            return;
        };
        let conn = builder.serve_connection(TokioIo::new(tls_stream), service);
        tokio::select! {
            _ = conn => {}
            _ = epoch.changed() => {}
        }
    } else {
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        tokio::select! {
            _ = conn => {}
            _ = epoch.changed() => {}
        }
    }
}

/// A running fake API server. See the module documentation.
pub struct FakeCluster {
    shared: Arc<Shared>,
    namespace: Option<String>,
}

impl FakeCluster {
    /// A plain-HTTP cluster without authentication.
    pub fn start() -> FakeCluster {
        FakeCluster::builder().build()
    }

    pub fn builder() -> FakeClusterBuilder {
        FakeClusterBuilder::default()
    }

    /// `http://127.0.0.1:<port>` or `https://…`.
    pub fn url(&self) -> String {
        self.shared.url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    pub fn is_tls(&self) -> bool {
        self.shared.tls
    }

    pub fn token(&self) -> Option<&str> {
        self.shared.token.as_deref()
    }

    pub fn user(&self) -> &str {
        &self.shared.user
    }

    pub fn default_namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The CA certificate (PEM) TLS clusters are signed by.
    pub fn ca_pem(&self) -> &'static str {
        &tls::tls().ca_pem
    }

    /// A kubeconfig with this cluster as its only (and current) context.
    pub fn kubeconfig_yaml(&self, context: &str) -> String {
        kubeconfig_yaml(&[(context, self)])
    }

    /// Creates or replaces an object as given, status included (no HTTP rules: the
    /// namespace need not exist, no resourceVersion check). Bumps the resourceVersion,
    /// notifies watches, registers CRDs. Returns the stored object. Panics on a kind the
    /// cluster does not serve (register its CRD first).
    pub fn apply(&self, obj: Value) -> Value {
        let result = self.shared.lock_store().seed(obj);
        self.shared.notify();
        match result {
            Ok(v) => v,
            Err(e) => panic!("fake cluster apply: {e}"),
        }
    }

    /// The stored object, presented at `api_version`.
    pub fn get(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let store = self.shared.lock_store();
        let res = store.resource_for_kind(api_version, kind)?;
        let ns = if res.namespaced { namespace } else { "" };
        store.get(&res, ns, name).ok()
    }

    /// All objects of a kind, in one namespace (or all with `""`), by namespace and name.
    pub fn list(&self, api_version: &str, kind: &str, namespace: &str) -> Vec<Value> {
        let store = self.shared.lock_store();
        let Some(res) = store.resource_for_kind(api_version, kind) else {
            return Vec::new();
        };
        let ns = (!namespace.is_empty() && res.namespaced).then_some(namespace);
        store.matching(&res, ns, &store::ListOptions::default())
    }

    /// Deletes an object (with the namespace/CRD cascades). Returns whether it existed.
    pub fn delete(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> bool {
        let result = self
            .shared
            .lock_store()
            .unseed(api_version, kind, namespace, name);
        self.shared.notify();
        match result {
            Ok(existed) => existed,
            Err(e) => panic!("fake cluster delete: {e}"),
        }
    }

    /// The newest resourceVersion handed out.
    pub fn resource_version(&self) -> u64 {
        self.shared.lock_store().resource_version()
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.shared
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        if let Ok(mut r) = self.shared.requests.lock() {
            r.clear();
        }
    }

    /// The fault injector.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Denies `verb` on `group`/`resource` (e.g. `"deployments/status"`) in `namespace`
    /// (everywhere when `None`): 403 with the real message, and SelfSubjectAccessReview
    /// answers `allowed: false`. `"*"` matches any verb or resource.
    pub fn forbid(&self, verb: &str, group: &str, resource: &str, namespace: Option<&str>) {
        if let Ok(mut d) = self.shared.denies.lock() {
            d.push(Deny {
                verb: verb.to_owned(),
                group: group.to_owned(),
                resource: resource.to_owned(),
                namespace: namespace.map(str::to_owned),
            });
        }
    }

    /// Makes Service `namespace/service` answer `answer` through the API server's service
    /// proxy (`/api/v1/namespaces/NS/services/[https:]NAME[:PORT]/proxy/…`); the latest
    /// setting for a Service wins. Without one the proxy answers like a real server with
    /// no pod behind the Service: 503, or 404 when the Service does not exist.
    pub fn serve_proxy(&self, namespace: &str, service: &str, answer: ProxyAnswer) {
        if let Ok(mut routes) = self.shared.proxies.lock() {
            routes.push(proxy::ProxyRoute {
                namespace: namespace.to_owned(),
                service: service.to_owned(),
                answer,
            });
        }
    }

    /// Lifts every RBAC denial.
    pub fn allow_all(&self) {
        if let Ok(mut d) = self.shared.denies.lock() {
            d.clear();
        }
    }

    /// Makes the cluster unreachable (listener closed, open connections dropped, so
    /// clients get "connection refused") or reachable again on the same address.
    pub fn set_unreachable(&self, unreachable: bool) {
        if unreachable {
            self.shared.epoch.send_modify(|e| *e += 1);
        }
        self.shared.reachable.send_replace(!unreachable);
        if unreachable {
            // Wait (bounded) until the port is really closed, so the next connect fails.
            for _ in 0..200 {
                if std::net::TcpStream::connect(self.shared.addr).is_err() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        } else {
            for _ in 0..200 {
                if std::net::TcpStream::connect(self.shared.addr).is_ok() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}

impl Drop for FakeCluster {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
        self.shared.epoch.send_modify(|e| *e += 1);
    }
}

/// Many clusters and one kubeconfig naming them all.
pub struct FakeFleet {
    pub clusters: Vec<(String, FakeCluster)>,
}

impl FakeFleet {
    /// `n` plain clusters with contexts `cluster-0` … `cluster-<n-1>`.
    pub fn start(n: usize) -> FakeFleet {
        let names: Vec<String> = (0..n).map(|i| format!("cluster-{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        FakeFleet::with_names(&refs, FakeCluster::builder())
    }

    /// One cluster per name, each built from `builder`.
    pub fn with_names(names: &[&str], builder: FakeClusterBuilder) -> FakeFleet {
        FakeFleet {
            clusters: names
                .iter()
                .map(|n| ((*n).to_owned(), builder.clone().build()))
                .collect(),
        }
    }

    pub fn cluster(&self, name: &str) -> Option<&FakeCluster> {
        self.clusters
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
    }

    /// The kubeconfig with one context per cluster, the first current.
    pub fn kubeconfig_yaml(&self) -> String {
        let refs: Vec<(&str, &FakeCluster)> =
            self.clusters.iter().map(|(n, c)| (n.as_str(), c)).collect();
        kubeconfig_yaml(&refs)
    }

    pub fn write_kubeconfig(&self, path: &std::path::Path) -> std::io::Result<()> {
        std::fs::write(path, self.kubeconfig_yaml())
    }
}
