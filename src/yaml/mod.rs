//! Helm's YAML and JSON: loading values and documents with Go yaml.v2 / sigs.k8s.io/yaml
//! semantics, and printing `toYaml` / `toJson` output exactly as Helm does.

mod json;
mod load;

pub use json::{format_json_float, to_json, to_pretty_json, to_raw_json, JsonError};
pub use load::{load_all, load_str, YamlError};
