//! CustomResourceDefinitions: the model (versions and their structural schema trees), the
//! diff between two sets of CRDs, and the classification of each change as breaking or
//! safe, with the impact and remediation text `opm crd diff` prints.
//!
//! Flow: CRD sources (files, directories, charts) → [`model::Crd`] (validated: every served
//! version has a structural schema) → [`diff::diff_crds`] → [`diff::Change`]s → with the
//! rule levels of [`rules::Levels`] applied, [`crate::report::Diagnostic`]s.

pub mod command;
pub mod config;
pub mod diff;
pub mod model;
pub mod rules;
pub mod source;
mod structural;

pub use diff::{diff_crds, Change};
pub use model::{parse_crds, Crd, CrdVersion, Schema};
pub use rules::{CrdRule, Levels};

/// Why a set of CRDs could not be read. Every variant names the input it comes from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrdError {
    /// A file or directory that cannot be read.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// Broken YAML.
    #[error(transparent)]
    Yaml(#[from] crate::yaml::YamlError),
    /// An input that holds no CustomResourceDefinition at all.
    #[error("{source_name}: no CustomResourceDefinition found{detail}")]
    NoCrds { source_name: String, detail: String },
    /// A document that claims to be a CRD but is not a valid one (no name, no versions, …).
    #[error("{file}: CustomResourceDefinition {crd}: {message}")]
    Invalid {
        file: String,
        crd: String,
        message: String,
    },
    /// A version without `schema.openAPIV3Schema`: nothing to compare.
    #[error("{file}: CustomResourceDefinition {crd} version {version} has no schema (spec.versions[].schema.openAPIV3Schema); a diff needs one for every version")]
    MissingSchema {
        file: String,
        crd: String,
        version: String,
    },
    /// A schema that is not structural (Kubernetes refuses such CRDs in apiextensions/v1).
    #[error("{file}: CustomResourceDefinition {crd} version {version}: schema is not structural at {path}: {reason}")]
    NonStructural {
        file: String,
        crd: String,
        version: String,
        /// Dotted path of the offending schema node (`<root>` for the root).
        path: String,
        reason: String,
    },
    /// The same CRD defined twice on one side.
    #[error("{source_name}: CustomResourceDefinition {crd} is defined more than once")]
    Duplicate { source_name: String, crd: String },
    /// A `git:REF:path` input that git cannot resolve.
    #[error("{spec}: {message}")]
    Git { spec: String, message: String },
    /// A chart input that cannot be loaded or rendered.
    #[error("{source_name}: {message}")]
    Chart {
        source_name: String,
        message: String,
    },
    /// A configuration problem (`.opm.yaml`, `--level`).
    #[error("{0}")]
    Config(String),
    /// Something outside the input failed (git is not installed).
    #[error("{0}")]
    Environment(String),
}

impl CrdError {
    /// Process exit code: 3 for the environment, 2 for bad input.
    pub fn exit_code(&self) -> i32 {
        match self {
            CrdError::Environment(_) => 3,
            _ => 2,
        }
    }
}
