//! `kubectl opm render`: what `helm template` does, from flags to text.
//!
//! Values are assembled in Helm's order by [`chart::ValuesOptions::merge`].

use std::path::{Path, PathBuf};

use super::output::{self, CrdFile};
use super::{KubeVersion, ReleaseOptions, RenderOptions};
use crate::chart::{self, Chart};
use crate::error::Error;
use crate::template::Value;

/// Options of one render, spelled like `helm template`'s flags.
#[derive(Debug, Clone, Default)]
pub struct RenderRequest {
    pub release_name: String,
    pub chart: PathBuf,
    pub namespace: String,
    /// `-f/--values` and the `--set*` flags.
    pub values: chart::ValuesOptions,
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
    pub include_crds: bool,
    pub skip_tests: bool,
    pub no_hooks: bool,
    pub is_upgrade: bool,
    pub show_only: Vec<String>,
    pub strict: bool,
    /// `--skip-schema-validation`: do not check values against `values.schema.json`.
    pub skip_schema_validation: bool,
    /// `--enable-dns`: `getHostByName` resolves names (Helm returns "" otherwise).
    pub enable_dns: bool,
}

/// A finished render: the sorted documents behind what `helm template` prints, which
/// [`RenderResult::text`] assembles and [`RenderResult::write_text`] streams.
#[derive(Debug, Clone)]
pub struct RenderResult {
    pub sorted: output::SortedManifests,
    /// The `crds/` files, collected only with `include_crds`.
    pub crds: Vec<CrdFile>,
    pub notes: Option<String>,
    /// Which documents the text shows (`--include-crds`, `--no-hooks`, `--skip-tests`).
    pub layout: output::TextLayout,
    /// With `--show-only`: the selected documents (selected, and errors reported, when
    /// the render ran).
    pub shown: Option<String>,
}

impl RenderResult {
    /// The text `helm template` prints.
    pub fn text(&self) -> String {
        match &self.shown {
            Some(shown) => shown.clone(),
            None => output::template_text(&self.crds, &self.sorted, self.layout),
        }
    }

    /// Write [`RenderResult::text`] to `out` without assembling it in memory first (it is
    /// megabytes for CRD charts).
    pub fn write_text(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        match &self.shown {
            Some(shown) => out.write_all(shown.as_bytes()),
            None => output::write_template_text(out, &self.crds, &self.sorted, self.layout),
        }
    }
}

/// The `crds/` files of the chart and its subcharts, as Helm's `CRDObjects` lists them.
pub fn crd_files(chart: &Chart) -> Vec<CrdFile> {
    let mut out = Vec::new();
    collect_crds(chart, chart.name(), &mut out);
    out
}

fn collect_crds(chart: &Chart, full_path: &str, out: &mut Vec<CrdFile>) {
    for file in &chart.files {
        let is_manifest = [".yaml", ".yml", ".json"]
            .iter()
            .any(|ext| file.name.ends_with(ext));
        if file.name.starts_with("crds/") && is_manifest {
            out.push(CrdFile {
                source: format!("{full_path}/{}", file.name),
                content: String::from_utf8_lossy(&file.data).into_owned(),
            });
        }
    }
    for dep in &chart.dependencies {
        collect_crds(dep, &format!("{full_path}/charts/{}", dep.name()), out);
    }
}

/// Find the source text of a rendered template path (`root/charts/sub/templates/x.yaml`),
/// for error frames.
pub fn template_source<'a>(chart: &'a Chart, full_name: &str) -> Option<&'a [u8]> {
    let rest = full_name.strip_prefix(chart.name())?.strip_prefix('/')?;
    if let Some(sub) = rest.strip_prefix("charts/") {
        let (dep_name, _) = sub.split_once('/')?;
        let dep = chart.dependencies.iter().find(|d| d.name() == dep_name)?;
        return template_source(
            dep,
            &format!("{}/{}", dep.name(), &sub[dep_name.len() + 1..]),
        );
    }
    chart
        .templates
        .iter()
        .find(|t| t.name == rest)
        .map(|t| t.data.as_slice())
}

/// Below this much template source (the chart and its subcharts), documents are sorted
/// after rendering instead of on a second thread while rendering.
const BACKGROUND_SORT_MIN_BYTES: usize = 128 * 1024;

fn template_bytes(chart: &Chart) -> usize {
    chart.templates.iter().map(|t| t.data.len()).sum::<usize>()
        + chart.dependencies.iter().map(template_bytes).sum::<usize>()
}

/// Load, prepare and render a chart; return `helm template`'s output.
pub fn render(req: &RenderRequest) -> Result<(Chart, RenderResult), Error> {
    render_with(req, None)
}

/// [`render`] with `lookup` and `.Capabilities.APIVersions` answered by a live cluster.
pub fn render_with(
    req: &RenderRequest,
    cluster: Option<&super::cluster::ClusterHooks>,
) -> Result<(Chart, RenderResult), Error> {
    // Templates parse on a helper thread while the chart loads and the values are merged
    // and prepared.
    let (loaded, preparse) = if cluster.is_none() && !req.enable_dns {
        super::load_preparsing(&req.chart)?
    } else {
        (chart::load(&req.chart)?, None)
    };
    let values = req.values.merge()?;
    let (prepared, coalesced) = chart::prepare_with(loaded, values, !req.skip_schema_validation)?;
    let kube_version = match &req.kube_version {
        Some(v) => Some(KubeVersion::parse(v).map_err(|e| Error::Usage(e.to_string()))?),
        None => None,
    };
    let options = RenderOptions {
        release: ReleaseOptions {
            name: req.release_name.clone(),
            namespace: req.namespace.clone(),
            revision: 1,
            is_upgrade: req.is_upgrade,
        },
        kube_version,
        extra_api_versions: req.api_versions.clone(),
        strict: req.strict,
        enable_dns: req.enable_dns,
    };
    let with_frame = |error: super::RenderError| -> Error {
        let frame = error.template().zip(error.line()).and_then(|(name, line)| {
            let source = template_source(&prepared, name)?;
            let column = match &error {
                super::RenderError::Exec { column, .. } => *column,
                _ => None,
            };
            crate::error::source_frame(name, &String::from_utf8_lossy(source), line, column)
        });
        match frame {
            Some(frame) => Error::RenderFrame { error, frame },
            None => Error::Render(error),
        }
    };
    // Small charts render in about a millisecond: a second thread would cost more than the
    // overlap saves.
    let sorter = if template_bytes(&prepared) >= BACKGROUND_SORT_MIN_BYTES {
        output::BackgroundSorter::start()
    } else {
        None
    };
    let files = super::render_files_to(
        &prepared,
        &coalesced,
        &options,
        cluster,
        sorter.as_ref(),
        preparse,
    )
    .map_err(with_frame)?;
    let (rendered, sorted) = match sorter {
        // The sorted documents hold their own copies of the rendered text.
        Some(sorter) => sorter.finish(),
        None => {
            let sorted = output::sort_manifests(&files.files);
            (files.files, sorted)
        }
    };
    let sorted = sorted.map_err(|error| Error::RenderedYaml {
        error,
        rendered: rendered_files_text(&rendered),
    })?;
    drop(rendered);
    // The values are the other large graph of a render besides the parsed templates.
    super::teardown::release(coalesced);
    // Only `--include-crds` prints the `crds/` files; don't copy them otherwise.
    let crds = if req.include_crds {
        crd_files(&prepared)
    } else {
        Vec::new()
    };
    let layout = output::TextLayout {
        include_crds: req.include_crds,
        no_hooks: req.no_hooks,
        skip_tests: req.skip_tests,
    };
    let shown = if req.show_only.is_empty() {
        None
    } else {
        let text = output::template_text(&crds, &sorted, layout);
        Some(output::show_only(&text, &req.show_only).map_err(Error::Usage)?)
    };
    Ok((
        prepared,
        RenderResult {
            sorted,
            crds,
            layout,
            shown,
            notes: files.notes,
        },
    ))
}

/// Every rendered file as `helm template --debug` shows them when the output is not valid
/// YAML: `---`, a `# Source:` line and the text, for each file that is not blank (by path
/// here; Helm's order is Go's random map order).
fn rendered_files_text(files: &std::collections::BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (name, content) in files {
        if !content.trim().is_empty() {
            output::write_document(&mut out, name, content);
        }
    }
    out
}

/// The values files of a chart's matrix: `ci/*-values.yaml` and `values-*.yaml` (or the
/// files matching `glob`, relative to the chart directory), sorted.
pub fn matrix_entries(chart_dir: &Path, glob: &str) -> Result<Vec<PathBuf>, Error> {
    if !chart_dir.is_dir() {
        return Err(Error::Usage(format!(
            "--values-matrix needs a chart directory, got {}",
            chart_dir.display()
        )));
    }
    let entries = if glob.is_empty() {
        chart::find_values_matrix(chart_dir)
    } else {
        let pattern = super::glob::Glob::new(glob)
            .ok_or_else(|| Error::Usage(format!("invalid --values-matrix pattern {glob:?}")))?;
        let mut found = Vec::new();
        collect_matching(chart_dir, chart_dir, &pattern, &mut found);
        found.sort();
        found
    };
    if entries.is_empty() {
        return Err(Error::Usage(format!(
            "no values files for the matrix in {} (looked for {})",
            chart_dir.display(),
            if glob.is_empty() {
                "ci/*-values.yaml and values-*.yaml"
            } else {
                glob
            }
        )));
    }
    Ok(entries)
}

fn collect_matching(root: &Path, dir: &Path, glob: &super::glob::Glob, out: &mut Vec<PathBuf>) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in read.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_matching(root, &path, glob, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if glob.is_match(&rel) {
                out.push(path);
            }
        }
    }
}

/// A short name for a matrix entry: `ci/prod-values.yaml` → `prod-values`.
pub fn matrix_label(entry: &Path) -> String {
    entry
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "values".to_string())
}

/// Render `base` once per matrix entry (the entry's values file applied after `base`'s
/// own `-f` files), concurrently; `emit` turns each result into text on its thread.
pub fn render_matrix<F>(
    base: &RenderRequest,
    entries: &[PathBuf],
    emit: F,
) -> Vec<Result<String, Error>>
where
    F: Fn(&RenderResult, &Path) -> Result<String, Error> + Sync,
{
    let workers = crate::available_cpus().max(2).min(entries.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<String, Error>>>> = entries
        .iter()
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            // Deep `include` chains need a large stack (see main.rs); reserved, not used.
            let spawned = std::thread::Builder::new()
                .stack_size(256 * 1024 * 1024)
                .spawn_scoped(scope, || loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(entry) = entries.get(i) else {
                        break;
                    };
                    let mut req = base.clone();
                    req.values.value_files.push(entry.clone());
                    let outcome = render(&req).and_then(|(_, result)| emit(&result, entry));
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(outcome);
                    }
                });
            if spawned.is_err() {
                break;
            }
        }
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(Error::Usage("render worker stopped".to_string())))
        })
        .collect()
}

/// `--output-dir`: write each template's documents to `<dir>/<template path>` (CRDs from
/// `crds/` with `--include-crds`), as `helm template --output-dir` does, and return the path
/// written for each document, in order: Helm prints `wrote <path>` once per document. With
/// `release_dir` (`--release-name`) the templates go under `<dir>/<release name>/`; the
/// CRDs stay under `<dir>`, as in Helm. Paths are joined as Helm joins them (`out/` gives
/// `out//chart/templates/x.yaml`), so the printed lines match.
pub fn write_output_dir(
    dir: &Path,
    req: &RenderRequest,
    result: &RenderResult,
    release_dir: bool,
) -> Result<Vec<String>, Error> {
    let sep = std::path::MAIN_SEPARATOR_STR;
    let plain = dir.display().to_string();
    let templates_dir = if release_dir {
        dir.join(&req.release_name).display().to_string()
    } else {
        plain.clone()
    };
    let mut written: Vec<String> = Vec::new();
    let mut order: Vec<String> = Vec::new();
    let mut contents: std::collections::HashMap<String, String> = Default::default();
    let mut add = |base: &str, source: &str, content: &str| {
        let path = format!("{base}{sep}{source}");
        let text = contents.entry(path.clone()).or_insert_with(|| {
            order.push(path.clone());
            String::new()
        });
        output::write_document(text, source, content);
        written.push(path);
    };
    if req.include_crds {
        for crd in &result.crds {
            add(&plain, &crd.source, &crd.content);
        }
    }
    for m in &result.sorted.manifests {
        add(&templates_dir, &m.source, &m.content);
    }
    if !req.no_hooks {
        for h in &result.sorted.hooks {
            if req.skip_tests && h.is_test_hook() {
                continue;
            }
            add(&templates_dir, &h.source, &h.content);
        }
    }
    for path in &order {
        let text = contents.get(path).map(String::as_str).unwrap_or_default();
        let path = Path::new(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(path, text).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok(written)
}

/// `-o json`: the rendered objects as a Kubernetes `List` (one line); with a matrix entry,
/// the entry's path is added as `"values"`.
pub fn json_list(result: &RenderResult, matrix_entry: Option<&Path>) -> String {
    let mut out = String::from("{");
    if let Some(entry) = matrix_entry {
        out.push_str("\"values\":");
        let name = Value::string(entry.display().to_string());
        out.push_str(&crate::yaml::to_json(&name).unwrap_or_else(|_| "\"\"".to_string()));
        out.push(',');
    }
    out.push_str("\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[");
    let mut first = true;
    for m in result.sorted.manifests.iter().chain(&result.sorted.hooks) {
        if m.object().is_nil() {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        // Rendered documents are plain YAML data, which always serialises.
        out.push_str(&crate::yaml::to_json(m.object()).unwrap_or_else(|_| "null".to_string()));
    }
    out.push_str("]}\n");
    out
}
