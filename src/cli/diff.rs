//! `kubectl opm diff upgrade RELEASE CHART`: flags (helm-diff's names) and wiring; the
//! work is [`crate::live::upgrade`] and [`crate::live::objdiff`].

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crate::cluster::{
    config::parse_duration, connect, resolve_targets, ClusterArgs, ClusterEnv, ClusterError,
};
use crate::error::Error;
use crate::live::objdiff::{self, DiffOptions, TextOptions};
use crate::live::upgrade::{render_new, stored_objects, UpgradeRender};

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    #[command(subcommand)]
    pub command: DiffCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum DiffCommand {
    /// Show what `helm upgrade RELEASE CHART` would change, object by object.
    Upgrade(Box<DiffUpgradeArgs>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Render CHART as `helm upgrade RELEASE CHART` would (the release's name and \
namespace, .Release.IsUpgrade, the next revision, lookup and .Capabilities from the cluster, \
the release's values unless values are given or --reset-values) and compare it, object by \
object, with the manifest and hooks stored in the deployed revision. Objects are paired by \
group, kind, namespace and name. Secret values are never printed: each data/stringData key \
shows whether it changed and its length. Exit code 0 (1 with --detailed-exitcode when \
something changes), 2 when the release does not exist or the chart is bad, 3 when the \
cluster cannot be reached.",
    after_help = "Examples:\n  kubectl opm diff upgrade my-operator ./charts/my-operator -n ops -f prod.yaml\n  kubectl opm diff upgrade my-operator ./charts/my-operator --context 3 --detailed-exitcode\n  kubectl opm diff upgrade my-operator ./charts/my-operator -o json | jq '.summary'"
)]
pub struct DiffUpgradeArgs {
    /// The installed release.
    #[arg(value_name = "RELEASE")]
    pub release: String,
    /// The chart to upgrade to (directory or .tgz).
    #[arg(value_name = "CHART")]
    pub chart: PathBuf,
    /// Values files, merged left to right.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    #[command(flatten)]
    pub sets: super::values::SetArgs,
    /// Start from the release's values and merge the given ones over them.
    #[arg(long = "reuse-values", conflicts_with = "reset_values")]
    pub reuse_values: bool,
    /// Use only the chart's defaults and the given values.
    #[arg(long = "reset-values")]
    pub reset_values: bool,
    /// Kubernetes version for `.Capabilities.KubeVersion` (default: the cluster's).
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
    /// Lines of context around each change (default: whole objects).
    #[arg(short = 'C', long = "context", value_name = "N")]
    pub context: Option<usize>,
    /// Exit 1 when anything would change.
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
    /// Leave hooks out of the comparison.
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// Compare test hooks too (left out by default).
    #[arg(long = "include-tests")]
    pub include_tests: bool,
    /// Compare normalised YAML (sorted keys, no comments or formatting).
    #[arg(long = "normalize-manifests")]
    pub normalize_manifests: bool,
    /// Leave objects of these kinds out (repeatable).
    #[arg(long = "suppress", value_name = "KIND")]
    pub suppress: Vec<String>,
    /// Treat a release that does not exist as a new install (every object added).
    #[arg(long = "allow-unreleased")]
    pub allow_unreleased: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = DiffFormat::Text)]
    pub output: DiffFormat,
    /// Colour the diff: on a terminal (auto), always or never.
    #[arg(long = "color", value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// Same as --color never.
    #[arg(long = "no-color")]
    pub no_color: bool,
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: $HELM_KUBECONTEXT, then the current context).
    #[arg(long = "kube-context", value_name = "NAME")]
    pub kube_context: Option<String>,
    /// Namespace of the release (default: $HELM_NAMESPACE, then the context's).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Time limit of one API request (e.g. 10s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub request_timeout: Option<Duration>,
}

pub fn run(args: DiffArgs) -> Result<i32, Error> {
    match args.command {
        DiffCommand::Upgrade(a) => run_upgrade(*a),
    }
}

fn use_color(when: ColorWhen, no_color: bool) -> bool {
    if no_color {
        return false;
    }
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn run_upgrade(args: DiffUpgradeArgs) -> Result<i32, Error> {
    let cluster_args = ClusterArgs {
        kubeconfig: args.kubeconfig.clone(),
        contexts: args.kube_context.iter().cloned().collect(),
        namespace: args.namespace.clone(),
        parallel: 1,
        request_timeout: args.request_timeout,
        ..ClusterArgs::default()
    };
    let rt = crate::live::runtime()?;
    let (cluster, stored, ctx) = rt.block_on(async {
        let targets = resolve_targets(&cluster_args, &ClusterEnv::from_process()).await?;
        let target = targets.first().ok_or_else(|| ClusterError::Config {
            message: "no kubeconfig context to use".to_string(),
        })?;
        let cluster = connect(target)?;
        let stored = cluster
            .releases()
            .deployed(&cluster.namespace, &args.release)
            .await?;
        let ctx =
            crate::live::hooks::render_context(&cluster, tokio::runtime::Handle::current()).await?;
        Ok::<_, Error>((cluster, stored, ctx))
    })?;
    if stored.is_none() && !args.allow_unreleased {
        return Err(Error::Usage(format!(
            "release {:?} has no deployed revision in namespace {} of context {:?} (use \
             --allow-unreleased to diff a first install)",
            args.release, cluster.namespace, cluster.context
        )));
    }
    let render = UpgradeRender {
        chart: args.chart.clone(),
        values: args.sets.options(args.values.clone()),
        reuse_values: args.reuse_values,
        reset_values: args.reset_values,
        kube_version: args.kube_version.clone().or(Some(ctx.kube_version.clone())),
        api_versions: args.api_versions.clone(),
        normalize: args.normalize_manifests,
    };
    let old = match &stored {
        Some(s) => stored_objects(s, args.normalize_manifests)?,
        None => Vec::new(),
    };
    let namespace = stored
        .as_ref()
        .map(crate::live::upgrade::release_namespace)
        .unwrap_or_else(|| cluster.namespace.clone());
    // The render runs here, on the command's thread; its lookups block on the runtime.
    let new = render_new(
        &render,
        &args.release,
        &namespace,
        stored.as_ref(),
        Some(&ctx.hooks),
    )?;
    let suppressed = |d: &objdiff::ObjectDoc| args.suppress.iter().any(|k| k == &d.kind);
    let old: Vec<_> = old.into_iter().filter(|d| !suppressed(d)).collect();
    let new: Vec<_> = new.into_iter().filter(|d| !suppressed(d)).collect();
    let changes = objdiff::compare(
        &old,
        &new,
        DiffOptions {
            no_hooks: args.no_hooks,
            include_tests: args.include_tests,
        },
    );
    let text = match args.output {
        DiffFormat::Json => {
            let mut s = serde_json::to_string_pretty(&objdiff::to_json_report(
                &args.release,
                &namespace,
                &changes,
                args.context,
            ))
            .unwrap_or_default();
            s.push('\n');
            s
        }
        DiffFormat::Text => objdiff::write_text(
            &changes,
            TextOptions {
                context: args.context,
                color: use_color(args.color, args.no_color),
            },
        ),
    };
    super::write_stdout(text.as_bytes());
    drop(ctx);
    rt.shutdown_background();
    Ok(if args.detailed_exitcode && !changes.is_empty() {
        1
    } else {
        0
    })
}
