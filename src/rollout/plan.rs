//! The rollout plan file, `opm-rollout.yaml`: which release and chart go to which clusters
//! (kube contexts), with which strategy, health gates, rollback policy and approvals.
//!
//! The file is read into [`PlanFile`] (the file as written, with positions, and the source
//! of the published JSON Schema) and validated into a [`Plan`] (durations parsed, defaults
//! filled in, cluster order resolved). Every validation error names the file, line and
//! column of the offending value, and nothing outside the process is touched before the
//! plan is valid.
//!
//! ```yaml
//! release: cert-operator
//! namespace: operators
//! chart: ./charts/cert-operator      # or oci://…, repo/chart
//! version: 1.4.0
//! valuesFiles: [values.yaml]
//! values:
//!   prod: [values-prod.yaml]
//! clusters:
//!   - context: dev-1
//!     environment: dev
//!   - context: prod-eu
//!     environment: prod
//! strategy: Canary
//! canary:
//!   initialPercentage: 10
//!   incrementPercentage: 20
//!   evaluationPeriod: PT5M
//!   successThreshold: 0.95
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_saphyr::Spanned;
use sha2::{Digest, Sha256};

use super::duration::{format_duration, parse_duration};

/// The conventional plan file name.
pub const PLAN_FILE: &str = "opm-rollout.yaml";

/// Why a plan cannot be used (exit 2; nothing has been touched).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: u64,
        column: u64,
        message: String,
    },
}

/// A cluster environment. Order matters: rollouts go dev → staging → prod.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Dev,
    Staging,
    Prod,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Staging => "staging",
            Environment::Prod => "prod",
        }
    }
}

impl std::fmt::Display for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The strategies, as spelled in the plan file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum StrategyKind {
    Canary,
    BlueGreen,
    Rolling,
    Direct,
}

impl StrategyKind {
    pub const ALL: [StrategyKind; 4] = [
        StrategyKind::Canary,
        StrategyKind::BlueGreen,
        StrategyKind::Rolling,
        StrategyKind::Direct,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StrategyKind::Canary => "Canary",
            StrategyKind::BlueGreen => "BlueGreen",
            StrategyKind::Rolling => "Rolling",
            StrategyKind::Direct => "Direct",
        }
    }

    fn parse(text: &str) -> Option<StrategyKind> {
        StrategyKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(text))
    }
}

impl std::fmt::Display for StrategyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `opm-rollout.yaml` as written. Durations are strings (`5m`, `1h30m`, `PT5M`, `P1D`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "kubectl-opm rollout plan (opm-rollout.yaml)")]
pub struct PlanFile {
    /// Helm release name.
    #[schemars(with = "String")]
    pub release: Spanned<String>,
    /// Namespace of the release (and of its rollout state ConfigMap and Lease).
    #[schemars(with = "String")]
    pub namespace: Spanned<String>,
    /// The chart: a local directory or `.tgz` (relative to the plan file), or a repository
    /// reference (`oci://registry/charts/name`, `repo/name`) that helm can install.
    #[schemars(with = "String")]
    pub chart: Spanned<String>,
    /// Chart version (`helm --version`); required for repository references.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub version: Option<Spanned<String>>,
    /// Values files used in every environment, in order (relative to the plan file).
    #[serde(default)]
    pub values_files: Vec<String>,
    /// Values files per environment, applied after `valuesFiles`.
    #[serde(default)]
    pub values: BTreeMap<Environment, Vec<String>>,
    /// Target clusters: each is a kube context with its environment.
    #[schemars(with = "Vec<ClusterEntry>")]
    pub clusters: Spanned<Vec<Spanned<ClusterEntry>>>,
    /// `Canary`, `BlueGreen`, `Rolling` or `Direct`.
    #[schemars(with = "StrategyKind")]
    pub strategy: Spanned<String>,
    /// Settings of the Canary strategy.
    #[serde(default)]
    #[schemars(with = "Option<CanaryEntry>")]
    pub canary: Option<Spanned<CanaryEntry>>,
    /// Settings of the BlueGreen strategy.
    #[serde(default)]
    #[schemars(with = "Option<BlueGreenEntry>")]
    pub blue_green: Option<Spanned<BlueGreenEntry>>,
    /// Settings of the Rolling strategy.
    #[serde(default)]
    #[schemars(with = "Option<RollingEntry>")]
    pub rolling: Option<Spanned<RollingEntry>>,
    /// Settings of the Direct strategy.
    #[serde(default)]
    #[schemars(with = "Option<DirectEntry>")]
    pub direct: Option<Spanned<DirectEntry>>,
    /// Health gate settings.
    #[serde(default)]
    pub health: HealthEntry,
    /// What happens when a cluster fails its health gate.
    #[serde(default)]
    pub rollback: RollbackEntry,
    /// Which stages wait for `kubectl opm rollout approve`.
    #[serde(default)]
    pub approvals: ApprovalsEntry,
}

/// One target cluster.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterEntry {
    /// Kube context name in the kubeconfig; also the cluster's name in the rollout.
    pub context: String,
    /// `dev`, `staging` or `prod`.
    pub environment: Environment,
    /// Install into this namespace instead of the plan's `namespace`.
    #[serde(default)]
    pub namespace: Option<String>,
}

/// Canary: stages by percentage of clusters, dev before staging before prod.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CanaryEntry {
    /// Share of clusters in the first stage, 1–100 (default 10).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub initial_percentage: Option<Spanned<f64>>,
    /// Share of clusters each further stage adds, 1–100 (default 20).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub increment_percentage: Option<Spanned<f64>>,
    /// How long each stage is watched before it passes (default 5m).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub evaluation_period: Option<Spanned<String>>,
    /// Share of healthy checks in the evaluation period a stage needs, 0–1 (default 0.95).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub success_threshold: Option<Spanned<f64>>,
}

/// BlueGreen: install to the green namespace, validate, switch, keep blue for a while.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BlueGreenEntry {
    /// Namespace of the running (blue) release (default: the plan's namespace).
    #[serde(default)]
    pub blue_namespace: Option<String>,
    /// Namespace the new (green) release is installed to (default `<namespace>-green`).
    #[serde(default)]
    pub green_namespace: Option<String>,
    /// How long green is validated before the switch (default 10m).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub validation_period: Option<Spanned<String>>,
    /// Switch as soon as green is healthy (default true); false waits for an approval.
    #[serde(default)]
    pub auto_switch: Option<bool>,
    /// How long blue is kept (scaled to 0) after the switch (default 24h).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub retention: Option<Spanned<String>>,
    /// How long green is watched after the switch (default 5m).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub post_switch_period: Option<Spanned<String>>,
}

/// Rolling: one cluster at a time.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RollingEntry {
    /// Cluster (context) order; clusters not listed follow in plan order by environment.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub cluster_order: Vec<Spanned<String>>,
    /// How long each cluster is validated (default 5m).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub validation_period: Option<Spanned<String>>,
    /// Wait before starting the next cluster (default 0s).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub pause_between_clusters: Option<Spanned<String>>,
}

/// Direct: every cluster at once (refused for prod unless `--force`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DirectEntry {
    /// How many clusters are upgraded at the same time (default 10).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub parallel_clusters: Option<Spanned<u32>>,
    /// Skip the health gate after the upgrade (default false).
    #[serde(default)]
    pub skip_health_checks: Option<bool>,
}

/// Health gate settings (see README "Health checks").
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HealthEntry {
    /// Time between checks (default 30s; `--check-interval` overrides).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub check_interval: Option<Spanned<String>>,
    /// Consecutive failed checks that trigger a rollback (default 3).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub failure_threshold: Option<Spanned<u32>>,
    /// Label selector of the controller pods (default `app.kubernetes.io/instance=<release>`).
    #[serde(default)]
    pub controller_selector: Option<String>,
    /// Restarts within `crashLoopWindow` that count as a crash loop (default 3).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub crash_loop_restarts: Option<Spanned<u32>>,
    /// Window for counting restarts (default 5m).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub crash_loop_window: Option<Spanned<String>>,
    /// How fresh custom resources' status must be, and how long Ready=False may last
    /// (default 5m).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub reconcile_window: Option<Spanned<String>>,
    /// Highest share of custom resources in error, 0–1 (default 0.05).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub max_reconcile_error_rate: Option<Spanned<f64>>,
    /// Slowest acceptable webhook answer (default 1s).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub webhook_timeout: Option<Spanned<String>>,
    /// A webhook certificate expiring sooner than this fails the check (default 24h).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub cert_min_validity: Option<Spanned<String>>,
}

/// Rollback policy.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RollbackEntry {
    /// Roll back automatically when the health gate fails (default true).
    #[serde(default)]
    pub automatic: Option<bool>,
    /// Which clusters go back when one fails: `cluster` (only it), `stage` (its stage),
    /// `all` (every cluster this rollout upgraded; default).
    #[serde(default)]
    pub scope: Option<RollbackScope>,
}

/// Which clusters a failed health gate rolls back.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum RollbackScope {
    Cluster,
    Stage,
    #[default]
    All,
}

/// Approval policy.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApprovalsEntry {
    /// Environments whose stages wait for an approval (default `[prod]`).
    #[serde(default)]
    pub environments: Option<Vec<Environment>>,
}

/// The JSON Schema of the plan file, pretty-printed.
pub fn plan_schema() -> String {
    serde_json::to_string_pretty(&plan_schema_value()).unwrap_or_default() + "\n"
}

/// The JSON Schema of the plan file (`kubectl opm schema plan`).
pub fn plan_schema_value() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(PlanFile)).unwrap_or_default()
}

/// Where the chart comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartRef {
    /// A local chart directory or archive.
    Path(PathBuf),
    /// A reference helm resolves (`oci://…`, `repo/name`).
    Repo(String),
}

impl ChartRef {
    /// The argument given to helm.
    pub fn helm_arg(&self) -> String {
        match self {
            ChartRef::Path(p) => p.display().to_string(),
            ChartRef::Repo(r) => r.clone(),
        }
    }
}

/// One target cluster of a validated plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// The kube context; also the cluster's name in the rollout and its state.
    pub context: String,
    pub environment: Environment,
    /// The namespace the release lives in on this cluster.
    pub namespace: String,
}

/// Canary settings with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Canary {
    pub initial_percentage: f64,
    pub increment_percentage: f64,
    pub evaluation_period: Duration,
    pub success_threshold: f64,
}

impl Default for Canary {
    fn default() -> Self {
        Canary {
            initial_percentage: 10.0,
            increment_percentage: 20.0,
            evaluation_period: Duration::from_secs(300),
            success_threshold: 0.95,
        }
    }
}

/// BlueGreen settings with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct BlueGreen {
    pub blue_namespace: String,
    pub green_namespace: String,
    pub validation_period: Duration,
    pub auto_switch: bool,
    pub retention: Duration,
    pub post_switch_period: Duration,
}

/// Rolling settings with defaults filled in; `cluster_order` names every cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Rolling {
    pub cluster_order: Vec<String>,
    pub validation_period: Duration,
    pub pause_between_clusters: Duration,
}

/// Direct settings with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Direct {
    pub parallel_clusters: usize,
    pub skip_health_checks: bool,
}

/// The strategy and its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    Canary(Canary),
    BlueGreen(BlueGreen),
    Rolling(Rolling),
    Direct(Direct),
}

impl Strategy {
    pub fn kind(&self) -> StrategyKind {
        match self {
            Strategy::Canary(_) => StrategyKind::Canary,
            Strategy::BlueGreen(_) => StrategyKind::BlueGreen,
            Strategy::Rolling(_) => StrategyKind::Rolling,
            Strategy::Direct(_) => StrategyKind::Direct,
        }
    }
}

/// Health gate settings with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSettings {
    pub check_interval: Duration,
    pub failure_threshold: u32,
    pub controller_selector: String,
    pub crash_loop_restarts: u32,
    pub crash_loop_window: Duration,
    pub reconcile_window: Duration,
    pub max_reconcile_error_rate: f64,
    pub webhook_timeout: Duration,
    pub cert_min_validity: Duration,
}

impl HealthSettings {
    /// The defaults for `release`.
    pub fn defaults(release: &str) -> HealthSettings {
        HealthSettings {
            check_interval: Duration::from_secs(30),
            failure_threshold: 3,
            controller_selector: format!("app.kubernetes.io/instance={release}"),
            crash_loop_restarts: 3,
            crash_loop_window: Duration::from_secs(300),
            reconcile_window: Duration::from_secs(300),
            max_reconcile_error_rate: 0.05,
            webhook_timeout: Duration::from_secs(1),
            cert_min_validity: Duration::from_secs(86_400),
        }
    }
}

/// Rollback policy with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackPolicy {
    pub automatic: bool,
    pub scope: RollbackScope,
}

/// A validated plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The plan file as named by the user (for messages).
    pub path: String,
    /// `sha256:<hex>` of the plan file's bytes: a resumed rollout must run the same plan.
    pub digest: String,
    pub release: String,
    pub namespace: String,
    pub chart: ChartRef,
    pub version: Option<String>,
    pub values_files: Vec<PathBuf>,
    pub values: BTreeMap<Environment, Vec<PathBuf>>,
    /// Clusters in plan order.
    pub clusters: Vec<Cluster>,
    pub strategy: Strategy,
    pub health: HealthSettings,
    pub rollback: RollbackPolicy,
    /// Environments whose stages need an approval.
    pub approval_environments: BTreeSet<Environment>,
}

impl Plan {
    /// The cluster named `name`.
    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.context == name)
    }

    /// Values files for a cluster's environment, in the order helm gets them.
    pub fn values_for(&self, env: Environment) -> Vec<PathBuf> {
        let mut files = self.values_files.clone();
        if let Some(more) = self.values.get(&env) {
            files.extend(more.iter().cloned());
        }
        files
    }
}

/// What validation needs to know beyond the file.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Contexts of the kubeconfig; `None` skips the check (no kubeconfig available).
    pub known_contexts: Option<BTreeSet<String>>,
    /// `--force`: allow Direct on prod clusters.
    pub force: bool,
    /// `--check-interval`, overriding `health.checkInterval`.
    pub check_interval: Option<Duration>,
}

/// Read and validate a plan file.
pub fn load_plan(path: &Path, opts: &PlanOptions) -> Result<Plan, PlanError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| PlanError::Read {
        path: shown.clone(),
        message: format!("cannot read the rollout plan: {e}"),
    })?;
    let base = path.parent().unwrap_or(Path::new(""));
    parse_plan(&text, &shown, base, opts)
}

/// Parse and validate plan text; `shown` names the file in messages and relative paths
/// resolve against `base`.
pub fn parse_plan(
    text: &str,
    shown: &str,
    base: &Path,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    let file: PlanFile = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        PlanError::Invalid {
            path: shown.to_string(),
            line,
            column,
            message: first_line(&e.to_string()),
        }
    })?;
    let digest = format!("sha256:{:x}", Sha256::digest(text.as_bytes()));
    Validator { shown, base, opts }.validate(file, digest)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}

struct Validator<'a> {
    shown: &'a str,
    base: &'a Path,
    opts: &'a PlanOptions,
}

impl Validator<'_> {
    fn err<T>(&self, at: &Spanned<T>, message: impl Into<String>) -> PlanError {
        self.err_at(at.referenced, message)
    }

    fn err_at(&self, at: serde_saphyr::Location, message: impl Into<String>) -> PlanError {
        PlanError::Invalid {
            path: self.shown.to_string(),
            line: at.line().max(1),
            column: at.column().max(1),
            message: message.into(),
        }
    }

    fn duration(
        &self,
        value: &Option<Spanned<String>>,
        field: &str,
        default: Duration,
    ) -> Result<Duration, PlanError> {
        match value {
            None => Ok(default),
            Some(v) => parse_duration(&v.value).map_err(|e| self.err(v, format!("{field}: {e}"))),
        }
    }

    fn percentage(
        &self,
        value: &Option<Spanned<f64>>,
        field: &str,
        default: f64,
    ) -> Result<f64, PlanError> {
        match value {
            None => Ok(default),
            Some(v) if v.value > 0.0 && v.value <= 100.0 => Ok(v.value),
            Some(v) => Err(self.err(
                v,
                format!(
                    "{field} is {}: a percentage of clusters must be greater than 0 and at most 100",
                    v.value
                ),
            )),
        }
    }

    fn share(
        &self,
        value: &Option<Spanned<f64>>,
        field: &str,
        default: f64,
    ) -> Result<f64, PlanError> {
        match value {
            None => Ok(default),
            Some(v) if (0.0..=1.0).contains(&v.value) => Ok(v.value),
            Some(v) => Err(self.err(
                v,
                format!(
                    "{field} is {}: it is a share between 0 and 1 (0.95 means 95%)",
                    v.value
                ),
            )),
        }
    }

    fn name(&self, value: &Spanned<String>, field: &str) -> Result<String, PlanError> {
        let v = value.value.trim();
        if v.is_empty() {
            return Err(self.err(value, format!("{field} must not be empty")));
        }
        if !is_dns_label(v) {
            return Err(self.err(
                value,
                format!(
                    "{field} `{v}` is not a valid Kubernetes name (lowercase letters, digits and `-`, at most 53 characters for a release, 63 for a namespace)"
                ),
            ));
        }
        Ok(v.to_string())
    }

    fn validate(&self, f: PlanFile, digest: String) -> Result<Plan, PlanError> {
        let release = self.name(&f.release, "release")?;
        if release.len() > 53 {
            return Err(self.err(
                &f.release,
                "release names are limited to 53 characters by Helm",
            ));
        }
        let namespace = self.name(&f.namespace, "namespace")?;

        let version = f.version.as_ref().map(|v| v.value.trim().to_string());
        let chart = self.chart(&f.chart, version.is_some())?;

        let resolve = |p: &String| self.base.join(p);
        let values_files: Vec<PathBuf> = f.values_files.iter().map(resolve).collect();
        let values: BTreeMap<Environment, Vec<PathBuf>> = f
            .values
            .iter()
            .map(|(env, files)| (*env, files.iter().map(resolve).collect()))
            .collect();

        let clusters = self.clusters(&f, &namespace)?;

        let kind = StrategyKind::parse(f.strategy.value.trim()).ok_or_else(|| {
            self.err(
                &f.strategy,
                format!(
                    "unknown strategy `{}`: use one of Canary, BlueGreen, Rolling, Direct",
                    f.strategy.value
                ),
            )
        })?;
        self.no_foreign_settings(&f, kind)?;
        let strategy = match kind {
            StrategyKind::Canary => {
                let c = f
                    .canary
                    .as_ref()
                    .map(|s| s.value.clone())
                    .unwrap_or_default();
                let d = Canary::default();
                Strategy::Canary(Canary {
                    initial_percentage: self.percentage(
                        &c.initial_percentage,
                        "canary.initialPercentage",
                        d.initial_percentage,
                    )?,
                    increment_percentage: self.percentage(
                        &c.increment_percentage,
                        "canary.incrementPercentage",
                        d.increment_percentage,
                    )?,
                    evaluation_period: self.duration(
                        &c.evaluation_period,
                        "canary.evaluationPeriod",
                        d.evaluation_period,
                    )?,
                    success_threshold: self.share(
                        &c.success_threshold,
                        "canary.successThreshold",
                        d.success_threshold,
                    )?,
                })
            }
            StrategyKind::BlueGreen => {
                let b = f
                    .blue_green
                    .as_ref()
                    .map(|s| s.value.clone())
                    .unwrap_or_default();
                let blue = b
                    .blue_namespace
                    .clone()
                    .unwrap_or_else(|| namespace.clone());
                let green = b
                    .green_namespace
                    .clone()
                    .unwrap_or_else(|| format!("{namespace}-green"));
                let at = f
                    .blue_green
                    .as_ref()
                    .map(|s| s.referenced)
                    .unwrap_or(f.strategy.referenced);
                for (field, ns) in [("blueNamespace", &blue), ("greenNamespace", &green)] {
                    if !is_dns_label(ns) {
                        return Err(self.err_at(
                            at,
                            format!("blueGreen.{field} `{ns}` is not a valid namespace name"),
                        ));
                    }
                }
                if blue == green {
                    return Err(self.err_at(
                        at,
                        format!("blueGreen.blueNamespace and greenNamespace are both `{blue}`: green must be a different namespace"),
                    ));
                }
                Strategy::BlueGreen(BlueGreen {
                    blue_namespace: blue,
                    green_namespace: green,
                    validation_period: self.duration(
                        &b.validation_period,
                        "blueGreen.validationPeriod",
                        Duration::from_secs(600),
                    )?,
                    auto_switch: b.auto_switch.unwrap_or(true),
                    retention: self.duration(
                        &b.retention,
                        "blueGreen.retention",
                        Duration::from_secs(86_400),
                    )?,
                    post_switch_period: self.duration(
                        &b.post_switch_period,
                        "blueGreen.postSwitchPeriod",
                        Duration::from_secs(300),
                    )?,
                })
            }
            StrategyKind::Rolling => {
                let r = f
                    .rolling
                    .as_ref()
                    .map(|s| s.value.clone())
                    .unwrap_or_default();
                Strategy::Rolling(Rolling {
                    cluster_order: self.cluster_order(&r.cluster_order, &clusters)?,
                    validation_period: self.duration(
                        &r.validation_period,
                        "rolling.validationPeriod",
                        Duration::from_secs(300),
                    )?,
                    pause_between_clusters: self.duration(
                        &r.pause_between_clusters,
                        "rolling.pauseBetweenClusters",
                        Duration::ZERO,
                    )?,
                })
            }
            StrategyKind::Direct => {
                let d = f
                    .direct
                    .as_ref()
                    .map(|s| s.value.clone())
                    .unwrap_or_default();
                let parallel = match &d.parallel_clusters {
                    None => 10,
                    Some(p) if p.value >= 1 => p.value as usize,
                    Some(p) => {
                        return Err(self.err(p, "direct.parallelClusters must be at least 1"))
                    }
                };
                if !self.opts.force {
                    if let Some(prod) = clusters.iter().find(|c| c.environment == Environment::Prod)
                    {
                        return Err(self.err(
                            &f.strategy,
                            format!(
                                "strategy Direct upgrades every cluster at once, and `{}` is a prod cluster: use Canary, BlueGreen or Rolling for prod, or pass --force",
                                prod.context
                            ),
                        ));
                    }
                }
                Strategy::Direct(Direct {
                    parallel_clusters: parallel,
                    skip_health_checks: d.skip_health_checks.unwrap_or(false),
                })
            }
        };

        let health = self.health(&f.health, &release)?;
        let rollback = RollbackPolicy {
            automatic: f.rollback.automatic.unwrap_or(true),
            scope: f.rollback.scope.unwrap_or_default(),
        };
        let approval_environments = f
            .approvals
            .environments
            .clone()
            .unwrap_or_else(|| vec![Environment::Prod])
            .into_iter()
            .collect();

        Ok(Plan {
            path: self.shown.to_string(),
            digest,
            release,
            namespace,
            chart,
            version,
            values_files,
            values,
            clusters,
            strategy,
            health,
            rollback,
            approval_environments,
        })
    }

    fn chart(&self, chart: &Spanned<String>, has_version: bool) -> Result<ChartRef, PlanError> {
        let c = chart.value.trim();
        if c.is_empty() {
            return Err(self.err(chart, "chart must not be empty"));
        }
        let local = self.base.join(c);
        let looks_local = c.starts_with("./")
            || c.starts_with("../")
            || c.starts_with('/')
            || c.ends_with(".tgz");
        if local.exists() {
            return Ok(ChartRef::Path(local));
        }
        if looks_local || !c.contains('/') {
            return Err(self.err(
                chart,
                format!(
                    "chart `{c}` does not exist (paths are relative to the plan file; repository references look like `oci://…` or `repo/name`)"
                ),
            ));
        }
        if !has_version {
            return Err(self.err(
                chart,
                format!("chart `{c}` is a repository reference: give its `version` so every cluster gets the same chart"),
            ));
        }
        Ok(ChartRef::Repo(c.to_string()))
    }

    fn clusters(&self, f: &PlanFile, namespace: &str) -> Result<Vec<Cluster>, PlanError> {
        if f.clusters.value.is_empty() {
            return Err(self.err(
                &f.clusters,
                "clusters is empty: list at least one kube context",
            ));
        }
        let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
        let mut out = Vec::with_capacity(f.clusters.value.len());
        for entry in &f.clusters.value {
            let c = &entry.value;
            let context = c.context.trim();
            if context.is_empty() {
                return Err(self.err(entry, "cluster context must not be empty"));
            }
            if let Some(line) = seen.insert(context, entry.referenced.line()) {
                return Err(self.err(
                    entry,
                    format!("cluster `{context}` is listed twice (first on line {line})"),
                ));
            }
            if let Some(known) = &self.opts.known_contexts {
                if !known.contains(context) {
                    let list: Vec<&str> = known.iter().map(String::as_str).collect();
                    return Err(self.err(
                        entry,
                        format!(
                            "unknown kube context `{context}`: the kubeconfig has {}",
                            if list.is_empty() {
                                "no contexts".to_string()
                            } else {
                                list.join(", ")
                            }
                        ),
                    ));
                }
            }
            let ns = match &c.namespace {
                Some(ns) if !is_dns_label(ns) => {
                    return Err(self.err(
                        entry,
                        format!(
                            "namespace `{ns}` of cluster `{context}` is not a valid namespace name"
                        ),
                    ))
                }
                Some(ns) => ns.clone(),
                None => namespace.to_string(),
            };
            out.push(Cluster {
                context: context.to_string(),
                environment: c.environment,
                namespace: ns,
            });
        }
        Ok(out)
    }

    fn no_foreign_settings(&self, f: &PlanFile, kind: StrategyKind) -> Result<(), PlanError> {
        let blocks = [
            (
                StrategyKind::Canary,
                "canary",
                f.canary.as_ref().map(|s| s.referenced),
            ),
            (
                StrategyKind::BlueGreen,
                "blueGreen",
                f.blue_green.as_ref().map(|s| s.referenced),
            ),
            (
                StrategyKind::Rolling,
                "rolling",
                f.rolling.as_ref().map(|s| s.referenced),
            ),
            (
                StrategyKind::Direct,
                "direct",
                f.direct.as_ref().map(|s| s.referenced),
            ),
        ];
        for (k, field, at) in blocks {
            if let Some(at) = at {
                if k != kind {
                    return Err(self.err_at(
                        at,
                        format!("`{field}` settings are given but the strategy is {kind}: remove them or change `strategy`"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn cluster_order(
        &self,
        order: &[Spanned<String>],
        clusters: &[Cluster],
    ) -> Result<Vec<String>, PlanError> {
        let mut out: Vec<String> = Vec::with_capacity(clusters.len());
        let mut last: Option<(Environment, &str)> = None;
        for name in order {
            let Some(cluster) = clusters.iter().find(|c| c.context == name.value) else {
                return Err(self.err(
                    name,
                    format!(
                        "rolling.clusterOrder names `{}`, which is not in clusters",
                        name.value
                    ),
                ));
            };
            if out.contains(&cluster.context) {
                return Err(self.err(
                    name,
                    format!("rolling.clusterOrder names `{}` twice", name.value),
                ));
            }
            if let Some((env, prev)) = last {
                if cluster.environment < env {
                    return Err(self.err(
                        name,
                        format!(
                            "rolling.clusterOrder puts `{}` ({}) after `{prev}` ({env}): rollouts go dev → staging → prod",
                            cluster.context, cluster.environment
                        ),
                    ));
                }
            }
            last = Some((cluster.environment, cluster.context.as_str()));
            out.push(cluster.context.clone());
        }
        // Clusters the order leaves out follow by environment, in plan order; they may not
        // go before a listed cluster of a later environment.
        let mut rest: Vec<&Cluster> = clusters
            .iter()
            .filter(|c| !out.contains(&c.context))
            .collect();
        rest.sort_by_key(|c| c.environment);
        for c in rest {
            if let (Some((env, prev)), Some(at)) = (last, order.last()) {
                if c.environment < env {
                    return Err(self.err(
                        at,
                        format!(
                            "rolling.clusterOrder leaves out `{}` ({}), which would then come after `{prev}` ({env}): list it, or list the whole order",
                            c.context, c.environment
                        ),
                    ));
                }
            }
            out.push(c.context.clone());
        }
        Ok(out)
    }

    fn health(&self, h: &HealthEntry, release: &str) -> Result<HealthSettings, PlanError> {
        let d = HealthSettings::defaults(release);
        let check_interval = match self.opts.check_interval {
            Some(i) => i,
            None => self.duration(&h.check_interval, "health.checkInterval", d.check_interval)?,
        };
        if check_interval.is_zero() {
            let msg = "health.checkInterval must be longer than 0s";
            return Err(match &h.check_interval {
                Some(v) => self.err(v, msg),
                None => PlanError::Read {
                    path: self.shown.to_string(),
                    message: "--check-interval must be longer than 0s".to_string(),
                },
            });
        }
        let failure_threshold = match &h.failure_threshold {
            None => d.failure_threshold,
            Some(v) if v.value >= 1 => v.value,
            Some(v) => return Err(self.err(v, "health.failureThreshold must be at least 1")),
        };
        let crash_loop_restarts = match &h.crash_loop_restarts {
            None => d.crash_loop_restarts,
            Some(v) if v.value >= 1 => v.value,
            Some(v) => return Err(self.err(v, "health.crashLoopRestarts must be at least 1")),
        };
        Ok(HealthSettings {
            check_interval,
            failure_threshold,
            controller_selector: h
                .controller_selector
                .clone()
                .unwrap_or(d.controller_selector),
            crash_loop_restarts,
            crash_loop_window: self.duration(
                &h.crash_loop_window,
                "health.crashLoopWindow",
                d.crash_loop_window,
            )?,
            reconcile_window: self.duration(
                &h.reconcile_window,
                "health.reconcileWindow",
                d.reconcile_window,
            )?,
            max_reconcile_error_rate: self.share(
                &h.max_reconcile_error_rate,
                "health.maxReconcileErrorRate",
                d.max_reconcile_error_rate,
            )?,
            webhook_timeout: self.duration(
                &h.webhook_timeout,
                "health.webhookTimeout",
                d.webhook_timeout,
            )?,
            cert_min_validity: self.duration(
                &h.cert_min_validity,
                "health.certMinValidity",
                d.cert_min_validity,
            )?,
        })
    }
}

/// RFC 1123 label: what release and namespace names must be.
fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// One line describing the strategy and its settings, for `plan` and `status`.
pub fn describe_strategy(s: &Strategy) -> String {
    match s {
        Strategy::Canary(c) => format!(
            "Canary (initial {}%, increment {}%, evaluation {}, success threshold {})",
            c.initial_percentage,
            c.increment_percentage,
            format_duration(c.evaluation_period),
            c.success_threshold
        ),
        Strategy::BlueGreen(b) => format!(
            "BlueGreen (blue {}, green {}, validation {}, auto switch {}, retention {})",
            b.blue_namespace,
            b.green_namespace,
            format_duration(b.validation_period),
            b.auto_switch,
            format_duration(b.retention)
        ),
        Strategy::Rolling(r) => format!(
            "Rolling (validation {}, pause between clusters {})",
            format_duration(r.validation_period),
            format_duration(r.pause_between_clusters)
        ),
        Strategy::Direct(d) => format!(
            "Direct ({} clusters at a time{})",
            d.parallel_clusters,
            if d.skip_health_checks {
                ", health checks skipped"
            } else {
                ""
            }
        ),
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
