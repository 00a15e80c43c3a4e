//! Helm release storage, read and written the way Helm 3 and 4 do it, so `helm list`,
//! `helm history` and `helm rollback` keep working on everything we touch.
//!
//! One object per revision, `sh.helm.release.v1.<name>.v<N>`: a Secret of type
//! `helm.sh/release.v1` (default) or a ConfigMap (`HELM_DRIVER=configmap`), labelled
//! `name`, `owner=helm`, `status`, `version`, `createdAt` (on create) or `modifiedAt` (on
//! update), plus the user's `--labels`. Its data key `release` holds
//! base64(gzip(JSON release)); inside a Secret's `data` that string is base64-encoded once
//! more by Kubernetes. Decoding accepts unzipped JSON too (Helm checks the gzip magic).
//!
//! [`Release`] models the fields we read and keeps every other field in `extra` maps, so a
//! decode → encode round trip keeps Helm's data intact. User labels are not part of the
//! JSON (Helm's `Labels` is `json:"-"`): they live on the object and are read back from it.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::client::{Cluster, ListQuery, Patch};
use super::error::ClusterError;

/// Helm's storage driver (`HELM_DRIVER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Driver {
    /// Secrets of type `helm.sh/release.v1` (Helm's default).
    #[default]
    Secret,
    /// ConfigMaps.
    ConfigMap,
}

impl Driver {
    /// Parses a `HELM_DRIVER` value the way Helm does (`secret`/`secrets`,
    /// `configmap`/`configmaps`); `memory` and `sql` cannot be reached from outside Helm.
    pub fn parse(value: &str) -> Result<Driver, ClusterError> {
        match value {
            "" | "secret" | "secrets" => Ok(Driver::Secret),
            "configmap" | "configmaps" => Ok(Driver::ConfigMap),
            other => Err(ClusterError::InvalidArgument(format!(
                "HELM_DRIVER={other}: only the secret and configmap drivers keep releases in the \
                 cluster where this tool can read them (unset HELM_DRIVER or set it to secret or configmap)"
            ))),
        }
    }

    /// The kind of the storage objects.
    pub fn kind(self) -> &'static str {
        match self {
            Driver::Secret => "Secret",
            Driver::ConfigMap => "ConfigMap",
        }
    }
}

/// Page size when listing release objects.
pub const RELEASE_PAGE_SIZE: u32 = 64;
/// Type of Helm's release Secrets.
pub const SECRET_TYPE: &str = "helm.sh/release.v1";
/// Labels Helm owns on release objects; all others are the user's `--labels`.
pub const SYSTEM_LABELS: [&str; 6] = [
    "name",
    "owner",
    "status",
    "version",
    "createdAt",
    "modifiedAt",
];

/// Release statuses as Helm writes them.
pub mod status {
    pub const UNKNOWN: &str = "unknown";
    pub const DEPLOYED: &str = "deployed";
    pub const UNINSTALLED: &str = "uninstalled";
    pub const SUPERSEDED: &str = "superseded";
    pub const FAILED: &str = "failed";
    pub const UNINSTALLING: &str = "uninstalling";
    pub const PENDING_INSTALL: &str = "pending-install";
    pub const PENDING_UPGRADE: &str = "pending-upgrade";
    pub const PENDING_ROLLBACK: &str = "pending-rollback";
}

/// A Helm release record (`pkg/release/v1.Release`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Release {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<Info>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartRecord>,
    /// The user-supplied values (`helm get values`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manifest: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<Value>,
    /// The revision number.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub version: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// The user's labels (`helm install --labels`): kept on the storage object, not in JSON.
    #[serde(skip)]
    pub labels: BTreeMap<String, String>,
    /// Every field this model does not name (`apply_method`, …), kept as is.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// `Release.info`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Info {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_deployed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_deployed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `deployed`, `superseded`, `failed`, `pending-upgrade`, … (see [`status`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `Release.chart`: the chart as Helm stored it (templates, values, files kept in `extra`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChartRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ChartMetadata>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `Chart.yaml` as stored in the release.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChartMetadata {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(
        rename = "appVersion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub app_version: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Release {
    /// `info.status` (empty when the record has none).
    pub fn status(&self) -> &str {
        self.info.as_ref().map_or("", |i| i.status.as_str())
    }

    /// `<chart name>-<chart version>` as `helm list` shows it.
    pub fn chart_label(&self) -> String {
        match self.chart.as_ref().and_then(|c| c.metadata.as_ref()) {
            Some(m) => format!("{}-{}", m.name, m.version),
            None => String::new(),
        }
    }

    /// The chart's appVersion, if any.
    pub fn app_version(&self) -> Option<&str> {
        self.chart
            .as_ref()
            .and_then(|c| c.metadata.as_ref())
            .and_then(|m| m.app_version.as_deref())
    }

    /// The storage object's name, `sh.helm.release.v1.<name>.v<version>`.
    pub fn object_name(&self) -> String {
        object_name(&self.name, self.version)
    }
}

/// `sh.helm.release.v1.<name>.v<version>`.
pub fn object_name(name: &str, version: u64) -> String {
    format!("sh.helm.release.v1.{name}.v{version}")
}

/// Why a release record cannot be decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("the release data is not base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("the release data is not valid gzip: {0}")]
    Gzip(std::io::Error),
    #[error("the release data is not a Helm release record (JSON): {0}")]
    Json(#[from] serde_json::Error),
}

const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// Encodes a release like Helm: JSON, gzip at best compression, standard base64.
pub fn encode_release(release: &Release) -> Result<String, CodecError> {
    let json = serde_json::to_vec(release)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&json).map_err(CodecError::Gzip)?;
    let bytes = gz.finish().map_err(CodecError::Gzip)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Decodes Helm's `release` data string: base64, then gunzip when the gzip magic is there
/// (Helm 2-era records are plain JSON), then JSON.
pub fn decode_release(data: &str) -> Result<Release, CodecError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(data.trim())?;
    let json = if bytes.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(CodecError::Gzip)?;
        out
    } else {
        bytes
    };
    Ok(serde_json::from_slice(&json)?)
}

/// A release revision as stored in the cluster, with its object's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRelease {
    pub release: Release,
    /// `sh.helm.release.v1.<name>.v<N>`.
    pub object_name: String,
    pub namespace: String,
    pub resource_version: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// Which releases [`Releases::list`] returns.
#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    /// One namespace, or all when `None`.
    pub namespace: Option<String>,
    /// Release name regex (`helm list --filter`), unanchored.
    pub name: Option<regex::Regex>,
    /// Statuses to keep (`deployed`, `failed`, …); empty keeps every status.
    pub statuses: Vec<String>,
}

impl ReleaseFilter {
    /// What `helm list` shows without flags: releases whose latest revision is `deployed`
    /// or `failed`, in one namespace (`None`: all, like `--all-namespaces`).
    pub fn like_helm_list(namespace: Option<&str>) -> Self {
        ReleaseFilter {
            namespace: namespace.map(str::to_string),
            name: None,
            statuses: vec![status::DEPLOYED.to_string(), status::FAILED.to_string()],
        }
    }
}

/// Release storage of one cluster (through its [`Driver`]).
#[derive(Debug, Clone, Copy)]
pub struct Releases<'a> {
    cluster: &'a Cluster,
    driver: Driver,
}

impl Cluster {
    /// Release storage with the target's driver (`HELM_DRIVER`).
    pub fn releases(&self) -> Releases<'_> {
        Releases {
            cluster: self,
            driver: self.driver,
        }
    }
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

impl<'a> Releases<'a> {
    /// Storage with an explicit driver.
    pub fn with_driver(cluster: &'a Cluster, driver: Driver) -> Self {
        Releases { cluster, driver }
    }

    /// The driver in use.
    pub fn driver(&self) -> Driver {
        self.driver
    }

    /// Decodes one storage object (Secret or ConfigMap).
    pub fn decode_object(&self, object: &Value) -> Result<StoredRelease, ClusterError> {
        let meta = object.get("metadata");
        let object_name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let fail = |message: String| ClusterError::Decode {
            context: self.cluster.context.clone(),
            action: format!(
                "read release {}",
                super::client::describe(self.driver.kind(), Some(&namespace), &object_name)
            ),
            message,
        };
        let raw = object
            .pointer("/data/release")
            .and_then(Value::as_str)
            .ok_or_else(|| fail("it has no data.release".to_string()))?;
        let data = match self.driver {
            // Kubernetes base64-encodes Secret data; inside is Helm's own base64 string.
            Driver::Secret => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(raw)
                    .map_err(|e| fail(format!("data.release is not base64: {e}")))?;
                String::from_utf8(bytes)
                    .map_err(|e| fail(format!("data.release is not text: {e}")))?
            }
            Driver::ConfigMap => raw.to_string(),
        };
        let mut release = decode_release(&data).map_err(|e| fail(e.to_string()))?;
        let labels = string_map(meta.and_then(|m| m.get("labels")));
        release.labels = labels
            .iter()
            .filter(|(k, _)| !SYSTEM_LABELS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(StoredRelease {
            release,
            object_name,
            namespace,
            resource_version: meta
                .and_then(|m| m.get("resourceVersion"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            labels,
            annotations: string_map(meta.and_then(|m| m.get("annotations"))),
        })
    }

    /// Builds the storage object for a release, as Helm's `newSecretsObject` /
    /// `newConfigMapsObject` does: user labels, then the system labels, then `stamp`
    /// (`("createdAt", unix)` on create, `("modifiedAt", unix)` on update).
    pub fn encode_object(
        &self,
        release: &Release,
        stamp: (&str, i64),
    ) -> Result<Value, ClusterError> {
        let encoded = encode_release(release).map_err(|e| ClusterError::Decode {
            context: self.cluster.context.clone(),
            action: format!("encode release {}", release.name),
            message: e.to_string(),
        })?;
        let mut labels: BTreeMap<String, String> = release.labels.clone();
        labels.insert(stamp.0.to_string(), stamp.1.to_string());
        labels.insert("name".into(), release.name.clone());
        labels.insert("owner".into(), "helm".into());
        labels.insert("status".into(), release.status().to_string());
        labels.insert("version".into(), release.version.to_string());
        let namespace = if release.namespace.is_empty() {
            self.cluster.namespace.clone()
        } else {
            release.namespace.clone()
        };
        let metadata =
            json!({"name": release.object_name(), "namespace": namespace, "labels": labels});
        Ok(match self.driver {
            Driver::Secret => json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": metadata,
                "type": SECRET_TYPE,
                "data": {"release": base64::engine::general_purpose::STANDARD.encode(encoded.as_bytes())},
            }),
            Driver::ConfigMap => json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": metadata,
                "data": {"release": encoded},
            }),
        })
    }

    async fn list_objects(
        &self,
        namespace: Option<&str>,
        selector: &str,
    ) -> Result<Vec<StoredRelease>, ClusterError> {
        // Release objects carry whole charts (up to 1 MiB each): small pages keep every
        // response of a big namespace reasonable.
        let query = ListQuery {
            namespace: namespace.map(str::to_string),
            label_selector: Some(selector.to_string()),
            page_size: Some(RELEASE_PAGE_SIZE),
            ..ListQuery::default()
        };
        let objects = self.cluster.list("v1", self.driver.kind(), &query).await?;
        let mut out = Vec::with_capacity(objects.len());
        for o in &objects {
            // Like Helm, a record that does not decode is skipped, not fatal for a listing.
            if let Ok(r) = self.decode_object(o) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Releases like `helm list`: the latest revision of each release (per namespace), then
    /// filtered by name regex and status, sorted by namespace and name.
    pub async fn list(&self, filter: &ReleaseFilter) -> Result<Vec<StoredRelease>, ClusterError> {
        let all = self
            .list_objects(filter.namespace.as_deref(), "owner=helm")
            .await?;
        let mut latest: BTreeMap<(String, String), StoredRelease> = BTreeMap::new();
        for r in all {
            let key = (r.namespace.clone(), r.release.name.clone());
            match latest.get(&key) {
                Some(have) if have.release.version >= r.release.version => {}
                _ => {
                    latest.insert(key, r);
                }
            }
        }
        Ok(latest
            .into_values()
            .filter(|r| {
                filter
                    .name
                    .as_ref()
                    .is_none_or(|re| re.is_match(&r.release.name))
            })
            .filter(|r| {
                filter.statuses.is_empty()
                    || filter.statuses.iter().any(|s| s == r.release.status())
            })
            .collect())
    }

    /// Every revision of one release, oldest first (`helm history`).
    pub async fn history(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Vec<StoredRelease>, ClusterError> {
        let selector = format!("name={name},owner=helm");
        let mut all = self.list_objects(Some(namespace), &selector).await?;
        all.sort_by_key(|r| r.release.version);
        Ok(all)
    }

    /// The highest revision of a release, whatever its status.
    pub async fn latest(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<StoredRelease>, ClusterError> {
        Ok(self.history(namespace, name).await?.pop())
    }

    /// The highest revision with status `deployed`.
    pub async fn deployed(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<StoredRelease>, ClusterError> {
        Ok(self
            .history(namespace, name)
            .await?
            .into_iter()
            .rev()
            .find(|r| r.release.status() == status::DEPLOYED))
    }

    /// Writes a new revision object (fails with Conflict if it exists), like Helm's Create.
    pub async fn create(&self, release: &Release) -> Result<StoredRelease, ClusterError> {
        let obj = self.encode_object(release, ("createdAt", now_unix()))?;
        let written = self.cluster.create(&obj).await?;
        self.decode_object(&written)
    }

    /// Rewrites a revision object, like Helm's Update (labels rebuilt, annotations dropped).
    /// With `resource_version` the write is conditional.
    pub async fn update(
        &self,
        release: &Release,
        resource_version: Option<&str>,
    ) -> Result<StoredRelease, ClusterError> {
        let mut obj = self.encode_object(release, ("modifiedAt", now_unix()))?;
        if let (Some(rv), Some(meta)) = (
            resource_version,
            obj.get_mut("metadata").and_then(Value::as_object_mut),
        ) {
            meta.insert("resourceVersion".into(), json!(rv));
        }
        let written = self.cluster.replace(&obj).await?;
        self.decode_object(&written)
    }

    /// Merges `annotations` into the latest revision's object: only `metadata.annotations`
    /// is patched (data and labels untouched, so Helm keeps working). The patch carries the
    /// resourceVersion just read; if Helm wrote a new revision meanwhile, the latest is
    /// looked up again. Returns the annotated revision.
    pub async fn annotate_current(
        &self,
        namespace: &str,
        name: &str,
        annotations: &BTreeMap<String, String>,
    ) -> Result<StoredRelease, ClusterError> {
        let mut last_conflict = None;
        for _ in 0..5 {
            let Some(current) = self.latest(namespace, name).await? else {
                return Err(ClusterError::NotFound {
                    context: self.cluster.context.clone(),
                    action: format!("annotate release {namespace}/{name}"),
                    message: format!(
                        "release \"{name}\" has no revisions in namespace {namespace}"
                    ),
                });
            };
            let patch = json!({"metadata": {
                "resourceVersion": current.resource_version,
                "annotations": annotations,
            }});
            match self
                .cluster
                .patch(
                    "v1",
                    self.driver.kind(),
                    Some(namespace),
                    &current.object_name,
                    &Patch::Merge(patch),
                )
                .await
            {
                Ok(obj) => return self.decode_object(&obj),
                Err(e) if e.is_conflict() || e.is_not_found() => last_conflict = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_conflict.unwrap_or_else(|| ClusterError::Conflict {
            context: self.cluster.context.clone(),
            action: format!("annotate release {namespace}/{name}"),
            message: "the release kept changing".to_string(),
        }))
    }
}

fn now_unix() -> i64 {
    jiff::Timestamp::now().as_second()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as Helm writes it (fields in Go's order, including ones we do not model).
    const HELM_JSON: &str = r#"{"name":"demo","info":{"first_deployed":"2026-01-02T03:04:05.123456789Z","last_deployed":"2026-01-02T03:04:05.123456789Z","deleted":"","description":"Install complete","status":"deployed","notes":"hello"},"chart":{"metadata":{"name":"demo-operator","version":"1.2.3","description":"x","apiVersion":"v2","appVersion":"0.9.0","type":"application"},"lock":null,"templates":[{"name":"templates/cm.yaml","modtime":"0001-01-01T00:00:00Z","data":"YQ=="}],"values":{"replicas":1},"schema":null,"files":[]},"config":{"replicas":2},"manifest":"---\n# Source: demo/templates/cm.yaml\n","version":3,"namespace":"ops","apply_method":"csa"}"#;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn decodes_a_hand_made_helm_record_and_keeps_unknown_fields() {
        let data = base64::engine::general_purpose::STANDARD.encode(gzip(HELM_JSON.as_bytes()));
        let r = decode_release(&data).unwrap();
        assert_eq!(r.name, "demo");
        assert_eq!(r.version, 3);
        assert_eq!(r.namespace, "ops");
        assert_eq!(r.status(), "deployed");
        assert_eq!(r.chart_label(), "demo-operator-1.2.3");
        assert_eq!(r.app_version(), Some("0.9.0"));
        assert_eq!(r.object_name(), "sh.helm.release.v1.demo.v3");
        assert_eq!(r.extra.get("apply_method"), Some(&json!("csa")));
        // Round trip: our encoding decodes to the same JSON as Helm's, unknown fields and all.
        let again = decode_release(&encode_release(&r).unwrap()).unwrap();
        assert_eq!(again, r);
        let ours: Value = serde_json::to_value(&again).unwrap();
        let helm: Value = serde_json::from_str(HELM_JSON).unwrap();
        assert_eq!(ours, helm);
    }

    #[test]
    fn decodes_plain_json_without_gzip_and_rejects_garbage() {
        let data = base64::engine::general_purpose::STANDARD.encode(HELM_JSON);
        assert_eq!(decode_release(&data).unwrap().version, 3);
        assert!(matches!(decode_release("%%%"), Err(CodecError::Base64(_))));
        let not_json = base64::engine::general_purpose::STANDARD.encode(gzip(b"nope"));
        assert!(matches!(
            decode_release(&not_json),
            Err(CodecError::Json(_))
        ));
        let bad_gzip = base64::engine::general_purpose::STANDARD.encode([0x1f, 0x8b, 0x08, 0, 1]);
        assert!(matches!(
            decode_release(&bad_gzip),
            Err(CodecError::Gzip(_))
        ));
    }

    #[test]
    fn encoding_is_gzip_then_base64() {
        let r: Release = serde_json::from_str(HELM_JSON).unwrap();
        let enc = encode_release(&r).unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&enc)
            .unwrap();
        assert_eq!(&raw[..3], &GZIP_MAGIC);
    }

    #[test]
    fn drivers() {
        assert_eq!(Driver::parse("secrets").unwrap(), Driver::Secret);
        assert_eq!(Driver::parse("").unwrap(), Driver::Secret);
        assert_eq!(Driver::parse("configmaps").unwrap(), Driver::ConfigMap);
        assert_eq!(Driver::parse("memory").unwrap_err().exit_code(), 2);
    }
}
