//! Dependency processing: Helm's `CheckDependencies` and `ProcessDependencies` (chartutil
//! dependencies.go), copied step by step because its quirks are visible in rendered output:
//!
//! - A Chart.yaml dependency is matched to a vendored subchart by name *and* version range;
//!   a match is copied and renamed to the alias. Vendored charts that match no dependency
//!   stay as they are (no alias, no condition — unless another dependency of the same name
//!   is disabled, since removal is by name). A dependency without a version never matches.
//! - Conditions and tags are evaluated on the values coalesced at this chart's level; the
//!   first condition path that resolves to a boolean wins, conditions override tags, and a
//!   subchart's own dependencies are evaluated against its parent's coalesced values under
//!   `<path>.` prefixes.
//! - Charts without a `dependencies:` list are not descended into.
//! - import-values are processed bottom-up; the parent's default values are then replaced
//!   by its merged values (subchart defaults included) with the imports underneath.

use std::collections::HashSet;

use crate::template::value::{Map, Value};

use super::error::ChartError;
use super::semver::is_compatible_range;
use super::values::{self, path_value, table, Coalescer, Warnings};
use super::Chart;

/// Every declared dependency must be vendored, whatever its condition (Helm checks by name).
pub fn check_dependencies(chart: &Chart) -> Result<(), ChartError> {
    let Some(reqs) = &chart.metadata.dependencies else {
        return Ok(());
    };
    let missing: Vec<String> = reqs
        .iter()
        .filter(|r| !chart.dependencies.iter().any(|d| d.name() == r.name))
        .map(|r| r.name.clone())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ChartError::MissingDependencies { names: missing })
    }
}

/// `ProcessDependencies`: enable/disable/alias subcharts, then import values.
pub fn process_dependencies(
    chart: &mut Chart,
    user_values: &Value,
    warnings: &mut Warnings,
) -> Result<(), ChartError> {
    process_enabled(chart, user_values, "", warnings)?;
    process_import_values(chart, warnings)
}

fn process_enabled(
    chart: &mut Chart,
    vals: &Value,
    path: &str,
    warnings: &mut Warnings,
) -> Result<(), ChartError> {
    let Some(mut reqs) = chart.metadata.dependencies.take() else {
        return Ok(());
    };
    let existing = std::mem::take(&mut chart.dependencies);
    let matches = |c: &Chart, r: &super::Dependency| {
        c.name() == r.name && is_compatible_range(&r.version, &c.metadata.version)
    };
    // For each requirement, the vendored chart it takes (the first match).
    let picks: Vec<Option<usize>> = reqs
        .iter()
        .map(|r| existing.iter().position(|c| matches(c, r)))
        .collect();
    let mut uses = vec![0usize; existing.len()];
    for i in picks.iter().flatten() {
        if let Some(u) = uses.get_mut(*i) {
            *u += 1;
        }
    }
    let mut slots: Vec<Option<Chart>> = Vec::with_capacity(existing.len());
    let mut deps: Vec<Chart> = Vec::new();
    for c in existing {
        if reqs.iter().any(|r| matches(&c, r)) {
            slots.push(Some(c));
        } else {
            // Not described by any requirement: kept as it is.
            slots.push(None);
            deps.push(c);
        }
    }
    for (req, pick) in reqs.iter_mut().zip(&picks) {
        if let Some(i) = *pick {
            let last_use = uses.get_mut(i).map(|u| {
                *u -= 1;
                *u == 0
            });
            let copy = if last_use == Some(true) {
                slots.get_mut(i).and_then(Option::take)
            } else {
                slots.get(i).and_then(|s| s.clone())
            };
            if let Some(mut copy) = copy {
                if !req.alias.is_empty() {
                    copy.metadata.name = req.alias.clone();
                }
                deps.push(copy);
            }
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
    }
    chart.dependencies = deps;
    for r in reqs.iter_mut() {
        r.enabled = true;
    }
    // Conditions and tags see this chart's coalesced values (with its new subchart list).
    let cvals = values::coalesce_values(chart, vals, warnings)?;
    process_tags(&mut reqs, &cvals, warnings);
    process_conditions(&mut reqs, &cvals, path, warnings);

    let removed: HashSet<String> = reqs
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    chart.dependencies.retain(|c| !removed.contains(c.name()));
    reqs.retain(|r| !removed.contains(&r.name));
    for sub in chart.dependencies.iter_mut() {
        let subpath = format!("{path}{}.", sub.name());
        process_enabled(sub, &cvals, &subpath, warnings)?;
    }
    // Go appends the kept entries to a nil slice: none kept means no list at all.
    chart.metadata.dependencies = if reqs.is_empty() { None } else { Some(reqs) };
    Ok(())
}

fn process_tags(reqs: &mut [super::Dependency], cvals: &Value, warnings: &mut Warnings) {
    let Some(tags) = table(cvals, "tags") else {
        return;
    };
    for r in reqs.iter_mut() {
        let mut has_true = false;
        let mut has_false = false;
        for k in &r.tags {
            match tags.get(k) {
                Some(Value::Bool(true)) => has_true = true,
                Some(Value::Bool(false)) => has_false = true,
                Some(_) => warnings.push(format!(
                    "returned non-bool value: tag {k} of chart {}",
                    r.name
                )),
                None => {}
            }
        }
        // Disabled only when some tag is false and none is true.
        r.enabled = has_true || !has_false;
    }
}

fn process_conditions(
    reqs: &mut [super::Dependency],
    cvals: &Value,
    path: &str,
    warnings: &mut Warnings,
) {
    for r in reqs.iter_mut() {
        let condition = r.condition.trim().to_string();
        // Paths are not trimmed after splitting: "a.enabled, b.enabled" looks up " b".
        for c in condition.split(',') {
            if c.is_empty() {
                continue;
            }
            match path_value(cvals, &format!("{path}{c}")) {
                Some(Value::Bool(b)) => {
                    r.enabled = b;
                    break;
                }
                Some(_) => warnings.push(format!(
                    "returned non-bool value: condition {c} of chart {}",
                    r.name
                )),
                None => {}
            }
        }
    }
}

/// `processDependencyImportValues`: children first, then this chart.
fn process_import_values(chart: &mut Chart, warnings: &mut Warnings) -> Result<(), ChartError> {
    for sub in chart.dependencies.iter_mut() {
        process_import_values(sub, warnings)?;
    }
    import_values(chart, warnings)
}

/// Helm's `pathToMap`: `a.b` and data → `{a: {b: data}}`; `.` is the data itself.
fn path_to_map(path: &str, data: Value) -> Value {
    if path == "." {
        return data;
    }
    let mut current = data;
    for key in path.split('.').rev() {
        let mut m = Map::new();
        m.insert(key.to_string(), current);
        current = Value::map(m);
    }
    current
}

fn import_values(chart: &mut Chart, warnings: &mut Warnings) -> Result<(), ChartError> {
    if chart.metadata.dependencies.is_none() {
        return Ok(());
    }
    let cvals = Coalescer { warnings }.coalesce_chart(chart, &Value::empty_map(), true)?;
    let mut b = Value::empty_map();
    let Some(reqs) = chart.metadata.dependencies.as_mut() else {
        return Ok(());
    };
    for r in reqs.iter_mut() {
        let mut out = Vec::new();
        for riv in &r.import_values {
            let (child, parent, path) = match riv {
                Value::Map(m) => {
                    let m = m.borrow();
                    let child = m.get("child").cloned().unwrap_or(Value::Nil).to_string();
                    let parent = m.get("parent").cloned().unwrap_or(Value::Nil).to_string();
                    (child.clone(), parent, child)
                }
                Value::String(s) => {
                    let child = format!("exports.{s}");
                    (child.clone(), ".".to_string(), child)
                }
                _ => continue,
            };
            let mut entry = Map::new();
            entry.insert("child".to_string(), Value::str(&child));
            entry.insert("parent".to_string(), Value::str(&parent));
            out.push(Value::map(entry));
            let Some(vv) = table(&cvals, &format!("{}.{path}", r.name)) else {
                warnings.push(format!(
                    "ImportValues missing table from chart {}: {path:?} is not a table",
                    r.name
                ));
                continue;
            };
            let src = if matches!(riv, Value::Map(_)) {
                path_to_map(&parent, vv)
            } else {
                vv
            };
            b = values::coalesce_tables_values(&b, &src, true, warnings);
        }
        r.import_values = out;
    }
    // Imports sit below the chart's own values: the parent can override what it imports.
    if matches!(&b, Value::Map(m) if m.borrow().is_empty()) {
        // Merging nothing leaves `cvals` as it is (a merge deletes no null), and the copy
        // below only keeps imported tables from aliasing it. `cvals` is fresh: every
        // reader of a chart's values copies them before changing anything.
        chart.values = cvals;
        return Ok(());
    }
    let cvals = cvals.deep_copy();
    chart.values = values::coalesce_tables_values(&cvals, &b, true, warnings);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{bare_chart, json_value, to_json};
    use super::super::Dependency;
    use super::*;

    fn dep(name: &str, version: &str) -> Dependency {
        Dependency {
            name: name.into(),
            version: version.into(),
            ..Dependency::default()
        }
    }

    fn sub(name: &str, values: &str) -> Chart {
        let mut c = bare_chart(name);
        c.values = json_value(values);
        c
    }

    // Expected values in these tests are `helm template` output of the same charts with a
    // `{{ toJson .Values }}` template.
    fn prepare(chart: Chart, user: &str) -> (Chart, String) {
        let (c, v) = super::super::prepare(chart, json_value(user)).unwrap();
        (c, to_json(&v))
    }

    #[test]
    fn conditions_tags_and_aliases() {
        let mut top = bare_chart("top");
        top.values = json_value(r#"{"a":{"enabled":false},"tags":{"front":true}}"#);
        let mut d1 = dep("a", "0.1.0");
        d1.condition = "a.enabled".into();
        let mut d2 = dep("b", ">=0.1.0");
        d2.alias = "bee".into();
        d2.tags = vec!["front".into()];
        let mut d3 = dep("b", "0.1.x");
        d3.alias = "off".into();
        d3.tags = vec!["back".into()];
        top.metadata.dependencies = Some(vec![d1, d2, d3]);
        top.dependencies = vec![sub("a", r#"{"x":1}"#), sub("b", r#"{"y":2}"#)];
        let (c, v) = prepare(top.clone(), r#"{"tags":{"back":false}}"#);
        let names: Vec<&str> = c.dependencies.iter().map(|d| d.name()).collect();
        assert_eq!(names, vec!["bee"]);
        assert_eq!(
            v,
            r#"{"a":{"enabled":false},"bee":{"global":{},"y":2},"tags":{"back":false,"front":true}}"#
        );
        // A condition overrides tags; the first resolvable condition path wins.
        let (c, v) = prepare(top, r#"{"a":{"enabled":true}}"#);
        let names: Vec<&str> = c.dependencies.iter().map(|d| d.name()).collect();
        assert_eq!(names, vec!["a", "bee", "off"]);
        assert_eq!(
            v,
            r#"{"a":{"enabled":true,"global":{},"x":1},"bee":{"global":{},"y":2},"off":{"global":{},"y":2},"tags":{"front":true}}"#
        );
    }

    #[test]
    fn missing_vendored_dependency_is_an_error() {
        let mut top = bare_chart("top");
        let mut d = dep("gone", "1.0.0");
        d.condition = "gone.enabled".into();
        top.metadata.dependencies = Some(vec![d]);
        let err = super::super::prepare(top, Value::empty_map()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "found in Chart.yaml, but missing in charts/ directory: gone"
        );
    }

    #[test]
    fn import_values_both_forms() {
        let mut top = bare_chart("top");
        top.values = json_value(r#"{"mine":{"k":"parent"}}"#);
        let mut d = dep("child", "0.1.0");
        d.import_values = vec![
            Value::str("data"),
            json_value(r#"{"child":"cfg","parent":"mine"}"#),
        ];
        top.metadata.dependencies = Some(vec![d]);
        top.dependencies = vec![sub(
            "child",
            r#"{"exports":{"data":{"exported":1}},"cfg":{"k":"child","j":2}}"#,
        )];
        let (c, v) = prepare(top, "{}");
        assert_eq!(
            v,
            r#"{"child":{"cfg":{"j":2,"k":"child"},"exports":{"data":{"exported":1}},"global":{}},"exported":1,"mine":{"j":2,"k":"parent"}}"#
        );
        let deps = c.metadata.dependencies.unwrap();
        assert_eq!(
            to_json(&Value::list(deps[0].import_values.clone())),
            r#"[{"child":"exports.data","parent":"."},{"child":"cfg","parent":"mine"}]"#
        );
    }
}
