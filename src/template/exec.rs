//! The executor: walks parsed trees with data, writing output into one `String`, with Go
//! `text/template`'s semantics (Go's `exec.go`): pipelines, variables on a flat stack,
//! `if`/`with`/`range`, `template`/`block`, field chains, function and method calls, and
//! Go's error messages with `template: FILE:LINE:COL: executing "NAME" at <NODE>: …`.
//!
//! Two Go details matter for Helm charts and are modelled with an `iface` flag next to a
//! value: a nil that came out of a map or a list is a *nil interface* (`.Values.a.b` with `a`
//! missing fails with `nil pointer evaluating interface {}.b`), while a nil that came out of
//! a pipeline is an *invalid value* (`$x.b` with `$x` nil quietly yields no value).

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use super::error::{TemplateError, TemplateErrorKind};
use super::funcs::builtin::Builtin;
use super::funcs::{ExecContext, FuncMap, Function};
use super::parser::{parse, Arg, Command, Control, Func, Node, Pipe, Tree};
use super::value::{format_float_g, FuncError, FuncErrorKind, Value};

/// What a missing map key yields (Go's `missingkey` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// `missingkey=zero`: the zero value (nil; printed `<no value>`). Helm's default.
    #[default]
    Zero,
    /// `missingkey=error`: `map has no entry for key "x"` (Helm's `--strict`, lint).
    Error,
}

/// Helm's limit on nested `include`s of one template name.
const MAX_INCLUDE_NESTING: usize = 1000;

/// Our limit on nested template calls of any kind. Go allows 100000 `{{template}}` levels;
/// we stop earlier so that runaway recursion is an error rather than a stack overflow.
const MAX_EXEC_DEPTH: usize = 10_000;

/// The name of the root template of Helm's set, as Go error messages mention it.
const ROOT_NAME: &str = "gotpl";

/// Parsed template files and their `define`d templates, plus the functions they may call.
pub struct TemplateSet {
    funcs: FuncMap,
    templates: HashMap<String, Rc<Tree>>,
    missing_key: MissingKey,
}

impl TemplateSet {
    /// A set with Go's builtins plus `funcs` (which override builtins of the same name).
    pub fn new(funcs: FuncMap) -> Self {
        TemplateSet {
            funcs,
            templates: HashMap::new(),
            missing_key: MissingKey::Zero,
        }
    }

    pub fn set_missing_key(&mut self, mode: MissingKey) {
        self.missing_key = mode;
    }

    /// Parse one file under `name`. Its top level becomes template `name`; each `define` or
    /// `block` becomes a template of its own. A later definition replaces an earlier one of
    /// the same name unless the later one is empty (Go's `AddParseTree` rule).
    // The error type is part of the public contract; it is returned once per failure.
    #[allow(clippy::result_large_err)]
    pub fn add(&mut self, name: &str, source: &str) -> Result<(), TemplateError> {
        self.add_shared(name, Rc::from(source))
    }

    /// [`TemplateSet::add`] for a source the caller already holds in an `Rc` (the trees keep
    /// it for error positions; this avoids a copy).
    #[allow(clippy::result_large_err)]
    pub fn add_shared(&mut self, name: &str, source: Rc<str>) -> Result<(), TemplateError> {
        let trees = parse(name, source, &self.funcs).map_err(|e| *e)?;
        for tree in trees {
            associate(&mut self.templates, tree);
        }
        Ok(())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.templates.contains_key(name)
    }

    /// Names of all templates in the set (files and definitions), in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.templates.keys().map(String::as_str)
    }

    /// Execute template `name` with `data` as dot and `$`.
    #[allow(clippy::result_large_err)]
    pub fn execute(&self, name: &str, data: &Value) -> Result<String, TemplateError> {
        let mut state = State {
            set: self,
            overlays: Vec::new(),
            vars: Vec::new(),
            tree: None,
            node: Cell::new(None),
            depth: 0,
            includes: HashMap::new(),
        };
        let Some(tree) = state.lookup(name) else {
            return Err(no_template(name));
        };
        let mut out = String::new();
        state.run(&tree, data.clone(), &mut out).map_err(|e| *e)?;
        Ok(out)
    }
}

fn no_template(name: &str) -> TemplateError {
    TemplateError::exec_plain(
        "",
        format!(
            "no template {} associated with template {}",
            super::gofmt::quote(name),
            super::gofmt::quote(ROOT_NAME)
        ),
    )
}

/// Go's `associate`: install `tree`, unless it is empty and would replace a definition.
fn associate(map: &mut HashMap<String, Rc<Tree>>, tree: Tree) {
    if tree.is_empty() && map.contains_key(&*tree.name) {
        return;
    }
    map.insert(tree.name.to_string(), Rc::new(tree));
}

/// A variable on the stack. `iface` marks a nil interface (see the module docs).
struct Var {
    name: Rc<str>,
    value: Value,
    iface: bool,
}

/// Dot, with the same nil-interface flag.
struct Dot {
    value: Value,
    iface: bool,
}

/// How a list walk ended.
#[derive(PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

/// Internal results box the error: it is large and rare, and results travel up deep
/// recursion.
type EResult<T> = Result<T, Box<TemplateError>>;

/// A node an error can point at: its position and Go's string form.
#[derive(Clone, Copy)]
enum At<'a> {
    Cmd(&'a Command),
    Arg(&'a Arg),
    Node(&'a Node),
    Pipe(&'a Pipe),
}

impl At<'_> {
    fn mark(&self) -> Mark {
        match self {
            At::Cmd(c) => Mark {
                pos: c.pos,
                tag: Tag::Cmd,
            },
            At::Arg(a) => Mark {
                pos: a.pos(),
                tag: Tag::Arg(std::mem::discriminant(*a)),
            },
            At::Pipe(p) => Mark {
                pos: p.pos,
                tag: Tag::Pipe,
            },
            At::Node(n) => Mark {
                pos: node_pos(n),
                tag: Tag::Node,
            },
        }
    }
}

fn node_pos(n: &Node) -> usize {
    match n {
        Node::Action(p) => p.pos,
        Node::If(c) | Node::With(c) | Node::Range(c) => c.pipe.pos,
        Node::Template { pos, .. } | Node::Break(pos) | Node::Continue(pos) => *pos,
        Node::Text(_) => 0,
    }
}

/// Which kind of node a [`Mark`] points at (several nodes can share a position).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Node,
    Pipe,
    Cmd,
    Arg(std::mem::Discriminant<Arg>),
}

/// The node Go's executor last visited (`state.at`), which error messages point at.
/// Kept as position and kind so that visiting costs nothing; the node's text is found
/// again in the tree only when an error is reported.
#[derive(Clone, Copy)]
struct Mark {
    pos: usize,
    tag: Tag,
}

fn find_in_list(list: &[Node], m: Mark) -> Option<String> {
    for n in list {
        if m.tag == Tag::Node && !matches!(n, Node::Text(_)) && node_pos(n) == m.pos {
            return Some(n.to_string());
        }
        let found = match n {
            Node::Action(p) => find_in_pipe(p, m),
            Node::If(c) | Node::With(c) | Node::Range(c) => find_in_pipe(&c.pipe, m)
                .or_else(|| find_in_list(&c.list, m))
                .or_else(|| c.else_list.as_deref().and_then(|e| find_in_list(e, m))),
            Node::Template { pipe: Some(p), .. } => find_in_pipe(p, m),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn find_in_pipe(p: &Pipe, m: Mark) -> Option<String> {
    if m.tag == Tag::Pipe && p.pos == m.pos {
        return Some(p.to_string());
    }
    for c in &p.cmds {
        if m.tag == Tag::Cmd && c.pos == m.pos {
            return Some(c.to_string());
        }
        for a in &c.args {
            if let Some(found) = find_in_arg(a, m) {
                return Some(found);
            }
        }
    }
    None
}

fn find_in_arg(a: &Arg, m: Mark) -> Option<String> {
    if m.tag == Tag::Arg(std::mem::discriminant(a)) && a.pos() == m.pos {
        return Some(a.to_string());
    }
    match a {
        Arg::Pipe(p) => find_in_pipe(p, m),
        Arg::Chain { node, .. } => find_in_arg(node, m),
        _ => None,
    }
}

/// Execution state of one `execute` call (shared by nested templates and includes).
struct State<'a> {
    set: &'a TemplateSet,
    /// Templates defined by `tpl` sources being executed, innermost last.
    overlays: Vec<HashMap<String, Rc<Tree>>>,
    vars: Vec<Var>,
    /// The template being executed, for error locations.
    tree: Option<Rc<Tree>>,
    /// The node last visited in `tree`.
    node: Cell<Option<Mark>>,
    depth: usize,
    /// Nesting count of `include`d names (Helm's recursion guard).
    includes: HashMap<String, usize>,
}

impl State<'_> {
    fn lookup(&self, name: &str) -> Option<Rc<Tree>> {
        for overlay in self.overlays.iter().rev() {
            if let Some(t) = overlay.get(name) {
                return Some(t.clone());
            }
        }
        self.set.templates.get(name).cloned()
    }

    /// Go's `state.at`: remember the node being evaluated.
    fn at(&self, at: At<'_>) {
        self.node.set(Some(at.mark()));
    }

    /// Go's `state.errorf`: an error at the node last visited.
    fn fail(&self, message: impl Into<String>) -> Box<TemplateError> {
        let message = message.into();
        Box::new(match (&self.tree, self.node.get()) {
            (Some(tree), Some(mark)) => {
                let (line, col) = tree.location(mark.pos);
                TemplateError {
                    kind: TemplateErrorKind::Exec,
                    template: tree.parse_name.to_string(),
                    line,
                    column: Some(col),
                    context: Some(find_in_list(&tree.root, mark).unwrap_or_default()),
                    executing: Some(tree.name.to_string()),
                    message,
                    cause: None,
                }
            }
            (Some(tree), None) => TemplateError::exec_plain(&tree.name, message),
            (None, _) => TemplateError::exec_plain("", message),
        })
    }

    /// Visit `at` and fail there.
    fn error(&self, at: At<'_>, message: impl Into<String>) -> Box<TemplateError> {
        self.at(at);
        self.fail(message)
    }

    /// Run `tree` with `data` as dot and `$`, in a fresh variable scope.
    fn run(&mut self, tree: &Rc<Tree>, data: Value, out: &mut String) -> EResult<()> {
        if self.depth >= MAX_EXEC_DEPTH {
            return Err(Box::new(TemplateError::exec_plain(
                &tree.name,
                format!("exceeded maximum template depth ({MAX_EXEC_DEPTH})"),
            )));
        }
        let saved_vars = std::mem::replace(
            &mut self.vars,
            vec![Var {
                name: Rc::from("$"),
                value: data.clone(),
                iface: false,
            }],
        );
        let saved_tree = self.tree.replace(tree.clone());
        let saved_node = self.node.replace(None);
        self.depth += 1;
        let dot = Dot {
            value: data,
            iface: false,
        };
        let result = self.walk_list(&dot, &tree.root, out);
        self.depth -= 1;
        self.tree = saved_tree;
        self.node.set(saved_node);
        self.vars = saved_vars;
        result.map(|_| ())
    }

    fn walk_list(&mut self, dot: &Dot, list: &[Node], out: &mut String) -> EResult<Flow> {
        for node in list {
            let flow = self.walk(dot, node, out)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Dot, node: &Node, out: &mut String) -> EResult<Flow> {
        if !matches!(node, Node::Text(_)) {
            self.at(At::Node(node));
        }
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Action(pipe) => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    print_value(&v, out);
                }
            }
            Node::If(c) => return self.walk_if_or_with(dot, c, false, out),
            Node::With(c) => return self.walk_if_or_with(dot, c, true, out),
            Node::Range(c) => return self.walk_range(dot, c, out),
            Node::Template { name, pipe, .. } => {
                let Some(tree) = self.lookup(name) else {
                    return Err(self.error(
                        At::Node(node),
                        format!("template {} not defined", super::gofmt::quote(name)),
                    ));
                };
                let data = match pipe {
                    Some(p) => self.eval_pipeline(dot, p)?,
                    None => Value::Nil,
                };
                if self.depth >= MAX_EXEC_DEPTH {
                    return Err(self.fail(format!(
                        "exceeded maximum template depth ({MAX_EXEC_DEPTH})"
                    )));
                }
                self.run(&tree, data, out)?;
            }
            Node::Break(_) => return Ok(Flow::Break),
            Node::Continue(_) => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_if_or_with(
        &mut self,
        dot: &Dot,
        c: &Control,
        is_with: bool,
        out: &mut String,
    ) -> EResult<Flow> {
        let mark = self.vars.len();
        let result = (|| {
            let val = self.eval_pipeline(dot, &c.pipe)?;
            if val.truthy() {
                if is_with {
                    let inner = Dot {
                        value: val,
                        iface: false,
                    };
                    self.walk_list(&inner, &c.list, out)
                } else {
                    self.walk_list(dot, &c.list, out)
                }
            } else if let Some(e) = &c.else_list {
                self.walk_list(dot, e, out)
            } else {
                Ok(Flow::Normal)
            }
        })();
        self.vars.truncate(mark);
        result
    }

    fn walk_range(&mut self, dot: &Dot, r: &Control, out: &mut String) -> EResult<Flow> {
        let mark = self.vars.len();
        let result = self.walk_range_inner(dot, r, out);
        self.vars.truncate(mark);
        result
    }

    fn walk_range_inner(&mut self, dot: &Dot, r: &Control, out: &mut String) -> EResult<Flow> {
        let val = self.eval_pipeline(dot, &r.pipe)?;
        // Variables of the body are pushed above this mark and dropped after each round.
        let mark = self.vars.len();
        let decl = &r.pipe.decl;
        let mut ran = false;
        match &val {
            Value::List(items) => {
                for (i, elem) in items.iter().enumerate() {
                    ran = true;
                    if self.one_iteration(
                        mark,
                        decl,
                        r,
                        Value::Int(i as i64),
                        elem.clone(),
                        true,
                        out,
                    )? {
                        break;
                    }
                }
            }
            Value::Bytes(bytes) => {
                for (i, b) in bytes.iter().enumerate() {
                    ran = true;
                    let elem = Value::Int(i64::from(*b));
                    if self.one_iteration(mark, decl, r, Value::Int(i as i64), elem, false, out)? {
                        break;
                    }
                }
            }
            Value::Map(m) => {
                // Go sorts the keys and copies the entries before iterating.
                let entries: Vec<(String, Value)> = m
                    .borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                for (k, v) in entries {
                    ran = true;
                    if self.one_iteration(mark, decl, r, Value::string(k), v, true, out)? {
                        break;
                    }
                }
            }
            Value::Int(n) => {
                if decl.len() > 1 {
                    return Err(self.fail(format!(
                        "can't use {n} to iterate over more than one variable"
                    )));
                }
                for i in 0..(*n).max(0) {
                    ran = true;
                    if self.one_iteration(mark, decl, r, Value::Nil, Value::Int(i), false, out)? {
                        break;
                    }
                }
            }
            Value::Nil => {}
            // Go types with methods that are maps or slices underneath (`.Files.Glob`,
            // `.Capabilities.APIVersions`).
            Value::Object(o) if o.entries().is_some() => {
                for (k, v) in o.entries().unwrap_or_default() {
                    ran = true;
                    let is_map = matches!(k, Value::String(_));
                    if self.one_iteration(mark, decl, r, k, v, is_map, out)? {
                        break;
                    }
                }
            }
            other => {
                return Err(self.fail(format!("range can't iterate over {other}")));
            }
        }
        if !ran {
            if let Some(e) = &r.else_list {
                return self.walk_list(dot, e, out);
            }
        }
        Ok(Flow::Normal)
    }

    /// One round of a range; returns true on `{{break}}`.
    #[allow(clippy::too_many_arguments)]
    fn one_iteration(
        &mut self,
        mark: usize,
        decl: &[Rc<str>],
        r: &Control,
        index: Value,
        elem: Value,
        elem_iface: bool,
        out: &mut String,
    ) -> EResult<bool> {
        if !decl.is_empty() {
            if r.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(&decl[0], index.clone(), false, &r.pipe)?;
                } else {
                    self.set_var(&decl[0], elem.clone(), elem_iface, &r.pipe)?;
                }
            } else if let Some(top) = mark.checked_sub(1).and_then(|i| self.vars.get_mut(i)) {
                top.value = elem.clone();
                top.iface = elem_iface;
            }
        }
        if decl.len() > 1 {
            if r.pipe.is_assign {
                self.set_var(&decl[1], elem.clone(), elem_iface, &r.pipe)?;
            } else if let Some(v) = mark.checked_sub(2).and_then(|i| self.vars.get_mut(i)) {
                v.value = index;
                v.iface = false;
            }
        }
        let inner = Dot {
            value: elem,
            iface: elem_iface,
        };
        let flow = self.walk_list(&inner, &r.list, out);
        self.vars.truncate(mark);
        Ok(flow? == Flow::Break)
    }

    fn set_var(&mut self, name: &str, value: Value, iface: bool, pipe: &Pipe) -> EResult<()> {
        for v in self.vars.iter_mut().rev() {
            if &*v.name == name {
                v.value = value;
                v.iface = iface;
                return Ok(());
            }
        }
        let _ = pipe;
        Err(self.fail(format!("undefined variable: {name}")))
    }

    fn var_value(&self, name: &str, at: At<'_>) -> EResult<(Value, bool)> {
        for v in self.vars.iter().rev() {
            if &*v.name == name {
                return Ok((v.value.clone(), v.iface));
            }
        }
        Err(self.error(at, format!("undefined variable: {name}")))
    }

    fn eval_pipeline(&mut self, dot: &Dot, pipe: &Pipe) -> EResult<Value> {
        self.at(At::Pipe(pipe));
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or_default();
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone(), false, pipe)?;
            } else {
                self.vars.push(Var {
                    name: name.clone(),
                    value: value.clone(),
                    iface: false,
                });
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], final_: &Option<Value>, at: At<'_>) -> EResult<()> {
        if args.len() > 1 || final_.is_some() {
            let first = args.first().map(|a| a.to_string()).unwrap_or_default();
            let _ = at;
            return Err(self.fail(format!("can't give argument to non-function {first}")));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Dot, cmd: &Command, final_: Option<Value>) -> EResult<Value> {
        let Some(first) = cmd.args.first() else {
            return Ok(Value::Nil);
        };
        if !matches!(first, Arg::Identifier { .. } | Arg::Pipe(_)) {
            self.at(At::Arg(first));
        }
        match first {
            Arg::Field { idents, .. } => {
                let (v, _) = self.eval_field_chain(
                    dot,
                    dot.value.clone(),
                    dot.iface,
                    first,
                    idents,
                    &cmd.args,
                    final_,
                )?;
                Ok(v)
            }
            Arg::Chain { node, fields, .. } => {
                let receiver = self.eval_chain_receiver(dot, first, node)?;
                let (v, _) =
                    self.eval_field_chain(dot, receiver, false, first, fields, &cmd.args, final_)?;
                Ok(v)
            }
            Arg::Identifier { name, func, .. } => self.eval_function(
                dot,
                name,
                func,
                At::Arg(first),
                At::Cmd(cmd),
                &cmd.args,
                final_,
            ),
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &final_, At::Arg(first))?;
                self.eval_pipeline(dot, p)
            }
            Arg::Variable { name, idents, .. } => {
                let (value, iface) = self.var_value(name, At::Arg(first))?;
                if idents.is_empty() {
                    self.not_a_function(&cmd.args, &final_, At::Arg(first))?;
                    return Ok(value);
                }
                let (v, _) =
                    self.eval_field_chain(dot, value, iface, first, idents, &cmd.args, final_)?;
                Ok(v)
            }
            Arg::Bool(_, b) => {
                self.not_a_function(&cmd.args, &final_, At::Arg(first))?;
                Ok(Value::Bool(*b))
            }
            Arg::Dot(_) => {
                self.not_a_function(&cmd.args, &final_, At::Arg(first))?;
                Ok(dot.value.clone())
            }
            Arg::Nil(_) => {
                self.not_a_function(&cmd.args, &final_, At::Arg(first))?;
                Err(self.error(At::Arg(first), "nil is not a command"))
            }
            Arg::Number { value, .. } => {
                self.not_a_function(&cmd.args, &final_, At::Arg(first))?;
                value.clone().map_err(|m| self.error(At::Arg(first), m))
            }
            Arg::String { value, .. } => {
                self.not_a_function(&cmd.args, &final_, At::Arg(first))?;
                Ok(value.clone())
            }
        }
    }

    fn eval_chain_receiver(&mut self, dot: &Dot, chain: &Arg, node: &Arg) -> EResult<Value> {
        if let Arg::Nil(_) = node {
            return Err(self.error(
                At::Arg(chain),
                format!("indirection through explicit nil in {chain}"),
            ));
        }
        self.eval_arg(dot, node)
    }

    /// Evaluate a command argument.
    fn eval_arg(&mut self, dot: &Dot, arg: &Arg) -> EResult<Value> {
        self.at(At::Arg(arg));
        match arg {
            Arg::Dot(_) => Ok(dot.value.clone()),
            Arg::Nil(_) => Ok(Value::Nil),
            Arg::Bool(_, b) => Ok(Value::Bool(*b)),
            Arg::Number { value, .. } => value.clone().map_err(|m| self.error(At::Arg(arg), m)),
            Arg::String { value, .. } => Ok(value.clone()),
            Arg::Field { idents, .. } => {
                let (v, _) = self.eval_field_chain(
                    dot,
                    dot.value.clone(),
                    dot.iface,
                    arg,
                    idents,
                    &[],
                    None,
                )?;
                Ok(v)
            }
            Arg::Variable { name, idents, .. } => {
                let (value, iface) = self.var_value(name, At::Arg(arg))?;
                if idents.is_empty() {
                    return Ok(value);
                }
                let (v, _) = self.eval_field_chain(dot, value, iface, arg, idents, &[], None)?;
                Ok(v)
            }
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Identifier { name, func, .. } => {
                self.eval_function(dot, name, func, At::Arg(arg), At::Arg(arg), &[], None)
            }
            Arg::Chain { node, fields, .. } => {
                let receiver = self.eval_chain_receiver(dot, arg, node)?;
                let (v, _) = self.eval_field_chain(dot, receiver, false, arg, fields, &[], None)?;
                Ok(v)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        dot: &Dot,
        mut receiver: Value,
        mut iface: bool,
        node: &Arg,
        idents: &[Rc<str>],
        args: &[Arg],
        final_: Option<Value>,
    ) -> EResult<(Value, bool)> {
        let n = idents.len();
        for ident in idents.iter().take(n.saturating_sub(1)) {
            (receiver, iface) = self.eval_field(dot, ident, node, &[], None, receiver, iface)?;
        }
        match idents.last() {
            Some(last) => self.eval_field(dot, last, node, args, final_, receiver, iface),
            None => Ok((receiver, iface)),
        }
    }

    /// One step of a field chain: map key, object field, or method call (the last step of a
    /// command gets the command's arguments and the piped value).
    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        dot: &Dot,
        name: &str,
        node: &Arg,
        args: &[Arg],
        final_: Option<Value>,
        receiver: Value,
        iface: bool,
    ) -> EResult<(Value, bool)> {
        let has_args = args.len() > 1 || final_.is_some();
        match &receiver {
            Value::Nil => {
                if iface {
                    return Err(self.fail(format!("nil pointer evaluating interface {{}}.{name}")));
                }
                if self.set.missing_key == MissingKey::Error {
                    return Err(self.fail(format!(
                        "nil data; no entry for key {}",
                        super::gofmt::quote(name)
                    )));
                }
                Ok((Value::Nil, false))
            }
            Value::Map(m) => {
                if has_args {
                    return Err(self.fail(format!("{name} is not a method but has arguments")));
                }
                let found = m.borrow().get(name).cloned();
                match found {
                    Some(v) => Ok((v, true)),
                    None => match self.set.missing_key {
                        MissingKey::Zero => Ok((Value::Nil, true)),
                        MissingKey::Error => Err(self.fail(format!(
                            "map has no entry for key {}",
                            super::gofmt::quote(name)
                        ))),
                    },
                }
            }
            Value::Object(o) => {
                let o = o.clone();
                if has_args {
                    let mut argv = Vec::with_capacity(args.len());
                    for a in args.iter().skip(1) {
                        argv.push(self.eval_arg(dot, a)?);
                    }
                    if let Some(f) = final_ {
                        argv.push(f);
                    }
                    return match o.call_method(name, &argv) {
                        Some(Ok(v)) => Ok((v, false)),
                        Some(Err(e)) => Err(self.call_error(At::Arg(node), name, e)),
                        None if o.field(name).is_some() => Err(self.fail(format!(
                            "{name} has arguments but cannot be invoked as function"
                        ))),
                        None => Err(self.fail(format!(
                            "can't evaluate field {name} in type {}",
                            o.type_name()
                        ))),
                    };
                }
                if let Some(v) = o.field(name) {
                    return Ok((v, false));
                }
                match o.call_method(name, &[]) {
                    Some(Ok(v)) => Ok((v, false)),
                    Some(Err(e)) => Err(self.call_error(At::Arg(node), name, e)),
                    None => Err(self.fail(format!(
                        "can't evaluate field {name} in type {}",
                        o.type_name()
                    ))),
                }
            }
            other => {
                let typ = if iface {
                    "interface {}".to_string()
                } else {
                    other.type_name()
                };
                Err(self.fail(format!("can't evaluate field {name} in type {typ}")))
            }
        }
    }

    /// Call a function: `ident` is where arity errors point, `call_at` where call errors do.
    #[allow(clippy::too_many_arguments)]
    fn eval_function(
        &mut self,
        dot: &Dot,
        name: &str,
        func: &Func,
        ident: At<'_>,
        call_at: At<'_>,
        args: &[Arg],
        final_: Option<Value>,
    ) -> EResult<Value> {
        self.at(ident);
        // args[0] is the function name itself.
        let arg_nodes = args.get(1..).unwrap_or_default();
        if let Func::Builtin(b) = func {
            let (num_in, variadic) = b.arity();
            let given = arg_nodes.len() + usize::from(final_.is_some());
            if variadic {
                if given < num_in - 1 {
                    return Err(self.fail(format!(
                        "wrong number of args for {name}: want at least {} got {}",
                        num_in - 1,
                        arg_nodes.len()
                    )));
                }
            } else if given != num_in {
                return Err(self.fail(format!(
                    "wrong number of args for {name}: want {num_in} got {given}"
                )));
            }
            if matches!(b, Builtin::And | Builtin::Or) {
                return self.eval_and_or(dot, *b == Builtin::Or, arg_nodes, final_);
            }
        }
        let mut argv = Vec::with_capacity(arg_nodes.len() + 2);
        // Go's `call` gets the callee's text first, for its error messages.
        if let (Func::Builtin(Builtin::Call), Some(callee)) = (func, arg_nodes.first()) {
            argv.push(Value::string(callee.to_string()));
        }
        let callee_offset = argv.len();
        // Where Go's executor stood after evaluating each argument: it converts each
        // argument to its parameter type right after evaluating it, so a type error
        // points at the last node visited then.
        let mut marks = Vec::with_capacity(arg_nodes.len());
        for (i, a) in arg_nodes.iter().enumerate() {
            let v = self.eval_arg(dot, a)?;
            if i == 0 && matches!(func, Func::Builtin(Builtin::Printf)) {
                self.check_param(a, &v, "string")?;
            }
            marks.push(self.node.get());
            argv.push(v);
        }
        if let Some(f) = final_ {
            argv.push(f);
        }
        let result = match func {
            Func::Builtin(b) => b.call(&argv),
            Func::User(Function::Native(f)) => f(&argv),
            Func::User(Function::Host(f)) => {
                let f = f.clone();
                f(self, &argv)
            }
        };
        result.map_err(|e| match e.kind {
            FuncErrorKind::Arity => self.error(ident, e.message),
            FuncErrorKind::ArgType { index, expected } => {
                let index = index.saturating_sub(callee_offset);
                if let Some(mark) = marks.get(index).copied().flatten() {
                    self.node.set(Some(mark));
                }
                let v = argv.get(index + callee_offset).unwrap_or(&Value::Nil);
                match arg_nodes.get(index) {
                    Some(node) => match self.check_param(node, v, expected) {
                        Err(err) => err,
                        Ok(()) => self.fail(e.message),
                    },
                    // The piped-in final value.
                    None => self.fail(type_mismatch(v, expected)),
                }
            }
            FuncErrorKind::Call => self.call_error(call_at, name, e),
        })
    }

    /// Go's `error calling NAME: %w`, keeping the function's error as the wrapped cause.
    fn call_error(&self, at: At<'_>, name: &str, e: FuncError) -> Box<TemplateError> {
        let mut err = self.error(at, format!("error calling {name}: {}", e.message));
        err.cause = Some(Box::new(e));
        err
    }

    /// Go converts arguments to the function's parameter types before the call: a literal
    /// of the wrong kind (`expected string; found 123`), a missing value, or a computed
    /// value of another type is an executor error at the argument.
    fn check_param(&self, node: &Arg, v: &Value, expected: &str) -> EResult<()> {
        let fits = match expected {
            "string" => matches!(v, Value::String(_)),
            "int" | "int64" => matches!(v, Value::Int(_)),
            "float64" => matches!(v, Value::Float(_)),
            "bool" => matches!(v, Value::Bool(_)),
            _ => false,
        };
        if fits {
            return Ok(());
        }
        let literal_kind = match expected {
            "string" => Some("string"),
            "int" | "int64" => Some("integer"),
            "float64" => Some("float"),
            "bool" => Some("bool"),
            _ => None,
        };
        match (node, literal_kind) {
            (Arg::Bool(..) | Arg::Number { .. } | Arg::String { .. }, Some(kind)) => {
                Err(self.fail(format!("expected {kind}; found {node}")))
            }
            (Arg::Nil(_), _) => Err(self.fail(format!("cannot assign nil to {expected}"))),
            _ => Err(self.fail(type_mismatch(v, expected))),
        }
    }

    /// `and`/`or` evaluate arguments left to right and stop at the deciding one (Go 1.18+),
    /// returning that operand itself.
    fn eval_and_or(
        &mut self,
        dot: &Dot,
        is_or: bool,
        args: &[Arg],
        final_: Option<Value>,
    ) -> EResult<Value> {
        let mut v = Value::Nil;
        for a in args {
            v = self.eval_arg(dot, a)?;
            if v.truthy() == is_or {
                return Ok(v);
            }
        }
        if let Some(f) = final_ {
            v = f;
        }
        Ok(v)
    }

    /// Execute a named template into a fresh buffer (Helm's `include`).
    fn include(&mut self, name: &str, data: Value) -> Result<String, FuncError> {
        let Some(tree) = self.lookup(name) else {
            return Err(FuncError::new(no_template(name).to_string()));
        };
        let count = self.includes.entry(name.to_string()).or_insert(0);
        if *count > MAX_INCLUDE_NESTING {
            return Err(FuncError::new(format!(
                "rendering template has a nested reference name: {name}: unable to execute template"
            )));
        }
        *count += 1;
        let mut out = String::new();
        let result = self.run(&tree, data, &mut out);
        if let Some(c) = self.includes.get_mut(name) {
            *c = c.saturating_sub(1);
        }
        result.map_err(|e| FuncError::from_template(*e))?;
        Ok(out)
    }

    /// Parse and execute an ad-hoc source (Helm's `tpl`); its definitions are visible only
    /// while it runs.
    fn run_source(&mut self, source: &str, data: Value) -> Result<String, FuncError> {
        // Helm 4 parses `tpl` text as a new template named after the set's root ("gotpl"),
        // in a clone of the set: its `define`s are visible only to this execution.
        let name = TPL_TEMPLATE_NAME;
        let trees = parse(name, Rc::from(source), &self.set.funcs)
            .map_err(|e| FuncError::from_template(*e))?;
        let mut body = None;
        let mut overlay: HashMap<String, Rc<Tree>> = HashMap::new();
        for tree in trees {
            if &*tree.name == name {
                // Go assigns the parsed body to the new template even when it is empty
                // (an empty `tpl` renders ""), whatever the set already holds.
                body = Some(Rc::new(tree));
                continue;
            }
            if tree.is_empty()
                && (overlay.contains_key(&*tree.name) || self.lookup(&tree.name).is_some())
            {
                continue;
            }
            overlay.insert(tree.name.to_string(), Rc::new(tree));
        }
        let Some(body) = body else {
            return Err(FuncError::new(no_template(name).to_string()));
        };
        self.overlays.push(overlay);
        let mut out = String::new();
        let result = self.run(&body, data, &mut out).map(|_| out);
        self.overlays.pop();
        result.map_err(|e| FuncError::from_template(*e))
    }
}

/// Go's `validateType` message for a computed value that is not of the parameter's type.
fn type_mismatch(v: &Value, expected: &str) -> String {
    match v {
        Value::Nil => format!("invalid value; expected {expected}"),
        other => format!(
            "wrong type for value; expected {expected}; got {}",
            other.type_name()
        ),
    }
}

/// The name Helm 4 gives templates parsed by `tpl` (its root template's name).
const TPL_TEMPLATE_NAME: &str = "gotpl";

impl ExecContext for State<'_> {
    fn execute_template(&mut self, name: &str, data: Value) -> Result<String, FuncError> {
        self.include(name, data)
    }

    fn execute_source(&mut self, source: &str, data: Value) -> Result<String, FuncError> {
        self.run_source(source, data)
    }
}

/// Write a pipeline's value as an action prints it: Go's `%v`, and `<no value>` for nil.
fn print_value(v: &Value, out: &mut String) {
    use std::fmt::Write as _;
    match v {
        Value::Nil => out.push_str("<no value>"),
        Value::String(s) => out.push_str(s),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float_g(*f)),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}
