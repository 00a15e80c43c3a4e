//! Helm's serialisation formats: loading YAML with Go yaml.v2 / sigs.k8s.io/yaml semantics,
//! and printing `toYaml`, `toJson` and `toToml` output exactly as Helm does.

mod emit;
mod fast;
mod json;
mod load;
mod toml_format;

pub use emit::{to_yaml, to_yaml_pretty, try_to_yaml, EmitError};
pub(crate) use fast::{skim_first, HeadField, Top};
pub use json::{
    format_json_float, from_json, from_json_lenient, to_json, to_pretty_json, to_raw_json,
    JsonError, JsonParseError,
};
pub use load::{load_all, load_all_general, load_str, load_values, YamlError, YamlErrorKind};
pub use toml_format::{from_toml, to_toml, TomlError};
