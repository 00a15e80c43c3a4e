use super::*;

const GOOD: &str = "\
release: cert-operator
namespace: operators
chart: oci://example.org/charts/cert-operator
version: 1.4.0
valuesFiles: [values.yaml]
values:
  prod: [values-prod.yaml]
clusters:
  - context: dev-1
    environment: dev
  - context: staging-1
    environment: staging
  - context: prod-eu
    environment: prod
    namespace: ops
strategy: Canary
canary:
  initialPercentage: 10
  incrementPercentage: 20
  evaluationPeriod: PT5M
  successThreshold: 0.9
health:
  checkInterval: 10s
";

fn parse(text: &str) -> Result<Plan, PlanError> {
    parse_plan(
        text,
        "opm-rollout.yaml",
        Path::new("plans"),
        &PlanOptions::default(),
    )
}

fn parse_with(text: &str, opts: PlanOptions) -> Result<Plan, PlanError> {
    parse_plan(text, "opm-rollout.yaml", Path::new("plans"), &opts)
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn good_plan_with_defaults() {
    let plan = parse(GOOD).unwrap();
    assert_eq!(plan.release, "cert-operator");
    assert_eq!(
        plan.chart,
        ChartRef::Repo("oci://example.org/charts/cert-operator".into())
    );
    assert_eq!(plan.version.as_deref(), Some("1.4.0"));
    assert_eq!(
        plan.clusters,
        vec![
            Cluster {
                context: "dev-1".into(),
                environment: Environment::Dev,
                namespace: "operators".into()
            },
            Cluster {
                context: "staging-1".into(),
                environment: Environment::Staging,
                namespace: "operators".into()
            },
            Cluster {
                context: "prod-eu".into(),
                environment: Environment::Prod,
                namespace: "ops".into()
            },
        ]
    );
    assert_eq!(
        plan.strategy,
        Strategy::Canary(Canary {
            initial_percentage: 10.0,
            increment_percentage: 20.0,
            evaluation_period: Duration::from_secs(300),
            success_threshold: 0.9,
        })
    );
    assert_eq!(plan.health.check_interval, Duration::from_secs(10));
    assert_eq!(plan.health.failure_threshold, 3);
    assert_eq!(
        plan.health.controller_selector,
        "app.kubernetes.io/instance=cert-operator"
    );
    assert_eq!(
        plan.values_for(Environment::Prod),
        vec![
            PathBuf::from("plans/values.yaml"),
            PathBuf::from("plans/values-prod.yaml")
        ]
    );
    assert_eq!(
        plan.values_for(Environment::Dev),
        vec![PathBuf::from("plans/values.yaml")]
    );
    assert_eq!(plan.rollback.scope, RollbackScope::All);
    assert!(plan.rollback.automatic);
    assert_eq!(
        plan.approval_environments,
        BTreeSet::from([Environment::Prod])
    );
    assert!(plan.digest.starts_with("sha256:"));
    assert_eq!(plan.digest.len(), 7 + 64);
}

#[test]
fn check_interval_flag_overrides_the_file() {
    let plan = parse_with(
        GOOD,
        PlanOptions {
            check_interval: Some(Duration::from_millis(50)),
            ..PlanOptions::default()
        },
    )
    .unwrap();
    assert_eq!(plan.health.check_interval, Duration::from_millis(50));
}

#[test]
fn unknown_strategy() {
    let text = GOOD.replace("strategy: Canary", "strategy: Canery").replace(
        "canary:\n  initialPercentage: 10\n  incrementPercentage: 20\n  evaluationPeriod: PT5M\n  successThreshold: 0.9\n",
        "",
    );
    assert_eq!(
        error(&text),
        "opm-rollout.yaml:16:11: unknown strategy `Canery`: use one of Canary, BlueGreen, Rolling, Direct"
    );
}

#[test]
fn percentages_out_of_range() {
    assert_eq!(
        error(&GOOD.replace("initialPercentage: 10", "initialPercentage: 150")),
        "opm-rollout.yaml:18:22: canary.initialPercentage is 150: a percentage of clusters must be greater than 0 and at most 100"
    );
    assert_eq!(
        error(&GOOD.replace("incrementPercentage: 20", "incrementPercentage: 0")),
        "opm-rollout.yaml:19:24: canary.incrementPercentage is 0: a percentage of clusters must be greater than 0 and at most 100"
    );
    assert_eq!(
        error(&GOOD.replace("successThreshold: 0.9", "successThreshold: 95")),
        "opm-rollout.yaml:21:21: canary.successThreshold is 95: it is a share between 0 and 1 (0.95 means 95%)"
    );
}

#[test]
fn bad_durations() {
    assert_eq!(
        error(&GOOD.replace("PT5M", "five minutes")),
        "opm-rollout.yaml:20:21: canary.evaluationPeriod: invalid duration `five minutes`: write e.g. `30s`, `5m`, `1h30m` (units ms, s, m, h, d) or ISO 8601 `PT5M`, `P1D`"
    );
    assert_eq!(
        error(&GOOD.replace("checkInterval: 10s", "checkInterval: 0s")),
        "opm-rollout.yaml:23:18: health.checkInterval must be longer than 0s"
    );
}

#[test]
fn unknown_context_checked_against_kubeconfig() {
    let opts = PlanOptions {
        known_contexts: Some(BTreeSet::from(["dev-1".to_string(), "prod-eu".to_string()])),
        ..PlanOptions::default()
    };
    assert_eq!(
        parse_with(GOOD, opts).unwrap_err().to_string(),
        "opm-rollout.yaml:11:5: unknown kube context `staging-1`: the kubeconfig has dev-1, prod-eu"
    );
}

#[test]
fn duplicate_and_empty_clusters() {
    let dup = GOOD.replace("context: staging-1", "context: dev-1");
    assert_eq!(
        error(&dup),
        "opm-rollout.yaml:11:5: cluster `dev-1` is listed twice (first on line 9)"
    );
    let empty = "release: a\nnamespace: b\nchart: repo/a\nversion: 1.0.0\nclusters: []\nstrategy: Rolling\n";
    assert_eq!(
        error(empty),
        "opm-rollout.yaml:5:11: clusters is empty: list at least one kube context"
    );
}

#[test]
fn direct_on_prod_needs_force() {
    let text = "release: a\nnamespace: b\nchart: repo/a\nversion: 1.0.0\nclusters:\n  - {context: p, environment: prod}\nstrategy: Direct\n";
    assert_eq!(
        error(text),
        "opm-rollout.yaml:7:11: strategy Direct upgrades every cluster at once, and `p` is a prod cluster: use Canary, BlueGreen or Rolling for prod, or pass --force"
    );
    let forced = parse_with(
        text,
        PlanOptions {
            force: true,
            ..PlanOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        forced.strategy,
        Strategy::Direct(Direct {
            parallel_clusters: 10,
            skip_health_checks: false
        })
    );
}

#[test]
fn settings_of_another_strategy_are_refused() {
    let text = GOOD.replace("strategy: Canary", "strategy: Rolling");
    assert_eq!(
        error(&text),
        "opm-rollout.yaml:18:3: `canary` settings are given but the strategy is Rolling: remove them or change `strategy`"
    );
}

#[test]
fn unknown_field_and_syntax_errors_have_positions() {
    let text = GOOD.replace("version: 1.4.0", "versoin: 1.4.0");
    let e = error(&text);
    assert!(e.starts_with("opm-rollout.yaml:4:1: "), "{e}");
    assert!(e.contains("versoin"), "{e}");
    let e = error("release: [a\n");
    assert!(e.starts_with("opm-rollout.yaml:"), "{e}");
}

#[test]
fn repository_chart_needs_a_version_and_local_charts_must_exist() {
    assert_eq!(
        error(&GOOD.replace("version: 1.4.0\n", "")),
        "opm-rollout.yaml:3:8: chart `oci://example.org/charts/cert-operator` is a repository reference: give its `version` so every cluster gets the same chart"
    );
    assert_eq!(
        error(&GOOD.replace("oci://example.org/charts/cert-operator", "./charts/nope")),
        "opm-rollout.yaml:3:8: chart `./charts/nope` does not exist (paths are relative to the plan file; repository references look like `oci://…` or `repo/name`)"
    );
}

#[test]
fn rolling_order_is_resolved_and_checked() {
    let base = "release: a\nnamespace: b\nchart: repo/a\nversion: 1.0.0\nclusters:\n  - {context: d1, environment: dev}\n  - {context: d2, environment: dev}\n  - {context: s1, environment: staging}\n  - {context: p1, environment: prod}\nstrategy: Rolling\nrolling:\n";
    let plan = parse(&format!(
        "{base}  clusterOrder: [d2, d1]\n  pauseBetweenClusters: 2m\n"
    ))
    .unwrap();
    assert_eq!(
        plan.strategy,
        Strategy::Rolling(Rolling {
            cluster_order: vec!["d2".into(), "d1".into(), "s1".into(), "p1".into()],
            validation_period: Duration::from_secs(300),
            pause_between_clusters: Duration::from_secs(120),
        })
    );
    assert_eq!(
        error(&format!("{base}  clusterOrder: [p1, d1]\n")),
        "opm-rollout.yaml:12:22: rolling.clusterOrder puts `d1` (dev) after `p1` (prod): rollouts go dev → staging → prod"
    );
    assert_eq!(
        error(&format!("{base}  clusterOrder: [d1, x]\n")),
        "opm-rollout.yaml:12:22: rolling.clusterOrder names `x`, which is not in clusters"
    );
}

#[test]
fn blue_green_defaults_and_same_namespace() {
    let base = "release: a\nnamespace: ops\nchart: repo/a\nversion: 1.0.0\nclusters:\n  - {context: d1, environment: dev}\nstrategy: BlueGreen\n";
    let plan = parse(base).unwrap();
    assert_eq!(
        plan.strategy,
        Strategy::BlueGreen(BlueGreen {
            blue_namespace: "ops".into(),
            green_namespace: "ops-green".into(),
            validation_period: Duration::from_secs(600),
            auto_switch: true,
            retention: Duration::from_secs(86_400),
            post_switch_period: Duration::from_secs(300),
        })
    );
    assert_eq!(
        error(&format!("{base}blueGreen:\n  greenNamespace: ops\n")),
        "opm-rollout.yaml:9:3: blueGreen.blueNamespace and greenNamespace are both `ops`: green must be a different namespace"
    );
}

#[test]
fn schema_names_the_fields() {
    let schema = plan_schema();
    for field in [
        "initialPercentage",
        "clusterOrder",
        "greenNamespace",
        "parallelClusters",
        "checkInterval",
        "failureThreshold",
        "valuesFiles",
    ] {
        assert!(schema.contains(field), "{field} missing from the schema");
    }
    let parsed: serde_json::Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(
        parsed["title"],
        "kubectl-opm rollout plan (opm-rollout.yaml)"
    );
}
