//! Security rules: the restricted Pod Security Standard (non-root, no privilege escalation,
//! capabilities dropped, seccomp RuntimeDefault) plus read-only root filesystems and the
//! host access (hostPath, host namespaces, privileged) an operator should not need.
//!
//! Settings inherited from the pod-level `securityContext` count for the fields Kubernetes
//! inherits (`runAsNonRoot`, `runAsUser`, `seccompProfile`).

pub mod container_capabilities_added;
pub mod container_capabilities_not_dropped;
pub mod container_privilege_escalation_allowed;
pub mod container_privileged;
pub mod container_runs_as_root;
pub mod container_writable_root_filesystem;
pub mod pod_host_namespaces;
pub mod pod_host_path_volume;
pub mod seccomp_profile_missing;

use super::util::{containers, get, pod_template, Container};
use crate::lint::Context;
use crate::template::Value;

/// A container with what it needs to judge its effective security settings.
pub struct Subject {
    pub object: usize,
    pub container: Container,
    /// Pod-level `securityContext`.
    pub pod: Value,
}

impl Subject {
    /// A container field, falling back to the pod-level securityContext (inherited fields).
    pub fn inherited(&self, field: &str) -> Option<Value> {
        get(&self.container.value, &format!("securityContext.{field}"))
            .filter(|v| !v.is_nil())
            .or_else(|| get(&self.pod, field).filter(|v| !v.is_nil()))
    }

    /// A container-only `securityContext` field.
    pub fn own(&self, field: &str) -> Option<Value> {
        get(&self.container.value, &format!("securityContext.{field}")).filter(|v| !v.is_nil())
    }

    pub fn label(&self, ctx: &Context<'_>) -> String {
        let obj = ctx.objects.get(self.object);
        format!(
            "container {:?} of {} {}",
            self.container.name,
            obj.map(|o| o.kind.as_str()).unwrap_or(""),
            obj.map(|o| o.name.as_str()).unwrap_or("")
        )
    }
}

/// Every container and init container of every pod template.
pub fn subjects(ctx: &Context<'_>) -> Vec<Subject> {
    let mut out = Vec::new();
    for (i, obj) in ctx.objects.iter().enumerate() {
        let Some((path, template)) = pod_template(obj) else {
            continue;
        };
        let pod = get(&template, "spec.securityContext").unwrap_or_default();
        for container in containers(&path, &template, true) {
            out.push(Subject {
                object: i,
                container,
                pod: pod.clone(),
            });
        }
    }
    out
}
