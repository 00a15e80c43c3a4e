//! `kubectl opm rollout plan` and `kubectl opm schema plan`: plan files are validated
//! against the kubeconfig's contexts and cut into stages without touching any cluster; bad
//! plans exit 2 with file:line:column.

mod support;

use std::process::{Command, Output};

fn opm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-opm"))
        .current_dir(support::repo_root())
        // The fixtures' kubeconfig is always given explicitly; an ambient one must not matter.
        .env_remove("KUBECONFIG")
        .env_remove("HELM_KUBECONTEXT")
        .args(args)
        .output()
        .expect("run kubectl-opm")
}

fn plan(file: &str, extra: &[&str]) -> Output {
    let path = format!("testdata/rollout/{file}");
    let mut args = vec![
        "rollout",
        "plan",
        "-f",
        &path,
        "--kubeconfig",
        "testdata/rollout/kubeconfig.yaml",
    ];
    args.extend_from_slice(extra);
    opm(&args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn canary_plan_text() {
    let out = plan("canary.yaml", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn rolling_and_bluegreen_plans_text() {
    for file in ["rolling.yaml", "bluegreen.yaml"] {
        let out = plan(file, &[]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
        insta::assert_snapshot!(file.replace(".yaml", ""), stdout(&out));
    }
}

#[test]
fn canary_plan_json_has_every_cluster_once_in_environment_order() {
    let out = plan("canary.yaml", &["-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["strategy"], "Canary");
    assert_eq!(json["release"], "sample-operator");
    let stages = json["stages"].as_array().unwrap();
    let order: Vec<&str> = stages
        .iter()
        .flat_map(|s| s["clusters"].as_array().unwrap())
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(order, ["dev-1", "dev-2", "staging-1", "prod-eu", "prod-us"]);
    // Only the stage with prod clusters waits for an approval.
    let approvals: Vec<bool> = stages
        .iter()
        .map(|s| s["needsApproval"].as_bool().unwrap())
        .collect();
    assert_eq!(approvals, [false, false, true]);
}

#[test]
fn direct_on_prod_needs_force() {
    let out = plan("direct-prod.yaml", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "Error: testdata/rollout/direct-prod.yaml:18:11: strategy Direct upgrades every cluster \
         at once, and `prod-eu` is a prod cluster: use Canary, BlueGreen or Rolling for prod, \
         or pass --force\n"
    );
    let forced = plan("direct-prod.yaml", &["--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(stdout(&forced).contains("Stage 1 of 1"));
}

#[test]
fn bad_plans_exit_2_with_location() {
    let cases = [
        (
            "unknown-context.yaml",
            "unknown-context.yaml:16:5: unknown kube context `prod-asia`: the kubeconfig has \
             dev-1, dev-2, prod-eu, prod-us, staging-1",
        ),
        (
            "unknown-strategy.yaml",
            "unknown-strategy.yaml:18:11: unknown strategy `Linear`: use one of Canary, \
             BlueGreen, Rolling, Direct",
        ),
        (
            "bad-percentage.yaml",
            "bad-percentage.yaml:20:22: canary.initialPercentage is 150: a percentage of \
             clusters must be greater than 0 and at most 100",
        ),
    ];
    for (file, message) in cases {
        let out = plan(file, &[]);
        assert_eq!(out.status.code(), Some(2), "{file}");
        assert!(stdout(&out).is_empty(), "{file}: nothing printed on stdout");
        assert!(stderr(&out).contains(message), "{file}: {}", stderr(&out));
    }
}

#[test]
fn missing_plan_file_exits_2() {
    let out = plan("no-such-plan.yaml", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no-such-plan.yaml: cannot read the rollout plan"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn plan_schema_accepts_the_fixture_plans_and_rejects_a_typo() {
    let out = opm(&["schema", "plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for file in ["canary.yaml", "rolling.yaml", "bluegreen.yaml"] {
        let text =
            std::fs::read_to_string(support::repo_root().join("testdata/rollout").join(file))
                .unwrap();
        let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert!(validator.is_valid(&doc), "{file} should validate");
    }
    let mut doc: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(support::repo_root().join("testdata/rollout/canary.yaml"))
            .unwrap(),
    )
    .unwrap();
    doc["strategyy"] = serde_json::json!("Canary");
    assert!(!validator.is_valid(&doc), "an unknown key is rejected");
}
