//! Command-line definitions (clap) and wiring to the library. No logic beyond that.

mod completion;
mod crd;
mod crd_live;
mod create;
mod diff;
mod lint;
mod render;
mod rollout;
mod rollout_run;
pub mod schema;
mod status;
pub mod validate;
mod values;
mod valuesdoc;

pub use render::format_error;

use std::io::Write;

use clap::{Parser, Subcommand};

use crate::error::Error;

/// Render, lint, validate, diff and roll out Kubernetes operator Helm charts.
///
/// Works as a kubectl plugin (`kubectl opm …`), a Helm plugin (`helm opm …`) and a
/// standalone binary in CI and pre-commit hooks.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-opm",
    bin_name = "kubectl-opm",
    version,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Clap argument structs are built once per process; boxing them buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a chart like `helm template`, without a helm binary.
    Render(Box<render::RenderArgs>),
    /// Lint operator charts and manifests with operator-aware rules.
    Lint(lint::LintArgs),
    /// CustomResourceDefinitions: `crd diff` classifies schema changes as breaking or safe.
    Crd(Box<crd::CrdArgs>),
    /// Validate manifests against Kubernetes schemas, CRDs and their CEL rules.
    Validate(validate::ValidateArgs),
    /// Print the version of kubectl-opm and the Helm version it renders like.
    Version(VersionArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish, kubectl).
    Completion(completion::CompletionArgs),
    /// Print JSON Schemas of kubectl-opm's own files (`schema config`: `.opm.yaml`).
    Schema(schema::SchemaArgs),
    /// Cobra's completion protocol, called by `kubectl_complete-opm` and Helm's
    /// `plugin.complete`: candidates for the words after the program name.
    #[command(name = "__complete", hide = true)]
    Complete(completion::CompleteArgs),
    /// `__complete` without descriptions (cobra's other entry point).
    #[command(name = "__completeNoDesc", hide = true)]
    CompleteNoDesc(completion::CompleteArgs),
    /// Create an operator chart that passes every lint rule from the start.
    Create(create::CreateArgs),
    /// Print a chart's values table, or check/update the one in its README.
    ValuesDoc(valuesdoc::ValuesDocArgs),
    /// Progressive rollouts across kube contexts (`rollout plan`: validate and dry-run a plan).
    Rollout(rollout::RolloutArgs),
    /// What is deployed where: releases, CRD versions, controller pods, webhooks, rollouts.
    Status(Box<status::StatusArgs>),
    /// Compare a chart with what is deployed (`diff upgrade RELEASE CHART`).
    Diff(diff::DiffArgs),
    /// Emit one simulated rollout's logs, spans and metrics (checks the telemetry wiring).
    #[command(name = "__telemetry-selftest", hide = true)]
    TelemetrySelftest(crate::telemetry::selftest::SelftestArgs),
}

#[derive(Debug, clap::Args)]
pub struct VersionArgs {
    /// Print only the version number.
    #[arg(long)]
    pub short: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = VersionFormat::Text)]
    pub output: VersionFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum VersionFormat {
    Text,
    Json,
}

/// Parse the process arguments. `render` is by far the most frequent command (pre-commit
/// hooks, CI over many charts) and its whole run takes a few milliseconds, so for it only
/// the `render` subcommand is built: building every subcommand's arguments costs about as
/// much as rendering a small chart. Anything that is not a clean parse there (help,
/// version, an error) goes through the full definition, so all output is the same.
pub fn parse() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "render") {
        if let Some(cli) = parse_render(&args) {
            return cli;
        }
    }
    Cli::parse_from(args)
}

fn parse_render(args: &[std::ffi::OsString]) -> Option<Cli> {
    use clap::{Args, FromArgMatches};
    let render = render::RenderArgs::augment_args(clap::Command::new("render"));
    let command = clap::Command::new("kubectl-opm")
        .bin_name("kubectl-opm")
        .subcommand(render);
    let matches = command.try_get_matches_from(args).ok()?;
    let (_, sub) = matches.subcommand()?;
    let args = render::RenderArgs::from_arg_matches(sub).ok()?;
    Some(Cli {
        command: Command::Render(Box::new(args)),
    })
}

/// Run the parsed command; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Render(args) => render::run(*args),
        Command::Lint(args) => lint::run(args),
        Command::Crd(args) => crd::run(*args),
        Command::Validate(args) => validate::run(args),
        Command::Status(args) => status::run(*args),
        Command::Diff(args) => diff::run(args),
        Command::Version(args) => {
            let version = env!("CARGO_PKG_VERSION");
            let helm = crate::render::capabilities::HELM_VERSION;
            let text = match (args.output, args.short) {
                (VersionFormat::Json, _) => format!(
                    "{}\n",
                    serde_json::json!({"version": version, "helmCompatibility": helm})
                ),
                (VersionFormat::Text, true) => format!("{version}\n"),
                (VersionFormat::Text, false) => {
                    format!("kubectl-opm {version} (renders like Helm {helm})\n")
                }
            };
            write_stdout(text.as_bytes());
            Ok(0)
        }
        Command::Schema(args) => schema::run(args),
        Command::Completion(args) => completion::run(args),
        Command::Complete(args) => completion::run_complete(args, true),
        Command::CompleteNoDesc(args) => completion::run_complete(args, false),
        Command::Create(args) => create::run(args),
        Command::ValuesDoc(args) => valuesdoc::run(args),
        Command::Rollout(args) => rollout::run(args),
        Command::TelemetrySelftest(args) => crate::telemetry::selftest::run(args),
    }
}

/// Write to stdout, ignoring a closed pipe (`kubectl opm render … | head`).
pub(crate) fn write_stdout(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes);
    let _ = stdout.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<std::ffi::OsString> {
        args.iter().map(Into::into).collect()
    }

    #[test]
    fn render_only_parse_matches_the_full_definition() {
        let cases: &[&[&str]] = &[
            &["kubectl-opm", "render", "chart"],
            &[
                "kubectl-opm",
                "render",
                "rel",
                "chart",
                "-n",
                "ns",
                "--kube-version",
                "1.30.0",
            ],
            &[
                "kubectl-opm",
                "render",
                "chart",
                "-f",
                "a.yaml",
                "--values",
                "b.yaml",
                "--set",
                "a=b,c=d",
                "--set-string",
                "x=1",
                "--set-json",
                "j={}",
                "--set-literal",
                "l=,",
                "--set-file",
                "f=x.txt",
                "-a",
                "x/v1",
                "--api-versions",
                "y/v1",
                "--include-crds",
                "--skip-tests",
                "--no-hooks",
                "--is-upgrade",
                "-s",
                "templates/a.yaml",
                "-o",
                "json",
            ],
            &["kubectl-opm", "render", "chart", "--values-matrix"],
            &["kubectl-opm", "render", "chart", "--output-dir", "out"],
        ];
        for args in cases {
            let quick = parse_render(&os(args)).expect("clean parse");
            let full = Cli::try_parse_from(os(args)).expect("clean parse");
            assert_eq!(format!("{quick:?}"), format!("{full:?}"), "{args:?}");
        }
    }

    #[test]
    fn render_only_parse_leaves_help_and_errors_to_the_full_definition() {
        for args in [
            &["kubectl-opm", "render", "--help"][..],
            &["kubectl-opm", "render", "--version"],
            &["kubectl-opm", "render"],
            &["kubectl-opm", "render", "chart", "--bogus"],
            &["kubectl-opm", "render", "a", "b", "c"],
        ] {
            assert!(parse_render(&os(args)).is_none(), "{args:?}");
            assert!(Cli::try_parse_from(os(args)).is_err(), "{args:?}");
        }
    }
}
