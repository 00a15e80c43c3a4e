//! Live-cluster commands built on [`crate::cluster`]: `status` (what is deployed where),
//! `diff upgrade` (what `helm upgrade` would change, object by object), the `cluster:`
//! side of `crd diff` with its stored-version and stored-object checks, and the cluster
//! answers to `lookup` and `.Capabilities` for `render --cluster`.
//!
//! The comparisons themselves ([`objdiff`], [`stored`]) are pure functions over text and
//! JSON, tested without a cluster; the modules that talk to clusters only gather inputs.

pub mod crds;
pub mod gather;
pub mod hooks;
pub mod objdiff;
pub mod status;
pub mod stored;
pub mod upgrade;

/// The runtime a live command blocks on: the commands are synchronous, the cluster client
/// is async. Worker threads stay few: the work is waiting on the network.
pub fn runtime() -> Result<tokio::runtime::Runtime, crate::error::Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .map_err(|e| {
            crate::error::Error::Cluster(crate::cluster::ClusterError::Config {
                message: format!("cannot start the async runtime: {e}"),
            })
        })
}
