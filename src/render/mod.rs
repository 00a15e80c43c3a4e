//! Helm's rendering semantics on top of the template engine.
//!
//! Flow (as Helm's `engine.Render` and `action.renderResources` do it):
//! 1. collect every template of the chart and its enabled subcharts, each with its scope
//!    (`.Values` of that chart, `.Chart`, `.Files`, `.Release`, `.Capabilities`,
//!    `.Subcharts`);
//! 2. parse them all into one template set, in Helm's order (deepest paths first, then
//!    reverse lexical), so that a parent chart's `define` wins over a subchart's;
//! 3. execute each non-partial template in that order (mutations of `.Values` by `set` are
//!    visible to later templates, as in Helm) and replace `<no value>` with "";
//! 4. split the outputs into documents, separate hooks, sort by kind (Helm 4's install
//!    order) and print them the way `helm template` does ([`output`]).

pub mod capabilities;
pub mod cluster;
pub mod command;
mod exec_error;
pub mod files;
pub mod glob;
pub mod output;
pub mod teardown;

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::chart::Chart;
use crate::template::funcs::{self, ExecContext, FuncMap};
use crate::template::{
    FuncError, Map, MissingKey, PreParse, TemplateError, TemplateErrorKind, TemplateSet, Value,
};

pub use capabilities::{Capabilities, KubeVersion};
pub use files::Files;
pub use output::{sort_manifests, Manifest, SortedManifests};

/// Marks the message of `required`/`fail` so errors can be reported as Helm does
/// (`execution error at (file:line:col): message`).
const USER_ERROR_START: &str = "\u{1}OPM_USER_ERROR_START\u{1}";
const USER_ERROR_END: &str = "\u{1}OPM_USER_ERROR_END\u{1}";

/// What the release looks like to templates (`.Release`).
#[derive(Debug, Clone)]
pub struct ReleaseOptions {
    pub name: String,
    pub namespace: String,
    pub revision: i64,
    pub is_upgrade: bool,
}

impl Default for ReleaseOptions {
    fn default() -> Self {
        ReleaseOptions {
            name: "release-name".to_string(),
            namespace: "default".to_string(),
            revision: 1,
            is_upgrade: false,
        }
    }
}

impl ReleaseOptions {
    fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("Name".into(), Value::str(&self.name));
        m.insert("Namespace".into(), Value::str(&self.namespace));
        m.insert("IsUpgrade".into(), Value::Bool(self.is_upgrade));
        m.insert("IsInstall".into(), Value::Bool(!self.is_upgrade));
        m.insert("Revision".into(), Value::int(self.revision));
        m.insert("Service".into(), Value::str("Helm"));
        Value::map(m)
    }
}

/// Everything a render needs besides the chart and its values.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub release: ReleaseOptions,
    pub kube_version: Option<KubeVersion>,
    pub extra_api_versions: Vec<String>,
    /// `missingkey=error` instead of Helm's default `missingkey=zero` (lint's strict mode).
    pub strict: bool,
    /// `getHostByName` resolves names (`--enable-dns`). Templates parsed ahead of time
    /// ([`load_preparsing`]) are bound to Helm's default, which returns "", so a render
    /// with DNS parses its templates itself.
    pub enable_dns: bool,
}

/// A rendering failure, worded like Helm's.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    /// `parse error at (chart/templates/x.yaml:3): function "foo" not defined`
    #[error("parse error at ({location}): {message}")]
    Parse {
        template: String,
        line: usize,
        location: String,
        message: String,
    },
    /// A template failed while executing (Go's message, or Helm's reformatted one for
    /// `required` and `fail`: `execution error at (file:line:col): message`).
    #[error("{message}")]
    Exec {
        template: String,
        line: usize,
        column: Option<usize>,
        message: String,
    },
    /// A rendered document is not valid YAML.
    #[error("YAML parse error on {template}: {message}")]
    Yaml { template: String, message: String },
    /// The chart's `kubeVersion` constraint excludes the target version.
    #[error(
        "chart requires kubeVersion: {constraint} which is incompatible with Kubernetes {version}"
    )]
    KubeVersion { constraint: String, version: String },
}

impl RenderError {
    /// The template file (chart-relative path with the chart name) the error is in.
    pub fn template(&self) -> Option<&str> {
        match self {
            RenderError::Parse { template, .. }
            | RenderError::Exec { template, .. }
            | RenderError::Yaml { template, .. } => Some(template),
            RenderError::KubeVersion { .. } => None,
        }
    }

    /// The line in that template, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            RenderError::Parse { line, .. } | RenderError::Exec { line, .. } => Some(*line),
            _ => None,
        }
    }

    fn from_template_error(err: TemplateError) -> RenderError {
        match err.kind {
            TemplateErrorKind::Parse => RenderError::Parse {
                location: format!("{}:{}", err.template, err.line),
                template: err.template,
                line: err.line,
                message: err.message,
            },
            TemplateErrorKind::Exec => {
                let location = match err.column {
                    Some(col) => format!("{}:{}:{}", err.template, err.line, col),
                    None => format!("{}:{}", err.template, err.line),
                };
                let full = err.to_string();
                let message = match user_error(&full) {
                    Some(user) => format!("execution error at ({location}): {user}"),
                    None => exec_error::reformat(&err.go_chain()).unwrap_or(full),
                };
                RenderError::Exec {
                    template: err.template,
                    line: err.line,
                    column: err.column,
                    message,
                }
            }
        }
    }
}

/// The message of a `required`/`fail` call inside an error text, if there is one.
fn user_error(text: &str) -> Option<&str> {
    let start = text.find(USER_ERROR_START)? + USER_ERROR_START.len();
    let end = text[start..].find(USER_ERROR_END)? + start;
    Some(&text[start..end])
}

/// The outputs of one render, before sorting into documents.
#[derive(Debug, Clone, Default)]
pub struct RenderedFiles {
    /// Template path (`chart/templates/x.yaml`) → rendered text, for every non-partial
    /// template except NOTES.txt files.
    pub files: BTreeMap<String, String>,
    /// The root chart's rendered NOTES.txt, if any.
    pub notes: Option<String>,
}

/// One template to render, with the scope (`.`) it sees. The source is the chart's file.
struct Renderable<'c> {
    source: &'c crate::chart::FileData,
    scope: Value,
    base_path: String,
}

/// Build the function map Helm gives templates: Go builtins (in the engine), Sprig, Helm's
/// serialisation functions, and `include`, `tpl`, `required`, `fail`, `lookup`,
/// `getHostByName`.
pub fn helm_funcs() -> FuncMap {
    let mut map = FuncMap::new();
    funcs::sprig_a::register_sprig_a(&mut map);
    funcs::sprig_b::register_sprig_b(&mut map);
    funcs::serialization::register(&mut map);
    map.insert_host(
        "include",
        Rc::new(|ctx: &mut dyn ExecContext, args: &[Value]| {
            let [_, data] = args else {
                return Err(FuncError::arity(format!(
                    "wrong number of args for include: want 2 got {}",
                    args.len()
                )));
            };
            let name = funcs::convert::string_arg("include", args, 0)?;
            ctx.execute_template(&name, data.clone()).map(Value::string)
        }),
    );
    map.insert_host(
        "tpl",
        Rc::new(|ctx: &mut dyn ExecContext, args: &[Value]| {
            let [_, data] = args else {
                return Err(FuncError::arity(format!(
                    "wrong number of args for tpl: want 2 got {}",
                    args.len()
                )));
            };
            let source = funcs::convert::string_arg("tpl", args, 0)?;
            let out = ctx
                .execute_source(&source, data.clone())
                .map_err(|e| tpl_error(&source, e))?;
            Ok(Value::string(out.replace("<no value>", "")))
        }),
    );
    map.insert("required", |args: &[Value]| {
        let [_, value] = args else {
            return Err(FuncError::arity(format!(
                "wrong number of args for required: want 2 got {}",
                args.len()
            )));
        };
        let message = funcs::convert::string_arg("required", args, 0)?;
        let missing = match value {
            Value::Nil => true,
            Value::String(s) => s.is_empty(),
            _ => false,
        };
        if missing {
            return Err(FuncError::new(format!(
                "{USER_ERROR_START}{message}{USER_ERROR_END}"
            )));
        }
        Ok(value.clone())
    });
    map.insert("fail", |args: &[Value]| {
        let [_] = args else {
            return Err(FuncError::arity(format!(
                "wrong number of args for fail: want 1 got {}",
                args.len()
            )));
        };
        let message = funcs::convert::string_arg("fail", args, 0)?;
        Err(FuncError::new(format!(
            "{USER_ERROR_START}{message}{USER_ERROR_END}"
        )))
    });
    // Offline, `lookup` finds nothing: Helm returns an empty map.
    map.insert("lookup", |args: &[Value]| {
        if args.len() != 4 {
            return Err(FuncError::arity(format!(
                "wrong number of args for lookup: want 4 got {}",
                args.len()
            )));
        }
        Ok(Value::empty_map())
    });
    // Helm disables DNS lookups unless --enable-dns is given.
    map.insert("getHostByName", |args: &[Value]| {
        funcs::convert::expect_args("getHostByName", args, 1)?;
        Ok(Value::str(""))
    });
    map
}

/// Helm hands templates `.Values` as its own map type (`common.Values`), not as a plain
/// `map[string]interface {}`; the maps inside it (a subchart's values seen from the parent,
/// `.Values.sub`) are plain. Sprig's `dig` type-asserts the plain type, so Helm fails
/// `dig … .Values` but not `dig … .Values.sub`, and `typeOf` tells them apart; every other
/// map function accepts both.
///
/// A map is the `common.Values` here when it is the `.Values` of the file being rendered
/// (a subchart's file has its own), wherever `include` or `tpl` passed it since.
fn values_type_aware(map: &mut FuncMap) {
    const VALUES_TYPE: &str = "common.Values";
    fn is_values(ctx: &dyn ExecContext, v: &Value) -> bool {
        match (ctx.top_data().get("Values"), v) {
            (Some(Value::Map(root)), Value::Map(m)) => Rc::ptr_eq(&root, m),
            _ => false,
        }
    }
    fn native(map: &FuncMap, name: &str) -> Option<funcs::NativeFn> {
        match map.get(name).cloned() {
            Some(funcs::Function::Native(f)) => Some(f),
            _ => None,
        }
    }
    if let Some(dig) = native(map, "dig") {
        map.insert_host(
            "dig",
            Rc::new(move |ctx: &mut dyn ExecContext, args: &[Value]| {
                if args.len() >= 3 && args.last().is_some_and(|v| is_values(ctx, v)) {
                    return Err(FuncError::new(
                        "interface conversion: interface {} is common.Values, not map[string]interface {}",
                    ));
                }
                dig(args)
            }),
        );
    }
    if let Some(type_of) = native(map, "typeOf") {
        map.insert_host(
            "typeOf",
            Rc::new(move |ctx: &mut dyn ExecContext, args: &[Value]| {
                if args.len() == 1 && is_values(ctx, &args[0]) {
                    return Ok(Value::str(VALUES_TYPE));
                }
                type_of(args)
            }),
        );
    }
    for name in ["typeIs", "typeIsLike"] {
        if let Some(type_is) = native(map, name) {
            map.insert_host(
                name,
                Rc::new(move |ctx: &mut dyn ExecContext, args: &[Value]| {
                    if args.len() == 2 && is_values(ctx, &args[1]) {
                        let target = funcs::convert::string_arg(name, args, 0)?;
                        return Ok(Value::Bool(*target == *VALUES_TYPE));
                    }
                    type_is(args)
                }),
            );
        }
    }
}

/// Helm's `tpl` wraps its template's failure: `cannot parse template %q: %w` when the text
/// does not parse, `error during tpl function execution for %q: %w` when it fails to run.
fn tpl_error(source: &str, e: FuncError) -> FuncError {
    let parse_failed = e
        .template
        .as_deref()
        .is_some_and(|t| t.kind == TemplateErrorKind::Parse);
    let what = if parse_failed {
        "cannot parse template"
    } else {
        "error during tpl function execution for"
    };
    let mut wrapped = FuncError::new(format!(
        "{what} {}: {}",
        crate::template::gofmt::quote(source),
        e.message
    ));
    wrapped.template = e.template;
    wrapped
}

/// The full path of a chart inside the render: `root`, `root/charts/sub`, …
fn collect_templates<'c>(
    chart: &'c Chart,
    parent_scope: Option<&Value>,
    full_path: &str,
    top: &TopLevel,
    templates: &mut BTreeMap<String, Renderable<'c>>,
) -> Value {
    let is_root = parent_scope.is_none();
    let mut chart_meta = chart.metadata.to_value();
    if let Value::Map(m) = &mut chart_meta {
        m.borrow_mut().insert("IsRoot".into(), Value::Bool(is_root));
    }
    let values = match parent_scope {
        None => top.values.clone(),
        // A subchart sees the parent's `.Values.<name>` when it is a map (Helm's
        // `values.Table("Values." + name)`), else empty values.
        Some(parent) => match parent.get("Values").and_then(|v| v.get(chart.name())) {
            Some(v @ Value::Map(_)) => v,
            _ => Value::empty_map(),
        },
    };
    let subcharts = Value::empty_map();
    let files: BTreeMap<String, crate::chart::FileData> = chart
        .files
        .iter()
        .map(|f| (f.name.clone(), f.data.clone()))
        .collect();
    let mut scope = Map::new();
    scope.insert("Chart".into(), chart_meta);
    scope.insert("Files".into(), Files::shared(files).into_value());
    scope.insert("Release".into(), top.release.clone());
    scope.insert("Capabilities".into(), top.capabilities.clone());
    scope.insert("Values".into(), values);
    scope.insert("Subcharts".into(), subcharts.clone());
    let scope = Value::map(scope);

    for dep in &chart.dependencies {
        let child_path = format!("{full_path}/charts/{}", dep.name());
        let child_scope = collect_templates(dep, Some(&scope), &child_path, top, templates);
        if let Value::Map(m) = &subcharts {
            m.borrow_mut().insert(dep.name().to_string(), child_scope);
        }
    }

    let library = chart.is_library();
    for template in &chart.templates {
        let base = template.name.rsplit('/').next().unwrap_or(&template.name);
        // Library charts contribute only their partials (`_*.tpl`).
        if library && !base.starts_with('_') {
            continue;
        }
        let key = format!("{full_path}/{}", template.name);
        templates.insert(
            key,
            Renderable {
                source: &template.data,
                scope: scope.clone(),
                base_path: format!("{full_path}/templates"),
            },
        );
    }
    scope
}

struct TopLevel {
    values: Value,
    release: Value,
    capabilities: Value,
}

/// Helm's `sortTemplates`: more path segments first; equal depth in reverse lexical order.
fn helm_template_order(names: impl Iterator<Item = String>) -> Vec<String> {
    // Depths counted once per name, not once per comparison.
    let mut keyed: Vec<(usize, String)> = names
        .map(|name| (memchr::memchr_iter(b'/', name.as_bytes()).count(), name))
        .collect();
    keyed.sort_unstable_by(|(da, a), (db, b)| db.cmp(da).then_with(|| b.cmp(a)));
    keyed.into_iter().map(|(_, name)| name).collect()
}

/// Template source read before [`load_preparsing`] starts its helper. Low, so that the
/// helper starts early in the load: a new thread takes from a tenth of a millisecond to a
/// few milliseconds to first run on the virtual machines renders run on, and
/// kube-prometheus-stack's helper had often started only as loading ended (at 128 KiB).
/// Charts with less template source than this are parsed on the calling thread.
const PREPARSE_START_BYTES: usize = 16 * 1024;

/// Load the chart at `path` while its templates are parsed on a helper thread, under the
/// names [`render_files_to`] gives them, from the moment each file is read (see
/// [`crate::template::preparse`]): the parse overlaps reading the rest of the chart and
/// preparing the values. The pre-parse is `None` for small charts or without a second CPU.
/// Only for renders without a cluster (`lookup` then resolves differently).
pub fn load_preparsing(
    path: &std::path::Path,
) -> Result<(Chart, Option<PreParse<crate::chart::FileData>>), crate::chart::ChartError> {
    // Resolved as in `render_files_to`: Helm's functions with `dig` answered by the host.
    fn funcs() -> FuncMap {
        let mut funcs = helm_funcs();
        values_type_aware(&mut funcs);
        funcs
    }
    let mut preparse = PreParse::new(funcs, PREPARSE_START_BYTES);
    let mut shown = std::collections::HashSet::<usize, foldhash::fast::RandomState>::default();
    let chart = crate::chart::load_observed(path, &mut |name, data| {
        shown.insert(data.as_ptr() as usize);
        preparse.submit(name.to_string(), data.clone());
    })?;
    // Templates loading did not show (subcharts packed as archives) join now.
    fn rest(
        chart: &Chart,
        shown: &std::collections::HashSet<usize, foldhash::fast::RandomState>,
        preparse: &mut PreParse<crate::chart::FileData>,
    ) {
        for dep in &chart.dependencies {
            rest(dep, shown, preparse);
        }
        for template in &chart.templates {
            if !shown.contains(&(template.data.as_ptr() as usize)) {
                preparse.submit(template.name.clone(), template.data.clone());
            }
        }
    }
    rest(&chart, &shown, &mut preparse);
    Ok((chart, preparse.into_started()))
}

/// Render every template of `chart` (already dependency-processed) with `values` (already
/// coalesced): Helm's `engine.Render`.
pub fn render_files(
    chart: &Chart,
    values: &Value,
    options: &RenderOptions,
) -> Result<RenderedFiles, RenderError> {
    render_files_with(chart, values, options, None)
}

/// [`render_files`] with a live cluster answering `lookup` and `.Capabilities.APIVersions`
/// (`render --cluster`).
pub fn render_files_with(
    chart: &Chart,
    values: &Value,
    options: &RenderOptions,
    cluster: Option<&cluster::ClusterHooks>,
) -> Result<RenderedFiles, RenderError> {
    render_files_to(chart, values, options, cluster, None, None)
}

/// [`render_files_with`], but every rendered file goes to `sorter` as soon as it is
/// rendered (what `helm template` prints is sorted on another thread meanwhile) instead of
/// into [`RenderedFiles::files`]; [`output::BackgroundSorter::finish`] gives them back.
/// `preparse` ([`load_preparsing`], before the chart was prepared) supplies templates
/// parsed ahead of time; it is not used with a cluster.
pub fn render_files_to(
    chart: &Chart,
    values: &Value,
    options: &RenderOptions,
    cluster: Option<&cluster::ClusterHooks>,
    sorter: Option<&output::BackgroundSorter>,
    preparse: Option<PreParse<crate::chart::FileData>>,
) -> Result<RenderedFiles, RenderError> {
    let mut caps = Capabilities::new(options.kube_version.clone(), &options.extra_api_versions);
    if let Some(hooks) = cluster {
        caps.api_versions = hooks.api_versions.clone();
        caps.api_versions
            .extend(options.extra_api_versions.iter().cloned());
    }
    if let Some(constraint) = chart
        .metadata
        .kube_version
        .as_deref()
        .filter(|c| !c.is_empty())
    {
        let version = &caps.kube_version.normalized;
        if !funcs::semver::satisfies(constraint, version).unwrap_or(false) {
            return Err(RenderError::KubeVersion {
                constraint: constraint.to_string(),
                version: caps.kube_version.version.clone(),
            });
        }
    }
    let top = TopLevel {
        values: values.clone(),
        release: options.release.to_value(),
        capabilities: caps.into_value(),
    };
    let mut templates = BTreeMap::new();
    let root_name = chart.name().to_string();
    collect_templates(chart, None, &root_name, &top, &mut templates);

    let order = helm_template_order(templates.keys().cloned());
    let mut funcs = helm_funcs();
    values_type_aware(&mut funcs);
    if let Some(hooks) = cluster {
        funcs.insert_host("lookup", cluster::lookup_func(hooks));
    }
    if options.enable_dns {
        funcs::network::register(&mut funcs);
    }
    let mut set = TemplateSet::new(funcs);
    set.set_missing_key(if options.strict {
        MissingKey::Error
    } else {
        MissingKey::Zero
    });
    // Every template in Helm's order, with its file.
    let files: Vec<(&str, &crate::chart::FileData)> = order
        .iter()
        .filter_map(|name| Some((name.as_str(), templates.get(name)?.source)))
        .collect();
    match preparse {
        // Execution starts once the files that define templates are parsed; the helper
        // parses the others meanwhile, in the order they execute (it checks that they are
        // UTF-8, and those that are not are read as `FileData::text` reads them).
        Some(preparse) if cluster.is_none() => {
            let sources: Vec<(&str, &[u8])> =
                files.iter().map(|(n, f)| (*n, f.as_slice())).collect();
            set.add_all_streaming(&sources, preparse)
        }
        // Dropping an unused pre-parse stops its helper.
        _ => {
            let texts: Vec<(&str, std::borrow::Cow<str>)> =
                files.iter().map(|(n, f)| (*n, f.text())).collect();
            let sources: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (*n, &**t)).collect();
            set.add_all(&sources)
        }
    }
    .map_err(RenderError::from_template_error)?;
    drop(files);

    let notes_name = format!("{root_name}/templates/NOTES.txt");
    let mut rendered = RenderedFiles::default();
    for name in &order {
        let base = name.rsplit('/').next().unwrap_or(name);
        if base.starts_with('_') {
            continue;
        }
        let Some(t) = templates.get(name) else {
            continue;
        };
        let mut template_info = Map::new();
        template_info.insert("Name".into(), Value::str(name));
        template_info.insert("BasePath".into(), Value::str(&t.base_path));
        if let Value::Map(m) = &t.scope {
            m.borrow_mut()
                .insert("Template".into(), Value::map(template_info));
        }
        let out = set
            .execute(name, &t.scope)
            .map_err(RenderError::from_template_error)?;
        let out = if out.contains("<no value>") {
            out.replace("<no value>", "")
        } else {
            out
        };
        if name.ends_with("NOTES.txt") {
            // Only the root chart's notes are shown (without --render-subchart-notes).
            if *name == notes_name {
                rendered.notes = Some(out);
            }
            continue;
        }
        match sorter {
            Some(sorter) => sorter.add(name.clone(), out),
            None => {
                rendered.files.insert(name.clone(), out);
            }
        }
    }
    // Files that never executed (partials) may still fail to parse, which Helm reports
    // before anything else.
    set.complete().map_err(RenderError::from_template_error)?;
    // The parsed templates and the scopes are the largest graphs of a render.
    teardown::release((set, templates, top));
    Ok(rendered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_order_matches_helm() {
        let names = [
            "a/templates/b.yaml",
            "a/templates/a.yaml",
            "a/charts/sub/templates/x.yaml",
            "a/templates/_helpers.tpl",
        ];
        let order = helm_template_order(names.iter().map(|s| s.to_string()));
        assert_eq!(
            order,
            vec![
                "a/charts/sub/templates/x.yaml",
                "a/templates/b.yaml",
                "a/templates/a.yaml",
                "a/templates/_helpers.tpl",
            ]
        );
    }

    #[test]
    fn user_errors_are_extracted() {
        let text = format!("error calling required: {USER_ERROR_START}need x{USER_ERROR_END}");
        assert_eq!(user_error(&text), Some("need x"));
        assert_eq!(user_error("plain"), None);
    }
}
