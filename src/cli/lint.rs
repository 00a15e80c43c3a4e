//! `kubectl opm lint`: flags and wiring to [`crate::lint::run`]. No logic beyond that.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use crate::error::Error;
use crate::lint::registry::Registry;
use crate::lint::run::{self, ConfigChoice, LintOptions};
use crate::lint::schema::SchemaSettings;
use crate::report::{self, Format, Severity};
use crate::schema::MissingSchemas;

#[derive(Debug, clap::Args)]
#[command(
    about = "Lint operator charts and manifests with operator-aware rules",
    long_about = "Lint charts (rendered with their default values, with every values-matrix \
file — ci/*-values.yaml, values-*.yaml or --values-matrix GLOB — and with their feature \
toggles flipped) and rendered manifests (-f FILE|DIR|-). File paths inside a chart (as \
pre-commit passes them) lint that chart once; other YAML files are linted as manifests.",
    after_help = "Examples:\n  kubectl opm lint ./charts/my-operator -n ops\n  kubectl opm lint ./charts/my-operator -o json --fail-on warning\n  helm template x ./chart | kubectl opm lint -f -\n  kubectl opm lint --list-rules\n  kubectl opm lint --explain pdb-blocks-eviction\n\nExit codes: 0 no finding at or above --fail-on; 1 findings; 2 bad input or usage; 3 environment."
)]
pub struct LintArgs {
    /// Charts (directories or .tgz) or files inside charts.
    #[arg(value_name = "CHART")]
    pub paths: Vec<PathBuf>,
    /// Manifests to lint: a file, a directory (walked for *.yaml, *.yml, *.json) or `-`
    /// for standard input.
    #[arg(short = 'f', long = "filename", value_name = "FILE|DIR|-")]
    pub filename: Vec<PathBuf>,
    /// Values files for chart renders, merged left to right.
    #[arg(long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    #[command(flatten)]
    pub sets: super::values::SetArgs,
    /// Release namespace.
    #[arg(short = 'n', long, env = "HELM_NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// Target Kubernetes version (deprecated-API rules, `.Capabilities.KubeVersion`).
    #[arg(long = "kube-version", value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions`.
    #[arg(
        short = 'a',
        long = "api-versions",
        value_name = "VERSION",
        value_delimiter = ','
    )]
    pub api_versions: Vec<String>,
    /// Values files to lint every chart with (glob relative to the chart root).
    #[arg(long = "values-matrix", value_name = "GLOB")]
    pub values_matrix: Option<String>,
    /// Exit 1 when a finding has this severity or higher (default: config `failOn`, else error).
    #[arg(long = "fail-on", value_enum)]
    pub fail_on: Option<FailOn>,
    /// Output format (`--list-rules` takes text, json or markdown).
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Use this config file instead of looking for .opm.yaml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore .opm.yaml files.
    #[arg(long = "no-config")]
    pub no_config: bool,
    /// List every rule and exit.
    #[arg(long = "list-rules")]
    pub list_rules: bool,
    /// Print a rule's documentation and exit.
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,
    /// Schema family: kinds with no schema are skipped (default), warned about, or errors.
    #[arg(long = "missing-schemas", value_enum, value_name = "POLICY")]
    pub missing_schemas: Option<MissingArg>,
    /// Schema family: CRD files or directories that define the custom resources rendered
    /// (the chart's own CRDs, templated or in crds/, are always used).
    #[arg(long = "crd", value_name = "PATH")]
    pub crd: Vec<PathBuf>,
    /// Schema family: a directory of extra JSON Schemas (kubeconform layout).
    #[arg(long = "schema-location", value_name = "DIR")]
    pub schema_location: Vec<PathBuf>,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Sarif,
    Junit,
    Github,
    Markdown,
}

impl OutputFormat {
    fn format(self) -> Format {
        match self {
            OutputFormat::Text => Format::Text,
            OutputFormat::Json => Format::Json,
            OutputFormat::Sarif => Format::Sarif,
            OutputFormat::Junit => Format::Junit,
            OutputFormat::Github => Format::Github,
            OutputFormat::Markdown => Format::Markdown,
        }
    }
}

/// Colour for people at a terminal, never when `NO_COLOR` is set (no-color.org).
fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub fn run(args: LintArgs) -> Result<i32, Error> {
    let registry = Registry::builtin();
    if args.list_rules {
        let text = match args.output {
            OutputFormat::Text => registry.list_text(),
            OutputFormat::Json => registry.list_json(),
            OutputFormat::Markdown => registry.markdown_table(),
            other => {
                return Err(Error::Usage(format!(
                    "--list-rules prints text, json or markdown, not {}",
                    other.format().as_str()
                )))
            }
        };
        super::write_stdout(text.as_bytes());
        return Ok(0);
    }
    if let Some(id) = &args.explain {
        return match registry.explain(id) {
            Some(text) => {
                super::write_stdout(text.as_bytes());
                Ok(0)
            }
            None => {
                let hint = registry
                    .suggest(id)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                Err(Error::Usage(format!(
                    "unknown rule `{id}`{hint}; `kubectl opm lint --list-rules` lists them"
                )))
            }
        };
    }
    let stdin = if args.filename.iter().any(|f| f.as_os_str() == "-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::Usage(format!("reading standard input: {e}")))?;
        Some(text)
    } else {
        None
    };
    let opts = LintOptions {
        paths: args.paths,
        manifests: args.filename,
        stdin,
        values: args.sets.options(args.values),
        namespace: args.namespace,
        release_name: "release-name".to_string(),
        kube_version: args.kube_version,
        api_versions: args.api_versions,
        values_matrix: args.values_matrix,
        fail_on: args.fail_on.map(|f| match f {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }),
        config: match (args.config, args.no_config) {
            (Some(p), _) => ConfigChoice::File(p),
            (None, true) => ConfigChoice::Off,
            (None, false) => ConfigChoice::Discover,
        },
        schema: SchemaSettings {
            missing: args.missing_schemas.map(|m| match m {
                MissingArg::Error => MissingSchemas::Error,
                MissingArg::Warn => MissingSchemas::Warn,
                MissingArg::Skip => MissingSchemas::Skip,
            }),
            crds: args.crd,
            locations: args.schema_location,
        },
    };
    let mut outcome = run::run(&opts)?;
    outcome.meta.color = args.output == OutputFormat::Text && use_color();
    let text = report::write(args.output.format(), &outcome.diagnostics, &outcome.meta);
    super::write_stdout(text.as_bytes());
    Ok(outcome.exit_code())
}
