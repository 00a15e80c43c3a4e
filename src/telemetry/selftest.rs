//! `kubectl-opm __telemetry-selftest`: a hidden command that sets telemetry up exactly as a
//! rollout does and emits one simulated two-cluster rollout (every span, every metric, log
//! lines inside the spans), without touching any cluster.
//!
//! It exists so the telemetry wiring is tested end to end through the real binary (flags,
//! environment, exporter threads, bounded shutdown) and so users can check that their
//! collector receives what a rollout would send (`OTEL_EXPORTER_OTLP_ENDPOINT=… kubectl opm
//! __telemetry-selftest`). It prints one JSON object on stdout: the root span's
//! `traceparent`, the `TRACEPARENT` each simulated helm call would receive, whether
//! anything was exported and whether the final flush finished in time.

use std::collections::BTreeMap;
use std::time::Instant;

use super::metrics::{metrics, MetricAttrs};
use super::spans::{self, DeployFields};
use super::{context, init_from_env, TelemetryArgs};
use crate::error::Error;

#[derive(Debug, clap::Args)]
pub struct SelftestArgs {
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

/// What the simulated rollout produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelftestReport {
    /// `traceparent` of the root `operator.deploy` span.
    pub traceparent: Option<String>,
    /// Per cluster, the `TRACEPARENT` a helm child process started inside `helm.install`
    /// would get.
    pub helm_traceparents: BTreeMap<String, String>,
}

/// The simulated fleet: (kube context, environment, healthy after the upgrade).
const CLUSTERS: [(&str, &str, bool); 2] = [("dev-1", "dev", true), ("prod-1", "prod", false)];

/// Run the command: set telemetry up from flags and environment, simulate, shut down.
pub fn run(args: SelftestArgs) -> Result<i32, Error> {
    let guard = init_from_env(&args.telemetry)?;
    let exporting = guard.is_exporting();
    let report = simulate_rollout();
    let flushed = guard.shutdown();
    let out = serde_json::json!({
        "traceparent": report.traceparent,
        "helmTraceparents": report.helm_traceparents,
        "exporting": exporting,
        "flushed": flushed,
    });
    crate::cli::write_stdout(format!("{out}\n").as_bytes());
    Ok(0)
}

/// Emit the spans, metrics and log lines of a Canary rollout of release `selftest` to
/// `dev-1` (healthy) and `prod-1` (webhook check fails, rolled back to revision 1).
pub fn simulate_rollout() -> SelftestReport {
    let m = metrics();
    let fields = DeployFields {
        operator_name: "selftest-operator".into(),
        version: "1.2.3".into(),
        deployment_id: "selftest-0001".into(),
        user: Some("selftest@example.invalid".into()),
        release: "selftest".into(),
        strategy: "canary".into(),
    };
    let root = spans::deploy(&fields, None);
    let _root_guard = root.enter();
    let mut report = SelftestReport {
        traceparent: context::trace_parent_of(&root).map(|tp| tp.to_string()),
        ..SelftestReport::default()
    };
    tracing::info!("rollout started");
    let base = MetricAttrs::new().release("selftest").strategy("canary");

    {
        let span = spans::validate();
        let _g = span.enter();
        m.crds_validated(2, &base);
        tracing::info!(crds = 2u64, "lint and CRD gates passed");
        spans::record_success(&span);
    }

    let mut any_failed = false;
    for (cluster, environment, healthy) in CLUSTERS {
        let attrs = base.clone().cluster(cluster).environment(environment);
        let started = Instant::now();
        {
            let span = spans::cluster_connect(cluster, environment);
            let _g = span.enter();
            tracing::info!("connected");
        }
        m.set_active_deployments(1, &base);
        {
            let span = spans::helm_install(cluster, "selftest", &fields.version);
            let _g = span.enter();
            let helm_started = Instant::now();
            if let Some((_, tp)) = context::child_env()
                .into_iter()
                .find(|(k, _)| *k == context::TRACEPARENT_ENV)
            {
                report.helm_traceparents.insert(cluster.to_string(), tp);
            }
            span.record("revision", 2u64);
            tracing::info!(revision = 2u64, "helm upgrade --install finished");
            m.helm_install_duration(helm_started.elapsed().as_secs_f64(), &attrs);
        }
        {
            let span = spans::healthcheck(cluster);
            let _g = span.enter();
            let check_started = Instant::now();
            {
                let s = spans::pod_healthcheck(cluster);
                let _g = s.enter();
                tracing::info!(ready = 1u64, restarts = 0u64, "controller pods ready");
            }
            {
                let s = spans::webhook_healthcheck(cluster);
                let _g = s.enter();
                if healthy {
                    tracing::info!("webhook answered");
                } else {
                    tracing::warn!("webhook did not answer within 1s");
                    spans::record_failure(&s, &"webhook did not answer within 1s");
                }
            }
            {
                let s = spans::crd_reconciliation_check(cluster);
                let _g = s.enter();
                tracing::info!("custom resources reconciled");
            }
            span.record("healthy", healthy);
            if !healthy {
                spans::record_failure(&span, &"health check failed");
            }
            m.healthcheck_duration(check_started.elapsed().as_secs_f64(), &attrs);
        }
        if healthy {
            m.deployed(&attrs);
            m.deploy_duration(started.elapsed().as_secs_f64(), &attrs);
        } else {
            any_failed = true;
            m.failed(&attrs);
            let span = spans::rollback(cluster, Some(1));
            let _g = span.enter();
            let rollback_started = Instant::now();
            tracing::warn!("rolling back to revision 1");
            m.rolled_back(&attrs);
            m.rollback_duration(rollback_started.elapsed().as_secs_f64(), &attrs);
        }
        m.set_active_deployments(0, &base);
    }
    let healthy = CLUSTERS.iter().filter(|c| c.2).count() as u64;
    m.set_healthy(healthy, &base);
    m.set_unhealthy(CLUSTERS.len() as u64 - healthy, &base);
    if any_failed {
        spans::record_failure(&root, &"prod-1 rolled back");
    }
    tracing::info!("rollout finished");
    report
}
