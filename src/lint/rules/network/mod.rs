//! Network rules: Services and NetworkPolicies must select the pods they are meant for.

pub mod networkpolicy_missing;
pub mod networkpolicy_selects_nothing;
pub mod service_selects_nothing;
pub mod service_target_port_not_found;
