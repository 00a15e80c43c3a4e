//! Kubeconfig files pointing at fake clusters.

use std::path::Path;

use base64::Engine as _;

use super::FakeCluster;

/// A YAML double-quoted scalar (JSON string escapes are valid YAML).
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// A kubeconfig with one context per `(name, cluster)`, the first one current. Each
/// context's cluster and user are named like the context; TLS clusters carry the CA data,
/// clusters with a token get a bearer-token user, and a cluster's default namespace (see
/// [`super::FakeClusterBuilder::namespace`]) becomes the context namespace.
pub fn kubeconfig_yaml(contexts: &[(&str, &FakeCluster)]) -> String {
    let mut clusters = String::new();
    let mut users = String::new();
    let mut ctxs = String::new();
    for (name, cluster) in contexts {
        clusters.push_str(&format!(
            "- name: {}\n  cluster:\n    server: {}\n",
            q(name),
            q(&cluster.url())
        ));
        if cluster.is_tls() {
            let ca = base64::engine::general_purpose::STANDARD
                .encode(super::tls::tls().ca_pem.as_bytes());
            clusters.push_str(&format!("    certificate-authority-data: {}\n", q(&ca)));
        }
        users.push_str(&format!("- name: {}\n  user:", q(name)));
        match cluster.token() {
            Some(t) => users.push_str(&format!("\n    token: {}\n", q(t))),
            None => users.push_str(" {}\n"),
        }
        ctxs.push_str(&format!(
            "- name: {}\n  context:\n    cluster: {}\n    user: {}\n",
            q(name),
            q(name),
            q(name)
        ));
        if let Some(ns) = cluster.default_namespace() {
            ctxs.push_str(&format!("    namespace: {}\n", q(ns)));
        }
    }
    let current = contexts.first().map(|(n, _)| q(n)).unwrap_or_else(|| q(""));
    format!(
        "apiVersion: v1\nkind: Config\npreferences: {{}}\ncurrent-context: {current}\nclusters:\n{clusters}users:\n{users}contexts:\n{ctxs}"
    )
}

/// Writes [`kubeconfig_yaml`] to `path`.
pub fn write_kubeconfig(contexts: &[(&str, &FakeCluster)], path: &Path) -> std::io::Result<()> {
    std::fs::write(path, kubeconfig_yaml(contexts))
}
