//! `crd diff` with a `cluster:` side: read the file side, then the live CRDs it names (or
//! all with `--all`), diff, add the stored-version findings with their migration and,
//! with `--check-instances`, the stored objects NEW would reject.

use super::crd::CrdDiffArgs;
use crate::cluster::{connect, resolve_targets, ClusterArgs, ClusterEnv, ClusterError};
use crate::crd::command::{diff_loaded, DiffOutcome, DiffRequest};
use crate::crd::source::{cluster_spec, load_crd_objects, load_source};
use crate::error::Error;
use crate::live::stored::{stored_version_findings, RULE_STORED_VERSION};

/// Run the diff; returns the outcome and the target line for reports.
pub fn diff(args: &CrdDiffArgs, req: &DiffRequest) -> Result<(DiffOutcome, String), Error> {
    let old_cluster = cluster_spec(&req.old);
    let new_cluster = cluster_spec(&req.new);
    let (spec_context, file_side, live_is_old) = match (old_cluster, new_cluster) {
        (Some(_), Some(_)) => {
            return Err(Error::Usage(
                "crd diff compares the cluster with a file, directory or chart: only one side can be cluster:".to_string(),
            ))
        }
        (Some(ctx), None) => (ctx, &req.new, true),
        (None, Some(ctx)) => (ctx, &req.old, false),
        (None, None) => unreachable_sides()?,
    };
    if args.check_instances && !live_is_old {
        return Err(Error::Usage(
            "--check-instances validates the cluster's stored objects against NEW: put cluster: on the OLD side".to_string(),
        ));
    }
    let file_crds = load_source(file_side, &req.chart)?;
    let new_raw = if args.check_instances {
        load_crd_objects(file_side, &req.chart)?
    } else {
        Vec::new()
    };
    let context = spec_context
        .map(str::to_string)
        .or_else(|| args.kube_context.clone());
    let cluster_args = ClusterArgs {
        kubeconfig: args.kubeconfig.clone(),
        contexts: context.iter().cloned().collect(),
        parallel: 1,
        request_timeout: args.request_timeout,
        ..ClusterArgs::default()
    };
    let names: Vec<String> = file_crds.iter().map(|c| c.name.clone()).collect();
    let rt = crate::live::runtime()?;
    let (context, live, instance_findings) = rt.block_on(async {
        let targets = resolve_targets(&cluster_args, &ClusterEnv::from_process()).await?;
        let target = targets.first().ok_or_else(|| ClusterError::Config {
            message: "no kubeconfig context to use".to_string(),
        })?;
        let cluster = connect(target)?;
        let live = crate::live::crds::live_crds(&cluster, &names, args.all).await?;
        let found = if args.check_instances {
            crate::live::crds::instance_findings(&cluster, &live, &file_crds, &new_raw).await?
        } else {
            Vec::new()
        };
        Ok::<_, Error>((cluster.context.clone(), live, found))
    })?;
    let (old, new) = if live_is_old {
        (&live, &file_crds)
    } else {
        (&file_crds, &live)
    };
    let mut outcome = diff_loaded(old, new, req);
    if live_is_old {
        // Our stored-version findings carry the migration to run; they replace the diff
        // engine's (which only knows removals, not versions that stop being served).
        if let Some(level) = req
            .levels
            .severity(crate::crd::CrdRule::StoredVersionRemoved, true)
        {
            outcome
                .diagnostics
                .retain(|d| d.rule != RULE_STORED_VERSION);
            for mut d in stored_version_findings(&live, &file_crds, Some(&context)) {
                d.severity = level;
                outcome.diagnostics.push(d);
            }
        }
        outcome.diagnostics.extend(instance_findings);
    }
    let shown = |spec: &str| match cluster_spec(spec) {
        Some(_) => format!("cluster:{context}"),
        None => spec.to_string(),
    };
    Ok((
        outcome,
        format!("{} → {}", shown(&req.old), shown(&req.new)),
    ))
}

fn unreachable_sides<T>() -> Result<T, Error> {
    Err(Error::Usage("crd diff: no cluster: side".to_string()))
}
