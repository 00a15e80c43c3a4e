//! The engine against an in-memory fleet: every strategy, gates, approvals, automatic
//! rollback, control requests, and a crash after every single write followed by a resume.
//! Time is tokio's paused clock, so evaluation periods cost nothing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use super::*;
use crate::rollout::health::{HealthSnapshot, PodHealth};
use crate::rollout::plan::{
    BlueGreen, Canary, Direct, Environment, Plan, RollbackScope, Rolling, Strategy,
};
use crate::rollout::stages::compute_stages;
use crate::rollout::stages::tests::test_plan;
use crate::rollout::state::{Approval, ControlRequest};

#[derive(Debug, Default, Clone)]
struct FakeCluster {
    record: Option<RolloutState>,
    lock: Option<String>,
    revisions: Vec<Revision>,
    /// Health per check, popped front; empty: healthy.
    health: std::collections::VecDeque<bool>,
    /// Every check fails (a crash-looping controller).
    crash_loop: bool,
    crd_changes: Vec<String>,
    fail_upgrade: bool,
    webhooks_in: String,
    replicas: BTreeMap<String, u32>,
}

#[derive(Debug, Default)]
struct World {
    clusters: BTreeMap<String, FakeCluster>,
    /// Mutating calls in order (`upgrade a`, `rollback a 1`, `store a`, …).
    log: Vec<String>,
    /// After this many mutating calls succeed, every call fails (the process "died").
    die_after: Option<usize>,
    mutations: usize,
}

#[derive(Clone, Default)]
struct Fake(Arc<StdMutex<World>>);

impl Fake {
    fn new(names: &[&str]) -> Fake {
        let mut w = World::default();
        for n in names {
            let mut c = FakeCluster {
                webhooks_in: "ops".into(),
                ..FakeCluster::default()
            };
            c.revisions.push(Revision {
                revision: 1,
                status: "deployed".into(),
                chart: "op-0.9.0".into(),
                rollout_id: None,
                description: "Install complete".into(),
            });
            w.clusters.insert(n.to_string(), c);
        }
        Fake(Arc::new(StdMutex::new(w)))
    }

    fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }

    fn cluster(&self, name: &str) -> FakeCluster {
        self.with(|w| w.clusters[name].clone())
    }

    fn log(&self) -> Vec<String> {
        self.with(|w| w.log.clone())
    }

    fn helm_log(&self) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|l| l.starts_with("upgrade") || l.starts_with("rollback"))
            .collect()
    }

    fn alive(&self) -> Result<(), BackendError> {
        self.with(|w| match w.die_after {
            Some(n) if w.mutations >= n => Err(BackendError::Environment("process died".into())),
            _ => Ok(()),
        })
    }

    fn mutate(&self, entry: String) -> Result<(), BackendError> {
        self.alive()?;
        self.with(|w| {
            w.mutations += 1;
            w.log.push(entry);
        });
        Ok(())
    }

    fn approve(&self, stage: usize, approved: bool) {
        self.with(|w| {
            for c in w.clusters.values_mut() {
                if let Some(r) = &mut c.record {
                    r.approvals.push(Approval {
                        who: "alice".into(),
                        when: "2026-11-23T14:00:00.000Z".into(),
                        why: "looks good".into(),
                        stage,
                        approved,
                    });
                }
            }
        });
    }

    fn request(&self, action: ControlAction) {
        self.with(|w| {
            for c in w.clusters.values_mut() {
                if let Some(r) = &mut c.record {
                    r.requests.push(ControlRequest {
                        id: format!("req-{action:?}"),
                        action,
                        who: "bob".into(),
                        when: "2026-11-23T14:00:00.000Z".into(),
                        why: String::new(),
                        handled: false,
                    });
                }
            }
        });
    }

    fn merged(&self) -> RolloutState {
        let copies: Vec<(String, RolloutState)> = self.with(|w| {
            w.clusters
                .iter()
                .filter_map(|(n, c)| c.record.clone().map(|r| (n.clone(), r)))
                .collect()
        });
        RolloutState::merge_copies(&copies).unwrap()
    }
}

impl Backend for Fake {
    async fn identity(&self, _cluster: &str) -> Result<String, BackendError> {
        self.alive()?;
        Ok("ci-deployer".into())
    }

    async fn lock(&self, cluster: &str, request: &LockRequest) -> Result<(), BackendError> {
        self.alive()?;
        self.with(|w| {
            let c = w.clusters.get_mut(cluster).unwrap();
            match &c.lock {
                Some(h) if h != &request.holder && !request.take_over => Err(
                    BackendError::Environment(format!("{cluster}: lock held by {h}")),
                ),
                _ => {
                    c.lock = Some(request.holder.clone());
                    Ok(())
                }
            }
        })
    }

    async fn unlock(&self, cluster: &str, holder: &str) -> Result<(), BackendError> {
        self.alive()?;
        self.with(|w| {
            let c = w.clusters.get_mut(cluster).unwrap();
            if c.lock.as_deref() == Some(holder) {
                c.lock = None;
            }
        });
        Ok(())
    }

    async fn load(&self, cluster: &str) -> Result<Option<RolloutState>, BackendError> {
        self.alive()?;
        Ok(self.with(|w| w.clusters[cluster].record.clone()))
    }

    async fn store(
        &self,
        cluster: &str,
        record: &RolloutState,
    ) -> Result<RolloutState, BackendError> {
        self.mutate(format!("store {cluster}"))?;
        self.with(|w| {
            let c = w.clusters.get_mut(cluster).unwrap();
            let merged = match &c.record {
                Some(stored) => record
                    .merge_stored(stored)
                    .map_err(|e| BackendError::Conflict(e.to_string()))?,
                None => record.clone(),
            };
            c.record = Some(merged.clone());
            Ok(merged)
        })
    }

    async fn mirror(
        &self,
        _cluster: &str,
        _namespace: &str,
        _annotations: &BTreeMap<String, String>,
    ) -> Result<(), BackendError> {
        self.alive()
    }

    async fn event(
        &self,
        _cluster: &str,
        _reason: &str,
        _message: &str,
        _warning: bool,
    ) -> Result<(), BackendError> {
        self.alive()
    }

    async fn current(
        &self,
        cluster: &str,
        _namespace: &str,
    ) -> Result<Option<Revision>, BackendError> {
        self.alive()?;
        Ok(self.with(|w| w.clusters[cluster].revisions.last().cloned()))
    }

    async fn upgrade(
        &self,
        cluster: &str,
        request: &UpgradeRequest,
    ) -> Result<Revision, BackendError> {
        self.mutate(format!("upgrade {cluster}"))?;
        self.with(|w| {
            let c = w.clusters.get_mut(cluster).unwrap();
            let revision = c.revisions.len() as u32 + 1;
            let failed = c.fail_upgrade;
            for r in &mut c.revisions {
                if r.status == "deployed" && !failed {
                    r.status = "superseded".into();
                }
            }
            let rev = Revision {
                revision,
                status: if failed { "failed" } else { "deployed" }.into(),
                chart: "op-1.0.0".into(),
                rollout_id: Some(request.rollout_id.clone()),
                description: "Upgrade complete".into(),
            };
            c.revisions.push(rev.clone());
            if failed {
                Err(BackendError::Helm("UPGRADE FAILED: boom".into()))
            } else {
                Ok(rev)
            }
        })
    }

    async fn rollback(
        &self,
        cluster: &str,
        _namespace: &str,
        revision: u32,
    ) -> Result<Revision, BackendError> {
        self.mutate(format!("rollback {cluster} {revision}"))?;
        self.with(|w| {
            let c = w.clusters.get_mut(cluster).unwrap();
            for r in &mut c.revisions {
                if r.status == "deployed" {
                    r.status = "superseded".into();
                }
            }
            let rev = Revision {
                revision: c.revisions.len() as u32 + 1,
                status: "deployed".into(),
                chart: "op-0.9.0".into(),
                rollout_id: None,
                description: format!("Rollback to {revision}"),
            };
            c.revisions.push(rev.clone());
            // Going back cures the crash loop.
            c.crash_loop = false;
            Ok(rev)
        })
    }

    async fn health(
        &self,
        cluster: &str,
        _namespace: &str,
    ) -> Result<HealthSnapshot, BackendError> {
        self.alive()?;
        let healthy = self.with(|w| {
            let c = w.clusters.get_mut(cluster).unwrap();
            if c.crash_loop {
                false
            } else {
                c.health.pop_front().unwrap_or(true)
            }
        });
        Ok(HealthSnapshot {
            pods: vec![PodHealth {
                name: "op-controller-0".into(),
                ready: healthy,
                restart_count: if healthy { 0 } else { 4 },
                restarts_in_window: if healthy { 0 } else { 4 },
                crash_loop_back_off: !healthy,
            }],
            webhooks: vec![],
            resources: vec![],
        })
    }

    async fn crd_changes(&self, cluster: &str) -> Result<Vec<String>, BackendError> {
        self.alive()?;
        Ok(self.with(|w| w.clusters[cluster].crd_changes.clone()))
    }

    async fn rollback_crd_check(
        &self,
        _cluster: &str,
        _namespace: &str,
        _revision: u32,
    ) -> Result<Vec<String>, BackendError> {
        self.alive()?;
        Ok(vec![])
    }

    async fn scale_controllers(
        &self,
        cluster: &str,
        namespace: &str,
        replicas: u32,
    ) -> Result<(), BackendError> {
        self.mutate(format!("scale {cluster} {namespace} {replicas}"))?;
        self.with(|w| {
            let c = w.clusters.get_mut(cluster).unwrap();
            c.replicas.insert(namespace.to_string(), replicas);
        });
        Ok(())
    }

    async fn switch_webhooks(
        &self,
        cluster: &str,
        from_namespace: &str,
        to_namespace: &str,
    ) -> Result<(), BackendError> {
        self.mutate(format!("switch {cluster} {from_namespace} {to_namespace}"))?;
        self.with(|w| {
            let c = w.clusters.get_mut(cluster).unwrap();
            assert_eq!(c.webhooks_in, from_namespace);
            c.webhooks_in = to_namespace.to_string();
        });
        Ok(())
    }
}

fn fast(mut plan: Plan) -> Plan {
    plan.health.check_interval = Duration::from_secs(30);
    plan
}

fn canary_plan(names: &[(&str, Environment)]) -> Plan {
    fast(test_plan(
        Strategy::Canary(Canary {
            evaluation_period: Duration::from_secs(120),
            ..Canary::default()
        }),
        names,
    ))
}

const FLEET: [(&str, Environment); 6] = [
    ("dev-1", Environment::Dev),
    ("dev-2", Environment::Dev),
    ("staging-1", Environment::Staging),
    ("staging-2", Environment::Staging),
    ("prod-1", Environment::Prod),
    ("prod-2", Environment::Prod),
];

fn names(fleet: &[(&str, Environment)]) -> Vec<&'static str> {
    fleet
        .iter()
        .map(|(n, _)| -> &'static str { Box::leak(n.to_string().into_boxed_str()) })
        .collect()
}

fn opts(mode: Mode) -> EngineOptions {
    EngineOptions {
        mode,
        runner: "test".into(),
        take_over: false,
        approval_poll: Duration::from_secs(5),
        parallel: 4,
        lock_renew: Duration::from_secs(40),
    }
}

fn start() -> Mode {
    Mode::Start {
        rollout_id: "r1".into(),
    }
}

fn run(fake: &Fake, plan: &Plan, mode: Mode) -> Result<Outcome, EngineError> {
    run_with(fake, plan, opts(mode))
}

fn run_with(fake: &Fake, plan: &Plan, opts: EngineOptions) -> Result<Outcome, EngineError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let engine = Engine::new(
        Arc::new(fake.clone()),
        plan.clone(),
        compute_stages(plan),
        opts,
    );
    rt.block_on(engine.run())
}

/// Runs the engine on a task and calls `during` (on the same paused clock) once the record
/// says `phase`; returns the engine's result.
fn run_until(
    fake: &Fake,
    plan: &Plan,
    phase: Phase,
    during: impl FnOnce(&Fake),
) -> Result<Outcome, EngineError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let engine = Engine::new(
        Arc::new(fake.clone()),
        plan.clone(),
        compute_stages(plan),
        opts(start()),
    );
    rt.block_on(async {
        // Same task, no spawn: the engine's future need not be `Send` for a CLI run.
        let watcher = async {
            for _ in 0..10_000 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let now = fake.with(|w| {
                    w.clusters
                        .values()
                        .find_map(|c| c.record.as_ref().map(|r| r.phase))
                });
                if now == Some(phase) {
                    break;
                }
            }
            during(fake);
        };
        let (result, ()) = futures::join!(engine.run(), watcher);
        result
    })
}

#[test]
fn healthy_canary_with_prod_approval_completes() {
    let fake = Fake::new(&names(&FLEET));
    let plan = canary_plan(&FLEET);
    let outcome = run_until(&fake, &plan, Phase::WaitingForApproval, |f| {
        let r = f.merged();
        // Stage 3 (index 2) has prod: dev-1 was stage 1, dev-2 + staging-1 stage 2.
        assert_eq!(r.stage, 2);
        assert_eq!(r.clusters["prod-1"].phase, Phase::WaitingForApproval);
        assert_eq!(r.clusters["dev-1"].phase, Phase::Completed);
        assert_eq!(r.clusters["staging-1"].phase, Phase::Completed);
        f.approve(2, true);
    })
    .unwrap();
    assert_eq!(outcome, Outcome::Completed);
    // Every cluster upgraded exactly once, in stage order.
    assert_eq!(
        fake.helm_log(),
        vec![
            "upgrade dev-1",
            "upgrade dev-2",
            "upgrade staging-1",
            "upgrade staging-2",
            "upgrade prod-1",
            "upgrade prod-2"
        ]
    );
    let r = fake.merged();
    assert_eq!(r.phase, Phase::Completed);
    assert_eq!(r.stage, 3);
    for (name, _) in FLEET {
        let c = &r.clusters[name];
        assert_eq!(c.phase, Phase::Completed, "{name}");
        assert_eq!(c.last_good_revision, Some(1));
        assert_eq!(c.target_revision, Some(2));
        // 120 s period, a check every 30 s: 5 checks.
        assert_eq!((c.healthy_checks, c.total_checks), (5, 5), "{name}");
        assert_eq!(fake.cluster(name).lock, None, "lock released");
    }
    assert!(r
        .audit
        .iter()
        .any(|a| a.message.contains("approved by alice")));
    assert_eq!(r.approvals.len(), 1);
}

#[test]
fn crash_loop_rolls_back_after_three_failed_checks() {
    let fleet = [
        ("dev-1", Environment::Dev),
        ("dev-2", Environment::Dev),
        ("staging-1", Environment::Staging),
    ];
    let fake = Fake::new(&names(&fleet));
    // The second stage's staging cluster crash-loops after its upgrade.
    fake.with(|w| w.clusters.get_mut("staging-1").unwrap().crash_loop = true);
    let plan = canary_plan(&fleet);
    let outcome = run(&fake, &plan, start()).unwrap();
    let Outcome::Failed(msg) = outcome else {
        panic!("expected a failure, got {outcome:?}")
    };
    assert!(msg.contains("3 consecutive failed health checks"), "{msg}");
    assert!(msg.contains("CrashLoopBackOff"), "{msg}");
    // Scope `all`: every upgraded cluster goes back to revision 1.
    let helm = fake.helm_log();
    assert_eq!(
        &helm[..3],
        ["upgrade dev-1", "upgrade dev-2", "upgrade staging-1"]
    );
    let mut back: Vec<&String> = helm[3..].iter().collect();
    back.sort();
    assert_eq!(
        back,
        [
            "rollback dev-1 1",
            "rollback dev-2 1",
            "rollback staging-1 1"
        ]
    );
    let r = fake.merged();
    assert_eq!(r.phase, Phase::Failed);
    for n in ["dev-1", "dev-2", "staging-1"] {
        assert_eq!(r.clusters[n].phase, Phase::Failed);
        assert!(r.clusters[n].rolled_back, "{n}");
    }
    assert_eq!(r.clusters["staging-1"].consecutive_failed_checks, 3);
    assert_eq!(r.clusters["staging-1"].total_checks, 3);
}

#[test]
fn rollback_scope_cluster_leaves_the_others() {
    let fleet = [("dev-1", Environment::Dev), ("dev-2", Environment::Dev)];
    let fake = Fake::new(&names(&fleet));
    fake.with(|w| w.clusters.get_mut("dev-2").unwrap().crash_loop = true);
    let mut plan = fast(test_plan(
        Strategy::Direct(Direct {
            parallel_clusters: 2,
            skip_health_checks: false,
        }),
        &fleet,
    ));
    plan.rollback.scope = RollbackScope::Cluster;
    plan.health.failure_threshold = 1;
    let outcome = run(&fake, &plan, start()).unwrap();
    assert!(matches!(outcome, Outcome::Failed(_)));
    assert_eq!(
        fake.helm_log(),
        ["upgrade dev-1", "upgrade dev-2", "rollback dev-2 1"]
    );
}

#[test]
fn failed_helm_upgrade_rolls_back() {
    let fleet = [("dev-1", Environment::Dev), ("dev-2", Environment::Dev)];
    let fake = Fake::new(&names(&fleet));
    fake.with(|w| w.clusters.get_mut("dev-2").unwrap().fail_upgrade = true);
    let plan = fast(test_plan(
        Strategy::Rolling(Rolling {
            cluster_order: vec!["dev-1".into(), "dev-2".into()],
            validation_period: Duration::from_secs(60),
            pause_between_clusters: Duration::from_secs(10),
        }),
        &fleet,
    ));
    let Outcome::Failed(msg) = run(&fake, &plan, start()).unwrap() else {
        panic!()
    };
    assert!(
        msg.contains("helm upgrade failed: UPGRADE FAILED: boom"),
        "{msg}"
    );
    let helm = fake.helm_log();
    assert_eq!(&helm[..2], ["upgrade dev-1", "upgrade dev-2"]);
    let mut back = helm[2..].to_vec();
    back.sort();
    assert_eq!(back, ["rollback dev-1 1", "rollback dev-2 1"]);
}

#[test]
fn breaking_crd_change_blocks_until_approved_and_rejection_fails() {
    let fleet = [("dev-1", Environment::Dev)];
    let plan = canary_plan(&fleet);

    let fake = Fake::new(&names(&fleet));
    fake.with(|w| {
        w.clusters.get_mut("dev-1").unwrap().crd_changes =
            vec!["widgets.example.com: version v1alpha1 removed but still stored".into()]
    });
    let outcome = run_until(&fake, &plan, Phase::WaitingForApproval, |f| {
        assert!(
            f.helm_log().is_empty(),
            "nothing deployed before the approval"
        );
        let r = f.merged();
        assert!(r
            .audit
            .iter()
            .any(|a| a.message.contains("breaking CRD changes against dev-1")));
        f.approve(0, true);
    })
    .unwrap();
    assert_eq!(outcome, Outcome::Completed);
    assert_eq!(fake.helm_log(), ["upgrade dev-1"]);

    let fake = Fake::new(&names(&fleet));
    fake.with(|w| w.clusters.get_mut("dev-1").unwrap().crd_changes = vec!["x".into()]);
    let outcome = run_until(&fake, &plan, Phase::WaitingForApproval, |f| {
        f.approve(0, false)
    })
    .unwrap();
    let Outcome::Failed(msg) = outcome else {
        panic!()
    };
    assert_eq!(msg, "stage 1 rejected by alice: looks good");
    assert!(fake.helm_log().is_empty());
    assert_eq!(fake.merged().clusters["dev-1"].phase, Phase::Failed);
}

#[test]
fn blue_green_switches_and_switches_back_on_failure() {
    let fleet = [("dev-1", Environment::Dev)];
    let bg = BlueGreen {
        blue_namespace: "ops-blue".into(),
        green_namespace: "ops-green".into(),
        validation_period: Duration::from_secs(60),
        auto_switch: true,
        retention: Duration::from_secs(86_400),
        post_switch_period: Duration::from_secs(300),
    };
    let plan = fast(test_plan(Strategy::BlueGreen(bg.clone()), &fleet));

    let fake = Fake::new(&names(&fleet));
    fake.with(|w| w.clusters.get_mut("dev-1").unwrap().webhooks_in = "ops-blue".into());
    assert_eq!(run(&fake, &plan, start()).unwrap(), Outcome::Completed);
    let c = fake.cluster("dev-1");
    assert_eq!(c.webhooks_in, "ops-green");
    assert_eq!(c.replicas.get("ops-blue"), Some(&0));
    let r = fake.merged();
    assert!(r.retain_until.is_some());
    assert_eq!(r.clusters["dev-1"].phase, Phase::Completed);

    // Green fails after the switch: instant switch back, blue scaled up again.
    let fake = Fake::new(&names(&fleet));
    fake.with(|w| {
        let c = w.clusters.get_mut("dev-1").unwrap();
        c.webhooks_in = "ops-blue".into();
        // install-green: no checks; validate: 60 s / 30 s = 3 healthy checks; then the
        // post-switch watch fails.
        c.health = [true, true, true, false, false, false].into();
    });
    let Outcome::Failed(msg) = run(&fake, &plan, start()).unwrap() else {
        panic!()
    };
    assert!(msg.contains("3 consecutive failed health checks"), "{msg}");
    let c = fake.cluster("dev-1");
    assert_eq!(c.webhooks_in, "ops-blue");
    assert_eq!(c.replicas.get("ops-blue"), Some(&1));
    assert!(fake.helm_log().contains(&"rollback dev-1 1".to_string()));
}

#[test]
fn canary_success_threshold_fails_a_flaky_stage() {
    let fleet = [("dev-1", Environment::Dev)];
    let fake = Fake::new(&names(&fleet));
    // 5 checks, 2 failing but never 3 in a row: 60% healthy < 95%.
    fake.with(|w| {
        w.clusters.get_mut("dev-1").unwrap().health = [true, false, true, false, true].into()
    });
    let plan = canary_plan(&fleet);
    let Outcome::Failed(msg) = run(&fake, &plan, start()).unwrap() else {
        panic!()
    };
    assert!(
        msg.contains("healthy in 3 of 5 checks (60.0%), under the success threshold 95.0%"),
        "{msg}"
    );
    assert_eq!(fake.helm_log(), ["upgrade dev-1", "rollback dev-1 1"]);
}

#[test]
fn pause_request_stops_and_resume_continues() {
    let fleet = [("dev-1", Environment::Dev), ("prod-1", Environment::Prod)];
    let mut plan = canary_plan(&fleet);
    plan.approval_environments.clear();
    let fake = Fake::new(&names(&fleet));
    let outcome = run_until(&fake, &plan, Phase::Validating, |f| {
        f.request(ControlAction::Pause)
    })
    .unwrap();
    assert_eq!(outcome, Outcome::Paused);
    let r = fake.merged();
    assert_eq!(r.phase, Phase::Paused);
    assert!(r.requests.iter().all(|q| q.handled));
    assert_eq!(fake.cluster("dev-1").lock, None);
    assert_eq!(run(&fake, &plan, Mode::Resume).unwrap(), Outcome::Completed);
    assert_eq!(fake.helm_log(), ["upgrade dev-1", "upgrade prod-1"]);
}

#[test]
fn abort_and_rollback_requests() {
    let fleet = [("dev-1", Environment::Dev), ("prod-1", Environment::Prod)];
    let plan = canary_plan(&fleet);
    let fake = Fake::new(&names(&fleet));
    let outcome = run_until(&fake, &plan, Phase::WaitingForApproval, |f| {
        f.request(ControlAction::Abort)
    })
    .unwrap();
    let Outcome::Failed(msg) = outcome else {
        panic!()
    };
    assert_eq!(msg, "rollout aborted by bob; clusters stay where they are");
    assert_eq!(fake.helm_log(), ["upgrade dev-1"]);

    // A rollback request on the ended rollout, picked up by resume.
    fake.request(ControlAction::Rollback);
    let Outcome::Failed(msg) = run(&fake, &plan, Mode::Resume).unwrap() else {
        panic!()
    };
    assert_eq!(msg, "rolled back on request of bob");
    assert_eq!(fake.helm_log(), ["upgrade dev-1", "rollback dev-1 1"]);
}

#[test]
fn start_refuses_over_a_running_rollout_and_resume_needs_the_same_plan() {
    let fleet = [("dev-1", Environment::Dev), ("prod-1", Environment::Prod)];
    let plan = canary_plan(&fleet);
    let fake = Fake::new(&names(&fleet));
    fake.with(|w| w.die_after = Some(3));
    assert!(matches!(
        run(&fake, &plan, start()),
        Err(EngineError::Environment(_))
    ));
    fake.with(|w| w.die_after = None);
    let err = run(
        &fake,
        &plan,
        Mode::Start {
            rollout_id: "r2".into(),
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("in the middle of rollout r1"),
        "{err}"
    );
    let mut other = plan.clone();
    other.digest = "sha256:1".into();
    let err = run(&fake, &other, Mode::Resume).unwrap_err();
    assert!(
        err.to_string().contains("started with another plan"),
        "{err}"
    );
    // The dead runner still holds the lock: another runner cannot resume without
    // `--take-over`.
    let mut o = opts(Mode::Resume);
    o.runner = "other".into();
    let err = run_with(&fake, &plan, o).unwrap_err();
    assert!(err.to_string().contains("lock held by r1/test"), "{err}");
}

/// The process dies after each possible mutating call in turn (a record write, a helm
/// upgrade or rollback); a resume (taking the dead runner's lock over) must finish the
/// rollout with every cluster upgraded exactly once and nothing lost.
#[test]
fn killed_at_every_step_and_resumed() {
    let fleet = [
        ("dev-1", Environment::Dev),
        ("staging-1", Environment::Staging),
        ("prod-1", Environment::Prod),
    ];
    let mut plan = canary_plan(&fleet);
    plan.approval_environments.clear();
    // How many mutating calls a clean run makes.
    let clean = Fake::new(&names(&fleet));
    assert_eq!(run(&clean, &plan, start()).unwrap(), Outcome::Completed);
    let total = clean.with(|w| w.mutations);
    assert!(total > 20, "{total}");
    let expected_helm = clean.helm_log();
    let expected = clean.merged();
    for die_after in 1..total {
        let fake = Fake::new(&names(&fleet));
        fake.with(|w| w.die_after = Some(die_after));
        let first = run(&fake, &plan, start());
        assert!(
            matches!(first, Err(EngineError::Environment(_))),
            "{die_after}: {first:?}"
        );
        fake.with(|w| w.die_after = None);
        let mut o = opts(Mode::Resume);
        o.take_over = true;
        let resumed = run_with(&fake, &plan, o);
        if fake.with(|w| w.clusters.values().all(|c| c.record.is_none())) {
            // Died before anything was recorded: nothing to resume, start again.
            assert!(matches!(resumed, Err(EngineError::Usage(_))));
            assert!(fake.helm_log().is_empty());
            continue;
        }
        assert_eq!(
            resumed.unwrap(),
            Outcome::Completed,
            "died after {die_after}"
        );
        assert_eq!(fake.helm_log(), expected_helm, "died after {die_after}");
        let r = fake.merged();
        assert_eq!(r.phase, Phase::Completed);
        for (name, _) in fleet {
            let (got, want) = (&r.clusters[name], &expected.clusters[name]);
            assert_eq!(got.phase, want.phase, "{die_after} {name}");
            assert_eq!(
                got.target_revision, want.target_revision,
                "{die_after} {name}"
            );
            assert_eq!(got.last_good_revision, Some(1), "{die_after} {name}");
        }
        assert!(r.audit.iter().any(|a| a.message.contains("resumed")));
    }
}

/// Killed during an automatic rollback: the resume finishes the rollback, rolling each
/// cluster back once.
#[test]
fn killed_during_rollback_and_resumed() {
    let fleet = [("dev-1", Environment::Dev), ("dev-2", Environment::Dev)];
    let mut plan = fast(test_plan(
        Strategy::Direct(Direct {
            parallel_clusters: 1,
            skip_health_checks: false,
        }),
        &fleet,
    ));
    plan.health.failure_threshold = 1;
    let clean = Fake::new(&names(&fleet));
    clean.with(|w| w.clusters.get_mut("dev-2").unwrap().crash_loop = true);
    assert!(matches!(
        run(&clean, &plan, start()).unwrap(),
        Outcome::Failed(_)
    ));
    let log = clean.log();
    let first_rollback = log.iter().position(|l| l.starts_with("rollback")).unwrap();
    let total = log.len();
    for die_after in first_rollback - 2..total {
        let fake = Fake::new(&names(&fleet));
        fake.with(|w| {
            w.clusters.get_mut("dev-2").unwrap().crash_loop = true;
            w.die_after = Some(die_after);
        });
        let _ = run(&fake, &plan, start());
        fake.with(|w| w.die_after = None);
        let mut o = opts(Mode::Resume);
        o.take_over = true;
        let resumed = run_with(&fake, &plan, o);
        let r = fake.merged();
        assert_eq!(r.phase, Phase::Failed, "{die_after}: {resumed:?}");
        let rollbacks: Vec<String> = fake
            .helm_log()
            .into_iter()
            .filter(|l| l.starts_with("rollback"))
            .collect();
        let mut sorted = rollbacks.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            rollbacks.len(),
            sorted.len(),
            "{die_after}: repeated {rollbacks:?}"
        );
        assert_eq!(
            sorted,
            ["rollback dev-1 1", "rollback dev-2 1"],
            "{die_after}"
        );
    }
}

#[test]
fn rollout_ids_are_valid_label_values() {
    let id = new_rollout_id("op");
    assert!(id.ends_with("-op") && id.len() == 22, "{id}");
    let long = new_rollout_id(&format!("{}-x", "a".repeat(42)));
    assert_eq!(long.len(), 62, "{long}");
    assert!(long.ends_with(&"a".repeat(42)), "{long}");
}
