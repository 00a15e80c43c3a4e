//! The `cluster:` side of `crd diff`: live CRDs (with `status.storedVersions`) and, with
//! `--check-instances`, the stored custom resources the new schema would reject.

use serde_json::Value as Json;

use super::stored::{check_instances, check_version, RULE_INSTANCE_REJECTED};
use crate::cluster::{Cluster, ClusterError};
use crate::crd::model::Crd;
use crate::report::{Diagnostic, ObjectRef, Severity};

/// The live CRDs named in `names` (those not installed are left out), or every CRD of the
/// cluster with `all`.
pub async fn live_crds(
    cluster: &Cluster,
    names: &[String],
    all: bool,
) -> Result<Vec<Crd>, ClusterError> {
    if all {
        return cluster.list_crds().await;
    }
    let mut out = Vec::new();
    for name in names {
        if let Some(crd) = cluster.get_crd(name).await? {
            out.push(crd);
        }
    }
    Ok(out)
}

/// Validate every stored object of each live CRD against the new side's CRD of the same
/// name. `new_raw` are the new side's CRD documents as JSON.
pub async fn instance_findings(
    cluster: &Cluster,
    live: &[Crd],
    new: &[Crd],
    new_raw: &[Json],
) -> Result<Vec<Diagnostic>, ClusterError> {
    let mut out = Vec::new();
    for l in live {
        let Some(n) = new.iter().find(|n| n.name == l.name) else {
            continue;
        };
        let Some(raw) = new_raw
            .iter()
            .find(|r| r.pointer("/metadata/name").and_then(Json::as_str) == Some(&l.name))
        else {
            continue;
        };
        let Some(version) = check_version(l, n) else {
            let mut d = Diagnostic::new(
                RULE_INSTANCE_REJECTED,
                Severity::Info,
                "stored objects not checked: the cluster and the new CRD serve no common version"
                    .to_string(),
            );
            d.object = Some(crd_ref(l));
            out.push(d);
            continue;
        };
        let instances = cluster.list_instances(l, &version).await?;
        let found = check_instances(raw, &instances, &cluster.context).map_err(|e| {
            ClusterError::Decode {
                context: cluster.context.clone(),
                action: format!("check stored {} objects", l.names.kind),
                message: e.to_string(),
            }
        })?;
        out.extend(found);
    }
    Ok(out)
}

fn crd_ref(c: &Crd) -> ObjectRef {
    ObjectRef {
        api_version: c.api_version.clone(),
        kind: crate::crd::model::CRD_KIND.to_string(),
        namespace: None,
        name: c.name.clone(),
    }
}
