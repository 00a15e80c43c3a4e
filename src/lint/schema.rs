//! Schema validation inside `opm lint`: the `schema` rule family's shared pass.
//!
//! One [`SchemaValidator`] per chart (or manifest set) and target Kubernetes version
//! ([`SchemaSetup`]); one [`SchemaPass`] per lint [`Context`] runs it once over the
//! render's objects, the chart's `crds/` files and the objects that only the chart's toggle
//! variants render, and every rule of the family picks its own findings from that pass
//! ([`emit`]). Rules stay one file each (ids, docs, severities, config and suppressions
//! work as for any rule) while the objects are walked once.
//!
//! Deprecated and removed API versions are the `deprecations` family's: the validator's
//! own API-version findings are dropped when that family's table covers the kind (it knows
//! about `.Capabilities`-guarded fallbacks), and reported under that family's rule ids
//! otherwise (CRD versions marked `deprecated`, removals seen only in the embedded schemas).

use std::cell::OnceCell;
use std::path::PathBuf;
use std::rc::Rc;

use super::{Context, Finding, LintObject};
use crate::report::{Diagnostic, Severity};
use crate::schema::{self, MissingSchemas, SchemaValidator, ValidateOptions};

/// The lint rule ids the validator's findings are reported under.
pub const REMOVED_API_VERSION: &str = "removed-api-version";
pub const DEPRECATED_API_VERSION: &str = "deprecated-api-version";

/// Schema settings of a lint run: flags, then `.opm.yaml` `schema:`, then defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaSettings {
    /// Kinds with no schema. Lint's default is `skip` (see docs/architecture.md).
    pub missing: Option<MissingSchemas>,
    /// `--crd PATH`: CRD files or directories that define custom resources.
    pub crds: Vec<PathBuf>,
    /// `--schema-location DIR`: extra JSON Schemas in kubeconform's layout.
    pub locations: Vec<PathBuf>,
}

impl SchemaSettings {
    /// `self` where set, `fallback` otherwise (flags over config).
    pub fn or(&self, fallback: &SchemaSettings) -> SchemaSettings {
        SchemaSettings {
            missing: self.missing.or(fallback.missing),
            crds: if self.crds.is_empty() {
                fallback.crds.clone()
            } else {
                self.crds.clone()
            },
            locations: if self.locations.is_empty() {
                fallback.locations.clone()
            } else {
                self.locations.clone()
            },
        }
    }

    /// The `--missing-schemas` policy lint uses.
    pub fn missing_schemas(&self) -> MissingSchemas {
        self.missing.unwrap_or(MissingSchemas::Skip)
    }
}

/// A validator for one lint target, plus the CRDs of the chart's `crds/` directories.
pub struct SchemaSetup {
    validator: Result<SchemaValidator, String>,
    missing: MissingSchemas,
    /// CRDs from `crds/` (the chart's and its subcharts'): Helm installs them before the
    /// templates, so custom resources in templates are validated against them.
    chart_crds: Vec<LintObject>,
}

impl SchemaSetup {
    /// Build the validator. Problems that stop schema validation for this target (an
    /// unsupported version, a `--crd` file that does not parse, a schema location that is
    /// not a directory) are not fatal to lint: they become one finding of the family.
    pub fn new(kube_version: &str, settings: &SchemaSettings, chart_crds: Vec<LintObject>) -> Self {
        let missing = settings.missing_schemas();
        let mut crds = Vec::new();
        let mut problem = None;
        for path in &settings.crds {
            match schema::read_objects(path) {
                Ok(objects) => crds.extend(objects),
                Err(e) => {
                    problem = Some(e.to_string());
                    break;
                }
            }
        }
        let validator = match problem {
            Some(p) => Err(p),
            None => SchemaValidator::new(&ValidateOptions {
                kube_version: Some(kube_version.to_string()),
                missing_schemas: missing,
                crds,
                schema_locations: settings.locations.clone(),
            })
            .map_err(|e| e.to_string()),
        };
        SchemaSetup {
            validator,
            missing,
            chart_crds,
        }
    }

    /// Validate objects ahead of their lint pass, with the chart's `crds/` CRDs, and
    /// forget the findings: the validator caches results by document content, so the pass
    /// itself then mostly looks them up. Lint calls this for each render as it finishes,
    /// while the other renders still run.
    pub fn warm(&self, objects: &[LintObject]) {
        if let Ok(v) = &self.validator {
            let mut all = objects.to_vec();
            all.extend(self.chart_crds.iter().cloned());
            v.validate_indexed(&all);
        }
    }

    /// The setup of a context that brings none (tests of single rules): library defaults
    /// (`--missing-schemas warn`) for the context's version, no extra CRDs.
    fn for_context(ctx: &Context<'_>) -> SchemaSetup {
        let settings = SchemaSettings {
            missing: Some(MissingSchemas::Warn),
            ..SchemaSettings::default()
        };
        SchemaSetup::new(ctx.kube_version, &settings, Vec::new())
    }
}

/// The CRDs in a chart's `crds/` directories (its own and its subcharts'), parsed.
/// Files that do not parse are skipped here: `helm install` reports them, and the `crds`
/// family's rules look at these files themselves.
pub fn chart_crds(chart: &crate::chart::Chart) -> Vec<LintObject> {
    let mut out = Vec::new();
    collect_chart_crds(chart, "", &mut out);
    out
}

fn collect_chart_crds(chart: &crate::chart::Chart, prefix: &str, out: &mut Vec<LintObject>) {
    for f in chart.crds() {
        let text = String::from_utf8_lossy(&f.data);
        let name = format!("{prefix}{}", f.name);
        if let Ok(objects) = schema::parse_objects(&text, &name) {
            out.extend(objects.into_iter().filter(schema::crd::is_crd));
        }
    }
    for dep in &chart.dependencies {
        collect_chart_crds(dep, &format!("{prefix}charts/{}/", dep.name()), out);
    }
}

/// One finding of the pass, under the lint rule id it is reported as.
#[derive(Debug, Clone)]
pub struct SchemaFinding {
    pub rule: String,
    pub finding: Finding,
}

/// The schema findings of one context, computed on first use.
pub struct SchemaPass<'a> {
    setup: &'a SchemaSetup,
    /// Whether to validate the objects only toggle variants render: variants are renders
    /// of the chart defaults, so only the default render's pass looks at them (a values
    /// matrix render would report them again, under different documents).
    variants: bool,
    results: OnceCell<Vec<SchemaFinding>>,
}

impl<'a> SchemaPass<'a> {
    pub fn new(setup: &'a SchemaSetup, variants: bool) -> SchemaPass<'a> {
        SchemaPass {
            setup,
            variants,
            results: OnceCell::new(),
        }
    }

    fn results(&self, ctx: &Context<'_>) -> &[SchemaFinding] {
        self.results
            .get_or_init(|| compute(self.setup, ctx, self.variants))
    }
}

/// Push the pass's findings of `rule` (a rule of the `schema` family calls this with its
/// own id; the `deprecations` rules with theirs).
pub fn emit(ctx: &Context<'_>, rule: &str, out: &mut Vec<Finding>) {
    let owned;
    let results = match ctx.schema {
        Some(pass) => pass.results(ctx),
        None => {
            owned = compute(&SchemaSetup::for_context(ctx), ctx, true);
            owned.as_slice()
        }
    };
    out.extend(
        results
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| f.finding.clone()),
    );
}

/// Where a validated object came from.
enum Origin {
    /// `ctx.objects[i]`.
    Render(usize),
    /// A `crds/` file of the chart.
    CrdDir,
    /// Rendered only with a toggle flipped: `key=value`.
    Variant(String),
}

fn compute(setup: &SchemaSetup, ctx: &Context<'_>, variants: bool) -> Vec<SchemaFinding> {
    let validator = match &setup.validator {
        Ok(v) => v,
        Err(message) => {
            let mut f = Finding::chart(format!("schema validation skipped: {message}"));
            f.severity = Some(Severity::Warning);
            return vec![SchemaFinding {
                rule: schema::RULE_MISSING.to_string(),
                finding: f,
            }];
        }
    };
    let mut objects: Vec<LintObject> = ctx.objects.to_vec();
    let mut origins: Vec<Origin> = (0..objects.len()).map(Origin::Render).collect();
    for o in &setup.chart_crds {
        objects.push(o.clone());
        origins.push(Origin::CrdDir);
    }
    // Objects only a toggle variant renders (the chart's documents are parsed once per
    // distinct text, so an object every render shares is the same value).
    let mut seen: std::collections::HashSet<*const ()> = ctx
        .objects
        .iter()
        .filter_map(|o| identity(&o.object))
        .collect();
    let mut variant_objects = Vec::new();
    let toggles = if variants { ctx.toggles } else { &[] };
    for v in toggles {
        let Ok(list) = &v.objects else { continue };
        for o in list {
            match identity(&o.object) {
                Some(id) if seen.insert(id) => {}
                _ => continue,
            }
            variant_objects.push((o.clone(), format!("{}={}", v.key, toggle_value(&v.value))));
        }
    }
    for (o, label) in variant_objects {
        objects.push(o);
        origins.push(Origin::Variant(label));
    }

    let mut out: Vec<SchemaFinding> = Vec::new();
    let mut render_keys = std::collections::HashSet::new();
    for (index, d) in validator.validate_indexed(&objects) {
        let Some(rule) = lint_rule(&d) else { continue };
        let origin = index.and_then(|i| origins.get(i));
        let object = index.and_then(|i| objects.get(i));
        let key = (rule, d.object.clone(), d.field.clone(), d.message.clone());
        let mut finding = Finding {
            message: d.message.clone(),
            object: None,
            field: d.field.clone(),
            severity: severity_override(&d, setup.missing),
            help: None,
            other_object: None,
        };
        match origin {
            Some(Origin::Render(i)) => {
                render_keys.insert(key);
                finding.object = Some(*i);
            }
            Some(Origin::CrdDir) => {
                finding.other_object = object.cloned().map(Box::new);
            }
            Some(Origin::Variant(label)) => {
                if render_keys.contains(&key) {
                    continue;
                }
                finding.message = format!("{} (rendered with {label})", d.message);
                finding.other_object = object.cloned().map(Box::new);
            }
            None => {
                finding.message = match &d.object {
                    Some(o) => format!("--crd {}: {}", o.name, d.message),
                    None => d.message.clone(),
                };
            }
        }
        out.push(SchemaFinding {
            rule: rule.to_string(),
            finding,
        });
    }
    out
}

/// The lint rule id of a validator finding; `None` when another family reports it.
fn lint_rule(d: &Diagnostic) -> Option<&'static str> {
    let api = d
        .object
        .as_ref()
        .map(|o| (o.api_version.as_str(), o.kind.as_str()));
    let covered = || api.is_some_and(|(v, k)| super::rules::deprecations::lookup(v, k).is_some());
    match d.rule.as_str() {
        schema::RULE_API_REMOVED => (!covered()).then_some(REMOVED_API_VERSION),
        schema::RULE_API_DEPRECATED => (!covered()).then_some(DEPRECATED_API_VERSION),
        other => schema::RULES
            .iter()
            .map(|(id, _)| *id)
            .find(|id| *id == other),
    }
}

/// `schema-missing` follows `--missing-schemas`; everything else keeps the rule default.
fn severity_override(d: &Diagnostic, missing: MissingSchemas) -> Option<Severity> {
    (d.rule == schema::RULE_MISSING).then_some(match missing {
        MissingSchemas::Error => Severity::Error,
        _ => Severity::Warning,
    })
}

/// The identity of a parsed document (objects are maps shared between renders).
fn identity(v: &crate::template::Value) -> Option<*const ()> {
    match v {
        crate::template::Value::Map(m) => Some(Rc::as_ptr(m) as *const ()),
        _ => None,
    }
}

fn toggle_value(v: &crate::template::Value) -> String {
    match v {
        crate::template::Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}
