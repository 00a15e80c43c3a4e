//! The cluster layer: everything that talks to a Kubernetes API server. Live `crd diff`,
//! `status`, `diff upgrade`, `render --cluster` and rollouts build on it.
//!
//! Flow: [`ClusterArgs`] + [`ClusterEnv`] → [`resolve_targets`] → [`Target`]s (one per
//! kubeconfig context) → [`Cluster::connect`] → calls. Commands are synchronous and create a
//! tokio runtime at the command level; this API is async. [`for_each_target`] runs one
//! async job per target with bounded parallelism and returns results in target order.
//!
//! - [`config`]: flags, environment and kubeconfig precedence.
//! - [`client`]: [`Cluster`], the generic object API (get, list, create, replace, patch,
//!   delete over `serde_json::Value`, kinds resolved by cached discovery).
//! - [`retry`]: the one retry policy all calls go through (backoff with jitter, bounded
//!   attempts and time, `Retry-After`).
//! - [`release`]: Helm release storage (`sh.helm.release.v1.*` Secrets or ConfigMaps):
//!   codec, list/history/latest/deployed, writes, `annotate_current`.
//! - [`state`]: rollout state ConfigMap with optimistic concurrency, Lease lock, annotation
//!   mirror, Events, `whoami`.
//! - [`crds`]: live CRDs as [`crate::crd::model::Crd`] and their stored custom resources.
//! - [`error`]: [`ClusterError`] and its exit codes (3 environment, 2 bad input).
//!
//! ```no_run
//! # async fn demo() -> Result<(), opm::cluster::ClusterError> {
//! use opm::cluster::{connect, for_each_target, resolve_targets, ClusterArgs, ClusterEnv, ReleaseFilter};
//! let args = ClusterArgs { all_contexts: true, parallel: 4, ..ClusterArgs::default() };
//! let targets = resolve_targets(&args, &ClusterEnv::from_process()).await?;
//! let listed = for_each_target(&targets, args.parallel, |t| async move {
//!     let cluster = connect(t)?;
//!     cluster.releases().list(&ReleaseFilter::default()).await
//! })
//! .await;
//! # Ok(()) }
//! ```

pub mod client;
pub mod config;
pub mod crds;
pub mod error;
pub mod release;
pub mod retry;
pub mod state;

use std::future::Future;

use futures::stream::{self, StreamExt};

pub use client::{connect, Cluster, ListQuery, Patch, ResourceInfo, FIELD_MANAGER};
pub use config::{
    resolve_targets, ClusterArgs, ClusterEnv, Target, DEFAULT_PARALLEL, IN_CLUSTER_CONTEXT,
};
pub use error::ClusterError;
pub use release::{
    decode_release, encode_release, Driver, Release, ReleaseFilter, Releases, StoredRelease,
};
pub use retry::RetryPolicy;
pub use state::{state_object_name, EventType, Identity, LeaseGuard, StateStore};

/// Runs `job` for every item (usually a [`Target`]) with at most `parallel` running at
/// once, and returns the results in the order of `items` (not of completion), so output
/// and exit codes do not depend on which cluster answered first.
pub async fn for_each_target<'a, T, F, Fut, R>(items: &'a [T], parallel: usize, job: F) -> Vec<R>
where
    F: Fn(&'a T) -> Fut,
    Fut: Future<Output = R> + 'a,
{
    stream::iter(items.iter().map(job))
        .buffered(parallel.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn fleet_keeps_order_and_bounds_parallelism() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let items: Vec<u64> = (0..12).collect();
        let out = rt.block_on(for_each_target(&items, 3, |n| {
            let (running, peak) = (&running, &peak);
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // Later items finish first: order must still follow the input.
                tokio::time::sleep(Duration::from_millis(12 - n)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                n * 10
            }
        }));
        assert_eq!(out, (0..12).map(|n| n * 10).collect::<Vec<_>>());
        assert!(peak.load(Ordering::SeqCst) <= 3);
    }
}
