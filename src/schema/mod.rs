//! Schema validation of Kubernetes objects, offline: built-in kinds against the embedded
//! Kubernetes schemas of the target version, custom resources against their CRDs'
//! structural schemas (with `x-kubernetes-validations` CEL rules), extra JSON Schemas from
//! `--schema-location` directories, and deprecated/removed API versions.
//!
//! Flow: [`LintObject`]s → [`SchemaValidator::validate`] → [`Diagnostic`]s (rule family
//! `schema` in `opm lint`, or alone in `opm validate`).
//!
//! Rule ids:
//!
//! | id | severity | what |
//! |---|---|---|
//! | `schema-type-mismatch` | error | a field has the wrong type |
//! | `schema-unknown-field` | error | a field the schema does not know (kubectl strict) |
//! | `schema-required-missing` | error | a required field is absent |
//! | `schema-invalid` | error | enum, pattern, bounds, format, quantity, duplicates, anyOf/oneOf, missing apiVersion/kind |
//! | `schema-missing` | warning (per `--missing-schemas`) | no schema for this kind |
//! | `cel-rule-violated` | error | an `x-kubernetes-validations` rule is false (or fails at run time) |
//! | `cel-rule-not-evaluated` | info | a rule we cannot evaluate offline (transition rule, unsupported function) |
//! | `cel-rule-invalid` | error | a CRD rule that does not compile |
//! | `crd-schema-not-structural` | error | a CRD schema the API server rejects as non-structural |
//! | `crd-schema-invalid` | error | a CRD schema that cannot be compiled (bad pattern, …) |
//! | `crd-version-not-served` | error | a custom resource of a CRD version with `served: false` |
//! | `api-version-removed` | error | the apiVersion is no longer served by the target version |
//! | `api-version-unavailable` | error | the apiVersion is not served yet by the target version |
//! | `api-version-deprecated` | warning | deprecated, with replacement and removal version |

pub mod cache;
pub mod cel;
pub mod crd;
pub mod deprecations;
pub mod formats;
pub mod locate;
pub mod node;
pub mod quantity;
pub mod store;
pub mod validate;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::lint::LintObject;
use crate::report::{Diagnostic, Severity, SourceLocation};

pub use store::{supported_versions, VersionSchemas};
use validate::{Mode, NoRefs, Resolver, Validator, Violation, ViolationKind};

pub const RULE_TYPE_MISMATCH: &str = "schema-type-mismatch";
pub const RULE_UNKNOWN_FIELD: &str = "schema-unknown-field";
pub const RULE_REQUIRED_MISSING: &str = "schema-required-missing";
pub const RULE_INVALID: &str = "schema-invalid";
pub const RULE_MISSING: &str = "schema-missing";
pub const RULE_CEL_VIOLATED: &str = "cel-rule-violated";
pub const RULE_CEL_NOT_EVALUATED: &str = "cel-rule-not-evaluated";
pub const RULE_CEL_INVALID: &str = "cel-rule-invalid";
pub const RULE_CRD_NOT_STRUCTURAL: &str = "crd-schema-not-structural";
pub const RULE_CRD_SCHEMA_INVALID: &str = "crd-schema-invalid";
pub const RULE_CRD_NOT_SERVED: &str = "crd-version-not-served";
pub const RULE_API_REMOVED: &str = "api-version-removed";
pub const RULE_API_UNAVAILABLE: &str = "api-version-unavailable";
pub const RULE_API_DEPRECATED: &str = "api-version-deprecated";

/// Every rule id of the `schema` family with its default severity.
pub const RULES: &[(&str, Severity)] = &[
    (RULE_TYPE_MISMATCH, Severity::Error),
    (RULE_UNKNOWN_FIELD, Severity::Error),
    (RULE_REQUIRED_MISSING, Severity::Error),
    (RULE_INVALID, Severity::Error),
    (RULE_MISSING, Severity::Warning),
    (RULE_CEL_VIOLATED, Severity::Error),
    (RULE_CEL_NOT_EVALUATED, Severity::Info),
    (RULE_CEL_INVALID, Severity::Error),
    (RULE_CRD_NOT_STRUCTURAL, Severity::Error),
    (RULE_CRD_SCHEMA_INVALID, Severity::Error),
    (RULE_CRD_NOT_SERVED, Severity::Error),
    (RULE_API_REMOVED, Severity::Error),
    (RULE_API_UNAVAILABLE, Severity::Error),
    (RULE_API_DEPRECATED, Severity::Warning),
];

/// Problems that stop validation before it starts (bad options, broken embedded data).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    #[error("Kubernetes version {0:?} is not supported; supported: {versions}", versions = supported_versions().join(", "))]
    UnsupportedVersion(String),
    #[error("embedded schema data is corrupt: {0}")]
    Store(String),
    #[error("schema location {path}: {message}")]
    Location { path: String, message: String },
    /// A manifest or CRD file that cannot be read or parsed.
    #[error("{path}: {message}")]
    Input { path: String, message: String },
}

/// Read Kubernetes objects from a manifest file or a directory (walked in name order for
/// `*.yaml`, `*.yml`, `*.json`): `--crd PATH` and `opm validate -f`.
pub fn read_objects(path: &Path) -> Result<Vec<LintObject>, SchemaError> {
    let mut out = Vec::new();
    read_objects_into(path, &mut out)?;
    Ok(out)
}

fn read_objects_into(path: &Path, out: &mut Vec<LintObject>) -> Result<(), SchemaError> {
    let shown = path.display().to_string();
    let input = |message: String| SchemaError::Input {
        path: shown.clone(),
        message,
    };
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| input(e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            let manifest = matches!(
                entry.extension().and_then(|e| e.to_str()),
                Some("yaml") | Some("yml") | Some("json")
            );
            if entry.is_dir() || manifest {
                read_objects_into(&entry, out)?;
            }
        }
        return Ok(());
    }
    let text = std::fs::read_to_string(path).map_err(|e| input(e.to_string()))?;
    out.extend(parse_objects(&text, &shown)?);
    Ok(())
}

/// Parse a YAML stream of objects; `file` is the name shown in findings and errors.
pub fn parse_objects(text: &str, file: &str) -> Result<Vec<LintObject>, SchemaError> {
    let docs = crate::yaml::load_all(text, file).map_err(|e| SchemaError::Input {
        path: file.to_string(),
        message: e.to_string(),
    })?;
    Ok(objects_from_documents(docs, file, text))
}

/// What to do with objects whose kind has no schema.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MissingSchemas {
    Error,
    #[default]
    Warn,
    Skip,
}

impl MissingSchemas {
    pub fn parse(s: &str) -> Option<MissingSchemas> {
        match s {
            "error" => Some(MissingSchemas::Error),
            "warn" | "warning" => Some(MissingSchemas::Warn),
            "skip" | "ignore" => Some(MissingSchemas::Skip),
            _ => None,
        }
    }
}

/// Options of a validation run.
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// Target Kubernetes version (`1.33`, `v1.33.2`); `None` = the newest embedded.
    pub kube_version: Option<String>,
    pub missing_schemas: MissingSchemas,
    /// CRDs from outside the validated objects (`--crd`); CRDs among the objects are used too.
    pub crds: Vec<LintObject>,
    /// Directories of extra JSON Schemas in kubeconform's layout.
    pub schema_locations: Vec<PathBuf>,
}

/// Run schema validation over `objects`; option problems become one error diagnostic.
pub fn validate_objects(objects: &[LintObject], opts: &ValidateOptions) -> Vec<Diagnostic> {
    match SchemaValidator::new(opts) {
        Ok(v) => v.validate(objects),
        Err(e) => vec![Diagnostic::new(
            RULE_INVALID,
            Severity::Error,
            e.to_string(),
        )],
    }
}

impl Resolver for VersionSchemas {
    fn resolve(&self, name: &str) -> Option<Rc<node::Schema>> {
        self.definition(name).ok().flatten()
    }
}

/// Definitions local to one external schema file (`#/definitions/X`, `#/$defs/X`).
struct LocalDefs(HashMap<String, Rc<node::Schema>>);

impl Resolver for LocalDefs {
    fn resolve(&self, name: &str) -> Option<Rc<node::Schema>> {
        self.0.get(name).cloned()
    }
}

/// A compiled external schema with its local definitions.
struct External {
    schema: node::Schema,
    defs: LocalDefs,
}

/// A rule id and message about an object's apiVersion.
type ApiFinding = (&'static str, String);

/// A validator for one target version, reusable across many objects.
pub struct SchemaValidator {
    builtin: VersionSchemas,
    minor: u32,
    missing: MissingSchemas,
    extra_crds: Vec<LintObject>,
    locations: Vec<PathBuf>,
    external: RefCell<HashMap<PathBuf, Result<Rc<External>, String>>>,
    /// Compiled CRDs by document content (see [`SchemaValidator::compiled_crd`]).
    crd_cache: RefCell<cache::ContentCache<Rc<crd::CompiledCrd>>>,
    /// Violations by document content and schema identity (see
    /// [`SchemaValidator::violations`]).
    results: RefCell<cache::ContentCache<Rc<Vec<Violation>>>>,
    /// The other embedded versions, opened on first need (removed/unavailable APIs).
    others: std::cell::OnceCell<Vec<(u32, String, VersionSchemas)>>,
    /// What [`SchemaValidator::builtin_elsewhere`] found per (apiVersion, kind).
    elsewhere: RefCell<HashMap<(String, String), Option<ApiFinding>>>,
}

impl SchemaValidator {
    pub fn new(opts: &ValidateOptions) -> Result<SchemaValidator, SchemaError> {
        let version = match &opts.kube_version {
            Some(v) => v.clone(),
            None => supported_versions()
                .last()
                .cloned()
                .ok_or_else(|| SchemaError::Store("no versions".to_string()))?,
        };
        let builtin = VersionSchemas::open(&version)?;
        let minor = deprecations::minor_of(builtin.version())
            .ok_or_else(|| SchemaError::UnsupportedVersion(version.clone()))?;
        for dir in &opts.schema_locations {
            if !dir.is_dir() {
                return Err(SchemaError::Location {
                    path: dir.display().to_string(),
                    message: "not a directory".to_string(),
                });
            }
        }
        Ok(SchemaValidator {
            builtin,
            minor,
            missing: opts.missing_schemas,
            extra_crds: opts.crds.clone(),
            locations: opts.schema_locations.clone(),
            external: RefCell::new(HashMap::new()),
            crd_cache: RefCell::new(cache::ContentCache::default()),
            results: RefCell::new(cache::ContentCache::default()),
            others: std::cell::OnceCell::new(),
            elsewhere: RefCell::new(HashMap::new()),
        })
    }

    /// The target version, `MAJOR.MINOR`.
    pub fn kube_version(&self) -> &str {
        self.builtin.version()
    }

    /// Validate every object. CRDs among `objects` (and the extra CRDs) define the custom
    /// resources; the CRDs themselves are checked too.
    pub fn validate(&self, objects: &[LintObject]) -> Vec<Diagnostic> {
        self.validate_indexed(objects)
            .into_iter()
            .map(|(_, d)| d)
            .collect()
    }

    /// [`validate`](Self::validate), with each finding tagged with the index of the object
    /// it is about (`None` for problems of the extra CRDs).
    pub fn validate_indexed(&self, objects: &[LintObject]) -> Vec<(Option<usize>, Diagnostic)> {
        let mut tagged = Vec::new();
        let mut out = Vec::new();
        let mut crds = crd::CrdIndex::default();
        for o in self.extra_crds.iter().filter(|o| crd::is_crd(o)) {
            let compiled = self.compiled_crd(o);
            crds.insert(&compiled);
            for p in &compiled.problems {
                tagged.push((None, crd_problem(o, p.clone())));
            }
        }
        for (i, o) in objects.iter().enumerate().filter(|(_, o)| crd::is_crd(o)) {
            let compiled = self.compiled_crd(o);
            crds.insert(&compiled);
            for p in &compiled.problems {
                tagged.push((Some(i), crd_problem(o, p.clone())));
            }
        }
        let meta = self
            .builtin
            .definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
            .ok()
            .flatten();
        for (i, o) in objects.iter().enumerate() {
            self.validate_one(o, &crds, meta.clone(), &mut out);
            tagged.extend(out.drain(..).map(|d| (Some(i), d)));
        }
        tagged
    }

    fn validate_one(
        &self,
        o: &LintObject,
        crds: &crd::CrdIndex,
        meta: Option<Rc<node::Schema>>,
        out: &mut Vec<Diagnostic>,
    ) {
        let diag = |rule: &str, severity: Severity, field: Option<&str>, message: String| {
            let mut d = Diagnostic::new(rule, severity, message);
            d.object = Some(o.object_ref());
            d.field = field.filter(|f| !f.is_empty()).map(str::to_string);
            d.source = source_for(o, d.field.as_deref());
            d
        };
        if o.api_version.is_empty() || o.kind.is_empty() {
            let missing = if o.api_version.is_empty() {
                "apiVersion"
            } else {
                "kind"
            };
            out.push(diag(
                RULE_INVALID,
                Severity::Error,
                Some(missing),
                format!("object has no {missing}"),
            ));
            return;
        }
        match deprecations::status(&o.api_version, &o.kind, self.minor) {
            Some(deprecations::Status::Removed(d)) => {
                let mut msg = format!(
                    "{} {} was removed in Kubernetes 1.{}",
                    o.api_version,
                    o.kind,
                    d.removed_in.unwrap_or(self.minor)
                );
                if let Some(r) = d.replacement {
                    msg.push_str(&format!("; use {r}"));
                }
                out.push(diag(
                    RULE_API_REMOVED,
                    Severity::Error,
                    Some("apiVersion"),
                    msg,
                ));
                return;
            }
            Some(deprecations::Status::Deprecated(d)) => {
                let mut msg = format!(
                    "{} {} is deprecated since Kubernetes 1.{}",
                    o.api_version, o.kind, d.deprecated_in
                );
                if let Some(removed) = d.removed_in {
                    msg.push_str(&format!(" and removed in 1.{removed}"));
                }
                if let Some(r) = d.replacement {
                    msg.push_str(&format!("; use {r}"));
                }
                out.push(diag(
                    RULE_API_DEPRECATED,
                    Severity::Warning,
                    Some("apiVersion"),
                    msg,
                ));
            }
            None => {}
        }

        if let Some(v) = crds.get(&o.api_version, &o.kind) {
            if !v.served {
                out.push(diag(
                    RULE_CRD_NOT_SERVED,
                    Severity::Error,
                    Some("apiVersion"),
                    format!(
                        "version {} of CustomResourceDefinition {} is not served",
                        o.api_version, v.crd_name
                    ),
                ));
                return;
            }
            if v.deprecated {
                let msg = v
                    .deprecation_warning
                    .clone()
                    .unwrap_or_else(|| format!("{} {} is deprecated", o.api_version, o.kind));
                out.push(diag(
                    RULE_API_DEPRECATED,
                    Severity::Warning,
                    Some("apiVersion"),
                    msg,
                ));
            }
            let Some(schema) = &v.schema else {
                self.report_missing(o, "its CustomResourceDefinition has no usable schema", out);
                return;
            };
            let found = self.violations(o, Rc::as_ptr(schema) as usize, || {
                let mut val = Validator::new(&NoRefs, Mode::Crd).with_object_meta(meta);
                val.validate_root(schema, &o.object);
                val.into_violations()
            });
            emit(o, &found, out);
            return;
        }
        if let Some(def) = self.builtin.kind_definition(&o.api_version, &o.kind) {
            if let Ok(Some(schema)) = self.builtin.definition(def) {
                let found = self.violations(o, Rc::as_ptr(&schema) as usize, || {
                    let mut val = Validator::new(&self.builtin, Mode::BuiltIn);
                    val.validate_root(&schema, &o.object);
                    val.into_violations()
                });
                emit(o, &found, out);
                return;
            }
        }
        match self.external_schema(&o.api_version, &o.kind) {
            Some(Ok(ext)) => {
                let found = self.violations(o, Rc::as_ptr(&ext) as usize, || {
                    let mut val = Validator::new(&ext.defs, Mode::BuiltIn);
                    val.validate_root(&ext.schema, &o.object);
                    val.into_violations()
                });
                emit(o, &found, out);
                return;
            }
            Some(Err(message)) => {
                out.push(diag(RULE_INVALID, Severity::Error, None, message));
                return;
            }
            None => {}
        }
        if let Some((rule, message)) = self.builtin_elsewhere(&o.api_version, &o.kind) {
            out.push(diag(rule, Severity::Error, Some("apiVersion"), message));
            return;
        }
        let group = o.api_version.split('/').next().unwrap_or("");
        let known = crds.group_kind_versions(group, &o.kind);
        let why = if !known.is_empty() {
            format!(
                "its CustomResourceDefinition serves only {}",
                known.join(", ")
            )
        } else if o.api_version.contains('.') {
            "no CustomResourceDefinition for it was given (use --crd)".to_string()
        } else {
            format!("not a built-in kind of Kubernetes {}", self.kube_version())
        };
        self.report_missing(o, &why, out);
    }

    fn report_missing(&self, o: &LintObject, why: &str, out: &mut Vec<Diagnostic>) {
        let severity = match self.missing {
            MissingSchemas::Skip => return,
            MissingSchemas::Warn => Severity::Warning,
            MissingSchemas::Error => Severity::Error,
        };
        let mut d = Diagnostic::new(
            RULE_MISSING,
            severity,
            format!("no schema for {} {}: {why}", o.api_version, o.kind),
        );
        d.object = Some(o.object_ref());
        d.source = o.source.clone();
        out.push(d);
    }

    /// A built-in kind that the target version does not serve but another embedded version
    /// does: removed (served by older versions only) or not yet available. The rule id and
    /// message, computed once per (apiVersion, kind).
    fn builtin_elsewhere(&self, api_version: &str, kind: &str) -> Option<ApiFinding> {
        if api_version.contains('.') && !api_version.contains(".k8s.io/") {
            return None;
        }
        let key = (api_version.to_string(), kind.to_string());
        if let Some(hit) = self.elsewhere.borrow().get(&key) {
            return hit.clone();
        }
        let found = self.find_elsewhere(api_version, kind);
        self.elsewhere.borrow_mut().insert(key, found.clone());
        found
    }

    fn find_elsewhere(&self, api_version: &str, kind: &str) -> Option<ApiFinding> {
        let others = self.others.get_or_init(|| {
            supported_versions()
                .into_iter()
                .filter_map(|v| {
                    let m = deprecations::minor_of(&v)?;
                    if m == self.minor {
                        return None;
                    }
                    let schemas = VersionSchemas::open(&v).ok()?;
                    Some((m, v, schemas))
                })
                .collect()
        });
        let mut older: Option<&str> = None;
        let mut newer: Option<&str> = None;
        for (m, v, other) in others {
            if other.kind_definition(api_version, kind).is_some() {
                if *m < self.minor {
                    older = Some(v);
                } else if newer.is_none() {
                    newer = Some(v);
                }
            }
        }
        let target = self.kube_version();
        match (older, newer) {
            (Some(last), _) => Some((
                RULE_API_REMOVED,
                format!(
                    "{api_version} {kind} is not served by Kubernetes {target} (last served in {last})"
                ),
            )),
            (None, Some(first)) => Some((
                RULE_API_UNAVAILABLE,
                format!(
                    "{api_version} {kind} is not served by Kubernetes {target} (first served in {first})"
                ),
            )),
            (None, None) => None,
        }
    }

    /// The violations of a document against a schema (`schema` is the schema's identity),
    /// validated once per distinct document content: the renders of a lint run repeat
    /// most documents, and a schema never changes during a run.
    fn violations(
        &self,
        o: &LintObject,
        schema: usize,
        validate: impl FnOnce() -> Vec<Violation>,
    ) -> Rc<Vec<Violation>> {
        // Validation resolves definitions through other caches; none of this one is
        // borrowed while it runs.
        let print = match self.results.borrow_mut().lookup(&o.object, schema) {
            cache::Lookup::Hit(hit) => return hit,
            cache::Lookup::Miss(print) => print,
        };
        let found = Rc::new(validate());
        self.results
            .borrow_mut()
            .insert(&o.object, schema, print, found.clone());
        found
    }

    /// A CRD checked and compiled once per distinct spec: the renders of a lint run
    /// repeat the same CRDs (megabytes of schema in operator charts), often as the very
    /// same parsed document, sometimes re-rendered with another label or annotation.
    /// Compiling reads only the spec and the CRD's name.
    fn compiled_crd(&self, o: &LintObject) -> Rc<crd::CompiledCrd> {
        let Some(spec) = o.object.get("spec") else {
            return Rc::new(crd::compile_crd(o));
        };
        let print = match self.crd_cache.borrow_mut().lookup(&spec, 0) {
            cache::Lookup::Hit(hit) if hit.name == o.name => return hit,
            // The same spec under another name (a copy of a CRD): compiled on its own.
            cache::Lookup::Hit(_) => return Rc::new(crd::compile_crd(o)),
            cache::Lookup::Miss(print) => print,
        };
        let compiled = Rc::new(crd::compile_crd(o));
        self.crd_cache
            .borrow_mut()
            .insert(&spec, 0, print, compiled.clone());
        compiled
    }

    /// Look up an extra schema for a kind in the schema locations (kubeconform layouts:
    /// `<kind>-<group-prefix>-<version>.json`, `<kind>-<version>.json`,
    /// `<group>/<kind>_<version>.json`).
    fn external_schema(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Option<Result<Rc<External>, String>> {
        if self.locations.is_empty() {
            return None;
        }
        let kind_l = kind.to_lowercase();
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        let mut names = Vec::new();
        if group.is_empty() {
            names.push(PathBuf::from(format!("{kind_l}-{version}.json")));
        } else {
            let prefix = group.split('.').next().unwrap_or(group);
            names.push(PathBuf::from(format!("{kind_l}-{prefix}-{version}.json")));
            names.push(Path::new(group).join(format!("{kind_l}_{version}.json")));
        }
        for dir in &self.locations {
            for name in &names {
                let path = dir.join(name);
                if !path.is_file() {
                    continue;
                }
                if let Some(hit) = self.external.borrow().get(&path) {
                    return Some(hit.clone());
                }
                let loaded = load_external(&path).map(Rc::new);
                self.external.borrow_mut().insert(path, loaded.clone());
                return Some(loaded);
            }
        }
        None
    }
}

fn load_external(path: &Path) -> Result<External, String> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read schema {shown}: {e}"))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("schema {shown} is not valid JSON: {e}"))?;
    let schema = node::compile(&json).map_err(|e| format!("schema {shown} is invalid: {e}"))?;
    let mut defs = HashMap::new();
    for key in ["definitions", "$defs"] {
        if let Some(serde_json::Value::Object(map)) = json.get(key) {
            for (name, def) in map {
                let compiled = node::compile(def)
                    .map_err(|e| format!("schema {shown} is invalid: {key}.{name}: {e}"))?;
                defs.insert(name.clone(), Rc::new(compiled));
            }
        }
    }
    Ok(External {
        schema,
        defs: LocalDefs(defs),
    })
}

fn crd_problem(o: &LintObject, p: crd::CrdProblem) -> Diagnostic {
    let mut d = Diagnostic::new(p.rule, Severity::Error, p.message);
    d.object = Some(o.object_ref());
    d.source = source_for(o, Some(&p.field));
    d.field = Some(p.field);
    d
}

fn emit(o: &LintObject, violations: &[Violation], out: &mut Vec<Diagnostic>) {
    for v in violations {
        let severity = match v.kind {
            ViolationKind::CelNotEvaluated => Severity::Info,
            _ => Severity::Error,
        };
        let mut d = Diagnostic::new(v.kind.rule_id(), severity, v.message.clone());
        d.object = Some(o.object_ref());
        if !v.path.is_empty() {
            d.field = Some(v.path.clone());
        }
        d.source = source_for(o, d.field.as_deref());
        out.push(d);
    }
}

/// The source of a finding: the field's own line in a plain manifest, else the document's.
fn source_for(o: &LintObject, field: Option<&str>) -> Option<SourceLocation> {
    let base = o.source.clone()?;
    let (Some(field), Some(text)) = (field, o.source_text.as_deref()) else {
        return Some(base);
    };
    if text.contains("{{") {
        return Some(base);
    }
    // Only the document's own lines are parsed: from its first line to the next `---`.
    let doc: Vec<&str> = text
        .lines()
        .skip(base.line.saturating_sub(1))
        .take_while(|l| !is_separator(l))
        .collect();
    match locate::locate(&doc.join("\n"), 1, field) {
        Some((line, column)) => Some(SourceLocation {
            file: base.file,
            line: line + base.line - 1,
            column: Some(column),
        }),
        None => Some(base),
    }
}

/// Turn parsed documents into [`LintObject`]s (for `opm validate -f` and `--crd`): `file`
/// is the name shown in findings, `text` the source the documents came from.
pub fn objects_from_documents(
    docs: Vec<crate::template::Value>,
    file: &str,
    text: &str,
) -> Vec<LintObject> {
    let starts = document_start_lines(text);
    let shared: Rc<str> = Rc::from(text);
    let mut out = Vec::new();
    for (index, doc) in docs.into_iter().enumerate() {
        let line = starts.get(index).copied().unwrap_or(1);
        if doc.is_nil() {
            continue;
        }
        // A `kind: List` holds objects in `items`.
        if doc
            .get("kind")
            .as_ref()
            .and_then(|k| k.as_str().map(str::to_string))
            .as_deref()
            == Some("List")
        {
            if let Some(crate::template::Value::List(items)) = doc.get("items") {
                for item in items.iter() {
                    out.push(lint_object(item.clone(), file, line, None));
                }
                continue;
            }
        }
        out.push(lint_object(doc, file, line, Some(shared.clone())));
    }
    out
}

fn lint_object(
    doc: crate::template::Value,
    file: &str,
    line: usize,
    text: Option<Rc<str>>,
) -> LintObject {
    let s = |path: &[&str]| {
        doc.get_path(path)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let namespace = s(&["metadata", "namespace"]);
    LintObject {
        api_version: s(&["apiVersion"]),
        kind: s(&["kind"]),
        namespace: if namespace.is_empty() {
            None
        } else {
            Some(namespace)
        },
        name: {
            let n = s(&["metadata", "name"]);
            if n.is_empty() {
                s(&["metadata", "generateName"])
            } else {
                n
            }
        },
        object: doc,
        source: Some(SourceLocation {
            file: file.to_string(),
            line,
            column: None,
        }),
        source_text: text,
        hook_events: Vec::new(),
    }
}

/// The first content line of every document of a YAML stream, in the order the loader
/// returns documents. A line scan (documents split at `---` lines), not a parse: manifests
/// can be megabytes of CRDs and the loader has already parsed them once.
fn document_start_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    // (first content line, separator line) of the document being read.
    let mut content: Option<usize> = None;
    let mut separator: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if is_separator(line) {
            match (content, separator) {
                (Some(c), _) => lines.push(c),
                // An empty document between two separators still counts.
                (None, Some(sep)) => lines.push(sep + 1),
                (None, None) => {}
            }
            content = None;
            separator = Some(n);
            // `--- {a: 1}`: content on the separator line itself.
            if !line.trim_start_matches('-').trim().is_empty()
                && !line.trim_start_matches('-').trim().starts_with('#')
            {
                content = Some(n);
            }
            continue;
        }
        let t = line.trim();
        if content.is_none() && !t.is_empty() && !t.starts_with('#') {
            content = Some(n);
        }
    }
    match (content, separator) {
        (Some(c), _) => lines.push(c),
        (None, Some(sep)) => lines.push(sep + 1),
        (None, None) => {}
    }
    lines
}

fn is_separator(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(text: &str) -> Vec<LintObject> {
        let docs = crate::yaml::load_all(text, "m.yaml").unwrap();
        objects_from_documents(docs, "m.yaml", text)
    }

    fn findings(text: &str, version: &str) -> Vec<(String, String, Option<usize>)> {
        let opts = ValidateOptions {
            kube_version: Some(version.to_string()),
            ..ValidateOptions::default()
        };
        validate_objects(&objects(text), &opts)
            .into_iter()
            .map(|d| {
                (
                    d.rule,
                    d.field.unwrap_or_default(),
                    d.source.map(|s| s.line),
                )
            })
            .collect()
    }

    #[test]
    fn deployment_with_field_paths_and_lines() {
        let text = "\
apiVersion: v1
kind: ConfigMap
metadata: {name: ok}
data: {a: b}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: three
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        imagePullPolicy: Sometimes
        resources: {limits: {cpu: lots}}
        portz: []
      - image: x
";
        assert_eq!(
            findings(text, "1.33"),
            vec![
                (
                    "schema-type-mismatch".into(),
                    "spec.replicas".into(),
                    Some(11)
                ),
                (
                    "schema-invalid".into(),
                    "spec.template.spec.containers[0].imagePullPolicy".into(),
                    Some(19)
                ),
                (
                    "schema-unknown-field".into(),
                    "spec.template.spec.containers[0].portz".into(),
                    Some(21)
                ),
                (
                    "schema-invalid".into(),
                    "spec.template.spec.containers[0].resources.limits.cpu".into(),
                    Some(20)
                ),
                (
                    "schema-required-missing".into(),
                    "spec.template.spec.containers[1].name".into(),
                    Some(22)
                ),
            ]
        );
    }

    #[test]
    fn removed_deprecated_and_missing() {
        let text = "\
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: a}
---
apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
kind: FlowSchema
metadata: {name: b}
spec: {priorityLevelConfiguration: {name: x}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: c}
";
        let got = findings(text, "1.30");
        let rules: Vec<&str> = got.iter().map(|(r, _, _)| r.as_str()).collect();
        assert_eq!(
            rules,
            vec![
                "api-version-removed",
                "api-version-deprecated",
                "schema-missing"
            ]
        );
    }

    #[test]
    fn document_lines_match_the_loader() {
        let text = "# header\n---\na: 1\n---\n---\n# c\nb: 2\n";
        assert_eq!(crate::yaml::load_all(text, "x").unwrap().len(), 3);
        assert_eq!(document_start_lines(text), vec![3, 5, 7]);
        assert_eq!(document_start_lines("a: 1\n"), vec![1]);
    }

    #[test]
    fn unsupported_version_is_reported() {
        let got = validate_objects(
            &[],
            &ValidateOptions {
                kube_version: Some("1.10".into()),
                ..ValidateOptions::default()
            },
        );
        assert_eq!(got.len(), 1);
    }
}
