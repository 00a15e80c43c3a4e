//! `kubectl opm rollout start|resume|status|approve|reject|pause|abort|rollback|history`:
//! wiring of the rollout engine to the live backend, the progress view, notifications and
//! telemetry. The behaviour lives in `crate::rollout`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tracing::Instrument;

use super::rollout::PlanFormat;
use crate::error::Error;
use crate::rollout::backend::Backend;
use crate::rollout::duration::parse_duration;
use crate::rollout::engine::{
    new_rollout_id, now_rfc3339, Engine, EngineError, EngineOptions, EventKind, Mode, Outcome,
    ProgressEvent,
};
use crate::rollout::live::{LiveBackend, LiveOptions};
use crate::rollout::notify::{Notification, Notifier, NotifyEvent};
use crate::rollout::plan::{load_plan, Plan, PlanOptions, PLAN_FILE};
use crate::rollout::stages::{compute_stages, Stage};
use crate::rollout::state::{Approval, AuditEntry, ControlAction, ControlRequest, RolloutState};
use crate::telemetry::TelemetryArgs;

/// Flags of every command that reads the plan and talks to its clusters.
#[derive(Debug, Clone, clap::Args)]
pub struct FleetArgs {
    /// The rollout plan file.
    #[arg(short = 'f', long = "file", value_name = "PATH", default_value = PLAN_FILE)]
    pub file: PathBuf,
    /// Kubeconfig file to use instead of $KUBECONFIG or ~/.kube/config.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Time limit of one API request (e.g. 10s); retries get their own.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub request_timeout: Option<Duration>,
    /// How many clusters are worked on at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub parallel: usize,
}

/// Flags of `start` and `resume`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// The helm binary (default: $HELM_BIN when run as a Helm plugin, then `helm` on PATH).
    #[arg(long, value_name = "PATH")]
    pub helm_bin: Option<PathBuf>,
    /// Allow the Direct strategy on prod clusters.
    #[arg(long)]
    pub force: bool,
    /// Health check interval, overriding the plan's `health.checkInterval`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub check_interval: Option<Duration>,
    /// Take the rollout lock over from a runner that died (its Lease has not expired yet).
    #[arg(long)]
    pub take_over: bool,
    /// POST a JSON message (Slack-compatible `text`) here when a stage waits for approval,
    /// completes, or rolls back.
    #[arg(long, value_name = "URL")]
    pub notify: Option<String>,
    /// How often the state is re-read while waiting for an approval.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub approval_poll: Duration,
    /// Lease duration of the rollout lock (renewed while the rollout runs).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "2m")]
    pub lock_duration: Duration,
    /// Time limit of one helm run.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10m")]
    pub helm_timeout: Duration,
    /// Skip the lint gate (the chart must otherwise lint without errors).
    #[arg(long)]
    pub skip_lint: bool,
    /// Progress as lines for people (`text`) or one JSON event per line (`json`).
    #[arg(short = 'o', long = "output", value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

/// Flags of `start`.
#[derive(Debug, Clone, clap::Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Id of the new rollout (default: UTC time and release, `20261123-140501-123-op`).
    #[arg(long, value_name = "ID")]
    pub rollout_id: Option<String>,
}

/// Flags of `status` and `history`.
#[derive(Debug, Clone, clap::Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = PlanFormat::Text)]
    pub output: PlanFormat,
}

/// Flags of `approve` and `reject`.
#[derive(Debug, Clone, clap::Args)]
pub struct DecideArgs {
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// The stage (1-based, as `status` shows it; default: the stage waiting for approval).
    #[arg(long, value_name = "N")]
    pub stage: Option<usize>,
    /// Why (recorded in the audit trail with the identity the cluster reports).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

/// Flags of `pause`, `abort` and `rollback`.
#[derive(Debug, Clone, clap::Args)]
pub struct ControlArgs {
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Why (recorded in the audit trail).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub reason: String,
    /// The helm binary, for a rollback done by this command.
    #[arg(long, value_name = "PATH")]
    pub helm_bin: Option<PathBuf>,
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Environment(format!("cannot start the async runtime: {e}")))
}

fn load(fleet: &FleetArgs, force: bool, check_interval: Option<Duration>) -> Result<Plan, Error> {
    let known_contexts = super::rollout::known_contexts(fleet.kubeconfig.as_ref())?;
    let opts = PlanOptions {
        known_contexts,
        force,
        check_interval,
    };
    Ok(load_plan(&fleet.file, &opts)?)
}

fn live_options(fleet: &FleetArgs, helm_bin: Option<PathBuf>, helm: bool) -> LiveOptions {
    let mut o = LiveOptions::from_process(helm_bin);
    o.kubeconfig = fleet.kubeconfig.clone();
    o.request_timeout = fleet.request_timeout;
    o.parallel = fleet.parallel.max(1);
    o.require_helm = helm;
    o.prepare_chart = helm;
    o
}

fn engine_error(e: EngineError) -> Error {
    match e {
        EngineError::Environment(m) => Error::Environment(m),
        EngineError::Usage(m) => Error::Usage(m),
    }
}

/// Who runs this process, for the lock holder: host and pid.
fn runner() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .unwrap_or_else(|| "localhost".into());
    format!("{host}-{}", std::process::id())
}

/// `rollout start`.
pub fn run_start(args: StartArgs) -> Result<i32, Error> {
    let id = args.rollout_id.clone();
    run_engine(args.run, |plan| Mode::Start {
        rollout_id: id.unwrap_or_else(|| new_rollout_id(&plan.release)),
    })
}

/// `rollout resume`.
pub fn run_resume(args: RunArgs) -> Result<i32, Error> {
    run_engine(args, |_| Mode::Resume)
}

fn run_engine(args: RunArgs, mode: impl FnOnce(&Plan) -> Mode) -> Result<i32, Error> {
    let guard = crate::telemetry::init_from_env(&args.telemetry)?;
    let plan = load(&args.fleet, args.force, args.check_interval)?;
    let stages = compute_stages(&plan);
    let mode = mode(&plan);
    if matches!(mode, Mode::Start { .. }) && !args.skip_lint {
        if let Some(code) = lint_gate(&plan)? {
            drop(guard);
            return Ok(code);
        }
    }
    let notifier = match &args.notify {
        Some(url) => Some(Notifier::new(url).map_err(|e| Error::Usage(e.to_string()))?),
        None => None,
    };
    let rt = runtime()?;
    let mut live = live_options(&args.fleet, args.helm_bin.clone(), true);
    live.lock_duration = args.lock_duration;
    live.helm_timeout = args.helm_timeout;
    // helm joins the trace: its TRACEPARENT is the current `helm.install` span.
    live.traceparent = Some(Arc::new(|_cluster: &str| {
        crate::telemetry::current_traceparent()
    }));
    let output = args.output;
    let root = crate::telemetry::spans::deploy(
        &crate::telemetry::spans::DeployFields {
            operator_name: plan.release.clone(),
            version: plan.version.clone().unwrap_or_default(),
            deployment_id: match &mode {
                Mode::Start { rollout_id } => rollout_id.clone(),
                Mode::Resume => String::new(),
            },
            user: None,
            release: plan.release.clone(),
            strategy: plan.strategy.kind().as_str().to_lowercase(),
        },
        None,
    );
    let result = rt.block_on(
        async {
            let backend = {
                let span = crate::telemetry::spans::cluster_connect(
                    &plan
                        .clusters
                        .iter()
                        .map(|c| c.context.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    "",
                );
                LiveBackend::connect(&plan, &live).instrument(span).await?
            };
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let view = tokio::spawn(progress(rx, output, notifier, stages.clone()));
            let engine = Engine::new(
                Arc::new(backend),
                plan.clone(),
                stages.clone(),
                EngineOptions {
                    mode,
                    runner: runner(),
                    take_over: args.take_over,
                    approval_poll: args.approval_poll,
                    parallel: args.fleet.parallel.max(1),
                    lock_renew: args.lock_duration / 3,
                },
            )
            .with_events(tx)
            .with_root_span(root.clone());
            let engine = match crash_hook() {
                Some(hook) => engine.with_store_hook(hook),
                None => engine,
            };
            let outcome = engine.run().await;
            let _ = view.await;
            Ok::<_, Error>(outcome)
        }
        .instrument(root.clone()),
    );
    // The root span ends here, before the exporter flushes, so it is exported too.
    drop(root);
    let result = result?;
    drop(guard);
    match result {
        Ok(outcome) => Ok(outcome.exit_code()),
        Err(e) => Err(engine_error(e)),
    }
}

/// The testing hook: `KUBECTL_OPM_TEST_CRASH_AFTER=N` stops the process abruptly right
/// after the N-th record write, as a killed runner would (used by the kill-and-resume
/// end-to-end tests; documented in docs/testing.md).
fn crash_hook() -> Option<crate::rollout::engine::StoreHook> {
    let n: u64 = std::env::var("KUBECTL_OPM_TEST_CRASH_AFTER")
        .ok()?
        .parse()
        .ok()?;
    Some(Arc::new(move |written| {
        if written >= n {
            let _ = std::io::stdout().flush();
            std::process::abort();
        }
    }))
}

/// The lint gate: the chart must lint without errors. `Some(exit code)` when it fails.
fn lint_gate(plan: &Plan) -> Result<Option<i32>, Error> {
    use crate::rollout::plan::ChartRef;
    let ChartRef::Path(path) = &plan.chart else {
        eprintln!(
            "lint gate skipped: chart {} is not a local path (lint it in the chart's own pipeline)",
            plan.chart.helm_arg()
        );
        return Ok(None);
    };
    let opts = crate::lint::run::LintOptions {
        paths: vec![path.clone()],
        values: crate::chart::ValuesOptions {
            value_files: plan.values_files.clone(),
            ..Default::default()
        },
        namespace: plan.namespace.clone(),
        release_name: plan.release.clone(),
        ..Default::default()
    };
    let outcome = crate::lint::run::run(&opts)?;
    let errors: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.severity == crate::report::Severity::Error)
        .collect();
    if errors.is_empty() {
        return Ok(None);
    }
    let text = crate::report::write(
        crate::report::Format::Text,
        &outcome.diagnostics,
        &outcome.meta,
    );
    eprint!("{text}");
    eprintln!(
        "rollout not started: the lint gate found {} error(s) in {}",
        errors.len(),
        path.display()
    );
    Ok(Some(1))
}

/// Prints progress (lines, a live summary on a terminal, or JSON events) and posts
/// notifications.
async fn progress(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<ProgressEvent>,
    output: PlanFormat,
    notifier: Option<Notifier>,
    stages: Vec<Stage>,
) {
    let live = output == PlanFormat::Text && std::io::stderr().is_terminal();
    let mut phases: std::collections::BTreeMap<String, String> = Default::default();
    while let Some(e) = rx.recv().await {
        match output {
            PlanFormat::Json => {
                let line = serde_json::to_string(&e).unwrap_or_default();
                super::write_stdout(format!("{line}\n").as_bytes());
            }
            PlanFormat::Text => {
                if live {
                    eprint!("\r\x1b[2K");
                }
                let time = e.time.get(11..19).unwrap_or(&e.time);
                super::write_stdout(format!("{time} {}\n", e.message).as_bytes());
                if let (Some(c), Some(p)) = (&e.cluster, e.phase) {
                    phases.insert(c.clone(), format!("{p:?}"));
                }
                if live {
                    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
                    for p in phases.values() {
                        *counts.entry(p.as_str()).or_default() += 1;
                    }
                    let summary = counts
                        .iter()
                        .map(|(p, n)| format!("{n} {p}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let stage = e
                        .stage
                        .map(|s| format!("stage {}/{} · ", s + 1, stages.len()))
                        .unwrap_or_default();
                    eprint!("{stage}{summary}");
                    let _ = std::io::stderr().flush();
                }
            }
        }
        if let Some(n) = &notifier {
            if let Some(event) = notify_event(e.event) {
                let note = Notification {
                    event,
                    release: e.release.clone(),
                    rollout_id: e.rollout_id.clone(),
                    stage: e.stage_name.clone(),
                    clusters: e
                        .stage
                        .and_then(|s| stages.get(s))
                        .map(|s| s.clusters.clone())
                        .or_else(|| e.cluster.clone().map(|c| vec![c]))
                        .unwrap_or_default(),
                    message: e.message.clone(),
                };
                if let Err(err) = n.post(&note).await {
                    eprintln!("warning: notification not delivered: {err}");
                }
            }
        }
    }
    if live {
        eprintln!();
    }
}

fn notify_event(kind: EventKind) -> Option<NotifyEvent> {
    Some(match kind {
        EventKind::ApprovalNeeded => NotifyEvent::ApprovalNeeded,
        EventKind::StageCompleted => NotifyEvent::StageCompleted,
        EventKind::Completed => NotifyEvent::Completed,
        EventKind::RolledBack => NotifyEvent::RolledBack,
        EventKind::Failed | EventKind::Rejected => NotifyEvent::Failed,
        _ => return None,
    })
}

/// The record merged from every cluster's copy.
async fn read_record(
    backend: &LiveBackend,
    plan: &Plan,
    parallel: usize,
) -> Result<Option<RolloutState>, Error> {
    let names: Vec<String> = plan.clusters.iter().map(|c| c.context.clone()).collect();
    crate::rollout::engine::load_merged(backend, &names, parallel)
        .await
        .map_err(|e| Error::Environment(e.to_string()))
}

/// `rollout status`.
pub fn run_status(args: ShowArgs) -> Result<i32, Error> {
    let plan = load(&args.fleet, true, None)?;
    let stages = compute_stages(&plan);
    let rt = runtime()?;
    let live = live_options(&args.fleet, None, false);
    let record = rt.block_on(async {
        let backend = LiveBackend::connect(&plan, &live).await?;
        read_record(&backend, &plan, args.fleet.parallel.max(1)).await
    })?;
    let Some(record) = record else {
        match args.output {
            PlanFormat::Json => super::write_stdout(b"null\n"),
            PlanFormat::Text => super::write_stdout(
                format!(
                    "No rollout of release {} is recorded in the plan's clusters.\n",
                    plan.release
                )
                .as_bytes(),
            ),
        }
        return Ok(0);
    };
    let out = match args.output {
        PlanFormat::Json => {
            let mut v = serde_json::to_value(&record).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.insert(
                    "stages".into(),
                    serde_json::to_value(&stages).unwrap_or_default(),
                );
            }
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        PlanFormat::Text => status_text(&plan, &stages, &record),
    };
    super::write_stdout(out.as_bytes());
    Ok(0)
}

/// The status report for people.
pub fn status_text(plan: &Plan, stages: &[Stage], r: &RolloutState) -> String {
    let mut out = String::new();
    let stage = match stages.get(r.stage) {
        Some(s) => format!("stage {}/{} ({})", r.stage + 1, stages.len(), s.name),
        None => format!("all {} stages done", stages.len()),
    };
    out.push_str(&format!(
        "Rollout {} of {} ({}): {:?}, {stage}\n",
        r.rollout_id,
        r.release,
        r.strategy.as_str(),
        r.phase
    ));
    out.push_str(&format!(
        "  chart    {}\n  started  {} by {}\n  updated  {}\n",
        r.chart, r.started_at, r.started_by, r.updated_at
    ));
    if let Some(until) = &r.retain_until {
        out.push_str(&format!("  blue kept until {until}\n"));
    }
    out.push('\n');
    let rows: Vec<[String; 8]> = plan
        .clusters
        .iter()
        .map(|c| {
            let e = r.clusters.get(&c.context).cloned().unwrap_or_default();
            [
                c.context.clone(),
                c.environment.as_str().to_string(),
                (e.stage + 1).to_string(),
                format!(
                    "{:?}{}",
                    e.phase,
                    if e.rolled_back { " (rolled back)" } else { "" }
                ),
                e.target_revision.map_or("-".into(), |v| v.to_string()),
                e.last_good_revision.map_or("-".into(), |v| v.to_string()),
                format!("{}/{}", e.healthy_checks, e.total_checks),
                e.message.unwrap_or_default(),
            ]
        })
        .collect();
    let header = [
        "CLUSTER",
        "ENV",
        "STAGE",
        "PHASE",
        "REVISION",
        "LAST-GOOD",
        "HEALTHY",
        "MESSAGE",
    ];
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    out.push_str(&line(header.to_vec()));
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    if !r.approvals.is_empty() {
        out.push_str("\nApprovals:\n");
        for a in &r.approvals {
            out.push_str(&format!(
                "  stage {} {} by {} at {}: {}\n",
                a.stage + 1,
                if a.approved { "approved" } else { "rejected" },
                a.who,
                a.when,
                a.why
            ));
        }
    }
    let pending: Vec<_> = r.requests.iter().filter(|q| !q.handled).collect();
    if !pending.is_empty() {
        out.push_str("\nPending requests:\n");
        for q in pending {
            out.push_str(&format!("  {:?} by {} at {}\n", q.action, q.who, q.when));
        }
    }
    out.push_str("\nRecent events:\n");
    let skip = r.audit.len().saturating_sub(10);
    for a in r.audit.iter().skip(skip) {
        out.push_str(&format!("  {} {}\n", a.when, a.message));
    }
    out
}

/// `rollout approve` / `reject`.
pub fn run_decide(args: DecideArgs, approved: bool) -> Result<i32, Error> {
    let plan = load(&args.fleet, true, None)?;
    let stages = compute_stages(&plan);
    let rt = runtime()?;
    let live = live_options(&args.fleet, None, false);
    let parallel = args.fleet.parallel.max(1);
    rt.block_on(async {
        let backend = LiveBackend::connect(&plan, &live).await?;
        let Some(mut record) = read_record(&backend, &plan, parallel).await? else {
            return Err(Error::Usage(format!(
                "there is no rollout of release {} to {}",
                plan.release,
                if approved { "approve" } else { "reject" }
            )));
        };
        if record.phase.is_terminal() {
            return Err(Error::Usage(format!(
                "rollout {} has ended ({:?}); there is nothing to {}",
                record.rollout_id,
                record.phase,
                if approved { "approve" } else { "reject" }
            )));
        }
        let index = match args.stage {
            Some(0) => return Err(Error::Usage("stages are numbered from 1".into())),
            Some(n) if n > stages.len() => {
                return Err(Error::Usage(format!(
                    "stage {n} does not exist: the plan has {} stages",
                    stages.len()
                )))
            }
            Some(n) => n - 1,
            None => record.stage,
        };
        let Some(stage) = stages.get(index) else {
            return Err(Error::Usage("the rollout has no stage left".into()));
        };
        let first = stage
            .clusters
            .first()
            .cloned()
            .ok_or_else(|| Error::Usage("the stage has no clusters".into()))?;
        let who = backend
            .identity(&first)
            .await
            .map_err(|e| Error::Environment(e.to_string()))?;
        let when = now_rfc3339();
        record.approvals.push(Approval {
            who: who.clone(),
            when: when.clone(),
            why: args.reason.clone(),
            stage: index,
            approved,
        });
        let verb = if approved { "approved" } else { "rejected" };
        let msg = format!(
            "stage {} ({}) {verb} by {who}: {}",
            index + 1,
            stage.name,
            args.reason
        );
        record.record(AuditEntry {
            when,
            who: who.clone(),
            cluster: None,
            message: msg.clone(),
        });
        // The approval is written to the state of every cluster of the stage: approving
        // needs write access there (Kubernetes RBAC decides who may approve).
        for c in &stage.clusters {
            backend
                .store(c, &record)
                .await
                .map_err(|e| Error::Environment(e.to_string()))?;
            let reason = if approved { "Approved" } else { "Rejected" };
            let _ = backend.event(c, reason, &msg, !approved).await;
        }
        super::write_stdout(format!("{msg}\n").as_bytes());
        Ok(0)
    })
}

/// `rollout pause|abort|rollback`: records the request; when no runner holds the lock,
/// acts on it right away.
pub fn run_control(args: ControlArgs, action: ControlAction) -> Result<i32, Error> {
    let plan = load(&args.fleet, true, None)?;
    let stages = compute_stages(&plan);
    let rt = runtime()?;
    let helm = action == ControlAction::Rollback;
    let live = live_options(&args.fleet, args.helm_bin.clone(), helm);
    let parallel = args.fleet.parallel.max(1);
    rt.block_on(async {
        let backend = Arc::new(LiveBackend::connect(&plan, &live).await?);
        let Some(mut record) = read_record(&backend, &plan, parallel).await? else {
            return Err(Error::Usage(format!(
                "there is no rollout of release {} in the plan's clusters",
                plan.release
            )));
        };
        if record.phase.is_terminal() && action != ControlAction::Rollback {
            return Err(Error::Usage(format!(
                "rollout {} has already ended ({:?})",
                record.rollout_id, record.phase
            )));
        }
        let first = plan
            .clusters
            .first()
            .map(|c| c.context.clone())
            .unwrap_or_default();
        let who = backend
            .identity(&first)
            .await
            .map_err(|e| Error::Environment(e.to_string()))?;
        let when = now_rfc3339();
        record.requests.push(ControlRequest {
            id: format!("{when}/{who}"),
            action,
            who: who.clone(),
            when,
            why: args.reason.clone(),
            handled: false,
        });
        for c in &plan.clusters {
            backend
                .store(&c.context, &record)
                .await
                .map_err(|e| Error::Environment(e.to_string()))?;
        }
        let verb = match action {
            ControlAction::Pause => "pause",
            ControlAction::Abort => "abort",
            ControlAction::Rollback => "rollback",
        };
        // Act now if nobody runs the rollout; else the runner acts at its next step.
        let engine = Engine::new(
            backend.clone(),
            plan.clone(),
            stages.clone(),
            EngineOptions {
                mode: Mode::Resume,
                runner: runner(),
                take_over: false,
                approval_poll: Duration::from_secs(10),
                parallel,
                lock_renew: Duration::from_secs(40),
            },
        );
        match engine.run().await {
            Ok(Outcome::Paused) => {
                super::write_stdout(b"rollout paused; continue with `kubectl opm rollout resume`\n");
                Ok(0)
            }
            Ok(Outcome::Failed(msg)) => {
                super::write_stdout(format!("{msg}\n").as_bytes());
                Ok(if action == ControlAction::Rollback { 0 } else { 1 })
            }
            Ok(Outcome::Completed) => {
                super::write_stdout(b"the rollout had already completed\n");
                Ok(0)
            }
            Err(EngineError::Environment(m)) if m.contains("is held by") => {
                super::write_stdout(
                    format!(
                        "{verb} requested by {who}; the runner of rollout {} acts on it at its next step\n",
                        record.rollout_id
                    )
                    .as_bytes(),
                );
                Ok(0)
            }
            Err(e) => Err(engine_error(e)),
        }
    })
}

/// `rollout history`: Helm's revisions of the release on each cluster, with the rollout
/// that made them, and the rollout's audit trail.
pub fn run_history(args: ShowArgs) -> Result<i32, Error> {
    let plan = load(&args.fleet, true, None)?;
    let rt = runtime()?;
    let live = live_options(&args.fleet, None, false);
    let parallel = args.fleet.parallel.max(1);
    let (rows, record) = rt.block_on(async {
        let backend = LiveBackend::connect(&plan, &live).await?;
        let mut rows = Vec::new();
        for c in &plan.clusters {
            let Some(cluster) = backend.cluster(&c.context) else {
                continue;
            };
            // A Blue-Green rollout installs into the green namespace: its revisions are
            // there, the earlier ones in the cluster's own (blue) namespace.
            let mut namespaces = vec![c.namespace.clone()];
            if let crate::rollout::plan::Strategy::BlueGreen(b) = &plan.strategy {
                if !namespaces.contains(&b.green_namespace) {
                    namespaces.push(b.green_namespace.clone());
                }
            }
            let mut history = Vec::new();
            for ns in &namespaces {
                history.extend(cluster.releases().history(ns, &plan.release).await?);
            }
            for h in history {
                let rev = crate::rollout::live::revision_of(&h);
                rows.push(json!({
                    "cluster": c.context,
                    "revision": rev.revision,
                    "updated": h.release.info.as_ref().and_then(|i| i.last_deployed.clone()),
                    "status": rev.status,
                    "chart": rev.chart,
                    "rolloutId": rev.rollout_id,
                    "description": rev.description,
                }));
            }
        }
        let record = read_record(&backend, &plan, parallel).await?;
        Ok::<_, Error>((rows, record))
    })?;
    let out = match args.output {
        PlanFormat::Json => {
            serde_json::to_string_pretty(&json!({"revisions": rows, "rollout": record}))
                .unwrap_or_default()
                + "\n"
        }
        PlanFormat::Text => {
            let mut out = format!(
                "{:<24} {:>8}  {:<12} {:<28} {:<34} DESCRIPTION\n",
                "CLUSTER", "REVISION", "STATUS", "CHART", "ROLLOUT"
            );
            for r in &rows {
                let s = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("-").to_string();
                out.push_str(&format!(
                    "{:<24} {:>8}  {:<12} {:<28} {:<34} {}\n",
                    s("cluster"),
                    r.get("revision").and_then(|v| v.as_u64()).unwrap_or(0),
                    s("status"),
                    s("chart"),
                    s("rolloutId"),
                    s("description")
                ));
            }
            if let Some(r) = &record {
                out.push_str(&format!(
                    "\nAudit trail of rollout {} ({:?}):\n",
                    r.rollout_id, r.phase
                ));
                for a in &r.audit {
                    out.push_str(&format!("  {} {:<20} {}\n", a.when, a.who, a.message));
                }
            }
            out
        }
    };
    super::write_stdout(out.as_bytes());
    Ok(0)
}
