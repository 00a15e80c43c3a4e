//! The rollout's spans: their names (fixed by the issue, so traces from every version of the
//! tool line up) and constructors that open each one with its standard fields.
//!
//! ```text
//! operator.deploy                     root; continues TRACEPARENT when a CI system set it
//! ├─ operator.validate                lint + CRD gates
//! ├─ cluster.connect                  per cluster
//! ├─ helm.install                     per cluster
//! ├─ operator.healthcheck             per cluster and check round
//! │  ├─ pod.healthcheck
//! │  ├─ webhook.healthcheck
//! │  └─ crd.reconciliation.check
//! └─ operator.rollback                per cluster rolled back
//! ```
//!
//! Fields use the names the JSON logs carry (`operatorName`, `version`, `cluster`,
//! `deploymentId`, `user`, …): every log line written inside a span repeats them, and the
//! OTLP exporter sends them as span attributes. Constructors return a [`tracing::Span`];
//! the caller enters it (`let _g = span.enter();` in synchronous code,
//! `fut.instrument(span)` in async code). Children are parented to the current span.

use tracing::field::Empty;
use tracing::Span;

use super::context::TraceParent;

pub const OPERATOR_DEPLOY: &str = "operator.deploy";
pub const OPERATOR_VALIDATE: &str = "operator.validate";
pub const CLUSTER_CONNECT: &str = "cluster.connect";
pub const HELM_INSTALL: &str = "helm.install";
pub const OPERATOR_HEALTHCHECK: &str = "operator.healthcheck";
pub const POD_HEALTHCHECK: &str = "pod.healthcheck";
pub const WEBHOOK_HEALTHCHECK: &str = "webhook.healthcheck";
pub const CRD_RECONCILIATION_CHECK: &str = "crd.reconciliation.check";
pub const OPERATOR_ROLLBACK: &str = "operator.rollback";

/// Every span name, root first.
pub const ALL: [&str; 9] = [
    OPERATOR_DEPLOY,
    OPERATOR_VALIDATE,
    CLUSTER_CONNECT,
    HELM_INSTALL,
    OPERATOR_HEALTHCHECK,
    POD_HEALTHCHECK,
    WEBHOOK_HEALTHCHECK,
    CRD_RECONCILIATION_CHECK,
    OPERATOR_ROLLBACK,
];

/// The root span's fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeployFields {
    /// The operator (chart) name, e.g. `cert-manager`.
    pub operator_name: String,
    /// The chart version being rolled out.
    pub version: String,
    /// The rollout id (the state record's id).
    pub deployment_id: String,
    /// Who started it, as the cluster knows them (SelfSubjectReview), when known.
    pub user: Option<String>,
    /// The Helm release.
    pub release: String,
    /// `canary`, `bluegreen`, `rolling`, `direct`.
    pub strategy: String,
}

/// Open the root `operator.deploy` span. It is a root whatever span is current; with an
/// incoming context (`TRACEPARENT` read by [`super::init`], or `parent` here) it joins
/// that trace as a child of the remote span.
pub fn deploy(fields: &DeployFields, parent: Option<&TraceParent>) -> Span {
    let span = tracing::info_span!(
        parent: None,
        OPERATOR_DEPLOY,
        operatorName = %fields.operator_name,
        version = %fields.version,
        deploymentId = %fields.deployment_id,
        user = Empty,
        release = %fields.release,
        strategy = %fields.strategy,
        otel.status_code = Empty,
        otel.status_description = Empty,
    );
    if let Some(user) = &fields.user {
        span.record("user", user.as_str());
    }
    let parent = parent.cloned().or_else(super::incoming_parent);
    if let Some(parent) = parent {
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        // Only fails when tracing is not initialised (no OpenTelemetry layer) or the span
        // is disabled: then there is no trace to continue.
        let _ = span.set_parent(parent.otel_context());
    }
    span
}

/// `operator.validate`: the pre-flight gates (lint, CRD diff) for the whole rollout.
pub fn validate() -> Span {
    tracing::info_span!(
        OPERATOR_VALIDATE,
        otel.status_code = Empty,
        otel.status_description = Empty
    )
}

/// `cluster.connect` for one cluster.
pub fn cluster_connect(cluster: &str, environment: &str) -> Span {
    tracing::info_span!(
        CLUSTER_CONNECT,
        cluster = %cluster,
        environment = %environment,
        otel.status_code = Empty,
        otel.status_description = Empty,
    )
}

/// `helm.install` for one cluster; record the new revision with
/// `span.record("revision", n)` once helm reported it.
pub fn helm_install(cluster: &str, release: &str, version: &str) -> Span {
    tracing::info_span!(
        HELM_INSTALL,
        cluster = %cluster,
        release = %release,
        version = %version,
        revision = Empty,
        otel.status_code = Empty,
        otel.status_description = Empty,
    )
}

/// `operator.healthcheck`: one round of health checks on one cluster.
pub fn healthcheck(cluster: &str) -> Span {
    tracing::info_span!(
        OPERATOR_HEALTHCHECK,
        cluster = %cluster,
        healthy = Empty,
        otel.status_code = Empty,
        otel.status_description = Empty,
    )
}

/// `pod.healthcheck` (controller pods Ready, restarts); open inside [`healthcheck`].
pub fn pod_healthcheck(cluster: &str) -> Span {
    tracing::info_span!(
        POD_HEALTHCHECK,
        cluster = %cluster,
        otel.status_code = Empty,
        otel.status_description = Empty,
    )
}

/// `webhook.healthcheck` (endpoints, latency, certificate); open inside [`healthcheck`].
pub fn webhook_healthcheck(cluster: &str) -> Span {
    tracing::info_span!(
        WEBHOOK_HEALTHCHECK,
        cluster = %cluster,
        otel.status_code = Empty,
        otel.status_description = Empty,
    )
}

/// `crd.reconciliation.check` (custom resources reconciled); open inside [`healthcheck`].
pub fn crd_reconciliation_check(cluster: &str) -> Span {
    tracing::info_span!(
        CRD_RECONCILIATION_CHECK,
        cluster = %cluster,
        otel.status_code = Empty,
        otel.status_description = Empty,
    )
}

/// `operator.rollback` of one cluster to `to_revision` (when known).
pub fn rollback(cluster: &str, to_revision: Option<u64>) -> Span {
    let span = tracing::info_span!(
        OPERATOR_ROLLBACK,
        cluster = %cluster,
        toRevision = Empty,
        otel.status_code = Empty,
        otel.status_description = Empty,
    );
    if let Some(rev) = to_revision {
        span.record("toRevision", rev);
    }
    span
}

/// Mark `span` failed: the exported span gets status ERROR with `message`.
pub fn record_failure(span: &Span, message: &dyn std::fmt::Display) {
    span.record("otel.status_code", "ERROR");
    span.record("otel.status_description", message.to_string().as_str());
}

/// Mark `span` successful (status OK; unset status also reads as success).
pub fn record_success(span: &Span) {
    span.record("otel.status_code", "OK");
}
