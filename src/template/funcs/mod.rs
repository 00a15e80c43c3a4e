//! Template functions: Go's builtins, Sprig (the set Helm registers), grouped by family.
//!
//! A function receives its evaluated arguments and returns a value or a [`FuncError`]; the
//! executor adds the template name and position to errors (`error calling X: …`).
//! Functions that need the running executor (`include`, `tpl`) are [`Function::Host`].

use crate::template::HashMap;
use std::rc::Rc;

pub mod builtin;
pub mod conversion;
pub mod convert;
pub mod crypto;
pub mod dates;
pub mod defaults;
pub mod dicts;
pub mod encoding;
pub mod gounicode;
pub mod lists;
pub mod math;
pub mod network;
pub mod paths;
pub mod random;
pub mod reflect;
pub mod regex;
pub mod semver;
pub mod serialization;
pub mod sprig_a;
pub mod sprig_b;
pub mod strings;
pub mod url;

use super::value::{FuncError, Value};

/// A plain function of its arguments.
pub type NativeFn = fn(&[Value]) -> Result<Value, FuncError>;

/// A function that needs the executor or captured host state (Helm's `include`, `tpl`,
/// `lookup`, `.Files`-backed helpers).
pub type HostFn = Rc<dyn Fn(&mut dyn ExecContext, &[Value]) -> Result<Value, FuncError>>;

/// What the executor offers to host functions.
pub trait ExecContext {
    /// Execute a defined template by name with `data` as dot (`include`, `template`).
    fn execute_template(&mut self, name: &str, data: Value) -> Result<String, FuncError>;
    /// Parse `source` as a new template (sharing the defined templates of the set) and execute
    /// it with `data` as dot (`tpl`).
    fn execute_source(&mut self, source: &str, data: Value) -> Result<String, FuncError>;
    /// The data the outermost template of this execution was given: for a rendered file,
    /// its scope (`.Values`, `.Release`, …), whatever `include` and `tpl` passed since.
    fn top_data(&self) -> &Value;
}

#[derive(Clone)]
pub enum Function {
    Native(NativeFn),
    Host(HostFn),
}

/// Name → function. Built once per render; lookups by name happen at parse time.
#[derive(Clone, Default)]
pub struct FuncMap {
    funcs: HashMap<&'static str, Function>,
}

impl FuncMap {
    pub fn new() -> Self {
        FuncMap::default()
    }

    pub fn insert(&mut self, name: &'static str, f: NativeFn) {
        self.funcs.insert(name, Function::Native(f));
    }

    pub fn insert_host(&mut self, name: &'static str, f: HostFn) {
        self.funcs.insert(name, Function::Host(f));
    }

    pub fn get(&self, name: &str) -> Option<&Function> {
        self.funcs.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.funcs.contains_key(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &&'static str> {
        self.funcs.keys()
    }

    /// Every function with its name.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&'static str, &Function)> {
        self.funcs.iter().map(|(name, f)| (*name, f))
    }
}
