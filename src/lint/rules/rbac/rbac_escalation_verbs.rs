//! `rbac-escalation-verbs`: `escalate`, `bind` and `impersonate`.

use crate::lint::rules::util::policy_rules;
use crate::lint::{Context, Finding};

declare_rule! {
    RbacEscalationVerbs {
        id: "rbac-escalation-verbs",
        family: "rbac",
        severity: Warning,
        summary: "Role or ClusterRole grants `escalate`, `bind` or `impersonate`",
        doc: r#"## What it does
Reports rules granting the privilege-escalation verbs `escalate` and `bind` (on roles)
and `impersonate` (on users, groups, ServiceAccounts).

## Why is this bad?
These verbs let the ServiceAccount grant itself, or act as, any identity — including
cluster-admin. A bug in the operator becomes a cluster takeover.

## Example
```yaml
rules:
  - apiGroups: ["rbac.authorization.k8s.io"]
    resources: ["clusterroles"]
    verbs: ["bind", "escalate"]
```

## Fix
Remove the verbs; if the operator really must create RBAC for its workloads, restrict
`bind` with `resourceNames` to the roles it hands out and document why.
"#,
    }
}

const ESCALATION: [&str; 3] = ["escalate", "bind", "impersonate"];

fn check(ctx: &Context<'_>, out: &mut Vec<Finding>) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        for rule in policy_rules(obj) {
            let verbs: Vec<&String> = rule
                .verbs
                .iter()
                .filter(|v| ESCALATION.contains(&v.as_str()))
                .collect();
            if verbs.is_empty() || !rule.resource_names.is_empty() {
                continue;
            }
            out.push(
                Finding::on(
                    i,
                    format!(
                        "{} {} grants {:?} on {:?} in rules[{}]",
                        obj.kind, obj.name, verbs, rule.resources, rule.index
                    ),
                )
                .field(format!("rules[{}].verbs", rule.index)),
            );
        }
    }
}
