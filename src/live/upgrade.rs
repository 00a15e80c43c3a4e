//! `diff upgrade`: render the chart as `helm upgrade` would (the release's name and
//! namespace, `.Release.IsUpgrade`, revision + 1, values as Helm's `--reuse-values` /
//! `--reset-values` rules give them, `lookup` and `.Capabilities` from the cluster) and
//! compare it with the manifest and hooks stored in the deployed revision
//! ([`super::objdiff`]).

use std::path::PathBuf;

use serde_json::Value as Json;

use super::objdiff::{compare, parse_doc, parse_stored, ObjectChange, ObjectDoc, ParseOptions};
use crate::chart::{self, ValuesOptions};
use crate::cluster::StoredRelease;
use crate::error::Error;
use crate::render::cluster::{json_to_value, ClusterHooks};
use crate::render::{
    render_files_with, sort_manifests, KubeVersion, ReleaseOptions, RenderOptions,
};

/// How the new side is rendered.
#[derive(Debug, Clone, Default)]
pub struct UpgradeRender {
    pub chart: PathBuf,
    pub values: ValuesOptions,
    /// `--reuse-values`: the release's values, then the given ones on top.
    pub reuse_values: bool,
    /// `--reset-values`: only the chart's defaults and the given values.
    pub reset_values: bool,
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
    pub normalize: bool,
}

/// The user values Helm's upgrade uses: with `--reset-values` the given ones; with
/// `--reuse-values` the release's values with the given ones merged over them; otherwise
/// the given ones, or the release's values when none were given (Helm's default).
pub fn upgrade_values(
    given: &ValuesOptions,
    stored: Option<&Json>,
    reuse: bool,
    reset: bool,
) -> Result<crate::template::Value, Error> {
    let user = given.merge()?;
    let stored = stored
        .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
        .map(json_to_value);
    let none_given = matches!(&user, crate::template::Value::Map(m) if m.borrow().is_empty());
    Ok(match (stored, reset, reuse) {
        (Some(old), false, true) => chart::merge_user_values(&old, &user),
        (Some(old), false, false) if none_given => old,
        _ => user,
    })
}

/// The objects of the stored revision: its manifest and its hooks.
pub fn stored_objects(stored: &StoredRelease, normalize: bool) -> Result<Vec<ObjectDoc>, Error> {
    let namespace = release_namespace(stored);
    let opts = ParseOptions {
        namespace: &namespace,
        normalize,
    };
    let what = format!(
        "release {} revision {}",
        stored.release.name, stored.release.version
    );
    let mut docs = parse_stored(&stored.release.manifest, &what, opts)
        .map_err(|e| Error::Usage(e.to_string()))?;
    for (i, hook) in stored.release.hooks.iter().enumerate() {
        let manifest = hook.get("manifest").and_then(Json::as_str).unwrap_or("");
        let path = hook.get("path").and_then(Json::as_str).unwrap_or("");
        if let Some(d) = parse_doc(manifest, path, &what, i + 1, opts)
            .map_err(|e| Error::Usage(e.to_string()))?
        {
            docs.push(d);
        }
    }
    Ok(docs)
}

pub fn release_namespace(stored: &StoredRelease) -> String {
    if stored.release.namespace.is_empty() {
        stored.namespace.clone()
    } else {
        stored.release.namespace.clone()
    }
}

/// Render the chart for an upgrade of `stored` (or a first install when `None`, with
/// `name`/`namespace`), with the cluster answering `lookup`.
pub fn render_new(
    req: &UpgradeRender,
    name: &str,
    namespace: &str,
    stored: Option<&StoredRelease>,
    hooks: Option<&ClusterHooks>,
) -> Result<Vec<ObjectDoc>, Error> {
    let loaded = chart::load(&req.chart)?;
    let values = upgrade_values(
        &req.values,
        stored.and_then(|s| s.release.config.as_ref()),
        req.reuse_values,
        req.reset_values,
    )?;
    let (prepared, coalesced) = chart::prepare(loaded, values)?;
    let kube_version = match &req.kube_version {
        Some(v) => Some(KubeVersion::parse(v).map_err(|e| Error::Usage(e.to_string()))?),
        None => None,
    };
    let options = RenderOptions {
        release: ReleaseOptions {
            name: name.to_string(),
            namespace: namespace.to_string(),
            revision: stored.map_or(1, |s| s.release.version as i64 + 1),
            is_upgrade: stored.is_some(),
        },
        kube_version,
        extra_api_versions: req.api_versions.clone(),
        strict: false,
        enable_dns: false,
    };
    let files = render_files_with(&prepared, &coalesced, &options, hooks)?;
    let sorted = sort_manifests(&files.files)?;
    let opts = ParseOptions {
        namespace,
        normalize: req.normalize,
    };
    let mut docs = Vec::new();
    for (i, m) in sorted.manifests.iter().chain(&sorted.hooks).enumerate() {
        if let Some(d) = parse_doc(&m.content, &m.source, "chart", i + 1, opts)
            .map_err(|e| Error::Usage(e.to_string()))?
        {
            docs.push(d);
        }
    }
    Ok(docs)
}

/// Compare a stored revision with a render.
pub fn diff(
    old: &[ObjectDoc],
    new: &[ObjectDoc],
    opts: super::objdiff::DiffOptions,
) -> Vec<ObjectChange> {
    compare(old, new, opts)
}
