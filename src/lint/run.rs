//! `kubectl opm lint` as a library function: inputs → renders → contexts → diagnostics.
//!
//! For each chart: the chart is rendered with its default values, with every values-matrix
//! file, and with each detected feature toggle flipped — all renders run concurrently, each
//! on its own thread (template values are `!Send`, so a render hands back plain text, which
//! is parsed again here). Then every render of the default values and of the matrix is
//! linted with the chart's toggle variants, and the findings are deduped and sorted.
//!
//! Inputs may also be manifests (`-f FILE|DIR|-`) and plain file paths as pre-commit passes
//! them: each path is mapped to the chart it belongs to (the nearest parent with
//! `Chart.yaml`, linted once), YAML files outside charts are linted as manifests when they
//! hold Kubernetes objects, and anything else is ignored.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::config::{Config, ConfigError};
use super::engine::{finish, lint_context};
use super::pool;
use super::query::{is_namespaced, scalar_string};
use super::registry::{docs_url, Registry};
use super::schema::{SchemaPass, SchemaSettings, SchemaSetup};
use super::toggles::{self, ChartSources, ToggleCandidate};
use super::{source_map, ChartFacts, Context, LintObject, ToggleVariant};
use crate::chart::{self, Chart, ValuesOptions};
use crate::render::{self, KubeVersion, ReleaseOptions, RenderOptions};
use crate::report::{Diagnostic, ReportMeta, RuleInfo, Severity, SourceLocation};
use crate::template::Value;

/// Which config to use.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum ConfigChoice {
    /// Look for `.opm.yaml` from each target up to the repository root.
    #[default]
    Discover,
    /// `--config FILE`.
    File(PathBuf),
    /// `--no-config`.
    Off,
}

/// Options of one lint run (the CLI's flags).
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// Positional arguments: chart directories, `.tgz` archives, or file paths (pre-commit).
    pub paths: Vec<PathBuf>,
    /// `-f/--filename`: manifest files, directories (walked for `*.yaml|*.yml|*.json`), `-`.
    pub manifests: Vec<PathBuf>,
    /// Standard input, when `-` is among the manifests (read by the caller).
    pub stdin: Option<String>,
    /// `--values`, `--set*`: applied to every render.
    pub values: ValuesOptions,
    pub namespace: String,
    pub release_name: String,
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
    pub values_matrix: Option<String>,
    /// `--fail-on`; the config's `failOn`, then `error`, otherwise.
    pub fail_on: Option<Severity>,
    pub config: ConfigChoice,
    /// `--missing-schemas`, `--crd`, `--schema-location` (over the config's `schema:`).
    pub schema: SchemaSettings,
}

/// Why a lint run could not run (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("{chart}: {error}")]
    Render {
        chart: String,
        error: Box<crate::error::Error>,
    },
    #[error("{chart}: rendering with {values} failed: {error}")]
    RenderValues {
        chart: String,
        values: String,
        error: Box<crate::error::Error>,
    },
    #[error("{file}: {message}")]
    Manifest { file: String, message: String },
    #[error("nothing to lint: give a chart directory, a chart archive, or -f FILE|DIR|-")]
    NothingToLint,
}

/// The result of a lint run.
#[derive(Debug, Clone)]
pub struct LintOutcome {
    pub diagnostics: Vec<Diagnostic>,
    pub meta: ReportMeta,
    pub fail_on: Severity,
}

impl LintOutcome {
    /// 0, or 1 when a finding is at or above `--fail-on`.
    pub fn exit_code(&self) -> i32 {
        super::engine::exit_code(&self.diagnostics, self.fail_on)
    }
}

/// What one input path turned out to be.
enum Target {
    Chart(PathBuf),
    Manifests(Vec<PathBuf>),
}

/// Run the lint.
pub fn run(opts: &LintOptions) -> Result<LintOutcome, LintError> {
    let registry = Registry::builtin();
    if opts.paths.is_empty() && opts.manifests.is_empty() {
        return Err(LintError::NothingToLint);
    }
    for path in &opts.schema.crds {
        if !path.exists() {
            return Err(LintError::Input {
                path: format!("--crd {}", display(path)),
                message: "no such file or directory".to_string(),
            });
        }
    }
    for dir in &opts.schema.locations {
        if !dir.is_dir() {
            return Err(LintError::Input {
                path: format!("--schema-location {}", display(dir)),
                message: "not a directory".to_string(),
            });
        }
    }
    let (charts, lenient) = classify(opts)?;
    let mut manifest_files = Vec::new();
    for m in &opts.manifests {
        manifest_files.extend(expand_manifest_arg(m)?);
    }
    let explicit_config = match &opts.config {
        ConfigChoice::File(p) => Some(Config::load(p, &registry)?),
        ConfigChoice::Off => Some(Config::default()),
        ConfigChoice::Discover => None,
    };
    let config_for = |dir: &Path| -> Result<Config, LintError> {
        match &explicit_config {
            Some(c) => Ok(c.clone()),
            None => Ok(Config::discover(dir, &registry)?),
        }
    };
    let cwd_config = config_for(Path::new("."))?;

    let mut meta = ReportMeta {
        rules: registry
            .sorted_metas()
            .into_iter()
            .map(|m| RuleInfo {
                id: m.id.to_string(),
                family: m.family.to_string(),
                severity: m.severity,
                summary: m.summary.to_string(),
                doc: m.doc.to_string(),
                docs_url: docs_url(m.id),
            })
            .collect(),
        ..ReportMeta::default()
    };
    let mut all: Vec<(String, Diagnostic)> = Vec::new();
    let mut sources: HashMap<String, Rc<str>> = HashMap::new();
    let mut fail_on_config = None;

    // Charts: every chart's renders are queued as soon as they are known and run on the
    // render workers, while this thread prepares the next chart and parses finished
    // renders; then each chart is linted.
    let queue = pool::Queue::new();
    let linted = std::thread::scope(|scope| {
        let workers = if charts.is_empty() {
            0
        } else {
            crate::available_cpus().max(2)
        };
        let mut pool = pool::Pool::start(scope, &queue, workers, render_job);
        let mut prepared = Vec::new();
        for dir in &charts {
            let config = config_for(chart_dir_for_config(dir))?;
            prepared.push(prepare_chart(dir, opts, config, &mut pool)?);
        }
        let mut linted = Vec::new();
        for p in prepared {
            let diags = lint_chart(&registry, &p, &mut pool, opts)?;
            linted.push((p, diags));
        }
        Ok::<_, LintError>(linted)
    })?;
    for (p, diags) in linted {
        let root = display(&p.dir);
        fail_on_config = fail_on_config.or(p.config.fail_on);
        for (file, text) in &p.template_texts {
            sources.insert(crate::report::join_path(&root, file), text.clone());
        }
        meta.targets.push(root.clone());
        all.extend(diags.into_iter().map(|d| (root.clone(), d)));
    }

    // Manifests: explicit ones strictly, pre-commit paths outside charts leniently.
    let mut docs = Vec::new();
    for file in &manifest_files {
        docs.extend(read_manifest(file, opts, true)?);
    }
    for file in &lenient {
        docs.extend(read_manifest(file, opts, false)?);
    }
    if !docs.is_empty() || !manifest_files.is_empty() {
        fail_on_config = fail_on_config.or(cwd_config.fail_on);
        let mut objects = Vec::new();
        for (file, text, line, doc) in docs {
            sources.entry(file.clone()).or_insert_with(|| text.clone());
            let source = SourceLocation {
                file,
                line,
                column: None,
            };
            objects.extend(lint_objects(
                doc,
                &opts.namespace,
                Some(source),
                Some(text),
                Vec::new(),
            ));
        }
        let values = Value::Nil;
        let kube = kube_minor(
            opts.kube_version
                .as_deref()
                .or(cwd_config.kube_version.as_deref()),
        );
        let setup = SchemaSetup::new(&kube, &opts.schema.or(&cwd_config.schema), Vec::new());
        let pass = SchemaPass::new(&setup, false);
        let ctx = Context {
            toggles: &[],
            objects: &objects,
            values: &values,
            chart: None,
            namespace: namespace(opts),
            kube_version: &kube,
            schema: Some(&pass),
        };
        let diags = finish(lint_context(&registry, &cwd_config, &ctx, None));
        meta.targets.push(if manifest_files.is_empty() {
            "manifests".to_string()
        } else {
            manifest_files
                .iter()
                .map(|p| display(p))
                .collect::<Vec<_>>()
                .join(", ")
        });
        all.extend(diags.into_iter().map(|d| (String::new(), d)));
    }

    let fail_on = opts.fail_on.or(fail_on_config).unwrap_or(Severity::Error);
    meta.fail_on = fail_on;
    meta.sources = sources;
    let mut diagnostics = Vec::with_capacity(all.len());
    for (root, d) in all {
        meta.roots.push(root);
        diagnostics.push(d);
    }
    Ok(LintOutcome {
        diagnostics,
        meta,
        fail_on,
    })
}

fn namespace(opts: &LintOptions) -> &str {
    if opts.namespace.is_empty() {
        "default"
    } else {
        &opts.namespace
    }
}

fn display(p: &Path) -> String {
    let s = p.display().to_string();
    let s = s
        .strip_prefix("./")
        .unwrap_or(&s)
        .trim_end_matches('/')
        .to_string();
    if s.is_empty() {
        ".".to_string()
    } else {
        s
    }
}

fn chart_dir_for_config(p: &Path) -> &Path {
    if p.is_dir() {
        p
    } else {
        p.parent().unwrap_or(Path::new("."))
    }
}

/// Sort positional paths into charts (deduped) and lenient manifest files.
/// Sorted into (chart directories or archives, lenient manifest files).
fn classify(opts: &LintOptions) -> Result<(Vec<PathBuf>, Vec<PathBuf>), LintError> {
    let mut charts: Vec<PathBuf> = Vec::new();
    let mut lenient = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in &opts.paths {
        let target = classify_path(p)?;
        match target {
            Some(Target::Chart(dir)) => {
                let key = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
                if seen.insert(key) {
                    charts.push(dir);
                }
            }
            Some(Target::Manifests(files)) => lenient.extend(files),
            None => {}
        }
    }
    Ok((charts, lenient))
}

fn classify_path(p: &Path) -> Result<Option<Target>, LintError> {
    let shown = display(p);
    let meta = std::fs::metadata(p).map_err(|e| LintError::Input {
        path: shown.clone(),
        message: match e.kind() {
            std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
            _ => e.to_string(),
        },
    })?;
    if meta.is_dir() {
        if p.join("Chart.yaml").is_file() {
            return Ok(Some(Target::Chart(p.to_path_buf())));
        }
        return Err(LintError::Input {
            path: shown,
            message: "not a chart (no Chart.yaml); lint manifests with -f DIR".to_string(),
        });
    }
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
        return Ok(Some(Target::Chart(p.to_path_buf())));
    }
    // A file inside a chart: lint that chart.
    if let Some(dir) = chart_root_of(p) {
        return Ok(Some(Target::Chart(dir)));
    }
    let is_yaml = [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e));
    Ok(is_yaml.then(|| Target::Manifests(vec![p.to_path_buf()])))
}

/// The nearest parent directory of `file` containing `Chart.yaml`.
fn chart_root_of(file: &Path) -> Option<PathBuf> {
    let mut dir = file.parent();
    while let Some(d) = dir {
        let d = if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        };
        if d.join("Chart.yaml").is_file() {
            // A subchart's file belongs to the parent chart that renders it.
            let mut root = d.to_path_buf();
            while let Some(parent) = root.parent().and_then(|charts| {
                (charts.file_name()? == "charts")
                    .then(|| charts.parent())
                    .flatten()
            }) {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                if parent.join("Chart.yaml").is_file() {
                    root = parent.to_path_buf();
                } else {
                    break;
                }
            }
            return Some(root);
        }
        if d == Path::new(".") {
            break;
        }
        dir = d.parent();
    }
    None
}

/// `-f` argument → manifest files.
fn expand_manifest_arg(p: &Path) -> Result<Vec<PathBuf>, LintError> {
    if p.as_os_str() == "-" {
        return Ok(vec![p.to_path_buf()]);
    }
    let meta = std::fs::metadata(p).map_err(|e| LintError::Input {
        path: display(p),
        message: match e.kind() {
            std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
            _ => e.to_string(),
        },
    })?;
    if !meta.is_dir() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut out = Vec::new();
    walk(p, &mut out);
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    for e in read.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, out);
        } else if [".yaml", ".yml", ".json"].iter().any(|x| name.ends_with(x)) {
            out.push(path);
        }
    }
}

/// A manifest file's documents: (file, text, start line, document). `strict` files must
/// parse and hold Kubernetes objects; lenient ones (pre-commit paths) are skipped if not.
#[allow(clippy::type_complexity)]
fn read_manifest(
    file: &Path,
    opts: &LintOptions,
    strict: bool,
) -> Result<Vec<(String, Rc<str>, usize, Value)>, LintError> {
    let (name, text) = if file.as_os_str() == "-" {
        (
            "<stdin>".to_string(),
            opts.stdin.clone().unwrap_or_default(),
        )
    } else {
        let name = display(file);
        let bytes = std::fs::read(file).map_err(|e| LintError::Input {
            path: name.clone(),
            message: e.to_string(),
        })?;
        (name, String::from_utf8_lossy(&bytes).into_owned())
    };
    let text: Rc<str> = Rc::from(text);
    let mut out = Vec::new();
    for (line, doc) in render::output::split_documents(&text) {
        let value = match crate::yaml::load_str(doc, &name) {
            Ok(v) => v,
            Err(e) if strict => {
                return Err(LintError::Manifest {
                    file: name,
                    message: format!("document starting at line {line}: {e}"),
                })
            }
            Err(_) => return Ok(Vec::new()),
        };
        if value.is_nil() {
            continue;
        }
        let is_object = value.get("kind").and_then(|k| scalar_string(&k)).is_some()
            && value
                .get("apiVersion")
                .and_then(|k| scalar_string(&k))
                .is_some();
        if !is_object {
            if strict {
                return Err(LintError::Manifest {
                    file: name,
                    message: format!(
                        "document at line {line} is not a Kubernetes object (no apiVersion and kind)"
                    ),
                });
            }
            return Ok(Vec::new());
        }
        out.push((name.clone(), text.clone(), line, value));
    }
    Ok(out)
}

/// Objects of a document (a `List` is expanded into its items).
fn lint_objects(
    doc: Value,
    release_namespace: &str,
    source: Option<SourceLocation>,
    source_text: Option<Rc<str>>,
    hook_events: Vec<String>,
) -> Vec<LintObject> {
    let get = |v: &Value, p: &[&str]| v.get_path(p).as_ref().and_then(scalar_string);
    let kind = get(&doc, &["kind"]).unwrap_or_default();
    if kind == "List" || kind.ends_with("List") && doc.get("items").is_some() {
        let items = doc.get("items").unwrap_or(Value::Nil);
        return super::query::items(&items)
            .iter()
            .flat_map(|item| {
                lint_objects(
                    item.clone(),
                    release_namespace,
                    source.clone(),
                    source_text.clone(),
                    hook_events.clone(),
                )
            })
            .collect();
    }
    let namespace = get(&doc, &["metadata", "namespace"])
        .filter(|n| !n.is_empty())
        .or_else(|| is_namespaced(&kind).then(|| release_namespace.to_string()));
    let hook_events = if hook_events.is_empty() {
        get(&doc, &["metadata", "annotations", "helm.sh/hook"])
            .map(|h| {
                h.split(',')
                    .map(|e| e.trim().to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        hook_events
    };
    vec![LintObject {
        api_version: get(&doc, &["apiVersion"]).unwrap_or_default(),
        name: get(&doc, &["metadata", "name"]).unwrap_or_default(),
        kind,
        namespace,
        object: doc,
        source,
        source_text,
        hook_events,
    }]
}

/// One render to run on a worker.
#[derive(Debug, Clone)]
struct RenderJob {
    chart: PathBuf,
    values: ValuesOptions,
    release_name: String,
    namespace: String,
    kube_version: Option<String>,
    api_versions: Vec<String>,
}

/// A render's output, as plain (sendable) data: the rendered text of every template.
/// Documents are split and parsed on the linting thread, once per distinct document text
/// across all renders of a chart (CRDs and most objects are identical in every render,
/// and YAML parsing is what a lint run spends its time on).
struct RenderOut {
    /// (template path `chart/templates/x.yaml`, rendered text), in path order.
    files: Vec<(String, String)>,
    /// The coalesced values, as JSON.
    values_json: String,
}

thread_local! {
    /// The chart a render worker loaded last (see [`load_for_render`]).
    static LOADED: std::cell::RefCell<Option<(PathBuf, Chart)>> =
        const { std::cell::RefCell::new(None) };
}

/// The chart at `path`, loaded from disk once per render worker: every job of a chart
/// renders the same chart with other values, and reading and parsing the chart (values
/// files of every subchart, template texts) cost as much as a small render.
fn load_for_render(path: &Path) -> Result<Chart, crate::error::Error> {
    let hit = LOADED.with(|l| {
        l.borrow()
            .as_ref()
            .filter(|(p, _)| p == path)
            .map(|(_, c)| fresh_copy(c))
    });
    if let Some(chart) = hit {
        return Ok(chart);
    }
    let loaded = chart::load(path)?;
    let copy = fresh_copy(&loaded);
    LOADED.with(|l| *l.borrow_mut() = Some((path.to_path_buf(), loaded)));
    Ok(copy)
}

/// A copy of a loaded chart that shares no mutable state with it: values are maps shared
/// by reference and preparing a render (dependency processing, coalescing) may change
/// them in place, so each render gets its own.
fn fresh_copy(c: &Chart) -> Chart {
    let mut metadata = c.metadata.clone();
    for dep in metadata.dependencies.iter_mut().flatten() {
        dep.import_values = dep.import_values.iter().map(Value::deep_copy).collect();
    }
    Chart {
        metadata,
        templates: c.templates.clone(),
        files: c.files.clone(),
        values: c.values.deep_copy(),
        schema: c.schema.clone(),
        dependencies: c.dependencies.iter().map(fresh_copy).collect(),
        path: c.path.clone(),
    }
}

fn render_job(job: &RenderJob) -> Result<RenderOut, crate::error::Error> {
    let loaded = load_for_render(&job.chart)?;
    let user = job.values.merge()?;
    let (prepared, coalesced) = chart::prepare(loaded, user)?;
    let kube_version = match &job.kube_version {
        Some(v) => {
            Some(KubeVersion::parse(v).map_err(|e| crate::error::Error::Usage(e.to_string()))?)
        }
        None => None,
    };
    let options = RenderOptions {
        release: ReleaseOptions {
            name: job.release_name.clone(),
            namespace: job.namespace.clone(),
            revision: 1,
            is_upgrade: false,
        },
        kube_version,
        extra_api_versions: job.api_versions.clone(),
        strict: false,
        enable_dns: false,
    };
    let files = render::render_files(&prepared, &coalesced, &options)?;
    let values_json = crate::yaml::to_json(&coalesced).unwrap_or_else(|_| "{}".to_string());
    Ok(RenderOut {
        files: files.files.into_iter().collect(),
        values_json,
    })
}

/// The render workers of a run.
type RenderPool<'q> = pool::Pool<'q, RenderJob, Result<RenderOut, crate::error::Error>>;

/// A chart whose renders are queued: their ids in order (default, matrix files, toggle
/// variants).
struct PreparedChart {
    dir: PathBuf,
    config: Config,
    chart_name: String,
    facts: ChartFacts,
    /// Chart-relative template path → source text (for source mapping and frames).
    template_texts: BTreeMap<String, Rc<str>>,
    matrix: Vec<String>,
    candidates: Vec<ToggleCandidate>,
    /// (candidate index, value, api versions) per toggle job.
    toggle_jobs: Vec<(usize, bool, Vec<String>)>,
    /// Pool ids of the renders: default, matrix files, then toggle variants.
    job_ids: Vec<usize>,
    kube_minor: String,
    /// CRDs of the chart's (and subcharts') `crds/` directories.
    chart_crds: Vec<LintObject>,
}

/// Queue the chart's renders and gather what linting it needs. The default and
/// values-matrix renders are queued before the chart is even loaded here (they need only
/// the options), the toggle variants as soon as the toggles are detected; the chart's
/// `crds/` files are parsed while they render.
fn prepare_chart(
    dir: &Path,
    opts: &LintOptions,
    config: Config,
    pool: &mut RenderPool<'_>,
) -> Result<PreparedChart, LintError> {
    let shown = display(dir);
    let matrix_glob = opts.values_matrix.clone().or(config.values_matrix.clone());
    let matrix_paths: Vec<PathBuf> = if !dir.is_dir() {
        Vec::new()
    } else {
        match matrix_glob.as_deref() {
            Some(glob) => render::command::matrix_entries(dir, glob).unwrap_or_default(),
            None => chart::find_values_matrix(dir),
        }
    };
    let matrix: Vec<String> = matrix_paths
        .iter()
        .map(|p| {
            p.strip_prefix(dir)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    let kube_version = opts.kube_version.clone().or(config.kube_version.clone());
    let base = RenderJob {
        chart: dir.to_path_buf(),
        values: opts.values.clone(),
        release_name: if opts.release_name.is_empty() {
            "release-name".to_string()
        } else {
            opts.release_name.clone()
        },
        namespace: namespace(opts).to_string(),
        kube_version: kube_version.clone(),
        api_versions: opts.api_versions.clone(),
    };
    let mut job_ids = vec![pool.submit(base.clone())];
    for p in &matrix_paths {
        let mut job = base.clone();
        job.values.value_files.push(p.clone());
        job_ids.push(pool.submit(job));
    }

    let loaded = chart::load(dir).map_err(|e| LintError::Render {
        chart: shown.clone(),
        error: Box::new(e.into()),
    })?;
    let chart_name = loaded.name().to_string();
    let mut template_texts = BTreeMap::new();
    collect_templates(&loaded, "", &mut template_texts);
    let own_templates: Vec<(String, String)> = loaded
        .templates
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                String::from_utf8_lossy(&t.data).into_owned(),
            )
        })
        .collect();
    let conditional_subcharts = loaded
        .metadata
        .dependencies
        .iter()
        .flatten()
        .filter(|d| !d.condition.trim().is_empty())
        .filter_map(|d| {
            let name = if d.alias.is_empty() {
                &d.name
            } else {
                &d.alias
            };
            let sub = loaded
                .dependencies
                .iter()
                .find(|c| c.name() == d.name || c.name() == name.as_str())?;
            let conditions = d
                .condition
                .split(',')
                .map(|c| c.trim().to_string())
                .collect();
            let texts = sub
                .templates
                .iter()
                .map(|t| String::from_utf8_lossy(&t.data).into_owned())
                .collect();
            Some((conditions, texts, !sub.crds().is_empty()))
        })
        .collect();
    let candidates = toggles::detect(&ChartSources {
        templates: &own_templates,
        default_values: &loaded.values,
        conditional_subcharts,
    });
    if let Some(v) = &kube_version {
        KubeVersion::parse(v).map_err(|e| LintError::Input {
            path: "--kube-version".to_string(),
            message: e.to_string(),
        })?;
    }
    let mut toggle_jobs = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        for (value, apis) in c.renders() {
            let mut job = base.clone();
            job.values.values.push(c.set_expr(value));
            job.api_versions.extend(apis.iter().cloned());
            job_ids.push(pool.submit(job));
            toggle_jobs.push((i, value, apis));
        }
    }
    let chart_crds = super::schema::chart_crds(&loaded);
    let facts = ChartFacts {
        name: chart_name.clone(),
        path: dir.to_path_buf(),
        default_values: loaded.values.clone(),
        crd_dir_files: loaded.crds().iter().map(|f| f.name.clone()).collect(),
        templates: own_templates,
    };
    Ok(PreparedChart {
        dir: dir.to_path_buf(),
        config,
        chart_name,
        facts,
        template_texts,
        matrix,
        candidates,
        toggle_jobs,
        job_ids,
        kube_minor: kube_minor(kube_version.as_deref()),
        chart_crds,
    })
}

/// Template texts of a chart and its subcharts, by chart-relative path.
fn collect_templates(chart: &Chart, prefix: &str, out: &mut BTreeMap<String, Rc<str>>) {
    for t in &chart.templates {
        out.insert(
            format!("{prefix}{}", t.name),
            Rc::from(String::from_utf8_lossy(&t.data).into_owned()),
        );
    }
    for dep in &chart.dependencies {
        collect_templates(dep, &format!("{prefix}charts/{}/", dep.name()), out);
    }
}

/// `MAJOR.MINOR` of the target version (the renderer's default when unset).
fn kube_minor(v: Option<&str>) -> String {
    let v = v.unwrap_or(render::capabilities::DEFAULT_KUBE_VERSION);
    match super::query::parse_kube_version(v) {
        Some((major, minor)) => format!("{major}.{minor}"),
        None => v.trim_start_matches('v').to_string(),
    }
}

/// Parsed documents by their text, shared by all renders of a chart.
type ParseCache = HashMap<String, Value, std::hash::BuildHasherDefault<SampleHasher>>;

/// A hasher for document texts that reads a bounded sample of each text (its length, its
/// head and tail, and bytes spread over the middle) instead of every byte: rendered
/// documents are up to megabytes (CRDs), every render looks all of them up, and a full
/// hash of each lookup cost more than the parse it saves. Lookups still compare whole
/// texts, so a weak hash only costs a comparison, never a wrong hit.
#[derive(Default, Clone, Copy)]
struct SampleHasher(u64);

impl SampleHasher {
    fn mix(&mut self, word: u64) {
        // FxHash's step: rotate, xor, multiply by a large odd constant.
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for SampleHasher {
    fn write(&mut self, bytes: &[u8]) {
        const EDGE: usize = 64;
        const STRIDES: usize = 32;
        self.mix(bytes.len() as u64);
        let words = |chunk: &[u8]| -> u64 {
            chunk
                .iter()
                .fold(0u64, |acc, &b| acc.rotate_left(8) ^ u64::from(b))
        };
        if bytes.len() <= 2 * EDGE + STRIDES {
            for chunk in bytes.chunks(8) {
                let w = words(chunk);
                self.mix(w);
            }
            return;
        }
        let (head, tail) = (&bytes[..EDGE], &bytes[bytes.len() - EDGE..]);
        for chunk in head.chunks(8).chain(tail.chunks(8)) {
            let w = words(chunk);
            self.mix(w);
        }
        let step = bytes.len() / STRIDES;
        for i in 0..STRIDES {
            if let Some(&b) = bytes.get(EDGE + i * step) {
                self.mix(u64::from(b));
            }
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Parse a render's documents into objects with template source locations. A document
/// that is not valid YAML fails the render, as it does in Helm.
fn objects_of(
    out: &RenderOut,
    p: &PreparedChart,
    namespace: &str,
    cache: &mut ParseCache,
) -> Result<Vec<LintObject>, String> {
    let prefix = format!("{}/", p.chart_name);
    let mut objects = Vec::new();
    for (source, text) in &out.files {
        let rel = source.strip_prefix(&prefix).unwrap_or(source).to_string();
        let template = p.template_texts.get(&rel).cloned();
        let mut ordinal = 0;
        let mut by_kind: HashMap<String, usize> = HashMap::new();
        for (_, content) in render::output::split_documents(text) {
            let doc = match cache.get(content) {
                Some(v) => v.clone(),
                None => {
                    let v = crate::yaml::load_str(content, source)
                        .map_err(|e| format!("YAML parse error on {source}: {e}"))?;
                    cache.insert(content.to_string(), v.clone());
                    v
                }
            };
            if doc.is_nil() {
                continue;
            }
            let kind = doc
                .get("kind")
                .and_then(|k| scalar_string(&k))
                .unwrap_or_default();
            let kind_ordinal = by_kind.entry(kind.clone()).or_default();
            let line = template
                .as_ref()
                .map(|t| source_map::document_line_shared(t, &kind, *kind_ordinal, ordinal))
                .unwrap_or(1);
            ordinal += 1;
            *kind_ordinal += 1;
            let location = SourceLocation {
                file: rel.clone(),
                line,
                column: None,
            };
            objects.extend(lint_objects(
                doc,
                namespace,
                Some(location),
                template.clone(),
                Vec::new(),
            ));
        }
    }
    Ok(objects)
}

/// A render's objects, or why its output does not parse.
type Parsed = Result<Vec<LintObject>, String>;

/// A finished render of a chart, parsed.
enum Slot {
    /// The render failed.
    Failed(crate::error::Error),
    /// Its objects (or why its output does not parse) and, for the default and matrix
    /// renders, its values.
    Parsed { objects: Parsed, values: Value },
}

fn lint_chart(
    registry: &Registry,
    p: &PreparedChart,
    pool: &mut RenderPool<'_>,
    opts: &LintOptions,
) -> Result<Vec<Diagnostic>, LintError> {
    let shown = display(&p.dir);
    let ns = namespace(opts);
    let setup = SchemaSetup::new(
        &p.kube_minor,
        &opts.schema.or(&p.config.schema),
        p.chart_crds.clone(),
    );
    // Parse renders as they finish (the others keep rendering meanwhile); validating the
    // default and matrix renders' objects now fills the validator's caches, so their lint
    // passes below mostly look results up.
    let main_renders = 1 + p.matrix.len();
    let mut cache = ParseCache::default();
    let mut slots: Vec<Option<Slot>> = p.job_ids.iter().map(|_| None).collect();
    let mut waiting = p.job_ids.clone();
    while !waiting.is_empty() {
        let Some((id, out)) = pool.next_of(&waiting) else {
            break;
        };
        waiting.retain(|w| *w != id);
        let Some(index) = p.job_ids.iter().position(|j| *j == id) else {
            continue;
        };
        let slot = match out {
            Err(error) => Slot::Failed(error),
            Ok(out) => {
                let main = index < main_renders;
                let values = if main {
                    crate::yaml::load_str(&out.values_json, "values").unwrap_or(Value::Nil)
                } else {
                    Value::Nil
                };
                let objects = objects_of(&out, p, ns, &mut cache);
                if let (true, Ok(objects)) = (main, &objects) {
                    setup.warm(objects);
                }
                Slot::Parsed { objects, values }
            }
        };
        if let Some(s) = slots.get_mut(index) {
            *s = Some(slot);
        }
    }
    let stopped = || crate::error::Error::Usage("a render worker stopped".to_string());
    let mut slots = slots.into_iter();

    // Render failures of the default and matrix renders first, in order, then their
    // parse failures, in order.
    let mut renders: Vec<(Option<String>, Parsed, Value)> = Vec::new();
    let labels = std::iter::once(None).chain(p.matrix.iter().cloned().map(Some));
    for label in labels {
        let slot = slots.next().flatten();
        let failed = |error: crate::error::Error| match &label {
            Some(values) => LintError::RenderValues {
                chart: shown.clone(),
                values: values.clone(),
                error: Box::new(error),
            },
            None => LintError::Render {
                chart: shown.clone(),
                error: Box::new(error),
            },
        };
        match slot {
            Some(Slot::Parsed { objects, values }) => renders.push((label, objects, values)),
            Some(Slot::Failed(error)) => return Err(failed(error)),
            None => return Err(failed(stopped())),
        }
    }
    let mut parsed: Vec<(Option<String>, Vec<LintObject>, Value)> = Vec::new();
    for (label, objects, values) in renders {
        let objects = objects.map_err(|message| {
            let error = Box::new(crate::error::Error::Usage(message));
            match &label {
                Some(values) => LintError::RenderValues {
                    chart: shown.clone(),
                    values: values.clone(),
                    error,
                },
                None => LintError::Render {
                    chart: shown.clone(),
                    error,
                },
            }
        })?;
        parsed.push((label, objects, values));
    }
    let outs = slots.map(|slot| match slot {
        Some(Slot::Parsed { objects, .. }) => objects,
        Some(Slot::Failed(error)) => Err(error.to_string()),
        None => Err(stopped().to_string()),
    });
    // Toggle variants: keep a candidate's renders when one of them changes the guarded
    // objects (or fails to render, which the toggle rules report), or when its key is named
    // for the purpose, so a broken `crds.install` is reported as ineffective.
    let default_objects = parsed.first().map(|(_, o, _)| o.as_slice()).unwrap_or(&[]);
    let mut variants_by_candidate: BTreeMap<usize, Vec<ToggleVariant>> = BTreeMap::new();
    let mut confirmed = vec![false; p.candidates.len()];
    for ((ci, value, apis), out) in p.toggle_jobs.iter().zip(outs) {
        let Some(c) = p.candidates.get(*ci) else {
            continue;
        };
        let objects = match out {
            Ok(objs) => {
                if toggles::confirmed(c.purpose, default_objects, &objs) {
                    confirmed[*ci] = true;
                }
                Ok(objs)
            }
            Err(e) => {
                confirmed[*ci] = true;
                Err(e)
            }
        };
        variants_by_candidate
            .entry(*ci)
            .or_default()
            .push(ToggleVariant {
                key: c.key.clone(),
                value: Value::Bool(*value),
                purpose: c.purpose,
                objects,
                api_versions: apis.clone(),
            });
    }
    let variants: Vec<ToggleVariant> = variants_by_candidate
        .into_iter()
        .filter(|(ci, _)| {
            let ok = confirmed.get(*ci).copied().unwrap_or(false);
            p.candidates.get(*ci).is_some_and(|c| toggles::keep(c, ok))
        })
        .flat_map(|(_, v)| v)
        .collect();
    let mut diags = Vec::new();
    for (label, objects, values) in &parsed {
        let pass = SchemaPass::new(&setup, label.is_none());
        let ctx = Context {
            toggles: &variants,
            objects,
            values,
            chart: Some(&p.facts),
            namespace: ns,
            kube_version: &p.kube_minor,
            schema: Some(&pass),
        };
        diags.extend(lint_context(registry, &p.config, &ctx, label.as_deref()));
    }
    Ok(finish(diags))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_minor_defaults_to_renderer() {
        assert_eq!(kube_minor(Some("1.29.3")), "1.29");
        assert_eq!(kube_minor(Some("v1.30")), "1.30");
        assert!(kube_minor(None).starts_with("1."));
    }

    #[test]
    fn lists_are_expanded_and_namespaced() {
        use crate::lint::query::test_support::{list, map, s};
        let doc = map(&[
            ("apiVersion", s("v1")),
            ("kind", s("List")),
            (
                "items",
                list(vec![
                    map(&[
                        ("apiVersion", s("v1")),
                        ("kind", s("ConfigMap")),
                        ("metadata", map(&[("name", s("a"))])),
                    ]),
                    map(&[
                        ("apiVersion", s("rbac.authorization.k8s.io/v1")),
                        ("kind", s("ClusterRole")),
                        ("metadata", map(&[("name", s("b"))])),
                    ]),
                ]),
            ),
        ]);
        let objs = lint_objects(doc, "ops", None, None, Vec::new());
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].namespace.as_deref(), Some("ops"));
        assert_eq!(objs[1].namespace, None);
    }

    #[test]
    fn chart_roots_of_files() {
        let tmp = tempfile::tempdir().unwrap();
        let chart = tmp.path().join("op");
        let sub = chart.join("charts").join("sub");
        std::fs::create_dir_all(sub.join("templates")).unwrap();
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(chart.join("Chart.yaml"), "name: op\n").unwrap();
        std::fs::write(sub.join("Chart.yaml"), "name: sub\n").unwrap();
        assert_eq!(
            chart_root_of(&chart.join("templates").join("x.yaml")),
            Some(chart.clone())
        );
        assert_eq!(
            chart_root_of(&sub.join("templates").join("x.yaml")),
            Some(chart.clone())
        );
        assert_eq!(chart_root_of(&tmp.path().join("x.yaml")), None);
    }
}
