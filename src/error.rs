//! The one error type commands return, and its exit code (see DESIGN.md "Contracts"):
//! 2 for bad input or usage, 3 for the environment. Findings (exit 1) are results, not errors.

use std::path::PathBuf;

use crate::chart::ChartError;

use crate::render::RenderError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("{0}")]
    Render(#[from] RenderError),
    /// A render error with the offending template line shown under it.
    #[error("{error}\n{frame}")]
    RenderFrame { error: RenderError, frame: String },
    /// Rendered output that is not valid YAML. `rendered` holds every rendered file, which
    /// `render --debug` prints (as `helm template --debug` does).
    #[error("{error}\n\nUse --debug flag to render out invalid YAML")]
    RenderedYaml {
        error: RenderError,
        rendered: String,
    },
    /// A values file (`-f`) or `--set*` flag that cannot be read or parsed.
    #[error(transparent)]
    Values(#[from] crate::chart::ValuesError),
    /// A lint run that could not run (bad chart, manifest or config).
    #[error(transparent)]
    Lint(Box<crate::lint::run::LintError>),
    /// A flag value that makes no sense (`--kube-version banana`, bad `--set`).
    #[error("{0}")]
    Usage(String),
    /// The environment stopped a command (a cluster, helm or the rollout lock): exit 3.
    #[error("{0}")]
    Environment(String),
    /// CRDs that cannot be read or compared (`crd diff`).
    #[error(transparent)]
    Crd(#[from] crate::crd::CrdError),
    /// `opm create` could not scaffold the chart.
    #[error(transparent)]
    Scaffold(#[from] crate::scaffold::ScaffoldError),
    /// `opm values-doc` could not document the values or update the README.
    #[error(transparent)]
    ValuesDoc(#[from] crate::valuesdoc::ValuesDocError),
    /// A file we had to write could not be written (`--output-dir`).
    /// A rollout plan that cannot be used (`rollout …`): exit 2, nothing touched.
    #[error(transparent)]
    Plan(#[from] crate::rollout::plan::PlanError),
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A cluster could not be used (unreachable, unknown context, forbidden, bad kubeconfig).
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    /// Telemetry that cannot be set up (a bad `OTEL_*` or `RUST_LOG` value): exit 2.
    #[error(transparent)]
    Telemetry(#[from] crate::telemetry::TelemetryError),
    /// A rollout could not connect its clusters, find helm or read the chart's CRDs.
    #[error(transparent)]
    RolloutConnect(Box<crate::rollout::live::ConnectError>),
}

impl From<crate::lint::run::LintError> for Error {
    fn from(e: crate::lint::run::LintError) -> Self {
        Error::Lint(Box::new(e))
    }
}

impl From<crate::rollout::live::ConnectError> for Error {
    fn from(e: crate::rollout::live::ConnectError) -> Self {
        Error::RolloutConnect(Box::new(e))
    }
}

impl Error {
    /// Process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Write { .. } => 3,
            Error::Crd(e) => e.exit_code(),
            Error::Scaffold(e) => e.exit_code(),
            Error::ValuesDoc(crate::valuesdoc::ValuesDocError::Write { .. }) => 3,
            Error::Cluster(e) => e.exit_code(),
            Error::RolloutConnect(e) => e.exit_code(),
            Error::Environment(_) => 3,
            _ => 2,
        }
    }
}

/// A source frame for `line` of `source` (rustc style): file:line, the line, a gutter.
pub fn source_frame(
    file: &str,
    source: &str,
    line: usize,
    column: Option<usize>,
) -> Option<String> {
    let text = source.lines().nth(line.checked_sub(1)?)?;
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    let mut out = match column {
        Some(col) => format!("{pad}--> {file}:{line}:{col}\n"),
        None => format!("{pad}--> {file}:{line}\n"),
    };
    out.push_str(&format!("{pad} |\n{number} | {text}\n"));
    if let Some(col) = column {
        let caret_pad: String = text
            .chars()
            .take(col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!("{pad} | {caret_pad}^\n"));
    } else {
        out.push_str(&format!("{pad} |\n"));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ClusterError;

    #[test]
    fn cluster_errors_keep_their_exit_codes() {
        let unknown = Error::from(ClusterError::ContextNotFound {
            context: "prod".into(),
            known: vec!["dev".into()],
        });
        assert_eq!(unknown.exit_code(), 3);
        assert_eq!(
            unknown.to_string(),
            "context \"prod\" does not exist in the kubeconfig; known contexts: dev"
        );
        let bad = Error::from(ClusterError::InvalidArgument(
            "--parallel must be at least 1".into(),
        ));
        assert_eq!(bad.exit_code(), 2);
    }
}
