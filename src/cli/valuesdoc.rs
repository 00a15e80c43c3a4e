//! `kubectl opm values-doc CHART`: the values table of a chart, printed or kept current in
//! a README (see `crate::valuesdoc`).

use std::path::PathBuf;

use crate::error::Error;
use crate::valuesdoc::{self, ReadmeCheck, ValuesDocError};

#[derive(Debug, clap::Args)]
#[command(
    about = "Print a chart's values table, or check/update the one in its README",
    long_about = "Document every key of a chart's values.yaml: dotted key, type, default and \
the description from the comments above it (helm-docs' `# --` convention or plain comments; \
`# @default -- text` overrides the default). With --check or --write, the table lives in a \
README between the lines <!-- kubectl-opm:values-doc:start --> and \
<!-- kubectl-opm:values-doc:end -->.",
    after_help = "Examples:\n  kubectl opm values-doc ./charts/my-operator\n  kubectl opm values-doc ./charts/my-operator --check ./charts/my-operator/README.md\n  kubectl opm values-doc . --write README.md"
)]
pub struct ValuesDocArgs {
    /// Chart directory.
    #[arg(value_name = "CHART")]
    pub chart: PathBuf,
    /// Exit 1 with a short diff when the table in FILE is not current.
    #[arg(long, value_name = "FILE", conflicts_with = "write")]
    pub check: Option<PathBuf>,
    /// Replace the table in FILE with the current one.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Output format of the table.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Markdown)]
    pub output: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

/// Run `values-doc`; 0 when printed, written or current, 1 when `--check` finds it stale.
pub fn run(args: ValuesDocArgs) -> Result<i32, Error> {
    let rows = valuesdoc::document_chart(&args.chart)?;
    let table = valuesdoc::render_markdown(&rows);
    if let Some(path) = &args.check {
        let readme = read(path)?;
        return match valuesdoc::check_readme(&readme, path, &table)? {
            ReadmeCheck::Current => Ok(0),
            ReadmeCheck::Stale { diff } => {
                eprint!(
                    "{}: the values table is stale; run `kubectl opm values-doc {} --write {}`\n{diff}",
                    path.display(),
                    args.chart.display(),
                    path.display()
                );
                Ok(1)
            }
        };
    }
    if let Some(path) = &args.write {
        let readme = read(path)?;
        let updated = valuesdoc::update_readme(&readme, path, &table)?;
        if updated != readme {
            std::fs::write(path, updated).map_err(|source| ValuesDocError::Write {
                path: path.clone(),
                source,
            })?;
        }
        return Ok(0);
    }
    let text = match args.output {
        Format::Markdown => table,
        Format::Json => valuesdoc::render_json(&rows),
    };
    super::write_stdout(text.as_bytes());
    Ok(0)
}

fn read(path: &std::path::Path) -> Result<String, ValuesDocError> {
    std::fs::read_to_string(path).map_err(|source| ValuesDocError::Read {
        path: path.to_path_buf(),
        source,
    })
}
