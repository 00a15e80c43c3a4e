//! kubectl-opm: render, lint, validate, diff and roll out Kubernetes operator Helm charts.
//!
//! The binary (`kubectl-opm`) is a thin wrapper over this library; see `docs/architecture.md`
//! for how the layers fit together (template → chart → render → commands).

pub mod chart;
pub mod cli;
pub mod cluster;
pub mod crd;
pub mod error;
pub mod lint;
pub mod live;
pub mod render;
pub mod report;
pub mod rollout;
pub mod scaffold;
pub mod schema;
pub mod telemetry;
pub mod template;
pub mod valuesdoc;
pub mod yaml;

/// How many threads can run at once (`std::thread::available_parallelism`, 1 when unknown),
/// asked once per process: the standard library reads the cgroup files under `/proc` and
/// `/sys` on every call, which a render that starts helper threads would pay each time.
pub fn available_cpus() -> usize {
    static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
