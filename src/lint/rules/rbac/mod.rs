//! RBAC rules: what the chart's Roles and ClusterRoles grant, and whether bindings and
//! workloads point at ServiceAccounts and roles that exist.

pub mod rbac_binding_missing_role;
pub mod rbac_binds_cluster_admin;
pub mod rbac_clusterrole_where_role_suffices;
pub mod rbac_escalation_verbs;
pub mod rbac_secrets_cluster_wide;
pub mod rbac_subject_missing_serviceaccount;
pub mod rbac_toggle_leaves_missing_serviceaccount;
pub mod rbac_wildcard_api_groups;
pub mod rbac_wildcard_resources;
pub mod rbac_wildcard_verbs;
pub mod serviceaccount_missing;

use super::util::{policy_rules, PolicyRule};
use crate::lint::{Context, Finding};

/// Report every rule of every Role/ClusterRole whose `list` field contains `*`.
pub fn report_wildcards(
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
    field: &str,
    pick: fn(&PolicyRule) -> &Vec<String>,
) {
    for (i, obj) in ctx.objects.iter().enumerate() {
        for rule in policy_rules(obj) {
            if !rule.non_resource_urls.is_empty() && rule.resources.is_empty() {
                continue;
            }
            if pick(&rule).iter().any(|v| v == "*") {
                out.push(
                    Finding::on(
                        i,
                        format!(
                            "{} {} grants {field} \"*\" in rules[{}] (apiGroups {:?}, resources {:?}, verbs {:?})",
                            obj.kind, obj.name, rule.index, rule.api_groups, rule.resources, rule.verbs
                        ),
                    )
                    .field(format!("rules[{}].{field}", rule.index)),
                );
            }
        }
    }
}
