//! Detect the feature toggles a chart actually uses, instead of assuming key names.
//!
//! Templates are scanned for `if`/`with` conditions on `.Values.<path>` (through `and`,
//! `or`, `not`, `eq`, `default`, `$var := .Values.x`, `with .Values.x` + `.enabled`, and
//! helpers from `_helpers.tpl` that a condition `include`s) and for what those conditions
//! guard: documents of a kind (`kind: CustomResourceDefinition` written in the template, in
//! an included helper, or CRD files pulled in with `.Files.Get`/`.Files.Glob`) and
//! `helm.sh/resource-policy: keep` annotations. Dependency `condition:`s in Chart.yaml that
//! switch a subchart rendering those kinds count too.
//!
//! A guarded kind gives the toggle its purpose (`crds`, `crds-keep`, `rbac`,
//! `service-account`, `monitoring`, `webhooks`, `network-policy`). Only keys whose default
//! is a bool become candidates; the lint run renders the chart with each candidate flipped
//! ([`ToggleCandidate::renders`]) and keeps those whose render really changes the guarded
//! objects ([`confirmed`]). The number of variant renders is bounded ([`MAX_RENDERS`]).

use std::collections::{BTreeMap, BTreeSet};

use super::query::{RBAC_KINDS, WORKLOAD_KINDS};
use super::LintObject;
use crate::template::Value;

/// At most this many variant renders per chart.
pub const MAX_RENDERS: usize = 6;

/// The API version a `.Capabilities.APIVersions.Has` check for the Prometheus operator
/// looks for.
pub const MONITORING_API: &str = "monitoring.coreos.com/v1";

/// Purposes in the order budget is spent on them.
pub const PURPOSES: &[&str] = &[
    "crds",
    "crds-keep",
    "rbac",
    "service-account",
    "monitoring",
    "webhooks",
    "network-policy",
];

/// Kinds whose presence a purpose's toggle controls.
pub fn purpose_kinds(purpose: &str) -> &'static [&'static str] {
    match purpose {
        "crds" | "crds-keep" => &["CustomResourceDefinition"],
        "rbac" => RBAC_KINDS,
        "service-account" => &["ServiceAccount"],
        "monitoring" => &["ServiceMonitor", "PodMonitor", "PrometheusRule"],
        "webhooks" => &[
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration",
        ],
        "network-policy" => &["NetworkPolicy"],
        _ => &[],
    }
}

fn kind_purpose(kind: &str) -> Option<&'static str> {
    PURPOSES
        .iter()
        .copied()
        .filter(|p| *p != "crds-keep")
        .find(|p| purpose_kinds(p).contains(&kind))
}

/// Key-name hints per purpose, used to rank several candidates for one purpose.
fn name_score(purpose: &str, key: &str) -> i32 {
    let k = key.to_ascii_lowercase();
    let hints: &[&str] = match purpose {
        "crds" => &["crd", "install"],
        "crds-keep" => &["keep", "crd"],
        "rbac" => &["rbac", "create"],
        "service-account" => &["serviceaccount", "create"],
        "monitoring" => &[
            "servicemonitor",
            "podmonitor",
            "prometheusrule",
            "monitor",
            "enabled",
        ],
        "webhooks" => &["webhook", "enabled"],
        "network-policy" => &["networkpolic", "enabled"],
        _ => &[],
    };
    hints
        .iter()
        .enumerate()
        .filter(|(_, h)| k.contains(*h))
        .map(|(i, _)| 10 - i as i32)
        .sum()
}

/// Whether the key names the purpose itself (not just `enabled`/`create`).
fn is_named(purpose: &str, key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    let words: &[&str] = match purpose {
        "crds" => &["crd"],
        "crds-keep" => &["keep"],
        "rbac" => &["rbac"],
        "service-account" => &["serviceaccount"],
        "monitoring" => &["monitor", "prometheusrule"],
        "webhooks" => &["webhook"],
        "network-policy" => &["networkpolic"],
        _ => &[],
    };
    words.iter().any(|w| k.contains(w))
}

/// Something a template emits that a toggle may guard.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Kind(String),
    /// A `helm.sh/resource-policy: keep` line.
    Keep,
    /// CRD manifests read from the chart's files.
    CrdFiles,
    /// `include`/`template` of a named template.
    Include(String),
}

/// A scanned template: what it emits at top level, with the values paths of the enclosing
/// conditions, and the named templates it defines.
#[derive(Default)]
struct Scan {
    items: Vec<(Item, BTreeSet<String>)>,
    /// Every values path read anywhere in this text (what a helper used as a condition
    /// depends on).
    body_paths: BTreeSet<String>,
    defines: BTreeMap<String, Scan>,
}

/// A frame of the block stack.
struct Frame {
    /// Values paths this block's condition reads (empty for range/define); `@name` stands
    /// for the paths the included helper `name` reads, resolved once all helpers are known.
    paths: BTreeSet<String>,
    /// For `with .Values.x`: relative references resolve under `x`.
    with_base: Option<String>,
    define: Option<String>,
}

/// `{{ … }}` actions and the text between them.
fn tokens(src: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(start) = rest.find("{{") {
        out.push((false, &rest[..start]));
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = "";
            break;
        };
        out.push((true, &after[..end]));
        rest = &after[end + 2..];
    }
    out.push((false, rest));
    out
}

/// Values paths referenced in an expression: `.Values.a.b`, `$.Values.a`, `$v.x` for
/// `$v := .Values.p`, and `.x` under `with .Values.p`.
fn value_paths(
    expr: &str,
    vars: &BTreeMap<String, String>,
    with_base: Option<&str>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == '.' || c == '$' {
            let start = i;
            let mut j = i + 1;
            while j < bytes.len()
                && (bytes[j].is_alphanumeric()
                    || bytes[j] == '_'
                    || bytes[j] == '.'
                    || bytes[j] == '-')
            {
                j += 1;
            }
            let word: String = bytes[start..j].iter().collect();
            let word = word.trim_end_matches('.');
            // Only references that start a token (not `a.b` inside a string or number).
            let starts_token =
                start == 0 || !(bytes[start - 1].is_alphanumeric() || bytes[start - 1] == '"');
            if starts_token {
                if let Some(p) = word
                    .strip_prefix(".Values.")
                    .or_else(|| word.strip_prefix("$.Values."))
                {
                    out.insert(p.to_string());
                } else if let Some(stripped) = word.strip_prefix('$') {
                    let (var, tail) = stripped.split_once('.').unwrap_or((stripped, ""));
                    if let Some(base) = vars.get(var) {
                        out.insert(if tail.is_empty() {
                            base.clone()
                        } else {
                            format!("{base}.{tail}")
                        });
                    }
                } else if let (Some(base), Some(rel)) = (with_base, word.strip_prefix('.')) {
                    let top = rel.split('.').next().unwrap_or("");
                    let builtin = [
                        "Values",
                        "Release",
                        "Chart",
                        "Capabilities",
                        "Files",
                        "Template",
                        "Subcharts",
                    ];
                    if !rel.is_empty() && !builtin.contains(&top) {
                        out.insert(format!("{base}.{rel}"));
                    }
                }
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Names of templates an expression includes (`include "x" .`, `template "x"`).
fn included_names(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for kw in ["include", "template"] {
        let mut rest = expr;
        while let Some(pos) = rest.find(kw) {
            let after = rest[pos + kw.len()..].trim_start();
            if let Some(body) = after.strip_prefix('"') {
                if let Some(end) = body.find('"') {
                    out.push(body[..end].to_string());
                }
            }
            rest = &rest[pos + kw.len()..];
        }
    }
    out
}

fn scan(src: &str) -> Scan {
    let mut root = Scan::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    // Scans of `define` bodies being built, innermost last.
    let mut define_scans: Vec<(String, Scan)> = Vec::new();

    fn guards(stack: &[Frame]) -> BTreeSet<String> {
        let mut paths = BTreeSet::new();
        // Only the frames inside the innermost define count for that define.
        for f in stack.iter().rev() {
            if f.define.is_some() {
                break;
            }
            paths.extend(f.paths.iter().cloned());
        }
        paths
    }
    fn condition_paths(
        cond: &str,
        vars: &BTreeMap<String, String>,
        with_base: Option<&str>,
    ) -> BTreeSet<String> {
        let mut paths = value_paths(cond, vars, with_base);
        for name in included_names(cond) {
            paths.insert(format!("@{name}"));
        }
        paths
    }
    fn current_with(stack: &[Frame]) -> Option<String> {
        stack.iter().rev().find_map(|f| f.with_base.clone())
    }

    for (is_action, text) in tokens(src) {
        let target: &mut Scan = match define_scans.last_mut() {
            Some((_, s)) => s,
            None => &mut root,
        };
        if !is_action {
            let paths = guards(&stack);
            for line in text.lines() {
                if let Some(kind) = line.strip_prefix("kind:") {
                    let kind = kind.trim().trim_matches(|c| c == '"' || c == '\'');
                    if !kind.is_empty() {
                        target
                            .items
                            .push((Item::Kind(kind.to_string()), paths.clone()));
                    }
                }
                if line.contains("helm.sh/resource-policy") && line.contains("keep") {
                    target.items.push((Item::Keep, paths.clone()));
                }
            }
            continue;
        }
        let action = text.trim_start_matches('-').trim_end_matches('-').trim();
        if action.starts_with("/*") {
            continue;
        }
        let word = action.split_whitespace().next().unwrap_or("");
        let rest = action[word.len()..].trim();
        let with_base = current_with(&stack);
        target
            .body_paths
            .extend(condition_paths(action, &vars, with_base.as_deref()));
        // CRD manifests pulled from the chart's files (`range .Files.Glob "crds/*"`).
        let lower = action.to_ascii_lowercase();
        if (lower.contains(".files.get") || lower.contains(".files.glob")) && lower.contains("crd")
        {
            target.items.push((Item::CrdFiles, guards(&stack)));
        }
        match word {
            "if" | "with" => {
                let paths = condition_paths(rest, &vars, with_base.as_deref());
                let base = (word == "with")
                    .then(|| paths.iter().next().cloned())
                    .flatten()
                    .filter(|p| paths.len() == 1 && !p.starts_with('@'));
                stack.push(Frame {
                    paths,
                    with_base: base,
                    define: None,
                });
            }
            "else" => {
                // `else if cond`: the branch depends on both conditions.
                if let Some(f) = stack.last_mut() {
                    let cond = rest
                        .strip_prefix("if")
                        .or_else(|| rest.strip_prefix("with"));
                    if let Some(cond) = cond {
                        f.paths
                            .extend(condition_paths(cond, &vars, with_base.as_deref()));
                    }
                    // A `with … else` branch no longer has the with's dot.
                    f.with_base = None;
                }
            }
            "range" => stack.push(Frame {
                paths: BTreeSet::new(),
                with_base: None,
                define: None,
            }),
            "define" | "block" => {
                let name = rest
                    .strip_prefix('"')
                    .and_then(|r| r.split_once('"'))
                    .map(|(n, _)| n.to_string())
                    .unwrap_or_default();
                stack.push(Frame {
                    paths: BTreeSet::new(),
                    with_base: None,
                    define: Some(name.clone()),
                });
                define_scans.push((name, Scan::default()));
            }
            "end" => {
                if let Some(f) = stack.pop() {
                    if f.define.is_some() {
                        if let Some((name, s)) = define_scans.pop() {
                            match define_scans.last_mut() {
                                Some((_, outer)) => outer.defines.insert(name, s),
                                None => root.defines.insert(name, s),
                            };
                        }
                    }
                }
            }
            _ => {
                // Variable definitions: `$crds := .Values.crds`.
                if let Some((lhs, rhs)) = action.split_once(":=") {
                    let var = lhs.trim().trim_start_matches('$');
                    let paths = value_paths(rhs, &vars, with_base.as_deref());
                    if paths.len() == 1 && !var.is_empty() && !var.contains(' ') {
                        if let Some(p) = paths.into_iter().next() {
                            vars.insert(var.to_string(), p);
                        }
                    }
                }
                let paths = guards(&stack);
                let target: &mut Scan = match define_scans.last_mut() {
                    Some((_, s)) => s,
                    None => &mut root,
                };
                for name in included_names(action) {
                    target.items.push((Item::Include(name), paths.clone()));
                }
            }
        }
    }
    root
}

/// A toggle found in the chart, before confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct ToggleCandidate {
    pub key: String,
    pub purpose: &'static str,
    /// The chart default (a bool).
    pub default: bool,
    /// The key is named for its purpose (`crds.install`, `rbac.create`): kept even when
    /// flipping it changes nothing, since then the toggle itself is broken — which is what
    /// the toggle rules report.
    pub named: bool,
    /// The chart's templates check for the Prometheus operator's API
    /// (`.Capabilities.APIVersions.Has "monitoring.coreos.com/v1"`).
    pub capability_checked: bool,
}

impl ToggleCandidate {
    /// The renders this candidate needs: (value to set, extra API versions). Monitoring
    /// toggles are rendered without the Prometheus operator's API and, when the templates
    /// check for it, also with it (otherwise both renders would be the same).
    pub fn renders(&self) -> Vec<(bool, Vec<String>)> {
        let flipped = !self.default;
        if self.purpose == "monitoring" && self.capability_checked {
            vec![
                (flipped, Vec::new()),
                (flipped, vec![MONITORING_API.to_string()]),
            ]
        } else {
            vec![(flipped, Vec::new())]
        }
    }

    /// `--set` expression of a render.
    pub fn set_expr(&self, value: bool) -> String {
        format!("{}={value}", self.key)
    }
}

/// Inputs of detection: the chart's own templates (chart-relative path, text), its default
/// values, and subcharts switched by a Chart.yaml `condition`.
pub struct ChartSources<'a> {
    pub templates: &'a [(String, String)],
    pub default_values: &'a Value,
    /// (condition paths, subchart template texts, subchart has `crds/` files).
    pub conditional_subcharts: Vec<(Vec<String>, Vec<String>, bool)>,
}

fn default_bool(values: &Value, path: &str) -> Option<bool> {
    let keys: Vec<&str> = path.split('.').collect();
    match values.get_path(&keys) {
        Some(Value::Bool(b)) => Some(b),
        _ => None,
    }
}

/// Find toggle candidates: for each purpose, the best-ranked bool key that guards its kinds,
/// within the render budget.
pub fn detect(src: &ChartSources<'_>) -> Vec<ToggleCandidate> {
    let capability_checked = src
        .templates
        .iter()
        .any(|(_, t)| t.contains("monitoring.coreos.com"));
    // All defines from every template (helpers included), and top-level scans.
    let mut defines: BTreeMap<String, Scan> = BTreeMap::new();
    let mut tops: Vec<Scan> = Vec::new();
    for (path, text) in src.templates {
        let mut s = scan(text);
        collect_defines(&mut s, &mut defines);
        if !path.rsplit('/').next().unwrap_or("").starts_with('_') {
            tops.push(s);
        }
    }
    // Guard paths per purpose: key → (purpose → count).
    let mut evidence: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    let mut workload_guards: BTreeSet<String> = BTreeSet::new();
    let mut record = |paths: &BTreeSet<String>, purpose: Option<&'static str>, workload: bool| {
        for p in paths {
            if workload {
                workload_guards.insert(p.clone());
            }
            if let Some(purpose) = purpose {
                *evidence
                    .entry(p.clone())
                    .or_default()
                    .entry(purpose)
                    .or_default() += 1;
            }
        }
    };
    for top in &tops {
        let mut items = Vec::new();
        flatten(top, &defines, &BTreeSet::new(), 0, &mut items);
        // A keep line in a template that also emits CRDs is a CRD keep annotation.
        let has_crd = items.iter().any(|(i, _)| {
            matches!(i, Item::CrdFiles) || *i == Item::Kind("CustomResourceDefinition".into())
        });
        for (item, paths) in &items {
            match item {
                Item::Kind(k) => {
                    record(paths, kind_purpose(k), WORKLOAD_KINDS.contains(&k.as_str()))
                }
                Item::CrdFiles => record(paths, Some("crds"), false),
                Item::Keep if has_crd => record(paths, Some("crds-keep"), false),
                Item::Keep => {
                    let keepish: BTreeSet<String> = paths
                        .iter()
                        .filter(|p| p.to_ascii_lowercase().contains("keep"))
                        .cloned()
                        .collect();
                    record(&keepish, Some("crds-keep"), false)
                }
                Item::Include(_) => {}
            }
        }
    }
    for (conditions, texts, has_crd_dir) in &src.conditional_subcharts {
        let paths: BTreeSet<String> = conditions.iter().cloned().collect();
        if *has_crd_dir {
            record(&paths, Some("crds"), false);
        }
        for t in texts {
            let s = scan(t);
            for (item, _) in &s.items {
                if let Item::Kind(k) = item {
                    record(&paths, kind_purpose(k), false);
                }
            }
        }
    }
    // A keep toggle guards the annotation, not the CRD itself: drop keys that are also CRD
    // install guards from crds-keep, and master switches that guard workloads.
    let mut best: BTreeMap<&'static str, (i32, ToggleCandidate)> = BTreeMap::new();
    for (key, purposes) in &evidence {
        if workload_guards.contains(key) {
            continue;
        }
        let Some(default) = default_bool(src.default_values, key) else {
            continue;
        };
        for (purpose, count) in purposes {
            if *purpose == "crds-keep" && purposes.contains_key("crds") {
                continue;
            }
            // A key guarding several purposes (a `metrics.enabled` guarding Service and
            // ServiceMonitor is fine; `rbac.create` guarding ServiceAccount too) is assigned
            // to each, ranked by name.
            let score = name_score(purpose, key) * 100 + (*count as i32).min(99);
            let candidate = ToggleCandidate {
                key: key.clone(),
                purpose,
                default,
                named: is_named(purpose, key),
                capability_checked: capability_checked && *purpose == "monitoring",
            };
            match best.get(purpose) {
                Some((s, _)) if *s >= score => {}
                _ => {
                    best.insert(purpose, (score, candidate));
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut budget = MAX_RENDERS;
    for purpose in PURPOSES {
        if let Some((_, c)) = best.remove(purpose) {
            let cost = c.renders().len();
            if cost <= budget {
                budget -= cost;
                out.push(c);
            }
        }
    }
    out
}

fn collect_defines(s: &mut Scan, into: &mut BTreeMap<String, Scan>) {
    let defines = std::mem::take(&mut s.defines);
    for (name, mut d) in defines {
        collect_defines(&mut d, into);
        into.insert(name, d);
    }
}

/// Items of a scan with includes expanded (guards accumulated, `@helper` guards replaced
/// by the paths the helper reads), depth-bounded.
fn flatten(
    s: &Scan,
    defines: &BTreeMap<String, Scan>,
    outer: &BTreeSet<String>,
    depth: usize,
    out: &mut Vec<(Item, BTreeSet<String>)>,
) {
    if depth > 8 {
        return;
    }
    for (item, paths) in &s.items {
        let mut all = outer.clone();
        for p in paths {
            match p.strip_prefix('@') {
                Some(name) => all.extend(helper_paths(name, defines, 0)),
                None => {
                    all.insert(p.clone());
                }
            }
        }
        match item {
            Item::Include(name) => {
                if let Some(d) = defines.get(name) {
                    flatten(d, defines, &all, depth + 1, out);
                }
            }
            other => out.push((other.clone(), all)),
        }
    }
}

/// Values paths a helper reads (anywhere in its body, and in helpers it includes).
fn helper_paths(name: &str, defines: &BTreeMap<String, Scan>, depth: usize) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if depth > 8 {
        return out;
    }
    if let Some(d) = defines.get(name) {
        for p in &d.body_paths {
            match p.strip_prefix('@') {
                Some(n) => out.extend(helper_paths(n, defines, depth + 1)),
                None => {
                    out.insert(p.clone());
                }
            }
        }
        for (item, _) in &d.items {
            if let Item::Include(n) = item {
                out.extend(helper_paths(n, defines, depth + 1));
            }
        }
    }
    out
}

/// Whether a candidate's variants are kept: its flip changed the guarded objects
/// ([`confirmed`]) or its key is named for the purpose.
pub fn keep(candidate: &ToggleCandidate, confirmed: bool) -> bool {
    confirmed || candidate.named
}

/// Whether flipping the toggle really changed the guarded objects: for `crds-keep`, the
/// keep annotation on CRDs; otherwise the set of objects of the purpose's kinds.
pub fn confirmed(purpose: &str, default: &[LintObject], variant: &[LintObject]) -> bool {
    let kinds = purpose_kinds(purpose);
    let keyed = |objs: &[LintObject]| -> BTreeSet<(String, String, bool)> {
        objs.iter()
            .filter(|o| kinds.contains(&o.kind.as_str()))
            .map(|o| {
                let keep = o.annotation("helm.sh/resource-policy").as_deref() == Some("keep");
                (
                    o.kind.clone(),
                    o.name.clone(),
                    keep && purpose == "crds-keep",
                )
            })
            .collect()
    };
    keyed(default) != keyed(variant)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::query::test_support::{map, object, s};

    fn values(pairs: &[(&str, Value)]) -> Value {
        map(pairs)
    }

    fn detect_in(templates: &[(&str, &str)], vals: &Value) -> Vec<(String, &'static str, bool)> {
        let templates: Vec<(String, String)> = templates
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        detect(&ChartSources {
            templates: &templates,
            default_values: vals,
            conditional_subcharts: Vec::new(),
        })
        .into_iter()
        .map(|c| (c.key, c.purpose, c.default))
        .collect()
    }

    #[test]
    fn direct_conditions() {
        let vals = values(&[
            (
                "crds",
                map(&[("install", Value::Bool(true)), ("keep", Value::Bool(false))]),
            ),
            ("rbac", map(&[("create", Value::Bool(true))])),
            (
                "serviceAccount",
                map(&[("create", Value::Bool(true)), ("name", s(""))]),
            ),
            (
                "metrics",
                map(&[("serviceMonitor", map(&[("enabled", Value::Bool(false))]))]),
            ),
            ("networkPolicy", map(&[("enabled", Value::Bool(false))])),
            ("replicas", Value::Float(1.0)),
        ]);
        let got = detect_in(
            &[
                (
                    "templates/crds.yaml",
                    "{{- if and .Values.crds.install (not .Values.x) }}\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: a\n  {{- if .Values.crds.keep }}\n  annotations:\n    helm.sh/resource-policy: keep\n  {{- end }}\n{{- end }}\n",
                ),
                (
                    "templates/rbac.yaml",
                    "{{ if .Values.rbac.create }}\nkind: ClusterRole\n---\nkind: ClusterRoleBinding\n{{ end }}\n",
                ),
                (
                    "templates/sa.yaml",
                    "{{- if .Values.serviceAccount.create -}}\nkind: ServiceAccount\n{{- end }}\n",
                ),
                (
                    "templates/sm.yaml",
                    "{{- with .Values.metrics }}\n{{- if and .serviceMonitor.enabled ($.Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\") }}\nkind: ServiceMonitor\n{{- end }}\n{{- end }}\n",
                ),
                (
                    "templates/np.yaml",
                    "{{- $np := .Values.networkPolicy }}\n{{- if eq $np.enabled true }}\nkind: NetworkPolicy\n{{- end }}\n",
                ),
                ("templates/deploy.yaml", "kind: Deployment\nspec:\n  replicas: {{ .Values.replicas }}\n"),
            ],
            &vals,
        );
        assert_eq!(
            got,
            vec![
                ("crds.install".to_string(), "crds", true),
                ("crds.keep".to_string(), "crds-keep", false),
                ("rbac.create".to_string(), "rbac", true),
                ("serviceAccount.create".to_string(), "service-account", true),
                // Two renders (the template checks the API): the budget is spent, so the
                // NetworkPolicy toggle is left out.
                (
                    "metrics.serviceMonitor.enabled".to_string(),
                    "monitoring",
                    false
                ),
            ]
        );
    }

    #[test]
    fn helpers_and_files() {
        let vals = values(&[
            ("installCRDs", Value::Bool(false)),
            ("webhook", map(&[("enabled", Value::Bool(true))])),
            ("enabled", Value::Bool(true)),
        ]);
        let got = detect_in(
            &[
                (
                    "templates/_helpers.tpl",
                    "{{- define \"op.installCRDs\" -}}\n{{- if .Values.installCRDs }}true{{ end }}\n{{- end }}\n{{- define \"op.webhookConfig\" }}\nkind: ValidatingWebhookConfiguration\n{{- end }}\n",
                ),
                (
                    "templates/crds.yaml",
                    "{{- if (include \"op.installCRDs\" .) }}\n{{- range $p, $_ := .Files.Glob \"crds/*.yaml\" }}\n{{ $.Files.Get $p }}\n{{- end }}\n{{- end }}\n",
                ),
                (
                    "templates/webhook.yaml",
                    "{{- if .Values.webhook.enabled }}\n{{- include \"op.webhookConfig\" . }}\n{{- end }}\n",
                ),
                // A master switch that also guards the workload is not a feature toggle.
                (
                    "templates/all.yaml",
                    "{{- if .Values.enabled }}\nkind: Deployment\n---\nkind: ClusterRole\n{{- end }}\n",
                ),
            ],
            &vals,
        );
        assert_eq!(
            got,
            vec![
                ("installCRDs".to_string(), "crds", false),
                ("webhook.enabled".to_string(), "webhooks", true),
            ]
        );
    }

    #[test]
    fn non_bool_keys_and_subchart_conditions() {
        let vals = values(&[
            ("crds", map(&[("install", s("yes"))])),
            ("prometheus", map(&[("enabled", Value::Bool(false))])),
        ]);
        let templates = vec![(
            "templates/crds.yaml".to_string(),
            "{{ if .Values.crds.install }}\nkind: CustomResourceDefinition\n{{ end }}\n"
                .to_string(),
        )];
        let got = detect(&ChartSources {
            templates: &templates,
            default_values: &vals,
            conditional_subcharts: vec![(
                vec!["prometheus.enabled".to_string()],
                vec!["kind: ServiceMonitor\n".to_string()],
                false,
            )],
        });
        assert_eq!(
            got,
            vec![ToggleCandidate {
                key: "prometheus.enabled".into(),
                purpose: "monitoring",
                default: false,
                named: false,
                capability_checked: false,
            }]
        );
        assert_eq!(got[0].renders(), vec![(true, vec![])]);
        let checked = ToggleCandidate {
            capability_checked: true,
            ..got[0].clone()
        };
        assert_eq!(
            checked.renders(),
            vec![(true, vec![]), (true, vec![MONITORING_API.to_string()])]
        );
        assert_eq!(got[0].set_expr(true), "prometheus.enabled=true");
    }

    #[test]
    fn confirmation_compares_guarded_objects() {
        let crd = |keep: bool| {
            let mut meta = vec![("name", s("a.x.io"))];
            if keep {
                meta.push((
                    "annotations",
                    map(&[("helm.sh/resource-policy", s("keep"))]),
                ));
            }
            object(map(&[
                ("kind", s("CustomResourceDefinition")),
                ("metadata", map(&meta)),
            ]))
        };
        let dep = object(map(&[
            ("kind", s("Deployment")),
            ("metadata", map(&[("name", s("d"))])),
        ]));
        assert!(confirmed(
            "crds",
            &[crd(false), dep.clone()],
            std::slice::from_ref(&dep)
        ));
        assert!(!confirmed(
            "crds",
            &[crd(false), dep.clone()],
            &[crd(false)]
        ));
        assert!(confirmed("crds-keep", &[crd(false)], &[crd(true)]));
        assert!(!confirmed("crds", &[crd(false)], &[crd(true)]));
        assert!(!confirmed(
            "rbac",
            std::slice::from_ref(&dep),
            std::slice::from_ref(&dep)
        ));
    }

    #[test]
    fn value_path_extraction() {
        let vars = BTreeMap::from([("c".to_string(), "crds".to_string())]);
        let got = value_paths(
            "and .Values.a.b (not $.Values.c_d) (eq (default true $c.keep) true) \"x.Values.no\"",
            &vars,
            None,
        );
        assert_eq!(
            got.into_iter().collect::<Vec<_>>(),
            vec!["a.b", "c_d", "crds.keep"]
        );
        let got = value_paths(".enabled .Release.Name", &vars, Some("sm"));
        assert_eq!(got.into_iter().collect::<Vec<_>>(), vec!["sm.enabled"]);
    }
}
