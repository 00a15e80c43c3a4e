//! Live CustomResourceDefinitions read into the CRD model of [`crate::crd::model`] (with
//! `status.storedVersions`, the versions objects may still be stored in), and the custom
//! resources stored for a CRD, so `crd diff` can compare a chart with the cluster and find
//! the objects a new schema would reject.

use serde_json::Value;

use super::client::{Cluster, ListQuery};
use super::error::ClusterError;
use crate::crd::model::{collect_crds, Crd, CRD_GROUP, CRD_KIND};

const CRD_API_VERSION: &str = "apiextensions.k8s.io/v1";

impl Cluster {
    /// `cluster:<context>`: the source name live CRDs carry in their `file` field.
    pub fn crd_source(&self) -> String {
        format!("cluster:{}", self.context)
    }

    fn model(&self, object: &Value) -> Result<Vec<Crd>, ClusterError> {
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let fail = |message: String| ClusterError::Decode {
            context: self.context.clone(),
            action: format!("read {CRD_KIND} {name}"),
            message,
        };
        let text = serde_json::to_string(object).map_err(|e| fail(e.to_string()))?;
        let doc = crate::yaml::from_json(&text).map_err(|e| fail(e.0))?;
        let mut out = Vec::new();
        collect_crds(&doc, &self.crd_source(), &mut out).map_err(|e| fail(e.to_string()))?;
        Ok(out)
    }

    /// Every CRD in the cluster, sorted by name.
    pub async fn list_crds(&self) -> Result<Vec<Crd>, ClusterError> {
        let objects = self
            .list(CRD_API_VERSION, CRD_KIND, &ListQuery::all())
            .await?;
        let mut out = Vec::with_capacity(objects.len());
        for o in &objects {
            out.extend(self.model(o)?);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// One CRD by name (`<plural>.<group>`), `None` when it is not installed.
    pub async fn get_crd(&self, name: &str) -> Result<Option<Crd>, ClusterError> {
        match self.get(CRD_API_VERSION, CRD_KIND, None, name).await? {
            Some(o) => Ok(self.model(&o)?.into_iter().next()),
            None => Ok(None),
        }
    }

    /// Every stored custom resource of `crd` read through `version` (served), across all
    /// namespaces, all pages. Objects come back converted to that version by the server.
    pub async fn list_instances(
        &self,
        crd: &Crd,
        version: &str,
    ) -> Result<Vec<Value>, ClusterError> {
        if crd.group.is_empty() || crd.group == CRD_GROUP && crd.names.kind == CRD_KIND {
            return Err(ClusterError::InvalidArgument(format!(
                "{}: not a custom resource definition with a group",
                crd.name
            )));
        }
        let api_version = format!("{}/{version}", crd.group);
        self.list(&api_version, &crd.names.kind, &ListQuery::all())
            .await
    }
}
