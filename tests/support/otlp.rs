//! An in-process OTLP/HTTP receiver for the telemetry tests: a real HTTP server on
//! `127.0.0.1` that accepts `POST /v1/traces` and `POST /v1/metrics` (protobuf or JSON, as
//! an OpenTelemetry collector does), decodes the export requests and keeps them for the
//! test to inspect. [`black_hole`] gives the opposite: an address that accepts connections
//! and never answers, standing for a collector that hangs.
//!
//! ```ignore
//! let receiver = support::otlp::OtlpReceiver::start();
//! // … run the binary with OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint() …
//! let spans = receiver.spans();
//! assert!(spans.iter().any(|s| s.name == "operator.deploy"));
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use prost::Message;

/// One HTTP request the receiver got.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub path: String,
    pub content_type: String,
    /// Header names lowercased.
    pub headers: BTreeMap<String, String>,
    /// For JSON requests: the decoded body.
    pub json: Option<serde_json::Value>,
}

/// A received span, flattened out of its export request.
#[derive(Clone, Debug)]
pub struct ReceivedSpan {
    pub name: String,
    /// Lowercase hex.
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    /// Attribute values rendered as strings (ints and bools in their usual spelling).
    pub attributes: BTreeMap<String, String>,
    /// OTLP status code: 0 unset, 1 ok, 2 error.
    pub status_code: i32,
    pub status_message: String,
    /// The resource's attributes (`service.name`, …).
    pub resource: BTreeMap<String, String>,
}

/// The kind of a received metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    /// A monotonic sum.
    Counter,
    /// A non-monotonic sum.
    UpDownCounter,
    Histogram,
    Gauge,
    Other,
}

/// One data point of a received metric.
#[derive(Clone, Debug)]
pub struct ReceivedPoint {
    pub attributes: BTreeMap<String, String>,
    /// Sum or gauge value (as f64), or for a histogram its sum.
    pub value: f64,
    /// For a histogram: the number of recordings.
    pub count: u64,
}

/// A received metric, flattened out of its export request.
#[derive(Clone, Debug)]
pub struct ReceivedMetric {
    pub name: String,
    pub kind: MetricKind,
    pub unit: String,
    pub points: Vec<ReceivedPoint>,
}

#[derive(Default)]
struct State {
    requests: Vec<RecordedRequest>,
    traces: Vec<ExportTraceServiceRequest>,
    metrics: Vec<ExportMetricsServiceRequest>,
}

/// The receiver; dropping it stops the server.
pub struct OtlpReceiver {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl OtlpReceiver {
    /// Start listening on a free port of 127.0.0.1.
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime for the OTLP receiver");
        let state = Arc::new(Mutex::new(State::default()));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let shared = state.clone();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, std::convert::Infallible>(handle(req, &shared).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        OtlpReceiver {
            addr,
            state,
            runtime: Some(runtime),
        }
    }

    /// The base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Every span received so far (protobuf requests).
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        let state = self.lock();
        let mut out = Vec::new();
        for req in &state.traces {
            for rs in &req.resource_spans {
                let resource = rs
                    .resource
                    .as_ref()
                    .map(|r| attributes(&r.attributes))
                    .unwrap_or_default();
                for ss in &rs.scope_spans {
                    for span in &ss.spans {
                        let status = span.status.clone().unwrap_or_default();
                        out.push(ReceivedSpan {
                            name: span.name.clone(),
                            trace_id: hex(&span.trace_id),
                            span_id: hex(&span.span_id),
                            parent_span_id: hex(&span.parent_span_id),
                            attributes: attributes(&span.attributes),
                            status_code: status.code,
                            status_message: status.message,
                            resource: resource.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// Every metric received so far (protobuf requests), one entry per metric per request.
    pub fn metrics(&self) -> Vec<ReceivedMetric> {
        let state = self.lock();
        let mut out = Vec::new();
        for req in &state.metrics {
            for rm in &req.resource_metrics {
                for sm in &rm.scope_metrics {
                    for metric in &sm.metrics {
                        let (kind, points) = match &metric.data {
                            Some(Data::Sum(sum)) => (
                                if sum.is_monotonic {
                                    MetricKind::Counter
                                } else {
                                    MetricKind::UpDownCounter
                                },
                                sum.data_points.iter().map(number_point).collect(),
                            ),
                            Some(Data::Gauge(gauge)) => (
                                MetricKind::Gauge,
                                gauge.data_points.iter().map(number_point).collect(),
                            ),
                            Some(Data::Histogram(h)) => (
                                MetricKind::Histogram,
                                h.data_points
                                    .iter()
                                    .map(|p| ReceivedPoint {
                                        attributes: attributes(&p.attributes),
                                        value: p.sum.unwrap_or_default(),
                                        count: p.count,
                                    })
                                    .collect(),
                            ),
                            _ => (MetricKind::Other, Vec::new()),
                        };
                        out.push(ReceivedMetric {
                            name: metric.name.clone(),
                            kind,
                            unit: metric.unit.clone(),
                            points,
                        });
                    }
                }
            }
        }
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn handle(req: Request<Incoming>, state: &Mutex<State>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let headers: BTreeMap<String, String> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let content_type = headers.get("content-type").cloned().unwrap_or_default();
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return status(400),
    };
    // OTEL_EXPORTER_OTLP_COMPRESSION=gzip
    let body = if headers.get("content-encoding").map(String::as_str) == Some("gzip") {
        let mut plain = Vec::new();
        let mut decoder = flate2::read::GzDecoder::new(body.as_ref());
        if std::io::Read::read_to_end(&mut decoder, &mut plain).is_err() {
            return status(400);
        }
        Bytes::from(plain)
    } else {
        body
    };
    let is_json = content_type.starts_with("application/json");
    let mut json = None;
    {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        if is_json {
            match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(value) => json = Some(value),
                Err(_) => return status(400),
            }
        } else {
            match path.as_str() {
                "/v1/traces" => match ExportTraceServiceRequest::decode(body.as_ref()) {
                    Ok(r) => state.traces.push(r),
                    Err(_) => return status(400),
                },
                "/v1/metrics" => match ExportMetricsServiceRequest::decode(body.as_ref()) {
                    Ok(r) => state.metrics.push(r),
                    Err(_) => return status(400),
                },
                _ => return status(404),
            }
        }
        state.requests.push(RecordedRequest {
            path,
            content_type: content_type.clone(),
            headers,
            json,
        });
    }
    // An empty Export*ServiceResponse is zero bytes in protobuf and `{}` in JSON.
    let (body, ct) = if is_json {
        (Bytes::from_static(b"{}"), "application/json")
    } else {
        (Bytes::new(), "application/x-protobuf")
    };
    Response::builder()
        .status(200)
        .header("content-type", ct)
        .body(Full::new(body))
        .expect("static response")
}

fn status(code: u16) -> Response<Full<Bytes>> {
    Response::builder()
        .status(code)
        .body(Full::new(Bytes::new()))
        .expect("static response")
}

fn number_point(p: &opentelemetry_proto::tonic::metrics::v1::NumberDataPoint) -> ReceivedPoint {
    use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value;
    let value = match p.value {
        Some(Value::AsDouble(d)) => d,
        Some(Value::AsInt(i)) => i as f64,
        None => 0.0,
    };
    ReceivedPoint {
        attributes: attributes(&p.attributes),
        value,
        count: 0,
    }
}

fn attributes(kvs: &[KeyValue]) -> BTreeMap<String, String> {
    kvs.iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                Some(any_value::Value::BoolValue(b)) => b.to_string(),
                Some(any_value::Value::IntValue(i)) => i.to_string(),
                Some(any_value::Value::DoubleValue(d)) => d.to_string(),
                Some(other) => format!("{other:?}"),
                None => String::new(),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An address that accepts TCP connections (the kernel completes the handshake) but never
/// reads or answers: a hung collector. Keep the listener alive for as long as it should hang.
pub fn black_hole() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    (listener, format!("http://{addr}"))
}
