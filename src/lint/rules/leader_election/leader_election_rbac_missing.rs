//! `leader-election-rbac-missing`: leader election on, but no RBAC for the lock.

use super::{grants_lock, leader_election_setting, sa_bindings};
use crate::lint::rules::util::{is_long_running, pod_template};
use crate::lint::{Context, Finding};

declare_rule! {
    LeaderElectionRbacMissing {
        id: "leader-election-rbac-missing",
        family: "leader-election",
        severity: Error,
        summary: "Leader election is enabled but the ServiceAccount's RBAC grants no Lease access",
        doc: r#"## What it does
For workloads with leader election enabled, whose ServiceAccount is bound only to roles
the chart renders, reports when none of those roles grants `create`/`update` on
`coordination.k8s.io` `leases` (or the legacy ConfigMap/Endpoints locks).

## Why is this bad?
The controller cannot acquire the lock: it logs `leases.coordination.k8s.io is
forbidden`, never becomes leader, and reconciles nothing — while its pod looks healthy.

## Example
```yaml
args: ["--leader-elect"]
# Role rules: only configmaps and widgets
```

## Fix
```yaml
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
```
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if !is_long_running(obj) {
            continue;
        }
        let Some((_, template)) = pod_template(obj) else {
            continue;
        };
        if leader_election_setting(&template) != Some(true) {
            continue;
        }
        let bindings = sa_bindings(ctx, obj, &template);
        // Roles we cannot see (external ClusterRoles) may grant the lock.
        if bindings.is_empty() || bindings.iter().any(|b| b.role.is_none()) {
            continue;
        }
        if !grants_lock(ctx, &bindings) {
            out.push(Finding::on(
                i,
                format!(
                    "{} {} enables leader election but its ServiceAccount has no RBAC on leases",
                    obj.kind, obj.name
                ),
            ));
        }
    }
}
