//! The `charts/kubectl-opm-rbac` chart: the three rollout ClusterRoles rendered by our
//! renderer carry exactly the rules the README's "Rollout permissions" describes, with and
//! without the chart's toggles; the chart lints clean with our lint and `helm lint
//! --strict`, and renders like Helm 4.

mod support;

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn chart() -> PathBuf {
    support::repo_root().join("charts/kubectl-opm-rbac")
}

/// Our render of the chart with extra arguments.
fn render(args: &[&str]) -> String {
    let out = Command::new(support::opm_bin())
        .arg("render")
        .arg("rbac")
        .arg(chart())
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "render failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `name → rules`, each rule one line: `groups | resources | verbs [| names]`.
fn roles(text: &str) -> Vec<(String, Vec<String>)> {
    let list = |v: &Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    text.split("\n---\n")
        .filter(|d| d.contains("kind:"))
        .map(|doc| {
            let v: Value = serde_saphyr::from_str(doc).unwrap();
            assert_eq!(v["kind"], "ClusterRole", "{doc}");
            let rules = v["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let mut line = format!(
                        "[{}] {}: {}",
                        list(&r["apiGroups"]),
                        list(&r["resources"]),
                        list(&r["verbs"])
                    );
                    if r.get("resourceNames").is_some() {
                        line.push_str(&format!(" ({})", list(&r["resourceNames"])));
                    }
                    line
                })
                .collect();
            (v["metadata"]["name"].as_str().unwrap().to_string(), rules)
        })
        .collect()
}

const VIEWER: [&str; 4] = [
    "[] configmaps: get,list,watch",
    "[] secrets: get,list,watch",
    "[coordination.k8s.io] leases: get,list,watch",
    "[,events.k8s.io] events: get,list,watch",
];

const APPROVER_EXTRA: [&str; 4] = [
    "[] configmaps: update,patch",
    "[,events.k8s.io] events: create,patch",
    "[authentication.k8s.io] selfsubjectreviews: create",
    "[authorization.k8s.io] selfsubjectaccessreviews: create",
];

const FULL: &str = "get,list,watch,create,update,patch,delete";

fn deployer(escalation: bool) -> Vec<String> {
    let mut rules = vec![
        format!("[] secrets,configmaps,serviceaccounts,services: {FULL}"),
        "[] namespaces: get,list,create".to_string(),
        "[] pods,endpoints: get,list,watch".to_string(),
        "[] services/proxy: get".to_string(),
        "[discovery.k8s.io] endpointslices: get,list,watch".to_string(),
        format!("[apps] deployments,statefulsets,daemonsets: {FULL}"),
        "[apps] deployments/scale,statefulsets/scale: get,update,patch".to_string(),
        "[apps] replicasets: get,list,watch".to_string(),
        format!("[batch] jobs: {FULL}"),
        format!("[policy] poddisruptionbudgets: {FULL}"),
        format!("[networking.k8s.io] networkpolicies: {FULL}"),
        format!("[autoscaling] horizontalpodautoscalers: {FULL}"),
        format!("[rbac.authorization.k8s.io] roles,rolebindings,clusterroles,clusterrolebindings: {FULL}"),
    ];
    if escalation {
        rules.push("[rbac.authorization.k8s.io] roles,clusterroles: bind,escalate".to_string());
    }
    rules.extend([
        "[apiextensions.k8s.io] customresourcedefinitions: get,list,watch,create,update,patch"
            .to_string(),
        format!("[admissionregistration.k8s.io] validatingwebhookconfigurations,mutatingwebhookconfigurations: {FULL}"),
        format!("[monitoring.coreos.com] servicemonitors,podmonitors,prometheusrules: {FULL}"),
        format!("[cert-manager.io] certificates,issuers: {FULL}"),
        format!("[coordination.k8s.io] leases: {FULL}"),
        "[,events.k8s.io] events: get,list,watch,create,patch".to_string(),
        "[authentication.k8s.io] selfsubjectreviews: create".to_string(),
        "[authorization.k8s.io] selfsubjectaccessreviews: create".to_string(),
    ]);
    rules
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn default_roles_have_exactly_the_documented_rules() {
    let got = roles(&render(&[]));
    let mut approver = strings(&VIEWER);
    approver.extend(strings(&APPROVER_EXTRA));
    assert_eq!(
        got,
        [
            ("kubectl-opm-approver".to_string(), approver),
            ("kubectl-opm-deployer".to_string(), deployer(true)),
            ("kubectl-opm-viewer".to_string(), strings(&VIEWER)),
        ]
    );
    // The deliberate escalation verbs are marked for our lint, with nothing else ignored.
    assert!(render(&[]).contains("kubectl-opm/ignore: \"rbac-escalation-verbs\"\n"));
}

#[test]
fn restricted_values_narrow_every_role() {
    let values = chart().join("ci/restricted-values.yaml");
    let text = render(&["-f", values.to_str().unwrap()]);
    let got = roles(&text);
    let viewer: Vec<String> = VIEWER
        .iter()
        .filter(|r| !r.contains("secrets"))
        .map(|s| s.to_string())
        .collect();
    let mut approver = viewer.clone();
    approver.push(
        "[] configmaps: update,patch (cert-operator-opm-rollout,db-operator-opm-rollout)".into(),
    );
    approver.extend(strings(&APPROVER_EXTRA[1..]));
    let mut deploy = deployer(false);
    deploy.push("[example.com] *: get,list,watch".into());
    deploy.push(format!("[example.com] widgets: {FULL}"));
    assert_eq!(
        got,
        [
            ("kubectl-opm-approver".to_string(), approver),
            ("kubectl-opm-deployer".to_string(), deploy),
            ("kubectl-opm-viewer".to_string(), viewer),
        ]
    );
    assert!(text.contains("kubectl-opm/ignore: \"rbac-wildcard-resources\"\n"));
    assert_eq!(text.matches("    team: platform\n").count(), 3);
}

#[test]
fn roles_can_be_left_out() {
    let got = roles(&render(&[
        "--set",
        "viewer.create=false",
        "--set",
        "deployer.create=false",
    ]));
    assert_eq!(
        got.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["kubectl-opm-approver"]
    );
}

#[test]
fn lints_clean_with_our_lint_and_helm() {
    let out = Command::new(support::opm_bin())
        .arg("lint")
        .arg(chart())
        .args(["-o", "json", "--fail-on", "info"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["diagnostics"], serde_json::json!([]));
    support::assert_helm_lint_strict(
        &chart(),
        &[None, Some(chart().join("ci/restricted-values.yaml"))],
    );
}

#[test]
fn renders_like_helm4() {
    let Some(helm) = support::require_tool("helm4") else {
        return;
    };
    let values = chart().join("ci/restricted-values.yaml");
    for args in [vec![], vec!["-f", values.to_str().unwrap()]] {
        let out = Command::new(&helm)
            .arg("template")
            .arg("rbac")
            .arg(chart())
            .args(&args)
            .output()
            .expect("helm runs");
        assert!(out.status.success());
        assert_eq!(render(&args), String::from_utf8(out.stdout).unwrap());
    }
}
