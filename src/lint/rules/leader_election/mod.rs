//! Leader-election rules: controllers that run more than one replica must elect a leader,
//! and a controller that elects one needs RBAC on its lock.

pub mod leader_election_missing;
pub mod leader_election_rbac_missing;

use super::util::{bindings_for_sa, containers, get, items, scalar, string_at, SaBinding};
use crate::lint::{Context, LintObject};
use crate::template::Value;

/// What the pod's flags and environment say about leader election: `Some(true)` enabled,
/// `Some(false)` explicitly disabled, `None` not mentioned.
///
/// Recognised: `--leader-elect`, `--leader-elect=true|false`, `--enable-leader-election`,
/// `--leader-election-*` and `--leader-elect-*` settings (which only exist when it is on),
/// and env vars such as `LEADER_ELECT` / `ENABLE_LEADER_ELECTION`.
pub fn leader_election_setting(template: &Value) -> Option<bool> {
    let mut setting = None;
    for c in containers("", template, false) {
        let mut words: Vec<String> = Vec::new();
        for field in ["command", "args"] {
            words.extend(items(get(&c.value, field)).iter().filter_map(scalar));
        }
        for word in words {
            for part in word.split_whitespace() {
                let flag = part.trim_start_matches('-').to_ascii_lowercase();
                let (name, value) = match flag.split_once('=') {
                    Some((n, v)) => (n.to_string(), Some(v.trim_matches('"').to_string())),
                    None => (flag.clone(), None),
                };
                let main = matches!(
                    name.as_str(),
                    "leader-elect"
                        | "enable-leader-election"
                        | "leader-election"
                        | "leader-elect-enabled"
                );
                let setting_flag =
                    name.starts_with("leader-elect") || name.starts_with("leader-election");
                if main {
                    let on = value.as_deref() != Some("false");
                    setting = Some(on && setting != Some(false));
                } else if setting_flag && setting.is_none() && part.starts_with('-') {
                    setting = Some(true);
                }
            }
        }
        for env in items(get(&c.value, "env")) {
            let name = string_at(&env, "name")
                .unwrap_or_default()
                .to_ascii_uppercase();
            if name.contains("LEADER_ELECT") {
                let value = string_at(&env, "value")
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if value == "false" || value == "0" {
                    setting = Some(false);
                } else if setting.is_none() {
                    setting = Some(true);
                }
            }
        }
    }
    setting
}

/// The bindings of the workload's ServiceAccount.
pub fn sa_bindings(ctx: &Context<'_>, workload: &LintObject, template: &Value) -> Vec<SaBinding> {
    let sa = super::util::service_account_name(template);
    let ns = workload
        .namespace
        .clone()
        .unwrap_or_else(|| ctx.namespace.to_string());
    bindings_for_sa(ctx, &sa, &ns)
}

/// Whether any bound role grants what a leader-election lock needs: leases in
/// `coordination.k8s.io` (or the legacy ConfigMap/Endpoints locks).
pub fn grants_lock(ctx: &Context<'_>, bindings: &[SaBinding]) -> bool {
    bindings.iter().filter_map(|b| b.role).any(|r| {
        ctx.objects.get(r).is_some_and(|role| {
            super::util::policy_rules(role).iter().any(|rule| {
                ["create", "update"]
                    .iter()
                    .any(|v| rule.grants("coordination.k8s.io", "leases", v))
                    || (rule.grants("", "configmaps", "update")
                        && rule.grants("", "configmaps", "create"))
                    || (rule.grants("", "endpoints", "update")
                        && rule.grants("", "endpoints", "create"))
            })
        })
    })
}
