//! The checks of `opm crd diff`: one id per kind of change, named after the change
//! (`crd-field-removed`), whether it breaks existing users, its default level and the
//! remediation `--explain` prints. Declared once, in [`RULES`]; `--list-rules` and the
//! README table come from the same list.
//!
//! A finding's level is, unless configured: `error` when the change is breaking, the rule's
//! `safe_level` otherwise. Most rules are always or never breaking; a few decide per change
//! (a storage-version move breaks only when the old storage version disappears).

use std::collections::HashMap;

use crate::report::Severity;

/// Whether changes of a kind break existing users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breaking {
    Always,
    Never,
    /// Decided per change; the rule's doc says when.
    Depends,
}

/// One check: metadata declared once.
#[derive(Debug, Clone, Copy)]
pub struct CrdRuleMeta {
    pub rule: CrdRule,
    /// Kebab-case id, named after the change.
    pub id: &'static str,
    pub breaking: Breaking,
    /// Level of the check's non-breaking findings.
    pub safe_level: Severity,
    /// One line: what the check reports.
    pub summary: &'static str,
    /// What to do about it (printed with `--explain`).
    pub remediation: &'static str,
}

macro_rules! crd_rules {
    ($( $variant:ident => $id:literal, $breaking:ident, $level:ident, $summary:literal, $remediation:literal; )*) => {
        /// Every kind of change `opm crd diff` reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CrdRule { $( $variant, )* }

        /// All checks, in the order of [`CrdRule`].
        pub static RULES: &[CrdRuleMeta] = &[
            $( CrdRuleMeta {
                rule: CrdRule::$variant,
                id: $id,
                breaking: Breaking::$breaking,
                safe_level: Severity::$level,
                summary: $summary,
                remediation: $remediation,
            }, )*
        ];
    };
}

crd_rules! {
    // Whole CRDs.
    CrdRemoved => "crd-removed", Always, Info,
        "A CRD present on the old side is gone.",
        "Keep shipping the CRD (Helm never deletes CRDs from crds/, but a templated CRD is deleted with its release, and every custom resource with it). If it is really retired, document a migration and remove it in a major release.";
    CrdAdded => "crd-added", Never, Info,
        "A new CRD.",
        "Nothing to do; make sure the chart installs it before anything that uses it.";
    ScopeChanged => "crd-scope-changed", Always, Info,
        "The CRD switched between Namespaced and Cluster scope.",
        "Scope cannot change in place (the API server refuses the update). Create a new CRD (new group or plural), migrate the resources, then retire the old one.";
    NamesChanged => "crd-names-changed", Always, Info,
        "kind, listKind, singular changed, or a shortName/category was removed.",
        "Keep the old names: add new shortNames and categories next to the old ones instead of replacing them; a kind cannot be renamed in place.";
    NamesAdded => "crd-names-added", Never, Info,
        "A shortName or category was added.",
        "Nothing to do.";
    ConversionChanged => "crd-conversion-changed", Depends, Warning,
        "The conversion strategy changed (None ↔ Webhook). Breaking when the new CRD still has several versions: objects are then converted differently (or need a webhook that may not be running).",
        "Keep the conversion webhook as long as more than one version is served or stored; switch strategies only together with a storage migration (kube-storage-version-migrator) and a release that serves a single version.";
    ConversionWebhookChanged => "crd-conversion-webhook-changed", Never, Info,
        "The conversion webhook moved (service, path, port, URL) or accepts other review versions.",
        "Make sure the new webhook endpoint is deployed before the CRD is updated, or conversions fail.";
    PreserveUnknownFieldsRemoved => "crd-preserve-unknown-fields-removed", Always, Info,
        "x-kubernetes-preserve-unknown-fields (or spec.preserveUnknownFields) was removed: unknown fields are now pruned or rejected.",
        "Model every field users set before removing the escape hatch, or keep it on the nodes that hold free-form data.";
    PreserveUnknownFieldsAdded => "crd-preserve-unknown-fields-added", Never, Info,
        "x-kubernetes-preserve-unknown-fields was added: unknown fields are now kept.",
        "Nothing to do.";
    // Versions.
    VersionRemoved => "crd-version-removed", Always, Info,
        "A version was removed from spec.versions.",
        "Stop serving the version first (served: false) for a deprecation period, migrate stored objects to the storage version (kube-storage-version-migrator), remove it from status.storedVersions, and only then drop it.";
    StoredVersionRemoved => "crd-stored-version-removed", Always, Info,
        "A version listed in the live CRD's status.storedVersions was removed: the API server refuses the update.",
        "Migrate the stored objects to the storage version, then remove the version from status.storedVersions (kubectl patch --subresource=status), then remove it from spec.versions.";
    VersionUnserved => "crd-version-unserved", Always, Info,
        "A version went from served: true to served: false.",
        "Deprecate the version first (deprecated: true with a deprecationWarning) for at least one release so clients see warnings, and tell users which version to move to.";
    VersionServed => "crd-version-served", Never, Info,
        "A version that was not served is served again.",
        "Nothing to do.";
    VersionAdded => "crd-version-added", Never, Info,
        "A new version.",
        "If it is the new storage version, keep the old one served, and run a conversion webhook when the schemas differ.";
    VersionDeprecated => "crd-version-deprecated", Never, Warning,
        "A version was marked deprecated.",
        "Tell users which version to move to (deprecationWarning) and when the old one stops being served.";
    StorageVersionChanged => "crd-storage-version-changed", Depends, Warning,
        "The storage version moved. Breaking when the old storage version is no longer in spec.versions: objects stored in it cannot be read.",
        "Keep the old storage version in spec.versions until every stored object was rewritten in the new version (kube-storage-version-migrator) and status.storedVersions no longer lists it.";
    SubresourceRemoved => "crd-subresource-removed", Always, Info,
        "The status or scale subresource was removed, or the scale paths changed.",
        "Keep the subresource: controllers write status through /status, and autoscalers and kubectl scale use /scale.";
    SubresourceAdded => "crd-subresource-added", Never, Info,
        "A status or scale subresource was added.",
        "With a status subresource, updates of the main resource ignore .status: make sure controllers write status through /status.";
    PrinterColumnsChanged => "crd-printer-columns-changed", Never, Info,
        "additionalPrinterColumns changed (kubectl get output).",
        "Nothing to do, unless scripts parse kubectl get output.";
    // Schema fields.
    FieldRemoved => "crd-field-removed", Depends, Warning,
        "A field was removed from the schema. Breaking unless its parent keeps unknown fields (x-kubernetes-preserve-unknown-fields).",
        "Keep the field (mark it deprecated in its description) until a new API version; a removal belongs in a new version with a conversion webhook that maps the old field.";
    FieldAdded => "crd-field-added", Never, Info,
        "An optional field was added.",
        "Nothing to do.";
    RequiredAdded => "crd-required-added", Always, Info,
        "A field became required, or a new required field was added to an existing object.",
        "Give the field a default instead of requiring it, or require it only in a new API version (the conversion webhook fills it in for old objects).";
    RequiredRemoved => "crd-required-removed", Never, Info,
        "A field is no longer required.",
        "Nothing to do; controllers must now cope with the field being absent.";
    TypeChanged => "crd-type-changed", Always, Info,
        "A field's type changed.",
        "Add a new field with the new type and deprecate the old one, or change the type only in a new API version with a conversion webhook.";
    TypeWidened => "crd-type-widened", Never, Info,
        "A field's type constraint was removed (it now accepts any value).",
        "Nothing to do; controllers must cope with other types.";
    DescriptionChanged => "crd-description-changed", Never, Info,
        "A description changed.",
        "Nothing to do.";
    EnumValueRemoved => "crd-enum-value-removed", Always, Info,
        "Values were removed from an enum.",
        "Keep accepting the old values (map them in the controller, or with a CEL transition rule allow them only on objects that already have them) until a new API version.";
    EnumAdded => "crd-enum-added", Always, Info,
        "A field that accepted any value is now limited to an enum.",
        "List every value users may have set, or enforce the enum only for new objects with a transition rule (oldSelf).";
    EnumWidened => "crd-enum-widened", Never, Info,
        "Values were added to an enum, or the enum was dropped.",
        "Nothing to do; older controllers may not understand the new values.";
    BoundsTightened => "crd-bounds-tightened", Always, Info,
        "A minimum/maximum, length, item or property count bound was added or tightened, or multipleOf/uniqueItems added.",
        "Keep the old bounds, or tighten them only for new objects with a CEL transition rule (oldSelf) so existing resources can still be updated.";
    BoundsRelaxed => "crd-bounds-relaxed", Never, Info,
        "A bound was relaxed or removed.",
        "Nothing to do.";
    PatternChanged => "crd-pattern-changed", Always, Info,
        "A pattern was added or changed.",
        "Make sure every value accepted before still matches, or enforce the pattern only for new values with a CEL transition rule.";
    PatternRemoved => "crd-pattern-removed", Never, Info,
        "A pattern was removed.",
        "Nothing to do.";
    FormatChanged => "crd-format-changed", Always, Info,
        "A format was added or changed.",
        "Make sure every value accepted before is valid in the new format.";
    FormatRemoved => "crd-format-removed", Never, Info,
        "A format was removed.",
        "Nothing to do.";
    DefaultChanged => "crd-default-changed", Always, Info,
        "A default was added, changed or removed: objects that omit the field behave differently (defaults are applied when objects are read, too).",
        "Keep the old default; change behaviour only with a new field or a new API version.";
    NullableRemoved => "crd-nullable-removed", Always, Info,
        "nullable: true was removed: explicit nulls are no longer accepted.",
        "Keep nullable: true while clients may send null.";
    NullableAdded => "crd-nullable-added", Never, Info,
        "nullable: true was added.",
        "Nothing to do.";
    IntOrStringRemoved => "crd-int-or-string-removed", Always, Info,
        "x-kubernetes-int-or-string was removed: one of integer or string is now rejected.",
        "Keep accepting both forms.";
    IntOrStringAdded => "crd-int-or-string-added", Never, Info,
        "x-kubernetes-int-or-string was added: both integers and strings are accepted.",
        "Nothing to do; controllers must handle both forms.";
    EmbeddedResourceChanged => "crd-embedded-resource-changed", Always, Info,
        "x-kubernetes-embedded-resource changed: embedded objects are validated differently (apiVersion/kind/metadata).",
        "Keep the flag as it was.";
    ValidationRuleChanged => "crd-validation-rule-changed", Always, Info,
        "An x-kubernetes-validations rule was added or changed.",
        "Test the new rule against existing resources; for new constraints use a transition rule (oldSelf) so objects that exist keep validating.";
    ValidationRuleRemoved => "crd-validation-rule-removed", Never, Info,
        "An x-kubernetes-validations rule was removed.",
        "Nothing to do.";
    ValidationMessageChanged => "crd-validation-message-changed", Never, Info,
        "The message, reason or fieldPath of a validation rule changed.",
        "Nothing to do.";
    ValueValidationChanged => "crd-value-validation-changed", Always, Info,
        "allOf/anyOf/oneOf/not value validations were added or changed.",
        "Make sure every object accepted before still passes.";
    ValueValidationRemoved => "crd-value-validation-removed", Never, Info,
        "allOf/anyOf/oneOf/not value validations were removed.",
        "Nothing to do.";
    ListTypeChanged => "crd-list-type-changed", Always, Info,
        "x-kubernetes-list-type or x-kubernetes-list-map-keys changed: server-side apply merges the list differently and uniqueness rules change.",
        "Keep the list type; changing it needs a new field or API version.";
    MapTypeChanged => "crd-map-type-changed", Always, Info,
        "x-kubernetes-map-type changed: server-side apply merges the object differently.",
        "Keep the map type.";
    AdditionalPropertiesNarrowed => "crd-additional-properties-narrowed", Always, Info,
        "A map (additionalProperties) no longer accepts arbitrary keys, or its values are now constrained.",
        "Keep additionalProperties as it was, or add the keys users set as explicit properties.";
    AdditionalPropertiesWidened => "crd-additional-properties-widened", Never, Info,
        "A node now accepts arbitrary keys.",
        "Nothing to do.";
}

/// Where a check's documentation lives (the same site as the lint rules').
pub const DOCS_BASE: &str = "https://kubectl-opm.dev/rules/";

/// The documentation page of a check.
pub fn docs_url(id: &str) -> String {
    format!("{DOCS_BASE}{id}")
}

impl CrdRule {
    pub fn meta(self) -> &'static CrdRuleMeta {
        // The table is generated in enum order, so the discriminant is the index.
        &RULES[self as usize]
    }

    pub fn id(self) -> &'static str {
        self.meta().id
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<CrdRule> {
        RULES.iter().find(|m| m.id == id).map(|m| m.rule)
    }
}

/// Configured levels: `None` turns a rule off.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Levels {
    overrides: HashMap<CrdRule, Option<Severity>>,
}

impl Levels {
    /// Set a rule's level from text (`off`, `info`, `warning`, `error`). Later settings win.
    pub fn set(&mut self, id: &str, level: &str) -> Result<(), String> {
        let rule = CrdRule::from_id(id).ok_or_else(|| {
            format!("unknown crd diff check {id:?} (kubectl opm crd diff --list-rules shows them)")
        })?;
        let severity = match level {
            "off" => None,
            other => Some(Severity::parse(other).ok_or_else(|| {
                format!("level of {id} must be off, info, warning or error, not {other:?}")
            })?),
        };
        self.overrides.insert(rule, severity);
        Ok(())
    }

    /// Parse `--level id=level`.
    pub fn set_flag(&mut self, flag: &str) -> Result<(), String> {
        let (id, level) = flag
            .split_once('=')
            .ok_or_else(|| format!("--level {flag:?}: expected RULE=off|info|warning|error"))?;
        self.set(id.trim(), level.trim())
    }

    /// The level of a finding of `rule`; `None` when the rule is off.
    pub fn severity(&self, rule: CrdRule, breaking: bool) -> Option<Severity> {
        match self.overrides.get(&rule) {
            Some(level) => *level,
            None if breaking => Some(Severity::Error),
            None => Some(rule.meta().safe_level),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_enum_order_with_unique_kebab_ids() {
        let mut seen = std::collections::HashSet::new();
        for (i, meta) in RULES.iter().enumerate() {
            assert_eq!(meta.rule as usize, i, "{}", meta.id);
            assert!(seen.insert(meta.id), "duplicate id {}", meta.id);
            assert!(meta.id.starts_with("crd-"));
            assert!(meta.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            assert!(!meta.summary.is_empty() && !meta.remediation.is_empty());
            assert_eq!(CrdRule::from_id(meta.id), Some(meta.rule));
            // Breaking findings are errors by default; safe ones never are.
            assert_ne!(meta.safe_level, Severity::Error, "{}", meta.id);
        }
    }

    #[test]
    fn levels_default_and_override() {
        let mut levels = Levels::default();
        assert_eq!(
            levels.severity(CrdRule::FieldRemoved, true),
            Some(Severity::Error)
        );
        assert_eq!(
            levels.severity(CrdRule::FieldRemoved, false),
            Some(Severity::Warning)
        );
        assert_eq!(
            levels.severity(CrdRule::FieldAdded, false),
            Some(Severity::Info)
        );
        levels.set_flag("crd-field-removed=off").unwrap();
        levels.set_flag("crd-field-added = warning").unwrap();
        assert_eq!(levels.severity(CrdRule::FieldRemoved, true), None);
        assert_eq!(
            levels.severity(CrdRule::FieldAdded, false),
            Some(Severity::Warning)
        );
        assert_eq!(
            levels.set_flag("crd-nope=off").unwrap_err(),
            "unknown crd diff check \"crd-nope\" (kubectl opm crd diff --list-rules shows them)"
        );
        assert_eq!(
            levels.set_flag("crd-field-added=loud").unwrap_err(),
            "level of crd-field-added must be off, info, warning or error, not \"loud\""
        );
        assert_eq!(
            levels.set_flag("crd-field-added").unwrap_err(),
            "--level \"crd-field-added\": expected RULE=off|info|warning|error"
        );
    }
}
