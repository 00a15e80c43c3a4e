//! `kubectl opm create NAME`: scaffold an operator chart (see `crate::scaffold`).

use std::path::PathBuf;

use crate::error::Error;
use crate::scaffold::{self, CreateOptions, Scope};

#[derive(Debug, clap::Args)]
// `--version` is the chart version here, as in `helm create`/`helm package`.
#[command(
    disable_version_flag = true,
    about = "Create an operator chart that passes every lint rule from the start",
    long_about = "Create an operator Helm chart: CRDs as templates with crds.install/crds.keep \
toggles, least-privilege RBAC derived from the CRDs, leader election, probes, the restricted \
security context, a PodDisruptionBudget, a NetworkPolicy, ci/ values files, a values schema, \
a helm test and a README with its values table. Optional admission webhooks (with cert-manager) \
and monitoring (ServiceMonitor, PrometheusRule).",
    after_help = "Examples:\n  kubectl opm create widget-operator\n  kubectl opm create widget-operator --crd-dir config/crd/bases --webhooks --metrics\n  kubectl opm create team-operator --namespaced -o charts/"
)]
pub struct CreateArgs {
    /// Chart name: lowercase letters, digits and '-', starting with a letter.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Directory of existing CustomResourceDefinition YAML files to ship and derive RBAC from
    /// (default: one sample CRD named after the chart).
    #[arg(long = "crd-dir", value_name = "DIR")]
    pub crd_dir: Option<PathBuf>,
    /// API group of the sample CRD (default: NAME.example.com); not with --crd-dir.
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Add validating and mutating webhooks with a cert-manager Issuer and Certificate.
    #[arg(long)]
    pub webhooks: bool,
    /// Add a metrics Service, ServiceMonitor and PrometheusRule.
    #[arg(long)]
    pub metrics: bool,
    /// The operator watches only its release namespace (Role and RoleBinding).
    #[arg(long, conflicts_with = "cluster_scoped")]
    pub namespaced: bool,
    /// The operator watches the whole cluster (ClusterRole and ClusterRoleBinding; default).
    #[arg(long = "cluster-scoped")]
    pub cluster_scoped: bool,
    /// Directory to create the chart in (the chart is OUTPUT_DIR/NAME).
    #[arg(
        short = 'o',
        long = "output-dir",
        value_name = "DIR",
        default_value = "."
    )]
    pub output_dir: PathBuf,
    /// Replace an existing chart directory.
    #[arg(long)]
    pub force: bool,
    /// The chart's appVersion (also the default image tag).
    #[arg(long = "app-version", value_name = "VERSION", default_value = "0.1.0")]
    pub app_version: String,
    /// The chart's version (SemVer 2).
    #[arg(long = "version", value_name = "VERSION", default_value = "0.1.0")]
    pub version: String,
}

/// Run `create`; prints the chart directory.
pub fn run(args: CreateArgs) -> Result<i32, Error> {
    let opts = CreateOptions {
        name: args.name,
        crd_dir: args.crd_dir,
        group: args.group,
        webhooks: args.webhooks,
        metrics: args.metrics,
        scope: if args.namespaced {
            Scope::Namespaced
        } else {
            Scope::Cluster
        },
        version: args.version,
        app_version: args.app_version,
    };
    let dir = scaffold::create(&opts, &args.output_dir, args.force)?;
    super::write_stdout(format!("Created {}\n", dir.display()).as_bytes());
    Ok(0)
}
