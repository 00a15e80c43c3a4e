//! [`ClusterError`]: every way a cluster call can fail, classified so that commands can map
//! it to the exit codes of DESIGN.md (3 for the environment, 2 for bad input) and print one
//! paragraph that names the context and what was being done.

use std::time::Duration;

/// A failed cluster operation. `context` is the kubeconfig context (or `in-cluster`),
/// `action` says what was being done (`get Secret ops/sh.helm.release.v1.app.v3`).
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The kubeconfig could not be read or does not describe a usable cluster, or no
    /// configuration was found at all.
    #[error("{message}")]
    Config { message: String },
    /// A context asked for (flag, `HELM_KUBECONTEXT`) is not in the kubeconfig.
    #[error("{}", context_not_found(.context, .known))]
    ContextNotFound { context: String, known: Vec<String> },
    /// The API server could not be reached (connection refused, DNS, TLS) within the budget.
    #[error("context \"{context}\": cannot {action}: the API server at {server} is unreachable: {message}")]
    Unreachable {
        context: String,
        server: String,
        action: String,
        message: String,
    },
    /// HTTP 401: the credentials were rejected.
    #[error("context \"{context}\": cannot {action}: unauthorized (the credentials in the kubeconfig were rejected): {message}")]
    Unauthorized {
        context: String,
        action: String,
        message: String,
    },
    /// HTTP 403: the API server's own message names verb, resource and namespace.
    #[error("context \"{context}\": cannot {action}: forbidden: {message}")]
    Forbidden {
        context: String,
        action: String,
        message: String,
    },
    /// HTTP 404, or an object or release that does not exist.
    #[error("context \"{context}\": cannot {action}: not found: {message}")]
    NotFound {
        context: String,
        action: String,
        message: String,
    },
    /// HTTP 409: the object changed since it was read (resourceVersion) or already exists.
    #[error("context \"{context}\": cannot {action}: conflict: {message}")]
    Conflict {
        context: String,
        action: String,
        message: String,
    },
    /// Every attempt timed out (`--request-timeout`) and the retry budget is spent.
    #[error("context \"{context}\": cannot {action}: no answer within {} ({attempts} attempts)", humantime(*.after))]
    Timeout {
        context: String,
        action: String,
        after: Duration,
        attempts: u32,
    },
    /// The server kept answering 429/5xx until the retry budget was spent.
    #[error("context \"{context}\": cannot {action}: gave up after {attempts} attempts in {}: {last}", humantime(*.elapsed))]
    BudgetExhausted {
        context: String,
        action: String,
        attempts: u32,
        elapsed: Duration,
        last: String,
    },
    /// Any other API error (400 Bad Request, 422 Invalid, …).
    #[error("context \"{context}\": cannot {action}: HTTP {code}: {message}")]
    Api {
        context: String,
        action: String,
        code: u16,
        message: String,
    },
    /// A response or a stored record that cannot be decoded (broken release record,
    /// state ConfigMap that does not hold our JSON).
    #[error("context \"{context}\": cannot {action}: {message}")]
    Decode {
        context: String,
        action: String,
        message: String,
    },
    /// `apiVersion`/`kind` that the cluster does not serve.
    #[error("context \"{context}\": the cluster does not serve kind {kind} in {api_version}")]
    UnknownKind {
        context: String,
        api_version: String,
        kind: String,
    },
    /// The rollout lock (a Lease) is held by someone else.
    #[error("context \"{context}\": the rollout lock {namespace}/{lease} is held by {holder} until {until}")]
    LockHeld {
        context: String,
        namespace: String,
        lease: String,
        holder: String,
        until: String,
    },
    /// A flag value or argument that makes no sense (`--parallel 0`, `HELM_DRIVER=sql`).
    #[error("{0}")]
    InvalidArgument(String),
}

impl ClusterError {
    /// Process exit code (DESIGN.md "Contracts"): 3 when the environment failed (cluster
    /// unreachable, no such context, credentials, permissions, timeouts, a held lock),
    /// 2 for bad input (unknown kind, an object that is not there, invalid data).
    pub fn exit_code(&self) -> i32 {
        match self {
            ClusterError::Config { .. }
            | ClusterError::ContextNotFound { .. }
            | ClusterError::Unreachable { .. }
            | ClusterError::Unauthorized { .. }
            | ClusterError::Forbidden { .. }
            | ClusterError::Conflict { .. }
            | ClusterError::Timeout { .. }
            | ClusterError::BudgetExhausted { .. }
            | ClusterError::LockHeld { .. } => 3,
            ClusterError::Api { code, .. } if *code >= 500 => 3,
            ClusterError::Api { .. }
            | ClusterError::NotFound { .. }
            | ClusterError::Decode { .. }
            | ClusterError::UnknownKind { .. }
            | ClusterError::InvalidArgument(_) => 2,
        }
    }

    /// True for HTTP 404 (and objects found missing).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ClusterError::NotFound { .. })
    }

    /// True for HTTP 403.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, ClusterError::Forbidden { .. })
    }

    /// True when the API server could not be reached or did not answer in time.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            ClusterError::Unreachable { .. } | ClusterError::Timeout { .. }
        )
    }

    /// The kubeconfig context the error happened in, when it is about one.
    pub fn context(&self) -> Option<&str> {
        match self {
            ClusterError::ContextNotFound { context, .. }
            | ClusterError::Unreachable { context, .. }
            | ClusterError::Unauthorized { context, .. }
            | ClusterError::Forbidden { context, .. }
            | ClusterError::NotFound { context, .. }
            | ClusterError::Conflict { context, .. }
            | ClusterError::Timeout { context, .. }
            | ClusterError::BudgetExhausted { context, .. }
            | ClusterError::Api { context, .. }
            | ClusterError::Decode { context, .. }
            | ClusterError::UnknownKind { context, .. }
            | ClusterError::LockHeld { context, .. } => Some(context),
            ClusterError::Config { .. } | ClusterError::InvalidArgument(_) => None,
        }
    }

    /// The same error told as part of a larger `action` (discovery failing while getting
    /// an object is reported as failing to get the object).
    pub(crate) fn with_action(mut self, new: &str) -> Self {
        match &mut self {
            ClusterError::Unreachable { action, .. }
            | ClusterError::Unauthorized { action, .. }
            | ClusterError::Forbidden { action, .. }
            | ClusterError::NotFound { action, .. }
            | ClusterError::Conflict { action, .. }
            | ClusterError::Timeout { action, .. }
            | ClusterError::BudgetExhausted { action, .. }
            | ClusterError::Api { action, .. }
            | ClusterError::Decode { action, .. } => *action = new.to_string(),
            _ => {}
        }
        self
    }

    /// True for HTTP 409 (stale resourceVersion or already exists).
    pub fn is_conflict(&self) -> bool {
        matches!(self, ClusterError::Conflict { .. })
    }
}

fn context_not_found(context: &str, known: &[String]) -> String {
    if known.is_empty() {
        format!("context \"{context}\" does not exist: the kubeconfig has no contexts")
    } else {
        format!(
            "context \"{context}\" does not exist in the kubeconfig; known contexts: {}",
            known.join(", ")
        )
    }
}

/// `1.5s`, `30s`, `2m5s`: short durations for messages.
pub(crate) fn humantime(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs();
    let tenths = d.subsec_millis() / 100;
    if secs < 60 {
        if tenths == 0 {
            format!("{secs}s")
        } else {
            format!("{secs}.{tenths}s")
        }
    } else {
        let (m, s) = (secs / 60, secs % 60);
        if s == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{s}s")
        }
    }
}
