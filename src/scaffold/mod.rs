//! `opm create`: scaffold an operator chart that is right from the start — CRDs as toggled
//! templates kept on uninstall, least-privilege RBAC derived from those CRDs, leader
//! election, probes, the restricted security context, a PodDisruptionBudget, a
//! NetworkPolicy, optional webhooks (cert-manager) and monitoring (Capabilities-guarded),
//! `ci/` values, a values schema, a helm test and a README with its values table.
//!
//! The chart's files are minijinja templates embedded in the binary
//! (`src/scaffold/templates/`). They use custom delimiters (`[[ ]]`, `[% %]`, `[# #]`) so
//! the Go-template text of the generated chart (`{{ … }}`) is written as is. Everything is
//! rendered in memory first; only a complete chart is written (see [`write_chart`]).

mod crd;
mod names;
mod schema;

pub use crd::{parse_crds, read_crd_dir, CrdInfo};
pub use names::{check_chart_name, check_group, kind_for, pascal_case, plural_of};

use std::path::{Path, PathBuf};

use minijinja::syntax::SyntaxConfig;
use minijinja::{context, Environment};

/// Why a chart could not be scaffolded. All are bad input (exit 2) except writing (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("invalid chart name {name:?}: {why}")]
    BadName { name: String, why: String },
    #[error("invalid API group {group:?}: {why}")]
    BadGroup { group: String, why: String },
    #[error("invalid {flag} {value:?}: {why}")]
    BadFlag {
        flag: &'static str,
        value: String,
        why: String,
    },
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: no CustomResourceDefinition found in its .yaml, .yml or .json files", dir.display())]
    NoCrds { dir: PathBuf },
    #[error("{}{}: {message}", file.display(), if *line > 0 { format!(":{line}") } else { String::new() })]
    BadCrd {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{crd} is cluster-scoped: an operator that watches only its namespace (--namespaced) cannot reconcile it with a Role; use --cluster-scoped")]
    ClusterCrdInNamespacedMode { crd: String },
    #[error("{crd} converts between versions with a webhook; scaffold with --webhooks so the chart serves it")]
    ConversionNeedsWebhooks { crd: String },
    #[error("{} already exists; choose another name or --output-dir, or pass --force to replace it", path.display())]
    Exists { path: PathBuf },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A bug in an embedded template; never the user's input.
    #[error("internal error in the chart template {name}: {message}")]
    Template { name: String, message: String },
}

impl ScaffoldError {
    /// Process exit code: 3 when the file system refused a write, 2 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            ScaffoldError::Write { .. } => 3,
            _ => 2,
        }
    }
}

/// What RBAC the operator gets: its release namespace only, or the whole cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    Namespaced,
    #[default]
    Cluster,
}

/// The choices of `opm create`.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// Chart name (a DNS-1123 label starting with a letter).
    pub name: String,
    /// Directory holding existing CRDs to ship; `None` generates one sample CRD.
    pub crd_dir: Option<PathBuf>,
    /// API group of the sample CRD (default `<name>.example.com`).
    pub group: Option<String>,
    pub webhooks: bool,
    pub metrics: bool,
    pub scope: Scope,
    /// Chart `version` (SemVer 2).
    pub version: String,
    /// Chart `appVersion` (also the default image tag).
    pub app_version: String,
}

impl CreateOptions {
    /// Defaults for `name`: sample CRD, no webhooks or metrics, cluster scope, 0.1.0/0.1.0.
    pub fn new(name: impl Into<String>) -> Self {
        CreateOptions {
            name: name.into(),
            crd_dir: None,
            group: None,
            webhooks: false,
            metrics: false,
            scope: Scope::Cluster,
            version: "0.1.0".to_string(),
            app_version: "0.1.0".to_string(),
        }
    }
}

/// A rendered chart, not yet written.
#[derive(Debug, Clone)]
pub struct GeneratedChart {
    pub name: String,
    /// Files relative to the chart directory, sorted by path.
    pub files: Vec<GeneratedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the chart directory, `/`-separated.
    pub path: String,
    pub contents: String,
}

impl GeneratedChart {
    /// The contents of the file at `path` (relative, `/`-separated).
    pub fn file(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.contents.as_str())
    }
}

/// The embedded templates: output path (may contain `[[ crd ]]` for one file per CRD) and
/// template text.
const TEMPLATES: &[(&str, &str)] = &[
    ("Chart.yaml", include_str!("templates/Chart.yaml")),
    (".helmignore", include_str!("templates/helmignore")),
    ("values.yaml", include_str!("templates/values.yaml")),
    (
        "ci/default-values.yaml",
        include_str!("templates/ci/default-values.yaml"),
    ),
    (
        "ci/prod-values.yaml",
        include_str!("templates/ci/prod-values.yaml"),
    ),
    (
        "templates/_helpers.tpl",
        include_str!("templates/templates/_helpers.tpl"),
    ),
    (
        "templates/NOTES.txt",
        include_str!("templates/templates/NOTES.txt"),
    ),
    (
        "templates/deployment.yaml",
        include_str!("templates/templates/deployment.yaml"),
    ),
    (
        "templates/serviceaccount.yaml",
        include_str!("templates/templates/serviceaccount.yaml"),
    ),
    (
        "templates/rbac.yaml",
        include_str!("templates/templates/rbac.yaml"),
    ),
    (
        "templates/service.yaml",
        include_str!("templates/templates/service.yaml"),
    ),
    (
        "templates/pdb.yaml",
        include_str!("templates/templates/pdb.yaml"),
    ),
    (
        "templates/networkpolicy.yaml",
        include_str!("templates/templates/networkpolicy.yaml"),
    ),
    (
        "templates/tests/test-health.yaml",
        include_str!("templates/templates/tests/test-health.yaml"),
    ),
    (
        "templates/servicemonitor.yaml",
        include_str!("templates/templates/servicemonitor.yaml"),
    ),
    (
        "templates/prometheusrule.yaml",
        include_str!("templates/templates/prometheusrule.yaml"),
    ),
    (
        "templates/webhook.yaml",
        include_str!("templates/templates/webhook.yaml"),
    ),
];

const CRD_TEMPLATE: &str = include_str!("templates/templates/crd.yaml");
const README_TEMPLATE: &str = include_str!("templates/README.md");

/// Files that exist only with `--metrics` / `--webhooks`.
fn wanted(path: &str, opts: &CreateOptions) -> bool {
    match path {
        "templates/servicemonitor.yaml" | "templates/prometheusrule.yaml" => opts.metrics,
        "templates/webhook.yaml" => opts.webhooks,
        _ => true,
    }
}

/// RBAC rules for one API group: its resources, their status and finalizers subresources.
#[derive(Debug, serde::Serialize)]
struct ResourceRule {
    group: String,
    resources: Vec<String>,
    status: Vec<String>,
    finalizers: Vec<String>,
}

/// Render the chart for `opts` in memory.
pub fn generate(opts: &CreateOptions) -> Result<GeneratedChart, ScaffoldError> {
    names::check_chart_name(&opts.name)?;
    if !names::is_semver2(&opts.version) {
        return Err(ScaffoldError::BadFlag {
            flag: "--version",
            value: opts.version.clone(),
            why: "the chart version must be SemVer 2, like 0.1.0".to_string(),
        });
    }
    let app_version_ok = !opts.app_version.is_empty()
        && opts
            .app_version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'));
    if !app_version_ok {
        return Err(ScaffoldError::BadFlag {
            flag: "--app-version",
            value: opts.app_version.clone(),
            why: "use letters, digits and . - + _ (it is also the default image tag)".to_string(),
        });
    }
    let crds = match &opts.crd_dir {
        Some(dir) => {
            if opts.group.is_some() {
                return Err(ScaffoldError::BadFlag {
                    flag: "--group",
                    value: opts.group.clone().unwrap_or_default(),
                    why: "--group names the sample CRD's group; with --crd-dir the groups come from the CRDs".to_string(),
                });
            }
            crd::read_crd_dir(dir)?
        }
        None => {
            let group = opts
                .group
                .clone()
                .unwrap_or_else(|| format!("{}.example.com", opts.name));
            names::check_group(&group)?;
            let text = sample_crd(&opts.name, &group);
            crd::parse_crds(&text, Path::new("sample CRD"))?
        }
    };
    for crd in &crds {
        if opts.scope == Scope::Namespaced && !crd.namespaced {
            return Err(ScaffoldError::ClusterCrdInNamespacedMode {
                crd: crd.name.clone(),
            });
        }
        if crd.conversion_webhook && !opts.webhooks {
            return Err(ScaffoldError::ConversionNeedsWebhooks {
                crd: crd.name.clone(),
            });
        }
    }
    let env = environment();
    let rules = resource_rules(&crds);
    let sample = crds.first().cloned();
    let ctx = context! {
        name => &opts.name,
        version => &opts.version,
        app_version => &opts.app_version,
        image => format!("ghcr.io/example/{}", opts.name),
        alert_prefix => names::pascal_case(&opts.name),
        webhooks => opts.webhooks,
        metrics => opts.metrics,
        namespaced => opts.scope == Scope::Namespaced,
        crds => &crds,
        sample => &sample,
        resource_rules => &rules,
    };
    let mut files = Vec::new();
    for (path, source) in TEMPLATES {
        if !wanted(path, opts) {
            continue;
        }
        files.push(GeneratedFile {
            path: (*path).to_string(),
            contents: render(&env, path, source, &ctx)?,
        });
    }
    for crd in &crds {
        let path = format!("templates/crds/{}.yaml", crd.name);
        let crd_ctx = context! { crd => crd, ..ctx.clone() };
        files.push(GeneratedFile {
            contents: render(&env, &path, CRD_TEMPLATE, &crd_ctx)?,
            path,
        });
    }
    files.push(GeneratedFile {
        path: "values.schema.json".to_string(),
        contents: schema::values_schema(opts),
    });
    let values = files
        .iter()
        .find(|f| f.path == "values.yaml")
        .map(|f| f.contents.clone())
        .unwrap_or_default();
    let rows = crate::valuesdoc::document_values(&values, "values.yaml").map_err(|e| {
        ScaffoldError::Template {
            name: "values.yaml".to_string(),
            message: e.to_string(),
        }
    })?;
    let readme_ctx = context! {
        values_table => crate::valuesdoc::render_markdown(&rows),
        marker_start => crate::valuesdoc::MARKER_START,
        marker_end => crate::valuesdoc::MARKER_END,
        ..ctx.clone()
    };
    files.push(GeneratedFile {
        path: "README.md".to_string(),
        contents: render(&env, "README.md", README_TEMPLATE, &readme_ctx)?,
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(GeneratedChart {
        name: opts.name.clone(),
        files,
    })
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Delimiters that never occur in chart YAML or Go templates, so `{{ }}` passes through.
    if let Ok(syntax) = SyntaxConfig::builder()
        .block_delimiters("[%", "%]")
        .variable_delimiters("[[", "]]")
        .comment_delimiters("[#", "#]")
        .build()
    {
        env.set_syntax(syntax);
    }
    // Block tags on their own lines leave no blank lines behind.
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.add_filter("quote_list", quote_list);
    env
}

/// `["a", "b"]`: a YAML flow list of double-quoted strings.
fn quote_list(items: Vec<String>) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| serde_json::Value::String(s.clone()).to_string())
        .collect();
    format!("[{}]", quoted.join(", "))
}

fn render(
    env: &Environment<'_>,
    name: &str,
    source: &str,
    ctx: &minijinja::Value,
) -> Result<String, ScaffoldError> {
    env.render_str(source, ctx)
        .map_err(|e| ScaffoldError::Template {
            name: name.to_string(),
            message: e.to_string(),
        })
}

/// One rule set per API group, resources sorted.
fn resource_rules(crds: &[CrdInfo]) -> Vec<ResourceRule> {
    let mut rules: Vec<ResourceRule> = Vec::new();
    for crd in crds {
        let index = match rules.iter().position(|r| r.group == crd.group) {
            Some(i) => i,
            None => {
                rules.push(ResourceRule {
                    group: crd.group.clone(),
                    resources: Vec::new(),
                    status: Vec::new(),
                    finalizers: Vec::new(),
                });
                rules.len() - 1
            }
        };
        if let Some(rule) = rules.get_mut(index) {
            rule.resources.push(crd.plural.clone());
            rule.status.push(format!("{}/status", crd.plural));
            rule.finalizers.push(format!("{}/finalizers", crd.plural));
        }
    }
    rules.sort_by(|a, b| a.group.cmp(&b.group));
    for rule in &mut rules {
        rule.resources.sort();
        rule.status.sort();
        rule.finalizers.sort();
    }
    rules
}

/// The sample CRD for a chart without `--crd-dir`: Kind from the name, a small spec with
/// a validated field and a status subresource with conditions.
/// The sample is namespaced, as most custom resources are, so it suits both scopes.
fn sample_crd(name: &str, group: &str) -> String {
    let kind = names::kind_for(name);
    let singular = kind.to_ascii_lowercase();
    let plural = names::plural_of(&singular);
    format!(
        r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.{group}
spec:
  group: {group}
  scope: Namespaced
  names:
    kind: {kind}
    listKind: {kind}List
    plural: {plural}
    singular: {singular}
  versions:
    - name: v1alpha1
      served: true
      storage: true
      subresources:
        status: {{}}
      additionalPrinterColumns:
        - name: Ready
          type: string
          jsonPath: .status.conditions[?(@.type=="Ready")].status
        - name: Age
          type: date
          jsonPath: .metadata.creationTimestamp
      schema:
        openAPIV3Schema:
          description: {kind} is the Schema for the {plural} API.
          type: object
          properties:
            apiVersion:
              type: string
            kind:
              type: string
            metadata:
              type: object
            spec:
              description: Desired state of the {kind}.
              type: object
              properties:
                replicas:
                  description: How many instances the operator runs for this {kind}.
                  type: integer
                  minimum: 1
                  default: 1
            status:
              description: Observed state of the {kind}.
              type: object
              properties:
                observedGeneration:
                  type: integer
                  format: int64
                conditions:
                  type: array
                  x-kubernetes-list-type: map
                  x-kubernetes-list-map-keys:
                    - type
                  items:
                    type: object
                    required: [type, status]
                    properties:
                      type:
                        type: string
                      status:
                        type: string
                        enum: ["True", "False", "Unknown"]
                      reason:
                        type: string
                      message:
                        type: string
                      lastTransitionTime:
                        type: string
                        format: date-time
"#
    )
}

/// Write `chart` as `<parent>/<name>`, all or nothing: the files go to a temporary sibling
/// directory first, which is renamed into place only when every file is written. An
/// existing directory is refused unless `force`, and then replaced only after the new one
/// is complete.
pub fn write_chart(
    chart: &GeneratedChart,
    parent: &Path,
    force: bool,
) -> Result<PathBuf, ScaffoldError> {
    let target = parent.join(&chart.name);
    if target.exists() && !force {
        return Err(ScaffoldError::Exists { path: target });
    }
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ScaffoldError::Write { path, source }
    };
    std::fs::create_dir_all(parent).map_err(write_err(parent))?;
    let staging = parent.join(format!(".{}.opm-create-{}", chart.name, std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(write_err(&staging))?;
    }
    let result = write_files(chart, &staging);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if target.exists() {
        let old = parent.join(format!(
            ".{}.opm-replaced-{}",
            chart.name,
            std::process::id()
        ));
        if let Err(e) = std::fs::rename(&target, &old) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(ScaffoldError::Write {
                path: target,
                source: e,
            });
        }
        if let Err(e) = std::fs::rename(&staging, &target) {
            // Put the old chart back; the new one stays unwritten.
            let _ = std::fs::rename(&old, &target);
            let _ = std::fs::remove_dir_all(&staging);
            return Err(ScaffoldError::Write {
                path: target,
                source: e,
            });
        }
        let _ = std::fs::remove_dir_all(&old);
    } else if let Err(e) = std::fs::rename(&staging, &target) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(ScaffoldError::Write {
            path: target,
            source: e,
        });
    }
    Ok(target)
}

fn write_files(chart: &GeneratedChart, dir: &Path) -> Result<(), ScaffoldError> {
    for file in &chart.files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| ScaffoldError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, &file.contents)
            .map_err(|source| ScaffoldError::Write { path, source })?;
    }
    Ok(())
}

/// Generate and write in one step; returns the chart directory.
pub fn create(opts: &CreateOptions, parent: &Path, force: bool) -> Result<PathBuf, ScaffoldError> {
    // Refuse an existing directory before doing any work.
    let target = parent.join(&opts.name);
    if target.exists() && !force {
        names::check_chart_name(&opts.name)?;
        return Err(ScaffoldError::Exists { path: target });
    }
    let chart = generate(opts)?;
    write_chart(&chart, parent, force)
}
