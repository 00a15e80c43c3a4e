//! `kubectl opm crd diff OLD NEW`: flags and wiring only; the work is
//! [`crate::crd::command::diff`].

use std::path::PathBuf;

use crate::crd::command::{diff_loaded, load_both, DiffOutcome, DiffRequest};
use crate::crd::config::{apply_config, find_config};
use std::io::IsTerminal;

use crate::crd::rules::{docs_url, Breaking, Levels, RULES};
use crate::crd::source::ChartOptions;
use crate::error::Error;
use crate::report::{write, Format, ReportMeta, RuleInfo, Severity};

#[derive(Debug, clap::Args)]
pub struct CrdArgs {
    #[command(subcommand)]
    pub command: CrdCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum CrdCommand {
    /// Compare two versions of CRDs and classify every change as breaking or safe.
    Diff(CrdDiffArgs),
}

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Compare the CustomResourceDefinitions of OLD and NEW and report, per CRD, \
version and field, what changed and whether it breaks custom resources that already exist. \
Each side is a CRD file, a directory of CRD files, a chart (directory or .tgz, rendered with \
the given values; crds/ files and templated CRDs both count), a chart at a git ref \
(git:REF:path/to/chart) or the live cluster (cluster: or cluster:CONTEXT; versions still in \
status.storedVersions count, and --check-instances validates the stored objects). CRDs are paired by name. Exit code 1 when a finding is at or above \
--fail-on (breaking changes are errors unless configured otherwise), 2 for bad input.",
    after_help = "Examples:\n  kubectl opm crd diff old/crds new/crds\n  kubectl opm crd diff git:v1.4.0:charts/my-operator charts/my-operator -o json\n  kubectl opm crd diff a.yaml b.yaml --level crd-description-changed=off --explain"
)]
pub struct CrdDiffArgs {
    /// The old side.
    #[arg(value_name = "OLD", required_unless_present = "list_rules")]
    pub old: Option<String>,
    /// The new side.
    #[arg(value_name = "NEW", required_unless_present = "list_rules")]
    pub new: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
    /// Level of a check (`crd-field-removed=warning`, `crd-description-changed=off`);
    /// repeatable, wins over `.opm.yaml`.
    #[arg(long = "level", value_name = "CHECK=LEVEL")]
    pub level: Vec<String>,
    /// Exit 1 when a finding is at or above this level.
    #[arg(long = "fail-on", value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Add the remediation of each check (conversion webhook, new version, deprecation…).
    #[arg(long)]
    pub explain: bool,
    /// Only report breaking changes.
    #[arg(long = "breaking-only")]
    pub breaking_only: bool,
    /// List the checks with their default levels and exit.
    #[arg(long = "list-rules")]
    pub list_rules: bool,
    /// Configuration file (default: the nearest `.opm.yaml`, section `crdDiff`).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore `.opm.yaml`.
    #[arg(long = "no-config")]
    pub no_config: bool,
    /// Release name used when rendering chart inputs.
    #[arg(long = "release-name", default_value = "release-name")]
    pub release_name: String,
    /// Namespace used when rendering chart inputs.
    #[arg(short = 'n', long, env = "HELM_NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// Values files for chart inputs (both sides), merged left to right.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    #[command(flatten)]
    pub sets: super::values::SetArgs,
    /// Kubernetes version for `.Capabilities.KubeVersion` when rendering charts.
    #[arg(long = "kube-version", value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions` when rendering charts.
    #[arg(
        short = 'a',
        long = "api-versions",
        value_name = "VERSION",
        value_delimiter = ','
    )]
    pub api_versions: Vec<String>,
    /// With a `cluster:` OLD side: validate every stored custom resource of the compared
    /// CRDs against NEW's schema and report those it would reject.
    #[arg(long = "check-instances")]
    pub check_instances: bool,
    /// With a `cluster:` side: compare every CRD of the cluster, not only those the other
    /// side defines.
    #[arg(long = "all")]
    pub all: bool,
    /// Kubeconfig for `cluster:` sides (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context for `cluster:` (default: $HELM_KUBECONTEXT, then the current
    /// context); `cluster:NAME` names it too.
    #[arg(long = "kube-context", visible_alias = "context", value_name = "NAME")]
    pub kube_context: Option<String>,
    /// Time limit of one API request for `cluster:` sides (e.g. 10s).
    #[arg(long = "request-timeout", value_name = "DURATION", value_parser = crate::cluster::config::parse_duration)]
    pub request_timeout: Option<std::time::Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Sarif,
    Junit,
    Github,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Info,
    Warning,
    Error,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Info => Severity::Info,
            FailOn::Warning => Severity::Warning,
            FailOn::Error => Severity::Error,
        }
    }
}

pub fn run(args: CrdArgs) -> Result<i32, Error> {
    match args.command {
        CrdCommand::Diff(args) => run_diff(args),
    }
}

fn run_diff(args: CrdDiffArgs) -> Result<i32, Error> {
    if args.list_rules {
        super::write_stdout(list_rules().as_bytes());
        return Ok(0);
    }
    let (Some(old), Some(new)) = (args.old.clone(), args.new.clone()) else {
        return Err(Error::Usage("crd diff needs OLD and NEW".to_string()));
    };
    let mut levels = Levels::default();
    let config = match (&args.config, args.no_config) {
        (Some(path), _) => Some(path.clone()),
        (None, true) => None,
        (None, false) => std::env::current_dir().ok().and_then(|d| find_config(&d)),
    };
    if let Some(path) = config {
        apply_config(&path, &mut levels)?;
    }
    for flag in &args.level {
        levels.set_flag(flag).map_err(Error::Usage)?;
    }
    let req = DiffRequest {
        old,
        new,
        chart: ChartOptions {
            release_name: args.release_name.clone(),
            namespace: args.namespace.clone(),
            values: args.sets.options(args.values.clone()),
            kube_version: args.kube_version.clone(),
            api_versions: args.api_versions.clone(),
        },
        levels,
        explain: args.explain,
        breaking_only: args.breaking_only,
    };
    if crate::crd::source::cluster_spec(&req.old).is_some()
        || crate::crd::source::cluster_spec(&req.new).is_some()
    {
        let (outcome, target) = super::crd_live::diff(&args, &req)?;
        let fail_on = Severity::from(args.fail_on);
        let text = write_report(args.output, &outcome, fail_on, target);
        super::write_stdout(text.as_bytes());
        return Ok(if outcome.fails(fail_on) { 1 } else { 0 });
    }
    if args.check_instances {
        return Err(Error::Usage(
            "--check-instances needs a cluster: side (crd diff cluster: NEW --check-instances)"
                .to_string(),
        ));
    }
    let (old, new) = load_both(&req)?;
    let outcome = diff_loaded(&old, &new, &req);
    let fail_on = Severity::from(args.fail_on);
    let text = write_report(
        args.output,
        &outcome,
        fail_on,
        format!("{} → {}", req.old, req.new),
    );
    super::write_stdout(text.as_bytes());
    let code = if outcome.fails(fail_on) { 1 } else { 0 };
    // The process ends right after this; freeing schema trees of tens of thousands of
    // nodes would only add to its run time.
    std::mem::forget((old, new, outcome));
    Ok(code)
}

/// `--list-rules`: one line per check.
fn list_rules() -> String {
    let mut out =
        String::from("CHECK                                   BREAKING  LEVEL    SUMMARY\n");
    for meta in RULES {
        let (breaking, level) = match meta.breaking {
            Breaking::Always => ("yes", "error".to_string()),
            Breaking::Never => ("no", meta.safe_level.to_string()),
            Breaking::Depends => ("depends", format!("error/{}", meta.safe_level)),
        };
        out.push_str(&format!(
            "{:<39} {:<9} {:<8} {}\n",
            meta.id, breaking, level, meta.summary
        ));
    }
    out
}

fn write_report(
    format: ReportFormat,
    outcome: &DiffOutcome,
    fail_on: Severity,
    target: String,
) -> String {
    let meta = ReportMeta {
        fail_on,
        color: format == ReportFormat::Text && use_color(),
        rules: RULES
            .iter()
            .map(|m| RuleInfo {
                id: m.id.to_string(),
                family: "crd-diff".to_string(),
                severity: match m.breaking {
                    Breaking::Never => m.safe_level,
                    _ => Severity::Error,
                },
                summary: m.summary.to_string(),
                doc: format!("{}\n\n## Fix\n\n{}", m.summary, m.remediation),
                docs_url: docs_url(m.id),
            })
            .collect(),
        targets: vec![target],
        ..ReportMeta::default()
    };
    let format = match format {
        ReportFormat::Text => Format::Text,
        ReportFormat::Json => Format::Json,
        ReportFormat::Sarif => Format::Sarif,
        ReportFormat::Junit => Format::Junit,
        ReportFormat::Github => Format::Github,
        ReportFormat::Markdown => Format::Markdown,
    };
    // JSON keeps `"field": ""` for version-level findings (consumers key on it); the
    // formats for people show no empty field.
    let mut text = if format == Format::Json {
        write(format, &outcome.diagnostics, &meta)
    } else {
        let shown: Vec<_> = outcome
            .diagnostics
            .iter()
            .cloned()
            .map(|mut d| {
                if d.field.as_deref() == Some("") {
                    d.field = None;
                }
                d
            })
            .collect();
        write(format, &shown, &meta)
    };
    if format == Format::Text {
        let breaking = outcome
            .diagnostics
            .iter()
            .filter(|d| d.breaking == Some(true))
            .count();
        text.push_str(&format!("{breaking} breaking change(s)\n"));
    }
    text
}

/// Colour for people at a terminal, never when `NO_COLOR` is set (no-color.org).
fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
