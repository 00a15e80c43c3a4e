//! Fault injection and RBAC denials: what a test arranges to go wrong.

use std::sync::Mutex;
use std::time::Duration;

/// What a matching request gets instead of (or before) its normal answer.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// An error `Status` with this HTTP code (500 InternalError, 503 ServiceUnavailable,
    /// 504 Timeout, or any other code).
    Status(u16),
    /// 429 TooManyRequests with `Retry-After: <secs>`.
    TooManyRequests { retry_after_secs: u64 },
    /// Wait this long, then answer normally (provokes client timeouts).
    Delay(Duration),
    /// Close the connection without answering.
    DropConnection,
}

/// One injected fault: requests whose method matches (any when `None`) and whose path
/// contains `path_contains` get `action`, `times` times (0 = every time).
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub method: Option<String>,
    pub path_contains: String,
    pub times: usize,
    pub action: FaultAction,
}

impl Fault {
    /// A fault for every method on paths containing `path_contains`, once.
    pub fn new(path_contains: &str, action: FaultAction) -> Fault {
        Fault {
            method: None,
            path_contains: path_contains.to_owned(),
            times: 1,
            action,
        }
    }
}

/// The faults armed on one cluster.
#[derive(Debug, Default)]
pub struct Faults {
    armed: Mutex<Vec<(Fault, usize)>>,
}

impl Faults {
    /// Arms a fault. Faults are checked in the order added; the first match fires.
    pub fn add(&self, fault: Fault) {
        if let Ok(mut armed) = self.armed.lock() {
            armed.push((fault, 0));
        }
    }

    /// Disarms every fault.
    pub fn clear(&self) {
        if let Ok(mut armed) = self.armed.lock() {
            armed.clear();
        }
    }

    /// How many faults are still armed.
    pub fn remaining(&self) -> usize {
        self.armed.lock().map(|a| a.len()).unwrap_or(0)
    }

    /// The action for a request, consuming one use of the matching fault.
    pub(crate) fn take(&self, method: &str, path: &str) -> Option<FaultAction> {
        let mut armed = self.armed.lock().ok()?;
        let pos = armed.iter().position(|(f, _)| {
            f.method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && path.contains(&f.path_contains)
        })?;
        let (fault, used) = armed.get_mut(pos)?;
        *used += 1;
        let action = fault.action.clone();
        if fault.times != 0 && *used >= fault.times {
            armed.remove(pos);
        }
        Some(action)
    }
}

/// An RBAC denial: `verb` on `group`/`resource` in `namespace` (all namespaces and cluster
/// scope when `None`). `"*"` matches any verb or resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Deny {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub namespace: Option<String>,
}

impl Deny {
    pub fn matches(&self, verb: &str, group: &str, resource: &str, namespace: &str) -> bool {
        (self.verb == "*" || self.verb == verb)
            && self.group == group
            && (self.resource == "*" || self.resource == resource)
            && self.namespace.as_deref().is_none_or(|n| n == namespace)
    }
}

/// The real server's 403 message.
pub fn forbidden_message(
    user: &str,
    verb: &str,
    group: &str,
    resource: &str,
    name: &str,
    namespace: &str,
) -> String {
    let mut subject = if group.is_empty() {
        resource.to_owned()
    } else {
        format!("{resource}.{group}")
    };
    if !name.is_empty() {
        subject = format!("{subject} \"{name}\"");
    }
    let scope = if namespace.is_empty() {
        "at the cluster scope".to_owned()
    } else {
        format!("in the namespace \"{namespace}\"")
    };
    format!(
        "{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{group}\" {scope}"
    )
}
