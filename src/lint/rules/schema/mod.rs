//! Schema validation as lint rules: every rendered object against the Kubernetes schemas
//! of the target version and custom resources against the chart's CRDs (with their CEL
//! rules). The validation runs once per render ([`crate::lint::schema`]); each rule here
//! reports its own kind of finding.

pub mod api_version_unavailable;
pub mod cel_rule_invalid;
pub mod cel_rule_not_evaluated;
pub mod cel_rule_violated;
pub mod crd_schema_invalid;
pub mod crd_schema_not_structural;
pub mod crd_version_not_served;
pub mod schema_invalid;
pub mod schema_missing;
pub mod schema_required_missing;
pub mod schema_type_mismatch;
pub mod schema_unknown_field;
