//! Observability for rollouts: structured logs on stderr, and OpenTelemetry traces and
//! metrics exported over OTLP/HTTP when (and only when) an OTLP endpoint is configured.
//!
//! Commands that want it call [`init`] once, early, and keep the returned
//! [`TelemetryGuard`] alive until they are done; dropping it flushes and shuts the exporters
//! down within a bounded time, so an unreachable collector never holds the CLI up. Commands
//! that do not call it pay nothing: no subscriber, no threads, no sockets.
//!
//! What `init` sets up:
//! - a `tracing` subscriber writing log lines to stderr as text or JSON
//!   ([`LogFormat`]), filtered by `--log-level` or `RUST_LOG`;
//! - an OpenTelemetry layer that gives every span of this crate a W3C trace and span id
//!   (so JSON logs carry `traceId` even without a collector, and [`current_traceparent`]
//!   can hand the context to child processes), and exports the spans with a batch
//!   processor when `OTEL_EXPORTER_OTLP_ENDPOINT` or `…_TRACES_ENDPOINT` is set;
//! - the rollout [`metrics()`] over a periodic reader when `OTEL_EXPORTER_OTLP_ENDPOINT`
//!   or `…_METRICS_ENDPOINT` is set; otherwise they are no-ops.
//!
//! The span names and constructors are in [`spans`], the incoming `TRACEPARENT` handling in
//! [`context`], the environment rules in [`config`].

pub mod args;
pub mod config;
pub mod context;
mod logs;
pub mod metrics;
pub mod selftest;
pub mod spans;

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing::Level;
use tracing_subscriber::filter::{filter_fn, EnvFilter, FilterExt, Targets};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, Registry};

pub use args::{LogFormat, LogLevel, TelemetryArgs};
pub use config::{ConfigError, ExportConfig, OtlpProtocol, SignalConfig};
pub use context::{child_env, current_traceparent, TraceParent, TraceParentError};
pub use metrics::{metrics, MetricAttrs, Metrics};

/// Instrumentation scope name of our tracer and meter.
const SCOPE: &str = "kubectl-opm";

/// Crate targets whose spans are traced and whose levels `--log-level` sets: the library
/// (`opm::…`) and the binary.
const OWN_TARGETS: [&str; 2] = ["opm", "kubectl_opm"];

fn is_own_target(target: &str) -> bool {
    OWN_TARGETS.iter().any(|own| {
        target == *own
            || target
                .strip_prefix(own)
                .is_some_and(|rest| rest.starts_with("::"))
    })
}

/// Default upper bound on the flush at shutdown.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Telemetry that could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// An `OTEL_*` variable with an unusable value.
    #[error("telemetry configuration: {0}")]
    Config(#[from] ConfigError),
    /// A `RUST_LOG` value that is not a valid filter.
    #[error("RUST_LOG={value:?} is not a valid log filter: {reason}")]
    LogFilter { value: String, reason: String },
    /// The OTLP exporter could not be built.
    #[error("cannot set up the OTLP {signal} exporter for {endpoint}: {message}")]
    Exporter {
        signal: &'static str,
        endpoint: String,
        message: String,
    },
    /// `init` ran before in this process (or another subscriber was installed).
    #[error("telemetry is already set up in this process")]
    AlreadyInitialized,
}

/// Everything [`init`] needs. [`TelemetryOptions::from_env`] fills it from the flags and the
/// environment; tests build it directly.
#[derive(Clone, Debug)]
pub struct TelemetryOptions {
    pub log_format: LogFormat,
    /// `--log-level`; wins over `rust_log`.
    pub log_level: Option<LogLevel>,
    /// `RUST_LOG` directives.
    pub rust_log: Option<String>,
    /// What to export, and where.
    pub export: ExportConfig,
    /// The incoming trace context (`TRACEPARENT`); an invalid one is reported as a warning
    /// once logging is up and otherwise ignored, as the W3C spec asks.
    pub incoming: Option<Result<TraceParent, TraceParentError>>,
    /// Colour in text logs.
    pub ansi: bool,
    /// Upper bound on the flush when the guard is dropped.
    pub shutdown_timeout: Duration,
}

impl Default for TelemetryOptions {
    /// Text logs at the default level, no colour, nothing exported, no incoming context.
    fn default() -> Self {
        TelemetryOptions {
            log_format: LogFormat::Text,
            log_level: None,
            rust_log: None,
            export: ExportConfig::default(),
            incoming: None,
            ansi: false,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }
}

impl TelemetryOptions {
    /// Options from the flags and the process environment (`RUST_LOG`, `OTEL_*`,
    /// `TRACEPARENT`, `NO_COLOR`, whether stderr is a terminal).
    pub fn from_env(args: &TelemetryArgs) -> Result<Self, TelemetryError> {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Ok(TelemetryOptions {
            log_format: args.log_format,
            log_level: args.log_level,
            rust_log: std::env::var("RUST_LOG")
                .ok()
                .filter(|v| !v.trim().is_empty()),
            export: ExportConfig::from_env()?,
            incoming: TraceParent::from_env(),
            ansi: !no_color && std::io::stderr().is_terminal(),
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        })
    }

    /// The log filter: `--log-level` for our crates (others at `warn`), else `RUST_LOG`,
    /// else `warn` for text (a person is watching the progress view) and `info` for JSON
    /// (a log pipeline asked for the records).
    fn log_filter(&self) -> Result<EnvFilter, TelemetryError> {
        let own = |level: &str| {
            let mut directives = String::from("warn");
            for target in OWN_TARGETS {
                directives.push_str(&format!(",{target}={level}"));
            }
            EnvFilter::new(directives)
        };
        match (self.log_level, &self.rust_log) {
            (Some(LogLevel::Off), _) => Ok(EnvFilter::new("off")),
            (Some(level), _) => Ok(own(level.as_str())),
            (None, Some(directives)) => {
                EnvFilter::try_new(directives).map_err(|e| TelemetryError::LogFilter {
                    value: directives.clone(),
                    reason: e.to_string(),
                })
            }
            (None, None) => Ok(match self.log_format {
                LogFormat::Text => own("warn"),
                LogFormat::Json => own("info"),
            }),
        }
    }
}

/// Keeps the exporters alive; dropping it flushes and shuts them down (bounded by
/// [`TelemetryOptions::shutdown_timeout`]). Drop it after the root span has closed.
#[must_use = "dropping the guard shuts telemetry down at once"]
pub struct TelemetryGuard {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
    exporting: bool,
    timeout: Duration,
}

impl std::fmt::Debug for TelemetryGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryGuard")
            .field("exporting", &self.exporting)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl TelemetryGuard {
    /// True when spans or metrics are exported over OTLP.
    pub fn is_exporting(&self) -> bool {
        self.exporting
    }

    /// Flush and shut down now. Returns false when the flush did not finish within the
    /// timeout (the exporters are then abandoned; the process may exit regardless).
    pub fn shutdown(mut self) -> bool {
        self.shutdown_now()
    }

    fn shutdown_now(&mut self) -> bool {
        let tracer = self.tracer.take();
        let meter = self.meter.take();
        if !self.exporting {
            // Nothing buffered and no background threads: a plain drop is immediate.
            drop(tracer);
            drop(meter);
            return true;
        }
        let timeout = self.timeout;
        // The SDK bounds some waits but not all (an exporter blocked on a collector that
        // accepts connections and never answers, retries with back-off, the metrics reader's
        // fixed 5 s); run the shutdown on its own thread and stop waiting at the deadline.
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("otel-shutdown".into())
            .spawn(move || {
                let mut ok = true;
                if let Some(tracer) = tracer {
                    ok &= tracer.shutdown_with_timeout(timeout).is_ok();
                }
                if let Some(meter) = meter {
                    ok &= meter.shutdown_with_timeout(timeout).is_ok();
                }
                let _ = done_tx.send(ok);
            });
        let outcome = match spawned {
            Ok(_) => done_rx.recv_timeout(timeout),
            Err(_) => Err(std::sync::mpsc::RecvTimeoutError::Disconnected),
        };
        match outcome {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                "telemetry: the OTLP collector did not accept every span and metric; \
                 the rest is dropped"
            ),
            Err(_) => tracing::warn!(
                "telemetry: not every span and metric reached the OTLP collector within {}s; \
                 the rest is dropped",
                timeout.as_secs_f64()
            ),
        }
        matches!(outcome, Ok(true))
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if self.tracer.is_some() || self.meter.is_some() {
            self.shutdown_now();
        }
    }
}

/// The incoming context recorded by [`init`], used by [`spans::deploy`].
static INCOMING: OnceLock<TraceParent> = OnceLock::new();

pub(crate) fn incoming_parent() -> Option<TraceParent> {
    INCOMING.get().cloned()
}

/// Set up logging, tracing and metrics for this process (once). See the module docs.
pub fn init(opts: TelemetryOptions) -> Result<TelemetryGuard, TelemetryError> {
    if tracing::dispatcher::has_been_set() {
        return Err(TelemetryError::AlreadyInitialized);
    }
    let (dispatch, guard) = build(&opts, BoxMakeWriter::new(std::io::stderr))?;
    tracing::dispatcher::set_global_default(dispatch)
        .map_err(|_| TelemetryError::AlreadyInitialized)?;
    if let Some(meter) = &guard.meter {
        use opentelemetry::metrics::MeterProvider as _;
        metrics::install(Metrics::from_meter(&meter.meter(SCOPE)));
    }
    match opts.incoming {
        Some(Ok(parent)) => {
            let _ = INCOMING.set(parent);
        }
        Some(Err(err)) => {
            tracing::warn!(
                "ignoring {}: {err}; starting a new trace",
                context::TRACEPARENT_ENV
            )
        }
        None => {}
    }
    Ok(guard)
}

/// [`init`] with options from the flags and the process environment: what a command calls
/// (`let _telemetry = telemetry::init_from_env(&args.telemetry)?;`).
pub fn init_from_env(args: &TelemetryArgs) -> Result<TelemetryGuard, TelemetryError> {
    init(TelemetryOptions::from_env(args)?)
}

/// The subscriber and guard for `opts`, logs going to `writer`. Separate from [`init`] so
/// tests can install it for one thread (`tracing::dispatcher::with_default`).
pub(crate) fn build(
    opts: &TelemetryOptions,
    writer: BoxMakeWriter,
) -> Result<(tracing::Dispatch, TelemetryGuard), TelemetryError> {
    // Our spans are always known to the log layer, whatever the level: a warning logged
    // inside `helm.install` must still say which cluster it is about.
    let filter = opts.log_filter()?.or(filter_fn(|meta| {
        meta.is_span() && is_own_target(meta.target())
    }));
    let export = &opts.export;
    if export.is_enabled() {
        // reqwest is built without a default crypto provider (the default one is aws-lc, a
        // C library); use ring, which kube already brings. Fails only if one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let resource = resource(export);

    let mut tracer_builder = SdkTracerProvider::builder().with_resource(resource.clone());
    if let Some(sig) = &export.traces {
        tracer_builder = tracer_builder.with_batch_exporter(span_exporter(sig)?);
    }
    let tracer_provider = tracer_builder.build();
    let meter_provider = match &export.metrics {
        Some(sig) => Some(
            SdkMeterProvider::builder()
                .with_resource(resource)
                .with_periodic_exporter(metric_exporter(sig)?)
                .build(),
        ),
        None => None,
    };

    let mut otel_targets = Targets::new();
    for target in OWN_TARGETS {
        otel_targets = otel_targets.with_target(target, Level::INFO);
    }
    let otel_layer = tracing_opentelemetry::layer()
        .with_tracer(tracer_provider.tracer(SCOPE))
        .with_filter(otel_targets);
    let mut dispatch_slot = None;
    let fmt_layer: Box<dyn Layer<Registry> + Send + Sync> = match opts.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_target(false)
            .with_ansi(opts.ansi)
            .with_filter(filter)
            .boxed(),
        LogFormat::Json => {
            let format = logs::JsonFormat::default();
            dispatch_slot = Some(format.dispatch_slot());
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .event_format(format)
                .with_filter(filter)
                .boxed()
        }
    };
    let layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> =
        vec![logs::SpanFieldsLayer.boxed(), otel_layer.boxed(), fmt_layer];
    let subscriber = Registry::default().with(layers);
    let guard = TelemetryGuard {
        exporting: export.is_enabled(),
        tracer: Some(tracer_provider),
        meter: meter_provider,
        timeout: opts.shutdown_timeout,
    };
    let dispatch = tracing::Dispatch::new(subscriber);
    if let Some(slot) = dispatch_slot {
        let _ = slot.set(dispatch.downgrade());
    }
    Ok((dispatch, guard))
}

fn resource(export: &ExportConfig) -> Resource {
    let mut attributes = vec![KeyValue::new("service.version", env!("CARGO_PKG_VERSION"))];
    for (key, value) in &export.resource_attributes {
        attributes.push(KeyValue::new(key.clone(), value.clone()));
    }
    Resource::builder_empty()
        .with_service_name(export.service_name.clone())
        .with_attributes(attributes)
        .build()
}

fn protocol(p: OtlpProtocol) -> opentelemetry_otlp::Protocol {
    match p {
        OtlpProtocol::HttpProtobuf => opentelemetry_otlp::Protocol::HttpBinary,
        OtlpProtocol::HttpJson => opentelemetry_otlp::Protocol::HttpJson,
    }
}

fn exporter_error(
    signal: &'static str,
    sig: &SignalConfig,
) -> impl FnOnce(opentelemetry_otlp::ExporterBuildError) -> TelemetryError {
    let endpoint = sig.endpoint.clone();
    move |e| TelemetryError::Exporter {
        signal,
        endpoint,
        message: e.to_string(),
    }
}

fn span_exporter(sig: &SignalConfig) -> Result<opentelemetry_otlp::SpanExporter, TelemetryError> {
    opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(sig.endpoint.clone())
        .with_protocol(protocol(sig.protocol))
        .with_timeout(sig.timeout)
        .with_headers(sig.headers.iter().cloned().collect())
        .build()
        .map_err(exporter_error("traces", sig))
}

fn metric_exporter(
    sig: &SignalConfig,
) -> Result<opentelemetry_otlp::MetricExporter, TelemetryError> {
    opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_endpoint(sig.endpoint.clone())
        .with_protocol(protocol(sig.protocol))
        .with_timeout(sig.timeout)
        .with_headers(sig.headers.iter().cloned().collect())
        .build()
        .map_err(exporter_error("metrics", sig))
}

#[cfg(test)]
mod tests;
