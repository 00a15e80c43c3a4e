//! Stages: how a strategy cuts the plan's clusters into steps.
//!
//! - **Canary**: clusters are ordered by environment (dev, staging, prod; plan order
//!   within one). The first stage takes `initialPercentage` of all clusters (rounded up,
//!   at least one) from the first environment only; the second adds `incrementPercentage`
//!   (rounded up) from the clusters that are not prod, dev first; the last stage takes the
//!   rest, prod included. Stages are contiguous slices of that order, so environments never
//!   go backwards. Each stage is evaluated for `evaluationPeriod` and passes when the share
//!   of healthy checks reaches `successThreshold`.
//! - **BlueGreen**: `install-green` (every cluster, into the green namespace), `validate`
//!   (health gate for `validationPeriod`), `switch` (blue controllers scaled to 0, webhooks
//!   moved to green, green watched for `postSwitchPeriod`), `retain` (blue is kept, scaled
//!   to 0, for `retention`).
//! - **Rolling**: one cluster per stage in `clusterOrder`, `pauseBetweenClusters` before
//!   each but the first, a validation gate of `validationPeriod`.
//! - **Direct**: one stage with every cluster, `parallelClusters` at a time.

use std::time::Duration;

use serde::Serialize;

use super::duration::format_duration;
use super::plan::{Cluster, Plan, Strategy};

/// What a stage does to its clusters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum StageAction {
    /// `helm upgrade --install` (into `namespace` instead of each cluster's own, for green).
    Upgrade {
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
    },
    /// Only the health gate (BlueGreen validation of green).
    Validate {
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
    },
    /// Scale blue's controllers to 0 and point webhooks at green.
    Switch { from: String, to: String },
    /// Keep blue (scaled to 0) for `period`, then it may be removed.
    Retain {
        namespace: String,
        #[serde(serialize_with = "ser_duration")]
        period: Duration,
    },
}

/// The health gate that closes a stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    /// How long the stage's clusters are watched.
    #[serde(serialize_with = "ser_duration")]
    pub period: Duration,
    /// Share of healthy checks needed (Canary); `None`: the last check must be healthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_threshold: Option<f64>,
}

/// One step of a rollout.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stage {
    pub name: String,
    pub action: StageAction,
    /// Cluster (context) names, in the order they are handled.
    pub clusters: Vec<String>,
    /// Wait before the stage starts (Rolling's pause between clusters).
    #[serde(serialize_with = "ser_duration")]
    pub pause_before: Duration,
    /// The health gate; `None` when the stage has none (Direct with skipHealthChecks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<Evaluation>,
    /// How many clusters are worked on at the same time.
    pub parallelism: usize,
    /// The stage touches a cluster whose environment needs an approval.
    pub needs_approval: bool,
}

fn ser_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_duration(*d))
}

/// Rounded-up share of `n` (a percentage of clusters is never zero clusters).
fn share_of(n: usize, percentage: f64) -> usize {
    let exact = n as f64 * percentage / 100.0;
    // Guard against 30% of 10 becoming 3.0000000000000004 and rounding up to 4.
    let rounded = (exact - 1e-9).ceil();
    if rounded < 1.0 {
        1
    } else {
        rounded as usize
    }
}

/// Clusters sorted by environment, plan order kept within one.
fn by_environment(clusters: &[Cluster]) -> Vec<&Cluster> {
    let mut sorted: Vec<&Cluster> = clusters.iter().collect();
    sorted.sort_by_key(|c| c.environment);
    sorted
}

/// The stages of a plan.
pub fn compute_stages(plan: &Plan) -> Vec<Stage> {
    let needs_approval = |names: &[String]| {
        names.iter().any(|n| {
            plan.cluster(n)
                .is_some_and(|c| plan.approval_environments.contains(&c.environment))
        })
    };
    let mut stages = match &plan.strategy {
        Strategy::Canary(c) => {
            let sorted = by_environment(&plan.clusters);
            let n = sorted.len();
            let first_env = sorted.first().map(|c| c.environment);
            let first_env_count = sorted
                .iter()
                .take_while(|c| Some(c.environment) == first_env)
                .count();
            let first = share_of(n, c.initial_percentage).min(first_env_count);
            let non_prod = sorted
                .iter()
                .filter(|c| c.environment != super::plan::Environment::Prod)
                .count();
            let second_end = if first < non_prod {
                (first + share_of(n, c.increment_percentage)).min(non_prod)
            } else {
                first
            };
            let names = |range: std::ops::Range<usize>| -> Vec<String> {
                sorted
                    .get(range)
                    .unwrap_or(&[])
                    .iter()
                    .map(|c| c.context.clone())
                    .collect()
            };
            let evaluation = Some(Evaluation {
                period: c.evaluation_period,
                success_threshold: Some(c.success_threshold),
            });
            let mut out = Vec::new();
            for range in [0..first, first..second_end, second_end..n] {
                let clusters = names(range);
                if clusters.is_empty() {
                    continue;
                }
                out.push(Stage {
                    name: format!("canary-{}", out.len() + 1),
                    action: StageAction::Upgrade { namespace: None },
                    parallelism: clusters.len(),
                    clusters,
                    pause_before: Duration::ZERO,
                    evaluation: evaluation.clone(),
                    needs_approval: false,
                });
            }
            out
        }
        Strategy::BlueGreen(b) => {
            let all: Vec<String> = by_environment(&plan.clusters)
                .iter()
                .map(|c| c.context.clone())
                .collect();
            let stage = |name: &str, action: StageAction, evaluation: Option<Evaluation>| Stage {
                name: name.to_string(),
                action,
                clusters: all.clone(),
                pause_before: Duration::ZERO,
                evaluation,
                parallelism: all.len(),
                needs_approval: false,
            };
            vec![
                stage(
                    "install-green",
                    StageAction::Upgrade {
                        namespace: Some(b.green_namespace.clone()),
                    },
                    None,
                ),
                stage(
                    "validate",
                    StageAction::Validate {
                        namespace: Some(b.green_namespace.clone()),
                    },
                    Some(Evaluation {
                        period: b.validation_period,
                        success_threshold: None,
                    }),
                ),
                stage(
                    "switch",
                    StageAction::Switch {
                        from: b.blue_namespace.clone(),
                        to: b.green_namespace.clone(),
                    },
                    Some(Evaluation {
                        period: b.post_switch_period,
                        success_threshold: None,
                    }),
                ),
                stage(
                    "retain",
                    StageAction::Retain {
                        namespace: b.blue_namespace.clone(),
                        period: b.retention,
                    },
                    None,
                ),
            ]
        }
        Strategy::Rolling(r) => r
            .cluster_order
            .iter()
            .enumerate()
            .map(|(i, name)| Stage {
                name: format!("cluster-{}", i + 1),
                action: StageAction::Upgrade { namespace: None },
                clusters: vec![name.clone()],
                pause_before: if i == 0 {
                    Duration::ZERO
                } else {
                    r.pause_between_clusters
                },
                evaluation: Some(Evaluation {
                    period: r.validation_period,
                    success_threshold: None,
                }),
                parallelism: 1,
                needs_approval: false,
            })
            .collect(),
        Strategy::Direct(d) => vec![Stage {
            name: "all".to_string(),
            action: StageAction::Upgrade { namespace: None },
            clusters: by_environment(&plan.clusters)
                .iter()
                .map(|c| c.context.clone())
                .collect(),
            pause_before: Duration::ZERO,
            evaluation: if d.skip_health_checks {
                None
            } else {
                Some(Evaluation {
                    period: Duration::ZERO,
                    success_threshold: None,
                })
            },
            parallelism: d.parallel_clusters,
            needs_approval: false,
        }],
    };
    for stage in &mut stages {
        // Retaining blue changes nothing in a cluster, and validation follows an upgrade
        // that was already approved; approvals guard the steps that change what runs.
        stage.needs_approval = match stage.action {
            StageAction::Upgrade { .. } => needs_approval(&stage.clusters),
            // The environment approval was given for install-green; a manual switch
            // (`autoSwitch: false`) is its own approval.
            StageAction::Switch { .. } => {
                matches!(&plan.strategy, Strategy::BlueGreen(b) if !b.auto_switch)
            }
            StageAction::Validate { .. } | StageAction::Retain { .. } => false,
        };
    }
    stages
}

#[cfg(test)]
#[path = "stages_tests.rs"]
pub(crate) mod tests;
