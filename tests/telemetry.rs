//! Telemetry end to end through the real binary: `kubectl-opm __telemetry-selftest` sets up
//! logging, tracing and metrics exactly as a rollout does (flags, `OTEL_*`, `TRACEPARENT`)
//! and emits one simulated two-cluster rollout; an in-process OTLP/HTTP receiver
//! (`support::otlp`) decodes what it exports.
//!
//! The simulated rollout: release `selftest`, strategy canary, `dev-1` (env dev) healthy,
//! `prod-1` (env prod) fails its webhook check and is rolled back to revision 1.

mod support;

use std::collections::BTreeMap;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::otlp::{black_hole, MetricKind, OtlpReceiver, ReceivedMetric, ReceivedSpan};

const INCOMING_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const INCOMING_SPAN: &str = "00f067aa0ba902b7";

/// Variables the test controls; cleared so the caller's environment cannot leak in.
const CONTROLLED: &[&str] = &[
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "TRACEPARENT",
    "TRACESTATE",
    "RUST_LOG",
    "OPM_LOG_FORMAT",
    "OPM_LOG_LEVEL",
    "NO_COLOR",
];

fn selftest(env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(support::opm_bin());
    cmd.arg("__telemetry-selftest").args(args);
    for var in CONTROLLED {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// Run to completion, failing the test if the process is still running at `deadline`
/// (a hang guard, not a timing assertion).
fn run_with_deadline(mut cmd: Command, deadline: Duration) -> Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start kubectl-opm");
    let started = Instant::now();
    loop {
        match child.try_wait().expect("wait for kubectl-opm") {
            Some(_) => return child.wait_with_output().expect("collect output"),
            None if started.elapsed() > deadline => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("collect output");
                panic!(
                    "kubectl-opm still running after {deadline:?}; stderr:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn run_ok(cmd: Command) -> (Value, String) {
    let out = run_with_deadline(cmd, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    let stdout: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (stdout, stderr)
}

/// A receiver, and one selftest run exporting to it with an incoming TRACEPARENT.
fn exported_run() -> (OtlpReceiver, Value) {
    let receiver = OtlpReceiver::start();
    let endpoint = receiver.endpoint();
    let traceparent = format!("00-{INCOMING_TRACE}-{INCOMING_SPAN}-01");
    let (stdout, stderr) = run_ok(selftest(
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_SERVICE_NAME", "release-pipeline"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment=ci,team=platform%20ops",
            ),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-otlp-token=abc%20def"),
            ("TRACEPARENT", &traceparent),
        ],
        &[],
    ));
    assert_eq!(stdout["exporting"], true, "{stdout}");
    assert_eq!(stdout["flushed"], true, "stderr:\n{stderr}");
    (receiver, stdout)
}

fn by_name<'a>(spans: &'a [ReceivedSpan], name: &str) -> Vec<&'a ReceivedSpan> {
    spans.iter().filter(|s| s.name == name).collect()
}

#[test]
fn spans_reach_the_collector_as_one_trace_with_the_rollout_structure() {
    let (receiver, stdout) = exported_run();
    let spans = receiver.spans();

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &spans {
        *counts.entry(s.name.as_str()).or_default() += 1;
    }
    let expected: BTreeMap<&str, usize> = [
        ("operator.deploy", 1),
        ("operator.validate", 1),
        ("cluster.connect", 2),
        ("helm.install", 2),
        ("operator.healthcheck", 2),
        ("pod.healthcheck", 2),
        ("webhook.healthcheck", 2),
        ("crd.reconciliation.check", 2),
        ("operator.rollback", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(counts, expected);

    // One trace: the one the CI system passed in TRACEPARENT.
    assert!(spans.iter().all(|s| s.trace_id == INCOMING_TRACE));
    let root = by_name(&spans, "operator.deploy")[0];
    assert_eq!(root.parent_span_id, INCOMING_SPAN);
    assert_eq!(
        stdout["traceparent"],
        format!("00-{INCOMING_TRACE}-{}-01", root.span_id)
    );

    // Stage spans hang off the root; check spans off their operator.healthcheck.
    for name in [
        "operator.validate",
        "cluster.connect",
        "helm.install",
        "operator.healthcheck",
        "operator.rollback",
    ] {
        for s in by_name(&spans, name) {
            assert_eq!(
                s.parent_span_id, root.span_id,
                "{name} under operator.deploy"
            );
        }
    }
    for check in by_name(&spans, "operator.healthcheck") {
        let mut children: Vec<&str> = spans
            .iter()
            .filter(|s| s.parent_span_id == check.span_id)
            .map(|s| s.name.as_str())
            .collect();
        children.sort();
        assert_eq!(
            children,
            [
                "crd.reconciliation.check",
                "pod.healthcheck",
                "webhook.healthcheck"
            ]
        );
        let cluster = &check.attributes["cluster"];
        assert!(spans
            .iter()
            .filter(|s| s.parent_span_id == check.span_id)
            .all(|s| &s.attributes["cluster"] == cluster));
    }

    // Span attributes: the standard fields.
    for (key, value) in [
        ("operatorName", "selftest-operator"),
        ("version", "1.2.3"),
        ("deploymentId", "selftest-0001"),
        ("user", "selftest@example.invalid"),
        ("release", "selftest"),
        ("strategy", "canary"),
    ] {
        assert_eq!(
            root.attributes.get(key).map(String::as_str),
            Some(value),
            "{key}"
        );
    }
    let helm: BTreeMap<&str, &ReceivedSpan> = by_name(&spans, "helm.install")
        .into_iter()
        .map(|s| (s.attributes["cluster"].as_str(), s))
        .collect();
    assert_eq!(
        helm.keys().copied().collect::<Vec<_>>(),
        ["dev-1", "prod-1"]
    );
    assert_eq!(helm["dev-1"].attributes["revision"], "2");
    let rollback = by_name(&spans, "operator.rollback")[0];
    assert_eq!(rollback.attributes["cluster"], "prod-1");
    assert_eq!(rollback.attributes["toRevision"], "1");

    // The TRACEPARENT a helm child process gets is its helm.install span.
    for (cluster, span) in &helm {
        assert_eq!(
            stdout["helmTraceparents"][cluster],
            format!("00-{INCOMING_TRACE}-{}-01", span.span_id)
        );
    }

    // Failures carry status ERROR; the healthy cluster's checks do not.
    let failed_webhook = by_name(&spans, "webhook.healthcheck")
        .into_iter()
        .find(|s| s.attributes["cluster"] == "prod-1")
        .unwrap();
    assert_eq!(failed_webhook.status_code, 2);
    assert_eq!(
        failed_webhook.status_message,
        "webhook did not answer within 1s"
    );
    assert_eq!(root.status_code, 2);
    assert_eq!(root.status_message, "prod-1 rolled back");
    assert!(by_name(&spans, "webhook.healthcheck")
        .into_iter()
        .any(|s| s.attributes["cluster"] == "dev-1" && s.status_code != 2));

    // Resource: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (decoded).
    assert_eq!(root.resource["service.name"], "release-pipeline");
    assert_eq!(root.resource["deployment.environment"], "ci");
    assert_eq!(root.resource["team"], "platform ops");
    assert_eq!(root.resource["service.version"], env!("CARGO_PKG_VERSION"));

    // OTEL_EXPORTER_OTLP_HEADERS went out on every request, decoded.
    let requests = receiver.requests();
    assert!(requests.iter().any(|r| r.path == "/v1/traces"));
    for r in &requests {
        assert_eq!(r.content_type, "application/x-protobuf");
        assert_eq!(
            r.headers.get("x-otlp-token").map(String::as_str),
            Some("abc def")
        );
    }
}

/// The instruments, written out here rather than taken from the code under test.
const EXPECTED_METRICS: [(&str, MetricKind, &str); 11] = [
    ("operators.deployed.total", MetricKind::Counter, "1"),
    ("operators.rollback.total", MetricKind::Counter, "1"),
    ("operators.failed.total", MetricKind::Counter, "1"),
    ("crds.validated.total", MetricKind::Counter, "1"),
    ("operator.deploy.duration", MetricKind::Histogram, "s"),
    ("operator.rollback.duration", MetricKind::Histogram, "s"),
    ("operator.healthcheck.duration", MetricKind::Histogram, "s"),
    ("helm.install.duration", MetricKind::Histogram, "s"),
    ("deployments.active", MetricKind::Gauge, "1"),
    ("operators.healthy", MetricKind::Gauge, "1"),
    ("operators.unhealthy", MetricKind::Gauge, "1"),
];

fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `(attributes, value, count)` of every point of `name`, sorted.
fn points(metrics: &[ReceivedMetric], name: &str) -> Vec<(BTreeMap<String, String>, f64, u64)> {
    let mut out: Vec<_> = metrics
        .iter()
        .filter(|m| m.name == name)
        .flat_map(|m| m.points.iter())
        .map(|p| (p.attributes.clone(), p.value, p.count))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_metric_reaches_the_collector_with_its_kind_and_attributes() {
    let (receiver, _) = exported_run();
    let metrics = receiver.metrics();
    let mut seen: BTreeMap<&str, (MetricKind, &str)> = BTreeMap::new();
    for m in &metrics {
        seen.insert(m.name.as_str(), (m.kind, m.unit.as_str()));
    }
    let expected: BTreeMap<&str, (MetricKind, &str)> = EXPECTED_METRICS
        .iter()
        .map(|(n, k, u)| (*n, (*k, *u)))
        .collect();
    assert_eq!(seen, expected);

    let dev = [
        ("cluster", "dev-1"),
        ("environment", "dev"),
        ("release", "selftest"),
        ("strategy", "canary"),
    ];
    let prod = [
        ("cluster", "prod-1"),
        ("environment", "prod"),
        ("release", "selftest"),
        ("strategy", "canary"),
    ];
    let fleet = [("release", "selftest"), ("strategy", "canary")];
    assert_eq!(
        points(&metrics, "operators.deployed.total"),
        vec![(attrs(&dev), 1.0, 0)]
    );
    assert_eq!(
        points(&metrics, "operators.failed.total"),
        vec![(attrs(&prod), 1.0, 0)]
    );
    assert_eq!(
        points(&metrics, "operators.rollback.total"),
        vec![(attrs(&prod), 1.0, 0)]
    );
    assert_eq!(
        points(&metrics, "crds.validated.total"),
        vec![(attrs(&fleet), 2.0, 0)]
    );
    assert_eq!(
        points(&metrics, "operators.healthy"),
        vec![(attrs(&fleet), 1.0, 0)]
    );
    assert_eq!(
        points(&metrics, "operators.unhealthy"),
        vec![(attrs(&fleet), 1.0, 0)]
    );
    assert_eq!(
        points(&metrics, "deployments.active"),
        vec![(attrs(&fleet), 0.0, 0)]
    );
    // One recording per cluster for helm installs and health checks; the durations are real
    // (tiny) elapsed times, so only their count is checked.
    for name in ["helm.install.duration", "operator.healthcheck.duration"] {
        let counts: Vec<_> = points(&metrics, name)
            .into_iter()
            .map(|(a, _, c)| (a, c))
            .collect();
        assert_eq!(counts, vec![(attrs(&dev), 1), (attrs(&prod), 1)], "{name}");
    }
    let deploys: Vec<_> = points(&metrics, "operator.deploy.duration")
        .into_iter()
        .map(|(a, _, c)| (a, c))
        .collect();
    assert_eq!(deploys, vec![(attrs(&dev), 1)]);
    let rollbacks: Vec<_> = points(&metrics, "operator.rollback.duration")
        .into_iter()
        .map(|(a, _, c)| (a, c))
        .collect();
    assert_eq!(rollbacks, vec![(attrs(&prod), 1)]);
}

#[test]
fn http_json_protocol_is_honoured() {
    let receiver = OtlpReceiver::start();
    let endpoint = receiver.endpoint();
    let (stdout, _) = run_ok(selftest(
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_METRICS_EXPORTER", "none"),
        ],
        &[],
    ));
    assert_eq!(stdout["flushed"], true);
    let requests = receiver.requests();
    assert!(!requests.is_empty());
    assert!(requests.iter().all(|r| r.path == "/v1/traces"));
    let mut names = Vec::new();
    for r in &requests {
        assert_eq!(r.content_type, "application/json");
        let json = r.json.as_ref().unwrap();
        for rs in json["resourceSpans"].as_array().unwrap() {
            for ss in rs["scopeSpans"].as_array().unwrap() {
                for s in ss["spans"].as_array().unwrap() {
                    names.push(s["name"].as_str().unwrap().to_string());
                }
            }
        }
    }
    assert!(names.iter().any(|n| n == "operator.deploy"), "{names:?}");
    assert_eq!(names.len(), 15);
}

#[test]
fn gzip_compression_and_signal_specific_endpoints() {
    let traces = OtlpReceiver::start();
    let metrics = OtlpReceiver::start();
    let traces_url = format!("{}/v1/traces", traces.endpoint());
    let metrics_url = format!("{}/v1/metrics", metrics.endpoint());
    let (stdout, _) = run_ok(selftest(
        &[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &traces_url),
            ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", &metrics_url),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ],
        &[],
    ));
    assert_eq!(stdout["flushed"], true);
    assert_eq!(traces.spans().len(), 15);
    assert!(traces.metrics().is_empty());
    let names: std::collections::BTreeSet<String> =
        metrics.metrics().into_iter().map(|m| m.name).collect();
    assert_eq!(names.len(), 11);
    assert!(metrics.spans().is_empty());
    for r in traces.requests().iter().chain(metrics.requests().iter()) {
        assert_eq!(
            r.headers.get("content-encoding").map(String::as_str),
            Some("gzip")
        );
    }
}

#[test]
fn nothing_is_exported_without_an_endpoint() {
    // Headers, protocol and service name alone do not switch export on.
    let (stdout, stderr) = run_ok(selftest(
        &[
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-token=1"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_SERVICE_NAME", "quiet"),
        ],
        &[],
    ));
    assert_eq!(stdout["exporting"], false);
    assert_eq!(stdout["flushed"], true);
    // Trace ids exist anyway, for log correlation and child processes.
    let tp = stdout["traceparent"].as_str().unwrap();
    assert!(tp.starts_with("00-") && tp.len() == 55, "{tp}");
    assert!(!stderr.contains("OTLP"), "{stderr}");

    // OTEL_SDK_DISABLED wins over an endpoint: the receiver hears nothing.
    let receiver = OtlpReceiver::start();
    let endpoint = receiver.endpoint();
    let (stdout, _) = run_ok(selftest(
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_SDK_DISABLED", "true"),
        ],
        &[],
    ));
    assert_eq!(stdout["exporting"], false);
    assert!(receiver.requests().is_empty());
}

#[test]
fn json_logs_carry_trace_ids_and_rollout_fields() {
    let (stdout, stderr) = run_ok(selftest(&[], &["--log-format", "json"]));
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    // info and above by default in JSON: the 14 events of the simulated rollout.
    assert_eq!(lines.len(), 14, "{stderr}");
    let root_tp = stdout["traceparent"].as_str().unwrap();
    let trace_id = &root_tp[3..35];
    for line in &lines {
        assert_eq!(line["traceId"], trace_id, "{line}");
        for key in ["timestamp", "level", "message", "spanId", "span"] {
            assert!(line.get(key).is_some(), "{key} missing in {line}");
        }
        assert_eq!(line["operatorName"], "selftest-operator");
        assert_eq!(line["version"], "1.2.3");
        assert_eq!(line["deploymentId"], "selftest-0001");
        assert_eq!(line["user"], "selftest@example.invalid");
        let ts: jiff::Timestamp = line["timestamp"].as_str().unwrap().parse().unwrap();
        assert!(ts > "2020-01-01T00:00:00Z".parse().unwrap());
    }
    let helm_dev = lines
        .iter()
        .find(|l| l["span"] == "helm.install" && l["cluster"] == "dev-1")
        .unwrap();
    assert_eq!(helm_dev["message"], "helm upgrade --install finished");
    assert_eq!(helm_dev["level"], "INFO");
    let helm_tp = stdout["helmTraceparents"]["dev-1"].as_str().unwrap();
    assert_eq!(helm_dev["spanId"], &helm_tp[36..52]);
    let warn = lines.iter().find(|l| l["level"] == "WARN").unwrap();
    assert_eq!(warn["message"], "webhook did not answer within 1s");
    assert_eq!(warn["cluster"], "prod-1");

    // --log-level warn keeps only the warnings; OPM_LOG_FORMAT stands in for the flag.
    let (_, stderr) = run_ok(selftest(
        &[("OPM_LOG_FORMAT", "json")],
        &["--log-level", "warn"],
    ));
    let levels: Vec<String> = stderr
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["level"].to_string())
        .collect();
    assert_eq!(levels, ["\"WARN\"", "\"WARN\""]);
}

#[test]
fn text_logs_default_to_warnings_with_their_span_context() {
    let (_, stderr) = run_ok(selftest(&[], &[]));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].ends_with(
            "operator.healthcheck{cluster=prod-1}:webhook.healthcheck{cluster=prod-1}: \
             webhook did not answer within 1s"
        ),
        "{stderr}"
    );
    assert!(lines[1].contains(" WARN operator.deploy{operatorName=selftest-operator"));
    assert!(lines[1]
        .ends_with("operator.rollback{cluster=prod-1 toRevision=1}: rolling back to revision 1"));
}

#[test]
fn a_hung_collector_does_not_hold_the_cli() {
    let (_listener, endpoint) = black_hole();
    let out = run_with_deadline(
        selftest(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)], &[]),
        Duration::from_secs(60),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stdout["exporting"], true);
    assert_eq!(stdout["flushed"], false);
    assert!(
        stderr
            .contains("telemetry: not every span and metric reached the OTLP collector within 5s"),
        "{stderr}"
    );
}

#[test]
fn an_absent_collector_does_not_fail_the_cli() {
    // A port nobody listens on: connections are refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = run_with_deadline(
        selftest(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)], &[]),
        Duration::from_secs(60),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stdout["exporting"], true);
    assert_eq!(stdout["flushed"], false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "WARN telemetry: the OTLP collector did not accept every span and metric; the \
             rest is dropped"
        ),
        "{stderr}"
    );
}

#[test]
fn bad_telemetry_settings_are_usage_errors() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ],
            "Error: telemetry configuration: OTEL_EXPORTER_OTLP_PROTOCOL=\"grpc\": OTLP over \
             gRPC is not supported; use http/protobuf (or http/json) and point the endpoint at \
             the collector's OTLP/HTTP port (usually 4318)\n",
        ),
        (
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318")],
            "Error: telemetry configuration: OTEL_EXPORTER_OTLP_ENDPOINT=\"localhost:4318\": \
             expected an http:// or https:// URL with a host, e.g. http://localhost:4318\n",
        ),
        (
            &[("RUST_LOG", "opm=loud")],
            "Error: RUST_LOG=\"opm=loud\" is not a valid log filter: error parsing level \
             filter: expected one of \"off\", \"error\", \"warn\", \"info\", \"debug\", \
             \"trace\", or a number 0-5\n",
        ),
        (
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
                ("OTEL_EXPORTER_OTLP_HEADERS", "authorization Bearer s3cret"),
            ],
            "Error: telemetry configuration: OTEL_EXPORTER_OTLP_HEADERS=\"<redacted>\": \
             expected name=value pairs separated by commas\n",
        ),
    ];
    for (env, expected) in cases {
        let out = run_with_deadline(selftest(env, &[]), Duration::from_secs(60));
        assert_eq!(out.status.code(), Some(2), "{env:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), expected);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn an_invalid_traceparent_starts_a_new_trace_with_a_warning() {
    let (stdout, stderr) = run_ok(selftest(&[("TRACEPARENT", "00-nonsense")], &[]));
    assert!(
        stderr.contains(
            "WARN ignoring TRACEPARENT: invalid traceparent \"00-nonsense\": expected \
             version-traceid-parentid-flags; starting a new trace"
        ),
        "{stderr}"
    );
    let tp = stdout["traceparent"].as_str().unwrap();
    assert_eq!(tp.len(), 55);
}

#[test]
fn the_selftest_command_is_hidden_from_help() {
    let out = Command::new(support::opm_bin())
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("rollout"), "{help}");
    assert!(!help.contains("telemetry-selftest"), "{help}");
}
