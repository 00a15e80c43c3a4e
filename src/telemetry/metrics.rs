//! The rollout metrics, with the names and kinds the issue fixes, behind a typed API that
//! does nothing when metrics are not exported.
//!
//! Code that records a metric calls [`metrics()`] and one of the [`Metrics`] methods; it
//! never checks whether telemetry is on. Until [`super::init`] set up an OTLP metrics
//! exporter, `metrics()` returns a disabled instance whose methods return at once.

use std::sync::OnceLock;

use opentelemetry::metrics::{Counter, Gauge, Histogram, Meter};
use opentelemetry::KeyValue;

/// Metric names (the issue's; do not rename: dashboards and alerts key on them).
pub mod names {
    pub const OPERATORS_DEPLOYED_TOTAL: &str = "operators.deployed.total";
    pub const OPERATORS_ROLLBACK_TOTAL: &str = "operators.rollback.total";
    pub const OPERATORS_FAILED_TOTAL: &str = "operators.failed.total";
    pub const CRDS_VALIDATED_TOTAL: &str = "crds.validated.total";
    pub const OPERATOR_DEPLOY_DURATION: &str = "operator.deploy.duration";
    pub const OPERATOR_ROLLBACK_DURATION: &str = "operator.rollback.duration";
    pub const OPERATOR_HEALTHCHECK_DURATION: &str = "operator.healthcheck.duration";
    pub const HELM_INSTALL_DURATION: &str = "helm.install.duration";
    pub const DEPLOYMENTS_ACTIVE: &str = "deployments.active";
    pub const OPERATORS_HEALTHY: &str = "operators.healthy";
    pub const OPERATORS_UNHEALTHY: &str = "operators.unhealthy";
}

/// The kind of an instrument, as exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstrumentKind {
    /// Monotonic sum.
    Counter,
    /// Explicit-bucket histogram, in seconds.
    Histogram,
    /// Last value.
    Gauge,
}

/// One instrument's definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrumentSpec {
    pub name: &'static str,
    pub kind: InstrumentKind,
    /// UCUM unit: `1` for counts, `s` for durations.
    pub unit: &'static str,
    pub description: &'static str,
}

/// Every instrument this tool records (the README table is written from the same facts).
pub const INSTRUMENTS: [InstrumentSpec; 11] = [
    spec(
        names::OPERATORS_DEPLOYED_TOTAL,
        InstrumentKind::Counter,
        "1",
        "Operator releases deployed to a cluster",
    ),
    spec(
        names::OPERATORS_ROLLBACK_TOTAL,
        InstrumentKind::Counter,
        "1",
        "Operator releases rolled back on a cluster",
    ),
    spec(
        names::OPERATORS_FAILED_TOTAL,
        InstrumentKind::Counter,
        "1",
        "Operator deployments that failed on a cluster",
    ),
    spec(
        names::CRDS_VALIDATED_TOTAL,
        InstrumentKind::Counter,
        "1",
        "CustomResourceDefinitions checked by the CRD gate",
    ),
    spec(
        names::OPERATOR_DEPLOY_DURATION,
        InstrumentKind::Histogram,
        "s",
        "Time to deploy an operator release to a cluster, gates included",
    ),
    spec(
        names::OPERATOR_ROLLBACK_DURATION,
        InstrumentKind::Histogram,
        "s",
        "Time to roll a cluster back to the last good revision",
    ),
    spec(
        names::OPERATOR_HEALTHCHECK_DURATION,
        InstrumentKind::Histogram,
        "s",
        "Time one health check of a cluster took",
    ),
    spec(
        names::HELM_INSTALL_DURATION,
        InstrumentKind::Histogram,
        "s",
        "Time `helm upgrade --install` took on a cluster",
    ),
    spec(
        names::DEPLOYMENTS_ACTIVE,
        InstrumentKind::Gauge,
        "1",
        "Cluster deployments in progress",
    ),
    spec(
        names::OPERATORS_HEALTHY,
        InstrumentKind::Gauge,
        "1",
        "Clusters whose operator passed its last health check",
    ),
    spec(
        names::OPERATORS_UNHEALTHY,
        InstrumentKind::Gauge,
        "1",
        "Clusters whose operator failed its last health check",
    ),
];

const fn spec(
    name: &'static str,
    kind: InstrumentKind,
    unit: &'static str,
    description: &'static str,
) -> InstrumentSpec {
    InstrumentSpec {
        name,
        kind,
        unit,
        description,
    }
}

/// Histogram bucket bounds in seconds: from a fast health probe (5 ms) to an hour-long
/// canary stage. The SDK's default bounds are millisecond-shaped (0–10 000) and would put
/// every rollout duration in the first few buckets.
pub const DURATION_BUCKETS: [f64; 18] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    1800.0, 3600.0,
];

/// Attributes recorded with a measurement. Unset ones are left out, never sent empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricAttrs {
    /// The kube context of the cluster.
    pub cluster: Option<String>,
    /// The Helm release.
    pub release: Option<String>,
    /// `canary`, `bluegreen`, `rolling`, `direct`.
    pub strategy: Option<String>,
    /// `dev`, `staging`, `prod`.
    pub environment: Option<String>,
}

impl MetricAttrs {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self
    }
    pub fn release(mut self, release: impl Into<String>) -> Self {
        self.release = Some(release.into());
        self
    }
    pub fn strategy(mut self, strategy: impl Into<String>) -> Self {
        self.strategy = Some(strategy.into());
        self
    }
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    fn key_values(&self) -> Vec<KeyValue> {
        let fields = [
            ("cluster", &self.cluster),
            ("release", &self.release),
            ("strategy", &self.strategy),
            ("environment", &self.environment),
        ];
        fields
            .into_iter()
            .filter_map(|(key, value)| value.as_ref().map(|v| KeyValue::new(key, v.clone())))
            .collect()
    }
}

struct Instruments {
    deployed: Counter<u64>,
    rolled_back: Counter<u64>,
    failed: Counter<u64>,
    crds_validated: Counter<u64>,
    deploy_duration: Histogram<f64>,
    rollback_duration: Histogram<f64>,
    healthcheck_duration: Histogram<f64>,
    helm_install_duration: Histogram<f64>,
    deployments_active: Gauge<u64>,
    healthy: Gauge<u64>,
    unhealthy: Gauge<u64>,
}

/// The rollout instruments. Every method is a no-op on a disabled instance.
pub struct Metrics {
    instruments: Option<Instruments>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("enabled", &self.is_enabled())
            .finish()
    }
}

static DISABLED: Metrics = Metrics::disabled();
static GLOBAL: OnceLock<Metrics> = OnceLock::new();

/// The process's metrics: live after [`super::init`] with a metrics endpoint, else disabled.
pub fn metrics() -> &'static Metrics {
    GLOBAL.get().unwrap_or(&DISABLED)
}

/// Make `metrics` the process's instance; false when one was installed already.
pub(crate) fn install(metrics: Metrics) -> bool {
    GLOBAL.set(metrics).is_ok()
}

impl Metrics {
    /// An instance that records nothing.
    pub const fn disabled() -> Self {
        Metrics { instruments: None }
    }

    /// All instruments, created on `meter`.
    pub fn from_meter(meter: &Meter) -> Self {
        let [deployed, rolled_back, failed, crds_validated, deploy, rollback, healthcheck, helm, active, healthy, unhealthy] =
            INSTRUMENTS;
        let counter = |s: InstrumentSpec| {
            meter
                .u64_counter(s.name)
                .with_unit(s.unit)
                .with_description(s.description)
                .build()
        };
        let histogram = |s: InstrumentSpec| {
            meter
                .f64_histogram(s.name)
                .with_unit(s.unit)
                .with_description(s.description)
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build()
        };
        let gauge = |s: InstrumentSpec| {
            meter
                .u64_gauge(s.name)
                .with_unit(s.unit)
                .with_description(s.description)
                .build()
        };
        Metrics {
            instruments: Some(Instruments {
                deployed: counter(deployed),
                rolled_back: counter(rolled_back),
                failed: counter(failed),
                crds_validated: counter(crds_validated),
                deploy_duration: histogram(deploy),
                rollback_duration: histogram(rollback),
                healthcheck_duration: histogram(healthcheck),
                helm_install_duration: histogram(helm),
                deployments_active: gauge(active),
                healthy: gauge(healthy),
                unhealthy: gauge(unhealthy),
            }),
        }
    }

    /// True when measurements are exported.
    pub fn is_enabled(&self) -> bool {
        self.instruments.is_some()
    }

    fn with(&self, record: impl FnOnce(&Instruments)) {
        if let Some(instruments) = &self.instruments {
            record(instruments);
        }
    }

    /// `operators.deployed.total` += 1: a cluster finished its deployment successfully.
    pub fn deployed(&self, attrs: &MetricAttrs) {
        self.with(|i| i.deployed.add(1, &attrs.key_values()));
    }

    /// `operators.rollback.total` += 1: a cluster was rolled back.
    pub fn rolled_back(&self, attrs: &MetricAttrs) {
        self.with(|i| i.rolled_back.add(1, &attrs.key_values()));
    }

    /// `operators.failed.total` += 1: a cluster's deployment failed.
    pub fn failed(&self, attrs: &MetricAttrs) {
        self.with(|i| i.failed.add(1, &attrs.key_values()));
    }

    /// `crds.validated.total` += `count`: CRDs checked by the CRD gate.
    pub fn crds_validated(&self, count: u64, attrs: &MetricAttrs) {
        self.with(|i| i.crds_validated.add(count, &attrs.key_values()));
    }

    /// `operator.deploy.duration` (seconds).
    pub fn deploy_duration(&self, secs: f64, attrs: &MetricAttrs) {
        self.with(|i| i.deploy_duration.record(secs, &attrs.key_values()));
    }

    /// `operator.rollback.duration` (seconds).
    pub fn rollback_duration(&self, secs: f64, attrs: &MetricAttrs) {
        self.with(|i| i.rollback_duration.record(secs, &attrs.key_values()));
    }

    /// `operator.healthcheck.duration` (seconds).
    pub fn healthcheck_duration(&self, secs: f64, attrs: &MetricAttrs) {
        self.with(|i| i.healthcheck_duration.record(secs, &attrs.key_values()));
    }

    /// `helm.install.duration` (seconds).
    pub fn helm_install_duration(&self, secs: f64, attrs: &MetricAttrs) {
        self.with(|i| i.helm_install_duration.record(secs, &attrs.key_values()));
    }

    /// `deployments.active` = `n`.
    pub fn set_active_deployments(&self, n: u64, attrs: &MetricAttrs) {
        self.with(|i| i.deployments_active.record(n, &attrs.key_values()));
    }

    /// `operators.healthy` = `n`.
    pub fn set_healthy(&self, n: u64, attrs: &MetricAttrs) {
        self.with(|i| i.healthy.record(n, &attrs.key_values()));
    }

    /// `operators.unhealthy` = `n`.
    pub fn set_unhealthy(&self, n: u64, attrs: &MetricAttrs) {
        self.with(|i| i.unhealthy.record(n, &attrs.key_values()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kinds_match_the_issue() {
        let mut seen = std::collections::BTreeSet::new();
        for s in INSTRUMENTS {
            assert!(seen.insert(s.name), "duplicate {}", s.name);
            let expected = if s.name.ends_with(".total") {
                InstrumentKind::Counter
            } else if s.name.ends_with(".duration") {
                InstrumentKind::Histogram
            } else {
                InstrumentKind::Gauge
            };
            assert_eq!(s.kind, expected, "{}", s.name);
        }
        assert_eq!(seen.len(), 11);
    }

    #[test]
    fn attributes_leave_out_unset_fields() {
        let attrs = MetricAttrs::new().cluster("prod-eu").environment("prod");
        let kvs = attrs.key_values();
        assert_eq!(
            kvs,
            vec![
                KeyValue::new("cluster", "prod-eu"),
                KeyValue::new("environment", "prod")
            ]
        );
        assert!(MetricAttrs::new().key_values().is_empty());
    }

    #[test]
    fn disabled_metrics_accept_every_call() {
        let m = Metrics::disabled();
        assert!(!m.is_enabled());
        let a = MetricAttrs::new().release("r");
        m.deployed(&a);
        m.rolled_back(&a);
        m.failed(&a);
        m.crds_validated(3, &a);
        m.deploy_duration(1.0, &a);
        m.rollback_duration(1.0, &a);
        m.healthcheck_duration(1.0, &a);
        m.helm_install_duration(1.0, &a);
        m.set_active_deployments(1, &a);
        m.set_healthy(1, &a);
        m.set_unhealthy(0, &a);
    }
}
