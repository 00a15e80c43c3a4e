//! Workload rules: objects the API server rejects or that Helm cannot install, and
//! StatefulSet data retention.

pub mod duplicate_object;
pub mod statefulset_pvc_deleted_on_scale_or_delete;
pub mod statefulset_pvc_retention_missing;
pub mod workload_selector_mismatch;
