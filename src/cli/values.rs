//! The `--set*` flags, shared by every command that renders charts (spelled as Helm does).

use std::path::PathBuf;

use crate::chart::ValuesOptions;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct SetArgs {
    /// Set values (`a.b=c,d[0]=e`); integers become int64, as in Helm.
    #[arg(long, value_name = "KEY=VAL")]
    pub set: Vec<String>,
    /// Set values, always as strings.
    #[arg(long = "set-string", value_name = "KEY=VAL")]
    pub set_string: Vec<String>,
    /// Set values from files (`key=path`).
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
    /// Set JSON values (`key=<json>` or a whole JSON object).
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Set a literal string value: everything after the first `=` is kept verbatim.
    #[arg(long = "set-literal", value_name = "KEY=VAL")]
    pub set_literal: Vec<String>,
}

impl SetArgs {
    /// The values options Helm's `MergeValues` works from: `value_files`, then these flags.
    pub fn options(&self, value_files: Vec<PathBuf>) -> ValuesOptions {
        ValuesOptions {
            value_files,
            json_values: self.set_json.clone(),
            values: self.set.clone(),
            string_values: self.set_string.clone(),
            file_values: self.set_file.clone(),
            literal_values: self.set_literal.clone(),
        }
    }
}
