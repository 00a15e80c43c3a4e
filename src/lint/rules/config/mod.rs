//! Configuration rules: pods must restart when the configuration they read changes.

pub mod config_checksum_missing;
