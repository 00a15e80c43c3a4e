//! The fake API server against real clients: kube-rs, kubectl, helm 3 and helm 4.

mod support;

use serde_json::json;
use support::fakeapi::FakeCluster;

#[test]
fn seeds_and_reads_objects() {
    let cluster = FakeCluster::start();
    cluster.apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}, "data": {"k": "v"}}));
    let got = cluster.get("v1", "ConfigMap", "default", "a").unwrap();
    assert_eq!(got["data"]["k"], "v");
}
