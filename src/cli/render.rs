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
    /// Release name from a Go template with Sprig's functions, when NAME is not given
    /// (e.g. `{{ randAlpha 5 | lower }}`).
    #[arg(long = "name-template", value_name = "TEMPLATE")]
    pub name_template: Option<String>,
    /// Accepted for helm compatibility: without NAME the release is `release-name`, as with
    /// `helm template` (an error with NAME).
    #[arg(short = 'g', long = "generate-name")]
    pub generate_name: bool,
    /// With --output-dir, write the templates under `DIR/<release name>/`.
    #[arg(long = "release-name")]
    pub use_release_name: bool,
    /// Do not validate values against the charts' `values.schema.json`.
    #[arg(long = "skip-schema-validation")]
    pub skip_schema_validation: bool,
    /// Let `getHostByName` resolve names (without it, it returns "", as in Helm).
    #[arg(long = "enable-dns")]
    pub enable_dns: bool,
    /// When the rendered output is not valid YAML, print every rendered file before the
    /// error, to find the broken document.
    #[arg(long)]
    pub debug: bool,
    /// Accepted for helm compatibility; notes are never printed by render.
    #[arg(long = "hide-notes")]
    pub hide_notes: bool,
    /// Accepted for helm compatibility: every chart's NOTES.txt is rendered (so its errors
    /// are reported) and none is printed.
    #[arg(long = "render-subchart-notes")]
    pub render_subchart_notes: bool,
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
            [chart] => match self.name_template.as_deref().filter(|t| !t.is_empty()) {
                Some(template) => (name_from_template(template)?, chart.clone()),
                None => ("release-name".to_string(), chart.clone()),
            },
            [name, chart] => {
                if self.generate_name {
                    return Err(Error::Usage(
                        "cannot set --generate-name and also specify a name".to_string(),
                    ));
                }
                if self.name_template.as_deref().is_some_and(|t| !t.is_empty()) {
                    return Err(Error::Usage(
                        "cannot set --name-template and also specify a name".to_string(),
                    ));
                }
                (name.clone(), chart.clone())
            }
            _ => return Err(Error::Usage("expected [NAME] CHART".to_string())),
        };
        check_release_name(&name)?;
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
            skip_schema_validation: self.skip_schema_validation,
            enable_dns: self.enable_dns,
        })
    }
}

/// Helm's `--name-template`: the template runs with Sprig's functions (not Helm's own) and
/// no data.
fn name_from_template(source: &str) -> Result<String, Error> {
    use crate::template::funcs::{sprig_a, sprig_b};
    let mut funcs = crate::template::FuncMap::new();
    sprig_a::register_sprig_a(&mut funcs);
    sprig_b::register_sprig_b(&mut funcs);
    let mut set = crate::template::TemplateSet::new(funcs);
    set.add("name-template", source)
        .map_err(|e| Error::Usage(e.to_string()))?;
    set.execute("name-template", &crate::template::Value::Nil)
        .map_err(|e| Error::Usage(e.to_string()))
}

/// Helm's release name check: a DNS subdomain of lowercase letters, digits, `-` and `.`,
/// at most 53 characters.
fn check_release_name(name: &str) -> Result<(), Error> {
    let label_ok = |label: &str| {
        let bytes = label.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        match (bytes.first(), bytes.last()) {
            (Some(first), Some(last)) => {
                alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
            }
            _ => false,
        }
    };
    let problem = if name.is_empty() {
        "no name provided"
    } else if name.len() > 53 || !name.split('.').all(label_ok) {
        "invalid release name, must match regex ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ and the length must not be longer than 53"
    } else {
        return Ok(());
    };
    Err(Error::Usage(format!(
        "release name check failed: release name {}: {problem}",
        crate::template::gofmt::quote(name)
    )))
}

pub fn run(args: RenderArgs) -> Result<i32, Error> {
    let base = args.request()?;
    if args.cluster {
        return run_cluster(&args, base);
    }
    let Some(matrix) = &args.values_matrix else {
        let (chart, result) = match command::render(&base) {
            Ok(done) => done,
            // Like `helm template --debug`: the rendered files, then the error.
            Err(Error::RenderedYaml { error, rendered }) if args.debug => {
                let mut text = rendered.trim().to_string();
                text.push('\n');
                super::write_stdout(text.as_bytes());
                return Err(Error::Render(error));
            }
            Err(e) => return Err(e),
        };
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
        let written = command::write_output_dir(&dir, req, result, args.use_release_name)?;
        let mut out = String::new();
        for path in written {
            out.push_str(&format!("wrote {path}\n"));
        }
        // Helm then prints the (empty) manifest text: a blank line.
        out.push('\n');
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
