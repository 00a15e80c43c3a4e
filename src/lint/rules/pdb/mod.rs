//! PodDisruptionBudget rules: what a PDB selects and whether its budget lets node drains
//! proceed.

pub mod pdb_blocks_eviction;
pub mod pdb_invalid_budget;
pub mod pdb_selects_multiple_workloads;
pub mod pdb_selects_nothing;
pub mod pdb_single_replica;

use super::util::{
    get, hpa_for, int_at, is_hook, label_selector_matches, matching_workloads, replicas,
    IntOrPercent,
};
use crate::lint::{Context, LintObject};

/// Workloads (object indices) whose pod templates a PDB selects. `None` when the PDB has no
/// selector (which selects no pods).
pub fn selected(ctx: &Context<'_>, pdb: &LintObject) -> Option<Vec<usize>> {
    let selector = get(&pdb.object, "spec.selector")?;
    if selector.is_nil() {
        return None;
    }
    Some(
        matching_workloads(ctx, pdb.namespace.as_deref(), |labels| {
            label_selector_matches(&selector, labels)
        })
        .into_iter()
        .map(|(i, _)| i)
        .filter(|&i| {
            ctx.objects
                .get(i)
                .is_some_and(|o| !is_hook(o) && o.kind != "Job" && o.kind != "CronJob")
        })
        .collect(),
    )
}

/// Pods a workload runs at most in steady state: its replicas, or the HPA's `maxReplicas`
/// when an autoscaler drives it (the budget is judged at its most permissive).
/// `None` when unknown (DaemonSet: one pod per node).
pub fn expected_pods(ctx: &Context<'_>, workload: &LintObject) -> Option<i64> {
    if let Some(h) = hpa_for(ctx, workload) {
        let hpa = &ctx.objects.get(h)?.object;
        return int_at(hpa, "spec.maxReplicas");
    }
    replicas(workload)
}

/// The PDB's budget: `("minAvailable"|"maxUnavailable", value)`.
pub fn budget(pdb: &LintObject) -> Option<(&'static str, IntOrPercent)> {
    for field in ["minAvailable", "maxUnavailable"] {
        if let Some(v) = get(&pdb.object, &format!("spec.{field}")) {
            if let Some(b) = IntOrPercent::parse(&v) {
                return Some((field, b));
            }
        }
    }
    None
}

/// Whether the budget forbids every voluntary eviction for `total` pods (`None`: unknown).
pub fn blocks(field: &str, b: IntOrPercent, total: Option<i64>) -> bool {
    match (field, b, total) {
        ("maxUnavailable", IntOrPercent::Int(0), _) => true,
        ("maxUnavailable", IntOrPercent::Percent(p), _) if p <= 0.0 => true,
        ("maxUnavailable", b, Some(t)) if t > 0 => b.scaled(t) <= 0,
        ("minAvailable", IntOrPercent::Percent(p), _) if p >= 100.0 => true,
        ("minAvailable", b, Some(t)) if t > 0 => b.scaled(t) >= t,
        _ => false,
    }
}
