//! Resource rules: requests and limits of containers.

pub mod container_memory_limit_missing;
pub mod container_requests_missing;
pub mod resources_limit_below_request;

use super::util::{containers, is_test, pod_template, Container};
use crate::lint::Context;

/// All containers (init included) of every pod template except helm test pods.
pub fn all_containers(ctx: &Context<'_>) -> Vec<(usize, Container)> {
    let mut out = Vec::new();
    for (i, obj) in ctx.objects.iter().enumerate() {
        if is_test(obj) {
            continue;
        }
        let Some((path, template)) = pod_template(obj) else {
            continue;
        };
        for c in containers(&path, &template, true) {
            out.push((i, c));
        }
    }
    out
}
