//! Operator-aware lint: a registry of rules (one file per rule under `rules/<family>/`),
//! each checking the objects a chart renders, plus the chart's values and metadata.
//!
//! Flow: render (or read manifests) → [`LintObject`]s → [`Context`] → every enabled
//! [`Rule`] → [`crate::report::Diagnostic`]s (config and suppressions applied) → a report.

pub mod config;
pub mod engine;
pub mod pool;
pub mod query;
pub mod registry;
pub mod rules;
pub mod run;
pub mod schema;
pub mod source_map;
pub mod toggles;

use crate::report::{ObjectRef, Severity, SourceLocation};
use crate::template::Value;

/// A rendered (or given) Kubernetes object.
#[derive(Debug, Clone)]
pub struct LintObject {
    pub api_version: String,
    pub kind: String,
    /// `metadata.namespace`, or the release namespace for namespaced kinds when unset.
    pub namespace: Option<String>,
    pub name: String,
    /// The whole parsed document.
    pub object: Value,
    /// Template (chart-relative, `templates/x.yaml`) or manifest file, and the line where the
    /// document starts in it, when known.
    pub source: Option<SourceLocation>,
    /// Source text of that template or manifest, for mapping fields to lines.
    pub source_text: Option<std::rc::Rc<str>>,
    /// Hook events (`helm.sh/hook`), empty for ordinary objects.
    pub hook_events: Vec<String>,
}

impl LintObject {
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    /// Follow a dotted path of map keys (`spec.template.spec`).
    pub fn get(&self, path: &str) -> Option<Value> {
        let keys: Vec<&str> = path.split('.').collect();
        self.object.get_path(&keys)
    }
}

/// Facts about the chart being linted (absent when linting plain manifests).
#[derive(Debug, Clone, Default)]
pub struct ChartFacts {
    pub name: String,
    /// Chart root directory.
    pub path: std::path::PathBuf,
    /// The chart's default values (values.yaml), before user overrides.
    pub default_values: Value,
    /// Files under `crds/` (chart-relative paths) — Helm installs but never upgrades them.
    pub crd_dir_files: Vec<String>,
    /// Raw template sources by chart-relative path (`templates/x.yaml`).
    pub templates: Vec<(String, String)>,
}

/// The chart rendered again with one feature toggle flipped (`crds.install=false`,
/// `crds.keep=true`, `rbac.create=false`, `serviceMonitor.enabled=true`, …). The lint
/// framework detects which toggle keys a chart actually uses (from its templates and
/// values) and renders each variant; toggle rules compare the variants.
///
/// Variants are rendered from the chart defaults plus the user's `--values`/`--set` flags,
/// never from a values-matrix file; every render of the matrix sees the same variants. A
/// rule comparing a variant with `Context::objects` should first check that this render's
/// own value of the key (`ctx.value(&variant.key)`) is the opposite of `variant.value`.
#[derive(Debug, Clone)]
pub struct ToggleVariant {
    /// Dotted values path of the toggle (`crds.install`).
    pub key: String,
    /// The value it was set to for this render.
    pub value: Value,
    /// What the toggle controls, as detected: `crds`, `crds-keep`, `rbac`,
    /// `service-account`, `monitoring`, `webhooks`, `network-policy`, …
    pub purpose: &'static str,
    /// The objects of that render; `Err` holds the render error message.
    pub objects: Result<Vec<LintObject>, String>,
    /// Extra API versions the variant was rendered with (e.g. `monitoring.coreos.com/v1`
    /// to see what a `.Capabilities`-guarded template does when the CRD is available).
    pub api_versions: Vec<String>,
}

/// What a rule sees.
pub struct Context<'a> {
    /// Toggle variants of the chart (empty for plain manifests).
    pub toggles: &'a [ToggleVariant],
    pub objects: &'a [LintObject],
    /// The values this render used (coalesced), Nil for plain manifests.
    pub values: &'a Value,
    pub chart: Option<&'a ChartFacts>,
    /// Release namespace (`-n`).
    pub namespace: &'a str,
    /// Target Kubernetes version, `MAJOR.MINOR` (e.g. "1.33").
    pub kube_version: &'a str,
    /// The schema family's pass for this context (`None`: computed with the library
    /// defaults when a schema rule asks, as single-rule tests do).
    pub schema: Option<&'a schema::SchemaPass<'a>>,
}

/// Rule metadata, declared once per rule. The doc is Markdown with the sections
/// `## What it does`, `## Why is this bad?`, `## Example`, `## Fix`.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    /// Kebab-case, named after what it forbids (`pdb-blocks-eviction`).
    pub id: &'static str,
    /// `crds`, `rbac`, `pdb`, `monitoring`, `webhooks`, `security`, `probes`, …
    pub family: &'static str,
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    pub doc: &'static str,
}

/// One finding from a rule, before config/suppressions turn it into a Diagnostic.
#[derive(Debug, Clone)]
pub struct Finding {
    pub message: String,
    /// Index into `Context::objects`, when the finding is about one object.
    pub object: Option<usize>,
    /// Dotted field path within that object.
    pub field: Option<String>,
    /// Overrides the rule's default severity for this finding (rare).
    pub severity: Option<Severity>,
    /// Finding-specific help; the rule's Fix section is used otherwise.
    pub help: Option<String>,
    /// The object, when it is not one of `Context::objects`: a chart `crds/` file or an
    /// object only a toggle variant renders (schema findings).
    pub other_object: Option<Box<LintObject>>,
}

impl Finding {
    pub fn on(object: usize, message: impl Into<String>) -> Self {
        Finding {
            message: message.into(),
            object: Some(object),
            field: None,
            severity: None,
            help: None,
            other_object: None,
        }
    }

    pub fn chart(message: impl Into<String>) -> Self {
        Finding {
            message: message.into(),
            object: None,
            field: None,
            severity: None,
            help: None,
            other_object: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

/// A lint rule.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>);
}
