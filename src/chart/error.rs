//! Errors of chart loading, dependency processing, values and schema validation.
//!
//! Messages follow Helm's wording (so users can search for them) but always name the file or
//! chart involved.

use std::path::PathBuf;

/// Failure to load or prepare a chart.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The chart path does not exist.
    #[error("chart \"{}\" not found: path does not exist", path.display())]
    NotFound { path: PathBuf },
    /// Reading a file or directory failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A `.tgz` chart archive is malformed or unsafe.
    #[error("{}: {message}", path.display())]
    Archive { path: PathBuf, message: String },
    /// A chart file (Chart.yaml, values.yaml, requirements.yaml, …) is not valid YAML or has
    /// the wrong shape.
    #[error("cannot load {file}: {message}")]
    File { file: String, message: String },
    /// A `.helmignore` rule cannot be parsed.
    #[error("{file}:{line}: {message}")]
    Ignore {
        file: String,
        line: usize,
        message: String,
    },
    /// Chart.yaml is absent.
    #[error("{}: Chart.yaml file is missing", path.display())]
    MissingChartYaml { path: PathBuf },
    /// Chart.yaml fails Helm's metadata validation.
    #[error("{}: validation: {message}", path.display())]
    Validation { path: PathBuf, message: String },
    /// A subchart under `charts/` failed to load.
    #[error("error unpacking subchart {name} in {parent}: {source}")]
    Subchart {
        name: String,
        parent: String,
        #[source]
        source: Box<ChartError>,
    },
    /// Dependencies declared in Chart.yaml are not vendored under `charts/`.
    #[error("found in Chart.yaml, but missing in charts/ directory: {}", names.join(", "))]
    MissingDependencies { names: Vec<String> },
    /// Values have a type that makes coalescing impossible (a subchart's values are not a map).
    #[error("type mismatch on {key}: expected a map of values, got {got}")]
    TypeMismatch { key: String, got: String },
    /// values.schema.json rejected the values (the message lists every failing chart).
    #[error("values don't meet the specifications of the schema(s) in the following chart(s):\n{message}")]
    Schema { message: String },
}

/// Failure to build user values from `-f` files and `--set*` flags.
#[derive(Debug, thiserror::Error)]
pub enum ValuesError {
    /// A `--set`-family expression cannot be parsed; the message is Helm's strvals wording
    /// (`key "a" has no value`). Callers prefix it with the flag, as Helm does
    /// (`failed parsing --set data: …`); [`ValuesError::Flag`] does that.
    #[error("{message}")]
    Set { flag: &'static str, message: String },
    /// `--set-json` data is not valid JSON (Helm shows only the expression; we add why).
    #[error("{expr}: {message}")]
    Json { expr: String, message: String },
    /// An error of one `--set*` flag, with Helm's `failed parsing <flag> data:` prefix.
    #[error("failed parsing {flag} data: {source}")]
    Flag {
        flag: &'static str,
        #[source]
        source: Box<ValuesError>,
    },
    /// A values file or `--set-file` file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A values file is not valid YAML or not a map.
    #[error("failed to parse {file}: {message}")]
    Parse { file: String, message: String },
}
