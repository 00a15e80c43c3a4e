//! Helm's YAML: loading values and documents with Go yaml.v2 / sigs.k8s.io/yaml semantics,
//! and printing `toYaml` output exactly as Helm does.
