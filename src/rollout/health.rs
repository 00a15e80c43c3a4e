//! Health gate: pure evaluation of one health snapshot of a cluster (read by the cluster
//! layer) against the plan's health settings. No I/O here, so every rule is unit-tested.
//!
//! A check fails when any of these holds:
//! - a controller pod is not Ready, or none exist;
//! - a controller pod crash-loops: it waits in `CrashLoopBackOff`, or restarted at least
//!   `crashLoopRestarts` times within `crashLoopWindow` (default 3 in 5 minutes);
//! - a webhook Service has no ready endpoint, does not answer, answers slower than
//!   `webhookTimeout` (1 s), or serves a certificate expiring within `certMinValidity`;
//! - a custom resource is not reconciled: `status.observedGeneration` behind
//!   `metadata.generation` for longer than `reconcileWindow`, or `Ready=False` for longer
//!   than `reconcileWindow` (5 minutes);
//! - the share of custom resources reporting errors reaches `maxReconcileErrorRate` (5%).

use std::time::Duration;

use serde::Serialize;

use super::duration::format_duration;
use super::plan::HealthSettings;

/// A controller pod.
#[derive(Debug, Clone, PartialEq)]
pub struct PodHealth {
    pub name: String,
    pub ready: bool,
    pub restart_count: u32,
    /// Restarts within the crash-loop window (from the container's restart history, or the
    /// difference against an earlier snapshot).
    pub restarts_in_window: u32,
    /// A container waits with reason `CrashLoopBackOff`.
    pub crash_loop_back_off: bool,
}

/// A webhook the chart registers.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookHealth {
    pub name: String,
    pub ready_endpoints: usize,
    /// Time to answer; `None` when it did not answer.
    pub latency: Option<Duration>,
    /// Time left on the serving certificate, when known.
    pub cert_valid_for: Option<Duration>,
}

/// A custom resource the operator reconciles.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceHealth {
    /// `Kind/namespace/name`.
    pub name: String,
    /// How long `observedGeneration` has lagged `generation` (`None`: it is current).
    pub generation_lag_for: Option<Duration>,
    /// How long `Ready` has been `False` (`None`: not False).
    pub not_ready_for: Option<Duration>,
    /// Its status reports a reconcile error.
    pub error: bool,
}

/// What the cluster layer observed at one check.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthSnapshot {
    pub pods: Vec<PodHealth>,
    pub webhooks: Vec<WebhookHealth>,
    pub resources: Vec<ResourceHealth>,
}

/// The verdict of one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthVerdict {
    pub healthy: bool,
    /// What failed, one line each, for people and the audit trail.
    pub problems: Vec<String>,
}

/// Evaluate one snapshot.
pub fn evaluate(snapshot: &HealthSnapshot, settings: &HealthSettings) -> HealthVerdict {
    let mut problems = Vec::new();
    if snapshot.pods.is_empty() {
        problems.push(format!(
            "no controller pods match {}",
            settings.controller_selector
        ));
    }
    for pod in &snapshot.pods {
        if pod.crash_loop_back_off {
            problems.push(format!("pod {} is in CrashLoopBackOff", pod.name));
        } else if pod.restarts_in_window >= settings.crash_loop_restarts {
            problems.push(format!(
                "pod {} crash-loops: {} restarts in {}",
                pod.name,
                pod.restarts_in_window,
                format_duration(settings.crash_loop_window)
            ));
        }
        if !pod.ready {
            problems.push(format!("pod {} is not Ready", pod.name));
        }
    }
    for hook in &snapshot.webhooks {
        if hook.ready_endpoints == 0 {
            problems.push(format!("webhook {} has no ready endpoints", hook.name));
            continue;
        }
        match hook.latency {
            None => problems.push(format!("webhook {} does not answer", hook.name)),
            Some(l) if l > settings.webhook_timeout => problems.push(format!(
                "webhook {} answered in {}, slower than {}",
                hook.name,
                format_duration(l),
                format_duration(settings.webhook_timeout)
            )),
            Some(_) => {}
        }
        if let Some(left) = hook.cert_valid_for {
            if left < settings.cert_min_validity {
                problems.push(format!(
                    "webhook {} certificate expires in {}",
                    hook.name,
                    format_duration(left)
                ));
            }
        }
    }
    let window = settings.reconcile_window;
    for r in &snapshot.resources {
        if let Some(lag) = r.generation_lag_for.filter(|l| *l > window) {
            problems.push(format!(
                "{} not reconciled for {} (observedGeneration behind generation)",
                r.name,
                format_duration(lag)
            ));
        }
        if let Some(age) = r.not_ready_for.filter(|a| *a > window) {
            problems.push(format!(
                "{} has been Ready=False for {}",
                r.name,
                format_duration(age)
            ));
        }
    }
    let errors = snapshot.resources.iter().filter(|r| r.error).count();
    if errors > 0 {
        let share = errors as f64 / snapshot.resources.len() as f64;
        if share >= settings.max_reconcile_error_rate {
            problems.push(format!(
                "{errors} of {} custom resources report reconcile errors ({:.1}%, limit {:.1}%)",
                snapshot.resources.len(),
                share * 100.0,
                settings.max_reconcile_error_rate * 100.0
            ));
        }
    }
    HealthVerdict {
        healthy: problems.is_empty(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> HealthSettings {
        HealthSettings::defaults("op")
    }

    fn pod(name: &str) -> PodHealth {
        PodHealth {
            name: name.into(),
            ready: true,
            restart_count: 0,
            restarts_in_window: 0,
            crash_loop_back_off: false,
        }
    }

    fn hook() -> WebhookHealth {
        WebhookHealth {
            name: "op-webhook".into(),
            ready_endpoints: 1,
            latency: Some(Duration::from_millis(20)),
            cert_valid_for: Some(Duration::from_secs(30 * 86_400)),
        }
    }

    fn resource(name: &str) -> ResourceHealth {
        ResourceHealth {
            name: name.into(),
            generation_lag_for: None,
            not_ready_for: None,
            error: false,
        }
    }

    fn problems(s: &HealthSnapshot) -> Vec<String> {
        evaluate(s, &settings()).problems
    }

    #[test]
    fn healthy_snapshot() {
        let s = HealthSnapshot {
            pods: vec![pod("op-1"), pod("op-2")],
            webhooks: vec![hook()],
            resources: vec![resource("Cert/a/x")],
        };
        assert_eq!(
            evaluate(&s, &settings()),
            HealthVerdict {
                healthy: true,
                problems: vec![]
            }
        );
    }

    #[test]
    fn pods() {
        let mut looping = pod("op-1");
        looping.restarts_in_window = 3;
        looping.restart_count = 9;
        looping.ready = false;
        let mut two = pod("op-2");
        two.restarts_in_window = 2;
        let mut backoff = pod("op-3");
        backoff.crash_loop_back_off = true;
        let s = HealthSnapshot {
            pods: vec![looping, two, backoff],
            ..HealthSnapshot::default()
        };
        assert_eq!(
            problems(&s),
            [
                "pod op-1 crash-loops: 3 restarts in 5m",
                "pod op-1 is not Ready",
                "pod op-3 is in CrashLoopBackOff"
            ]
        );
        assert_eq!(
            problems(&HealthSnapshot::default()),
            ["no controller pods match app.kubernetes.io/instance=op"]
        );
    }

    #[test]
    fn webhooks() {
        let mut slow = hook();
        slow.latency = Some(Duration::from_millis(1500));
        let mut silent = hook();
        silent.latency = None;
        let mut expiring = hook();
        expiring.cert_valid_for = Some(Duration::from_secs(3600));
        let mut no_endpoints = hook();
        no_endpoints.ready_endpoints = 0;
        let s = HealthSnapshot {
            pods: vec![pod("op-1")],
            webhooks: vec![slow, silent, expiring, no_endpoints],
            resources: vec![],
        };
        assert_eq!(
            problems(&s),
            [
                "webhook op-webhook answered in 1500ms, slower than 1s",
                "webhook op-webhook does not answer",
                "webhook op-webhook certificate expires in 1h",
                "webhook op-webhook has no ready endpoints"
            ]
        );
    }

    #[test]
    fn custom_resources() {
        let mut stale = resource("Cert/a/stale");
        stale.generation_lag_for = Some(Duration::from_secs(301));
        let mut fresh_lag = resource("Cert/a/fresh");
        fresh_lag.generation_lag_for = Some(Duration::from_secs(60));
        let mut not_ready = resource("Cert/a/down");
        not_ready.not_ready_for = Some(Duration::from_secs(600));
        let resources = vec![stale, fresh_lag, not_ready];
        let s = HealthSnapshot {
            pods: vec![pod("op-1")],
            webhooks: vec![],
            resources,
        };
        assert_eq!(
            problems(&s),
            [
                "Cert/a/stale not reconciled for 5m1s (observedGeneration behind generation)",
                "Cert/a/down has been Ready=False for 10m"
            ]
        );
        // "Under 5%": one error in 21 resources (4.8%) passes, one in 20 (5%) fails.
        let with_errors = |n: usize| HealthSnapshot {
            pods: vec![pod("op-1")],
            webhooks: vec![],
            resources: (0..n)
                .map(|i| ResourceHealth {
                    error: i == 0,
                    ..resource(&format!("Cert/c/{i}"))
                })
                .collect(),
        };
        assert_eq!(problems(&with_errors(21)), Vec::<String>::new());
        assert_eq!(
            problems(&with_errors(20)),
            ["1 of 20 custom resources report reconcile errors (5.0%, limit 5.0%)"]
        );
    }
}
