//! A Go `text/template` engine in Rust: lexer → parser (AST with positions) → executor.
//!
//! It knows nothing of Helm: Helm semantics (values, `include`, `tpl`, `.Files`, …) live in
//! `crate::render`, which supplies data and extra functions.

pub mod error;
mod exec;
pub mod funcs;
pub mod gofmt;
mod lexer;
mod parser;
pub mod preparse;
pub mod value;

pub use error::{TemplateError, TemplateErrorKind};
pub use exec::{MissingKey, TemplateSet, PARALLEL_PARSE_MIN_BYTES};
pub use funcs::{ExecContext, FuncMap, Function};
pub use parser::StableBytes;
pub use preparse::PreParse;
pub use value::{FuncError, FuncErrorKind, IntKind, Map, Object, Value};

/// The engine's name tables (templates, functions, include depths), hashed with foldhash:
/// keys are names from local chart files, so a fast hash beats SipHash's resistance to
/// flooding.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
