//! The rule registry: every lint rule, one file per rule under `<family>/<rule_id>.rs`.
//!
//! Each rule file declares its metadata once with [`declare_rule!`] — id, family, default
//! severity, one-line summary and the Markdown doc (`## What it does`, `## Why is this bad?`,
//! `## Example`, `## Fix`) that `--explain` prints — and a `check` function. [`all`] is the
//! one list that `--list-rules`, `--explain`, the README table and the tests walk.

/// Declare a rule: a unit struct whose doc is the rule's documentation, its `META`, and the
/// `Rule` impl that forwards to the file's `check` function.
macro_rules! declare_rule {
    (
        $name:ident {
            id: $id:literal,
            family: $family:literal,
            severity: $severity:ident,
            summary: $summary:literal,
            doc: $doc:literal $(,)?
        }
    ) => {
        #[doc = $doc]
        pub struct $name;

        pub static META: $crate::lint::RuleMeta = $crate::lint::RuleMeta {
            id: $id,
            family: $family,
            severity: $crate::report::Severity::$severity,
            summary: $summary,
            doc: $doc,
        };

        impl $crate::lint::Rule for $name {
            fn meta(&self) -> &'static $crate::lint::RuleMeta {
                &META
            }

            fn check(&self, ctx: &$crate::lint::Context<'_>, out: &mut Vec<$crate::lint::Finding>) {
                check(ctx, out)
            }
        }
    };
}

pub mod config;
pub mod crds;
pub mod deprecations;
pub mod images;
pub mod leader_election;
pub mod monitoring;
pub mod network;
pub mod pdb;
pub mod probes;
pub mod rbac;
pub mod resources;
pub mod scaling;
pub mod schema;
pub mod security;
pub mod util;
pub mod webhooks;
pub mod workloads;

use crate::lint::Rule;

/// Every rule, grouped by family.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
        // crds
        &crds::crd_toggle_missing::CrdToggleMissing,
        &crds::crd_toggle_ineffective::CrdToggleIneffective,
        &crds::crd_keep_toggle_ineffective::CrdKeepToggleIneffective,
        &crds::crd_missing_keep_policy::CrdMissingKeepPolicy,
        &crds::crds_dir_not_upgraded::CrdsDirNotUpgraded,
        &crds::crd_storage_version_invalid::CrdStorageVersionInvalid,
        &crds::crd_name_mismatch::CrdNameMismatch,
        &crds::crd_installed_as_hook::CrdInstalledAsHook,
        // rbac
        &rbac::rbac_wildcard_verbs::RbacWildcardVerbs,
        &rbac::rbac_wildcard_resources::RbacWildcardResources,
        &rbac::rbac_wildcard_api_groups::RbacWildcardApiGroups,
        &rbac::rbac_secrets_cluster_wide::RbacSecretsClusterWide,
        &rbac::rbac_escalation_verbs::RbacEscalationVerbs,
        &rbac::rbac_binds_cluster_admin::RbacBindsClusterAdmin,
        &rbac::rbac_clusterrole_where_role_suffices::RbacClusterroleWhereRoleSuffices,
        &rbac::rbac_binding_missing_role::RbacBindingMissingRole,
        &rbac::rbac_subject_missing_serviceaccount::RbacSubjectMissingServiceaccount,
        &rbac::serviceaccount_missing::ServiceaccountMissing,
        &rbac::rbac_toggle_leaves_missing_serviceaccount::RbacToggleLeavesMissingServiceaccount,
        // pdb
        &pdb::pdb_selects_nothing::PdbSelectsNothing,
        &pdb::pdb_selects_multiple_workloads::PdbSelectsMultipleWorkloads,
        &pdb::pdb_blocks_eviction::PdbBlocksEviction,
        &pdb::pdb_single_replica::PdbSingleReplica,
        &pdb::pdb_invalid_budget::PdbInvalidBudget,
        // monitoring
        &monitoring::servicemonitor_selects_nothing::ServicemonitorSelectsNothing,
        &monitoring::servicemonitor_namespace_selector_mismatch::ServicemonitorNamespaceSelectorMismatch,
        &monitoring::servicemonitor_port_not_found::ServicemonitorPortNotFound,
        &monitoring::podmonitor_selects_nothing::PodmonitorSelectsNothing,
        &monitoring::podmonitor_port_not_found::PodmonitorPortNotFound,
        &monitoring::prometheusrule_invalid_expr::PrometheusruleInvalidExpr,
        &monitoring::prometheusrule_missing_labels::PrometheusruleMissingLabels,
        &monitoring::servicemonitor_not_capability_guarded::ServicemonitorNotCapabilityGuarded,
        // webhooks
        &webhooks::webhook_service_missing::WebhookServiceMissing,
        &webhooks::webhook_service_port_missing::WebhookServicePortMissing,
        &webhooks::webhook_missing_ca_bundle::WebhookMissingCaBundle,
        &webhooks::webhook_certificate_missing::WebhookCertificateMissing,
        &webhooks::webhook_fail_policy_single_replica::WebhookFailPolicySingleReplica,
        &webhooks::webhook_timeout_too_high::WebhookTimeoutTooHigh,
        &webhooks::webhook_catches_kube_system::WebhookCatchesKubeSystem,
        // security
        &security::container_runs_as_root::ContainerRunsAsRoot,
        &security::container_privilege_escalation_allowed::ContainerPrivilegeEscalationAllowed,
        &security::container_capabilities_not_dropped::ContainerCapabilitiesNotDropped,
        &security::container_capabilities_added::ContainerCapabilitiesAdded,
        &security::seccomp_profile_missing::SeccompProfileMissing,
        &security::container_writable_root_filesystem::ContainerWritableRootFilesystem,
        &security::container_privileged::ContainerPrivileged,
        &security::pod_host_path_volume::PodHostPathVolume,
        &security::pod_host_namespaces::PodHostNamespaces,
        // probes
        &probes::probe_missing::ProbeMissing,
        &probes::probe_identical::ProbeIdentical,
        &probes::probe_port_not_found::ProbePortNotFound,
        // resources
        &resources::container_requests_missing::ContainerRequestsMissing,
        &resources::container_memory_limit_missing::ContainerMemoryLimitMissing,
        &resources::resources_limit_below_request::ResourcesLimitBelowRequest,
        // images
        &images::image_tag_latest::ImageTagLatest,
        &images::image_invalid_reference::ImageInvalidReference,
        &images::image_pull_policy_invalid::ImagePullPolicyInvalid,
        &images::image_pull_policy_never::ImagePullPolicyNever,
        // leader election
        &leader_election::leader_election_missing::LeaderElectionMissing,
        &leader_election::leader_election_rbac_missing::LeaderElectionRbacMissing,
        // network
        &network::service_selects_nothing::ServiceSelectsNothing,
        &network::service_target_port_not_found::ServiceTargetPortNotFound,
        &network::networkpolicy_missing::NetworkpolicyMissing,
        &network::networkpolicy_selects_nothing::NetworkpolicySelectsNothing,
        // scaling
        &scaling::hpa_with_fixed_replicas::HpaWithFixedReplicas,
        &scaling::hpa_target_missing::HpaTargetMissing,
        &scaling::hpa_invalid_range::HpaInvalidRange,
        // config
        &config::config_checksum_missing::ConfigChecksumMissing,
        // deprecations
        &deprecations::removed_api_version::RemovedApiVersion,
        &deprecations::deprecated_api_version::DeprecatedApiVersion,
        // workloads
        &workloads::workload_selector_mismatch::WorkloadSelectorMismatch,
        &workloads::duplicate_object::DuplicateObject,
        &workloads::statefulset_pvc_deleted_on_scale_or_delete::StatefulsetPvcDeletedOnScaleOrDelete,
        &workloads::statefulset_pvc_retention_missing::StatefulsetPvcRetentionMissing,
        // schema
        &schema::schema_type_mismatch::SchemaTypeMismatch,
        &schema::schema_unknown_field::SchemaUnknownField,
        &schema::schema_required_missing::SchemaRequiredMissing,
        &schema::schema_invalid::SchemaInvalid,
        &schema::schema_missing::SchemaMissing,
        &schema::cel_rule_violated::CelRuleViolated,
        &schema::cel_rule_not_evaluated::CelRuleNotEvaluated,
        &schema::cel_rule_invalid::CelRuleInvalid,
        &schema::crd_schema_not_structural::CrdSchemaNotStructural,
        &schema::crd_schema_invalid::CrdSchemaInvalid,
        &schema::crd_version_not_served::CrdVersionNotServed,
        &schema::api_version_unavailable::ApiVersionUnavailable,
    ]
}

/// Look a rule up by id.
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    all().into_iter().find(|r| r.meta().id == id)
}
