//! What a CRD upgrade means for the objects already stored in a cluster.
//!
//! - Stored versions: a version that the live CRD's `status.storedVersions` lists may still
//!   hold objects in etcd. Removing it (the API server refuses the update) or no longer
//!   serving it is an error whose help text gives the exact migration to run first:
//!   rewrite every object in the storage version, then drop the version from
//!   `status.storedVersions`.
//! - Stored objects: every custom resource in the cluster is validated against the NEW
//!   schema of the version it is read in (the schema engine of [`crate::schema`], CEL
//!   included). An object the new schema rejects keeps working until its next write — the
//!   controller's next status update or a user's `kubectl apply` — which then fails. Each
//!   such object is one `crd-instance-rejected` finding with namespace/name and field.
//!
//! Both are pure functions over the CRD model and JSON objects read by the caller.

use serde_json::Value as Json;

use crate::crd::model::{Crd, CRD_KIND};
use crate::report::{Diagnostic, ObjectRef, Severity};
use crate::schema::{MissingSchemas, SchemaValidator, ValidateOptions};

/// Rule id of a stored custom resource the new schema rejects.
pub const RULE_INSTANCE_REJECTED: &str = "crd-instance-rejected";
/// Rule id of a version still listed in `status.storedVersions` that the new CRD removes
/// or stops serving (the crd diff engine reports removals under the same id).
pub const RULE_STORED_VERSION: &str = "crd-stored-version-removed";

/// The commands that migrate stored objects of `crd` off `stale` versions, for a cluster
/// reached with `kube_context` (omitted when `None`).
pub fn migration_commands(live: &Crd, stale: &[String], kube_context: Option<&str>) -> String {
    let ctx = kube_context
        .map(|c| format!(" --context {}", shell_word(c)))
        .unwrap_or_default();
    let storage = live
        .storage_version()
        .map(|v| v.name.clone())
        .unwrap_or_default();
    let keep: Vec<String> = live
        .stored_versions
        .iter()
        .filter(|v| !stale.contains(v))
        .cloned()
        .chain(std::iter::once(storage.clone()))
        .fold(Vec::new(), |mut acc, v| {
            if !acc.contains(&v) && !v.is_empty() {
                acc.push(v);
            }
            acc
        });
    let all_ns = if live.scope == "Cluster" {
        ""
    } else {
        " --all-namespaces"
    };
    let mut out = String::new();
    if stale.contains(&storage) {
        out.push_str(&format!(
            "{storage} is still the storage version in the cluster: first upgrade to a CRD that keeps \
             {storage} but stores another served version, then migrate.\n"
        ));
    }
    out.push_str(&format!(
        "Migrate the stored objects before upgrading:\n\
         # 1. rewrite every {kind} so it is stored as {storage}\n\
         kubectl{ctx} get {name}{all_ns} -o json | kubectl{ctx} replace -f -\n\
         # 2. drop {stale} from status.storedVersions\n\
         kubectl{ctx} patch customresourcedefinition {name} --subresource=status --type=merge \
         -p '{{\"status\":{{\"storedVersions\":{keep}}}}}'\n\
         (or create a StorageVersionMigration for {plural}.{group} with the \
         kube-storage-version-migrator, then step 2)",
        kind = live.names.kind,
        name = live.name,
        stale = stale.join(", "),
        keep = serde_json::to_string(&keep).unwrap_or_default(),
        plural = live.names.plural,
        group = live.group,
    ));
    out
}

/// Quote a word for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@=".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Versions the live CRD lists as stored that `new` removes or no longer serves, each as
/// an error with the migration. `live` and `new` are paired by name.
pub fn stored_version_findings(
    live: &[Crd],
    new: &[Crd],
    kube_context: Option<&str>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for l in live {
        let Some(n) = new.iter().find(|n| n.name == l.name) else {
            continue;
        };
        let stale: Vec<String> = l
            .stored_versions
            .iter()
            .filter(|v| n.version(v).is_none_or(|nv| !nv.served))
            .cloned()
            .collect();
        if stale.is_empty() {
            continue;
        }
        for v in &stale {
            let what = if n.version(v).is_none() {
                "removed"
            } else {
                "no longer served"
            };
            let mut d = Diagnostic::new(
                RULE_STORED_VERSION,
                Severity::Error,
                format!(
                    "{v}: version {what} while the cluster's status.storedVersions lists it \
                     ({}): objects may still be stored as {v}",
                    l.stored_versions.join(", ")
                ),
            );
            d.object = Some(crd_ref(l));
            d.field = Some(String::new());
            d.crd_version = Some(v.clone());
            d.breaking = Some(true);
            d.help = Some(migration_commands(l, &stale, kube_context));
            d.docs = Some(crate::crd::rules::docs_url(RULE_STORED_VERSION));
            out.push(d);
        }
    }
    out
}

fn crd_ref(c: &Crd) -> ObjectRef {
    ObjectRef {
        api_version: c.api_version.clone(),
        kind: CRD_KIND.to_string(),
        namespace: None,
        name: c.name.clone(),
    }
}

/// The version stored objects are read in for the check: the new CRD's storage version
/// when the live CRD serves it, else another version both serve, else `None` (nothing to
/// compare against).
pub fn check_version(live: &Crd, new: &Crd) -> Option<String> {
    let served_live = |name: &str| live.version(name).is_some_and(|v| v.served);
    if let Some(s) = new.storage_version() {
        if s.served && served_live(&s.name) {
            return Some(s.name.clone());
        }
    }
    new.versions
        .iter()
        .find(|v| v.served && served_live(&v.name))
        .map(|v| v.name.clone())
}

/// Errors and why: problems that stop the check for one CRD.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InstanceCheckError {
    #[error("cannot build the schema validator: {0}")]
    Validator(String),
    #[error("{name}: cannot read the stored object: {message}")]
    Object { name: String, message: String },
}

/// Validate stored objects (`instances`, read in `version`) against the new CRD (`new_crd`,
/// the raw CRD document as JSON). Returns one finding per problem, error level only: info
/// findings (rules that cannot be evaluated offline) are no rejection.
pub fn check_instances(
    new_crd: &Json,
    instances: &[Json],
    cluster: &str,
) -> Result<Vec<Diagnostic>, InstanceCheckError> {
    let crd_text =
        serde_json::to_string(new_crd).map_err(|e| InstanceCheckError::Validator(e.to_string()))?;
    let crd_value =
        crate::yaml::from_json(&crd_text).map_err(|e| InstanceCheckError::Validator(e.0))?;
    let crd_name = new_crd
        .pointer("/metadata/name")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string();
    let crd_objects = crate::schema::objects_from_documents(vec![crd_value], &crd_name, "");
    let validator = SchemaValidator::new(&ValidateOptions {
        kube_version: None,
        missing_schemas: MissingSchemas::Skip,
        crds: crd_objects,
        schema_locations: Vec::new(),
    })
    .map_err(|e| InstanceCheckError::Validator(e.to_string()))?;
    let mut objects = Vec::with_capacity(instances.len());
    for inst in instances {
        let shown = object_name(inst);
        let mut clean = inst.clone();
        strip_server_fields(&mut clean);
        let text = serde_json::to_string(&clean).map_err(|e| InstanceCheckError::Object {
            name: shown.clone(),
            message: e.to_string(),
        })?;
        let value = crate::yaml::from_json(&text).map_err(|e| InstanceCheckError::Object {
            name: shown.clone(),
            message: e.0,
        })?;
        objects.extend(crate::schema::objects_from_documents(
            vec![value],
            cluster,
            "",
        ));
    }
    let mut out = Vec::new();
    for d in validator.validate(&objects) {
        if d.severity < Severity::Error {
            continue;
        }
        let Some(object) = d.object.clone() else {
            continue;
        };
        // The CRD itself is validated too; its problems are the diff's business.
        if object.kind == CRD_KIND {
            continue;
        }
        let at = match &object.namespace {
            Some(ns) => format!("{ns}/{}", object.name),
            None => object.name.clone(),
        };
        let field = d.field.clone().filter(|f| !f.is_empty());
        let mut finding = Diagnostic::new(
            RULE_INSTANCE_REJECTED,
            Severity::Error,
            format!(
                "stored {} {at} is rejected by the new schema{}: {} ({}); its next update will fail",
                object.kind,
                field
                    .as_deref()
                    .map(|f| format!(" at {f}"))
                    .unwrap_or_default(),
                d.message,
                d.rule
            ),
        );
        finding.crd_version = object
            .api_version
            .rsplit_once('/')
            .map(|(_, v)| v.to_string());
        finding.object = Some(object.clone());
        finding.field = field;
        finding.breaking = Some(true);
        let ctx = if cluster.is_empty() {
            String::new()
        } else {
            format!(" --context {}", shell_word(cluster))
        };
        let ns = object
            .namespace
            .as_deref()
            .map(|n| format!(" -n {}", shell_word(n)))
            .unwrap_or_default();
        finding.help = Some(format!(
            "Fix the object before upgrading (kubectl{ctx}{ns} edit {crd_name} {}), or relax the \
             schema so objects that exist stay valid (a CEL transition rule with oldSelf \
             applies a constraint to new objects only).",
            shell_word(&object.name)
        ));
        finding.docs = Some(crate::crd::rules::docs_url(RULE_INSTANCE_REJECTED));
        out.push(finding);
    }
    Ok(out)
}

/// `namespace/name` of a JSON object, for messages.
fn object_name(o: &Json) -> String {
    let name = o
        .pointer("/metadata/name")
        .and_then(Json::as_str)
        .unwrap_or("<unnamed>");
    match o.pointer("/metadata/namespace").and_then(Json::as_str) {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

/// Keep only the metadata users write (name, namespace, labels, annotations): the API
/// server sets the rest (uid, timestamps, managedFields, …) and it is valid by
/// construction, while checking it would need the whole ObjectMeta schema graph.
fn strip_server_fields(o: &mut Json) {
    if let Some(Json::Object(meta)) = o.get_mut("metadata") {
        meta.retain(|k, _| matches!(k.as_str(), "name" | "namespace" | "labels" | "annotations"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crd_json(versions: Json, stored: &[&str]) -> Json {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
                "versions": versions,
            },
            "status": {"storedVersions": stored},
        })
    }

    fn version(name: &str, served: bool, storage: bool, spec: Json) -> Json {
        json!({
            "name": name, "served": served, "storage": storage,
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": spec}}}
        })
    }

    fn model(j: &Json) -> Crd {
        let v = crate::yaml::from_json(&j.to_string()).unwrap();
        crate::crd::model::parse_crd(&v, "cluster:kind-a").unwrap()
    }

    fn spec_schema() -> Json {
        json!({
            "type": "object",
            "required": ["size"],
            "properties": {
                "size": {"type": "integer", "maximum": 10},
                "mode": {"type": "string", "enum": ["fast", "slow"]}
            },
            "x-kubernetes-validations": [{"rule": "self.size > 0", "message": "size must be positive"}]
        })
    }

    #[test]
    fn removed_and_unserved_stored_versions_are_errors_with_the_migration() {
        let any = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
        let live = model(&crd_json(
            json!([
                version("v1alpha1", true, false, any.clone()),
                version("v1beta1", true, false, any.clone()),
                version("v1", true, true, any.clone())
            ]),
            &["v1alpha1", "v1beta1", "v1"],
        ));
        let new = model(&crd_json(
            json!([
                version("v1beta1", false, false, any.clone()),
                version("v1", true, true, any.clone())
            ]),
            &[],
        ));
        let found = stored_version_findings(&[live], &[new], Some("prod"));
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "v1alpha1: version removed while the cluster's status.storedVersions lists it (v1alpha1, v1beta1, v1): objects may still be stored as v1alpha1",
                "v1beta1: version no longer served while the cluster's status.storedVersions lists it (v1alpha1, v1beta1, v1): objects may still be stored as v1beta1",
            ]
        );
        assert_eq!(
            found[0].help.as_deref(),
            Some(
                "Migrate the stored objects before upgrading:\n\
# 1. rewrite every Widget so it is stored as v1\n\
kubectl --context prod get widgets.example.com --all-namespaces -o json | kubectl --context prod replace -f -\n\
# 2. drop v1alpha1, v1beta1 from status.storedVersions\n\
kubectl --context prod patch customresourcedefinition widgets.example.com --subresource=status --type=merge -p '{\"status\":{\"storedVersions\":[\"v1\"]}}'\n\
(or create a StorageVersionMigration for widgets.example.com with the kube-storage-version-migrator, then step 2)"
            )
        );
        assert!(found.iter().all(|d| d.severity == Severity::Error));
    }

    #[test]
    fn storage_version_being_removed_needs_a_two_step_upgrade() {
        let any = json!({"type": "object"});
        let live = model(&crd_json(
            json!([version("v1alpha1", true, true, any.clone())]),
            &["v1alpha1"],
        ));
        let new = model(&crd_json(json!([version("v1", true, true, any)]), &[]));
        let help = stored_version_findings(&[live], &[new], None)[0]
            .help
            .clone()
            .unwrap();
        assert!(help.starts_with("v1alpha1 is still the storage version in the cluster: first upgrade to a CRD that keeps v1alpha1 but stores another served version, then migrate.\n"), "{help}");
        assert!(help.contains(
            "\nkubectl get widgets.example.com --all-namespaces -o json | kubectl replace -f -\n"
        ));
    }

    #[test]
    fn nothing_when_stored_versions_stay() {
        let any = json!({"type": "object"});
        let live = model(&crd_json(
            json!([version("v1", true, true, any.clone())]),
            &["v1"],
        ));
        assert!(stored_version_findings(
            std::slice::from_ref(&live),
            std::slice::from_ref(&live),
            None
        )
        .is_empty());
    }

    #[test]
    fn stored_objects_the_new_schema_rejects() {
        let new = crd_json(json!([version("v1", true, true, spec_schema())]), &[]);
        let instances = vec![
            json!({"apiVersion": "example.com/v1", "kind": "Widget",
                   "metadata": {"name": "ok", "namespace": "a", "managedFields": [{"manager": "x"}]},
                   "spec": {"size": 3, "mode": "fast"}}),
            json!({"apiVersion": "example.com/v1", "kind": "Widget",
                   "metadata": {"name": "big", "namespace": "b"}, "spec": {"size": 30}}),
            json!({"apiVersion": "example.com/v1", "kind": "Widget",
                   "metadata": {"name": "zero", "namespace": "b"}, "spec": {"size": 0, "mode": "turbo"}}),
        ];
        let found = check_instances(&new, &instances, "prod").unwrap();
        let lines: Vec<String> = found
            .iter()
            .map(|d| {
                format!(
                    "{} {} {}",
                    d.rule,
                    d.field.clone().unwrap_or_default(),
                    d.message
                )
            })
            .collect();
        assert_eq!(
            lines,
            vec![
                "crd-instance-rejected spec.size stored Widget b/big is rejected by the new schema at spec.size: 30 must be <= 10 (schema-invalid); its next update will fail",
                "crd-instance-rejected spec.mode stored Widget b/zero is rejected by the new schema at spec.mode: unsupported value \"turbo\": supported values: \"fast\", \"slow\" (schema-invalid); its next update will fail",
                "crd-instance-rejected spec stored Widget b/zero is rejected by the new schema at spec: size must be positive (cel-rule-violated); its next update will fail",
            ]
        );
        let obj = found[0].object.clone().unwrap();
        assert_eq!(obj.namespace.as_deref(), Some("b"));
        assert_eq!(obj.name, "big");
        assert_eq!(found[0].crd_version.as_deref(), Some("v1"));
    }

    #[test]
    fn check_version_prefers_the_new_storage_version() {
        let any = json!({"type": "object"});
        let live = model(&crd_json(
            json!([
                version("v1beta1", true, true, any.clone()),
                version("v1", true, false, any.clone())
            ]),
            &["v1beta1"],
        ));
        let new = model(&crd_json(
            json!([
                version("v1beta1", true, false, any.clone()),
                version("v1", true, true, any.clone())
            ]),
            &[],
        ));
        assert_eq!(check_version(&live, &new).as_deref(), Some("v1"));
        let only_new = model(&crd_json(json!([version("v2", true, true, any)]), &[]));
        assert_eq!(check_version(&live, &only_new), None);
    }
}
