//! Run the enabled rules over a [`Context`] and turn their [`Finding`]s into
//! [`Diagnostic`]s: severity after config, object reference, template source line, help
//! (the rule doc's Fix section when the finding has none), docs link and the values file of
//! the render. Suppressions (`kubectl-opm/ignore` annotation, config `exclude`) are applied
//! here, and [`finish`] dedupes findings repeated across the renders of a values matrix and
//! sorts them.

use std::collections::HashSet;

use super::config::{Config, RuleLevel};
use super::registry::{docs_url, fix_summary, Registry};
use super::{source_map, Context, Finding, LintObject, Rule};
use crate::report::{Diagnostic, Severity, SourceLocation};

/// Annotation that turns rules off for one object: `kubectl-opm/ignore: rule-a,rule-b`
/// (or `all`).
pub const IGNORE_ANNOTATION: &str = "kubectl-opm/ignore";

/// Rules (with their effective default severity) that a config leaves enabled.
pub fn enabled_rules(
    registry: &Registry,
    config: &Config,
) -> Vec<(&'static dyn Rule, Option<Severity>)> {
    let mut out = Vec::new();
    for rule in registry.rules() {
        match config.level(rule.meta().id) {
            Some(RuleLevel::Off) => {}
            Some(level) => out.push((*rule, level.severity())),
            None => out.push((*rule, None)),
        }
    }
    out
}

/// Lint one render (or one set of manifests). `values_file` names the values-matrix file of
/// this render (None for the chart defaults or plain manifests).
pub fn lint_context(
    registry: &Registry,
    config: &Config,
    ctx: &Context<'_>,
    values_file: Option<&str>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut findings = Vec::new();
    for (rule, configured) in enabled_rules(registry, config) {
        findings.clear();
        rule.check(ctx, &mut findings);
        let meta = rule.meta();
        for finding in findings.drain(..) {
            let other = finding.other_object.clone();
            let object = finding
                .object
                .and_then(|i| ctx.objects.get(i))
                .or(other.as_deref());
            if let Some(o) = object {
                if ignored_by_annotation(o, meta.id)
                    || config.excluded(meta.id, &o.kind, o.namespace.as_deref(), &o.name)
                {
                    continue;
                }
            }
            let severity = configured.or(finding.severity).unwrap_or(meta.severity);
            out.push(diagnostic(meta, severity, finding, object, values_file));
        }
    }
    out
}

fn diagnostic(
    meta: &super::RuleMeta,
    severity: Severity,
    finding: Finding,
    object: Option<&LintObject>,
    values_file: Option<&str>,
) -> Diagnostic {
    let mut d = Diagnostic::new(meta.id, severity, finding.message);
    if let Some(o) = object {
        d.object = Some(o.object_ref());
        d.source = source_of(o, finding.field.as_deref());
    }
    d.field = finding.field;
    d.help = finding.help.or_else(|| fix_summary(meta.doc));
    d.docs = Some(docs_url(meta.id));
    d.values = values_file.map(str::to_string);
    d
}

/// The template line of `field` in the object (see [`source_map`]). Without the source
/// text, the object's own location is all we know.
pub fn source_of(object: &LintObject, field: Option<&str>) -> Option<SourceLocation> {
    let src = object.source.as_ref()?;
    let Some(text) = object.source_text.as_ref() else {
        return Some(src.clone());
    };
    let pos = source_map::locate_shared(text, src.line, field);
    Some(SourceLocation {
        file: src.file.clone(),
        line: pos.line,
        column: Some(pos.column),
    })
}

/// Whether the object's `kubectl-opm/ignore` annotation names the rule (or `all`).
pub fn ignored_by_annotation(object: &LintObject, rule: &str) -> bool {
    let Some(list) = object.annotation(IGNORE_ANNOTATION) else {
        return false;
    };
    list.split(',')
        .map(str::trim)
        .any(|r| r == rule || r == "all")
}

/// Dedupe findings that several renders (default values and the values matrix) produced
/// identically — the first one is kept, so its `values` names the first render that showed
/// it — and sort by file, line, column, rule, then object and message. Findings without a
/// source (chart-level) come first.
pub fn finish(diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(diags.len());
    for d in diags {
        let mut key = d.clone();
        key.values = None;
        if seen.insert(key) {
            out.push(d);
        }
    }
    out.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    out
}

type SortKey<'a> = (
    Option<(&'a str, usize, usize)>,
    &'a str,
    Option<(&'a str, Option<&'a str>, &'a str)>,
    Option<&'a str>,
    &'a str,
);

fn sort_key(d: &Diagnostic) -> SortKey<'_> {
    (
        d.source
            .as_ref()
            .map(|s| (s.file.as_str(), s.line, s.column.unwrap_or(0))),
        d.rule.as_str(),
        d.object
            .as_ref()
            .map(|o| (o.kind.as_str(), o.namespace.as_deref(), o.name.as_str())),
        d.field.as_deref(),
        d.message.as_str(),
    )
}

/// Exit code for a finished lint: 1 when any finding is at or above `fail_on`, else 0.
pub fn exit_code(diags: &[Diagnostic], fail_on: Severity) -> i32 {
    i32::from(diags.iter().any(|d| d.severity >= fail_on))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::query::test_support::{map, object, s};
    use crate::lint::registry::test_rules;
    use crate::lint::Context;
    use crate::template::Value;
    use std::rc::Rc;

    const PDB: &str = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  minAvailable: 1\n";

    fn pdb(name: &str, annotations: Option<&str>) -> LintObject {
        let mut meta = vec![("name", s(name))];
        if let Some(a) = annotations {
            meta.push(("annotations", map(&[(IGNORE_ANNOTATION, s(a))])));
        }
        let mut o = object(map(&[
            ("apiVersion", s("policy/v1")),
            ("kind", s("PodDisruptionBudget")),
            ("metadata", map(&meta)),
            ("spec", map(&[("minAvailable", Value::Float(1.0))])),
        ]));
        o.source = Some(SourceLocation {
            file: "templates/pdb.yaml".into(),
            line: 1,
            column: None,
        });
        o.source_text = Some(Rc::from(PDB));
        o
    }

    fn run(objects: &[LintObject], config: &Config, values: Option<&str>) -> Vec<Diagnostic> {
        let v = Value::Nil;
        let ctx = Context {
            toggles: &[],
            objects,
            values: &v,
            chart: None,
            namespace: "default",
            kube_version: "1.33",
            schema: None,
        };
        lint_context(&test_rules::registry(), config, &ctx, values)
    }

    #[test]
    fn findings_become_diagnostics() {
        let diags = run(
            &[pdb("a", None)],
            &Config::default(),
            Some("ci/prod-values.yaml"),
        );
        let json = serde_json::to_string(&diags).unwrap();
        assert_eq!(
            json,
            r#"[{"rule":"dummy-pdb-min-available","severity":"error","message":"PDB a sets minAvailable","object":{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","namespace":"default","name":"a"},"field":"spec.minAvailable","source":{"file":"templates/pdb.yaml","line":6,"column":3},"values":"ci/prod-values.yaml","help":"Use `maxUnavailable: 1` instead","docs":"https://kubectl-opm.dev/rules/dummy-pdb-min-available"},{"rule":"dummy-no-configmap","severity":"warning","message":"no ConfigMap rendered","values":"ci/prod-values.yaml","help":"Add a ConfigMap.","docs":"https://kubectl-opm.dev/rules/dummy-no-configmap"}]"#
        );
    }

    #[test]
    fn annotation_suppresses() {
        let objs = [
            pdb("a", Some("dummy-pdb-min-available")),
            pdb("b", Some("other-rule, all")),
            pdb("c", Some("other-rule")),
        ];
        let diags = run(&objs, &Config::default(), None);
        let names: Vec<_> = diags
            .iter()
            .filter_map(|d| d.object.as_ref().map(|o| o.name.as_str()))
            .collect();
        assert_eq!(names, vec!["c"]);
    }

    #[test]
    fn config_levels_and_excludes() {
        let reg = test_rules::registry();
        let config = Config::parse(
            "rules:\n  dummy-no-configmap: off\n  dummy-pdb-min-available: info\nexclude:\n  - kind: PodDisruptionBudget\n    name: skip-*\n",
            std::path::Path::new(".opm.yaml"),
            &reg,
        )
        .unwrap();
        let diags = run(&[pdb("a", None), pdb("skip-me", None)], &config, None);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].severity, Severity::Info);
        assert_eq!(diags[0].object.as_ref().unwrap().name, "a");
    }

    #[test]
    fn dedupes_across_renders_and_sorts() {
        let objs = [pdb("b", None), pdb("a", None)];
        let mut all = run(&objs, &Config::default(), None);
        all.extend(run(&objs, &Config::default(), Some("ci/prod-values.yaml")));
        let mut only_prod = run(
            &[pdb("z", None)],
            &Config::default(),
            Some("ci/prod-values.yaml"),
        );
        only_prod.retain(|d| d.object.is_some());
        all.extend(only_prod);
        let done = finish(all);
        let summary: Vec<(String, Option<String>, Option<String>)> = done
            .iter()
            .map(|d| {
                (
                    d.rule.clone(),
                    d.object.as_ref().map(|o| o.name.clone()),
                    d.values.clone(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("dummy-no-configmap".into(), None, None),
                ("dummy-pdb-min-available".into(), Some("a".into()), None),
                ("dummy-pdb-min-available".into(), Some("b".into()), None),
                (
                    "dummy-pdb-min-available".into(),
                    Some("z".into()),
                    Some("ci/prod-values.yaml".into())
                ),
            ]
        );
        assert_eq!(exit_code(&done, Severity::Error), 1);
        let warnings_only: Vec<_> = done
            .into_iter()
            .filter(|d| d.severity < Severity::Error)
            .collect();
        assert_eq!(exit_code(&warnings_only, Severity::Error), 0);
        assert_eq!(exit_code(&warnings_only, Severity::Warning), 1);
    }

    #[test]
    fn source_without_text_keeps_object_location() {
        let mut o = pdb("a", None);
        o.source_text = None;
        o.source = Some(SourceLocation {
            file: "m.yaml".into(),
            line: 4,
            column: None,
        });
        assert_eq!(source_of(&o, Some("spec")).unwrap().line, 4);
        o.source = None;
        assert_eq!(source_of(&o, Some("spec")), None);
    }
}
