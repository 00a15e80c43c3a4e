//! The CRD model: a CustomResourceDefinition read from YAML into the facts a schema diff
//! needs — names, scope, conversion, versions (served/storage/deprecated, subresources,
//! printer columns) and each version's structural schema as a tree of [`Schema`] nodes.
//!
//! Reading validates what Kubernetes would refuse in `apiextensions.k8s.io/v1`: every
//! version needs a schema, and the schema must be structural (see [`super::structural`]).
//! `apiextensions.k8s.io/v1beta1` CRDs are read too (top-level `validation`,
//! `subresources` and `additionalPrinterColumns` apply to every version there).

use std::collections::BTreeMap;

use super::structural;
use super::CrdError;
use crate::template::Value;

/// The API group of CustomResourceDefinitions.
pub const CRD_GROUP: &str = "apiextensions.k8s.io";
/// The `kind` of a CRD.
pub const CRD_KIND: &str = "CustomResourceDefinition";

/// One CustomResourceDefinition.
#[derive(Debug, Clone, PartialEq)]
pub struct Crd {
    /// `metadata.name` (`<plural>.<group>`): CRDs are paired by it.
    pub name: String,
    /// `apiextensions.k8s.io/v1` or `…/v1beta1`.
    pub api_version: String,
    pub group: String,
    /// `Namespaced` or `Cluster`.
    pub scope: String,
    pub names: CrdNames,
    /// In the order the CRD lists them.
    pub versions: Vec<CrdVersion>,
    pub conversion: Conversion,
    /// `spec.preserveUnknownFields` (v1beta1 defaults it to true; v1 only allows false).
    pub preserve_unknown_fields: bool,
    /// `status.storedVersions` when the CRD came from a cluster (non-empty); versions
    /// objects may still be stored in.
    pub stored_versions: Vec<String>,
    /// Where the CRD was read from (file name, or `chart:templates/x.yaml`).
    pub file: String,
}

impl Crd {
    pub fn version(&self, name: &str) -> Option<&CrdVersion> {
        self.versions.iter().find(|v| v.name == name)
    }

    /// The version with `storage: true` (exactly one in a valid CRD).
    pub fn storage_version(&self) -> Option<&CrdVersion> {
        self.versions.iter().find(|v| v.storage)
    }
}

/// `spec.names`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CrdNames {
    pub kind: String,
    pub plural: String,
    pub singular: Option<String>,
    pub list_kind: Option<String>,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
}

/// `spec.conversion`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversion {
    /// `None` (the default) or `Webhook`.
    pub strategy: String,
    /// Where the webhook is (service namespace/name/path/port or URL) and the review
    /// versions it accepts, as one comparable line; `None` without a webhook. The CA bundle
    /// is left out on purpose: it is injected per cluster and differs between renders.
    pub webhook: Option<String>,
}

/// One entry of `spec.versions`.
#[derive(Debug, Clone, PartialEq)]
pub struct CrdVersion {
    pub name: String,
    pub served: bool,
    pub storage: bool,
    pub deprecated: bool,
    pub schema: Schema,
    pub subresources: Subresources,
    /// `additionalPrinterColumns`, one canonical JSON string per column.
    pub printer_columns: Vec<String>,
}

/// `subresources` of a version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subresources {
    pub status: bool,
    pub scale: Option<Scale>,
}

/// The scale subresource's paths.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scale {
    pub spec_replicas_path: String,
    pub status_replicas_path: String,
    pub label_selector_path: Option<String>,
}

/// `additionalProperties` of a schema node.
#[derive(Debug, Clone, PartialEq)]
pub enum AdditionalProperties {
    /// `true` (any value) or `false` (no extra keys).
    Allowed(bool),
    /// Every extra key's value must match this schema (a map).
    Schema(Box<Schema>),
}

/// One `x-kubernetes-validations` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidationRule {
    /// The CEL expression: what decides which objects are accepted.
    pub rule: String,
    /// Everything else (message, messageExpression, reason, fieldPath, optionalOldSelf) as
    /// one canonical JSON string: it changes what users read, not what is accepted.
    pub details: String,
}

/// A structural schema node (`openAPIV3Schema` and everything below it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    /// `object`, `array`, `string`, `integer`, `number`, `boolean`; `None` only with
    /// int-or-string or preserve-unknown-fields.
    pub type_name: Option<&'static str>,
    /// A fingerprint of the description: descriptions are only compared, never shown.
    pub description: Option<u64>,
    pub format: Option<String>,
    pub pattern: Option<String>,
    /// Enum values as canonical JSON (`"fast"`, `3`), in the order given.
    pub enum_values: Option<Vec<String>>,
    /// The default as canonical JSON.
    pub default: Option<String>,
    pub nullable: bool,
    pub minimum: Option<f64>,
    pub exclusive_minimum: bool,
    pub maximum: Option<f64>,
    pub exclusive_maximum: bool,
    pub multiple_of: Option<f64>,
    pub min_length: Option<f64>,
    pub max_length: Option<f64>,
    pub min_items: Option<f64>,
    pub max_items: Option<f64>,
    pub min_properties: Option<f64>,
    pub max_properties: Option<f64>,
    pub unique_items: bool,
    pub required: Vec<String>,
    /// Sorted by name, so findings come out in a stable order.
    pub properties: BTreeMap<String, Schema>,
    pub items: Option<Box<Schema>>,
    pub additional_properties: Option<AdditionalProperties>,
    pub preserve_unknown_fields: bool,
    pub int_or_string: bool,
    pub embedded_resource: bool,
    pub list_type: Option<String>,
    pub list_map_keys: Vec<String>,
    pub map_type: Option<String>,
    pub validations: Vec<ValidationRule>,
    /// `allOf`/`anyOf`/`oneOf`/`not` as canonical JSON: in a structural schema they only
    /// add value validations, so comparing them as a whole is enough.
    pub combinators: Option<String>,
}

impl Schema {
    /// Whether `name` is listed in `required`.
    pub fn requires(&self, name: &str) -> bool {
        self.required.iter().any(|r| r == name)
    }

    /// Whether the node accepts keys that are not in `properties` (a map, or
    /// `additionalProperties: true`).
    pub fn allows_extra_keys(&self) -> bool {
        matches!(
            self.additional_properties,
            Some(AdditionalProperties::Allowed(true)) | Some(AdditionalProperties::Schema(_))
        )
    }
}

/// Read every CRD in a YAML stream. Documents of other kinds are skipped (a directory of
/// manifests, a rendered chart); `kind: List` documents are looked into. `file` names the
/// stream in errors and in [`Crd::file`].
pub fn parse_crds(src: &str, file: &str) -> Result<Vec<Crd>, CrdError> {
    let docs = crate::yaml::load_all(src, file)?;
    let mut out = Vec::new();
    for doc in &docs {
        collect_crds(doc, file, &mut out)?;
    }
    Ok(out)
}

/// Whether a parsed document is a CustomResourceDefinition.
pub fn is_crd(doc: &Value) -> bool {
    let kind = doc.get("kind");
    let api_version = doc.get("apiVersion");
    kind.as_ref().and_then(Value::as_str) == Some(CRD_KIND)
        && api_version
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|a| a.starts_with("apiextensions.k8s.io/"))
}

/// Add the CRDs in `doc` (a CRD or a `List` of objects) to `out`.
pub fn collect_crds(doc: &Value, file: &str, out: &mut Vec<Crd>) -> Result<(), CrdError> {
    if is_crd(doc) {
        out.push(parse_crd(doc, file)?);
    } else if doc.get("kind").as_ref().and_then(Value::as_str) == Some("List") {
        if let Some(Value::List(items)) = doc.get("items") {
            for item in items.iter() {
                collect_crds(item, file, out)?;
            }
        }
    }
    Ok(())
}

/// Read one CRD document.
pub fn parse_crd(doc: &Value, file: &str) -> Result<Crd, CrdError> {
    let api_version = str_at(doc, "apiVersion").unwrap_or_default();
    let name = doc
        .get("metadata")
        .and_then(|m| str_at(&m, "name"))
        .unwrap_or_default();
    let invalid = |message: &str| CrdError::Invalid {
        file: file.to_string(),
        crd: if name.is_empty() {
            "<unnamed>".to_string()
        } else {
            name.clone()
        },
        message: message.to_string(),
    };
    if name.is_empty() {
        return Err(invalid("metadata.name is missing"));
    }
    let spec = doc
        .get("spec")
        .filter(|s| matches!(s, Value::Map(_)))
        .ok_or_else(|| invalid("spec is missing"))?;
    let group = str_at(&spec, "group").ok_or_else(|| invalid("spec.group is missing"))?;
    let names_v = spec
        .get("names")
        .ok_or_else(|| invalid("spec.names is missing"))?;
    let names = CrdNames {
        kind: str_at(&names_v, "kind").ok_or_else(|| invalid("spec.names.kind is missing"))?,
        plural: str_at(&names_v, "plural")
            .ok_or_else(|| invalid("spec.names.plural is missing"))?,
        singular: str_at(&names_v, "singular").filter(|s| !s.is_empty()),
        list_kind: str_at(&names_v, "listKind").filter(|s| !s.is_empty()),
        short_names: strings_at(&names_v, "shortNames"),
        categories: strings_at(&names_v, "categories"),
    };
    let scope = str_at(&spec, "scope").unwrap_or_else(|| "Namespaced".to_string());
    let beta = api_version.ends_with("/v1beta1");
    let preserve_unknown_fields = match spec.get("preserveUnknownFields") {
        Some(Value::Bool(b)) => b,
        // v1beta1 keeps unknown fields unless told otherwise; v1 always prunes.
        _ => beta,
    };
    let conversion = parse_conversion(spec.get("conversion").as_ref());

    // v1beta1: a schema, subresources and printer columns may be given once for all versions.
    let shared_schema = spec
        .get("validation")
        .and_then(|v| v.get("openAPIV3Schema"));
    let shared_subresources = spec.get("subresources");
    let shared_columns = spec.get("additionalPrinterColumns");

    let mut raw_versions: Vec<Value> = match spec.get("versions") {
        Some(Value::List(l)) => l.iter().cloned().collect(),
        _ => Vec::new(),
    };
    if raw_versions.is_empty() {
        if let Some(v) = str_at(&spec, "version") {
            let mut m = crate::template::value::Map::new();
            m.insert("name".into(), Value::string(v));
            m.insert("served".into(), Value::Bool(true));
            m.insert("storage".into(), Value::Bool(true));
            raw_versions.push(Value::map(m));
        }
    }
    if raw_versions.is_empty() {
        return Err(invalid("spec.versions is empty"));
    }

    let mut versions = Vec::with_capacity(raw_versions.len());
    for rv in &raw_versions {
        let vname = str_at(rv, "name").ok_or_else(|| invalid("a version has no name"))?;
        if versions.iter().any(|v: &CrdVersion| v.name == vname) {
            return Err(invalid(&format!("version {vname} is listed twice")));
        }
        let raw_schema = rv
            .get("schema")
            .and_then(|s| s.get("openAPIV3Schema"))
            .or_else(|| shared_schema.clone())
            .filter(|s| !s.is_nil());
        let Some(raw_schema) = raw_schema else {
            return Err(CrdError::MissingSchema {
                file: file.to_string(),
                crd: name.clone(),
                version: vname,
            });
        };
        let schema =
            structural::parse_schema(&raw_schema).map_err(|e| CrdError::NonStructural {
                file: file.to_string(),
                crd: name.clone(),
                version: vname.clone(),
                path: if e.path.is_empty() {
                    "<root>".to_string()
                } else {
                    e.path
                },
                reason: e.reason,
            })?;
        let subresources = rv
            .get("subresources")
            .or_else(|| shared_subresources.clone())
            .map(|s| parse_subresources(&s))
            .unwrap_or_default();
        let printer_columns = match rv
            .get("additionalPrinterColumns")
            .or_else(|| shared_columns.clone())
        {
            Some(Value::List(cols)) => cols.iter().map(canonical_json).collect(),
            _ => Vec::new(),
        };
        versions.push(CrdVersion {
            name: vname,
            served: bool_at(rv, "served"),
            storage: bool_at(rv, "storage"),
            deprecated: bool_at(rv, "deprecated"),
            schema,
            subresources,
            printer_columns,
        });
    }
    let storage_count = versions.iter().filter(|v| v.storage).count();
    if storage_count != 1 {
        return Err(invalid(&format!(
            "exactly one version must have storage: true, found {storage_count}"
        )));
    }
    let stored_versions = doc
        .get("status")
        .map(|s| strings_at(&s, "storedVersions"))
        .unwrap_or_default();

    Ok(Crd {
        name,
        api_version,
        group,
        scope,
        names,
        versions,
        conversion,
        preserve_unknown_fields,
        stored_versions,
        file: file.to_string(),
    })
}

fn parse_conversion(v: Option<&Value>) -> Conversion {
    let Some(v) = v else {
        return Conversion {
            strategy: "None".to_string(),
            webhook: None,
        };
    };
    let strategy = str_at(v, "strategy").unwrap_or_else(|| "None".to_string());
    let webhook = if strategy == "Webhook" {
        // v1 nests the client config under `webhook`; v1beta1 has it at the top level.
        let (client, review) = match v.get("webhook") {
            Some(w) => (w.get("clientConfig"), w.get("conversionReviewVersions")),
            None => (
                v.get("webhookClientConfig"),
                v.get("conversionReviewVersions"),
            ),
        };
        let mut parts = Vec::new();
        if let Some(c) = client {
            if let Some(url) = str_at(&c, "url") {
                parts.push(format!("url {url}"));
            }
            if let Some(svc) = c.get("service") {
                let ns = str_at(&svc, "namespace").unwrap_or_default();
                let n = str_at(&svc, "name").unwrap_or_default();
                let path = str_at(&svc, "path").unwrap_or_else(|| "/".to_string());
                let port = svc.get("port").map(|p| p.to_string());
                parts.push(format!(
                    "service {ns}/{n}:{}{path}",
                    port.unwrap_or_else(|| "443".to_string())
                ));
            }
        }
        if let Some(r) = review {
            parts.push(format!("reviews {}", canonical_json(&r)));
        }
        Some(parts.join(", "))
    } else {
        None
    };
    Conversion { strategy, webhook }
}

fn parse_subresources(v: &Value) -> Subresources {
    let status = v.get("status").is_some();
    let scale = v.get("scale").map(|s| Scale {
        spec_replicas_path: str_at(&s, "specReplicasPath").unwrap_or_default(),
        status_replicas_path: str_at(&s, "statusReplicasPath").unwrap_or_default(),
        label_selector_path: str_at(&s, "labelSelectorPath"),
    });
    Subresources { status, scale }
}

/// A value as compact JSON with sorted keys, for comparing and printing values
/// (`default`, `enum`); falls back to Go's `%v` for the values JSON cannot hold.
pub fn canonical_json(v: &Value) -> String {
    crate::yaml::to_json(v).unwrap_or_else(|_| v.to_string())
}

pub(crate) fn str_at(v: &Value, key: &str) -> Option<String> {
    match v.get(key) {
        Some(Value::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

pub(crate) fn bool_at(v: &Value, key: &str) -> bool {
    matches!(v.get(key), Some(Value::Bool(true)))
}

pub(crate) fn strings_at(v: &Value, key: &str) -> Vec<String> {
    match v.get(key) {
        Some(Value::List(l)) => l
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig:
        caBundle: Zm9v
        service: {namespace: ops, name: hook, path: /convert}
  versions:
  - name: v1alpha1
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object}
  - name: v1
    served: true
    storage: true
    subresources: {status: {}, scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}}
    schema:
      openAPIV3Schema:
        type: object
        required: [spec]
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1, maximum: 10, exclusiveMaximum: true, default: 3}
              mode: {type: string, enum: [a, b]}
              labels: {type: object, additionalProperties: {type: string}}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  properties:
                    name: {type: string}
                    port:
                      x-kubernetes-int-or-string: true
                      anyOf: [{type: integer}, {type: string}]
            x-kubernetes-validations:
            - rule: self.size > 0
              message: size must be positive
status:
  storedVersions: [v1alpha1, v1]
"#;

    #[test]
    fn reads_names_versions_and_schema() {
        let crds = parse_crds(CRD, "w.yaml").unwrap();
        assert_eq!(crds.len(), 1);
        let crd = &crds[0];
        assert_eq!(crd.name, "widgets.example.com");
        assert_eq!(crd.names.kind, "Widget");
        assert_eq!(crd.names.short_names, vec!["wd"]);
        assert_eq!(crd.scope, "Namespaced");
        assert!(!crd.preserve_unknown_fields);
        assert_eq!(crd.stored_versions, vec!["v1alpha1", "v1"]);
        assert_eq!(crd.conversion.strategy, "Webhook");
        assert_eq!(
            crd.conversion.webhook.as_deref(),
            Some("service ops/hook:443/convert, reviews [\"v1\"]")
        );
        assert_eq!(crd.storage_version().map(|v| v.name.as_str()), Some("v1"));
        let v1 = crd.version("v1").unwrap();
        assert!(v1.served && v1.subresources.status);
        assert_eq!(
            v1.subresources.scale.as_ref().unwrap().spec_replicas_path,
            ".spec.replicas"
        );
        let spec = &v1.schema.properties["spec"];
        assert!(v1.schema.requires("spec"));
        let size = &spec.properties["size"];
        assert_eq!(size.type_name, Some("integer"));
        assert_eq!(size.minimum, Some(1.0));
        assert_eq!(size.maximum, Some(10.0));
        assert!(size.exclusive_maximum && !size.exclusive_minimum);
        assert_eq!(size.default.as_deref(), Some("3"));
        assert_eq!(
            spec.properties["mode"].enum_values,
            Some(vec!["\"a\"".to_string(), "\"b\"".to_string()])
        );
        assert!(spec.properties["labels"].allows_extra_keys());
        let ports = &spec.properties["ports"];
        assert_eq!(ports.list_type.as_deref(), Some("map"));
        assert_eq!(ports.list_map_keys, vec!["name"]);
        let port = &ports.items.as_ref().unwrap().properties["port"];
        assert!(port.int_or_string && port.type_name.is_none());
        assert!(port.combinators.is_none());
        assert_eq!(spec.validations.len(), 1);
        assert_eq!(spec.validations[0].rule, "self.size > 0");
    }

    #[test]
    fn v1beta1_shares_schema_across_versions() {
        let src = r#"
apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata: {name: things.example.com}
spec:
  group: example.com
  names: {kind: Thing, plural: things}
  version: v1beta1
  validation:
    openAPIV3Schema:
      type: object
      properties:
        spec: {type: object, properties: {a: {type: string}}}
"#;
        let crd = &parse_crds(src, "t.yaml").unwrap()[0];
        assert!(crd.preserve_unknown_fields);
        assert_eq!(crd.versions.len(), 1);
        assert!(crd.versions[0].storage && crd.versions[0].served);
        assert!(crd.versions[0].schema.properties["spec"].properties["a"]
            .type_name
            .is_some());
    }

    #[test]
    fn other_kinds_are_skipped_and_lists_opened() {
        let src = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\n---\napiVersion: v1\nkind: List\nitems:\n{}",
            CRD.trim_start()
                .lines()
                .enumerate()
                .map(|(i, l)| if i == 0 { format!("- {l}\n") } else { format!("  {l}\n") })
                .collect::<String>()
        );
        let crds = parse_crds(&src, "list.yaml").unwrap();
        assert_eq!(crds.len(), 1);
        assert_eq!(crds[0].name, "widgets.example.com");
    }

    #[test]
    fn a_version_without_schema_is_an_error() {
        let src = CRD.replace("    schema:\n      openAPIV3Schema: {type: object}\n", "");
        let err = parse_crds(&src, "w.yaml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "w.yaml: CustomResourceDefinition widgets.example.com version v1alpha1 has no schema (spec.versions[].schema.openAPIV3Schema); a diff needs one for every version"
        );
    }

    #[test]
    fn missing_names_and_two_storage_versions_are_errors() {
        let src = CRD.replace(
            "  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}\n",
            "",
        );
        assert_eq!(
            parse_crds(&src, "w.yaml").unwrap_err().to_string(),
            "w.yaml: CustomResourceDefinition widgets.example.com: spec.names is missing"
        );
        let src = CRD.replace("storage: false", "storage: true");
        assert_eq!(
            parse_crds(&src, "w.yaml").unwrap_err().to_string(),
            "w.yaml: CustomResourceDefinition widgets.example.com: exactly one version must have storage: true, found 2"
        );
    }
}
