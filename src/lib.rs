//! kubectl-opm: render, lint, validate, diff and roll out Kubernetes operator Helm charts.
//!
//! The binary (`kubectl-opm`) is a thin wrapper over this library; see `docs/architecture.md`
//! for how the layers fit together (template → chart → render → manifest → commands).

pub mod lint;
pub mod report;
pub mod schema;
pub mod template;
pub mod yaml;
