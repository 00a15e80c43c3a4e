//! The cluster's answers for a render, as `helm install/upgrade` get them: `lookup`
//! (Helm's `pkg/engine/lookup_func.go`), the server version for
//! `.Capabilities.KubeVersion` and discovery for `.Capabilities.APIVersions` (Helm's
//! `GetVersionSet`: every `group/version` and every `group/version/Kind`).
//!
//! The renderer is synchronous; `lookup` blocks on the async client through a runtime
//! handle. It must therefore be called from a thread that is not itself running async
//! code (the command's own thread), which is how the commands use it.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Value as Json};
use tokio::runtime::Handle;

use crate::cluster::{Cluster, ClusterError, ListQuery};
use crate::render::cluster::ClusterHooks;

/// `lookup apiVersion kind namespace name` against `cluster`, with Helm's semantics:
/// a name gets one object (an empty map when it does not exist); an empty name lists (all
/// namespaces when the namespace is empty) and returns the list object; an unknown kind is
/// an error.
pub async fn lookup(
    cluster: &Cluster,
    api_version: &str,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Result<Json, ClusterError> {
    let info = cluster.resource(api_version, kind).await?;
    let ns = (info.namespaced && !namespace.is_empty()).then_some(namespace);
    if !name.is_empty() {
        // client-go without a namespace asks the cluster-wide path, which has no named
        // namespaced objects: Helm gets "not found" there and returns an empty map.
        if info.namespaced && ns.is_none() {
            return Ok(json!({}));
        }
        return Ok(cluster
            .get(api_version, kind, ns, name)
            .await?
            .unwrap_or_else(|| json!({})));
    }
    let query = match ns {
        Some(ns) => ListQuery::namespace(ns),
        None => ListQuery::all(),
    };
    let items = cluster.list(api_version, kind, &query).await?;
    Ok(json!({
        "apiVersion": api_version,
        "kind": format!("{kind}List"),
        "metadata": {},
        "items": items,
    }))
}

/// The server's `gitVersion` (`/version`), for `.Capabilities.KubeVersion`.
pub async fn server_version(cluster: &Cluster) -> Result<String, ClusterError> {
    let v = cluster.get_path("/version").await?;
    Ok(v.get("gitVersion")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string())
}

/// Every `group/version` and `group/version/Kind` the cluster serves, sorted (Helm builds
/// the same set; its order is a Go map's).
pub async fn api_versions(cluster: &Cluster) -> Result<Vec<String>, ClusterError> {
    let mut group_versions = Vec::new();
    let core = cluster.get_path("/api").await?;
    for v in core
        .get("versions")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(v) = v.as_str() {
            group_versions.push(v.to_string());
        }
    }
    let groups = cluster.get_path("/apis").await?;
    for g in groups
        .get("groups")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        for v in g
            .get("versions")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(gv) = v.get("groupVersion").and_then(Json::as_str) {
                group_versions.push(gv.to_string());
            }
        }
    }
    let mut set: BTreeSet<String> = group_versions.iter().cloned().collect();
    for gv in &group_versions {
        let path = if gv.contains('/') {
            format!("/apis/{gv}")
        } else {
            format!("/api/{gv}")
        };
        let list = match cluster.get_path(&path).await {
            Ok(list) => list,
            // A group version that vanished between the two calls (an aggregated API
            // going away) is skipped, as client-go's discovery does.
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        for r in list
            .get("resources")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(kind) = r.get("kind").and_then(Json::as_str) {
                set.insert(format!("{gv}/{kind}"));
            }
        }
    }
    Ok(set.into_iter().collect())
}

/// What a render needs from the cluster: the hooks and the server version.
pub struct RenderContext {
    pub hooks: ClusterHooks,
    /// `gitVersion` of the server, for `--kube-version`.
    pub kube_version: String,
}

/// Ask the cluster once for its version and discovery, and build a `lookup` that calls it
/// through `handle` (blocking the rendering thread for each call).
pub async fn render_context(
    cluster: &Cluster,
    handle: Handle,
) -> Result<RenderContext, ClusterError> {
    let kube_version = server_version(cluster).await?;
    let api_versions = api_versions(cluster).await?;
    let c = cluster.clone();
    let lookup = move |api: &str, kind: &str, ns: &str, name: &str| -> Result<Json, String> {
        handle
            .block_on(lookup(&c, api, kind, ns, name))
            .map_err(|e| e.to_string())
    };
    Ok(RenderContext {
        hooks: ClusterHooks {
            lookup: Arc::new(lookup),
            api_versions,
        },
        kube_version,
    })
}
