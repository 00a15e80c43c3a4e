//! `kubectl opm crd diff` as a library call: read both sides, diff, and turn the changes
//! into [`Diagnostic`]s with the configured levels applied.

use super::diff::{diff_crds, Change};
use super::model::{Crd, CRD_KIND};
use super::rules::Levels;
use super::source::{load_source, ChartOptions};
use super::CrdError;
use crate::report::{Diagnostic, ObjectRef, Severity};

/// What to compare and how to report it.
#[derive(Debug, Clone, Default)]
pub struct DiffRequest {
    /// Old side: a CRD file, a directory, a chart (directory or `.tgz`) or `git:REF:PATH`.
    pub old: String,
    /// New side, in the same forms.
    pub new: String,
    /// How chart inputs are rendered (both sides alike).
    pub chart: ChartOptions,
    pub levels: Levels,
    /// Add each check's remediation as the diagnostic's help.
    pub explain: bool,
    /// Leave out findings that are not breaking.
    pub breaking_only: bool,
}

/// The result of a diff.
#[derive(Debug, Clone)]
pub struct DiffOutcome {
    /// Every classified change, before levels.
    pub changes: Vec<Change>,
    /// The changes as reported (levels applied, `off` dropped), in the same order.
    pub diagnostics: Vec<Diagnostic>,
}

impl DiffOutcome {
    /// Whether a reported finding is breaking.
    pub fn has_breaking(&self) -> bool {
        self.diagnostics.iter().any(|d| d.breaking == Some(true))
    }

    /// Whether a reported finding is at or above `fail_on`: exit code 1.
    pub fn fails(&self, fail_on: Severity) -> bool {
        self.diagnostics.iter().any(|d| d.severity >= fail_on)
    }
}

/// Stack for the threads that read a side: rendering a chart recurses as deep as Helm's
/// `include` limit allows (the memory is only reserved, not used).
const LOADER_STACK: usize = 256 * 1024 * 1024;

/// Read both sides and diff them.
pub fn diff(req: &DiffRequest) -> Result<DiffOutcome, CrdError> {
    let (old, new) = load_both(req)?;
    Ok(diff_loaded(&old, &new, req))
}

/// Read the two sides at the same time: each is independent work (rendering a chart,
/// parsing megabytes of YAML), and the model they produce is plain data.
pub fn load_both(req: &DiffRequest) -> Result<(Vec<Crd>, Vec<Crd>), CrdError> {
    std::thread::scope(|scope| {
        let spawn = |spec: &'_ str| {
            let spec = spec.to_string();
            let chart = &req.chart;
            std::thread::Builder::new()
                .stack_size(LOADER_STACK)
                .spawn_scoped(scope, move || load_source(&spec, chart))
        };
        let old = spawn(&req.old);
        // If no thread can be started, read the new side here.
        let new = match spawn(&req.new) {
            Ok(handle) => join(handle)?,
            Err(_) => load_source(&req.new, &req.chart)?,
        };
        let old = match old {
            Ok(handle) => join(handle)?,
            Err(_) => load_source(&req.old, &req.chart)?,
        };
        Ok((old, new))
    })
}

fn join(
    handle: std::thread::ScopedJoinHandle<'_, Result<Vec<Crd>, CrdError>>,
) -> Result<Vec<Crd>, CrdError> {
    handle.join().unwrap_or_else(|_| {
        Err(CrdError::Environment(
            "internal error: reading CRDs panicked".to_string(),
        ))
    })
}

/// Diff CRDs that are already read.
pub fn diff_loaded(old: &[Crd], new: &[Crd], req: &DiffRequest) -> DiffOutcome {
    let changes = diff_crds(old, new);
    let mut diagnostics = Vec::with_capacity(changes.len());
    for change in &changes {
        if req.breaking_only && !change.breaking {
            continue;
        }
        let Some(severity) = req.levels.severity(change.rule, change.breaking) else {
            continue;
        };
        let crd = new
            .iter()
            .find(|c| c.name == change.crd)
            .or_else(|| old.iter().find(|c| c.name == change.crd));
        diagnostics.push(to_diagnostic(change, severity, crd, req.explain));
    }
    DiffOutcome {
        changes,
        diagnostics,
    }
}

/// One change as a diagnostic. `field` and `crdVersion` are always present (empty for
/// version-level and CRD-level changes), so consumers can key findings on them.
pub fn to_diagnostic(
    change: &Change,
    severity: Severity,
    crd: Option<&Crd>,
    explain: bool,
) -> Diagnostic {
    let mut location = change.version.clone();
    if !change.field.is_empty() {
        if !location.is_empty() {
            location.push(' ');
        }
        location.push_str(&change.field);
    }
    let mut message = String::new();
    if !location.is_empty() {
        message.push_str(&location);
        message.push_str(": ");
    }
    message.push_str(&change.message_without_field());
    let mut d = Diagnostic::new(change.rule.id(), severity, message);
    d.object = Some(ObjectRef {
        api_version: crd
            .map(|c| c.api_version.clone())
            .unwrap_or_else(|| "apiextensions.k8s.io/v1".to_string()),
        kind: CRD_KIND.to_string(),
        namespace: None,
        name: change.crd.clone(),
    });
    d.field = Some(change.field.clone());
    d.crd_version = Some(change.version.clone());
    d.breaking = Some(change.breaking);
    if explain {
        d.help = Some(change.rule.meta().remediation.to_string());
    }
    d.docs = Some(super::rules::docs_url(change.rule.id()));
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_can_cross_threads() {
        fn send<T: Send>() {}
        send::<Crd>();
        send::<CrdError>();
    }
}
