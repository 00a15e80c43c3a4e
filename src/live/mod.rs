//! Live-cluster commands built on [`crate::cluster`]: `status` (what is deployed where),
//! `diff upgrade` (what `helm upgrade` would change, object by object), the `cluster:`
//! side of `crd diff` with its stored-version and stored-object checks, and the cluster
//! answers to `lookup` and `.Capabilities` for `render --cluster`.
//!
//! The comparisons themselves ([`objdiff`], [`stored`]) are pure functions over text and
//! JSON, tested without a cluster; the modules that talk to clusters only gather inputs.

pub mod objdiff;
pub mod status;
pub mod stored;
