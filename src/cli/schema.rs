//! `kubectl opm schema …`: print the JSON Schemas of the files kubectl-opm reads, so editors
//! (and CI) can validate them. `schema config` is the schema of `.opm.yaml`.

use crate::error::Error;

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    #[command(subcommand)]
    pub command: SchemaCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SchemaCommand {
    /// The JSON Schema of `.opm.yaml` (lint rules, exclusions, failOn, values matrix,
    /// kube version, crdDiff check levels).
    Config(SchemaOutputArgs),
    /// The JSON Schema of the rollout plan file (`opm-rollout.yaml`).
    Plan(SchemaOutputArgs),
}

#[derive(Debug, clap::Args)]
pub struct SchemaOutputArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = SchemaFormat::Json)]
    pub output: SchemaFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaFormat {
    Json,
    Yaml,
}

/// Run `schema …`; always exit 0 (the schemas are built in).
pub fn run(args: SchemaArgs) -> Result<i32, Error> {
    let (schema, output) = match args.command {
        SchemaCommand::Config(out) => (crate::lint::config::config_schema_value(), out.output),
        SchemaCommand::Plan(out) => (crate::rollout::plan::plan_schema_value(), out.output),
    };
    super::write_stdout(format_schema(&schema, output).as_bytes());
    Ok(0)
}

/// A schema as pretty JSON or as YAML (keys sorted, as `toYaml` prints them).
pub fn format_schema(schema: &serde_json::Value, format: SchemaFormat) -> String {
    let json = serde_json::to_string_pretty(schema).unwrap_or_default();
    match format {
        SchemaFormat::Json => json + "\n",
        SchemaFormat::Yaml => match crate::yaml::from_json(&json) {
            Ok(value) => {
                let mut text = crate::yaml::to_yaml(&value);
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                text
            }
            // Our own serializer produced the JSON, so it always parses; fall back to JSON
            // (which is valid YAML) rather than print nothing.
            Err(_) => json + "\n",
        },
    }
}
