//! Log lines on stderr: text for people, JSON for log pipelines.
//!
//! A JSON line is one object: `timestamp` (RFC 3339, UTC), `level` (`INFO`…), `message`,
//! `traceId`/`spanId` (when inside a span), `span` (the innermost span's name), `target`,
//! then the fields of every enclosing span, flattened, innermost winning (so a line logged
//! inside `helm.install` carries `operatorName`, `version`, `deploymentId`, `user` from the
//! root and `cluster` from `helm.install`), then the event's own fields. Log pipelines can
//! filter on `cluster` or join on `traceId` without parsing message text.
//!
//! Span fields are kept as JSON by [`SpanFieldsLayer`] (the fmt layer stores them as
//! pre-formatted text, which cannot be flattened back into JSON keys).

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};
use tracing::dispatcher::WeakDispatch;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use opentelemetry::trace::TraceContextExt;

/// Keys every JSON line starts with; span and event fields never overwrite them.
const RESERVED: [&str; 7] = [
    "timestamp",
    "level",
    "message",
    "traceId",
    "spanId",
    "span",
    "target",
];

/// The fields a span was opened or recorded with, as JSON values.
#[derive(Debug, Default)]
struct SpanFields(Map<String, Value>);

/// Keeps each span's fields as JSON in the span's extensions for [`JsonFormat`].
#[derive(Debug, Default)]
pub struct SpanFieldsLayer;

impl<S> Layer<S> for SpanFieldsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = JsonVisitor::default();
        attrs.record(&mut fields);
        span.extensions_mut().insert(SpanFields(fields.0));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(map)) = extensions.get_mut::<SpanFields>() {
            let mut visitor = JsonVisitor(std::mem::take(map));
            values.record(&mut visitor);
            *map = visitor.0;
        }
    }
}

/// Collects fields into a JSON map. `otel.*` fields steer the exporter (span status) and
/// are not log content.
#[derive(Default)]
struct JsonVisitor(Map<String, Value>);

impl JsonVisitor {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name().starts_with("otel.") {
            return;
        }
        self.0.insert(field.name().to_string(), value);
    }
}

impl Visit for JsonVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        // NaN and infinities have no JSON form; keep them readable as strings.
        let v = serde_json::Number::from_f64(value)
            .map(Value::Number)
            .unwrap_or_else(|| Value::from(value.to_string()));
        self.put(field, v);
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::from(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}

/// The JSON event format (see the module docs for the layout).
///
/// It needs the dispatcher it runs in to ask the OpenTelemetry layer for span ids; that
/// dispatcher only exists once the subscriber is built, so it is handed in afterwards
/// through [`JsonFormat::dispatch_slot`]. (Looking it up with `dispatcher::get_default`
/// during an event does not work for thread-scoped dispatchers: tracing guards against
/// re-entrance and returns a no-op dispatcher there.)
#[derive(Debug, Default)]
pub struct JsonFormat {
    dispatch: Arc<OnceLock<WeakDispatch>>,
}

impl JsonFormat {
    /// Where the owning dispatcher goes once built (a weak handle: the dispatcher owns us).
    pub fn dispatch_slot(&self) -> Arc<OnceLock<WeakDispatch>> {
        self.dispatch.clone()
    }
}

impl<S, N> FormatEvent<S, N> for JsonFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            Value::from(format!("{:.6}", jiff::Timestamp::now())),
        );
        line.insert("level".into(), Value::from(meta.level().as_str()));

        let mut event_fields = JsonVisitor::default();
        event.record(&mut event_fields);
        let mut event_fields = event_fields.0;
        let message = event_fields.remove("message").unwrap_or(Value::from(""));
        line.insert("message".into(), message);

        if let Some(scope) = ctx.event_scope() {
            // The innermost span that has OpenTelemetry ids (a span of another crate may be
            // innermost but untraced). Looked up before touching any span's extensions:
            // the OpenTelemetry layer locks them itself.
            let dispatch = self.dispatch.get().and_then(WeakDispatch::upgrade);
            let ids =
                dispatch.and_then(|d| scope.into_iter().find_map(|span| otel_ids(&span.id(), &d)));
            if let Some((trace_id, span_id)) = ids {
                line.insert("traceId".into(), Value::from(trace_id));
                line.insert("spanId".into(), Value::from(span_id));
            }
        }
        if let Some(leaf) = ctx.lookup_current() {
            line.insert("span".into(), Value::from(leaf.name()));
        }
        line.insert("target".into(), Value::from(meta.target()));

        if let Some(scope) = ctx.event_scope() {
            let mut flattened = Map::new();
            for span in scope.from_root() {
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    for (k, v) in fields {
                        flattened.insert(k.clone(), v.clone());
                    }
                }
            }
            for (k, v) in flattened {
                if !RESERVED.contains(&k.as_str()) {
                    line.insert(k, v);
                }
            }
        }
        for (k, v) in event_fields {
            if !RESERVED.contains(&k.as_str()) {
                line.insert(k, v);
            }
        }
        let text = serde_json::to_string(&Value::Object(line)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// Trace and span id (lowercase hex) of a span, from the OpenTelemetry layer.
fn otel_ids(id: &Id, dispatch: &Dispatch) -> Option<(String, String)> {
    let cx = tracing_opentelemetry::get_otel_context(id, dispatch)?;
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid()
        .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
}
