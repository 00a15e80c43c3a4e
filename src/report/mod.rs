//! One diagnostic type for lint, schema validation and CRD diff, and the formats it is
//! written in (one file per format). JSON is the stable, documented contract
//! (see README "JSON output").

use std::collections::HashMap;
use std::rc::Rc;

use serde::Serialize;

pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Kubernetes object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

/// Where in the user's files a finding points: a template (or manifest) path relative to
/// the chart root (`templates/pdb.yaml`), 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SourceLocation {
    pub file: String,
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

/// A finding. Facts we do not know are `None` and omitted from JSON, never guessed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    /// Kebab-case rule id, e.g. `pdb-blocks-eviction`.
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    /// Dotted field path inside the object (`spec.template.spec.containers[0].image`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceLocation>,
    /// The values file (of the values matrix) whose render produced this finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// CRD diff only: the CRD version the finding is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crd_version: Option<String>,
    /// CRD diff only: whether the change breaks existing users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaking: Option<bool>,
}

impl Diagnostic {
    pub fn new(rule: impl Into<String>, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            rule: rule.into(),
            severity,
            message: message.into(),
            object: None,
            field: None,
            source: None,
            values: None,
            help: None,
            docs: None,
            crd_version: None,
            breaking: None,
        }
    }
}

/// Counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl Summary {
    pub fn of(diagnostics: &[Diagnostic]) -> Summary {
        let mut s = Summary::default();
        for d in diagnostics {
            match d.severity {
                Severity::Error => s.error += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
            }
        }
        s
    }
}

/// Output formats of `-o/--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Github,
    Markdown,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Github,
        Format::Markdown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
            Format::Markdown => "markdown",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// What a report needs besides the diagnostics. One signature for every format:
/// `fn write(diags: &[Diagnostic], meta: &ReportMeta) -> String`.
#[derive(Debug, Clone)]
pub struct ReportMeta {
    /// Name of the tool that produced the diagnostics (`kubectl-opm`).
    pub tool_name: String,
    pub tool_version: String,
    /// Lowest severity that fails the run (shown in summaries).
    pub fail_on: Severity,
    /// ANSI colours in text output (the CLI decides: a TTY, and `NO_COLOR` unset).
    pub color: bool,
    /// Per diagnostic (same index): the directory its `source.file` is relative to, as the
    /// user named it (`charts/op`); empty or missing means the current directory.
    pub roots: Vec<String>,
    /// Source texts by displayed path (root joined with `source.file`), for source frames.
    pub sources: HashMap<String, Rc<str>>,
    /// Rules known to the run (SARIF lists them in `tool.driver.rules`).
    pub rules: Vec<RuleInfo>,
    /// What was linted, one entry per chart or manifest set (`charts/op`), in order.
    pub targets: Vec<String>,
}

/// Rule metadata as reports show it.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub id: String,
    pub family: String,
    pub severity: Severity,
    pub summary: String,
    /// Markdown documentation.
    pub doc: String,
    pub docs_url: String,
}

impl Default for ReportMeta {
    fn default() -> Self {
        ReportMeta {
            tool_name: "kubectl-opm".to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            fail_on: Severity::Error,
            color: false,
            roots: Vec::new(),
            sources: HashMap::new(),
            rules: Vec::new(),
            targets: Vec::new(),
        }
    }
}

impl ReportMeta {
    /// The root directory of diagnostic `i` (`""` for the current directory).
    pub fn root(&self, i: usize) -> &str {
        self.roots.get(i).map(String::as_str).unwrap_or("")
    }

    /// The path of diagnostic `i`'s source as the user can open it: root joined with the
    /// chart-relative file (`charts/op/templates/pdb.yaml`).
    pub fn display_path(&self, i: usize, d: &Diagnostic) -> Option<String> {
        let file = &d.source.as_ref()?.file;
        Some(join_path(self.root(i), file))
    }

    /// The source line (1-based) of a displayed path, if its text is known.
    pub fn source_line(&self, path: &str, line: usize) -> Option<&str> {
        self.sources.get(path)?.lines().nth(line.checked_sub(1)?)
    }
}

/// `root/file` with `/` separators; `file` alone when root is empty or `.`.
pub fn join_path(root: &str, file: &str) -> String {
    let root = root.trim_end_matches('/');
    if root.is_empty() || root == "." {
        file.to_string()
    } else {
        format!("{root}/{file}")
    }
}

/// Write diagnostics in a format.
pub fn write(format: Format, diags: &[Diagnostic], meta: &ReportMeta) -> String {
    match format {
        Format::Text => text::write(diags, meta),
        Format::Json => json::write(diags, meta),
        Format::Sarif => sarif::write(diags, meta),
        Format::Junit => junit::write(diags, meta),
        Format::Github => github::write(diags, meta),
        Format::Markdown => markdown::write(diags, meta),
    }
}

/// Diagnostics shared by the format tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub const PDB_SOURCE: &str = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: op\nspec:\n  minAvailable: {{ .Values.pdb.minAvailable }}\n";

    pub fn diagnostics() -> (Vec<Diagnostic>, ReportMeta) {
        let mut a = Diagnostic::new(
            "pdb-blocks-eviction",
            Severity::Error,
            "minAvailable 1 equals the 1 replica of Deployment op: no pod can ever be evicted",
        );
        a.object = Some(ObjectRef {
            api_version: "policy/v1".into(),
            kind: "PodDisruptionBudget".into(),
            namespace: Some("ops".into()),
            name: "op".into(),
        });
        a.field = Some("spec.minAvailable".into());
        a.source = Some(SourceLocation {
            file: "templates/pdb.yaml".into(),
            line: 6,
            column: Some(3),
        });
        a.values = Some("ci/prod-values.yaml".into());
        a.help = Some("Use `maxUnavailable: 1` or run more replicas".into());
        a.docs = Some("https://kubectl-opm.dev/rules/pdb-blocks-eviction".into());
        let mut b = Diagnostic::new(
            "crd-toggle-missing",
            Severity::Warning,
            "the chart ships CRDs in crds/ & no <toggle> \"turns\" them off",
        );
        b.docs = Some("https://kubectl-opm.dev/rules/crd-toggle-missing".into());
        let mut meta = ReportMeta {
            tool_version: "0.1.0".into(),
            roots: vec!["charts/op".into(), "charts/op".into()],
            targets: vec!["charts/op".into()],
            ..ReportMeta::default()
        };
        meta.sources
            .insert("charts/op/templates/pdb.yaml".into(), Rc::from(PDB_SOURCE));
        for (id, family, severity) in [
            ("pdb-blocks-eviction", "pdb", Severity::Error),
            ("crd-toggle-missing", "crds", Severity::Warning),
        ] {
            meta.rules.push(RuleInfo {
                id: id.into(),
                family: family.into(),
                severity,
                summary: format!("{id} summary"),
                doc: format!("## What it does\n{id}.\n\n## Fix\nFix it.\n"),
                docs_url: format!("https://kubectl-opm.dev/rules/{id}"),
            });
        }
        (vec![b, a], meta)
    }
}
