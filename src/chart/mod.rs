//! Helm charts and their values: everything `helm template` does before rendering.
//!
//! - [`load`] / [`load_archive`]: read a chart directory (honouring `.helmignore`) or a `.tgz`
//!   into a [`Chart`] with typed [`Metadata`], templates, other files, default values, schema
//!   and subcharts.
//! - [`ValuesOptions`], [`apply_set`], [`merge_user_values`]: build the user values from `-f`
//!   files and `--set*` flags (Helm's strvals grammar and merge order).
//! - [`prepare`]: dependency processing (conditions, tags, aliases, import-values), values
//!   coalescing (chart defaults, subchart defaults, globals, nulls deleting keys) and
//!   values.schema.json validation of the chart and every enabled subchart.
//!
//! The render layer takes the prepared chart and values from here.

mod dependencies;
mod error;
mod file_data;
mod ignore;
mod load;
#[cfg(test)]
mod load_tests;
mod metadata;
mod schema;
mod schema_quick;
mod semver;
mod set;
mod values;

use std::path::{Path, PathBuf};

use crate::template::value::Value;

pub use error::{ChartError, ValuesError};
pub use file_data::FileData;
pub use ignore::{glob_match, IgnoreRules};
pub use load::{load, load_archive, load_files, load_observed, TemplateObserver};
pub use metadata::{Dependency, Maintainer, Metadata};
pub use semver::is_compatible_range;
pub use set::{apply_set, SetKind};
pub use values::{coalesce_values, merge_user_values, path_value, table, Warnings, GLOBAL_KEY};

/// A file of a chart, with its path relative to the chart root (`/` separators).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    pub name: String,
    /// Raw bytes: charts may carry binary files (`.Files.Get "x.bz2" | b64enc`). Shared, so
    /// that renders hand them to templates (`.Files`) without copying; large non-template
    /// files are read on first use (see [`FileData`]).
    pub data: FileData,
}

/// A loaded chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Typed Chart.yaml (dependencies from requirements.yaml merged in for v1 charts).
    pub metadata: Metadata,
    /// Files under `templates/`, in lexical order.
    pub templates: Vec<ChartFile>,
    /// What Helm puts in `chart.Files` (`.Files.Get`/`.Files.Glob`): every file that is not
    /// Chart.yaml, values.yaml, values.schema.json, a lock file, a template or part of a
    /// subchart. This includes `crds/`, README, LICENSE and `.helmignore`.
    pub files: Vec<ChartFile>,
    /// values.yaml (all documents merged); an empty map if absent.
    pub values: Value,
    /// values.schema.json, if present.
    pub schema: Option<Vec<u8>>,
    /// Subcharts from `charts/` (directories and `.tgz`). After [`prepare`]: only the enabled
    /// ones, renamed to their aliases.
    pub dependencies: Vec<Chart>,
    /// Where the chart was loaded from (for messages).
    pub path: PathBuf,
}

impl Chart {
    /// The chart's name (its alias once prepared as a dependency).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Files under `crds/` with a manifest extension (`.yaml`, `.yml`, `.json`, any case),
    /// of this chart only (subcharts have their own).
    pub fn crds(&self) -> Vec<&ChartFile> {
        self.files
            .iter()
            .filter(|f| {
                f.name.starts_with("crds/") && {
                    let lower = f.name.to_ascii_lowercase();
                    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
                    // Go's filepath.Ext takes the last dot of the last element.
                    let base = lower.rsplit('/').next().unwrap_or("");
                    base.contains('.') && matches!(ext, "yaml" | "yml" | "json")
                }
            })
            .collect()
    }

    /// `type: library` charts provide named templates only and render no manifests.
    pub fn is_library(&self) -> bool {
        self.metadata.chart_type.eq_ignore_ascii_case("library")
    }

    /// Find a file of this chart's `files` by name.
    pub fn file(&self, name: &str) -> Option<&ChartFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// Parse one YAML document with Helm's semantics; the error text carries file:line:col.
pub(crate) fn parse_yaml(src: &str, file: &str) -> Result<Value, String> {
    crate::yaml::load_str(src, file).map_err(|e| e.to_string())
}

/// The values Helm's `-f`/`--set*` flags describe. Helm applies them in a fixed order,
/// whatever the order on the command line: `-f` files (merged), then every `--set-json`,
/// `--set`, `--set-string`, `--set-file` and finally `--set-literal` flag.
#[derive(Debug, Clone, Default)]
pub struct ValuesOptions {
    /// `-f/--values` files (`-` is standard input).
    pub value_files: Vec<PathBuf>,
    pub json_values: Vec<String>,
    pub values: Vec<String>,
    pub string_values: Vec<String>,
    pub file_values: Vec<String>,
    pub literal_values: Vec<String>,
}

impl ValuesOptions {
    /// Build the user values (Helm's `MergeValues`).
    pub fn merge(&self) -> Result<Value, ValuesError> {
        let mut base = Value::empty_map();
        for path in &self.value_files {
            let shown = path.display().to_string();
            let bytes = if shown.trim() == "-" {
                let mut buf = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
            } else {
                std::fs::read(path)
            }
            .map_err(|source| ValuesError::Read {
                path: shown.clone(),
                source,
            })?;
            let text = String::from_utf8_lossy(&bytes);
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let current = values::parse_values_documents(text, &shown).map_err(|message| {
                ValuesError::Parse {
                    file: shown.clone(),
                    message,
                }
            })?;
            base = merge_user_values(&base, &current);
        }
        let groups: [(&[String], SetKind); 5] = [
            (&self.json_values, SetKind::Json),
            (&self.values, SetKind::Value),
            (&self.string_values, SetKind::String),
            (&self.file_values, SetKind::File),
            (&self.literal_values, SetKind::Literal),
        ];
        for (exprs, kind) in groups {
            for expr in exprs {
                apply_set(&mut base, expr, kind).map_err(|e| match e {
                    ValuesError::Set { .. } | ValuesError::Json { .. } => ValuesError::Flag {
                        flag: kind.flag(),
                        source: Box::new(e),
                    },
                    other => other,
                })?;
            }
        }
        Ok(base)
    }
}

/// Load a values file (`-f`) the way Helm does: all YAML documents merged.
pub fn load_values_file(path: &Path) -> Result<Value, ValuesError> {
    ValuesOptions {
        value_files: vec![path.to_path_buf()],
        ..ValuesOptions::default()
    }
    .merge()
}

/// The result of [`prepare_with_warnings`].
#[derive(Debug)]
pub struct Prepared {
    pub chart: Chart,
    /// The coalesced values templates see as `.Values`.
    pub values: Value,
    /// What Helm would log while processing (non-boolean conditions, type conflicts, …).
    pub warnings: Warnings,
}

/// Everything `helm template` does between loading and rendering: check that every declared
/// dependency is vendored, process dependencies (conditions, tags, aliases, import-values —
/// disabled subcharts are removed, aliased ones renamed), coalesce values and validate
/// values.schema.json of the chart and every enabled subchart.
pub fn prepare(chart: Chart, user_values: Value) -> Result<(Chart, Value), ChartError> {
    prepare_with(chart, user_values, true)
}

/// [`prepare`], validating values against the charts' `values.schema.json` only when
/// `validate_schema` (Helm's `--skip-schema-validation` turns it off).
pub fn prepare_with(
    chart: Chart,
    user_values: Value,
    validate_schema: bool,
) -> Result<(Chart, Value), ChartError> {
    let p = prepare_checked(chart, user_values, validate_schema)?;
    Ok((p.chart, p.values))
}

/// [`prepare`], also returning the warnings Helm would print.
pub fn prepare_with_warnings(chart: Chart, user_values: Value) -> Result<Prepared, ChartError> {
    prepare_checked(chart, user_values, true)
}

fn prepare_checked(
    mut chart: Chart,
    user_values: Value,
    validate_schema: bool,
) -> Result<Prepared, ChartError> {
    let user_values = match user_values {
        Value::Map(_) => user_values,
        _ => Value::empty_map(),
    };
    dependencies::check_dependencies(&chart)?;
    let mut warnings = Warnings::new();
    dependencies::process_dependencies(&mut chart, &user_values, &mut warnings)?;
    let values = coalesce_values(&chart, &user_values, &mut warnings)?;
    if validate_schema {
        schema::validate_chart(&chart, &values)?;
    }
    Ok(Prepared {
        chart,
        values,
        warnings,
    })
}

/// The value sets a chart ships for testing: `ci/*-values.yaml` and `values-*.yaml` at the
/// chart root, sorted by path. (Also accepts `.yml`.)
pub fn find_values_matrix(chart_dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let is_yaml = |n: &str| n.ends_with(".yaml") || n.ends_with(".yml");
    if let Ok(entries) = std::fs::read_dir(chart_dir.join("ci")) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.trim_end_matches(".yaml").trim_end_matches(".yml");
            if is_yaml(&name) && stem.ends_with("-values") && e.path().is_file() {
                out.push(e.path());
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir(chart_dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if is_yaml(&name) && name.starts_with("values-") && e.path().is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn json_value(json: &str) -> Value {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        set::from_json(&v)
    }

    pub(crate) fn to_json(v: &Value) -> String {
        crate::yaml::to_json(v).unwrap()
    }

    pub(crate) fn bare_chart(name: &str) -> Chart {
        Chart {
            metadata: Metadata {
                name: name.to_string(),
                version: "0.1.0".to_string(),
                api_version: "v2".to_string(),
                ..Metadata::default()
            },
            templates: Vec::new(),
            files: Vec::new(),
            values: Value::empty_map(),
            schema: None,
            dependencies: Vec::new(),
            path: PathBuf::from(name),
        }
    }
}
