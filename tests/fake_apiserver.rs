//! The fake API server against real clients: kube-rs, kubectl, helm 3 and helm 4.

mod support;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;
use support::fakeapi::{FakeCluster, FakeFleet, Fault, FaultAction};

/// A kube client for the cluster's kubeconfig. Call inside the runtime that uses it: the
/// client's background worker lives on that runtime.
async fn client_for(cluster: &FakeCluster) -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&cluster.kubeconfig_yaml("test")).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn cm(name: &str) -> ConfigMap {
    serde_json::from_value(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"app": name, "tier": "web"}}, "data": {"k": "v"}}))
    .unwrap()
}

#[test]
fn seeds_and_reads_objects() {
    let cluster = FakeCluster::start();
    cluster.apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}, "data": {"k": "v"}}));
    let got = cluster.get("v1", "ConfigMap", "default", "a").unwrap();
    assert_eq!(got["data"]["k"], "v");
    assert_eq!(
        got["metadata"]["resourceVersion"],
        cluster.resource_version().to_string()
    );
}

fn kube_crud(cluster: &FakeCluster) {
    block_on(async move {
        let client = client_for(cluster).await;
        let api: Api<ConfigMap> = Api::namespaced(client, "default");
        let created = api
            .create(&PostParams::default(), &cm("one"))
            .await
            .unwrap();
        assert_eq!(created.metadata.generation, None);
        assert!(created.metadata.uid.is_some());
        let err = api
            .create(&PostParams::default(), &cm("one"))
            .await
            .unwrap_err();
        match err {
            kube::Error::Api(s) => {
                assert_eq!(s.code, 409);
                assert_eq!(s.reason, "AlreadyExists");
                assert_eq!(s.message, "configmaps \"one\" already exists");
            }
            other => panic!("unexpected {other:?}"),
        }
        // A stale resourceVersion conflicts.
        let mut stale = created.clone();
        let mut fresh = created.clone();
        fresh.data = Some([("k".to_owned(), "w".to_owned())].into());
        api.replace("one", &PostParams::default(), &fresh)
            .await
            .unwrap();
        stale.data = Some([("k".to_owned(), "x".to_owned())].into());
        match api
            .replace("one", &PostParams::default(), &stale)
            .await
            .unwrap_err()
        {
            kube::Error::Api(s) => {
                assert_eq!(s.code, 409);
                assert_eq!(s.reason, "Conflict");
            }
            other => panic!("unexpected {other:?}"),
        }
        api.create(&PostParams::default(), &cm("two"))
            .await
            .unwrap();
        api.create(&PostParams::default(), &cm("three"))
            .await
            .unwrap();
        let sel = api
            .list(&ListParams::default().labels("app in (one,two)"))
            .await
            .unwrap();
        let names: Vec<_> = sel
            .items
            .iter()
            .map(|c| c.metadata.name.clone().unwrap())
            .collect();
        assert_eq!(names, ["one", "two"]);
        let page1 = api.list(&ListParams::default().limit(2)).await.unwrap();
        assert_eq!(page1.items.len(), 2);
        let token = page1.metadata.continue_.clone().unwrap();
        let page2 = api
            .list(&ListParams::default().limit(2).continue_token(&token))
            .await
            .unwrap();
        assert_eq!(page2.items.len(), 1);
        assert_eq!(page2.items[0].metadata.name.as_deref(), Some("two"));
        let patched = api
            .patch(
                "two",
                &PatchParams::default(),
                &Patch::Merge(json!({"data": {"extra": "1"}})),
            )
            .await
            .unwrap();
        assert_eq!(
            patched.data.unwrap().get("extra").map(String::as_str),
            Some("1")
        );
        let applied = api
            .patch("four", &PatchParams::apply("test").force(), &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "four"}, "data": {"a": "b"}})))
            .await
            .unwrap();
        assert_eq!(
            applied.data.unwrap().get("a").map(String::as_str),
            Some("b")
        );
        api.delete("two", &Default::default()).await.unwrap();
        match api.get("two").await.unwrap_err() {
            kube::Error::Api(s) => {
                assert_eq!(s.code, 404);
                assert_eq!(s.message, "configmaps \"two\" not found");
            }
            other => panic!("unexpected {other:?}"),
        }
    });
    assert!(cluster.get("v1", "ConfigMap", "default", "four").is_some());
}

#[test]
fn kube_client_crud_plain() {
    kube_crud(&FakeCluster::start());
}

#[test]
fn kube_client_crud_tls_with_token() {
    let cluster = FakeCluster::builder().tls(true).token("s3cret").build();
    kube_crud(&cluster);
}

#[test]
fn wrong_token_is_401_and_faults_fire() {
    let cluster = FakeCluster::builder().token("right").build();
    let mut yaml = cluster.kubeconfig_yaml("t");
    yaml = yaml.replace("\"right\"", "\"wrong\"");
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&yaml).unwrap();
    block_on(async {
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .unwrap();
        let api: Api<ConfigMap> =
            Api::namespaced(kube::Client::try_from(config).unwrap(), "default");
        match api.list(&ListParams::default()).await.unwrap_err() {
            kube::Error::Api(s) => assert_eq!((s.code, s.reason.as_str()), (401, "Unauthorized")),
            other => panic!("unexpected {other:?}"),
        }
    });
    // One 503: the kube client retries it and succeeds. A 500 on every try: the error.
    cluster
        .faults()
        .add(Fault::new("/configmaps", FaultAction::Status(503)));
    cluster.faults().add(Fault {
        method: Some("GET".into()),
        path_contains: "/secrets".into(),
        times: 0,
        action: FaultAction::Status(500),
    });
    cluster.forbid("list", "", "pods", Some("default"));
    block_on(async {
        let client = client_for(&cluster).await;
        cluster.clear_requests();
        let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        assert_eq!(
            api.list(&ListParams::default()).await.unwrap().items.len(),
            0
        );
        let secrets: Api<k8s_openapi::api::core::v1::Secret> =
            Api::namespaced(client.clone(), "default");
        match secrets.list(&ListParams::default()).await.unwrap_err() {
            kube::Error::Api(s) => assert_eq!((s.code, s.reason.as_str()), (500, "InternalError")),
            other => panic!("unexpected {other:?}"),
        }
        let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client, "default");
        match pods.list(&ListParams::default()).await.unwrap_err() {
            kube::Error::Api(s) => {
                assert_eq!(s.code, 403);
                assert_eq!(s.message, "pods is forbidden: User \"kubernetes-admin\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"");
            }
            other => panic!("unexpected {other:?}"),
        }
    });
    let cm_gets = cluster
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/namespaces/default/configmaps")
        .count();
    assert_eq!(cm_gets, 2, "the 503 was retried once");
    assert_eq!(cluster.faults().remaining(), 1);
}

#[test]
fn hundred_clusters_answer() {
    let fleet = FakeFleet::start(100);
    let yaml = fleet.kubeconfig_yaml();
    assert_eq!(yaml.matches("- name: \"cluster-").count(), 300);
    for (_, cluster) in &fleet.clusters {
        let mut s = std::net::TcpStream::connect(cluster.addr()).unwrap();
        use std::io::{Read, Write};
        s.write_all(b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        assert!(out.contains("\"gitVersion\":\"v1.35.0\""), "{out}");
    }
}

/// A minimal namespaced CRD serving `versions` (the last one stored).
fn crd(group: &str, plural: &str, kind: &str, versions: &[&str]) -> serde_json::Value {
    let vs: Vec<_> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"name": v, "served": true, "storage": i + 1 == versions.len(),
            "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
            "subresources": {"status": {}}}))
        .collect();
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {"group": group, "scope": "Namespaced", "versions": vs,
            "names": {"plural": plural, "singular": kind.to_lowercase(), "kind": kind, "listKind": format!("{kind}List")}}})
}

/// Runs a real tool against the cluster with a private HOME (no shared discovery cache).
fn run_tool(
    tool: &std::path::Path,
    home: &std::path::Path,
    kubeconfig: &std::path::Path,
    driver: Option<&str>,
    args: &[&str],
) -> (bool, String) {
    let mut cmd = std::process::Command::new(tool);
    cmd.args(args)
        .env("HOME", home)
        .env("KUBECONFIG", kubeconfig)
        .env("HELM_CONFIG_HOME", home.join("helm-config"))
        .env("HELM_CACHE_HOME", home.join("helm-cache"))
        .env("HELM_DATA_HOME", home.join("helm-data"))
        .env_remove("HELM_DRIVER");
    if let Some(d) = driver {
        cmd.env("HELM_DRIVER", d);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn helm_lifecycle(helm_name: &str, driver: Option<&str>) {
    let Some(helm) = support::require_tool(helm_name) else {
        return;
    };
    let cluster = FakeCluster::builder().tls(true).token("helm-token").build();
    // The chart issues its webhook certificate through cert-manager, as on a real cluster.
    for (plural, kind) in [("certificates", "Certificate"), ("issuers", "Issuer")] {
        cluster.apply(crd("cert-manager.io", plural, kind, &["v1"]));
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    support::fakeapi::write_kubeconfig(&[("fake", &cluster)], &kubeconfig).unwrap();
    let chart = support::repo_root().join("charts/sample-operator");
    let chart = chart.to_str().unwrap();
    let run = |args: &[&str]| {
        let (ok, text) = run_tool(&helm, dir.path(), &kubeconfig, driver, args);
        assert!(
            ok,
            "{helm_name} {args:?} failed:\n{text}\nrequests: {:#?}",
            cluster.requests().iter().rev().take(5).collect::<Vec<_>>()
        );
        text
    };
    run(&[
        "install",
        "op",
        chart,
        "--namespace",
        "ops",
        "--create-namespace",
    ]);
    run(&[
        "upgrade",
        "op",
        chart,
        "--namespace",
        "ops",
        "--set",
        "replicaCount=2",
    ]);
    let history = run(&["history", "op", "--namespace", "ops"]);
    assert!(
        history.contains("superseded") && history.contains("deployed"),
        "{history}"
    );
    run(&["rollback", "op", "1", "--namespace", "ops"]);
    let list = run(&["list", "-A"]);
    assert!(list.contains("op") && list.contains("ops"), "{list}");
    let (api, kind) = if driver == Some("configmap") {
        ("v1", "ConfigMap")
    } else {
        ("v1", "Secret")
    };
    let stored: Vec<String> = cluster
        .list(api, kind, "ops")
        .iter()
        .filter(|o| o["metadata"]["labels"]["owner"] == "helm")
        .map(|o| {
            let l = &o["metadata"]["labels"];
            format!(
                "{} name={} version={} status={}",
                o["metadata"]["name"].as_str().unwrap(),
                l["name"].as_str().unwrap(),
                l["version"].as_str().unwrap(),
                l["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        stored,
        [
            "sh.helm.release.v1.op.v1 name=op version=1 status=superseded",
            "sh.helm.release.v1.op.v2 name=op version=2 status=superseded",
            "sh.helm.release.v1.op.v3 name=op version=3 status=deployed",
        ]
    );
    assert!(
        cluster
            .get("apps/v1", "Deployment", "ops", "op-sample-operator")
            .is_some()
            || !cluster.list("apps/v1", "Deployment", "ops").is_empty()
    );
    let ssa = cluster
        .requests()
        .iter()
        .any(|r| r.content_type.starts_with("application/apply-patch"));
    assert_eq!(
        ssa,
        helm_name == "helm4",
        "helm 4 installs with server-side apply, helm 3 does not"
    );
    run(&["uninstall", "op", "--namespace", "ops"]);
    assert!(cluster.list("apps/v1", "Deployment", "ops").is_empty());
    assert!(cluster
        .list(api, kind, "ops")
        .iter()
        .all(|o| o["metadata"]["labels"]["owner"] != "helm"));
}

#[test]
fn helm4_lifecycle_secrets() {
    helm_lifecycle("helm4", None);
}

#[test]
fn helm3_lifecycle_secrets() {
    helm_lifecycle("helm3", None);
}

#[test]
fn helm4_lifecycle_configmaps() {
    helm_lifecycle("helm4", Some("configmap"));
}

#[test]
fn helm3_lifecycle_configmaps() {
    helm_lifecycle("helm3", Some("configmap"));
}

#[test]
fn kubectl_get_apply_patch_delete_api_resources() {
    let Some(kubectl) = support::require_tool("kubectl") else {
        return;
    };
    let cluster = FakeCluster::builder().tls(true).token("k").build();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    support::fakeapi::write_kubeconfig(&[("fake", &cluster)], &kubeconfig).unwrap();
    let run = |args: &[&str]| {
        let (ok, text) = run_tool(&kubectl, dir.path(), &kubeconfig, None, args);
        assert!(ok, "kubectl {args:?} failed:\n{text}");
        text
    };
    let manifest = dir.path().join("cm.yaml");
    std::fs::write(&manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\ndata:\n  a: \"1\"\n").unwrap();
    assert_eq!(
        run(&["apply", "-f", manifest.to_str().unwrap()]).trim(),
        "configmap/web created"
    );
    std::fs::write(&manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\ndata:\n  a: \"2\"\n").unwrap();
    assert_eq!(
        run(&["apply", "-f", manifest.to_str().unwrap()]).trim(),
        "configmap/web configured"
    );
    run(&[
        "patch",
        "configmap",
        "web",
        "-n",
        "default",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"b":"3"}}"#,
    ]);
    let got = cluster.get("v1", "ConfigMap", "default", "web").unwrap();
    assert_eq!(got["data"], json!({"a": "2", "b": "3"}));
    assert_eq!(
        run(&["get", "configmaps", "-n", "default", "-o", "name"]).trim(),
        "configmap/web"
    );
    let resources = run(&["api-resources", "--api-group", "apps", "-o", "name"]);
    assert_eq!(
        resources.lines().collect::<Vec<_>>(),
        [
            "daemonsets.apps",
            "deployments.apps",
            "replicasets.apps",
            "statefulsets.apps"
        ]
    );
    assert_eq!(
        run(&["delete", "configmap", "web", "-n", "default"]).trim(),
        "configmap \"web\" deleted from default namespace"
    );
    assert!(cluster.get("v1", "ConfigMap", "default", "web").is_none());
}

#[test]
fn crd_registration_status_and_watch() {
    use futures::StreamExt;
    use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
    let cluster = FakeCluster::start();
    let stored = cluster.apply(crd("example.com", "widgets", "Widget", &["v1alpha1", "v1"]));
    assert_eq!(stored["status"]["storedVersions"], json!(["v1"]));
    assert_eq!(stored["status"]["conditions"][1]["type"], "Established");
    block_on(async {
        let client = client_for(&cluster).await;
        let resources = client
            .list_api_group_resources("example.com/v1")
            .await
            .unwrap();
        let names: Vec<_> = resources.resources.iter().map(|r| r.name.clone()).collect();
        assert_eq!(names, ["widgets", "widgets/status"]);
        let gvk = GroupVersionKind::gvk("example.com", "v1", "Widget");
        let ar = ApiResource::from_gvk_with_plural(&gvk, "widgets");
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &ar);
        let obj: DynamicObject = serde_json::from_value(json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}, "status": {"ignored": true}})).unwrap();
        let created = api.create(&PostParams::default(), &obj).await.unwrap();
        assert_eq!(created.metadata.generation, Some(1));
        assert!(
            created.data.get("status").is_none(),
            "status is dropped on create"
        );
        let st = api
            .patch_status(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"ready": true}})),
            )
            .await
            .unwrap();
        assert_eq!(st.data["status"]["ready"], true);
        assert_eq!(
            st.metadata.generation,
            Some(1),
            "status writes keep generation"
        );
        let sp = api
            .patch(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"size": 2}, "status": {"ready": false}})),
            )
            .await
            .unwrap();
        assert_eq!(sp.metadata.generation, Some(2));
        assert_eq!(
            sp.data["status"]["ready"], true,
            "the main endpoint leaves status alone"
        );

        // A watch from the current resourceVersion sees later changes in order.
        let rv = cluster.resource_version().to_string();
        let mut stream = api
            .watch(&kube::api::WatchParams::default().timeout(10), &rv)
            .await
            .unwrap()
            .boxed();
        api.patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"size": 3}})),
        )
        .await
        .unwrap();
        api.delete("w", &Default::default()).await.unwrap();
        let mut seen = Vec::new();
        while let Some(ev) = stream.next().await {
            match ev.unwrap() {
                kube::api::WatchEvent::Modified(o) => {
                    seen.push(format!("MODIFIED {}", o.data["spec"]["size"]))
                }
                kube::api::WatchEvent::Deleted(o) => {
                    seen.push(format!("DELETED {}", o.metadata.name.unwrap()))
                }
                other => seen.push(format!("{other:?}")),
            }
            if seen.len() == 2 {
                break;
            }
        }
        assert_eq!(seen, ["MODIFIED 3", "DELETED w"]);
    });
    // Deleting the CRD removes its discovery entry.
    assert!(cluster.delete(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "",
        "widgets.example.com"
    ));
    block_on(async {
        let client = client_for(&cluster).await;
        assert!(client
            .list_api_group_resources("example.com/v1")
            .await
            .is_err());
    });
}

#[test]
fn unreachable_cluster_refuses_connections() {
    let cluster = FakeCluster::start();
    cluster.set_unreachable(true);
    assert!(std::net::TcpStream::connect(cluster.addr()).is_err());
    cluster.set_unreachable(false);
    assert!(std::net::TcpStream::connect(cluster.addr()).is_ok());
}

/// A tiny chart whose `crds/` defines a kind its template then uses.
fn write_crd_chart(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("crds")).unwrap();
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: gadgets\nversion: 0.1.0\n",
    )
    .unwrap();
    let crd_yaml =
        serde_json::to_string(&crd("example.com", "gadgets", "Gadget", &["v1"])).unwrap();
    std::fs::write(dir.join("crds/gadgets.yaml"), crd_yaml).unwrap();
    std::fs::write(
        dir.join("templates/gadget.yaml"),
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  size: {{ .Values.size | default 1 }}\n",
    )
    .unwrap();
}

fn helm_crd_chart(helm_name: &str) {
    let Some(helm) = support::require_tool(helm_name) else {
        return;
    };
    let cluster = FakeCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    support::fakeapi::write_kubeconfig(&[("fake", &cluster)], &kubeconfig).unwrap();
    let chart = dir.path().join("gadgets");
    write_crd_chart(&chart);
    let chart = chart.to_str().unwrap();
    let run = |args: &[&str]| {
        let (ok, text) = run_tool(&helm, dir.path(), &kubeconfig, None, args);
        assert!(ok, "{helm_name} {args:?} failed:\n{text}");
        text
    };
    run(&["install", "g", chart, "--namespace", "default"]);
    assert!(cluster
        .get(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "",
            "gadgets.example.com"
        )
        .is_some());
    assert_eq!(
        cluster
            .get("example.com/v1", "Gadget", "default", "g")
            .unwrap()["spec"]["size"],
        1
    );
    run(&[
        "upgrade",
        "g",
        chart,
        "--namespace",
        "default",
        "--set",
        "size=5",
    ]);
    assert_eq!(
        cluster
            .get("example.com/v1", "Gadget", "default", "g")
            .unwrap()["spec"]["size"],
        5
    );
    run(&["uninstall", "g", "--namespace", "default"]);
    assert!(cluster
        .get("example.com/v1", "Gadget", "default", "g")
        .is_none());
    // Helm never deletes CRDs.
    assert!(cluster
        .get(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "",
            "gadgets.example.com"
        )
        .is_some());
}

#[test]
fn helm4_chart_with_crd() {
    helm_crd_chart("helm4");
}

#[test]
fn helm3_chart_with_crd() {
    helm_crd_chart("helm3");
}

#[test]
fn delays_drops_reviews_and_namespace_cascade() {
    let cluster = FakeCluster::builder()
        .user("alice")
        .groups(&["devs"])
        .build();
    cluster.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}));
    cluster.apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "team"}}));
    cluster.forbid("delete", "apps", "deployments", None);
    cluster.faults().add(Fault::new(
        "/configmaps/slow",
        FaultAction::Delay(std::time::Duration::from_secs(3)),
    ));
    cluster
        .faults()
        .add(Fault::new("/configmaps/gone", FaultAction::DropConnection));
    block_on(async {
        let client = client_for(&cluster).await;
        // SelfSubjectReview answers with the token's user.
        let req = http::Request::post("/apis/authentication.k8s.io/v1/selfsubjectreviews")
            .header("content-type", "application/json")
            .body(
                br#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#.to_vec(),
            )
            .unwrap();
        let review: serde_json::Value = client.request(req).await.unwrap();
        assert_eq!(
            review["status"]["userInfo"],
            json!({"username": "alice", "groups": ["devs"]})
        );
        let req = http::Request::post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"verb": "delete", "group": "apps", "resource": "deployments", "namespace": "x"}}})).unwrap())
            .unwrap();
        let access: serde_json::Value = client.request(req).await.unwrap();
        assert_eq!(access["status"]["allowed"], false);

        let api: Api<ConfigMap> = Api::namespaced(client.clone(), "team");
        // A delay longer than the client's timeout is a timeout on the client side.
        let slow =
            tokio::time::timeout(std::time::Duration::from_millis(300), api.get_opt("slow")).await;
        assert!(
            slow.is_err(),
            "the delayed answer did not arrive within the client's deadline"
        );
        // A dropped connection is a transport error, not an API error.
        let err = api.get("gone").await.unwrap_err();
        assert!(
            !matches!(err, kube::Error::Api(_)),
            "expected a transport error, got {err:?}"
        );
        assert!(api.get_opt("c").await.unwrap().is_some());
        let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
        ns.delete("team", &Default::default()).await.unwrap();
        assert!(api.get_opt("c").await.unwrap().is_none());
    });
    assert!(cluster.list("v1", "ConfigMap", "team").is_empty());
}

#[test]
fn patches_and_selectors_follow_kubernetes() {
    let cluster = FakeCluster::start();
    let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "default", "labels": {"tier": "web"}},
        "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]}, {"name": "b", "image": "b:1"}]}}}});
    cluster.apply(deploy);
    block_on(async {
        let client = client_for(&cluster).await;
        let api: Api<k8s_openapi::api::apps::v1::Deployment> =
            Api::namespaced(client.clone(), "default");
        // Strategic merge: containers merge by name, env by name.
        let p = json!({"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "b:2"}, {"name": "a", "env": [{"name": "Y", "value": "2"}]}]}}}});
        let d = api
            .patch("d", &PatchParams::default(), &Patch::Strategic(p))
            .await
            .unwrap();
        let v = serde_json::to_value(d.spec.unwrap().template.spec.unwrap().containers).unwrap();
        assert_eq!(
            v,
            json!([{"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}, {"name": "b", "image": "b:2"}])
        );
        // JSON patch.
        let req = http::Request::patch("/apis/apps/v1/namespaces/default/deployments/d")
            .header("content-type", "application/json-patch+json")
            .body(
                br#"[{"op": "replace", "path": "/metadata/labels/tier", "value": "api"}]"#.to_vec(),
            )
            .unwrap();
        let d: k8s_openapi::api::apps::v1::Deployment = client.request(req).await.unwrap();
        assert_eq!(d.metadata.labels.unwrap()["tier"], "api");
        for (selector, expected) in [
            ("tier=api", 1),
            ("tier!=api", 0),
            ("tier notin (web)", 1),
            ("tier", 1),
            ("!tier", 0),
            ("tier in (web,db)", 0),
        ] {
            let n = api
                .list(&ListParams::default().labels(selector))
                .await
                .unwrap()
                .items
                .len();
            assert_eq!(n, expected, "{selector}");
        }
        let n = api
            .list(&ListParams::default().fields("metadata.name=d"))
            .await
            .unwrap()
            .items
            .len();
        assert_eq!(n, 1);
        match api
            .list(&ListParams::default().fields("spec.replicas=1"))
            .await
            .unwrap_err()
        {
            kube::Error::Api(s) => assert_eq!(
                (s.code, s.message.as_str()),
                (400, "field label not supported: spec.replicas")
            ),
            other => panic!("unexpected {other:?}"),
        }
    });
}

#[test]
fn too_many_requests_carries_retry_after() {
    let cluster = FakeCluster::start();
    cluster.faults().add(Fault {
        method: Some("GET".into()),
        path_contains: "/configmaps".into(),
        times: 2,
        action: FaultAction::TooManyRequests {
            retry_after_secs: 0,
        },
    });
    let mut s = std::net::TcpStream::connect(cluster.addr()).unwrap();
    use std::io::{Read, Write};
    s.write_all(b"GET /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 429"), "{out}");
    assert!(out.to_ascii_lowercase().contains("retry-after: 0"), "{out}");
    assert!(out.contains(r#""reason":"TooManyRequests""#), "{out}");
    block_on(async {
        let client = client_for(&cluster).await;
        let api: Api<ConfigMap> = Api::namespaced(client, "default");
        // The kube client retries a 429 by itself (and keeps retrying a permanent one for
        // minutes, so only a passing one is tested).
        assert!(api.list(&ListParams::default()).await.is_ok());
    });
    let tries = cluster
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/configmaps"))
        .count();
    assert_eq!(
        tries, 3,
        "one raw request, then the client's 429 and its retry"
    );
}

#[test]
fn crd_stored_versions_follow_the_storage_version() {
    let cluster = FakeCluster::start();
    cluster.apply(crd("example.com", "dials", "Dial", &["v1beta1"]));
    let mut next = cluster
        .get(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "",
            "dials.example.com",
        )
        .unwrap();
    next["spec"] = crd("example.com", "dials", "Dial", &["v1beta1", "v1"])["spec"].clone();
    block_on(async {
        let client = client_for(&cluster).await;
        let req = http::Request::put(
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/dials.example.com",
        )
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&next).unwrap())
        .unwrap();
        let updated: serde_json::Value = client.request(req).await.unwrap();
        assert_eq!(
            updated["status"]["storedVersions"],
            json!(["v1beta1", "v1"])
        );
        assert_eq!(updated["metadata"]["generation"], 2);
    });
    // Tests may set storedVersions directly (as a migration would).
    let mut migrated = cluster
        .get(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "",
            "dials.example.com",
        )
        .unwrap();
    migrated["status"]["storedVersions"] = json!(["v1"]);
    let stored = cluster.apply(migrated);
    assert_eq!(stored["status"]["storedVersions"], json!(["v1"]));
}
