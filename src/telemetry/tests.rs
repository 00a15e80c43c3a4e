//! Library-level tests of the subscriber `init` installs, run against a thread-local
//! dispatcher with an in-memory log writer (the global one can be set once per process;
//! the binary-level tests in `tests/telemetry.rs` cover `init` itself and the export).

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

use super::spans::{self, DeployFields};
use super::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
    fn json_lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

/// Run `f` under the subscriber built from `opts`; returns the captured log output.
fn with_subscriber(opts: TelemetryOptions, f: impl FnOnce()) -> Captured {
    let captured = Captured::default();
    let writer = captured.clone();
    let (dispatch, guard) = build(&opts, BoxMakeWriter::new(move || writer.clone())).unwrap();
    assert!(!guard.is_exporting());
    tracing::dispatcher::with_default(&dispatch, f);
    assert!(guard.shutdown());
    captured
}

fn fields() -> DeployFields {
    DeployFields {
        operator_name: "cert-manager".into(),
        version: "v1.14.0".into(),
        deployment_id: "deploy-456".into(),
        user: Some("admin@example.com".into()),
        release: "cert-manager".into(),
        strategy: "canary".into(),
    }
}

fn json_opts() -> TelemetryOptions {
    TelemetryOptions {
        log_format: LogFormat::Json,
        ..TelemetryOptions::default()
    }
}

#[test]
fn json_lines_carry_ids_and_flattened_span_fields() {
    let mut ids = None;
    let logs = with_subscriber(json_opts(), || {
        let root = spans::deploy(&fields(), None);
        let _r = root.enter();
        let helm = spans::helm_install("production-us-east", "cert-manager", "v1.14.0");
        let _h = helm.enter();
        helm.record("revision", 7u64);
        ids = context::trace_parent_of(&helm);
        tracing::info!(
            attempt = 1u64,
            level = "ignored",
            "Operator deployed successfully"
        );
    });
    let ids = ids.expect("spans have ids once the OpenTelemetry layer is installed");
    let lines = logs.json_lines();
    assert_eq!(lines.len(), 1, "{}", logs.text());
    let mut line = lines[0].as_object().unwrap().clone();
    let timestamp = line.remove("timestamp").unwrap();
    let parsed: jiff::Timestamp = timestamp.as_str().unwrap().parse().unwrap();
    assert!(parsed > "2020-01-01T00:00:00Z".parse().unwrap());
    assert_eq!(
        Value::Object(line),
        serde_json::json!({
            "level": "INFO",
            "message": "Operator deployed successfully",
            "traceId": ids.trace_id.to_string(),
            "spanId": ids.span_id.to_string(),
            "span": "helm.install",
            "target": "opm::telemetry::tests",
            "operatorName": "cert-manager",
            "version": "v1.14.0",
            "deploymentId": "deploy-456",
            "user": "admin@example.com",
            "release": "cert-manager",
            "strategy": "canary",
            "cluster": "production-us-east",
            "revision": 7,
            "attempt": 1,
        })
    );
}

#[test]
fn json_lines_outside_spans_have_no_ids() {
    let logs = with_subscriber(json_opts(), || tracing::warn!(count = 2u64, "plain"));
    let line = &logs.json_lines()[0];
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["message"], "plain");
    assert_eq!(line["count"], 2);
    assert!(line.get("traceId").is_none());
    assert!(line.get("spanId").is_none());
}

#[test]
fn default_levels_follow_the_format() {
    let log_both = || {
        tracing::info!("info line");
        tracing::warn!("warn line");
    };
    let text = with_subscriber(TelemetryOptions::default(), log_both).text();
    assert!(!text.contains("info line"), "{text}");
    assert!(text.contains(" WARN warn line"), "{text}");
    let json = with_subscriber(json_opts(), log_both).json_lines();
    assert_eq!(json.len(), 2);

    // --log-level wins over RUST_LOG; RUST_LOG applies without it.
    let flagged = TelemetryOptions {
        log_level: Some(LogLevel::Info),
        rust_log: Some("error".into()),
        ..TelemetryOptions::default()
    };
    assert!(with_subscriber(flagged, log_both)
        .text()
        .contains("info line"));
    let rust_log = TelemetryOptions {
        rust_log: Some("error".into()),
        ..TelemetryOptions::default()
    };
    assert_eq!(with_subscriber(rust_log, log_both).text(), "");
    let off = TelemetryOptions {
        log_level: Some(LogLevel::Off),
        ..json_opts()
    };
    assert_eq!(with_subscriber(off, log_both).text(), "");
}

#[test]
fn text_warnings_name_their_spans_even_below_the_span_level() {
    let text = with_subscriber(TelemetryOptions::default(), || {
        let span = spans::healthcheck("prod-1");
        let _g = span.enter();
        tracing::warn!("webhook did not answer");
    })
    .text();
    assert!(
        text.contains("operator.healthcheck{cluster=prod-1}: webhook did not answer"),
        "{text}"
    );
}

#[test]
fn invalid_rust_log_is_reported() {
    let opts = TelemetryOptions {
        rust_log: Some("opm=[".into()),
        ..TelemetryOptions::default()
    };
    let err = build(&opts, BoxMakeWriter::new(std::io::sink)).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("RUST_LOG=\"opm=[\" is not a valid log filter: "),
        "{err}"
    );
}

#[test]
fn root_span_continues_an_incoming_trace_and_children_share_it() {
    let incoming =
        TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
    let mut seen = Vec::new();
    with_subscriber(TelemetryOptions::default(), || {
        // A root span is a root even when opened inside another span.
        let outer = tracing::info_span!("unrelated");
        let _o = outer.enter();
        let root = spans::deploy(&fields(), Some(&incoming));
        let _r = root.enter();
        seen.push(context::trace_parent_of(&root).unwrap());
        let check = spans::healthcheck("dev-1");
        let _c = check.enter();
        let pod = spans::pod_healthcheck("dev-1");
        let _p = pod.enter();
        seen.push(context::trace_parent_of(&pod).unwrap());
        let current = current_traceparent().unwrap();
        assert_eq!(current, seen[1].to_string());
        assert_eq!(
            child_env(),
            vec![(context::TRACEPARENT_ENV, current.clone())]
        );
    });
    for tp in &seen {
        assert_eq!(tp.trace_id, incoming.trace_id);
        assert!(tp.sampled);
    }
    assert_ne!(seen[0].span_id, incoming.span_id);
    assert_ne!(seen[0].span_id, seen[1].span_id);
}

#[test]
fn unsampled_incoming_trace_stays_unsampled() {
    let incoming =
        TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
    let mut tp = None;
    with_subscriber(TelemetryOptions::default(), || {
        let root = spans::deploy(&fields(), Some(&incoming));
        tp = context::trace_parent_of(&root);
    });
    let tp = tp.unwrap();
    assert_eq!(tp.trace_id, incoming.trace_id);
    assert!(!tp.sampled);
    assert!(tp.to_string().ends_with("-00"));
}

#[test]
fn failure_status_is_not_log_content() {
    let logs = with_subscriber(json_opts(), || {
        let span = spans::rollback("prod-1", Some(3));
        let _g = span.enter();
        spans::record_failure(&span, &"health check failed 3 times");
        tracing::error!("rolled back");
    });
    let line = &logs.json_lines()[0];
    assert_eq!(line["toRevision"], 3);
    assert_eq!(line["cluster"], "prod-1");
    assert!(line.get("otel.status_code").is_none());
    assert!(line.get("otel.status_description").is_none());
}

#[test]
fn own_targets() {
    assert!(is_own_target("opm"));
    assert!(is_own_target("opm::rollout::engine"));
    assert!(is_own_target("kubectl_opm"));
    assert!(!is_own_target("opmx"));
    assert!(!is_own_target("kube_client::client"));
}
