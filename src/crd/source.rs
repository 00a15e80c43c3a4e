//! Where CRDs come from: a file, a directory of files, a chart (directory or `.tgz`,
//! rendered with its values; `crds/` files and templated CRDs both count), or a chart at a
//! git ref (`git:REF:path/to/chart`). Each side of a diff is one source.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::model::{collect_crds, parse_crds, Crd};
use super::CrdError;
use crate::chart::{self, Chart};
use crate::render::command::{crd_files, render, template_source, RenderRequest};
use crate::render::output::{sort_manifests, split_documents};
use crate::render::{render_files, KubeVersion, ReleaseOptions, RenderOptions};

/// How charts are rendered (the same for both sides of a diff), spelled like
/// `helm template`'s flags.
#[derive(Debug, Clone, Default)]
pub struct ChartOptions {
    pub release_name: String,
    pub namespace: String,
    pub values: crate::chart::ValuesOptions,
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
}

/// Read the CRDs of one side: `git:REF:PATH`, a chart (directory with `Chart.yaml`, or a
/// `.tgz`), a directory of CRD files, or a file.
pub fn load_source(spec: &str, chart: &ChartOptions) -> Result<Vec<Crd>, CrdError> {
    if cluster_spec(spec).is_some() {
        return Err(CrdError::Config(format!(
            "{spec}: a live cluster side is read by `crd diff` (with the cluster flags), not here"
        )));
    }
    if let Some(rest) = spec.strip_prefix("git:") {
        return load_git(spec, rest, chart);
    }
    load_local(Path::new(spec), spec, chart)
}

fn load_local(path: &Path, shown: &str, chart: &ChartOptions) -> Result<Vec<Crd>, CrdError> {
    if is_chart(path) {
        load_chart(path, shown, chart)
    } else {
        load_path(path)
    }
}

/// A chart directory (holds `Chart.yaml`) or a packaged chart (gzip data).
fn is_chart(path: &Path) -> bool {
    if path.is_dir() {
        return path.join("Chart.yaml").is_file();
    }
    let mut magic = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .map(|_| magic == [0x1f, 0x8b])
        .unwrap_or(false)
}

/// Render a chart and collect its CRDs as `helm install --include-crds` would apply them:
/// the `crds/` files of the chart and its subcharts, and CRDs its templates (or hooks)
/// produce with the given values.
///
/// Only what can produce a CRD is done (see [`keep_crd_templates`]): templates that
/// cannot render one are not rendered, only rendered documents that name the kind are
/// parsed, and `values.schema.json` is not checked (it constrains values, not CRDs).
pub fn load_chart(path: &Path, shown: &str, opts: &ChartOptions) -> Result<Vec<Crd>, CrdError> {
    let chart_err = |e: crate::error::Error| CrdError::Chart {
        source_name: shown.to_string(),
        message: e.to_string(),
    };
    let mut loaded = chart::load(path).map_err(|e| chart_err(e.into()))?;
    drop_values_schemas(&mut loaded);
    let values = opts.values.merge().map_err(|e| chart_err(e.into()))?;
    let (mut prepared, coalesced) =
        chart::prepare(loaded, values).map_err(|e| chart_err(e.into()))?;
    let kube_version = match &opts.kube_version {
        Some(v) => Some(
            KubeVersion::parse(v)
                .map_err(|e| chart_err(crate::error::Error::Usage(e.to_string())))?,
        ),
        None => None,
    };
    if !mentions_crd(&coalesced) {
        keep_crd_templates(&mut prepared);
    }
    let options = RenderOptions {
        release: ReleaseOptions {
            name: if opts.release_name.is_empty() {
                "release-name".to_string()
            } else {
                opts.release_name.clone()
            },
            namespace: if opts.namespace.is_empty() {
                "default".to_string()
            } else {
                opts.namespace.clone()
            },
            revision: 1,
            is_upgrade: false,
        },
        kube_version,
        extra_api_versions: opts.api_versions.clone(),
        strict: false,
        enable_dns: false,
    };
    let files = render_files(&prepared, &coalesced, &options).map_err(|error| {
        let frame = error.template().zip(error.line()).and_then(|(name, line)| {
            let source = template_source(&prepared, name)?;
            let column = match &error {
                crate::render::RenderError::Exec { column, .. } => *column,
                _ => None,
            };
            crate::error::source_frame(name, &String::from_utf8_lossy(source), line, column)
        });
        chart_err(match frame {
            Some(frame) => crate::error::Error::RenderFrame { error, frame },
            None => crate::error::Error::Render(error),
        })
    })?;
    let mut crds = Vec::new();
    for file in &crd_files(&prepared) {
        crds.extend(parse_crds(&file.content, &file.source)?);
    }
    // Only documents that name the kind can be CRDs; the rest is not parsed.
    let mut candidates = std::collections::BTreeMap::new();
    for (name, text) in &files.files {
        let docs: Vec<&str> = split_documents(text)
            .into_iter()
            .map(|(_, doc)| doc)
            .filter(|doc| doc.contains(super::model::CRD_KIND))
            .collect();
        if !docs.is_empty() {
            candidates.insert(name.clone(), docs.join("\n---\n"));
        }
    }
    let sorted =
        sort_manifests(&candidates).map_err(|e| chart_err(crate::error::Error::Render(e)))?;
    for m in sorted.manifests.iter().chain(&sorted.hooks) {
        if m.kind == super::model::CRD_KIND {
            collect_crds(m.object(), &m.source, &mut crds)?;
        }
    }
    if crds.is_empty() {
        return Err(CrdError::NoCrds {
            source_name: shown.to_string(),
            detail: " (the chart renders none with these values, and has no crds/ files)"
                .to_string(),
        });
    }
    check_unique(&crds, shown)?;
    Ok(crds)
}

/// `values.schema.json` of the chart and its subcharts is not compiled for a CRD diff.
fn drop_values_schemas(chart: &mut Chart) {
    chart.schema = None;
    for dep in &mut chart.dependencies {
        drop_values_schemas(dep);
    }
}

/// Whether a value (the coalesced values) holds the CRD kind anywhere: then any template
/// that prints values (`extraObjects`, `toYaml .Values.x`) could render a CRD, and every
/// template is rendered.
fn mentions_crd(v: &crate::template::Value) -> bool {
    use crate::template::Value;
    match v {
        Value::String(s) => s.contains(super::model::CRD_KIND),
        Value::List(items) => items.iter().any(mentions_crd),
        Value::Map(m) => m
            .borrow()
            .iter()
            .any(|(k, v)| k.contains(super::model::CRD_KIND) || mentions_crd(v)),
        _ => false,
    }
}

/// Keep only the templates that can produce a CRD, in the chart and its subcharts.
///
/// A template or named template (`define`) can produce one when its source names the
/// kind, reads chart files (`.Files`), runs `tpl`, or includes one that can (by name, or
/// by path: `include (print $.Template.BasePath "/x.yaml") .`). Kept are: partials
/// (`_*.tpl`), templates that define named templates, templates that can produce a CRD,
/// and every template those include by path, so each `include` still resolves. An include
/// whose target cannot be read from the source keeps everything. What is dropped renders
/// text without the kind in it, which cannot be a CRD.
pub fn keep_crd_templates(chart: &mut Chart) {
    let mut templates = Vec::new();
    collect_templates(chart, "", &mut templates);
    let defines = define_bodies(&templates);
    let mut includes: Vec<(Unit, Vec<Include>)> = Vec::new();
    for (path, text) in &templates {
        includes.push((Unit::Template(path.clone()), included(text)));
    }
    for (name, body) in &defines {
        includes.push((Unit::Define(name.clone()), included(body)));
    }
    if includes
        .iter()
        .any(|(_, list)| list.iter().any(|i| matches!(i, Include::Unknown)))
    {
        return;
    }
    let text_of = |unit: &Unit| -> Vec<&str> {
        match unit {
            Unit::Template(p) => templates
                .iter()
                .filter(|(path, _)| path == p)
                .map(|(_, t)| t.as_str())
                .collect(),
            Unit::Define(n) => defines
                .iter()
                .filter(|(name, _)| name == n)
                .map(|(_, b)| b.as_str())
                .collect(),
        }
    };
    let targets = |include: &Include| -> Vec<Unit> {
        match include {
            Include::Name(n) => {
                let mut out = vec![Unit::Define(n.clone())];
                // `include "path/of/a/template.yaml"` names a template file too.
                out.extend(
                    templates
                        .iter()
                        .filter(|(p, _)| p.ends_with(n.as_str()))
                        .map(|(p, _)| Unit::Template(p.clone())),
                );
                out
            }
            Include::Suffix(sfx) => templates
                .iter()
                .filter(|(p, _)| p.ends_with(sfx.as_str()))
                .map(|(p, _)| Unit::Template(p.clone()))
                .collect(),
            Include::Unknown => Vec::new(),
        }
    };
    let mut interesting: std::collections::BTreeSet<Unit> = includes
        .iter()
        .filter(|(unit, _)| text_of(unit).into_iter().any(produces_crd_directly))
        .map(|(unit, _)| unit.clone())
        .collect();
    loop {
        let before = interesting.len();
        for (unit, list) in &includes {
            if !interesting.contains(unit)
                && list
                    .iter()
                    .any(|i| targets(i).iter().any(|t| interesting.contains(t)))
            {
                interesting.insert(unit.clone());
            }
        }
        if interesting.len() == before {
            break;
        }
    }
    // Templates to render: the interesting ones, those hosting defines, and (closure)
    // every template a kept template or any define includes by path.
    let mut keep: std::collections::BTreeSet<String> = templates
        .iter()
        .filter(|(path, text)| {
            is_partial(path)
                || text.contains("define")
                || interesting.contains(&Unit::Template(path.clone()))
        })
        .map(|(path, _)| path.clone())
        .collect();
    loop {
        let before = keep.len();
        for (unit, list) in &includes {
            let live = match unit {
                Unit::Template(p) => keep.contains(p),
                Unit::Define(_) => true,
            };
            if !live {
                continue;
            }
            for t in list.iter().flat_map(&targets) {
                if let Unit::Template(p) = t {
                    keep.insert(p);
                }
            }
        }
        if keep.len() == before {
            break;
        }
    }
    prune(chart, "", &keep);
}

/// A template file (chart-qualified path) or a named template.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    Template(String),
    Define(String),
}

/// What an `include`/`template` action names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Include {
    /// A literal name.
    Name(String),
    /// A computed name with a literal tail (`print $.Template.BasePath "/x.yaml"`).
    Suffix(String),
    /// A computed name we cannot read.
    Unknown,
}

fn is_partial(path: &str) -> bool {
    path.rsplit('/').next().unwrap_or(path).starts_with('_')
}

fn collect_templates(chart: &Chart, prefix: &str, out: &mut Vec<(String, String)>) {
    for t in &chart.templates {
        out.push((
            format!("{prefix}{}/{}", chart.name(), t.name),
            String::from_utf8_lossy(&t.data).into_owned(),
        ));
    }
    for dep in &chart.dependencies {
        collect_templates(dep, &format!("{prefix}{}/charts/", chart.name()), out);
    }
}

fn prune(chart: &mut Chart, prefix: &str, keep: &std::collections::BTreeSet<String>) {
    let own = format!("{prefix}{}/", chart.name());
    chart
        .templates
        .retain(|t| keep.contains(&format!("{own}{}", t.name)));
    let sub_prefix = format!("{own}charts/");
    for dep in &mut chart.dependencies {
        prune(dep, &sub_prefix, keep);
    }
}

/// Text that can emit a CRD by itself: it names the kind, reads files or runs `tpl`.
fn produces_crd_directly(text: &str) -> bool {
    text.contains(super::model::CRD_KIND) || text.contains("Files") || text.contains("tpl")
}

/// The `include` and `template` actions of a source.
fn included(text: &str) -> Vec<Include> {
    let mut out = Vec::new();
    for keyword in ["include", "template"] {
        let mut rest = text;
        while let Some(i) = rest.find(keyword) {
            let before = rest.get(..i).and_then(|b| b.chars().next_back());
            let after = rest.get(i + keyword.len()..).unwrap_or("");
            rest = after;
            // A whole word followed by whitespace: `include "x"`, `include (print …)`.
            let word_start = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
            if !word_start || !after.starts_with([' ', '\t', '\n']) {
                continue;
            }
            let arg = after.trim_start();
            if let Some(quoted) = arg.strip_prefix('"') {
                out.push(Include::Name(
                    quoted.split('"').next().unwrap_or("").to_string(),
                ));
            } else if let Some(raw) = arg.strip_prefix('`') {
                out.push(Include::Name(
                    raw.split('`').next().unwrap_or("").to_string(),
                ));
            } else if let Some(expr) = arg.strip_prefix('(') {
                // The last string literal of `(print $.Template.BasePath "/x.yaml")`.
                let inner = expr.split(')').next().unwrap_or("");
                let literal = inner.rsplit('"').nth(1).filter(|l| !l.is_empty());
                out.push(match literal {
                    Some(l) if inner.matches('"').count() >= 2 => Include::Suffix(l.to_string()),
                    _ => Include::Unknown,
                });
            } else if arg.starts_with('$') || arg.starts_with('.') {
                out.push(Include::Unknown);
            }
        }
    }
    out
}

/// `define "name"` bodies, each up to the next `define` (over-approximated: a body may
/// carry text that follows its `end`, which only makes more templates look interesting).
fn define_bodies(templates: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (_, text) in templates {
        for part in text.split("define").skip(1) {
            let arg = part.trim_start();
            let Some(quoted) = arg.strip_prefix('"') else {
                continue;
            };
            let Some(name) = quoted.split('"').next() else {
                continue;
            };
            out.push((name.to_string(), part.to_string()));
        }
    }
    out
}

/// `git:REF:PATH`: the file, directory or chart at PATH (relative to the current
/// directory, as `git show REF:./PATH` reads it) in commit REF of the repository around the
/// current directory. The tree is copied to a temporary directory, read, and removed.
fn load_git(spec: &str, rest: &str, chart: &ChartOptions) -> Result<Vec<Crd>, CrdError> {
    let git_err = |message: String| CrdError::Git {
        spec: spec.to_string(),
        message,
    };
    let (reference, path) = rest.split_once(':').ok_or_else(|| {
        git_err("expected git:REF:PATH (e.g. git:v1.2.0:charts/my-operator)".to_string())
    })?;
    if reference.is_empty() {
        return Err(git_err("the git ref is empty".to_string()));
    }
    let path = path.trim_start_matches("./").trim_end_matches('/');
    let object = if path.is_empty() {
        format!("{reference}:./")
    } else {
        format!("{reference}:./{path}")
    };
    // `^{commit}` makes git say "unknown ref" rather than "path not in tree" when the ref
    // itself is wrong.
    git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{reference}^{{commit}}"),
    ])
    .map_err(|e| e.into_error(spec, &format!("unknown git ref {reference:?}")))?;
    let kind = git(&["cat-file", "-t", &object])
        .map_err(|e| e.into_error(spec, &format!("{path:?} does not exist at {reference}")))?;
    let kind = String::from_utf8_lossy(&kind).trim().to_string();
    let name = Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".to_string());
    let tmp =
        TempDir::new().map_err(|e| git_err(format!("cannot create a temporary directory: {e}")))?;
    let target = tmp.path.join(&name);
    match kind.as_str() {
        "blob" => {
            let bytes = git(&["cat-file", "blob", &object])
                .map_err(|e| e.into_error(spec, "cannot read"))?;
            std::fs::write(&target, bytes)
                .map_err(|e| git_err(format!("cannot write {}: {e}", target.display())))?;
        }
        "tree" => {
            let tar = git(&["archive", "--format=tar", &object])
                .map_err(|e| e.into_error(spec, "cannot read"))?;
            std::fs::create_dir_all(&target)
                .map_err(|e| git_err(format!("cannot create {}: {e}", target.display())))?;
            tar::Archive::new(tar.as_slice())
                .unpack(&target)
                .map_err(|e| git_err(format!("cannot unpack the tree: {e}")))?;
        }
        other => {
            return Err(git_err(format!(
                "{path:?} at {reference} is a {other}, not a file or directory"
            )))
        }
    }
    let mut crds = load_local(&target, spec, chart).map_err(|e| relabel(e, &target, spec))?;
    for crd in &mut crds {
        crd.file = relabel_path(&crd.file, &target, spec);
    }
    Ok(crds)
}

/// Error messages name `git:REF:PATH`, not the temporary copy.
fn relabel(err: CrdError, tmp: &Path, spec: &str) -> CrdError {
    let text = err.to_string();
    let shown = relabel_path(&text, tmp, spec);
    if shown == text {
        return err;
    }
    CrdError::Git {
        spec: spec.to_string(),
        message: shown.replace(&format!("{spec}: "), ""),
    }
}

fn relabel_path(text: &str, tmp: &Path, spec: &str) -> String {
    text.replace(&tmp.display().to_string(), spec)
}

/// A git failure: git missing, or git's own message.
enum GitFailure {
    Missing(String),
    Failed(String),
}

impl GitFailure {
    /// The error to report: a missing git is the environment's fault (exit 3), anything
    /// else is bad input.
    fn into_error(self, spec: &str, what: &str) -> CrdError {
        match self {
            GitFailure::Missing(e) => CrdError::Environment(format!("{spec}: cannot run git: {e}")),
            GitFailure::Failed(stderr) => CrdError::Git {
                spec: spec.to_string(),
                message: if stderr.is_empty() {
                    what.to_string()
                } else {
                    format!("{what} ({stderr})")
                },
            },
        }
    }
}

fn git(args: &[&str]) -> Result<Vec<u8>, GitFailure> {
    let out = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| GitFailure::Missing(e.to_string()))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(GitFailure::Failed(
            stderr.trim().trim_start_matches("fatal: ").to_string(),
        ))
    }
}

/// A directory under the system temp dir, removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("kubectl-opm-crd-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Read the CRDs of a file or directory input.
pub fn load_path(path: &Path) -> Result<Vec<Crd>, CrdError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| CrdError::Io {
        path: shown.clone(),
        message: io_message(&e),
    })?;
    let mut crds = Vec::new();
    if meta.is_dir() {
        let mut files = Vec::new();
        collect_files(path, &mut files)?;
        for file in &files {
            let name = file
                .strip_prefix(path)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| file.display().to_string());
            let text = read(file)?;
            crds.extend(parse_crds(&text, &format!("{shown}/{name}"))?);
        }
        if crds.is_empty() {
            return Err(CrdError::NoCrds {
                source_name: shown,
                detail: format!(" in {} YAML file(s)", files.len()),
            });
        }
    } else {
        let text = read(path)?;
        crds = parse_crds(&text, &shown)?;
        if crds.is_empty() {
            return Err(CrdError::NoCrds {
                source_name: shown,
                detail: " (the file holds no document of kind CustomResourceDefinition)"
                    .to_string(),
            });
        }
    }
    check_unique(&crds, &shown)?;
    Ok(crds)
}

/// Refuse a side that defines the same CRD twice: which one would be compared?
pub fn check_unique(crds: &[Crd], source_name: &str) -> Result<(), CrdError> {
    for (i, c) in crds.iter().enumerate() {
        if crds.iter().skip(i + 1).any(|d| d.name == c.name) {
            return Err(CrdError::Duplicate {
                source_name: source_name.to_string(),
                crd: c.name.clone(),
            });
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, CrdError> {
    std::fs::read_to_string(path).map_err(|e| CrdError::Io {
        path: path.display().to_string(),
        message: io_message(&e),
    })
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::InvalidData => "not a UTF-8 text file".to_string(),
        _ => e.to_string(),
    }
}

/// YAML and JSON files under `dir`, sorted, skipping hidden entries.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CrdError> {
    let entries = std::fs::read_dir(dir).map_err(|e| CrdError::Io {
        path: dir.display().to_string(),
        message: io_message(&e),
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect_files(&p, out)?;
        } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json") {
            out.push(p);
        }
    }
    Ok(())
}

/// `cluster:` (the current context) or `cluster:<context>`: a side read from a live
/// cluster. Returns the context named in the spec, if any.
pub fn cluster_spec(spec: &str) -> Option<Option<&str>> {
    let rest = spec.strip_prefix("cluster:")?;
    Some((!rest.is_empty()).then_some(rest))
}

/// The CRD documents of a file, directory or chart side as JSON, for validating objects
/// against them (`crd diff --check-instances`). `git:` and `cluster:` sides are not
/// supported here.
pub fn load_crd_objects(
    spec: &str,
    chart: &ChartOptions,
) -> Result<Vec<serde_json::Value>, CrdError> {
    if spec.starts_with("git:") || cluster_spec(spec).is_some() {
        return Err(CrdError::Config(format!(
            "{spec}: --check-instances needs the new side as a file, directory or chart"
        )));
    }
    let path = Path::new(spec);
    let mut docs: Vec<crate::template::Value> = Vec::new();
    if is_chart(path) {
        let req = RenderRequest {
            release_name: if chart.release_name.is_empty() {
                "release-name".to_string()
            } else {
                chart.release_name.clone()
            },
            chart: path.to_path_buf(),
            namespace: if chart.namespace.is_empty() {
                "default".to_string()
            } else {
                chart.namespace.clone()
            },
            values: chart.values.clone(),
            kube_version: chart.kube_version.clone(),
            api_versions: chart.api_versions.clone(),
            include_crds: true,
            ..RenderRequest::default()
        };
        let (_, result) = render(&req).map_err(|e| CrdError::Chart {
            source_name: spec.to_string(),
            message: e.to_string(),
        })?;
        for file in &result.crds {
            docs.extend(crate::yaml::load_all(&file.content, &file.source)?);
        }
        for m in result.sorted.manifests.iter().chain(&result.sorted.hooks) {
            docs.push(m.object().clone());
        }
    } else if path.is_dir() {
        let mut files = Vec::new();
        collect_files(path, &mut files)?;
        for file in &files {
            docs.extend(crate::yaml::load_all(
                &read(file)?,
                &file.display().to_string(),
            )?);
        }
    } else {
        docs.extend(crate::yaml::load_all(&read(path)?, spec)?);
    }
    let mut out = Vec::new();
    for doc in docs {
        flatten_crd_docs(&doc, &mut out);
    }
    Ok(out)
}

fn flatten_crd_docs(doc: &crate::template::Value, out: &mut Vec<serde_json::Value>) {
    if super::model::is_crd(doc) {
        out.push(crate::schema::crd::to_json(doc));
    } else if doc
        .get("kind")
        .as_ref()
        .and_then(crate::template::Value::as_str)
        == Some("List")
    {
        if let Some(crate::template::Value::List(items)) = doc.get("items") {
            for item in items.iter() {
                flatten_crd_docs(item, out);
            }
        }
    }
}
