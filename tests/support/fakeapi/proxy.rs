//! The API server's service proxy (`/api/v1/namespaces/NS/services/[scheme:]NAME[:PORT]/proxy/…`),
//! which health checks use to call a webhook Service. No pods run behind a fake cluster, so
//! a test says how a Service answers ([`super::FakeCluster::serve_proxy`]): a status and a
//! body after a delay. Without an answer configured the fake says what a real API server
//! says: 404 when the Service does not exist, else 503 `no endpoints available`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::faults::forbidden_message;
use super::server::Shared;
use super::status::ApiError;

/// How a proxied Service answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyAnswer {
    pub status: u16,
    pub body: String,
    /// Waited before answering.
    pub delay: Duration,
}

impl ProxyAnswer {
    /// `status` with a small JSON body, at once.
    pub fn status(status: u16) -> ProxyAnswer {
        ProxyAnswer {
            status,
            body: format!("{{\"code\":{status}}}"),
            delay: Duration::ZERO,
        }
    }

    pub fn after(mut self, delay: Duration) -> ProxyAnswer {
        self.delay = delay;
        self
    }
}

/// One configured Service: namespace, name, answer.
#[derive(Clone, Debug)]
pub struct ProxyRoute {
    pub namespace: String,
    pub service: String,
    pub answer: ProxyAnswer,
}

/// `(namespace, service)` of a service proxy path, or `None` for any other path.
fn parse(path: &str) -> Option<(String, String)> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["api", "v1", "namespaces", ns, "services", svc, "proxy", ..] => {
            // `https:name:443`, `name:443`, `name`.
            let parts: Vec<&str> = svc.split(':').collect();
            let name = match parts.as_slice() {
                ["http" | "https", name, ..] => *name,
                [name, ..] => *name,
                [] => return None,
            };
            Some(((*ns).to_owned(), name.to_owned()))
        }
        _ => None,
    }
}

/// The answer to a proxy request, or `None` when `path` is not one.
pub async fn handle(
    shared: &Arc<Shared>,
    method: &str,
    path: &str,
) -> Option<Result<(u16, String), ApiError>> {
    let (ns, service) = parse(path)?;
    let verb = match method {
        "GET" | "HEAD" => "get",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" => "delete",
        _ => "unknown",
    };
    let denied = shared
        .denies
        .lock()
        .map(|d| d.iter().any(|d| d.matches(verb, "", "services/proxy", &ns)))
        .unwrap_or(false);
    if denied {
        let svc_segment = path
            .split('/')
            .skip_while(|s| *s != "services")
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        // The real wording names the Service as `services "NAME"` and the resource with
        // its subresource.
        let message = forbidden_message(&shared.user, verb, "", "services", &svc_segment, &ns)
            .replace("resource \"services\"", "resource \"services/proxy\"");
        let mut e = ApiError::new(403, "Forbidden", message);
        e.details = Some(json!({"name": svc_segment, "kind": "services"}));
        return Some(Err(e));
    }
    let configured = shared.proxies.lock().ok().and_then(|routes| {
        routes
            .iter()
            .rev()
            .find(|r| r.namespace == ns && r.service == service)
            .map(|r| r.answer.clone())
    });
    if let Some(answer) = configured {
        if !answer.delay.is_zero() {
            tokio::time::sleep(answer.delay).await;
        }
        return Some(Ok((answer.status, answer.body)));
    }
    let exists = {
        let store = shared.lock_store();
        store
            .resource_for_kind("v1", "Service")
            .is_some_and(|res| store.get(&res, &ns, &service).is_ok())
    };
    Some(Err(if exists {
        ApiError::new(
            503,
            "ServiceUnavailable",
            format!("no endpoints available for service \"{service}\""),
        )
    } else {
        let mut e = ApiError::new(404, "NotFound", format!("services \"{service}\" not found"));
        e.details = Some(json!({"name": service, "kind": "services"}));
        e
    }))
}
