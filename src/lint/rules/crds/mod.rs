//! CRD rules: how a chart ships CustomResourceDefinitions (install and keep toggles, the
//! `crds/` directory) and whether the CRDs themselves are valid.

pub mod crd_installed_as_hook;
pub mod crd_keep_toggle_ineffective;
pub mod crd_missing_keep_policy;
pub mod crd_name_mismatch;
pub mod crd_storage_version_invalid;
pub mod crd_toggle_ineffective;
pub mod crd_toggle_missing;
pub mod crds_dir_not_upgraded;

use crate::lint::{Context, LintObject};

/// Helm's annotation that keeps a resource on `helm uninstall` and on removal from the chart.
pub const KEEP_ANNOTATION: &str = "helm.sh/resource-policy";

pub fn is_crd(obj: &LintObject) -> bool {
    obj.kind == "CustomResourceDefinition"
}

pub fn has_keep_policy(obj: &LintObject) -> bool {
    super::util::annotation(&obj.object, KEEP_ANNOTATION).as_deref() == Some("keep")
}

/// The index in the main render of the CRD with this name, if any.
pub fn main_crd(ctx: &Context<'_>, name: &str) -> Option<usize> {
    ctx.objects.iter().position(|o| is_crd(o) && o.name == name)
}
