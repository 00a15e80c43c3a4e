//! `kubectl opm validate`: schema validation of manifests (or a rendered chart) against the
//! Kubernetes schemas of a target version, the given CRDs and extra JSON Schemas.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::lint::LintObject;
use crate::report::{Diagnostic, Severity, Summary};
use crate::schema::{self, MissingSchemas, SchemaValidator, ValidateOptions};

#[derive(Debug, clap::Args)]
#[command(
    about = "Validate manifests against Kubernetes schemas, CRDs and their CEL rules",
    long_about = "Validate Kubernetes objects offline: built-in kinds against the embedded \
schemas of the target Kubernetes version (strict: unknown fields are errors), custom resources \
against their CustomResourceDefinitions (structural schema and x-kubernetes-validations CEL \
rules), and deprecated or removed API versions. Objects come from files (-f) or from a \
rendered chart (CHART).",
    after_help = "Examples:\n  kubectl opm validate -f manifests/ --kube-version 1.31\n  kubectl opm validate -f cr.yaml --crd config/crd/bases -o json\n  kubectl opm validate ./charts/my-operator --values ci/prod-values.yaml"
)]
pub struct ValidateArgs {
    /// Chart to render and validate (with its CRDs), instead of or as well as -f files.
    #[arg(value_name = "CHART")]
    pub chart: Option<PathBuf>,
    /// Manifest files or directories to validate (`-` reads standard input; repeatable).
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub filename: Vec<PathBuf>,
    /// CustomResourceDefinitions to validate custom resources against (file or directory;
    /// repeatable). CRDs among the validated objects are used too.
    #[arg(long = "crd", value_name = "PATH")]
    pub crd: Vec<PathBuf>,
    /// Target Kubernetes version (default: the newest embedded).
    #[arg(long = "kube-version", value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// What to do with kinds that have no schema.
    #[arg(long = "missing-schemas", value_enum, default_value_t = MissingArg::Warn)]
    pub missing_schemas: MissingArg,
    /// Extra JSON Schemas in kubeconform's layout (repeatable).
    #[arg(long = "schema-location", value_name = "DIR")]
    pub schema_location: Vec<PathBuf>,
    /// Values files for CHART.
    #[arg(long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Release namespace for CHART.
    #[arg(short = 'n', long, env = "HELM_NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// Exit 1 when there is a finding at or above this severity.
    #[arg(long = "fail-on", value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Print the supported Kubernetes versions and exit.
    #[arg(long = "list-versions")]
    pub list_versions: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MissingArg {
    Error,
    Warn,
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// Run `validate`; returns the exit code (0 clean, 1 findings at or above `--fail-on`).
pub fn run(args: ValidateArgs) -> Result<i32, Error> {
    if args.list_versions {
        println!("{}", schema::supported_versions().join("\n"));
        return Ok(0);
    }
    if args.filename.is_empty() && args.chart.is_none() {
        return Err(Error::Usage(
            "nothing to validate: give manifest files with -f or a CHART".to_string(),
        ));
    }
    let mut objects = Vec::new();
    for path in &args.filename {
        read_objects(path, &mut objects)?;
    }
    if let Some(chart) = &args.chart {
        objects.extend(render_chart(chart, &args)?);
    }
    let mut crds = Vec::new();
    for path in &args.crd {
        read_objects(path, &mut crds)?;
    }
    let opts = ValidateOptions {
        kube_version: args.kube_version.clone(),
        missing_schemas: match args.missing_schemas {
            MissingArg::Error => MissingSchemas::Error,
            MissingArg::Warn => MissingSchemas::Warn,
            MissingArg::Skip => MissingSchemas::Skip,
        },
        crds,
        schema_locations: args.schema_location.clone(),
    };
    let validator = SchemaValidator::new(&opts).map_err(|e| Error::Usage(e.to_string()))?;
    let diagnostics = validator.validate(&objects);
    let text = match args.output {
        OutputFormat::Json => format_json(&diagnostics),
        OutputFormat::Text => format_text(&diagnostics, objects.len(), validator.kube_version()),
    };
    print!("{text}");
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    let failed = threshold.is_some_and(|t| diagnostics.iter().any(|d| d.severity >= t));
    Ok(i32::from(failed))
}

/// JSON per the documented contract: `{"diagnostics": [...], "summary": {...}}`.
pub fn format_json(diagnostics: &[Diagnostic]) -> String {
    let doc = serde_json::json!({
        "diagnostics": diagnostics,
        "summary": Summary::of(diagnostics),
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_string());
    s.push('\n');
    s
}

/// One line per finding, then a summary line.
pub fn format_text(diagnostics: &[Diagnostic], objects: usize, version: &str) -> String {
    let mut out = String::new();
    for d in diagnostics {
        if let Some(src) = &d.source {
            out.push_str(&format!("{}:{}", src.file, src.line));
            if let Some(c) = src.column {
                out.push_str(&format!(":{c}"));
            }
            out.push_str(": ");
        }
        out.push_str(&format!("{}[{}]", d.severity, d.rule));
        if let Some(o) = &d.object {
            out.push_str(&format!(" {}/{}", o.kind, o.name));
        }
        if let Some(f) = &d.field {
            out.push_str(&format!(" {f}"));
        }
        out.push_str(&format!(": {}\n", d.message));
    }
    let s = Summary::of(diagnostics);
    out.push_str(&format!(
        "{objects} objects validated against Kubernetes {version}: {} errors, {} warnings, {} info\n",
        s.error, s.warning, s.info
    ));
    out
}

fn is_manifest(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml") | Some("yml") | Some("json")
    )
}

/// Read manifests from a file, a directory (recursively, sorted), or `-` (stdin).
fn read_objects(path: &Path, out: &mut Vec<LintObject>) -> Result<(), Error> {
    let shown = path.display().to_string();
    if shown == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::Usage(format!("reading standard input: {e}")))?;
        return parse_into(&text, "<stdin>", out);
    }
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::Usage(format!("{shown}: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            if entry.is_dir() || is_manifest(&entry) {
                read_objects(&entry, out)?;
            }
        }
        return Ok(());
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::Usage(format!("{shown}: {e}")))?;
    parse_into(&text, &shown, out)
}

fn parse_into(text: &str, file: &str, out: &mut Vec<LintObject>) -> Result<(), Error> {
    let docs = crate::yaml::load_all(text, file).map_err(|e| Error::Usage(e.to_string()))?;
    out.extend(schema::objects_from_documents(docs, file, text));
    Ok(())
}

/// Render CHART (with its `crds/`) and turn the output into objects.
fn render_chart(chart: &Path, args: &ValidateArgs) -> Result<Vec<LintObject>, Error> {
    let req = crate::render::command::RenderRequest {
        release_name: "release-name".to_string(),
        chart: chart.to_path_buf(),
        namespace: args.namespace.clone(),
        values: crate::chart::ValuesOptions {
            value_files: args.values.clone(),
            ..Default::default()
        },
        kube_version: args.kube_version.clone(),
        api_versions: Vec::new(),
        include_crds: true,
        skip_tests: false,
        no_hooks: false,
        is_upgrade: false,
        show_only: Vec::new(),
        strict: false,
        skip_schema_validation: false,
        enable_dns: false,
    };
    let (_, result) = crate::render::command::render(&req)?;
    let mut out = Vec::new();
    parse_into(&result.text(), "<rendered>", &mut out)?;
    // Rendered text is not what the templates say line by line; keep only the file.
    for o in &mut out {
        o.source = None;
        o.source_text = None;
    }
    Ok(out)
}
