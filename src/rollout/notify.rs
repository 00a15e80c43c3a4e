//! `--notify URL`: a JSON message to a chat or incident webhook when a stage waits for
//! approval, completes, or a rollout ends (completed, rolled back, failed).
//!
//! The body is Slack-compatible (a `text` field, which Slack, Mattermost, Rocket.Chat,
//! Google Chat and Teams workflow webhooks show as the message) plus structured fields for
//! anything that wants to route on them:
//!
//! ```json
//! {"text": "…", "event": "approval-needed", "release": "my-operator",
//!  "rolloutId": "r-20250101-abcd", "stage": "canary-3", "clusters": ["prod-eu"],
//!  "message": "…"}
//! ```
//!
//! Notifications are best effort: each attempt is bounded (5 s), a failed one is retried
//! once, and the caller (the engine) only logs a warning when both fail; a notification
//! never fails a rollout. HTTP and HTTPS (rustls with the platform's trust store, no
//! OpenSSL) on the hyper stack the kube client already brings in. Webhook URLs usually
//! carry their secret in the path, so messages and logs show only scheme and host.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde::Serialize;

/// Time limit of one attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Pause before the one retry.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// How much of a refusing server's answer goes into the error.
const MAX_ERROR_BODY: usize = 200;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotifyEvent {
    /// A stage waits for `kubectl opm rollout approve`.
    ApprovalNeeded,
    StageCompleted,
    /// The whole rollout completed.
    Completed,
    RolledBack,
    Failed,
}

impl NotifyEvent {
    /// The wire name (`approval-needed`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::ApprovalNeeded => "approval-needed",
            NotifyEvent::StageCompleted => "stage-completed",
            NotifyEvent::Completed => "completed",
            NotifyEvent::RolledBack => "rolled-back",
            NotifyEvent::Failed => "failed",
        }
    }
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub event: NotifyEvent,
    pub release: String,
    pub rollout_id: String,
    /// The stage (`canary-2`), when the event concerns one.
    pub stage: Option<String>,
    /// The clusters (kube contexts) concerned.
    pub clusters: Vec<String>,
    /// One line for people (`needs approval: kubectl opm rollout approve …`).
    pub message: String,
}

/// The JSON body.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payload<'a> {
    text: String,
    event: NotifyEvent,
    release: &'a str,
    rollout_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<&'a str>,
    clusters: &'a [String],
    message: &'a str,
}

impl Notification {
    /// The `text` chat tools show: `*my-op* rollout r-1: stage canary-3 waits for approval
    /// on prod-eu, prod-us: approve with …` (`*…*` is bold in Slack's mrkdwn).
    pub fn text(&self) -> String {
        let stage = self.stage.as_deref();
        let headline = match (self.event, stage) {
            (NotifyEvent::ApprovalNeeded, Some(s)) => format!("stage {s} waits for approval"),
            (NotifyEvent::ApprovalNeeded, None) => "waits for approval".to_string(),
            (NotifyEvent::StageCompleted, Some(s)) => format!("stage {s} completed"),
            (NotifyEvent::StageCompleted, None) => "stage completed".to_string(),
            (NotifyEvent::Completed, _) => "completed".to_string(),
            (NotifyEvent::RolledBack, Some(s)) => format!("rolled back in stage {s}"),
            (NotifyEvent::RolledBack, None) => "rolled back".to_string(),
            (NotifyEvent::Failed, Some(s)) => format!("failed in stage {s}"),
            (NotifyEvent::Failed, None) => "failed".to_string(),
        };
        let mut text = format!("*{}* rollout {}: {headline}", self.release, self.rollout_id);
        if !self.clusters.is_empty() {
            text.push_str(" on ");
            text.push_str(&self.clusters.join(", "));
        }
        if !self.message.is_empty() {
            text.push_str(": ");
            text.push_str(&self.message);
        }
        text
    }

    /// The JSON body posted for this notification.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.payload()).unwrap_or_default()
    }

    fn payload(&self) -> Payload<'_> {
        Payload {
            text: self.text(),
            event: self.event,
            release: &self.release,
            rollout_id: &self.rollout_id,
            stage: self.stage.as_deref(),
            clusters: &self.clusters,
            message: &self.message,
        }
    }
}

/// Why a notification could not be set up or delivered.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// `--notify` is not an http(s) URL.
    #[error("--notify {url:?} is not usable: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// The TLS client could not be built (no trust store, a bad extra CA).
    #[error("cannot set up TLS for notifications: {0}")]
    Tls(String),
    /// No answer, or a 5xx/429, on every attempt.
    #[error("notification to {url} failed after {attempts} attempts: {reason}")]
    Failed {
        url: String,
        attempts: u32,
        reason: String,
    },
    /// The server refused the message (4xx): retrying would not help.
    #[error("notification to {url} was refused: HTTP {status}: {body}")]
    Rejected {
        url: String,
        status: u16,
        body: String,
    },
}

impl NotifyError {
    /// Exit code when this stops a command (DESIGN.md "Contracts"): a bad URL or CA is bad
    /// input (2); delivery failures are the environment (3), though the engine only warns.
    pub fn exit_code(&self) -> i32 {
        match self {
            NotifyError::InvalidUrl { .. } | NotifyError::Tls(_) => 2,
            NotifyError::Failed { .. } | NotifyError::Rejected { .. } => 3,
        }
    }
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Posts notifications to one URL.
#[derive(Clone)]
pub struct Notifier {
    uri: http::Uri,
    /// `scheme://host[:port]/…`: what messages show of the URL.
    shown: String,
    client: HttpsClient,
    timeout: Duration,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("url", &self.shown)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// A notifier for `url` (`http://…` or `https://…`), trusting the platform's CAs.
    pub fn new(url: &str) -> Result<Notifier, NotifyError> {
        Notifier::build(url, Vec::new())
    }

    /// Like [`Notifier::new`], additionally trusting the CA certificates in `pem` (an
    /// in-house receiver behind a private CA).
    pub fn with_root_certificates(url: &str, pem: &[u8]) -> Result<Notifier, NotifyError> {
        let roots = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| NotifyError::Tls(format!("the CA certificates do not parse: {e}")))?;
        if roots.is_empty() {
            return Err(NotifyError::Tls(
                "no PEM certificate found among the CA certificates".into(),
            ));
        }
        Notifier::build(url, roots)
    }

    fn build(
        url: &str,
        extra_roots: Vec<CertificateDer<'static>>,
    ) -> Result<Notifier, NotifyError> {
        let invalid = |reason: &str| NotifyError::InvalidUrl {
            url: redact_text(url),
            reason: reason.to_string(),
        };
        let uri: http::Uri = url
            .trim()
            .parse()
            .map_err(|_| invalid("expected an http:// or https:// URL"))?;
        let scheme = uri.scheme_str().unwrap_or_default();
        if scheme != "http" && scheme != "https" {
            return Err(invalid("only http:// and https:// URLs are supported"));
        }
        let Some(authority) = uri.authority() else {
            return Err(invalid("the URL names no host"));
        };
        if authority.host().is_empty() {
            return Err(invalid("the URL names no host"));
        }
        if authority.as_str().contains('@') {
            return Err(invalid(
                "user:password@ in the URL is not supported (put the token in the path or query, as webhook services do)",
            ));
        }
        let shown = format!("{scheme}://{authority}/…");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots, provider.clone())
                .map_err(|e| NotifyError::Tls(e.to_string()))?;
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| NotifyError::Tls(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        // Notifications are minutes apart: no idle connections kept (they would also
        // outlive the runtime that opened them).
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Ok(Notifier {
            uri,
            shown,
            client,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Replaces the time limit of one attempt (default [`DEFAULT_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Notifier {
        self.timeout = timeout;
        self
    }

    /// The URL as messages show it (scheme and host only).
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    /// Posts `n`; retried once after a failure that may pass (no answer, 5xx, 429).
    pub async fn post(&self, n: &Notification) -> Result<(), NotifyError> {
        let body = serde_json::to_vec(&n.payload()).map_err(|e| NotifyError::Failed {
            url: self.shown.clone(),
            attempts: 0,
            reason: format!("cannot encode the message: {e}"),
        })?;
        let body = Bytes::from(body);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.attempt(body.clone()).await {
                Ok(()) => return Ok(()),
                Err(Attempt::Refused { status, body }) => {
                    return Err(NotifyError::Rejected {
                        url: self.shown.clone(),
                        status,
                        body,
                    })
                }
                Err(Attempt::Transient(reason)) if attempt >= 2 => {
                    return Err(NotifyError::Failed {
                        url: self.shown.clone(),
                        attempts: attempt,
                        reason,
                    })
                }
                Err(Attempt::Transient(_)) => tokio::time::sleep(RETRY_PAUSE).await,
            }
        }
    }

    async fn attempt(&self, body: Bytes) -> Result<(), Attempt> {
        let request = http::Request::post(self.uri.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(
                http::header::USER_AGENT,
                concat!("kubectl-opm/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(body))
            .map_err(|e| Attempt::Transient(e.to_string()))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| Attempt::Transient(crate::cluster::client::full_chain(&e)))?;
            let status = response.status().as_u16();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok::<_, Attempt>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| {
                Attempt::Transient(format!(
                    "no answer within {}",
                    super::duration::format_duration(self.timeout)
                ))
            })??;
        let text = || {
            let mut t = String::from_utf8_lossy(&bytes).trim().to_string();
            if t.len() > MAX_ERROR_BODY {
                let mut cut = MAX_ERROR_BODY;
                while !t.is_char_boundary(cut) {
                    cut -= 1;
                }
                t.truncate(cut);
                t.push('…');
            }
            t
        };
        match status {
            200..=299 => Ok(()),
            429 | 500..=599 => Err(Attempt::Transient(format!("HTTP {status}: {}", text()))),
            _ => Err(Attempt::Refused {
                status,
                body: text(),
            }),
        }
    }
}

enum Attempt {
    Transient(String),
    Refused { status: u16, body: String },
}

/// A URL given by the user, cut after its host for messages.
fn redact_text(url: &str) -> String {
    let url = url.trim();
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            // Never show user:password@.
            let host = authority.rsplit('@').next().unwrap_or_default();
            if authority.len() == rest.len() {
                format!("{scheme}://{host}")
            } else {
                format!("{scheme}://{host}/…")
            }
        }
        None if url.len() > 24 => {
            let mut cut = 24;
            while !url.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}…", &url[..cut])
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(event: NotifyEvent, stage: Option<&str>) -> Notification {
        Notification {
            event,
            release: "my-op".into(),
            rollout_id: "r-1".into(),
            stage: stage.map(str::to_string),
            clusters: vec!["prod-eu".into(), "prod-us".into()],
            message: "approve with: kubectl opm rollout approve my-op".into(),
        }
    }

    #[test]
    fn texts() {
        assert_eq!(
            note(NotifyEvent::ApprovalNeeded, Some("canary-3")).text(),
            "*my-op* rollout r-1: stage canary-3 waits for approval on prod-eu, prod-us: approve with: kubectl opm rollout approve my-op"
        );
        let mut done = note(NotifyEvent::Completed, None);
        done.clusters.clear();
        done.message.clear();
        assert_eq!(done.text(), "*my-op* rollout r-1: completed");
        assert_eq!(
            note(NotifyEvent::RolledBack, Some("canary-1")).text(),
            "*my-op* rollout r-1: rolled back in stage canary-1 on prod-eu, prod-us: approve with: kubectl opm rollout approve my-op"
        );
        for (e, s) in [
            (NotifyEvent::ApprovalNeeded, "approval-needed"),
            (NotifyEvent::StageCompleted, "stage-completed"),
            (NotifyEvent::Completed, "completed"),
            (NotifyEvent::RolledBack, "rolled-back"),
            (NotifyEvent::Failed, "failed"),
        ] {
            assert_eq!(e.as_str(), s);
            assert_eq!(serde_json::to_value(e).unwrap(), serde_json::json!(s));
        }
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_text("https://hooks.slack.com/services/T000/B000/XXXX"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            redact_text("https://user:pw@host:8443"),
            "https://host:8443"
        );
        assert_eq!(redact_text("hooks"), "hooks");
        assert_eq!(
            redact_text("hooks.slack.com/services/T000/B000/XXXX"),
            "hooks.slack.com/services…"
        );
    }
}
