//! W3C Trace Context (`traceparent`, `tracestate`): continuing a trace that a CI system
//! started, and handing the current one on to child processes and notifications.
//!
//! CI systems that trace their pipelines pass the pipeline step's context in the
//! `TRACEPARENT` (and `TRACESTATE`) environment variables; the root `operator.deploy` span
//! adopts it as its parent so a rollout shows up inside the pipeline's trace. An invalid
//! value is ignored (the spec says to start a new trace rather than fail).

use std::fmt;
use std::str::FromStr;

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Environment variable carrying an incoming `traceparent`.
pub const TRACEPARENT_ENV: &str = "TRACEPARENT";
/// Environment variable carrying an incoming `tracestate`.
pub const TRACESTATE_ENV: &str = "TRACESTATE";

/// A parsed `traceparent` (version 00 fields), plus the `tracestate` that came with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub sampled: bool,
    /// The raw `tracestate` list, when one came with it and was valid.
    pub trace_state: Option<String>,
}

/// Why a `traceparent` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid traceparent {value:?}: {reason}")]
pub struct TraceParentError {
    pub value: String,
    pub reason: &'static str,
}

fn lower_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl TraceParent {
    /// Parse a `traceparent` header value (`00-<32 hex>-<16 hex>-<2 hex>`). Versions above
    /// 00 are accepted when their first four fields have the 00 shape, as the spec asks.
    pub fn parse(value: &str) -> Result<Self, TraceParentError> {
        let err = |reason| TraceParentError {
            value: value.to_string(),
            reason,
        };
        let trimmed = value.trim();
        let parts: Vec<&str> = trimmed.split('-').collect();
        let (version, trace, span, flags) = match parts.as_slice() {
            [v, t, s, f, ..] => (*v, *t, *s, *f),
            _ => return Err(err("expected version-traceid-parentid-flags")),
        };
        if !lower_hex(version, 2) {
            return Err(err("the version is not two lowercase hex digits"));
        }
        if version == "ff" {
            return Err(err("version ff is forbidden"));
        }
        if version == "00" && parts.len() != 4 {
            return Err(err("version 00 has exactly four fields"));
        }
        if !lower_hex(trace, 32) {
            return Err(err("the trace id is not 32 lowercase hex digits"));
        }
        if !lower_hex(span, 16) {
            return Err(err("the parent id is not 16 lowercase hex digits"));
        }
        if !lower_hex(flags, 2) {
            return Err(err("the flags are not two lowercase hex digits"));
        }
        let trace_id = TraceId::from_hex(trace).map_err(|_| err("bad trace id"))?;
        let span_id = SpanId::from_hex(span).map_err(|_| err("bad parent id"))?;
        if trace_id == TraceId::INVALID {
            return Err(err("the trace id is all zeros"));
        }
        if span_id == SpanId::INVALID {
            return Err(err("the parent id is all zeros"));
        }
        let flags = u8::from_str_radix(flags, 16).map_err(|_| err("bad flags"))?;
        Ok(TraceParent {
            trace_id,
            span_id,
            sampled: flags & 1 == 1,
            trace_state: None,
        })
    }

    /// The incoming context from `TRACEPARENT`/`TRACESTATE`, if `TRACEPARENT` is set.
    pub fn from_env() -> Option<Result<Self, TraceParentError>> {
        let raw = std::env::var(TRACEPARENT_ENV).ok()?;
        if raw.trim().is_empty() {
            return None;
        }
        let state = std::env::var(TRACESTATE_ENV).ok();
        Some(TraceParent::parse(&raw).map(|tp| tp.with_trace_state(state.as_deref())))
    }

    /// Attach a `tracestate`; an invalid one is dropped (the spec's rule), an empty one too.
    pub fn with_trace_state(mut self, state: Option<&str>) -> Self {
        self.trace_state = state
            .map(str::trim)
            .filter(|s| !s.is_empty() && TraceState::from_str(s).is_ok())
            .map(str::to_string);
        self
    }

    /// The remote span context this parent stands for.
    pub fn span_context(&self) -> SpanContext {
        let flags = if self.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        let state = self
            .trace_state
            .as_deref()
            .and_then(|s| TraceState::from_str(s).ok())
            .unwrap_or_default();
        SpanContext::new(self.trace_id, self.span_id, flags, true, state)
    }

    /// An OpenTelemetry context whose active span is this remote parent.
    pub fn otel_context(&self) -> opentelemetry::Context {
        opentelemetry::Context::new().with_remote_span_context(self.span_context())
    }
}

impl fmt::Display for TraceParent {
    /// The version 00 header value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{}",
            self.trace_id,
            self.span_id,
            if self.sampled { "01" } else { "00" }
        )
    }
}

/// The W3C context of `span` (its own trace and span id), when tracing is initialised and
/// the span is enabled.
pub fn trace_parent_of(span: &tracing::Span) -> Option<TraceParent> {
    let cx = span.context();
    let otel_span = cx.span();
    let sc = otel_span.span_context();
    if !sc.is_valid() {
        return None;
    }
    let state = sc.trace_state().header();
    Some(TraceParent {
        trace_id: sc.trace_id(),
        span_id: sc.span_id(),
        sampled: sc.is_sampled(),
        trace_state: (!state.is_empty()).then_some(state),
    })
}

/// The `traceparent` header value of the current span, for child processes (helm) and
/// notifications; `None` outside any span or when tracing is not initialised.
pub fn current_traceparent() -> Option<String> {
    trace_parent_of(&tracing::Span::current()).map(|tp| tp.to_string())
}

/// `TRACEPARENT` (and `TRACESTATE` when there is one) for a child process started inside the
/// current span, so a traced child joins the same trace. Empty outside any span.
pub fn child_env() -> Vec<(&'static str, String)> {
    let Some(tp) = trace_parent_of(&tracing::Span::current()) else {
        return Vec::new();
    };
    let mut env = vec![(TRACEPARENT_ENV, tp.to_string())];
    if let Some(state) = tp.trace_state {
        env.push((TRACESTATE_ENV, state));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn parses_and_prints_version_00() {
        let tp = TraceParent::parse(GOOD).unwrap();
        assert_eq!(tp.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(tp.span_id.to_string(), "00f067aa0ba902b7");
        assert!(tp.sampled);
        assert_eq!(tp.to_string(), GOOD);
        let unsampled =
            TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
        assert!(!unsampled.sampled);
        assert!(unsampled.to_string().ends_with("-00"));
    }

    #[test]
    fn accepts_future_versions_with_extra_fields() {
        let tp = TraceParent::parse(
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds",
        )
        .unwrap();
        assert_eq!(tp.to_string(), GOOD);
    }

    #[test]
    fn rejects_malformed_values() {
        let cases = [
            ("", "expected version-traceid-parentid-flags"),
            ("00-abc", "expected version-traceid-parentid-flags"),
            (
                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "version ff is forbidden",
            ),
            (
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                "the trace id is not 32 lowercase hex digits",
            ),
            (
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "the trace id is all zeros",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                "the parent id is all zeros",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                "version 00 has exactly four fields",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
                "the parent id is not 16 lowercase hex digits",
            ),
            (
                "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "the version is not two lowercase hex digits",
            ),
            (
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
                "the flags are not two lowercase hex digits",
            ),
        ];
        for (value, reason) in cases {
            let err = TraceParent::parse(value).unwrap_err();
            assert_eq!(err.reason, reason, "{value}");
        }
    }

    #[test]
    fn trace_state_is_kept_when_valid() {
        let tp = TraceParent::parse(GOOD)
            .unwrap()
            .with_trace_state(Some("vendor=abc,other=1"));
        assert_eq!(tp.trace_state.as_deref(), Some("vendor=abc,other=1"));
        let sc = tp.span_context();
        assert!(sc.is_remote());
        assert_eq!(sc.trace_state().get("vendor"), Some("abc"));
        let dropped = TraceParent::parse(GOOD)
            .unwrap()
            .with_trace_state(Some("not a valid=list=="));
        assert_eq!(dropped.trace_state, None);
    }

    #[test]
    fn no_span_no_traceparent() {
        assert_eq!(current_traceparent(), None);
        assert!(child_env().is_empty());
    }
}
