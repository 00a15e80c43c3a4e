//! Every lint rule against its fixtures: `testdata/lint/<rule-id>/fail.yaml` must trigger the
//! rule (its findings are snapshotted) and `pass.yaml` must not. The registry itself is
//! checked too: unique kebab-case ids, a family, and a doc with all four sections.
//!
//! A fixture is a multi-document manifest. An optional first document of
//! `kind: LintFixture` sets up what a chart render would provide:
//!
//! ```yaml
//! kind: LintFixture
//! namespace: ops            # release namespace (default "ops")
//! kubeVersion: "1.33"
//! values: {}                # the values of this render
//! chart:                    # present: linting a chart, not plain manifests
//!   name: demo
//!   crdDirFiles: [crds/widgets.yaml]
//! toggles:                  # the chart re-rendered with one toggle flipped
//!   - key: crds.install
//!     value: false
//!     purpose: crds
//!     apiVersions: []
//!     objects: [ ... ]      # or `error: "render failed"`
//! ```

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use opm::lint::rules::{self, util};
use opm::lint::{ChartFacts, Context, Finding, LintObject, Rule, ToggleVariant};
use opm::report::SourceLocation;
use opm::template::Value;

struct Fixture {
    objects: Vec<LintObject>,
    toggles: Vec<ToggleVariant>,
    values: Value,
    chart: Option<ChartFacts>,
    namespace: String,
    kube_version: String,
}

fn fixture_dir(id: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join("lint")
        .join(id)
}

fn lint_object(doc: Value, namespace: &str, source: Option<SourceLocation>) -> LintObject {
    let kind = util::string_at(&doc, "kind").unwrap_or_default();
    let ns = util::string_at(&doc, "metadata.namespace")
        .or_else(|| (!util::is_cluster_scoped(&kind)).then(|| namespace.to_string()));
    let hook_events = util::annotation(&doc, "helm.sh/hook")
        .map(|h| h.split(',').map(|e| e.trim().to_string()).collect())
        .unwrap_or_default();
    LintObject {
        api_version: util::string_at(&doc, "apiVersion").unwrap_or_default(),
        name: util::string_at(&doc, "metadata.name").unwrap_or_default(),
        kind,
        namespace: ns,
        object: doc,
        source,
        source_text: None,
        hook_events,
    }
}

/// Split a multi-document stream on `---` lines, remembering where each document starts.
fn documents(text: &str, file: &str) -> Vec<(usize, Value)> {
    let mut docs = Vec::new();
    let mut chunk = String::new();
    let mut start = 1;
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim_end() == "---" {
            docs.push((start, std::mem::take(&mut chunk)));
            start = i + 2;
        } else {
            chunk.push_str(line);
            chunk.push('\n');
        }
    }
    docs.push((start, chunk));
    docs.into_iter()
        .filter_map(|(line, src)| {
            let v =
                opm::yaml::load_str(&src, file).unwrap_or_else(|e| panic!("{file}:{line}: {e}"));
            (!v.is_nil()).then_some((line, v))
        })
        .collect()
}

fn load_fixture(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    let mut docs = documents(&text, &file);
    let header = match docs.first() {
        Some((_, d)) if util::string_at(d, "kind").as_deref() == Some("LintFixture") => {
            Some(docs.remove(0).1)
        }
        _ => None,
    };
    let header = header.unwrap_or_else(Value::empty_map);
    let namespace = util::string_at(&header, "namespace").unwrap_or_else(|| "ops".into());
    let objects = docs
        .into_iter()
        .map(|(line, d)| {
            let src = SourceLocation {
                file: file.clone(),
                line,
                column: None,
            };
            lint_object(d, &namespace, Some(src))
        })
        .collect();
    let chart = util::get(&header, "chart").map(|c| ChartFacts {
        name: util::string_at(&c, "name").unwrap_or_default(),
        path: PathBuf::new(),
        default_values: util::get(&c, "defaultValues").unwrap_or_else(Value::empty_map),
        crd_dir_files: util::strings_at(&c, "crdDirFiles"),
        templates: Vec::new(),
    });
    let toggles = util::items(util::get(&header, "toggles"))
        .into_iter()
        .map(|t| {
            let purpose: &'static str = Box::leak(
                util::string_at(&t, "purpose")
                    .unwrap_or_default()
                    .into_boxed_str(),
            );
            let objects = match util::string_at(&t, "error") {
                Some(e) => Err(e),
                None => Ok(util::items(util::get(&t, "objects"))
                    .into_iter()
                    .map(|d| lint_object(d, &namespace, None))
                    .collect()),
            };
            ToggleVariant {
                key: util::string_at(&t, "key").unwrap_or_default(),
                value: util::get(&t, "value").unwrap_or_default(),
                purpose,
                objects,
                api_versions: util::strings_at(&t, "apiVersions"),
            }
        })
        .collect();
    Fixture {
        objects,
        toggles,
        values: util::get(&header, "values").unwrap_or_else(Value::empty_map),
        chart,
        kube_version: util::string_at(&header, "kubeVersion").unwrap_or_else(|| "1.33".into()),
        namespace,
    }
}

fn run(rule: &dyn Rule, fx: &Fixture) -> Vec<Finding> {
    let ctx = Context {
        toggles: &fx.toggles,
        objects: &fx.objects,
        values: &fx.values,
        chart: fx.chart.as_ref(),
        namespace: &fx.namespace,
        kube_version: &fx.kube_version,
        schema: None,
    };
    let mut out = Vec::new();
    rule.check(&ctx, &mut out);
    out
}

/// One line per finding: `severity object field (source): message`.
fn describe(rule: &dyn Rule, fx: &Fixture, findings: &[Finding]) -> String {
    let mut text = String::new();
    for f in findings {
        let severity = f.severity.unwrap_or(rule.meta().severity);
        let object = f.object.and_then(|i| fx.objects.get(i));
        let target = match object {
            Some(o) => format!(
                "{}/{}{}",
                o.kind,
                o.namespace
                    .as_deref()
                    .map(|n| format!("{n}/"))
                    .unwrap_or_default(),
                o.name
            ),
            None => "(chart)".to_string(),
        };
        let source = object
            .and_then(|o| o.source.as_ref())
            .map(|s| format!(" ({}:{})", s.file, s.line))
            .unwrap_or_default();
        let field = f
            .field
            .as_deref()
            .map(|f| format!(" {f}"))
            .unwrap_or_default();
        text.push_str(&format!(
            "{severity} {target}{field}{source}: {}\n",
            f.message
        ));
    }
    text
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[test]
fn registry_is_well_formed() {
    let all = rules::all();
    assert!(all.len() >= 45, "only {} rules", all.len());
    let mut seen = HashSet::new();
    for rule in &all {
        let m = rule.meta();
        assert!(is_kebab(m.id), "rule id {:?} is not kebab-case", m.id);
        assert!(seen.insert(m.id), "duplicate rule id {}", m.id);
        assert!(!m.family.is_empty(), "{} has no family", m.id);
        assert!(
            !m.summary.is_empty() && !m.summary.contains('\n'),
            "{} summary",
            m.id
        );
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Fix",
        ] {
            assert!(m.doc.contains(section), "{} doc lacks {section}", m.id);
        }
        assert!(
            rules::find(m.id).is_some_and(|r| r.meta().id == m.id),
            "find({}) failed",
            m.id
        );
    }
}

#[test]
fn every_rule_triggers_on_its_fail_fixture_and_not_on_its_pass_fixture() {
    let mut failures = Vec::new();
    for rule in rules::all() {
        let id = rule.meta().id;
        let dir = fixture_dir(id);
        let (fail, pass) = (dir.join("fail.yaml"), dir.join("pass.yaml"));
        if !fail.is_file() || !pass.is_file() {
            failures.push(format!("{id}: missing fail.yaml or pass.yaml"));
            continue;
        }
        let fx = load_fixture(&fail);
        let found = run(rule, &fx);
        if found.is_empty() {
            failures.push(format!("{id}: fail.yaml produced no finding"));
        } else {
            insta::assert_snapshot!(id, describe(rule, &fx, &found));
        }
        let fx = load_fixture(&pass);
        let found = run(rule, &fx);
        if !found.is_empty() {
            failures.push(format!(
                "{id}: pass.yaml produced findings:\n{}",
                describe(rule, &fx, &found)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn findings_point_at_existing_objects() {
    for rule in rules::all() {
        let fail = fixture_dir(rule.meta().id).join("fail.yaml");
        if !fail.is_file() {
            continue;
        }
        let fx = load_fixture(&fail);
        for f in run(rule, &fx) {
            if let Some(i) = f.object {
                assert!(i < fx.objects.len(), "{}: bad object index", rule.meta().id);
            }
            assert!(!f.message.is_empty());
        }
    }
}

/// Audit aid, not a check: run every rule over rendered charts and print the findings.
/// `OPM_LINT_AUDIT_DIR=<dir of helm-template outputs> cargo test --test lint_rules audit --
/// --ignored --nocapture` (release namespace `OPM_LINT_AUDIT_NAMESPACE`, default `default`).
#[test]
#[ignore]
fn audit_rendered_manifests() {
    let Ok(dir) = std::env::var("OPM_LINT_AUDIT_DIR") else {
        return;
    };
    let namespace = std::env::var("OPM_LINT_AUDIT_NAMESPACE").unwrap_or_else(|_| "default".into());
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let objects: Vec<LintObject> = documents(&text, &file)
            .into_iter()
            .map(|(line, d)| {
                let src = SourceLocation {
                    file: file.clone(),
                    line,
                    column: None,
                };
                lint_object(d, &namespace, Some(src))
            })
            .collect();
        let fx = Fixture {
            objects,
            toggles: Vec::new(),
            values: Value::empty_map(),
            chart: None,
            namespace: namespace.clone(),
            kube_version: "1.33".into(),
        };
        for rule in rules::all() {
            let found = run(rule, &fx);
            for line in describe(rule, &fx, &found).lines() {
                println!("{file} [{}] {line}", rule.meta().id);
            }
        }
    }
}
