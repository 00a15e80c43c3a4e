//! `kubectl opm rollout`: progressive rollouts of an operator chart across kube contexts.
//!
//! The flow (see `docs/architecture.md`, "Rollouts"): a [`plan`] file is validated and cut
//! into [`stages`] by its strategy; `kubectl opm rollout plan` shows them with their gates
//! without touching anything. The rollout record that lives in each cluster is [`state`];
//! [`health`] evaluates the health gate's observations.

pub mod backend;
pub mod duration;
pub mod engine;
pub mod health;
pub mod helm;
pub mod live;
pub mod notify;
pub mod plan;
pub mod probe;
pub mod stages;
pub mod state;
