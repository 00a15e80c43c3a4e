//! `kubectl opm rollout …`: progressive rollouts of an operator chart across kube contexts.
//!
//! `rollout plan` validates a plan file and prints the stages and gates a rollout would go
//! through, without touching any cluster (a dry run). The plan is checked against the
//! kubeconfig's contexts, so a typo in a context name is caught before anything runs.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use crate::cluster::config::{kubeconfig_paths, load_kubeconfig, ClusterArgs, ClusterEnv};
use crate::error::Error;
use crate::rollout::duration::{format_duration, parse_duration};
use crate::rollout::plan::{describe_strategy, load_plan, ChartRef, Plan, PlanOptions, PLAN_FILE};
use crate::rollout::stages::{compute_stages, Stage, StageAction};
use crate::rollout::state::ControlAction;

#[derive(Debug, clap::Args)]
pub struct RolloutArgs {
    #[command(subcommand)]
    pub command: RolloutCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum RolloutCommand {
    /// Validate a rollout plan and print its stages and gates, touching nothing (dry run).
    Plan(PlanArgs),
    /// Start a rollout: gates, upgrades, health checks and automatic rollback, stage by stage.
    Start(super::rollout_run::StartArgs),
    /// Show a rollout's stage, each cluster's phase, approvals and recent events.
    Status(super::rollout_run::ShowArgs),
    /// Continue a rollout that was paused or whose runner stopped (killed, lost its job).
    Resume(super::rollout_run::RunArgs),
    /// Ask the running rollout to stop after its current step (`resume` continues).
    Pause(super::rollout_run::ControlArgs),
    /// Stop the rollout where it is, without rolling back.
    Abort(super::rollout_run::ControlArgs),
    /// Roll every cluster this rollout upgraded back to its last good revision.
    Rollback(super::rollout_run::ControlArgs),
    /// Approve a stage waiting for approval (prod, breaking CRD changes, manual switch).
    Approve(super::rollout_run::DecideArgs),
    /// Reject a stage waiting for approval: the rollout fails without touching it.
    Reject(super::rollout_run::DecideArgs),
    /// Helm revisions of the release on each cluster with their rollout ids, and the audit
    /// trail.
    History(super::rollout_run::ShowArgs),
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The rollout plan file.
    #[arg(short = 'f', long = "file", value_name = "PATH", default_value = PLAN_FILE)]
    pub file: PathBuf,
    /// Kubeconfig whose contexts the plan's clusters must name (default: $KUBECONFIG, then
    /// ~/.kube/config; without any kubeconfig the context names are not checked).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Allow the Direct strategy on prod clusters.
    #[arg(long)]
    pub force: bool,
    /// Health check interval, overriding the plan's `health.checkInterval` (`30s`, `PT30S`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub check_interval: Option<Duration>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
}

/// Run `rollout …`; returns the exit code.
pub fn run(args: RolloutArgs) -> Result<i32, Error> {
    match args.command {
        RolloutCommand::Plan(plan) => run_plan(plan),
        RolloutCommand::Start(a) => super::rollout_run::run_start(a),
        RolloutCommand::Status(a) => super::rollout_run::run_status(a),
        RolloutCommand::Resume(a) => super::rollout_run::run_resume(a),
        RolloutCommand::Pause(a) => super::rollout_run::run_control(a, ControlAction::Pause),
        RolloutCommand::Abort(a) => super::rollout_run::run_control(a, ControlAction::Abort),
        RolloutCommand::Rollback(a) => super::rollout_run::run_control(a, ControlAction::Rollback),
        RolloutCommand::Approve(a) => super::rollout_run::run_decide(a, true),
        RolloutCommand::Reject(a) => super::rollout_run::run_decide(a, false),
        RolloutCommand::History(a) => super::rollout_run::run_history(a),
    }
}

fn run_plan(args: PlanArgs) -> Result<i32, Error> {
    let known_contexts = known_contexts(args.kubeconfig.as_ref())?;
    if known_contexts.is_none() {
        eprintln!("warning: no kubeconfig found; the plan's context names were not checked");
    }
    let opts = PlanOptions {
        known_contexts,
        force: args.force,
        check_interval: args.check_interval,
    };
    let plan = load_plan(&args.file, &opts)?;
    let stages = compute_stages(&plan);
    let out = match args.output {
        PlanFormat::Text => plan_text(&plan, &stages),
        PlanFormat::Json => plan_json(&plan, &stages),
    };
    super::write_stdout(out.as_bytes());
    Ok(0)
}

/// The kubeconfig's context names, or `None` when there is no kubeconfig at all.
pub(super) fn known_contexts(
    kubeconfig: Option<&PathBuf>,
) -> Result<Option<BTreeSet<String>>, Error> {
    let cluster_args = ClusterArgs {
        kubeconfig: kubeconfig.cloned(),
        ..ClusterArgs::default()
    };
    let env = ClusterEnv::from_process();
    let paths = kubeconfig_paths(&cluster_args, &env)?;
    if paths.is_empty() {
        return Ok(None);
    }
    let kubeconfig = load_kubeconfig(&paths)?;
    Ok(Some(
        kubeconfig.contexts.iter().map(|c| c.name.clone()).collect(),
    ))
}

fn chart_text(chart: &ChartRef) -> String {
    chart.helm_arg()
}

/// The dry-run report for people.
pub fn plan_text(plan: &Plan, stages: &[Stage]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Rollout plan {} ({})\n",
        plan.path,
        plan.digest.get(..19).unwrap_or(&plan.digest)
    ));
    out.push_str(&format!(
        "  release    {} in namespace {}\n",
        plan.release, plan.namespace
    ));
    let version = plan
        .version
        .as_deref()
        .map(|v| format!(" version {v}"))
        .unwrap_or_default();
    out.push_str(&format!(
        "  chart      {}{version}\n",
        chart_text(&plan.chart)
    ));
    out.push_str(&format!(
        "  strategy   {}\n",
        describe_strategy(&plan.strategy)
    ));
    out.push_str(&format!(
        "  health     check every {}, rollback after {} consecutive failed checks{}\n",
        format_duration(plan.health.check_interval),
        plan.health.failure_threshold,
        if plan.rollback.automatic {
            ""
        } else {
            " (automatic rollback off)"
        }
    ));
    out.push_str(&format!("  clusters   {}\n", plan.clusters.len()));
    for (i, stage) in stages.iter().enumerate() {
        out.push_str(&format!(
            "\nStage {} of {}: {}\n",
            i + 1,
            stages.len(),
            stage.name
        ));
        let mut gates = Vec::new();
        if !stage.pause_before.is_zero() {
            gates.push(format!("pause {}", format_duration(stage.pause_before)));
        }
        if matches!(stage.action, StageAction::Upgrade { .. }) {
            gates.push("lint (no errors)".to_string());
            gates.push("CRD diff against each cluster (breaking changes need approval)".into());
        }
        if stage.needs_approval {
            gates.push("approval (kubectl opm rollout approve)".to_string());
        }
        out.push_str(&format!("  action     {}\n", action_text(&stage.action)));
        if !gates.is_empty() {
            out.push_str(&format!("  gates      {}\n", gates.join(", ")));
        }
        match &stage.evaluation {
            Some(ev) => {
                let threshold = ev
                    .success_threshold
                    .map(|t| format!(", healthy share >= {t}"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  health     {} evaluation{threshold}\n",
                    format_duration(ev.period)
                ));
            }
            None => out.push_str("  health     none\n"),
        }
        out.push_str(&format!(
            "  clusters   {} ({} at a time)\n",
            stage.clusters.len(),
            stage.parallelism
        ));
        for name in &stage.clusters {
            let env = plan
                .cluster(name)
                .map(|c| {
                    format!(
                        "{} ({}, namespace {})",
                        c.context,
                        c.environment.as_str(),
                        c.namespace
                    )
                })
                .unwrap_or_else(|| name.clone());
            out.push_str(&format!("    - {env}\n"));
        }
    }
    out
}

fn action_text(action: &StageAction) -> String {
    match action {
        StageAction::Upgrade { namespace: None } => "helm upgrade --install".to_string(),
        StageAction::Upgrade {
            namespace: Some(ns),
        } => {
            format!("helm upgrade --install into {ns}")
        }
        StageAction::Validate { namespace: None } => "validate".to_string(),
        StageAction::Validate {
            namespace: Some(ns),
        } => format!("validate {ns}"),
        StageAction::Switch { from, to } => format!("switch from {from} to {to}"),
        StageAction::Retain { namespace, period } => {
            format!("keep {namespace} for {}", format_duration(*period))
        }
    }
}

/// The dry-run report as JSON: the plan's summary and its stages.
pub fn plan_json(plan: &Plan, stages: &[Stage]) -> String {
    let clusters: Vec<serde_json::Value> = plan
        .clusters
        .iter()
        .map(|c| {
            serde_json::json!({
                "context": c.context,
                "environment": c.environment.as_str(),
                "namespace": c.namespace,
            })
        })
        .collect();
    let value = serde_json::json!({
        "plan": plan.path,
        "digest": plan.digest,
        "release": plan.release,
        "namespace": plan.namespace,
        "chart": chart_text(&plan.chart),
        "version": plan.version,
        "strategy": plan.strategy.kind().as_str(),
        "clusters": clusters,
        "stages": stages,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}
