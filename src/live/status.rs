//! `kubectl opm status`: the report model and how it is printed (text, wide, JSON, YAML).
//! Gathering it from clusters is [`super::gather`]; this module is pure so its output is
//! tested exactly.
//!
//! The report is per context, in the order the contexts were given. A context that failed
//! carries its error instead of releases; the command then exits 3, after printing the
//! others.

use std::collections::BTreeMap;

use serde::Serialize;

/// Everything `status` found, per context.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatusReport {
    pub contexts: Vec<ContextStatus>,
}

/// One context: its releases, or why it could not be read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextStatus {
    pub context: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Exit code the error maps to (3 environment, 2 bad input); omitted without error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    pub releases: Vec<ReleaseStatus>,
}

/// One release in one context.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseStatus {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    pub status: String,
    /// `<chart>-<version>`, as `helm list` shows it.
    pub chart: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// `info.last_deployed` (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Filled in when one release is asked for (details are one request per object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<ReleaseDetails>,
}

/// Health of one release: CRDs, controllers, webhooks, rollout.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseDetails {
    pub crds: Vec<CrdStatus>,
    pub workloads: Vec<WorkloadStatus>,
    pub webhooks: Vec<WebhookStatus>,
    /// `kubectl-opm/*` annotations on the current revision's storage object.
    pub rollout_annotations: BTreeMap<String, String>,
    /// Summary of the `<release>-opm-rollout` state ConfigMap (top-level scalar fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<BTreeMap<String, String>>,
}

/// A CRD of the chart against the cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CrdStatus {
    pub name: String,
    /// Versions the chart defines (served ones).
    pub chart_versions: Vec<String>,
    /// Versions the cluster serves; empty when the CRD is not installed.
    pub installed_versions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_version: Option<String>,
    pub stored_versions: Vec<String>,
    /// `ok`, `missing` (not installed), `outdated` (the chart serves versions the cluster
    /// does not), `ahead` (the cluster serves versions the chart does not).
    pub state: String,
}

/// A controller workload (Deployment, StatefulSet, DaemonSet) and its pods.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadStatus {
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// Pods ready / pods selected.
    pub ready: usize,
    pub pods_total: usize,
    /// Desired replicas from the live object, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<i64>,
    pub restarts: i64,
    /// False when the workload does not exist in the cluster.
    pub found: bool,
    pub pods: Vec<PodStatus>,
}

/// One pod selected by a workload's selector.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    pub name: String,
    pub phase: String,
    pub ready: bool,
    /// `ready/total` containers.
    pub containers: String,
    pub restarts: i64,
}

/// A webhook's service and how many endpoints back it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookStatus {
    /// `ValidatingWebhookConfiguration` or `MutatingWebhookConfiguration`.
    pub kind: String,
    pub configuration: String,
    pub webhook: String,
    /// `namespace/name` of the service, or the URL for URL webhooks.
    pub target: String,
    pub ready_endpoints: usize,
    pub ready: bool,
}

impl StatusReport {
    /// The exit code: the highest of the failed contexts' codes (3 when a cluster could not
    /// be read), 0 when all answered.
    pub fn exit_code(&self) -> i32 {
        self.contexts
            .iter()
            .filter_map(|c| c.exit_code)
            .max()
            .unwrap_or(0)
    }
}

/// Output formats of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    Text,
    Wide,
    Json,
    Yaml,
}

/// Print the report.
pub fn write(report: &StatusReport, format: StatusFormat, detailed: bool) -> String {
    match format {
        StatusFormat::Json => {
            let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
            s.push('\n');
            s
        }
        StatusFormat::Yaml => {
            let json = serde_json::to_value(report).unwrap_or_default();
            let mut s = crate::yaml::to_yaml(&crate::render::cluster::json_to_value(&json));
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s
        }
        StatusFormat::Text | StatusFormat::Wide => {
            let wide = format == StatusFormat::Wide;
            if detailed {
                write_details(report, wide)
            } else {
                write_list(report, wide)
            }
        }
    }
}

/// Columns padded to their widest cell, two spaces apart (kubectl's table style).
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `helm list` across contexts: one row per release, a CONTEXT column first.
fn write_list(report: &StatusReport, wide: bool) -> String {
    let mut header = vec![
        "CONTEXT",
        "NAME",
        "NAMESPACE",
        "REVISION",
        "UPDATED",
        "STATUS",
        "CHART",
        "APP VERSION",
    ];
    if wide {
        header.push("DESCRIPTION");
    }
    let mut rows = vec![header.into_iter().map(str::to_string).collect::<Vec<_>>()];
    let mut errors = String::new();
    for ctx in &report.contexts {
        if let Some(err) = &ctx.error {
            errors.push_str(&format!("Error: {err}\n"));
            continue;
        }
        for r in &ctx.releases {
            let mut row = vec![
                ctx.context.clone(),
                r.name.clone(),
                r.namespace.clone(),
                r.revision.to_string(),
                r.updated.clone().unwrap_or_default(),
                r.status.clone(),
                r.chart.clone(),
                r.app_version.clone().unwrap_or_default(),
            ];
            if wide {
                row.push(r.description.clone().unwrap_or_default());
            }
            rows.push(row);
        }
    }
    let mut out = table(&rows);
    out.push_str(&errors);
    out
}

/// One block per context for one release.
fn write_details(report: &StatusReport, wide: bool) -> String {
    let mut out = String::new();
    for (i, ctx) in report.contexts.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("CONTEXT: {}\n", ctx.context));
        if let Some(err) = &ctx.error {
            out.push_str(&format!("  Error: {err}\n"));
            continue;
        }
        if ctx.releases.is_empty() {
            out.push_str("  release not installed here\n");
        }
        for r in &ctx.releases {
            write_release(&mut out, r, wide);
        }
    }
    out
}

fn write_release(out: &mut String, r: &ReleaseStatus, wide: bool) {
    let app = r
        .app_version
        .as_deref()
        .map(|a| format!(" (app {a})"))
        .unwrap_or_default();
    out.push_str(&format!(
        "  RELEASE:   {} (namespace {})\n  CHART:     {}{app}\n  REVISION:  {} {}",
        r.name, r.namespace, r.chart, r.revision, r.status
    ));
    if let Some(u) = &r.updated {
        out.push_str(&format!(", updated {u}"));
    }
    out.push('\n');
    let Some(d) = &r.details else {
        return;
    };
    if d.crds.is_empty() {
        out.push_str("  CRDS:      none in the chart\n");
    } else {
        out.push_str("  CRDS:\n");
        for c in &d.crds {
            let installed = if c.installed_versions.is_empty() {
                "not installed".to_string()
            } else {
                let mut s = format!("cluster {}", c.installed_versions.join(","));
                if let Some(st) = &c.storage_version {
                    s.push_str(&format!(" (storage {st}"));
                    if !c.stored_versions.is_empty() {
                        s.push_str(&format!(", stored {}", c.stored_versions.join(",")));
                    }
                    s.push(')');
                }
                s
            };
            out.push_str(&format!(
                "    {:<8} {}: chart {} · {installed}\n",
                c.state,
                c.name,
                c.chart_versions.join(",")
            ));
        }
    }
    if d.workloads.is_empty() {
        out.push_str("  PODS:      no controllers in the release\n");
    } else {
        out.push_str("  PODS:\n");
        for w in &d.workloads {
            if !w.found {
                out.push_str(&format!(
                    "    {}/{} in {}: not found in the cluster\n",
                    w.kind, w.name, w.namespace
                ));
                continue;
            }
            let desired = w
                .desired
                .map(|n| format!(", {n} desired"))
                .unwrap_or_default();
            out.push_str(&format!(
                "    {}/{} in {}: {}/{} ready{desired}, {} restart(s)\n",
                w.kind, w.name, w.namespace, w.ready, w.pods_total, w.restarts
            ));
            if wide {
                for p in &w.pods {
                    out.push_str(&format!(
                        "      {} {} {} ready, {} restart(s)\n",
                        p.name, p.phase, p.containers, p.restarts
                    ));
                }
            }
        }
    }
    if !d.webhooks.is_empty() {
        out.push_str("  WEBHOOKS:\n");
        for w in &d.webhooks {
            let mark = if w.ready { "ready" } else { "NOT READY" };
            out.push_str(&format!(
                "    {mark:<9} {} → {}: {} ready endpoint(s)",
                w.webhook, w.target, w.ready_endpoints
            ));
            if wide {
                out.push_str(&format!(" ({} {})", w.kind, w.configuration));
            }
            out.push('\n');
        }
    }
    if !d.rollout_annotations.is_empty() || d.rollout_state.is_some() {
        out.push_str("  ROLLOUT:\n");
        for (k, v) in &d.rollout_annotations {
            out.push_str(&format!("    {k}={v}\n"));
        }
        if let Some(state) = &d.rollout_state {
            let fields: Vec<String> = state.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push_str(&format!("    state: {}\n", fields.join(" ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StatusReport {
        StatusReport {
            contexts: vec![
                ContextStatus {
                    context: "prod".into(),
                    error: None,
                    exit_code: None,
                    releases: vec![ReleaseStatus {
                        name: "op".into(),
                        namespace: "ops".into(),
                        revision: 3,
                        status: "deployed".into(),
                        chart: "my-operator-1.2.0".into(),
                        app_version: Some("1.2.0".into()),
                        updated: Some("2026-01-02T03:04:05Z".into()),
                        description: Some("Upgrade complete".into()),
                        details: Some(ReleaseDetails {
                            crds: vec![CrdStatus {
                                name: "widgets.example.com".into(),
                                chart_versions: vec!["v1".into()],
                                installed_versions: vec!["v1alpha1".into(), "v1".into()],
                                storage_version: Some("v1".into()),
                                stored_versions: vec!["v1alpha1".into(), "v1".into()],
                                state: "ahead".into(),
                            }],
                            workloads: vec![WorkloadStatus {
                                kind: "Deployment".into(),
                                name: "op".into(),
                                namespace: "ops".into(),
                                ready: 1,
                                pods_total: 2,
                                desired: Some(2),
                                restarts: 4,
                                found: true,
                                pods: vec![PodStatus {
                                    name: "op-1".into(),
                                    phase: "Running".into(),
                                    ready: true,
                                    containers: "1/1".into(),
                                    restarts: 0,
                                }],
                            }],
                            webhooks: vec![WebhookStatus {
                                kind: "ValidatingWebhookConfiguration".into(),
                                configuration: "op".into(),
                                webhook: "vwidget.example.com".into(),
                                target: "ops/op-webhook".into(),
                                ready_endpoints: 0,
                                ready: false,
                            }],
                            rollout_annotations: [("kubectl-opm/phase".to_string(), "canary".to_string())]
                                .into_iter()
                                .collect(),
                            rollout_state: Some(
                                [("stage".to_string(), "1".to_string())].into_iter().collect(),
                            ),
                        }),
                    }],
                },
                ContextStatus {
                    context: "edge".into(),
                    error: Some("context \"edge\": cannot list secrets: the API server at https://10.0.0.1/ is unreachable: connection refused".into()),
                    exit_code: Some(3),
                    releases: vec![],
                },
            ],
        }
    }

    #[test]
    fn details_text() {
        assert_eq!(
            write(&sample(), StatusFormat::Text, true),
            "CONTEXT: prod
  RELEASE:   op (namespace ops)
  CHART:     my-operator-1.2.0 (app 1.2.0)
  REVISION:  3 deployed, updated 2026-01-02T03:04:05Z
  CRDS:
    ahead    widgets.example.com: chart v1 · cluster v1alpha1,v1 (storage v1, stored v1alpha1,v1)
  PODS:
    Deployment/op in ops: 1/2 ready, 2 desired, 4 restart(s)
  WEBHOOKS:
    NOT READY vwidget.example.com → ops/op-webhook: 0 ready endpoint(s)
  ROLLOUT:
    kubectl-opm/phase=canary
    state: stage=1

CONTEXT: edge
  Error: context \"edge\": cannot list secrets: the API server at https://10.0.0.1/ is unreachable: connection refused
"
        );
        let wide = write(&sample(), StatusFormat::Wide, true);
        assert!(wide.contains("      op-1 Running 1/1 ready, 0 restart(s)\n"));
        assert_eq!(sample().exit_code(), 3);
    }

    #[test]
    fn list_text() {
        assert_eq!(
            write(&sample(), StatusFormat::Text, false),
            "CONTEXT  NAME  NAMESPACE  REVISION  UPDATED               STATUS    CHART              APP VERSION
prod     op    ops        3         2026-01-02T03:04:05Z  deployed  my-operator-1.2.0  1.2.0
Error: context \"edge\": cannot list secrets: the API server at https://10.0.0.1/ is unreachable: connection refused
"
        );
    }

    #[test]
    fn json_and_yaml_keep_every_fact() {
        let json: serde_json::Value =
            serde_json::from_str(&write(&sample(), StatusFormat::Json, true)).unwrap();
        assert_eq!(
            json["contexts"][0]["releases"][0]["details"]["workloads"][0]["restarts"],
            4
        );
        assert_eq!(json["contexts"][1]["exitCode"], 3);
        assert!(json["contexts"][0].get("error").is_none());
        let yaml = write(&sample(), StatusFormat::Yaml, true);
        assert!(
            yaml.contains("  - context: prod\n") || yaml.contains("- context: prod\n"),
            "{yaml}"
        );
        assert!(yaml.contains("storedVersions:"));
    }
}
