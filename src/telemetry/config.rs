//! OTLP export settings, read from the standard OpenTelemetry environment variables.
//!
//! Export is opt-in: a signal (traces, metrics) is exported only when its endpoint variable
//! (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `…_METRICS_ENDPOINT`) or the shared
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Everything is resolved here, once, from a lookup
//! function, so the rules are tested without touching the process environment and the
//! exporter is then configured programmatically with the resolved values.
//!
//! The rules follow the OpenTelemetry specification ("OTLP Exporter Configuration" and
//! "Environment Variable Specification"): signal-specific variables win over shared ones;
//! a shared endpoint gets `/v1/traces` or `/v1/metrics` appended, a signal-specific one is
//! used as given; headers and resource attributes are `key=value` lists separated by commas
//! with percent-encoded values; timeouts are milliseconds.

use std::time::Duration;

/// `service.name` when neither `OTEL_SERVICE_NAME` nor `OTEL_RESOURCE_ATTRIBUTES` names one.
pub const DEFAULT_SERVICE_NAME: &str = "kubectl-opm";

/// Per-request export timeout when no `OTEL_EXPORTER_OTLP_*TIMEOUT` is set (the spec's 10 s).
pub const DEFAULT_EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The OTLP wire protocols this build speaks. gRPC is not among them: it would pull in a
/// second HTTP/2 stack (tonic) for no gain over OTLP/HTTP, which every collector serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// `http/protobuf` (the default).
    HttpProtobuf,
    /// `http/json`.
    HttpJson,
}

impl OtlpProtocol {
    /// The spelling used in `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub fn as_str(self) -> &'static str {
        match self {
            OtlpProtocol::HttpProtobuf => "http/protobuf",
            OtlpProtocol::HttpJson => "http/json",
        }
    }
}

/// One signal's exporter settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalConfig {
    /// The full URL requests are posted to (`…/v1/traces`, `…/v1/metrics`).
    pub endpoint: String,
    pub protocol: OtlpProtocol,
    /// Extra request headers (`OTEL_EXPORTER_OTLP_HEADERS`), values still percent-encoded as
    /// given (the exporter decodes them).
    pub headers: Vec<(String, String)>,
    /// Timeout of one export request.
    pub timeout: Duration,
}

/// Everything the exporters need, resolved from the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportConfig {
    /// `None`: spans are not exported.
    pub traces: Option<SignalConfig>,
    /// `None`: metrics are not exported.
    pub metrics: Option<SignalConfig>,
    /// `service.name` of the resource.
    pub service_name: String,
    /// Other resource attributes (`OTEL_RESOURCE_ATTRIBUTES`, decoded), in the given order.
    pub resource_attributes: Vec<(String, String)>,
}

impl Default for ExportConfig {
    /// Nothing exported.
    fn default() -> Self {
        ExportConfig {
            traces: None,
            metrics: None,
            service_name: DEFAULT_SERVICE_NAME.to_string(),
            resource_attributes: Vec::new(),
        }
    }
}

/// A telemetry environment variable with a value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}={value:?}: {reason}")]
pub struct ConfigError {
    /// The variable's name.
    pub var: String,
    /// Its value (header values are not repeated here: they often carry credentials).
    pub value: String,
    /// What is wrong and what would be accepted.
    pub reason: String,
}

impl ConfigError {
    fn new(var: &str, value: &str, reason: impl Into<String>) -> Self {
        ConfigError {
            var: var.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// Which signal a variable is resolved for.
#[derive(Clone, Copy)]
enum Signal {
    Traces,
    Metrics,
}

impl Signal {
    fn upper(self) -> &'static str {
        match self {
            Signal::Traces => "TRACES",
            Signal::Metrics => "METRICS",
        }
    }
    fn path(self) -> &'static str {
        match self {
            Signal::Traces => "v1/traces",
            Signal::Metrics => "v1/metrics",
        }
    }
    fn exporter_var(self) -> &'static str {
        match self {
            Signal::Traces => "OTEL_TRACES_EXPORTER",
            Signal::Metrics => "OTEL_METRICS_EXPORTER",
        }
    }
}

impl ExportConfig {
    /// Resolve from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Resolve from any variable lookup (tests pass a map). Empty values count as unset,
    /// as the specification asks.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let resource_attributes = match get("OTEL_RESOURCE_ATTRIBUTES") {
            Some(raw) => parse_resource_attributes(&raw)?,
            None => Vec::new(),
        };
        let service_name = get("OTEL_SERVICE_NAME")
            .map(|s| s.trim().to_string())
            .or_else(|| {
                resource_attributes
                    .iter()
                    .find(|(k, _)| k == "service.name")
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_string());
        let resource_attributes = resource_attributes
            .into_iter()
            .filter(|(k, _)| k != "service.name")
            .collect();

        let disabled = match get("OTEL_SDK_DISABLED") {
            Some(v) => parse_bool("OTEL_SDK_DISABLED", &v)?,
            None => false,
        };
        let (traces, metrics) = if disabled {
            (None, None)
        } else {
            (
                resolve_signal(&get, Signal::Traces)?,
                resolve_signal(&get, Signal::Metrics)?,
            )
        };
        Ok(ExportConfig {
            traces,
            metrics,
            service_name,
            resource_attributes,
        })
    }

    /// True when at least one signal is exported.
    pub fn is_enabled(&self) -> bool {
        self.traces.is_some() || self.metrics.is_some()
    }
}

fn resolve_signal(
    get: &impl Fn(&str) -> Option<String>,
    signal: Signal,
) -> Result<Option<SignalConfig>, ConfigError> {
    let sig = signal.upper();
    if let Some(exporter) = get(signal.exporter_var()) {
        match exporter.trim() {
            "otlp" => {}
            "none" => return Ok(None),
            _ => {
                return Err(ConfigError::new(
                    signal.exporter_var(),
                    &exporter,
                    "this tool exports only over OTLP; use \"otlp\" or \"none\"",
                ))
            }
        }
    }

    let specific_var = format!("OTEL_EXPORTER_OTLP_{sig}_ENDPOINT");
    let endpoint = if let Some(url) = get(&specific_var) {
        let url = url.trim().to_string();
        check_url(&specific_var, &url)?;
        url
    } else if let Some(base) = get("OTEL_EXPORTER_OTLP_ENDPOINT") {
        let base = base.trim();
        check_url("OTEL_EXPORTER_OTLP_ENDPOINT", base)?;
        if base.ends_with('/') {
            format!("{base}{}", signal.path())
        } else {
            format!("{base}/{}", signal.path())
        }
    } else {
        return Ok(None);
    };

    let protocol_var = format!("OTEL_EXPORTER_OTLP_{sig}_PROTOCOL");
    let protocol = match first(get, &protocol_var, "OTEL_EXPORTER_OTLP_PROTOCOL") {
        Some((var, value)) => parse_protocol(&var, &value)?,
        None => OtlpProtocol::HttpProtobuf,
    };

    let headers_var = format!("OTEL_EXPORTER_OTLP_{sig}_HEADERS");
    let headers = match first(get, &headers_var, "OTEL_EXPORTER_OTLP_HEADERS") {
        Some((var, value)) => parse_headers(&var, &value)?,
        None => Vec::new(),
    };

    let timeout_var = format!("OTEL_EXPORTER_OTLP_{sig}_TIMEOUT");
    let timeout = match first(get, &timeout_var, "OTEL_EXPORTER_OTLP_TIMEOUT") {
        Some((var, value)) => {
            let millis: u64 = value.trim().parse().map_err(|_| {
                ConfigError::new(&var, &value, "expected a whole number of milliseconds")
            })?;
            Duration::from_millis(millis)
        }
        None => DEFAULT_EXPORT_TIMEOUT,
    };

    Ok(Some(SignalConfig {
        endpoint,
        protocol,
        headers,
        timeout,
    }))
}

/// The signal-specific variable if set, else the shared one, with the name that was used.
fn first(
    get: &impl Fn(&str) -> Option<String>,
    specific: &str,
    shared: &str,
) -> Option<(String, String)> {
    get(specific)
        .map(|v| (specific.to_string(), v))
        .or_else(|| get(shared).map(|v| (shared.to_string(), v)))
}

fn check_url(var: &str, url: &str) -> Result<(), ConfigError> {
    let parsed: http::Uri = url.parse().map_err(|e| {
        ConfigError::new(
            var,
            url,
            format!("not a URL ({e}); expected e.g. http://localhost:4318"),
        )
    })?;
    match parsed.scheme_str() {
        Some("http") | Some("https") if parsed.host().is_some() => Ok(()),
        _ => Err(ConfigError::new(
            var,
            url,
            "expected an http:// or https:// URL with a host, e.g. http://localhost:4318",
        )),
    }
}

fn parse_protocol(var: &str, value: &str) -> Result<OtlpProtocol, ConfigError> {
    match value.trim() {
        "http/protobuf" => Ok(OtlpProtocol::HttpProtobuf),
        "http/json" => Ok(OtlpProtocol::HttpJson),
        "grpc" => Err(ConfigError::new(
            var,
            value,
            "OTLP over gRPC is not supported; use http/protobuf (or http/json) and point the \
             endpoint at the collector's OTLP/HTTP port (usually 4318)",
        )),
        _ => Err(ConfigError::new(
            var,
            value,
            "expected http/protobuf or http/json",
        )),
    }
}

fn parse_bool(var: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ConfigError::new(var, value, "expected true or false")),
    }
}

/// `key=value,key2=value2` as the spec's W3C-Baggage-like list; blank entries are skipped.
fn parse_pairs(var: &str, raw: &str, what: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let mut pairs = Vec::new();
    for entry in raw.split(',') {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let Some((key, value)) = entry.split_once('=') else {
            return Err(ConfigError::new(
                var,
                raw,
                format!(
                    "entry {entry:?} has no '='; expected {what}=value pairs separated by commas"
                ),
            ));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(ConfigError::new(
                var,
                raw,
                format!("entry {entry:?} has an empty {what}"),
            ));
        }
        pairs.push((key.to_string(), value.trim().to_string()));
    }
    Ok(pairs)
}

fn parse_headers(var: &str, raw: &str) -> Result<Vec<(String, String)>, ConfigError> {
    // Header values are often credentials: report a bad list without echoing it.
    let headers = parse_pairs(var, raw, "header").map_err(|mut e| {
        e.value = "<redacted>".to_string();
        e.reason = "expected name=value pairs separated by commas".to_string();
        e
    })?;
    for (name, value) in &headers {
        let valid_name = name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid_name {
            return Err(ConfigError::new(
                var,
                "<redacted>",
                format!("{name:?} is not a valid HTTP header name"),
            ));
        }
        if percent_decode(value).is_none() {
            return Err(ConfigError::new(
                var,
                "<redacted>",
                format!("the value of header {name:?} has a broken %-escape"),
            ));
        }
    }
    Ok(headers)
}

fn parse_resource_attributes(raw: &str) -> Result<Vec<(String, String)>, ConfigError> {
    const VAR: &str = "OTEL_RESOURCE_ATTRIBUTES";
    let mut out = Vec::new();
    for (key, value) in parse_pairs(VAR, raw, "key")? {
        let decoded = percent_decode(&value).ok_or_else(|| {
            ConfigError::new(
                VAR,
                raw,
                format!("the value of {key:?} has a broken %-escape"),
            )
        })?;
        out.push((key, decoded));
    }
    Ok(out)
}

/// Decode `%XX` escapes (UTF-8); `None` for a broken escape or invalid UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'%') => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            Some(&b) => {
                out.push(b);
                i += 1;
            }
            None => break,
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(vars: &[(&str, &str)]) -> Result<ExportConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ExportConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn nothing_set_means_nothing_exported() {
        let cfg = resolve(&[]).unwrap();
        assert_eq!(cfg, ExportConfig::default());
        assert!(!cfg.is_enabled());
        // Headers or a protocol alone do not switch export on: only an endpoint does.
        let cfg = resolve(&[
            ("OTEL_EXPORTER_OTLP_HEADERS", "a=b"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
        ])
        .unwrap();
        assert!(!cfg.is_enabled());
    }

    #[test]
    fn shared_endpoint_gets_signal_paths() {
        let cfg = resolve(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]).unwrap();
        let traces = cfg.traces.unwrap();
        assert_eq!(traces.endpoint, "http://collector:4318/v1/traces");
        assert_eq!(traces.protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(traces.timeout, DEFAULT_EXPORT_TIMEOUT);
        assert_eq!(
            cfg.metrics.unwrap().endpoint,
            "http://collector:4318/v1/metrics"
        );
        let cfg =
            resolve(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel.example/base/")]).unwrap();
        assert_eq!(
            cfg.traces.unwrap().endpoint,
            "https://otel.example/base/v1/traces"
        );
    }

    #[test]
    fn signal_specific_variables_win_and_are_used_verbatim() {
        let cfg = resolve(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://shared:4318"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://traces:9999/custom",
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "100"),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "authorization=Bearer%20x, x-team = ops",
            ),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-only=traces"),
        ])
        .unwrap();
        let traces = cfg.traces.unwrap();
        assert_eq!(traces.endpoint, "http://traces:9999/custom");
        assert_eq!(traces.protocol, OtlpProtocol::HttpJson);
        assert_eq!(traces.timeout, Duration::from_millis(2500));
        assert_eq!(
            traces.headers,
            vec![("x-only".to_string(), "traces".to_string())]
        );
        let metrics = cfg.metrics.unwrap();
        assert_eq!(metrics.endpoint, "http://shared:4318/v1/metrics");
        assert_eq!(metrics.protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(metrics.timeout, Duration::from_millis(100));
        assert_eq!(
            metrics.headers,
            vec![
                ("authorization".to_string(), "Bearer%20x".to_string()),
                ("x-team".to_string(), "ops".to_string())
            ]
        );
    }

    #[test]
    fn one_signal_alone() {
        let cfg = resolve(&[(
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            "http://m:4318/v1/metrics",
        )])
        .unwrap();
        assert!(cfg.traces.is_none());
        assert!(cfg.metrics.is_some());
        let cfg = resolve(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_METRICS_EXPORTER", "none"),
        ])
        .unwrap();
        assert!(cfg.traces.is_some());
        assert!(cfg.metrics.is_none());
    }

    #[test]
    fn sdk_disabled_turns_everything_off() {
        let cfg = resolve(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_SDK_DISABLED", "TRUE"),
        ])
        .unwrap();
        assert!(!cfg.is_enabled());
    }

    #[test]
    fn service_name_and_resource_attributes() {
        let cfg = resolve(&[(
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment=prod,service.name=from-attrs,team=platform%20ops",
        )])
        .unwrap();
        assert_eq!(cfg.service_name, "from-attrs");
        assert_eq!(
            cfg.resource_attributes,
            vec![
                ("deployment.environment".to_string(), "prod".to_string()),
                ("team".to_string(), "platform ops".to_string())
            ]
        );
        let cfg = resolve(&[
            ("OTEL_SERVICE_NAME", "release-pipeline"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"),
        ])
        .unwrap();
        assert_eq!(cfg.service_name, "release-pipeline");
        assert!(cfg.resource_attributes.is_empty());
    }

    #[test]
    fn bad_values_are_named() {
        let err = resolve(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "OTEL_EXPORTER_OTLP_PROTOCOL=\"grpc\": OTLP over gRPC is not supported; use \
             http/protobuf (or http/json) and point the endpoint at the collector's OTLP/HTTP \
             port (usually 4318)"
        );
        let err = resolve(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]).unwrap_err();
        assert_eq!(err.var, "OTEL_EXPORTER_OTLP_ENDPOINT");
        let err = resolve(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "5s"),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "OTEL_EXPORTER_OTLP_TIMEOUT=\"5s\": expected a whole number of milliseconds"
        );
        let err = resolve(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "authorization: Bearer secret"),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "OTEL_EXPORTER_OTLP_HEADERS=\"<redacted>\": expected name=value pairs separated \
             by commas"
        );
        assert!(!err.to_string().contains("secret"));
        let err = resolve(&[("OTEL_RESOURCE_ATTRIBUTES", "a=%zz")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "OTEL_RESOURCE_ATTRIBUTES=\"a=%zz\": the value of \"a\" has a broken %-escape"
        );
        let err = resolve(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_TRACES_EXPORTER", "jaeger"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "OTEL_TRACES_EXPORTER");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2Cc").as_deref(), Some("a b,c"));
        assert_eq!(percent_decode("caf%C3%A9").as_deref(), Some("café"));
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%ff"), None);
    }
}
