//! The executor: walks parsed trees with data, writing output into one `String`, with Go
//! `text/template`'s semantics (Go's `exec.go`): pipelines, variables on a flat stack,
//! `if`/`with`/`range`, `template`/`block`, field chains, function and method calls, and
//! Go's error messages with `template: FILE:LINE:COL: executing "NAME" at <NODE>: …`.
//!
//! Two Go details matter for Helm charts and are modelled with an `iface` flag next to a
//! value: a nil that came out of a map or a list is a *nil interface* (`.Values.a.b` with `a`
//! missing fails with `nil pointer evaluating interface {}.b`), while a nil that came out of
//! a pipeline is an *invalid value* (`$x.b` with `$x` nil quietly yields no value).

use crate::template::HashMap;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::error::{TemplateError, TemplateErrorKind};
use super::funcs::builtin::Builtin;
use super::funcs::{ExecContext, FuncMap, Function};
use super::parser::StableBytes;
use super::parser::{
    parse, parse_detached, Arg, Command, Control, Func, FuncNames, Node, ParsedFile, Pipe, Shown,
    Tree,
};
use super::preparse::{PreParse, Stream};
use super::value::{format_float_g, FuncError, FuncErrorKind, IntKind, Value};

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

/// Our limit on nested template calls of any kind (`template`, `include`, `tpl`). Go allows
/// 100000 `{{template}}` levels; we stop earlier so that runaway recursion is an error
/// rather than a stack overflow. Each level takes about 1–2 KiB of stack in an optimised
/// build (several times that unoptimised), so 3000 levels fit the usual 8 MiB main-thread
/// stack while leaving room for Helm's 1001 nested `include`s of one name.
const MAX_EXEC_DEPTH: usize = 3_000;

/// The name of the root template of Helm's set, as Go error messages mention it.
const ROOT_NAME: &str = "gotpl";

/// Parsed template files and their `define`d templates, plus the functions they may call.
pub struct TemplateSet {
    funcs: FuncMap,
    /// What the parser resolves function names against.
    names: FuncNames,
    /// Changes while templates execute only to take in files still being parsed
    /// ([`TemplateSet::add_all_streaming`]).
    templates: RefCell<HashMap<String, Rc<Tree>>>,
    missing_key: MissingKey,
    /// Files added by [`TemplateSet::add_all_streaming`] and not in `templates` yet.
    incoming: RefCell<Option<Incoming>>,
    /// The parse error of the first of those files (in the order they were added) that
    /// failed, once all of them are parsed.
    parse_error: RefCell<Option<TemplateError>>,
}

/// Files of a set whose parses are still coming from a [`PreParse`] helper.
struct Incoming {
    files: Box<dyn LateFiles>,
    /// Name → index (in the order added) of each file not taken yet; none of them defines
    /// anything but itself.
    waiting: HashMap<String, usize>,
}

/// Parses handed out by index, each once (a [`Stream`], whatever its byte type).
trait LateFiles {
    fn take(&mut self, wanted: &[usize]) -> Vec<ParsedFile>;
}

impl<D> LateFiles for Stream<D>
where
    D: std::ops::Deref<Target = [u8]> + StableBytes + Clone,
{
    fn take(&mut self, wanted: &[usize]) -> Vec<ParsedFile> {
        Stream::take(self, wanted)
    }
}

/// Below this much source, parsing on a second thread costs more than it saves.
pub const PARALLEL_PARSE_MIN_BYTES: usize = 128 * 1024;

/// Stack for the parsing thread: the parser recurses once per nesting level of the
/// template, like the executor (see main.rs); reserved, not used.
const PARSE_STACK_SIZE: usize = 64 * 1024 * 1024;

impl TemplateSet {
    /// A set with Go's builtins plus `funcs` (which override builtins of the same name).
    pub fn new(funcs: FuncMap) -> Self {
        TemplateSet {
            names: FuncNames::new(&funcs),
            funcs,
            templates: RefCell::new(HashMap::default()),
            missing_key: MissingKey::Zero,
            incoming: RefCell::new(None),
            parse_error: RefCell::new(None),
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
        let trees = parse(name, source.into(), &self.names).map_err(|e| *e)?;
        associate_file(self.templates.get_mut(), trees);
        Ok(())
    }

    /// Parse several files (name, source) and add them in the order given, with the result
    /// [`TemplateSet::add`] would give one after another (the first failing file's error).
    /// Large sets are parsed on two threads: parsing is most of the work of a big render.
    #[allow(clippy::result_large_err)]
    pub fn add_all(&mut self, files: &[(&str, &str)]) -> Result<(), TemplateError> {
        let parsed = files.iter().map(|_| None).collect();
        self.add_all_with(files, parsed)
    }

    /// [`TemplateSet::add_all`] with files parsed ahead of time by `preparse`, which must
    /// have been started with this set's functions (see [`super::preparse`]).
    #[allow(clippy::result_large_err)]
    pub fn add_all_preparsed<D>(
        &mut self,
        files: &[(&str, &str)],
        preparse: PreParse<D>,
    ) -> Result<(), TemplateError>
    where
        D: std::ops::Deref<Target = [u8]> + StableBytes + Clone,
    {
        let files: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(name, text)| (*name, text.as_bytes()))
            .collect();
        self.add_all_streaming(&files, preparse)?;
        self.complete()
    }

    /// [`TemplateSet::add_all_preparsed`] for sources given as bytes (a source that is not
    /// UTF-8 is read as `String::from_utf8_lossy` reads it), but it returns once every file
    /// that may define templates (its source contains `define` or `block`) is added, while `preparse`'s
    /// helper goes on parsing the others in the order given. Those are added when
    /// [`TemplateSet::execute`] is asked for one of them, or all at once when a template
    /// lookup misses or execution fails; [`TemplateSet::complete`] waits for the rest.
    ///
    /// The outcome is that of adding everything first: a file that defines nothing but
    /// itself adds one template under its own name, which no other file can replace, so the
    /// order such files join in does not matter (when a definition is named like a file, or
    /// a defining file fails to parse, everything is added here in order). Lookups that
    /// miss wait for every file, and the first file that fails to parse, in the order
    /// given, is reported in place of anything execution does ([`TemplateSet::execute`]
    /// and [`TemplateSet::complete`]), as if parsing had come first.
    #[allow(clippy::result_large_err)]
    pub fn add_all_streaming<D>(
        &mut self,
        files: &[(&str, &[u8])],
        preparse: PreParse<D>,
    ) -> Result<(), TemplateError>
    where
        D: std::ops::Deref<Target = [u8]> + StableBytes + Clone,
    {
        let mut stream = preparse.stream(files);
        let (defining, rest): (Vec<usize>, Vec<usize>) =
            (0..files.len()).partition(|&i| stream.defines(i));
        let parsed = stream.take(&defining);
        let file_names: std::collections::HashSet<&str, foldhash::fast::RandomState> =
            files.iter().map(|(name, _)| *name).collect();
        let in_order = parsed.iter().any(|file| match &file.0 {
            Err(_) => true,
            Ok(trees) => trees
                .iter()
                .skip(1)
                .any(|tree| file_names.contains(&*tree.name)),
        });
        if in_order {
            // Every file, in order, up to the first that failed.
            let rest_parsed = stream.take(&rest);
            let mut all: Vec<(usize, ParsedFile)> = defining
                .into_iter()
                .zip(parsed)
                .chain(rest.into_iter().zip(rest_parsed))
                .collect();
            all.sort_unstable_by_key(|(i, _)| *i);
            for (_, file) in all {
                associate_file(self.templates.get_mut(), file.0.map_err(|e| *e)?);
            }
            return Ok(());
        }
        for file in parsed {
            associate_file(self.templates.get_mut(), file.0.map_err(|e| *e)?);
        }
        let waiting: HashMap<String, usize> = rest
            .into_iter()
            .map(|i| (files[i].0.to_string(), i))
            .collect();
        if !waiting.is_empty() {
            *self.incoming.get_mut() = Some(Incoming {
                files: Box::new(stream),
                waiting,
            });
        }
        Ok(())
    }

    /// Add every file [`TemplateSet::add_all_streaming`] left to come, waiting for their
    /// parses; the first of its files (in the order given) that failed to parse is the
    /// error.
    #[allow(clippy::result_large_err)]
    pub fn complete(&self) -> Result<(), TemplateError> {
        self.complete_after(None)
    }

    /// [`TemplateSet::complete`] when the file with index `failed.0` already failed to
    /// parse, with `failed.1`.
    #[allow(clippy::result_large_err)]
    fn complete_after(
        &self,
        mut failed: Option<(usize, TemplateError)>,
    ) -> Result<(), TemplateError> {
        let incoming = self.incoming.borrow_mut().take();
        if let Some(mut incoming) = incoming {
            let mut rest: Vec<usize> = incoming.waiting.values().copied().collect();
            rest.sort_unstable();
            let parsed = incoming.files.take(&rest);
            // Ends the helper.
            drop(incoming);
            let mut templates = self.templates.borrow_mut();
            for (i, file) in rest.into_iter().zip(parsed) {
                match file.0 {
                    Ok(trees) => associate_file(&mut templates, trees),
                    Err(e) => {
                        if failed.as_ref().is_none_or(|(first, _)| i < *first) {
                            failed = Some((i, *e));
                        }
                    }
                }
            }
        }
        if let Some((_, e)) = failed {
            *self.parse_error.borrow_mut() = Some(e);
        }
        match &*self.parse_error.borrow() {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Add the file `name` if it is one still to come.
    #[allow(clippy::result_large_err)]
    fn take_file(&self, name: &str) -> Result<(), TemplateError> {
        let mut incoming = self.incoming.borrow_mut();
        let Some(late) = incoming.as_mut() else {
            return Ok(());
        };
        let Some(i) = late.waiting.remove(name) else {
            return Ok(());
        };
        let file = late.files.take(&[i]).pop();
        drop(incoming);
        match file.map(|f| f.0) {
            Some(Ok(trees)) => {
                associate_file(&mut self.templates.borrow_mut(), trees);
                Ok(())
            }
            Some(Err(e)) => self.complete_after(Some((i, *e))),
            None => Ok(()),
        }
    }

    /// How many templates are in, and whether files are still to come (for tests).
    #[cfg(test)]
    pub(crate) fn added(&self) -> (usize, bool) {
        (
            self.templates.borrow().len(),
            self.incoming.borrow().is_some(),
        )
    }

    /// The template `name`: if no file added so far has it, after adding every file still
    /// to come.
    fn find(&self, name: &str) -> Option<Rc<Tree>> {
        let found = self.templates.borrow().get(name).cloned();
        if found.is_some() || self.incoming.borrow().is_none() {
            return found;
        }
        // The first parse error, if any, is reported when execution ends.
        let _ = self.complete();
        self.templates.borrow().get(name).cloned()
    }

    /// Add `files` in order; `parsed[i]` is file i's parse when it has one already.
    #[allow(clippy::result_large_err)]
    fn add_all_with(
        &mut self,
        files: &[(&str, &str)],
        mut parsed: Vec<Option<ParsedFile>>,
    ) -> Result<(), TemplateError> {
        let todo: Vec<usize> = (0..files.len())
            .filter(|&i| parsed.get(i).is_none_or(Option::is_none))
            .collect();
        let total: usize = todo.iter().map(|&i| files[i].1.len()).sum();
        let parallel = total >= PARALLEL_PARSE_MIN_BYTES && crate::available_cpus() > 1;
        if !parallel {
            return self.associate_all(files, parsed);
        }
        // Two groups of about equal size: largest files first, each to the lighter group.
        let mut by_size = todo;
        by_size.sort_by_key(|&i| std::cmp::Reverse(files[i].1.len()));
        let (mut mine, mut theirs) = (Vec::new(), Vec::new());
        let (mut mine_bytes, mut their_bytes) = (0, 0);
        for i in by_size {
            let len = files[i].1.len();
            if mine_bytes <= their_bytes {
                mine.push(i);
                mine_bytes += len;
            } else {
                theirs.push(i);
                their_bytes += len;
            }
        }
        let names = &self.names;
        let parse_group = |group: &[usize]| -> Vec<(usize, ParsedFile)> {
            group
                .iter()
                .map(|&i| (i, parse_detached(files[i].0, files[i].1, names)))
                .collect()
        };
        std::thread::scope(|scope| {
            let helper = std::thread::Builder::new()
                .stack_size(PARSE_STACK_SIZE)
                .spawn_scoped(scope, || parse_group(&theirs));
            let own = parse_group(&mine);
            // If the thread could not start, its share is parsed here.
            let other = match helper {
                Ok(handle) => handle.join().ok(),
                Err(_) => None,
            };
            let other = other.unwrap_or_else(|| parse_group(&theirs));
            for (i, file) in own.into_iter().chain(other) {
                if let Some(slot) = parsed.get_mut(i) {
                    *slot = Some(file);
                }
            }
        });
        self.associate_all(files, parsed)
    }

    /// Add the parsed `files` in order (parsing any still missing), stopping at the first
    /// that failed to parse.
    #[allow(clippy::result_large_err)]
    fn associate_all(
        &mut self,
        files: &[(&str, &str)],
        parsed: Vec<Option<ParsedFile>>,
    ) -> Result<(), TemplateError> {
        for (i, slot) in parsed.into_iter().enumerate() {
            let ParsedFile(result) = match slot {
                Some(file) => file,
                None => parse_detached(files[i].0, files[i].1, &self.names),
            };
            associate_file(self.templates.get_mut(), result.map_err(|e| *e)?);
        }
        Ok(())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// Names of all templates in the set (files and definitions), in no particular order.
    pub fn names(&self) -> Vec<String> {
        let _ = self.complete();
        self.templates.borrow().keys().cloned().collect()
    }

    /// Execute template `name` with `data` as dot and `$`. With files still to come
    /// ([`TemplateSet::add_all_streaming`]), a file's own template waits for its parse, and
    /// a failure is reported as the first failed parse if there is one.
    #[allow(clippy::result_large_err)]
    pub fn execute(&self, name: &str, data: &Value) -> Result<String, TemplateError> {
        let mut state = State {
            set: self,
            overlays: Vec::new(),
            vars: Vec::new(),
            tree: None,
            node: Cell::new(None),
            args: Vec::new(),
            marks: Vec::new(),
            dollar: Rc::from("$"),
            depth: 0,
            includes: HashMap::default(),
            top: data.clone(),
        };
        self.take_file(name)?;
        let Some(tree) = state.lookup(name) else {
            self.complete()?;
            return Err(no_template(name));
        };
        let mut out = String::new();
        if let Err(e) = state.run(&tree, data.clone(), &mut out) {
            // Had parsing come first, a file that fails to parse would have ended it all.
            self.complete()?;
            return Err(*e);
        }
        match &*self.parse_error.borrow() {
            Some(e) => Err(e.clone()),
            None => Ok(out),
        }
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

/// Install a parsed file's trees (its top level, then its definitions) in order, each as
/// [`associate`] does.
fn associate_file(map: &mut HashMap<String, Rc<Tree>>, trees: Vec<Tree>) {
    for tree in trees {
        associate(map, tree);
    }
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

/// `src`: the source of the tree `list` belongs to.
fn find_in_list(list: &[Node], m: Mark, src: &str) -> Option<String> {
    for n in list {
        if m.tag == Tag::Node && !matches!(n, Node::Text(_)) && node_pos(n) == m.pos {
            return Some(Shown { node: n, src }.to_string());
        }
        let found = match n {
            Node::Action(p) => find_in_pipe(p, m),
            Node::If(c) | Node::With(c) | Node::Range(c) => find_in_pipe(&c.pipe, m)
                .or_else(|| find_in_list(&c.list, m, src))
                .or_else(|| c.else_list.as_deref().and_then(|e| find_in_list(e, m, src))),
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
    /// Evaluated arguments of the function calls in progress.
    args: Vec<Value>,
    /// Where the executor stood after evaluating each argument in `args` (for type errors).
    marks: Vec<Option<Mark>>,
    /// The name `$`, shared by every template run.
    dollar: Rc<str>,
    depth: usize,
    /// Nesting count of `include`d names (Helm's recursion guard).
    includes: HashMap<String, usize>,
    /// The data the executed template was given (a rendered file's scope).
    top: Value,
}

impl State<'_> {
    fn lookup(&self, name: &str) -> Option<Rc<Tree>> {
        for overlay in self.overlays.iter().rev() {
            if let Some(t) = overlay.get(name) {
                return Some(t.clone());
            }
        }
        self.set.find(name)
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
                    context: Some(find_in_list(&tree.root, mark, &tree.src).unwrap_or_default()),
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
                name: self.dollar.clone(),
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
            // The node belongs to the tree being run.
            Node::Text(t) => {
                if let Some(tree) = &self.tree {
                    out.push_str(t.of(&tree.src));
                }
            }
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
                        Value::int(i as i64),
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
                    let elem = Value::int(i64::from(*b));
                    if self.one_iteration(mark, decl, r, Value::int(i as i64), elem, false, out)? {
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
            Value::Int(n, kind) => {
                if decl.len() > 1 {
                    return Err(self.fail(format!(
                        "can't use {n} to iterate over more than one variable"
                    )));
                }
                for i in 0..(*n).max(0) {
                    ran = true;
                    // Go yields values of the integer's own type.
                    let elem = Value::Int(i, *kind);
                    if self.one_iteration(mark, decl, r, Value::Nil, elem, false, out)? {
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
            // Go prints the operand node itself: a parenthesised pipeline without its parens.
            let first = match args.first() {
                Some(Arg::Pipe(p)) => p.to_string(),
                Some(a) => a.to_string(),
                None => String::new(),
            };
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
        // Arguments go on stacks shared by all calls, so a call allocates nothing; nested
        // calls push above and everything is truncated back when the call returns.
        let base = self.args.len();
        let mark_base = self.marks.len();
        let result = self.call_on_stack(
            dot, name, func, ident, call_at, arg_nodes, final_, base, mark_base,
        );
        self.args.truncate(base);
        self.marks.truncate(mark_base);
        result
    }

    /// The body of [`State::eval_function`] once arity is checked: evaluates the arguments
    /// onto `self.args` (above `base`) and calls. The caller truncates the stacks.
    #[allow(clippy::too_many_arguments)]
    fn call_on_stack(
        &mut self,
        dot: &Dot,
        name: &str,
        func: &Func,
        ident: At<'_>,
        call_at: At<'_>,
        arg_nodes: &[Arg],
        final_: Option<Value>,
        base: usize,
        mark_base: usize,
    ) -> EResult<Value> {
        // Go's `call` gets the callee's text first, for its error messages.
        if let (Func::Builtin(Builtin::Call), Some(callee)) = (func, arg_nodes.first()) {
            self.args.push(Value::string(callee.to_string()));
        }
        let callee_offset = self.args.len() - base;
        for (i, a) in arg_nodes.iter().enumerate() {
            let v = self.eval_arg(dot, a)?;
            if i == 0 && matches!(func, Func::Builtin(Builtin::Printf)) {
                self.check_param(a, &v, "string")?;
            }
            // Where Go's executor stood after evaluating each argument: it converts each
            // argument to its parameter type right after evaluating it, so a type error
            // points at the last node visited then.
            self.marks.push(self.node.get());
            self.args.push(v);
        }
        if let Some(f) = final_ {
            self.args.push(f);
        }
        let mut host_argv = None;
        let result = match func {
            Func::Builtin(b) => b.call(self.args.get(base..).unwrap_or_default()),
            Func::Native(f) => f(self.args.get(base..).unwrap_or_default()),
            Func::Host(host) => match self.set.funcs.get(host) {
                Some(Function::Host(f)) => {
                    // Host functions re-enter the executor, so they get their own copy.
                    let argv = self.args.split_off(base);
                    let f = f.clone();
                    let r = f(self, &argv);
                    host_argv = Some(argv);
                    r
                }
                Some(Function::Native(f)) => f(self.args.get(base..).unwrap_or_default()),
                None => Err(FuncError::new(format!("function {host:?} not defined"))),
            },
        };
        result.map_err(|e| match e.kind {
            FuncErrorKind::Arity => self.error(ident, e.message),
            FuncErrorKind::ArgType { index, expected } => {
                let index = index.saturating_sub(callee_offset);
                let marks = self.marks.get(mark_base..).unwrap_or_default();
                if let Some(mark) = marks.get(index).copied().flatten() {
                    self.node.set(Some(mark));
                }
                let argv = match &host_argv {
                    Some(argv) => argv.as_slice(),
                    None => self.args.get(base..).unwrap_or_default(),
                };
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
            "int" => matches!(v, Value::Int(_, IntKind::Int)),
            "int64" => matches!(v, Value::Int(_, IntKind::Int64)),
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
        match self.includes.get_mut(name) {
            Some(count) if *count > MAX_INCLUDE_NESTING => {
                return Err(FuncError::new(format!(
                    "rendering template has a nested reference name: {name}: unable to execute template"
                )));
            }
            Some(count) => *count += 1,
            None => {
                self.includes.insert(name.to_string(), 1);
            }
        }
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
    ///
    /// Helm parses the source into a clone of the set under the set's own name, `gotpl`,
    /// so that is the name error messages show (`template: gotpl:1:10: …`).
    fn run_source(&mut self, source: &str, data: Value) -> Result<String, FuncError> {
        // Helm 4 parses `tpl` text as a new template named after the set's root ("gotpl"),
        // in a clone of the set: its `define`s are visible only to this execution.
        let name = ROOT_NAME;
        let trees = parse(name, source.into(), &self.set.names)
            .map_err(|e| FuncError::from_template(*e))?;
        let mut body = None;
        let mut overlay: HashMap<String, Rc<Tree>> = HashMap::default();
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

impl ExecContext for State<'_> {
    fn execute_template(&mut self, name: &str, data: Value) -> Result<String, FuncError> {
        self.include(name, data)
    }

    fn execute_source(&mut self, source: &str, data: Value) -> Result<String, FuncError> {
        self.run_source(source, data)
    }

    fn top_data(&self) -> &Value {
        &self.top
    }
}

/// Write a pipeline's value as an action prints it: Go's `%v`, and `<no value>` for nil.
fn print_value(v: &Value, out: &mut String) {
    use std::fmt::Write as _;
    match v {
        Value::Nil => out.push_str("<no value>"),
        Value::String(s) => out.push_str(s),
        Value::Int(i, _) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float_g(*f)),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::value::Map;

    /// JSON → Value the way Helm loads values files: every number is a float64.
    pub(crate) fn json(s: &str) -> Value {
        fn conv(j: &serde_json::Value) -> Value {
            match j {
                serde_json::Value::Null => Value::Nil,
                serde_json::Value::Bool(b) => Value::Bool(*b),
                serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap()),
                serde_json::Value::String(s) => Value::str(s),
                serde_json::Value::Array(a) => Value::list(a.iter().map(conv).collect()),
                serde_json::Value::Object(o) => {
                    Value::map(o.iter().map(|(k, v)| (k.clone(), conv(v))).collect())
                }
            }
        }
        conv(&serde_json::from_str(s).unwrap())
    }

    const FILE: &str = "c/templates/t.yaml";

    /// The top-level data Helm passes, reduced to what these tests use.
    fn top(values: Value) -> Value {
        let mut template = Map::new();
        template.insert("Name".into(), Value::str(FILE));
        template.insert("BasePath".into(), Value::str("c/templates"));
        let mut m = Map::new();
        m.insert("Values".into(), values);
        m.insert("Template".into(), Value::map(template));
        Value::map(m)
    }

    fn render_with(funcs: FuncMap, src: &str, values: &str) -> String {
        let mut set = TemplateSet::new(funcs);
        match set.add(FILE, src) {
            Err(e) => format!("ERR {e}"),
            Ok(()) => match set.execute(FILE, &top(json(values))) {
                Ok(s) => s,
                Err(e) => format!("ERR {e}"),
            },
        }
    }

    fn render(src: &str, values: &str) -> String {
        render_with(FuncMap::new(), src, values)
    }

    /// (template, values as JSON, exact output or `ERR` + Go's error text). Every expected
    /// value was produced by Helm 4 rendering the same template and values.
    const HELM_CASES: &[(&str, &str, &str)] = &[
        (r#"a {{ .Values.s }} b"#, r#"{"s":"x"}"#, r#"a x b"#),
        (r#"{{ .Values.missing }}"#, r#"{}"#, r#"<no value>"#),
        (
            r#"{{ .Values.a.b }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:10: executing "c/templates/t.yaml" at <.Values.a.b>: nil pointer evaluating interface {}.b"#,
        ),
        (
            r#"{{ .Values.s.b }}"#,
            r#"{"s":"str"}"#,
            r#"ERR template: c/templates/t.yaml:1:10: executing "c/templates/t.yaml" at <.Values.s.b>: can't evaluate field b in type interface {}"#,
        ),
        (
            r#"{{ $x := .Values.m }}{{ $x.b }}|{{ (.Values.m).b }}"#,
            r#"{}"#,
            r#"<no value>|<no value>"#,
        ),
        (
            r#"{{ .Values.n }} {{ .Values.f }} {{ .Values.big }} {{ .Values.small }}"#,
            r#"{"n":3,"f":1.5,"big":1000000,"small":1e-05}"#,
            r#"3 1.5 1e+06 1e-05"#,
        ),
        (
            r#"{{ .Values.l }} {{ .Values.m }}"#,
            r#"{"l":[1,"a",null,true],"m":{"b":1,"a":[2]}}"#,
            r#"[1 a <nil> true] map[a:[2] b:1]"#,
        ),
        (
            r#"{{- if .Values.a }}yes{{ else }}no{{ end -}}"#,
            r#"{"a":""}"#,
            r#"no"#,
        ),
        (
            r#"{{ if .Values.a }}A{{ else if .Values.b }}B{{ else }}C{{ end }}"#,
            r#"{"b":1}"#,
            r#"B"#,
        ),
        (
            r#"{{ with .Values.m }}{{ .x }}{{ else }}none{{ end }}"#,
            r#"{"m":{"x":"X"}}"#,
            r#"X"#,
        ),
        (
            r#"{{ with .Values.m }}{{ .x }}{{ else with .Values.n }}n={{ . }}{{ else }}none{{ end }}"#,
            r#"{"n":2}"#,
            r#"n=2"#,
        ),
        (
            r#"{{ range .Values.l }}[{{ . }}]{{ end }}"#,
            r#"{"l":["a","b"]}"#,
            r#"[a][b]"#,
        ),
        (
            r#"{{ range $i, $v := .Values.l }}{{ $i }}={{ $v }};{{ end }}"#,
            r#"{"l":["a","b"]}"#,
            r#"0=a;1=b;"#,
        ),
        (
            r#"{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}"#,
            r#"{"m":{"z":1,"a":2,"B":3}}"#,
            r#"B=3;a=2;z=1;"#,
        ),
        (
            r#"{{ range .Values.none }}x{{ else }}empty{{ end }}"#,
            r#"{}"#,
            r#"empty"#,
        ),
        (
            r#"{{ range 3 }}{{ . }}{{ end }}|{{ range $i := 2 }}{{ $i }}{{ end }}"#,
            r#"{}"#,
            r#"012|01"#,
        ),
        (
            r#"{{ range .Values.l }}{{ if eq . 2.0 }}{{ continue }}{{ end }}{{ if eq . 4.0 }}{{ break }}{{ end }}{{ . }}{{ end }}"#,
            r#"{"l":[1,2,3,4,5]}"#,
            r#"13"#,
        ),
        (
            r#"{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}"#,
            r#"{}"#,
            r#"2"#,
        ),
        (
            r#"{{ $x := "a" }}{{ range .Values.l }}{{ $x = . }}{{ end }}{{ $x }}"#,
            r#"{"l":["p","q"]}"#,
            r#"q"#,
        ),
        (
            r#"{{ and .Values.missing 1 }}|{{ or 0 "" }}|{{ and 1 "x" }}|{{ not 0 }}|{{ or .Values.a "def" }}"#,
            r#"{}"#,
            r#"<no value>||x|true|def"#,
        ),
        (
            r#"{{ print nil 1 }}|{{ print "a" 1 2 "b" }}|{{ println 1 "a" }}|{{ len "héllo" }}"#,
            r#"{}"#,
            r#"<nil> 1|a1 2b|1 a
|6"#,
        ),
        (
            r#"{{ printf "%s=%d %v %q %5.2f|%-4s|%04d %x %t" "k" 3 .Values.l "q" 3.14159 "ab" 7 255 true }}"#,
            r#"{"l":[1,2]}"#,
            r#"k=3 [1 2] "q"  3.14|ab  |0007 ff true"#,
        ),
        (
            r#"{{ printf "%d %s" .Values.f .Values.n }}"#,
            r#"{"f":1.5,"n":2}"#,
            r#"%!d(float64=1.5) %!s(float64=2)"#,
        ),
        (
            r#"{{ printf "%s" }}|{{ printf "x" 1 "a" }}|{{ printf "%v" .Values.m }}"#,
            r#"{"m":{"a":{"b":1}}}"#,
            r#"%!s(MISSING)|x%!(EXTRA int=1, string=a)|map[a:map[b:1]]"#,
        ),
        (
            r#"{{ index .Values.m "a" }} {{ index .Values.l 1 }} {{ index .Values.n "x" "y" }} {{ index .Values.m "zz" }}"#,
            r#"{"m":{"a":1},"l":["p","q"],"n":{"x":{"y":"deep"}}}"#,
            r#"1 q deep <no value>"#,
        ),
        (
            r#"{{ index .Values.l 5 }}"#,
            r#"{"l":[1]}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <index .Values.l 5>: error calling index: index out of range: 5"#,
        ),
        (
            r#"{{ index .Values.l 1 }}"#,
            r#"{"l":[1]}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <index .Values.l 1>: error calling index: reflect: slice index out of range"#,
        ),
        (
            r#"{{ html "<a href='x'>&" }} {{ js "it's <b> \"q\" = &" }} {{ urlquery "a b&c" }}"#,
            r#"{}"#,
            r#"&lt;a href=&#39;x&#39;&gt;&amp; it\'s \u003Cb\u003E \"q\" \u003D \u0026 a+b%26c"#,
        ),
        (
            r#"{{ eq .Values.s "a" "b" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2.5 }}"#,
            r#"{"s":"b"}"#,
            r#"true true true true true false"#,
        ),
        (
            r#"{{ eq .Values.f 1 }}"#,
            r#"{"f":1}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <eq .Values.f 1>: error calling eq: incompatible types for comparison: float64 and int"#,
        ),
        (
            r#"{{ eq .Values.missing nil }} {{ eq .Values.missing 1 }} {{ ne .Values.missing "a" }}"#,
            r#"{}"#,
            r#"true false true"#,
        ),
        (
            r#"{{ lt .Values.missing 1 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <lt .Values.missing 1>: error calling lt: invalid type for comparison"#,
        ),
        (
            r#"{{ lt 1 2.5 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <lt 1 2.5>: error calling lt: incompatible types for comparison: int and float64"#,
        ),
        (
            r#"{{ eq .Values.l .Values.l }}"#,
            r#"{"l":[1]}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <eq .Values.l .Values.l>: error calling eq: non-comparable type [%!s(float64=1)]: []interface {}"#,
        ),
        (
            r#"{{ 'a' }} {{ 0x1F }} {{ 1e3 }} {{ -3 }} {{ 1_000 }} {{ 0o17 }} {{ 0b11 }} {{ 1.50 }}"#,
            r#"{}"#,
            r#"97 31 1000 -3 1000 15 3 1.5"#,
        ),
        (
            r#"{{ "a\tb\u00e9" }}|{{ `raw\n` }}"#,
            r#"{}"#,
            r#"a	bé|raw\n"#,
        ),
        (
            r#"a  {{- 1 -}}  b {{- /* c */ -}} c {{/* x */}} d"#,
            r#"{}"#,
            r#"a1bc  d"#,
        ),
        (
            r#"x
  {{- "y" }}
  {{ "z" -}}

w"#,
            r#"{}"#,
            r#"xy
  zw"#,
        ),
        (
            r#"{{ 3 | printf "%d-%d" 1 }}|{{ "a" | printf "%s%s" "b" | printf "[%s]" }}"#,
            r#"{}"#,
            r#"1-3|[ba]"#,
        ),
        (
            r#"{{ block "blk" .Values.s }}B{{ . }}{{ end }}"#,
            r#"{"s":"s"}"#,
            r#"Bs"#,
        ),
        (
            r#"{{ range .Values.l }}{{ $.Values.p }}{{ . }}{{ end }}"#,
            r#"{"l":[1,2],"p":"P"}"#,
            r#"P1P2"#,
        ),
        (
            r#"{{ range .Values.l }}{{ .a }}{{ end }}"#,
            r#"{"l":[null]}"#,
            r#"ERR template: c/templates/t.yaml:1:24: executing "c/templates/t.yaml" at <.a>: nil pointer evaluating interface {}.a"#,
        ),
        (
            r#"{{ range $v := .Values.l }}{{ $v.a }}{{ end }}"#,
            r#"{"l":[null]}"#,
            r#"ERR template: c/templates/t.yaml:1:32: executing "c/templates/t.yaml" at <$v.a>: nil pointer evaluating interface {}.a"#,
        ),
        (
            r#"{{ .Values.l.x }}"#,
            r#"{"l":[1]}"#,
            r#"ERR template: c/templates/t.yaml:1:10: executing "c/templates/t.yaml" at <.Values.l.x>: can't evaluate field x in type interface {}"#,
        ),
        (
            r#"{{ $x := "s" }}{{ $x.foo }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:20: executing "c/templates/t.yaml" at <$x.foo>: can't evaluate field foo in type string"#,
        ),
        (
            r#"{{ nil }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <nil>: nil is not a command"#,
        ),
        (
            r#"{{ .Values.a 1 }}"#,
            r#"{"a":1}"#,
            r#"ERR template: c/templates/t.yaml:1:10: executing "c/templates/t.yaml" at <.Values.a>: a is not a method but has arguments"#,
        ),
        (
            r#"{{ 1 2 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <1>: can't give argument to non-function 1"#,
        ),
        (
            r#"{{ range .Values.s }}x{{ end }}"#,
            r#"{"s":"abc"}"#,
            r#"ERR template: c/templates/t.yaml:1:16: executing "c/templates/t.yaml" at <.Values.s>: range can't iterate over abc"#,
        ),
        (
            r#"{{ range .Values.f }}x{{ end }}"#,
            r#"{"f":1.5}"#,
            r#"ERR template: c/templates/t.yaml:1:16: executing "c/templates/t.yaml" at <.Values.f>: range can't iterate over 1.5"#,
        ),
        (
            r#"{{ range $i, $v := 3 }}x{{ end }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:19: executing "c/templates/t.yaml" at <3>: can't use 3 to iterate over more than one variable"#,
        ),
        (
            r#"{{ template "nope" }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:12: executing "c/templates/t.yaml" at <{{template "nope"}}>: template "nope" not defined"#,
        ),
        (
            r#"{{ len 3 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <len 3>: error calling len: len of type int"#,
        ),
        (
            r#"{{ len .Values.missing }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <len .Values.missing>: error calling len: len of nil pointer"#,
        ),
        (
            r#"{{ index }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <index>: wrong number of args for index: want at least 1 got 0"#,
        ),
        (
            r#"{{ not 1 2 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <not>: wrong number of args for not: want 1 got 2"#,
        ),
        (
            r#"{{ and }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <and>: wrong number of args for and: want at least 1 got 0"#,
        ),
        (
            r#"{{ index .Values.m 1 }}"#,
            r#"{"m":{}}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <index .Values.m 1>: error calling index: value has type int; should be string"#,
        ),
        (
            r#"{{ index .Values.m "a" "b" }}"#,
            r#"{"m":{}}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <index .Values.m "a" "b">: error calling index: index of nil pointer"#,
        ),
        (
            r#"{{ index 3 1 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <index 3 1>: error calling index: can't index item of type int"#,
        ),
        (
            r#"{{ printf 3 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:10: executing "c/templates/t.yaml" at <3>: expected string; found 3"#,
        ),
        (
            r#"{{ (1).x }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:4: executing "c/templates/t.yaml" at <1>: can't evaluate field x in type int"#,
        ),
        (
            r#"{{ .Values.l.a.b }}"#,
            r#"{"l":{"a":null}}"#,
            r#"ERR template: c/templates/t.yaml:1:10: executing "c/templates/t.yaml" at <.Values.l.a.b>: nil pointer evaluating interface {}.b"#,
        ),
        (
            r#"line1
{{ .Values.a.b.c }}"#,
            r#"{"a":{}}"#,
            r#"ERR template: c/templates/t.yaml:2:10: executing "c/templates/t.yaml" at <.Values.a.b.c>: nil pointer evaluating interface {}.c"#,
        ),
        (
            r#"{{ if .Values.x }}
  {{ .Values.y.z }}
{{ end }}"#,
            r#"{"x":1}"#,
            r#"ERR template: c/templates/t.yaml:2:12: executing "c/templates/t.yaml" at <.Values.y.z>: nil pointer evaluating interface {}.z"#,
        ),
        (
            r#"{{ printf "%5s|%-5s|%.1s|%q|%x|%X" "ab" "ab" "ab" "a\nb" "hi" "hi" }}"#,
            r#"{}"#,
            r#"   ab|ab   |a|"a\nb"|6869|6869"#,
        ),
        (
            r#"{{ printf "%d|%+d|% d|%05d|%-5d|%x|%#x|%#o|%o|%b|%c|%q|%U" 42 42 42 -42 42 255 255 8 8 5 65 65 65 }}"#,
            r#"{}"#,
            r#"42|+42| 42|-0042|42   |ff|0xff|010|10|101|A|'A'|U+0041"#,
        ),
        (
            r#"{{ printf "%f|%.2f|%8.3f|%-8.2f|%e|%E|%g|%G|%.3g|%v" 3.14159 3.14159 3.14159 2.5 1234.5678 1234.5678 0.00001 1e-7 3.14159 1e21 }}"#,
            r#"{}"#,
            r#"3.141590|3.14|   3.142|2.50    |1.234568e+03|1.234568E+03|1e-05|1E-07|3.14|1e+21"#,
        ),
        (
            r#"{{ printf "%v|%v|%v|%v" 1e6 123456.0 1e-5 100.0 }}"#,
            r#"{}"#,
            r#"1e+06|123456|1e-05|100"#,
        ),
        (
            r#"{{ printf "%t|%v|%s|%d" true false true true }}"#,
            r#"{}"#,
            r#"true|false|%!s(bool=true)|%!d(bool=true)"#,
        ),
        (
            r#"{{ printf "%s|%v|%d" .Values.l .Values.l .Values.l }}"#,
            r#"{"l":["a",1,null]}"#,
            r#"[a %!s(float64=1) <nil>]|[a 1 <nil>]|[%!d(string=a) %!d(float64=1) <nil>]"#,
        ),
        (
            r#"{{ printf "%v|%s" .Values.m .Values.m }}"#,
            r#"{"m":{"a":1,"b":"x","c":[1]}}"#,
            r#"map[a:1 b:x c:[1]]|map[a:%!s(float64=1) b:x c:[%!s(float64=1)]]"#,
        ),
        (
            r#"{{ printf "%T|%T|%T|%T|%T|%T" 1 1.5 "s" true .Values.l .Values.m }}"#,
            r#"{"l":[],"m":{}}"#,
            r#"int|float64|string|bool|[]interface {}|map[string]interface {}"#,
        ),
        (
            r#"{{ printf "%T" .Values.missing }}|{{ printf "%s" .Values.missing }}|{{ printf "%d" nil }}"#,
            r#"{}"#,
            r#"<nil>|%!s(<nil>)|%!d(<nil>)"#,
        ),
        (
            r#"{{ printf "%*d|%-*d|%.*f" 5 1 5 1 2 3.14159 }}"#,
            r#"{}"#,
            r#"    1|1    |3.14"#,
        ),
        (
            r#"{{ printf "%d %d" 1 }}|{{ printf "%d" 1 2 "x" }}|{{ printf "%!" }}|{{ printf "%z" 1 }}|{{ printf "100%%" }}"#,
            r#"{}"#,
            r#"1 %!d(MISSING)|1%!(EXTRA int=2, string=x)|%!!(MISSING)|%!z(int=1)|100%"#,
        ),
        (
            r#"{{ printf "%[2]d %[1]d" 1 2 }}|{{ printf "%[3]d" 1 2 }}"#,
            r#"{}"#,
            r#"2 1|%!d(BADINDEX)"#,
        ),
        (
            r#"{{ printf "%6.2f|%06.2f|%+.1e|%x" -1.5 -1.5 12345.678 1.5 }}"#,
            r#"{}"#,
            r#" -1.50|-01.50|+1.2e+04|0x1.8p+00"#,
        ),
        (
            r#"{{ printf "%s" 1.5 }}|{{ printf "%q" 1.5 }}|{{ printf "%x" -255 }}|{{ printf "%.3d" 7 }}|{{ printf "%08.3d" 7 }}"#,
            r#"{}"#,
            r#"%!s(float64=1.5)|%!q(float64=1.5)|-ff|007|     007"#,
        ),
        (
            r#"{{ printf "%v %v" .Values.i .Values.f }}"#,
            r#"{"i":10000000,"f":0.1}"#,
            r#"1e+07 0.1"#,
        ),
        (
            r#"{{ printf "%5t|%-7v|%3c|" true nil 66 }}"#,
            r#"{}"#,
            r#" true|<nil>  |  B|"#,
        ),
        (
            r#"{{ printf "%10.4v|%-10v|" 3.14159265 "ab" }}"#,
            r#"{}"#,
            r#"     3.142|ab        |"#,
        ),
        (
            r#"{{ print 1.0 2.5 "x" nil true }}|{{ print }}|{{ println }}|{{ print .Values.l }}"#,
            r#"{"l":[1.5,"a"]}"#,
            r#"1 2.5x<nil> true||
|[1.5 a]"#,
        ),
        (
            r#"  a  {{- 1 }}  b  {{ 2 -}}  c  "#,
            r#"{}"#,
            r#"  a1  b  2c  "#,
        ),
        (
            r#"a

{{- /* comment */ -}}

b"#,
            r#"{}"#,
            r#"ab"#,
        ),
        (
            r#"a {{/* c */ -}} 
 b"#,
            r#"{}"#,
            r#"a b"#,
        ),
        (
            r#"{{- 3}}|{{-3}}|{{ -3 -}}|{{3 -}} |{{- -3 -}}|"#,
            r#"{}"#,
            r#"3|-3|-3|3|-3|"#,
        ),
        (
            r#"x{{ "\t" -}}
	 y"#,
            r#"{}"#,
            r#"x	y"#,
        ),
        (
            r#"{{ $x := 1 }}{{ $x }}{{ with $y := 2 }}{{ $y }}{{ $x }}{{ end }}"#,
            r#"{}"#,
            r#"121"#,
        ),
        (
            r#"{{ range $i, $e := .Values.l }}{{ $i }}{{ end }}{{ range $e := .Values.l }}{{ $e }}{{ end }}"#,
            r#"{"l":["a","b"]}"#,
            r#"01ab"#,
        ),
        (
            r#"{{ range .Values.m }}{{ . }}{{ end }}"#,
            r#"{"m":{"b":2,"a":1}}"#,
            r#"12"#,
        ),
        (
            r#"{{ range $k, $v := .Values.m }}{{ range $v }}{{ $k }}{{ . }}{{ end }}{{ end }}"#,
            r#"{"m":{"b":[1,2],"a":[3]}}"#,
            r#"a3b1b2"#,
        ),
        (
            r#"{{ $i := 0 }}{{ range $i = .Values.l }}{{ end }}{{ $i }}"#,
            r#"{"l":["a","b"]}"#,
            r#"b"#,
        ),
        (
            r#"{{ range $i, $v = .Values.l }}{{ end }}"#,
            r#"{"l":["a","b"]}"#,
            r#"ERR template: c/templates/t.yaml:1:25: executing "c/templates/t.yaml" at <.Values.l>: undefined variable: $i"#,
        ),
        (
            r#"{{ $a := 0 }}{{ $b := 0 }}{{ range $a, $b = .Values.l }}{{ end }}{{ $a }}{{ $b }}"#,
            r#"{"l":["a","b"]}"#,
            r#"1b"#,
        ),
        (
            r#"{{ range -2 }}x{{ else }}none{{ end }}"#,
            r#"{}"#,
            r#"none"#,
        ),
        (
            r#"{{ if and .Values.a (index .Values.a 5) }}x{{ else }}y{{ end }}"#,
            r#"{}"#,
            r#"y"#,
        ),
        (
            r#"{{ and 1 0 2 }} {{ and 1 2 }} {{ or 0 "" 3 }} {{ or 0 false }} {{ not .Values.a }} {{ not 0 }}"#,
            r#"{"a":[1]}"#,
            r#"0 2 3 false false true"#,
        ),
        (
            r#"{{ 1 | and 2 }} {{ 0 | or 3 }} {{ 0 | or false }}"#,
            r#"{}"#,
            r#"1 3 0"#,
        ),
        (
            r#"{{ eq "a" "a" }} {{ eq true true }} {{ eq 1 1 }} {{ eq 1.5 1.5 }} {{ eq .Values.m nil }}"#,
            r#"{"m":{}}"#,
            r#"true true true true false"#,
        ),
        (
            r#"{{ eq .Values.m .Values.m }}"#,
            r#"{"m":{}}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <eq .Values.m .Values.m>: error calling eq: non-comparable type map[]: map[string]interface {}"#,
        ),
        (
            r#"{{ eq true 1 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <eq true 1>: error calling eq: incompatible types for comparison: bool and int"#,
        ),
        (
            r#"{{ lt true false }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <lt true false>: error calling lt: invalid type for comparison"#,
        ),
        (
            r#"{{ eq }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <eq>: wrong number of args for eq: want at least 1 got 0"#,
        ),
        (
            r#"{{ eq 1 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <eq 1>: error calling eq: missing argument for comparison"#,
        ),
        (
            r#"{{ ne 1 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <ne>: wrong number of args for ne: want 2 got 1"#,
        ),
        (
            r#"{{ len .Values.l }} {{ len .Values.m }} {{ len "" }}"#,
            r#"{"l":[1,2],"m":{"a":1}}"#,
            r#"2 1 0"#,
        ),
        (
            r#"{{ index "abc" 1 }} {{ index .Values.l 0 0 }}"#,
            r#"{"l":[["x"]]}"#,
            r#"98 x"#,
        ),
        (
            r#"{{ index .Values.l -1 }}"#,
            r#"{"l":[1]}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <index .Values.l -1>: error calling index: index out of range: -1"#,
        ),
        (
            r#"{{ index .Values.l "a" }}"#,
            r#"{"l":[1]}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <index .Values.l "a">: error calling index: cannot index slice/array with type string"#,
        ),
        (
            r#"{{ index .Values.l nil }}"#,
            r#"{"l":[1]}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <index .Values.l nil>: error calling index: cannot index slice/array with nil"#,
        ),
        (
            r#"{{ index .Values.l 1.0 }}"#,
            r#"{"l":[1,2]}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <index .Values.l 1.0>: error calling index: cannot index slice/array with type float64"#,
        ),
        (
            r#"{{ index .Values.m }}"#,
            r#"{"m":{"a":1}}"#,
            r#"map[a:1]"#,
        ),
        (
            r#"{{ .Values.a.b.c }}"#,
            r#"{"a":{"b":null}}"#,
            r#"ERR template: c/templates/t.yaml:1:10: executing "c/templates/t.yaml" at <.Values.a.b.c>: nil pointer evaluating interface {}.c"#,
        ),
        (
            r#"{{ $.Values.a }}|{{ $x := .Values }}{{ $x.a }}|{{ (.Values).a }}|{{ .Values.a | print }}"#,
            r#"{"a":"A"}"#,
            r#"A|A|A|A"#,
        ),
        (
            r#"{{ .Values }}"#,
            r#"{"b":{"c":[1,{"d":null}]},"a":true}"#,
            r#"map[a:true b:map[c:[1 map[d:<nil>]]]]"#,
        ),
        (
            r#"{{ .Values.s | len }}|{{ "abc" | len }}|{{ .Values.s | printf "%s-%s" "x" }}"#,
            r#"{"s":"hey"}"#,
            r#"3|3|x-hey"#,
        ),
        (
            r#"{{ (print 1) | printf "%s!" }}|{{ print (print 1 2) (len "ab") }}"#,
            r#"{}"#,
            r#"1!|1 22"#,
        ),
        (
            r#"{{ js "<" 1 }}|{{ html 1 2 }}|{{ urlquery "x/y?z" "w" }}|{{ js "\u2028é" }}"#,
            r#"{}"#,
            r#"\u003C1|1 2|x%2Fy%3Fzw|\u2028é"#,
        ),
        (
            r#"{{ with $x := .Values.a }}{{ $x }}{{ end }}{{ with .Values.none }}no{{ end }}"#,
            r#"{"a":"A"}"#,
            r#"A"#,
        ),
        (
            r#"{{ if .Values.z }}{{ else if not .Values.z }}neg{{ end }}"#,
            r#"{"z":0}"#,
            r#"neg"#,
        ),
        (
            r#"{{ range .Values.l }}{{ if eq . "b" }}{{ break }}{{ end }}{{ . }}{{ else }}E{{ end }}"#,
            r#"{"l":["a","b","c"]}"#,
            r#"a"#,
        ),
        (
            r#"{{ range $i, $e := .Values.l }}{{ range $e }}{{ if eq . 2.0 }}{{ break }}{{ end }}{{ . }}{{ end }};{{ end }}"#,
            r#"{"l":[[1,2,3],[4]]}"#,
            r#"1;4;"#,
        ),
        (
            r#"{{ 0x10 | printf "%d" }} {{ 1e2 | printf "%v" }} {{ 'x' | printf "%c" }} {{ -0.5 }} {{ +5 }}"#,
            r#"{}"#,
            r#"16 100 x -0.5 5"#,
        ),
        (
            r#"{{ "\x41\101\u0042\U00000043\\\"" }}"#,
            r#"{}"#,
            r#"AABC\""#,
        ),
        (
            r#"{{ .Values.a.b }}"#,
            r#"{"a":"str"}"#,
            r#"ERR template: c/templates/t.yaml:1:10: executing "c/templates/t.yaml" at <.Values.a.b>: can't evaluate field b in type interface {}"#,
        ),
        (
            r#"{{ $x := 5 }}{{ $x.y }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:18: executing "c/templates/t.yaml" at <$x.y>: can't evaluate field y in type int"#,
        ),
        (
            r#"{{ .Values.a.b 1 }}"#,
            r#"{"a":{"b":1}}"#,
            r#"ERR template: c/templates/t.yaml:1:10: executing "c/templates/t.yaml" at <.Values.a.b>: b is not a method but has arguments"#,
        ),
        (
            r#"{{ 1 | .Values.a }}"#,
            r#"{"a":1}"#,
            r#"ERR template: c/templates/t.yaml:1:14: executing "c/templates/t.yaml" at <.Values.a>: a is not a method but has arguments"#,
        ),
        (
            r#"{{ "x" 1 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <"x">: can't give argument to non-function "x""#,
        ),
        (
            r#"{{ (1) 2 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <(1) 2>: can't give argument to non-function 1"#,
        ),
        (
            r#"{{ (nil).x }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:4: executing "c/templates/t.yaml" at <nil>: nil is not a command"#,
        ),
        (
            r#"{{ index .Values.l 0 | len }}"#,
            r#"{"l":[3]}"#,
            r#"ERR template: c/templates/t.yaml:1:23: executing "c/templates/t.yaml" at <len>: error calling len: len of type float64"#,
        ),
        (
            r#"{{ printf "%+v|%#v|%+v|%#v|%#v|%.2v|%x|%X|%b" 3 3 -1.5 "s" 1.0 "abc" 0.1 -2.0 1.5 }}"#,
            r#"{}"#,
            r#"3|3|-1.5|"s"|1|ab|0x1.999999999999ap-04|-0X1P+01|6755399441055744p-52"#,
        ),
        (
            r#"{{ printf "%5.|%.|%-5%|%5%|%[x]d|%[0]d" 1 2 }}"#,
            r#"{}"#,
            r#"%!|(int=    1)%!|(int=2)%|%|%!d(BADINDEX)|%!d(BADINDEX)"#,
        ),
        (
            r#"{{ printf "%[2]d %[1]d" 1 2 }}|{{ printf "%[3]d" 1 2 }}|{{ printf "%[1]d %d" 1 2 }}"#,
            r#"{}"#,
            r#"2 1|%!d(BADINDEX)|1 2"#,
        ),
        (
            r#"{{ printf "%6.2f|%06.2f|%+.1e|%x" -1.5 -1.5 12345.678 1.5 }}"#,
            r#"{}"#,
            r#" -1.50|-01.50|+1.2e+04|0x1.8p+00"#,
        ),
        (
            r#"{{ printf "%10.4v|%-10v|" 3.14159265 "ab" }}"#,
            r#"{}"#,
            r#"     3.142|ab        |"#,
        ),
        (
            r#"{{ printf "%.*d|%.*d" -1 5 "x" 5 }}"#,
            r#"{}"#,
            r#"%!(BADPREC)5|%!(BADPREC)5"#,
        ),
        (
            r#"{{ printf "%#v|%#v|%#v" .Values.l .Values.m nil }}"#,
            r#"{"l":[1,"a"],"m":{"k":[true]}}"#,
            r#"[]interface {}{1, "a"}|map[string]interface {}{"k":[]interface {}{true}}|<nil>"#,
        ),
        (
            r#"{{ printf "%x|%X|%x|%x" 0.0 1e-320 -0.5 1e300 }}"#,
            r#"{}"#,
            r#"0x0p+00|0X1.FAP-1064|-0x1p-01|0x1.7e43c8800759cp+996"#,
        ),
        (
            r#"{{ (1) 2 }}"#,
            r#"{}"#,
            r#"ERR template: c/templates/t.yaml:1:3: executing "c/templates/t.yaml" at <(1) 2>: can't give argument to non-function 1"#,
        ),
    ];

    /// Helm's `include` and `tpl` as host functions (without Helm's extra error wrapping).
    fn helm_like_funcs() -> FuncMap {
        let mut funcs = FuncMap::new();
        funcs.insert_host(
            "include",
            Rc::new(|ctx: &mut dyn ExecContext, args: &[Value]| {
                let name = args
                    .first()
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let data = args.get(1).cloned().unwrap_or_default();
                ctx.execute_template(&name, data).map(Value::string)
            }),
        );
        funcs.insert_host(
            "tpl",
            Rc::new(|ctx: &mut dyn ExecContext, args: &[Value]| {
                let src = args
                    .first()
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let data = args.get(1).cloned().unwrap_or_default();
                ctx.execute_source(&src, data).map(Value::string)
            }),
        );
        funcs
    }

    fn render_helm(src: &str, values: &str) -> String {
        render_with(helm_like_funcs(), src, values)
    }

    // Checked against helm 3/4: the chain of errors names each template and the innermost
    // failing node.
    #[test]
    fn nested_include_errors_name_every_level() {
        let src = "{{ define \"a\" }}{{ .x.y }}{{ end }}{{ define \"b\" }}\n{{ include \"a\" . }}{{ end }}k: {{ include \"b\" .Values }}";
        assert_eq!(
            render_helm(src, r#"{"x":null}"#),
            "ERR template: c/templates/t.yaml:2:34: executing \"c/templates/t.yaml\" at <include \"b\" .Values>: error calling include: template: c/templates/t.yaml:2:3: executing \"b\" at <include \"a\" .>: error calling include: template: c/templates/t.yaml:1:21: executing \"a\" at <.x.y>: nil pointer evaluating interface {}.y"
        );
    }

    #[test]
    fn include_renders_into_a_string() {
        let src = "{{- define \"n\" }}name-{{ .Values.a }}{{ end -}}\nk: {{ include \"n\" . | len }} {{ include \"n\" . }}";
        assert_eq!(render_helm(src, r#"{"a":"x"}"#), "k: 6 name-x");
    }

    /// Deep recursion needs more stack than a test thread has in an unoptimised build.
    fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn runaway_include_recursion_is_an_error() {
        let src = "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}k: {{ include \"r\" . }}";
        let err = on_big_stack(move || render_helm(src, "{}"));
        assert!(err.starts_with("ERR template: c/templates/t.yaml:1:50: executing \"c/templates/t.yaml\" at <include \"r\" .>: error calling include: template: c/templates/t.yaml:1:19: executing \"r\""));
        assert!(err.ends_with("error calling include: rendering template has a nested reference name: r: unable to execute template"));
        // Helm lets 1001 nested includes of one name run and fails the 1002nd.
        assert_eq!(err.matches("error calling include").count(), 1002);
    }

    #[test]
    fn template_action_recursion_is_bounded() {
        let src = "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}";
        let err = on_big_stack(move || render(src, "{}"));
        assert!(
            err.ends_with(&format!(
                "exceeded maximum template depth ({MAX_EXEC_DEPTH})"
            )),
            "{err}"
        );
    }

    #[test]
    fn tpl_names_its_template_gotpl_and_keeps_defines_local() {
        assert_eq!(
            render_helm("k: {{ tpl \"{{ .Values.a.b }}\" . }}", "{}"),
            "ERR template: c/templates/t.yaml:1:6: executing \"c/templates/t.yaml\" at <tpl \"{{ .Values.a.b }}\" .>: error calling tpl: template: gotpl:1:10: executing \"gotpl\" at <.Values.a.b>: nil pointer evaluating interface {}.b"
        );
        let src = "{{ tpl \"{{ define \\\"q\\\" }}Q{{ end }}{{ include \\\"q\\\" . }}{{ template \\\"q\\\" }}\" . }}|{{ tpl \"\" . }}|{{ tpl \"{{ .Values.v }}\" . }}";
        assert_eq!(render_helm(src, r#"{"v":1}"#), "QQ||1");
        assert_eq!(
            render_helm("{{ tpl \"{{ template \\\"q\\\" }}\" . }}", "{}"),
            "ERR template: c/templates/t.yaml:1:3: executing \"c/templates/t.yaml\" at <tpl \"{{ template \\\"q\\\" }}\" .>: error calling tpl: template: gotpl:1:12: executing \"gotpl\" at <{{template \"q\"}}>: template \"q\" not defined"
        );
        // A tpl source sees the set's templates and can include them.
        let src = "{{ define \"h\" }}H{{ . }}{{ end }}{{ tpl \"{{ include \\\"h\\\" 1 }}\" . }}";
        assert_eq!(render_helm(src, "{}"), "H1");
    }

    #[test]
    fn tpl_parse_errors_are_reported() {
        assert_eq!(
            render_helm("{{ tpl \"{{ nope }}\" . }}", "{}"),
            "ERR template: c/templates/t.yaml:1:3: executing \"c/templates/t.yaml\" at <tpl \"{{ nope }}\" .>: error calling tpl: template: gotpl:1: function \"nope\" not defined"
        );
    }

    #[test]
    fn define_template_and_block() {
        assert_eq!(
            render(
                "{{ define \"x\" }}X{{ . }}{{ end }}{{ template \"x\" 5 }}|{{ template \"x\" }}",
                "{}"
            ),
            "X5|X<no value>"
        );
        assert_eq!(
            render(
                "{{ block \"b\" .Values.s }}B{{ . }}{{ end }}",
                r#"{"s":"s"}"#
            ),
            "Bs"
        );
        // Variables do not leak into templates: `$` is the data passed.
        assert_eq!(
            render(
                "{{ define \"v\" }}{{ $ }}{{ end }}{{ $x := 1 }}{{ template \"v\" \"d\" }}",
                "{}"
            ),
            "d"
        );
    }

    #[test]
    fn later_definitions_replace_earlier_ones_unless_empty() {
        let mut set = TemplateSet::new(FuncMap::new());
        set.add("a.tpl", "{{ define \"x\" }}first{{ end }}")
            .unwrap();
        set.add("b.tpl", "{{ define \"x\" }}second{{ end }}")
            .unwrap();
        set.add("c.tpl", "{{ define \"x\" }}  {{ end }}").unwrap();
        set.add("main", "{{ template \"x\" }}").unwrap();
        assert!(set.contains("x") && set.contains("a.tpl") && !set.contains("y"));
        assert_eq!(set.execute("main", &Value::Nil).unwrap(), "second");
        // Within one file a second non-empty definition is an error.
        let err = set
            .add(
                "d.tpl",
                "{{ define \"y\" }}1{{ end }}{{ define \"y\" }}2{{ end }}",
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "template: d.tpl:1: template: multiple definition of template \"y\""
        );
    }

    #[test]
    fn executing_unknown_template() {
        let set = TemplateSet::new(FuncMap::new());
        let err = set.execute("nope", &Value::Nil).unwrap_err();
        assert_eq!(
            err.to_string(),
            "template: no template \"nope\" associated with template \"gotpl\""
        );
    }

    #[test]
    fn missing_key_error_mode() {
        let mut set = TemplateSet::new(FuncMap::new());
        set.set_missing_key(MissingKey::Error);
        set.add("t", "{{ .Values.a }}").unwrap();
        set.add("n", "{{ $x := .Values.a }}{{ $x.b }}").unwrap();
        set.add("ok", "{{ .Values.b }}").unwrap();
        let data = top(json(r#"{"b":null}"#));
        assert_eq!(
            set.execute("t", &data).unwrap_err().to_string(),
            "template: t:1:10: executing \"t\" at <.Values.a>: map has no entry for key \"a\""
        );
        assert_eq!(
            set.execute("n", &data).unwrap_err().to_string(),
            "template: n:1:16: executing \"n\" at <.Values.a>: map has no entry for key \"a\""
        );
        // A present key holding null is not missing.
        assert_eq!(set.execute("ok", &data).unwrap(), "<no value>");
    }

    #[test]
    fn nil_data_fields_are_quiet_unless_strict() {
        let mut set = TemplateSet::new(FuncMap::new());
        set.add("t", "{{ .a.b }}").unwrap();
        assert_eq!(set.execute("t", &Value::Nil).unwrap(), "<no value>");
        set.set_missing_key(MissingKey::Error);
        assert_eq!(
            set.execute("t", &Value::Nil).unwrap_err().to_string(),
            "template: t:1:5: executing \"t\" at <.a.b>: nil data; no entry for key \"a\""
        );
    }

    #[test]
    fn user_functions_override_builtins_and_report_errors() {
        let mut funcs = FuncMap::new();
        funcs.insert("len", |_args: &[Value]| Ok(Value::str("mine")));
        funcs.insert("boom", |_args: &[Value]| Err(FuncError::new("it broke")));
        assert_eq!(
            render_with(funcs.clone(), "{{ len \"abc\" }}", "{}"),
            "mine"
        );
        assert_eq!(
            render_with(funcs, "x\n  {{ boom 1 .Values }}", "{}"),
            "ERR template: c/templates/t.yaml:2:5: executing \"c/templates/t.yaml\" at <boom 1 .Values>: error calling boom: it broke"
        );
    }

    #[derive(Debug)]
    struct Caps;

    impl crate::template::Object for Caps {
        fn type_name(&self) -> &str {
            "*chartutil.Capabilities"
        }
        fn field(&self, name: &str) -> Option<Value> {
            match name {
                "KubeVersion" => Some(Value::str("v1.30.0")),
                _ => None,
            }
        }
        fn call_method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
            match name {
                "Has" => Some(Ok(Value::Bool(
                    args.first().and_then(Value::as_str) == Some("v1"),
                ))),
                "Fail" => Some(Err(FuncError::new("no"))),
                _ => None,
            }
        }
        fn display(&self) -> String {
            "&{caps}".to_string()
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    #[test]
    fn objects_have_fields_and_methods() {
        let mut set = TemplateSet::new(FuncMap::new());
        set.add(
            "t",
            "{{ .C.KubeVersion }} {{ .C.Has \"v1\" }} {{ \"v2\" | .C.Has }} {{ if .C.Has \"v1\" }}yes{{ end }} {{ .C }}",
        )
        .unwrap();
        set.add("bad", "{{ .C.Nope }}").unwrap();
        set.add("err", "{{ .C.Fail 1 }}").unwrap();
        let mut m = Map::new();
        m.insert("C".into(), Value::Object(Rc::new(Caps)));
        let data = Value::map(m);
        assert_eq!(
            set.execute("t", &data).unwrap(),
            "v1.30.0 true false yes &{caps}"
        );
        assert_eq!(
            set.execute("bad", &data).unwrap_err().to_string(),
            "template: bad:1:5: executing \"bad\" at <.C.Nope>: can't evaluate field Nope in type *chartutil.Capabilities"
        );
        assert_eq!(
            set.execute("err", &data).unwrap_err().to_string(),
            "template: err:1:5: executing \"err\" at <.C.Fail>: error calling Fail: no"
        );
    }

    #[test]
    fn maps_are_shared_with_functions_that_mutate_them() {
        // Sprig's `set` mutates in place; later reads of the same map see the change.
        let mut funcs = FuncMap::new();
        funcs.insert("set", |args: &[Value]| {
            if let (Some(Value::Map(m)), Some(Value::String(k)), Some(v)) =
                (args.first(), args.get(1), args.get(2))
            {
                m.borrow_mut().insert(k.to_string(), v.clone());
            }
            Ok(args.first().cloned().unwrap_or_default())
        });
        let src = "{{ $_ := set .Values \"k\" \"v\" }}{{ .Values.k }}{{ range $k, $v := .Values }}{{ $_ := set $.Values \"z\" 1 }}{{ $k }}{{ end }}";
        assert_eq!(render_with(funcs, src, "{}"), "vk");
    }

    #[test]
    fn output_of_large_templates_is_linear() {
        // A loop producing ~1 MB must stay fast (no quadratic buffer handling).
        let src = "{{ range $i := 20000 }}item-{{ $i }}: {{ $.Values.s | printf \"%s-%d\" }}{{ \"\\n\" }}{{ end }}";
        let out = render(src, &format!("{{\"s\":\"{}\"}}", "x".repeat(20)));
        assert_eq!(out.lines().count(), 20000);
        assert!(out.starts_with("item-0: xxxxxxxxxxxxxxxxxxxx-%!d(MISSING)\n"));
    }

    /// (source, Go's error) for sources parsed as Helm's `tpl` does (template `gotpl`);
    /// each message was read from helm's output for `tpl` of the same source.
    const GO_ERROR_CASES: &[(&str, &str)] = &[
        (
            r#"{{ foo }}"#,
            r#"template: gotpl:1: function "foo" not defined"#,
        ),
        (
            r#"a
{{ if 1 }}"#,
            r#"template: gotpl:2: unexpected EOF"#,
        ),
        (r#"{{ end }}"#, r#"template: gotpl:1: unexpected {{end}}"#),
        (r#"{{ else }}"#, r#"template: gotpl:1: unexpected {{else}}"#),
        (
            r#"{{ $x }}"#,
            r#"template: gotpl:1: undefined variable "$x""#,
        ),
        (r#"{{ .a"#, r#"template: gotpl:1: unclosed action"#),
        (
            r#"{{ .a

"#,
            r#"template: gotpl:3: unclosed action started at gotpl:1"#,
        ),
        (
            r#"{{ break }}"#,
            r#"template: gotpl:1: {{break}} outside {{range}}"#,
        ),
        (
            r#"{{ }}"#,
            r#"template: gotpl:1: missing value for command"#,
        ),
        (
            r#"{{ 1 | 2 }}"#,
            r#"template: gotpl:1: non executable command in pipeline stage 2"#,
        ),
        (
            r#"{{ "a".b }}"#,
            r#"template: gotpl:1: unexpected . after term "\"a\"""#,
        ),
        (
            r#"{{ range $a, $b, $c := . }}{{end}}"#,
            r#"template: gotpl:1: too many declarations in range"#,
        ),
        (
            r#"{{ if 1 }}{{ else }}{{ else }}{{ end }}"#,
            r#"template: gotpl:1: expected end; found {{else}}"#,
        ),
        (
            r#"{{ template . }}"#,
            r#"template: gotpl:1: unexpected <.> in template clause"#,
        ),
        (r#"{{ (1 }}"#, r#"template: gotpl:1: unclosed left paren"#),
        (
            r#"{{ 3x }}"#,
            r#"template: gotpl:1: bad number syntax: "3x""#,
        ),
        (
            r#"{{ $x := 1 2 | }}"#,
            r#"template: gotpl:1:9: executing "gotpl" at <1>: can't give argument to non-function 1"#,
        ),
        (
            r#"{{ range $a, 1 := . }}{{ end }}"#,
            r#"template: gotpl:1: range can only initialize variables"#,
        ),
        (
            r#"{{ if }}{{ end }}"#,
            r#"template: gotpl:1: missing value for if"#,
        ),
        (
            r#"{{ with $x := 1 }}{{ end }}{{ $x }}"#,
            r#"template: gotpl:1: undefined variable "$x""#,
        ),
        (
            r#"{{/* a */ 1 }}"#,
            r#"template: gotpl:1: comment ends before closing delimiter"#,
        ),
        (
            r#"{{ 1 2 ) }}"#,
            r#"template: gotpl:1: unexpected right paren"#,
        ),
        (
            r#"{{ define "x" }}{{ end"#,
            r#"template: gotpl:1: unclosed action"#,
        ),
        (
            r#"{{ continue }}"#,
            r#"template: gotpl:1: {{continue}} outside {{range}}"#,
        ),
        (
            r#"{{ range . }}{{ break 1 }}{{ end }}"#,
            r#"template: gotpl:1: unexpected "1" in {{break}}"#,
        ),
        (r#"{{ "\q" }}"#, r#"template: gotpl:1: invalid syntax"#),
        (
            r#"{{ 'ab' }}"#,
            r#"template: gotpl:1: malformed character constant: 'ab'"#,
        ),
        (
            r#"{{ nil.x }}"#,
            r#"template: gotpl:1: unexpected . after term "nil""#,
        ),
        (
            r#"{{ $.x.y }}"#,
            r#"template: gotpl:1:4: executing "gotpl" at <$.x.y>: nil pointer evaluating interface {}.y"#,
        ),
        (
            r#"{{ a.b }}"#,
            r#"template: gotpl:1: function "a" not defined"#,
        ),
        (
            r#"{{ .a.b 1 | }}"#,
            r#"template: gotpl:1:5: executing "gotpl" at <.a.b>: nil pointer evaluating interface {}.b"#,
        ),
        (
            r#"{{ $x = 1 }}"#,
            r#"template: gotpl:1:8: executing "gotpl" at <1>: undefined variable: $x"#,
        ),
        (
            r#"{{ with }}{{ end }}"#,
            r#"template: gotpl:1: missing value for with"#,
        ),
        (
            r#"{{ else if 1 }}"#,
            r#"template: gotpl:1: unexpected {{else}}"#,
        ),
    ];

    #[test]
    fn errors_match_go() {
        let mut failures = Vec::new();
        for (src, want) in GO_ERROR_CASES {
            let mut set = TemplateSet::new(FuncMap::new());
            let got = match set.add("gotpl", src) {
                Err(e) => e.to_string(),
                Ok(()) => match set.execute("gotpl", &Value::empty_map()) {
                    Ok(out) => format!("no error: {out}"),
                    Err(e) => e.to_string(),
                },
            };
            if got != *want {
                failures.push(format!("{src:?}\n   want {want:?}\n    got {got:?}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn matches_helm_output() {
        let mut failures = Vec::new();
        for (src, values, want) in HELM_CASES {
            let got = render(src, values);
            if got != *want {
                failures.push(format!("{src:?}\n   want {want:?}\n    got {got:?}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
