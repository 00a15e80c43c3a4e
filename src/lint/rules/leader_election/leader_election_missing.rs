//! `leader-election-missing`: several replicas of a controller without leader election.

use super::{grants_lock, leader_election_setting, sa_bindings};
use crate::lint::rules::pdb::expected_pods;
use crate::lint::rules::util::{is_long_running, pod_template, policy_rules};
use crate::lint::{Context, Finding};

declare_rule! {
    LeaderElectionMissing {
        id: "leader-election-missing",
        family: "leader-election",
        severity: Warning,
        summary: "Controller runs more than one replica (or has an HPA) without leader election",
        doc: r#"## What it does
For Deployments and StatefulSets whose ServiceAccount is bound to a role that watches
resources (a controller), reports those running more than one replica — or scaled by an
HPA — when no leader-election flag or environment variable is set (`--leader-elect`,
`--leader-elect=true`, `--enable-leader-election`, `LEADER_ELECT`, …) and the account has
no RBAC on `coordination.k8s.io/leases`. An explicit `--leader-elect=false` is reported
too.

## Why is this bad?
Every replica reconciles the same objects at once: they fight over updates, create
duplicates, and hammer the API server with conflicts.

## Example
```yaml
replicas: 2
args: ["--metrics-bind-address=:8080"]
```

## Fix
Enable leader election (`--leader-elect`) and grant the ServiceAccount
`get/create/update` on `leases` in `coordination.k8s.io` in its namespace.
"#,
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        if !is_long_running(obj) || obj.kind == "DaemonSet" {
            continue;
        }
        let Some((_, template)) = pod_template(obj) else {
            continue;
        };
        let pods = expected_pods(ctx, obj).unwrap_or(1);
        if pods <= 1 {
            continue;
        }
        let bindings = sa_bindings(ctx, obj, &template);
        let watches = bindings.iter().filter_map(|b| b.role).any(|r| {
            ctx.objects.get(r).is_some_and(|role| {
                policy_rules(role)
                    .iter()
                    .any(|p| p.verbs.iter().any(|v| v == "watch" || v == "*"))
            })
        });
        if !watches {
            continue;
        }
        let setting = leader_election_setting(&template);
        if setting == Some(true) || (setting.is_none() && grants_lock(ctx, &bindings)) {
            continue;
        }
        let why = if setting == Some(false) {
            "with leader election turned off"
        } else {
            "without leader election"
        };
        out.push(Finding::on(
            i,
            format!(
                "{} {} runs up to {pods} controller replicas {why}",
                obj.kind, obj.name
            ),
        ));
    }
}
