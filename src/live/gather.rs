//! Gathering `status` from clusters: releases from Helm's storage, then for one release
//! the live state of what its stored manifest created — CRDs (against the chart's), the
//! pods of its controllers (selected by their workloads' selectors), the endpoints behind
//! its webhooks — and the rollout annotations and state ConfigMap.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::objdiff::{parse_stored, ObjectDoc, ParseOptions};
use super::status::{
    ContextStatus, CrdStatus, PodStatus, ReleaseDetails, ReleaseStatus, WebhookStatus,
    WorkloadStatus,
};
use crate::cluster::{Cluster, ClusterError, ListQuery, ReleaseFilter, StoredRelease};
use crate::crd::model::{parse_crds, Crd};

/// Annotation prefix of our rollout mirror on release objects.
pub const ROLLOUT_ANNOTATION_PREFIX: &str = "kubectl-opm/";

/// What to look at in each cluster.
#[derive(Debug, Clone, Default)]
pub struct StatusQuery {
    /// One release (details), or every release (a list).
    pub release: Option<String>,
    /// Every namespace (lists only).
    pub all_namespaces: bool,
    /// The chart's CRDs from `--chart`; `None` reads them from the stored release.
    pub chart_crds: Option<Vec<Crd>>,
}

/// One context's status; errors become the context's error (the others still print).
pub async fn context_status(cluster: &Cluster, query: &StatusQuery) -> ContextStatus {
    let mut out = ContextStatus {
        context: cluster.context.clone(),
        ..ContextStatus::default()
    };
    match releases(cluster, query).await {
        Ok(releases) => out.releases = releases,
        Err(e) => {
            out.exit_code = Some(e.exit_code());
            out.error = Some(e.to_string());
        }
    }
    out
}

async fn releases(
    cluster: &Cluster,
    query: &StatusQuery,
) -> Result<Vec<ReleaseStatus>, ClusterError> {
    let store = cluster.releases();
    match &query.release {
        Some(name) => {
            let Some(stored) = store.latest(&cluster.namespace, name).await? else {
                return Ok(Vec::new());
            };
            let mut status = summary(&stored);
            status.details = Some(details(cluster, &stored, query.chart_crds.as_deref()).await?);
            Ok(vec![status])
        }
        None => {
            let filter = ReleaseFilter {
                namespace: (!query.all_namespaces).then(|| cluster.namespace.clone()),
                ..ReleaseFilter::default()
            };
            Ok(store.list(&filter).await?.iter().map(summary).collect())
        }
    }
}

/// The `helm list` facts of a revision.
pub fn summary(stored: &StoredRelease) -> ReleaseStatus {
    let r = &stored.release;
    let info = r.info.as_ref();
    ReleaseStatus {
        name: r.name.clone(),
        namespace: if r.namespace.is_empty() {
            stored.namespace.clone()
        } else {
            r.namespace.clone()
        },
        revision: r.version,
        status: r.status().to_string(),
        chart: r.chart_label(),
        app_version: r.app_version().map(str::to_string),
        updated: info.and_then(|i| i.last_deployed.clone()),
        description: info
            .map(|i| i.description.clone())
            .filter(|d| !d.is_empty()),
        details: None,
    }
}

/// The CRDs a stored release carries: its chart's `crds/` files and CRDs in its manifest.
pub fn release_crds(stored: &StoredRelease) -> Vec<Crd> {
    use base64::Engine;
    let mut out = Vec::new();
    let files = stored
        .release
        .chart
        .as_ref()
        .and_then(|c| c.extra.get("files"))
        .and_then(Json::as_array);
    for f in files.into_iter().flatten() {
        let name = f.get("name").and_then(Json::as_str).unwrap_or_default();
        let is_manifest = [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e));
        if !name.starts_with("crds/") || !is_manifest {
            continue;
        }
        let Some(data) = f.get("data").and_then(Json::as_str) else {
            continue;
        };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        // A broken CRD file in a release that Helm installed anyway is not ours to
        // report here; the CRD simply does not take part.
        out.extend(parse_crds(&text, name).unwrap_or_default());
    }
    out.extend(parse_crds(&stored.release.manifest, "manifest").unwrap_or_default());
    out
}

async fn details(
    cluster: &Cluster,
    stored: &StoredRelease,
    chart_crds: Option<&[Crd]>,
) -> Result<ReleaseDetails, ClusterError> {
    let namespace = if stored.release.namespace.is_empty() {
        stored.namespace.clone()
    } else {
        stored.release.namespace.clone()
    };
    let docs = parse_stored(
        &stored.release.manifest,
        "release manifest",
        ParseOptions {
            namespace: &namespace,
            normalize: false,
        },
    )
    .unwrap_or_default();
    let crds = match chart_crds {
        Some(c) => c.to_vec(),
        None => release_crds(stored),
    };
    let mut details = ReleaseDetails::default();
    for crd in &crds {
        details.crds.push(crd_status(cluster, crd).await?);
    }
    for doc in &docs {
        match doc.kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" => {
                details.workloads.push(workload_status(cluster, doc).await?);
            }
            "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
                details
                    .webhooks
                    .extend(webhook_status(cluster, doc, &namespace).await?);
            }
            _ => {}
        }
    }
    details.rollout_annotations = stored
        .annotations
        .iter()
        .filter(|(k, _)| k.starts_with(ROLLOUT_ANNOTATION_PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let state_name = format!("{}-opm-rollout", stored.release.name);
    if let Some(cm) = cluster
        .get("v1", "ConfigMap", Some(&namespace), &state_name)
        .await?
    {
        details.rollout_state = Some(state_summary(&cm));
    }
    Ok(details)
}

/// Top-level scalar fields of the JSON record in the state ConfigMap.
pub fn state_summary(cm: &Json) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let data = cm.get("data").and_then(Json::as_object);
    for (_, v) in data.into_iter().flatten() {
        let Some(Ok(Json::Object(record))) = v.as_str().map(serde_json::from_str::<Json>) else {
            continue;
        };
        for (k, v) in &record {
            let text = match v {
                Json::String(s) => s.clone(),
                Json::Number(n) => n.to_string(),
                Json::Bool(b) => b.to_string(),
                _ => continue,
            };
            out.insert(k.clone(), text);
        }
        break;
    }
    out
}

async fn crd_status(cluster: &Cluster, crd: &Crd) -> Result<CrdStatus, ClusterError> {
    let served = |c: &Crd| -> Vec<String> {
        c.versions
            .iter()
            .filter(|v| v.served)
            .map(|v| v.name.clone())
            .collect()
    };
    let chart_versions = served(crd);
    let mut status = CrdStatus {
        name: crd.name.clone(),
        chart_versions: chart_versions.clone(),
        state: "missing".to_string(),
        ..CrdStatus::default()
    };
    let Some(live) = cluster.get_crd(&crd.name).await? else {
        return Ok(status);
    };
    status.installed_versions = served(&live);
    status.storage_version = live.storage_version().map(|v| v.name.clone());
    status.stored_versions = live.stored_versions.clone();
    let missing_live = chart_versions
        .iter()
        .any(|v| !status.installed_versions.contains(v));
    let extra_live = status
        .installed_versions
        .iter()
        .any(|v| !chart_versions.contains(v));
    status.state = match (missing_live, extra_live) {
        (true, _) => "outdated",
        (false, true) => "ahead",
        (false, false) => "ok",
    }
    .to_string();
    Ok(status)
}

/// A label selector string from `spec.selector` (`matchLabels` and `matchExpressions`).
pub fn selector_string(selector: &Json) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Json::as_object) {
        for (k, v) in labels {
            parts.push(format!("{k}={}", v.as_str().unwrap_or_default()));
        }
    }
    for e in selector
        .get("matchExpressions")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let key = e.get("key").and_then(Json::as_str)?;
        let values: Vec<&str> = e
            .get("values")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .collect();
        match e.get("operator").and_then(Json::as_str)? {
            "In" => parts.push(format!("{key} in ({})", values.join(","))),
            "NotIn" => parts.push(format!("{key} notin ({})", values.join(","))),
            "Exists" => parts.push(key.to_string()),
            "DoesNotExist" => parts.push(format!("!{key}")),
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

async fn workload_status(
    cluster: &Cluster,
    doc: &ObjectDoc,
) -> Result<WorkloadStatus, ClusterError> {
    let mut status = WorkloadStatus {
        kind: doc.kind.clone(),
        name: doc.name.clone(),
        namespace: doc.namespace.clone(),
        ..WorkloadStatus::default()
    };
    let live = cluster
        .get(&doc.api_version, &doc.kind, Some(&doc.namespace), &doc.name)
        .await?;
    let Some(live) = live else {
        return Ok(status);
    };
    status.found = true;
    status.desired = match doc.kind.as_str() {
        "DaemonSet" => live.pointer("/status/desiredNumberScheduled"),
        _ => live.pointer("/spec/replicas"),
    }
    .and_then(Json::as_i64);
    let selector = live
        .pointer("/spec/selector")
        .or_else(|| doc.json.pointer("/spec/selector"));
    let Some(selector) = selector.and_then(selector_string) else {
        return Ok(status);
    };
    let pods = cluster
        .list(
            "v1",
            "Pod",
            &ListQuery::namespace(&doc.namespace).labels(&selector),
        )
        .await?;
    for p in &pods {
        let pod = pod_status(p);
        status.restarts += pod.restarts;
        if pod.ready {
            status.ready += 1;
        }
        status.pods.push(pod);
    }
    status.pods_total = status.pods.len();
    Ok(status)
}

/// A pod's phase, readiness (its `Ready` condition) and container restarts.
pub fn pod_status(p: &Json) -> PodStatus {
    let statuses: Vec<&Json> = p
        .pointer("/status/containerStatuses")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .collect();
    let ready_containers = statuses
        .iter()
        .filter(|c| c.get("ready").and_then(Json::as_bool) == Some(true))
        .count();
    let total = p
        .pointer("/spec/containers")
        .and_then(Json::as_array)
        .map(Vec::len)
        .unwrap_or(statuses.len());
    let ready_condition = p
        .pointer("/status/conditions")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.get("type").and_then(Json::as_str) == Some("Ready"))
        .map(|c| c.get("status").and_then(Json::as_str) == Some("True"));
    PodStatus {
        name: p
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
        phase: p
            .pointer("/status/phase")
            .and_then(Json::as_str)
            .unwrap_or("Unknown")
            .to_string(),
        ready: ready_condition.unwrap_or(total > 0 && ready_containers == total),
        containers: format!("{ready_containers}/{total}"),
        restarts: statuses
            .iter()
            .filter_map(|c| c.get("restartCount").and_then(Json::as_i64))
            .sum(),
    }
}

async fn webhook_status(
    cluster: &Cluster,
    doc: &ObjectDoc,
    release_namespace: &str,
) -> Result<Vec<WebhookStatus>, ClusterError> {
    let mut out = Vec::new();
    for w in doc
        .json
        .get("webhooks")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let name = w
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        let mut status = WebhookStatus {
            kind: doc.kind.clone(),
            configuration: doc.name.clone(),
            webhook: name,
            ..WebhookStatus::default()
        };
        if let Some(url) = w.pointer("/clientConfig/url").and_then(Json::as_str) {
            // A URL webhook has no endpoints we can count; it is as ready as its URL.
            status.target = url.to_string();
            status.ready = true;
            out.push(status);
            continue;
        }
        let ns = w
            .pointer("/clientConfig/service/namespace")
            .and_then(Json::as_str)
            .unwrap_or(release_namespace);
        let Some(svc) = w
            .pointer("/clientConfig/service/name")
            .and_then(Json::as_str)
        else {
            continue;
        };
        status.target = format!("{ns}/{svc}");
        status.ready_endpoints = ready_endpoints(cluster, ns, svc).await?;
        status.ready = status.ready_endpoints > 0;
        out.push(status);
    }
    Ok(out)
}

/// Ready addresses behind a Service: its EndpointSlices (`kubernetes.io/service-name`),
/// or its Endpoints object when the cluster has no slices for it.
async fn ready_endpoints(cluster: &Cluster, ns: &str, svc: &str) -> Result<usize, ClusterError> {
    let slices = cluster
        .list(
            "discovery.k8s.io/v1",
            "EndpointSlice",
            &ListQuery::namespace(ns).labels(&format!("kubernetes.io/service-name={svc}")),
        )
        .await;
    let slices = match slices {
        Ok(s) => s,
        Err(ClusterError::UnknownKind { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    if !slices.is_empty() {
        return Ok(slices
            .iter()
            .flat_map(|s| {
                s.get("endpoints")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
            })
            .filter(|e| e.pointer("/conditions/ready").and_then(Json::as_bool) != Some(false))
            .map(|e| {
                e.get("addresses")
                    .and_then(Json::as_array)
                    .map_or(1, Vec::len)
            })
            .sum());
    }
    let Some(ep) = cluster.get("v1", "Endpoints", Some(ns), svc).await? else {
        return Ok(0);
    };
    Ok(ep
        .get("subsets")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("addresses").and_then(Json::as_array))
        .map(Vec::len)
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_like_kubectl() {
        let s = json!({"matchLabels": {"app": "op", "tier": "ctl"},
                       "matchExpressions": [{"key": "env", "operator": "In", "values": ["a", "b"]},
                                            {"key": "canary", "operator": "DoesNotExist"}]});
        assert_eq!(
            selector_string(&s).as_deref(),
            Some("app=op,tier=ctl,env in (a,b),!canary")
        );
        assert_eq!(selector_string(&json!({})), None);
    }

    #[test]
    fn pod_readiness_and_restarts() {
        let p = json!({"metadata": {"name": "op-1"},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
            "status": {"phase": "Running",
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{"ready": true, "restartCount": 2}, {"ready": false, "restartCount": 3}]}});
        let s = pod_status(&p);
        assert_eq!(
            (
                s.name.as_str(),
                s.phase.as_str(),
                s.ready,
                s.containers.as_str(),
                s.restarts
            ),
            ("op-1", "Running", false, "1/2", 5)
        );
    }

    #[test]
    fn state_summary_keeps_scalars() {
        let cm =
            json!({"data": {"state": "{\"phase\":\"canary\",\"stage\":2,\"clusters\":{\"a\":1}}"}});
        let s = state_summary(&cm);
        assert_eq!(
            s.into_iter().collect::<Vec<_>>(),
            vec![
                ("phase".to_string(), "canary".to_string()),
                ("stage".to_string(), "2".to_string())
            ]
        );
    }
}
