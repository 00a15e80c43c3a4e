//! `.opm.yaml`: per-repository (or per-chart) lint configuration.
//!
//! ```yaml
//! rules:                       # change a rule's severity, or turn it off
//!   image-tag-latest: error
//!   probes-missing: off
//! exclude:                     # skip objects (all rules, or the listed ones)
//!   - kind: Deployment
//!     name: legacy-*
//!     namespace: ops
//!     rules: [resources-missing]
//! failOn: warning              # default for --fail-on
//! valuesMatrix: "ci/*-values.yaml"
//! kubeVersion: "1.30"
//! ```
//!
//! The file is looked up in the chart root, then in each parent directory up to the
//! repository root (a directory containing `.git`). Unknown keys and unknown rule ids are
//! errors that point at the file and line, so a typo never silently disables nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::registry::Registry;
use super::schema::SchemaSettings;
use crate::report::Severity;
use crate::schema::MissingSchemas;

/// The config file name.
pub const CONFIG_FILE: &str = ".opm.yaml";

/// A configuration error, with the file and position it comes from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
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

/// What a config says about one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    Off,
    Info,
    Warning,
    Error,
}

impl RuleLevel {
    /// The severity, `None` for `off`.
    pub fn severity(self) -> Option<Severity> {
        match self {
            RuleLevel::Off => None,
            RuleLevel::Info => Some(Severity::Info),
            RuleLevel::Warning => Some(Severity::Warning),
            RuleLevel::Error => Some(Severity::Error),
        }
    }
}

/// `failOn` levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Info,
    Warning,
    Error,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Info => Severity::Info,
            FailOn::Warning => Severity::Warning,
            FailOn::Error => Severity::Error,
        }
    }
}

/// The file as written (with positions), before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawConfig {
    #[serde(default)]
    rules: Option<HashMap<Spanned<String>, RuleLevel>>,
    #[serde(default)]
    exclude: Option<Vec<Spanned<RawExclude>>>,
    #[serde(default)]
    fail_on: Option<FailOn>,
    #[serde(default)]
    values_matrix: Option<String>,
    #[serde(default)]
    kube_version: Option<String>,
    #[serde(default)]
    schema: Option<RawSchema>,
    /// `opm crd diff`'s section: validated by that command, ignored here.
    #[serde(default)]
    #[allow(dead_code)]
    crd_diff: Option<serde::de::IgnoredAny>,
}

/// `schema:`: settings of the schema rule family.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSchema {
    #[serde(default)]
    missing_schemas: Option<MissingSchemasLevel>,
    #[serde(default)]
    crds: Option<Vec<String>>,
    #[serde(default)]
    schema_locations: Option<Vec<String>>,
}

/// `schema.missingSchemas` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MissingSchemasLevel {
    Error,
    Warn,
    Skip,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExclude {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    rules: Option<Vec<Spanned<String>>>,
}

/// Schema of `.opm.yaml` (for `schemars`; mirrors [`RawConfig`] without positions).
#[allow(dead_code)]
#[derive(schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(
    title = "kubectl-opm configuration (.opm.yaml)",
    description = "Lint and crd diff settings of kubectl-opm for a repository or chart."
)]
struct ConfigSchema {
    /// Severity per rule id (`off` disables the rule).
    rules: Option<std::collections::BTreeMap<String, RuleLevel>>,
    /// Objects to skip: every given field must match (`*` globs in name); `rules` limits
    /// the exclusion to those rules.
    exclude: Option<Vec<ExcludeSchema>>,
    /// Lowest severity that makes `kubectl opm lint` exit 1 (default `error`).
    fail_on: Option<FailOn>,
    /// Glob (relative to the chart root) of values files to lint the chart with.
    values_matrix: Option<String>,
    /// Target Kubernetes version (`1.30`).
    kube_version: Option<String>,
    /// Schema validation (rule family `schema`).
    schema: Option<SchemaSectionSchema>,
    /// Levels of the `kubectl opm crd diff` checks.
    crd_diff: Option<crate::crd::config::CrdDiffSchema>,
}

#[allow(dead_code)]
#[derive(schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SchemaSectionSchema {
    /// Kinds with no schema: `skip` (lint's default), `warn` or `error`.
    missing_schemas: Option<MissingSchemasLevel>,
    /// CRD files or directories (relative to this file) that define custom resources.
    crds: Option<Vec<String>>,
    /// Directories (relative to this file) of extra JSON Schemas, kubeconform layout.
    schema_locations: Option<Vec<String>>,
}

#[allow(dead_code)]
#[derive(schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    rename = "Exclude",
    description = "Objects to skip; every given field must match."
)]
struct ExcludeSchema {
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    rules: Option<Vec<String>>,
}

/// The JSON Schema of `.opm.yaml`, pretty-printed.
pub fn config_schema() -> String {
    serde_json::to_string_pretty(&config_schema_value()).unwrap_or_default() + "\n"
}

/// The JSON Schema of `.opm.yaml` as a value. Rule ids are listed as `propertyNames` enums
/// (from the lint registry and the crd diff check table), so editors flag a misspelt rule id
/// the same way `kubectl opm lint` does.
pub fn config_schema_value() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(ConfigSchema))
        .unwrap_or(serde_json::Value::Null);
    let mut lint_ids: Vec<&str> = Registry::builtin().metas().map(|m| m.id).collect();
    lint_ids.sort_unstable();
    let mut crd_ids: Vec<&str> = crate::crd::rules::RULES.iter().map(|m| m.id).collect();
    crd_ids.sort_unstable();
    if let Some(rules) = schema.pointer_mut("/properties/rules") {
        rules["propertyNames"] = serde_json::json!({ "enum": lint_ids });
    }
    if let Some(rules) = schema.pointer_mut("/$defs/CrdDiff/properties/rules") {
        rules["propertyNames"] = serde_json::json!({ "enum": crd_ids });
    }
    // A YAML 1.1 reader (Helm's, many editors') sees a bare `off` as the boolean false;
    // kubectl-opm reads it as `off`, so the schema accepts both spellings.
    if let Some(level) = schema.pointer_mut("/$defs/RuleLevel") {
        let strings = level.clone();
        *level = serde_json::json!({
            "description": "Level of a rule: off disables it (a bare YAML 1.1 `off`, read as false, means the same).",
            "anyOf": [strings, {"const": false}]
        });
    }
    schema
}

/// One `exclude` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclude {
    pub kind: Option<String>,
    /// Object name; `*` matches any run of characters.
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Rules this exclusion applies to; empty = all rules.
    pub rules: Vec<String>,
}

impl Exclude {
    /// Whether this entry excludes `rule` on the object.
    pub fn matches(&self, rule: &str, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        let rule_ok = self.rules.is_empty() || self.rules.iter().any(|r| r == rule);
        let kind_ok = self.kind.as_deref().is_none_or(|k| k == kind);
        let ns_ok = self
            .namespace
            .as_deref()
            .is_none_or(|n| Some(n) == namespace);
        let name_ok = self.name.as_deref().is_none_or(|n| glob_match(n, name));
        rule_ok && kind_ok && ns_ok && name_ok
    }
}

/// A validated configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The file it was read from (None: defaults).
    pub path: Option<PathBuf>,
    /// Per-rule levels, in file order.
    pub rules: Vec<(String, RuleLevel)>,
    pub exclude: Vec<Exclude>,
    pub fail_on: Option<Severity>,
    pub values_matrix: Option<String>,
    pub kube_version: Option<String>,
    /// `schema:` (paths resolved against the config file's directory).
    pub schema: SchemaSettings,
}

impl Config {
    /// The configured level of a rule, if the config mentions it.
    pub fn level(&self, rule: &str) -> Option<RuleLevel> {
        self.rules.iter().find(|(r, _)| r == rule).map(|(_, l)| *l)
    }

    /// Whether the object is excluded for `rule`.
    pub fn excluded(&self, rule: &str, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        self.exclude
            .iter()
            .any(|e| e.matches(rule, kind, namespace, name))
    }

    /// Parse and validate config text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path, registry: &Registry) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        // An empty file (or only comments) is an empty config.
        if text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            return Ok(Config {
                path: Some(path.to_path_buf()),
                ..Config::default()
            });
        }
        let raw: RawConfig = serde_saphyr::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            ConfigError::Invalid {
                path: shown.clone(),
                line,
                column,
                message: first_line(&e.to_string()),
            }
        })?;
        let unknown = |id: &Spanned<String>| {
            let hint = registry
                .suggest(&id.value)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            ConfigError::Invalid {
                path: shown.clone(),
                line: id.referenced.line(),
                column: id.referenced.column(),
                message: format!(
                    "unknown rule id `{}`{hint}; `kubectl opm lint --list-rules` lists them",
                    id.value
                ),
            }
        };
        let mut rules: Vec<(Spanned<String>, RuleLevel)> =
            raw.rules.unwrap_or_default().into_iter().collect();
        rules.sort_by_key(|(k, _)| (k.referenced.line(), k.referenced.column()));
        for (id, _) in &rules {
            if !registry.contains(&id.value) {
                return Err(unknown(id));
            }
        }
        let mut exclude = Vec::new();
        for entry in raw.exclude.unwrap_or_default() {
            let e = entry.value;
            let mut ids = Vec::new();
            for id in e.rules.unwrap_or_default() {
                if !registry.contains(&id.value) {
                    return Err(unknown(&id));
                }
                ids.push(id.value);
            }
            if e.kind.is_none() && e.name.is_none() && e.namespace.is_none() {
                return Err(ConfigError::Invalid {
                    path: shown.clone(),
                    line: entry.referenced.line(),
                    column: entry.referenced.column(),
                    message: "an exclude entry needs at least one of kind, name, namespace (use `rules: {id: off}` to turn a rule off everywhere)".to_string(),
                });
            }
            exclude.push(Exclude {
                kind: e.kind,
                name: e.name,
                namespace: e.namespace,
                rules: ids,
            });
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let schema = raw
            .schema
            .map(|s| SchemaSettings {
                missing: s.missing_schemas.map(|m| match m {
                    MissingSchemasLevel::Error => MissingSchemas::Error,
                    MissingSchemasLevel::Warn => MissingSchemas::Warn,
                    MissingSchemasLevel::Skip => MissingSchemas::Skip,
                }),
                crds: s
                    .crds
                    .unwrap_or_default()
                    .iter()
                    .map(|p| base.join(p))
                    .collect(),
                locations: s
                    .schema_locations
                    .unwrap_or_default()
                    .iter()
                    .map(|p| base.join(p))
                    .collect(),
            })
            .unwrap_or_default();
        Ok(Config {
            path: Some(path.to_path_buf()),
            rules: rules.into_iter().map(|(k, v)| (k.value, v)).collect(),
            exclude,
            fail_on: raw.fail_on.map(Severity::from),
            values_matrix: raw.values_matrix,
            kube_version: raw.kube_version,
            schema,
        })
    }

    /// Read and validate a config file.
    pub fn load(path: &Path, registry: &Registry) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Config::parse(&text, path, registry)
    }

    /// Find and load the config for a chart (or manifest) directory: `.opm.yaml` in `dir`,
    /// else in its parents up to the repository root; defaults when there is none.
    pub fn discover(dir: &Path, registry: &Registry) -> Result<Config, ConfigError> {
        match find_config(dir) {
            Some(path) => Config::load(&path, registry),
            None => Ok(Config::default()),
        }
    }
}

/// The `.opm.yaml` that applies to `dir`: in `dir` or a parent, stopping at the first
/// directory that contains `.git` (the repository root).
pub fn find_config(dir: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut current: Option<&Path> = Some(&start);
    while let Some(d) = current {
        let candidate = d.join(CONFIG_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
        current = d.parent();
    }
    None
}

/// serde-saphyr's messages can carry a snippet after the first line; we print our own
/// `file:line:col` prefix, so keep the message itself.
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

/// `*` matches any run of characters (including none); everything else is literal.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::registry::test_rules;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new(".opm.yaml"), &test_rules::registry())
    }

    #[test]
    fn parses_full_config() {
        let c = parse(
            "rules:\n  dummy-pdb-min-available: off\n  dummy-no-configmap: error\nexclude:\n  - kind: Deployment\n    name: legacy-*\n    rules: [dummy-pdb-min-available]\n  - namespace: kube-system\nfailOn: warning\nvaluesMatrix: ci/*-values.yaml\nkubeVersion: \"1.30\"\n",
        )
        .unwrap();
        assert_eq!(
            c.rules,
            vec![
                ("dummy-pdb-min-available".to_string(), RuleLevel::Off),
                ("dummy-no-configmap".to_string(), RuleLevel::Error)
            ]
        );
        assert_eq!(c.level("dummy-no-configmap"), Some(RuleLevel::Error));
        assert_eq!(c.fail_on, Some(Severity::Warning));
        assert_eq!(c.values_matrix.as_deref(), Some("ci/*-values.yaml"));
        assert_eq!(c.kube_version.as_deref(), Some("1.30"));
        assert!(c.excluded(
            "dummy-pdb-min-available",
            "Deployment",
            Some("a"),
            "legacy-x"
        ));
        assert!(!c.excluded("dummy-no-configmap", "Deployment", Some("a"), "legacy-x"));
        assert!(!c.excluded("dummy-pdb-min-available", "Deployment", Some("a"), "new"));
        assert!(c.excluded("dummy-no-configmap", "Service", Some("kube-system"), "x"));
    }

    #[test]
    fn unknown_rule_id_points_at_line() {
        let err = parse("rules:\n  dummy-no-configmaps: off\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            ".opm.yaml:2:3: unknown rule id `dummy-no-configmaps` (did you mean `dummy-no-configmap`?); `kubectl opm lint --list-rules` lists them"
        );
        let err = parse("exclude:\n  - kind: Pod\n    rules:\n      - nope\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with(".opm.yaml:4:9: unknown rule id `nope`"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = parse("failOn: error\nrulez: {}\n").unwrap_err();
        let ConfigError::Invalid { line, message, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*line, 2, "{err}");
        assert!(message.contains("rulez"), "{message}");
        let err = parse("exclude:\n  - kind: Pod\n    nam: x\n").unwrap_err();
        let ConfigError::Invalid { line, message, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*line, 3, "{err}");
        assert!(message.contains("nam"), "{message}");
    }

    #[test]
    fn bad_values_are_errors() {
        let err = parse("rules:\n  dummy-no-configmap: loud\n").unwrap_err();
        let ConfigError::Invalid { line, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*line, 2, "{err}");
        let err = parse("exclude:\n  - rules: [dummy-no-configmap]\n").unwrap_err();
        assert!(err.to_string().contains("needs at least one of"), "{err}");
    }

    #[test]
    fn empty_config_is_default() {
        let c = parse("# nothing\n").unwrap();
        assert!(c.rules.is_empty() && c.exclude.is_empty());
    }

    #[test]
    fn discovery_stops_at_repo_root() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        let chart = repo.join("charts").join("op");
        std::fs::create_dir_all(&chart).unwrap();
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        // Above the repository root: must not be found.
        std::fs::write(tmp.path().join(CONFIG_FILE), "failOn: info\n").unwrap();
        assert_eq!(find_config(&chart), None);
        std::fs::write(repo.join(CONFIG_FILE), "failOn: warning\n").unwrap();
        let found = find_config(&chart).unwrap();
        assert!(found.ends_with("repo/.opm.yaml"), "{found:?}");
        std::fs::write(chart.join(CONFIG_FILE), "failOn: error\n").unwrap();
        let c = Config::discover(&chart, &test_rules::registry()).unwrap();
        assert_eq!(c.fail_on, Some(Severity::Error));
    }

    #[test]
    fn globs() {
        assert!(glob_match("legacy-*", "legacy-x"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYc"));
        assert!(!glob_match("a*b", "ac"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
    }

    #[test]
    fn schema_names_the_keys() {
        let schema: serde_json::Value = serde_json::from_str(&config_schema()).unwrap();
        let props = &schema["properties"];
        for key in ["rules", "exclude", "failOn", "valuesMatrix", "kubeVersion"] {
            assert!(props.get(key).is_some(), "{key} missing in {schema}");
        }
        assert_eq!(schema["additionalProperties"], false);
    }
}
