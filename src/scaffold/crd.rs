//! The CustomResourceDefinitions a scaffolded chart ships: read from `--crd-dir` (or the
//! generated sample), checked, and turned into the facts the templates need — names for
//! RBAC and webhooks, and the CRD's own YAML re-emitted for a Helm template.

use std::path::{Path, PathBuf};

use crate::template::value::{Map, Value};

use super::ScaffoldError;

/// One CRD to ship, with the template text of its parts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CrdInfo {
    /// `plural.group`.
    pub name: String,
    pub group: String,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    /// `scope: Namespaced`.
    pub namespaced: bool,
    /// The version with `storage: true`.
    pub storage_version: String,
    /// The CRD converts between versions through a webhook, which the chart must serve.
    pub conversion_webhook: bool,
    pub conversion_review_versions: Vec<String>,
    /// The CRD's own labels (minus the chart's), as YAML lines indented for `metadata.labels`.
    pub labels: String,
    /// The CRD's own annotations (minus the ones the chart sets), indented likewise.
    pub annotations: String,
    /// `spec` (without `conversion`), as YAML lines indented under `spec:`.
    pub spec: String,
    /// Where it came from, for messages.
    #[serde(skip)]
    pub source: PathBuf,
}

/// Labels the chart's `<name>.labels` template sets on every object; a CRD's own copy would
/// be a duplicate key.
const CHART_LABELS: [&str; 5] = [
    "helm.sh/chart",
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
];

/// Annotations the chart's CRD template sets itself.
const CHART_ANNOTATIONS: [&str; 2] = ["helm.sh/resource-policy", "cert-manager.io/inject-ca-from"];

/// Every CRD in the `.yaml`/`.yml`/`.json` files of `dir` (not recursive), sorted by name.
/// Any other document in those files is an error: the directory is meant to hold CRDs.
pub fn read_crd_dir(dir: &Path) -> Result<Vec<CrdInfo>, ScaffoldError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ScaffoldError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ScaffoldError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let is_yaml = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
        if is_yaml && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut crds: Vec<CrdInfo> = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|source| ScaffoldError::Read {
            path: file.clone(),
            source,
        })?;
        for crd in parse_crds(&text, file)? {
            if let Some(first) = crds.iter().find(|c| c.name == crd.name) {
                return Err(ScaffoldError::BadCrd {
                    file: file.clone(),
                    line: 0,
                    message: format!(
                        "CustomResourceDefinition {} is also defined in {}",
                        crd.name,
                        first.source.display()
                    ),
                });
            }
            crds.push(crd);
        }
    }
    if crds.is_empty() {
        return Err(ScaffoldError::NoCrds {
            dir: dir.to_path_buf(),
        });
    }
    crds.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(crds)
}

/// The CRDs of one YAML stream (`file` names it in errors).
pub fn parse_crds(text: &str, file: &Path) -> Result<Vec<CrdInfo>, ScaffoldError> {
    let docs = crate::yaml::load_all(text, &file.display().to_string()).map_err(|e| {
        ScaffoldError::BadCrd {
            file: file.to_path_buf(),
            line: e.line,
            message: e.message.clone(),
        }
    })?;
    let starts = document_lines(text);
    let mut out = Vec::new();
    for (index, doc) in docs.iter().enumerate() {
        if doc.is_nil() {
            continue;
        }
        let line = starts.get(index).copied().unwrap_or(1);
        let fail = |message: String| ScaffoldError::BadCrd {
            file: file.to_path_buf(),
            line,
            message,
        };
        let kind = string_at(doc, &["kind"]).unwrap_or_default();
        let api = string_at(doc, &["apiVersion"]).unwrap_or_default();
        if kind != "CustomResourceDefinition" {
            let what = if kind.is_empty() {
                "a document without a kind".to_string()
            } else {
                format!("a {kind}")
            };
            return Err(fail(format!(
                "{what}, not a CustomResourceDefinition; --crd-dir must hold only CRDs"
            )));
        }
        if api != "apiextensions.k8s.io/v1" {
            return Err(fail(format!(
                "apiVersion {api:?} is not supported; CustomResourceDefinitions must be apiextensions.k8s.io/v1 (v1beta1 was removed in Kubernetes 1.22)"
            )));
        }
        out.push(crd_info(doc, file, &fail)?);
    }
    Ok(out)
}

fn crd_info(
    doc: &Value,
    file: &Path,
    fail: &dyn Fn(String) -> ScaffoldError,
) -> Result<CrdInfo, ScaffoldError> {
    let need = |path: &[&str]| {
        string_at(doc, path)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| fail(format!("{} is missing", path.join("."))))
    };
    let name = need(&["metadata", "name"])?;
    let group = need(&["spec", "group"])?;
    let kind = need(&["spec", "names", "kind"])?;
    let plural = need(&["spec", "names", "plural"])?;
    let scope = need(&["spec", "scope"])?;
    if name != format!("{plural}.{group}") {
        return Err(fail(format!(
            "metadata.name {name:?} must be spec.names.plural + \".\" + spec.group ({plural}.{group})"
        )));
    }
    super::names::check_group(&group).map_err(|e| fail(e.to_string()))?;
    let singular =
        string_at(doc, &["spec", "names", "singular"]).unwrap_or_else(|| kind.to_ascii_lowercase());
    // These end up in RBAC rules, webhook names and paths: hold them to the API server's rules.
    for (field, value) in [
        ("spec.names.plural", &plural),
        ("spec.names.singular", &singular),
    ] {
        if !is_dns_label(value) {
            return Err(fail(format!(
                "{field} {value:?} must be a lowercase DNS-1123 label"
            )));
        }
    }
    let kind_ok = kind.starts_with(|c: char| c.is_ascii_uppercase())
        && kind.chars().all(|c| c.is_ascii_alphanumeric());
    if !kind_ok {
        return Err(fail(format!(
            "spec.names.kind {kind:?} must be letters and digits starting with an uppercase letter"
        )));
    }
    let namespaced = match scope.as_str() {
        "Namespaced" => true,
        "Cluster" => false,
        other => {
            return Err(fail(format!(
                "spec.scope must be Namespaced or Cluster, not {other:?}"
            )))
        }
    };
    let versions = match doc.get_path(&["spec", "versions"]) {
        Some(Value::List(list)) if !list.is_empty() => list,
        _ => return Err(fail("spec.versions is missing or empty".to_string())),
    };
    let storage: Vec<String> = versions
        .iter()
        .filter(|v| matches!(v.get("storage"), Some(Value::Bool(true))))
        .filter_map(|v| string_at(v, &["name"]))
        .collect();
    let storage_version = match storage.as_slice() {
        [one] => one.clone(),
        [] => return Err(fail("no version has storage: true".to_string())),
        _ => {
            return Err(fail(format!(
                "exactly one version must have storage: true, not {}",
                storage.join(", ")
            )))
        }
    };
    if !is_dns_label(&storage_version) {
        return Err(fail(format!(
            "version name {storage_version:?} must be a lowercase DNS-1123 label"
        )));
    }
    let conversion_webhook =
        string_at(doc, &["spec", "conversion", "strategy"]).as_deref() == Some("Webhook");
    let conversion_review_versions =
        match doc.get_path(&["spec", "conversion", "webhook", "conversionReviewVersions"]) {
            Some(Value::List(list)) => list
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => vec!["v1".to_string()],
        };
    let mut spec = match doc.get("spec") {
        Some(Value::Map(m)) => m.borrow().clone(),
        _ => return Err(fail("spec is not a map".to_string())),
    };
    if conversion_webhook {
        spec.remove("conversion");
    }
    Ok(CrdInfo {
        name,
        group,
        kind,
        plural,
        singular,
        namespaced,
        storage_version,
        conversion_webhook,
        conversion_review_versions,
        labels: metadata_lines(doc, "labels", &CHART_LABELS),
        annotations: metadata_lines(doc, "annotations", &CHART_ANNOTATIONS),
        spec: template_text(&Value::map(spec), 2),
        source: file.to_path_buf(),
    })
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn string_at(doc: &Value, path: &[&str]) -> Option<String> {
    match doc.get_path(path) {
        Some(Value::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

/// The entries of `metadata.<field>` not in `skip`, as YAML lines indented by 4.
fn metadata_lines(doc: &Value, field: &str, skip: &[&str]) -> String {
    let Some(Value::Map(map)) = doc.get_path(&["metadata", field]) else {
        return String::new();
    };
    let mut kept = Map::new();
    for (key, value) in map.borrow().iter() {
        if !skip.contains(&key.as_str()) {
            kept.insert(key.clone(), value.clone());
        }
    }
    if kept.is_empty() {
        return String::new();
    }
    template_text(&Value::map(kept), 4)
}

/// `value` as YAML (Helm's `toYaml` layout), indented by `indent` spaces, without a final
/// newline, and safe inside a Go template: `{{` becomes `{{ "{{" }}`, which renders back
/// to itself.
fn template_text(value: &Value, indent: usize) -> String {
    let yaml = crate::yaml::to_yaml(value);
    let pad = " ".repeat(indent);
    let mut out = String::with_capacity(yaml.len() + yaml.len() / 8);
    for line in yaml.trim_end_matches('\n').split('\n') {
        if !out.is_empty() {
            out.push('\n');
        }
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(&line.replace("{{", "{{ \"{{\" }}"));
        }
    }
    out
}

/// 1-based line where each document of a stream starts (after a `---` line, or line 1).
fn document_lines(text: &str) -> Vec<usize> {
    let mut starts = vec![1];
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---") && i > 0 {
            starts.push(i + 2);
        } else if line.starts_with("---") {
            if let Some(first) = starts.first_mut() {
                *first = 2;
            }
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n  labels:\n    app.kubernetes.io/name: x\n    team: a\nspec:\n  group: example.com\n  scope: Namespaced\n  names:\n    kind: Widget\n    plural: widgets\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          description: \"Uses {{ braces }}\"\n";

    #[test]
    fn reads_the_facts_and_escapes_braces() {
        let crds = parse_crds(CRD, Path::new("crd.yaml")).unwrap();
        let [crd] = crds.as_slice() else {
            panic!("one CRD")
        };
        assert_eq!(crd.name, "widgets.example.com");
        assert_eq!(crd.singular, "widget");
        assert_eq!(crd.storage_version, "v1");
        assert_eq!(crd.labels, "    team: a");
        assert!(crd.spec.contains("{{ \"{{\" }} braces }}"), "{}", crd.spec);
        assert!(
            crd.spec.starts_with("  group: example.com\n"),
            "{}",
            crd.spec
        );
    }

    #[test]
    fn other_documents_are_errors_with_their_line() {
        let text = format!("{CRD}---\napiVersion: v1\nkind: ConfigMap\n");
        let err = parse_crds(&text, Path::new("mixed.yaml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "mixed.yaml:23: a ConfigMap, not a CustomResourceDefinition; --crd-dir must hold only CRDs"
        );
        let bad = CRD.replace("name: widgets.example.com", "name: gadgets.example.com");
        let err = parse_crds(&bad, Path::new("crd.yaml")).unwrap_err();
        assert!(
            err.to_string().contains("must be spec.names.plural"),
            "{err}"
        );
    }
}
