//! `kubectl opm render`: flags as `helm template` spells them, plus `--values-matrix` and `-o`.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::render::command::{self, RenderRequest};

#[derive(Debug, clap::Args)]
#[command(
    about = "Render a chart like `helm template`, without a helm binary",
    // Like Helm's flags (pflag), a repeated single-value flag takes the last value.
    args_override_self = true,
    long_about = "Render a chart like `helm template [NAME] CHART`: the same documents, in the \
same order (Helm 4's), with the same `# Source:` comments. CHART is a chart directory or a \
packaged .tgz. NAME defaults to `release-name`, as in Helm.",
    after_help = "Examples:\n  kubectl opm render ./charts/my-operator\n  kubectl opm render prod ./charts/my-operator -n ops -f values-prod.yaml --set replicas=2\n  kubectl opm render ./charts/my-operator --values-matrix   # every ci/*-values.yaml and values-*.yaml"
)]
pub struct RenderArgs {
    /// Release name and chart (`[NAME] CHART`).
    #[arg(value_name = "NAME|CHART", num_args = 1..=2, required = true)]
    pub args: Vec<String>,
    /// Namespace of the release (`.Release.Namespace`).
    #[arg(short = 'n', long, env = "HELM_NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// Values files, merged left to right (`-` reads standard input).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    #[command(flatten)]
    pub sets: super::values::SetArgs,
    /// Kubernetes version for `.Capabilities.KubeVersion` (default: Helm 4.1's, v1.35.0).
    #[arg(long = "kube-version", value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions` (repeatable, comma-separated).
    #[arg(
        short = 'a',
        long = "api-versions",
        value_name = "VERSION",
        value_delimiter = ','
    )]
    pub api_versions: Vec<String>,
    /// Include the chart's `crds/` files in the output.
    #[arg(long = "include-crds")]
    pub include_crds: bool,
    /// Accepted for helm compatibility: `crds/` files are not printed unless --include-crds.
    #[arg(long = "skip-crds")]
    pub skip_crds: bool,
    /// Only print documents from these templates (`templates/x.yaml`, globs allowed).
    #[arg(short = 's', long = "show-only", value_name = "TEMPLATE")]
    pub show_only: Vec<String>,
    /// Set `.Release.IsUpgrade` instead of `.Release.IsInstall`.
    #[arg(long = "is-upgrade")]
    pub is_upgrade: bool,
    /// Leave out test hooks.
    #[arg(long = "skip-tests")]
    pub skip_tests: bool,
    /// Leave out hooks.
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// Write each template's documents to files under this directory instead of stdout.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Fail on missing values (`missingkey=error`) instead of rendering them empty.
    #[arg(long)]
    pub strict: bool,
    /// Render once per values file of the chart's matrix: `ci/*-values.yaml` and
    /// `values-*.yaml`, or the files matching GLOB (relative to the chart).
    #[arg(long = "values-matrix", value_name = "GLOB", num_args = 0..=1, default_missing_value = "")]
    pub values_matrix: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = RenderFormat::Yaml)]
    pub output: RenderFormat,
    /// Ask the cluster: `lookup` returns live objects, `.Capabilities` has the cluster's
    /// version (unless --kube-version) and API versions, as with `helm install --dry-run=server`.
    #[arg(long, conflicts_with = "values_matrix")]
    pub cluster: bool,
    /// Kubeconfig for --cluster (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH", requires = "cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context for --cluster (default: $HELM_KUBECONTEXT, then the current one).
    #[arg(long = "kube-context", value_name = "NAME", requires = "cluster")]
    pub kube_context: Option<String>,
    /// Time limit of one API request for --cluster (e.g. 10s).
    #[arg(long = "request-timeout", value_name = "DURATION", requires = "cluster",
          value_parser = crate::cluster::config::parse_duration)]
    pub request_timeout: Option<std::time::Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RenderFormat {
    /// Exactly what `helm template` prints.
    Yaml,
    /// A JSON list of objects (`{"apiVersion":"v1","kind":"List","items":[…]}`).
    Json,
}

impl RenderArgs {
    fn request(&self) -> Result<RenderRequest, Error> {
        let (name, chart) = match self.args.as_slice() {
            [chart] => ("release-name".to_string(), chart.clone()),
            [name, chart] => (name.clone(), chart.clone()),
            _ => return Err(Error::Usage("expected [NAME] CHART".to_string())),
        };
        Ok(RenderRequest {
            release_name: name,
            chart: PathBuf::from(chart),
            namespace: self.namespace.clone(),
            values: self.sets.options(self.values.clone()),
            kube_version: self.kube_version.clone(),
            api_versions: self.api_versions.clone(),
            include_crds: self.include_crds,
            skip_tests: self.skip_tests,
            no_hooks: self.no_hooks,
            is_upgrade: self.is_upgrade,
            show_only: self.show_only.clone(),
            strict: self.strict,
        })
    }
}

pub fn run(args: RenderArgs) -> Result<i32, Error> {
    let base = args.request()?;
    if args.cluster {
        return run_cluster(&args, base);
    }
    let Some(matrix) = &args.values_matrix else {
        let (chart, result) = command::render(&base)?;
        if args.output_dir.is_none() && matches!(args.output, RenderFormat::Yaml) {
            // The common case: print the text as it is (megabytes for CRD charts).
            let mut stdout = std::io::stdout().lock();
            let _ = result.write_text(&mut stdout);
        } else {
            super::write_stdout(emit(&args, &base, &result, None)?.as_bytes());
        }
        // The loaded chart (every file of it) and the documents are freed by the exit.
        crate::render::teardown::release((chart, result));
        return Ok(0);
    };
    let entries = command::matrix_entries(&base.chart, matrix)?;
    let outputs = command::render_matrix(&base, &entries, |result, entry| {
        emit(&args, &base, result, Some(entry))
    });
    let mut failed = None;
    for (entry, output) in entries.iter().zip(outputs) {
        match output {
            Ok(text) => super::write_stdout(text.as_bytes()),
            Err(err) => {
                eprintln!("{}: {}", entry.display(), format_error(&err));
                failed.get_or_insert(err.exit_code());
            }
        }
    }
    Ok(failed.unwrap_or(0))
}

/// `render --cluster`: the cluster answers `lookup` and `.Capabilities`.
fn run_cluster(args: &RenderArgs, mut base: RenderRequest) -> Result<i32, Error> {
    let cluster_args = crate::cluster::ClusterArgs {
        kubeconfig: args.kubeconfig.clone(),
        contexts: args.kube_context.iter().cloned().collect(),
        parallel: 1,
        request_timeout: args.request_timeout,
        ..crate::cluster::ClusterArgs::default()
    };
    let rt = crate::live::runtime()?;
    let ctx = rt.block_on(async {
        let env = crate::cluster::ClusterEnv::from_process();
        let targets = crate::cluster::resolve_targets(&cluster_args, &env).await?;
        let target = targets
            .first()
            .ok_or_else(|| crate::cluster::ClusterError::Config {
                message: "no kubeconfig context to use".to_string(),
            })?;
        let cluster = crate::cluster::connect(target)?;
        crate::live::hooks::render_context(&cluster, tokio::runtime::Handle::current())
            .await
            .map_err(Error::from)
    })?;
    if base.kube_version.is_none() && !ctx.kube_version.is_empty() {
        base.kube_version = Some(ctx.kube_version.clone());
    }
    // The render runs on this thread; each lookup blocks on the runtime.
    let (_, result) = command::render_with(&base, Some(&ctx.hooks))?;
    super::write_stdout(emit(args, &base, &result, None)?.as_bytes());
    drop(ctx);
    rt.shutdown_background();
    Ok(0)
}

/// Turn one render into what goes to stdout (or into files, with `--output-dir`).
fn emit(
    args: &RenderArgs,
    req: &RenderRequest,
    result: &command::RenderResult,
    matrix_entry: Option<&Path>,
) -> Result<String, Error> {
    if let Some(dir) = &args.output_dir {
        let dir = match matrix_entry {
            Some(entry) => dir.join(command::matrix_label(entry)),
            None => dir.clone(),
        };
        let written = command::write_output_dir(&dir, req, result)?;
        let mut out = String::new();
        for path in written {
            out.push_str(&format!("wrote {}\n", path.display()));
        }
        return Ok(out);
    }
    Ok(match args.output {
        RenderFormat::Yaml => {
            let mut text = String::new();
            if let Some(entry) = matrix_entry {
                text.push_str(&format!("# kubectl-opm values: {}\n", entry.display()));
            }
            text.push_str(&result.text());
            text
        }
        RenderFormat::Json => command::json_list(result, matrix_entry),
    })
}

/// Format an error for people: `Error: …` plus the source frame where we have one.
pub fn format_error(err: &Error) -> String {
    format!("Error: {err}")
}
