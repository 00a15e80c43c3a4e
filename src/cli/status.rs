//! `kubectl opm status [RELEASE]`: flags and wiring; the work is [`crate::live::gather`]
//! and the output [`crate::live::status`].

use std::path::PathBuf;

use crate::cluster::{connect, for_each_target, resolve_targets, ClusterArgs, ClusterEnv};
use crate::crd::source::{load_source, ChartOptions};
use crate::error::Error;
use crate::live::gather::{context_status, StatusQuery};
use crate::live::status::{write, StatusFormat, StatusReport};

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Show what is deployed where. With RELEASE: per context, the release's chart \
and app version, revision, status and update time; the chart's CRD versions against the \
cluster's (served, storage, status.storedVersions); the pods of its controllers (ready, \
restarts); the endpoints behind its webhooks; the kubectl-opm/* rollout annotations and the \
rollout state. Without RELEASE: every release, like `helm list`, per context. Contexts are \
queried concurrently (--parallel). A context that cannot be read shows its error; the exit \
code is then 3.",
    after_help = "Examples:\n  kubectl opm status my-operator -n ops\n  kubectl opm status my-operator --context prod-eu,prod-us -o wide\n  kubectl opm status --all-contexts -A --parallel 16 -o json"
)]
pub struct StatusArgs {
    /// The release; without it every release is listed.
    #[arg(value_name = "RELEASE")]
    pub release: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// List releases of every namespace (without RELEASE).
    #[arg(short = 'A', long = "all-namespaces", conflicts_with = "release")]
    pub all_namespaces: bool,
    /// Compare the cluster's CRDs with this chart's (directory, .tgz or CRD files) instead
    /// of the chart stored in the release.
    #[arg(long, value_name = "PATH", requires = "release")]
    pub chart: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = StatusFormat::Text)]
    pub output: StatusFormat,
}

pub fn run(args: StatusArgs) -> Result<i32, Error> {
    let chart_crds = match &args.chart {
        Some(path) => Some(load_source(
            &path.display().to_string(),
            &ChartOptions {
                release_name: args.release.clone().unwrap_or_default(),
                namespace: args.cluster.namespace.clone().unwrap_or_default(),
                ..ChartOptions::default()
            },
        )?),
        None => None,
    };
    let query = StatusQuery {
        release: args.release.clone(),
        all_namespaces: args.all_namespaces,
        chart_crds,
    };
    let rt = crate::live::runtime()?;
    let report = rt.block_on(async {
        let targets = resolve_targets(&args.cluster, &ClusterEnv::from_process()).await?;
        let contexts = for_each_target(&targets, args.cluster.parallel, |t| {
            let query = &query;
            async move {
                match connect(t) {
                    Ok(cluster) => context_status(&cluster, query).await,
                    Err(e) => crate::live::status::ContextStatus {
                        context: t.context.clone(),
                        error: Some(e.to_string()),
                        exit_code: Some(e.exit_code()),
                        releases: Vec::new(),
                    },
                }
            }
        })
        .await;
        Ok::<_, Error>(StatusReport { contexts })
    })?;
    super::write_stdout(write(&report, args.output, args.release.is_some()).as_bytes());
    let code = report.exit_code();
    if code != 0 {
        return Ok(code);
    }
    if let Some(name) = &args.release {
        if report.contexts.iter().all(|c| c.releases.is_empty()) {
            eprintln!(
                "Error: release {name:?} not found in {} (looked in namespace {} of {})",
                if report.contexts.len() == 1 {
                    "the cluster".to_string()
                } else {
                    format!("any of the {} contexts", report.contexts.len())
                },
                args.cluster
                    .namespace
                    .clone()
                    .unwrap_or_else(|| "the context's default".to_string()),
                report
                    .contexts
                    .iter()
                    .map(|c| c.context.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return Ok(2);
        }
    }
    Ok(0)
}
