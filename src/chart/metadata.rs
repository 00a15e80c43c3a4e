//! Chart.yaml, typed: [`Metadata`], [`Maintainer`], [`Dependency`].
//!
//! Helm reads Chart.yaml with sigs.k8s.io/yaml into a Go struct with JSON tags, which has
//! consequences we copy: keys match field names case-insensitively, unknown keys are ignored,
//! scalars destined for string fields are turned into strings (`appVersion: 1.10` becomes
//! `"1.1"`, because floats are formatted with `%g` at 32-bit precision; `yes` becomes
//! `"true"`), `null` leaves a field empty, and other type mismatches are errors.
//! [`Metadata::to_value`] is what templates see as `.Chart` (Helm 4 converts the struct to a
//! map keyed by Go field names).

use std::collections::BTreeMap;

use crate::template::value::{Map, Value};

use super::semver;

/// A chart maintainer (`maintainers:` entries).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
    pub url: String,
}

/// A Chart.yaml (or requirements.yaml) `dependencies:` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    pub name: String,
    pub version: String,
    pub repository: String,
    pub condition: String,
    pub tags: Vec<String>,
    /// Set by dependency processing (conditions and tags).
    pub enabled: bool,
    /// Raw `import-values` entries: strings or `{child, parent}` maps. After processing they
    /// are all `{child, parent}` maps of strings, as Helm leaves them.
    pub import_values: Vec<Value>,
    pub alias: String,
}

/// Every Chart.yaml field Helm knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub name: String,
    pub home: String,
    pub sources: Vec<String>,
    pub version: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub maintainers: Vec<Maintainer>,
    pub icon: String,
    pub api_version: String,
    pub condition: String,
    pub tags: String,
    pub app_version: String,
    pub deprecated: bool,
    pub annotations: BTreeMap<String, String>,
    /// `kubeVersion:` constraint; `None` when Chart.yaml has none.
    pub kube_version: Option<String>,
    /// `None` when Chart.yaml has no `dependencies:` list at all (Go's nil slice), which Helm
    /// treats differently from an empty list: subcharts of a chart without one are not
    /// processed for conditions.
    pub dependencies: Option<Vec<Dependency>>,
    /// `type:` — `application`, `library` or empty.
    pub chart_type: String,
}

/// A Chart.yaml field has the wrong type.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError(pub String);

/// JSON kind names as Go's encoding/json reports them.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Nil => "null",
        Value::Bool(_) => "bool",
        Value::Int(_, _) | Value::Float(_) => "number",
        Value::String(_) | Value::Bytes(_) => "string",
        Value::List(_) => "array",
        Value::Map(_) | Value::Object(_) => "object",
    }
}

fn mismatch(field: &str, v: &Value, want: &str) -> FieldError {
    FieldError(format!(
        "field {field}: cannot use a YAML {} as {want}",
        json_kind(v)
    ))
}

/// `strconv.FormatFloat(f, 'g', -1, 32)`, which sigs.k8s.io/yaml uses for floats going into
/// string fields.
fn format_float32_g(f: f64) -> String {
    let x = f as f32;
    if x == 0.0 {
        return "0".to_string();
    }
    if !x.is_finite() {
        return crate::template::value::format_float_g(f64::from(x));
    }
    // Shortest digits that round-trip at 32-bit precision, laid out like Go's %g.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let dp = exp + 1;
    crate::template::value::layout_g(&digits, dp, x < 0.0)
}

/// A scalar going into a Go `string` field, converted as sigs.k8s.io/yaml does.
/// `Ok(None)` for null (the field keeps its zero value).
fn to_go_string(field: &str, v: &Value) -> Result<Option<String>, FieldError> {
    match v {
        Value::Nil => Ok(None),
        Value::String(s) => Ok(Some(s.to_string())),
        Value::Bytes(b) => Ok(Some(String::from_utf8_lossy(b).into_owned())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Int(i, _) => Ok(Some(i.to_string())),
        Value::Float(f) => {
            // YAML integers reach us as floats; the YAML parser handed Go an int for those,
            // which is printed in full.
            if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
                Ok(Some(format!("{}", *f as i64)))
            } else {
                Ok(Some(format_float32_g(*f)))
            }
        }
        other => Err(mismatch(field, other, "a string")),
    }
}

fn to_go_bool(field: &str, v: &Value) -> Result<bool, FieldError> {
    match v {
        Value::Nil => Ok(false),
        Value::Bool(b) => Ok(*b),
        other => Err(mismatch(field, other, "a boolean")),
    }
}

fn to_string_list(field: &str, v: &Value) -> Result<Vec<String>, FieldError> {
    match v {
        Value::Nil => Ok(Vec::new()),
        Value::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                out.push(to_go_string(field, item)?.unwrap_or_default());
            }
            Ok(out)
        }
        other => Err(mismatch(field, other, "a list of strings")),
    }
}

fn to_string_map(field: &str, v: &Value) -> Result<BTreeMap<String, String>, FieldError> {
    match v {
        Value::Nil => Ok(BTreeMap::new()),
        Value::Map(m) => {
            let mut out = BTreeMap::new();
            for (k, item) in m.borrow().iter() {
                out.insert(k.clone(), to_go_string(field, item)?.unwrap_or_default());
            }
            Ok(out)
        }
        other => Err(mismatch(field, other, "a map of strings")),
    }
}

/// Entries of a YAML map, matched to Go field names the way encoding/json does: exact key
/// first, otherwise case-insensitively.
fn fields(v: &Value, what: &str) -> Result<Vec<(String, Value)>, FieldError> {
    match v {
        Value::Nil => Ok(Vec::new()),
        Value::Map(m) => {
            let map = m.borrow();
            Ok(map
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect())
        }
        other => Err(FieldError(format!(
            "{what} must be a map, got a YAML {}",
            json_kind(other)
        ))),
    }
}

fn to_maintainers(v: &Value) -> Result<Vec<Maintainer>, FieldError> {
    let items = match v {
        Value::Nil => return Ok(Vec::new()),
        Value::List(items) => items,
        other => return Err(mismatch("maintainers", other, "a list")),
    };
    let mut out = Vec::new();
    for item in items.iter() {
        if item.is_nil() {
            return Err(FieldError(
                "validation: maintainers must not contain empty or null nodes".to_string(),
            ));
        }
        let mut m = Maintainer::default();
        for (key, val) in fields(item, "a maintainer")? {
            match key.as_str() {
                "name" => set_string(&mut m.name, "maintainers.name", &val)?,
                "email" => set_string(&mut m.email, "maintainers.email", &val)?,
                "url" => set_string(&mut m.url, "maintainers.url", &val)?,
                _ => {}
            }
        }
        out.push(m);
    }
    Ok(out)
}

fn set_string(slot: &mut String, field: &str, v: &Value) -> Result<(), FieldError> {
    if let Some(s) = to_go_string(field, v)? {
        *slot = s;
    }
    Ok(())
}

fn to_dependencies(v: &Value) -> Result<Option<Vec<Dependency>>, FieldError> {
    let items = match v {
        Value::Nil => return Ok(None),
        Value::List(items) => items,
        other => return Err(mismatch("dependencies", other, "a list")),
    };
    let mut out = Vec::new();
    for item in items.iter() {
        if item.is_nil() {
            return Err(FieldError(
                "validation: dependencies must not contain empty or null nodes".to_string(),
            ));
        }
        let mut d = Dependency::default();
        for (key, val) in fields(item, "a dependency")? {
            match key.as_str() {
                "name" => set_string(&mut d.name, "dependencies.name", &val)?,
                "version" => set_string(&mut d.version, "dependencies.version", &val)?,
                "repository" => set_string(&mut d.repository, "dependencies.repository", &val)?,
                "condition" => set_string(&mut d.condition, "dependencies.condition", &val)?,
                "tags" => d.tags = to_string_list("dependencies.tags", &val)?,
                "enabled" => d.enabled = to_go_bool("dependencies.enabled", &val)?,
                "import-values" => {
                    d.import_values = match &val {
                        Value::Nil => Vec::new(),
                        Value::List(l) => l.as_ref().clone(),
                        other => {
                            return Err(mismatch("dependencies.import-values", other, "a list"))
                        }
                    }
                }
                "alias" => set_string(&mut d.alias, "dependencies.alias", &val)?,
                _ => {}
            }
        }
        out.push(d);
    }
    Ok(Some(out))
}

impl Metadata {
    /// Overlay the fields present in a parsed Chart.yaml (or requirements.yaml) document onto
    /// `self`, as Go's JSON unmarshalling into an existing struct does.
    pub fn apply_yaml(&mut self, doc: &Value) -> Result<(), FieldError> {
        for (key, val) in fields(doc, "Chart.yaml")? {
            match key.as_str() {
                "name" => set_string(&mut self.name, "name", &val)?,
                "home" => set_string(&mut self.home, "home", &val)?,
                "sources" => self.sources = to_string_list("sources", &val)?,
                "version" => set_string(&mut self.version, "version", &val)?,
                "description" => set_string(&mut self.description, "description", &val)?,
                "keywords" => self.keywords = to_string_list("keywords", &val)?,
                "maintainers" => self.maintainers = to_maintainers(&val)?,
                "icon" => set_string(&mut self.icon, "icon", &val)?,
                "apiversion" => set_string(&mut self.api_version, "apiVersion", &val)?,
                "condition" => set_string(&mut self.condition, "condition", &val)?,
                "tags" => set_string(&mut self.tags, "tags", &val)?,
                "appversion" => set_string(&mut self.app_version, "appVersion", &val)?,
                "deprecated" => self.deprecated = to_go_bool("deprecated", &val)?,
                "annotations" => self.annotations = to_string_map("annotations", &val)?,
                "kubeversion" => {
                    if let Some(v) = to_go_string("kubeVersion", &val)? {
                        self.kube_version = Some(v);
                    }
                }
                "dependencies" => self.dependencies = to_dependencies(&val)?,
                "type" => set_string(&mut self.chart_type, "type", &val)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Helm's `Metadata.Validate`: sanitize strings, then check required fields, the version,
    /// the type and dependency aliases. The message is Helm's (without its `validation: `).
    pub fn validate(&mut self) -> Result<(), String> {
        for s in [
            &mut self.name,
            &mut self.description,
            &mut self.home,
            &mut self.icon,
            &mut self.condition,
            &mut self.tags,
            &mut self.app_version,
        ] {
            *s = sanitize(s);
        }
        if let Some(k) = self.kube_version.as_mut() {
            *k = sanitize(k);
        }
        for s in self.sources.iter_mut().chain(self.keywords.iter_mut()) {
            *s = sanitize(s);
        }
        if self.api_version.is_empty() {
            return Err("chart.metadata.apiVersion is required".to_string());
        }
        if self.name.is_empty() {
            return Err("chart.metadata.name is required".to_string());
        }
        if self.name == "." || self.name == ".." {
            return Err(format!(
                "chart.metadata.name {:?} is not allowed",
                self.name
            ));
        }
        if self.name.contains('/') {
            return Err(format!("chart.metadata.name {:?} is invalid", self.name));
        }
        if self.version.is_empty() {
            return Err("chart.metadata.version is required".to_string());
        }
        if !semver::is_valid_version(&self.version) {
            return Err(format!(
                "chart.metadata.version {:?} is invalid",
                self.version
            ));
        }
        if !matches!(self.chart_type.as_str(), "" | "application" | "library") {
            return Err("chart.metadata.type must be application or library".to_string());
        }
        for m in &mut self.maintainers {
            m.name = sanitize(&m.name);
            m.email = sanitize(&m.email);
            m.url = sanitize(&m.url);
        }
        let mut seen = std::collections::HashSet::new();
        for d in self.dependencies.iter_mut().flatten() {
            d.name = sanitize(&d.name);
            d.version = sanitize(&d.version);
            d.repository = sanitize(&d.repository);
            d.condition = sanitize(&d.condition);
            for t in &mut d.tags {
                *t = sanitize(t);
            }
            if !d.alias.is_empty()
                && !d
                    .alias
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!(
                    "dependency {:?} has disallowed characters in the alias",
                    d.name
                ));
            }
            let key = if d.alias.is_empty() {
                &d.name
            } else {
                &d.alias
            };
            if !seen.insert(key.clone()) {
                return Err(format!(
                    "more than one dependency with name or alias {key:?}"
                ));
            }
        }
        Ok(())
    }

    /// `.Chart` as templates see it in Helm 4: a map keyed by Go field names. Lists are never
    /// nil (Helm's struct-to-map conversion makes empty slices), nested structs are maps too.
    pub fn to_value(&self) -> Value {
        let s = |x: &str| Value::str(x);
        let strings = |xs: &[String]| Value::list(xs.iter().map(|x| Value::str(x)).collect());
        let mut m = Map::new();
        m.insert("Name".into(), s(&self.name));
        m.insert("Home".into(), s(&self.home));
        m.insert("Sources".into(), strings(&self.sources));
        m.insert("Version".into(), s(&self.version));
        m.insert("Description".into(), s(&self.description));
        m.insert("Keywords".into(), strings(&self.keywords));
        let maintainers = self
            .maintainers
            .iter()
            .map(|mt| {
                let mut mm = Map::new();
                mm.insert("Name".into(), s(&mt.name));
                mm.insert("Email".into(), s(&mt.email));
                mm.insert("URL".into(), s(&mt.url));
                Value::map(mm)
            })
            .collect();
        m.insert("Maintainers".into(), Value::list(maintainers));
        m.insert("Icon".into(), s(&self.icon));
        m.insert("APIVersion".into(), s(&self.api_version));
        m.insert("Condition".into(), s(&self.condition));
        m.insert("Tags".into(), s(&self.tags));
        m.insert("AppVersion".into(), s(&self.app_version));
        m.insert("Deprecated".into(), Value::Bool(self.deprecated));
        let annotations: Map = self
            .annotations
            .iter()
            .map(|(k, v)| (k.clone(), Value::str(v)))
            .collect();
        m.insert("Annotations".into(), Value::map(annotations));
        m.insert(
            "KubeVersion".into(),
            s(self.kube_version.as_deref().unwrap_or("")),
        );
        let deps = self
            .dependencies
            .iter()
            .flatten()
            .map(|d| {
                let mut dm = Map::new();
                dm.insert("Name".into(), s(&d.name));
                dm.insert("Version".into(), s(&d.version));
                dm.insert("Repository".into(), s(&d.repository));
                dm.insert("Condition".into(), s(&d.condition));
                dm.insert("Tags".into(), strings(&d.tags));
                dm.insert("Enabled".into(), Value::Bool(d.enabled));
                dm.insert("ImportValues".into(), Value::list(d.import_values.clone()));
                dm.insert("Alias".into(), s(&d.alias));
                Value::map(dm)
            })
            .collect();
        m.insert("Dependencies".into(), Value::list(deps));
        m.insert("Type".into(), s(&self.chart_type));
        Value::map(m)
    }
}

/// Helm's `sanitizeString`: whitespace becomes a plain space, non-printable characters go.
fn sanitize(s: &str) -> String {
    if s.chars()
        .all(|c| c == ' ' || (!c.is_whitespace() && is_print(c)))
    {
        return s.to_string();
    }
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if is_print(c) {
                Some(c)
            } else {
                None
            }
        })
        .collect()
}

/// Approximates Go's `unicode.IsPrint`: no control or format characters.
fn is_print(c: char) -> bool {
    !c.is_control()
        && !matches!(c, '\u{00ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::map(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn scalars_become_strings_like_sigs_yaml() {
        let doc = map(&[
            ("name", Value::str("x")),
            ("version", Value::Float(1.0)),
            ("appVersion", Value::Float(1.10)),
            ("kubeVersion", Value::Bool(true)),
            ("Description", Value::Float(20240101.0)),
        ]);
        let mut md = Metadata::default();
        md.apply_yaml(&doc).unwrap();
        assert_eq!(md.version, "1");
        assert_eq!(md.app_version, "1.1");
        assert_eq!(md.kube_version.as_deref(), Some("true"));
        assert_eq!(md.description, "20240101");
        assert_eq!(format_float32_g(0.1), "0.1");
        assert_eq!(format_float32_g(1.234_567_8e7), "1.2345678e+07");
    }

    #[test]
    fn wrong_types_are_errors() {
        let mut md = Metadata::default();
        let err = md
            .apply_yaml(&map(&[("keywords", Value::str("x"))]))
            .unwrap_err();
        assert!(err.0.contains("keywords"), "{}", err.0);
        assert!(md.apply_yaml(&Value::str("x")).is_err());
    }

    #[test]
    fn validation_messages_match_helm() {
        let mut md = Metadata {
            api_version: "v2".into(),
            ..Metadata::default()
        };
        assert_eq!(
            md.validate().unwrap_err(),
            "chart.metadata.name is required"
        );
        md.name = "x".into();
        assert_eq!(
            md.validate().unwrap_err(),
            "chart.metadata.version is required"
        );
        md.version = "one".into();
        assert_eq!(
            md.validate().unwrap_err(),
            "chart.metadata.version \"one\" is invalid"
        );
        md.version = "1.0.0".into();
        md.chart_type = "app".into();
        assert_eq!(
            md.validate().unwrap_err(),
            "chart.metadata.type must be application or library"
        );
        md.chart_type = "library".into();
        md.description = "a\tb\u{7}".into();
        md.validate().unwrap();
        assert_eq!(md.description, "a b");
    }

    #[test]
    fn to_value_uses_go_field_names() {
        let md = Metadata {
            name: "x".into(),
            version: "1.0.0".into(),
            dependencies: Some(vec![Dependency {
                name: "sub".into(),
                enabled: true,
                ..Dependency::default()
            }]),
            ..Metadata::default()
        };
        let v = md.to_value();
        assert_eq!(v.get("Name"), Some(Value::str("x")));
        assert_eq!(v.get("Sources"), Some(Value::list(vec![])));
        let deps = v.get("Dependencies").unwrap();
        assert_eq!(
            deps.to_string(),
            "[map[Alias: Condition: Enabled:true ImportValues:[] Name:sub Repository: Tags:[] Version:]]"
        );
    }
}
