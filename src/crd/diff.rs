//! The diff between two sets of CRDs, classified change by change.
//!
//! CRDs are paired by name; within a pair, CRD-level facts (scope, names, conversion), then
//! each version: versions only on one side are reported as removed or added, and every
//! version served on both sides has its schema compared node by node. A subtree that exists
//! on one side only is reported once, at its root (a new optional `spec.tls` is one
//! `crd-field-added`, whatever it holds — even required fields inside it).
//!
//! Field paths are dotted from the version's schema root: `spec.containers[*].image` for
//! array items, `spec.labels{*}` for the values of a map (`additionalProperties`).
//! Version-level and CRD-level changes have an empty field; CRD-level changes also have an
//! empty version.

use std::collections::BTreeSet;

use super::model::{AdditionalProperties, Crd, CrdVersion, Schema};
use super::rules::{Breaking, CrdRule};
use crate::template::value::format_float_g;

/// One classified change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub rule: CrdRule,
    /// CRD name (`widgets.example.com`).
    pub crd: String,
    /// The CRD version the change is about; empty for changes to the whole CRD.
    pub version: String,
    /// Dotted field path; empty for version-level and CRD-level changes.
    pub field: String,
    /// What changed, one line (`maximum lowered`).
    pub what: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// What the change does to existing users, one line; empty for harmless changes.
    pub impact: String,
    pub breaking: bool,
}

impl Change {
    /// The one-line message: field, what changed, old → new, and the impact.
    pub fn message(&self) -> String {
        if self.field.is_empty() {
            self.message_without_field()
        } else {
            format!("{}: {}", self.field, self.message_without_field())
        }
    }

    /// What changed, old → new, and the impact.
    pub fn message_without_field(&self) -> String {
        let mut m = self.what.clone();
        match (&self.old, &self.new) {
            (Some(o), Some(n)) => m.push_str(&format!(" ({o} → {n})")),
            (Some(o), None) => m.push_str(&format!(" (was {o})")),
            (None, Some(n)) => m.push_str(&format!(" ({n})")),
            (None, None) => {}
        }
        if !self.impact.is_empty() {
            m.push_str("; ");
            m.push_str(&self.impact);
        }
        m
    }
}

/// Compare two sets of CRDs (old → new). Changes come out per CRD name (sorted), CRD-level
/// first, then per version in the order of the old CRD, fields in schema order.
pub fn diff_crds(old: &[Crd], new: &[Crd]) -> Vec<Change> {
    let mut names: BTreeSet<&str> = BTreeSet::new();
    names.extend(old.iter().map(|c| c.name.as_str()));
    names.extend(new.iter().map(|c| c.name.as_str()));
    let mut out = Vec::new();
    for name in names {
        let o = old.iter().find(|c| c.name == name);
        let n = new.iter().find(|c| c.name == name);
        let mut d = Differ {
            crd: name,
            version: String::new(),
            out: &mut out,
        };
        match (o, n) {
            (Some(o), Some(n)) => d.crd_pair(o, n),
            (Some(o), None) => d.push(
                CrdRule::CrdRemoved,
                "",
                true,
                "CRD removed".to_string(),
                None,
                None,
                format!(
                    "clients of {} get 404, and if it is deleted every {} resource is deleted with it",
                    o.group, o.names.kind
                ),
            ),
            (None, Some(n)) => d.push(
                CrdRule::CrdAdded,
                "",
                false,
                "CRD added".to_string(),
                None,
                Some(n.names.kind.clone()),
                String::new(),
            ),
            (None, None) => {}
        }
    }
    out
}

struct Differ<'a> {
    crd: &'a str,
    version: String,
    out: &'a mut Vec<Change>,
}

/// The subject of an impact sentence.
fn subject(field: &str) -> String {
    if field.is_empty() {
        "the resource".to_string()
    } else {
        field.to_string()
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

fn num(x: f64) -> String {
    format_float_g(x)
}

impl Differ<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        rule: CrdRule,
        field: &str,
        breaking: bool,
        what: String,
        old: Option<String>,
        new: Option<String>,
        impact: String,
    ) {
        // A rule that is always (or never) breaking cannot be overridden by a call site.
        let breaking = match rule.meta().breaking {
            Breaking::Always => true,
            Breaking::Never => false,
            Breaking::Depends => breaking,
        };
        self.out.push(Change {
            rule,
            crd: self.crd.to_string(),
            version: self.version.clone(),
            field: field.to_string(),
            what,
            old,
            new,
            impact,
            breaking,
        });
    }

    fn crd_pair(&mut self, old: &Crd, new: &Crd) {
        self.crd_level(old, new);
        self.versions(old, new);
    }

    fn crd_level(&mut self, old: &Crd, new: &Crd) {
        if old.scope != new.scope {
            self.push(
                CrdRule::ScopeChanged,
                "",
                true,
                "scope changed".to_string(),
                Some(old.scope.clone()),
                Some(new.scope.clone()),
                "the API server refuses to change the scope of an existing CRD, and every manifest and client addresses the resources differently".to_string(),
            );
        }
        let (on, nn) = (&old.names, &new.names);
        let default_singular = |n: &super::model::CrdNames| {
            n.singular.clone().unwrap_or_else(|| n.kind.to_lowercase())
        };
        let default_list = |n: &super::model::CrdNames| {
            n.list_kind
                .clone()
                .unwrap_or_else(|| format!("{}List", n.kind))
        };
        let renames = [
            ("kind", on.kind.clone(), nn.kind.clone()),
            ("listKind", default_list(on), default_list(nn)),
            ("singular", default_singular(on), default_singular(nn)),
            ("plural", on.plural.clone(), nn.plural.clone()),
        ];
        for (what, o, n) in renames {
            if o != n {
                self.push(
                    CrdRule::NamesChanged,
                    "",
                    true,
                    format!("names.{what} changed"),
                    Some(o),
                    Some(n),
                    "manifests, clients and kubectl commands that use the old name fail"
                        .to_string(),
                );
            }
        }
        for (what, o, n) in [
            ("shortNames", &on.short_names, &nn.short_names),
            ("categories", &on.categories, &nn.categories),
        ] {
            let removed: Vec<String> = o.iter().filter(|x| !n.contains(x)).cloned().collect();
            let added: Vec<String> = n.iter().filter(|x| !o.contains(x)).cloned().collect();
            if !removed.is_empty() {
                self.push(
                    CrdRule::NamesChanged,
                    "",
                    true,
                    format!("names.{what} removed"),
                    Some(list(&removed)),
                    None,
                    format!(
                        "kubectl commands and scripts that use {} fail",
                        list(&removed)
                    ),
                );
            }
            if !added.is_empty() {
                self.push(
                    CrdRule::NamesAdded,
                    "",
                    false,
                    format!("names.{what} added"),
                    None,
                    Some(list(&added)),
                    String::new(),
                );
            }
        }
        if old.conversion.strategy != new.conversion.strategy {
            let several = new.versions.len() > 1;
            let impact = if several {
                format!(
                    "objects are converted between {} versions differently; reads in a non-storage version {}",
                    new.versions.len(),
                    if new.conversion.strategy == "Webhook" {
                        "fail while the webhook is not running"
                    } else {
                        "only get their apiVersion rewritten"
                    }
                )
            } else {
                "harmless while the CRD has a single version".to_string()
            };
            self.push(
                CrdRule::ConversionChanged,
                "",
                several,
                "conversion strategy changed".to_string(),
                Some(old.conversion.strategy.clone()),
                Some(new.conversion.strategy.clone()),
                impact,
            );
        } else if old.conversion.webhook != new.conversion.webhook {
            self.push(
                CrdRule::ConversionWebhookChanged,
                "",
                false,
                "conversion webhook changed".to_string(),
                old.conversion.webhook.clone(),
                new.conversion.webhook.clone(),
                "conversions fail until the new endpoint is deployed".to_string(),
            );
        }
        if old.preserve_unknown_fields && !new.preserve_unknown_fields {
            self.push(
                CrdRule::PreserveUnknownFieldsRemoved,
                "",
                true,
                "spec.preserveUnknownFields turned off".to_string(),
                Some("true".to_string()),
                Some("false".to_string()),
                "fields the schema does not list are pruned from custom resources on their next write".to_string(),
            );
        } else if !old.preserve_unknown_fields && new.preserve_unknown_fields {
            self.push(
                CrdRule::PreserveUnknownFieldsAdded,
                "",
                false,
                "spec.preserveUnknownFields turned on".to_string(),
                Some("false".to_string()),
                Some("true".to_string()),
                String::new(),
            );
        }
    }

    fn versions(&mut self, old: &Crd, new: &Crd) {
        let group = &new.group;
        let new_storage = new
            .storage_version()
            .map(|v| v.name.clone())
            .unwrap_or_default();
        // Versions on one side only, to report where a removed version went.
        let removed: Vec<&CrdVersion> = old
            .versions
            .iter()
            .filter(|v| new.version(&v.name).is_none())
            .collect();
        let added: Vec<&CrdVersion> = new
            .versions
            .iter()
            .filter(|v| old.version(&v.name).is_none())
            .collect();
        for ov in &old.versions {
            let name = ov.name.as_str();
            self.version = name.to_string();
            let Some(nv) = new.version(name) else {
                let moved = added.iter().find(|a| a.schema == ov.schema);
                let what = match moved {
                    Some(a) => format!("version removed; it moved to {} (same schema)", a.name),
                    None => format!("version removed; objects are now served as {new_storage}"),
                };
                self.push(
                    CrdRule::VersionRemoved,
                    "",
                    true,
                    what,
                    None,
                    None,
                    format!(
                        "clients and manifests using {group}/{name} fail, and the API server refuses the CRD update while objects are still stored as {name}"
                    ),
                );
                if old.stored_versions.iter().any(|s| s == name) {
                    self.push(
                        CrdRule::StoredVersionRemoved,
                        "",
                        true,
                        "version removed while listed in status.storedVersions".to_string(),
                        Some(list(&old.stored_versions)),
                        None,
                        format!("the API server refuses the CRD update until objects stored as {name} are migrated and status.storedVersions no longer lists it"),
                    );
                }
                continue;
            };
            if ov.served && !nv.served {
                self.push(
                    CrdRule::VersionUnserved,
                    "",
                    true,
                    "version no longer served".to_string(),
                    Some("served".to_string()),
                    Some("not served".to_string()),
                    format!("clients, controllers and manifests using {group}/{name} get 404"),
                );
            } else if !ov.served && nv.served {
                self.push(
                    CrdRule::VersionServed,
                    "",
                    false,
                    "version served again".to_string(),
                    Some("not served".to_string()),
                    Some("served".to_string()),
                    String::new(),
                );
            }
            if !ov.deprecated && nv.deprecated {
                self.push(
                    CrdRule::VersionDeprecated,
                    "",
                    false,
                    "version deprecated".to_string(),
                    None,
                    None,
                    format!("clients using {group}/{name} get deprecation warnings"),
                );
            }
            if ov.served && nv.served {
                self.subresources(ov, nv);
                if ov.printer_columns != nv.printer_columns {
                    self.push(
                        CrdRule::PrinterColumnsChanged,
                        "",
                        false,
                        "additionalPrinterColumns changed".to_string(),
                        None,
                        None,
                        String::new(),
                    );
                }
                self.node("", &ov.schema, &nv.schema);
            }
        }
        for nv in &added {
            self.version = nv.name.clone();
            let from = removed.iter().find(|r| r.schema == nv.schema);
            let mut what = "version added".to_string();
            if let Some(r) = from {
                what.push_str(&format!("; it takes over {} (same schema)", r.name));
            }
            let state = match (nv.served, nv.storage) {
                (true, true) => "served, storage",
                (true, false) => "served",
                (false, true) => "not served, storage",
                (false, false) => "not served",
            };
            self.push(
                CrdRule::VersionAdded,
                "",
                false,
                what,
                None,
                Some(format!("{} ({state})", nv.name)),
                String::new(),
            );
        }
        let old_storage = old.storage_version().map(|v| v.name.as_str()).unwrap_or("");
        if !old_storage.is_empty() && old_storage != new_storage {
            self.version = old_storage.to_string();
            let gone = new.version(old_storage).is_none();
            let impact = if gone {
                format!("objects stored as {old_storage} cannot be read any more; the API server refuses the update while status.storedVersions lists it")
            } else {
                format!("new writes are stored as {new_storage}; objects stored as {old_storage} stay readable and are rewritten on their next update")
            };
            self.push(
                CrdRule::StorageVersionChanged,
                "",
                gone,
                "storage version moved".to_string(),
                Some(old_storage.to_string()),
                Some(new_storage.clone()),
                impact,
            );
        }
    }

    fn subresources(&mut self, ov: &CrdVersion, nv: &CrdVersion) {
        let (o, n) = (&ov.subresources, &nv.subresources);
        if o.status && !n.status {
            self.push(
                CrdRule::SubresourceRemoved,
                "",
                true,
                "status subresource removed".to_string(),
                None,
                None,
                "controllers that update status through /status fail, and spec updates now change status too".to_string(),
            );
        } else if !o.status && n.status {
            self.push(
                CrdRule::SubresourceAdded,
                "",
                false,
                "status subresource added".to_string(),
                None,
                None,
                "updates of the main resource now ignore .status".to_string(),
            );
        }
        match (&o.scale, &n.scale) {
            (Some(_), None) => self.push(
                CrdRule::SubresourceRemoved,
                "",
                true,
                "scale subresource removed".to_string(),
                None,
                None,
                "kubectl scale and autoscalers (HPA) targeting the resource fail".to_string(),
            ),
            (None, Some(_)) => self.push(
                CrdRule::SubresourceAdded,
                "",
                false,
                "scale subresource added".to_string(),
                None,
                None,
                String::new(),
            ),
            (Some(a), Some(b)) => {
                let replicas = |s: &super::model::Scale| {
                    format!("{} / {}", s.spec_replicas_path, s.status_replicas_path)
                };
                if replicas(a) != replicas(b) {
                    self.push(
                        CrdRule::SubresourceRemoved,
                        "",
                        true,
                        "scale subresource replica paths changed".to_string(),
                        Some(replicas(a)),
                        Some(replicas(b)),
                        "autoscalers and kubectl scale read and write other fields".to_string(),
                    );
                }
                match (&a.label_selector_path, &b.label_selector_path) {
                    (Some(o), n) if Some(o) != n.as_ref() => self.push(
                        CrdRule::SubresourceRemoved,
                        "",
                        true,
                        if n.is_some() {
                            "scale labelSelectorPath changed"
                        } else {
                            "scale labelSelectorPath removed"
                        }
                        .to_string(),
                        Some(o.clone()),
                        n.clone(),
                        "autoscalers (HPA) cannot find the pods they scale".to_string(),
                    ),
                    (None, Some(n)) => self.push(
                        CrdRule::SubresourceAdded,
                        "",
                        false,
                        "scale labelSelectorPath added".to_string(),
                        None,
                        Some(n.clone()),
                        String::new(),
                    ),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Compare one schema node present on both sides.
    fn node(&mut self, path: &str, old: &Schema, new: &Schema) {
        if !self.types(path, old, new) {
            // The node means something else now; its children are not comparable.
            return;
        }
        self.annotations(path, old, new);
        self.enums(path, old, new);
        self.bounds(path, old, new);
        self.extensions(path, old, new);
        self.validations(path, old, new);
        self.properties(path, old, new);
        self.additional_properties(path, old, new);
        if let (Some(o), Some(n)) = (&old.items, &new.items) {
            self.node(&format!("{path}[*]"), o, n);
        }
    }

    /// Type and int-or-string. Returns false when the node's type changed so much that its
    /// children should not be compared.
    fn types(&mut self, path: &str, old: &Schema, new: &Schema) -> bool {
        let s = subject(path);
        let show = |t: &Option<&str>| t.unwrap_or("any").to_string();
        if old.int_or_string && !new.int_or_string {
            self.push(
                CrdRule::IntOrStringRemoved,
                path,
                true,
                "x-kubernetes-int-or-string removed".to_string(),
                Some("int-or-string".to_string()),
                Some(show(&new.type_name)),
                format!("custom resources that set {s} in the other form are rejected on their next update"),
            );
            return true;
        }
        if !old.int_or_string && new.int_or_string {
            match old.type_name {
                None | Some("integer") | Some("string") => {
                    self.push(
                        CrdRule::IntOrStringAdded,
                        path,
                        false,
                        "x-kubernetes-int-or-string added".to_string(),
                        Some(show(&old.type_name)),
                        Some("int-or-string".to_string()),
                        String::new(),
                    );
                    return true;
                }
                Some(t) => {
                    self.push(
                        CrdRule::TypeChanged,
                        path,
                        true,
                        "type changed".to_string(),
                        Some(t.to_string()),
                        Some("int-or-string".to_string()),
                        format!("custom resources that set {s} are rejected on their next update"),
                    );
                    return false;
                }
            }
        }
        if old.int_or_string || old.type_name == new.type_name {
            return true;
        }
        match (&old.type_name, &new.type_name) {
            (Some(_), None) => {
                self.push(
                    CrdRule::TypeWidened,
                    path,
                    false,
                    "type constraint removed".to_string(),
                    Some(show(&old.type_name)),
                    Some("any".to_string()),
                    String::new(),
                );
                true
            }
            _ => {
                self.push(
                    CrdRule::TypeChanged,
                    path,
                    true,
                    "type changed".to_string(),
                    Some(show(&old.type_name)),
                    Some(show(&new.type_name)),
                    format!("custom resources that set {s} are rejected on their next update"),
                );
                false
            }
        }
    }

    /// description, format, pattern, default, nullable.
    fn annotations(&mut self, path: &str, old: &Schema, new: &Schema) {
        let s = subject(path);
        if old.description != new.description {
            self.push(
                CrdRule::DescriptionChanged,
                path,
                false,
                "description changed".to_string(),
                None,
                None,
                String::new(),
            );
        }
        match (&old.format, &new.format) {
            (o, Some(n)) if o.as_ref() != Some(n) => self.push(
                CrdRule::FormatChanged,
                path,
                true,
                if o.is_some() { "format changed" } else { "format added" }.to_string(),
                o.clone(),
                Some(n.clone()),
                format!("custom resources whose {s} is not a valid {n} are rejected on their next update"),
            ),
            (Some(o), None) => self.push(
                CrdRule::FormatRemoved,
                path,
                false,
                "format removed".to_string(),
                Some(o.clone()),
                None,
                String::new(),
            ),
            _ => {}
        }
        match (&old.pattern, &new.pattern) {
            (o, Some(n)) if o.as_ref() != Some(n) => self.push(
                CrdRule::PatternChanged,
                path,
                true,
                if o.is_some() { "pattern changed" } else { "pattern added" }.to_string(),
                o.clone(),
                Some(n.clone()),
                format!("custom resources whose {s} does not match the new pattern are rejected on their next update"),
            ),
            (Some(o), None) => self.push(
                CrdRule::PatternRemoved,
                path,
                false,
                "pattern removed".to_string(),
                Some(o.clone()),
                None,
                String::new(),
            ),
            _ => {}
        }
        let od = old.default.clone();
        let nd = new.default.clone();
        if od != nd {
            let (what, impact) = match (&od, &nd) {
                (None, Some(_)) => ("default added", format!("custom resources that omit {s} now get the default when they are read or written")),
                (Some(_), None) => ("default removed", format!("custom resources created without {s} no longer get a value")),
                _ => ("default changed", format!("custom resources that omit {s} get a different value")),
            };
            self.push(
                CrdRule::DefaultChanged,
                path,
                true,
                what.to_string(),
                od,
                nd,
                impact,
            );
        }
        if old.nullable && !new.nullable {
            self.push(
                CrdRule::NullableRemoved,
                path,
                true,
                "nullable removed".to_string(),
                Some("true".to_string()),
                Some("false".to_string()),
                format!("custom resources that set {s} to null are rejected on their next update"),
            );
        } else if !old.nullable && new.nullable {
            self.push(
                CrdRule::NullableAdded,
                path,
                false,
                "nullable added".to_string(),
                Some("false".to_string()),
                Some("true".to_string()),
                String::new(),
            );
        }
    }

    fn enums(&mut self, path: &str, old: &Schema, new: &Schema) {
        let s = subject(path);
        let show = |v: &[String]| -> Vec<String> { v.to_vec() };
        match (&old.enum_values, &new.enum_values) {
            (None, Some(n)) => self.push(
                CrdRule::EnumAdded,
                path,
                true,
                "enum added".to_string(),
                None,
                Some(list(&show(n))),
                format!("custom resources that set {s} to any other value are rejected on their next update"),
            ),
            (Some(o), None) => self.push(
                CrdRule::EnumWidened,
                path,
                false,
                "enum removed".to_string(),
                Some(list(&show(o))),
                None,
                String::new(),
            ),
            (Some(o), Some(n)) => {
                let (o, n) = (show(o), show(n));
                let removed: Vec<String> = o.iter().filter(|x| !n.contains(x)).cloned().collect();
                let added: Vec<String> = n.iter().filter(|x| !o.contains(x)).cloned().collect();
                if !removed.is_empty() {
                    let mut what = format!("enum values removed: {}", list(&removed));
                    if !added.is_empty() {
                        what.push_str(&format!(", added: {}", list(&added)));
                    }
                    self.push(
                        CrdRule::EnumValueRemoved,
                        path,
                        true,
                        what,
                        Some(list(&o)),
                        Some(list(&n)),
                        format!("custom resources that set {s} to a removed value are rejected on their next update"),
                    );
                } else if !added.is_empty() {
                    self.push(
                        CrdRule::EnumWidened,
                        path,
                        false,
                        format!("enum values added: {}", list(&added)),
                        Some(list(&o)),
                        Some(list(&n)),
                        String::new(),
                    );
                }
            }
            (None, None) => {}
        }
    }

    fn bounds(&mut self, path: &str, old: &Schema, new: &Schema) {
        let s = subject(path);
        self.bound(
            path,
            "minimum",
            Bound::Lower,
            (old.minimum, old.exclusive_minimum),
            (new.minimum, new.exclusive_minimum),
            &s,
        );
        self.bound(
            path,
            "maximum",
            Bound::Upper,
            (old.maximum, old.exclusive_maximum),
            (new.maximum, new.exclusive_maximum),
            &s,
        );
        let plain = [
            ("minLength", Bound::Lower, old.min_length, new.min_length),
            ("maxLength", Bound::Upper, old.max_length, new.max_length),
            ("minItems", Bound::Lower, old.min_items, new.min_items),
            ("maxItems", Bound::Upper, old.max_items, new.max_items),
            (
                "minProperties",
                Bound::Lower,
                old.min_properties,
                new.min_properties,
            ),
            (
                "maxProperties",
                Bound::Upper,
                old.max_properties,
                new.max_properties,
            ),
        ];
        for (keyword, kind, o, n) in plain {
            self.bound(path, keyword, kind, (o, false), (n, false), &s);
        }
        match (old.multiple_of, new.multiple_of) {
            (o, Some(n)) if o != Some(n) => {
                // Every multiple of the old step is still accepted when the new step divides it.
                let relaxed = o.is_some_and(|o| n != 0.0 && (o / n).fract() == 0.0);
                self.bound_change(
                    path,
                    relaxed,
                    if o.is_some() {
                        "multipleOf changed"
                    } else {
                        "multipleOf added"
                    },
                    o.map(num),
                    Some(num(n)),
                    &s,
                );
            }
            (Some(o), None) => {
                self.bound_change(path, true, "multipleOf removed", Some(num(o)), None, &s)
            }
            _ => {}
        }
        if old.unique_items != new.unique_items {
            let what = if new.unique_items {
                "uniqueItems added"
            } else {
                "uniqueItems removed"
            };
            self.bound_change(
                path,
                !new.unique_items,
                what,
                Some(old.unique_items.to_string()),
                Some(new.unique_items.to_string()),
                &s,
            );
        }
    }

    fn bound(
        &mut self,
        path: &str,
        keyword: &str,
        kind: Bound,
        old: (Option<f64>, bool),
        new: (Option<f64>, bool),
        s: &str,
    ) {
        let show = |(v, exclusive): (Option<f64>, bool)| {
            v.map(|x| {
                if exclusive {
                    format!("{} (exclusive)", num(x))
                } else {
                    num(x)
                }
            })
        };
        let relaxed = match (old.0, new.0) {
            (None, None) => return,
            (None, Some(_)) => false,
            (Some(_), None) => true,
            (Some(a), Some(b)) => {
                // For a lower bound a larger value is tighter; an exclusive bound is tighter
                // than the same inclusive one.
                let tighter = match kind {
                    Bound::Lower => b > a,
                    Bound::Upper => b < a,
                };
                let looser = match kind {
                    Bound::Lower => b < a,
                    Bound::Upper => b > a,
                };
                if tighter || (a == b && new.1 && !old.1) {
                    false
                } else if looser || (a == b && old.1 && !new.1) {
                    true
                } else {
                    return;
                }
            }
        };
        let what = match (old.0, new.0, kind, relaxed) {
            (None, _, _, _) => format!("{keyword} added"),
            (_, None, _, _) => format!("{keyword} removed"),
            (_, _, Bound::Lower, false) | (_, _, Bound::Upper, true) => format!("{keyword} raised"),
            _ => format!("{keyword} lowered"),
        };
        self.bound_change(path, relaxed, &what, show(old), show(new), s);
    }

    fn bound_change(
        &mut self,
        path: &str,
        relaxed: bool,
        what: &str,
        old: Option<String>,
        new: Option<String>,
        s: &str,
    ) {
        if relaxed {
            self.push(
                CrdRule::BoundsRelaxed,
                path,
                false,
                what.to_string(),
                old,
                new,
                String::new(),
            );
        } else {
            self.push(
                CrdRule::BoundsTightened,
                path,
                true,
                what.to_string(),
                old,
                new,
                format!("custom resources whose {s} is outside the new bound are rejected on their next update"),
            );
        }
    }

    /// x-kubernetes-* flags: preserve-unknown-fields, embedded-resource, list and map types.
    fn extensions(&mut self, path: &str, old: &Schema, new: &Schema) {
        let s = subject(path);
        if old.preserve_unknown_fields && !new.preserve_unknown_fields {
            self.push(
                CrdRule::PreserveUnknownFieldsRemoved,
                path,
                true,
                "x-kubernetes-preserve-unknown-fields removed".to_string(),
                Some("true".to_string()),
                Some("false".to_string()),
                format!("fields under {s} that the schema does not list are pruned on the next write, and strict clients are rejected"),
            );
        } else if !old.preserve_unknown_fields && new.preserve_unknown_fields {
            self.push(
                CrdRule::PreserveUnknownFieldsAdded,
                path,
                false,
                "x-kubernetes-preserve-unknown-fields added".to_string(),
                Some("false".to_string()),
                Some("true".to_string()),
                String::new(),
            );
        }
        if old.embedded_resource != new.embedded_resource {
            self.push(
                CrdRule::EmbeddedResourceChanged,
                path,
                true,
                "x-kubernetes-embedded-resource changed".to_string(),
                Some(old.embedded_resource.to_string()),
                Some(new.embedded_resource.to_string()),
                format!("the object in {s} is validated and pruned differently (apiVersion, kind, metadata)"),
            );
        }
        let effective = |t: &Option<String>| t.clone().unwrap_or_else(|| "atomic".to_string());
        let (olt, nlt) = (effective(&old.list_type), effective(&new.list_type));
        if olt != nlt {
            self.push(
                CrdRule::ListTypeChanged,
                path,
                true,
                "x-kubernetes-list-type changed".to_string(),
                Some(olt),
                Some(nlt),
                format!("server-side apply merges {s} differently, and lists that break the new uniqueness rules are rejected"),
            );
        } else if nlt == "map" && old.list_map_keys != new.list_map_keys {
            self.push(
                CrdRule::ListTypeChanged,
                path,
                true,
                "x-kubernetes-list-map-keys changed".to_string(),
                Some(list(&old.list_map_keys)),
                Some(list(&new.list_map_keys)),
                format!("server-side apply identifies the items of {s} differently, and items without the new keys are rejected"),
            );
        }
        let map_type = |t: &Option<String>| t.clone().unwrap_or_else(|| "granular".to_string());
        let (omt, nmt) = (map_type(&old.map_type), map_type(&new.map_type));
        if omt != nmt {
            self.push(
                CrdRule::MapTypeChanged,
                path,
                true,
                "x-kubernetes-map-type changed".to_string(),
                Some(omt),
                Some(nmt),
                format!("server-side apply merges {s} differently, so field managers overwrite each other"),
            );
        }
    }

    /// x-kubernetes-validations and allOf/anyOf/oneOf/not.
    fn validations(&mut self, path: &str, old: &Schema, new: &Schema) {
        let added: Vec<String> = new
            .validations
            .iter()
            .filter(|n| !old.validations.iter().any(|o| o.rule == n.rule))
            .map(|n| n.rule.clone())
            .collect();
        let removed: Vec<String> = old
            .validations
            .iter()
            .filter(|o| !new.validations.iter().any(|n| n.rule == o.rule))
            .map(|o| o.rule.clone())
            .collect();
        if !added.is_empty() {
            let what = if removed.is_empty() {
                "validation rule added".to_string()
            } else {
                "validation rule changed".to_string()
            };
            self.push(
                CrdRule::ValidationRuleChanged,
                path,
                true,
                what,
                (!removed.is_empty()).then(|| removed.join(" | ")),
                Some(added.join(" | ")),
                format!(
                    "custom resources that fail the new rule are rejected on their next update{}",
                    if path.is_empty() {
                        String::new()
                    } else {
                        format!(" ({path})")
                    }
                ),
            );
        } else if !removed.is_empty() {
            self.push(
                CrdRule::ValidationRuleRemoved,
                path,
                false,
                "validation rule removed".to_string(),
                Some(removed.join(" | ")),
                None,
                String::new(),
            );
        } else {
            let changed = new.validations.iter().any(|n| {
                old.validations
                    .iter()
                    .any(|o| o.rule == n.rule && o.details != n.details)
            });
            if changed {
                self.push(
                    CrdRule::ValidationMessageChanged,
                    path,
                    false,
                    "validation message changed".to_string(),
                    None,
                    None,
                    String::new(),
                );
            }
        }
        match (&old.combinators, &new.combinators) {
            (o, Some(n)) if o.as_ref() != Some(n) => self.push(
                CrdRule::ValueValidationChanged,
                path,
                true,
                if o.is_some() {
                    "allOf/anyOf/oneOf/not changed"
                } else {
                    "allOf/anyOf/oneOf/not added"
                }
                .to_string(),
                o.clone(),
                Some(n.clone()),
                format!(
                    "custom resources whose {} fails the new constraint are rejected on their next update",
                    subject(path)
                ),
            ),
            (Some(o), None) => self.push(
                CrdRule::ValueValidationRemoved,
                path,
                false,
                "allOf/anyOf/oneOf/not removed".to_string(),
                Some(o.clone()),
                None,
                String::new(),
            ),
            _ => {}
        }
    }

    fn properties(&mut self, path: &str, old: &Schema, new: &Schema) {
        let old_map = match &old.additional_properties {
            Some(AdditionalProperties::Schema(s)) => Some(s.as_ref()),
            _ => None,
        };
        let new_map = match &new.additional_properties {
            Some(AdditionalProperties::Schema(s)) => Some(s.as_ref()),
            _ => None,
        };
        for (name, o) in &old.properties {
            let child = join(path, name);
            if let Some(n) = new.properties.get(name) {
                self.node(&child, o, n);
            } else if let Some(values) = new_map {
                // The key is still accepted, now as a map entry: its value must match the
                // map's schema.
                self.node(&child, o, values);
            } else if new.allows_extra_keys() || new.preserve_unknown_fields {
                self.push(
                    CrdRule::FieldRemoved,
                    &child,
                    false,
                    "field removed from the schema".to_string(),
                    None,
                    None,
                    format!(
                        "{child} is kept as an unknown field ({}) but no longer validated",
                        if new.preserve_unknown_fields {
                            "x-kubernetes-preserve-unknown-fields"
                        } else {
                            "additionalProperties"
                        }
                    ),
                );
            } else {
                self.push(
                    CrdRule::FieldRemoved,
                    &child,
                    true,
                    "field removed".to_string(),
                    o.type_name.map(str::to_string),
                    None,
                    format!("manifests that set {child} are rejected by strict field validation (kubectl's default), and the value is pruned from custom resources on their next write"),
                );
            }
        }
        for (name, n) in &new.properties {
            if old.properties.contains_key(name) {
                continue;
            }
            let child = join(path, name);
            if let Some(values) = old_map {
                // The key was a map entry before: it keeps being accepted if its old value
                // matches the new, specific schema.
                self.node(&child, values, n);
                continue;
            }
            if new.requires(name) {
                self.push(
                    CrdRule::RequiredAdded,
                    &child,
                    true,
                    "new required field".to_string(),
                    None,
                    n.type_name.map(str::to_string),
                    format!(
                        "custom resources {} without {child} are rejected on their next update",
                        if path.is_empty() {
                            "created before".to_string()
                        } else {
                            format!("that set {path}")
                        }
                    ),
                );
            } else {
                let mut impact = String::new();
                if old.preserve_unknown_fields || old.allows_extra_keys() {
                    impact = format!("values already stored under {child} (kept as unknown fields until now) are validated from now on");
                }
                self.push(
                    CrdRule::FieldAdded,
                    &child,
                    false,
                    "field added".to_string(),
                    None,
                    n.type_name.map(str::to_string),
                    impact,
                );
            }
        }
        for name in &new.required {
            if old.requires(name) {
                continue;
            }
            // New properties were handled above (unless they used to be map entries).
            if !old.properties.contains_key(name)
                && new.properties.contains_key(name)
                && old_map.is_none()
            {
                continue;
            }
            let child = join(path, name);
            self.push(
                CrdRule::RequiredAdded,
                &child,
                true,
                "field became required".to_string(),
                Some("optional".to_string()),
                Some("required".to_string()),
                format!(
                    "custom resources {}without {child} are rejected on their next update",
                    if path.is_empty() {
                        String::new()
                    } else {
                        format!("that set {path} ")
                    }
                ),
            );
        }
        for name in &old.required {
            if new.requires(name) {
                continue;
            }
            // A removed field is reported as removed.
            if old.properties.contains_key(name)
                && !new.properties.contains_key(name)
                && new_map.is_none()
            {
                continue;
            }
            self.push(
                CrdRule::RequiredRemoved,
                &join(path, name),
                false,
                "field no longer required".to_string(),
                Some("required".to_string()),
                Some("optional".to_string()),
                String::new(),
            );
        }
    }

    fn additional_properties(&mut self, path: &str, old: &Schema, new: &Schema) {
        use AdditionalProperties::{Allowed, Schema as Values};
        let s = subject(path);
        match (&old.additional_properties, &new.additional_properties) {
            (Some(Values(a)), Some(Values(b))) => self.node(&format!("{path}{{*}}"), a, b),
            (Some(Allowed(true)), Some(Values(_))) => self.push(
                CrdRule::AdditionalPropertiesNarrowed,
                &format!("{path}{{*}}"),
                true,
                "map values constrained".to_string(),
                Some("any value".to_string()),
                Some("a schema".to_string()),
                format!("custom resources with entries in {s} that do not match the new value schema are rejected on their next update"),
            ),
            (Some(Values(_)), Some(Allowed(true))) => self.push(
                CrdRule::AdditionalPropertiesWidened,
                &format!("{path}{{*}}"),
                false,
                "map values unconstrained".to_string(),
                Some("a schema".to_string()),
                Some("any value".to_string()),
                String::new(),
            ),
            (Some(Allowed(true)) | Some(Values(_)), None | Some(Allowed(false)))
                if !new.preserve_unknown_fields =>
            {
                    self.push(
                        CrdRule::AdditionalPropertiesNarrowed,
                        path,
                        true,
                        "arbitrary keys no longer accepted".to_string(),
                        Some("additionalProperties".to_string()),
                        Some(if new.properties.is_empty() {
                            "no keys".to_string()
                        } else {
                            "fixed properties".to_string()
                        }),
                        format!("keys in {s} that the schema does not list are pruned from custom resources and rejected by strict clients"),
                    );
            }
            (None | Some(Allowed(false)), Some(Allowed(true)) | Some(Values(_))) => self.push(
                CrdRule::AdditionalPropertiesWidened,
                path,
                false,
                "arbitrary keys accepted".to_string(),
                None,
                Some("additionalProperties".to_string()),
                String::new(),
            ),
            _ => {}
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Bound {
    Lower,
    Upper,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::model::parse_crds;

    fn crd(schema: &str) -> String {
        let indented: String = schema.lines().map(|l| format!("        {l}\n")).collect();
        format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {{name: ws.example.com}}\nspec:\n  group: example.com\n  names: {{kind: W, plural: ws}}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n{indented}"
        )
    }

    fn diff(old: &str, new: &str) -> Vec<String> {
        let o = parse_crds(&crd(old), "old.yaml").unwrap();
        let n = parse_crds(&crd(new), "new.yaml").unwrap();
        diff_crds(&o, &n)
            .iter()
            .map(|c| {
                format!(
                    "{} {} {}{}",
                    c.rule.id(),
                    c.field,
                    if c.breaking { "BREAKING " } else { "" },
                    c.message()
                )
            })
            .collect()
    }

    #[test]
    fn identical_schemas_have_no_changes() {
        let s =
            "type: object\nproperties:\n  spec: {type: object, properties: {a: {type: string}}}";
        assert!(diff(s, s).is_empty());
    }

    #[test]
    fn removed_subtree_is_reported_once() {
        assert_eq!(
            diff(
                "type: object\nproperties:\n  spec:\n    type: object\n    properties:\n      tls: {type: object, properties: {cert: {type: string}, key: {type: string}}}",
                "type: object\nproperties:\n  spec: {type: object}"
            ),
            vec!["crd-field-removed spec.tls BREAKING spec.tls: field removed (was object); manifests that set spec.tls are rejected by strict field validation (kubectl's default), and the value is pruned from custom resources on their next write"]
        );
    }

    #[test]
    fn required_inside_new_optional_parent_is_safe() {
        assert_eq!(
            diff(
                "type: object\nproperties:\n  spec: {type: object}",
                "type: object\nproperties:\n  spec:\n    type: object\n    properties:\n      tls: {type: object, required: [cert], properties: {cert: {type: string}}}"
            ),
            vec!["crd-field-added spec.tls spec.tls: field added (object)"]
        );
    }

    #[test]
    fn bounds_in_both_directions() {
        assert_eq!(
            diff(
                "type: object\nproperties:\n  num: {type: integer, minimum: 1, maximum: 10}\n  s: {type: string, maxLength: 5}",
                "type: object\nproperties:\n  num: {type: integer, minimum: 1, exclusiveMinimum: true, maximum: 20}\n  s: {type: string, minLength: 1}"
            ),
            vec![
                "crd-bounds-tightened num BREAKING num: minimum raised (1 → 1 (exclusive)); custom resources whose num is outside the new bound are rejected on their next update",
                "crd-bounds-relaxed num num: maximum raised (10 → 20)",
                "crd-bounds-tightened s BREAKING s: minLength added (1); custom resources whose s is outside the new bound are rejected on their next update",
                "crd-bounds-relaxed s s: maxLength removed (was 5)",
            ]
        );
    }

    #[test]
    fn map_values_are_compared_under_braces() {
        assert_eq!(
            diff(
                "type: object\nproperties:\n  labels: {type: object, additionalProperties: {type: string}}",
                "type: object\nproperties:\n  labels: {type: object, additionalProperties: {type: string, maxLength: 63}}"
            ),
            vec!["crd-bounds-tightened labels{*} BREAKING labels{*}: maxLength added (63); custom resources whose labels{*} is outside the new bound are rejected on their next update"]
        );
    }
}
