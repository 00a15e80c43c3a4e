use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::{prop_assert, prop_assert_eq, prop_oneof, proptest, Just};
use proptest::strategy::Strategy as _;

use super::*;
use crate::rollout::plan::{
    BlueGreen, Canary, ChartRef, Direct, Environment, HealthSettings, RollbackPolicy,
    RollbackScope, Rolling,
};

pub(crate) fn test_plan(strategy: Strategy, clusters: &[(&str, Environment)]) -> Plan {
    Plan {
        path: "opm-rollout.yaml".into(),
        digest: "sha256:0".into(),
        release: "op".into(),
        namespace: "ops".into(),
        chart: ChartRef::Repo("repo/op".into()),
        version: Some("1.0.0".into()),
        values_files: vec![],
        values: BTreeMap::new(),
        clusters: clusters
            .iter()
            .map(|(name, env)| Cluster {
                context: name.to_string(),
                environment: *env,
                namespace: "ops".into(),
            })
            .collect(),
        strategy,
        health: HealthSettings::defaults("op"),
        rollback: RollbackPolicy {
            automatic: true,
            scope: RollbackScope::All,
        },
        approval_environments: BTreeSet::from([Environment::Prod]),
    }
}

fn fleet(dev: usize, staging: usize, prod: usize) -> Vec<(String, Environment)> {
    let mut out = Vec::new();
    // Interleave so plan order is not environment order.
    for i in 0..dev.max(staging).max(prod) {
        if i < prod {
            out.push((format!("prod-{}", i + 1), Environment::Prod));
        }
        if i < staging {
            out.push((format!("staging-{}", i + 1), Environment::Staging));
        }
        if i < dev {
            out.push((format!("dev-{}", i + 1), Environment::Dev));
        }
    }
    out
}

fn plan_for(strategy: Strategy, clusters: &[(String, Environment)]) -> Plan {
    let refs: Vec<(&str, Environment)> = clusters.iter().map(|(n, e)| (n.as_str(), *e)).collect();
    test_plan(strategy, &refs)
}

/// Stage names with their clusters and approval flag: `canary-1 [dev-1]`, `… !` when approved.
fn shape(stages: &[Stage]) -> Vec<String> {
    stages
        .iter()
        .map(|s| {
            format!(
                "{} [{}]{}",
                s.name,
                s.clusters.join(" "),
                if s.needs_approval { " approval" } else { "" }
            )
        })
        .collect()
}

#[test]
fn canary_defaults_on_ten_clusters() {
    let plan = plan_for(Strategy::Canary(Canary::default()), &fleet(4, 3, 3));
    assert_eq!(
        shape(&compute_stages(&plan)),
        [
            "canary-1 [dev-1]",
            "canary-2 [dev-2 dev-3]",
            "canary-3 [dev-4 staging-1 staging-2 staging-3 prod-1 prod-2 prod-3] approval",
        ]
    );
}

#[test]
fn canary_second_stage_goes_from_dev_to_staging_but_not_prod() {
    let plan = plan_for(Strategy::Canary(Canary::default()), &fleet(1, 2, 7));
    assert_eq!(
        shape(&compute_stages(&plan)),
        [
            "canary-1 [dev-1]",
            "canary-2 [staging-1 staging-2]",
            "canary-3 [prod-1 prod-2 prod-3 prod-4 prod-5 prod-6 prod-7] approval",
        ]
    );
    let plan = plan_for(Strategy::Canary(Canary::default()), &fleet(1, 1, 8));
    // 20% of 10 is two clusters, but only one is not prod.
    assert_eq!(shape(&compute_stages(&plan))[1], "canary-2 [staging-1]");
}

#[test]
fn canary_first_stage_never_leaves_the_first_environment() {
    // 50% of 4 is 2, but there is one dev cluster.
    let plan = plan_for(
        Strategy::Canary(Canary {
            initial_percentage: 50.0,
            ..Canary::default()
        }),
        &fleet(1, 2, 1),
    );
    assert_eq!(
        shape(&compute_stages(&plan)),
        [
            "canary-1 [dev-1]",
            "canary-2 [staging-1]",
            "canary-3 [staging-2 prod-1] approval",
        ]
    );
}

#[test]
fn canary_small_and_single_environment_fleets() {
    let c = || Strategy::Canary(Canary::default());
    assert_eq!(
        shape(&compute_stages(&plan_for(c(), &fleet(1, 0, 0)))),
        ["canary-1 [dev-1]"]
    );
    assert_eq!(
        shape(&compute_stages(&plan_for(c(), &fleet(2, 0, 0)))),
        ["canary-1 [dev-1]", "canary-2 [dev-2]"]
    );
    assert_eq!(
        shape(&compute_stages(&plan_for(c(), &fleet(0, 0, 3)))),
        [
            "canary-1 [prod-1] approval",
            "canary-2 [prod-2 prod-3] approval"
        ]
    );
    assert_eq!(
        shape(&compute_stages(&plan_for(c(), &fleet(0, 2, 1)))),
        [
            "canary-1 [staging-1]",
            "canary-2 [staging-2]",
            "canary-3 [prod-1] approval"
        ]
    );
}

#[test]
fn canary_hundred_clusters() {
    let plan = plan_for(Strategy::Canary(Canary::default()), &fleet(40, 30, 30));
    let stages = compute_stages(&plan);
    let sizes: Vec<usize> = stages.iter().map(|s| s.clusters.len()).collect();
    assert_eq!(sizes, [10, 20, 70]);
    assert_eq!(
        stages[0].clusters.first().map(String::as_str),
        Some("dev-1")
    );
    assert_eq!(
        stages[1].clusters.last().map(String::as_str),
        Some("dev-30")
    );
    assert_eq!(
        stages[0].evaluation,
        Some(Evaluation {
            period: Duration::from_secs(300),
            success_threshold: Some(0.95)
        })
    );
}

#[test]
fn rolling_one_cluster_at_a_time_with_pauses() {
    let clusters = fleet(2, 1, 1);
    let plan = plan_for(
        Strategy::Rolling(Rolling {
            cluster_order: vec![
                "dev-2".into(),
                "dev-1".into(),
                "staging-1".into(),
                "prod-1".into(),
            ],
            validation_period: Duration::from_secs(300),
            pause_between_clusters: Duration::from_secs(120),
        }),
        &clusters,
    );
    let stages = compute_stages(&plan);
    assert_eq!(
        shape(&stages),
        [
            "cluster-1 [dev-2]",
            "cluster-2 [dev-1]",
            "cluster-3 [staging-1]",
            "cluster-4 [prod-1] approval"
        ]
    );
    let pauses: Vec<u64> = stages.iter().map(|s| s.pause_before.as_secs()).collect();
    assert_eq!(pauses, [0, 120, 120, 120]);
    assert!(stages.iter().all(|s| s.parallelism == 1));
}

#[test]
fn direct_all_at_once() {
    let plan = plan_for(
        Strategy::Direct(Direct {
            parallel_clusters: 4,
            skip_health_checks: true,
        }),
        &fleet(2, 1, 0),
    );
    let stages = compute_stages(&plan);
    assert_eq!(shape(&stages), ["all [dev-1 dev-2 staging-1]"]);
    assert_eq!(stages[0].parallelism, 4);
    assert_eq!(stages[0].evaluation, None);
}

#[test]
fn blue_green_four_steps() {
    let bg = |auto_switch| {
        Strategy::BlueGreen(BlueGreen {
            blue_namespace: "ops".into(),
            green_namespace: "ops-green".into(),
            validation_period: Duration::from_secs(600),
            auto_switch,
            retention: Duration::from_secs(86_400),
            post_switch_period: Duration::from_secs(300),
        })
    };
    let stages = compute_stages(&plan_for(bg(true), &fleet(1, 0, 1)));
    assert_eq!(
        shape(&stages),
        [
            "install-green [dev-1 prod-1] approval",
            "validate [dev-1 prod-1]",
            "switch [dev-1 prod-1]",
            "retain [dev-1 prod-1]"
        ]
    );
    assert_eq!(
        serde_json::to_value(&stages[2].action).unwrap(),
        serde_json::json!({"type": "switch", "from": "ops", "to": "ops-green"})
    );
    assert_eq!(
        serde_json::to_value(&stages[3].action).unwrap(),
        serde_json::json!({"type": "retain", "namespace": "ops", "period": "1d"})
    );
    let manual = compute_stages(&plan_for(bg(false), &fleet(1, 0, 0)));
    assert_eq!(
        shape(&manual),
        [
            "install-green [dev-1]",
            "validate [dev-1]",
            "switch [dev-1] approval",
            "retain [dev-1]"
        ]
    );
}

fn arb_fleet() -> impl proptest::strategy::Strategy<Value = Vec<(String, Environment)>> {
    proptest::collection::vec(0u8..3, 1..120).prop_map(|envs| {
        envs.into_iter()
            .enumerate()
            .map(|(i, e)| {
                let env = match e {
                    0 => Environment::Dev,
                    1 => Environment::Staging,
                    _ => Environment::Prod,
                };
                (format!("c{i}"), env)
            })
            .collect()
    })
}

fn arb_strategy() -> impl proptest::strategy::Strategy<Value = Strategy> {
    prop_oneof![
        (1u32..=100, 1u32..=100).prop_map(|(i, inc)| Strategy::Canary(Canary {
            initial_percentage: f64::from(i),
            increment_percentage: f64::from(inc),
            ..Canary::default()
        })),
        (1usize..20).prop_map(|p| Strategy::Direct(Direct {
            parallel_clusters: p,
            skip_health_checks: false
        })),
        Just(Strategy::BlueGreen(BlueGreen {
            blue_namespace: "a".into(),
            green_namespace: "b".into(),
            validation_period: Duration::from_secs(1),
            auto_switch: true,
            retention: Duration::from_secs(1),
            post_switch_period: Duration::from_secs(1),
        })),
    ]
}

proptest! {
    #[test]
    fn every_cluster_once_and_environments_never_go_backwards(
        clusters in arb_fleet(),
        strategy in arb_strategy(),
    ) {
        let mut plan = plan_for(strategy, &clusters);
        let rolling_order: Vec<String> = {
            let mut sorted = plan.clusters.clone();
            sorted.sort_by_key(|c| c.environment);
            sorted.into_iter().map(|c| c.context).collect()
        };
        let stages = compute_stages(&plan);
        let upgrade_stages: Vec<&Stage> = stages
            .iter()
            .filter(|s| matches!(s.action, StageAction::Upgrade { .. }))
            .collect();
        let mut seen: Vec<String> = upgrade_stages.iter().flat_map(|s| s.clusters.clone()).collect();
        let mut all: Vec<String> = clusters.iter().map(|(n, _)| n.clone()).collect();
        prop_assert_eq!(seen.len(), all.len());
        seen.sort();
        all.sort();
        prop_assert_eq!(&seen, &all);
        let env = |n: &String| plan.cluster(n).map(|c| c.environment);
        let mut highest = None;
        for stage in &upgrade_stages {
            prop_assert!(!stage.clusters.is_empty());
            for name in &stage.clusters {
                let e = env(name);
                prop_assert!(e >= highest, "{} goes back from {:?}", name, highest);
                highest = e;
            }
        }
        // Rolling over the environment order: one per stage, same invariants.
        plan.strategy = Strategy::Rolling(Rolling {
            cluster_order: rolling_order.clone(),
            validation_period: Duration::from_secs(1),
            pause_between_clusters: Duration::ZERO,
        });
        let rolling: Vec<String> = compute_stages(&plan).into_iter().flat_map(|s| s.clusters).collect();
        prop_assert_eq!(rolling, rolling_order);
    }
}
