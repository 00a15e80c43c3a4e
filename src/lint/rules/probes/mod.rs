//! Probe rules: long-running containers need liveness and readiness probes that differ and
//! point at ports that exist.

pub mod probe_identical;
pub mod probe_missing;
pub mod probe_port_not_found;

use super::util::{containers, is_long_running, pod_template, Container};
use crate::lint::Context;

/// Regular containers of long-running workloads (init containers run to completion, hooks
/// and Jobs are not services), with their object index.
pub fn serving_containers(ctx: &Context<'_>) -> Vec<(usize, Container)> {
    let mut out = Vec::new();
    for (i, obj) in ctx.objects.iter().enumerate() {
        if !is_long_running(obj) {
            continue;
        }
        let Some((path, template)) = pod_template(obj) else {
            continue;
        };
        for c in containers(&path, &template, false) {
            out.push((i, c));
        }
    }
    out
}
