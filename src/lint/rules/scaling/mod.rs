//! Scaling rules: HorizontalPodAutoscalers and the replicas they own.

pub mod hpa_invalid_range;
pub mod hpa_target_missing;
pub mod hpa_with_fixed_replicas;
