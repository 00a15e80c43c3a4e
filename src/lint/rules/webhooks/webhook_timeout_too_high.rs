//! `webhook-timeout-too-high`: webhooks that hold API requests for long.

use super::webhooks;
use crate::lint::rules::util::{get, int};
use crate::lint::{Context, Finding};
use crate::report::Severity;

declare_rule! {
    WebhookTimeoutTooHigh {
        id: "webhook-timeout-too-high",
        family: "webhooks",
        severity: Warning,
        summary: "Webhook `timeoutSeconds` above 15 (error outside the allowed 1–30)",
        doc: r#"## What it does
Reports webhooks whose `timeoutSeconds` is above 15; values outside 1–30 are errors
because the API server rejects them.

## Why is this bad?
Every matching API request waits up to that long when the webhook is slow or down.
Controllers and `kubectl apply` time out (their own client timeouts are often 30s), and
a slow webhook turns into cluster-wide latency.

## Example
```yaml
timeoutSeconds: 30
```

## Fix
Keep webhooks fast and use the default of 10 seconds (or less).
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for w in webhooks(ctx) {
        let Some(t) = get(&w.value, "timeoutSeconds").as_ref().and_then(int) else {
            continue;
        };
        if (1..=15).contains(&t) {
            continue;
        }
        let mut f = Finding::on(
            w.object,
            format!("webhook {} has timeoutSeconds {t}", w.name),
        )
        .field(format!("{}.timeoutSeconds", w.path));
        if !(1..=30).contains(&t) {
            f.severity = Some(Severity::Error);
            f.message.push_str(" (the API server accepts 1 to 30)");
        }
        out.push(f);
    }
}
