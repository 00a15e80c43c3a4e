//! `kubectl opm rollout`: progressive rollouts of an operator chart across kube contexts.
//!
//! The flow (see `docs/architecture.md`, "Rollouts"): a [`plan`] file is validated, cut
//! into [`stages`] by its strategy, and driven by the [`engine`]'s state machine. Each
//! stage passes gates (chart lint, CRD diff against the live CRDs, approvals), runs
//! `helm upgrade --install` through the [`helm`] executor, then a [`health`] gate; every
//! transition is written to the rollout [`state`] in each cluster before it is taken, so a
//! rollout can be resumed from any machine after a crash.

pub mod duration;
pub mod plan;
pub mod stages;
