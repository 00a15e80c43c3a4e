//! The `crdDiff` section of `.opm.yaml`: levels of the diff checks.
//!
//! ```yaml
//! crdDiff:
//!   rules:
//!     crd-description-changed: off
//!     crd-default-changed: warning
//! ```
//!
//! The file is looked up in the working directory, then in each parent up to the repository
//! root (a directory containing `.git`), like the lint configuration.

use std::path::{Path, PathBuf};

use super::rules::Levels;
use super::CrdError;
use crate::template::Value;

/// The config file name.
pub const CONFIG_FILE: &str = ".opm.yaml";

/// Schema of the `crdDiff` section (for `schemars`; `kubectl opm schema config` prints it as
/// part of the `.opm.yaml` schema). The parser below reads the section from the generic YAML
/// value instead, so bare YAML 1.1 `off` works; this struct only describes the shape.
#[allow(dead_code)]
#[derive(schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    rename = "CrdDiff",
    description = "Settings of `kubectl opm crd diff`."
)]
pub struct CrdDiffSchema {
    /// Level per `crd diff` check id (`off` disables the check); `kubectl opm crd diff
    /// --list-rules` lists them.
    rules: Option<std::collections::BTreeMap<String, crate::lint::config::RuleLevel>>,
}

/// The nearest `.opm.yaml` from `start` upwards, stopping at a repository root.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(CONFIG_FILE);
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}

/// Apply the `crdDiff.rules` of a config file to `levels`. A missing section is fine;
/// unknown rule ids, unknown keys under `crdDiff` and bad levels are errors.
pub fn apply_config(path: &Path, levels: &mut Levels) -> Result<(), CrdError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CrdError::Io {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    apply_config_str(&text, &shown, levels)
}

/// [`apply_config`] on text.
pub fn apply_config_str(text: &str, file: &str, levels: &mut Levels) -> Result<(), CrdError> {
    let doc = crate::yaml::load_str(text, file)?;
    let Some(section) = doc.get("crdDiff") else {
        return Ok(());
    };
    let bad = |message: String| CrdError::Config(format!("{file}: crdDiff: {message}"));
    let Value::Map(section) = section else {
        return Err(bad("must be a mapping".to_string()));
    };
    for (key, value) in section.borrow().iter() {
        if key != "rules" {
            return Err(bad(format!("unknown key {key:?} (expected rules)")));
        }
        let Value::Map(rules) = value else {
            return Err(bad(
                "rules must map check ids to off|info|warning|error".to_string()
            ));
        };
        for (id, level) in rules.borrow().iter() {
            // YAML 1.1 reads a bare `off` as the boolean false.
            let level = match level {
                Value::Bool(false) => "off".to_string(),
                Value::String(s) => s.to_string(),
                other => other.to_string(),
            };
            levels.set(id, &level).map_err(bad)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::rules::CrdRule;
    use crate::report::Severity;

    #[test]
    fn reads_levels_including_bare_off() {
        let mut levels = Levels::default();
        apply_config_str(
            "rules: {image-tag-latest: error}\ncrdDiff:\n  rules:\n    crd-description-changed: off\n    crd-default-changed: warning\n",
            ".opm.yaml",
            &mut levels,
        )
        .unwrap();
        assert_eq!(levels.severity(CrdRule::DescriptionChanged, false), None);
        assert_eq!(
            levels.severity(CrdRule::DefaultChanged, true),
            Some(Severity::Warning)
        );
    }

    #[test]
    fn unknown_ids_and_keys_are_errors() {
        let mut levels = Levels::default();
        assert_eq!(
            apply_config_str("crdDiff:\n  rules: {crd-nope: off}\n", ".opm.yaml", &mut levels)
                .unwrap_err()
                .to_string(),
            ".opm.yaml: crdDiff: unknown crd diff check \"crd-nope\" (kubectl opm crd diff --list-rules shows them)"
        );
        assert_eq!(
            apply_config_str("crdDiff:\n  rule: {}\n", ".opm.yaml", &mut levels)
                .unwrap_err()
                .to_string(),
            ".opm.yaml: crdDiff: unknown key \"rule\" (expected rules)"
        );
    }
}
